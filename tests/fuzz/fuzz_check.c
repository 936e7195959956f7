/* SPDX-License-Identifier: MIT */
/*
 * Contract checks of the s2pt fuzz target after a changing operation,
 * beyond the model comparison: untouched neighbours, TLB invalidation,
 * leaf shapes, harvest bitmaps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

static struct wlist tmp;	/* scratch list, reused */

/* Append @r to @w. */
void fz_wl_push(struct wlist *w, const struct wrec *r)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->r = realloc(w->r, w->cap * sizeof(*w->r));
		CHK(w->r, "out of memory");
	}
	w->r[w->n++] = *r;
}

/* Declared in fuzz.h: the leaves of a walk list. */
void fz_leaves_only(const struct wlist *in, struct wlist *out)
{
	out->n = 0;
	for (size_t i = 0; i < in->n; i++)
		if (in->r[i].kind == S2PT_WALK_LEAF)
			fz_wl_push(out, &in->r[i]);
}

/* Declared in fuzz.h: intersection in page numbers. */
bool fz_isect(uint64_t a, uint64_t as, uint64_t b, uint64_t bs, uint64_t *lo, uint64_t *hi)
{
	uint64_t a0 = a / TPAGE, a1 = a0 + as / TPAGE, b0 = b / TPAGE, b1 = b0 + bs / TPAGE;

	*lo = a0 > b0 ? a0 : b0;
	*hi = a1 < b1 ? a1 : b1;
	return *lo < *hi;
}

/* Does [a, a + as) lie wholly inside [b, b + bs)? */
static bool inside(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	uint64_t lo, hi;

	return fz_isect(a, as, b, bs, &lo, &hi) && lo == a / TPAGE && hi == a / TPAGE + as / TPAGE;
}

/* The leaf of @w (leaves only) at the same ia and level as @p, or NULL. */
static const struct wrec *find_same(const struct wlist *w, const struct wrec *p)
{
	long i = wlist_find_leaf(w, p->ia);

	if (i < 0 || w->r[i].ia != p->ia || w->r[i].level != p->level)
		return NULL;
	return &w->r[i];
}

/* ------------------------------------------------------------------ */
/* Neighbours and invalidation                                         */

/* s2pt.h: leaves wholly outside the range keep their entry, bit for bit. */
void fz_check_untouched(struct fz *f, const struct fz_op *o, const struct wlist *pl,
			const struct wlist *post)
{
	(void)f;
	for (size_t i = 0; i < pl->n; i++) {
		const struct wrec *p = &pl->r[i], *q;
		uint64_t lo, hi;

		if (fz_isect(p->ia, p->size, o->ia, o->size, &lo, &hi))
			continue;
		q = find_same(post, p);
		CHK(q && q->pte == p->pte,
		    "%s(0x%llx+0x%llx) changed the leaf at 0x%llx (size 0x%llx, pte 0x%llx) "
		    "outside its range: now %s0x%llx", fz_op_names[o->kind],
		    (unsigned long long)o->ia, (unsigned long long)o->size,
		    (unsigned long long)p->ia, (unsigned long long)p->size,
		    (unsigned long long)p->pte, q ? "pte " : "gone, ",
		    (unsigned long long)(q ? q->pte : 0));
	}
}

/* X stands for both execute bits. */
static uint32_t xexp(uint32_t p)
{
	return p & S2PT_X ? p | S2PT_XU | S2PT_XS : p;
}

/* Does going from @o to @n need a TLB invalidation? A permission or
 * global removed, the user bit or the memory type changed. */
static bool weakens(uint32_t o, uint32_t n)
{
	uint32_t perm = S2PT_R | S2PT_W | S2PT_XU | S2PT_XS | S2PT_G;

	o = xexp(o);
	n = xexp(n);
	return (o & ~n & perm) || ((o ^ n) & (S2PT_U | S2PT_MT_MASK));
}

/* Is any page of [lo, hi) (page numbers) in an invalidate call made
 * before event @seq? */
static bool touched(const struct fz *f, uint64_t lo, uint64_t hi, uint64_t seq)
{
	for (size_t i = 0; i < f->ninv; i++) {
		const struct fz_inv *c = &f->inv[i];
		uint64_t c0 = c->ia / TPAGE, c1 = c0 + c->size / TPAGE;

		if (c->seq < seq && c0 < hi && lo < c1)
			return true;
	}
	return false;
}

/* Are all pages of [lo, hi) in some invalidate call? */
static bool covered(const struct fz *f, uint64_t lo, uint64_t hi)
{
	uint64_t p = lo;
	bool progress = true;

	while (p < hi && progress) {
		progress = false;
		for (size_t i = 0; i < f->ninv; i++) {
			uint64_t c0 = f->inv[i].ia / TPAGE, c1 = c0 + f->inv[i].size / TPAGE;

			if (c0 <= p && p < c1) {
				p = c1;
				progress = true;
			}
		}
	}
	return p >= hi;
}

/* Would the change of leaf @p by operation @o need an invalidation of
 * the pages it keeps in the range? */
static bool needs_inv(const struct fz_op *o, const struct wrec *p, uint64_t lo)
{
	switch (o->kind) {
	case OP_UNMAP:
		return true;
	case OP_MAP:
		return p->oa + (lo * TPAGE - p->ia) != o->oa + (lo * TPAGE - o->ia) ||
		       weakens(p->prot, o->prot);
	case OP_PROTECT:
		return weakens(p->prot, o->prot);
	case OP_HARVEST:	/* dirty state or write access cleared */
		return o->flags == S2PT_HARVEST_DIRTY;
	default:
		return false;
	}
}

/*
 * DESIGN.md: invalidate after any present entry is removed, weakened or
 * replaced, before a page it pointed to can be freed; never for
 * not-present -> present.
 */
void fz_check_invalidations(struct fz *f, const struct fz_op *o, const struct wlist *pre,
			    const struct wlist *pl, const struct wlist *post)
{
	bool was_empty = true, tables_inside = false;

	for (size_t i = 0; i < f->ninv; i++) {
		const struct fz_inv *c = &f->inv[i];

		CHK(c->size && c->ia % TPAGE == 0 && c->size % TPAGE == 0 &&
		    tgeo_range_ok(&f->g, c->ia, c->size) &&
		    (c->level == -1 || (c->level >= 0 && (unsigned)c->level < f->g.info.levels)),
		    "invalidate(0x%llx, 0x%llx, %d): not a valid range and level",
		    (unsigned long long)c->ia, (unsigned long long)c->size, c->level);
	}
	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *r = &pre->r[i];
		uint64_t lo, hi;

		if (r->kind == S2PT_WALK_LEAF && fz_isect(r->ia, r->size, o->ia, o->size, &lo, &hi))
			was_empty = false;
		if (r->kind == S2PT_WALK_TABLE_PRE && inside(r->ia, r->size, o->ia, o->size))
			tables_inside = true;
	}
	/* (a block map may replace a table entry: that one needs it) */
	if (o->kind == OP_MAP && was_empty && !tables_inside)
		CHK(f->ninv == 0, "map into an empty range called invalidate(0x%llx, 0x%llx, %d): "
		    "not-present -> present needs none", (unsigned long long)f->inv[0].ia,
		    (unsigned long long)f->inv[0].size, f->inv[0].level);

	for (size_t i = 0; i < pl->n; i++) {
		const struct wrec *p = &pl->r[i], *q = find_same(post, p);
		uint64_t lo, hi;

		if (q && q->pte == p->pte)
			continue;
		if (!q)
			CHK(touched(f, p->ia / TPAGE, p->ia / TPAGE + p->size / TPAGE, UINT64_MAX),
			    "%s: the leaf at 0x%llx (size 0x%llx, pte 0x%llx) was removed or "
			    "replaced without any invalidate call covering it", fz_op_names[o->kind],
			    (unsigned long long)p->ia, (unsigned long long)p->size,
			    (unsigned long long)p->pte);
		if (fz_isect(p->ia, p->size, o->ia, o->size, &lo, &hi) && needs_inv(o, p, lo))
			CHK(covered(f, lo, hi),
			    "%s: pages 0x%llx..0x%llx lost or changed their translation (old leaf "
			    "0x%llx size 0x%llx prot 0x%x) but the %zu invalidate calls do not "
			    "cover them", fz_op_names[o->kind], (unsigned long long)(lo * TPAGE),
			    (unsigned long long)(hi * TPAGE), (unsigned long long)p->ia,
			    (unsigned long long)p->size, p->prot, f->ninv);
	}
	/* a table page freed during the operation: invalidated before */
	for (size_t k = 0; k < f->nfev; k++) {
		for (size_t i = 0; i < pre->n; i++) {
			const struct wrec *r = &pre->r[i];

			if (r->kind != S2PT_WALK_TABLE_PRE || r->table_pa != f->fev[k].pa)
				continue;
			CHK(touched(f, r->ia / TPAGE, r->ia / TPAGE + r->size / TPAGE, f->fev[k].seq),
			    "%s: the table at 0x%llx (ia 0x%llx, level %u) was freed before any "
			    "invalidation of its range", fz_op_names[o->kind],
			    (unsigned long long)r->table_pa, (unsigned long long)r->ia, r->level);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Leaf shapes                                                         */

/* s2pt.h: with S2PT_MAP_HUGE the largest allowed leaf where ia, oa and
 * the remaining size are aligned; otherwise base pages only. */
void fz_check_map_shape(struct fz *f, const struct fz_op *o, const struct wlist *post)
{
	long i = wlist_find_leaf(post, o->ia);

	CHK(i >= 0, "map: no leaf at 0x%llx after mapping it", (unsigned long long)o->ia);
	for (uint64_t off = 0; off < o->size; i++) {
		uint64_t p = o->ia + off, want = TPAGE;
		const struct wrec *r = (size_t)i < post->n ? &post->r[i] : NULL;

		for (unsigned k = f->nsizes; (o->flags & S2PT_MAP_HUGE) && k-- > 1;) {
			uint64_t s = f->sizes[k];

			if (p % s == 0 && (o->oa + off) % s == 0 && s <= o->size - off) {
				want = s;
				break;
			}
		}
		CHK(r && r->ia == p && r->size == want,
		    "map%s: at 0x%llx expected a 0x%llx leaf (oa 0x%llx), found %s0x%llx at 0x%llx",
		    (o->flags & S2PT_MAP_HUGE) ? " HUGE" : "", (unsigned long long)p,
		    (unsigned long long)want, (unsigned long long)(o->oa + off),
		    r ? "size " : "nothing; last ", (unsigned long long)(r ? r->size : 0),
		    (unsigned long long)(r ? r->ia : 0));
		off += want;
	}
}

/* The leaves a block [bia, bia + bsize) becomes when split for @o: pieces
 * of leaf_size inside the range, as large as possible outside it. */
static void split_expect(const struct fz_op *o, uint64_t bia, uint64_t bsize, struct wlist *out)
{
	uint64_t lo, hi;

	if (bsize == o->leaf_size || !fz_isect(bia, bsize, o->ia, o->size, &lo, &hi)) {
		fz_wl_push(out, &(struct wrec){ .ia = bia, .size = bsize });
		return;
	}
	for (uint64_t k = 0; k < 512; k++)
		split_expect(o, bia + k * (bsize / 512), bsize / 512, out);
}

/* s2pt.h: blocks in the range broken down to leaf_size, the parts of a
 * straddling block outside it as large as they can be; smaller leaves kept. */
void fz_check_split_shape(struct fz *f, const struct fz_op *o, const struct wlist *pl,
			  const struct wlist *post)
{
	(void)f;
	for (size_t i = 0; i < pl->n; i++) {
		const struct wrec *p = &pl->r[i];
		uint64_t lo, hi;
		long j;

		if (!fz_isect(p->ia, p->size, o->ia, o->size, &lo, &hi))
			continue;
		if (p->size <= o->leaf_size) {
			const struct wrec *q = find_same(post, p);

			CHK(q && q->pte == p->pte,
			    "split to 0x%llx changed the 0x%llx leaf at 0x%llx (pte 0x%llx)",
			    (unsigned long long)o->leaf_size, (unsigned long long)p->size,
			    (unsigned long long)p->ia, (unsigned long long)p->pte);
			continue;
		}
		tmp.n = 0;
		split_expect(o, p->ia, p->size, &tmp);
		j = wlist_find_leaf(post, p->ia);
		CHK(j >= 0, "split: nothing maps 0x%llx any more", (unsigned long long)p->ia);
		for (size_t k = 0; k < tmp.n; k++, j++) {
			const struct wrec *q = (size_t)j < post->n ? &post->r[j] : NULL;

			CHK(q && q->ia == tmp.r[k].ia && q->size == tmp.r[k].size,
			    "split to 0x%llx of the 0x%llx block at 0x%llx: expected a 0x%llx leaf "
			    "at 0x%llx, found %s0x%llx at 0x%llx", (unsigned long long)o->leaf_size,
			    (unsigned long long)p->size, (unsigned long long)p->ia,
			    (unsigned long long)tmp.r[k].size, (unsigned long long)tmp.r[k].ia,
			    q ? "" : "nothing ", (unsigned long long)(q ? q->size : 0),
			    (unsigned long long)(q ? q->ia : 0));
		}
	}
}

/* s2pt.h: collapse folds every table lying wholly in the range whose
 * entries are present, contiguous, alike and block-aligned; nothing else. */
void fz_check_collapse(struct fz *f, const struct fz_op *o, const struct wlist *pl,
		       const struct wlist *post)
{
	for (size_t i = 0; i < post->n; i++) {
		const struct wrec *q = &post->r[i], *p = find_same(pl, q);

		if (p && p->pte == q->pte)
			continue;
		CHK(inside(q->ia, q->size, o->ia, o->size),
		    "collapse(0x%llx+0x%llx) made the leaf at 0x%llx (size 0x%llx), not wholly "
		    "inside the range", (unsigned long long)o->ia, (unsigned long long)o->size,
		    (unsigned long long)q->ia, (unsigned long long)q->size);
	}
	wlist_walk(f->pt, o->ia, o->size, S2PT_WALK_TABLE_PRE, &tmp);
	for (size_t i = 0; i < tmp.n; i++) {
		const struct wrec *r = &tmp.r[i];
		const struct model_ext *x;
		uint64_t pg = r->ia / TPAGE;

		if (!(f->g.info.leaf_sizes & r->size) || !inside(r->ia, r->size, o->ia, o->size))
			continue;
		x = model_find(&f->m, r->ia);
		if (!x || x->pg > pg || x->pg + x->npg < pg + r->size / TPAGE ||
		    (x->oa + (pg - x->pg) * TPAGE) % r->size)
			continue;
		chk_fail("collapse(0x%llx+0x%llx) left the table at ia 0x%llx (level %u, 0x%llx) "
			 "although it maps one contiguous, aligned, alike run (oa 0x%llx prot 0x%x)",
			 (unsigned long long)o->ia, (unsigned long long)o->size,
			 (unsigned long long)r->ia, r->level, (unsigned long long)r->size,
			 (unsigned long long)(x->oa + (pg - x->pg) * TPAGE), x->prot);
	}
}

/* ------------------------------------------------------------------ */
/* Harvest                                                             */

/*
 * s2pt.h: a bit per base page whose leaf had the hardware bit; formats
 * without a dirty bit report every writable page and write-protect the
 * leaves wholly inside the range (blocks reaching outside stay). Nobody
 * sets A/D here, so with hardware bits only mapped pages may be reported.
 */
void fz_check_harvest(struct fz *f, const struct fz_op *o, const struct wlist *pl,
		      const uint64_t *bm)
{
	uint64_t npg = o->size / TPAGE, first = o->ia / TPAGE;
	bool wp = o->flags == S2PT_HARVEST_DIRTY && f->wp_dirty;
	size_t nw = (npg + 63) / 64;
	uint64_t *want = calloc(nw, sizeof(*want)), *may = calloc(nw, sizeof(*may));

	CHK(want && may, "out of memory");
	for (size_t i = 0; i < pl->n; i++) {
		const struct wrec *p = &pl->r[i];
		uint64_t lo, hi;

		if (!fz_isect(p->ia, p->size, o->ia, o->size, &lo, &hi))
			continue;
		for (uint64_t pg = lo; pg < hi; pg++) {
			may[(pg - first) / 64] |= 1ull << ((pg - first) % 64);
			if (wp && (p->prot & S2PT_W))
				want[(pg - first) / 64] |= 1ull << ((pg - first) % 64);
		}
		if (wp && (p->prot & S2PT_W) && inside(p->ia, p->size, o->ia, o->size))
			model_protect(&f->m, p->ia, p->size, p->prot & ~S2PT_W);
	}
	for (size_t w = 0; w < nw; w++) {
		uint64_t bad = wp ? bm[w] ^ want[w] : bm[w] & ~may[w];

		if (!bad)
			continue;
		chk_fail("harvest %s(0x%llx+0x%llx): page 0x%llx %s", o->flags ==
			 S2PT_HARVEST_DIRTY ? "DIRTY" : "YOUNG", (unsigned long long)o->ia,
			 (unsigned long long)o->size,
			 (unsigned long long)((first + w * 64 + (uint64_t)__builtin_ctzll(bad)) *
					      TPAGE),
			 !wp || (bm[w] & bad) ? "reported, but it is not a writable mapped page" :
			 "writable and mapped, but not reported");
	}
	free(want);
	free(may);
}
