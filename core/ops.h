/* SPDX-License-Identifier: MIT */
/*
 * Every table operation as a visitor over s2pt_walk_range(). Always inline:
 * core/template.h instantiates them once per format.
 */
#ifndef S2PT_CORE_OPS_H
#define S2PT_CORE_OPS_H

#include "core/check.h"
#include "core/fast.h"
#include "core/walk.h"

/* How many 2^shift-aligned regions [a, b) touches. */
static inline uint64_t s2pt_regions(uint64_t a, uint64_t b, unsigned shift)
{
	return a < b ? ((b - 1) >> shift) - (a >> shift) + 1 : 0;
}

/*
 * Upper bound on the tables a map of [start, end) -> oa can create. A table
 * of level-k entries spans 2^shift(k+1); one can only appear where it
 * intersects the range. Below the largest leaf level h the range can use,
 * only the head and tail (before the first and after the last
 * lsize(k+1)-aligned address) need leaves of level <= k: at most one table
 * each. Allowed leaf levels are contiguous from 0, so this holds for
 * fresh mappings, replaced ones and split edge blocks alike.
 */
static inline uint64_t s2pt_map_bound(const struct s2pt *pt, uint64_t start, uint64_t end,
				      uint64_t oa, unsigned flags)
{
	unsigned top = pt->levels - 1, h = 0, k;
	uint64_t n = 0;

	if (flags & S2PT_MAP_HUGE)
		for (h = top; h > 0; h--)
			if (s2pt_leaf_ok(pt, h) && !((start ^ oa) & (s2pt_lsize(h) - 1)))
				break;
	for (k = 0; k < top; k++) {
		unsigned sh = s2pt_shift(k + 1);
		uint64_t span = 1ull << sh;

		if (k < h) {
			uint64_t head = s2pt_min(end, (start + span - 1) & ~(span - 1));
			uint64_t tail = s2pt_max(start, end & ~(span - 1));

			n += s2pt_regions(start, head, sh) + s2pt_regions(tail, end, sh);
		} else {
			n += s2pt_regions(start, end, sh);
		}
	}
	return n;
}

/* Tables a split of the block holding @a needs if that block reaches
 * outside [start, end): one per level below it. */
static s2pt_always_inline uint64_t s2pt_edge_need(const struct s2pt_fmt_desc *f,
						  const struct s2pt *pt, uint64_t a,
						  uint64_t start, uint64_t end)
{
	uint64_t *t = pt->root;

	for (int l = (int)s2pt_levels(f, pt) - 1; l > 0; l--) {
		uint64_t e = s2pt_pte_read(t + s2pt_idx(f, pt, a, (unsigned)l));
		uint64_t b = a & ~(s2pt_lsize((unsigned)l) - 1);

		switch (s2pt_kind_of(f, pt, e, (unsigned)l)) {
		case S2PT_NONE:
			return 0;
		case S2PT_LEAF:
			return b < start || b + s2pt_lsize((unsigned)l) > end ? (unsigned)l : 0;
		case S2PT_TABLE:
			t = (uint64_t *)s2pt_p2v(pt, f->pte_addr(e, (unsigned)l));
			break;
		}
	}
	return 0;
}

/*
 * Spare tables for splitting the blocks that straddle the two edges of
 * [start, end): the pool normally holds the worst case (one per level
 * below the root at each edge); otherwise look at the edges, so that an
 * unmap or protect that splits nothing never fails for memory.
 */
static s2pt_always_inline int s2pt_edge_spares(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       uint64_t start, uint64_t end)
{
	if (s2pt_likely(pt->nspare >= 2 * (pt->levels - 1)))
		return 0;
	return s2pt_spare_need(pt, s2pt_edge_need(f, pt, start, start, end) +
				   s2pt_edge_need(f, pt, end - S2PT_PAGE_SIZE, start, end));
}

/* map */

struct s2pt_map_data {
	uint64_t delta;		/* oa - ia, index space */
	uint32_t prot;
	unsigned flags;
	uint64_t failed_at;	/* -EEXIST: where */
	struct s2pt_op *op;
};

/*
 * Link a fresh table under the empty entry in @c. A table of base pages is
 * filled off-line with the part of the range it covers and published with
 * one store (nothing to descend into); a higher one is descended into.
 */
static s2pt_always_inline int s2pt_map_new_table(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 const struct s2pt_ctx *c,
						 const struct s2pt_map_data *d)
{
	unsigned l = c->level;
	uint64_t pa, *t = s2pt_table_new(f, pt, l - 1, &pa);
	uint64_t a, end;

	if (l - 1 != 0) {
		s2pt_pte_write(c->ptep, f->pte_table(pa, l));
		return 0;
	}
	a = s2pt_max(c->addr, c->start);
	end = s2pt_min(c->end, c->addr + s2pt_ctx_size(c));
	s2pt_fill_leaves(f, pt, t, 0, a, end, a + d->delta, d->prot, false);
	s2pt_pte_write(c->ptep, f->pte_table(pa, l));
	return S2PT_SKIP;
}

static s2pt_always_inline int s2pt_map_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					     const struct s2pt_ctx *c, void *data)
{
	struct s2pt_map_data *d = data;
	unsigned l = c->level;
	uint64_t cur = s2pt_max(c->addr, c->start), oa = cur + d->delta, pa;
	bool replace = d->flags & S2PT_MAP_REPLACE;

	if (cur == c->addr && c->addr + s2pt_lsize(l) <= c->end && s2pt_leaf_ok(pt, l) &&
	    (l == 0 || (d->flags & S2PT_MAP_HUGE)) && !(oa & (s2pt_lsize(l) - 1))) {
		uint64_t new = f->pte_leaf(oa, d->prot, l);

		switch (c->kind) {
		case S2PT_NONE:
			s2pt_pte_write(c->ptep, new);
			return 0;
		case S2PT_LEAF:
			if (!replace)
				break;
			if (new != c->old)
				s2pt_replace(f, pt, d->op, c, new,
					     f->pte_addr(c->old, l) != oa ||
					     ((f->pte_prot(c->old, l) ^ d->prot) & S2PT_MT_MASK),
					     (int)l);
			return 0;
		case S2PT_TABLE:
			if (!replace)	/* map below; any mapping there is -EEXIST */
				return 0;
			pa = f->pte_addr(c->old, l);
			s2pt_replace(f, pt, d->op, c, new, true, -1);
			s2pt_free_subtree(f, pt, d->op, (uint64_t *)s2pt_p2v(pt, pa), pa, l - 1);
			return 0;
		}
	} else {
		switch (c->kind) {
		case S2PT_NONE:
			return s2pt_map_new_table(f, pt, c, d);
		case S2PT_LEAF:
			if (!replace)
				break;
			s2pt_split_block(f, pt, d->op, c);
			return 0;
		case S2PT_TABLE:
			return 0;
		}
	}
	d->failed_at = cur;
	return -EEXIST;
}

/* unmap */

struct s2pt_unmap_data {
	struct s2pt_op *op;
	unsigned cleared;	/* bit l: an entry of the current level-l table went */
};

static s2pt_always_inline int s2pt_unmap_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       const struct s2pt_ctx *c, void *data)
{
	struct s2pt_unmap_data *d = data;
	unsigned l = c->level;

	if (c->visit == S2PT_WALK_TABLE_PRE) {
		uint64_t pa;

		if (!s2pt_ctx_covered(c))
			return 0;
		/* the whole span goes: unlink the table, free its subtree */
		pa = f->pte_addr(c->old, l);
		s2pt_pte_write(c->ptep, s2pt_empty(f, pt, l));
		s2pt_op_inv(d->op, c->addr, s2pt_ctx_size(c), -1);
		s2pt_free_subtree(f, pt, d->op, (uint64_t *)s2pt_p2v(pt, pa), pa, l - 1);
		d->cleared |= 1u << l;
		return S2PT_SKIP;
	}
	if (c->visit == S2PT_WALK_TABLE_POST) {
		uint64_t pa = f->pte_addr(c->old, l);
		uint64_t *t = (uint64_t *)s2pt_p2v(pt, pa);
		unsigned hint = s2pt_idx(f, pt, s2pt_max(c->start, c->addr), l - 1);

		/* only a table that lost an entry in this walk can be empty */
		if (!(d->cleared & (1u << (l - 1))))
			return 0;
		d->cleared &= ~(1u << (l - 1));
		if (!s2pt_ctx_covered(c) && !s2pt_table_empty(f, pt, t, l - 1, hint))
			return 0;
		s2pt_unlink_table(f, pt, d->op, c->ptep, c->addr, t, pa, l - 1);
		d->cleared |= 1u << l;
		return 0;
	}
	if (c->kind != S2PT_LEAF)
		return 0;
	if (!s2pt_ctx_covered(c)) {
		s2pt_split_block(f, pt, d->op, c);
		return 0;
	}
	s2pt_pte_write(c->ptep, s2pt_empty(f, pt, l));
	s2pt_op_inv(d->op, c->addr, s2pt_ctx_size(c), (int)l);
	d->cleared |= 1u << l;
	return 0;
}

static s2pt_always_inline void s2pt_unmap_range(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						struct s2pt_op *op, uint64_t start, uint64_t end)
{
	struct s2pt_unmap_data d = { .op = op };

	s2pt_walk_range(f, pt, start, end,
			S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST,
			s2pt_unmap_visit, &d);
}

static s2pt_always_inline int s2pt_exist_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       const struct s2pt_ctx *c, void *data)
{
	(void)f;
	(void)pt;
	(void)data;
	return c->kind == S2PT_LEAF ? -EEXIST : 0;
}

/* The out-of-line part of a map or unmap: the walker, for what the fast
 * path leaves (the format's instantiation passes its own noinline copy,
 * keeping the fast path's function small). */
typedef int (*s2pt_map_walk_fn)(struct s2pt *pt, uint64_t start, uint64_t end, uint64_t oa,
				uint32_t prot, unsigned flags);
typedef int (*s2pt_unmap_walk_fn)(struct s2pt *pt, uint64_t start, uint64_t end);

static s2pt_always_inline int s2pt_do_map(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					  uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
					  unsigned flags, s2pt_map_walk_fn slow)
{
	uint64_t start, end;
	int ret, level;

	if (flags & ~(S2PT_MAP_HUGE | S2PT_MAP_REPLACE))
		return -EINVAL;
	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)) ||
	    (ret = s2pt_check_oa(pt, oa, size)) || (ret = s2pt_check_prot(f, prot)))
		return ret;
	/* leaves of one level inside one table: at most one new table per level */
	level = s2pt_fast_level(f, pt, start, end, oa, flags);
	if (level >= 0 && !(ret = s2pt_spare_need(pt, s2pt_levels(f, pt) - 1))) {
		/* level 0 gets its own copy, with constant shifts: the fault path */
		ret = level == 0 ? s2pt_map_fast(f, pt, start, end, oa, prot, flags, 0)
				 : s2pt_map_fast(f, pt, start, end, oa, prot, flags, (unsigned)level);
		if (ret != S2PT_FALLBACK)
			return ret;
	}
	return slow(pt, start, end, oa, prot, flags);
}

/* Map [start, end) (validated, index space) with the walker. */
static s2pt_always_inline int s2pt_map_walk(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t start, uint64_t end, uint64_t oa,
					    uint32_t prot, unsigned flags)
{
	struct s2pt_map_data d = { .prot = prot, .flags = flags };
	uint64_t need, size = end - start;
	struct s2pt_op op;
	int ret;

	/* the bound is at most 2 tables per level plus 2 per 2 MiB: small
	 * maps keep that many spares and skip the exact count */
	need = 2 * (s2pt_levels(f, pt) - 1) + 2 * (size >> s2pt_shift(1));
	if (need > S2PT_SPARE_KEEP)
		need = s2pt_map_bound(pt, start, end, oa, flags);
	ret = s2pt_spare_need(pt, need);
	if (ret)
		return ret;
	/* refuse before changing anything: a failed map never shows a page */
	if (!(flags & S2PT_MAP_REPLACE)) {
		ret = s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF, s2pt_exist_visit, NULL);
		if (ret)
			return ret;
	}
	s2pt_op_init(&op);
	d.delta = oa - start;
	d.op = &op;
	ret = s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE,
			      s2pt_map_visit, &d);
	/* -EEXIST here means a mapping appeared after the check; it comes only
	 * without REPLACE, so all of [start, failed_at) was empty before:
	 * removing it restores the table exactly */
	if (ret == -EEXIST && d.failed_at > start)
		s2pt_unmap_range(f, pt, &op, start, d.failed_at);
	s2pt_op_finish(pt, &op);
	return ret;
}

static s2pt_always_inline int s2pt_do_unmap(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t ia, uint64_t size, s2pt_unmap_walk_fn slow)
{
	uint64_t start, end;
	struct s2pt_op op;
	int ret, level;

	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)))
		return ret;
	/* the fast path needs no table: it leaves blocks to the walker */
	level = s2pt_unmap_level(f, pt, start, end);
	if (level < 0)
		return slow(pt, start, end);
	s2pt_op_init(&op);
	/* level 0 gets its own copy, with constant shifts */
	if (level == 0 ? s2pt_unmap_fast(f, pt, &op, start, end, 0)
		       : s2pt_unmap_fast(f, pt, &op, start, end, (unsigned)level))
		return slow(pt, start, end);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* Unmap [start, end) (validated, index space) with the walker. */
static s2pt_always_inline int s2pt_unmap_walk(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      uint64_t start, uint64_t end)
{
	struct s2pt_op op;
	int ret = s2pt_edge_spares(f, pt, start, end);

	if (ret)
		return ret;
	s2pt_op_init(&op);
	s2pt_unmap_range(f, pt, &op, start, end);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* protect */

struct s2pt_protect_data {
	uint32_t prot;
	struct s2pt_op *op;
	uint64_t attrs;		/* leaf bits of prot at level 0, address 0 */
	uint64_t keep;		/* level-0 bits a rewrite keeps: address, A/D */
	uint64_t seen;		/* last old attribute bits judged, and ... */
	int verdict;		/* ... what they need: 0 none, 1 invalidate, 2 BBM */
};

/* What changing a leaf from @old to d->prot needs: adding access needs no
 * invalidation (a stale entry only faults spuriously); removing any, or
 * any other attribute change, does; a memory-type change is a BBM one. */
static s2pt_always_inline int s2pt_protect_verdict(uint32_t old, uint32_t prot)
{
	const uint32_t grow = S2PT_R | S2PT_W | S2PT_PROT_EXEC;

	if (!(old & ~prot) && !((old ^ prot) & ~grow))
		return 0;
	return (old ^ prot) & S2PT_MT_MASK ? 2 : 1;
}

static s2pt_always_inline void s2pt_protect_leaf(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_protect_data *d,
						 const struct s2pt_ctx *c, uint64_t new, int verdict)
{
	if (verdict)
		s2pt_replace(f, pt, d->op, c, new, verdict == 2, (int)c->level);
	else
		s2pt_pte_write(c->ptep, new);
}

/*
 * A whole table of base pages in one loop: entries are rewritten as
 * (old & address|A/D) | attrs, and the verdict is worked out once per
 * distinct old attribute value (a region usually has one).
 */
static s2pt_always_inline void s2pt_protect_pages(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						  struct s2pt_protect_data *d,
						  const struct s2pt_ctx *parent, uint64_t *t)
{
	uint64_t a = s2pt_max(parent->addr, parent->start);
	uint64_t end = s2pt_min(parent->end, parent->addr + s2pt_ctx_size(parent));
	struct s2pt_ctx c = { .level = 0, .kind = S2PT_LEAF, .start = a, .end = end };

	for (unsigned i = s2pt_idx(f, pt, a, 0); a < end; a += S2PT_PAGE_SIZE, i++) {
		uint64_t old = s2pt_pte_read(t + i), new;

		if (s2pt_kind_of(f, pt, old, 0) != S2PT_LEAF)
			continue;
		new = (old & d->keep) | d->attrs;
		if (new == old)
			continue;
		if ((old & ~d->keep) != d->seen) {
			d->seen = old & ~d->keep;
			d->verdict = s2pt_protect_verdict(f->pte_prot(old, 0), d->prot);
		}
		c.ptep = t + i;
		c.old = old;
		c.addr = a;
		s2pt_protect_leaf(f, pt, d, &c, new, d->verdict);
	}
}

static s2pt_always_inline int s2pt_protect_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 const struct s2pt_ctx *c, void *data)
{
	struct s2pt_protect_data *d = data;
	unsigned l = c->level;
	uint64_t new, *t;

	if (c->kind == S2PT_TABLE) {	/* PRE */
		if (l != 1 || !s2pt_p2v_ok(pt, f->pte_addr(c->old, l), &t))
			return 0;
		s2pt_protect_pages(f, pt, d, c, t);
		return S2PT_SKIP;
	}
	if (c->kind != S2PT_LEAF)
		return 0;
	if (!s2pt_ctx_covered(c)) {
		s2pt_split_block(f, pt, d->op, c);
		return 0;
	}
	new = (f->pte_leaf(f->pte_addr(c->old, l), d->prot, l) & ~f->hw_bits) |
	      (c->old & f->hw_bits);
	if (new != c->old)
		s2pt_protect_leaf(f, pt, d, c, new,
				  s2pt_protect_verdict(f->pte_prot(c->old, l), d->prot));
	return 0;
}

static s2pt_always_inline int s2pt_do_protect(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      uint64_t ia, uint64_t size, uint32_t prot)
{
	struct s2pt_op op;
	struct s2pt_protect_data d = { .prot = prot, .op = &op, .seen = ~0ull };
	uint64_t start, end, top_oa;
	int ret;

	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)) ||
	    (ret = s2pt_check_prot(f, prot)))
		return ret;
	ret = s2pt_edge_spares(f, pt, start, end);
	if (ret)
		return ret;
	/* a leaf is its address field ORed with attributes: the field's bits
	 * are what encoding the highest page and page 0 disagree on */
	top_oa = (1ull << f->oa_bits) - S2PT_PAGE_SIZE;
	d.attrs = f->pte_leaf(0, prot, 0);
	d.keep = (f->pte_leaf(top_oa, prot, 0) ^ d.attrs) | f->hw_bits;
	d.attrs &= ~f->hw_bits;	/* A/D stay as the hardware left them */
	s2pt_op_init(&op);
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE,
			s2pt_protect_visit, &d);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* split */

struct s2pt_split_data {
	unsigned target;	/* leaf level to reach */
	uint64_t need;		/* counting pass: tables needed */
	struct s2pt_op *op;
};

static s2pt_always_inline int s2pt_split_count(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       const struct s2pt_ctx *c, void *data)
{
	struct s2pt_split_data *d = data;
	uint64_t a = s2pt_max(c->start, c->addr);
	uint64_t b = s2pt_min(c->end, c->addr + s2pt_ctx_size(c));

	(void)f;
	(void)pt;
	if (c->kind == S2PT_LEAF)
		for (unsigned k = d->target; k < c->level; k++)
			d->need += s2pt_regions(a, b, s2pt_shift(k + 1));
	return 0;
}

static s2pt_always_inline int s2pt_split_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       const struct s2pt_ctx *c, void *data)
{
	struct s2pt_split_data *d = data;

	if (c->kind == S2PT_LEAF && c->level > d->target)
		s2pt_split_block(f, pt, d->op, c);
	return 0;
}

static s2pt_always_inline int s2pt_do_split(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t ia, uint64_t size, uint64_t leaf_size)
{
	struct s2pt_op op;
	struct s2pt_split_data d = { .op = &op };
	uint64_t start, end;
	int ret;

	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)))
		return ret;
	while (d.target < s2pt_levels(f, pt) && s2pt_lsize(d.target) != leaf_size)
		d.target++;
	if (d.target == s2pt_levels(f, pt) || !s2pt_leaf_ok(pt, d.target))
		return -EINVAL;
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF, s2pt_split_count, &d);
	ret = s2pt_spare_need(pt, d.need);
	if (ret)
		return ret;
	s2pt_op_init(&op);
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF, s2pt_split_visit, &d);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* collapse */

static s2pt_always_inline int s2pt_collapse_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						  const struct s2pt_ctx *c, void *data)
{
	struct s2pt_op *op = data;
	unsigned l = c->level;
	uint64_t pa, base, step = s2pt_lsize(l - 1), hw = 0, *t;
	uint32_t prot;

	if (!s2pt_leaf_ok(pt, l) || !s2pt_ctx_covered(c))
		return 0;
	pa = f->pte_addr(c->old, l);
	t = (uint64_t *)s2pt_p2v(pt, pa);
	if (s2pt_kind_of(f, pt, t[0], l - 1) != S2PT_LEAF)
		return 0;
	base = f->pte_addr(t[0], l - 1);
	prot = f->pte_prot(t[0], l - 1);
	if (base & (s2pt_lsize(l) - 1))
		return 0;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = s2pt_pte_read(t + i);

		if (s2pt_kind_of(f, pt, e, l - 1) != S2PT_LEAF ||
		    f->pte_addr(e, l - 1) != base + i * step || f->pte_prot(e, l - 1) != prot)
			return 0;
		hw |= e & f->hw_bits;
	}
	/* hardware A/D of any page carries over to the block: nothing lost */
	s2pt_replace(f, pt, op, c, (f->pte_leaf(base, prot, l) & ~f->hw_bits) | hw, true, -1);
	s2pt_op_defer(pt, op, t, pa, l - 1);
	return 0;
}

static s2pt_always_inline int s2pt_do_collapse(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       uint64_t ia, uint64_t size)
{
	uint64_t start, end;
	struct s2pt_op op;
	int ret;

	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)))
		return ret;
	s2pt_op_init(&op);
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_TABLE_POST, s2pt_collapse_visit, &op);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* readers */

static s2pt_always_inline void s2pt_leaf_fill(const struct s2pt_fmt_desc *f, uint64_t pte,
					      unsigned level, uint64_t offset,
					      struct s2pt_leaf *out)
{
	out->size = s2pt_lsize(level);
	out->oa = f->pte_addr(pte, level) + (offset & (out->size - 1));
	out->level = level;
	out->prot = f->pte_prot(pte, level);
	out->pte = pte;
}

/* Descend to the leaf translating @ia; on -ENOENT, *level is the level of
 * the empty entry that ended the walk (stage-2 fault reporting). */
static s2pt_always_inline int s2pt_do_probe(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t ia, struct s2pt_leaf *out, int *level)
{
	uint64_t a, limit, *t = pt->root;
	int ret = s2pt_check_ia(f, pt, ia, &a, &limit);

	if (ret)
		return ret;
	/* unrolled: fixed-geometry formats get constant shifts per level */
#pragma GCC unroll 8
	for (int l = (int)s2pt_levels(f, pt) - 1; l >= 0; l--) {
		uint64_t e = s2pt_pte_read(t + s2pt_idx(f, pt, a, (unsigned)l));

		*level = l;
		switch (s2pt_kind_of(f, pt, e, (unsigned)l)) {
		case S2PT_NONE:
			return -ENOENT;
		case S2PT_LEAF:
			s2pt_leaf_fill(f, e, (unsigned)l, a, out);
			return 0;
		case S2PT_TABLE:
			if (s2pt_unlikely(!s2pt_p2v_ok(pt, f->pte_addr(e, (unsigned)l), &t)))
				return -EFAULT;
			break;
		}
	}
	return -ENOENT;	/* not reached: level 0 holds no tables */
}

static s2pt_always_inline int s2pt_do_lookup(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					     uint64_t ia, struct s2pt_leaf *out)
{
	int level;

	return s2pt_do_probe(f, pt, ia, out, &level);
}

struct s2pt_user_walk {
	s2pt_visit_fn fn;
	void *arg;
	int ret;	/* what the visitor returned */
};

static s2pt_always_inline int s2pt_user_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      const struct s2pt_ctx *c, void *data)
{
	struct s2pt_user_walk *w = data;
	struct s2pt_leaf leaf;
	struct s2pt_visit v = {
		.ia = s2pt_ia_out(pt, f->flags, c->addr),
		.size = s2pt_ctx_size(c),
		.level = c->level,
		.kind = c->visit,
		.pte = c->old,
	};

	if (c->kind == S2PT_NONE)
		return 0;
	if (c->kind == S2PT_LEAF) {
		s2pt_leaf_fill(f, c->old, c->level, 0, &leaf);
		v.leaf = &leaf;
	} else {
		v.table_pa = f->pte_addr(c->old, c->level);
	}
	w->ret = w->fn(&v, w->arg);
	return w->ret ? S2PT_SKIP + 1 : 0;	/* stops the walk; w->ret says why */
}

static s2pt_always_inline int s2pt_do_walk(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					   uint64_t ia, uint64_t size, unsigned flags,
					   s2pt_visit_fn fn, void *arg)
{
	struct s2pt_user_walk w = { .fn = fn, .arg = arg };
	uint64_t start, end;
	int ret;

	if (!fn || (flags & ~(S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST)))
		return -EINVAL;
	ret = s2pt_check_range(f, pt, ia, size, &start, &end);
	if (ret)
		return ret;
	ret = s2pt_walk_range(f, pt, start, end, flags, s2pt_user_visit, &w);
	return ret == S2PT_SKIP + 1 ? w.ret : ret;
}

static s2pt_always_inline void s2pt_do_free_tree(const struct s2pt_fmt_desc *f, struct s2pt *pt)
{
	unsigned top = s2pt_levels(f, pt) - 1, n = (unsigned)(pt->root_bytes / sizeof(uint64_t));

	for (unsigned i = 0; i < n; i++) {
		uint64_t e = pt->root[i], pa;

		if (s2pt_kind_of(f, pt, e, top) != S2PT_TABLE)
			continue;
		pa = f->pte_addr(e, top);
		s2pt_free_subtree(f, pt, NULL, (uint64_t *)s2pt_p2v(pt, pa), pa, top - 1);
	}
}

#endif /* S2PT_CORE_OPS_H */
