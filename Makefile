# SPDX-License-Identifier: MIT
# s2pt: one non-recursive Makefile for the library, tests, benchmark, demo
# and install. `make V=1` shows commands; SANITIZE=address,undefined or
# SANITIZE=thread builds into build/san-*/ with that sanitizer.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
CC ?= cc
CXX ?= c++
comma := ,

VERSION_MAJOR := $(shell sed -n 's/^\#define S2PT_VERSION_MAJOR \([0-9]*\)/\1/p' include/s2pt/s2pt.h)
VERSION_MINOR := $(shell sed -n 's/^\#define S2PT_VERSION_MINOR \([0-9]*\)/\1/p' include/s2pt/s2pt.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR)

ifeq ($(SANITIZE),)
B := build
SANFLAGS :=
else
B := build/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror
OPT ?= -O2 -g
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -Iinclude -I. $(CFLAGS)
LIB_CFLAGS := $(CFLAGS_ALL) -fPIC -fvisibility=hidden -DS2PT_BUILDING
# tests use partial positional initializers for their tables of cases
TEST_CFLAGS := $(CFLAGS_ALL) -Itests -Wno-missing-field-initializers
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)
# What libs2pt needs (the default RCU flavor); every static link adds it.
LIB_LIBS := -lurcu-memb -lurcu-common -lpthread

LIB_SRC := $(wildcard core/*.c arch/*.c arch/*/*.c stage2/*.c stage2/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c tests/model/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/obj/%.o)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(B)/obj/bench/%.o)
HEADERS := $(wildcard include/s2pt/*.h)

all: $(B)/libs2pt.a $(B)/libs2pt.so $(B)/s2pt.pc

$(B)/obj/%.o: %.c $(wildcard core/*.h) $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(if $(filter tests/%,$<),$(TEST_CFLAGS),$(LIB_CFLAGS)) -MMD -c $< -o $@

# The benchmark is always optimised, whatever OPT says.
$(B)/obj/bench/%.o: %.c $(HEADERS) $(wildcard tests/bench/*.h) Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -O2 -Itests -c $< -o $@

$(B)/libs2pt.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# The version script's node must name the header's version.
$(B)/libs2pt.so: $(LIB_OBJ) libs2pt.map
	@grep -q "^LIBS2PT_$(VERSION) " libs2pt.map || \
		{ echo "libs2pt.map has no LIBS2PT_$(VERSION) node (include/s2pt/s2pt.h)"; exit 1; }
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libs2pt.so.$(VERSION_MAJOR) -Wl,--version-script=libs2pt.map \
		-Wl,--no-undefined $(LDFLAGS_ALL) -o $@.$(VERSION) $(LIB_OBJ) $(LIB_LIBS)
	$(Q)ln -sf libs2pt.so.$(VERSION) $@.$(VERSION_MAJOR) && ln -sf libs2pt.so.$(VERSION) $@

# Regenerated every time: PREFIX may differ between make and make install.
$(B)/s2pt.pc: s2pt.pc.in Makefile FORCE
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/s2pt
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/s2pt/
	install -m 644 $(B)/libs2pt.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libs2pt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libs2pt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libs2pt.so.$(VERSION_MAJOR)
	ln -sf libs2pt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libs2pt.so
	install -m 644 $(B)/s2pt.pc $(DESTDIR)$(LIBDIR)/pkgconfig/

# Tests -------------------------------------------------------------------

# Parts with their own make fragment (tests/oracle, vmm-example) add to
# TEST_EXTRA (targets make test runs after the unit tests) and DEPS_EXTRA
# (Debian packages make deps installs).
TEST_EXTRA :=
DEPS_EXTRA :=
-include $(wildcard tests/*/*.mk vmm-example/*.mk)

deps:
	$(Q)sh scripts/deps.sh $(DEPS_EXTRA)

$(B)/tests/unit: $(UNIT_OBJ) $(B)/libs2pt.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(B)/libs2pt.a -lcriterion $(LIB_LIBS)

# Each public header compiles alone, in C and in C++.
$(B)/tests/headers.ok: $(HEADERS)
	@mkdir -p $(dir $@)
	$(Q)for h in $(HEADERS); do \
		echo "#include <$${h#include/}>" | $(CC) -std=gnu11 $(WARN) -Iinclude -x c -fsyntax-only - || exit 1; \
		echo "#include <$${h#include/}>" | $(CXX) -Wall -Wextra -Werror -Iinclude -x c++ -fsyntax-only - || exit 1; \
	done; touch $@

# README's usage example, extracted and built against the shared library.
$(B)/tests/readme-example: README.md $(B)/libs2pt.so
	@mkdir -p $(dir $@)
	$(Q)sed -n '/^```c example/,/^```/p' README.md | sed '1d;$$d' > $@.c
	$(Q)$(CC) -std=gnu11 $(WARN) $(SANFLAGS) -Iinclude -o $@ $@.c -L$(B) -ls2pt -Wl,-rpath,$(abspath $(B)) \
		$(LIB_LIBS)

check-exports: $(B)/libs2pt.so
	$(Q)sh scripts/check-exports.sh $(B)/libs2pt.so

test: deps
	$(Q)$(MAKE) --no-print-directory test-run

SAN_B := build/san-address-undefined

test-run: all $(B)/tests/unit $(B)/tests/headers.ok $(B)/tests/readme-example check-exports
	$(Q)$(B)/tests/readme-example > /dev/null
	$(Q)$(B)/tests/unit -j2
ifeq ($(SANITIZE),)
	@echo "== the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (20,000 random ops per format, another seed)"
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined $(SAN_B)/tests/unit
	$(Q)LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp S2PT_OPS=20000 S2PT_SEED=2 \
		$(SAN_B)/tests/unit -j2
	@echo "== the library and unit tests build with clang too"
	$(Q)$(MAKE) --no-print-directory CC=clang B=build/clang build/clang/libs2pt.a \
		build/clang/libs2pt.so build/clang/tests/unit
endif
	$(Q)for t in $(TEST_EXTRA); do $(MAKE) --no-print-directory $$t || exit 1; done

# Benchmark ----------------------------------------------------------------

$(B)/bench/bench: $(BENCH_OBJ) $(B)/libs2pt.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(BENCH_OBJ) $(B)/libs2pt.a $(LIB_LIBS) -lm

bench: deps
	$(Q)$(MAKE) --no-print-directory $(B)/bench/bench
	$(Q)$(B)/bench/bench $(BENCH_ARGS)

# Demo -----------------------------------------------------------------------

# The example VMM (vmm-example/vmm.mk) on its built-in guest.
demo: deps
	$(Q)$(MAKE) --no-print-directory demo-vmm

# The README's usage example.
example: all $(B)/tests/readme-example
	$(Q)$(B)/tests/readme-example

clean:
	rm -rf build

.PHONY: all install deps test test-run bench demo example clean check-exports FORCE
FORCE:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
