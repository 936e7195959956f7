// SPDX-License-Identifier: MIT
/*
 * RISC-V G-stage checker: runs in M-mode on qemu-system-riscv64 -cpu
 * rv64,h=true, loads hgatp from the config block (vsatp Bare) and checks
 * each vector with HLV.D / HSV.D / HLVX.WU (hstatus.SPVP = 1, so they act
 * as VS-mode accesses) or a real VS-mode access.
 *
 * Privileged ISA 20211203, chapter 8 "Hypervisor Extension": §8.5.1
 * "Guest Physical Address Translation"; mcause 20 / 21 / 23 instruction /
 * load / store-AMO guest-page fault (§3.1.15 table "Machine cause register
 * values", §8.6 "Traps"); mtval2 = GPA >> 2 ("Machine Second Trap Value
 * Register"). A guest-page fault does not tell the level, nor whether the
 * entry was missing or lacked permission: a fault vector checks the cause,
 * mtval, mtval2 (and mstatus.GVA, see check_fault).
 */
#include <stdint.h>
#include "../common/bm.h"
#include "rv.h"

uint64_t guest_call(uint64_t gpa, uint64_t op, uint64_t val, uint64_t out[5]);
void checker_main(void);
void checker_crash(uint64_t cause, uint64_t epc, uint64_t tval);
void power_off(void);

/* Filled by the trap handler when an armed probe faults. */
struct trap_info {
	uint64_t cause, tval, tval2, mstatus, armed;
};
struct trap_info trap_info;

#define CSR_W(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define CSR_R(csr) ({ uint64_t _v; __asm__ volatile("csrr %0, " #csr : "=r"(_v)); _v; })
#define CSR_S(csr, v) __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

#define CAUSE_FETCH_GPF	20
#define CAUSE_LOAD_GPF	21
#define CAUSE_STORE_GPF	23
#define CAUSE_VS_ECALL	10
#define MSTATUS_GVA	(1ull << 38)
#define HSTATUS_SPVP	(1ull << 8)
#define MENVCFG_PBMTE	(1ull << 62)

/* GCC 12 rejects "h" in -march; the assembler takes it per instruction. */
#define H_INSN(insn) ".option push\n.option arch, +h\n" insn "\n.option pop"

void bm_raw_putc(char c)
{
	*(volatile uint8_t *)RV_UART_PA = (uint8_t)c;
}

void checker_crash(uint64_t cause, uint64_t epc, uint64_t tval)
{
	bm_puts("FAIL riscv checker: unexpected trap in M-mode mcause=");
	bm_hex(cause);
	bm_puts(" mepc=");
	bm_hex(epc);
	bm_puts(" mtval=");
	bm_hex(tval);
	bm_puts("\nORACLE-DONE\n");
}

static int in_data(uint64_t pa)
{
	return pa >= RV_DATA_PA && pa < RV_RAM_PA + RV_RAM_SIZE;
}

static int in_ram(uint64_t pa)
{
	return pa >= RV_RAM_PA && pa < RV_RAM_PA + RV_RAM_SIZE;
}

static uint64_t want_cause(uint32_t acc)
{
	return acc == ORC_ACC_W ? CAUSE_STORE_GPF : acc == ORC_ACC_X ? CAUSE_FETCH_GPF : CAUSE_LOAD_GPF;
}

/*
 * The fault side of a vector: cause, mtval = the address (vsatp Bare: GVA
 * = GPA), mtval2 = GPA >> 2, and mstatus.GVA = 1 since mtval holds a guest
 * virtual address (§8.4.1 "Machine Status Registers"). QEMU 7.2 writes
 * GVA only for traps taken from V = 1: after an HLV/HSV fault in M-mode it
 * keeps the previous trap's value, so @gva_checked is 0 for probes.
 */
static int check_fault(uint32_t acc, uint64_t gpa, uint64_t cause, uint64_t tval,
		       uint64_t tval2, uint64_t mstatus, int gva_checked)
{
	bm_puts(" mcause=");
	bm_dec(cause);
	bm_puts(" mtval=");
	bm_hex(tval);
	bm_puts(" mtval2=");
	bm_hex(tval2);
	if (gva_checked)
		bm_puts(mstatus & MSTATUS_GVA ? " gva=1" : " gva=0");
	if (cause != want_cause(acc) || tval != gpa || tval2 != gpa >> 2)
		return 0;
	return !gva_checked || (mstatus & MSTATUS_GVA);
}

/* Plant a known value at the expected output address and return it: what
 * a read must see. Only data pages are written; elsewhere in RAM the
 * current contents are expected. */
static uint64_t expect_value(const struct orc_vec *v, int *known)
{
	volatile uint64_t *pa = (volatile uint64_t *)(v->oa & ~7ull);

	*known = 0;
	if (v->expect != ORC_OK || !in_ram(v->oa))
		return 0;
	*known = 1;
	if (in_data(v->oa))
		*pa = v->ia ^ 0x5a5aa5a5c3c33c3cull;
	return *pa;
}

static int check_probe(const struct orc_vec *v)
{
	uint32_t acc = v->access & ORC_ACC_MASK;
	uint64_t gpa = v->ia & ~7ull, got = 0, want, val = v->ia ^ 0x0f0f0f0ff0f0f0f0ull;
	volatile uint64_t *pa = (volatile uint64_t *)(v->oa & ~7ull);
	int known;

	if (v->expect == ORC_OK && acc == ORC_ACC_W && !in_data(v->oa)) {
		bm_puts(" refused: a write outside the data pages");
		return 0;
	}
	want = expect_value(v, &known);
	trap_info.cause = 0;
	trap_info.armed = 1;
	if (acc == ORC_ACC_R)
		__asm__ volatile(H_INSN("hlv.d %0, (%1)") : "+r"(got) : "r"(gpa) : "memory");
	else if (acc == ORC_ACC_W)
		__asm__ volatile(H_INSN("hsv.d %0, (%1)") : : "r"(val), "r"(gpa) : "memory");
	else
		__asm__ volatile(H_INSN("hlvx.wu %0, (%1)") : "+r"(got) : "r"(gpa) : "memory");
	trap_info.armed = 0;
	if (v->expect != ORC_OK)
		return trap_info.cause &&
		       check_fault(acc, gpa, trap_info.cause, trap_info.tval, trap_info.tval2,
				   trap_info.mstatus, 0);
	if (trap_info.cause) {
		bm_puts(" mcause=");
		bm_dec(trap_info.cause);
		return 0;
	}
	bm_puts(" got=");
	bm_hex(got);
	if (acc == ORC_ACC_W)
		return !in_data(v->oa) || *pa == val;
	if (acc == ORC_ACC_X)
		want &= 0xffffffffull;
	return !known || got == want;
}

static int check_guest(const struct orc_vec *v)
{
	uint32_t acc = v->access & ORC_ACC_MASK;
	uint64_t gpa = v->ia & ~7ull, val = v->ia ^ 0x0f0f0f0ff0f0f0f0ull, out[5] = { 0 }, want;
	volatile uint64_t *pa = (volatile uint64_t *)(v->oa & ~7ull);
	int known;

	if (v->expect == ORC_OK && acc != ORC_ACC_R && !in_data(v->oa)) {
		bm_puts(" refused: a write or fetch outside the data pages");
		return 0;
	}
	want = expect_value(v, &known);
	if (v->expect == ORC_OK && acc == ORC_ACC_X) {
		*(volatile uint32_t *)pa = 0x00008067;	/* ret */
		__asm__ volatile("fence.i" ::: "memory");
	}
	guest_call(gpa, acc == ORC_ACC_R ? 1 : acc == ORC_ACC_W ? 2 : 3, val, out);
	if (v->expect != ORC_OK)
		return check_fault(acc, gpa, out[0], out[1], out[2], out[4], 1);
	bm_puts(" mcause=");
	bm_dec(out[0]);
	if (out[0] != CAUSE_VS_ECALL)
		return 0;
	if (acc == ORC_ACC_R)
		return !known || out[3] == want;
	if (acc == ORC_ACC_W)
		return !in_data(v->oa) || *pa == val;
	return 1;
}

void checker_main(void)
{
	const struct orc_cfg *c = (const struct orc_cfg *)RV_CFG_PA;
	uint64_t hgatp;

	if (bm_cfg_check(c)) {
		bm_puts("ORACLE-DONE\n");
		return;
	}
	/* Svpbmt for G-stage leaves is enabled by menvcfg.PBMTE (Svpbmt
	 * chapter; QEMU: -cpu ...,svpbmt=true). */
	CSR_S(0x30a, MENVCFG_PBMTE);
	CSR_W(vsatp, 0);
	CSR_S(hstatus, HSTATUS_SPVP);
	CSR_W(hgatp, c->reg[RV_REG_HGATP]);
	__asm__ volatile(H_INSN("hfence.gvma zero, zero") ::: "memory");
	hgatp = CSR_R(hgatp);
	bm_puts("riscv: ");
	bm_puts(c->scenario);
	bm_puts(" hgatp=");
	bm_hex(c->reg[RV_REG_HGATP]);
	bm_puts(" read back ");
	bm_hex(hgatp);
	bm_puts(" menvcfg=");
	bm_hex(CSR_R(0x30a));
	bm_puts("\n");
	if (hgatp != c->reg[RV_REG_HGATP]) {
		bm_puts("FAIL riscv: hgatp did not take the value (MODE or PPN not supported)\n");
		bm_summary("riscv");
		return;
	}

	for (uint32_t i = 0; i < c->nvec; i++) {
		const struct orc_vec *v = &c->vec[i];

		bm_vec_begin(c, i);
		bm_vec_end((v->access & ORC_VIA_MASK) == ORC_VIA_GUEST ? check_guest(v) : check_probe(v));
	}
	bm_summary("riscv");
}
