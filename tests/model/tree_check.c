/* SPDX-License-Identifier: MIT */
/*
 * Test support: input-space geometry, walk records and snapshots, and the
 * full-tree checker built on them. Public API only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* ------------------------------------------------------------------ */
/* Geometry                                                            */

void tgeo_get(struct s2pt *pt, struct tgeo *g)
{
	struct s2pt_leaf leaf;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = s2pt_info(pt, &g->info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	CHK(g->info.ia_bits >= 12 && g->info.ia_bits < 64, "info.ia_bits %u", g->info.ia_bits);
	CHK(g->info.levels >= 1 && g->info.levels <= S2PT_MAX_LEVELS, "info.levels %u",
	    g->info.levels);
	ret = s2pt_lookup(pt, 0xfffffffffffff000ull, &leaf);
	CHK(ret == -ERANGE || ret == -ENOENT || ret == 0,
	    "lookup of the top page returned %d", ret);
	g->canonical = ret != -ERANGE;
	g->half = g->canonical ? 1ull << (g->info.ia_bits - 1) : 1ull << g->info.ia_bits;
}

bool tgeo_range_ok(const struct tgeo *g, uint64_t ia, uint64_t size)
{
	if (!size)
		return false;
	if (ia < g->half)
		return size <= g->half - ia;
	if (g->canonical && ia >= 0 - g->half)
		return size <= 0 - ia;
	return false;
}

/* ------------------------------------------------------------------ */
/* Walk records                                                        */

void wlist_init(struct wlist *w)
{
	memset(w, 0, sizeof(*w));
}

void wlist_fini(struct wlist *w)
{
	free(w->r);
	memset(w, 0, sizeof(*w));
}

static int wlist_visit(const struct s2pt_visit *v, void *arg)
{
	struct wlist *w = arg;
	struct wrec *r;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->r = realloc(w->r, w->cap * sizeof(*w->r));
		CHK(w->r, "out of memory");
	}
	r = &w->r[w->n++];
	memset(r, 0, sizeof(*r));
	r->ia = v->ia;
	r->size = v->size;
	r->pte = v->pte;
	r->level = v->level;
	r->kind = v->kind;
	CHK(v->kind == S2PT_WALK_LEAF || v->kind == S2PT_WALK_TABLE_PRE ||
	    v->kind == S2PT_WALK_TABLE_POST, "walk: visit kind %u", v->kind);
	if (v->kind == S2PT_WALK_LEAF) {
		CHK(v->leaf, "walk: leaf visit at 0x%llx without a decoded leaf",
		    (unsigned long long)v->ia);
		CHK(v->leaf->size == v->size && v->leaf->level == v->level &&
		    v->leaf->pte == v->pte,
		    "walk: leaf at 0x%llx: visit {size 0x%llx level %u pte 0x%llx} != "
		    "leaf {size 0x%llx level %u pte 0x%llx}", (unsigned long long)v->ia,
		    (unsigned long long)v->size, v->level, (unsigned long long)v->pte,
		    (unsigned long long)v->leaf->size, v->leaf->level,
		    (unsigned long long)v->leaf->pte);
		r->oa = v->leaf->oa;
		r->prot = v->leaf->prot;
	} else {
		CHK(!v->leaf, "walk: table visit at 0x%llx with a leaf", (unsigned long long)v->ia);
		r->table_pa = v->table_pa;
	}
	return 0;
}

void wlist_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,
		struct wlist *w)
{
	int ret;

	w->n = 0;
	ret = s2pt_walk(pt, ia, size, flags, wlist_visit, w);
	CHK(ret == 0, "s2pt_walk(0x%llx, 0x%llx, %#x) = %d", (unsigned long long)ia,
	    (unsigned long long)size, flags, ret);
}

void wlist_walk_all(struct s2pt *pt, const struct tgeo *g, unsigned flags,
		    struct wlist *w)
{
	struct wlist hi;
	int ret;

	wlist_walk(pt, 0, g->half, flags, w);
	if (!g->canonical)
		return;
	wlist_init(&hi);
	ret = s2pt_walk(pt, 0 - g->half, g->half, flags, wlist_visit, &hi);
	CHK(ret == 0, "s2pt_walk(upper half 0x%llx, 0x%llx, %#x) = %d",
	    (unsigned long long)(0 - g->half), (unsigned long long)g->half, flags, ret);
	for (size_t i = 0; i < hi.n; i++) {
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->r = realloc(w->r, w->cap * sizeof(*w->r));
			CHK(w->r, "out of memory");
		}
		w->r[w->n++] = hi.r[i];
	}
	wlist_fini(&hi);
}

long wlist_find_leaf(const struct wlist *w, uint64_t ia)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct wrec *r = &w->r[mid];

		if (ia < r->ia)
			hi = mid;
		else if (ia - r->ia >= r->size)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

static const char *kind_name(unsigned k)
{
	return k == S2PT_WALK_LEAF ? "leaf" : k == S2PT_WALK_TABLE_PRE ? "table-pre" :
	       k == S2PT_WALK_TABLE_POST ? "table-post" : "?";
}

bool wlist_equal(const struct wlist *a, const struct wlist *b, char *why, size_t len)
{
	size_t n = a->n < b->n ? a->n : b->n;

	for (size_t i = 0; i < n; i++) {
		const struct wrec *x = &a->r[i], *y = &b->r[i];

		if (x->kind != y->kind || x->ia != y->ia || x->size != y->size ||
		    x->level != y->level || x->pte != y->pte || x->table_pa != y->table_pa) {
			snprintf(why, len, "entry %zu: was %s ia 0x%llx level %u pte 0x%llx, "
				 "now %s ia 0x%llx level %u pte 0x%llx", i, kind_name(x->kind),
				 (unsigned long long)x->ia, x->level, (unsigned long long)x->pte,
				 kind_name(y->kind), (unsigned long long)y->ia, y->level,
				 (unsigned long long)y->pte);
			return false;
		}
	}
	if (a->n != b->n) {
		const struct wrec *x = a->n > b->n ? &a->r[n] : &b->r[n];

		snprintf(why, len, "%zu entries before, %zu after; first extra: %s ia 0x%llx "
			 "level %u pte 0x%llx", a->n, b->n, kind_name(x->kind),
			 (unsigned long long)x->ia, x->level, (unsigned long long)x->pte);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */

static uint64_t root_pages(const struct s2pt_info *info)
{
	return (info->root_bytes + TPAGE - 1) / TPAGE;
}

void snap_take(struct s2pt *pt, const struct tgeo *g, struct tmm *mm, struct snap *s)
{
	int ret;

	wlist_init(&s->all);
	wlist_walk_all(pt, g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST,
		       &s->all);
	ret = s2pt_info(pt, &s->info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	s->live_pages = 0;
	if (mm) {
		test_rcu_barrier();
		ret = s2pt_info(pt, &s->info);
		CHK(ret == 0, "s2pt_info: %d", ret);
		s->live_pages = tmm_live_pages(mm) - s->info.spare_pages;
	}
}

void snap_expect(struct s2pt *pt, const struct tgeo *g, struct tmm *mm,
		 const struct snap *s, const char *what)
{
	struct snap now;
	char why[512];

	snap_take(pt, g, mm, &now);
	if (!wlist_equal(&s->all, &now.all, why, sizeof(why))) {
		snap_fini(&now);
		chk_fail("%s: the table changed: %s", what, why);
	}
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		CHK(now.info.table_pages[l] == s->info.table_pages[l],
		    "%s: info.table_pages[%u] was %llu, now %llu", what, l,
		    (unsigned long long)s->info.table_pages[l],
		    (unsigned long long)now.info.table_pages[l]);
	CHK(now.info.levels == s->info.levels && now.info.ia_bits == s->info.ia_bits &&
	    now.info.leaf_sizes == s->info.leaf_sizes &&
	    now.info.root_bytes == s->info.root_bytes &&
	    now.info.read_only == s->info.read_only,
	    "%s: info geometry changed", what);
	if (mm)
		CHK(now.live_pages == s->live_pages,
		    "%s: allocator pages in use (less spares) were %llu, now %llu (spare %llu)",
		    what, (unsigned long long)s->live_pages,
		    (unsigned long long)now.live_pages,
		    (unsigned long long)now.info.spare_pages);
	snap_fini(&now);
}

void snap_fini(struct snap *s)
{
	wlist_fini(&s->all);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

void check_leaf(const struct tgeo *g, const struct model *m, const struct wrec *r)
{
	char why[256];

	CHK(r->level < g->info.levels, "leaf at 0x%llx: level %u of %u",
	    (unsigned long long)r->ia, r->level, g->info.levels);
	CHK(r->size == TLEVEL_SIZE(r->level), "leaf at 0x%llx: size 0x%llx at level %u",
	    (unsigned long long)r->ia, (unsigned long long)r->size, r->level);
	CHK(g->info.leaf_sizes & r->size,
	    "leaf at 0x%llx: size 0x%llx not in leaf_sizes 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->size,
	    (unsigned long long)g->info.leaf_sizes);
	CHK(r->ia % r->size == 0, "leaf at 0x%llx: not aligned to its size 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->size);
	CHK(r->oa % r->size == 0, "leaf at 0x%llx: oa 0x%llx not aligned to size 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->oa,
	    (unsigned long long)r->size);
	CHK(g->info.oa_bits >= 64 || (r->oa >> g->info.oa_bits) == 0,
	    "leaf at 0x%llx: oa 0x%llx beyond oa_bits %u", (unsigned long long)r->ia,
	    (unsigned long long)r->oa, g->info.oa_bits);
	CHK(tgeo_range_ok(g, r->ia, r->size), "leaf at 0x%llx size 0x%llx outside the input space",
	    (unsigned long long)r->ia, (unsigned long long)r->size);
	if (m && !model_matches(m, r->ia, r->size, r->oa, r->prot, why, sizeof(why)))
		chk_fail("leaf ia 0x%llx size 0x%llx oa 0x%llx prot 0x%x pte 0x%llx: %s",
			 (unsigned long long)r->ia, (unsigned long long)r->size,
			 (unsigned long long)r->oa, r->prot, (unsigned long long)r->pte, why);
}

void check_lookup(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		  uint64_t ia)
{
	struct s2pt_leaf leaf;
	uint64_t oa;
	uint32_t prot;
	int want = model_lookup(m, ia, &oa, &prot);
	int ret;

	memset(&leaf, 0xa5, sizeof(leaf));
	ret = s2pt_lookup(pt, ia, &leaf);
	CHK(ret == want, "lookup(0x%llx) = %d, model says %d", (unsigned long long)ia, ret, want);
	if (ret)
		return;
	CHK(leaf.oa == oa && leaf.prot == prot,
	    "lookup(0x%llx): oa 0x%llx prot 0x%x, model oa 0x%llx prot 0x%x (pte 0x%llx level %u)",
	    (unsigned long long)ia, (unsigned long long)leaf.oa, leaf.prot,
	    (unsigned long long)oa, prot, (unsigned long long)leaf.pte, leaf.level);
	CHK(leaf.level < g->info.levels && leaf.size == TLEVEL_SIZE(leaf.level) &&
	    (leaf.size & g->info.leaf_sizes),
	    "lookup(0x%llx): level %u size 0x%llx (leaf_sizes 0x%llx)", (unsigned long long)ia,
	    leaf.level, (unsigned long long)leaf.size, (unsigned long long)g->info.leaf_sizes);
	CHK((leaf.oa - ia) % leaf.size == 0,
	    "lookup(0x%llx): oa 0x%llx not congruent to ia modulo leaf size 0x%llx",
	    (unsigned long long)ia, (unsigned long long)leaf.oa, (unsigned long long)leaf.size);
}

static struct wlist tree_wl;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct tframe {
	uint64_t ia, size, pte, children;
	unsigned level;
};

void tree_check(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		struct tmm *mm, struct tree_stats *st)
{
	struct wlist w;
	struct tframe stack[S2PT_MAX_LEVELS + 1];
	unsigned depth = 0, top = g->info.levels - 1;
	uint64_t next_pg = 0, leaf_pages = 0, *pas;
	size_t npas = 0;
	struct s2pt_info info;
	struct tree_stats local;
	int ret;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	w = tree_wl;	/* reuse the buffer: no page faults per check */
	wlist_walk_all(pt, g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &w);
	pas = malloc((w.n + 1) * sizeof(*pas));
	CHK(pas, "out of memory");

	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];
		/* the level an entry at this depth must have */
		unsigned want_level = depth ? stack[depth - 1].level - 1 : top;

		if (r->kind == S2PT_WALK_TABLE_POST) {
			struct tframe *f;

			CHK(depth > 0, "walk: TABLE_POST at 0x%llx without a TABLE_PRE",
			    (unsigned long long)r->ia);
			f = &stack[--depth];
			CHK(f->ia == r->ia && f->level == r->level && f->pte == r->pte,
			    "walk: TABLE_POST ia 0x%llx level %u does not close TABLE_PRE "
			    "ia 0x%llx level %u", (unsigned long long)r->ia, r->level,
			    (unsigned long long)f->ia, f->level);
			/* racing writers leave emptied tables linked (DESIGN.md); a
			 * single writer must unlink them */
			CHK(f->children > 0 || !(g->info.flags & S2PT_OPT_SINGLE_WRITER),
			    "empty table left linked: the level-%u entry at ia 0x%llx points at a "
			    "table with no present entry (pte 0x%llx)", f->level,
			    (unsigned long long)f->ia, (unsigned long long)f->pte);
			continue;
		}
		CHK(r->level == want_level,
		    "walk: %s at ia 0x%llx has level %u, expected %u (depth %u)",
		    kind_name(r->kind), (unsigned long long)r->ia, r->level, want_level, depth);
		CHK(r->size == TLEVEL_SIZE(r->level), "walk: %s at ia 0x%llx level %u size 0x%llx",
		    kind_name(r->kind), (unsigned long long)r->ia, r->level,
		    (unsigned long long)r->size);
		CHK(r->ia % r->size == 0,
		    "walk: %s at ia 0x%llx not aligned to 0x%llx", kind_name(r->kind),
		    (unsigned long long)r->ia, (unsigned long long)r->size);
		if (depth) {
			struct tframe *p = &stack[depth - 1];

			CHK(r->ia >= p->ia && r->ia - p->ia < p->size,
			    "walk: entry ia 0x%llx outside its table (0x%llx + 0x%llx)",
			    (unsigned long long)r->ia, (unsigned long long)p->ia,
			    (unsigned long long)p->size);
			p->children++;
		}
		if (r->kind == S2PT_WALK_LEAF) {
			CHK(r->ia / TPAGE >= next_pg,
			    "walk: leaf at 0x%llx out of order or overlapping (next free page 0x%llx)",
			    (unsigned long long)r->ia, (unsigned long long)(next_pg * TPAGE));
			check_leaf(g, m, r);
			next_pg = r->ia / TPAGE + r->size / TPAGE;
			leaf_pages += r->size / TPAGE;
			st->leaves++;
			st->leaves_per_level[r->level]++;
			continue;
		}
		/* TABLE_PRE */
		CHK(r->level >= 1, "walk: table entry at level 0 (ia 0x%llx)",
		    (unsigned long long)r->ia);
		CHK(depth < S2PT_MAX_LEVELS, "walk: tables nested too deep");
		CHK(r->table_pa % TPAGE == 0, "walk: table at ia 0x%llx: table_pa 0x%llx unaligned",
		    (unsigned long long)r->ia, (unsigned long long)r->table_pa);
		pas[npas++] = r->table_pa;
		stack[depth++] = (struct tframe){
			.ia = r->ia, .size = r->size, .pte = r->pte, .level = r->level,
		};
		st->tables++;
		st->tables_per_level[r->level - 1]++;
	}
	CHK(depth == 0, "walk: %u TABLE_PRE without TABLE_POST", depth);
	tree_wl = w;

	/* no table page linked twice */
	qsort(pas, npas, sizeof(*pas), cmp_u64);
	for (size_t i = 1; i < npas; i++)
		CHK(pas[i] != pas[i - 1], "table page 0x%llx linked twice",
		    (unsigned long long)pas[i]);
	free(pas);

	if (m)
		CHK(leaf_pages == m->pages,
		    "the table maps %llu pages, the model %llu",
		    (unsigned long long)leaf_pages, (unsigned long long)m->pages);

	if (mm)
		test_rcu_barrier();
	ret = s2pt_info(pt, &info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++) {
		uint64_t want = st->tables_per_level[l];

		if (l == top)
			want += root_pages(&info);
		CHK(info.table_pages[l] == want,
		    "info.table_pages[%u] = %llu, reachable table pages at that level = %llu",
		    l, (unsigned long long)info.table_pages[l], (unsigned long long)want);
	}
	if (mm) {
		uint64_t want = root_pages(&info) + st->tables + info.spare_pages +
				info.empty_pages;

		CHK(tmm_live_pages(mm) == want,
		    "allocator pages in use %llu != root %llu + reachable tables %llu + spare %llu + shared invalid tables %llu",
		    (unsigned long long)tmm_live_pages(mm),
		    (unsigned long long)root_pages(&info), (unsigned long long)st->tables,
		    (unsigned long long)info.spare_pages, (unsigned long long)info.empty_pages);
	}
}
