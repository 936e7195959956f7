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
		case S2PT_BUSY:
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
 * Reserve the tables for splitting the blocks that straddle the two edges
 * of [start, end), as they are now: an unmap or protect that splits
 * nothing never fails for memory. (A block a racing writer puts there
 * later is split with a page from the pool, or left whole if there is
 * none: that writer's map is then ordered after this op.)
 */
static s2pt_always_inline int s2pt_edge_reserve(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						struct s2pt_op *op, uint64_t start, uint64_t end)
{
	uint64_t need = s2pt_edge_need(f, pt, start, start, end) +
			s2pt_edge_need(f, pt, end - S2PT_PAGE_SIZE, start, end);

	return need ? s2pt_op_reserve(pt, op, need, 0) : 0;
}

/* Room for the tables an op over [start, end) can unlink: every table
 * that meets the range, but no more than the table holds (racing writers
 * may add some meanwhile: s2pt_op_defer() makes room for those). */
static s2pt_always_inline uint64_t s2pt_gone_bound(const struct s2pt *pt, uint64_t start,
						   uint64_t end)
{
	uint64_t n = s2pt_map_bound(pt, start, end, start, 0), all = 0;

	for (unsigned l = 0; l + 1 < pt->levels; l++)
		all += __atomic_load_n(&pt->table_pages[l], __ATOMIC_RELAXED);
	return s2pt_min(n, all + (s2pt_shared(pt) ? 64 : 0));
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
						 struct s2pt_map_data *d)
{
	unsigned l = c->level;
	uint64_t a = s2pt_max(c->addr, c->start), end, pa;
	uint64_t *t = s2pt_table_new(f, pt, d->op, l - 1, &pa);

	if (!t) {
		d->failed_at = a;
		return -ENOMEM;
	}
	if (l - 1 == 0) {
		end = s2pt_min(c->end, c->addr + s2pt_ctx_size(c));
		s2pt_fill_leaves(f, pt, t, 0, a, end, a + d->delta, d->prot, false);
	}
	if (!s2pt_pte_set(f, pt, c->ptep, c->old, f->pte_table(pa, l), l)) {
		s2pt_table_unnew(pt, d->op, t, pa, l - 1);
		return S2PT_AGAIN;
	}
	return l - 1 == 0 ? S2PT_SKIP : 0;
}

static s2pt_always_inline int s2pt_map_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					     const struct s2pt_ctx *c, void *data)
{
	struct s2pt_map_data *d = data;
	unsigned l = c->level;
	uint64_t cur = s2pt_max(c->addr, c->start), oa = cur + d->delta;
	bool replace = d->flags & S2PT_MAP_REPLACE;
	int ret;

	if (cur == c->addr && c->addr + s2pt_lsize(l) <= c->end && s2pt_leaf_ok(pt, l) &&
	    (l == 0 || (d->flags & S2PT_MAP_HUGE)) && !(oa & (s2pt_lsize(l) - 1))) {
		uint64_t new = f->pte_leaf(oa, d->prot, l);

		switch (c->kind) {
		case S2PT_NONE:
			return s2pt_pte_set(f, pt, c->ptep, c->old, new, l) ? 0 : S2PT_AGAIN;
		case S2PT_LEAF:
			if (!replace)
				break;
			if (new != c->old &&
			    !s2pt_replace(f, pt, d->op, c, new,
					  f->pte_addr(c->old, l) != oa ||
					  ((f->pte_prot(c->old, l) ^ d->prot) & S2PT_MT_MASK),
					  (int)l))
				return S2PT_AGAIN;
			return 0;
		case S2PT_TABLE:
			if (replace)
				return s2pt_zap_table(f, pt, d->op, c, new) ? 0 : S2PT_AGAIN;
			/* the check found no leaf: an emptied table left linked */
			ret = s2pt_zap_empty(f, pt, d->op, c, new);
			if (ret == -EEXIST)
				d->failed_at = cur;
			return ret;
		default:
			return 0;	/* not reached: the walk never shows BUSY */
		}
	} else {
		switch (c->kind) {
		case S2PT_NONE:
			return s2pt_map_new_table(f, pt, c, d);
		case S2PT_LEAF:
			if (!replace)
				break;
			ret = s2pt_split_block(f, pt, d->op, c);
			if (ret == -ENOMEM)
				d->failed_at = cur;
			return ret;
		default:
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
		if (!s2pt_ctx_covered(c))
			return 0;
		/* the whole span goes: unlink the table, free its subtree */
		if (!s2pt_zap_table(f, pt, d->op, c, s2pt_empty(f, pt, l)))
			return S2PT_AGAIN;
		d->cleared |= 1u << l;
		return S2PT_SKIP;
	}
	if (c->visit == S2PT_WALK_TABLE_POST) {	/* single writer: tables left empty go */
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
	if (!s2pt_ctx_covered(c))	/* no page for it: left whole, see s2pt_edge_reserve */
		return s2pt_split_block(f, pt, d->op, c) == S2PT_AGAIN ? S2PT_AGAIN : 0;
	if (!s2pt_pte_set(f, pt, c->ptep, c->old, s2pt_empty(f, pt, l), l))
		return S2PT_AGAIN;
	s2pt_op_inv(d->op, c->addr, s2pt_ctx_size(c), (int)l);
	d->cleared |= 1u << l;
	return 0;
}

static s2pt_always_inline void s2pt_unmap_range(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						struct s2pt_op *op, uint64_t start, uint64_t end)
{
	struct s2pt_unmap_data d = { .op = op };

	/* racing writers leave empty tables linked: one could be filling it */
	s2pt_walk_range(f, pt, start, end,
			S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_WRITE |
			(s2pt_shared(pt) ? 0 : S2PT_WALK_TABLE_POST),
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
	struct s2pt_op op;
	int ret, level;

	if (flags & ~(S2PT_MAP_HUGE | S2PT_MAP_REPLACE))
		return -EINVAL;
	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)) ||
	    (ret = s2pt_check_oa(pt, oa, size)) || (ret = s2pt_check_prot(f, prot)))
		return ret;
	/* leaves of one level inside one table: at most one new table per level */
	level = s2pt_fast_level(f, pt, start, end, oa, flags);
	if (level < 0)
		return slow(pt, start, end, oa, prot, flags);
	s2pt_op_init(&op);
	/* level 0 gets its own copy, with constant shifts: the fault path */
	ret = level == 0 ? s2pt_map_fast(f, pt, &op, start, end, oa, prot, flags, 0)
			 : s2pt_map_fast(f, pt, &op, start, end, oa, prot, flags, (unsigned)level);
	s2pt_op_finish(pt, &op);
	return ret == S2PT_FALLBACK ? slow(pt, start, end, oa, prot, flags) : ret;
}

/* Map [start, end) (validated, index space) with the walker. */
static s2pt_always_inline int s2pt_map_walk(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    uint64_t start, uint64_t end, uint64_t oa,
					    uint32_t prot, unsigned flags)
{
	struct s2pt_map_data d = { .prot = prot, .flags = flags };
	struct s2pt_op op;
	int ret;

	s2pt_op_init(&op);
	ret = s2pt_op_reserve(pt, &op, s2pt_map_bound(pt, start, end, oa, flags),
			      s2pt_gone_bound(pt, start, end));
	/* refuse before changing anything: a failed map never shows a page */
	if (!ret && !(flags & S2PT_MAP_REPLACE))
		ret = s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF, s2pt_exist_visit, NULL);
	if (!ret) {
		d.delta = oa - start;
		d.op = &op;
		ret = s2pt_walk_range(f, pt, start, end,
				      S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_WRITE,
				      s2pt_map_visit, &d);
		/* -EEXIST here means a racing writer mapped a page after the
		 * check (-ENOMEM: it unlinked tables this map had to build
		 * again); without REPLACE all of [start, failed_at) was empty
		 * before, so removing it restores the table */
		if (ret && !(flags & S2PT_MAP_REPLACE) && d.failed_at > start)
			s2pt_unmap_range(f, pt, &op, start, d.failed_at);
	}
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
	ret = level == 0 ? s2pt_unmap_fast(f, pt, &op, start, end, 0)
			 : s2pt_unmap_fast(f, pt, &op, start, end, (unsigned)level);
	s2pt_op_finish(pt, &op);
	return ret ? slow(pt, start, end) : 0;
}

/* Unmap [start, end) (validated, index space) with the walker. */
static s2pt_always_inline int s2pt_unmap_walk(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      uint64_t start, uint64_t end)
{
	struct s2pt_op op;
	int ret;

	s2pt_op_init(&op);
	ret = s2pt_op_reserve(pt, &op, 0, s2pt_gone_bound(pt, start, end));
	if (!ret)
		ret = s2pt_edge_reserve(f, pt, &op, start, end);
	if (!ret)
		s2pt_unmap_range(f, pt, &op, start, end);
	s2pt_op_finish(pt, &op);
	return ret;
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

static s2pt_always_inline bool s2pt_protect_leaf(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_protect_data *d,
						 const struct s2pt_ctx *c, uint64_t new, int verdict)
{
	if (verdict)
		return s2pt_replace(f, pt, d->op, c, new, verdict == 2, (int)c->level);
	return s2pt_pte_set(f, pt, c->ptep, c->old, new, c->level);
}

/*
 * A whole table of base pages in one loop: entries are rewritten as
 * (old & address|A/D) | attrs, and the verdict is worked out once per
 * distinct old attribute value (a region usually has one). Return: 0, or
 * S2PT_AGAIN if a writer holds a page locked (the table is done again).
 */
static s2pt_always_inline int s2pt_protect_pages(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_protect_data *d,
						 const struct s2pt_ctx *parent, uint64_t *t)
{
	uint64_t a = s2pt_max(parent->addr, parent->start);
	uint64_t end = s2pt_min(parent->end, parent->addr + s2pt_ctx_size(parent));
	struct s2pt_ctx c = { .level = 0, .kind = S2PT_LEAF, .start = a, .end = end };

	for (unsigned i = s2pt_idx(f, pt, a, 0); a < end; a += S2PT_PAGE_SIZE, i++) {
		uint64_t old, new;
again:
		old = s2pt_pte_read(t + i);
		if (s2pt_kind_of(f, pt, old, 0) != S2PT_LEAF) {
			if (s2pt_unlikely(old == f->locked)) {
				s2pt_cpu_relax();
				return S2PT_AGAIN;
			}
			continue;
		}
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
		if (!s2pt_protect_leaf(f, pt, d, &c, new, d->verdict))
			goto again;
	}
	return 0;
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
		return s2pt_protect_pages(f, pt, d, c, t) ?: S2PT_SKIP;
	}
	if (c->kind != S2PT_LEAF)
		return 0;
	if (!s2pt_ctx_covered(c))	/* no page for it: left whole, see s2pt_edge_reserve */
		return s2pt_split_block(f, pt, d->op, c) == S2PT_AGAIN ? S2PT_AGAIN : 0;
	new = (f->pte_leaf(f->pte_addr(c->old, l), d->prot, l) & ~f->hw_bits) |
	      (c->old & f->hw_bits);
	if (new != c->old &&
	    !s2pt_protect_leaf(f, pt, d, c, new,
			       s2pt_protect_verdict(f->pte_prot(c->old, l), d->prot)))
		return S2PT_AGAIN;
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
	s2pt_op_init(&op);
	ret = s2pt_edge_reserve(f, pt, &op, start, end);
	if (ret) {
		s2pt_op_finish(pt, &op);	/* gives back what it got */
		return ret;
	}
	/* a leaf is its address field ORed with attributes: the field's bits
	 * are what encoding the highest page and page 0 disagree on */
	top_oa = (1ull << f->oa_bits) - S2PT_PAGE_SIZE;
	d.attrs = f->pte_leaf(0, prot, 0);
	d.keep = (f->pte_leaf(top_oa, prot, 0) ^ d.attrs) | f->hw_bits;
	d.attrs &= ~f->hw_bits;	/* A/D stay as the hardware left them */
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_WRITE,
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

	/* no page for it (racing writers only): left whole, ordered first */
	if (c->kind == S2PT_LEAF && c->level > d->target)
		return s2pt_split_block(f, pt, d->op, c) == S2PT_AGAIN ? S2PT_AGAIN : 0;
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
	s2pt_op_init(&op);
	ret = s2pt_op_reserve(pt, &op, d.need, 0);
	if (ret) {
		s2pt_op_finish(pt, &op);	/* gives back what it got */
		return ret;
	}
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF | S2PT_WALK_WRITE, s2pt_split_visit, &d);
	s2pt_op_finish(pt, &op);
	return 0;
}

/* collapse */

/* Whether @e is page @i of a block of @level at @base with @prot. */
static s2pt_always_inline bool s2pt_collapse_fits(const struct s2pt_fmt_desc *f,
						  const struct s2pt *pt, uint64_t e,
						  unsigned level, uint64_t base, unsigned i,
						  uint32_t prot)
{
	return s2pt_kind_of(f, pt, e, level - 1) == S2PT_LEAF &&
	       f->pte_addr(e, level - 1) == base + i * s2pt_lsize(level - 1) &&
	       f->pte_prot(e, level - 1) == prot;
}

/*
 * A table of 512 leaves mapping one aligned block with one protection
 * becomes that block. The table entry is locked, then (racing writers)
 * every page, so that nothing changes under the check; a page that does
 * not fit gives everything back as it was. The hardware's A/D bits of all
 * pages, read after the invalidation, go to the block: nothing lost.
 */
static s2pt_always_inline int s2pt_collapse_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						  const struct s2pt_ctx *c, void *data)
{
	struct s2pt_op *op = data;
	unsigned l = c->level, i, j;
	uint64_t pa, base, hw = 0, *t, e, saved[512];
	uint32_t prot;

	if (c->kind != S2PT_TABLE || !s2pt_leaf_ok(pt, l) || !s2pt_ctx_covered(c))
		return 0;
	pa = f->pte_addr(c->old, l);
	t = (uint64_t *)s2pt_p2v(pt, pa);
	e = s2pt_pte_read(t);
	if (s2pt_kind_of(f, pt, e, l - 1) != S2PT_LEAF)
		return 0;
	base = f->pte_addr(e, l - 1);
	prot = f->pte_prot(e, l - 1);
	if (base & (s2pt_lsize(l) - 1))
		return 0;
	for (i = 0; i < 512; i++)	/* a look first: giving up is cheap here */
		if (!s2pt_collapse_fits(f, pt, s2pt_pte_read(t + i), l, base, i, prot))
			return 0;
	if (!s2pt_pte_set(f, pt, c->ptep, c->old, f->locked, l))
		return 0;	/* changed: leave it to that writer */
	for (i = 0; s2pt_shared(pt) && i < 512; i++) {
		saved[i] = s2pt_pte_xchg(t + i, f->locked);
		if (s2pt_collapse_fits(f, pt, saved[i], l, base, i, prot))
			continue;
		/* give back; a page another writer held locked is still its */
		for (j = 0; j <= i; j++)
			if (saved[j] != f->locked)
				s2pt_pte_write(t + j, saved[j]);
		s2pt_pte_write(c->ptep, c->old);
		return 0;
	}
	s2pt_invalidate_now(pt, c->addr, s2pt_ctx_size(c), -1);
	for (i = 0; i < 512; i++)
		hw |= (s2pt_shared(pt) ? saved[i] : s2pt_pte_read(t + i)) & f->hw_bits;
	s2pt_pte_write(c->ptep, (f->pte_leaf(base, prot, l) & ~f->hw_bits) | hw);
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
	ret = s2pt_op_reserve(pt, &op, 0, s2pt_gone_bound(pt, start, end));
	if (!ret)
		s2pt_walk_range(f, pt, start, end, S2PT_WALK_TABLE_POST | S2PT_WALK_WRITE,
				s2pt_collapse_visit, &op);
	s2pt_op_finish(pt, &op);
	return ret;
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
		case S2PT_BUSY:	/* a writer's break-before-make: not present */
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
	return w->ret ? S2PT_STOP : 0;	/* stops the walk; w->ret says why */
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
	return ret == S2PT_STOP ? w.ret : ret;
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
