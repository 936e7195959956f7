/* SPDX-License-Identifier: MIT */
/*
 * The walker and the entry primitives every operation is built from.
 * Always inline: a format instantiates them with its const descriptor.
 */
#ifndef S2PT_CORE_WALK_H
#define S2PT_CORE_WALK_H

#include <string.h>
#include "core/pt.h"

/* Entry access. Every read and write of a table entry goes through these. */

/* Acquire: a table reached through this entry was filled before it was
 * published (pairs with the release in s2pt_pte_write). */
static s2pt_always_inline uint64_t s2pt_pte_read(const uint64_t *ptep)
{
	return __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
}

/* Release: a table's contents (and a leaf's target set-up by the caller)
 * become visible before the entry that points at them. */
static s2pt_always_inline void s2pt_pte_write(uint64_t *ptep, uint64_t v)
{
	__atomic_store_n(ptep, v, __ATOMIC_RELEASE);
}

static s2pt_always_inline uint64_t s2pt_empty(const struct s2pt_fmt_desc *f,
					      const struct s2pt *pt, unsigned level)
{
	return (f->flags & S2PT_FMT_EMPTY_TABLE) ? pt->empty[level] : 0;
}

static s2pt_always_inline enum s2pt_kind
s2pt_kind_of(const struct s2pt_fmt_desc *f, const struct s2pt *pt, uint64_t pte, unsigned level)
{
	enum s2pt_kind k;

	if (pte == s2pt_empty(f, pt, level))
		return S2PT_NONE;
	k = f->pte_kind(pte, level);
	/* nothing lies below level 0, whatever a foreign entry says */
	return level == 0 && k == S2PT_TABLE ? S2PT_NONE : k;
}

/* Geometry: constants for formats with one geometry, so the compiler
 * unrolls the walk; read from the table for ARM stage-2 and its kin. */
static s2pt_always_inline unsigned s2pt_levels(const struct s2pt_fmt_desc *f,
					       const struct s2pt *pt)
{
	return f->levels_for ? pt->levels : f->levels;
}

static s2pt_always_inline unsigned s2pt_ia_bits(const struct s2pt_fmt_desc *f,
						const struct s2pt *pt)
{
	return f->ia_bits_min == f->ia_bits_max ? f->ia_bits : pt->ia_bits;
}

static s2pt_always_inline unsigned s2pt_idx(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					    uint64_t a, unsigned level)
{
	uint64_t i = a >> s2pt_shift(level);

	/* the root may hold more than 512 entries (concatenated roots); an
	 * index-space address is below 2^ia_bits so it needs no mask there */
	return level == s2pt_levels(f, pt) - 1 ? (unsigned)i : (unsigned)(i & 511);
}

static s2pt_always_inline bool s2pt_leaf_ok(const struct s2pt *pt, unsigned level)
{
	return (pt->leaf_levels >> level) & 1;
}

/*
 * The read-only visit context: the entry, its value as read, the first
 * address it spans (index space), the walk's range and why it is visited.
 * A visitor never re-derives these.
 */
struct s2pt_ctx {
	uint64_t *ptep;
	uint64_t old;
	uint64_t addr;
	uint64_t start, end;
	unsigned level;
	enum s2pt_kind kind;
	unsigned visit;		/* S2PT_WALK_LEAF (any non-table entry), _PRE, _POST */
};

static s2pt_always_inline uint64_t s2pt_ctx_size(const struct s2pt_ctx *c)
{
	return s2pt_lsize(c->level);
}

/* The entry's span lies wholly inside the walk's range. */
static s2pt_always_inline bool s2pt_ctx_covered(const struct s2pt_ctx *c)
{
	return c->addr >= c->start && c->addr + s2pt_ctx_size(c) <= c->end;
}

/* Visitors return 0 to go on, S2PT_SKIP to go on without descending into
 * the entry (a table the visitor already dealt with), anything else to stop
 * the walk with that value. */
#define S2PT_SKIP 1

typedef int (*s2pt_visitor)(const struct s2pt_fmt_desc *f, struct s2pt *pt,
			    const struct s2pt_ctx *c, void *data);

/*
 * s2pt_walk_range() - visit the entries spanning [start, end) (index space,
 * start < end <= 2^ia_bits) in address order, iteratively with a stack of
 * tables. LEAF visits see every non-table entry (empty ones too), PRE and
 * POST see table entries around their children. After a LEAF or PRE visit
 * the entry is read again: if the visitor made it a table, the walk
 * descends into it (unless it said S2PT_SKIP); if it replaced a table, the
 * walk does not.
 */
static s2pt_always_inline int s2pt_walk_range(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      uint64_t start, uint64_t end, unsigned which,
					      s2pt_visitor visit, void *data)
{
	uint64_t *tbl[S2PT_MAX_LEVELS], *path[S2PT_MAX_LEVELS];
	const unsigned top = s2pt_levels(f, pt) - 1;
	struct s2pt_ctx c = { .start = start, .end = end };
	unsigned l = top;
	uint64_t a = start;
	int ret;

	tbl[top] = pt->root;
	for (;;) {
		unsigned kind;

		c.level = l;
		c.ptep = tbl[l] + s2pt_idx(f, pt, a, l);
		c.old = s2pt_pte_read(c.ptep);
		c.kind = s2pt_kind_of(f, pt, c.old, l);
		c.addr = a & ~(s2pt_lsize(l) - 1);
		kind = c.kind == S2PT_TABLE ? S2PT_WALK_TABLE_PRE : S2PT_WALK_LEAF;
		if (which & kind) {
			c.visit = kind;
			ret = visit(f, pt, &c, data);
			if (ret && ret != S2PT_SKIP)
				return ret;
			c.old = s2pt_pte_read(c.ptep);
			c.kind = s2pt_kind_of(f, pt, c.old, l);
		} else {
			ret = 0;
		}
		if (c.kind == S2PT_TABLE && ret != S2PT_SKIP) {
			path[l] = c.ptep;
			if (s2pt_unlikely(!s2pt_p2v_ok(pt, f->pte_addr(c.old, l), &tbl[l - 1])))
				return -EFAULT;	/* attached view: outside the provider */
			l--;
			continue;
		}
		a = c.addr + s2pt_lsize(l);
		/* climb out of every table this step finished */
		while (l < top && (a >= end || !(a & (s2pt_lsize(l + 1) - 1)))) {
			l++;
			if (!(which & S2PT_WALK_TABLE_POST))
				continue;
			c.level = l;
			c.ptep = path[l];
			c.old = s2pt_pte_read(c.ptep);
			c.kind = s2pt_kind_of(f, pt, c.old, l);
			c.addr = (a - 1) & ~(s2pt_lsize(l) - 1);
			c.visit = S2PT_WALK_TABLE_POST;
			ret = visit(f, pt, &c, data);
			if (ret && ret != S2PT_SKIP)
				return ret;
		}
		if (a >= end)
			return 0;
	}
}

/* Operation bookkeeping. */

static inline void s2pt_op_init(struct s2pt_op *op)
{
	op->inv_start = op->inv_end = 0;
	op->inv_level = 0;
	op->ndefer = 0;
}

/* Note that [addr, addr + size) lost or changed a present entry. */
static s2pt_always_inline void s2pt_op_inv(struct s2pt_op *op, uint64_t addr, uint64_t size,
					   int level)
{
	if (op->inv_start == op->inv_end) {
		op->inv_start = addr;
		op->inv_end = addr + size;
		op->inv_level = level;
		return;
	}
	if (addr < op->inv_start)
		op->inv_start = addr;
	if (addr + size > op->inv_end)
		op->inv_end = addr + size;
	if (level != op->inv_level)
		op->inv_level = -1;
}

/* Unlinked table page: release it after the invalidation of this op. */
static s2pt_always_inline void s2pt_op_defer(struct s2pt *pt, struct s2pt_op *op, void *va,
					     uint64_t pa, unsigned level)
{
	if (op->ndefer == S2PT_OP_DEFER)
		s2pt_op_flush(pt, op);
	op->defer[op->ndefer].va = va;
	op->defer[op->ndefer].pa = pa;
	op->defer[op->ndefer].level = level;
	op->ndefer++;
	pt->table_pages[level]--;
}

/* End of a mutating op: one invalidation call, then table release. */
static s2pt_always_inline void s2pt_op_finish(struct s2pt *pt, struct s2pt_op *op)
{
	if (op->ndefer)
		s2pt_op_flush(pt, op);
	else if (op->inv_start != op->inv_end && pt->invalidate)
		s2pt_invalidate_now(pt, op->inv_start, op->inv_end - op->inv_start, op->inv_level);
	if (pt->nspare > S2PT_SPARE_KEEP)
		s2pt_spare_trim(pt);
}

/* A fresh table of @level entries, all empty, from the spare pool (which
 * the op topped up before changing anything). */
static s2pt_always_inline uint64_t *s2pt_table_new(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						   unsigned level, uint64_t *pa)
{
	struct s2pt_spare *s;

	if (s2pt_unlikely(!pt->nspare))
		s2pt_spare_bound_broken(pt);
	s = &pt->spare[--pt->nspare];
	*pa = s->pa;
	if (pt->spare_scrub)	/* zeroed at alloc, but the memory is shared */
		memset(s->va, 0, S2PT_PAGE_SIZE);
	if (f->flags & S2PT_FMT_EMPTY_TABLE)
		for (unsigned i = 0; i < 512; i++)
			s->va[i] = pt->empty[level];
	pt->table_pages[level]++;
	return s->va;
}

/* Make the spare pool hold at least @n pages; the only place a mutating
 * op can fail for memory, and it runs before anything changes. */
static s2pt_always_inline int s2pt_spare_need(struct s2pt *pt, uint64_t n)
{
	if (s2pt_likely(pt->nspare >= n))
		return 0;
	return s2pt_spare_topup(pt, n);
}

/*
 * Replace the present entry in @c with @new. Break-before-make formats go
 * through the empty value and an immediate invalidation when @bbm (output
 * address, block size or memory type changes); otherwise the change joins
 * the op's invalidation range.
 */
static s2pt_always_inline void s2pt_replace(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    struct s2pt_op *op, const struct s2pt_ctx *c,
					    uint64_t new, bool bbm, int inv_level)
{
	if ((f->flags & S2PT_FMT_BBM) && bbm) {
		s2pt_pte_write(c->ptep, s2pt_empty(f, pt, c->level));
		s2pt_invalidate_now(pt, c->addr, s2pt_ctx_size(c), inv_level);
		s2pt_pte_write(c->ptep, new);
		return;
	}
	s2pt_pte_write(c->ptep, new);
	s2pt_op_inv(op, c->addr, s2pt_ctx_size(c), inv_level);
}

/*
 * Consecutive leaves of @level from @oa: every format keeps the output
 * address in one field, so the encoding is linear in oa and leaf i is
 * first + i * step. Lets a run be written without re-encoding each entry.
 */
static s2pt_always_inline uint64_t s2pt_leaf_step(const struct s2pt_fmt_desc *f, uint64_t oa,
						  uint32_t prot, unsigned level, uint64_t *first)
{
	*first = f->pte_leaf(oa, prot, level);
	return f->pte_leaf(oa + s2pt_lsize(level), prot, level) - *first;
}

/* Replace the leaf block in @c by a table of 512 leaves one level down with
 * the same output and attributes (hardware A/D bits kept). */
static s2pt_always_inline void s2pt_split_block(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						struct s2pt_op *op, const struct s2pt_ctx *c)
{
	unsigned l = c->level;
	uint64_t oa = f->pte_addr(c->old, l);
	uint32_t prot = f->pte_prot(c->old, l);
	uint64_t hw = c->old & f->hw_bits;	/* the block's A/D go to every page */
	uint64_t pa, e, step = s2pt_leaf_step(f, oa, prot, l - 1, &e);
	uint64_t *t = s2pt_table_new(f, pt, l - 1, &pa);

	/* plain stores: nobody sees the table until s2pt_replace publishes it */
	for (unsigned i = 0; i < 512; i++, e += step)
		t[i] = (e & ~f->hw_bits) | hw;
	s2pt_replace(f, pt, op, c, f->pte_table(pa, l), true, (int)l);
}

/*
 * Release every table of the subtree rooted at table @t (@level entries):
 * after @op's invalidation when @op is given, at once otherwise (destroy).
 */
static s2pt_always_inline void s2pt_free_subtree(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_op *op, uint64_t *t, uint64_t pa,
						 unsigned level)
{
	uint64_t *tb[S2PT_MAX_LEVELS], tpa[S2PT_MAX_LEVELS];
	unsigned pos[S2PT_MAX_LEVELS], d = level;

	tb[d] = t;
	tpa[d] = pa;
	pos[d] = 0;
	for (;;) {
		uint64_t e;

		if (d == 0)	/* leaves only: nothing below */
			pos[d] = 512;
		if (pos[d] == 512) {
			if (op) {
				s2pt_op_defer(pt, op, tb[d], tpa[d], d);
			} else {
				pt->table_pages[d]--;
				s2pt_table_release(pt, tb[d], tpa[d], d);
			}
			if (d == level)
				return;
			d++;
			continue;
		}
		e = s2pt_pte_read(tb[d] + pos[d]++);
		if (d > 0 && s2pt_kind_of(f, pt, e, d) == S2PT_TABLE) {
			tpa[d - 1] = f->pte_addr(e, d);
			tb[d - 1] = (uint64_t *)s2pt_p2v(pt, tpa[d - 1]);
			pos[--d] = 0;
		}
	}
}

/* Whether table @t (@level entries) holds nothing. @hint is a slot just
 * cleared: its neighbours are the likeliest to be in use, which keeps
 * unmapping page by page, up or down, at O(1) per page. */
static s2pt_always_inline bool s2pt_table_empty(const struct s2pt_fmt_desc *f,
						const struct s2pt *pt, const uint64_t *t,
						unsigned level, unsigned hint)
{
	uint64_t e = s2pt_empty(f, pt, level);

	if ((hint < 511 && s2pt_pte_read(t + hint + 1) != e) ||
	    (hint > 0 && s2pt_pte_read(t + hint - 1) != e))
		return false;
	/* plain loads so the scan vectorises; one writer owns this table now */
	for (unsigned i = 0; i < 512; i += 8) {
		uint64_t x = 0;

		for (unsigned j = 0; j < 8; j++)
			x |= t[i + j] ^ e;
		if (x)
			return false;
	}
	return true;
}

#endif /* S2PT_CORE_WALK_H */
