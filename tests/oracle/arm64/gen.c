// SPDX-License-Identifier: MIT
/*
 * ARM stage-2 oracle generator: builds a scenario's tables with s2pt in an
 * arena at ARM_IMG_PA and writes the image and the config block that
 * checker.c runs under qemu-system-aarch64. Usage: gen SCENARIO IMG CFG,
 * SCENARIO one of ipa40, ipa48, random.
 *
 * Expected results in ipa40 / ipa48 are written by hand from what was
 * mapped and the ARM ARM (DDI 0487): D8.2 start level and concatenated
 * roots, D8.3 descriptors, D8.4 S2AP / XN, D8.6 MemAttr, fault codes from
 * ESR_EL2 ISS DFSC / PAR_EL1.FST. Only the random scenario takes its
 * expectations from s2pt_lookup(). Levels are s2pt's (0 = 4 KiB page).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/gen.h"
#include "arm.h"

#define KB4	0x1000ull
#define MB2	0x200000ull
#define GB1	0x40000000ull
#define D	ARM_DATA_PA

#define R	ORC_ACC_R
#define W	ORC_ACC_W
#define X	ORC_ACC_X
#define G	ORC_VIA_GUEST

static uint32_t attr_of(uint32_t prot)
{
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_DEV:
		return ARM_ATTR_DEV;
	case S2PT_MT_NC:
		return ARM_ATTR_NC;
	default:
		return ARM_ATTR_WB;
	}
}

static void ok(struct orc_gen *g, const char *n, uint64_t ia, uint32_t acc, uint64_t oa, int lvl)
{
	orc_vec(g, n, ia, acc, ORC_OK, oa, lvl);
}

/* An AT probe that also checks PAR_EL1.ATTR. */
static void ok_attr(struct orc_gen *g, const char *n, uint64_t ia, uint32_t acc, uint64_t oa,
		    int lvl, uint32_t prot)
{
	struct orc_vec *v = orc_vec(g, n, ia, acc, ORC_OK, oa, lvl);

	v->flags |= ORC_F_AUX;
	v->aux = attr_of(prot);
}

static void flt(struct orc_gen *g, const char *n, uint64_t ia, uint32_t acc, uint32_t kind, int lvl)
{
	orc_vec(g, n, ia, acc, kind, 0, lvl);
}

static void set_regs(struct orc_gen *g, struct s2pt *pt, unsigned pa_bits)
{
	int err = s2pt_hw_root(pt, 1, &g->cfg->reg[ARM_REG_VTTBR]);

	if (!err)
		err = s2pt_arm64_vtcr(pt, pa_bits, &g->cfg->reg[ARM_REG_VTCR]);
	if (err) {
		fprintf(stderr, "arm64 gen: register values: %s\n", strerror(-err));
		exit(2);
	}
}

/* The checker (ARM_RAM_PA, code, data, stacks) is identity mapped by a
 * 1 GiB block so that real EL1 accesses can run. */
static void map_checker(struct s2pt *pt)
{
	orc_map(pt, ARM_RAM_PA, ARM_RAM_PA, GB1, S2PT_RWX, S2PT_MAP_HUGE);
}

/*
 * 40-bit IPA: 3 levels starting at lookup level 1 with two concatenated
 * root tables (D8.2: T0SZ 24, SL0 1 -> IPA[39:30] indexes 1024 entries).
 * Lookup level L is s2pt level 3 - L: 1 GiB blocks at 2, 2 MiB at 1.
 */
static struct s2pt *ipa40(struct orc_gen *g)
{
	struct s2pt *pt = orc_create(g, &s2pt_fmt_arm64_s2, 40);
	const uint64_t b = 0x100000000ull;	/* a 1 GiB slot with L2 and L3 tables */

	map_checker(pt);
	orc_map(pt, b + 0x1000, D + 0x1000, KB4, S2PT_RW, 0);
	orc_map(pt, b + 0x2000, D + 0x2000, KB4, S2PT_R, 0);
	orc_map(pt, b + 0x3000, D + 0x3000, KB4, S2PT_R | S2PT_X, 0);
	orc_map(pt, b + 0x4000, D + 0x4000, KB4, S2PT_X, 0);
	orc_map(pt, b + 0x5000, ARM_UART_PA, KB4, S2PT_RW | S2PT_MT_DEV, 0);
	orc_map(pt, b + 0x7000, D + 0x7000, KB4, S2PT_RW | S2PT_MT_NC, 0);
	/* FEAT_XNX (ID_AA64MMFR1_EL1.XNX = 1 on -cpu max): XN 0b11 executes
	 * at EL1 only, 0b01 at EL0 only; the checker fetches at EL1 */
	orc_map(pt, b + 0x8000, D + 0x8000, KB4, S2PT_R | S2PT_XS, 0);
	orc_map(pt, b + 0x9000, D + 0x9000, KB4, S2PT_R | S2PT_XU, 0);
	orc_map(pt, b + 0x200000, D + 0x200000, MB2, S2PT_RW, S2PT_MAP_HUGE);
	orc_map(pt, b + 0x400000, D + 0x400000, MB2, S2PT_R | S2PT_X, S2PT_MAP_HUGE);
	/* IPA[39] set: the second concatenated root table (entries 512..1023) */
	orc_map(pt, 0x8000000000ull, ARM_RAM_PA, GB1, S2PT_R, S2PT_MAP_HUGE);
	orc_map(pt, 0xfffffff000ull, D + 0x6000, KB4, S2PT_RW, 0);
	set_regs(g, pt, 40);

	/* 4 KiB pages (lookup level 3, s2pt level 0) */
	ok_attr(g, "page-rw", b + 0x1008, R, D + 0x1008, 0, S2PT_MT_WB);
	ok(g, "page-rw", b + 0x1ff8, W, D + 0x1ff8, 0);
	ok(g, "page-rw", b + 0x1010, R | G, D + 0x1010, 0);
	ok(g, "page-rw", b + 0x1018, W | G, D + 0x1018, 0);
	flt(g, "page-rw-xn", b + 0x1000, X | G, ORC_FAULT_PERM, 0);
	ok(g, "page-ro", b + 0x2000, R, D + 0x2000, 0);
	ok(g, "page-ro", b + 0x2040, R | G, D + 0x2040, 0);
	flt(g, "page-ro", b + 0x2000, W, ORC_FAULT_PERM, 0);
	flt(g, "page-ro", b + 0x2048, W | G, ORC_FAULT_PERM, 0);
	ok(g, "page-rx", b + 0x3100, X | G, D + 0x3100, 0);
	flt(g, "page-rx", b + 0x3100, W, ORC_FAULT_PERM, 0);
	ok(g, "page-xo", b + 0x4200, X | G, D + 0x4200, 0);
	flt(g, "page-xo", b + 0x4200, R, ORC_FAULT_PERM, 0);
	flt(g, "page-xo", b + 0x4208, R | G, ORC_FAULT_PERM, 0);
	ok_attr(g, "page-dev", b + 0x5018, R, ARM_UART_PA + 0x18, 0, S2PT_MT_DEV);
	ok(g, "page-dev", b + 0x5018, R | G, ARM_UART_PA + 0x18, 0);
	ok_attr(g, "page-nc", b + 0x7000, W, D + 0x7000, 0, S2PT_MT_NC);
	ok(g, "page-nc", b + 0x7ff0, W | G, D + 0x7ff0, 0);
	ok(g, "page-xs-el1only", b + 0x8010, X | G, D + 0x8010, 0);
	flt(g, "page-xu-el0only", b + 0x9010, X | G, ORC_FAULT_PERM, 0);
	ok(g, "page-top", 0xfffffffff8ull, R, D + 0x6ff8, 0);
	ok(g, "page-top", 0xfffffff800ull, W | G, D + 0x6800, 0);

	/* 2 MiB blocks (lookup level 2, s2pt level 1) */
	ok_attr(g, "block2m-rw", b + 0x234568, R, D + 0x234568, 1, S2PT_MT_WB);
	ok(g, "block2m-rw", b + 0x3ffff8, W, D + 0x3ffff8, 1);
	ok(g, "block2m-rw", b + 0x3ffff8, W | G, D + 0x3ffff8, 1);
	flt(g, "block2m-rw-xn", b + 0x300000, X | G, ORC_FAULT_PERM, 1);
	flt(g, "block2m-rx", b + 0x5ff000, W, ORC_FAULT_PERM, 1);
	flt(g, "block2m-rx", b + 0x5ff000, W | G, ORC_FAULT_PERM, 1);
	ok(g, "block2m-rx", b + 0x401000, X | G, D + 0x401000, 1);
	ok(g, "block2m-rx", b + 0x401008, R | G, D + 0x401008, 1);

	/* 1 GiB blocks (lookup level 1, s2pt level 2) */
	ok(g, "block1g-checker", ARM_RAM_PA + 0x80, R, ARM_RAM_PA + 0x80, 2);
	ok(g, "block1g-hi-ro", 0x8001234560ull, R, ARM_RAM_PA + 0x1234560, 2);
	ok(g, "block1g-hi-ro", 0x8005001000ull, R | G, D + 0x1000, 2);
	flt(g, "block1g-hi-ro", 0x8001234560ull, W, ORC_FAULT_PERM, 2);
	flt(g, "block1g-hi-ro", 0x8005001000ull, W | G, ORC_FAULT_PERM, 2);
	flt(g, "block1g-hi-ro-xn", 0x8005001000ull, X | G, ORC_FAULT_PERM, 2);

	/* translation faults at each lookup level, and beyond T0SZ */
	flt(g, "hole-l3", b + 0x6000, R, ORC_FAULT_TRANS, 0);
	flt(g, "hole-l3", b + 0x6000, W | G, ORC_FAULT_TRANS, 0);
	flt(g, "hole-l2", b + 0x600000, W, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l2", b + 0x600000, R | G, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l1", 0x0c0000000ull, R, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l1-root2", 0xff80000000ull, R, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l1", 0x300000000ull, X | G, ORC_FAULT_TRANS, 2);
	flt(g, "beyond-40bit", 0x10000000000ull, R, ORC_FAULT_RANGE, -1);
	flt(g, "beyond-40bit", 0x10000001000ull, R | G, ORC_FAULT_RANGE, -1);
	return pt;
}

/*
 * 48-bit IPA: 4 levels starting at lookup level 0, one root table (D8.2:
 * T0SZ 16, SL0 2). s2pt level 3 is lookup level 0.
 */
static struct s2pt *ipa48(struct orc_gen *g)
{
	struct s2pt *pt = orc_create(g, &s2pt_fmt_arm64_s2, 48);

	map_checker(pt);
	orc_map(pt, 0xfffffffff000ull, D + 0x8000, KB4, S2PT_RW, 0);
	orc_map(pt, 0x800000000000ull, D + 0x200000, MB2, S2PT_R, S2PT_MAP_HUGE);
	orc_map(pt, 0x123440000000ull, ARM_RAM_PA, GB1, S2PT_RW, S2PT_MAP_HUGE);
	orc_map(pt, 0x010000000000ull, D + 0x9000, KB4, S2PT_R | S2PT_X, 0);
	orc_map(pt, 0x7fffffe00000ull, D + 0x400000, MB2, S2PT_RW | S2PT_MT_DEV, S2PT_MAP_HUGE);
	set_regs(g, pt, 48);

	ok(g, "checker", ARM_RAM_PA, R, ARM_RAM_PA, 2);
	ok_attr(g, "page-top", 0xfffffffffff8ull, R, D + 0x8ff8, 0, S2PT_MT_WB);
	ok(g, "page-top", 0xfffffffff000ull, W, D + 0x8000, 0);
	ok(g, "page-top", 0xfffffffff100ull, W | G, D + 0x8100, 0);
	ok(g, "page-top", 0xfffffffff108ull, R | G, D + 0x8108, 0);
	flt(g, "page-top-xn", 0xfffffffff000ull, X | G, ORC_FAULT_PERM, 0);
	ok(g, "page-2^40", 0x010000000ff0ull, R | G, D + 0x9ff0, 0);
	ok(g, "page-2^40", 0x010000000400ull, X | G, D + 0x9400, 0);
	flt(g, "page-2^40-ro", 0x010000000400ull, W, ORC_FAULT_PERM, 0);
	flt(g, "page-2^40-ro", 0x010000000400ull, W | G, ORC_FAULT_PERM, 0);
	ok(g, "block2m-ro", 0x8000001ffff8ull, R, D + 0x3ffff8, 1);
	ok(g, "block2m-ro", 0x800000100000ull, R | G, D + 0x300000, 1);
	flt(g, "block2m-ro", 0x800000100000ull, W, ORC_FAULT_PERM, 1);
	flt(g, "block2m-ro", 0x800000100008ull, W | G, ORC_FAULT_PERM, 1);
	ok_attr(g, "block2m-dev", 0x7fffffe01000ull, R, D + 0x401000, 1, S2PT_MT_DEV);
	ok(g, "block2m-dev", 0x7fffffe01000ull, W | G, D + 0x401000, 1);
	ok(g, "block1g-rw", 0x123445001230ull, W, D + 0x1230, 2);
	ok(g, "block1g-rw", 0x123445001238ull, R | G, D + 0x1238, 2);
	flt(g, "block1g-rw-xn", 0x123445001000ull, X | G, ORC_FAULT_PERM, 2);
	flt(g, "hole-l0", 0x400000000000ull, R, ORC_FAULT_TRANS, 3);
	flt(g, "hole-l0", 0x400000000000ull, W | G, ORC_FAULT_TRANS, 3);
	flt(g, "hole-l1", 0xffff00000000ull, W, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l1", 0xffff00000000ull, R | G, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l2", 0xffffffc00000ull, R, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l2", 0xffffffc00000ull, X | G, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l3", 0xffffffffe000ull, R, ORC_FAULT_TRANS, 0);
	flt(g, "hole-l3", 0xffffffffe000ull, R | G, ORC_FAULT_TRANS, 0);
	flt(g, "beyond-48bit", 0x1000000000000ull, R, ORC_FAULT_RANGE, -1);
	return pt;
}

/*
 * Random: an IPA size drawn from the seed (so start levels 2, 1, 0 and
 * 1..16 concatenated root pages all come up), random mappings of random
 * sizes, protections and memory types, random protect / unmap of parts of
 * them (splitting blocks), s2pt_split / s2pt_collapse of some, then AT
 * probes at random addresses whose expected results come from
 * s2pt_lookup().
 */
struct region {
	uint64_t ia, size;
};

static struct s2pt *random_scn(struct orc_gen *g)
{
	static const unsigned ia_choices[] = { 32, 33, 34, 36, 39, 40, 42, 43, 44, 46, 48 };
	static const uint32_t prots[] = {
		S2PT_R, S2PT_RW, S2PT_R | S2PT_X, S2PT_RWX, S2PT_X,
		S2PT_R | S2PT_MT_DEV, S2PT_RW | S2PT_MT_DEV, S2PT_RW | S2PT_MT_NC, S2PT_R | S2PT_MT_NC,
	};
	struct region reg[64];
	unsigned nreg = 0, ia_bits, i;
	struct s2pt *pt;
	uint64_t top;

	orc_seed(g);
	ia_bits = ia_choices[orc_rand(g) % (sizeof(ia_choices) / sizeof(ia_choices[0]))];
	top = 1ull << ia_bits;
	printf("%s: ia_bits %u\n", g->cfg->scenario, ia_bits);
	pt = orc_create(g, &s2pt_fmt_arm64_s2, ia_bits);
	set_regs(g, pt, 48);

	for (i = 0; i < 200 && nreg < 47; i++) {
		uint64_t r = orc_rand(g), unit, size, ia, oa;
		uint32_t prot = prots[orc_rand(g) % (sizeof(prots) / sizeof(prots[0]))];

		switch (r % 4) {
		case 0:
			unit = GB1;
			size = GB1 * (1 + orc_rand(g) % 2);
			break;
		case 1:
			unit = MB2;
			size = MB2 * (1 + orc_rand(g) % 3);
			break;
		default:
			unit = KB4;
			size = KB4 * (1 + orc_rand(g) % 24);
			break;
		}
		if (size >= top / 4)
			continue;
		/* half of the regions near each other, so tables get shared */
		if (nreg && orc_rand(g) % 2)
			ia = (reg[orc_rand(g) % nreg].ia + (orc_rand(g) % 64) * unit) & ~(unit - 1);
		else
			ia = (orc_rand(g) % top) & ~(unit - 1);
		if (ia + size > top || ia + size < ia)
			continue;
		oa = (orc_rand(g) % (1ull << 40)) & ~(unit - 1);
		if (oa + size > (1ull << 40))
			continue;
		if (s2pt_map(pt, ia, oa, size, prot, S2PT_MAP_HUGE))
			continue;	/* overlaps an earlier region */
		reg[nreg].ia = ia;
		reg[nreg++].size = size;
	}
	/* one 2 MiB run of pages that s2pt_collapse() may fold below */
	for (i = 0; i < 16; i++) {
		uint64_t ia = (orc_rand(g) % top) & ~(MB2 - 1), oa = (orc_rand(g) % (1ull << 40)) & ~(MB2 - 1);

		if (ia + MB2 <= top && !s2pt_map(pt, ia, oa, MB2, S2PT_RW, 0)) {
			reg[nreg].ia = ia;
			reg[nreg++].size = MB2;
			break;
		}
	}
	/* change or remove random page-aligned parts (splits blocks) */
	for (i = 0; i < 16 && nreg; i++) {
		struct region *rg = &reg[orc_rand(g) % nreg];
		uint64_t pages = rg->size / KB4, first = orc_rand(g) % pages;
		uint64_t n = 1 + orc_rand(g) % (pages - first);
		int err;

		if (orc_rand(g) % 2)
			err = s2pt_unmap(pt, rg->ia + first * KB4, n * KB4);
		else
			err = s2pt_protect(pt, rg->ia + first * KB4, n * KB4,
					   prots[orc_rand(g) % (sizeof(prots) / sizeof(prots[0]))]);
		if (err) {
			fprintf(stderr, "arm64 gen: random change: %s\n", strerror(-err));
			exit(2);
		}
	}
	/* break some blocks into pages, fold some tables back into blocks */
	for (i = 0; i < 8 && nreg; i++) {
		struct region *rg = &reg[orc_rand(g) % nreg];
		uint64_t lo = rg->ia & ~(GB1 - 1), hi = (rg->ia + rg->size + GB1 - 1) & ~(GB1 - 1);
		int err;

		if (i % 2)
			err = s2pt_split(pt, rg->ia, rg->size, rg->size >= GB1 ? MB2 : KB4);
		else
			err = s2pt_collapse(pt, lo, hi - lo);
		if (err) {
			fprintf(stderr, "arm64 gen: random split/collapse: %s\n", strerror(-err));
			exit(2);
		}
	}
	printf("%s: %u regions mapped\n", g->cfg->scenario, nreg);
	orc_print_leaves(g, pt);
	for (i = 0; i < 120; i++) {
		uint64_t ia;
		uint32_t acc = orc_rand(g) % 2 ? R : W;
		struct orc_vec *v;
		char name[32];

		if (nreg && orc_rand(g) % 4) {
			struct region *rg = &reg[orc_rand(g) % nreg];

			ia = rg->ia + orc_rand(g) % (rg->size + 2 * KB4) - KB4;
		} else if (ia_bits < 48 && orc_rand(g) % 8 == 0) {
			ia = top + orc_rand(g) % top;	/* beyond T0SZ */
		} else {
			ia = orc_rand(g) % top;
		}
		ia &= ~7ull;
		snprintf(name, sizeof(name), "rnd%u-ia%u", i, ia_bits);
		v = orc_vec_lookup(g, pt, name, ia, acc);
		if (v->expect == ORC_OK) {
			struct s2pt_leaf leaf;

			s2pt_lookup(pt, ia, &leaf);
			v->flags |= ORC_F_AUX;
			v->aux = attr_of(leaf.prot);
		}
	}
	return pt;
}

int main(int argc, char **argv)
{
	struct orc_gen g;
	struct s2pt *pt;
	char name[32];

	if (argc != 4) {
		fprintf(stderr, "usage: %s ipa40|ipa48|random IMG CFG\n", argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "%s%s", "arm64-", argv[1]);
	orc_gen_init(&g, name, ARM_IMG_PA, ARM_IMG_SIZE);
	if (!strcmp(argv[1], "ipa40"))
		pt = ipa40(&g);
	else if (!strcmp(argv[1], "ipa48"))
		pt = ipa48(&g);
	else if (!strcmp(argv[1], "random"))
		pt = random_scn(&g);
	else {
		fprintf(stderr, "unknown scenario %s\n", argv[1]);
		return 2;
	}
	orc_write(&g, argv[2], argv[3]);
	s2pt_destroy(pt);
	orc_gen_free(&g);
	return 0;
}
