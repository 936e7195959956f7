// SPDX-License-Identifier: MIT
/*
 * ARM stage-2 checker: runs at EL2 on qemu-system-aarch64 -M
 * virt,virtualization=on, loads VTCR_EL2 / VTTBR_EL2 from the config block
 * and checks each vector with AT S12E1R/W (PAR_EL1) or a real EL1 access
 * (ESR_EL2, FAR_EL2, HPFAR_EL2 on the stage-2 abort). A read is checked
 * against a value planted at the expected output address, a write by
 * reading it back, a fetch by running a "ret" planted there; reads of
 * device registers (outside RAM) are checked for not faulting only.
 */
#include <stdint.h>
#include "../common/bm.h"
#include "arm.h"

uint64_t guest_call(uint64_t ia, uint64_t op, uint64_t val, uint64_t out[4]);
void checker_main(uint64_t el);
void checker_crash(uint64_t esr, uint64_t elr, uint64_t far);
extern char el1_vectors[];

#define SYSREG_W(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")
#define SYSREG_R(r) ({ uint64_t _v; __asm__ volatile("mrs %0, " #r : "=r"(_v)); _v; })

#define HCR_VM		(1ull << 0)
#define HCR_DC		(1ull << 12)
#define HCR_RW		(1ull << 31)
#define SCTLR_EL1_OFF	0x30D00800ull	/* RES1 bits, MMU and caches off */

#define ESR_EC(e)	(((e) >> 26) & 0x3f)
#define EC_HVC		0x16
#define EC_IABT_LOW	0x20
#define EC_DABT_LOW	0x24
#define ESR_WNR		(1ull << 6)

#define PAR_F		(1ull << 0)
#define PAR_S		(1ull << 9)	/* fault at stage 2 */
#define PAR_PA		0x000ffffffffff000ull

void bm_raw_putc(char c)
{
	volatile uint32_t *uart = (volatile uint32_t *)ARM_UART_PA;

	*uart = (uint32_t)c;
}

void checker_crash(uint64_t esr, uint64_t elr, uint64_t far)
{
	bm_puts("FAIL arm64 checker: unexpected exception at EL2 esr=");
	bm_hex(esr);
	bm_puts(" elr=");
	bm_hex(elr);
	bm_puts(" far=");
	bm_hex(far);
	bm_puts("\nORACLE-DONE\n");
}

/* The fault status code the manual gives (ESR ISS.DFSC/IFSC, PAR_EL1.FST):
 * translation 0b0001LL, permission 0b0011LL, LL the lookup level (D8,
 * "Fault status codes"); an IPA beyond VTCR_EL2.T0SZ is a level 0
 * translation fault. s2pt level l is lookup level 3 - l. */
static uint64_t expected_fsc(const struct orc_vec *v)
{
	switch (v->expect) {
	case ORC_FAULT_TRANS:
		return 0x04 | (uint64_t)(3 - v->level);
	case ORC_FAULT_PERM:
		return 0x0c | (uint64_t)(3 - v->level);
	default:
		return 0x04;
	}
}

static int in_ram(uint64_t pa)
{
	return pa >= ARM_DATA_PA && pa < ARM_RAM_PA + ARM_RAM_SIZE;
}

static int check_probe(const struct orc_vec *v)
{
	uint64_t par;

	if ((v->access & ORC_ACC_MASK) == ORC_ACC_W)
		__asm__ volatile("at s12e1w, %0" : : "r"(v->ia));
	else
		__asm__ volatile("at s12e1r, %0" : : "r"(v->ia));
	__asm__ volatile("isb");
	par = SYSREG_R(par_el1);
	bm_puts(" par=");
	bm_hex(par);
	if (v->expect == ORC_OK) {
		if (par & PAR_F)
			return 0;
		if ((par & PAR_PA) != (v->oa & ~0xfffull))
			return 0;
		if ((v->flags & ORC_F_AUX) && (par >> 56) != v->aux) {
			bm_puts(" attr-want=");
			bm_hex(v->aux);
			return 0;
		}
		return 1;
	}
	bm_puts(" fst-want=");
	bm_hex(expected_fsc(v));
	return (par & PAR_F) && (par & PAR_S) && ((par >> 1) & 0x3f) == expected_fsc(v);
}

static int check_guest(const struct orc_vec *v)
{
	uint32_t acc = v->access & ORC_ACC_MASK;
	uint64_t marker = v->ia ^ 0x5a5aa5a5c3c33c3cull, out[4] = { 0 }, op, ec, want_ec;
	volatile uint64_t *pa = (volatile uint64_t *)(v->oa & ~7ull);
	int known = v->expect == ORC_OK && in_ram(v->oa);

	if (known && acc == ORC_ACC_R)
		*pa = marker;
	if (known && acc == ORC_ACC_W)
		*pa = 0;
	if (known && acc == ORC_ACC_X) {
		*(volatile uint32_t *)pa = 0xd65f03c0;	/* ret */
		__asm__ volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
	}
	op = acc == ORC_ACC_R ? 1 : acc == ORC_ACC_W ? 2 : 3;
	guest_call(v->ia & ~7ull, op, marker, out);
	ec = ESR_EC(out[0]);
	bm_puts(" esr=");
	bm_hex(out[0]);
	if (v->expect == ORC_OK) {
		if (ec != EC_HVC || (out[0] & 0xffff) != 0)
			return 0;
		if (known && acc == ORC_ACC_R && out[3] != marker)
			return 0;
		if (known && acc == ORC_ACC_W && *pa != marker)
			return 0;
		return 1;
	}
	want_ec = acc == ORC_ACC_X ? EC_IABT_LOW : EC_DABT_LOW;
	bm_puts(" far=");
	bm_hex(out[1]);
	bm_puts(" hpfar=");
	bm_hex(out[2]);
	if (ec != want_ec || (out[0] & 0x3f) != expected_fsc(v))
		return 0;
	if (acc != ORC_ACC_X && !!(out[0] & ESR_WNR) != (acc == ORC_ACC_W))
		return 0;
	if (out[1] != (v->ia & ~7ull))
		return 0;
	/* HPFAR_EL2.FIPA = IPA[51:12] at bits 43:4 */
	return (out[2] & ~0xfull) == (v->ia >> 12 << 4);
}

void checker_main(uint64_t el)
{
	const struct orc_cfg *c = (const struct orc_cfg *)ARM_CFG_PA;

	if (el != 2) {
		bm_puts("FAIL arm64 checker: not started at EL2\nORACLE-DONE\n");
		return;
	}
	if (bm_cfg_check(c)) {
		bm_puts("ORACLE-DONE\n");
		return;
	}
	bm_puts("arm64: ");
	bm_puts(c->scenario);
	bm_puts(" VTCR_EL2=");
	bm_hex(c->reg[ARM_REG_VTCR]);
	bm_puts(" VTTBR_EL2=");
	bm_hex(c->reg[ARM_REG_VTTBR]);
	bm_puts(" ID_AA64MMFR0_EL1=");
	bm_hex(SYSREG_R(id_aa64mmfr0_el1));
	bm_puts(" ID_AA64MMFR1_EL1=");
	bm_hex(SYSREG_R(id_aa64mmfr1_el1));
	bm_puts("\n");

	SYSREG_W(sctlr_el1, SCTLR_EL1_OFF);
	SYSREG_W(vbar_el1, (uint64_t)el1_vectors);
	SYSREG_W(vtcr_el2, c->reg[ARM_REG_VTCR]);
	SYSREG_W(vttbr_el2, c->reg[ARM_REG_VTTBR]);
	/* DC: stage 1 (off) counts as Normal write-back, so PAR_EL1.ATTR of
	 * an AT shows the stage-2 memory type (the combination keeps the
	 * stricter, ARM ARM D8.6 "Combining the stage 1 and stage 2 attributes") */
	SYSREG_W(hcr_el2, HCR_RW | HCR_VM | HCR_DC);
	__asm__ volatile("isb; tlbi vmalls12e1is; dsb ish; isb" ::: "memory");

	for (uint32_t i = 0; i < c->nvec; i++) {
		const struct orc_vec *v = &c->vec[i];
		int ok;

		bm_vec_begin(c, i);
		if ((v->access & ORC_VIA_MASK) == ORC_VIA_GUEST)
			ok = check_guest(v);
		else
			ok = check_probe(v);
		bm_vec_end(ok);
	}
	bm_summary("arm64");
}
