/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure injection: for every format and every mutating
 * operation that may allocate, make the n-th allocation fail for n = 0, 1,
 * 2, ... until the operation succeeds. A failed operation returns -ENOMEM
 * and leaves the table exactly as before (same entries, same raw values,
 * same table pages) with nothing leaked; the succeeding one matches the
 * model. Spare pages the library keeps (info.spare_pages) are accounted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "model/model.h"

enum af_kind { AF_MAP, AF_UNMAP, AF_PROTECT, AF_SPLIT, AF_COLLAPSE };

/* One call; ia relative to the scenario base, oa absolute. */
struct af_op {
	enum af_kind kind;
	uint64_t ia, size, oa;
	uint32_t prot;
	unsigned flags;
	uint64_t leaf_size;
};

#define MAXSETUP 6

struct af_scen {
	const char *name;
	unsigned nsetup;
	bool noalloc;		/* the contract allows no -ENOMEM here */
	struct af_op setup[MAXSETUP];
	struct af_op op;
};

#define G1 TGIB
#define M2 (2 * TMIB)
#define K4 TPAGE
#define OA 0x80000000ull	/* 1 GiB aligned output base */
#define OB 0x100000000ull	/* another one */
#define RW S2PT_RW
#define MAPH (S2PT_MAP_HUGE)
#define MAPR (S2PT_MAP_REPLACE)

static const struct af_scen scens[] = {
	{ "map 4K into an empty table", .op = { AF_MAP, 3 * K4, K4, OA, RW, 0, 0 } },
	{ "map 4K beside a mapping", 1, .setup = { { AF_MAP, 0, K4, OA, RW, 0, 0 } },
	  .op = { AF_MAP, M2 + K4, K4, OA + K4, RW, 0, 0 } },
	{ "map 4 MiB of base pages", .op = { AF_MAP, M2 - 2 * K4, 2 * M2, OA + K4, RW, 0, 0 } },
	{ "map 80 MiB of base pages (more than the spare pool)",
	  .op = { AF_MAP, 0, 40 * M2, OA + K4, RW, 0, 0 } },
	{ "map HUGE: 4K, 2M, 1G, 2M, 4K leaves",
	  .op = { AF_MAP, G1 - M2 - 2 * K4, G1 + 2 * M2 + 4 * K4, OA + G1 - M2 - 2 * K4, RW, MAPH, 0 } },
	{ "map HUGE beside existing tables", 2,
	  .setup = { { AF_MAP, 0, K4, OA, RW, 0, 0 }, { AF_MAP, 3 * G1 + K4, K4, OA, RW, 0, 0 } },
	  .op = { AF_MAP, K4, 3 * G1 - K4, OA + K4, RW, MAPH, 0 } },
	{ "map REPLACE: pages into a 1G block", 1,
	  .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_MAP, M2 + K4, 2 * K4, OB, S2PT_R, MAPR, 0 } },
	{ "map REPLACE: 2M blocks over pages", 2,
	  .setup = { { AF_MAP, 0, 2 * M2, OA + K4, RW, 0, 0 }, { AF_MAP, 3 * M2, K4, OA, RW, 0, 0 } },
	  .op = { AF_MAP, 0, 2 * M2, OB, RW, MAPH | MAPR, 0 } },
	{ "map REPLACE HUGE over mixed leaves", 3,
	  .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 }, { AF_MAP, G1, 4 * M2, OA + K4, RW, 0, 0 },
		     { AF_MAP, 2 * G1 + M2, M2, OA, RW, MAPH, 0 } },
	  .op = { AF_MAP, M2 - K4, 2 * G1 + M2, OB + M2 - K4, RW, MAPH | MAPR, 0 } },
	{ "unmap 4K out of a 1G block", 1, .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_UNMAP, 5 * M2 + K4, K4 } },
	{ "unmap across two 1G blocks", 1, .setup = { { AF_MAP, 0, 2 * G1, OA, RW, MAPH, 0 } },
	  .op = { AF_UNMAP, G1 - K4, 2 * K4 } },
	{ "unmap with both edges in 2M blocks", 1, .setup = { { AF_MAP, 0, 8 * M2, OA, RW, MAPH, 0 } },
	  .op = { AF_UNMAP, M2 + K4, 5 * M2 } },
	/* unmap: "-ENOMEM (edge split)"; this range splits no block */
	{ "unmap everything (frees tables)", 2, true,
	  .setup = { { AF_MAP, K4, 3 * M2, OA + K4, RW, 0, 0 }, { AF_MAP, G1, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_UNMAP, 0, 4 * G1 } },
	{ "protect 4K out of a 1G block", 1, .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_PROTECT, 7 * M2 - K4, 2 * K4, 0, S2PT_R } },
	{ "protect across two 1G blocks", 1, .setup = { { AF_MAP, 0, 2 * G1, OA, RW, MAPH, 0 } },
	  .op = { AF_PROTECT, G1 - 3 * K4, 6 * K4, 0, S2PT_R } },
	{ "protect across 40 2M blocks, edges split", 1,
	  .setup = { { AF_MAP, 0, 48 * M2, OA, RW, MAPH, 0 } },
	  .op = { AF_PROTECT, K4, 40 * M2, 0, S2PT_R } },
	{ "split a 1G block to 2M", 1, .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_SPLIT, 0, G1, .leaf_size = M2 } },
	{ "split part of a 1G block to 4K", 1, .setup = { { AF_MAP, 0, G1, OA, RW, MAPH, 0 } },
	  .op = { AF_SPLIT, 3 * M2 - K4, 2 * K4, .leaf_size = K4 } },
	{ "split 40 2M blocks to 4K", 1, .setup = { { AF_MAP, 0, 48 * M2, OA, RW, MAPH, 0 } },
	  .op = { AF_SPLIT, M2, 40 * M2, .leaf_size = K4 } },
	{ "split across two 1G blocks to 4K", 1, .setup = { { AF_MAP, 0, 2 * G1, OA, RW, MAPH, 0 } },
	  .op = { AF_SPLIT, G1 - K4, 2 * K4, .leaf_size = K4 } },
	{ "collapse (never allocates)", 1, true, .setup = { { AF_MAP, 0, 2 * M2, OA, RW, 0, 0 } },
	  .op = { AF_COLLAPSE, 0, 2 * M2 } },
};

#define NSCEN (sizeof(scens) / sizeof(scens[0]))

struct af {
	const struct s2pt_fmt *fmt;
	const char *name;
	struct tmm mm;
	struct s2pt *pt;
	struct tgeo g;
	struct model m;
	unsigned flags, ia_bits;
	uint64_t leaf_sizes;
	uint64_t base;
	unsigned violations;	/* -ENOMEM where the contract has none */
	char first_violation[256];
};

static void af_noinv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	(void)ctx; (void)ia; (void)size; (void)level;
}

/* The op with its size adapted to the table: leaf sizes the table lacks
 * become the largest it has. */
static struct af_op fix_op(const struct af *a, const struct af_op *in)
{
	struct af_op o = *in;

	o.ia += a->base;
	if (o.kind == AF_SPLIT) {
		while (!(a->g.info.leaf_sizes & o.leaf_size))
			o.leaf_size >>= 9;
	}
	return o;
}

static int run_op(struct af *a, const struct af_op *o)
{
	switch (o->kind) {
	case AF_MAP:
		return s2pt_map(a->pt, o->ia, o->oa, o->size, o->prot, o->flags);
	case AF_UNMAP:
		return s2pt_unmap(a->pt, o->ia, o->size);
	case AF_PROTECT:
		return s2pt_protect(a->pt, o->ia, o->size, o->prot);
	case AF_SPLIT:
		return s2pt_split(a->pt, o->ia, o->size, o->leaf_size);
	case AF_COLLAPSE:
		return s2pt_collapse(a->pt, o->ia, o->size);
	}
	return -1;
}

static void model_op(struct model *m, const struct af_op *o)
{
	switch (o->kind) {
	case AF_MAP:
		CHK(model_map(m, o->ia, o->oa, o->size, o->prot, o->flags) == 0, "model");
		break;
	case AF_UNMAP:
		model_unmap(m, o->ia, o->size);
		break;
	case AF_PROTECT:
		model_protect(m, o->ia, o->size, o->prot);
		break;
	case AF_SPLIT:
		model_split(m, o->ia, o->size, o->leaf_size);
		break;
	case AF_COLLAPSE:
		model_collapse(m, o->ia, o->size);
		break;
	}
}

/* A fresh table with the scenario's setup done (no failures injected). */
static void af_open(struct af *a, const struct af_scen *s)
{
	int ret;

	tmm_init(&a->mm);
	model_init(&a->m);
	ret = tcreate(a->fmt, &a->mm, a->ia_bits, a->leaf_sizes, a->flags, af_noinv, NULL, &a->pt);
	CHK(ret == 0, "create: %d", ret);
	tgeo_get(a->pt, &a->g);
	for (unsigned i = 0; i < s->nsetup; i++) {
		struct af_op o = fix_op(a, &s->setup[i]);

		ret = run_op(a, &o);
		CHK(ret == 0, "setup op %u: %d", i, ret);
		model_op(&a->m, &o);
	}
	tree_check(a->pt, &a->g, &a->m, &a->mm, NULL);
}

static void af_close(struct af *a)
{
	s2pt_destroy(a->pt);
	a->pt = NULL;
	test_rcu_barrier();
	CHK(tmm_live_pages(&a->mm) == 0, "destroy left %llu pages",
	    (unsigned long long)tmm_live_pages(&a->mm));
	tmm_fini(&a->mm);
	model_fini(&a->m);
}

/* Returns how many allocations the operation made when it succeeded. */
static long af_scenario(struct af *a, const struct af_scen *s)
{
	for (long n = 0;; n++) {
		struct snap before;
		struct af_op o;
		uint64_t inj;
		int ret;

		CHK(n < 100000, "%s: the operation never succeeds", s->name);
		chk_context("format %s (flags %#x ia_bits %u leaf_sizes 0x%llx base 0x%llx): %s, "
			    "allocation %ld fails", a->name, a->flags, a->ia_bits,
			    (unsigned long long)a->leaf_sizes, (unsigned long long)a->base,
			    s->name, n);
		af_open(a, s);
		o = fix_op(a, &s->op);
		snap_take(a->pt, &a->g, &a->mm, &before);
		inj = a->mm.injected;
		tmm_fail_nth(&a->mm, n);
		ret = run_op(a, &o);
		tmm_fail_nth(&a->mm, -1);
		if (ret == -ENOMEM && s->noalloc && !a->violations++)
			snprintf(a->first_violation, sizeof(a->first_violation),
				 "format %s flags %#x ia_bits %u leaf_sizes 0x%llx: \"%s\" returned "
				 "-ENOMEM when allocation %ld failed, but it needs no allocation",
				 a->name, a->flags, a->ia_bits, (unsigned long long)a->leaf_sizes,
				 s->name, n);
		if (ret == -ENOMEM) {
			CHK(a->mm.injected > inj, "-ENOMEM without an allocation failure");
			snap_expect(a->pt, &a->g, &a->mm, &before, "after -ENOMEM");
			tree_check(a->pt, &a->g, &a->m, &a->mm, NULL);
			/* and the table still works: the op now succeeds */
			ret = run_op(a, &o);
			CHK(ret == 0, "the operation failed again (%d) with no failure injected", ret);
			model_op(&a->m, &o);
			tree_check(a->pt, &a->g, &a->m, &a->mm, NULL);
			snap_fini(&before);
			af_close(a);
			continue;
		}
		CHK(ret == 0, "returned %d (expected 0 or -ENOMEM)", ret);
		model_op(&a->m, &o);
		tree_check(a->pt, &a->g, &a->m, &a->mm, NULL);
		snap_fini(&before);
		af_close(a);
		if (a->mm.injected == inj)
			return n;	/* the op made fewer than n+1 allocations */
	}
}

static long af_create(struct af *a)
{
	for (long n = 0;; n++) {
		struct tmm mm;
		struct s2pt *pt = NULL;
		uint64_t inj;
		int ret;

		CHK(n < 1000, "create never succeeds");
		chk_context("format %s (flags %#x ia_bits %u): create, allocation %ld fails",
			    a->name, a->flags, a->ia_bits, n);
		tmm_init(&mm);
		inj = mm.injected;
		tmm_fail_nth(&mm, n);
		ret = tcreate(a->fmt, &mm, a->ia_bits, a->leaf_sizes, a->flags, NULL, NULL, &pt);
		tmm_fail_nth(&mm, -1);
		if (ret == -ENOMEM) {
			CHK(mm.injected > inj, "create: -ENOMEM without an allocation failure");
			test_rcu_barrier();
			CHK(tmm_live_pages(&mm) == 0, "create failed with -ENOMEM and leaked %llu pages",
			    (unsigned long long)tmm_live_pages(&mm));
			tmm_fini(&mm);
			continue;
		}
		CHK(ret == 0 && pt, "create: %d", ret);
		s2pt_destroy(pt);
		test_rcu_barrier();
		tmm_fini(&mm);
		if (mm.injected == inj)
			return n;
	}
}

struct fmt_param {
	char name[32];
};

ParameterizedTestParameters(allocfail, every_allocation)
{
	static struct fmt_param p[64];
	unsigned n = 0;

	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f && n < 64; f = s2pt_fmt_next(f)) {
		snprintf(p[n].name, sizeof(p[n].name), "%s", s2pt_fmt_name(f));
		n++;
	}
	return cr_make_param_array(struct fmt_param, p, n);
}

static void af_config(struct af *a, unsigned flags, unsigned ia_bits, uint64_t leaf_sizes,
		      bool upper, uint64_t *total_allocs, uint64_t *scen_with_allocs)
{
	struct s2pt *pt;
	struct tgeo g;
	int ret;

	a->flags = flags;
	a->ia_bits = ia_bits;
	a->leaf_sizes = leaf_sizes;
	/* geometry, for the base */
	ret = tcreate(a->fmt, NULL, ia_bits, leaf_sizes, flags, NULL, NULL, &pt);
	CHK(ret == 0, "create: %d", ret);
	tgeo_get(pt, &g);
	s2pt_destroy(pt);
	if (upper && !g.canonical)
		return;
	a->base = upper ? 0 - g.half + 4 * TGIB : 4 * TGIB;
	if (g.half < 16 * TGIB)		/* a 32-bit stage-2 space */
		a->base = 0;

	*total_allocs += (uint64_t)af_create(a);
	for (size_t i = 0; i < NSCEN; i++) {
		long n = af_scenario(a, &scens[i]);

		*total_allocs += (uint64_t)n;
		*scen_with_allocs += n > 0;
		if (getenv("S2PT_STATS"))
			fprintf(stderr, "allocfail/%s flags %#x ia_bits %u ls 0x%llx%s: %-55s %ld "
				"allocations\n", a->name, flags, ia_bits,
				(unsigned long long)leaf_sizes, upper ? " upper" : "",
				scens[i].name, n);
	}
}

ParameterizedTest(struct fmt_param *p, allocfail, every_allocation,
		  .init = test_rcu_register, .fini = test_rcu_unregister, .timeout = 600)
{
	struct af a = { .name = p->name };
	uint64_t total = 0, with = 0;

	a.fmt = s2pt_fmt_find(p->name);
	cr_assert(a.fmt);
	af_config(&a, 0, 0, 0, false, &total, &with);
	af_config(&a, S2PT_OPT_SINGLE_WRITER, 0, 0, false, &total, &with);
	af_config(&a, 0, 0, 0, true, &total, &with);
	af_config(&a, 0, 0, TPAGE | 2 * TMIB, false, &total, &with);
	if (!strcmp(p->name, "arm64_s2")) {
		/* concatenated roots: 2, 8 and 16 pages */
		af_config(&a, 0, 40, 0, false, &total, &with);
		af_config(&a, 0, 42, 0, false, &total, &with);
		af_config(&a, 0, 34, 0, false, &total, &with);
	}
	cr_expect(a.violations == 0, "%u times: %s", a.violations, a.first_violation);
	/* the scenarios must actually exercise allocations */
	cr_assert(with >= 10, "%s: only %llu scenarios allocated anything",
		  p->name, (unsigned long long)with);
	cr_log_info("allocfail/%s: %llu allocations failed in turn", p->name,
		    (unsigned long long)total);
}
