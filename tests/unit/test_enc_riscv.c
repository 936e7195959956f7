// SPDX-License-Identifier: MIT
/* Encoding vectors for RISC-V Sv39/Sv48/Sv57 entries, worked out by hand from
 * the Privileged ISA (§4.3-4.6, Svpbmt); public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

/*
 * PTE layout, §4.4.1 (Sv39; Sv48/Sv57 identical): V(0) R(1) W(2) X(3) U(4)
 * G(5) A(6) D(7) RSW(9:8) PPN(53:10) reserved(60:54) PBMT(62:61) N(63).
 * Leaves are written with A = 1, and D = 1 exactly when W = 1.
 */

TestSuite(enc_riscv);

/* oa 0x12345000: PPN 0x12345 in bits 53:10 = 0x12345 << 10 = 0x48d1400. */
Test(enc_riscv, pte_4k_rights)
{
	/* RWX: V(0) R(1) W(2) X(3) A(6) D(7) = 0x0cf */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RWX, 0),
		   0x00000000048d14cfull);
	/* R: V R A = 0x043; D = 0 without W */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_R, 0),
		   0x00000000048d1443ull);
	/* RW: V R W A D = 0x0c7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RW, 0),
		   0x00000000048d14c7ull);
	/* RX: V R X A = 0x04b */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0),
		   0x00000000048d144bull);
	/* execute-only (§4.3.1 R/W/X table, "execute-only page"): V X A = 0x049 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_X, 0),
		   0x00000000048d1449ull);
}

Test(enc_riscv, pte_4k_user_global)
{
	/* RW|U: V R W U(4) A D = 0x0d7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_U, 0),
		   0x00000000048d14d7ull);
	/* RX|G: V R X G(5) A = 0x06b */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB,
			       S2PT_R | S2PT_X | S2PT_G, 0),
		   0x00000000048d146bull);
	/* X|U: user execute-only, V X U A = 0x059 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_X | S2PT_U, 0),
		   0x00000000048d1459ull);
}

/* RSW (bits 9:8) hold SW0 (bit 8) and SW1 (bit 9), §4.3.1. */
Test(enc_riscv, pte_sw_bits)
{
	/* R|SW0: V R A | bit 8 = 0x143 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_SW0, 0),
		   0x00000000048d1543ull);
	/* R|SW1: V R A | bit 9 = 0x243 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_R | S2PT_SW1, 0),
		   0x00000000048d1643ull);
	/* RW|SW0|SW1: 0x0c7 | 0x300 = 0x3c7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB,
			       S2PT_RW | S2PT_SW0 | S2PT_SW1, 0),
		   0x00000000048d17c7ull);
}

/* Svpbmt, PBMT in bits 62:61: 0 PMA (WB), 1 NC, 2 IO (DEV). */
Test(enc_riscv, pte_memtypes)
{
	/* RW WB: PBMT 0 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x00000000048d14c7ull);
	/* RW NC: PBMT 1 = bit 61 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x20000000048d14c7ull);
	/* RW DEV: PBMT 2 = bit 62 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x40000000048d14c7ull);
}

/* PPN is 44 bits (53:10): the last 4 KiB page below 2^56. */
Test(enc_riscv, pte_top_of_pa)
{
	/* oa 0xfffffffffff000: PPN 0xfffffffffff << 10 = 0x3ffffffffffc00, | V R A */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0xfffffffffff000ull, KIB, S2PT_R, 0),
		   0x003ffffffffffc43ull);
}

/* Superpages (§4.4.1): any level may be a leaf; PPN low fields zero. */
Test(enc_riscv, superpages_sv39)
{
	/* 2 MiB at oa 0x80200000: PPN 0x80200 << 10 = 0x20080000; RW = 0x0c7 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, MIB2, 0x80200000, MIB2, S2PT_RW, 1),
		   0x00000000200800c7ull);
	/* 1 GiB at oa 0xc0000000: PPN 0xc0000 << 10 = 0x30000000; RX = 0x04b */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, GIB, 0xc0000000, GIB, S2PT_R | S2PT_X, 2),
		   0x000000003000004bull);
	/* 1 GiB RWX|U|G: 0x0cf | U 0x10 | G 0x20 = 0x0ff */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv39, GIB, 0xc0000000, GIB, S2PT_RWX | S2PT_U | S2PT_G, 2),
		   0x00000000300000ffull);
}

Test(enc_riscv, superpages_sv48_sv57)
{
	/* Sv48 (§4.5) 2 MiB: as Sv39 */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv48, MIB2, 0x80200000, MIB2, S2PT_RW, 1),
		   0x00000000200800c7ull);
	/* Sv48 1 GiB: PPN 0xc0000 << 10, RW */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv48, GIB, 0xc0000000, GIB, S2PT_RW, 2),
		   0x00000000300000c7ull);
	/* Sv48 512 GiB terapage at oa 2^39: PPN 2^27 << 10 = 2^37 = 0x2000000000; RW */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv48, 1ull << 39, 1ull << 39, 1ull << 39, S2PT_RW, 3),
		   0x00000020000000c7ull);
	/* Sv57 (§4.6) 512 GiB terapage at oa 3 * 2^39: PPN 3 * 2^27 << 10 = 0x6000000000; R */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv57, 1ull << 39, 3ull << 39, 1ull << 39, S2PT_R, 3),
		   0x0000006000000043ull);
	/* Sv57 256 TiB petapage at oa 2^48: PPN 2^36 << 10 = 2^46; RWX|G = 0x0ef */
	expect_pte(enc_leaf_of(&s2pt_fmt_sv57, 1ull << 48, 1ull << 48, 1ull << 48,
			       S2PT_RWX | S2PT_G, 4),
		   0x00004000000000efull);
}

/* Non-leaf PTEs for a 4 KiB page: one per level above the leaf. */
Test(enc_riscv, table_entries)
{
	static const struct {
		const struct s2pt_fmt *fmt;
		unsigned levels;
	} f[] = { { &s2pt_fmt_sv39, 3 }, { &s2pt_fmt_sv48, 4 }, { &s2pt_fmt_sv57, 5 } };

	for (unsigned i = 0; i < 3; i++) {
		struct s2pt *pt = enc_pt_new(f[i].fmt);
		struct enc_tables t = { 0 };

		cr_assert_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, S2PT_RW, 0), 0);
		cr_assert_eq(s2pt_walk(pt, 0x400000, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
		cr_assert_eq(t.n, f[i].levels - 1);
		for (unsigned j = 0; j < t.n; j++) {
			cr_expect_eq(t.level[j], f[i].levels - 1 - j);
			enc_expect_sv_table(t.pte[j], t.pa[j]);
		}
		/* VA 0x400000: VPN[top] = 0, so the root's slot 0 is the first entry */
		expect_pte(enc_root_entry(pt, 0), t.pte[0]);
		s2pt_destroy(pt);
	}
}

/*
 * Canonical addresses (§4.4.1 / §4.5.1 / §4.6.1: bits 63:VA-bits must
 * equal the top VA bit). The first upper-half address has VPN[top] = 256.
 */
Test(enc_riscv, upper_half)
{
	struct s2pt_leaf leaf;
	struct s2pt *pt;
	struct enc_tables t = { 0 };

	/* Sv39 0xffffffc000000000: VA[38:30] = 0x100. 1 GiB at oa 0x80000000:
	 * PPN 0x80000 << 10 = 0x20000000, RW = 0x0c7 */
	pt = enc_pt_new(&s2pt_fmt_sv39);
	cr_assert_eq(s2pt_map(pt, 0xffffffc000000000ull, 0x80000000, GIB, S2PT_RW, S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 256), 0x00000000200000c7ull);
	cr_assert_eq(s2pt_lookup(pt, 0xffffffc000001234ull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80001234);
	cr_expect_eq(leaf.level, 2);
	/* bit 38 set without the sign extension is not an Sv39 address */
	cr_expect_eq(s2pt_map(pt, 0x0000004000000000ull, 0x80000000, KIB, S2PT_R, 0), -ERANGE);
	cr_expect_eq(s2pt_lookup(pt, 0x0000004000000000ull, &leaf), -ERANGE);
	s2pt_destroy(pt);

	/* Sv48 0xffff800000000000: VA[47:39] = 0x100, a table entry there */
	pt = enc_pt_new(&s2pt_fmt_sv48);
	cr_assert_eq(s2pt_map(pt, 0xffff800000000000ull, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_walk(pt, 0xffff800000000000ull, KIB, S2PT_WALK_TABLE_PRE,
			       enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	cr_expect_eq(t.ia[0], 0xffff800000000000ull);
	expect_pte(enc_root_entry(pt, 256), t.pte[0]);
	enc_expect_sv_table(t.pte[0], t.pa[0]);
	cr_assert_eq(s2pt_lookup(pt, 0xffff800000000000ull, &leaf), 0);
	expect_pte(leaf.pte, 0x00000000048d14c7ull);
	s2pt_destroy(pt);

	/* Sv57 0xff00000000000000: VA[56:48] = 0x100. 256 TiB at oa 3 * 2^48:
	 * PPN 3 * 2^36 << 10 = 0xc00000000000, R = 0x043 */
	pt = enc_pt_new(&s2pt_fmt_sv57);
	cr_assert_eq(s2pt_map(pt, 0xff00000000000000ull, 3ull << 48, 1ull << 48, S2PT_R,
			      S2PT_MAP_HUGE), 0);
	expect_pte(enc_root_entry(pt, 256), 0x0000c00000000043ull);
	s2pt_destroy(pt);
}

/* Prots these formats cannot express exactly are refused, nothing mapped. */
Test(enc_riscv, refused)
{
	static const uint32_t bad[] = {
		0,				/* neither R nor X */
		S2PT_W,				/* W without R: reserved (§4.3.1) */
		S2PT_W | S2PT_X,		/* W|X without R: reserved */
		S2PT_U, S2PT_G,			/* no access right at all */
		S2PT_R | S2PT_XU,		/* one X bit: no split execute */
		S2PT_R | S2PT_XS,
		S2PT_R | S2PT_SW2,		/* RSW has two bits only */
		S2PT_R | S2PT_SW3,
		S2PT_R | MT3,			/* PBMT 3 is reserved (Svpbmt) */
		S2PT_R | (1u << 7),		/* not an S2PT_* bit */
	};
	const struct s2pt_fmt *fmts[] = { &s2pt_fmt_sv39, &s2pt_fmt_sv48, &s2pt_fmt_sv57 };

	for (unsigned f = 0; f < 3; f++) {
		struct s2pt *pt = enc_pt_new(fmts[f]);

		enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
		s2pt_destroy(pt);
	}
}

/* Every prot the format takes decodes back to itself, at every leaf level. */
Test(enc_riscv, prot_round_trip)
{
	static const uint32_t rights[] = {
		S2PT_R, S2PT_RW, S2PT_X, S2PT_R | S2PT_X, S2PT_RWX,
	};
	static const uint32_t extra[] = {
		0, S2PT_U, S2PT_G, S2PT_MT_NC, S2PT_MT_DEV, S2PT_SW0, S2PT_SW1,
		S2PT_U | S2PT_G | S2PT_MT_DEV | S2PT_SW0 | S2PT_SW1,
	};

	for (unsigned i = 0; i < sizeof(rights) / sizeof(rights[0]); i++)
		for (unsigned j = 0; j < sizeof(extra) / sizeof(extra[0]); j++) {
			uint32_t p = rights[i] | extra[j];

			enc_leaf_of(&s2pt_fmt_sv39, 0x400000, 0x12345000, KIB, p, 0);
			enc_leaf_of(&s2pt_fmt_sv39, MIB2, 0x80200000, MIB2, p, 1);
			enc_leaf_of(&s2pt_fmt_sv48, 1ull << 39, 1ull << 39, 1ull << 39, p, 3);
		}
}

/*
 * A split megapage keeps its encoding one level down, and A/D (hw_bits)
 * survive a rewrite: after RW -> R the leaf still has D = 1, which is
 * harmless with W = 0 (§4.3.1: D only matters for writes).
 */
Test(enc_riscv, split_and_protect)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_sv39);
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, MIB2, 0x80200000, MIB2, S2PT_RW | S2PT_G, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_unmap(pt, MIB2, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + KIB, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	/* oa 0x80201000: PPN 0x80201 << 10 = 0x20080400; V R W G A D = 0x0e7 */
	expect_pte(leaf.pte, 0x00000000200804e7ull);
	cr_assert_eq(s2pt_protect(pt, MIB2 + KIB, KIB, S2PT_R | S2PT_G), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + KIB, &leaf), 0);
	/* V R G A = 0x063, D (0x080) kept: 0x0e3 */
	expect_pte(leaf.pte, 0x00000000200804e3ull);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_G);
	s2pt_destroy(pt);
}

/*
 * Foreign tables (s2pt_attach) are classified as the §4.3.2 walk would:
 * entries that fault there are not mappings. The Sv39 tables are built by
 * hand; the heap provider reads them at pa == va.
 */
Test(enc_riscv, attach_classify)
{
	uint64_t *root = enc_zalloc(4096, 4096), *l1 = enc_zalloc(4096, 4096);
	uint64_t *l0 = enc_zalloc(4096, 4096);
	struct s2pt_leaf leaf;
	struct s2pt *pt;

	/* root[0] -> l1: PPN(l1) << 10 | V */
	root[0] = ((uint64_t)(uintptr_t)l1 >> 12) << 10 | 0x001;
	/* l1[0]: 2 MiB leaf at 0x80200000, V R A */
	l1[0] = 0x0000000020080043ull;
	/* l1[1]: misaligned megapage, PPN 0x80201 (§4.3.2 step 6) */
	l1[1] = 0x0000000020080443ull;
	/* l1[2]: W without R (reserved encoding) */
	l1[2] = 0x0000000020080045ull;
	/* l1[3]: leaf with PBMT = 3 (reserved, Svpbmt) */
	l1[3] = 0x6000000020080043ull;
	/* l1[4]: leaf with reserved bit 54 set */
	l1[4] = 0x0040000020080043ull;
	/* l1[5]: V = 0 */
	l1[5] = 0x0000000020080042ull;
	/* l1[6] -> l0; l0[0]: a pointer at level 0 (§4.3.2 step 4: i < 0) */
	l1[6] = ((uint64_t)(uintptr_t)l0 >> 12) << 10 | 0x001;
	l0[0] = 0x0000000004000001ull;
	/* l0[1]: 4 KiB leaf at 0x12345000, V R W A D = 0x0c7 */
	l0[1] = 0x00000000048d14c7ull;
	/* root[1]: non-leaf with A set (reserved in non-leaf PTEs) */
	root[1] = ((uint64_t)(uintptr_t)l1 >> 12) << 10 | 0x041;
	/* root[2]: 1 GiB leaf at 0x40000000, PPN 0x40000 << 10, V R X A U = 0x05b */
	root[2] = 0x000000001000005bull;

	pt = enc_attach(&s2pt_fmt_sv39, root, NULL);
	cr_assert_eq(s2pt_lookup(pt, 0x1234, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.size, MIB2);
	cr_expect_eq(leaf.prot, S2PT_R);
	for (unsigned i = 1; i <= 5; i++)
		cr_expect_eq(s2pt_lookup(pt, i * MIB2, &leaf), -ENOENT, "l1[%u]", i);
	cr_expect_eq(s2pt_lookup(pt, 6 * MIB2, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, 6 * MIB2 + KIB + 8, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.prot, S2PT_RW);
	cr_expect_eq(s2pt_lookup(pt, GIB, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, 2 * GIB + 0x5000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x40005000);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X | S2PT_U);
	s2pt_destroy(pt);
	free(root);
	free(l1);
	free(l0);
}

/* The formats answer to their short names. */
Test(enc_riscv, names)
{
	cr_expect_eq(s2pt_fmt_find("sv39"), &s2pt_fmt_sv39);
	cr_expect_eq(s2pt_fmt_find("sv48"), &s2pt_fmt_sv48);
	cr_expect_eq(s2pt_fmt_find("sv57"), &s2pt_fmt_sv57);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_sv48), "sv48");
}

/* An arena places the root at a chosen physical address (first fit). */
static void satp_at(const struct s2pt_fmt *fmt, uint64_t pa_base, unsigned asid,
		    uint64_t want)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0;

	enc_arena_init(&a, pa_base, 4 * KIB);
	pt = enc_arena_root(&a, fmt);
	cr_assert_eq(s2pt_hw_root(pt, asid, &v), 0);
	expect_hex("satp", v, want);
	/* ASIDMAX is 16 for Sv39/Sv48/Sv57 (§4.1.11) */
	cr_expect_eq(s2pt_hw_root(pt, 0x10000, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}

/* satp for RV64 (§4.1.11): MODE 63:60 (8 Sv39, 9 Sv48, 10 Sv57), ASID 59:44, PPN 43:0. */
Test(enc_riscv, satp)
{
	/* Sv39, root 0x80000000 (PPN 0x80000), ASID 0: 8 << 60 | 0x80000 */
	satp_at(&s2pt_fmt_sv39, 0x80000000, 0, 0x8000000000080000ull);
	/* Sv39, root 0x123456000 (PPN 0x123456), ASID 0x2a << 44 = 0x0002a00000000000 */
	satp_at(&s2pt_fmt_sv39, 0x123456000ull, 0x2a, 0x8002a00000123456ull);
	/* Sv48, ASID 0xffff << 44 = 0x0ffff00000000000 (bits 59:44 all set) */
	satp_at(&s2pt_fmt_sv48, 0x80000000, 0xffff, 0x9ffff00000080000ull);
	/* Sv57, ASID 0x1234 << 44 = 0x0123400000000000 */
	satp_at(&s2pt_fmt_sv57, 0x80000000, 0x1234, 0xa123400000080000ull);
}
