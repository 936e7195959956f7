// SPDX-License-Identifier: MIT
/* Helpers shared by the encoding tests (enc_util.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "unit/enc_util.h"

struct s2pt *enc_pt_new(const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(fmt, NULL, &pt), 0);
	cr_assert_not_null(pt);
	return pt;
}

uint64_t enc_leaf_in(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
		     uint64_t leaf_size, unsigned level)
{
	struct s2pt_leaf leaf;
	int ret;

	ret = s2pt_map(pt, ia, oa, size, prot, size > KIB ? S2PT_MAP_HUGE : 0);
	cr_assert_eq(ret, 0, "map %#llx prot %#x: %d", (unsigned long long)ia, prot, ret);
	cr_assert_eq(s2pt_lookup(pt, ia + size - 8, &leaf), 0);
	cr_expect_eq(leaf.level, level);
	cr_expect_eq(leaf.size, leaf_size);
	cr_expect_eq(leaf.oa, oa + size - 8);
	cr_expect_eq(leaf.prot, prot, "decoded %#x, mapped %#x", leaf.prot, prot);
	s2pt_destroy(pt);
	return leaf.pte;
}

uint64_t enc_leaf_of(const struct s2pt_fmt *fmt, uint64_t ia, uint64_t oa, uint64_t size,
		     uint32_t prot, unsigned level)
{
	return enc_leaf_in(enc_pt_new(fmt), ia, oa, size, prot, size, level);
}

int enc_collect_table(const struct s2pt_visit *v, void *arg)
{
	struct enc_tables *t = arg;

	cr_assert_eq(v->kind, S2PT_WALK_TABLE_PRE);
	cr_assert_lt(t->n, ENC_TABLES_MAX);
	t->level[t->n] = v->level;
	t->ia[t->n] = v->ia;
	t->pte[t->n] = v->pte;
	t->pa[t->n] = v->table_pa;
	t->n++;
	return 0;
}

void enc_arena_init(struct enc_arena *a, uint64_t pa, size_t bytes)
{
	*a = (struct enc_arena){ .pa = pa, .bytes = bytes,
				 .opts = { .sz = sizeof(a->opts), .mm = &s2pt_arena_mm } };
	a->mem = aligned_alloc(KIB, bytes);
	cr_assert_not_null(a->mem);
	cr_assert_eq(s2pt_arena_create(a->mem, pa, bytes, &a->arena), 0);
	a->opts.mm_ctx = a->arena;
}

struct s2pt *enc_arena_pt(struct enc_arena *a, const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(fmt, &a->opts, &pt), 0);
	return pt;
}

struct s2pt *enc_arena_root(struct enc_arena *a, const struct s2pt_fmt *fmt)
{
	struct s2pt *pt = enc_arena_pt(a, fmt);

	cr_assert_eq(s2pt_root(pt), a->pa);
	return pt;
}

void enc_arena_fini(struct enc_arena *a, struct s2pt *pt)
{
	if (pt)
		s2pt_destroy(pt);
	s2pt_arena_destroy(a->arena);
	free(a->mem);
}

void enc_check_tables(const struct s2pt_fmt *fmt, const struct enc_arena *a, uint64_t ia,
		      uint32_t prot, unsigned levels, uint64_t addr, uint64_t attrs)
{
	uint64_t lo = a ? a->pa : 0, hi = a ? a->pa + a->bytes : UINT64_MAX;
	struct enc_tables t = { 0 };
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_create(fmt, a ? &a->opts : NULL, &pt), 0);
	cr_assert_eq(s2pt_map(pt, ia, 0x12345000, KIB, prot, 0), 0);
	cr_assert_eq(s2pt_walk(pt, ia, KIB, S2PT_WALK_TABLE_PRE, enc_collect_table, &t), 0);
	cr_assert_eq(t.n, levels - 1);
	for (unsigned i = 0; i < t.n; i++) {
		cr_expect_eq(t.level[i], levels - 1 - i);
		cr_expect_eq(t.pte[i] & ~addr, attrs, "level %u table entry %#llx", t.level[i],
			     (unsigned long long)t.pte[i]);
		cr_expect_eq(t.pte[i] & addr, t.pa[i]);
		cr_expect(t.pa[i] >= lo && t.pa[i] < hi, "table at %#llx",
			  (unsigned long long)t.pa[i]);
	}
	s2pt_destroy(pt);
}

void enc_expect_sv_table(uint64_t pte, uint64_t table_pa)
{
	cr_expect_eq(pte & 0x3ff, 0x001, "table pte %#llx", (unsigned long long)pte);
	cr_expect_eq(pte >> 54, 0, "table pte %#llx", (unsigned long long)pte);
	cr_expect_eq(((pte >> 10) & ((1ull << 44) - 1)) << 12, table_pa);
	cr_expect_eq(table_pa & 0xfff, 0);
}

void enc_expect_refused(struct s2pt *pt, const uint32_t *bad, size_t n)
{
	struct s2pt_leaf leaf;

	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(s2pt_map(pt, 0x400000, 0x12345000, KIB, bad[i], 0), -EINVAL,
			     "prot %#x accepted", bad[i]);
		cr_expect_eq(s2pt_lookup(pt, 0x400000, &leaf), -ENOENT);
	}
}

unsigned enc_accept_set(struct s2pt *pt, bool (*accept)(uint32_t prot),
			void (*check)(uint32_t prot, const struct s2pt_leaf *leaf))
{
	unsigned accepted = 0;

	for (uint32_t p = 0; p < (1u << 16); p++) {
		uint64_t ia = (uint64_t)p << 12;
		struct s2pt_leaf leaf;
		int ret = s2pt_map(pt, ia, 0x7000000 + ia, KIB, p, 0);

		if (!accept(p)) {
			cr_expect_eq(ret, -EINVAL, "prot %#x: %d", p, ret);
			continue;
		}
		cr_assert_eq(ret, 0, "prot %#x: %d", p, ret);
		accepted++;
		cr_assert_eq(s2pt_lookup(pt, ia, &leaf), 0);
		cr_expect_eq(leaf.prot, p, "prot %#x decoded as %#x", p, leaf.prot);
		if (check)
			check(p, &leaf);
	}
	return accepted;
}

void *enc_zalloc(size_t align, size_t bytes)
{
	void *p = aligned_alloc(align, bytes);

	cr_assert_not_null(p);
	memset(p, 0, bytes);
	return p;
}

struct s2pt *enc_attach(const struct s2pt_fmt *fmt, const void *root, const struct s2pt_opts *opts)
{
	struct s2pt *pt = NULL;

	cr_assert_eq(s2pt_attach(fmt, (uintptr_t)root, opts, &pt), 0);
	return pt;
}
