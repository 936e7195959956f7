// SPDX-License-Identifier: MIT
/* Encoding vectors for Intel EPT (4- and 5-level) and the EPTP, worked out
 * by hand from Intel SDM vol. 3C §29.3 (Tables 29-1..29-6) and §25.6.11;
 * public API only. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

TestSuite(enc_ept);

/*
 * Table 29-6 (PTE, 4 KiB page): R(0) W(1) X(2, supervisor-mode with
 * MBEC) memory type 5:3, IPAT(6), ignored 7, A(8) D(9) (with EPTP bit 6),
 * XU(10, user-mode execute with MBEC), ignored 11, address (N-1):12.
 * Every leaf here: A(8) = 0x100; WB = type 6 (0x30) | IPAT (0x40).
 */
Test(enc_ept, pte_4k_rights)
{
	/* RWX: R|W|X = 0x007, WB+IPAT 0x070, A 0x100, XU 0x400 = 0x577 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RWX, 0),
		   0x0000000012345577ull);
	/* R: 0x001 | 0x070 | 0x100 = 0x171 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_R, 0),
		   0x0000000012345171ull);
	/* RW: 0x003 | 0x070 | 0x100 = 0x173 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RW, 0),
		   0x0000000012345173ull);
	/* R|X: R | X(2) | XU(10): 0x405 | 0x070 | 0x100 = 0x575 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0),
		   0x0000000012345575ull);
}

/* MBEC split execute: XS = bit 2 only, XU = bit 10 only; execute-only
 * pages have R = W = 0 (capability IA32_VMX_EPT_VPID_CAP bit 0). */
Test(enc_ept, pte_4k_exec_split)
{
	/* R|XS: 0x005 | 0x070 | 0x100 = 0x175 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_XS, 0),
		   0x0000000012345175ull);
	/* R|XU: 0x001 | 0x070 | 0x100 | 0x400 = 0x571 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_XU, 0),
		   0x0000000012345571ull);
	/* RW|XU: 0x003 | 0x070 | 0x100 | 0x400 = 0x573 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_XU, 0),
		   0x0000000012345573ull);
	/* X only: X(2) | XU(10) = 0x404 | 0x070 | 0x100 = 0x574 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_X, 0),
		   0x0000000012345574ull);
	/* XS only: 0x004 | 0x070 | 0x100 = 0x174 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_XS, 0),
		   0x0000000012345174ull);
	/* XU only: bits 2:0 clear, present through bit 10 under MBEC:
	 * 0x400 | 0x070 | 0x100 = 0x570 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_XU, 0),
		   0x0000000012345570ull);
}

/* §29.3.7: WB = type 6 with IPAT = 1; NC = type 1 (WC) and DEV = type 0
 * (UC) with IPAT = 0 so the guest PAT still combines with them. */
Test(enc_ept, pte_4k_memtype)
{
	/* RW|WB: 0x003 | 6 << 3 (0x030) | IPAT 0x040 | A 0x100 = 0x173 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x0000000012345173ull);
	/* RW|NC: 0x003 | 1 << 3 (0x008) | 0x100 = 0x10b */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x000000001234510bull);
	/* RW|DEV: 0x003 | 0 << 3 | 0x100 = 0x103 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x0000000012345103ull);
	/* RWX|DEV: 0x407 | 0x100 = 0x507 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB,
			       S2PT_RWX | S2PT_MT_DEV, 0),
		   0x0000000012345507ull);
	/* X|NC (execute-only WC): 0x404 | 0x008 | 0x100 = 0x50c */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_X | S2PT_MT_NC, 0),
		   0x000000001234550cull);
}

/* Ignored bits: 11 (SW0) and 52, 53, 54 (SW1..3) in every entry. */
Test(enc_ept, pte_4k_sw_bits)
{
	/* RWX 0x577 | bit 11 (0x800) = 0xd77 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x0000000012345d77ull);
	/* | bit 52 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x0010000012345577ull);
	/* | bit 53 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x0020000012345577ull);
	/* | bit 54 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x0040000012345577ull);
	/* all four: 0xd77 | bits 54:52 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x12345000, KIB,
			       S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x0070000012345d77ull);
}

/* Address bits 51:12 with N = 52: all 40 of them set. */
Test(enc_ept, pte_4k_oa_52bit)
{
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x400000, 0x000ffffffffff000ull, KIB, S2PT_RWX, 0),
		   0x000ffffffffff577ull);
}

/* Table 29-4 (PDE, 2 MiB page): bit 7 = 1, reserved 20:12, address
 * (N-1):21. */
Test(enc_ept, pde_2m)
{
	/* RWX: 0x577 | bit 7 (0x080) = 0x5f7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802005f7ull);
	/* RW|DEV: 0x003 | 0x080 | 0x100 = 0x183 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x40200000, 0x80200000, MIB2,
			       S2PT_RW | S2PT_MT_DEV, 1),
		   0x0000000080200183ull);
	/* R|XS|NC: 0x005 | 0x008 | 0x080 | 0x100 = 0x18d */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, 0x40200000, 0x80200000, MIB2,
			       S2PT_R | S2PT_XS | S2PT_MT_NC, 1),
		   0x000000008020018dull);
}

/* Table 29-2 (PDPTE, 1 GiB page): bit 7 = 1, reserved 29:12, address
 * (N-1):30. */
Test(enc_ept, pdpte_1g)
{
	/* RW: 0x003 | 0x070 | 0x080 | 0x100 = 0x1f3 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, GIB, 0xc0000000, GIB, S2PT_RW, 2),
		   0x00000000c00001f3ull);
	/* RWX|NC|SW3: 0x407 | 0x008 | 0x080 | 0x100 = 0x58f, bit 54 */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, GIB, 0xc0000000, GIB,
			       S2PT_RWX | S2PT_MT_NC | S2PT_SW3, 2),
		   0x00400000c000058full);
	/* highest 1 GiB frame, address bits 51:30 all set */
	expect_pte(enc_leaf_of(&s2pt_fmt_ept4, GIB, 0x000fffffc0000000ull, GIB, S2PT_RW, 2),
		   0x000fffffc00001f3ull);
}

/* 5-level EPT uses the same leaf layout. */
Test(enc_ept, ept5_leaves)
{
	expect_pte(enc_leaf_of(&s2pt_fmt_ept5, 0x400000, 0x12345000, KIB, S2PT_RW, 0),
		   0x0000000012345173ull);
	expect_pte(enc_leaf_of(&s2pt_fmt_ept5, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802005f7ull);
	expect_pte(enc_leaf_of(&s2pt_fmt_ept5, GIB, 0xc0000000, GIB, S2PT_X | S2PT_MT_DEV, 2),
		   0x00000000c0000584ull);
}

/* What EPT cannot express, or would misconfigure, is refused. */
Test(enc_ept, refused_prots)
{
	const uint32_t bad[] = {
		0,				/* nothing: not present */
		S2PT_W,				/* write without read: §29.3.3.1 */
		S2PT_W | S2PT_X,
		S2PT_W | S2PT_XU,
		S2PT_R | S2PT_X | S2PT_XU,	/* X already means both */
		S2PT_R | S2PT_X | S2PT_XS,
		S2PT_R | S2PT_XU | S2PT_XS,	/* say X */
		S2PT_XU | S2PT_XS,
		S2PT_R | S2PT_U,		/* second stage: no U, no G */
		S2PT_RW | S2PT_U,
		S2PT_R | S2PT_G,
		S2PT_R | MT3,			/* memory type 3 undefined */
		S2PT_R | (1u << 7),		/* bits outside the public set */
		S2PT_R | (1u << 11),
		S2PT_R | (1u << 16),
		S2PT_R | (1u << 31),
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_ept4);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

/*
 * The accepted set, spelled out: W needs R; execute is none, X, XU or XS;
 * R or an execute bit; WB / NC / DEV; SW0..3; nothing else (no U, G).
 * Each accepted prot decodes back to itself.
 */
static bool ept_should_accept(uint32_t p)
{
	const uint32_t ok = S2PT_R | S2PT_W | S2PT_X | S2PT_XU | S2PT_XS | S2PT_MT_MASK |
			    S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3;
	uint32_t x = p & (S2PT_X | S2PT_XU | S2PT_XS);

	if (p & ~ok || (p & S2PT_MT_MASK) == MT3)
		return false;
	if ((p & S2PT_W) && !(p & S2PT_R))
		return false;
	if (x != 0 && x != S2PT_X && x != S2PT_XU && x != S2PT_XS)
		return false;
	return (p & S2PT_R) || x;
}

static void accept_set(const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = enc_pt_new(fmt);

	/* ({-, R, RW} x {-, X, XU, XS} less nothing at all) = 11, times 3
	 * memory types, times 2^4 SW bits */
	cr_expect_eq(enc_accept_set(pt, ept_should_accept, NULL), 11 * 3 * 16);
	s2pt_destroy(pt);
}

Test(enc_ept, accept_set_and_round_trip)
{
	accept_set(&s2pt_fmt_ept4);
}

Test(enc_ept, ept5_accept_set)
{
	accept_set(&s2pt_fmt_ept5);
}

/*
 * Tables 29-1, 29-3, 29-5 (entries referencing a table): R(0) | W(1) |
 * X(2) | A(8) | XU(10) = 0x507 and the address; reserved 7:3 (6:3 below
 * the PML4) zero; bits 9, 11, 63:52 zero.
 */
static void check_tables(const struct s2pt_fmt *fmt, const struct enc_arena *a, unsigned levels)
{
	enc_check_tables(fmt, a, 0x400000, S2PT_R, levels, 0x000ffffffffff000ull, 0x507ull);
}

Test(enc_ept, table_entries)
{
	check_tables(&s2pt_fmt_ept4, NULL, 4);
	check_tables(&s2pt_fmt_ept5, NULL, 5);
}

/* Tables placed above 2^48 by an arena: address bits 51:44 reach the entry. */
Test(enc_ept, table_entries_high_pa)
{
	struct enc_arena a;

	enc_arena_init(&a, 0x000ff00000000000ull, 64 * KIB);
	check_tables(&s2pt_fmt_ept4, &a, 4);
	check_tables(&s2pt_fmt_ept5, &a, 5);
	enc_arena_fini(&a, NULL);
}

/*
 * Guest-physical input is a plain number below 2^48 (2^57): no sign
 * extension. The 4-level root index is GPA bits 47:39, so 0x800000000000
 * is root entry 256 and 0xffffffe00000 entry 511; the 5-level root index
 * is bits 56:48, so 2^56 is entry 256.
 */
Test(enc_ept, stage2_input_range)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_ept4);
	const uint64_t *root;
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, 0x0000800000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0x0000ffffffe00000ull, 0x200000, MIB2, S2PT_RWX,
			      S2PT_MAP_HUGE), 0);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[256], 0);
	cr_expect_neq(root[511], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(root[255], 0);
	cr_assert_eq(s2pt_lookup(pt, 0x0000ffffffffffffull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x3fffff);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(s2pt_lookup(pt, 0x0001000000000000ull, &leaf), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 0x0001000000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	/* a first-stage kernel address is not a GPA */
	cr_expect_eq(s2pt_map(pt, 0xffff800000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 0x0000fffffffff000ull, 0x5000, 2 * KIB, S2PT_RW, 0),
		     -ERANGE);
	s2pt_destroy(pt);

	pt = enc_pt_new(&s2pt_fmt_ept5);
	cr_assert_eq(s2pt_map(pt, 0x0100000000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[256], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(s2pt_map(pt, 0x0200000000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	s2pt_destroy(pt);
}

/* A table whose root lands at a chosen physical address (an arena's first
 * page): 0x00000abcdef00000. */
static struct s2pt *pt_at(const struct s2pt_fmt *fmt, unsigned flags, struct enc_arena *a)
{
	enc_arena_init(a, 0x00000abcdef00000ull, 16 * KIB);
	a->opts.flags = flags;
	return enc_arena_root(a, fmt);
}

/*
 * EPTP, §25.6.11: memory type bits 2:0 = 6 (WB), page-walk length - 1 in
 * bits 5:3, A/D enable bit 6, root in bits 51:12.
 */
Test(enc_ept, eptp)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0;

	/* 4-level: 3 << 3 (0x18) | 6 = 0x01e */
	pt = pt_at(&s2pt_fmt_ept4, 0, &a);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef0001eull);
	/* the VPID is a VMCS field of its own: no tag in the EPTP */
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	cr_expect_eq(s2pt_hw_root(pt, 0xffff, &v), -EINVAL);
	enc_arena_fini(&a, pt);

	/* 4-level with A/D: 0x01e | bit 6 (0x40) = 0x05e */
	pt = pt_at(&s2pt_fmt_ept4, S2PT_OPT_AD, &a);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef0005eull);
	enc_arena_fini(&a, pt);

	/* 5-level: 4 << 3 (0x20) | 6 = 0x026 */
	pt = pt_at(&s2pt_fmt_ept5, 0, &a);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef00026ull);
	enc_arena_fini(&a, pt);

	/* 5-level with A/D: 0x026 | 0x40 = 0x066 */
	pt = pt_at(&s2pt_fmt_ept5, S2PT_OPT_AD, &a);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef00066ull);
	cr_expect_eq(s2pt_hw_root(pt, 7, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}

/* S2PT_OPT_AD is EPT's alone; EPT takes it. */
Test(enc_ept, opt_ad)
{
	struct s2pt_opts opts = { .sz = sizeof(opts), .flags = S2PT_OPT_AD };
	struct s2pt *pt = NULL;

	cr_expect_eq(s2pt_create(&s2pt_fmt_ept4, &opts, &pt), 0);
	s2pt_destroy(pt);
	pt = NULL;
	cr_expect_eq(s2pt_create(&s2pt_fmt_ept5, &opts, &pt), 0);
	s2pt_destroy(pt);
	pt = NULL;
	cr_expect_eq(s2pt_create(&s2pt_fmt_x86_64, &opts, &pt), -EINVAL);
	cr_expect_eq(s2pt_create(&s2pt_fmt_npt, &opts, &pt), -EINVAL);
}

Test(enc_ept, names)
{
	cr_expect_eq(s2pt_fmt_find("ept4"), &s2pt_fmt_ept4);
	cr_expect_eq(s2pt_fmt_find("ept5"), &s2pt_fmt_ept5);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_ept4), "ept4");
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_ept5), "ept5");
}

/* The table page holding the leaf for @ia at @level (heap: pa == va). */
static uint64_t *table_of(struct s2pt *pt, uint64_t ia, unsigned level)
{
	struct enc_tables t = { 0 };

	cr_assert_eq(s2pt_walk(pt, ia, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_gt(t.n, 0);
	cr_assert_eq(t.level[t.n - 1], level + 1);
	return (uint64_t *)(uintptr_t)t.pa[t.n - 1];
}

/*
 * §29.3.5: with EPTP bit 6 the processor sets D (bit 9) on a write. A
 * D set that way (written here by hand, as hardware would) survives a
 * protect and a split of the block.
 */
Test(enc_ept, hw_dirty_kept)
{
	struct s2pt_opts opts = { .sz = sizeof(opts), .flags = S2PT_OPT_AD };
	struct s2pt *pt = NULL;
	struct s2pt_leaf leaf;
	uint64_t *t;

	cr_assert_eq(s2pt_create(&s2pt_fmt_ept4, &opts, &pt), 0);

	cr_assert_eq(s2pt_map(pt, 0x1000, 0x12345000, KIB, S2PT_RW, 0), 0);
	t = table_of(pt, 0x1000, 0);
	expect_pte(t[1], 0x0000000012345173ull);
	t[1] |= 1ull << 9;
	cr_assert_eq(s2pt_protect(pt, 0x1000, KIB, S2PT_R), 0);
	cr_assert_eq(s2pt_lookup(pt, 0x1000, &leaf), 0);
	/* R 0x171 | D 0x200 = 0x371 */
	expect_pte(leaf.pte, 0x0000000012345371ull);
	cr_expect_eq(leaf.prot, S2PT_R);

	cr_assert_eq(s2pt_map(pt, 0x200000, 0x80200000, MIB2, S2PT_RWX, S2PT_MAP_HUGE), 0);
	t = table_of(pt, 0x200000, 1);
	expect_pte(t[1], 0x00000000802005f7ull);
	t[1] |= 1ull << 9;
	cr_assert_eq(s2pt_split(pt, 0x200000, MIB2, KIB), 0);
	/* each 4 KiB leaf: 0x577 | D 0x200 = 0x777 */
	cr_assert_eq(s2pt_lookup(pt, 0x200000, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	expect_pte(leaf.pte, 0x0000000080200777ull);
	cr_assert_eq(s2pt_lookup(pt, 0x3ff000, &leaf), 0);
	expect_pte(leaf.pte, 0x00000000803ff777ull);
	cr_expect_eq(leaf.prot, S2PT_RWX);
	s2pt_destroy(pt);
}

/*
 * Decoding entries the library did not write, through a read-only view of
 * hand-built tables (heap provider: pa == va).
 */
Test(enc_ept, decode_foreign)
{
	uint64_t *p4 = enc_zalloc(KIB, KIB), *p3 = enc_zalloc(KIB, KIB);
	uint64_t *p2 = enc_zalloc(KIB, KIB), *p1 = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	/* tables as a hypervisor without MBEC or A/D writes them: R|W|X */
	p4[0] = (uintptr_t)p3 | 0x007;
	p3[0] = (uintptr_t)p2 | 0x007;
	p2[0] = (uintptr_t)p1 | 0x507;
	/* R|W|X, type 6 without IPAT, A(8), D(9), suppress-#VE(63): bit 2
	 * without bit 10 is supervisor-only execute (XS) */
	p1[1] = 0x12345000 | 0x007 | 0x030 | 0x100 | 0x200 | (1ull << 63);
	/* X(2) | XU(10), type 0 (UC) with IPAT(6): execute-only device */
	p1[2] = 0x6000 | 0x004 | 0x400 | 0x040;
	/* W without R: misconfiguration (§29.3.3.1), translates nothing */
	p1[3] = 0x7000 | 0x002 | 0x030;
	/* R with memory type 2 (reserved): misconfiguration */
	p1[4] = 0x8000 | 0x001 | 0x010;
	/* R, type 4 (WT): cached normal memory, reads as WB */
	p1[5] = 0x9000 | 0x001 | 0x020;
	/* R, type 1 (WC), bit 11 and 54:52 (SW0..3), bits 57, 58, 60, 61 */
	p1[6] = 0xa000 | 0x001 | 0x008 | 0x800 | (7ull << 52) | (0x1bull << 57);
	/* bits 2:0 and 10 clear: not present whatever else is set */
	p1[7] = 0xb000 | 0x030 | 0x100;
	/* XU(10) alone: user-execute only under MBEC */
	p1[8] = 0xc000 | 0x400 | 0x030;
	/* PDE, 2 MiB: R|W, type 6, bit 7 */
	p2[1] = 0x80200000 | 0x003 | 0x030 | 0x080;
	/* PDE referencing a table with reserved bit 3 set: misconfiguration */
	p2[2] = (uintptr_t)p1 | 0x007 | 0x008;
	/* PDPTE, 1 GiB: R|X|XU, type 1, bit 7 */
	p3[1] = 0xc0000000 | 0x005 | 0x400 | 0x008 | 0x080;
	/* PDPTE referencing a table, W without R */
	p3[2] = (uintptr_t)p2 | 0x002;
	/* PML4E with bit 7: reserved (Table 29-1) */
	p4[1] = 0x40000000 | 0x007 | 0x080;

	pt = enc_attach(&s2pt_fmt_ept4, p4, NULL);

	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.level, 0);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_XS | S2PT_MT_WB);

	cr_assert_eq(s2pt_lookup(pt, 0x2000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x6000);
	cr_expect_eq(leaf.prot, S2PT_X | S2PT_MT_DEV);

	cr_expect_eq(s2pt_lookup(pt, 0x3000, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x4000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x5000, &leaf), 0);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_MT_WB);

	cr_assert_eq(s2pt_lookup(pt, 0x6000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0xa000);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_MT_NC | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3);

	cr_expect_eq(s2pt_lookup(pt, 0x7000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x8000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0xc000);
	cr_expect_eq(leaf.prot, S2PT_XU);

	cr_assert_eq(s2pt_lookup(pt, 0x200000 + 0x1234, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.prot, S2PT_RW);

	cr_expect_eq(s2pt_lookup(pt, 0x400000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123456, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0xc0123456);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X | S2PT_MT_NC);

	cr_expect_eq(s2pt_lookup(pt, 2 * GIB, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x8000000000ull, &leaf), -ENOENT);

	cr_expect_eq(s2pt_map(pt, 0x9000, 0x9000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
}
