/* SPDX-License-Identifier: MIT */
/*
 * The randomized operation test: the checks after each operation, on TLB
 * invalidations and table-page frees, leaf shapes, lookups and the range.
 */
#include <stdlib.h>

#include "unit/random_rt.h"

/* ------------------------------------------------------------------ */
/* Per-operation checks                                                */

/* Expand X into both execute bits. */
static uint32_t xexp(uint32_t p)
{
	if (p & S2PT_X)
		p |= S2PT_XU | S2PT_XS;
	return p;
}

/* Does going from @o to @n need a TLB invalidation? A permission removed,
 * the user bit changed (either way: SMEP/SMAP, ARM PAN/implicit PXN),
 * global removed, or the memory type changed. */
static bool weakens(uint32_t o, uint32_t n)
{
	uint32_t perm = S2PT_R | S2PT_W | S2PT_XU | S2PT_XS | S2PT_G;

	o = xexp(o);
	n = xexp(n);
	return (o & ~n & perm) || ((o ^ n) & S2PT_U) || ((o ^ n) & S2PT_MT_MASK);
}

/* Intersection of [a, a+as) and [b, b+bs) in page numbers; false if empty. */
bool isect(uint64_t a, uint64_t as, uint64_t b, uint64_t bs, uint64_t *lo, uint64_t *hi)
{
	uint64_t a0 = a / TPAGE, a1 = a0 + as / TPAGE, b0 = b / TPAGE, b1 = b0 + bs / TPAGE;

	*lo = a0 > b0 ? a0 : b0;
	*hi = a1 < b1 ? a1 : b1;
	return *lo < *hi;
}

static const struct wrec *find_same(const struct wlist *w, const struct wrec *p)
{
	long i = wlist_find_leaf(w, p->ia);

	if (i < 0)
		return NULL;
	if (w->r[i].ia != p->ia || w->r[i].level != p->level)
		return NULL;
	return &w->r[i];
}

static void check_calls_sane(struct rt *t)
{
	for (size_t i = 0; i < t->ninv; i++) {
		const struct inv_call *c = &t->inv[i];

		CHK(c->size && c->ia % TPAGE == 0 && c->size % TPAGE == 0 &&
		    tgeo_range_ok(&t->g, c->ia, c->size),
		    "invalidate(0x%llx, 0x%llx, %d): not a valid input range",
		    (unsigned long long)c->ia, (unsigned long long)c->size, c->level);
		CHK(c->level == -1 || (c->level >= 0 && (unsigned)c->level < t->g.info.levels),
		    "invalidate(0x%llx, 0x%llx, %d): bad level", (unsigned long long)c->ia,
		    (unsigned long long)c->size, c->level);
	}
}

/* Are pages [lo, hi) all covered by invalidate calls? */
static bool covered(const struct rt *t, uint64_t lo, uint64_t hi, uint64_t before_seq)
{
	uint64_t p = lo;
	bool progress = true;

	while (p < hi && progress) {
		progress = false;
		for (size_t i = 0; i < t->ninv; i++) {
			const struct inv_call *c = &t->inv[i];
			uint64_t c0 = c->ia / TPAGE, c1 = c0 + c->size / TPAGE;

			if (c->seq < before_seq && c0 <= p && p < c1) {
				p = c1;
				progress = true;
			}
		}
	}
	return p >= hi;
}

static bool touched(const struct rt *t, uint64_t lo, uint64_t hi, uint64_t before_seq)
{
	for (size_t i = 0; i < t->ninv; i++) {
		const struct inv_call *c = &t->inv[i];
		uint64_t c0 = c->ia / TPAGE, c1 = c0 + c->size / TPAGE;

		if (c->seq < before_seq && c0 < hi && lo < c1)
			return true;
	}
	return false;
}

static int cmp_table_pa(const void *a, const void *b)
{
	const struct wrec *x = *(const struct wrec *const *)a, *y = *(const struct wrec *const *)b;

	return x->table_pa < y->table_pa ? -1 : x->table_pa > y->table_pa;
}

void check_invalidations(struct rt *t, const struct opctx *o, const struct wlist *pre)
{
	struct s2pt_info info;

	check_calls_sane(t);
	CHK(s2pt_info(t->pt, &info) == 0, "s2pt_info");
	/* not-present -> present needs none; but racing writers leave emptied
	 * tables linked, and a leaf replacing one flushes walk caches (-1) */
	if (o->kind == OP_MAP && o->range_was_empty)
		for (size_t i = 0; i < t->ninv; i++)
			CHK(!(info.flags & S2PT_OPT_SINGLE_WRITER) && t->inv[i].level == -1,
			    "map into an empty range called invalidate(0x%llx, 0x%llx, %d): "
			    "not-present -> present needs none", (unsigned long long)t->inv[i].ia,
			    (unsigned long long)t->inv[i].size, t->inv[i].level);

	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *p = &pre->r[i];
		const struct wrec *q;
		uint64_t lo, hi;
		bool changes = false;

		if (p->kind != S2PT_WALK_LEAF)
			continue;
		q = find_same(&t->post, p);
		if (q && q->pte == p->pte)
			continue;
		/* which pages of p change their translation in a way that needs it */
		if (isect(p->ia, p->size, o->ia, o->size, &lo, &hi)) {
			switch (o->kind) {
			case OP_UNMAP:
				changes = true;
				break;
			case OP_MAP: {
				uint64_t old = p->oa + (lo * TPAGE - p->ia);
				uint64_t new = o->oa + (lo * TPAGE - o->ia);

				changes = old != new || weakens(p->prot, o->prot);
				break;
			}
			case OP_PROTECT:
				changes = weakens(p->prot, o->prot);
				break;
			default:
				break;
			}
		}
		if (!q)
			CHK(touched(t, p->ia / TPAGE, p->ia / TPAGE + p->size / TPAGE, UINT64_MAX),
			    "%s: the leaf at 0x%llx (size 0x%llx, pte 0x%llx) was removed or "
			    "replaced without any invalidate call covering it", op_names[o->kind],
			    (unsigned long long)p->ia, (unsigned long long)p->size,
			    (unsigned long long)p->pte);
		if (changes)
			CHK(covered(t, lo, hi, UINT64_MAX),
			    "%s: pages 0x%llx..0x%llx lost or changed their translation "
			    "(old leaf 0x%llx size 0x%llx prot 0x%x) but the invalidate calls do "
			    "not cover them (%zu calls, first 0x%llx+0x%llx)", op_names[o->kind],
			    (unsigned long long)(lo * TPAGE), (unsigned long long)(hi * TPAGE),
			    (unsigned long long)p->ia, (unsigned long long)p->size, p->prot,
			    t->ninv, (unsigned long long)(t->ninv ? t->inv[0].ia : 0),
			    (unsigned long long)(t->ninv ? t->inv[0].size : 0));
	}
	/* a table page freed during the operation: its range was invalidated
	 * before the free */
	if (t->nfev) {
		const struct wrec **tabs = malloc(pre->n * sizeof(*tabs));
		size_t nt = 0;

		CHK(tabs, "out of memory");
		for (size_t i = 0; i < pre->n; i++)
			if (pre->r[i].kind == S2PT_WALK_TABLE_PRE)
				tabs[nt++] = &pre->r[i];
		qsort(tabs, nt, sizeof(*tabs), cmp_table_pa);
		for (size_t k = 0; k < t->nfev; k++) {
			size_t a = 0, b = nt;
			const struct wrec *p;

			while (a < b) {
				size_t mid = a + (b - a) / 2;

				if (tabs[mid]->table_pa < t->fev[k].pa)
					a = mid + 1;
				else
					b = mid;
			}
			if (a == nt || tabs[a]->table_pa != t->fev[k].pa)
				continue;
			p = tabs[a];
			CHK(touched(t, p->ia / TPAGE, p->ia / TPAGE + p->size / TPAGE,
				    t->fev[k].seq),
			    "%s: the table at 0x%llx (ia 0x%llx, level %u) was freed before any "
			    "invalidation of its range", op_names[o->kind],
			    (unsigned long long)p->table_pa, (unsigned long long)p->ia, p->level);
		}
		free(tabs);
	}
}

/* Leaves (post) intersecting [ia, ia+size) must be exactly the greedy
 * decomposition of a HUGE map, or all base pages without HUGE. */
void check_map_shape(struct rt *t, const struct opctx *o)
{
	uint64_t off = 0;
	long i = wlist_find_leaf(&t->post, o->ia);

	CHK(i >= 0, "map: no leaf at 0x%llx after mapping it", (unsigned long long)o->ia);
	while (off < o->size) {
		uint64_t p = o->ia + off, want = TPAGE;
		const struct wrec *r;

		if (o->flags & S2PT_MAP_HUGE) {
			for (unsigned k = t->nsizes; k-- > 0;) {
				uint64_t s = t->sizes[k];

				if (p % s == 0 && (o->oa + off) % s == 0 && s <= o->size - off) {
					want = s;
					break;
				}
			}
		}
		CHK((size_t)i < t->post.n, "map: leaves end early at 0x%llx", (unsigned long long)p);
		r = &t->post.r[i];
		CHK(r->ia == p && r->size == want,
		    "map%s: at 0x%llx expected a 0x%llx leaf (oa 0x%llx), found leaf ia 0x%llx "
		    "size 0x%llx", (o->flags & S2PT_MAP_HUGE) ? " HUGE" : "",
		    (unsigned long long)p, (unsigned long long)want,
		    (unsigned long long)(o->oa + off), (unsigned long long)r->ia,
		    (unsigned long long)r->size);
		if (want > TPAGE)
			t->huge_leaves++;
		off += want;
		i++;
	}
}

/* Expected decomposition of a block [bia, bia+bsize) split for the range. */
static void split_expect(struct rt *t, const struct opctx *o, uint64_t bia, uint64_t bsize,
			 struct wlist *out)
{
	uint64_t lo, hi;

	if (bsize == o->leaf_size || !isect(bia, bsize, o->ia, o->size, &lo, &hi)) {
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->r = realloc(out->r, out->cap * sizeof(*out->r));
			CHK(out->r, "out of memory");
		}
		out->r[out->n++] = (struct wrec){ .ia = bia, .size = bsize };
		return;
	}
	for (uint64_t k = 0; k < 512; k++)
		split_expect(t, o, bia + k * (bsize / 512), bsize / 512, out);
}

void check_split_shape(struct rt *t, const struct opctx *o, const struct wlist *pre)
{
	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *p = &pre->r[i];
		uint64_t lo, hi;
		long j;

		if (p->kind != S2PT_WALK_LEAF || !isect(p->ia, p->size, o->ia, o->size, &lo, &hi))
			continue;
		if (p->size <= o->leaf_size) {
			const struct wrec *q = find_same(&t->post, p);

			CHK(q && q->pte == p->pte,
			    "split to 0x%llx changed the 0x%llx leaf at 0x%llx (pte 0x%llx)",
			    (unsigned long long)o->leaf_size, (unsigned long long)p->size,
			    (unsigned long long)p->ia, (unsigned long long)p->pte);
			continue;
		}
		t->tmp.n = 0;
		split_expect(t, o, p->ia, p->size, &t->tmp);
		j = wlist_find_leaf(&t->post, p->ia);
		CHK(j >= 0, "split: nothing maps 0x%llx any more", (unsigned long long)p->ia);
		for (size_t k = 0; k < t->tmp.n; k++, j++) {
			const struct wrec *q = (size_t)j < t->post.n ? &t->post.r[j] : NULL;

			CHK(q && q->ia == t->tmp.r[k].ia && q->size == t->tmp.r[k].size,
			    "split(0x%llx+0x%llx to 0x%llx) of the 0x%llx block at 0x%llx: expected "
			    "a 0x%llx leaf at 0x%llx, found %s0x%llx at 0x%llx",
			    (unsigned long long)o->ia, (unsigned long long)o->size,
			    (unsigned long long)o->leaf_size, (unsigned long long)p->size,
			    (unsigned long long)p->ia, (unsigned long long)t->tmp.r[k].size,
			    (unsigned long long)t->tmp.r[k].ia, q ? "" : "nothing ",
			    (unsigned long long)(q ? q->size : 0),
			    (unsigned long long)(q ? q->ia : 0));
		}
		t->splits_done++;
	}
}

void check_collapse_shape(struct rt *t, const struct opctx *o, const struct wlist *pre)
{
	/* new leaves lie wholly inside the range */
	for (size_t i = 0; i < t->post.n; i++) {
		const struct wrec *q = &t->post.r[i];
		const struct wrec *p = find_same(pre, q);
		uint64_t lo, hi;

		if (p && p->pte == q->pte)
			continue;
		CHK(isect(q->ia, q->size, o->ia, o->size, &lo, &hi) &&
		    lo == q->ia / TPAGE && hi == q->ia / TPAGE + q->size / TPAGE,
		    "collapse(0x%llx+0x%llx) made the leaf at 0x%llx (size 0x%llx) that is not "
		    "wholly inside the range", (unsigned long long)o->ia,
		    (unsigned long long)o->size, (unsigned long long)q->ia,
		    (unsigned long long)q->size);
		t->folds++;
	}
	/* no foldable table left wholly inside the range */
	wlist_walk(t->pt, o->ia, o->size, S2PT_WALK_TABLE_PRE, &t->tmp);
	for (size_t i = 0; i < t->tmp.n; i++) {
		const struct wrec *r = &t->tmp.r[i];
		const struct model_ext *x;
		uint64_t lo, hi;

		if (!(t->g.info.leaf_sizes & r->size))
			continue;
		if (!isect(r->ia, r->size, o->ia, o->size, &lo, &hi) ||
		    lo != r->ia / TPAGE || hi != r->ia / TPAGE + r->size / TPAGE)
			continue;
		x = model_find(&t->m, r->ia);
		if (!x || x->pg > r->ia / TPAGE || x->pg + x->npg < hi)
			continue;
		if ((x->oa + (r->ia / TPAGE - x->pg) * TPAGE) % r->size)
			continue;
		chk_fail("collapse(0x%llx+0x%llx) left the table at ia 0x%llx (level %u, 0x%llx) "
			 "although it maps one contiguous, aligned, alike run (oa 0x%llx prot 0x%x)",
			 (unsigned long long)o->ia, (unsigned long long)o->size,
			 (unsigned long long)r->ia, r->level, (unsigned long long)r->size,
			 (unsigned long long)(x->oa + (r->ia / TPAGE - x->pg) * TPAGE), x->prot);
	}
}

void check_lookups(struct rt *t, const struct opctx *o)
{
	uint64_t np = o->len / TPAGE;

	if (np <= 80) {
		for (uint64_t k = 0; k < np; k++)
			check_lookup(t->pt, &t->g, &t->m, o->lo + k * TPAGE + rnd(t, TPAGE));
		return;
	}
	for (uint64_t k = 0; k < 4; k++) {
		check_lookup(t->pt, &t->g, &t->m, o->lo + k * TPAGE + rnd(t, TPAGE));
		check_lookup(t->pt, &t->g, &t->m, o->lo + (np - 1 - k) * TPAGE + rnd(t, TPAGE));
	}
	for (int k = 0; k < 24; k++)
		check_lookup(t->pt, &t->g, &t->m, o->lo + rnd(t, np) * TPAGE + rnd(t, TPAGE));
	/* both sides of every leaf edge in the range */
	for (size_t i = 0; i < t->post.n && i < 64; i++) {
		const struct wrec *r = &t->post.r[i];

		check_lookup(t->pt, &t->g, &t->m, r->ia);
		if (tgeo_range_ok(&t->g, r->ia, r->size + TPAGE))
			check_lookup(t->pt, &t->g, &t->m, r->ia + r->size);
	}
}

/* Leaves in the walked range agree with the model, and cover exactly
 * what the model maps there; leaves wholly outside the op range are
 * untouched. */
void check_range(struct rt *t, const struct opctx *o, const struct wlist *pre)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < t->post.n; i++) {
		const struct wrec *r = &t->post.r[i];
		uint64_t lo, hi;

		check_leaf(&t->g, &t->m, r);
		if (i && r->ia / TPAGE < t->post.r[i - 1].ia / TPAGE + t->post.r[i - 1].size / TPAGE)
			chk_fail("walk: leaves at 0x%llx and 0x%llx overlap or are out of order",
				 (unsigned long long)t->post.r[i - 1].ia, (unsigned long long)r->ia);
		if (isect(r->ia, r->size, o->lo, o->len, &lo, &hi))
			pages += hi - lo;
		if (r->size > TPAGE)
			t->block_leaves_seen++;
	}
	CHK(pages == model_pages_in(&t->m, o->lo, o->len),
	    "the table maps %llu pages in 0x%llx+0x%llx, the model %llu",
	    (unsigned long long)pages, (unsigned long long)o->lo, (unsigned long long)o->len,
	    (unsigned long long)model_pages_in(&t->m, o->lo, o->len));
	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *p = &pre->r[i];
		const struct wrec *q;
		uint64_t lo, hi;

		if (p->kind != S2PT_WALK_LEAF || isect(p->ia, p->size, o->ia, o->size, &lo, &hi))
			continue;
		q = find_same(&t->post, p);
		CHK(q && q->pte == p->pte,
		    "%s(0x%llx+0x%llx) changed the leaf at 0x%llx (size 0x%llx, pte 0x%llx) "
		    "outside its range", op_names[o->kind], (unsigned long long)o->ia,
		    (unsigned long long)o->size, (unsigned long long)p->ia,
		    (unsigned long long)p->size, (unsigned long long)p->pte);
	}
}
