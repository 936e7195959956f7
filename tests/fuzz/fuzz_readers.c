/* SPDX-License-Identifier: MIT */
/*
 * The s2pt fuzz target's read-only and refused operations: walks against
 * the whole-table walk, attached views, dump, and invalid arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

static struct wlist tmp, part, all;	/* scratch lists, reused */

struct stopper {
	unsigned n, limit;
};

/* Stop the walk after @limit visits, returning a recognisable value. */
static int stop_visit(const struct s2pt_visit *v, void *arg)
{
	struct stopper *s = arg;

	(void)v;
	return ++s->n >= s->limit ? 0x5a : 0;
}

/* s2pt.h: the entries intersecting the range chosen by the flags, in
 * address order, as the whole-table walk sees them; a nonzero visitor
 * return stops the walk and is returned. */
void fz_do_walk(struct fz *f, const struct fz_op *o)
{
	static const unsigned kinds[7] = {
		S2PT_WALK_LEAF, S2PT_WALK_TABLE_PRE, S2PT_WALK_TABLE_POST,
		S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, S2PT_WALK_LEAF | S2PT_WALK_TABLE_POST,
		S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST,
		S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST,
	};
	unsigned flags = kinds[o->arg % 7];
	char why[400];

	wlist_walk(f->pt, o->ia, o->size, flags, &part);
	wlist_walk_all(f->pt, &f->g, flags, &all);
	tmp.n = 0;
	for (size_t i = 0; i < all.n; i++) {
		uint64_t lo, hi;

		if (fz_isect(all.r[i].ia, all.r[i].size, o->ia, o->size, &lo, &hi))
			fz_wl_push(&tmp, &all.r[i]);
	}
	if (!wlist_equal(&tmp, &part, why, sizeof(why)))
		chk_fail("walk(0x%llx+0x%llx, flags %#x) differs from the whole-table walk "
			 "restricted to the range: %s", (unsigned long long)o->ia,
			 (unsigned long long)o->size, flags, why);
	for (size_t i = 0; i < part.n; i++)
		if (part.r[i].kind == S2PT_WALK_LEAF)
			check_leaf(&f->g, &f->m, &part.r[i]);
	if (o->arg2) {
		struct stopper s = { 0, 1 + o->arg2 % 32 };
		int ret = s2pt_walk(f->pt, o->ia, o->size, flags, stop_visit, &s);

		if (s.limit <= part.n)
			CHK(ret == 0x5a && s.n == s.limit, "walk stopped by its visitor after %u "
			    "visits: returned %d after %u visits", s.limit, ret, s.n);
		else
			CHK(ret == 0 && s.n == part.n, "walk of %zu entries with a visitor that "
			    "never stops: returned %d after %u visits", part.n, ret, s.n);
	}
}

/* An attached view: walks the same, looks up the same, refuses changes
 * with -EPERM, leaves the owner's table as it was; and dump works. */
void fz_do_attach(struct fz *f, const struct fz_op *o)
{
	struct s2pt_opts opts = {
		.sz = sizeof(opts), .mm = &tmm_ops, .mm_ctx = &f->mm,
		.ia_bits = f->g.info.ia_bits, .leaf_sizes = f->g.info.leaf_sizes,
		.flags = f->flags & (S2PT_OPT_AD | S2PT_OPT_TTBR0),
	};
	unsigned walk = S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST;
	uint64_t bm[2] = { 0, 0 };
	struct s2pt_info vi;
	struct s2pt *view;
	char why[400], *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int ret;

	ret = s2pt_attach(f->fmt, s2pt_root(f->pt), &opts, &view);
	CHK(ret == 0, "attach: %d", ret);
	ret = s2pt_info(view, &vi);
	CHK(ret == 0 && vi.read_only && vi.levels == f->g.info.levels,
	    "attach: info %d, read_only %d, levels %u", ret, vi.read_only, vi.levels);
	wlist_walk_all(view, &f->g, walk, &all);
	if (!wlist_equal(&f->cur.all, &all, why, sizeof(why)))
		chk_fail("an attached view walks differently from its table: %s", why);
	check_lookup(view, &f->g, &f->m, o->ia + ((uint64_t)o->arg2 << 4));
	check_lookup(view, &f->g, &f->m, o->ia + o->size - 1);
	switch (o->arg % 6) {
	case 0:
		ret = s2pt_map(view, o->ia, o->oa, TPAGE, S2PT_R, S2PT_MAP_REPLACE);
		break;
	case 1:
		ret = s2pt_unmap(view, o->ia, o->size);
		break;
	case 2:
		ret = s2pt_protect(view, o->ia, o->size, S2PT_R);
		break;
	case 3:
		ret = s2pt_split(view, o->ia, o->size, TPAGE);
		break;
	case 4:
		ret = s2pt_collapse(view, o->ia, o->size);
		break;
	default:
		ret = s2pt_harvest(view, o->ia, TPAGE, S2PT_HARVEST_DIRTY, bm);
		break;
	}
	CHK(ret == -EPERM && !bm[0], "a change through an attached view returned %d, "
	    "expected -EPERM", ret);
	s2pt_destroy(view);
	snap_expect(f->pt, &f->g, NULL, &f->cur, "after attach, a refused change, destroy");
	fz_check_alloc(f, fz_tables(&f->cur.all), "after attach, a refused change, destroy",
		       false);

	fp = open_memstream(&buf, &len);
	CHK(fp, "open_memstream failed");
	ret = s2pt_dump(f->pt, fp);
	fclose(fp);
	CHK(ret == 0, "dump: %d", ret);
	CHK(f->m.n == 0 || len > 0, "dump printed nothing for a table with mappings");
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Invalid arguments                                                   */

/* A walk visitor that must never run. */
static int fz_no_visit(const struct s2pt_visit *v, void *arg)
{
	(void)arg;
	chk_fail("a refused walk visited the entry at 0x%llx", (unsigned long long)v->ia);
}

/* Invalid arguments of every kind: -EINVAL or -ERANGE, and nothing
 * changes (s2pt.h: checks happen before anything changes). */
void fz_badargs(struct fz *f, const struct fz_op *o)
{
	struct s2pt_leaf leaf;
	struct s2pt *pt = f->pt;
	uint64_t bm[2] = { 0, FZ_GUARD }, half = f->g.half, ls;
	uint64_t bad_ls[4] = { 0, 2 * TPAGE, TPAGE + 1, TLEVEL_SIZE(f->g.info.levels) };
	const char *what = NULL;
	int ret = 0;

	/* a size the format has but this table was told not to use */
	ls = fz_nth_size(f->fmt_sizes, f->nsizes);
	if (ls)
		bad_ls[0] = ls;
	f->ninv = 0;
	f->recording = true;
	switch (o->arg % 14) {
	case 0:
		what = "map at an unaligned ia";
		ret = s2pt_map(pt, o->ia | 0x800, o->oa, o->size, S2PT_R, 0);
		break;
	case 1:
		what = "map of size 0";
		ret = s2pt_map(pt, o->ia, o->oa, 0, S2PT_R, 0);
		break;
	case 2:
		what = "map to an unaligned oa";
		ret = s2pt_map(pt, o->ia, o->oa | 0x10, o->size, S2PT_R, 0);
		break;
	case 3:
		what = "map of an unaligned size";
		ret = s2pt_map(pt, o->ia, o->oa, o->size - 0x200, S2PT_R, 0);
		break;
	case 4:
		what = "unmap beyond the input space (or in the hole)";
		ret = s2pt_unmap(pt, half, TPAGE);
		break;
	case 5:
		what = "protect across the end of the (lower) input space";
		ret = s2pt_protect(pt, half - TPAGE, 2 * TPAGE, S2PT_R);
		break;
	case 6:
		what = "unmap with ia + size past 2^64";
		ret = s2pt_unmap(pt, 0 - TPAGE, 2 * TPAGE);
		break;
	case 7:
		what = "map with an unknown flag";
		ret = s2pt_map(pt, o->ia, o->oa, TPAGE, S2PT_R, 1u << (2 + o->arg2 % 30));
		break;
	case 8:
		what = "map beyond the output width";
		ret = o->arg2 & 1 ? s2pt_map(pt, o->ia, f->oa_top, TPAGE, S2PT_R, 0) :
		      s2pt_map(pt, o->ia, f->oa_top - TPAGE, 2 * TPAGE, S2PT_R, 0);
		break;
	case 9:
		what = "split to a leaf size the table does not have";
		ret = s2pt_split(pt, o->ia, o->size, bad_ls[o->arg2 % 4]);
		break;
	case 10:
		what = "harvest of an unknown kind";
		ret = s2pt_harvest(pt, o->ia, TPAGE, o->arg2 & 1 ? 0 :
				   S2PT_HARVEST_DIRTY | S2PT_HARVEST_YOUNG, bm);
		break;
	case 11:
		what = "walk with an unknown flag";
		ret = s2pt_walk(pt, o->ia, o->size, S2PT_WALK_LEAF | 1u << (3 + o->arg2 % 29),
				fz_no_visit, NULL);
		break;
	case 12:
		what = "lookup beyond the input space (or in the hole)";
		ret = s2pt_lookup(pt, half + (o->arg2 << 4), &leaf);
		CHK(ret == -ERANGE, "%s: %d, expected -ERANGE", what, ret);
		break;
	default:
		what = "protect with a prot no format takes";
		ret = s2pt_protect(pt, o->ia, o->size, o->arg2 & 1 ? 0 : S2PT_W);
		break;
	}
	f->recording = false;
	fz_hist_add(f, " %s -> %d", what, ret);
	CHK(ret == -EINVAL || ret == -ERANGE, "%s returned %d, expected -EINVAL or -ERANGE",
	    what, ret);
	CHK(f->ninv == 0, "%s: refused, but called invalidate", what);
	CHK(bm[0] == 0 && bm[1] == FZ_GUARD, "%s: refused, but wrote the bitmap", what);
	snap_expect(pt, &f->g, NULL, &f->cur, what);
	fz_check_alloc(f, fz_tables(&f->cur.all), what, false);
}
