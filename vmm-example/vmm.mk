# SPDX-License-Identifier: MIT
# s2vmm, the example VMM (vmm-example/), its guests, its end-to-end test
# (vmm-test, part of make test) and its demo (demo-vmm).

VMM_B := $(B)/vmm
VMM_OBJ := $(patsubst vmm-example/%.c,$(VMM_B)/%.o,$(wildcard vmm-example/*.c)) $(VMM_B)/embed.o
VMM_GUESTS := $(patsubst vmm-example/guests/%.c,$(VMM_B)/guests/%.elf,$(wildcard vmm-example/guests/*.c))
VMM_RT := $(addprefix vmm-example/guests/,rt.S rt.h abi.h guest.ld)
# Guests: freestanding, no SSE (KVM's emulator may have to run their
# loads and stores), linked at ABI_LOAD_GPA; never sanitized.
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -nostdlib -static -no-pie \
	-Wl,-T,vmm-example/guests/guest.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack

$(VMM_B)/guests/%.elf: vmm-example/guests/%.c $(VMM_RT) vmm-example/vmm.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -o $@ vmm-example/guests/rt.S $<

$(VMM_B)/%.o: vmm-example/%.c vmm-example/vmm.h vmm-example/guests/abi.h $(HEADERS) vmm-example/vmm.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -c $< -o $@

$(VMM_B)/embed.o: vmm-example/embed.S $(VMM_B)/guests/default.elf
	$(Q)$(CC) -c -DGUEST_ELF='"$(VMM_B)/guests/default.elf"' $< -o $@

$(B)/s2vmm: $(VMM_OBJ) $(B)/libs2pt.a $(VMM_GUESTS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(VMM_OBJ) $(B)/libs2pt.a $(LIB_LIBS)

vmm: $(B)/s2vmm

# End-to-end: real KVM guests; skipped (exit 0, reason printed) without /dev/kvm.
vmm-test: $(B)/s2vmm
	$(Q)sh vmm-example/e2e.sh $(B)/s2vmm $(VMM_B)/guests

# The default guest on 2 vCPUs with the balloon running under it.
demo-vmm: $(B)/s2vmm
	$(Q)$(B)/s2vmm --cpus 2 --balloon 200

TEST_EXTRA += vmm-test
.PHONY: vmm vmm-test demo-vmm
