/* SPDX-License-Identifier: MIT */
/*
 * Direct descents for ranges inside one table of base pages (the fault-path
 * shape: map or unmap a few pages), as the x86 TDP MMU does for one gfn.
 * They change nothing unless they can finish; otherwise the walker runs.
 */
#ifndef S2PT_CORE_FAST_H
#define S2PT_CORE_FAST_H

#include "core/walk.h"

#define S2PT_FALLBACK 1		/* not for the fast path: use the walker */

/*
 * The leaf level of a map the fast path can do, or -1: the range must lie
 * in one table and consist of leaves of one level, which with HUGE is the
 * largest allowed level ia and oa are aligned to and the size reaches.
 */
static s2pt_always_inline int s2pt_fast_level(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					      uint64_t start, uint64_t end, uint64_t oa,
					      unsigned flags)
{
	unsigned top = s2pt_levels(f, pt) - 1, l = 0;

	if (flags & S2PT_MAP_HUGE)
		for (l = top; l > 0; l--)
			if (s2pt_leaf_ok(pt, l) && !((start | oa) & (s2pt_lsize(l) - 1)) &&
			    end - start >= s2pt_lsize(l))
				break;
	if ((end - start) & (s2pt_lsize(l) - 1))
		return -1;
	if (l < top && (start >> s2pt_shift(l + 1)) != ((end - 1) >> s2pt_shift(l + 1)))
		return -1;
	return (int)l;
}

/* Fill slots [start, end) of table @t (@level entries) with leaves for @oa. */
static s2pt_always_inline void s2pt_fill_leaves(const struct s2pt_fmt_desc *f,
						const struct s2pt *pt, uint64_t *t,
						unsigned level, uint64_t start, uint64_t end,
						uint64_t oa, uint32_t prot, bool publish)
{
	uint64_t e, step;
	unsigned i = s2pt_idx(f, pt, start, level);
	unsigned n = (unsigned)((end - start) >> s2pt_shift(level));

	if (n == 1) {	/* the fault path's one page: no run to set up */
		e = f->pte_leaf(oa, prot, level);
		if (publish)
			s2pt_pte_write(t + i, e);
		else
			t[i] = e;
		return;
	}
	step = s2pt_leaf_step(f, oa, prot, level, &e);
	if (publish) {
		for (unsigned j = 0; j < n; j++, e += step)
			s2pt_pte_write(t + i + j, e);
	} else {
		for (unsigned j = 0; j < n; j++, e += step)
			t[i + j] = e;	/* off-line: not reachable yet */
	}
}

/* Undo the first @n leaves a racing map wrote at @t[i..] from @e by @step,
 * where nobody changed them since. */
static s2pt_always_inline void s2pt_fill_undo(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					      uint64_t *t, unsigned i, unsigned n, uint64_t e,
					      uint64_t step, unsigned level)
{
	for (unsigned j = 0; j < n; j++, e += step)
		s2pt_pte_cas(t + i + j, e, s2pt_empty(f, pt, level));
}

/*
 * Map [start, end) (inside one table, leaves of @leaf_level) to @oa. Where
 * an entry on the way is empty, the missing tables are built off-line from
 * pages reserved then and linked with one compare-and-swap (a loser gives
 * them back and starts over). An existing block on the way, or (with
 * REPLACE) existing entries, go to the walker. Return: 0, -EEXIST,
 * -ENOMEM, or S2PT_FALLBACK, all with nothing changed.
 */
static s2pt_always_inline int s2pt_map_fast(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    struct s2pt_op *op, uint64_t start, uint64_t end,
					    uint64_t oa, uint32_t prot, unsigned flags,
					    unsigned leaf_level)
{
	uint64_t *t, *ptep, e, step;
	unsigned l, i, j, n;
	int ret;

again:
	t = pt->root;
#pragma GCC unroll 8
	for (l = s2pt_levels(f, pt) - 1; l > leaf_level; l--) {
		ptep = t + s2pt_idx(f, pt, start, l);
		e = s2pt_pte_read(ptep);
		switch (s2pt_kind_of(f, pt, e, l)) {
		case S2PT_TABLE:
			t = (uint64_t *)s2pt_p2v(pt, f->pte_addr(e, l));
			continue;
		case S2PT_LEAF:
			return S2PT_FALLBACK;
		case S2PT_BUSY:	/* its table may be going: start over */
			s2pt_cpu_relax();
			goto again;
		case S2PT_NONE: {
			uint64_t pa[S2PT_MAX_LEVELS] = { 0 }, *va[S2PT_MAX_LEVELS] = { 0 };

			/* build levels l-1 .. leaf_level off-line, then publish */
			if (op->nres < l - leaf_level &&
			    (ret = s2pt_op_reserve(pt, op, l - leaf_level, 0)))
				return ret;
			for (unsigned k = l; k > leaf_level; k--) {
				va[k - 1] = s2pt_table_new(f, pt, op, k - 1, &pa[k - 1]);
				if (k < l)
					va[k][s2pt_idx(f, pt, start, k)] = f->pte_table(pa[k - 1], k);
			}
			s2pt_fill_leaves(f, pt, va[leaf_level], leaf_level, start, end, oa, prot,
					 false);
			if (s2pt_pte_set(f, pt, ptep, e, f->pte_table(pa[l - 1], l), l))
				return 0;
			for (unsigned k = l; k > leaf_level; k--)
				s2pt_table_unnew(pt, op, va[k - 1], pa[k - 1], k - 1);
			goto again;
		}
		}
	}
	i = s2pt_idx(f, pt, start, leaf_level);
	n = (unsigned)((end - start) >> s2pt_shift(leaf_level));
	for (j = 0; j < n; j++) {
		e = s2pt_pte_read(t + i + j);
		if (e == f->locked) {
			s2pt_cpu_relax();
			goto again;
		}
		if (e == s2pt_empty(f, pt, leaf_level))
			continue;
		/* a table there (maybe one left empty) is the walker's */
		if ((flags & S2PT_MAP_REPLACE) ||
		    s2pt_kind_of(f, pt, e, leaf_level) == S2PT_TABLE)
			return S2PT_FALLBACK;
		return -EEXIST;
	}
	if (!s2pt_shared(pt)) {
		s2pt_fill_leaves(f, pt, t, leaf_level, start, end, oa, prot, true);
		return 0;
	}
	/* racing writers: each slot must still be empty when it is filled */
	step = s2pt_leaf_step(f, oa, prot, leaf_level, &e);
	for (j = 0; j < n; j++, e += step) {
		if (s2pt_pte_cas(t + i + j, s2pt_empty(f, pt, leaf_level), e))
			continue;
		s2pt_fill_undo(f, pt, t, i, j, e - j * step, step, leaf_level);
		if (s2pt_pte_read(t + i + j) == f->locked)
			goto again;
		return (flags & S2PT_MAP_REPLACE) ? S2PT_FALLBACK : -EEXIST;
	}
	return 0;
}

/*
 * The level whose entries an unmap of [start, end) can clear directly, or
 * -1: the largest level the range is aligned to, if the range lies in one
 * table of that level (4 KiB pages in one table, or whole blocks).
 */
static s2pt_always_inline int s2pt_unmap_level(const struct s2pt_fmt_desc *f,
					       const struct s2pt *pt, uint64_t start, uint64_t end)
{
	unsigned top = s2pt_levels(f, pt) - 1, l = 0;

	/* pages (the common case) skip the search for a block level */
	if (!((start | end) & (s2pt_lsize(1) - 1)))
		for (l = top; l > 0; l--)
			if (!((start | end) & (s2pt_lsize(l) - 1)))
				break;
	if (l < top && (start >> s2pt_shift(l + 1)) != ((end - 1) >> s2pt_shift(l + 1)))
		return -1;
	return (int)l;
}

/*
 * Unlink the table @t (@level entries) under the table entry @ptep that
 * spans [addr, addr + lsize(level + 1)): it is released after @op's
 * invalidation.
 */
static s2pt_always_inline void s2pt_unlink_table(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_op *op, uint64_t *ptep, uint64_t addr,
						 uint64_t *t, uint64_t pa, unsigned level)
{
	s2pt_pte_write(ptep, s2pt_empty(f, pt, level + 1));
	s2pt_op_inv(op, addr, s2pt_lsize(level + 1), -1);
	s2pt_op_defer(pt, op, t, pa, level);
}

/*
 * Unmap [start, end), whole entries of @level inside one table (see
 * s2pt_unmap_level). A single writer unlinks the tables left empty, bottom
 * up. A block on the way (it needs a split), a table among the entries or
 * a lost race go to the walker. Return: 0, or S2PT_FALLBACK (entries
 * cleared so far are in @op).
 */
static s2pt_always_inline int s2pt_unmap_fast(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      struct s2pt_op *op, uint64_t start, uint64_t end,
					      unsigned level)
{
	uint64_t *tbl[S2PT_MAX_LEVELS] = { 0 }, *path[S2PT_MAX_LEVELS] = { 0 };
	uint64_t tpa[S2PT_MAX_LEVELS] = { 0 };
	unsigned top = s2pt_levels(f, pt) - 1, l, i, n, j;
	uint64_t e, a, first = end, last = start, sz = s2pt_lsize(level);

	tbl[top] = pt->root;
#pragma GCC unroll 8
	for (l = top; l > level; l--) {
		path[l] = tbl[l] + s2pt_idx(f, pt, start, l);
		e = s2pt_pte_read(path[l]);
		switch (s2pt_kind_of(f, pt, e, l)) {
		case S2PT_TABLE:
			tpa[l - 1] = f->pte_addr(e, l);
			tbl[l - 1] = (uint64_t *)s2pt_p2v(pt, tpa[l - 1]);
			continue;
		case S2PT_LEAF:
		case S2PT_BUSY:
			return S2PT_FALLBACK;
		case S2PT_NONE:
			return 0;	/* a hole */
		}
	}
	i = s2pt_idx(f, pt, start, level);
	n = (unsigned)((end - start) >> s2pt_shift(level));
	if (level)	/* tables among the entries: the walker frees subtrees */
		for (j = 0; j < n; j++)
			if (s2pt_kind_of(f, pt, s2pt_pte_read(tbl[level] + i + j), level) ==
			    S2PT_TABLE)
				return S2PT_FALLBACK;
	for (a = start, j = 0; j < n; a += sz, j++) {
		uint64_t *p = tbl[level] + i + j;

		e = s2pt_pte_read(p);
		if (e == s2pt_empty(f, pt, level))
			continue;
		if (s2pt_kind_of(f, pt, e, level) != S2PT_LEAF ||
		    !s2pt_pte_set(f, pt, p, e, s2pt_empty(f, pt, level), level)) {
			if (first <= last)
				s2pt_op_inv(op, first, last + sz - first, (int)level);
			return S2PT_FALLBACK;
		}
		first = s2pt_min(first, a);
		last = a;
	}
	if (first > last)
		return 0;
	s2pt_op_inv(op, first, last + sz - first, (int)level);
	if (s2pt_shared(pt) ||
	    !s2pt_table_empty(f, pt, tbl[level], level, s2pt_idx(f, pt, first, level)) ||
	    s2pt_op_reserve(pt, op, 0, top - level))
		return 0;	/* no room to retire it: an empty table stays */
	for (l = level; l < top; l++) {
		unsigned hint = s2pt_idx(f, pt, l > level ? start : first, l);

		if (l > level && !s2pt_table_empty(f, pt, tbl[l], l, hint))
			break;
		a = start & ~(s2pt_lsize(l + 1) - 1);
		s2pt_unlink_table(f, pt, op, path[l + 1], a, tbl[l], tpa[l], l);
	}
	return 0;
}

#endif /* S2PT_CORE_FAST_H */
