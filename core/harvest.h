/* SPDX-License-Identifier: MIT */
/*
 * s2pt_harvest(): dirty and accessed tracking, from the hardware's A/D bits
 * where the format has them, by write-protection where it has none.
 */
#ifndef S2PT_CORE_HARVEST_H
#define S2PT_CORE_HARVEST_H

#include "core/check.h"
#include "core/walk.h"

struct s2pt_harvest_data {
	uint64_t bit;		/* the entry bit to test and clear; 0: write-protect */
	uint64_t *bitmap;
	struct s2pt_op *op;
	bool invalidate;	/* clearing it must reach the TLB */
};

/* Set the bitmap bits of the base pages of [a, b) (relative to start). */
static inline void s2pt_bitmap_set(uint64_t *bm, uint64_t start, uint64_t a, uint64_t b)
{
	for (uint64_t i = (a - start) >> S2PT_PAGE_SHIFT; a < b; a += S2PT_PAGE_SIZE, i++)
		bm[i / 64] |= 1ull << (i % 64);
}

static s2pt_always_inline int s2pt_harvest_visit(const struct s2pt_fmt_desc *f, struct s2pt *pt,
						 const struct s2pt_ctx *c, void *data)
{
	struct s2pt_harvest_data *d = data;
	uint64_t a = s2pt_max(c->addr, c->start);
	uint64_t b = s2pt_min(c->end, c->addr + s2pt_ctx_size(c));
	uint64_t old = c->old, new;

	(void)pt;
	if (c->kind != S2PT_LEAF)
		return 0;
	if (d->bit) {
		if (!(old & d->bit))
			return 0;
		s2pt_bitmap_set(d->bitmap, c->start, a, b);
		if (!s2pt_ctx_covered(c))
			return 0;	/* keep the bit for the pages outside */
		/* compare-and-swap, always: the hardware may set A/D right now */
		if (!s2pt_pte_cas(c->ptep, old, old & ~d->bit))
			return S2PT_AGAIN;
		if (d->invalidate)
			s2pt_op_inv(d->op, c->addr, s2pt_ctx_size(c), (int)c->level);
		return 0;
	}
	if (!(f->pte_prot(old, c->level) & S2PT_W))
		return 0;
	s2pt_bitmap_set(d->bitmap, c->start, a, b);
	if (!s2pt_ctx_covered(c))
		return 0;
	new = (f->pte_leaf(f->pte_addr(old, c->level),
			   f->pte_prot(old, c->level) & ~S2PT_W, c->level) & ~f->hw_bits) |
	      (old & f->hw_bits);
	if (!s2pt_pte_cas(c->ptep, old, new))
		return S2PT_AGAIN;
	s2pt_op_inv(d->op, c->addr, s2pt_ctx_size(c), (int)c->level);
	return 0;
}

static s2pt_always_inline int s2pt_do_harvest(const struct s2pt_fmt_desc *f, struct s2pt *pt,
					      uint64_t ia, uint64_t size, unsigned what,
					      uint64_t *bitmap)
{
	struct s2pt_op op;
	struct s2pt_harvest_data d = { .bitmap = bitmap, .op = &op };
	bool ad = !(f->flags & S2PT_FMT_OPT_AD) || (pt->flags & S2PT_OPT_AD);
	uint64_t start, end;
	int ret;

	if (what != S2PT_HARVEST_DIRTY && what != S2PT_HARVEST_YOUNG)
		return -EINVAL;
	if ((ret = s2pt_check_writable(pt)) || (ret = s2pt_check_range(f, pt, ia, size, &start, &end)))
		return ret;
	if (what == S2PT_HARVEST_YOUNG) {
		d.bit = ad ? f->young_bit : 0;
		if (!d.bit)
			return -EOPNOTSUPP;
	} else {
		d.bit = ad ? f->dirty_bit : 0;
		d.invalidate = true;	/* a cached D = 1 would hide the next write */
	}
	s2pt_op_init(&op);
	s2pt_walk_range(f, pt, start, end, S2PT_WALK_LEAF | S2PT_WALK_WRITE, s2pt_harvest_visit, &d);
	s2pt_op_finish(pt, &op);
	return 0;
}

#endif /* S2PT_CORE_HARVEST_H */
