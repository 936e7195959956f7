/* SPDX-License-Identifier: MIT */
/*
 * Randomized operation sequences on every format, checked after every step
 * against the reference model (tests/model): translations, leaf shapes,
 * table structure, allocator accounting and TLB-invalidation calls.
 * Replay: S2PT_SEED=<seed> [S2PT_FORMAT=<name>] [S2PT_OPS=<per format>]
 * build/tests/unit --filter 'random/ops'. S2PT_SEED=random picks a fresh seed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "model/model.h"

#define MIN_TOTAL_OPS	200000	/* over all formats, default run */
#define MIN_FMT_OPS	8000	/* per format */
#define FULL_EVERY	8	/* full-tree check period (steps) */
#define ATTACH_EVERY	97	/* attach-view cross-check period */
#define LEAF_BUDGET	10000	/* above this many leaves, unmap a region */
#define EXT_BUDGET	1000	/* model extents */
#define OP_LEAVES	256 	/* leaves one operation may create, about */
#define NEPOCH		4	/* table configurations per format */
#define HIST		48	/* operations remembered for the failure dump */
#define REGION_SIZE	(16 * TGIB)

enum op_kind { OP_MAP, OP_UNMAP, OP_PROTECT, OP_SPLIT, OP_COLLAPSE, OP_NKINDS };
static const char *const op_names[] = { "map", "unmap", "protect", "split", "collapse" };

struct inv_call {
	uint64_t ia, size, seq;
	int level;
};

struct free_ev {
	uint64_t pa, seq;
	size_t bytes;
};

struct region {
	uint64_t start, size;	/* start + size may be 2^64 (wraps to 0) */
};

struct rt {
	const struct s2pt_fmt *fmt;
	const char *name;
	uint64_t base_seed;
	unsigned epoch;
	struct trng rng;
	struct s2pt *pt;
	struct tmm mm;
	struct tgeo g;
	struct model m;
	uint64_t sizes[S2PT_MAX_LEVELS];	/* allowed leaf sizes, ascending */
	unsigned nsizes;
	uint32_t *good, *bad;			/* accepted / refused prots */
	size_t ngood, nbad;
	struct region reg[4];
	unsigned nreg;
	/* per-operation records */
	struct inv_call *inv;
	size_t ninv, capinv;
	struct free_ev *fev;
	size_t nfev, capfev;
	bool recording;
	pthread_t self;				/* the thread running the ops */
	struct wlist pre, post, tmp;
	uint64_t step, leaves;
	struct region recent[8];		/* split or collapsible runs, to collapse */
	unsigned nrecent;
	/* history for the failure dump */
	char hist[HIST][200];
	uint64_t nhist;
	/* statistics */
	uint64_t ops[OP_NKINDS], ok[OP_NKINDS], eexist, einval, huge_leaves,
		 block_leaves_seen, folds, splits_done, full_checks, invs, sum_leaves, sum_ext,
		 upper_ops, edge_ops, wipes;
};

/* ------------------------------------------------------------------ */

static void rt_dump(void *arg)
{
	struct rt *t = arg;
	uint64_t first = t->nhist > HIST ? t->nhist - HIST : 0;

	fprintf(stderr, "*** last operations (format %s, epoch %u, seed 0x%llx):\n",
		t->name, t->epoch, (unsigned long long)t->base_seed);
	for (uint64_t i = first; i < t->nhist; i++)
		fprintf(stderr, "    %s\n", t->hist[i % HIST]);
	fprintf(stderr, "*** replay: S2PT_SEED=0x%llx S2PT_FORMAT=%s build/tests/unit "
		"--filter 'random/*'\n", (unsigned long long)t->base_seed, t->name);
}

static void rt_hist(struct rt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rt_hist(struct rt *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->hist[t->nhist % HIST], sizeof(t->hist[0]), fmt, ap);
	va_end(ap);
	t->nhist++;
}

static void rt_inv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct rt *t = ctx;

	t->invs++;
	CHK(t->recording, "invalidate(0x%llx, 0x%llx, %d) called outside of any operation",
	    (unsigned long long)ia, (unsigned long long)size, level);
	if (t->ninv == t->capinv) {
		t->capinv = t->capinv ? 2 * t->capinv : 64;
		t->inv = realloc(t->inv, t->capinv * sizeof(*t->inv));
		CHK(t->inv, "out of memory");
	}
	t->inv[t->ninv++] = (struct inv_call){
		.ia = ia, .size = size, .level = level, .seq = tmm_tick(&t->mm),
	};
}

static void rt_on_free(void *arg, uint64_t pa, size_t bytes, uint64_t seq)
{
	struct rt *t = arg;

	if (!pthread_equal(pthread_self(), t->self) || !t->recording)
		return;		/* deferred (RCU callback) frees: after the operation */
	if (t->nfev == t->capfev) {
		t->capfev = t->capfev ? 2 * t->capfev : 64;
		t->fev = realloc(t->fev, t->capfev * sizeof(*t->fev));
		CHK(t->fev, "out of memory");
	}
	t->fev[t->nfev++] = (struct free_ev){ .pa = pa, .bytes = bytes, .seq = seq };
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint64_t rnd(struct rt *t, uint64_t n)
{
	return trng_below(&t->rng, n);
}

static bool chance(struct rt *t, unsigned pct)
{
	return trng_chance(&t->rng, pct);
}

static uint64_t max_size(const struct rt *t)
{
	return t->sizes[t->nsizes - 1];
}

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
static bool isect(uint64_t a, uint64_t as, uint64_t b, uint64_t bs, uint64_t *lo, uint64_t *hi)
{
	uint64_t a0 = a / TPAGE, a1 = a0 + as / TPAGE, b0 = b / TPAGE, b1 = b0 + bs / TPAGE;

	*lo = a0 > b0 ? a0 : b0;
	*hi = a1 < b1 ? a1 : b1;
	return *lo < *hi;
}

/* The op range extended by a page on each side, inside the same half. */
static void extend(const struct rt *t, uint64_t ia, uint64_t size, uint64_t *lo, uint64_t *len)
{
	*lo = ia;
	*len = size;
	if (tgeo_range_ok(&t->g, ia - TPAGE, size + TPAGE) && ia != 0 && ia != 0 - t->g.half) {
		*lo = ia - TPAGE;
		*len += TPAGE;
	}
	if (tgeo_range_ok(&t->g, *lo, *len + TPAGE))
		*len += TPAGE;
}

static void leaves_only(const struct wlist *in, struct wlist *out)
{
	out->n = 0;
	for (size_t i = 0; i < in->n; i++) {
		if (in->r[i].kind != S2PT_WALK_LEAF)
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->r = realloc(out->r, out->cap * sizeof(*out->r));
			CHK(out->r, "out of memory");
		}
		out->r[out->n++] = in->r[i];
	}
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

/* ------------------------------------------------------------------ */
/* Setup                                                               */

static const uint32_t cand_bits[] = {
	S2PT_R, S2PT_W, S2PT_X, S2PT_XU, S2PT_XS, S2PT_U, S2PT_G,
};

/* Which prots does the format accept? Tried on a scratch table; each
 * accepted one must decode exactly as requested and obey the generic
 * rules (readable or executable, write needs read). */
static void probe_prots(struct rt *t, uint64_t leaf_sizes, unsigned flags, unsigned ia_bits)
{
	struct tmm mm;
	struct s2pt *pt;
	struct s2pt_leaf leaf;
	size_t cap = 8192;
	int ret;

	tmm_init(&mm);
	ret = tcreate(t->fmt, &mm, ia_bits, leaf_sizes, flags, NULL, NULL, &pt);
	CHK(ret == 0, "probe: create: %d", ret);
	/* keep a neighbour mapped so the probe's tables stay */
	ret = s2pt_map(pt, 0x201000, 0x5000, TPAGE, S2PT_R, 0);
	CHK(ret == 0, "probe: map R: %d", ret);
	free(t->good);
	free(t->bad);
	t->good = malloc(cap * sizeof(uint32_t));
	t->bad = malloc(cap * sizeof(uint32_t));
	t->ngood = t->nbad = 0;
	for (uint32_t b = 0; b < 128; b++) {
		for (uint32_t mt = 0; mt < 3; mt++) {
			for (uint32_t sw = 0; sw < 16; sw++) {
				uint32_t prot = mt << S2PT_MT_SHIFT | sw << 12;

				for (unsigned i = 0; i < 7; i++)
					if (b & (1u << i))
						prot |= cand_bits[i];
				ret = s2pt_map(pt, 0x200000, 0x7000, TPAGE, prot, 0);
				if (ret == -EINVAL) {
					t->bad[t->nbad++] = prot;
					continue;
				}
				CHK(ret == 0, "probe: map prot 0x%x: %d", prot, ret);
				CHK((prot & (S2PT_R | S2PT_X | S2PT_XU | S2PT_XS)) &&
				    (!(prot & S2PT_W) || (prot & S2PT_R)),
				    "prot 0x%x accepted: neither readable nor executable, or "
				    "write without read", prot);
				ret = s2pt_lookup(pt, 0x200000, &leaf);
				CHK(ret == 0 && leaf.prot == prot && leaf.oa == 0x7000,
				    "probe: prot 0x%x accepted but lookup gives %d, prot 0x%x oa 0x%llx",
				    prot, ret, leaf.prot, (unsigned long long)leaf.oa);
				ret = s2pt_unmap(pt, 0x200000, TPAGE);
				CHK(ret == 0, "probe: unmap: %d", ret);
				t->good[t->ngood++] = prot;
			}
		}
	}
	s2pt_destroy(pt);
	test_rcu_barrier();
	tmm_fini(&mm);
	CHK(t->ngood > 0, "the format accepts no prot at all");
	{
		bool r = false, rw = false;

		for (size_t i = 0; i < t->ngood; i++) {
			r |= t->good[i] == S2PT_R;
			rw |= t->good[i] == S2PT_RW;
		}
		CHK(r && rw, "S2PT_R or S2PT_RW refused");
	}
}

static void add_region(struct rt *t, uint64_t start, uint64_t size)
{
	t->reg[t->nreg++] = (struct region){ start, size };
}

static void setup_regions(struct rt *t)
{
	uint64_t half = t->g.half, rs = REGION_SIZE < half ? REGION_SIZE : half;

	t->nreg = 0;
	add_region(t, 0, rs);
	if (half > rs)
		add_region(t, half - rs, rs);
	if (t->g.canonical) {
		add_region(t, 0 - half, rs);
		add_region(t, 0 - rs, rs);
	}
}

/* The format's known input-width range (DESIGN.md); others: default only. */
static unsigned pick_ia_bits(struct rt *t)
{
	if (!strcmp(t->name, "arm64_s2"))
		return 32 + (unsigned)rnd(t, 17);
	return 0;
}

static void rt_open(struct rt *t, unsigned epoch)
{
	struct s2pt_info full;
	uint64_t ls = 0;
	unsigned flags = 0, ia_bits = 0;
	int ret;

	t->epoch = epoch;
	t->nrecent = 0;		/* ranges of the previous table (maybe wider) */
	trng_seed(&t->rng, t->base_seed ^ hash_str(t->name) ^ (0x9e37ull * (epoch + 1)));
	tmm_init(&t->mm);
	t->mm.on_free = rt_on_free;
	t->mm.ev_arg = t;
	model_init(&t->m);

	/* the format's full leaf-size set, from a default table */
	ret = tcreate(t->fmt, &t->mm, 0, 0, 0, NULL, NULL, &t->pt);
	CHK(ret == 0, "create (defaults): %d", ret);
	ret = s2pt_info(t->pt, &full);
	CHK(ret == 0, "info: %d", ret);
	s2pt_destroy(t->pt);
	t->pt = NULL;

	switch (epoch) {
	case 0:
		break;
	case 1: {
		/* and accessed/dirty flags where the format has the option (EPT) */
		struct s2pt *scratch;

		flags = S2PT_OPT_SINGLE_WRITER;
		if (tcreate(t->fmt, NULL, 0, 0, S2PT_OPT_AD, NULL, NULL, &scratch) == 0) {
			s2pt_destroy(scratch);
			flags |= S2PT_OPT_AD;
		}
		break;
	}
	case 2: {
		/* a contiguous prefix of the format's sizes: 4 KiB .. some size */
		unsigned n = 0;

		for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
			if (full.leaf_sizes & TLEVEL_SIZE(l))
				n++;
		n = 1 + (unsigned)rnd(t, n > 1 ? n - 1 : 1);
		for (unsigned l = 0; l < n; l++)
			ls |= TLEVEL_SIZE(l);
		break;
	}
	default:
		ia_bits = pick_ia_bits(t);
		flags = chance(t, 50) ? S2PT_OPT_SINGLE_WRITER : 0;
		break;
	}
	chk_context("format %s epoch %u seed 0x%llx (setup: ia_bits %u leaf_sizes 0x%llx flags %#x)",
		    t->name, epoch, (unsigned long long)t->base_seed, ia_bits,
		    (unsigned long long)ls, flags);
	ret = tcreate(t->fmt, &t->mm, ia_bits, ls, flags, rt_inv, t, &t->pt);
	CHK(ret == 0, "create(ia_bits %u, leaf_sizes 0x%llx, flags %#x): %d", ia_bits,
	    (unsigned long long)ls, flags, ret);
	tgeo_get(t->pt, &t->g);
	CHK(!ls || t->g.info.leaf_sizes == ls, "info.leaf_sizes 0x%llx, asked 0x%llx",
	    (unsigned long long)t->g.info.leaf_sizes, (unsigned long long)ls);
	CHK(!ia_bits || t->g.info.ia_bits == ia_bits, "info.ia_bits %u, asked %u",
	    t->g.info.ia_bits, ia_bits);
	CHK(t->g.info.leaf_sizes & TPAGE, "leaf_sizes 0x%llx without 4 KiB",
	    (unsigned long long)t->g.info.leaf_sizes);
	t->nsizes = 0;
	for (unsigned l = 0; l < t->g.info.levels; l++)
		if (t->g.info.leaf_sizes & TLEVEL_SIZE(l))
			t->sizes[t->nsizes++] = TLEVEL_SIZE(l);
	probe_prots(t, ls, flags, ia_bits);
	setup_regions(t);
	wlist_init(&t->pre);
	wlist_init(&t->post);
	wlist_init(&t->tmp);
	t->leaves = 0;
	tree_check(t->pt, &t->g, &t->m, &t->mm, NULL);
}

static void rt_close(struct rt *t)
{
	tree_check(t->pt, &t->g, &t->m, &t->mm, NULL);
	s2pt_destroy(t->pt);
	t->pt = NULL;
	test_rcu_barrier();
	CHK(tmm_live_pages(&t->mm) == 0, "destroy left %llu pages allocated",
	    (unsigned long long)tmm_live_pages(&t->mm));
	tmm_fini(&t->mm);
	model_fini(&t->m);
	wlist_fini(&t->pre);
	wlist_fini(&t->post);
	wlist_fini(&t->tmp);
}

/* ------------------------------------------------------------------ */
/* Operation generation                                                */

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

/* ------------------------------------------------------------------ */
/* Per-operation checks                                                */

struct opctx {
	enum op_kind kind;
	uint64_t ia, size, oa, leaf_size;
	uint32_t prot;
	unsigned flags;
	int want, ret;
	uint64_t lo, len;		/* the op range and a page on each side */
	uint64_t wlo, wlen;		/* that and every leaf it intersected */
	uint64_t seq0, allocs0;
	bool range_was_empty;
};

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

static void check_invalidations(struct rt *t, const struct opctx *o, const struct wlist *pre)
{
	check_calls_sane(t);
	if (o->kind == OP_MAP && o->range_was_empty)
		CHK(t->ninv == 0,
		    "map into an empty range called invalidate(0x%llx, 0x%llx, %d): "
		    "not-present -> present needs none", (unsigned long long)t->inv[0].ia,
		    (unsigned long long)t->inv[0].size, t->inv[0].level);

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
static void check_map_shape(struct rt *t, const struct opctx *o)
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

static void check_split_shape(struct rt *t, const struct opctx *o, const struct wlist *pre)
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

static void check_collapse_shape(struct rt *t, const struct opctx *o, const struct wlist *pre)
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

static void check_lookups(struct rt *t, const struct opctx *o)
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
static void check_range(struct rt *t, const struct opctx *o, const struct wlist *pre)
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

/* ------------------------------------------------------------------ */
/* One step                                                            */

static int do_op(struct rt *t, struct opctx *o)
{
	switch (o->kind) {
	case OP_MAP:
		return s2pt_map(t->pt, o->ia, o->oa, o->size, o->prot, o->flags);
	case OP_UNMAP:
		return s2pt_unmap(t->pt, o->ia, o->size);
	case OP_PROTECT:
		return s2pt_protect(t->pt, o->ia, o->size, o->prot);
	case OP_SPLIT:
		return s2pt_split(t->pt, o->ia, o->size, o->leaf_size);
	case OP_COLLAPSE:
		return s2pt_collapse(t->pt, o->ia, o->size);
	default:
		return -1;
	}
}

static void gen_op(struct rt *t, struct opctx *o)
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

static void rt_step(struct rt *t)
{
	struct opctx o;
	struct wlist *pre = &t->pre;
	uint64_t lo, hi;
	char desc[200];

	gen_op(t, &o);
	t->upper_ops += o.ia >= t->g.half;
	t->edge_ops += o.ia + o.size == 0 || o.ia + o.size == t->g.half;
	CHK(tgeo_range_ok(&t->g, o.ia, o.size), "generator: bad range 0x%llx+0x%llx",
	    (unsigned long long)o.ia, (unsigned long long)o.size);
	extend(t, o.ia, o.size, &o.lo, &o.len);
	snprintf(desc, sizeof(desc), "#%llu %s(ia 0x%llx, size 0x%llx, oa 0x%llx, prot 0x%x, "
		 "flags %#x, leaf_size 0x%llx) want %d", (unsigned long long)t->step,
		 op_names[o.kind], (unsigned long long)o.ia, (unsigned long long)o.size,
		 (unsigned long long)o.oa, o.prot, o.flags, (unsigned long long)o.leaf_size,
		 o.want);
	rt_hist(t, "%s", desc);
	chk_context("format %s epoch %u seed 0x%llx step %llu: %s", t->name, t->epoch,
		    (unsigned long long)t->base_seed, (unsigned long long)t->step, desc);

	wlist_walk(t->pt, o.lo, o.len, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, pre);
	o.range_was_empty = !model_any(&t->m, o.ia, o.size);
	o.wlo = o.lo;
	o.wlen = o.len;
	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *r = &pre->r[i];
		uint64_t e = o.wlo + o.wlen;	/* may be 0: the end of the space */

		if (r->kind != S2PT_WALK_LEAF)
			continue;
		if (r->ia < o.wlo) {
			o.wlen += o.wlo - r->ia;
			o.wlo = r->ia;
		}
		if (e && r->ia + r->size - 1 > e - 1)
			o.wlen = r->ia + r->size - o.wlo;
	}
	{
		/* the pre-walk itself agrees with the model's emptiness */
		bool any = false;

		for (size_t i = 0; i < pre->n; i++)
			any |= pre->r[i].kind == S2PT_WALK_LEAF &&
			       isect(pre->r[i].ia, pre->r[i].size, o.ia, o.size, &lo, &hi);
		CHK(any == !o.range_was_empty, "before the op: the table %s mappings in the "
		    "range, the model %s", any ? "has" : "has no",
		    o.range_was_empty ? "none" : "some");
	}
	t->ninv = 0;
	t->nfev = 0;
	o.allocs0 = tmm_allocs(&t->mm);
	t->recording = true;
	o.ret = do_op(t, &o);
	t->recording = false;
	t->ops[o.kind]++;
	snprintf(t->hist[(t->nhist - 1) % HIST] + strlen(desc),
		 sizeof(t->hist[0]) - strlen(desc), " -> %d, %zu inv", o.ret, t->ninv);

	CHK(o.ret == o.want, "%s returned %d, expected %d", op_names[o.kind], o.ret, o.want);
	if (o.kind == OP_COLLAPSE)
		CHK(tmm_allocs(&t->mm) == o.allocs0, "collapse allocated %llu table pages",
		    (unsigned long long)(tmm_allocs(&t->mm) - o.allocs0));

	if (o.ret) {
		/* refused: nothing may change, nothing invalidated */
		if (o.ret == -EEXIST)
			t->eexist++;
		else
			t->einval++;
		wlist_walk(t->pt, o.lo, o.len, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, &t->post);
		{
			char why[400];

			if (!wlist_equal(pre, &t->post, why, sizeof(why)))
				chk_fail("%s refused with %d but the table changed: %s",
					 op_names[o.kind], o.ret, why);
		}
		CHK(t->ninv == 0, "%s refused with %d but called invalidate", op_names[o.kind],
		    o.ret);
		check_lookups(t, &o);
		return;
	}
	t->ok[o.kind]++;
	switch (o.kind) {
	case OP_MAP:
		CHK(model_map(&t->m, o.ia, o.oa, o.size, o.prot, o.flags) == 0, "model");
		break;
	case OP_UNMAP:
		model_unmap(&t->m, o.ia, o.size);
		break;
	case OP_PROTECT:
		model_protect(&t->m, o.ia, o.size, o.prot);
		break;
	case OP_SPLIT:
		model_split(&t->m, o.ia, o.size, o.leaf_size);
		break;
	case OP_COLLAPSE:
		model_collapse(&t->m, o.ia, o.size);
		break;
	default:
		break;
	}
	wlist_walk(t->pt, o.wlo, o.wlen, S2PT_WALK_LEAF, &t->post);
	check_range(t, &o, pre);
	check_invalidations(t, &o, pre);
	if (o.kind == OP_MAP)
		check_map_shape(t, &o);
	if (o.kind == OP_SPLIT) {
		struct wlist pl;

		wlist_init(&pl);
		leaves_only(pre, &pl);
		check_split_shape(t, &o, &pl);
		wlist_fini(&pl);
	}
	if (o.kind == OP_COLLAPSE) {
		struct wlist pl;

		wlist_init(&pl);
		leaves_only(pre, &pl);
		check_collapse_shape(t, &o, &pl);
		wlist_fini(&pl);
	}
	check_lookups(t, &o);
}

static void attach_check(struct rt *t)
{
	struct s2pt_opts opts = {
		.sz = sizeof(opts), .mm = &tmm_ops, .mm_ctx = &t->mm,
		.ia_bits = t->g.info.ia_bits, .leaf_sizes = t->g.info.leaf_sizes,
	};
	struct s2pt *view;
	struct s2pt_info vi;
	struct wlist a, b;
	char why[400];
	int ret;

	ret = s2pt_attach(t->fmt, s2pt_root(t->pt), &opts, &view);
	CHK(ret == 0, "attach: %d", ret);
	ret = s2pt_info(view, &vi);
	CHK(ret == 0 && vi.read_only, "attach: info %d read_only %d", ret, vi.read_only);
	wlist_init(&a);
	wlist_init(&b);
	wlist_walk_all(t->pt, &t->g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &a);
	wlist_walk_all(view, &t->g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &b);
	if (!wlist_equal(&a, &b, why, sizeof(why)))
		chk_fail("an attached view walks differently from its table: %s", why);
	for (int k = 0; k < 16 && t->m.n; k++) {
		const struct model_ext *x = &t->m.e[rnd(t, t->m.n)];

		check_lookup(view, &t->g, &t->m, (x->pg + rnd(t, x->npg)) * TPAGE + rnd(t, TPAGE));
	}
	wlist_fini(&a);
	wlist_fini(&b);
	s2pt_destroy(view);
}

static void full_check(struct rt *t)
{
	struct tree_stats st;

	tree_check(t->pt, &t->g, &t->m, &t->mm, &st);
	t->leaves = st.leaves;
	t->full_checks++;
	t->sum_leaves += st.leaves;
	t->sum_ext += t->m.n;
}

/* ------------------------------------------------------------------ */
/* The test                                                            */

struct fmt_param {
	char name[32];
	unsigned nfmt;
};

static uint64_t base_seed(void)
{
	const char *s = getenv("S2PT_SEED");

	if (s && !strcmp(s, "random")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
	}
	if (s && *s)
		return strtoull(s, NULL, 0);
	return 0x5332505452414e44ull;	/* fixed by default: CI is reproducible */
}

static uint64_t ops_per_format(unsigned nfmt)
{
	const char *s = getenv("S2PT_OPS");
	uint64_t n;

	if (s && *s)
		return strtoull(s, NULL, 0);
	n = (MIN_TOTAL_OPS + nfmt - 1) / (nfmt ? nfmt : 1);
	return n < MIN_FMT_OPS ? MIN_FMT_OPS : n;
}

ParameterizedTestParameters(random, ops)
{
	static struct fmt_param p[64];
	unsigned n = 0;

	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f && n < 64; f = s2pt_fmt_next(f)) {
		snprintf(p[n].name, sizeof(p[n].name), "%s", s2pt_fmt_name(f));
		n++;
	}
	for (unsigned i = 0; i < n; i++)
		p[i].nfmt = n;
	return cr_make_param_array(struct fmt_param, p, n);
}

ParameterizedTest(struct fmt_param *p, random, ops, .init = test_rcu_register,
		  .fini = test_rcu_unregister, .timeout = 600)
{
	const char *only = getenv("S2PT_FORMAT");
	struct rt *t;
	uint64_t total, per;

	if (only && *only && strcmp(only, p->name))
		return;
	t = calloc(1, sizeof(*t));
	cr_assert(t);
	t->fmt = s2pt_fmt_find(p->name);
	cr_assert(t->fmt, "s2pt_fmt_find(\"%s\") failed for a name from s2pt_fmt_next", p->name);
	t->name = p->name;
	t->self = pthread_self();
	t->base_seed = base_seed();
	chk_set_dump(rt_dump, t);
	total = ops_per_format(p->nfmt);
	per = (total + NEPOCH - 1) / NEPOCH;
	for (unsigned e = 0; e < NEPOCH; e++) {
		rt_open(t, e);
		for (uint64_t i = 0; i < per; i++) {
			t->step++;
			rt_step(t);
			if (t->step % FULL_EVERY == 0) {
				chk_context("format %s epoch %u seed 0x%llx step %llu: full check after "
					    "the last op", t->name, e, (unsigned long long)t->base_seed,
					    (unsigned long long)t->step);
				full_check(t);
			}
			if (t->step % ATTACH_EVERY == 0)
				attach_check(t);
		}
		chk_context("format %s epoch %u seed 0x%llx: closing", t->name, e,
			    (unsigned long long)t->base_seed);
		rt_close(t);
	}
	cr_log_info("random/%s: %llu ops (map %llu/%llu ok, unmap %llu, protect %llu, split %llu, "
		    "collapse %llu), %llu EEXIST, %llu EINVAL, %llu huge leaves made, %llu blocks "
		    "split, %llu folds seen, %llu invalidations, %llu full checks",
		    t->name, (unsigned long long)t->step, (unsigned long long)t->ops[OP_MAP],
		    (unsigned long long)t->ok[OP_MAP], (unsigned long long)t->ops[OP_UNMAP],
		    (unsigned long long)t->ops[OP_PROTECT], (unsigned long long)t->ops[OP_SPLIT],
		    (unsigned long long)t->ops[OP_COLLAPSE], (unsigned long long)t->eexist,
		    (unsigned long long)t->einval, (unsigned long long)t->huge_leaves,
		    (unsigned long long)t->splits_done, (unsigned long long)t->folds,
		    (unsigned long long)t->invs, (unsigned long long)t->full_checks);
	if (getenv("S2PT_STATS"))
		fprintf(stderr, "random/%s: %llu ops (map %llu/%llu ok, unmap %llu, protect %llu, "
			"split %llu, collapse %llu), %llu EEXIST, %llu EINVAL, %llu huge leaves, "
			"%llu blocks split, %llu folds, %llu invalidations, %llu full checks, "
			"mean leaves %llu, mean extents %llu, %llu ops in the upper half, %llu ending "
			"at the end of a half, %llu region wipes\n",
			t->name, (unsigned long long)t->step, (unsigned long long)t->ops[OP_MAP],
			(unsigned long long)t->ok[OP_MAP], (unsigned long long)t->ops[OP_UNMAP],
			(unsigned long long)t->ops[OP_PROTECT], (unsigned long long)t->ops[OP_SPLIT],
			(unsigned long long)t->ops[OP_COLLAPSE], (unsigned long long)t->eexist,
			(unsigned long long)t->einval, (unsigned long long)t->huge_leaves,
			(unsigned long long)t->splits_done, (unsigned long long)t->folds,
			(unsigned long long)t->invs, (unsigned long long)t->full_checks,
			(unsigned long long)(t->sum_leaves / (t->full_checks + !t->full_checks)),
			(unsigned long long)(t->sum_ext / (t->full_checks + !t->full_checks)),
			(unsigned long long)t->upper_ops, (unsigned long long)t->edge_ops,
			(unsigned long long)t->wipes);
	chk_set_dump(NULL, NULL);
	free(t->good);
	free(t->bad);
	free(t->inv);
	free(t->fev);
	free(t);
}
