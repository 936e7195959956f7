// SPDX-License-Identifier: MIT
/* Encoding vectors for the LoongArch LVZ GPA table, worked out by hand from the
 * LoongArch Reference Manual vol. 1 (§5.3, §5.4.2, §5.4.5, §7.5.3, §7.5.5) and
 * the layout of Linux KVM's GPA table (invalid tables); public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit/enc_util.h"
#include "model/model.h"

/*
 * Page entry (§5.4.5 "common page", TLBELO §7.5.3): V(0) D(1) PLV(3:2)
 * MAT(5:4) G(6) P(7) W(8) PA(47:12) NR(61) NX(62) RPLV(63); huge entry: bit
 * 6 = HUGE. MAT (§5.3): 0 SUC, 1 CC, 2 WUC. Software bits 11:9 and 60.
 * GPA entries: V and P always; W sets D and W; no R sets NR; no X sets NX;
 * PLV 0, RPLV 0, G 0 (Linux KVM's kvm_map_page writes no _PAGE_USER).
 * A directory entry is the next table's physical address (§5.4.5).
 */

static uint64_t leaf_of(uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
			uint64_t leaf_size, unsigned level)
{
	return enc_leaf_in(enc_pt_new(&s2pt_fmt_lvz), ia, oa, size, prot, leaf_size, level);
}

#define pte_4k(prot)	leaf_of(0x400000, 0x12345000, KIB, (prot), KIB, 0)
#define pte_2m(prot)	leaf_of(MIB2, 0x80200000, MIB2, (prot), MIB2, 1)

/* Every one of a table's 512 entries equals @want except slot @skip. */
static void expect_all(const uint64_t *t, uint64_t want, unsigned skip)
{
	for (unsigned i = 0; i < 512; i++)
		if (i != skip)
			cr_expect_eq(t[i], want, "slot %u: %#llx, want %#llx", i,
				     (unsigned long long)t[i], (unsigned long long)want);
}

TestSuite(enc_lvz);

/* oa 0x12345000 in bits 47:12; MAT = CC (1) = 0x010 for WB. */
Test(enc_lvz, pte_4k_rights)
{
	/* RWX: V(0) D(1) CC(4) P(7) W(8) = 0x193 */
	expect_pte(pte_4k(S2PT_RWX), 0x0000000012345193ull);
	/* R: V CC P = 0x091, NX(62) */
	expect_pte(pte_4k(S2PT_R), 0x4000000012345091ull);
	/* RW: 0x193, NX */
	expect_pte(pte_4k(S2PT_RW), 0x4000000012345193ull);
	/* RX: 0x091 */
	expect_pte(pte_4k(S2PT_R | S2PT_X), 0x0000000012345091ull);
	/* execute-only: 0x091, NR(61) */
	expect_pte(pte_4k(S2PT_X), 0x2000000012345091ull);
}

/* Software bits: 9, 10, 11 and 60 (ignored by LDDIR/LDPTE/the walker). */
Test(enc_lvz, pte_sw_bits)
{
	expect_pte(pte_4k(S2PT_R | S2PT_SW0), 0x4000000012345291ull);
	expect_pte(pte_4k(S2PT_R | S2PT_SW1), 0x4000000012345491ull);
	expect_pte(pte_4k(S2PT_R | S2PT_SW2), 0x4000000012345891ull);
	/* bit 60 with NX(62): 0x5000... */
	expect_pte(pte_4k(S2PT_R | S2PT_SW3), 0x5000000012345091ull);
	/* RWX | SW0..3: 0x193 | 0xe00 = 0xf93, bit 60 */
	expect_pte(pte_4k(S2PT_RWX | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3),
		   0x1000000012345f93ull);
}

/* §5.3: MAT 0 SUC (DEV), 1 CC (WB), 2 WUC (NC). */
Test(enc_lvz, pte_memtypes)
{
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_WB), 0x4000000012345193ull);
	/* WUC 0x020: V D WUC P W = 0x1a3, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_NC), 0x40000000123451a3ull);
	/* SUC: V D P W = 0x183, NX */
	expect_pte(pte_4k(S2PT_RW | S2PT_MT_DEV), 0x4000000012345183ull);
}

/* PALEN 48: the last 4 KiB page below 2^48, at the last GPA page. */
Test(enc_lvz, pte_top)
{
	expect_pte(leaf_of(0xfffffffff000ull, 0xfffffffff000ull, KIB, S2PT_R, KIB, 0),
		   0x4000fffffffff091ull);
}

/* Huge entries at level 1 (2 MiB): HUGE(6) set, no HGLOBAL (§5.4.5). */
Test(enc_lvz, huge_2m)
{
	/* RW: V D CC HUGE P W = 0x1d3, NX */
	expect_pte(pte_2m(S2PT_RW), 0x40000000802001d3ull);
	/* RX: V CC HUGE P = 0x0d1 */
	expect_pte(pte_2m(S2PT_R | S2PT_X), 0x00000000802000d1ull);
	/* X | NC | SW0: V WUC(0x020) HUGE P = 0x0e1 | bit 9 = 0x2e1, NR */
	expect_pte(pte_2m(S2PT_X | S2PT_MT_NC | S2PT_SW0), 0x20000000802002e1ull);
	/* 1 GiB asked: 512 huge PMDs (no 1 GiB leaves, as Linux KVM); the
	 * last one at oa 0xc0000000 + 0x3fe00000 = 0xffe00000 */
	expect_pte(leaf_of(GIB, 0xc0000000, GIB, S2PT_RW, MIB2, 1), 0x40000000ffe001d3ull);
}

/*
 * A fresh table: 3 invalid tables (levels 0-2), each root slot pointing at
 * the level-2 one, whose slots point at the level-1 one, whose slots point
 * at the level-0 one, full of 0 (Linux: invalid_pud/pmd/pte_table).
 */
Test(enc_lvz, fresh_heap)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_lvz);
	const uint64_t *root = enc_tbl(s2pt_root(pt));
	struct s2pt_info info;
	struct s2pt_leaf leaf;
	struct enc_tables t = { 0 };
	uint64_t inv2 = root[0], inv1, inv0;

	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.empty_pages, 3);
	cr_expect_eq(info.levels, 4);
	cr_expect_eq(info.ia_bits, 48);
	cr_expect_eq(info.root_bytes, 0x1000);
	cr_expect_eq(info.table_pages[3], 1);
	cr_expect_eq(info.table_pages[2] + info.table_pages[1] + info.table_pages[0], 0);
	cr_assert_neq(inv2, 0);
	cr_expect_eq(inv2 & 0xfff, 0);
	expect_all(root, inv2, 512);
	inv1 = enc_tbl(inv2)[0];
	cr_assert_neq(inv1, 0);
	cr_expect_neq(inv1, inv2);
	expect_all(enc_tbl(inv2), inv1, 512);
	inv0 = enc_tbl(inv1)[0];
	cr_assert_neq(inv0, 0);
	cr_expect_neq(inv0, inv1);
	expect_all(enc_tbl(inv1), inv0, 512);
	expect_all(enc_tbl(inv0), 0, 512);
	/* the invalid-table pointers are empty slots, not tables */
	cr_expect_eq(s2pt_walk(pt, 0, 1ull << 48, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_expect_eq(t.n, 0);
	cr_expect_eq(s2pt_lookup(pt, 0x123456789000ull, &leaf), -ENOENT);
	s2pt_destroy(pt);
}

/*
 * Map at several levels, then unmap everything: every directory slot that
 * no longer leads to a mapping points at its level's invalid table again.
 */
Test(enc_lvz, unmap_restores_invalid)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_lvz);
	const uint64_t *root = enc_tbl(s2pt_root(pt));
	uint64_t inv2 = root[0], inv1 = enc_tbl(inv2)[0], inv0 = enc_tbl(inv1)[0];
	struct s2pt_info info;
	struct enc_tables t = { 0 };

	/* GPA 0x400000: root slot 0, level-2 slot 0, level-1 slot 2, level-0 slot 0 */
	cr_assert_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_walk(pt, 0x400000, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_eq(t.n, 3);
	for (unsigned j = 0; j < 3; j++) {
		cr_expect_eq(t.level[j], 3 - j);
		/* a directory entry is exactly the table's physical address */
		cr_expect_eq(t.pte[j], t.pa[j]);
		cr_expect_eq(t.pa[j] & 0xfff, 0);
	}
	cr_expect_eq(root[0], t.pa[0]);
	expect_all(root, inv2, 0);
	cr_expect_eq(enc_tbl(t.pa[0])[0], t.pa[1]);
	expect_all(enc_tbl(t.pa[0]), inv1, 0);
	cr_expect_eq(enc_tbl(t.pa[1])[2], t.pa[2]);
	expect_all(enc_tbl(t.pa[1]), inv0, 2);
	expect_pte(enc_tbl(t.pa[2])[0], 0x4000000012345193ull);
	expect_all(enc_tbl(t.pa[2]), 0, 0);

	/* 2 MiB huge at GPA 0x7fffffe00000 (root slot 255, level-2 slot 511,
	 * level-1 slot 511); 4 KiB at the last GPA page (slots 511/511/511/511) */
	cr_assert_eq(s2pt_map(pt, 0x7fffffe00000ull, 0x80200000, MIB2, S2PT_R | S2PT_X, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_map(pt, 0xfffffffff000ull, 0x12346000, KIB, S2PT_R, 0), 0);
	cr_expect_neq(root[255], inv2);
	cr_expect_neq(root[511], inv2);
	/* split a huge entry: level-1 slot now a table */
	cr_assert_eq(s2pt_unmap(pt, 0x7fffffe00000ull, KIB), 0);
	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.table_pages[0], 3);

	cr_assert_eq(s2pt_unmap(pt, 0, 1ull << 48), 0);
	expect_all(root, inv2, 512);
	expect_all(enc_tbl(inv2), inv1, 512);
	expect_all(enc_tbl(inv1), inv0, 512);
	expect_all(enc_tbl(inv0), 0, 512);
	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.empty_pages, 3);
	cr_expect_eq(info.table_pages[3], 1);
	cr_expect_eq(info.table_pages[2] + info.table_pages[1] + info.table_pages[0], 0);
	s2pt_destroy(pt);
}

/*
 * The same through an arena at 0x90000000, where placement is first fit:
 * the invalid tables of levels 0, 1, 2 take 0x90000000, 0x90001000,
 * 0x90002000 (made before the root), the root 0x90003000. So every root
 * slot reads 0x90002000, the level-2 invalid table 0x90001000, the
 * level-1 one 0x90000000, the level-0 one 0. The PGD value (CSR.PGDL,
 * §7.5.5: Base 63:12) is the root: 0x90003000.
 */
Test(enc_lvz, arena_layout_and_pgd)
{
	const uint64_t *page[4];
	struct enc_arena a;
	struct s2pt_info info;
	struct s2pt *pt;
	uint64_t v = 0;

	enc_arena_init(&a, 0x90000000, 256 * KIB);
	pt = enc_arena_pt(&a, &s2pt_fmt_lvz);
	for (unsigned i = 0; i < 4; i++)
		page[i] = (const uint64_t *)((unsigned char *)a.mem + i * KIB);
	cr_expect_eq(s2pt_root(pt), 0x90003000);
	expect_all(page[3], 0x90002000, 512);
	expect_all(page[2], 0x90001000, 512);
	expect_all(page[1], 0x90000000, 512);
	expect_all(page[0], 0, 512);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	cr_expect_eq(v, 0x90003000);
	/* the GID lives in CSR.GSTAT.GID (23:16), not in PGDL */
	cr_expect_eq(s2pt_hw_root(pt, 1, &v), -EINVAL);

	/* map a huge page, then unmap the whole input space, which unlinks
	 * its tables (a partial unmap leaves them linked, empty, for racing
	 * writers): root slot 0 comes back to 0x90002000 */
	cr_assert_eq(s2pt_map(pt, MIB2, 0x80200000, MIB2, S2PT_RW, S2PT_MAP_HUGE), 0);
	cr_expect_neq(page[3][0], 0x90002000);
	cr_assert_eq(s2pt_unmap(pt, 0, 1ull << 48), 0);
	expect_all(page[3], 0x90002000, 512);
	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.empty_pages, 3);
	/* nothing leaked once the grace period is over: 3 invalid tables,
	 * the root and the spare pool */
	test_rcu_barrier();
	cr_expect_eq(s2pt_arena_used(a.arena), (4 + info.spare_pages) * KIB);
	s2pt_destroy(pt);
	cr_expect_eq(s2pt_arena_used(a.arena), 0);
	enc_arena_fini(&a, NULL);
}

/*
 * 47-bit GPAs keep every walk on PGDL (CSR.PGD picks PGDH when bit 47 of
 * the faulting address is set, §7.5.7), as Linux KVM's gpa_size does.
 */
Test(enc_lvz, ia_bits_47)
{
	struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = 47 };
	struct s2pt_info info;
	struct s2pt_leaf leaf;
	struct s2pt *pt;

	cr_assert_eq(s2pt_create(&s2pt_fmt_lvz, &o, &pt), 0);
	cr_assert_eq(s2pt_info(pt, &info), 0);
	cr_expect_eq(info.ia_bits, 47);
	cr_expect_eq(info.levels, 4);
	cr_expect_eq(info.root_bytes, 0x1000);
	cr_expect_eq(s2pt_map(pt, 1ull << 47, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	cr_assert_eq(s2pt_map(pt, (1ull << 47) - KIB, 0x12345000, KIB, S2PT_R, 0), 0);
	cr_assert_eq(s2pt_lookup(pt, (1ull << 47) - 8, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345ff8);
	s2pt_destroy(pt);
	o.ia_bits = 46;
	cr_expect_eq(s2pt_create(&s2pt_fmt_lvz, &o, &pt), -EINVAL);
	o.ia_bits = 49;
	cr_expect_eq(s2pt_create(&s2pt_fmt_lvz, &o, &pt), -EINVAL);
}

Test(enc_lvz, refused)
{
	static const uint32_t bad[] = {
		0,				/* neither R nor X */
		S2PT_W,				/* W without R */
		S2PT_W | S2PT_X,
		S2PT_R | S2PT_U,		/* no PLV choice in a GPA entry */
		S2PT_RW | S2PT_U,
		S2PT_X | S2PT_U,
		S2PT_R | S2PT_G,		/* no global GPA entry */
		S2PT_RWX | S2PT_U | S2PT_G,
		S2PT_U, S2PT_G,
		S2PT_R | S2PT_XU,		/* one NX bit: no split execute */
		S2PT_R | S2PT_XS,
		S2PT_R | MT3,			/* MAT 3 is reserved (§5.3) */
		S2PT_R | (1u << 7),		/* not an S2PT_* bit */
	};
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_lvz);

	enc_expect_refused(pt, bad, sizeof(bad) / sizeof(bad[0]));
	/* GPAs are plain: no sign-extended upper half */
	cr_expect_eq(s2pt_map(pt, 0xffff800000000000ull, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	cr_expect_eq(s2pt_map(pt, 1ull << 48, 0x12345000, KIB, S2PT_R, 0), -ERANGE);
	s2pt_destroy(pt);
}

Test(enc_lvz, prot_round_trip)
{
	static const uint32_t rights[] = {
		S2PT_R, S2PT_RW, S2PT_X, S2PT_R | S2PT_X, S2PT_RWX,
	};
	static const uint32_t extra[] = {
		0, S2PT_MT_NC, S2PT_MT_DEV, S2PT_SW0, S2PT_SW1, S2PT_SW2, S2PT_SW3,
		S2PT_MT_NC | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3,
	};

	for (unsigned i = 0; i < sizeof(rights) / sizeof(rights[0]); i++)
		for (unsigned j = 0; j < sizeof(extra) / sizeof(extra[0]); j++) {
			pte_4k(rights[i] | extra[j]);
			pte_2m(rights[i] | extra[j]);
		}
}

/*
 * Write-protect (dirty logging without a hardware D bit, as Linux KVM's
 * kvm_mkclean_pte): D and W both go. Split 2 MiB -> 4 KiB keeps the rest.
 */
Test(enc_lvz, split_and_protect)
{
	struct s2pt *pt = enc_pt_new(&s2pt_fmt_lvz);
	struct s2pt_leaf leaf;

	cr_assert_eq(s2pt_map(pt, MIB2, 0x80200000, MIB2, S2PT_RW, S2PT_MAP_HUGE), 0);
	cr_assert_eq(s2pt_split(pt, MIB2, MIB2, KIB), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 2 * KIB, &leaf), 0);
	cr_expect_eq(leaf.level, 0);
	/* oa 0x80202000: V D CC P W = 0x193, NX */
	expect_pte(leaf.pte, 0x4000000080202193ull);
	cr_assert_eq(s2pt_protect(pt, MIB2 + 2 * KIB, KIB, S2PT_R), 0);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 2 * KIB, &leaf), 0);
	/* V CC P = 0x091, NX */
	expect_pte(leaf.pte, 0x4000000080202091ull);
	cr_expect_eq(leaf.prot, S2PT_R);
	s2pt_destroy(pt);
}

/*
 * A foreign GPA table laid out as Linux KVM's (s2pt_attach): unused slots
 * point at invalid tables, which a walk goes through to a 0 entry. Built
 * by hand on the heap (pa == va).
 */
Test(enc_lvz, attach_linux_layout)
{
	uint64_t *p[7];	/* inv0, inv1, inv2, root, t2, t1, t0 */
	uint64_t *inv0, *inv1, *inv2, *root, *t2, *t1, *t0;
	struct s2pt_leaf leaf;
	struct s2pt *pt;
	uint64_t v;

	for (unsigned i = 0; i < 7; i++)
		p[i] = enc_zalloc(KIB, KIB);
	inv0 = p[0], inv1 = p[1], inv2 = p[2], root = p[3], t2 = p[4], t1 = p[5], t0 = p[6];
	for (unsigned i = 0; i < 512; i++) {
		inv0[i] = 0;
		t0[i] = 0;
		inv1[i] = t1[i] = (uint64_t)(uintptr_t)inv0;
		inv2[i] = t2[i] = (uint64_t)(uintptr_t)inv1;
		root[i] = (uint64_t)(uintptr_t)inv2;
	}
	root[0] = (uint64_t)(uintptr_t)t2;
	t2[0] = (uint64_t)(uintptr_t)t1;
	t1[0] = (uint64_t)(uintptr_t)t0;
	/* t0[0]: 4 KiB R at 0x12345000: V CC P = 0x091, NX */
	t0[0] = 0x4000000012345091ull;
	/* t0[1]: RW with PLV 3 (0x00c): V D PLV3 CC P W = 0x19f, NX; PLV not decoded */
	t0[1] = 0x400000001234619full;
	/* t0[2]: V without P (the walker's not present) */
	t0[2] = 0x4000000012347011ull;
	/* t1[1]: 2 MiB huge at 0x80200000, RW: 0x1d3, NX */
	t1[1] = 0x40000000802001d3ull;
	/* t2[1]: 1 GiB huge at 0xc0000000, RX: V CC HUGE P = 0x0d1 */
	t2[1] = 0x00000000c00000d1ull;
	/* root[1]: HUGE at the root (512 GiB): no such page size */
	root[1] = 0x00000080000000d1ull;

	pt = enc_attach(&s2pt_fmt_lvz, root, NULL);
	cr_assert_eq(s2pt_lookup(pt, 0x10, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12345010);
	cr_expect_eq(leaf.prot, S2PT_R);
	cr_assert_eq(s2pt_lookup(pt, 0x1008, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x12346008);
	cr_expect_eq(leaf.prot, S2PT_RW);
	cr_expect_eq(s2pt_lookup(pt, 0x2000, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 0x3000, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, MIB2 + 0x3000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0x80203000);
	cr_expect_eq(leaf.size, MIB2);
	cr_expect_eq(leaf.prot, S2PT_RW);
	/* through the invalid pte table: not mapped */
	cr_expect_eq(s2pt_lookup(pt, 2 * MIB2, &leaf), -ENOENT);
	cr_assert_eq(s2pt_lookup(pt, GIB + 0x123000, &leaf), 0);
	cr_expect_eq(leaf.oa, 0xc0123000);
	cr_expect_eq(leaf.level, 2);
	cr_expect_eq(leaf.prot, S2PT_R | S2PT_X);
	/* through the invalid pmd table, the invalid pud table, a HUGE root */
	cr_expect_eq(s2pt_lookup(pt, 2 * GIB, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 1ull << 39, &leaf), -ENOENT);
	cr_expect_eq(s2pt_lookup(pt, 5ull << 39, &leaf), -ENOENT);
	cr_assert_eq(s2pt_hw_root(pt, 0, &v), 0);
	cr_expect_eq(v, (uint64_t)(uintptr_t)root);
	s2pt_destroy(pt);
	for (unsigned i = 0; i < 7; i++)
		free(p[i]);
}

Test(enc_lvz, name)
{
	cr_expect_eq(s2pt_fmt_find("lvz"), &s2pt_fmt_lvz);
	cr_expect_str_eq(s2pt_fmt_name(&s2pt_fmt_lvz), "lvz");
}
