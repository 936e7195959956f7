/* SPDX-License-Identifier: MIT */
/*
 * The bad-input tests' table (a page, a block, an upper-half page), running
 * one row, and the checks that a refusal changed nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "unit/badinput.h"

static void bi_inv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct bi *b = ctx;

	(void)ia; (void)size; (void)level;
	b->ninv++;
}

static void bi_fail(struct bi *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bi_fail(struct bi *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->failures++;
	cr_log_error("badinput/%s: %s", b->name, msg);
	fprintf(stderr, "badinput/%s: %s\n", b->name, msg);
}

int nop_visit(const struct s2pt_visit *v, void *arg)
{
	(void)v; (void)arg;
	return 0;
}

int run_row(struct s2pt *pt, const struct row *r)
{
	struct s2pt_leaf leaf;

	switch (r->call) {
	case C_MAP:
		return s2pt_map(pt, r->ia, r->oa, r->size, r->prot, r->flags);
	case C_UNMAP:
		return s2pt_unmap(pt, r->ia, r->size);
	case C_PROTECT:
		return s2pt_protect(pt, r->ia, r->size, r->prot);
	case C_SPLIT:
		return s2pt_split(pt, r->ia, r->size, r->leaf_size);
	case C_COLLAPSE:
		return s2pt_collapse(pt, r->ia, r->size);
	case C_HARVEST: {
		static uint64_t bitmap[64];

		return s2pt_harvest(pt, r->ia, r->size, r->flags, bitmap);
	}
	case C_LOOKUP:
		return s2pt_lookup(pt, r->ia, &leaf);
	case C_WALK:
		return s2pt_walk(pt, r->ia, r->size, r->flags, nop_visit, NULL);
	}
	return 0;
}

/* The table must be as in the snapshot; not fatal, so every row runs. */
void expect_unchanged(struct bi *b, const char *what)
{
	struct snap now;
	char why[512];

	snap_take(b->pt, &b->g, &b->mm, &now);
	if (!wlist_equal(&b->snap.all, &now.all, why, sizeof(why)))
		bi_fail(b, "%s: the table changed: %s", what, why);
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		if (now.info.table_pages[l] != b->snap.info.table_pages[l])
			bi_fail(b, "%s: table_pages[%u] %llu -> %llu", what, l,
				(unsigned long long)b->snap.info.table_pages[l],
				(unsigned long long)now.info.table_pages[l]);
	if (now.live_pages != b->snap.live_pages)
		bi_fail(b, "%s: allocator pages in use (less spares) %llu -> %llu", what,
			(unsigned long long)b->snap.live_pages, (unsigned long long)now.live_pages);
	if (b->ninv)
		bi_fail(b, "%s: refused, but called invalidate %u times", what, b->ninv);
	b->ninv = 0;
	snap_fini(&now);
}

void check_ret(struct bi *b, const char *what, int ret, int want, int want2)
{
	if (ret != want && ret != want2) {
		if (want == want2)
			bi_fail(b, "%s returned %d, expected %d", what, ret, want);
		else
			bi_fail(b, "%s returned %d, expected %d or %d", what, ret, want, want2);
	}
	expect_unchanged(b, what);
}

/* ------------------------------------------------------------------ */

void bi_open(struct bi *b, uint64_t leaf_sizes)
{
	int ret;

	tmm_init(&b->mm);
	model_init(&b->m);
	ret = tcreate(b->fmt, &b->mm, 0, leaf_sizes, 0, bi_inv, b, &b->pt);
	cr_assert(ret == 0, "%s: create: %d", b->name, ret);
	tgeo_get(b->pt, &b->g);
	/* something to keep unchanged: a page, a 2 MiB block, an upper-half page */
	ret = s2pt_map(b->pt, 0x200000, 0x5000, TPAGE, S2PT_RW, 0);
	cr_assert(ret == 0, "%s: map: %d", b->name, ret);
	model_map(&b->m, 0x200000, 0x5000, TPAGE, S2PT_RW, 0);
	ret = s2pt_map(b->pt, 0x400000, 0x40000000, 2 * TMIB, S2PT_R, S2PT_MAP_HUGE);
	cr_assert(ret == 0, "%s: map: %d", b->name, ret);
	model_map(&b->m, 0x400000, 0x40000000, 2 * TMIB, S2PT_R, 0);
	if (b->g.canonical) {
		ret = s2pt_map(b->pt, 0 - 2 * TPAGE, 0x7000, TPAGE, S2PT_R, 0);
		cr_assert(ret == 0, "%s: map of the upper half: %d", b->name, ret);
		model_map(&b->m, 0 - 2 * TPAGE, 0x7000, TPAGE, S2PT_R, 0);
	}
	b->ninv = 0;
	tree_check(b->pt, &b->g, &b->m, &b->mm, NULL);
	snap_take(b->pt, &b->g, &b->mm, &b->snap);
}

void bi_close(struct bi *b)
{
	tree_check(b->pt, &b->g, &b->m, &b->mm, NULL);
	snap_fini(&b->snap);
	s2pt_destroy(b->pt);
	test_rcu_barrier();
	tmm_fini(&b->mm);
	model_fini(&b->m);
}

struct fmt_param *fmt_params(size_t *n)
{
	static struct fmt_param p[64];
	unsigned k = 0;

	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f && k < 64; f = s2pt_fmt_next(f)) {
		snprintf(p[k].name, sizeof(p[k].name), "%s", s2pt_fmt_name(f));
		k++;
	}
	*n = k;
	return p;
}
