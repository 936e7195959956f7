// SPDX-License-Identifier: MIT
/* Encoding vectors for LoongArch64 page-table entries, worked out by hand from
 * the LoongArch Reference Manual vol. 1 (§5.3, §5.4.2, §5.4.5, §7.5.3); public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

/*
 * 4 KiB page entry (§5.4.5 "common page", TLBELO §7.5.3): V(0) D(1)
 * PLV(3:2) MAT(5:4) G(6) P(7) W(8) PA(47:12) NR(61) NX(62) RPLV(63).
 * Huge page entry (§5.4.5): the same, but bit 6 = HUGE and G in bit 12.
 * MAT (§5.3): 0 SUC, 1 CC, 2 WUC. Software bits: SW0-2 in 11:9, SW3 in 60.
 * Every leaf has V and P; W sets D and W; no R sets NR; no X sets NX;
 * S2PT_U is PLV 3.
 */

/*
 * Map [ia, ia + size) -> oa in a fresh table and return the raw entry of
 * the leaf holding its last byte, checking its level, size, output
 * address (offset included) and the decoded prot (round trip).
 */
static uint64_t leaf_of(uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
			uint64_t leaf_size, unsigned level)
{
	return enc_leaf_in(enc_pt_new(&s2pt_fmt_la64), ia, oa, size, prot, leaf_size, level);
}

#define pte_4k(prot)	leaf_of(0x400000, 0x12345000, KIB, (prot), KIB, 0)
#define pte_2m(prot)	leaf_of(MIB2, 0x80200000, MIB2, (prot), MIB2, 1)

/* §5.4.5: a directory entry is the next table's physical address, nothing
 * else; bit 6 (HUGE) must be 0. */
static void expect_dir_entry(uint64_t pte, uint64_t table_pa)
{
	cr_expect_eq(pte, table_pa, "dir pte %#llx", (unsigned long long)pte);
	cr_expect_eq(pte & ~0x0000fffffffff000ull, 0, "dir pte %#llx", (unsigned long long)pte);
}

TestSuite(enc_la64);

/* oa 0x12345000 in bits 47:12; MAT = CC (1) = 0x010 for WB. */
Test(enc_la64, pte_4k_rights)
{
	/* RWX: V(0) D(1) CC(4) P(7) W(8) = 0x193 */
	expect_pte(pte_4k(S2PT_RWX), 0x0000000012345193ull);
	/* R: V CC P = 0x091, NX(62) */
	expect_pte(pte_4k(S2PT_R), 0x4000000012345091ull);
	/* RW: 0x193, NX(62) */
	expect_pte(pte_4k(S2PT_RW), 0x4000000012345193ull);
	/* RX: 0x091 */
	expect_pte(pte_4k(S2PT_R | S2PT_X), 0x0000000012345091ull);
	/* execute-only: 0x091, NR(61) (§5.4.2: NR forbids loads only) */
	expect_pte(pte_4k(S2PT_X), 0x2000000012345091ull);
}

Test(enc_la64, pte_4k_user_global)
{
	/* RW|U: 0x193 | PLV 3 (0x00c) = 0x19f, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_U), 0x400000001234519full);
	/* RX|G: 0x091 | G(6) = 0x0d1 */
	expect_pte(pte_4k(S2PT_R | S2PT_X | S2PT_G), 0x00000000123450d1ull);
	/* X|U|G: 0x091 | 0x00c | 0x040 = 0x0dd, NR */
	expect_pte(pte_4k(S2PT_X | S2PT_U | S2PT_G), 0x20000000123450ddull);
}

Test(enc_la64, pte_sw_bits)
{
	/* R|SW0: 0x091 | bit 9 = 0x291, NX */
	expect_pte(pte_4k(S2PT_R | S2PT_SW0), 0x4000000012345291ull);
	/* R|SW1: bit 10 = 0x491 */
	expect_pte(pte_4k(S2PT_R | S2PT_SW1), 0x4000000012345491ull);
	/* R|SW2: bit 11 = 0x891 */
	expect_pte(pte_4k(S2PT_R | S2PT_SW2), 0x4000000012345891ull);
	/* R|SW3: bit 60, with NX(62): 0x5000... */
	expect_pte(pte_4k(S2PT_R | S2PT_SW3), 0x5000000012345091ull);
	/* RWX|SW0..3: 0x193 | 0xe00 = 0xf93, bit 60 */
	expect_pte(pte_4k(S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3),
		   0x1000000012345f93ull);
}

/* §5.3: MAT 0 strongly-ordered uncached, 1 coherent cached, 2 weakly-ordered uncached. */
Test(enc_la64, pte_memtypes)
{
	/* RW WB: MAT 1 -> V D CC P W = 0x193, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_WB), 0x4000000012345193ull);
	/* RW NC: MAT 2 (0x020) -> V D WUC P W = 0x1a3, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_NC), 0x40000000123451a3ull);
	/* RW DEV: MAT 0 -> V D P W = 0x183, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_DEV), 0x4000000012345183ull);
}

/* PALEN 48: the last 4 KiB page below 2^48. */
Test(enc_la64, pte_top_of_pa)
{
	/* R: 0x091 | 0xfffffffff000, NX */
	expect_pte(leaf_of(0x400000, 0xfffffffff000ull, KIB, S2PT_R, KIB, 0),
		   0x4000fffffffff091ull);
}

/* Huge page entries at level 1 (2 MiB): HUGE(6) set, G in bit 12 (§5.4.5). */
Test(enc_la64, huge_2m)
{
	/* RW: V D CC HUGE(6) P W = 0x1d3, NX; oa 0x80200000 */
	expect_pte(pte_2m(S2PT_RW), 0x40000000802001d3ull);
	/* RX|G: V CC HUGE P = 0x0d1 | HGLOBAL(12) 0x1000 = 0x10d1 */
	expect_pte(pte_2m(S2PT_R | S2PT_X | S2PT_G), 0x00000000802010d1ull);
	/* X|U: V PLV3(0x00c) CC HUGE P = 0x0dd, NR(61) */
	expect_pte(pte_2m(S2PT_X | S2PT_U), 0x20000000802000ddull);
	/* RW NC SW0: V D WUC(0x020) HUGE P W = 0x1e3 | bit 9 = 0x3e3, NX */
	expect_pte(pte_2m(S2PT_RW | S2PT_MT_NC | S2PT_SW0), 0x40000000802003e3ull);
}

/*
 * Leaves at levels 0 and 1 only: 1 GiB asked with S2PT_MAP_HUGE gives 512
 * 2 MiB entries. The last one: oa 0xc0000000 + 0x3fe00000 = 0xffe00000,
 * RW = 0x1d3 | NX.
 */
Test(enc_la64, no_1g_leaves)
{
	expect_pte(leaf_of(GIB, 0xc0000000, GIB, S2PT_RW, MIB2, 1), 0x40000000ffe001d3ull);
}

/* Directory entries for a 4 KiB page: levels 3, 2, 1. */
Test(enc_la64, dir_entries)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_la64);
	struct enc_tables t = { 0 };

	cr_assert_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_walk(pt, 0x400000, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	for (unsigned j = 0; j < 3; j++) {
		cr_expect_eq(t.level[j], 3 - j);
		expect_dir_entry(t.pte[j], t.pa[j]);
	}
	/* VA 0x400000: VA[47:39] = 0, the root's slot 0 */
	expect_pte(enc_root_entry(pt, 0), t.pte[0]);
	s2pt_destroy(pt);
}

/*
 * VA bit 47 = 1 is walked from PGDH with the same VA[47:39] index
 * (§5.4.5): 0xffff800000000000 is root slot 256, 0xffffffffffe00000 is
 * slot 511 at every level.
 */
Test(enc_la64, upper_half)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_la64);
	struct s2pt_leaf leaf;
	struct enc_tables t = { 0 };

	cr_assert_eq(s2pt_map(pt, 0xffff800000000000ull, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_walk(pt, 0xffff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	cr_expect_eq(t.ia[0], 0xffff800000000000ull);
	expect_pte(enc_root_entry(pt, 256), t.pte[0]);
	expect_dir_entry(t.pte[0], t.pa[0]);
	cr_assert_eq(s2pt_lookup(pt, 0xffff800000000ff8ull, &leaf), 0);
	expect_pte(leaf.pte, 0x4000000012345193ull);
	cr_expect_eq(leaf.oa, 0x12345ff8);

	/* 2 MiB RX at the top of the address space, oa 0x80200000: 0x0d1 */
	cr_assert_eq(s2pt_map(pt, 0xffffffffffe00000ull, 0x80200000, MIB2, S2PT_R | S2PT_X,
			      S2PT_MAP_HUGE), 0);
	cr_expect_neq(enc_root_entry(pt, 511), 0);
	cr_assert_eq(s2pt_lookup(pt, 0xfffffffffffffff8ull, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	expect_pte(leaf.pte, 0x00000000802000d1ull);

	/* bit 47 set without the sign extension is no LA64 address */
	cr_expect_eq(s2pt_map(pt, 0x0000800000000000ull, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	cr_expect_eq(s2pt_lookup(pt, 0x0000800000000000ull, &leaf), -ERANGE);
	s2pt_destroy(pt);
}

Test(enc_la64, refused)
{
	static const uint32_t bad[] = {
		0,				/* neither R nor X */
		S2PT_W,				/* W without R */
		S2PT_W | S2PT_X,
		S2PT_U, S2PT_G,			/* no access right at all */
		S2PT_R | S2PT_XU,		/* one NX bit: no split execute */
		S2PT_R | S2PT_XS,
		S2PT_R | MT3,			/* MAT 3 is reserved (§5.3) */
		S2PT_R | (1u << 7),		/* not an S2PT_* bit */
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_la64);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

Test(enc_la64, prot_round_trip)
{
	static const uint32_t rights[] = {
		S2PT_R, S2PT_RW, S2PT_X, S2PT_R | S2PT_X, S2PT_RWX,
	};
	static const uint32_t extra[] = {
		0, S2PT_U, S2PT_G, S2PT_MT_NC, S2PT_MT_DEV,
		S2PT_SW0, S2PT_SW1, S2PT_SW2, S2PT_SW3,
		S2PT_U | S2PT_G | S2PT_MT_NC | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3,
	};

	for (unsigned i = 0; i < sizeof(rights) / sizeof(rights[0]); i++)
		for (unsigned j = 0; j < sizeof(extra) / sizeof(extra[0]); j++) {
			pte_4k(rights[i] | extra[j]);
			pte_2m(rights[i] | extra[j]);
		}
}

/*
 * Splitting a huge entry moves G from HGLOBAL (bit 12) to G (bit 6) and
 * drops HUGE. The third page, oa 0x80202000, RW|G = V D CC G P W = 0x1d3,
 * NX (the second page, 0x80201000, would read the same as the huge entry).
 */
Test(enc_la64, split_moves_global)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_la64);
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, MIB2, 0x80200000, MIB2, S2PT_RW | S2PT_G, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2, &leaf), 0);
	/* huge: V D CC HUGE P W = 0x1d3 | HGLOBAL 0x1000 = 0x11d3, NX */
	expect_pte(leaf.pte, 0x40000000802011d3ull);
	cr_assert_eq(s2pt_unmap(pt, MIB2, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 2 * KIB, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	expect_pte(leaf.pte, 0x40000000802021d3ull);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_G);
	/* write-protect: D and W both go: V CC G P = 0x0d1, NX */
	cr_assert_eq(s2pt_protect(pt, MIB2 + 2 * KIB, KIB, S2PT_R | S2PT_G), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 2 * KIB, &leaf), 0);
	expect_pte(leaf.pte, 0x40000000802020d1ull);
	s2pt_destroy(pt);
}

/*
 * Foreign tables (s2pt_attach), built by hand, classified as the walkers
 * would: a leaf needs V and P; HUGE makes a directory entry a leaf at
 * levels 1 and 2 (a 512 GiB root entry is no TLB page size).
 */
Test(enc_la64, attach_classify)
{
	uint64_t *t[4];
	struct s2pt_leaf leaf;
	struct s2pt *pt;

	for (unsigned i = 0; i < 4; i++)
		t[i] = enc_zalloc(4096, 4096);
	/* t[3] root -> t[2] -> t[1] -> t[0]: directory entries are addresses */
	t[3][0] = (uint64_t)(uintptr_t)t[2];
	t[2][0] = (uint64_t)(uintptr_t)t[1];
	t[1][0] = (uint64_t)(uintptr_t)t[0];
	/* t[0][0]: 4 KiB at 0x12345000, R: V CC P = 0x091 | NX */
	t[0][0] = 0x4000000012345091ull;
	/* t[0][1]: V without P (the hardware walker's "not present") */
	t[0][1] = 0x4000000012346011ull;
	/* t[0][2]: P without V (LDPTE loads an invalid TLB entry) */
	t[0][2] = 0x4000000012347090ull;
	/* t[1][1]: 2 MiB huge at 0x80200000, RW|G: 0x1d3 | HGLOBAL, NX */
	t[1][1] = 0x40000000802011d3ull;
	/* t[2][1]: 1 GiB huge at 0xc0000000, RX|U: V PLV3 CC HUGE P = 0x0dd */
	t[2][1] = 0x00000000c00000ddull;
	/* t[3][1]: HUGE in the root (512 GiB): no such page size */
	t[3][1] = 0x00000080000000ddull;

	pt = enc_attach(&s2pt_fmt_la64, t[3], NULL);
	cr_assert_eq(s2pt_lookup(pt, 0x10, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345010);
	cr_expect_eq(leaf.prot, S2PT_R);
	cr_expect_eq(s2pt_lookup(pt, 0x1000, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x2000, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 0x3000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80203000);
	cr_expect_eq(leaf.size, MIB2);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_G);
	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0xc0123000);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.size, GIB);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X | S2PT_U);
	cr_expect_eq(s2pt_lookup(pt, 1ull << 39, &leaf), -ENOENT);
	s2pt_destroy(pt);
	for (unsigned i = 0; i < 4; i++)
		free(t[i]);
}

Test(enc_la64, name)
{
	cr_expect_eq(s2pt_fmt_find("la64"), &s2pt_fmt_la64);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_la64), "la64");
}

/*
 * CSR.PGDL (0x19, §7.5.5): Base 63:12 of the root, bits 11:0 zero; the
 * same value serves CSR.PGDH (§7.5.6) for the upper half. The ASID has its
 * own CSR (§7.5.4), so @vmid must be 0.
 */
Test(enc_la64, pgdl)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0;

	enc_arena_init(&a, 0x80000000, 4 * KIB);
	pt = enc_arena_root(&a, &s2pt_fmt_la64);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	cr_expect_eq(v, 0x80000000);
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}
