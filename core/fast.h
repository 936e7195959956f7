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

/* [start, end) lies in one table of base pages and wants base pages. */
static s2pt_always_inline bool s2pt_one_table(uint64_t start, uint64_t end, unsigned flags)
{
	return (start >> s2pt_shift(1)) == ((end - 1) >> s2pt_shift(1)) &&
	       (!(flags & S2PT_MAP_HUGE) || end - start < s2pt_lsize(1));
}

/* Fill slots [start, end) of base-page table @t with leaves for @oa. */
static s2pt_always_inline void s2pt_fill_pages(const struct s2pt_fmt_desc *f,
					       const struct s2pt *pt, uint64_t *t, uint64_t start,
					       uint64_t end, uint64_t oa, uint32_t prot, bool publish)
{
	uint64_t e, step;
	unsigned i = s2pt_idx(f, pt, start, 0), n = (unsigned)((end - start) >> S2PT_PAGE_SHIFT);

	if (n == 1) {	/* the fault path's one page: no run to set up */
		e = f->pte_leaf(oa, prot, 0);
		if (publish)
			s2pt_pte_write(t + i, e);
		else
			t[i] = e;
		return;
	}
	step = s2pt_leaf_step(f, oa, prot, 0, &e);
	if (publish) {
		for (unsigned j = 0; j < n; j++, e += step)
			s2pt_pte_write(t + i + j, e);
	} else {
		for (unsigned j = 0; j < n; j++, e += step)
			t[i + j] = e;	/* off-line: not reachable yet */
	}
}

/*
 * Map [start, end) (inside one base-page table) to @oa. Where an entry on
 * the way is empty, the missing tables are built off-line and linked with
 * one store. An existing block on the way, or (with REPLACE) existing
 * pages, go to the walker. Return: 0, -EEXIST, or S2PT_FALLBACK before
 * any change.
 */
static s2pt_always_inline int s2pt_map_fast(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t start, uint64_t end, uint64_t oa,
					    uint32_t prot, unsigned flags)
{
	uint64_t *t = pt->root, *ptep, e, pa, top_pa;
	unsigned l, i, j;

#pragma GCC unroll 8
	for (l = s2pt_levels(f, pt) - 1; l > 0; l--) {
		ptep = t + s2pt_idx(f, pt, start, l);
		e = s2pt_pte_read(ptep);
		switch (s2pt_kind_of(f, pt, e, l)) {
		case S2PT_TABLE:
			t = (uint64_t *)s2pt_p2v(pt, f->pte_addr(e, l));
			continue;
		case S2PT_LEAF:
			return S2PT_FALLBACK;
		case S2PT_NONE:
			/* build levels l-1 .. 0 off-line, then publish */
			t = s2pt_table_new(f, pt, l - 1, &top_pa);
			for (unsigned k = l - 1; k > 0; k--) {
				uint64_t *next = s2pt_table_new(f, pt, k - 1, &pa);

				t[s2pt_idx(f, pt, start, k)] = f->pte_table(pa, k);
				t = next;
			}
			s2pt_fill_pages(f, pt, t, start, end, oa, prot, false);
			s2pt_pte_write(ptep, f->pte_table(top_pa, l));
			return 0;
		}
	}
	i = s2pt_idx(f, pt, start, 0);
	for (j = 0; j < (end - start) >> S2PT_PAGE_SHIFT; j++)
		if (s2pt_pte_read(t + i + j) != s2pt_empty(f, pt, 0))
			return (flags & S2PT_MAP_REPLACE) ? S2PT_FALLBACK : -EEXIST;
	s2pt_fill_pages(f, pt, t, start, end, oa, prot, true);
	return 0;
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
 * Unmap [start, end) (inside one base-page table); tables left empty go,
 * bottom up. A block on the way goes to the walker (it may need a split).
 * Return: 0, or S2PT_FALLBACK before any change.
 */
static s2pt_always_inline int s2pt_unmap_fast(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      struct s2pt_op *op, uint64_t start, uint64_t end)
{
	uint64_t *tbl[S2PT_MAX_LEVELS] = { 0 }, *path[S2PT_MAX_LEVELS], tpa[S2PT_MAX_LEVELS];
	unsigned top = s2pt_levels(f, pt) - 1, l, i;
	uint64_t e, a, first = end, last = start;

	tbl[top] = pt->root;
#pragma GCC unroll 8
	for (l = top; l > 0; l--) {
		path[l] = tbl[l] + s2pt_idx(f, pt, start, l);
		e = s2pt_pte_read(path[l]);
		switch (s2pt_kind_of(f, pt, e, l)) {
		case S2PT_TABLE:
			tpa[l - 1] = f->pte_addr(e, l);
			tbl[l - 1] = (uint64_t *)s2pt_p2v(pt, tpa[l - 1]);
			continue;
		case S2PT_LEAF:
			return S2PT_FALLBACK;
		case S2PT_NONE:
			return 0;	/* a hole */
		}
	}
	for (a = start, i = s2pt_idx(f, pt, start, 0); a < end; a += S2PT_PAGE_SIZE, i++) {
		if (s2pt_pte_read(tbl[0] + i) == s2pt_empty(f, pt, 0))
			continue;
		s2pt_pte_write(tbl[0] + i, s2pt_empty(f, pt, 0));
		first = s2pt_min(first, a);
		last = a;
	}
	if (first > last)
		return 0;
	s2pt_op_inv(op, first, last + S2PT_PAGE_SIZE - first, 0);
	for (l = 0; l < top; l++) {
		unsigned hint = s2pt_idx(f, pt, l ? start : first, l);

		if (!s2pt_table_empty(f, pt, tbl[l], l, hint))
			break;
		a = start & ~(s2pt_lsize(l + 1) - 1);
		s2pt_unlink_table(f, pt, op, path[l + 1], a, tbl[l], tpa[l], l);
	}
	return 0;
}

#endif /* S2PT_CORE_FAST_H */
