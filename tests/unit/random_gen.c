/* SPDX-License-Identifier: MIT */
/*
 * The randomized operation test: generating the next operation (kind,
 * range, output address, prot), biased to hit blocks, edges and neighbours.
 */
#include <errno.h>
#include <string.h>

#include "unit/random_rt.h"

/* ------------------------------------------------------------------ */
/* Operation generation                                                */

static uint64_t max_size(const struct rt *t)
{
	return t->sizes[t->nsizes - 1];
}

static uint64_t pick_size(struct rt *t, bool big_ok)
{
	uint64_t c = rnd(t, 100), s;
	int64_t j;

	if (c < 55)
		return (1 + rnd(t, 16)) * TPAGE;
	if (c < 70)
		return (1 + rnd(t, 128)) * TPAGE;
	if (c < 90 || !big_ok) {
		j = (int64_t)rnd(t, 7) - 3;
		s = (1 + rnd(t, 4)) * 2 * TMIB;
		return (int64_t)s + j * (int64_t)TPAGE;
	}
	s = (1 + rnd(t, 3)) * TGIB;
	s += ((int64_t)rnd(t, 5) - 2) * 2 * TMIB;
	s += ((int64_t)rnd(t, 5) - 2) * TPAGE;
	return s;
}

/* A page-aligned range inside one region; often near existing mappings. */
static void pick_range(struct rt *t, bool big_ok, uint64_t *ia, uint64_t *size)
{
	const struct region *r = &t->reg[rnd(t, t->nreg)];
	uint64_t off, s = pick_size(t, big_ok);

	if (t->m.n && chance(t, 45)) {
		const struct model_ext *x = &t->m.e[rnd(t, t->m.n)];
		uint64_t a = x->pg * TPAGE + (rnd(t, x->npg + 16) - 8) * TPAGE;

		/* find the region holding it (extents come from regions) */
		for (unsigned i = 0; i < t->nreg; i++)
			if (x->pg * TPAGE - t->reg[i].start < t->reg[i].size)
				r = &t->reg[i];
		off = a - r->start;
		if (off >= r->size)
			off = x->pg * TPAGE - r->start;
		if (chance(t, 30))	/* start a little before it, to overlap */
			off = off >= s / 2 ? off - (s / 2 & ~(TPAGE - 1)) : 0;
	} else {
		uint64_t gr = chance(t, 40) ? TPAGE : chance(t, 60) ? 2 * TMIB : TGIB;

		/* hot spots: the first 64 GiB/8 of the region get most ops */
		uint64_t span = chance(t, 70) ? r->size / 8 : r->size;

		off = rnd(t, span / gr) * gr;
		if (chance(t, 30))
			off += rnd(t, 8) * TPAGE;
		if (chance(t, 10) && off >= 8 * TPAGE)
			off -= rnd(t, 8) * TPAGE;
		if (chance(t, 3))	/* the very end of the region */
			off = r->size - s % r->size;
	}
	if (off >= r->size)
		off = r->size - TPAGE;
	if (s > r->size - off)
		s = r->size - off;
	*ia = r->start + off;
	*size = s;
}

static uint64_t pick_oa(struct rt *t, uint64_t ia, uint64_t size, uint64_t align)
{
	unsigned ob = t->g.info.oa_bits < 44 ? t->g.info.oa_bits : 44;
	uint64_t top = 1ull << t->g.info.oa_bits, base;

	if (align < TPAGE)
		align = TPAGE;
	if (chance(t, 8) && size + 2 * align < top) {
		/* the top of the output space */
		base = (top - (size + align)) & ~(align - 1);
		if (base + ia % align + size > top)
			base -= align;
	} else {
		uint64_t lim = (1ull << ob) - 4 * TGIB - size;

		base = rnd(t, lim / align) * align;
	}
	return base + ia % align;
}

/* A range inside a large mapped run (likely a block), for split. */
static bool pick_in_block(struct rt *t, uint64_t *ia, uint64_t *size)
{
	for (int k = 0; k < 8 && t->m.n; k++) {
		const struct model_ext *x = &t->m.e[rnd(t, t->m.n)];
		uint64_t first, n;

		if (x->npg < 512)
			continue;
		first = rnd(t, x->npg);
		n = chance(t, 70) ? 1 + rnd(t, 64) : 1 + rnd(t, x->npg - first);
		if (n > x->npg - first)
			n = x->npg - first;
		*ia = (x->pg + first) * TPAGE;
		*size = n * TPAGE;
		return true;
	}
	return false;
}

static void remember(struct rt *t, uint64_t ia, uint64_t size)
{
	t->recent[t->nrecent++ % 8] = (struct region){ ia, size };
}

/* Shrink @size so that leaves of @leaf bytes over it stay few. */
static uint64_t cap_leaves(uint64_t size, uint64_t leaf)
{
	return size / leaf > OP_LEAVES ? OP_LEAVES * leaf : size;
}

/* The largest allowed leaf size dividing @a (a power of two). */
static uint64_t leaf_for_align(const struct rt *t, uint64_t a)
{
	uint64_t best = TPAGE;

	for (unsigned k = 0; k < t->nsizes; k++)
		if (t->sizes[k] <= a)
			best = t->sizes[k];
	return best;
}

static uint32_t pick_prot(struct rt *t)
{
	return t->good[rnd(t, t->ngood)];
}

void gen_op(struct rt *t, struct opctx *o)
{
	uint64_t c = rnd(t, 100);

	memset(o, 0, sizeof(*o));
	if (t->leaves > LEAF_BUDGET || t->m.n > EXT_BUDGET || rnd(t, 1000) < 3) {
		/* wipe a whole region (also tests freeing many tables) */
		const struct region *r = &t->reg[rnd(t, t->nreg)];

		o->kind = OP_UNMAP;
		o->ia = r->start;
		o->size = r->size;
		t->leaves = 0;
		t->wipes++;
		o->want = 0;
		return;
	}
	if (c < 38) {
		o->kind = OP_MAP;
		o->prot = pick_prot(t);
		if (chance(t, 6)) {
			/* a collapsible run: 4 KiB pages over aligned 2 MiB */
			const struct region *r = &t->reg[rnd(t, t->nreg)];

			o->size = (1 + rnd(t, 2)) * 2 * TMIB;
			o->ia = r->start + rnd(t, (r->size / 8) / (2 * TMIB)) * 2 * TMIB;
			o->oa = pick_oa(t, o->ia, o->size, 2 * TMIB);
			o->flags = S2PT_MAP_REPLACE;
			remember(t, o->ia, o->size);
		} else {
			pick_range(t, true, &o->ia, &o->size);
			if (chance(t, 50) || o->size > 4 * TMIB)
				o->flags |= S2PT_MAP_HUGE;
			if (chance(t, 30))
				o->flags |= S2PT_MAP_REPLACE;
			{
				uint64_t a;

				if (o->size > 16 * TMIB)
					a = chance(t, 70) ? TGIB : 2 * TMIB;
				else
					a = chance(t, 40) ? TGIB : chance(t, 50) ? 2 * TMIB : TPAGE;
				o->size = cap_leaves(o->size, (o->flags & S2PT_MAP_HUGE) ?
						     leaf_for_align(t, a) : TPAGE / 4);
				o->oa = pick_oa(t, o->ia, o->size, a);
			}
		}
		if (t->nbad && chance(t, 3) && !model_any(&t->m, o->ia, o->size)) {
			o->prot = t->bad[rnd(t, t->nbad)];
			o->want = -EINVAL;
		} else {
			o->want = model_any(&t->m, o->ia, o->size) &&
				  !(o->flags & S2PT_MAP_REPLACE) ? -EEXIST : 0;
		}
	} else if (c < 58) {
		o->kind = OP_UNMAP;
		pick_range(t, chance(t, 15), &o->ia, &o->size);
	} else if (c < 78) {
		o->kind = OP_PROTECT;
		pick_range(t, chance(t, 30), &o->ia, &o->size);
		o->prot = pick_prot(t);
		if (t->nbad && chance(t, 3)) {
			o->prot = t->bad[rnd(t, t->nbad)];
			o->want = -EINVAL;
		}
	} else if (c < 90) {
		o->kind = OP_SPLIT;
		if (!chance(t, 70) || !pick_in_block(t, &o->ia, &o->size))
			pick_range(t, true, &o->ia, &o->size);
		o->leaf_size = t->sizes[rnd(t, t->nsizes)];
		o->size = cap_leaves(o->size, o->leaf_size);
		remember(t, o->ia, o->size);
		if (chance(t, 2)) {
			/* not an allowed leaf size */
			uint64_t bad[] = { 2 * TPAGE, 0, TLEVEL_SIZE(t->g.info.levels),
					   max_size(t) << 9, TPAGE + 1 };

			o->leaf_size = bad[rnd(t, 5)];
			o->want = -EINVAL;
		}
	} else {
		o->kind = OP_COLLAPSE;
		pick_range(t, true, &o->ia, &o->size);
		if (t->nrecent && chance(t, 60)) {
			const struct region *r = &t->recent[rnd(t, t->nrecent < 8 ? t->nrecent : 8)];

			o->ia = r->start;
			o->size = r->size;
		}
		if (chance(t, 50)) {
			/* widen to aligned blocks so folds are possible */
			uint64_t a = max_size(t) > 2 * TMIB && chance(t, 30) ? TGIB : 2 * TMIB;
			uint64_t s = o->ia & ~(a - 1), e = o->ia + o->size;

			e = (e + a - 1) & ~(a - 1);
			if (tgeo_range_ok(&t->g, s, e - s)) {
				o->ia = s;
				o->size = e - s;
			}
		}
	}
}
