// SPDX-License-Identifier: MIT
/*
 * AMD SVM with nested paging (APM vol. 2 ch. 15) for the NPT checker: one
 * VMCB whose nCR3 is the table under test, a 32-bit guest with paging off.
 */
#include "checker.h"

const char x86o_target[] = "npt";
const uint8_t x86o_hypercall[3] = { 0x0f, 0x01, 0xd9 };	/* VMMCALL */
const uint64_t x86o_info_mask = ~0ull;			/* all of EXITINFO1 */
const uint64_t x86o_dirty_bit = 1ull << 6;		/* APM vol. 2 §5.4.2 */

/* VMCB offsets, APM vol. 2 Appendix B (Tables B-1, B-2). */
#define VMCB_INTERCEPT_EXC	0x008
#define VMCB_INTERCEPT_MISC1	0x00c
#define VMCB_INTERCEPT_MISC2	0x010
#define VMCB_ASID		0x058
#define VMCB_TLB_CONTROL	0x05c
#define VMCB_EXITCODE		0x070
#define VMCB_EXITINFO1		0x078
#define VMCB_EXITINFO2		0x080
#define VMCB_NP_ENABLE		0x090
#define VMCB_N_CR3		0x0b0
#define VMCB_ES			0x400	/* segments: 16 bytes each, ES CS SS DS FS GS */
#define VMCB_GDTR		0x460
#define VMCB_LDTR		0x470
#define VMCB_IDTR		0x480
#define VMCB_TR			0x490
#define VMCB_CPL		0x4cb
#define VMCB_EFER		0x4d0
#define VMCB_CR4		0x548
#define VMCB_CR3		0x550
#define VMCB_CR0		0x558
#define VMCB_DR7		0x560
#define VMCB_DR6		0x568
#define VMCB_RFLAGS		0x570
#define VMCB_RIP		0x578
#define VMCB_RSP		0x5d8
#define VMCB_RAX		0x5f8
#define VMCB_G_PAT		0x668

#define MISC1_HLT		(1u << 24)
#define MISC1_SHUTDOWN		(1u << 31)
#define MISC2_VMRUN		(1u << 0)
#define MISC2_VMMCALL		(1u << 1)

#define EXIT_VMMCALL		0x81
#define EXIT_NPF		0x400

#define MSR_EFER		0xc0000080
#define MSR_VM_HSAVE_PA		0xc0010117
#define EFER_SVME		(1ull << 12)
#define EFER_NXE		(1ull << 11)

static uint8_t vmcb[4096] __attribute__((aligned(4096)));
static uint8_t hsave[4096] __attribute__((aligned(4096)));
static uint64_t ncr3;

#define F8(o)	(*(volatile uint8_t *)(vmcb + (o)))
#define F16(o)	(*(volatile uint16_t *)(vmcb + (o)))
#define F32(o)	(*(volatile uint32_t *)(vmcb + (o)))
#define F64(o)	(*(volatile uint64_t *)(vmcb + (o)))

/* A segment register in the VMCB: selector, attributes (descriptor bits
 * 47:40 and 55:52 packed), limit, base. */
static void seg(unsigned off, uint16_t sel, uint16_t attr, uint32_t limit)
{
	F16(off) = sel;
	F16(off + 2) = attr;
	F32(off + 4) = limit;
	F64(off + 8) = 0;
}

int hv_init(const struct orc_cfg *c)
{
	uint32_t r[4];

	cpuid(0x80000001, 0, r);
	if (!(r[2] & (1u << 2))) {
		x86o_fail("no SVM (CPUID 8000_0001h ECX bit 2)", r[2]);
		return -1;
	}
	cpuid(0x8000000a, 0, r);
	if (!(r[3] & 1)) {
		x86o_fail("no nested paging (CPUID 8000_000Ah EDX bit 0)", r[3]);
		return -1;
	}
	ncr3 = c->reg[X86O_REG_ROOT];
	/* NXE: NX is honoured in nested tables only with the host's EFER.NXE
	 * (APM §15.25.7); start.S sets it, check it. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	wrmsr(MSR_VM_HSAVE_PA, (uintptr_t)hsave);
	return 0;
}

/* A fresh VMCB for each run: flat 32-bit protected mode, paging off, so a
 * linear address is the guest-physical address. */
static void vmcb_setup(uint64_t rip)
{
	memset(vmcb, 0, sizeof(vmcb));
	F32(VMCB_INTERCEPT_EXC) = 0xffffffffu;
	F32(VMCB_INTERCEPT_MISC1) = MISC1_HLT | MISC1_SHUTDOWN;
	F32(VMCB_INTERCEPT_MISC2) = MISC2_VMRUN | MISC2_VMMCALL;
	F32(VMCB_ASID) = 1;
	F8(VMCB_TLB_CONTROL) = 1;	/* flush this guest's TLB on VMRUN */
	F64(VMCB_NP_ENABLE) = 1;
	F64(VMCB_N_CR3) = ncr3;
	for (unsigned s = 0; s < 6; s++)
		seg(VMCB_ES + 16 * s, s == 1 ? 0x08 : 0x10, s == 1 ? 0xc9b : 0xc93, 0xffffffffu);
	seg(VMCB_GDTR, 0, 0, 0xffff);
	seg(VMCB_IDTR, 0, 0, 0xffff);
	seg(VMCB_LDTR, 0, 0x082, 0xffff);
	seg(VMCB_TR, 0, 0x08b, 0xffff);
	F8(VMCB_CPL) = 0;
	F64(VMCB_EFER) = EFER_SVME;
	F64(VMCB_CR0) = 0x31;		/* PE | ET | NE, PG = 0 */
	F64(VMCB_CR3) = 0;
	F64(VMCB_CR4) = 0;
	F64(VMCB_DR7) = 0x400;
	F64(VMCB_DR6) = 0xffff0ff0;
	F64(VMCB_RFLAGS) = 2;
	F64(VMCB_RIP) = rip;
	F64(VMCB_RSP) = 0;
	F64(VMCB_RAX) = 0;
	F64(VMCB_G_PAT) = 0x0007040600070406ull;
}

int hv_run(uint64_t rip, uint64_t rbx, uint64_t rcx, struct x86o_exit *e)
{
	uint64_t pa = (uintptr_t)vmcb;

	vmcb_setup(rip);
	/* VMRUN restores the host's RAX, RSP and RIP on #VMEXIT; every other
	 * general register holds what the guest left in it. */
	__asm__ volatile("push %%rbp\n\tvmrun\n\tpop %%rbp"
			 : "+a"(pa), "+b"(rbx), "+c"(rcx)
			 :
			 : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
			   "r15", "memory", "cc");
	e->code = F64(VMCB_EXITCODE);
	e->rax = F64(VMCB_RAX);
	e->info = F64(VMCB_EXITINFO1);
	e->gpa = F64(VMCB_EXITINFO2);
	e->gla = ~0ull;
	e->rip = F64(VMCB_RIP);
	e->kind = e->code == EXIT_VMMCALL ? X86O_EXIT_CALL :
		  e->code == EXIT_NPF ? X86O_EXIT_FAULT : X86O_EXIT_OTHER;
	return 0;
}
