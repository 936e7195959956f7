// SPDX-License-Identifier: MIT
/* Encoding vectors for AMD nested paging tables and nCR3, worked out by
 * hand from AMD APM vol. 2 §5.3-5.4 (long-mode entries) and §15.25
 * (nested paging); public API only. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

/* One leaf of @size at ia -> oa in a fresh table: its raw entry, after
 * checking the lookup's level, size, output and decoded prot. */
static uint64_t leaf_of(uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot, unsigned level)
{
	return enc_leaf_of(&s2pt_fmt_npt, ia, oa, size, prot, level);
}

TestSuite(enc_npt);

/*
 * Long-mode 4 KiB PTE (APM vol. 2 §5.3.3, Figure 5-23): P(0) R/W(1)
 * U/S(2) PWT(3) PCD(4) A(5) D(6) PAT(7) G(8) AVL 11:9, address 51:12,
 * AVL 62:52, NX(63). §15.25.5 / §15.25.7: U/S = 1 in every nested entry.
 * Every leaf here: P | U/S | A = 0x025.
 */
Test(enc_npt, pte_4k_rights)
{
	/* RWX: P | RW | US | A = 0x027; NX = 0 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX, 0), 0x0000000012345027ull);
	/* RW: 0x027 | NX(63) */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW, 0), 0x8000000012345027ull);
	/* R: 0x025 | NX */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R, 0), 0x8000000012345025ull);
	/* RX: 0x025 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0), 0x0000000012345025ull);
}

/* §15.25.8: nested PAT:PCD:PWT index the host PAT (S2PT_X86_PAT): NC =
 * index 1 (PWT, bit 3), DEV = index 3 (PCD bit 4 | PWT); PAT (7) = 0. */
Test(enc_npt, pte_4k_memtype)
{
	/* RW|WB: 0x027 | NX */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x8000000012345027ull);
	/* RW|NC: 0x027 | 0x008 = 0x02f | NX */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x800000001234502full);
	/* RW|DEV: 0x027 | 0x018 = 0x03f | NX */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x800000001234503full);
	/* RX|DEV: 0x025 | 0x018 = 0x03d */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_X | S2PT_MT_DEV, 0),
		   0x000000001234503dull);
}

/* AVL bits 9, 10, 11 (SW0..2) and 52 (SW3). */
Test(enc_npt, pte_4k_sw_bits)
{
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x0000000012345227ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x0000000012345427ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x0000000012345827ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x0010000012345027ull);
	/* all four: 0xe27 | bit 52 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB,
			   S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x0010000012345e27ull);
}

/* Address bits 51:12: all 40 set. */
Test(enc_npt, pte_4k_oa_52bit)
{
	expect_pte(leaf_of(0x400000, 0x000ffffffffff000ull, KIB, S2PT_RWX, 0),
		   0x000ffffffffff027ull);
}

/* 2 MiB PDE (§5.3.4): PS(7) = 1, PAT(12), address 51:21. */
Test(enc_npt, pde_2m)
{
	/* RWX: 0x027 | PS 0x080 = 0x0a7 */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RWX, 1), 0x00000000802000a7ull);
	/* RW|NC: 0x0a7 | PWT = 0x0af | NX; PAT(12) = 0 */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_MT_NC, 1),
		   0x80000000802000afull);
	/* R|SW0: 0x0a5 | bit 9 = 0x2a5 | NX */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_R | S2PT_SW0, 1),
		   0x80000000802002a5ull);
}

/* 1 GiB PDPE (§5.3.5): PS(7) = 1, PAT(12), address 51:30. */
Test(enc_npt, pdpe_1g)
{
	/* RW: 0x0a7 | NX */
	expect_pte(leaf_of(GIB, 0xc0000000, GIB, S2PT_RW, 2), 0x80000000c00000a7ull);
	/* RW|DEV: 0x0a7 | PCD | PWT = 0x0bf | NX */
	expect_pte(leaf_of(GIB, 0xc0000000, GIB, S2PT_RW | S2PT_MT_DEV, 2), 0x80000000c00000bfull);
	/* RWX at the highest 1 GiB frame */
	expect_pte(leaf_of(GIB, 0x000fffffc0000000ull, GIB, S2PT_RWX, 2), 0x000fffffc00000a7ull);
}

/* What nested paging cannot express is refused and nothing is mapped. */
Test(enc_npt, refused_prots)
{
	const uint32_t bad[] = {
		0,
		S2PT_W,				/* write without read */
		S2PT_X,				/* execute-only: present implies readable */
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_U,		/* U is always set, not a choice */
		S2PT_RWX | S2PT_U,
		S2PT_R | S2PT_G,		/* G comes from the guest tables only */
		S2PT_R | S2PT_XU,		/* one execute control (NX) */
		S2PT_R | S2PT_XS,
		S2PT_R | S2PT_X | S2PT_XU,
		S2PT_R | MT3,
		S2PT_R | (1u << 7),
		S2PT_R | (1u << 11),
		S2PT_R | (1u << 16),
		S2PT_R | (1u << 31),
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_npt);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

/* Accepted: R required; W, X, WB/NC/DEV, SW0..3 in any combination. */
static bool npt_should_accept(uint32_t p)
{
	const uint32_t ok = S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK |
			    S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3;

	return (p & S2PT_R) && !(p & ~ok) && (p & S2PT_MT_MASK) != MT3;
}

/* U/S (bit 2) is set in every leaf and never decoded */
static void npt_check_us(uint32_t p, const struct s2pt_leaf *leaf)
{
	cr_expect(leaf->pte & 0x4, "prot %#x: U/S clear", p);
}

Test(enc_npt, accept_set_and_round_trip)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_npt);

	/* 2^2 (W, X) * 3 types * 2^4 SW bits */
	cr_expect_eq(enc_accept_set(pt, npt_should_accept, npt_check_us), 4 * 3 * 16);
	s2pt_destroy(pt);
}

/*
 * Entries referencing a table (Figures 5-20..5-22): P | R/W | U/S | A =
 * 0x027, PWT = PCD = 0 (the next table read write-back), PS = 0, NX = 0.
 */
static void check_tables(const struct enc_arena *a)
{
	enc_check_tables(&s2pt_fmt_npt, a, 0x400000, S2PT_R, 4, 0x000ffffffffff000ull, 0x027ull);
}

Test(enc_npt, table_entries)
{
	struct enc_arena a;

	check_tables(NULL);
	/* tables above 2^48: address bits 51:44 reach the entry */
	enc_arena_init(&a, 0x000ff00000000000ull, 64 * KIB);
	check_tables(&a);
	enc_arena_fini(&a, NULL);
}

/* Guest-physical input is a plain number below 2^48: GPA bits 47:39 index
 * the root, so 0x800000000000 is entry 256; no sign extension. */
Test(enc_npt, stage2_input_range)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_npt);
	const uint64_t *root;
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, 0x0000800000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0x0000ffffc0000000ull, 0x40000000, GIB, S2PT_RWX,
			      S2PT_MAP_HUGE), 0);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[256], 0);
	cr_expect_neq(root[511], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(root[255], 0);
	cr_assert_eq(s2pt_lookup(pt, 0x0000ffffffffffffull, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0x7fffffff);
	cr_expect_eq(s2pt_lookup(pt, 0x0001000000000000ull, &leaf), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 0xffff800000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	s2pt_destroy(pt);
}

/*
 * nCR3 (VMCB N_CR3, §15.25.3-4): the root in bits 51:12, PWT = PCD = 0.
 * The ASID is a VMCB field of its own, so any nonzero vmid is refused.
 */
Test(enc_npt, ncr3)
{
	struct s2pt_opts opts = { .sz = sizeof(opts), .flags = S2PT_OPT_AD };
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0;

	enc_arena_init(&a, 0x00000abcdef00000ull, 16 * KIB);
	pt = enc_arena_root(&a, &s2pt_fmt_npt);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef00000ull);
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	enc_arena_fini(&a, pt);

	/* A/D of nested entries are always on: no EPT-style option */
	cr_expect_eq(s2pt_create(&s2pt_fmt_npt, &opts, &pt), -EINVAL);
	cr_expect_eq(s2pt_fmt_find("npt"), &s2pt_fmt_npt);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_npt), "npt");
}

/* The walker sets D (bit 6) on a write; a D set that way (here by hand)
 * survives a protect and a split. */
Test(enc_npt, hw_dirty_kept)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_npt);
	struct enc_tables t = { 0 };
	struct s2pt_leaf leaf;
	uint64_t *pd;

	cr_assert_eq(s2pt_map(pt, 0x200000, 0x80200000, MIB2, S2PT_RWX, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_walk(pt, 0x200000, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 2);
	pd = (uint64_t *)(uintptr_t)t.pa[1];
	expect_pte(pd[1], 0x00000000802000a7ull);
	pd[1] |= 1ull << 6;
	cr_assert_eq(s2pt_protect(pt, 0x200000, MIB2, S2PT_RW), 0);
	cr_assert_eq(s2pt_lookup(pt, 0x200000, &leaf), 0);
	/* 0x0a7 | D 0x040 = 0x0e7, NX */
	expect_pte(leaf.pte, 0x80000000802000e7ull);
	cr_assert_eq(s2pt_split(pt, 0x200000, MIB2, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, 0x3ff000, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	/* 4 KiB: 0x027 | D = 0x067, NX */
	expect_pte(leaf.pte, 0x80000000803ff067ull);
	cr_expect_eq(leaf.prot, S2PT_RW);
	s2pt_destroy(pt);
}

/* Decoding hand-built nested tables through a read-only view (heap
 * provider: pa == va). */
Test(enc_npt, decode_foreign)
{
	uint64_t *p4 = enc_zalloc(KIB, KIB), *p3 = enc_zalloc(KIB, KIB);
	uint64_t *p2 = enc_zalloc(KIB, KIB), *p1 = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	p4[0] = (uintptr_t)p3 | 0x27;
	p3[0] = (uintptr_t)p2 | 0x27;
	p2[0] = (uintptr_t)p1 | 0x27;
	/* P | RW | US | PCD(4) | A | D(6) | PAT(7): PAT ignored, PCD alone
	 * reads as DEV; NX clear: X; U/S not reported */
	p1[1] = 0x12345000 | 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80;
	/* P | US, A = 0: a present read-only executable page */
	p1[2] = 0x6000 | 0x01 | 0x04;
	/* P | RW without U/S: every nested access is a user access
	 * (§15.25.7), so this translates nothing */
	p1[3] = 0x7000 | 0x01 | 0x02 | 0x20;
	/* P | US | G(8) | NX: G is not a nested attribute */
	p1[4] = 0x8000 | 0x01 | 0x04 | 0x100 | (1ull << 63);
	/* P = 0 */
	p1[5] = 0x9000 | 0x02 | 0x04 | 0x20;
	/* 2 MiB: P | US | A | PS | PAT(12), NX */
	p2[1] = 0x80200000 | 0x1000 | 0x01 | 0x04 | 0x20 | 0x80 | (1ull << 63);
	/* PDE referencing a table without U/S */
	p2[2] = (uintptr_t)p1 | 0x23;
	/* 1 GiB: P | RW | US | PWT(3) | A | PS */
	p3[1] = 0xc0000000 | 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x80;
	/* PML4E with PS: reserved, translates nothing */
	p4[1] = 0x40000000 | 0x27 | 0x80;

	pt = enc_attach(&s2pt_fmt_npt, p4, NULL);

	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_MT_DEV);

	cr_assert_eq(s2pt_lookup(pt, 0x2000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x6000);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X);

	cr_expect_eq(s2pt_lookup(pt, 0x3000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x4000, &leaf), 0);
	cr_expect_eq(leaf.prot, S2PT_R);

	cr_expect_eq(s2pt_lookup(pt, 0x5000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x200000 + 0x1234, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.prot, S2PT_R);

	cr_expect_eq(s2pt_lookup(pt, 0x400000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123456, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0xc0123456);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_MT_NC);

	cr_expect_eq(s2pt_lookup(pt, 0x8000000000ull, &leaf), -ENOENT);

	cr_expect_eq(s2pt_map(pt, 0x9000, 0x9000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
}
