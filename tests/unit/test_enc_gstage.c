// SPDX-License-Identifier: MIT
/* Encoding vectors for RISC-V G-stage tables (Sv39x4 / Sv48x4 / Sv57x4) and
 * hgatp, worked out by hand from the Privileged ISA 20211203: §4.3-4.6 (PTE),
 * §8.2.10 (hgatp), §8.5.1 "Guest Physical Address Translation"; public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

#define TIB512	(1ull << 39)
#define TIB256	(1ull << 48)

/*
 * PTE layout, §4.4.1 (unchanged for G-stage, §8.5.1): V(0) R(1) W(2) X(3)
 * U(4) G(5) A(6) D(7) RSW(9:8) PPN(53:10) reserved(60:54) PBMT(62:61)
 * N(63). Every G-stage leaf has U = 1 (all G-stage accesses are user
 * accesses, §8.5.1), G = 0 (reserved), A = 1, and D = 1 exactly when W = 1.
 * So the low byte is: R 0x53, RW 0xd7, RX 0x5b, RWX 0xdf, X 0x59.
 */

#define pte_4k(prot)	enc_leaf_of(&s2pt_fmt_sv39x4, 0x400000, 0x12345000, KIB, (prot), 0)

static const struct {
	const struct s2pt_fmt *fmt;
	unsigned levels, ia_bits;
} gs[] = {
	{ &s2pt_fmt_sv39x4, 3, 41 },
	{ &s2pt_fmt_sv48x4, 4, 50 },
	{ &s2pt_fmt_sv57x4, 5, 59 },
};

TestSuite(enc_gstage);

/* oa 0x12345000: PPN 0x12345 in bits 53:10 = 0x12345 << 10 = 0x48d1400. */
Test(enc_gstage, pte_4k_rights)
{
	/* RWX: V R W X U(4) A D = 0x0df */
	expect_pte(pte_4k(S2PT_RWX), 0x00000000048d14dfull);
	/* R: V R U A = 0x053; D = 0 without W */
	expect_pte(pte_4k(S2PT_R), 0x00000000048d1453ull);
	/* RW: V R W U A D = 0x0d7 */
	expect_pte(pte_4k(S2PT_RW), 0x00000000048d14d7ull);
	/* RX: V R X U A = 0x05b */
	expect_pte(pte_4k(S2PT_R | S2PT_X), 0x00000000048d145bull);
	/* execute-only (§4.3.1 R/W/X table; HS-level MXR can make it readable,
	 * §8.5): V X U A = 0x059 */
	expect_pte(pte_4k(S2PT_X), 0x00000000048d1459ull);
}

/* RSW (bits 9:8) hold SW0 (bit 8) and SW1 (bit 9), §4.3.1. */
Test(enc_gstage, pte_sw_bits)
{
	/* R|SW0: 0x053 | 0x100 = 0x153 */
	expect_pte(pte_4k(S2PT_R | S2PT_SW0), 0x00000000048d1553ull);
	/* R|SW1: 0x053 | 0x200 = 0x253 */
	expect_pte(pte_4k(S2PT_R | S2PT_SW1), 0x00000000048d1653ull);
	/* RW|SW0|SW1: 0x0d7 | 0x300 = 0x3d7 */
	expect_pte(pte_4k(S2PT_RW | S2PT_SW0 | S2PT_SW1), 0x00000000048d17d7ull);
}

/* Svpbmt, PBMT in bits 62:61: 0 PMA (WB), 1 NC, 2 IO (DEV). */
Test(enc_gstage, pte_memtypes)
{
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_WB), 0x00000000048d14d7ull);
	/* NC: PBMT 1 = bit 61 */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_NC), 0x20000000048d14d7ull);
	/* DEV: PBMT 2 = bit 62 */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_DEV), 0x40000000048d14d7ull);
	/* execute-only IO: 0x059 | bit 62 */
	expect_pte(pte_4k(S2PT_X | S2PT_MT_DEV), 0x40000000048d1459ull);
}

/* Supervisor physical addresses are 56 bits (PPN 53:10). */
Test(enc_gstage, pte_top_of_pa)
{
	/* oa 0xfffffffffff000: PPN 0xfffffffffff << 10 = 0x3ffffffffffc00 | R 0x053 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39x4, 0x400000, 0xfffffffffff000ull, KIB, S2PT_R, 0),
		   0x003ffffffffffc53ull);
}

/* Superpages at every level (§4.4.1-4.6.1 unchanged, §8.5.1). */
Test(enc_gstage, superpages)
{
	/* Sv39x4 2 MiB at oa 0x80200000: PPN 0x80200 << 10 = 0x20080000 | RW 0x0d7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39x4, MIB2, 0x80200000, MIB2, S2PT_RW, 1),
		   0x00000000200800d7ull);
	/* Sv39x4 1 GiB (a root entry) at oa 0xc0000000: PPN 0xc0000 << 10 = 0x30000000 | RX */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39x4, GIB, 0xc0000000, GIB, S2PT_R | S2PT_X, 2),
		   0x000000003000005bull);
	/* Sv48x4 1 GiB RW: 0x300000d7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv48x4, GIB, 0xc0000000, GIB, S2PT_RW, 2),
		   0x00000000300000d7ull);
	/* Sv48x4 512 GiB at oa 2^39: PPN 2^27 << 10 = 2^37 = 0x2000000000 | RW */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv48x4, TIB512, TIB512, TIB512, S2PT_RW, 3),
		   0x00000020000000d7ull);
	/* Sv57x4 512 GiB at oa 3 * 2^39: PPN 3 * 2^27 << 10 = 0x6000000000 | R */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv57x4, TIB512, 3 * TIB512, TIB512, S2PT_R, 3),
		   0x0000006000000053ull);
	/* Sv57x4 256 TiB at oa 2^48: PPN 2^36 << 10 = 2^46 = 0x400000000000 | RWX */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv57x4, TIB256, TIB256, TIB256, S2PT_RWX, 4),
		   0x00004000000000dfull);
}

/*
 * The two extra GPA bits widen VPN[top] to 11 bits (§8.5.1 figures
 * "Sv39x4/Sv48x4/Sv57x4 virtual address"): the root has 2048 entries and
 * GPAs are not sign-extended.
 */
Test(enc_gstage, wide_root)
{
	struct s2pt_leaf leaf;
	struct s2pt *pt;

	/* Sv39x4 GPA 2^40: VPN[2] = 2^40 >> 30 = 1024. 1 GiB RW at oa
	 * 0x40000000: PPN 0x40000 << 10 = 0x10000000 | 0x0d7 */
	pt = enc_pt_new(&s2pt_fmt_sv39x4);
	cr_assert_eq(s2pt_map(pt, 1ull << 40, 0x40000000, GIB, S2PT_RW, S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 1024), 0x00000000100000d7ull);
	/* the last GPA gigabyte, 0x1ffc0000000: VPN[2] = 2047. R at 0x80000000:
	 * PPN 0x80000 << 10 = 0x20000000 | 0x053 */
	cr_assert_eq(s2pt_map(pt, 0x1ffc0000000ull, 0x80000000, GIB, S2PT_R, S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 2047), 0x0000000020000053ull);
	cr_assert_eq(s2pt_lookup(pt, 0x1fffffffff8ull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0xbffffff8);
	cr_expect_eq(leaf.level, 2);
	/* GPA bit 38 alone is a plain address (VPN[2] = 256), not an error */
	cr_assert_eq(s2pt_map(pt, 1ull << 38, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_expect_neq(enc_root_entry(pt, 256), 0);
	cr_assert_eq(s2pt_lookup(pt, (1ull << 38) + 0x10, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345010);
	/* bits 63:41 must be zero (guest-page fault otherwise) */
	cr_expect_eq(s2pt_map(pt, 1ull << 41, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	cr_expect_eq(s2pt_map(pt, (1ull << 41) - KIB, 0x12345000, 2 * KIB, S2PT_R, 0), -ERANGE);
	cr_expect_eq(s2pt_lookup(pt, 1ull << 41, &leaf), -ERANGE);
	cr_expect_eq(s2pt_lookup(pt, 0xfffffe0000000000ull, &leaf), -ERANGE);
	s2pt_destroy(pt);

	/* Sv48x4 GPA 2^49: VPN[3] = 2^49 >> 39 = 1024; bits 63:50 must be zero */
	pt = enc_pt_new(&s2pt_fmt_sv48x4);
	cr_assert_eq(s2pt_map(pt, 1ull << 49, TIB512, TIB512, S2PT_RW, S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 1024), 0x00000020000000d7ull);
	cr_expect_eq(s2pt_map(pt, 1ull << 50, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	s2pt_destroy(pt);

	/* Sv57x4 GPA 2^58: VPN[4] = 2^58 >> 48 = 1024; the last 256 TiB,
	 * 2^59 - 2^48, is VPN[4] = 2047. RWX at oa 3 * 2^48: PPN 3 * 2^36 << 10
	 * = 0xc00000000000 | 0x0df. Bits 63:59 must be zero. */
	pt = enc_pt_new(&s2pt_fmt_sv57x4);
	cr_assert_eq(s2pt_map(pt, 1ull << 58, TIB256, TIB256, S2PT_R, S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 1024), 0x0000400000000053ull);
	cr_assert_eq(s2pt_map(pt, (1ull << 59) - TIB256, 3 * TIB256, TIB256, S2PT_RWX,
			      S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 2047), 0x0000c000000000dfull);
	cr_expect_eq(s2pt_map(pt, 1ull << 59, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	s2pt_destroy(pt);
}

/* The root is 16 KiB (2048 entries), aligned to 16 KiB (§8.2.10, §8.5.1). */
Test(enc_gstage, root_geometry)
{
	/* leaf sizes: 4K 0x1000 | 2M 0x200000 | 1G 0x40000000 (+ 512G 2^39, + 256T 2^48) */
	static const uint64_t sizes[] = { 0x40201000ull, 0x8040201000ull, 0x1008040201000ull };

	for (unsigned i = 0; i < 3; i++) {
		struct s2pt *pt = enc_pt_new(gs[i].fmt);
		struct s2pt_info info;

		cr_assert_eq(s2pt_info(pt, &info), 0);
		cr_expect_eq(info.levels, gs[i].levels);
		cr_expect_eq(info.ia_bits, gs[i].ia_bits);
		cr_expect_eq(info.oa_bits, 56);
		cr_expect_eq(info.root_bytes, 0x4000);
		cr_expect_eq(info.table_pages[gs[i].levels - 1], 4);
		cr_expect_eq(info.leaf_sizes, sizes[i]);
		cr_expect_eq(info.empty_pages, 0);
		cr_expect_eq(s2pt_root(pt) & 0x3fff, 0, "root %#llx",
			     (unsigned long long)s2pt_root(pt));
		for (unsigned j = 0; j < 2048; j++)
			cr_expect_eq(enc_root_entry(pt, j), 0);
		s2pt_destroy(pt);
	}
}

/* Non-leaf PTEs for a 4 KiB page, at the bottom and the top of each GPA space. */
Test(enc_gstage, table_entries)
{
	for (unsigned i = 0; i < 3; i++) {
		uint64_t top = (1ull << gs[i].ia_bits) - KIB;
		uint64_t ias[2] = { 0x400000, top };
		/* the root slot and its span: GPA >> (12 + 9 * (levels - 1)) */
		unsigned slot[2] = { 0, 2047 };
		struct s2pt *pt = enc_pt_new(gs[i].fmt);

		for (unsigned k = 0; k < 2; k++) {
			struct enc_tables t = { 0 };
			uint64_t span = 1ull << (12 + 9 * (gs[i].levels - 1));

			cr_assert_eq(s2pt_map(pt, ias[k], 0x12345000, KIB, S2PT_RW, 0), 0);
			cr_assert_eq(s2pt_walk(pt, ias[k], KIB, S2PT_WALK_TABLE_PRE,
					       enc_collect_table, &t), 0);
			cr_assert_eq(t.n, gs[i].levels - 1);
			for (unsigned j = 0; j < t.n; j++) {
				cr_expect_eq(t.level[j], gs[i].levels - 1 - j);
				enc_expect_sv_table(t.pte[j], t.pa[j]);
			}
			cr_expect_eq(t.ia[0], slot[k] * span);
			expect_pte(enc_root_entry(pt, slot[k]), t.pte[0]);
		}
		s2pt_destroy(pt);
	}
}

/* Prots a G-stage entry cannot express exactly are refused, nothing mapped. */
Test(enc_gstage, refused)
{
	static const uint32_t bad[] = {
		0,				/* neither R nor X */
		S2PT_W,				/* W without R: reserved (§4.3.1) */
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_U,		/* U is always 1 in G-stage (§8.5.1) */
		S2PT_RW | S2PT_U,
		S2PT_R | S2PT_G,		/* G is reserved in G-stage (§8.5.1) */
		S2PT_RWX | S2PT_U | S2PT_G,
		S2PT_U, S2PT_G,
		S2PT_R | S2PT_XU,		/* one X bit: no split execute */
		S2PT_R | S2PT_XS,
		S2PT_XU,
		S2PT_R | S2PT_SW2,		/* RSW has two bits only */
		S2PT_R | S2PT_SW3,
		S2PT_R | MT3,			/* PBMT 3 is reserved (Svpbmt) */
		S2PT_R | (1u << 7),		/* not an S2PT_* bit */
	};
	for (unsigned f = 0; f < 3; f++) {
		struct s2pt *pt = enc_pt_new(gs[f].fmt);

		enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
		cr_assert_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, S2PT_R, 0), 0);
		cr_expect_eq(s2pt_protect(pt, 0x400000, KIB, S2PT_R | S2PT_U), -EINVAL);
		s2pt_destroy(pt);
	}
}

/* Every prot the format takes decodes back to itself, at every leaf level. */
Test(enc_gstage, prot_round_trip)
{
	static const uint32_t rights[] = {
		S2PT_R, S2PT_RW, S2PT_X, S2PT_R | S2PT_X, S2PT_RWX,
	};
	static const uint32_t extra[] = {
		0, S2PT_MT_NC, S2PT_MT_DEV, S2PT_SW0, S2PT_SW1,
		S2PT_MT_DEV | S2PT_SW0 | S2PT_SW1, S2PT_MT_NC | S2PT_SW1,
	};

	for (unsigned i = 0; i < sizeof(rights) / sizeof(rights[0]); i++)
		for (unsigned j = 0; j < sizeof(extra) / sizeof(extra[0]); j++) {
			uint32_t p = rights[i] | extra[j];

			enc_leaf_of(&s2pt_fmt_sv39x4, 0x400000, 0x12345000, KIB, p, 0);
			enc_leaf_of(&s2pt_fmt_sv39x4, MIB2, 0x80200000, MIB2, p, 1);
			enc_leaf_of(&s2pt_fmt_sv39x4, GIB, 0xc0000000, GIB, p, 2);
			enc_leaf_of(&s2pt_fmt_sv48x4, TIB512, TIB512, TIB512, p, 3);
			enc_leaf_of(&s2pt_fmt_sv57x4, TIB256, TIB256, TIB256, p, 4);
		}
}

/*
 * A split megapage keeps U and its encoding one level down; A/D (hw_bits)
 * survive a rewrite: after RW -> R the leaf keeps D = 1.
 */
Test(enc_gstage, split_and_protect)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_sv39x4);
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, MIB2, 0x80200000, MIB2, S2PT_RW, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_unmap(pt, MIB2, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + KIB, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	/* oa 0x80201000: PPN 0x80201 << 10 = 0x20080400 | V R W U A D 0x0d7 */
	expect_pte(leaf.pte, 0x00000000200804d7ull);
	cr_assert_eq(s2pt_protect(pt, MIB2 + KIB, KIB, S2PT_R), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + KIB, &leaf), 0);
	/* V R U A = 0x053, D (0x080) kept: 0x0d3 */
	expect_pte(leaf.pte, 0x00000000200804d3ull);
	cr_expect_eq(leaf.prot, S2PT_R);
	s2pt_destroy(pt);
}

/* An arena places the root at a chosen physical address (first fit). */
static struct s2pt *pt_at(const struct s2pt_fmt *fmt, uint64_t pa_base, struct enc_arena *a)
{
	enc_arena_init(a, pa_base, 64 * KIB);
	return enc_arena_pt(a, fmt);
}

#define expect_hw(pt, vmid, want)					\
	do {								\
		uint64_t v_ = 0;					\
		cr_assert_eq(s2pt_hw_root((pt), (vmid), &v_), 0);	\
		expect_hex("hgatp", v_, want);				\
	} while (0)

/*
 * hgatp (§8.2.10, HSXLEN = 64): MODE 63:60 (8 Sv39x4, 9 Sv48x4, 10 Sv57x4),
 * bits 59:58 zero, VMID 57:44 (VMIDMAX 14), PPN 43:0.
 */
Test(enc_gstage, hgatp)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v;

	/* root at 0x80000000: PPN 0x80000 */
	pt = pt_at(&s2pt_fmt_sv39x4, 0x80000000, &a);
	cr_assert_eq(s2pt_root(pt), 0x80000000);
	/* MODE 8 << 60 = 0x8000000000000000 */
	expect_hw(pt, 0, 0x8000000000080000ull);
	/* VMID 1 << 44 = 0x0000100000000000 */
	expect_hw(pt, 1, 0x8000100000080000ull);
	/* VMID 0x3fff << 44 = 0x03fff00000000000 (bits 57:44 all set) */
	expect_hw(pt, 0x3fff, 0x83fff00000080000ull);
	/* 15 bits and more: wider than VMIDMAX */
	cr_expect_eq(s2pt_hw_root(pt, 0x4000, &v), -EINVAL);
	cr_expect_eq(s2pt_hw_root(pt, 0xffff, &v), -EINVAL);
	enc_arena_fini(&a, pt);

	/* Sv48x4, root at 0x123454000 (16 KiB aligned: 0x48d15 * 0x4000):
	 * PPN 0x123454; MODE 9 << 60; VMID 0x2a5 << 44 = 0x002a500000000000 */
	pt = pt_at(&s2pt_fmt_sv48x4, 0x123454000ull, &a);
	cr_assert_eq(s2pt_root(pt), 0x123454000ull);
	expect_hw(pt, 0x2a5, 0x902a500000123454ull);
	expect_hw(pt, 0, 0x9000000000123454ull);
	enc_arena_fini(&a, pt);

	/* Sv57x4, arena at 0x80001000: the 16 KiB-aligned root is the first
	 * aligned slot, 0x80004000, PPN 0x80004; MODE 10 << 60 = 0xa000...;
	 * VMID 0x1234 << 44 = 0x0123400000000000 */
	pt = pt_at(&s2pt_fmt_sv57x4, 0x80001000ull, &a);
	cr_assert_eq(s2pt_root(pt), 0x80004000ull);
	expect_hw(pt, 0x1234, 0xa123400000080004ull);
	cr_expect_eq(s2pt_hw_root(pt, 0x4000, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}

/*
 * Foreign G-stage tables (s2pt_attach), built by hand, classified as the
 * §4.3.2 walk with the §8.5.1 changes would: a leaf without U faults on
 * every access (all G-stage accesses are user accesses), G is ignored.
 */
Test(enc_gstage, attach_classify)
{
	uint64_t *mem = enc_zalloc(0x4000, 0x8000), *root = mem;
	uint64_t *l1 = enc_zalloc(KIB, KIB), *l0 = enc_zalloc(KIB, KIB);
	struct s2pt_leaf leaf;
	struct s2pt *pt;
	uint64_t v;

	/* root[0] -> l1: PPN(l1) << 10 | V */
	root[0] = ((uint64_t)(uintptr_t)l1 >> 12) << 10 | 0x001;
	/* l1[0]: 2 MiB at 0x80200000, V R U A = 0x053 */
	l1[0] = 0x0000000020080053ull;
	/* l1[1]: the same without U: V R A = 0x043 (always a guest-page fault) */
	l1[1] = 0x0000000020080043ull;
	/* l1[2]: with G as well: V R U G A = 0x073 (G ignored) */
	l1[2] = 0x0000000020080073ull;
	/* l1[3]: misaligned megapage, PPN 0x80201 (§4.3.2 step 6) */
	l1[3] = 0x0000000020080453ull;
	/* l1[4]: PBMT = 3 (reserved) */
	l1[4] = 0x6000000020080053ull;
	/* l1[5]: a pointer with U set (reserved in non-leaf PTEs) */
	l1[5] = ((uint64_t)(uintptr_t)l0 >> 12) << 10 | 0x011;
	/* l1[6] -> l0; l0[1]: 4 KiB RW at 0x12345000 = 0x48d14d7 */
	l1[6] = ((uint64_t)(uintptr_t)l0 >> 12) << 10 | 0x001;
	l0[1] = 0x00000000048d14d7ull;
	/* root[1024] (GPA 2^40): 1 GiB at 0x40000000, V R X U A = 0x05b */
	root[1024] = 0x000000001000005bull;
	/* root[2047]: 1 GiB execute-only without U: V X A = 0x049 */
	root[2047] = 0x0000000010000049ull;

	pt = enc_attach(&s2pt_fmt_sv39x4, root, NULL);
	cr_assert_eq(s2pt_lookup(pt, 0x1234, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.size, MIB2);
	cr_expect_eq(leaf.prot, S2PT_R);
	cr_expect_eq(s2pt_lookup(pt, MIB2, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, 2 * MIB2 + 8, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80200008);
	cr_expect_eq(leaf.prot, S2PT_R);
	for (unsigned i = 3; i <= 5; i++)
		cr_expect_eq(s2pt_lookup(pt, i * MIB2 + KIB, &leaf), -ENOENT, "l1[%u]", i);
	cr_assert_eq(s2pt_lookup(pt, 6 * MIB2 + KIB + 8, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.prot, S2PT_RW);
	cr_assert_eq(s2pt_lookup(pt, (1ull << 40) + 0x5000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x40005000);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X);
	cr_expect_eq(s2pt_lookup(pt, 0x1ffc0000000ull, &leaf), -ENOENT);
	cr_expect_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);

	/* a root only 4 KiB aligned cannot go in hgatp (PPN[1:0] read as 0) */
	pt = enc_attach(&s2pt_fmt_sv39x4, (const char *)mem + KIB, NULL);
	cr_expect_eq(s2pt_hw_root(pt, 0, &v), -EINVAL);
	s2pt_destroy(pt);
	free(mem);
	free(l1);
	free(l0);
}

/* The formats answer to their short names. */
Test(enc_gstage, names)
{
	cr_expect_eq(s2pt_fmt_find("sv39x4"), &s2pt_fmt_sv39x4);
	cr_expect_eq(s2pt_fmt_find("sv48x4"), &s2pt_fmt_sv48x4);
	cr_expect_eq(s2pt_fmt_find("sv57x4"), &s2pt_fmt_sv57x4);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_sv57x4), "sv57x4");
}
