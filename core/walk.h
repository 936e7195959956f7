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

/* Acq_rel: publishes what @new points at (as the release store does) and,
 * on failure, reads what the winner published. */
static s2pt_always_inline bool s2pt_pte_cas(uint64_t *ptep, uint64_t old, uint64_t new)
{
	return __atomic_compare_exchange_n(ptep, &old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* Acq_rel for the same reasons. The value returned is final unless it is
 * the locked marker itself: a writer's break-before-make still owns that
 * slot and stores its new value into it later. */
static s2pt_always_inline uint64_t s2pt_pte_xchg(uint64_t *ptep, uint64_t new)
{
	return __atomic_exchange_n(ptep, new, __ATOMIC_ACQ_REL);
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
	if (pte == f->locked)
		return S2PT_BUSY;
	k = f->pte_kind(pte, level);
	/* nothing lies below level 0, whatever a foreign entry says */
	return level == 0 && k == S2PT_TABLE ? S2PT_NONE : k;
}

/*
 * Change the entry at @ptep from @old, as read, to @new. Racing writers
 * need compare-and-swap; a single writer needs it only to rewrite a
 * present leaf whose A/D bits the hardware may set meanwhile (they would
 * be lost; an unmap drops them anyway). The single writer's release store
 * publishes a table as s2pt_pte_write does.
 * Return: false if the entry no longer holds @old (read it again).
 */
static s2pt_always_inline bool s2pt_pte_set(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					    uint64_t *ptep, uint64_t old, uint64_t new,
					    unsigned level)
{
	if (s2pt_shared(pt) ||
	    (f->hw_bits && new != s2pt_empty(f, pt, level) &&
	     s2pt_kind_of(f, pt, old, level) == S2PT_LEAF))
		return s2pt_pte_cas(ptep, old, new);
	s2pt_pte_write(ptep, new);
	return true;
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
 * the entry (a table the visitor already dealt with), S2PT_AGAIN when a
 * compare-and-swap on it lost (the walk reads it again and visits it
 * again), anything else to stop the walk with that value. */
#define S2PT_SKIP 1
#define S2PT_AGAIN 2
#define S2PT_STOP 3	/* s2pt_walk()'s visitor said stop: a value of its own */

/* Internal walk flag: the walk changes entries. On an entry holding the
 * locked marker it backs off and descends again from the root: the table
 * holding the entry may be on its way out. Other walks (readers) see a
 * locked entry as empty. */
#define S2PT_WALK_WRITE (1u << 8)

typedef int (*s2pt_visitor)(const struct s2pt_fmt_desc *f, struct s2pt *pt,
			    const struct s2pt_ctx *c, void *data);

/*
 * s2pt_walk_range() - visit the entries spanning [start, end) (index space,
 * start < end <= 2^ia_bits) in address order, iteratively with a stack of
 * tables. LEAF visits see every non-table entry (empty ones too), PRE and
 * POST see table entries around their children. After a LEAF or PRE visit
 * the entry is read again: if the visitor made it a table, the walk
 * descends into it (unless it said S2PT_SKIP); if it replaced a table, the
 * walk does not. Only writers' walks read it again: a reader goes on from
 * the value it visited. A restart from the root (S2PT_WALK_WRITE) may visit
 * the tables on the way down again: PRE visitors must be idempotent.
 * Caller: inside the RCU read-side critical section.
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
		if (s2pt_unlikely(c.kind == S2PT_BUSY)) {
			if (which & S2PT_WALK_WRITE) {
				s2pt_cpu_relax();
				l = top;
				continue;
			}
			c.kind = S2PT_NONE;
		}
		kind = c.kind == S2PT_TABLE ? S2PT_WALK_TABLE_PRE : S2PT_WALK_LEAF;
		ret = 0;
		if (which & kind) {
			c.visit = kind;
			ret = visit(f, pt, &c, data);
			if (ret == S2PT_AGAIN)
				continue;
			if (ret && ret != S2PT_SKIP)
				return ret;
			/* a writer goes on from what it made of the entry; a reader
			 * from what it saw (a split since would show a range twice) */
			if (which & S2PT_WALK_WRITE) {
				c.old = s2pt_pte_read(c.ptep);
				c.kind = s2pt_kind_of(f, pt, c.old, l);
				if (s2pt_unlikely(c.kind == S2PT_BUSY)) {
					s2pt_cpu_relax();
					l = top;
					continue;
				}
			}
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

/* Only what the fast paths read: res and gone are set when reserved. */
static s2pt_always_inline void s2pt_op_init(struct s2pt_op *op)
{
	op->inv_start = op->inv_end = 0;
	op->nres = op->res_cap = 0;
	op->ngone = op->gone_cap = 0;
	op->retire = NULL;
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

/* Unlinked table page: freed after this op's invalidation and a grace
 * period. The op reserved room for every table it can unlink, unless
 * racing writers added tables since (then it grows the room). */
static s2pt_always_inline void s2pt_op_defer(struct s2pt *pt, struct s2pt_op *op, void *va,
					     uint64_t pa, unsigned level)
{
	if (s2pt_unlikely(op->ngone == op->gone_cap))
		s2pt_op_gone_grow(pt, op);
	op->gone[op->ngone].va = va;
	op->gone[op->ngone].pa = pa;
	op->ngone++;
	s2pt_count_tables(pt, level, -1);
}

/* End of a mutating op: one invalidation call, then the unlinked tables go
 * to call_rcu and unused reserved pages back to the pool. */
static s2pt_always_inline void s2pt_op_finish(struct s2pt *pt, struct s2pt_op *op)
{
	if (op->inv_start != op->inv_end && pt->invalidate)
		s2pt_invalidate_now(pt, op->inv_start, op->inv_end - op->inv_start, op->inv_level);
	if (op->nres || op->retire || op->res_cap > S2PT_OP_RES)	/* res from the heap */
		s2pt_op_done(pt, op);
}

/* A fresh table of @level entries, all empty, from the op's reserved
 * pages. A single writer reserved a proven bound; racing writers may need
 * more than they counted (a table another writer unlinked under them) and
 * take it from the pool now. Return: NULL if no page could be had. */
static s2pt_always_inline uint64_t *s2pt_table_new(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						   struct s2pt_op *op, unsigned level, uint64_t *pa)
{
	struct s2pt_spare *s;

	if (s2pt_unlikely(!op->nres)) {
		if (!s2pt_shared(pt))
			s2pt_spare_bound_broken(pt);
		if (s2pt_op_reserve(pt, op, 1, 0))
			return NULL;
	}
	s = &op->res[--op->nres];
	*pa = s->pa;
	if (pt->spare_scrub)	/* zeroed at alloc, but the memory is shared */
		memset(s->va, 0, S2PT_PAGE_SIZE);
	if (f->flags & S2PT_FMT_EMPTY_TABLE)
		for (unsigned i = 0; i < 512; i++)
			s->va[i] = pt->empty[level];
	s2pt_count_tables(pt, level, 1);
	return s->va;
}

/* Give back a table from s2pt_table_new() that was never published (its
 * compare-and-swap lost): zeroed, as reserved pages are. */
static s2pt_always_inline void s2pt_table_unnew(struct s2pt *pt, struct s2pt_op *op,
						uint64_t *t, uint64_t pa, unsigned level)
{
	memset(t, 0, S2PT_PAGE_SIZE);
	op->res[op->nres].va = t;	/* it came from res: there is room */
	op->res[op->nres].pa = pa;
	op->nres++;
	s2pt_count_tables(pt, level, -1);
}

/*
 * Replace the present entry in @c with @new. Break-before-make formats go
 * through the locked marker and an immediate invalidation when @bbm
 * (output address, block size or memory type changes); otherwise the
 * change joins the op's invalidation range. Return: false if the entry
 * changed since @c read it (nothing done).
 */
static s2pt_always_inline bool s2pt_replace(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					    struct s2pt_op *op, const struct s2pt_ctx *c,
					    uint64_t new, bool bbm, int inv_level)
{
	if ((f->flags & S2PT_FMT_BBM) && bbm) {
		if (!s2pt_pte_set(f, pt, c->ptep, c->old, f->locked, c->level))
			return false;
		s2pt_invalidate_now(pt, c->addr, s2pt_ctx_size(c), inv_level);
		s2pt_pte_write(c->ptep, new);	/* ours while locked */
		return true;
	}
	if (!s2pt_pte_set(f, pt, c->ptep, c->old, new, c->level))
		return false;
	s2pt_op_inv(op, c->addr, s2pt_ctx_size(c), inv_level);
	return true;
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
 * the same output and attributes (hardware A/D bits kept). Return: 0,
 * S2PT_AGAIN if the block changed meanwhile, -ENOMEM if racing writers
 * used up the pages reserved and the pool has none (block left as is). */
static s2pt_always_inline int s2pt_split_block(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					       struct s2pt_op *op, const struct s2pt_ctx *c)
{
	unsigned l = c->level;
	uint64_t oa = f->pte_addr(c->old, l);
	uint32_t prot = f->pte_prot(c->old, l);
	uint64_t hw = c->old & f->hw_bits;	/* the block's A/D go to every page */
	uint64_t pa, e, step = s2pt_leaf_step(f, oa, prot, l - 1, &e);
	uint64_t *t = s2pt_table_new(f, pt, op, l - 1, &pa);

	if (!t)
		return -ENOMEM;
	/* plain stores: nobody sees the table until s2pt_replace publishes it */
	for (unsigned i = 0; i < 512; i++, e += step)
		t[i] = (e & ~f->hw_bits) | hw;
	if (s2pt_replace(f, pt, op, c, f->pte_table(pa, l), true, (int)l))
		return 0;
	s2pt_table_unnew(pt, op, t, pa, l - 1);
	return S2PT_AGAIN;
}

/*
 * Release every table of the subtree rooted at table @t (@level entries):
 * after @op's invalidation and a grace period when @op is given, at once
 * otherwise (destroy). With racing writers every entry is first swapped
 * for the locked marker, so a writer still inside the subtree fails its
 * compare-and-swap and starts over from the root; an entry another writer
 * holds locked is waited for (it holds it only for a break-before-make or
 * its own unlink below us).
 */
static s2pt_always_inline void s2pt_free_subtree(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 struct s2pt_op *op, uint64_t *t, uint64_t pa,
						 unsigned level)
{
	uint64_t *tb[S2PT_MAX_LEVELS], tpa[S2PT_MAX_LEVELS];
	unsigned pos[S2PT_MAX_LEVELS], d = level;
	bool freeze = op && s2pt_shared(pt);

	tb[d] = t;
	tpa[d] = pa;
	pos[d] = 0;
	for (;;) {
		uint64_t e;

		if (d == 0 && !freeze)	/* leaves only: nothing below */
			pos[d] = 512;
		if (pos[d] == 512) {
			if (op) {
				s2pt_op_defer(pt, op, tb[d], tpa[d], d);
			} else {
				s2pt_count_tables(pt, d, -1);
				s2pt_table_release(pt, tb[d], tpa[d], d);
			}
			if (d == level)
				return;
			d++;
			continue;
		}
		if (freeze) {
			while ((e = s2pt_pte_read(tb[d] + pos[d])) == f->locked)
				s2pt_cpu_relax();
			if (!s2pt_pte_cas(tb[d] + pos[d], e, f->locked))
				continue;	/* changed: look again */
			pos[d]++;
		} else {
			e = s2pt_pte_read(tb[d] + pos[d]++);
		}
		if (d > 0 && s2pt_kind_of(f, pt, e, d) == S2PT_TABLE) {
			tpa[d - 1] = f->pte_addr(e, d);
			tb[d - 1] = (uint64_t *)s2pt_p2v(pt, tpa[d - 1]);
			pos[--d] = 0;
		}
	}
}

/*
 * Unlink the table under the entry in @c, whose whole span the op covers,
 * and put @new there: the empty value, or a leaf (after the invalidation
 * on break-before-make formats). The entry is locked first, then the
 * subtree frozen and queued for release. Return: false if the entry
 * changed since @c read it (nothing done).
 */
static s2pt_always_inline bool s2pt_zap_table(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      struct s2pt_op *op, const struct s2pt_ctx *c,
					      uint64_t new)
{
	uint64_t pa = f->pte_addr(c->old, c->level);

	if (!s2pt_pte_set(f, pt, c->ptep, c->old, f->locked, c->level))
		return false;
	s2pt_free_subtree(f, pt, op, (uint64_t *)s2pt_p2v(pt, pa), pa, c->level - 1);
	if ((f->flags & S2PT_FMT_BBM) && new != s2pt_empty(f, pt, c->level)) {
		s2pt_invalidate_now(pt, c->addr, s2pt_ctx_size(c), -1);
		s2pt_pte_write(c->ptep, new);	/* ours while locked */
		return true;
	}
	s2pt_pte_write(c->ptep, new);
	s2pt_op_inv(op, c->addr, s2pt_ctx_size(c), -1);
	return true;
}

/*
 * Unlink the subtree under the entry in @c, found by a map without REPLACE
 * where it is about to put one leaf: racing writers leave emptied tables
 * linked. Every entry below is locked unless it holds a leaf, which means
 * a racing writer mapped a page there since the map's check; then the
 * locked entries go back to empty (sub-tables emptied so far are released
 * all the same), the path back to its tables, the entry to what it was.
 * Return: 0 with @new in the entry, S2PT_AGAIN if the entry changed
 * first, -EEXIST on such a leaf.
 */
static s2pt_always_inline int s2pt_zap_empty(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					     struct s2pt_op *op, const struct s2pt_ctx *c,
					     uint64_t new)
{
	uint64_t *tb[S2PT_MAX_LEVELS], tpa[S2PT_MAX_LEVELS], e;
	unsigned pos[S2PT_MAX_LEVELS], top = c->level - 1, d = top, k;
	enum s2pt_kind kind;

	if (!s2pt_pte_set(f, pt, c->ptep, c->old, f->locked, c->level))
		return S2PT_AGAIN;
	tpa[d] = f->pte_addr(c->old, c->level);
	tb[d] = (uint64_t *)s2pt_p2v(pt, tpa[d]);
	pos[d] = 0;
	for (;;) {
		if (pos[d] == 512) {
			s2pt_op_defer(pt, op, tb[d], tpa[d], d);
			if (d++ == top)
				break;
			continue;
		}
		e = s2pt_pte_read(tb[d] + pos[d]);
		kind = s2pt_kind_of(f, pt, e, d);
		if (kind == S2PT_BUSY) {	/* a break-before-make: soon over */
			s2pt_cpu_relax();
			continue;
		}
		if (kind == S2PT_LEAF)
			goto conflict;
		if (!s2pt_pte_set(f, pt, tb[d] + pos[d], e, f->locked, d))
			continue;
		pos[d]++;
		if (kind == S2PT_TABLE) {
			tpa[d - 1] = f->pte_addr(e, d);
			tb[d - 1] = (uint64_t *)s2pt_p2v(pt, tpa[d - 1]);
			pos[--d] = 0;
		}
	}
	if (f->flags & S2PT_FMT_BBM) {
		s2pt_invalidate_now(pt, c->addr, s2pt_ctx_size(c), -1);
		s2pt_pte_write(c->ptep, new);	/* ours while locked */
		return 0;
	}
	s2pt_pte_write(c->ptep, new);
	s2pt_op_inv(op, c->addr, s2pt_ctx_size(c), -1);
	return 0;
conflict:
	for (k = d; k <= top; k++) {
		unsigned n = k == d ? pos[k] : pos[k] - 1;

		for (unsigned i = 0; i < n; i++)
			s2pt_pte_write(tb[k] + i, s2pt_empty(f, pt, k));
		if (k > d)	/* the entry it went down through */
			s2pt_pte_write(tb[k] + n, f->pte_table(tpa[k - 1], k));
	}
	s2pt_pte_write(c->ptep, c->old);
	s2pt_op_inv(op, c->addr, s2pt_ctx_size(c), -1);	/* released tables */
	return -EEXIST;
}

/* Whether table @t (@level entries) holds nothing. @hint is a slot just
 * cleared: its neighbours are the likeliest to be in use, which keeps
 * unmapping page by page, up or down, at O(1) per page. Single writer
 * only (racing writers never unlink a table that is merely empty). */
static s2pt_always_inline bool s2pt_table_empty(const struct s2pt_fmt_desc *f,
						const struct s2pt *pt, const uint64_t *t,
						unsigned level, unsigned hint)
{
	uint64_t e = s2pt_empty(f, pt, level);

	if ((hint < 511 && s2pt_pte_read(t + hint + 1) != e) ||
	    (hint > 0 && s2pt_pte_read(t + hint - 1) != e))
		return false;
	/* plain loads so the scan vectorises; the one writer owns this table */
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
