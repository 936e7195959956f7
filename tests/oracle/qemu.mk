# SPDX-License-Identifier: MIT
# Emulated-hardware oracles for ARM stage-2 (qemu-system-aarch64) and RISC-V
# G-stage Sv39x4 / Sv48x4 (qemu-system-riscv64): host generators build the
# tables with s2pt, bare-metal checkers walk them on the emulated MMU.
# `make oracle-qemu`; a target whose emulator or cross compiler is missing
# is skipped with the reason. Included by the top Makefile.
# S2PT_ORACLE_SEED=N replays the random scenarios; S2PT_ORACLE_MUTATE=1
# falsifies every expectation (each line must then FAIL: the oracle can
# fail). Outputs and logs: $(B)/oracle/{arm64,riscv}-SCENARIO.*

DEPS_EXTRA += qemu-system-arm qemu-system-misc gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
TEST_EXTRA += oracle-qemu

CROSS_AARCH64 ?= aarch64-linux-gnu-
CROSS_RISCV64 ?= riscv64-linux-gnu-
ORACLE_TIMEOUT ?= 5

ORC_B := $(B)/oracle
ORC_DIR := tests/oracle
ORC_LDLIBS := -Wl,--as-needed $(shell pkg-config --libs liburcu-memb 2>/dev/null) -lpthread
ORC_BM_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -nostdlib -static -fno-pic \
	-fno-stack-protector -I$(ORC_DIR)/common -Wl,--no-warn-rwx-segments -Wl,--build-id=none
ORC_COMMON_BM := $(ORC_DIR)/common/bm.c $(ORC_DIR)/common/bm.h $(ORC_DIR)/common/oracle.h

# Host generators: one per target, linked with the library under test.
$(ORC_B)/arm64/gen: $(ORC_DIR)/arm64/arm.h
$(ORC_B)/riscv/gen: $(ORC_DIR)/riscv/rv.h
$(ORC_B)/%/gen: $(ORC_DIR)/%/gen.c $(ORC_DIR)/common/gen.c $(ORC_DIR)/common/gen.h \
		$(ORC_DIR)/common/oracle.h $(B)/libs2pt.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $(filter %.c,$^) $(LDFLAGS_ALL) $(B)/libs2pt.a $(ORC_LDLIBS) $(LIB_LIBS)

$(ORC_B)/arm64/checker.elf: $(ORC_DIR)/arm64/start.S $(ORC_DIR)/arm64/checker.c \
		$(ORC_DIR)/arm64/arm.h $(ORC_DIR)/arm64/link.ld $(ORC_COMMON_BM)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CROSS_AARCH64)gcc $(ORC_BM_CFLAGS) -mgeneral-regs-only -mstrict-align \
		-T $(ORC_DIR)/arm64/link.ld -o $@ $(filter %.c %.S,$^) -lgcc

$(ORC_B)/riscv/checker.elf: $(ORC_DIR)/riscv/start.S $(ORC_DIR)/riscv/checker.c \
		$(ORC_DIR)/riscv/rv.h $(ORC_DIR)/riscv/link.ld $(ORC_COMMON_BM)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CROSS_RISCV64)gcc $(ORC_BM_CFLAGS) -march=rv64gc -mabi=lp64d -mcmodel=medany \
		-T $(ORC_DIR)/riscv/link.ld -o $@ $(filter %.c %.S,$^) -lgcc

ORC_QEMU_ARM := qemu-system-aarch64 -M virt,virtualization=on -cpu max -m 128M \
	-nographic -no-reboot -kernel $(ORC_B)/arm64/checker.elf
# svpbmt=true: the library encodes S2PT_MT_NC / _DEV as Svpbmt NC / IO.
ORC_QEMU_RV := qemu-system-riscv64 -M virt -cpu rv64,h=true,svpbmt=true -m 128M \
	-bios none -nographic -no-reboot -kernel $(ORC_B)/riscv/checker.elf

# Scenarios; config block and table image addresses as in arm64/arm.h
# (ARM_CFG_PA, ARM_IMG_PA) and riscv/rv.h (RV_CFG_PA, RV_IMG_PA).
ORC_ARM_SCN := ipa40 ipa48 random
ORC_RV_SCN := sv39x4 sv48x4 random

# The targets whose emulator and cross compiler are both here.
orc_have = $(shell command -v $(1) >/dev/null 2>&1 && command -v $(2)gcc >/dev/null 2>&1 && echo yes)

oracle-qemu:
	$(Q)$(MAKE) --no-print-directory oracle-qemu-run \
		ORC_ARM=$(call orc_have,qemu-system-aarch64,$(CROSS_AARCH64)) \
		ORC_RV=$(call orc_have,qemu-system-riscv64,$(CROSS_RISCV64))

oracle-qemu-run: $(if $(ORC_ARM),$(ORC_B)/arm64/gen $(ORC_B)/arm64/checker.elf) \
		$(if $(ORC_RV),$(ORC_B)/riscv/gen $(ORC_B)/riscv/checker.elf)
	@mkdir -p $(ORC_B) && rm -f $(ORC_B)/arm64-*.log $(ORC_B)/riscv-*.log
	$(Q){ true; \
	$(if $(ORC_ARM),for s in $(ORC_ARM_SCN); do \
		sh $(ORC_DIR)/common/run.sh $(ORC_B)/arm64-$$s $(ORC_B)/arm64/gen $$s \
			0x42000000 0x44000000 $(ORACLE_TIMEOUT) $(ORC_QEMU_ARM); done;) \
	$(if $(ORC_RV),for s in $(ORC_RV_SCN); do \
		sh $(ORC_DIR)/common/run.sh $(ORC_B)/riscv-$$s $(ORC_B)/riscv/gen $$s \
			0x82000000 0x84000000 $(ORACLE_TIMEOUT) $(ORC_QEMU_RV); done;) \
	} | tee $(ORC_B)/oracle-qemu.out
	$(if $(ORC_ARM),,@echo "skipped: ARM stage-2 oracle (needs qemu-system-aarch64 and $(CROSS_AARCH64)gcc: make deps)")
	$(if $(ORC_RV),,@echo "skipped: RISC-V G-stage oracle (needs qemu-system-riscv64 and $(CROSS_RISCV64)gcc: make deps)")
	@p=$$(grep -c '^PASS ' $(ORC_B)/oracle-qemu.out); f=$$(grep -c '^FAIL ' $(ORC_B)/oracle-qemu.out); \
	echo "$$p passed, $$f failed"; test "$$f" = 0

oracle: oracle-qemu

.PHONY: oracle oracle-qemu oracle-qemu-run
