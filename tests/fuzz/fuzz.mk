# SPDX-License-Identifier: MIT
# libFuzzer target (issue 4): `make fuzz FUZZ_SECONDS=N` builds it (clang fuzzer, ASan,
# UBSan; in $(B)/fuzz) and runs it on the kept corpus $(B)/fuzz/corpus; `make fuzz-test`
# (in make test) runs ~20 s from the seeds alone, skipped without libFuzzer.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 20
FUZZ_ARGS ?=
FUZZ_OPT ?= -O1 -g
# clang's libFuzzer runtime (libclang_rt.fuzzer-x86_64.a) is in Debian's
# libclang-rt-<major>-dev (clang 14 on bookworm).
FUZZ_CLANG_MAJOR := $(shell $(FUZZ_CC) --version 2>/dev/null | \
	sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
DEPS_EXTRA += libclang-rt-$(or $(FUZZ_CLANG_MAJOR),14)-dev

FUZZ_B := $(B)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 $(FUZZ_OPT) $(WARN) $(FUZZ_SAN) -Iinclude -I.
# Coverage (and comparison tracing) for the library only: the model and
# the checks would cost time and guide the fuzzer nowhere.
FUZZ_COV := -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_T_SRC := $(wildcard tests/model/*.c tests/fuzz/*.c)
FUZZ_T_OBJ := $(FUZZ_T_SRC:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_RUN_ARGS := -max_len=580 -timeout=10 \
	-print_final_stats=1 -artifact_prefix=$(FUZZ_B)/
FUZZ_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(FUZZ_B)/obj/%.o: %.c $(wildcard core/*.h) $(HEADERS) $(wildcard tests/model/*.h) \
		$(wildcard tests/fuzz/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(filter tests/%,$<),-Itests \
		-Wno-missing-field-initializers,$(FUZZ_COV) -fvisibility=hidden -DS2PT_BUILDING) -MMD -c $< -o $@

$(FUZZ_B)/s2pt-fuzz: $(FUZZ_LIB_OBJ) $(FUZZ_T_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIB_LIBS) -lcriterion

# The hand-made seeds (tests/fuzz/seeds/mkseeds.c), rewritten on change.
$(FUZZ_B)/seeds.stamp: tests/fuzz/seeds/mkseeds.c tests/fuzz/fuzz_input.h
	@mkdir -p $(FUZZ_B)/seeds
	$(Q)$(CC) -std=gnu11 -O1 $(WARN) -Itests -o $(FUZZ_B)/mkseeds tests/fuzz/seeds/mkseeds.c
	$(Q)$(FUZZ_B)/mkseeds $(FUZZ_B)/seeds && touch $@

# Can $(FUZZ_CC) link a libFuzzer program? Prints the reason if not.
FUZZ_PROBE = mkdir -p $(FUZZ_B) && \
	if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "$(FUZZ_CC) not found"; \
	elif [ -z "$(FUZZ_CLANG_MAJOR)" ]; then \
		echo "$(FUZZ_CC) is not clang (libFuzzer needs clang: FUZZ_CC=clang)"; \
	elif ! printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
		'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return (int)(d && n) * 0; }' | \
		$(FUZZ_CC) -fsanitize=fuzzer -x c - -o $(FUZZ_B)/probe >/dev/null 2>&1; then \
		echo "$(FUZZ_CC) cannot link -fsanitize=fuzzer: install libclang-rt-$(or $(FUZZ_CLANG_MAJOR),14)-dev"; \
	fi

fuzz-build: $(FUZZ_B)/s2pt-fuzz $(FUZZ_B)/seeds.stamp

# Run for $(1) seconds on corpus dir $(2) (new inputs land there) and the seeds.
FUZZ_RUN = mkdir -p $(2) && $(FUZZ_ENV) $(FUZZ_B)/s2pt-fuzz $(FUZZ_RUN_ARGS) \
	-max_total_time=$(1) $(FUZZ_ARGS) $(2) $(FUZZ_B)/seeds

fuzz: deps
	$(Q)why=$$($(FUZZ_PROBE)); if [ -n "$$why" ]; then echo "fuzz: $$why"; exit 1; fi
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(call FUZZ_RUN,$(FUZZ_SECONDS),$(FUZZ_B)/corpus)

fuzz-test:
	$(Q)why=$$($(FUZZ_PROBE)); if [ -n "$$why" ]; then echo "fuzz: skipped, $$why"; exit 0; fi; \
		$(MAKE) --no-print-directory fuzz-build || exit 1; \
		echo "== libFuzzer on the model for $(FUZZ_TEST_SECONDS) s ($(FUZZ_B)/s2pt-fuzz)"; \
		rm -rf $(FUZZ_B)/corpus-test; \
		$(call FUZZ_RUN,$(FUZZ_TEST_SECONDS),$(FUZZ_B)/corpus-test) 2>$(FUZZ_B)/fuzz-test.log; \
		st=$$?; \
		if [ $$st = 0 ]; then \
			grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
				$(FUZZ_B)/fuzz-test.log; \
			grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_B)/fuzz-test.log | tail -n 1; \
			echo "fuzz: 1 passed, 0 failed"; \
		else \
			grep -E -A 3 'CHECK FAILED|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error' \
				$(FUZZ_B)/fuzz-test.log | head -n 30; \
			grep -E '^\*\*\* s2pt fuzz|^    #[0-9]+ [a-z]' $(FUZZ_B)/fuzz-test.log | head -n 50; \
			grep -E '#[0-9]+ 0x[0-9a-f]+ in (s2pt|fz)_' $(FUZZ_B)/fuzz-test.log | head -n 8; \
			grep -E 'Test unit written to' $(FUZZ_B)/fuzz-test.log; \
			echo "replay: S2PT_FUZZ_TRACE=1 $(FUZZ_B)/s2pt-fuzz <that file>"; \
			echo "fuzz: 0 passed, 1 failed (log: $(FUZZ_B)/fuzz-test.log)"; exit 1; \
		fi

TEST_EXTRA += fuzz-test
.PHONY: fuzz fuzz-build fuzz-test
