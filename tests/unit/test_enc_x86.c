// SPDX-License-Identifier: MIT
/* Encoding vectors for x86-64 4- and 5-level paging entries, worked out by
 * hand from Intel SDM vol. 3A §4.5 (Tables 4-14..4-20); public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <s2pt/s2pt.h>

#define KIB	0x1000ull
#define MIB2	0x200000ull
#define GIB	0x40000000ull
#define MT3	(3u << S2PT_MT_SHIFT)

static struct s2pt *pt_new(const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(fmt, NULL, &pt), 0);
	cr_assert_not_null(pt);
	return pt;
}

/*
 * Map [ia, ia + size) -> oa as one leaf of @size in a fresh table and return
 * the raw entry; checks on the way that the lookup sees a leaf of that
 * level and size, the right output address and the same prot decoded.
 */
static uint64_t leaf_of(const struct s2pt_fmt *fmt, uint64_t ia, uint64_t oa, uint64_t size,
			uint32_t prot, unsigned level)
{
	struct s2pt *pt = pt_new(fmt);
	struct s2pt_leaf leaf;
	int ret;

	ret = s2pt_map(pt, ia, oa, size, prot, size > KIB ? S2PT_MAP_HUGE : 0);
	cr_assert_eq(ret, 0, "map %#llx prot %#x: %d", (unsigned long long)ia, prot, ret);
	cr_assert_eq(s2pt_lookup(pt, ia + size - 8, &leaf), 0);
	cr_expect_eq(leaf.level, level);
	cr_expect_eq(leaf.size, size);
	cr_expect_eq(leaf.oa, oa + size - 8);
	cr_expect_eq(leaf.prot, prot, "decoded %#x, mapped %#x", leaf.prot, prot);
	s2pt_destroy(pt);
	return leaf.pte;
}

#define expect_pte(got, want) \
	cr_expect_eq((got), (want), "pte %#018llx, want %#018llx", \
		     (unsigned long long)(got), (unsigned long long)(want))

TestSuite(enc_x86);

/* Table 4-20 (PTE, 4 KiB page): P(0) RW(1) US(2) PWT(3) PCD(4) A(5) D(6)
 * PAT(7) G(8) ignored 11:9, address 51:12, ignored 58:52, XD(63). */
Test(enc_x86, pte_4k_rights)
{
	/* RWX: P(0) | RW(1) | A(5) = 0x023; XD(63) = 0 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX, 0),
		   0x0000000012345023ull);
	/* R: P(0) | A(5) = 0x021, XD(63) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_R, 0),
		   0x8000000012345021ull);
	/* RW: P | RW | A = 0x023, XD(63) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW, 0),
		   0x8000000012345023ull);
	/* RX: P | A = 0x021, XD = 0 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0),
		   0x0000000012345021ull);
}

Test(enc_x86, pte_4k_user_global)
{
	/* RW|U: P | RW | US(2) | A = 0x027, XD(63) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U, 0),
		   0x8000000012345027ull);
	/* RX|G: P | A | G(8) = 0x121 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			   S2PT_R | S2PT_X | S2PT_G, 0),
		   0x0000000012345121ull);
	/* RWX|U|G: P | RW | US | A | G = 0x127 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			   S2PT_RWX | S2PT_U | S2PT_G, 0),
		   0x0000000012345127ull);
}

/* §4.9.2 with S2PT_X86_PAT: index = PAT:PCD:PWT; NC = 1 (PWT, bit 3),
 * DEV = 3 (PCD bit 4 | PWT bit 3); PAT (bit 7 of a PTE) stays 0. */
Test(enc_x86, pte_4k_memtype)
{
	/* RW|WB: 0x023 | XD */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x8000000012345023ull);
	/* RW|NC: 0x023 | PWT(3) 0x008 = 0x02b | XD */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x800000001234502bull);
	/* RW|DEV: 0x023 | PCD(4) 0x010 | PWT(3) 0x008 = 0x03b | XD */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x800000001234503bull);
}

/* Ignored bits 11:9 (SW0..SW2) and 52 (SW3), Table 4-20. */
Test(enc_x86, pte_4k_sw_bits)
{
	/* RWX 0x023 | bit 9 (0x200) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x0000000012345223ull);
	/* | bit 10 (0x400) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x0000000012345423ull);
	/* | bit 11 (0x800) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x0000000012345823ull);
	/* | bit 52 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x0010000012345023ull);
	/* all four: 0xe23 | bit 52 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x12345000, KIB,
			   S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x0010000012345e23ull);
}

/* Address bits 51:12 with MAXPHYADDR 52 (§4.1.4): all 40 of them set. */
Test(enc_x86, pte_4k_oa_52bit)
{
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x400000, 0x000ffffffffff000ull, KIB, S2PT_RWX, 0),
		   0x000ffffffffff023ull);
}

/* Table 4-18 (PDE, 2 MiB page): PS(7) = 1, PAT(12), reserved 20:13,
 * address 51:21. */
Test(enc_x86, pde_2m)
{
	/* RWX: P | RW | A | PS(7) 0x080 = 0x0a3 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802000a3ull);
	/* RW: 0x0a3 | XD(63) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RW, 1),
		   0x80000000802000a3ull);
	/* RW|NC: 0x0a3 | PWT(3) = 0x0ab | XD; PAT(12) = 0 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_MT_NC, 1),
		   0x80000000802000abull);
	/* RW|DEV: 0x0a3 | PCD(4) | PWT(3) = 0x0bb | XD */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_MT_DEV, 1),
		   0x80000000802000bbull);
	/* RWX|U|G|SW0|SW3: P|RW|US|A|PS|G = 0x1a7 | bit 9 0x200 = 0x3a7 | bit 52 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, 0x40200000, 0x80200000, MIB2,
			   S2PT_RWX | S2PT_U | S2PT_G | S2PT_SW0 | S2PT_SW3, 1),
		   0x00100000802003a7ull);
}

/* Table 4-16 (PDPTE, 1 GiB page): PS(7) = 1, PAT(12), reserved 29:13,
 * address 51:30. */
Test(enc_x86, pdpte_1g)
{
	/* RW: P | RW | A | PS = 0x0a3 | XD(63) */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, GIB, 0xc0000000, GIB, S2PT_RW, 2),
		   0x80000000c00000a3ull);
	/* RW|DEV: 0x0a3 | PCD | PWT = 0x0bb | XD */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, GIB, 0xc0000000, GIB, S2PT_RW | S2PT_MT_DEV, 2),
		   0x80000000c00000bbull);
	/* RWX|U|G at the highest 1 GiB frame, address bits 51:30 all set:
	 * P | RW | US | A | PS | G = 0x1a7 */
	expect_pte(leaf_of(&s2pt_fmt_x86_64, GIB, 0x000fffffc0000000ull, GIB,
			   S2PT_RWX | S2PT_U | S2PT_G, 2),
		   0x000fffffc00001a7ull);
}

/* 5-level paging uses the same leaf layout (Tables 4-16, 4-18, 4-20). */
Test(enc_x86, la57_leaves)
{
	expect_pte(leaf_of(&s2pt_fmt_x86_64_la57, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U, 0),
		   0x8000000012345027ull);
	expect_pte(leaf_of(&s2pt_fmt_x86_64_la57, 0x40200000, 0x80200000, MIB2, S2PT_RWX, 1),
		   0x00000000802000a3ull);
	expect_pte(leaf_of(&s2pt_fmt_x86_64_la57, GIB, 0xc0000000, GIB, S2PT_RW | S2PT_MT_NC, 2),
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
	struct s2pt *pt = pt_new(&s2pt_fmt_x86_64);
	struct s2pt_leaf leaf;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, bad[i], 0), -EINVAL,
			     "prot %#x accepted", bad[i]);
		cr_expect_eq(s2pt_lookup(pt, 0x400000, &leaf), -ENOENT);
	}
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
	struct s2pt *pt = pt_new(fmt);
	unsigned accepted = 0;

	for (uint32_t p = 0; p < (1u << 16); p++) {
		uint64_t ia = (uint64_t)p << 12;
		struct s2pt_leaf leaf;
		int ret = s2pt_map(pt, ia, 0x7000000 + ia, KIB, p, 0);

		if (!x86_should_accept(p)) {
			cr_expect_eq(ret, -EINVAL, "prot %#x: %d", p, ret);
			continue;
		}
		cr_assert_eq(ret, 0, "prot %#x: %d", p, ret);
		accepted++;
		cr_assert_eq(s2pt_lookup(pt, ia, &leaf), 0);
		cr_expect_eq(leaf.prot, p, "prot %#x decoded as %#x", p, leaf.prot);
	}
	/* 2^4 (W X U G) * 3 types * 2^4 SW bits */
	cr_expect_eq(accepted, 768);
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

/* Table entries from a TABLE_PRE walk, root first. */
struct tables {
	unsigned n;
	uint64_t ia[5], pte[5], pa[5];
	unsigned level[5];
};

static int collect_table(const struct s2pt_visit *v, void *arg)
{
	struct tables *t = arg;

	cr_assert_eq(v->kind, S2PT_WALK_TABLE_PRE);
	cr_assert_lt(t->n, 5);
	t->ia[t->n] = v->ia;
	t->pte[t->n] = v->pte;
	t->pa[t->n] = v->table_pa;
	t->level[t->n] = v->level;
	t->n++;
	return 0;
}

/*
 * Tables 4-14, 4-15, 4-17, 4-19 (entries referencing a table): the library
 * writes P(0) | RW(1) | US(2) | A(5) = 0x027 and the address 51:12; PWT,
 * PCD, PS(7), bits 11:8, 62:52 and XD(63) all 0.
 */
static void check_tables(const struct s2pt_fmt *fmt, const struct s2pt_opts *opts,
			 uint64_t ia, unsigned levels, uint64_t lo, uint64_t hi)
{
	struct tables t = { 0 };
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(fmt, opts, &pt), 0);
	cr_assert_eq(s2pt_map(pt, ia, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_walk(pt, ia, KIB, S2PT_WALK_TABLE_PRE, collect_table, &t), 0);
	cr_assert_eq(t.n, levels - 1);
	for (unsigned i = 0; i < t.n; i++) {
		cr_expect_eq(t.level[i], levels - 1 - i);
		cr_expect_eq(t.pte[i] & ~0x000ffffffffff000ull, 0x027ull,
			     "level %u table entry %#llx", t.level[i],
			     (unsigned long long)t.pte[i]);
		cr_expect_eq(t.pte[i] & 0x000ffffffffff000ull, t.pa[i]);
		cr_expect(t.pa[i] >= lo && t.pa[i] < hi, "table at %#llx",
			  (unsigned long long)t.pa[i]);
	}
	s2pt_destroy(pt);
}

Test(enc_x86, table_entries)
{
	check_tables(&s2pt_fmt_x86_64, NULL, 0x400000, 4, 0, UINT64_MAX);
	check_tables(&s2pt_fmt_x86_64_la57, NULL, 0x400000, 5, 0, UINT64_MAX);
}

/* Tables placed above 2^48 by an arena: address bits 51:44 reach the entry. */
Test(enc_x86, table_entries_high_pa)
{
	const uint64_t base = 0x000ff00000000000ull;
	const size_t bytes = 64 * KIB;
	struct s2pt_opts opts = { .sz = sizeof(opts), .mm = &s2pt_arena_mm };
	struct s2pt_arena *a = NULL;
	void *mem = aligned_alloc(KIB, bytes);

	cr_assert_not_null(mem);
	cr_assert_eq(s2pt_arena_create(mem, base, bytes, &a), 0);
	opts.mm_ctx = a;
	check_tables(&s2pt_fmt_x86_64, &opts, 0x400000, 4, base, base + bytes);
	check_tables(&s2pt_fmt_x86_64_la57, &opts, 0x400000, 5, base, base + bytes);
	s2pt_arena_destroy(a);
	free(mem);
}

/*
 * §4.5.1: linear address bits 63:48 (63:57 with LA57) copy bit 47 (56).
 * The PML4 index is bits 47:39, so 0xffff800000000000 is PML4 entry 256
 * and 0xffffffffffe00000 entry 511; the heap provider has pa == va, so
 * the root can be read directly.
 */
Test(enc_x86, canonical_upper_half)
{
	struct s2pt *pt = pt_new(&s2pt_fmt_x86_64);
	const uint64_t *root;
	struct tables t = { 0 };
	struct s2pt_leaf leaf;
	int ret;

	cr_assert_eq(s2pt_map(pt, 0xffff800000000000ull, 0x5000, KIB, S2PT_RW | S2PT_G, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0xffffffffffe00000ull, 0x200000, MIB2, S2PT_RWX, S2PT_MAP_HUGE), 0);
	root = (const uint64_t *)(uintptr_t)s2pt_root(pt);
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
			       collect_table, &t), 0);
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
	struct s2pt *pt = pt_new(&s2pt_fmt_x86_64_la57);
	const uint64_t *root;
	struct tables t = { 0 };
	struct s2pt_leaf leaf;
	int ret;

	cr_assert_eq(s2pt_map(pt, 0xff00000000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0x00ff800000000000ull, 0x6000, KIB, S2PT_R, 0), 0);
	root = (const uint64_t *)(uintptr_t)s2pt_root(pt);
	cr_expect_neq(root[256], 0);
	cr_expect_neq(root[255], 0);
	cr_expect_eq(root[0], 0);
	cr_expect_eq(root[511], 0);

	cr_assert_eq(s2pt_walk(pt, 0x00ff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       collect_table, &t), 0);
	cr_assert_eq(t.n, 4);
	cr_expect_eq(t.level[0], 4);
	expect_pte(t.pte[0], root[255]);
	/* the PML4 it points at has its entry 256 in use */
	cr_expect_eq(((const uint64_t *)(uintptr_t)t.pa[0])[256], t.pte[1]);

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
	uint64_t *p4 = aligned_alloc(KIB, KIB), *p3 = aligned_alloc(KIB, KIB);
	uint64_t *p2 = aligned_alloc(KIB, KIB), *p1 = aligned_alloc(KIB, KIB);
	struct s2pt *pt = NULL;
	struct s2pt_leaf leaf;

	cr_assert(p4 && p3 && p2 && p1);
	memset(p4, 0, KIB);
	memset(p3, 0, KIB);
	memset(p2, 0, KIB);
	memset(p1, 0, KIB);
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

	cr_assert_eq(s2pt_attach(&s2pt_fmt_x86_64, (uintptr_t)p4, NULL, &pt), 0);

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
	const uint64_t base = 0x00000abcdef00000ull;
	struct s2pt_opts opts = { .sz = sizeof(opts), .mm = &s2pt_arena_mm };
	struct s2pt_arena *a = NULL;
	void *mem = aligned_alloc(KIB, 16 * KIB);
	struct s2pt *pt = NULL;
	uint64_t v = 0;

	cr_assert_not_null(mem);
	cr_assert_eq(s2pt_arena_create(mem, base, 16 * KIB, &a), 0);
	opts.mm_ctx = a;
	cr_assert_eq(s2pt_create(fmt, &opts, &pt), 0);
	cr_assert_eq(s2pt_root(pt), base);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x00000abcdef00000ull);
	cr_assert_eq(s2pt_hw_root(pt, 1, &v), 0);
	expect_pte(v, 0x00000abcdef00001ull);
	cr_assert_eq(s2pt_hw_root(pt, 0xfff, &v), 0);
	expect_pte(v, 0x00000abcdef00fffull);
	cr_expect_eq(s2pt_hw_root(pt, 0x1000, &v), -EINVAL);
	s2pt_destroy(pt);
	s2pt_arena_destroy(a);
	free(mem);
}

Test(enc_x86, cr3)
{
	check_cr3(&s2pt_fmt_x86_64);
	check_cr3(&s2pt_fmt_x86_64_la57);
}
