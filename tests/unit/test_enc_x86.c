// SPDX-License-Identifier: MIT
/* Encoding vectors for x86-64 4- and 5-level paging entries, worked out by
 * hand from Intel SDM vol. 3A §4.5 (Tables 4-14..4-20); public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

TestSuite(enc_x86);

/* Table 4-20 (PTE, 4 KiB page): P(0) RW(1) US(2) PWT(3) PCD(4) A(5) D(6)
 * PAT(7) G(8) ignored 11:9, address 51:12, ignored 58:52, XD(63). */
Test(enc_x86, pte_4k_rights)
{
	/* RWX: P(0) | RW(1) | A(5) = 0x023; XD(63) = 0 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX, 0),
		   0x0000000012345023ull);
	/* R: P(0) | A(5) = 0x021, XD(63) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_R, 0),
		   0x8000000012345021ull);
	/* RW: P | RW | A = 0x023, XD(63) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW, 0),
		   0x8000000012345023ull);
	/* RX: P | A = 0x021, XD = 0 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0),
		   0x0000000012345021ull);
}

Test(enc_x86, pte_4k_user_global)
{
	/* RW|U: P | RW | US(2) | A = 0x027, XD(63) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U, 0),
		   0x8000000012345027ull);
	/* RX|G: P | A | G(8) = 0x121 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_R | S2PT_X | S2PT_G, 0),
		   0x0000000012345121ull);
	/* RWX|U|G: P | RW | US | A | G = 0x127 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_RWX | S2PT_U | S2PT_G, 0),
		   0x0000000012345127ull);
}

/* §4.9.2 with S2PT_X86_PAT: index = PAT:PCD:PWT; NC = 1 (PWT, bit 3),
 * DEV = 3 (PCD bit 4 | PWT bit 3); PAT (bit 7 of a PTE) stays 0. */
Test(enc_x86, pte_4k_memtype)
{
	/* RW|WB: 0x023 | XD */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_RW | S2PT_MT_WB, 0),
		   0x8000000012345023ull);
	/* RW|NC: 0x023 | PWT(3) 0x008 = 0x02b | XD */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_RW | S2PT_MT_NC, 0),
		   0x800000001234502bull);
	/* RW|DEV: 0x023 | PCD(4) 0x010 | PWT(3) 0x008 = 0x03b | XD */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_RW | S2PT_MT_DEV, 0),
		   0x800000001234503bull);
}

/* Ignored bits 11:9 (SW0..SW2) and 52 (SW3), Table 4-20. */
Test(enc_x86, pte_4k_sw_bits)
{
	/* RWX 0x023 | bit 9 (0x200) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x0000000012345223ull);
	/* | bit 10 (0x400) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x0000000012345423ull);
	/* | bit 11 (0x800) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x0000000012345823ull);
	/* | bit 52 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x0010000012345023ull);
	/* all four: 0xe23 | bit 52 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			       S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x0010000012345e23ull);
}

/* Address bits 51:12 with MAXPHYADDR 52 (§4.1.4): all 40 of them set. */
Test(enc_x86, pte_4k_oa_52bit)
{
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x000ffffffffff000ull, KIB, S2PT_RWX, 0),
		   0x000ffffffffff023ull);
}

/* Table 4-18 (PDE, 2 MiB page): PS(7) = 1, PAT(12), reserved 20:13,
 * address 51:21. */
Test(enc_x86, pde_2m)
{
	/* RWX: P | RW | A | PS(7) 0x080 = 0x0a3 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802000a3ull);
	/* RW: 0x0a3 | XD(63) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RW, 1),
		   0x80000000802000a3ull);
	/* RW|NC: 0x0a3 | PWT(3) = 0x0ab | XD; PAT(12) = 0 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2,
			       S2PT_RW | S2PT_MT_NC, 1),
		   0x80000000802000abull);
	/* RW|DEV: 0x0a3 | PCD(4) | PWT(3) = 0x0bb | XD */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2,
			       S2PT_RW | S2PT_MT_DEV, 1),
		   0x80000000802000bbull);
	/* RWX|U|G|SW0|SW3: P|RW|US|A|PS|G = 0x1a7 | bit 9 0x200 = 0x3a7 | bit 52 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2,
			       S2PT_RWX | S2PT_U | S2PT_G | S2PT_SW0 | S2PT_SW3, 1),
		   0x00100000802003a7ull);
}

/* Table 4-16 (PDPTE, 1 GiB page): PS(7) = 1, PAT(12), reserved 29:13,
 * address 51:30. */
Test(enc_x86, pdpte_1g)
{
	/* RW: P | RW | A | PS = 0x0a3 | XD(63) */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, GIB, 0xc0000000, GIB, S2PT_RW, 2),
		   0x80000000c00000a3ull);
	/* RW|DEV: 0x0a3 | PCD | PWT = 0x0bb | XD */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, GIB, 0xc0000000, GIB, S2PT_RW | S2PT_MT_DEV, 2),
		   0x80000000c00000bbull);
	/* RWX|U|G at the highest 1 GiB frame, address bits 51:30 all set:
	 * P | RW | US | A | PS | G = 0x1a7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64, GIB, 0x000fffffc0000000ull, GIB,
			       S2PT_RWX | S2PT_U | S2PT_G, 2),
		   0x000fffffc00001a7ull);
}

/* 5-level paging uses the same leaf layout (Tables 4-16, 4-18, 4-20). */
Test(enc_x86, la57_leaves)
{
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64_la57, 0x400000, 0x12345000, KIB,
			       S2PT_RW | S2PT_U, 0),
		   0x8000000012345027ull);
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64_la57, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802000a3ull);
	expect_pte(enc_leaf_of(&s2pt_fmt_x86_64_la57, GIB, 0xc0000000, GIB,
			       S2PT_RW | S2PT_MT_NC, 2),
		   0x80000000c00000abull);
}

/* What x86 cannot express exactly is refused and nothing is mapped. */
Test(enc_x86, refused_prots)
{
	const uint32_t bad[] = {
		0,				/* nothing */
		S2PT_W,				/* write without read */
		S2PT_X,				/* execute-only: present implies readable, §4.6 */
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_XU,		/* no split execute in first-stage x86 */
		S2PT_R | S2PT_XS,
		S2PT_RWX | S2PT_XU,
		S2PT_R | MT3,			/* memory type 3 undefined */
		S2PT_R | (1u << 7),		/* bits outside the public set */
		S2PT_R | (1u << 11),
		S2PT_R | (1u << 16),
		S2PT_R | (1u << 31),
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_x86_64);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

/*
 * The accepted set, spelled out from §4.6 and the brief: R required,
 * W, X, U, G, WB/NC/DEV and SW0..3 in any combination; nothing else.
 * Each accepted prot decodes back to itself (leaf.prot).
 */
static bool x86_should_accept(uint32_t p)
{
	const uint32_t ok = S2PT_R | S2PT_W | S2PT_X | S2PT_U | S2PT_G | S2PT_MT_MASK |
			    S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3;

	return (p & S2PT_R) && !(p & ~ok) && (p & S2PT_MT_MASK) != MT3;
}

static void accept_set(const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = enc_pt_new(fmt);

	/* 2^4 (W X U G) * 3 types * 2^4 SW bits */
	cr_expect_eq(enc_accept_set(pt, x86_should_accept, NULL), 768);
	s2pt_destroy(pt);
}

Test(enc_x86, accept_set_and_round_trip)
{
	accept_set(&s2pt_fmt_x86_64);
}

Test(enc_x86, la57_accept_set)
{
	accept_set(&s2pt_fmt_x86_64_la57);
}

/*
 * Tables 4-14, 4-15, 4-17, 4-19 (entries referencing a table): the library
 * writes P(0) | RW(1) | US(2) | A(5) = 0x027 and the address 51:12; PWT,
 * PCD, PS(7), bits 11:8, 62:52 and XD(63) all 0.
 */
static void check_tables(const struct s2pt_fmt *fmt, const struct enc_arena *a, unsigned levels)
{
	enc_check_tables(fmt, a, 0x400000, S2PT_RW, levels, 0x000ffffffffff000ull, 0x027ull);
}

Test(enc_x86, table_entries)
{
	check_tables(&s2pt_fmt_x86_64, NULL, 4);
	check_tables(&s2pt_fmt_x86_64_la57, NULL, 5);
}

/* Tables placed above 2^48 by an arena: address bits 51:44 reach the entry. */
Test(enc_x86, table_entries_high_pa)
{
	struct enc_arena a;

	enc_arena_init(&a, 0x000ff00000000000ull, 64 * KIB);
	check_tables(&s2pt_fmt_x86_64, &a, 4);
	check_tables(&s2pt_fmt_x86_64_la57, &a, 5);
	enc_arena_fini(&a, NULL);
}

/*
 * §4.5.1: linear address bits 63:48 (63:57 with LA57) copy bit 47 (56).
 * The PML4 index is bits 47:39, so 0xffff800000000000 is PML4 entry 256
 * and 0xffffffffffe00000 entry 511; the heap provider has pa == va, so
 * the root can be read directly.
 */
Test(enc_x86, canonical_upper_half)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_x86_64);
	const uint64_t *root;
	struct enc_tables t = { 0 };
	struct s2pt_leaf leaf;
	int ret;

	cr_assert_eq(s2pt_map(pt, 0xffff800000000000ull, 0x5000, KIB, S2PT_RW | S2PT_G, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0xffffffffffe00000ull, 0x200000, MIB2, S2PT_RWX, S2PT_MAP_HUGE), 0);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[256], 0);
	cr_expect_neq(root[511], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(root[255], 0);
	cr_expect_eq(root[257], 0);

	cr_assert_eq(s2pt_lookup(pt, 0xffff800000000abcull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x5abc);
	/* P | RW | A | G(8) = 0x123, XD */
	expect_pte(leaf.pte, 0x8000000000005123ull);
	cr_assert_eq(s2pt_lookup(pt, 0xffffffffffffffffull, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x3fffff);
	/* P | RW | A | PS = 0x0a3 */
	expect_pte(leaf.pte, 0x00000000002000a3ull);

	cr_assert_eq(s2pt_walk(pt, 0xffff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	cr_expect_eq(t.ia[0], 0xffff800000000000ull);
	expect_pte(t.pte[0], root[256]);

	/* bit 47 clear but 63:48 set, and the reverse: not canonical */
	ret = s2pt_map(pt, 0xffff000000000000ull, 0x5000, KIB, S2PT_RW, 0);
	cr_expect(ret == -ERANGE || ret == -EINVAL, "got %d", ret);
	ret = s2pt_map(pt, 0x0000800000000000ull, 0x5000, KIB, S2PT_RW, 0);
	cr_expect(ret == -ERANGE || ret == -EINVAL, "got %d", ret);
	s2pt_destroy(pt);
}

/* LA57: the PML5 index is bits 56:48, so 0xff00000000000000 is PML5 entry
 * 256; 0x00ff800000000000 (a lower-half address beyond 48 bits) is PML5
 * entry 255 and PML4 entry 256. */
Test(enc_x86, la57_canonical)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_x86_64_la57);
	const uint64_t *root;
	struct enc_tables t = { 0 };
	struct s2pt_leaf leaf;
	int ret;

	cr_assert_eq(s2pt_map(pt, 0xff00000000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0x00ff800000000000ull, 0x6000, KIB, S2PT_R, 0), 0);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[256], 0);
	cr_expect_neq(root[255], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(root[511], 0);

	cr_assert_eq(s2pt_walk(pt, 0x00ff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 4);
	cr_expect_eq(t.level[0], 4);
	expect_pte(t.pte[0], root[255]);
	/* the PML4 it points at has its entry 256 in use */
	cr_expect_eq(enc_tbl(t.pa[0])[256], t.pte[1]);

	cr_assert_eq(s2pt_lookup(pt, 0xff00000000000010ull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x5010);
	cr_assert_eq(s2pt_lookup(pt, 0x00ff800000000010ull, &leaf), 0);
	/* P | A = 0x021, XD */
	expect_pte(leaf.pte, 0x8000000000006021ull);

	ret = s2pt_map(pt, 0x0100000000000000ull, 0x5000, KIB, S2PT_RW, 0);
	cr_expect(ret == -ERANGE || ret == -EINVAL, "got %d", ret);
	s2pt_destroy(pt);
}

/*
 * Decoding entries the library did not write, through a read-only view
 * of hand-built tables (heap provider: pa == va).
 */
Test(enc_x86, decode_foreign)
{
	uint64_t *p4 = enc_zalloc(KIB, KIB), *p3 = enc_zalloc(KIB, KIB);
	uint64_t *p2 = enc_zalloc(KIB, KIB), *p1 = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	p4[0] = (uintptr_t)p3 | 0x27;
	p3[0] = (uintptr_t)p2 | 0x27;
	p2[0] = (uintptr_t)p1 | 0x27;
	/* PTE: P | RW | PCD(4) | A | D(6) | PAT(7): index 6 by the SDM; PAT is
	 * ignored, PCD alone (UC-) reads as DEV; XD clear: X */
	p1[1] = 0x12345000 | 0x01 | 0x02 | 0x10 | 0x20 | 0x40 | 0x80;
	/* PTE: P only, A = 0: still a present read-only executable page */
	p1[2] = 0x6000 | 0x01;
	/* PTE: P = 0 with other bits: not present */
	p1[3] = 0x7000 | 0x02 | 0x20;
	/* PDE 2 MiB: P | A | PS | PAT(12), XD; bit 12 is PAT, not address */
	p2[1] = 0x80200000 | 0x1000 | 0x01 | 0x20 | 0x80 | (1ull << 63);
	/* PDPTE 1 GiB: P | RW | US | PWT(3) | A | PS | G(8) */
	p3[1] = 0xc0000000 | 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x80 | 0x100;
	/* PML4E with PS(7): reserved (Table 4-15), translates nothing */
	p4[1] = 0x40000000 | 0x01 | 0x02 | 0x20 | 0x80;

	pt = enc_attach(&s2pt_fmt_x86_64, p4, NULL);

	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.level, 0);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_MT_DEV);

	cr_assert_eq(s2pt_lookup(pt, 0x2000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x6000);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X);

	cr_expect_eq(s2pt_lookup(pt, 0x3000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x200000 + 0x1234, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.prot, S2PT_R);

	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123456, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0xc0123456);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_U | S2PT_G | S2PT_MT_NC);

	cr_expect_eq(s2pt_lookup(pt, 0x8000000000ull, &leaf), -ENOENT);

	cr_expect_eq(s2pt_map(pt, 0x5000, 0x5000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
}

/*
 * CR3 (SDM 3A §4.5.2, Tables 4-12 and 4-13): the root in bits 51:12;
 * @vmid is the PCID in bits 11:0 (meaningful with CR4.PCIDE = 1); with
 * vmid 0, PWT(3) = PCD(4) = 0. PCIDs are 12 bits: 0x1000 is refused.
 * The root is an arena's first page, 0x00000abcdef00000.
 */
static void check_cr3(const struct s2pt_fmt *fmt)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0;

	enc_arena_init(&a, 0x00000abcdef00000ull, 16 * KIB);
	pt = enc_arena_root(&a, fmt);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef00000ull);
	cr_assert_eq(s2pt_hw_root(pt, 1, &v), 0);
	expect_pte(v, 0x00000abcdef00001ull);
	cr_assert_eq(s2pt_hw_root(pt, 0xfff, &v), 0);
	expect_pte(v, 0x00000abcdef00fffull);
	cr_expect_eq(s2pt_hw_root(pt, 0x1000, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}

Test(enc_x86, cr3)
{
	check_cr3(&s2pt_fmt_x86_64);
	check_cr3(&s2pt_fmt_x86_64_la57);
}
