// SPDX-License-Identifier: MIT
/*
 * Intel VMX with EPT (SDM vol. 3C ch. 24-29) for the EPT checker: VMXON, one
 * VMCS whose EPTP is the table under test, an unrestricted 32-bit guest
 * with paging off.
 */
#include "checker.h"

const char x86o_target[] = "ept";
const uint8_t x86o_hypercall[3] = { 0x0f, 0x01, 0xc1 };	/* VMCALL */
const uint64_t x86o_info_mask = X86O_EPT_QUAL_MASK;
const uint64_t x86o_dirty_bit = 1ull << 9;		/* SDM vol. 3C §29.3.5 */

struct vmx_gprs {
	uint64_t rax, rbx, rcx;
};

int vmx_enter(struct vmx_gprs *g, int resume);

/* MSRs (SDM vol. 4, and vol. 3D appendix A). */
#define MSR_FEATURE_CONTROL	0x03a
#define MSR_VMX_BASIC		0x480
#define MSR_VMX_PINBASED	0x481
#define MSR_VMX_PROCBASED	0x482
#define MSR_VMX_EXIT		0x483
#define MSR_VMX_ENTRY		0x484
#define MSR_VMX_CR0_FIXED0	0x486
#define MSR_VMX_CR0_FIXED1	0x487
#define MSR_VMX_CR4_FIXED0	0x488
#define MSR_VMX_CR4_FIXED1	0x489
#define MSR_VMX_PROCBASED2	0x48b
#define MSR_VMX_EPT_VPID_CAP	0x48c
#define MSR_VMX_TRUE_PINBASED	0x48d
#define MSR_VMX_TRUE_PROCBASED	0x48e
#define MSR_VMX_TRUE_EXIT	0x48f
#define MSR_VMX_TRUE_ENTRY	0x490
#define MSR_EFER		0xc0000080

/* VMCS field encodings (SDM vol. 3D appendix B). */
enum {
	GUEST_ES_SEL = 0x800, GUEST_CS_SEL = 0x802, GUEST_SS_SEL = 0x804, GUEST_DS_SEL = 0x806,
	GUEST_FS_SEL = 0x808, GUEST_GS_SEL = 0x80a, GUEST_LDTR_SEL = 0x80c, GUEST_TR_SEL = 0x80e,
	HOST_ES_SEL = 0xc00, HOST_CS_SEL = 0xc02, HOST_SS_SEL = 0xc04, HOST_DS_SEL = 0xc06,
	HOST_FS_SEL = 0xc08, HOST_GS_SEL = 0xc0a, HOST_TR_SEL = 0xc0c,
	EPT_POINTER = 0x201a,
	GUEST_PHYS_ADDR = 0x2400,
	VMCS_LINK_PTR = 0x2800, GUEST_DEBUGCTL = 0x2802, GUEST_EFER = 0x2806,
	HOST_EFER = 0x2c02,
	PIN_CTLS = 0x4000, PROC_CTLS = 0x4002, EXC_BITMAP = 0x4004, CR3_TARGET_COUNT = 0x400a,
	EXIT_CTLS = 0x400c, EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010,
	ENTRY_CTLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016,
	PROC_CTLS2 = 0x401e,
	VM_INSTR_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
	GUEST_ES_LIMIT = 0x4800, GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814, GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826,
	GUEST_SYSENTER_CS = 0x482a, HOST_SYSENTER_CS = 0x4c00,
	CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_SHADOW = 0x6004, CR4_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDR = 0x640a,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
	GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c, GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
};

#define PROC_HLT		(1u << 7)
#define PROC_SECONDARY		(1u << 31)
#define PROC2_EPT		(1u << 1)
#define PROC2_UNRESTRICTED	(1u << 7)
#define EXIT_HOST_64		(1u << 9)
#define EXIT_SAVE_EFER		(1u << 20)
#define EXIT_LOAD_EFER		(1u << 21)
#define ENTRY_LOAD_EFER		(1u << 15)

#define EXIT_EXCEPTION		0
#define EXIT_VMCALL		18
#define EXIT_EPT_VIOLATION	48
#define EXIT_EPT_MISCONFIG	49

/* IA32_VMX_EPT_VPID_CAP bits the scenarios rely on (SDM vol. 3D A.10). */
#define CAP_XONLY		(1ull << 0)
#define CAP_PWL4		(1ull << 6)
#define CAP_WB			(1ull << 14)
#define CAP_2M			(1ull << 16)
#define CAP_1G			(1ull << 17)

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
static uint8_t vmcs[4096] __attribute__((aligned(4096)));
static uint8_t tss[104] __attribute__((aligned(16)));
static int launched;

/* VMX instructions report failure in CF (VMfailInvalid) or ZF (VMfailValid). */
static int vmx_insn_failed(uint8_t cf, uint8_t zf)
{
	return cf || zf;
}

static int vmxon(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	return vmx_insn_failed(cf, zf);
}

static int vmclear(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	return vmx_insn_failed(cf, zf);
}

static int vmptrld(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	return vmx_insn_failed(cf, zf);
}

static uint64_t vmread(uint64_t field)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static int vmwrite_failed;

static void vmwrite(uint64_t field, uint64_t v)
{
	uint8_t cf, zf;

	__asm__ volatile("vmwrite %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "r"(v), "r"(field) : "memory");
	if (vmx_insn_failed(cf, zf) && !vmwrite_failed) {
		vmwrite_failed = 1;
		x86o_fail("VMWRITE failed, field", field);
	}
}

/* Bits a control must have (low half of the capability MSR) and may have
 * (high half), SDM vol. 3D A.3-A.5. Return -1 if @want is not allowed. */
static int adjust(uint32_t msr, uint32_t want, uint32_t *out)
{
	uint64_t cap = rdmsr(msr);
	uint32_t v = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);

	*out = v;
	if ((v & want) != want) {
		x86o_fail("VMX control not allowed, MSR", msr);
		x86o_fail("  wanted", want);
		x86o_fail("  allowed", cap);
		return -1;
	}
	return 0;
}

static uint64_t read_cr(int n)
{
	uint64_t v = 0;

	if (n == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else if (n == 3)
		__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void host_state(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d;
	uint64_t tb = (uintptr_t)tss;

	/* 64-bit available TSS descriptor at selector 0x20 (SDM 3A §8.2.3) */
	host_gdt[4] = (sizeof(tss) - 1) | (tb & 0xffffff) << 16 | 0x89ull << 40 |
		      (tb >> 24 & 0xff) << 56;
	host_gdt[5] = tb >> 32;
	__asm__ volatile("ltr %w0" : : "r"(0x20));
	vmwrite(HOST_CR0, read_cr(0));
	vmwrite(HOST_CR3, read_cr(3));
	vmwrite(HOST_CR4, read_cr(4));
	vmwrite(HOST_CS_SEL, 0x18);
	vmwrite(HOST_SS_SEL, 0x10);
	vmwrite(HOST_DS_SEL, 0x10);
	vmwrite(HOST_ES_SEL, 0x10);
	vmwrite(HOST_FS_SEL, 0);
	vmwrite(HOST_GS_SEL, 0);
	vmwrite(HOST_TR_SEL, 0x20);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, 0);
	vmwrite(HOST_TR_BASE, tb);
	__asm__ volatile("sgdt %0" : "=m"(d));
	vmwrite(HOST_GDTR_BASE, d.base);
	__asm__ volatile("sidt %0" : "=m"(d));
	vmwrite(HOST_IDTR_BASE, d.base);
	vmwrite(HOST_SYSENTER_CS, 0);
	vmwrite(HOST_SYSENTER_ESP, 0);
	vmwrite(HOST_SYSENTER_EIP, 0);
	vmwrite(HOST_EFER, rdmsr(MSR_EFER));
}

/* Flat 32-bit protected mode, paging off: a linear address is the GPA.
 * Unrestricted guest allows CR0.PG = 0 with PE = 1 (SDM 3C §26.3.1.1). */
static void guest_state(void)
{
	for (unsigned s = 0; s < 6; s++) {
		vmwrite(GUEST_ES_SEL + 2 * s, s == 1 ? 0x08 : 0x10);
		vmwrite(GUEST_ES_LIMIT + 2 * s, 0xffffffff);
		vmwrite(GUEST_ES_AR + 2 * s, s == 1 ? 0xc09b : 0xc093);
		vmwrite(GUEST_ES_BASE + 2 * s, 0);
	}
	vmwrite(GUEST_LDTR_SEL, 0);
	vmwrite(GUEST_ES_LIMIT + 12, 0);
	vmwrite(GUEST_ES_AR + 12, 0x10000);	/* unusable */
	vmwrite(GUEST_ES_BASE + 12, 0);
	vmwrite(GUEST_TR_SEL, 0x28);
	vmwrite(GUEST_ES_LIMIT + 14, 0x67);
	vmwrite(GUEST_ES_AR + 14, 0x8b);	/* busy 32-bit TSS */
	vmwrite(GUEST_ES_BASE + 14, 0);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(GUEST_GDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0xffff);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_CR0, 0x31);		/* PE | ET | NE */
	vmwrite(GUEST_CR3, 0);
	vmwrite(GUEST_CR4, 0x2000);		/* VMXE, fixed to 1 */
	vmwrite(CR0_MASK, 0);
	vmwrite(CR4_MASK, 0);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_DEBUGCTL, 0);
	vmwrite(GUEST_EFER, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_LINK_PTR, ~0ull);
}

int hv_init(const struct orc_cfg *c)
{
	uint64_t basic, cap, fc, cr0, cr4;
	uint32_t r[4], pin, proc, proc2, exit, entry;
	int truectl;

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 5))) {
		x86o_fail("no VMX (CPUID.1 ECX bit 5)", r[2]);
		return -1;
	}
	fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & 1))
		wrmsr(MSR_FEATURE_CONTROL, fc | 5);	/* lock, VMXON outside SMX */
	else if (!(fc & 4)) {
		x86o_fail("IA32_FEATURE_CONTROL locked without VMX", fc);
		return -1;
	}
	cr0 = read_cr(0);
	cr0 = (cr0 | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	cr4 = read_cr(4) | 0x2000;			/* VMXE */
	cr4 = (cr4 | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));

	basic = rdmsr(MSR_VMX_BASIC);
	*(uint32_t *)vmxon_region = (uint32_t)basic & 0x7fffffff;
	*(uint32_t *)vmcs = (uint32_t)basic & 0x7fffffff;
	if (vmxon((uintptr_t)vmxon_region)) {
		x86o_fail("VMXON failed, IA32_VMX_BASIC", basic);
		return -1;
	}
	if (vmclear((uintptr_t)vmcs) || vmptrld((uintptr_t)vmcs)) {
		x86o_fail("VMCLEAR / VMPTRLD failed", (uintptr_t)vmcs);
		return -1;
	}
	cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
	bm_puts("ept checker: IA32_VMX_EPT_VPID_CAP ");
	bm_hex(cap);
	bm_putc('\n');
	if ((cap & (CAP_XONLY | CAP_PWL4 | CAP_WB | CAP_2M | CAP_1G)) !=
	    (CAP_XONLY | CAP_PWL4 | CAP_WB | CAP_2M | CAP_1G)) {
		x86o_fail("EPT lacks execute-only / 4-level / WB / 2M / 1G", cap);
		return -1;
	}
	truectl = (basic >> 55) & 1;
	if (adjust(truectl ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED, 0, &pin) ||
	    adjust(truectl ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED,
		   PROC_HLT | PROC_SECONDARY, &proc) ||
	    adjust(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_UNRESTRICTED, &proc2) ||
	    adjust(truectl ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT,
		   EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER, &exit) ||
	    adjust(truectl ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY, ENTRY_LOAD_EFER, &entry))
		return -1;
	vmwrite(PIN_CTLS, pin);
	vmwrite(PROC_CTLS, proc);
	vmwrite(PROC_CTLS2, proc2);
	vmwrite(EXIT_CTLS, exit);
	vmwrite(ENTRY_CTLS, entry);
	vmwrite(EXC_BITMAP, 0xffffffff);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(EXIT_MSR_STORE_COUNT, 0);
	vmwrite(EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_INTR_INFO, 0);
	vmwrite(EPT_POINTER, c->reg[X86O_REG_ROOT]);
	host_state();
	guest_state();
	return vmwrite_failed ? -1 : 0;
}

int hv_run(uint64_t rip, uint64_t rbx, uint64_t rcx, struct x86o_exit *e)
{
	struct vmx_gprs g = { 0, rbx, rcx };
	uint64_t reason;

	vmwrite(GUEST_RIP, rip);
	vmwrite(GUEST_RSP, 0);
	vmwrite(GUEST_RFLAGS, 2);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_ACTIVITY, 0);
	if (vmx_enter(&g, launched)) {
		bm_puts(" VMLAUNCH/VMRESUME failed, VM-instruction error ");
		bm_dec(vmread(VM_INSTR_ERROR));
		return -1;
	}
	reason = vmread(EXIT_REASON);
	if (reason & (1ull << 31)) {
		bm_puts(" VM entry failed, exit reason ");
		bm_hex(reason);
		bm_puts(" qualification ");
		bm_hex(vmread(EXIT_QUALIFICATION));
		return -1;
	}
	launched = 1;
	e->code = reason & 0xffff;
	e->rax = g.rax;
	e->info = vmread(EXIT_QUALIFICATION);
	e->gpa = vmread(GUEST_PHYS_ADDR);
	e->gla = vmread(GUEST_LINEAR_ADDR);
	e->rip = vmread(GUEST_RIP);
	switch (e->code) {
	case EXIT_VMCALL:
		e->kind = X86O_EXIT_CALL;
		break;
	case EXIT_EPT_VIOLATION:
		e->kind = X86O_EXIT_FAULT;
		/* the linear-address field is valid only with bit 7 */
		if (!(e->info & X86O_EQ_GLA))
			e->gla = ~0ull;
		break;
	case EXIT_EPT_MISCONFIG:
		e->kind = X86O_EXIT_MISCONF;
		e->gla = ~0ull;
		break;
	default:
		e->kind = X86O_EXIT_OTHER;
		if (e->code == EXIT_EXCEPTION)
			e->info = vmread(EXIT_INTR_INFO);
		break;
	}
	return 0;
}
