// SPDX-License-Identifier: MIT
/*
 * Stress test: the address layout (stable runs, shared and owned churn
 * zones), case setup, and the checks every observed leaf must pass.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "stress/pmm.h"
#include "stress/stress.h"

#define PMM_PAGES	(1u << 16)	/* 256 MiB of address space for tables */
#define PMM_PA_BASE	(1ull << 32)
#define PMM_QUARANTINE	4096		/* pages a freed page waits before reuse */
#define MIXED_CHUNKS	64		/* 2 MiB chunks of the mixed area at 0 */

/* Candidate prots; a case keeps those its format encodes exactly. Closed
 * under removing W, which is what write-protecting harvest does. */
static const uint32_t prot_cand[] = {
	S2PT_R, S2PT_RW, S2PT_R | S2PT_X, S2PT_RWX,
	S2PT_R | S2PT_MT_NC, S2PT_RW | S2PT_MT_NC, S2PT_R | S2PT_SW0, S2PT_RW | S2PT_SW0,
};

void st_fail(struct st_case *c, const char *who, const char *fmt, ...)
{
	uint64_t n;
	va_list ap;

	__atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
	n = __atomic_fetch_add(&c->msgs, 1, __ATOMIC_RELAXED);
	if (n >= ST_MAX_MSGS)
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "  FAIL %s %s: ", c->fname, who);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

uint64_t st_model_val(unsigned k, unsigned pi)
{
	return (uint64_t)k << 4 | pi;
}

/* The zone holding @ia (binary search), or NULL. */
const struct zone *st_zone_of(const struct st_case *c, uint64_t ia)
{
	unsigned lo = 0, hi = c->nzones;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct zone *z = &c->zones[mid];

		if (ia < z->start)
			hi = mid;
		else if (ia - z->start >= z->size)
			lo = mid + 1;
		else
			return z;
	}
	return NULL;
}

/* Index of the first run ending after @ia. */
static size_t run_lower(const struct st_case *c, uint64_t ia)
{
	size_t lo = 0, hi = c->nruns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->runs[mid].ia + c->runs[mid].size <= ia)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The stable run holding @ia, or NULL. */
const struct srun *st_run_of(const struct st_case *c, uint64_t ia)
{
	size_t i = run_lower(c, ia);

	return i < c->nruns && ia >= c->runs[i].ia ? &c->runs[i] : NULL;
}

int st_prot_index(const struct st_case *c, uint32_t prot)
{
	for (unsigned i = 0; i < c->nprots; i++)
		if (c->prots[i] == prot)
			return (int)i;
	return -1;
}

static bool size_allowed(const struct st_case *c, uint64_t size, unsigned level)
{
	if (size != ST_PAGE << (9 * level))
		return false;
	for (unsigned i = 0; i < c->nsizes; i++)
		if (c->sizes[i] == size)
			return true;
	return false;
}

/* Stable pages: exactly as mapped at setup. Anywhere else: inside a zone,
 * oa = ia + k * ST_STRIDE for a churn k, a prot of the set, an allowed
 * leaf size, the whole leaf inside the zone. */
void st_check_leaf(struct st_case *c, struct st_thread *t, const char *how, uint64_t ia,
		   uint64_t oa, uint64_t size, unsigned level, uint32_t prot)
{
	const struct srun *r = st_run_of(c, ia);
	const struct zone *z;
	uint64_t lo = ia & ~(size - 1), d;

	if (oa >= c->canary) {
		st_fail(c, t->name, "%s(0x%" PRIx64 "): oa 0x%" PRIx64 " is in the poison range: "
			"a freed table page was read", how, ia, oa);
		return;
	}
	if (!size_allowed(c, size, level)) {
		st_fail(c, t->name, "%s(0x%" PRIx64 "): leaf size 0x%" PRIx64 " at level %u",
			how, ia, size, level);
		return;
	}
	if (r) {
		t->st.stable_checks++;
		if (oa != ia + ST_K_STABLE * ST_STRIDE || prot != r->prot || size != r->leaf)
			st_fail(c, t->name, "%s(0x%" PRIx64 ") stable: oa 0x%" PRIx64 " prot 0x%x "
				"size 0x%" PRIx64 ", want oa 0x%" PRIx64 " prot 0x%x size 0x%" PRIx64,
				how, ia, oa, prot, size, ia + ST_K_STABLE * ST_STRIDE, r->prot,
				r->leaf);
		return;
	}
	z = st_zone_of(c, ia);
	if (!z) {
		st_fail(c, t->name, "%s(0x%" PRIx64 "): oa 0x%" PRIx64 " mapped outside every "
			"zone and stable run", how, ia, oa);
		return;
	}
	t->st.leaf_seen[level]++;
	d = oa - ia;
	if (oa < ia || d % ST_STRIDE || d / ST_STRIDE < ST_K_MIN || d / ST_STRIDE > ST_K_MAX)
		st_fail(c, t->name, "%s(0x%" PRIx64 "): oa 0x%" PRIx64 " is no ia + k * 2^36 "
			"for k in %u..%u", how, ia, oa, ST_K_MIN, ST_K_MAX);
	else if (st_prot_index(c, prot) < 0)
		st_fail(c, t->name, "%s(0x%" PRIx64 "): prot 0x%x was never written", how, ia,
			prot);
	else if (lo < z->start || lo + size > z->start + z->size)
		st_fail(c, t->name, "%s(0x%" PRIx64 "): leaf [0x%" PRIx64 ", +0x%" PRIx64 ") "
			"leaves its zone [0x%" PRIx64 ", +0x%" PRIx64 ")", how, ia, lo, size,
			z->start, z->size);
}

/* What a walk visitor tracks. */
struct wstate {
	struct st_case *c;
	struct st_thread *t;
	uint64_t start, end;	/* the walked range */
	uint64_t prev_end;
	bool any;
	uint64_t stable_seen;	/* stable pages inside the range */
	const struct zone *exact;	/* final check: compare with its model */
	uint64_t exact_pages;
};

static uint64_t isect_pages(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	uint64_t lo = a > b ? a : b, hi = a + as < b + bs ? a + as : b + bs;

	return hi > lo ? (hi - lo) / ST_PAGE : 0;
}

/* An owned zone's leaf after the threads joined: every page as modelled. */
static void exact_leaf(struct wstate *w, const struct s2pt_visit *v)
{
	const struct zone *z = w->exact;
	uint64_t k = (v->leaf->oa - v->ia) / ST_STRIDE;
	int pi = st_prot_index(w->c, v->leaf->prot);

	if (v->ia < z->start || v->ia + v->size > z->start + z->size)
		return;		/* st_check_leaf reported it */
	for (uint64_t a = v->ia; a < v->ia + v->size; a += ST_PAGE) {
		uint64_t pg = (a - z->start) / ST_PAGE;

		if (pi < 0 || z->model[pg] != st_model_val((unsigned)k, (unsigned)pi)) {
			st_fail(w->c, "final", "owned zone of writer %u: page 0x%" PRIx64
				" maps k %" PRIu64 " prot 0x%x, its writer wrote %s k %u prot "
				"index %u", z->owner, a, k, v->leaf->prot,
				z->model[pg] ? "" : "nothing (0)", z->model[pg] >> 4,
				z->model[pg] & 15);
			return;
		}
	}
	w->exact_pages += v->size / ST_PAGE;
}

/* Each leaf a walk visits: well formed, in address order, inside the range,
 * a member; stable pages counted. */
static int walk_visit(const struct s2pt_visit *v, void *arg)
{
	struct wstate *w = arg;
	struct st_case *c = w->c;
	const struct s2pt_leaf *l = v->leaf;
	const struct srun *r;

	if (v->kind != S2PT_WALK_LEAF || !l || l->size != v->size || l->level != v->level) {
		st_fail(c, w->t->name, "walk: visit at 0x%" PRIx64 " kind %u: malformed leaf",
			v->ia, v->kind);
		return 0;
	}
	if (w->any && v->ia < w->prev_end)
		st_fail(c, w->t->name, "walk: leaf at 0x%" PRIx64 " before the end 0x%" PRIx64
			" of the previous one", v->ia, w->prev_end);
	if (v->ia + v->size <= w->start || v->ia >= w->end)
		st_fail(c, w->t->name, "walk [0x%" PRIx64 ", 0x%" PRIx64 "): leaf at 0x%" PRIx64
			" size 0x%" PRIx64 " outside the range", w->start, w->end, v->ia, v->size);
	w->any = true;
	w->prev_end = v->ia + v->size;
	w->t->st.walk_leaves++;
	st_check_leaf(c, w->t, "walk", v->ia, l->oa, l->size, l->level, l->prot);
	r = st_run_of(c, v->ia);
	if (r)
		w->stable_seen += isect_pages(v->ia, v->size, w->start, w->end - w->start);
	if (w->exact)
		exact_leaf(w, v);
	return 0;
}

/* Stable pages in [ia, ia + size). */
static uint64_t stable_in(const struct st_case *c, uint64_t ia, uint64_t size)
{
	uint64_t n = 0;

	for (size_t i = run_lower(c, ia); i < c->nruns && c->runs[i].ia < ia + size; i++)
		n += isect_pages(c->runs[i].ia, c->runs[i].size, ia, size);
	return n;
}

/* s2pt_walk() of [ia, ia + size) checked leaf by leaf; every stable page in
 * the range must be seen; with @exact (after the join) the owned zone must
 * be mapped exactly as its model says. */
static void walk_checked(struct st_case *c, struct st_thread *t, uint64_t ia, uint64_t size,
			 const struct zone *exact)
{
	struct wstate w = { .c = c, .t = t, .start = ia, .end = ia + size, .exact = exact };
	uint64_t want = stable_in(c, ia, size);
	int ret = s2pt_walk(c->pt, ia, size, S2PT_WALK_LEAF, walk_visit, &w);

	st_quiescent();
	t->st.walks++;
	if (ret)
		st_fail(c, t->name, "walk(0x%" PRIx64 ", 0x%" PRIx64 ") = %d", ia, size, ret);
	if (w.stable_seen != want)
		st_fail(c, t->name, "walk(0x%" PRIx64 ", 0x%" PRIx64 ") saw %" PRIu64 " of its %"
			PRIu64 " stable pages", ia, size, w.stable_seen, want);
	if (exact) {
		uint64_t n = 0;

		for (uint64_t p = 0; p < exact->size / ST_PAGE; p++)
			n += exact->model[p] != 0;
		if (n != w.exact_pages)
			st_fail(c, "final", "owned zone of writer %u: %" PRIu64 " pages mapped, "
				"its writer mapped %" PRIu64, exact->owner, w.exact_pages, n);
	}
}

void st_check_walk(struct st_case *c, struct st_thread *t, uint64_t ia, uint64_t size)
{
	walk_checked(c, t, ia, size, NULL);
}

/* The invalidate hook: arguments well formed. */
static void st_inv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct st_case *c = ctx;
	uint64_t top = 1ull << c->info.ia_bits;

	__atomic_fetch_add(&c->invs, 1, __ATOMIC_RELAXED);
	if (!size || ia % ST_PAGE || size % ST_PAGE || ia > top || size > top - ia ||
	    level < -1 || level >= (int)c->info.levels)
		st_fail(c, "invalidate", "invalidate(0x%" PRIx64 ", 0x%" PRIx64 ", %d): out of "
			"range", ia, size, level);
}

/* Geometry, prots and the accessed bit, probed on a scratch heap table. */
static int probe_format(struct st_case *c)
{
	struct s2pt *s;
	struct s2pt_leaf l;
	uint64_t bm = 0;
	int ret = s2pt_create(c->fmt, NULL, &s);

	if (ret)
		return ret;
	s2pt_info(s, &c->info);
	c->nsizes = 0;
	for (unsigned lv = 0; lv < c->info.levels; lv++)
		if (c->info.leaf_sizes & (ST_PAGE << (9 * lv)))
			c->sizes[c->nsizes++] = ST_PAGE << (9 * lv);
	c->nprots = 0;
	for (unsigned i = 0; i < sizeof(prot_cand) / sizeof(prot_cand[0]); i++) {
		uint64_t ia = (uint64_t)(i + 1) * ST_PAGE;
		uint32_t p = prot_cand[i];

		if (s2pt_map(s, ia, ia, ST_PAGE, p, 0) || s2pt_lookup(s, ia, &l) || l.prot != p)
			continue;
		if ((p & S2PT_W) && st_prot_index(c, p & ~S2PT_W) < 0)
			continue;	/* keep the set closed under removing W */
		c->prots[c->nprots++] = p;
	}
	c->harvest_young = s2pt_harvest(s, ST_PAGE, ST_PAGE, S2PT_HARVEST_YOUNG, &bm) !=
			   -EOPNOTSUPP;
	c->canary = UINT64_C(1) << (c->info.oa_bits - 1);
	s2pt_destroy(s);
	st_quiescent();
	return 0;
}

/* Append a zone (an owned one gets its zeroed model). */
static void add_zone(struct st_case *c, uint64_t start, uint64_t size, enum zone_kind kind,
		     unsigned owner)
{
	struct zone *z = &c->zones[c->nzones++];

	z->start = start;
	z->size = size;
	z->kind = kind;
	z->owner = owner;
	z->model = kind == Z_OWNED ? calloc(size / ST_PAGE, 1) : NULL;
}

/* Append a stable run. */
static void add_run(struct st_case *c, size_t *cap, uint64_t ia, uint64_t size, uint64_t leaf,
		    uint32_t prot)
{
	if (c->nruns == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		c->runs = realloc(c->runs, *cap * sizeof(*c->runs));
		if (!c->runs)
			abort();
	}
	c->runs[c->nruns++] = (struct srun){ .ia = ia, .size = size, .leaf = leaf, .prot = prot };
}

/*
 * The layout, below 16 GiB. The mixed area [0, 128 MiB) has 2 MiB chunks
 * in turn: a stable block; stable pages and a 1 MiB zone owned by one
 * writer in one level-0 table; a shared 2 MiB zone; stable pages with
 * holes. Then shared zones [128 MiB, 1 GiB) and [1 GiB, 3 GiB) (1 GiB
 * leaves), a stable [3 GiB, 4 GiB), and 1 GiB owned by each writer.
 */
static void build_layout(struct st_case *c)
{
	uint32_t np = c->nprots;
	uint64_t big = c->sizes[c->nsizes - 1] < ST_1G ? c->sizes[c->nsizes - 1] : ST_1G;
	size_t cap = 0;

	for (unsigned ch = 0; ch < MIXED_CHUNKS; ch++) {
		uint64_t b = ch * ST_2M;

		switch (ch % 4) {
		case 0:
			add_run(c, &cap, b, ST_2M, ST_2M, c->prots[st_hash(ch) % np]);
			break;
		case 1:
			for (unsigned j = 0; j < 16; j++)
				add_run(c, &cap, b + j * 16 * ST_PAGE, 16 * ST_PAGE, ST_PAGE,
					c->prots[st_hash(b / ST_PAGE + j) % np]);
			add_zone(c, b + ST_2M / 2, ST_2M / 2, Z_OWNED, (ch / 4) % c->nwriters);
			break;
		case 2:
			add_zone(c, b, ST_2M, Z_SHARED, 0);
			break;
		default:
			for (unsigned j = 0; j < 256; j++)
				add_run(c, &cap, b + 2 * j * ST_PAGE, ST_PAGE, ST_PAGE,
					c->prots[st_hash(b / ST_PAGE + 2 * j) % np]);
		}
	}
	add_zone(c, MIXED_CHUNKS * ST_2M, ST_1G - MIXED_CHUNKS * ST_2M, Z_SHARED, 0);
	add_zone(c, ST_1G, 2 * ST_1G, Z_SHARED, 0);
	add_run(c, &cap, 3 * ST_1G, ST_1G, big, c->prots[0]);
	for (unsigned w = 0; w < c->nwriters; w++)
		add_zone(c, (4 + w) * ST_1G, ST_1G, Z_OWNED, w);
	c->stable_pages = stable_in(c, 0, ST_IA_END);
}

/* Probe the format, choose the poison, create the provider and the table,
 * lay out the zones and map the stable runs (each checked). Return: 0, 1
 * (failed), 77 (the format cannot run this layout). */
int st_case_setup(struct st_case *c)
{
	struct s2pt_opts o = { .sz = sizeof(o) };
	uint64_t poison;
	int ret = probe_format(c);

	if (ret) {
		printf("  SKIP %s: probing the format failed (%d)\n", c->fname, ret);
		return 77;
	}
	if (c->info.ia_bits < 36 || c->info.oa_bits < 40 || c->nsizes < 2 ||
	    c->sizes[1] != ST_2M || c->nprots < 2) {
		printf("  SKIP %s: needs ia >= 36 bits, oa >= 40 bits, 2 MiB leaves and two "
		       "prots (has %u, %u, %u sizes, %u prots)\n", c->fname, c->info.ia_bits,
		       c->info.oa_bits, c->nsizes, c->nprots);
		return 77;
	}
	poison = st_pick_poison(c);
	c->mm = pmm_create(PMM_PAGES, PMM_PA_BASE, PMM_QUARANTINE, poison, c->canary);
	if (!c->mm) {
		printf("  SKIP %s: no memory for the page provider\n", c->fname);
		return 77;
	}
	o.mm = &pmm_ops;
	o.mm_ctx = c->mm;
	o.invalidate = st_inv;
	o.inv_ctx = c;
	o.ia_bits = c->info.ia_bits;
	o.flags = c->mode == ST_MULTI ? 0 : S2PT_OPT_SINGLE_WRITER;
	ret = s2pt_create(c->fmt, &o, &c->pt);
	if (ret) {
		st_fail(c, "setup", "s2pt_create: %d", ret);
		return 1;
	}
	build_layout(c);
	for (size_t i = 0; i < c->nruns; i++) {
		const struct srun *r = &c->runs[i];
		struct s2pt_leaf l;

		ret = s2pt_map(c->pt, r->ia, r->ia + ST_K_STABLE * ST_STRIDE, r->size, r->prot,
			       r->leaf > ST_PAGE ? S2PT_MAP_HUGE : 0);
		if (!ret)
			ret = s2pt_lookup(c->pt, r->ia, &l);
		if (ret || l.size != r->leaf)
			st_fail(c, "setup", "stable run 0x%" PRIx64 " +0x%" PRIx64 ": map/lookup %d, "
				"leaf size 0x%" PRIx64 " (want 0x%" PRIx64 ")", r->ia, r->size, ret,
				ret ? 0 : l.size, r->leaf);
	}
	st_quiescent();
	return __atomic_load_n(&c->failures, __ATOMIC_RELAXED) ? 1 : 0;
}

/* Every table reachable from [0, ST_IA_END): count per level, no page
 * linked twice. */
struct tstate {
	struct st_case *c;
	uint64_t per_level[S2PT_MAX_LEVELS], n;
	uint64_t *pas;
	size_t npas, cap;
};

/* Count one table entry; remember the table's address. */
static int table_visit(const struct s2pt_visit *v, void *arg)
{
	struct tstate *s = arg;

	if (v->kind != S2PT_WALK_TABLE_PRE || v->level == 0 || v->table_pa % ST_PAGE) {
		st_fail(s->c, "final", "walk: table entry at 0x%" PRIx64 " level %u pa 0x%" PRIx64
			" malformed", v->ia, v->level, v->table_pa);
		return 0;
	}
	s->per_level[v->level - 1]++;
	s->n++;
	if (s->npas == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->pas = realloc(s->pas, s->cap * sizeof(*s->pas));
		if (!s->pas)
			abort();
	}
	s->pas[s->npas++] = v->table_pa;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Tables reachable == table_pages per level == allocator pages in use. */
static void check_tree(struct st_case *c)
{
	struct tstate s = { .c = c };
	struct s2pt_info in;
	struct pmm_counts pc;
	uint64_t root = c->info.root_bytes / ST_PAGE, want;
	int ret = s2pt_walk(c->pt, 0, ST_IA_END, S2PT_WALK_TABLE_PRE, table_visit, &s);

	if (ret)
		st_fail(c, "final", "table walk: %d", ret);
	qsort(s.pas, s.npas, sizeof(*s.pas), cmp_u64);
	for (size_t i = 1; i < s.npas; i++)
		if (s.pas[i] == s.pas[i - 1])
			st_fail(c, "final", "table page 0x%" PRIx64 " linked twice", s.pas[i]);
	free(s.pas);
	s2pt_info(c->pt, &in);
	for (unsigned l = 0; l < in.levels; l++) {
		want = s.per_level[l] + (l == in.levels - 1 ? root : 0);
		if (in.table_pages[l] != want)
			st_fail(c, "final", "info.table_pages[%u] = %" PRIu64 ", reachable %" PRIu64,
				l, in.table_pages[l], want);
	}
	pmm_counts(c->mm, &pc);
	want = root + s.n + in.spare_pages + in.empty_pages;
	if (pc.live_pages != want)
		st_fail(c, "final", "allocator pages in use %" PRIu64 " != root %" PRIu64
			" + reachable tables %" PRIu64 " + spare %" PRIu64 " + shared invalid %"
			PRIu64, pc.live_pages, root, s.n, in.spare_pages, in.empty_pages);
}

/* After the join: owned zones exact, everything a member with every stable
 * page present, tree and accounting consistent; then destroy: every page
 * back, no error seen by the provider, quarantine poison intact. */
void st_final_checks(struct st_case *c, struct st_thread *t)
{
	struct pmm_counts pc;
	uint64_t errs;

	for (unsigned i = 0; i < c->nzones; i++)
		if (c->zones[i].kind == Z_OWNED)
			walk_checked(c, t, c->zones[i].start, c->zones[i].size, &c->zones[i]);
	walk_checked(c, t, 0, ST_IA_END, NULL);	/* stable all there, churn members */
	urcu_memb_barrier();	/* deferred table frees done */
	check_tree(c);
	s2pt_destroy(c->pt);
	c->pt = NULL;
	pmm_counts(c->mm, &pc);
	if (pc.live_pages || pc.allocs != pc.frees)
		st_fail(c, "final", "after s2pt_destroy: %" PRIu64 " pages in use, %" PRIu64
			" allocations, %" PRIu64 " frees", pc.live_pages, pc.allocs, pc.frees);
	c->mm_peak = pc.peak_pages;
	c->mm_allocs = pc.allocs;
	errs = pmm_destroy(c->mm);	/* drains the quarantine: poison intact? */
	c->mm = NULL;
	if (errs)
		st_fail(c, "final", "%" PRIu64 " page-provider errors (printed above as mm)", errs);
}

/* Free what setup made (whatever a failed case left). */
void st_case_teardown(struct st_case *c)
{
	if (c->pt)
		s2pt_destroy(c->pt);
	if (c->mm)
		pmm_destroy(c->mm);
	for (unsigned i = 0; i < c->nzones; i++)
		free(c->zones[i].model);
	free(c->runs);
	c->runs = NULL;
	c->nzones = 0;
	c->nruns = 0;
}
