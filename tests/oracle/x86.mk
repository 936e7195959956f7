# SPDX-License-Identifier: MIT
# x86 oracles (issue 5): AMD NPT under qemu-system-x86_64 (TCG) and Intel EPT
# under bochs. `make oracle-x86` builds the host generator (against
# libs2pt.a), the bare-metal checkers and the bochs boot floppy, then runs
# every scenario (tests/oracle/x86/run.sh).

DEPS_EXTRA += qemu-system-x86 bochs bochsbios vgabios

X86O := tests/oracle/x86
X86O_B := $(B)/oracle/x86
X86O_LIBS := -Wl,--as-needed $(shell pkg-config --libs liburcu-memb 2>/dev/null) -lpthread
# Bare metal: no libc, no SSE (CR4.OSFXSR stays 0), no red zone (host
# exceptions), absolute addresses below 2 GiB.
X86O_BM_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-builtin -I$(X86O)
X86O_BM_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
X86O_BM_COMMON := $(X86O)/start.S $(X86O)/checker.c $(X86O)/checker.h $(X86O)/x86o.h \
	$(X86O)/checker.ld tests/oracle/common/bm.c tests/oracle/common/bm.h \
	tests/oracle/common/oracle.h

$(X86O_B)/x86-gen: $(X86O)/gen.c $(X86O)/x86o.h tests/oracle/common/gen.c \
		tests/oracle/common/gen.h tests/oracle/common/oracle.h $(B)/libs2pt.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $(X86O)/gen.c tests/oracle/common/gen.c \
		$(LDFLAGS_ALL) $(B)/libs2pt.a $(X86O_LIBS) $(LIB_LIBS)

# One 64-bit ELF per target: a 32-bit entry (.code32, multiboot header)
# switches to long mode; the guest's code is 32-bit too.
$(X86O_B)/checker-npt.elf: $(X86O_BM_COMMON) $(X86O)/svm.c
$(X86O_B)/checker-ept.elf: $(X86O_BM_COMMON) $(X86O)/vmx.c
$(X86O_B)/checker-%.elf:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -m64 $(X86O_BM_CFLAGS) -DX86O_$(if $(filter npt,$*),SVM,VMX) $(X86O_BM_LDFLAGS) \
		-T $(X86O)/checker.ld -o $@ $(X86O)/start.S $(X86O)/checker.c \
		$(X86O)/$(if $(filter npt,$*),svm,vmx).c tests/oracle/common/bm.c

$(X86O_B)/checker-%.bin: $(X86O_B)/checker-%.elf
	$(Q)objcopy -O binary $< $@

# bochs boots a 1.44 MB floppy whose boot sector enters protected mode.
$(X86O_B)/boot.img: $(X86O)/bootsect.S $(X86O)/bootsect.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -m32 -ffreestanding -nostdlib -static -no-pie -Wl,--build-id=none \
		-T $(X86O)/bootsect.ld -o $@.elf $(X86O)/bootsect.S
	$(Q)objcopy -O binary $@.elf $@ && truncate -s 1474560 $@

oracle-x86-build: $(X86O_B)/x86-gen $(X86O_B)/checker-npt.bin $(X86O_B)/checker-ept.bin \
	$(X86O_B)/boot.img

oracle-x86: oracle-x86-build
	$(Q)sh $(X86O)/run.sh $(X86O_B) npt ept

TEST_EXTRA += oracle-x86
oracle: oracle-x86
.PHONY: oracle oracle-x86 oracle-x86-build
