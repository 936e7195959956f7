// SPDX-License-Identifier: MIT
/*
 * RISC-V G-stage oracle generator: builds a scenario's tables with s2pt in
 * an arena at RV_IMG_PA and writes the image and the config block that
 * checker.c runs under qemu-system-riscv64. Usage: gen SCENARIO IMG CFG,
 * SCENARIO one of sv39x4, sv48x4, random.
 *
 * Expected results in sv39x4 / sv48x4 are written by hand from what was
 * mapped and the Privileged ISA 20211203 (§8.5.1 guest-physical address
 * translation, §4.3.1 / §4.4.1 PTE format, Svpbmt). Only the random
 * scenario takes its expectations from s2pt_lookup(). Levels are s2pt's
 * (0 = 4 KiB page); the hardware does not report them (see checker.c).
 *
 * QEMU 7.2 bug, kept out of the vectors: §8.5.1 says a guest physical
 * address is 2 bits wider than the first-stage VA ("Sv39x4 ... 41-bit
 * guest physical addresses", bits 63:41 must be zero, else a guest-page
 * fault). QEMU 7.2's get_physical_address() applies the first-stage rule
 * instead: GPA bits 63:(va_bits - 1) must be all zeros or all ones, with
 * va_bits 41 / 50. So a valid GPA with bit 40 (Sv39x4) or bit 49 (Sv48x4)
 * set faults, and the sign-extended 0xffffff..., which must fault, is
 * translated through the upper half of the root (both seen on 7.2.22 with
 * a page mapped at 2^40 / 2^49). Vectors here keep GPAs
 * below 2^40 (Sv39x4) and 2^49 (Sv48x4); the out-of-range vectors use
 * 2^41 / 2^50, which QEMU rejects for the right reason.
 *
 * QEMU 7.2 bug, also kept out: HLVX.HU / HLVX.WU must check execute
 * permission in place of read permission in both stages (§8.3.1
 * "Hypervisor Virtual-Machine Load and Store Instructions"), but QEMU 7.2
 * checks the G-stage leaf's R bit: an HLVX of an R=1 X=0 page succeeds and
 * of an X-only page takes a load guest-page fault. Execute vectors are
 * therefore real VS-mode instruction fetches, never HLVX probes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/gen.h"
#include "rv.h"

#define KB4	0x1000ull
#define MB2	0x200000ull
#define GB1	0x40000000ull
#define GB512	0x8000000000ull
#define D	RV_DATA_PA

#define R	ORC_ACC_R
#define W	ORC_ACC_W
#define X	ORC_ACC_X
#define G	ORC_VIA_GUEST

static void ok(struct orc_gen *g, const char *n, uint64_t ia, uint32_t acc, uint64_t oa, int lvl)
{
	orc_vec(g, n, ia, acc, ORC_OK, oa, lvl);
}

static void flt(struct orc_gen *g, const char *n, uint64_t ia, uint32_t acc, uint32_t kind, int lvl)
{
	orc_vec(g, n, ia, acc, kind, 0, lvl);
}

static void set_regs(struct orc_gen *g, struct s2pt *pt)
{
	int err = s2pt_hw_root(pt, 1, &g->cfg->reg[RV_REG_HGATP]);

	if (err) {
		fprintf(stderr, "riscv gen: hgatp: %s\n", strerror(-err));
		exit(2);
	}
}

/* The checker (code, data, stacks, config) is identity mapped by a 1 GiB
 * leaf so that real VS-mode accesses can run. */
static void map_checker(struct s2pt *pt)
{
	orc_map(pt, RV_RAM_PA, RV_RAM_PA, GB1, S2PT_RWX, S2PT_MAP_HUGE);
}

/* Pages, superpages, protections and memory types common to both modes,
 * in the 1 GiB slot at @b (s2pt levels: 0 page, 1 2 MiB, 2 1 GiB). */
static void common_small(struct orc_gen *g, struct s2pt *pt, uint64_t b)
{
	orc_map(pt, b + 0x1000, D + 0x1000, KB4, S2PT_RW, 0);
	orc_map(pt, b + 0x2000, D + 0x2000, KB4, S2PT_R, 0);
	orc_map(pt, b + 0x3000, D + 0x3000, KB4, S2PT_R | S2PT_X, 0);
	orc_map(pt, b + 0x4000, D + 0x4000, KB4, S2PT_X, 0);
	orc_map(pt, b + 0x5000, RV_UART_PA, KB4, S2PT_RW | S2PT_MT_DEV, 0);
	orc_map(pt, b + 0x7000, D + 0x7000, KB4, S2PT_RW | S2PT_MT_NC, 0);
	orc_map(pt, b + 0x200000, D + 0x200000, MB2, S2PT_RW, S2PT_MAP_HUGE);
	orc_map(pt, b + 0x400000, D + 0x400000, MB2, S2PT_R | S2PT_X, S2PT_MAP_HUGE);

	ok(g, "page-rw", b + 0x1008, R, D + 0x1008, 0);
	ok(g, "page-rw", b + 0x1ff8, W, D + 0x1ff8, 0);
	ok(g, "page-rw", b + 0x1010, R | G, D + 0x1010, 0);
	ok(g, "page-rw", b + 0x1018, W | G, D + 0x1018, 0);
	flt(g, "page-rw-nx", b + 0x1000, X | G, ORC_FAULT_PERM, 0);
	ok(g, "page-ro", b + 0x2000, R, D + 0x2000, 0);
	ok(g, "page-ro", b + 0x2040, R | G, D + 0x2040, 0);
	flt(g, "page-ro", b + 0x2000, W, ORC_FAULT_PERM, 0);
	flt(g, "page-ro", b + 0x2048, W | G, ORC_FAULT_PERM, 0);
	ok(g, "page-rx", b + 0x3108, X | G, D + 0x3108, 0);
	flt(g, "page-rx", b + 0x3100, W, ORC_FAULT_PERM, 0);
	ok(g, "page-xo", b + 0x4208, X | G, D + 0x4208, 0);
	flt(g, "page-xo", b + 0x4200, R, ORC_FAULT_PERM, 0);
	flt(g, "page-xo", b + 0x4208, R | G, ORC_FAULT_PERM, 0);
	/* Svpbmt IO (PBMT = 2) on the UART: the line status register */
	ok(g, "page-dev-io", b + 0x5000, R, RV_UART_PA, 0);
	ok(g, "page-dev-io", b + 0x5000, R | G, RV_UART_PA, 0);
	ok(g, "page-nc", b + 0x7000, W, D + 0x7000, 0);
	ok(g, "page-nc", b + 0x7ff0, R | G, D + 0x7ff0, 0);

	ok(g, "super2m-rw", b + 0x234568, R, D + 0x234568, 1);
	ok(g, "super2m-rw", b + 0x3ffff8, W, D + 0x3ffff8, 1);
	ok(g, "super2m-rw", b + 0x3ffff0, W | G, D + 0x3ffff0, 1);
	flt(g, "super2m-rw-nx", b + 0x300000, X | G, ORC_FAULT_PERM, 1);
	flt(g, "super2m-rx", b + 0x5ff000, W, ORC_FAULT_PERM, 1);
	flt(g, "super2m-rx", b + 0x5ff000, W | G, ORC_FAULT_PERM, 1);
	ok(g, "super2m-rx", b + 0x401000, X | G, D + 0x401000, 1);
	ok(g, "super2m-rx", b + 0x401008, R | G, D + 0x401008, 1);

	flt(g, "hole-l0", b + 0x6000, R, ORC_FAULT_TRANS, 0);
	flt(g, "hole-l0", b + 0x6000, W | G, ORC_FAULT_TRANS, 0);
	flt(g, "hole-l1", b + 0x600000, W, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l1", b + 0x600000, R | G, ORC_FAULT_TRANS, 1);
}

/* Sv39x4: 3 levels, 2048-entry root indexed by GPA[40:30] (§8.5.1). */
static struct s2pt *sv39x4(struct orc_gen *g)
{
	struct s2pt *pt = orc_create(g, &s2pt_fmt_sv39x4, 0);

	map_checker(pt);
	/* GPA[39] set: root entries 512..1023, past a plain Sv39 root */
	orc_map(pt, 0x8000000000ull, RV_RAM_PA, GB1, S2PT_R, S2PT_MAP_HUGE);
	orc_map(pt, 0xfffffff000ull, D + 0x6000, KB4, S2PT_RW, 0);
	set_regs(g, pt);
	common_small(g, pt, 0x100000000ull);

	ok(g, "giga-checker", RV_RAM_PA + 0x80, R, RV_RAM_PA + 0x80, 2);
	ok(g, "giga-x4-ro", 0x8005001000ull, R, D + 0x1000, 2);
	ok(g, "giga-x4-ro", 0x8005001008ull, R | G, D + 0x1008, 2);
	flt(g, "giga-x4-ro", 0x8005001000ull, W, ORC_FAULT_PERM, 2);
	flt(g, "giga-x4-ro", 0x8005001000ull, W | G, ORC_FAULT_PERM, 2);
	flt(g, "giga-x4-ro-nx", 0x8005001000ull, X | G, ORC_FAULT_PERM, 2);
	ok(g, "page-top", 0xfffffffff8ull, R, D + 0x6ff8, 0);
	ok(g, "page-top", 0xfffffff800ull, W | G, D + 0x6800, 0);
	flt(g, "hole-l2", 0x0c0000000ull, R, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l2-x4", 0xff80000000ull, R, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l2", 0x300000000ull, X | G, ORC_FAULT_TRANS, 2);
	flt(g, "beyond-41bit", 0x20000000000ull, R, ORC_FAULT_RANGE, -1);
	flt(g, "beyond-41bit", 0x20000001000ull, W | G, ORC_FAULT_RANGE, -1);
	return pt;
}

/* Sv48x4: 4 levels, 2048-entry root indexed by GPA[49:39]; leaves at
 * every level, 512 GiB at the root. */
static struct s2pt *sv48x4(struct orc_gen *g)
{
	struct s2pt *pt = orc_create(g, &s2pt_fmt_sv48x4, 0);

	map_checker(pt);
	orc_map(pt, 0x1fffffffff000ull, D + 0x8000, KB4, S2PT_RW, 0);
	orc_map(pt, 0x100000000000ull, D + 0x200000, MB2, S2PT_R, S2PT_MAP_HUGE);
	orc_map(pt, 0x123440000000ull, RV_RAM_PA, GB1, S2PT_RW, S2PT_MAP_HUGE);
	orc_map(pt, 0x010000000000ull, D + 0x9000, KB4, S2PT_R | S2PT_X, 0);
	orc_map(pt, 0x7fffffe00000ull, D + 0x400000, MB2, S2PT_RW | S2PT_MT_DEV, S2PT_MAP_HUGE);
	orc_map(pt, 0x080000000000ull, 0, GB512, S2PT_RW, S2PT_MAP_HUGE);
	set_regs(g, pt);
	common_small(g, pt, 0x100000000ull);

	ok(g, "page-top49", 0x1fffffffffff8ull, R, D + 0x8ff8, 0);
	ok(g, "page-top49", 0x1fffffffff000ull, W, D + 0x8000, 0);
	ok(g, "page-top49", 0x1fffffffff100ull, W | G, D + 0x8100, 0);
	flt(g, "page-top49-nx", 0x1fffffffff000ull, X | G, ORC_FAULT_PERM, 0);
	ok(g, "page-2^40", 0x010000000ff0ull, R | G, D + 0x9ff0, 0);
	ok(g, "page-2^40", 0x010000000400ull, X | G, D + 0x9400, 0);
	flt(g, "page-2^40-ro", 0x010000000400ull, W, ORC_FAULT_PERM, 0);
	ok(g, "super2m-ro", 0x1000001ffff8ull, R, D + 0x3ffff8, 1);
	flt(g, "super2m-ro", 0x100000100008ull, W | G, ORC_FAULT_PERM, 1);
	ok(g, "super2m-io", 0x7fffffe01000ull, W | G, D + 0x401000, 1);
	ok(g, "giga-rw", 0x123445001230ull, W, D + 0x1230, 2);
	ok(g, "giga-rw", 0x123445001238ull, R | G, D + 0x1238, 2);
	flt(g, "giga-rw-nx", 0x123445001000ull, X | G, ORC_FAULT_PERM, 2);
	ok(g, "tera512g-rw", 0x080085001000ull, R, D + 0x1000, 3);
	ok(g, "tera512g-rw", 0x080085001008ull, W | G, D + 0x1008, 3);
	flt(g, "tera512g-rw-nx", 0x080085001000ull, X | G, ORC_FAULT_PERM, 3);
	flt(g, "hole-l3", 0x400000000000ull, R, ORC_FAULT_TRANS, 3);
	flt(g, "hole-l3", 0x400000000000ull, W | G, ORC_FAULT_TRANS, 3);
	flt(g, "hole-l2", 0x1ffff00000000ull, W, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l2", 0x1ffff00000000ull, R | G, ORC_FAULT_TRANS, 2);
	flt(g, "hole-l1", 0x1ffffffc00000ull, R, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l1", 0x1ffffffc00000ull, X | G, ORC_FAULT_TRANS, 1);
	flt(g, "hole-l0", 0x1ffffffffe000ull, X | G, ORC_FAULT_TRANS, 0);
	flt(g, "beyond-50bit", 0x4000000000000ull, R, ORC_FAULT_RANGE, -1);
	return pt;
}

/*
 * Random: Sv39x4 or Sv48x4 from the seed, random mappings of every leaf
 * size with random protections, random protect / unmap of parts of them,
 * s2pt_split / s2pt_collapse of some, then probes at random addresses
 * whose expected results come from s2pt_lookup(). HLV really accesses
 * memory, so output addresses stay in RAM (pages and 2 MiB in the data
 * pages, 1 GiB at RAM's start, 512 GiB at 0), and a probe whose
 * translation lands outside the data pages is drawn again. The checker's
 * identity map is there first and no random change touches it.
 */
struct region {
	uint64_t ia, size, oa;
};

static struct s2pt *random_scn(struct orc_gen *g)
{
	static const uint32_t prots[] = {
		S2PT_R, S2PT_RW, S2PT_R | S2PT_X, S2PT_RWX, S2PT_X,
		S2PT_R | S2PT_MT_DEV, S2PT_RW | S2PT_MT_NC,
	};
	const size_t nprot = sizeof(prots) / sizeof(prots[0]);
	struct region reg[64];
	unsigned nreg = 0, i, levels, nvec0;
	const struct s2pt_fmt *fmt;
	struct s2pt *pt;
	uint64_t top;

	orc_seed(g);
	levels = orc_rand(g) % 2 ? 4 : 3;
	fmt = levels == 4 ? &s2pt_fmt_sv48x4 : &s2pt_fmt_sv39x4;
	top = levels == 4 ? 1ull << 49 : 1ull << 40;	/* QEMU 7.2, see above */
	printf("%s: %s\n", g->cfg->scenario, s2pt_fmt_name(fmt));
	pt = orc_create(g, fmt, 0);
	map_checker(pt);	/* guest vectors run the checker's code */
	set_regs(g, pt);

	for (i = 0; i < 300 && nreg < 47; i++) {
		uint64_t k = orc_rand(g) % 8, unit, size, ia, oa;
		uint32_t prot = prots[orc_rand(g) % nprot];

		if (k == 0 && levels == 4) {
			unit = size = GB512;
			oa = 0;
		} else if (k <= 1) {
			unit = size = GB1;
			oa = RV_RAM_PA;
		} else if (k <= 3) {
			unit = MB2;
			size = MB2 * (1 + orc_rand(g) % 3);
			oa = D + MB2 * (orc_rand(g) % ((RV_RAM_PA + RV_RAM_SIZE - D) / MB2 - 3));
		} else {
			unit = KB4;
			size = KB4 * (1 + orc_rand(g) % 24);
			oa = D + KB4 * (orc_rand(g) % ((RV_RAM_PA + RV_RAM_SIZE - D) / KB4 - 24));
		}
		if (nreg && orc_rand(g) % 2)
			ia = (reg[orc_rand(g) % nreg].ia + (orc_rand(g) % 64) * unit) & ~(unit - 1);
		else
			ia = (orc_rand(g) % top) & ~(unit - 1);
		if (ia + size > top)
			continue;
		if (s2pt_map(pt, ia, oa, size, prot, S2PT_MAP_HUGE))
			continue;	/* overlaps an earlier region */
		reg[nreg].ia = ia;
		reg[nreg].size = size;
		reg[nreg++].oa = oa;
	}
	/* one 2 MiB run of pages that s2pt_collapse() may fold below */
	for (i = 0; i < 16; i++) {
		uint64_t ia = (orc_rand(g) % top) & ~(MB2 - 1);
		uint64_t oa = D + MB2 * (orc_rand(g) % ((RV_RAM_PA + RV_RAM_SIZE - D) / MB2));

		if (!s2pt_map(pt, ia, oa, MB2, S2PT_RW, 0)) {
			reg[nreg].ia = ia;
			reg[nreg].size = MB2;
			reg[nreg++].oa = oa;
			break;
		}
	}
	for (i = 0; i < 16 && nreg; i++) {
		struct region *rg = &reg[orc_rand(g) % nreg];
		uint64_t pages = rg->size / KB4, first = orc_rand(g) % pages;
		uint64_t n = 1 + orc_rand(g) % (pages - first < 1024 ? pages - first : 1024);
		int err;

		if (orc_rand(g) % 2)
			err = s2pt_unmap(pt, rg->ia + first * KB4, n * KB4);
		else
			err = s2pt_protect(pt, rg->ia + first * KB4, n * KB4, prots[orc_rand(g) % nprot]);
		if (err) {
			fprintf(stderr, "riscv gen: random change: %s\n", strerror(-err));
			exit(2);
		}
	}
	/* break some blocks into pages, fold some tables back into blocks */
	for (i = 0; i < 8 && nreg; i++) {
		struct region *rg = &reg[orc_rand(g) % nreg];
		uint64_t lo = rg->ia & ~(GB1 - 1), hi = (rg->ia + rg->size + GB1 - 1) & ~(GB1 - 1);
		int err;

		if (i % 2)
			err = s2pt_split(pt, rg->ia, rg->size,
					 rg->size >= GB512 ? GB1 : rg->size >= GB1 ? MB2 : KB4);
		else
			err = s2pt_collapse(pt, lo, hi - lo);
		if (err) {
			fprintf(stderr, "riscv gen: random split/collapse: %s\n", strerror(-err));
			exit(2);
		}
	}
	printf("%s: %u regions mapped\n", g->cfg->scenario, nreg);
	orc_print_leaves(g, pt);
	nvec0 = g->cfg->nvec;
	for (i = 0; i < 1000 && g->cfg->nvec < nvec0 + 120; i++) {
		uint32_t acc = (uint32_t)(orc_rand(g) % 3) + 1;
		struct s2pt_leaf leaf;
		uint64_t ia;
		char name[32];

		if (nreg && orc_rand(g) % 4) {
			struct region *rg = &reg[orc_rand(g) % nreg];
			uint64_t off = orc_rand(g) % (rg->size + 2 * KB4) - KB4;

			/* inside a big leaf: land on the data pages */
			if (rg->size >= GB1 && off < rg->size)
				off = D - rg->oa + orc_rand(g) % (RV_RAM_PA + RV_RAM_SIZE - D);
			ia = rg->ia + off;
		} else if (orc_rand(g) % 8 == 0) {
			ia = (top << 2) + orc_rand(g) % (top << 2);	/* beyond the GPA width */
		} else {
			ia = orc_rand(g) % top;
		}
		ia &= ~7ull;
		/* translations must land on the data pages, where the checker
		 * plants a value to read back (elsewhere: an access fault, or
		 * memory whose contents say little) */
		if (!s2pt_lookup(pt, ia, &leaf) && (leaf.oa < D || leaf.oa >= RV_RAM_PA + RV_RAM_SIZE))
			continue;
		snprintf(name, sizeof(name), "rnd%u-%s", g->cfg->nvec - nvec0, s2pt_fmt_name(fmt));
		orc_vec_lookup(g, pt, name, ia, acc | (acc == X || orc_rand(g) % 4 == 0 ? G : 0));
	}
	return pt;
}

int main(int argc, char **argv)
{
	struct orc_gen g;
	struct s2pt *pt;
	char name[32];

	if (argc != 4) {
		fprintf(stderr, "usage: %s sv39x4|sv48x4|random IMG CFG\n", argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "%s%s", "riscv-", argv[1]);
	orc_gen_init(&g, name, RV_IMG_PA, RV_IMG_SIZE);
	if (!strcmp(argv[1], "sv39x4"))
		pt = sv39x4(&g);
	else if (!strcmp(argv[1], "sv48x4"))
		pt = sv48x4(&g);
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
