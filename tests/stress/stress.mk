# SPDX-License-Identifier: MIT
# Concurrency stress test (tests/stress, issue 4): s2stress linked against the
# library built with ASan+UBSan and with TSan. `make stress-test` (part of
# make test) runs a few seconds per format; `make stress SECONDS=N` soaks.

STRESS_SRC := $(wildcard tests/stress/*.c)
STRESS_HDR := $(wildcard tests/stress/*.h)
STRESS_OBJ := $(STRESS_SRC:%.c=$(B)/obj/%.o)
# Sanitizer builds live under the build dir in use (B=... moves them too);
# with the default B, next to what SANITIZE=... builds on its own.
STRESS_ASAN_B := $(B)/san-address-undefined
STRESS_TSAN_B := $(B)/san-thread
# make test: 4 formats x 2 modes x 1.5 s, under each sanitizer (~30 s).
STRESS_FORMATS ?= ept4,sv39x4,arm64_s2,x86_64
STRESS_TEST_SECONDS ?= 1.5
# make stress: SECONDS per format and mode (15 formats x 2 modes x 2
# sanitizers: 10 s is 10 minutes), every format unless STRESS_FORMATS is
# given; STRESS_SAN=asan or tsan runs only that one; STRESS_ARGS adds s2stress
# options (-w writers, -r readers, -s seed, -m modes).
SECONDS ?= 10
STRESS_SAN ?= asan tsan
STRESS_ARGS ?=

STRESS_ASAN_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# tsan.supp says why frames inside liburcu are suppressed (and only those).
STRESS_TSAN_ENV := TSAN_OPTIONS=suppressions=$(CURDIR)/tests/stress/tsan.supp:exitcode=66:history_size=4:second_deadlock_stack=1

# The binary of this make's own build (SANITIZE= picks the flags).
$(B)/stress/s2stress: $(STRESS_OBJ) $(B)/libs2pt.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(STRESS_OBJ) $(B)/libs2pt.a $(LIB_LIBS)

$(STRESS_OBJ): $(STRESS_HDR) tests/stress/stress.mk

stress-build-asan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined B=$(STRESS_ASAN_B) \
		$(STRESS_ASAN_B)/stress/s2stress

stress-build-tsan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=thread B=$(STRESS_TSAN_B) \
		$(STRESS_TSAN_B)/stress/s2stress

stress-build: stress-build-asan stress-build-tsan

# Run $(1) (asan or tsan) with arguments $(2) in a shell that has fail=0;
# 77 (every case skipped) is no failure. Every run goes on after a failure.
stress_run = echo "== s2stress under $(if $(filter asan,$(1)),ASan+UBSan,TSan): $(2)"; \
	$(if $(filter asan,$(1)),$(STRESS_ASAN_ENV) $(STRESS_ASAN_B),$(STRESS_TSAN_ENV) \
	$(STRESS_TSAN_B))/stress/s2stress $(2); rc=$$?; \
	if [ $$rc != 0 ] && [ $$rc != 77 ]; then echo "== s2stress: exit $$rc"; fail=1; fi;

stress-test: stress-build
	$(Q)fail=0; \
	$(call stress_run,asan,-t $(STRESS_TEST_SECONDS) -f $(STRESS_FORMATS)) \
	$(call stress_run,tsan,-t $(STRESS_TEST_SECONDS) -f $(STRESS_FORMATS)) \
	exit $$fail

stress: $(addprefix stress-build-,$(STRESS_SAN))
	$(Q)fail=0; \
	$(foreach s,$(STRESS_SAN),$(call stress_run,$(s),-t $(SECONDS) \
		-f $(if $(filter file,$(origin STRESS_FORMATS)),all,$(STRESS_FORMATS)) \
		$(STRESS_ARGS))) \
	exit $$fail

TEST_EXTRA += stress-test

.PHONY: stress stress-test stress-build stress-build-asan stress-build-tsan
