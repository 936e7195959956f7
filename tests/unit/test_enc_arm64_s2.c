// SPDX-License-Identifier: MIT
/* Encoding vectors for ARM VMSAv8-64 stage-2 descriptors (4 KiB granule),
 * VTTBR_EL2 and VTCR_EL2, worked out by hand from the ARM ARM (DDI 0487)
 * D8 and the register descriptions; public API only. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"

#define S2_ADDR	0x0000fffffffff000ull	/* bits 47:12 */

static struct s2pt *pt_bits(unsigned ia_bits)
{
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = ia_bits };
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_s2, &o, &pt), 0, "ia_bits %u", ia_bits);
	cr_assert_not_null(pt);
	return pt;
}

/*
 * Map [ia, ia + size) -> oa as one leaf of @size in a fresh table of
 * @ia_bits and return the raw descriptor; checks the lookup's level, size,
 * output address and decoded prot on the way.
 */
static uint64_t leaf_in(unsigned ia_bits, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
			unsigned level)
{
	return enc_leaf_in(pt_bits(ia_bits), ia, oa, size, prot, size, level);
}

static uint64_t leaf_of(uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot, unsigned level)
{
	return leaf_in(40, ia, oa, size, prot, level);
}

#define expect_val(got, want)	expect_hex("got", got, want)

TestSuite(enc_arm64_s2);

/*
 * D8.3, stage 2 page descriptor (lookup level 3): bits[1:0] = 0b11;
 * MemAttr[3:0] 5:2, S2AP[1:0] 7:6 (bit 6 read, bit 7 write), SH[1:0] 9:8,
 * AF(10); output address 47:12; XN[1:0] 54:53; software 58:55.
 * The library always sets MemAttr = 0b1111 for WB (0x03c), SH = 0b11
 * (0x300) and AF (0x400): a WB page with S2AP = 00 is 0x73f.
 * XN[1:0] (D8.4, FEAT_XNX): 00 both ELs execute, 10 neither.
 */
Test(enc_arm64_s2, page_rights)
{
	/* RWX: 0x73f | S2AP 11 (0x0c0) = 0x7ff; XN 00 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX, 0), 0x00000000123457ffull);
	/* R: 0x73f | S2AP[0] 0x040 = 0x77f; XN 10 = bit 54 (0x0040...) */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_R, 0), 0x004000001234577full);
	/* RW: 0x7ff, XN 10 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW, 0), 0x00400000123457ffull);
	/* RX: 0x77f, XN 00 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_X, 0), 0x000000001234577full);
	/* X only (execute-only, valid at stage 2): S2AP 00 -> 0x73f, XN 00 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_X, 0), 0x000000001234573full);
}

/* XN[1:0] = 01: not executable at EL1, executable at EL0 (S2PT_XU);
 * 11: executable at EL1 only (S2PT_XS). Bit 53 = 0x0020..., 54 = 0x0040... */
Test(enc_arm64_s2, page_split_execute)
{
	/* R|XU: 0x77f | XN 01 (bit 53) */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_XU, 0), 0x002000001234577full);
	/* R|XS: 0x77f | XN 11 (bits 54, 53) */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_R | S2PT_XS, 0), 0x006000001234577full);
	/* XU alone, execute-only at EL0: 0x73f | bit 53 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_XU, 0), 0x002000001234573full);
	/* XS alone: 0x73f | bits 54, 53 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_XS, 0), 0x006000001234573full);
	/* RW|XU: 0x7ff | bit 53 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_XU, 0), 0x00200000123457ffull);
}

/*
 * MemAttr (D8.6, stage 2, HCR_EL2.FWB = 0): 0b1111 Normal outer/inner WB
 * (0x3c at bits 5:2), 0b0101 Normal outer/inner NC (0x14), 0b0001
 * Device-nGnRE (0x04).
 */
Test(enc_arm64_s2, page_memtype)
{
	/* RW|WB: 0x7ff, XN 10 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_WB, 0),
		   0x00400000123457ffull);
	/* RW|NC: 0x3 | 0x14 | 0x0c0 | 0x300 | 0x400 = 0x7d7, XN 10 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_NC, 0),
		   0x00400000123457d7ull);
	/* RW|DEV: 0x3 | 0x04 | 0x0c0 | 0x300 | 0x400 = 0x7c7, XN 10 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RW | S2PT_MT_DEV, 0),
		   0x00400000123457c7ull);
	/* X|DEV: 0x3 | 0x04 | 0x300 | 0x400 = 0x707, XN 00 */
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_X | S2PT_MT_DEV, 0),
		   0x0000000012345707ull);
}

/* Bits 58:55 are reserved for software use (SW0..SW3 = 55..58). */
Test(enc_arm64_s2, page_sw_bits)
{
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW0, 0),
		   0x00800000123457ffull);
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW1, 0),
		   0x01000000123457ffull);
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW2, 0),
		   0x02000000123457ffull);
	expect_val(leaf_of(0x400000, 0x12345000, KIB, S2PT_RWX | S2PT_SW3, 0),
		   0x04000000123457ffull);
	expect_val(leaf_of(0x400000, 0x12345000, KIB,
			   S2PT_R | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3, 0),
		   0x07c000001234577full);
}

/* Output address bits 47:12, all set (48-bit OA); input at the top of a
 * 40-bit IPA space. */
Test(enc_arm64_s2, page_oa_48bit)
{
	expect_val(leaf_of(0xfffffff000ull, 0x0000fffffffff000ull, KIB, S2PT_RWX, 0),
		   0x0000fffffffff7ffull);
}

/* D8.3 block descriptor at lookup level 2 (2 MiB): bits[1:0] = 0b01,
 * output address 47:21; a WB block with S2AP 00 is 0x73d. */
Test(enc_arm64_s2, block_2m)
{
	/* RWX: 0x73d | 0x0c0 = 0x7fd */
	expect_val(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RWX, 1), 0x00000000802007fdull);
	/* RW|DEV: 0x1 | 0x04 | 0x0c0 | 0x300 | 0x400 = 0x7c5, XN 10 */
	expect_val(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_RW | S2PT_MT_DEV, 1),
		   0x00400000802007c5ull);
	/* R|XS|NC: 0x1 | 0x14 | 0x040 | 0x300 | 0x400 = 0x755, XN 11 */
	expect_val(leaf_of(0x40200000, 0x80200000, MIB2, S2PT_R | S2PT_XS | S2PT_MT_NC, 1),
		   0x0060000080200755ull);
	/* in a 2-level (32-bit) table, the 2 MiB block sits in the root */
	expect_val(leaf_in(32, 0xffe00000, 0x80200000, MIB2, S2PT_RWX, 1), 0x00000000802007fdull);
}

/* Block descriptor at lookup level 1 (1 GiB): output address 47:30. */
Test(enc_arm64_s2, block_1g)
{
	/* RWX at the root of a 40-bit table (start level 1): 0x7fd */
	expect_val(leaf_of(GIB, 0xc0000000, GIB, S2PT_RWX, 2), 0x00000000c00007fdull);
	/* R|XU: 0x1 | 0x3c | 0x040 | 0x300 | 0x400 = 0x77d, XN 01 */
	expect_val(leaf_of(GIB, 0xc0000000, GIB, S2PT_R | S2PT_XU, 2), 0x00200000c000077dull);
	/* highest 1 GiB frame, address 47:30 all set */
	expect_val(leaf_of(GIB, 0x0000ffffc0000000ull, GIB, S2PT_RWX, 2), 0x0000ffffc00007fdull);
	/* below a level 0 table in a 48-bit table (start level 0) */
	expect_val(leaf_in(48, 0xffffc0000000ull, 0xc0000000, GIB, S2PT_RW, 2),
		   0x00400000c00007fdull);
	/* and at the root of a 36-bit table (start level 1, one page) */
	expect_val(leaf_in(36, 0xfc0000000ull, 0xc0000000, GIB, S2PT_RWX, 2),
		   0x00000000c00007fdull);
}

/* 2-level tables (IPA 32..34, start level 2) have no 1 GiB level: a huge
 * map of 1 GiB comes out as 2 MiB blocks. */
Test(enc_arm64_s2, no_1g_in_two_levels)
{
	struct s2pt *pt = pt_bits(32);
	struct s2pt_info info;
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.leaf_sizes, KIB | MIB2);
	cr_assert_eq(s2pt_map(pt, GIB, 0xc0000000, GIB, S2PT_RW, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_lookup(pt, GIB + 0x12345678, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.size, MIB2);
	cr_expect_eq(leaf.oa, 0xd2345678);
	s2pt_destroy(pt);
}

/* What stage 2 cannot express exactly is refused and nothing is mapped. */
Test(enc_arm64_s2, refused_prots)
{
	const uint32_t bad[] = {
		0,
		S2PT_W,				/* S2AP 10 write-only: the generic rule refuses it */
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_X | S2PT_XU,	/* X already means both */
		S2PT_R | S2PT_X | S2PT_XS,
		S2PT_R | S2PT_XU | S2PT_XS,
		S2PT_XU | S2PT_XS,
		S2PT_R | S2PT_U,		/* no user/global at stage 2 */
		S2PT_R | S2PT_G,
		S2PT_RWX | S2PT_U | S2PT_G,
		S2PT_R | MT3,
		S2PT_R | (1u << 7),
		S2PT_R | (1u << 11),
		S2PT_R | (1u << 16),
		S2PT_R | (1u << 31),
	};
	struct s2pt *pt = pt_bits(40);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	s2pt_destroy(pt);
}

/*
 * The accepted set, from D8.4 and the brief: R or an execute bit; W only
 * with R; at most one of X / XU / XS; WB/NC/DEV; SW0..3; nothing else.
 * Each decodes back to itself.
 */
static bool s2_should_accept(uint32_t p)
{
	const uint32_t ok = S2PT_R | S2PT_W | S2PT_X | S2PT_XU | S2PT_XS |
			    S2PT_MT_MASK | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3;
	unsigned nx = !!(p & S2PT_X) + !!(p & S2PT_XU) + !!(p & S2PT_XS);

	if ((p & ~ok) || (p & S2PT_MT_MASK) == MT3 || nx > 1)
		return false;
	if (!(p & S2PT_R) && !nx)
		return false;
	if ((p & S2PT_W) && !(p & S2PT_R))
		return false;
	return true;
}

Test(enc_arm64_s2, accept_set_and_round_trip)
{
	struct s2pt *pt = pt_bits(40);

	/* ({-, R, RW} x {-, X, XU, XS} - the empty one) * 3 types * 2^4 SW */
	cr_expect_eq(enc_accept_set(pt, s2_should_accept, NULL), 11 * 3 * 16);
	s2pt_destroy(pt);
}

/*
 * Geometry per IPA size (D8.2, concatenated tables at the initial lookup;
 * levels as Linux KVM's stage2_pgtable_levels): the root resolves
 * ia_bits - (12 + 9 * (levels - 1)) bits, 8 bytes an entry, at least 4 KiB.
 */
Test(enc_arm64_s2, geometry)
{
	static const struct {
		unsigned ia_bits, levels;
		size_t root_bytes;
	} g[] = {
		{ 32, 2, 16384 },	/* start level 2, IPA[31:21]: 2048 entries */
		{ 34, 2, 65536 },	/* IPA[33:21]: 8192 entries, 16 pages */
		{ 35, 3, 4096 },	/* start level 1, IPA[34:30]: 32 entries */
		{ 36, 3, 4096 },	/* IPA[35:30]: 64 entries */
		{ 40, 3, 8192 },	/* IPA[39:30]: 1024 entries, 2 pages */
		{ 42, 3, 32768 },	/* IPA[41:30]: 4096 entries, 8 pages */
		{ 43, 3, 65536 },	/* IPA[42:30]: 8192 entries, 16 pages */
		{ 44, 4, 4096 },	/* start level 0, IPA[43:39]: 32 entries */
		{ 48, 4, 4096 },	/* IPA[47:39]: 512 entries */
	};
	struct s2pt_opts o = { .sz = sizeof(o) };
	struct s2pt *pt = NULL;
	struct s2pt_info info;

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		pt = pt_bits(g[i].ia_bits);
		cr_assert_eq(s2pt_info(pt, &info), 0);
		cr_expect_eq(info.fmt, &s2pt_fmt_arm64_s2);
		cr_expect_eq(info.ia_bits, g[i].ia_bits);
		cr_expect_eq(info.levels, g[i].levels, "ia %u: %u levels", g[i].ia_bits, info.levels);
		cr_expect_eq(info.root_bytes, g[i].root_bytes, "ia %u: root %zu", g[i].ia_bits,
			     info.root_bytes);
		cr_expect_eq(info.oa_bits, 48);
		cr_expect_eq(info.table_pages[g[i].levels - 1], g[i].root_bytes / KIB);
		cr_expect_eq(s2pt_root(pt) % g[i].root_bytes, 0, "root not aligned to its size");
		s2pt_destroy(pt);
	}
	/* default: 40 bits */
	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_s2, &o, &pt), 0);
	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.ia_bits, 40);
	cr_expect_eq(info.levels, 3);
	s2pt_destroy(pt);
	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_s2, NULL, &pt), 0);
	s2pt_destroy(pt);
	o.ia_bits = 31;
	cr_expect_eq(s2pt_create(&s2pt_fmt_arm64_s2, &o, &pt), -EINVAL);
	o.ia_bits = 49;
	cr_expect_eq(s2pt_create(&s2pt_fmt_arm64_s2, &o, &pt), -EINVAL);
	cr_expect_eq(s2pt_fmt_find("arm64_s2"), &s2pt_fmt_arm64_s2);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_arm64_s2), "arm64_s2");
}

/*
 * Concatenated roots are indexed by every IPA bit above the start level:
 * 40-bit, IPA[39:30] (2^39 is entry 512, the first of the second page);
 * 32-bit, IPA[31:21]. Input addresses are plain numbers below 2^ia_bits.
 */
Test(enc_arm64_s2, concatenated_root_index)
{
	struct s2pt *pt = pt_bits(40);
	const uint64_t *root = enc_tbl(s2pt_root(pt));
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, 0x8000000000ull, 0x5000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(pt, 0xffffe00000ull, 0x200000, MIB2, S2PT_RW, S2PT_MAP_HUGE), 0);
	for (unsigned i = 0; i < 1024; i++)
		if (i != 512 && i != 1023)
			cr_expect_eq(root[i], 0, "root[%u] = %#llx", i, (unsigned long long)root[i]);
	cr_expect_eq(root[512] & 3, 3);
	cr_expect_eq(root[1023] & 3, 3);
	cr_assert_eq(s2pt_lookup(pt, 0xffffffffffull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x3fffff);
	cr_expect_eq(s2pt_map(pt, 0x10000000000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 0xfffffff000ull, 0x5000, 2 * KIB * 2, S2PT_RW, 0), -ERANGE);
	/* no sign extension at stage 2 */
	cr_expect_eq(s2pt_map(pt, 0xffffffffffff0000ull, 0x5000, KIB, S2PT_RW, 0), -ERANGE);
	cr_expect_eq(s2pt_lookup(pt, 0x10000000000ull, &leaf), -ERANGE);
	s2pt_destroy(pt);

	pt = pt_bits(32);
	root = enc_tbl(s2pt_root(pt));
	cr_assert_eq(s2pt_map(pt, 0xfffff000ull, 0x6000, KIB, S2PT_R, 0), 0);
	cr_expect_neq(root[2047], 0);
	cr_expect_eq(root[2046], 0);
	cr_expect_eq(root[511], 0);
	cr_expect_eq(s2pt_map(pt, 0x100000000ull, 0x6000, KIB, S2PT_R, 0), -ERANGE);
	s2pt_destroy(pt);
}

/*
 * D8.3 table descriptor: bits[1:0] = 0b11, next-level table address 47:12;
 * stage 2 table descriptors carry no attributes (63:59 ignored), so the
 * entry is exactly address | 0x3. One per level above the leaf.
 */
static void check_tables(unsigned ia_bits, uint64_t ia, unsigned want)
{
	struct enc_tables t = { 0 };
	struct s2pt *pt = pt_bits(ia_bits);
	struct s2pt_info info;
	int ret;

	cr_assert_eq(s2pt_info(pt, &info), 0);
	ret = s2pt_map(pt, ia, 0x12345000, KIB, S2PT_RW, 0);
	cr_assert_eq(ret, 0, "ia_bits %u ia %#llx: %d", ia_bits, (unsigned long long)ia, ret);
	cr_assert_eq(s2pt_walk(pt, ia, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_eq(t.n, want, "ia_bits %u: %u tables", ia_bits, t.n);
	for (unsigned i = 0; i < t.n; i++) {
		cr_expect_eq(t.level[i], info.levels - 1 - i);
		cr_expect_eq(t.pte[i] & ~S2_ADDR, 0x3ull, "level %u table entry %#llx",
			     t.level[i], (unsigned long long)t.pte[i]);
		cr_expect_eq(t.pte[i] & S2_ADDR, t.pa[i]);
		cr_expect_eq(t.ia[i], ia & ~((1ull << (12 + 9 * t.level[i])) - 1));
	}
	s2pt_destroy(pt);
}

Test(enc_arm64_s2, table_entries)
{
	check_tables(32, 0xfffff000ull, 1);
	check_tables(36, 0xffffff000ull, 2);
	check_tables(40, 0xfffffff000ull, 2);
	check_tables(42, 0x3fffffff000ull, 2);
	check_tables(44, 0xffffffff000ull, 3);
	check_tables(48, 0xfffffffff000ull, 3);
}

/*
 * VTCR_EL2 (ARM ARM register description): T0SZ 5:0 = 64 - IPA bits;
 * SL0 7:6 (4 KiB granule: 0b00 start level 2, 0b01 level 1, 0b10 level 0);
 * IRGN0 9:8 = 0b01 (0x100); ORGN0 11:10 = 0b01 (0x400); SH0 13:12 = 0b11
 * (0x3000); TG0 15:14 = 0b00 (4 KiB); PS 18:16 (0 32-bit, 1 36, 2 40,
 * 3 42, 4 44, 5 48, 6 52); bit 31 RES1. Fixed part: 0x80003500.
 */
static uint64_t vtcr_of(unsigned ia_bits, unsigned pa_bits)
{
	struct s2pt *pt = pt_bits(ia_bits);
	uint64_t v = 0;
	int ret = s2pt_arm64_vtcr(pt, pa_bits, &v);

	cr_expect_eq(ret, 0, "ia %u pa %u: %d", ia_bits, pa_bits, ret);
	s2pt_destroy(pt);
	return v;
}

Test(enc_arm64_s2, vtcr)
{
	/* 32: T0SZ 32 (0x20), SL0 0b00, PS 0: 0x80003500 | 0x20 */
	expect_val(vtcr_of(32, 32), 0x80003520ull);
	/* 36: T0SZ 28 (0x1c), SL0 0b01 (0x40), PS 1 (0x10000) */
	expect_val(vtcr_of(36, 36), 0x8001355cull);
	/* 40: T0SZ 24 (0x18), SL0 0b01 (0x40), PS 2 (0x20000): ORACLES.md's value */
	expect_val(vtcr_of(40, 40), 0x80023558ull);
	/* 42: T0SZ 22 (0x16), SL0 0b01, PS 3 (0x30000) */
	expect_val(vtcr_of(42, 42), 0x80033556ull);
	/* 44: T0SZ 20 (0x14), SL0 0b10 (0x80), PS 4 (0x40000) */
	expect_val(vtcr_of(44, 44), 0x80043594ull);
	/* 48: T0SZ 16 (0x10), SL0 0b10 (0x80), PS 5 (0x50000) */
	expect_val(vtcr_of(48, 48), 0x80053590ull);

	/* the edges of each start level */
	/* 34: T0SZ 30 (0x1e), SL0 0b00, PS 1 */
	expect_val(vtcr_of(34, 36), 0x8001351eull);
	/* 35: T0SZ 29 (0x1d), SL0 0b01 (0x40), PS 1 */
	expect_val(vtcr_of(35, 36), 0x8001355dull);
	/* 43: T0SZ 21 (0x15), SL0 0b01, PS 4 */
	expect_val(vtcr_of(43, 44), 0x80043555ull);

	/* PS follows the PA range, not the IPA size */
	/* 40 on a 48-bit PA: PS 5 (0x50000) */
	expect_val(vtcr_of(40, 48), 0x80053558ull);
	/* 32 on a 52-bit PA: PS 6 (0x60000) */
	expect_val(vtcr_of(32, 52), 0x80063520ull);
	/* 48 on a 52-bit PA: PS 6 */
	expect_val(vtcr_of(48, 52), 0x80063590ull);
}

Test(enc_arm64_s2, vtcr_refused)
{
	struct s2pt *pt = pt_bits(40), *other = NULL;
	const unsigned bad_pa[] = { 0, 31, 33, 38, 39, 41, 46, 50, 56, 64 };
	uint64_t v = 0x5a5a;

	for (size_t i = 0; i < sizeof(bad_pa) / sizeof(bad_pa[0]); i++)
		cr_expect_eq(s2pt_arm64_vtcr(pt, bad_pa[i], &v), -EINVAL, "pa %u", bad_pa[i]);
	/* IPA wider than the PA range */
	cr_expect_eq(s2pt_arm64_vtcr(pt, 32, &v), -EINVAL);
	cr_expect_eq(s2pt_arm64_vtcr(pt, 36, &v), -EINVAL);
	cr_expect_eq(v, 0x5a5a, "written on failure");
	cr_expect_eq(s2pt_arm64_vtcr(pt, 40, NULL), -EINVAL);
	cr_expect_eq(s2pt_arm64_vtcr(NULL, 40, &v), -EINVAL);
	s2pt_destroy(pt);

	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_4k, NULL, &other), 0);
	cr_expect_eq(s2pt_arm64_vtcr(other, 48, &v), -EINVAL);
	s2pt_destroy(other);
	cr_assert_eq(s2pt_create(&s2pt_fmt_x86_64, NULL, &other), 0);
	cr_expect_eq(s2pt_arm64_vtcr(other, 48, &v), -EINVAL);
	s2pt_destroy(other);
}

/* A table in an arena at physical @pa_base: its root is the first thing
 * the arena hands out, so it lands at pa_base (aligned to its size). */
static struct s2pt *arena_pt_new(struct enc_arena *a, unsigned ia_bits, uint64_t pa_base)
{
	enc_arena_init(a, pa_base, 32 * 4096);
	a->opts.ia_bits = ia_bits;
	return enc_arena_root(a, &s2pt_fmt_arm64_s2);
}

/*
 * VTTBR_EL2 (ARM ARM register description): BADDR 47:1 (the root, aligned
 * to the size of the concatenated tables), VMID 63:48 (8 bits used: VTCR_EL2.VS
 * = 0), CnP bit 0 = 0.
 */
Test(enc_arm64_s2, vttbr)
{
	struct enc_arena a;
	struct s2pt *pt;
	uint64_t v = 0x5a5a;

	/* 40-bit, 8 KiB root at 0x40000000 */
	pt = arena_pt_new(&a, 40, 0x40000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	expect_val(v, 0x0000000040000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 1, &v), 0);
	expect_val(v, 0x0001000040000000ull);	/* VMID 1 at bit 48 */
	cr_assert_eq(s2pt_hw_root(pt, 0x5a, &v), 0);
	expect_val(v, 0x005a000040000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 0xff, &v), 0);
	expect_val(v, 0x00ff000040000000ull);	/* VMID 255: bits 55:48 */
	v = 0x5a5a;
	cr_expect_eq(s2pt_hw_root(pt, 0x100, &v), -EINVAL);	/* 9 bits: needs VS */
	cr_expect_eq(s2pt_hw_root(pt, 0xffff, &v), -EINVAL);
	cr_expect_eq(v, 0x5a5a);
	cr_expect_eq(s2pt_hw_root(pt, 0, NULL), -EINVAL);
	enc_arena_fini(&a, pt);

	/* 32-bit, 16 KiB root at 0x80000000, VMID 5 */
	pt = arena_pt_new(&a, 32, 0x80000000ull);
	cr_assert_eq(s2pt_hw_root(pt, 5, &v), 0);
	expect_val(v, 0x0005000080000000ull);
	enc_arena_fini(&a, pt);

	/* 48-bit, 4 KiB root at the top of the 48-bit PA space, VMID 0x2a:
	 * BADDR bits 47:12 all set */
	pt = arena_pt_new(&a, 48, 0x0000ffffffe00000ull);
	cr_assert_eq(s2pt_hw_root(pt, 0x2a, &v), 0);
	expect_val(v, 0x002affffffe00000ull);
	enc_arena_fini(&a, pt);

	/* a root above 2^48 has no BADDR encoding */
	pt = arena_pt_new(&a, 40, 0x0001000000000000ull);
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	enc_arena_fini(&a, pt);
}

/* An attached 40-bit view whose 8 KiB root is only 4 KiB aligned: BADDR[12]
 * would be RES0, so there is no VTTBR_EL2 for it. */
Test(enc_arm64_s2, vttbr_misaligned_root)
{
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = 40 };
	uint64_t *mem = enc_zalloc(8192, 4 * 4096), v;
	struct s2pt *pt;

	pt = enc_attach(&s2pt_fmt_arm64_s2, mem + 512, &o);
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);
	s2pt_destroy(pt);
	pt = enc_attach(&s2pt_fmt_arm64_s2, mem, &o);
	cr_assert_eq(s2pt_hw_root(pt, 1, &v), 0);
	expect_val(v, (uint64_t)(uintptr_t)mem | 1ull << 48);
	s2pt_destroy(pt);
	free(mem);
}

/* Break-before-make (D8, "Using break-before-make when updating
 * translation table entries"): a new output address goes through an
 * invalid entry, with the invalidation in between. */
struct bbm_probe {
	const uint64_t *entry;
	uint64_t seen[4];
	unsigned calls;
};

static void bbm_invalidate(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct bbm_probe *p = ctx;

	(void)ia;
	(void)size;
	(void)level;
	if (p->calls < 4)
		p->seen[p->calls] = p->entry ? *p->entry : 0x5a5a;
	p->calls++;
}

Test(enc_arm64_s2, break_before_make)
{
	struct bbm_probe probe = { 0 };
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = 40, .invalidate = bbm_invalidate,
			       .inv_ctx = &probe };
	struct s2pt *pt = NULL;
	struct s2pt_leaf leaf;
	const uint64_t *root, *t1;

	cr_assert_eq(s2pt_create(&s2pt_fmt_arm64_s2, &o, &pt), 0);
	cr_assert_eq(s2pt_map(pt, 0x40200000, 0x80200000, MIB2, S2PT_RW, S2PT_MAP_HUGE), 0);
	cr_expect_eq(probe.calls, 0);
	/* IPA 0x40200000: root index IPA[39:30] = 1, level 1 index IPA[29:21] = 1 */
	root = enc_tbl(s2pt_root(pt));
	t1 = enc_tbl(root[1] & S2_ADDR);
	probe.entry = &t1[1];
	expect_val(t1[1], 0x00400000802007fdull);

	cr_assert_eq(s2pt_map(pt, 0x40200000, 0x80400000, MIB2, S2PT_RW,
			      S2PT_MAP_HUGE | S2PT_MAP_REPLACE), 0);
	cr_assert_geq(probe.calls, 1);
	/* while invalidating the entry is invalid (bit[0] = 0, D8.3.1): the
	 * library's locked marker, bit 58, which invalid descriptors ignore */
	cr_expect_eq(probe.seen[0], 1ull << 58, "entry %#llx while invalidating",
		     (unsigned long long)probe.seen[0]);
	/* RW block at 0x80400000: 0x7fd, XN 10 */
	expect_val(t1[1], 0x00400000804007fdull);
	cr_assert_eq(s2pt_lookup(pt, 0x40212345, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80412345);
	s2pt_destroy(pt);
}

/* Splitting a block keeps output and attributes in every smaller leaf. */
Test(enc_arm64_s2, split_block)
{
	struct s2pt *pt = pt_bits(40);
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, GIB, 0xc0000000, GIB, S2PT_RW | S2PT_XS | S2PT_SW2,
			      S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_split(pt, GIB, GIB, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, GIB + 0x3000, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	/* page 0xc0003000: 0x7ff | XN 11 (0x0060...) | SW2 bit 57 (0x0200...) */
	expect_val(leaf.pte, 0x02600000c00037ffull);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_XS | S2PT_SW2);
	s2pt_destroy(pt);
}

/*
 * Decoding descriptors the library did not write, through a read-only view
 * of hand-built tables (heap provider: pa == va). A 40-bit table: an 8 KiB
 * root (lookup level 1), t1 at lookup level 2, t0 at lookup level 3.
 */
Test(enc_arm64_s2, decode_foreign)
{
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = 40 };
	uint64_t *root = enc_zalloc(8192, 8192);
	uint64_t *t1 = enc_zalloc(KIB, KIB), *t0 = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	root[0] = (uintptr_t)t1 | 0x3;
	root[1023] = (uintptr_t)t1 | 0x3;	/* second root page, last entry */
	t1[0] = (uintptr_t)t0 | 0x3;
	/* page, MemAttr 0b0010 Device-nGRE (0x08), S2AP 11, AF, XN 00 -> RWX|DEV */
	t0[1] = 0x12345000 | 0x3 | 0x08 | 0x0c0 | 0x400;
	/* level 3 with bits[1:0] = 0b01: reserved, faults like invalid */
	t0[2] = 0x6000 | 0x1 | 0x3c | 0x0c0 | 0x400;
	/* page, MemAttr 0b1010 Normal WT (0x28) -> NC; S2AP 01; AF = 0 (an
	 * Access flag fault is not a translation fault: still a leaf);
	 * XN 11 -> R|XS|NC */
	t0[3] = 0x7000 | 0x3 | 0x28 | 0x040 | (3ull << 53);
	/* page, MemAttr 0b1101 outer WB inner NC (0x34) -> NC; S2AP 00;
	 * XN 01 -> execute-only at EL0: XU|NC */
	t0[4] = 0x8000 | 0x3 | 0x34 | 0x300 | 0x400 | (1ull << 53);
	/* page, S2AP 10 write-only (valid hardware, never written by the
	 * library): decodes exactly as W; XN 10 */
	t0[5] = 0x9000 | 0x3 | 0x3c | 0x080 | 0x400 | (2ull << 53);
	/* page, S2AP 00, XN 10: valid, no access at all */
	t0[6] = 0xa000 | 0x3 | 0x3c | 0x400 | (2ull << 53);
	/* 2 MiB block with nT (bit 16, FEAT_BBM): not address bits; WB,
	 * S2AP 11, XN 10, SW0 (bit 55) -> RW|SW0 */
	t1[1] = 0x80200000 | (1ull << 16) | 0x1 | 0x3c | 0x0c0 | 0x400 | (2ull << 53) | (1ull << 55);
	/* 1 GiB block in the root, MemAttr 0b0000 Device-nGnRnE -> DEV; R */
	root[1] = 0xc0000000 | 0x1 | 0x00 | 0x040 | 0x400 | (2ull << 53);
	/* 1 GiB block at root entry 512 (IPA 2^39, second root page): RWX WB */
	root[512] = 0x4000000000ull | 0x1 | 0x3c | 0x0c0 | 0x400;
	/* bit[0] = 0 with other bits: invalid */
	root[2] = (uintptr_t)t1 | 0x2;

	pt = enc_attach(&s2pt_fmt_arm64_s2, root, &o);

	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345008);
	cr_expect_eq(leaf.prot, S2PT_RWX | S2PT_MT_DEV);
	cr_expect_eq(s2pt_lookup(pt, 0x2000, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, 0x3000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x7000);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_XS | S2PT_MT_NC);
	cr_assert_eq(s2pt_lookup(pt, 0x4000, &leaf), 0);
	cr_expect_eq(leaf.prot, S2PT_XU | S2PT_MT_NC);
	cr_assert_eq(s2pt_lookup(pt, 0x5000, &leaf), 0);
	cr_expect_eq(leaf.prot, S2PT_W);
	cr_assert_eq(s2pt_lookup(pt, 0x6000, &leaf), 0);
	cr_expect_eq(leaf.prot, 0);

	cr_assert_eq(s2pt_lookup(pt, 0x200000 + 0x1234, &leaf), 0);
	cr_expect_eq(leaf.level, 1);
	cr_expect_eq(leaf.oa, 0x80201234);
	cr_expect_eq(leaf.prot, S2PT_RW | S2PT_SW0);

	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123456, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0xc0123456);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_MT_DEV);

	cr_assert_eq(s2pt_lookup(pt, 0x8000000000ull + 0x10, &leaf), 0);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.oa, 0x4000000010ull);
	cr_expect_eq(leaf.prot, S2PT_RWX);

	/* root[1023] shares t1: IPA 0xffc0001000 -> t0[1] */
	cr_assert_eq(s2pt_lookup(pt, 0xffc0001000ull, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345000);

	cr_expect_eq(s2pt_lookup(pt, 2 * GIB, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x10000000000ull, &leaf), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 0x5000, 0x5000, KIB, S2PT_R, 0), -EPERM);
	s2pt_destroy(pt);
	free(root);
	free(t1);
	free(t0);
}

/* A block (0b01) at lookup level 0 needs VTCR_EL2.DS = 1: with these
 * tables it is a translation fault. 48-bit view, 4 KiB root. */
Test(enc_arm64_s2, decode_foreign_level0_block)
{
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = 48 };
	uint64_t *root = enc_zalloc(KIB, KIB);
	struct s2pt *pt;
	struct s2pt_leaf leaf;

	root[1] = 0x8000000000ull | 0x1 | 0x3c | 0x0c0 | 0x400;
	pt = enc_attach(&s2pt_fmt_arm64_s2, root, &o);
	cr_expect_eq(s2pt_lookup(pt, 0x8000000000ull, &leaf), -ENOENT);
	s2pt_destroy(pt);
	free(root);
}
