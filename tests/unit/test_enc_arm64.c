// SPDX-License-Identifier: MIT
/* Encoding vectors for AArch64 VMSAv8-64 stage-1 descriptors, 4 KiB granule,
 * worked out by hand from the ARM ARM (DDI 0487) D8.3; public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

#define A64_ADDR 0x0000fffffffff000ull	/* bits 47:12 */

/*
 * Map [ia, ia + size) -> oa as one leaf of @size in a fresh table and return
 * the raw descriptor; checks the lookup's level, size, output address and
 * decoded prot on the way.
 */
static uint64_t leaf_of(uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot, unsigned level)
{
	return enc_leaf_of(&s2pt_fmt_arm64_4k, ia, oa, size, prot, level);
}

TestSuite(enc_arm64);

/*
 * D8.3, page descriptor (lookup level 3): bits[1:0] = 0b11; lower attributes
 * AttrIndx[2:0] 4:2, NS(5), AP[1](6) EL0 access, AP[2](7) read-only,
 * SH[1:0] 9:8, AF(10), nG(11); output address 47:12; upper attributes
 * PXN(53), UXN(54), software 58:55.
 * The library always sets SH = 0b11 (0x300) and AF (0x400); nG (0x800)
 * unless S2PT_G. So a plain non-global page starts from 0xf03.
 */
Test(enc_arm64, page_rights)
{
	/* RWX: 0b11 | SH | AF | nG = 0xf03; AP = 00 (EL1 RW); PXN = UXN = 0 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX, 0), 0x0000000012345f03ull);
	/* R: 0xf03 | AP[2](7) 0x080 = 0xf83; PXN(53) | UXN(54) = 0x0060... */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R, 0), 0x0060000012345f83ull);
	/* RW: 0xf03, PXN | UXN */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW, 0), 0x0060000012345f03ull);
	/* RX: 0xf83, both execute-never bits clear */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0), 0x0000000012345f83ull);
}

/* nG(11) = !S2PT_G; AP[1](6) = S2PT_U. */
Test(enc_arm64, page_user_global)
{
	/* RX|G: 0b11 | AP[2] | SH | AF = 0x783 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_X | S2PT_G, 0),
		   0x0000000012345783ull);
	/* RW|U: 0xf03 | AP[1] 0x040 = 0xf43, PXN | UXN */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U, 0),
		   0x0060000012345f43ull);
	/* R|U|X: AP[2:1] = 11 (0x0c0): 0xfc3, executable at EL0 and EL1 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_U | S2PT_X, 0),
		   0x0000000012345fc3ull);
}

/* Split execute (D8.4): X -> PXN = UXN = 0; XU -> PXN(53) = 1, UXN = 0;
 * XS -> PXN = 0, UXN(54) = 1. */
Test(enc_arm64, page_split_execute)
{
	/* R|XU: 0xf83 | PXN 0x0020... */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_XU, 0),
		   0x0020000012345f83ull);
	/* R|XS: 0xf83 | UXN 0x0040... */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_XS, 0),
		   0x0040000012345f83ull);
	/* RW|U|XU (user RWX page, kernel may not run it): 0xf43 | PXN */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U | S2PT_XU, 0),
		   0x0020000012345f43ull);
	/* R|U|XS: 0xfc3 | UXN */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_U | S2PT_XS, 0),
		   0x0040000012345fc3ull);
}

/* AttrIndx (bits 4:2) into S2PT_ARM64_MAIR: 0 WB, 1 NC, 2 Device-nGnRE. */
Test(enc_arm64, page_memtype)
{
	/* RW|WB: AttrIndx 0: 0xf03, PXN | UXN */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x0060000012345f03ull);
	/* RW|NC: AttrIndx 1 = bit 2 (0x004): 0xf07 */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x0060000012345f07ull);
	/* RW|DEV: AttrIndx 2 = bit 3 (0x008): 0xf0b */
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x0060000012345f0bull);
}

/* Bits 58:55 are reserved for software use (SW0..SW3 = 55..58). */
Test(enc_arm64, page_sw_bits)
{
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x0080000012345f03ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x0100000012345f03ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x0200000012345f03ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x0400000012345f03ull);
	expect_pte(leaf_of(0x400000, 0x12345000, KIB,
			   S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x0780000012345f03ull);
}

/* Output address bits 47:12, all set (48-bit OA). */
Test(enc_arm64, page_oa_48bit)
{
	expect_pte(leaf_of(0x400000, 0x0000fffffffff000ull, KIB, S2PT_RWX, 0),
		   0x0000ffffffffff03ull);
}

/* D8.3 block descriptor at lookup level 2 (2 MiB): bits[1:0] = 0b01,
 * output address 47:21, same attributes. */
Test(enc_arm64, block_2m)
{
	/* RWX: 0b01 | SH | AF | nG = 0xf01 */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RWX, 1), 0x0000000080200f01ull);
	/* RW|DEV: 0xf01 | AttrIndx 2 (0x008) = 0xf09, PXN | UXN */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_MT_DEV, 1),
		   0x0060000080200f09ull);
	/* RW|G|NC: 0b01 | AttrIndx 1 (0x004) | SH | AF = 0x705, PXN | UXN */
	expect_pte(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_G | S2PT_MT_NC, 1),
		   0x0060000080200705ull);
}

/* Block descriptor at lookup level 1 (1 GiB): output address 47:30. */
Test(enc_arm64, block_1g)
{
	/* R|X|G: 0b01 | AP[2] 0x080 | SH | AF = 0x781 */
	expect_pte(leaf_of(GIB, 0xc0000000, GIB, S2PT_R | S2PT_X | S2PT_G, 2),
		   0x00000000c0000781ull);
	/* RW|U|G|XU|NC: 0b01 | AttrIndx 1 0x004 | AP[1] 0x040 | SH | AF = 0x745, PXN */
	expect_pte(leaf_of(GIB, 0xc0000000, GIB,
			   S2PT_RW | S2PT_U | S2PT_G | S2PT_XU | S2PT_MT_NC, 2),
		   0x00200000c0000745ull);
	/* RWX at the highest 1 GiB frame: address 47:30 all set, 0xf01 */
	expect_pte(leaf_of(GIB, 0x0000ffffc0000000ull, GIB, S2PT_RWX, 2),
		   0x0000ffffc0000f01ull);
}

/* What stage 1 cannot express exactly is refused and nothing is mapped. */
Test(enc_arm64, refused_prots)
{
	const uint32_t bad[] = {
		0,
		S2PT_W,				/* write without read */
		S2PT_X,				/* execute-only: EL1 can always read (D8.4 AP table) */
		S2PT_XU,
		S2PT_XS,
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_X | S2PT_XU,	/* X already means both */
		S2PT_R | S2PT_X | S2PT_XS,
		S2PT_R | S2PT_XU | S2PT_XS,
		S2PT_RW | S2PT_U | S2PT_X,	/* EL0-writable implies PXN (D8.4) */
		S2PT_RW | S2PT_U | S2PT_XS,
		S2PT_RWX | S2PT_U | S2PT_G,
		S2PT_R | MT3,
		S2PT_R | (1u << 7),
		S2PT_R | (1u << 11),
		S2PT_R | (1u << 16),
		S2PT_R | (1u << 31),
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_arm64_4k);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

/*
 * The accepted set, spelled out from D8.4 and the brief: R required; at
 * most one of X / XU / XS; U | W never with EL1 execute; any W, U, G,
 * WB/NC/DEV and SW0..3 otherwise. Each decodes back to itself.
 */
static bool a64_should_accept(uint32_t p)
{
	const uint32_t ok = S2PT_R | S2PT_W | S2PT_X | S2PT_XU | S2PT_XS | S2PT_U | S2PT_G |
			    S2PT_MT_MASK | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3;
	unsigned nx = !!(p & S2PT_X) + !!(p & S2PT_XU) + !!(p & S2PT_XS);

	if (!(p & S2PT_R) || (p & ~ok) || (p & S2PT_MT_MASK) == MT3 || nx > 1)
		return false;
	if ((p & S2PT_U) && (p & S2PT_W) && (p & (S2PT_X | S2PT_XS)))
		return false;
	return true;
}

Test(enc_arm64, accept_set_and_round_trip)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_arm64_4k);

	/* (2^3 (W U G) * 4 exec - 2 (U W, G any) * 2 (X, XS)) * 3 types * 2^4 SW */
	cr_expect_eq(enc_accept_set(pt, a64_should_accept, NULL), 1344);
	s2pt_destroy(pt);
}

/*
 * D8.3 table descriptor: bits[1:0] = 0b11, next-level table address 47:12;
 * NSTable(63), APTable(62:61), UXNTable(60), PXNTable(59) all 0 and
 * bits 11:2 0, so the entry is exactly address | 0x3.
 */
static void check_tables(const struct enc_arena *a)
{
	enc_check_tables(&s2pt_fmt_arm64_4k, a, 0x400000, S2PT_RW, 4, A64_ADDR, 0x3ull);
}

Test(enc_arm64, table_entries)
{
	check_tables(NULL);
}

/* Tables placed high by an arena: address bits 47:40 reach the entry. */
Test(enc_arm64, table_entries_high_pa)
{
	struct enc_arena a;

	enc_arena_init(&a, 0x0000ff0000000000ull, 64 * KIB);
	check_tables(&a);
	enc_arena_fini(&a, NULL);
}

/*
 * An upper-half (TTBR1-style) address: the lookup level 0 index is VA
 * bits 47:39, so 0xffff800000000000 is root entry 256 and
 * 0xffffffffffe00000 entry 511 (heap provider: pa == va).
 */
Test(enc_arm64, upper_half)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_arm64_4k);
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
	/* RW|G page: 0b11 | SH | AF = 0x703, PXN | UXN */
	expect_pte(leaf.pte, 0x0060000000005703ull);
	cr_assert_eq(s2pt_lookup(pt, 0xffffffffffffffffull, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x3fffff);
	/* RWX 2 MiB block: 0b01 | SH | AF | nG = 0xf01 */
	expect_pte(leaf.pte, 0x0000000000200f01ull);

	cr_assert_eq(s2pt_walk(pt, 0xffff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	cr_expect_eq(t.ia[0], 0xffff800000000000ull);
	expect_pte(t.pte[0], root[256]);

	/* neither all-zero nor all-one above bit 47 */
	ret = s2pt_map(pt, 0x00ff000000000000ull, 0x5000, KIB, S2PT_RW, 0);
	cr_expect(ret == -ERANGE || ret == -EINVAL, "got %d", ret);
	s2pt_destroy(pt);
}

/*
 * Decoding descriptors the library did not write, through a read-only view
 * of hand-built tables (heap provider: pa == va). tN holds lookup level N.
 */
Test(enc_arm64, decode_foreign)
{
	uint64_t *t0 = enc_zalloc(KIB, KIB), *t1 = enc_zalloc(KIB, KIB);
	uint64_t *t2 = enc_zalloc(KIB, KIB), *t3 = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	t0[0] = (uintptr_t)t1 | 0x3;
	t1[0] = (uintptr_t)t2 | 0x3;
	t2[0] = (uintptr_t)t3 | 0x3;
	/* page, AttrIndx 5 (0x014): Device-nGnRnE under S2PT_ARM64_MAIR
	 * (Attr5 = 0x00) -> DEV; AP 00, SH, AF, nG, PXN = UXN = 0 */
	t3[1] = 0x12345000 | 0x3 | 0x014 | 0x300 | 0x400 | 0x800;
	/* level 3 with bits[1:0] = 0b01: reserved, faults like invalid */
	t3[2] = 0x6000 | 0x1 | 0x400;
	/* page with AF = 0: still valid (Access flag fault is not a
	 * translation fault); AP[2], UXN -> R|XS */
	t3[3] = 0x7000 | 0x3 | 0x080 | (1ull << 54);
	/* page AP[2:1] = 01 (EL0 RW), PXN = UXN = 0: EL1 may not execute
	 * memory EL0 can write (D8.4), so it reads as XU */
	t3[4] = 0x8000 | 0x3 | 0x040 | 0x300 | 0x400 | 0x800;
	/* 2 MiB block with nT (bit 16, FEAT_BBM) set: not address bits;
	 * AP 00, nG 0, PXN | UXN -> RW|G */
	t2[1] = 0x80200000 | (1ull << 16) | 0x1 | 0x300 | 0x400 | (3ull << 53);
	/* 1 GiB block: AttrIndx 1 (NC), AP[2], nG, UXN -> R|XS|NC */
	t1[1] = 0xc0000000 | 0x1 | 0x004 | 0x080 | 0x400 | 0x800 | (1ull << 54);
	/* block (0b01) at lookup level 0: not with a 4 KiB granule and
	 * 48-bit OA, a translation fault */
	t0[1] = 0x8000000000ull | 0x1 | 0x400;
	/* bit[0] = 0 with other bits: invalid */
	t0[2] = (uintptr_t)t1 | 0x2;

	pt = enc_attach(&s2pt_fmt_arm64_4k, t0, NULL);

	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_MT_DEV);

	cr_expect_eq(s2pt_lookup(pt, 0x2000, &leaf), -ENOENT);

	cr_assert_eq(s2pt_lookup(pt, 0x3000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x7000);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_XS | S2PT_G);

	cr_assert_eq(s2pt_lookup(pt, 0x4000, &leaf), 0);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_U | S2PT_XU);

	cr_assert_eq(s2pt_lookup(pt, 0x200000 + 0x1234, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_G);

	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123456, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0xc0123456);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_XS | S2PT_MT_NC);

	cr_expect_eq(s2pt_lookup(pt, 0x8000000000ull, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x10000000000ull, &leaf), -ENOENT);

	cr_expect_eq(s2pt_map(pt, 0x5000, 0x5000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);
	free(t0);
	free(t1);
	free(t2);
	free(t3);
}

/*
 * S2PT_OPT_TTBR1: the table serves TTBR1_EL1, whose 48-bit range is
 * 0xffff000000000000..0xffffffffffffffff (ARM ARM D8.2, "VA ranges": bits
 * 63:48 all one selects TTBR1; bits 47:39 index the level 0 table). So
 * 0xffff000000000000 is root entry 0 and 0xffff7fffffe00000 entry 255,
 * which the default sign-extended rule refuses. S2PT_OPT_TTBR0 takes
 * 0..0x0000ffffffffffff (entry 511 = 0x0000ff8000000000).
 */
Test(enc_arm64, ttbr_halves)
{
	struct s2pt_opts o1 = { .sz = sizeof(o1), .flags = S2PT_OPT_TTBR1 };
	struct s2pt_opts o0 = { .sz = sizeof(o0), .flags = S2PT_OPT_TTBR0 };
	struct s2pt *pt = NULL, *p0 = NULL, *dflt = enc_pt_new(&s2pt_fmt_arm64_4k);
	struct s2pt_leaf leaf;
	const uint64_t *root;

	cr_expect_eq(s2pt_map(dflt, 0xffff000000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	cr_expect_eq(s2pt_map(dflt, 0x0000800000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	s2pt_destroy(dflt);

	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_4k, &o1, &pt), 0);
	cr_assert_eq(s2pt_map(pt, 0xffff000000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0xffff7fffffe00000ull, 0x6000, KIB, S2PT_RW, 0), 0);
	cr_expect_eq(s2pt_map(pt, 0x0000000000001000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	root = enc_tbl(s2pt_root(pt));
	cr_expect_neq(root[0], 0);
	cr_expect_neq(root[255], 0);
	cr_assert_eq(s2pt_lookup(pt, 0xffff000000000123ull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x5123);
	s2pt_destroy(pt);

	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_4k, &o0, &p0), 0);
	cr_assert_eq(s2pt_map(p0, 0x0000ff8000000000ull, 0x7000, KIB, S2PT_RW, 0), 0);
	cr_expect_eq(s2pt_map(p0, 0xffff800000000000ull, 0x7000, KIB, S2PT_RW, 0), -ERANGE);
	root = enc_tbl(s2pt_root(p0));
	cr_expect_neq(root[511], 0);
	s2pt_destroy(p0);

	/* both at once, or on another format: refused */
	o1.flags |= S2PT_OPT_TTBR0;
	cr_expect_eq(s2pt_create(&s2pt_fmt_arm64_4k, &o1, &pt), -EINVAL);
	cr_expect_eq(s2pt_create(&s2pt_fmt_x86_64, &o0, &pt), -EINVAL);
}

/* A table whose root the arena hands out first, at physical @pa_base. */
static struct s2pt *arena_table(struct enc_arena *a, uint64_t pa_base, unsigned flags)
{
	enc_arena_init(a, pa_base, 16 * KIB);
	a->opts.flags = flags;
	return enc_arena_root(a, &s2pt_fmt_arm64_4k);
}

/*
 * TTBR0_EL1 / TTBR1_EL1 (ARM ARM register description): BADDR bits 47:1
 * (a 4 KiB root: bits 11:1 zero), ASID bits 63:48 (16 bits with
 * TCR_EL1.AS = 1), CnP bit 0 = 0. s2pt_hw_root()'s @vmid is the ASID.
 */
Test(enc_arm64, ttbr_value)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0x5a5a;

	pt = arena_table(&a, 0x40000000ull, 0);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_pte(v, 0x0000000040000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 1, &v), 0);
	expect_pte(v, 0x0001000040000000ull);		/* ASID 1 at bit 48 */
	cr_assert_eq(s2pt_hw_root(pt, 0x1234, &v), 0);
	expect_pte(v, 0x1234000040000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 0xffff, &v), 0);
	expect_pte(v, 0xffff000040000000ull);		/* 16-bit ASID: bits 63:48 */
	v = 0x5a5a;
	cr_expect_eq(s2pt_hw_root(pt, 0x10000, &v), -EINVAL);
	cr_expect_eq(v, 0x5a5a);
	enc_arena_fini(&a, pt);

	/* TTBR1 half, root at the top of the 48-bit PA space: 47:12 all set */
	pt = arena_table(&a, 0x0000ffffffffc000ull, S2PT_OPT_TTBR1);
	cr_assert_eq(s2pt_hw_root(pt, 0x00a5, &v), 0);
	expect_pte(v, 0x00a5ffffffffc000ull);
	enc_arena_fini(&a, pt);

	/* a root at 2^48 has no BADDR encoding */
	pt = arena_table(&a, 0x0001000000000000ull, 0);
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}
