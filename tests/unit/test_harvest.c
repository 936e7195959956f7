/* SPDX-License-Identifier: MIT */
/*
 * s2pt_harvest(): accessed / dirty bits set in the entries the way the
 * hardware sets them (a locked OR into the leaf), then read back through
 * the bitmap; write-protection where a format has no hardware dirty bit.
 * Replay: S2PT_SEED=<seed> build/tests/unit --filter 'harvest/<test>'
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model/model.h"

#define WIN		0x40000000ull	/* the mapped window: 16 MiB, 8 2 MiB slots */
#define WIN_SIZE	(16 * TMIB)
#define WIN_PAGES	(WIN_SIZE / TPAGE)
#define BM_WORDS	(WIN_PAGES / 64)
#define GUARD		0x5a5a5a5a5a5a5a5aull
#define ROUNDS		200

/*
 * Hardware accessed / dirty bit positions, from the manuals (never from the
 * library):
 * - x86-64: A = bit 5, D = bit 6 of a PTE and of a PDE / PDPTE mapping a
 *   page (SDM 3A §4.8, Tables 4-16, 4-18, 4-20).
 * - AMD NPT: nested entries have the legacy long-mode layout (APM vol. 2
 *   §15.25.5), so A = bit 5, D = bit 6 as in §5.4.1.
 * - EPT with EPTP bit 6: A = bit 8, D = bit 9 of a leaf (SDM 3C §29.3.5,
 *   Tables 29-2, 29-4, 29-6).
 * - RISC-V Sv39 and the Sv39x4 G-stage: A = bit 6, D = bit 7 (privileged
 *   spec §4.3.1, §4.4.1; the G-stage PTE format is Sv39's, §9.5 / §18.5).
 * - AArch64 stage 1 and stage 2: AF = bit 10 (ARM ARM D8.3, D8.5);
 *   no dirty bit without DBM.
 * Write permission, cleared by write-protection:
 * - EPT W = bit 1 (Table 29-6); ARM stage 2 S2AP[1] = bit 7 (write,
 *   D8.3 stage-2 descriptor, S2AP bits 7:6); LoongArch D = bit 1 (TLB
 *   entry "dirty": store allowed, manual vol. 1 §5.4.2) and the walkers'
 *   W = bit 8 (§5.4.5).
 */
struct hfmt {
	const char *name;
	unsigned flags;		/* opts.flags */
	uint64_t a, d;		/* hardware bits; d == 0: write-protects */
	uint64_t wbits;		/* write-permission bits of a leaf (write-protect formats) */
	uint64_t wclear;	/* of those, the ones that must read 0 once protected */
};

static const struct hfmt F_X86 = { "x86_64", 0, 1ull << 5, 1ull << 6, 0, 0 };
static const struct hfmt F_NPT = { "npt", 0, 1ull << 5, 1ull << 6, 0, 0 };
static const struct hfmt F_EPT_AD = { "ept4", S2PT_OPT_AD, 1ull << 8, 1ull << 9, 0, 0 };
static const struct hfmt F_SV39 = { "sv39", 0, 1ull << 6, 1ull << 7, 0, 0 };
static const struct hfmt F_SV39X4 = { "sv39x4", 0, 1ull << 6, 1ull << 7, 0, 0 };
static const struct hfmt F_EPT = { "ept4", 0, 0, 0, 1ull << 1, 1ull << 1 };
static const struct hfmt F_ARM_S2 = { "arm64_s2", 0, 1ull << 10, 0, 1ull << 7, 1ull << 7 };
static const struct hfmt F_LA64 = { "la64", 0, 0, 0, (1ull << 1) | (1ull << 8),
				    (1ull << 1) | (1ull << 8) };
static const struct hfmt F_LVZ = { "lvz", 0, 0, 0, (1ull << 1) | (1ull << 8),
				   (1ull << 1) | (1ull << 8) };

struct inv_call {
	uint64_t ia, size;
	int level;
};

struct ht {
	const struct hfmt *hf;
	struct trng rng;
	uint64_t seed;
	struct tmm mm;
	struct s2pt *pt;
	struct tgeo g;
	struct model m;
	struct inv_call inv[64];
	unsigned ninv;
	uint64_t bm[BM_WORDS + 1];	/* + a guard word */
	uint64_t reported, cleared;	/* statistics */
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
	return 0x4841525645535421ull;
}

static void rec_inv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct ht *h = ctx;

	CHK(h->ninv < 64, "more than 64 invalidations in one harvest");
	h->inv[h->ninv++] = (struct inv_call){ ia, size, level };
}

static uint64_t rnd(struct ht *h, uint64_t n)
{
	return trng_below(&h->rng, n);
}

static bool chance(struct ht *h, unsigned pct)
{
	return trng_chance(&h->rng, pct);
}

/* The window: each 2 MiB slot one block, or base pages here and there;
 * writable or not at random (and executable, to keep X alongside). */
static void ht_open(struct ht *h, const struct hfmt *hf, uint64_t seed)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->hf = hf;
	h->seed = seed;
	trng_seed(&h->rng, seed);
	tmm_init(&h->mm);
	model_init(&h->m);
	chk_context("harvest/%s%s seed 0x%llx (S2PT_SEED=0x%llx)", hf->name,
		    hf->flags & S2PT_OPT_AD ? "+AD" : "", (unsigned long long)seed,
		    (unsigned long long)base_seed());
	ret = tcreate(s2pt_fmt_find(hf->name), &h->mm, 0, 0, hf->flags, rec_inv, h, &h->pt);
	CHK(ret == 0, "create: %d", ret);
	tgeo_get(h->pt, &h->g);
	for (uint64_t s = 0; s < WIN_SIZE; s += 2 * TMIB) {
		bool block = (s / (2 * TMIB)) % 2 == 0 ? chance(h, 80) : chance(h, 20);

		if (block) {
			uint32_t prot = chance(h, 70) ? S2PT_RW : S2PT_R;

			ret = s2pt_map(h->pt, WIN + s, (1ull << 33) + s, 2 * TMIB, prot,
				       S2PT_MAP_HUGE);
			CHK(ret == 0, "map block: %d", ret);
			model_map(&h->m, WIN + s, (1ull << 33) + s, 2 * TMIB, prot, 0);
			continue;
		}
		for (uint64_t o = 0; o < 2 * TMIB; o += TPAGE) {
			uint32_t prot = chance(h, 60) ? S2PT_RW : S2PT_R;

			if (!chance(h, 40))
				continue;
			if (chance(h, 30))
				prot |= S2PT_X;
			ret = s2pt_map(h->pt, WIN + s + o, (1ull << 34) + s + o, TPAGE, prot, 0);
			if (ret == -EINVAL) {	/* R | X refused by this format */
				prot &= ~S2PT_X;
				ret = s2pt_map(h->pt, WIN + s + o, (1ull << 34) + s + o, TPAGE,
					       prot, 0);
			}
			CHK(ret == 0, "map page: %d", ret);
			model_map(&h->m, WIN + s + o, (1ull << 34) + s + o, TPAGE, prot, 0);
		}
	}
	tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);
}

static void ht_close(struct ht *h)
{
	tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);
	s2pt_destroy(h->pt);
	test_rcu_barrier();
	tmm_fini(&h->mm);
	model_fini(&h->m);
}

/* The window's leaves as they are now. */
static void leaves(struct ht *h, struct wlist *w)
{
	wlist_walk(h->pt, WIN, WIN_SIZE, S2PT_WALK_LEAF, w);
}

struct find_table {
	unsigned level;		/* of the table entry pointing at the wanted table */
	uint64_t table_pa;
};

static int find_table_visit(const struct s2pt_visit *v, void *arg)
{
	struct find_table *f = arg;

	if (v->kind == S2PT_WALK_TABLE_PRE && v->level == f->level)
		f->table_pa = v->table_pa;
	return 0;
}

/* Where the leaf translating @ia lives: with pa == va (the tmm provider),
 * the table page that s2pt_walk reports, plus the leaf's index. */
static uint64_t *entry_ptr(struct ht *h, uint64_t ia)
{
	struct s2pt_leaf leaf;
	struct find_table f;
	uint64_t *p;
	int ret;

	ret = s2pt_lookup(h->pt, ia, &leaf);
	CHK(ret == 0, "lookup(0x%llx) = %d", (unsigned long long)ia, ret);
	if (leaf.level == h->g.info.levels - 1) {
		f.table_pa = s2pt_root(h->pt);
	} else {
		f = (struct find_table){ .level = leaf.level + 1 };
		ret = s2pt_walk(h->pt, ia & ~(TPAGE - 1), TPAGE, S2PT_WALK_TABLE_PRE,
				find_table_visit, &f);
		CHK(ret == 0 && f.table_pa, "no table above the leaf at 0x%llx",
		    (unsigned long long)ia);
	}
	p = (uint64_t *)(uintptr_t)f.table_pa + ((ia >> (12 + 9 * leaf.level)) & 511);
	CHK(__atomic_load_n(p, __ATOMIC_RELAXED) == leaf.pte,
	    "entry at %p is 0x%llx, lookup says 0x%llx", (void *)p,
	    (unsigned long long)*p, (unsigned long long)leaf.pte);
	return p;
}

/* What the hardware does on an access: one locked OR into the leaf. */
static void hw_set(struct ht *h, uint64_t ia, uint64_t bits)
{
	__atomic_fetch_or(entry_ptr(h, ia), bits, __ATOMIC_SEQ_CST);
}

static uint64_t pte_of(struct ht *h, uint64_t ia)
{
	struct s2pt_leaf leaf;
	int ret = s2pt_lookup(h->pt, ia, &leaf);

	CHK(ret == 0, "lookup(0x%llx) = %d", (unsigned long long)ia, ret);
	return leaf.pte;
}

static void bm_clear(struct ht *h)
{
	memset(h->bm, 0, sizeof(h->bm));
	h->bm[BM_WORDS] = GUARD;
}

static bool bm_test(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void bm_set(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ull << (i % 64);
}

/* Harvest [s, e) of the window into h->bm (relative to s); check the
 * return, the guard, and every bit against @want (relative to WIN). */
static void harvest_check(struct ht *h, uint64_t s, uint64_t e, unsigned what,
			  const uint64_t *want, const char *step)
{
	int ret;

	bm_clear(h);
	h->ninv = 0;
	ret = s2pt_harvest(h->pt, s, e - s, what, h->bm);
	CHK(ret == 0, "%s: harvest(0x%llx, 0x%llx, %u) = %d", step, (unsigned long long)s,
	    (unsigned long long)(e - s), what, ret);
	CHK(h->bm[BM_WORDS] == GUARD, "%s: harvest wrote past the bitmap", step);
	for (uint64_t i = 0; i < WIN_PAGES; i++) {
		uint64_t ia = WIN + i * TPAGE;
		bool in = ia >= s && ia < e;
		bool want_bit = in && bm_test(want, i);
		bool got = in ? bm_test(h->bm, (ia - s) / TPAGE) : false;

		CHK(got == want_bit, "%s: harvest(0x%llx..0x%llx, %s): page 0x%llx %s, expected %s",
		    step, (unsigned long long)s, (unsigned long long)e,
		    what == S2PT_HARVEST_DIRTY ? "DIRTY" : "YOUNG", (unsigned long long)ia,
		    got ? "reported" : "not reported", want_bit ? "reported" : "not");
		h->reported += got;
	}
	for (uint64_t i = (e - s) / TPAGE; i < BM_WORDS * 64; i++)
		CHK(!bm_test(h->bm, i), "%s: bit %llu beyond the range set", step,
		    (unsigned long long)i);
}

/* One invalidation covering every leaf cleared (and only inside [s, e)),
 * at their level if they share one; none if nothing was cleared. */
static void check_inv(struct ht *h, const struct wlist *w, const bool *cleared, uint64_t s,
		      uint64_t e, const char *step)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int level = -2;

	for (size_t i = 0; i < w->n; i++) {
		if (!cleared[i])
			continue;
		lo = w->r[i].ia < lo ? w->r[i].ia : lo;
		hi = w->r[i].ia + w->r[i].size > hi ? w->r[i].ia + w->r[i].size : hi;
		level = level == -2 || level == (int)w->r[i].level ? (int)w->r[i].level : -1;
	}
	if (level == -2) {
		CHK(h->ninv == 0, "%s: %u invalidations though nothing was cleared (first 0x%llx "
		    "+0x%llx)", step, h->ninv, (unsigned long long)h->inv[0].ia,
		    (unsigned long long)h->inv[0].size);
		return;
	}
	CHK(h->ninv == 1, "%s: %u invalidation calls, want one for the range", step, h->ninv);
	CHK(h->inv[0].ia <= lo && h->inv[0].ia + h->inv[0].size >= hi,
	    "%s: invalidation 0x%llx+0x%llx does not cover the cleared 0x%llx..0x%llx", step,
	    (unsigned long long)h->inv[0].ia, (unsigned long long)h->inv[0].size,
	    (unsigned long long)lo, (unsigned long long)hi);
	CHK(h->inv[0].ia >= s && h->inv[0].ia + h->inv[0].size <= e,
	    "%s: invalidation 0x%llx+0x%llx reaches outside the range 0x%llx..0x%llx", step,
	    (unsigned long long)h->inv[0].ia, (unsigned long long)h->inv[0].size,
	    (unsigned long long)s, (unsigned long long)e);
	CHK(h->inv[0].level == level, "%s: invalidation level %d, the cleared leaves' %d", step,
	    h->inv[0].level, level);
	h->cleared++;
}

/* A random page-aligned range inside the window; often one that cuts
 * blocks, sometimes the whole window. */
static void pick_range(struct ht *h, uint64_t *s, uint64_t *e)
{
	uint64_t a = rnd(h, WIN_PAGES), b = rnd(h, WIN_PAGES);

	if (chance(h, 10)) {
		*s = WIN;
		*e = WIN + WIN_SIZE;
		return;
	}
	if (a > b) {
		uint64_t t = a;

		a = b;
		b = t;
	}
	*s = WIN + a * TPAGE;
	*e = WIN + (b + 1) * TPAGE;
}

/* ------------------------------------------------------------------ */
/* Hardware A/D formats                                                */

/*
 * One harvest of @what over [s, e) with the bits the hardware set:
 * expected bits = pages of every leaf holding the bit, inside the range;
 * a leaf wholly inside loses exactly that bit, any other leaf keeps its
 * entry unchanged.
 */
static void ad_harvest(struct ht *h, uint64_t s, uint64_t e, unsigned what, const char *step)
{
	uint64_t bit = what == S2PT_HARVEST_DIRTY ? h->hf->d : h->hf->a;
	uint64_t want[BM_WORDS] = { 0 };
	struct wlist w;
	bool *cl;

	wlist_init(&w);
	leaves(h, &w);
	cl = calloc(w.n + 1, sizeof(*cl));
	CHK(cl, "out of memory");
	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];

		if (!(r->pte & bit))
			continue;
		for (uint64_t ia = r->ia; ia < r->ia + r->size; ia += TPAGE)
			bm_set(want, (ia - WIN) / TPAGE);
		cl[i] = r->ia >= s && r->ia + r->size <= e;
	}
	harvest_check(h, s, e, what, want, step);
	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];
		uint64_t now = pte_of(h, r->ia);
		uint64_t expect = cl[i] ? r->pte & ~bit : r->pte;

		CHK(now == expect, "%s: leaf 0x%llx (level %u) was 0x%llx, now 0x%llx, want 0x%llx "
		    "(%s bit %s)", step, (unsigned long long)r->ia, r->level,
		    (unsigned long long)r->pte, (unsigned long long)now,
		    (unsigned long long)expect, what == S2PT_HARVEST_DIRTY ? "dirty" : "accessed",
		    cl[i] ? "cleared" : "kept: leaf not wholly inside or bit clear");
	}
	if (what == S2PT_HARVEST_DIRTY)
		check_inv(h, &w, cl, s, e, step);
	else
		CHK(h->ninv == 0, "%s: clearing accessed bits invalidated 0x%llx+0x%llx", step,
		    (unsigned long long)h->inv[0].ia, (unsigned long long)h->inv[0].size);
	free(cl);
	wlist_fini(&w);
}

/* Reset both bits everywhere (the library may preset A, and D on
 * writable pages); afterwards no leaf has either. */
static void ad_reset(struct ht *h)
{
	struct wlist w;

	bm_clear(h);
	CHK(s2pt_harvest(h->pt, WIN, WIN_SIZE, S2PT_HARVEST_DIRTY, h->bm) == 0, "reset dirty");
	if (h->hf->a)
		CHK(s2pt_harvest(h->pt, WIN, WIN_SIZE, S2PT_HARVEST_YOUNG, h->bm) == 0, "reset young");
	for (uint64_t i = 0; i < WIN_PAGES; i++)
		CHK(!bm_test(h->bm, i) || model_find(&h->m, WIN + i * TPAGE),
		    "reset: unmapped page 0x%llx reported", (unsigned long long)(WIN + i * TPAGE));
	wlist_init(&w);
	leaves(h, &w);
	for (size_t i = 0; i < w.n; i++)
		CHK(!(w.r[i].pte & (h->hf->a | h->hf->d)), "reset: leaf 0x%llx keeps A/D: 0x%llx",
		    (unsigned long long)w.r[i].ia, (unsigned long long)w.r[i].pte);
	wlist_fini(&w);
}

static void run_ad(const struct hfmt *hf)
{
	struct ht *h = calloc(1, sizeof(*h));
	uint64_t blk = 0;

	cr_assert(h);
	test_rcu_register();
	ht_open(h, hf, base_seed() ^ hash_str(hf->name));
	ad_reset(h);

	/* a write to a writable 2 MiB block: A and D in the block entry; all
	 * 512 pages reported, the block's D cleared */
	for (uint64_t s = 0; s < WIN_SIZE && !blk; s += 2 * TMIB) {
		const struct model_ext *x = model_find(&h->m, WIN + s);
		struct s2pt_leaf leaf;

		if (x && (x->prot & S2PT_W) && s2pt_lookup(h->pt, WIN + s, &leaf) == 0 &&
		    leaf.size == 2 * TMIB)
			blk = WIN + s;
	}
	if (!blk) {
		blk = WIN + 14 * TMIB;
		CHK(s2pt_unmap(h->pt, blk, 2 * TMIB) == 0, "unmap");
		model_unmap(&h->m, blk, 2 * TMIB);
		CHK(s2pt_map(h->pt, blk, 1ull << 35, 2 * TMIB, S2PT_RW, S2PT_MAP_HUGE) == 0, "map");
		model_map(&h->m, blk, 1ull << 35, 2 * TMIB, S2PT_RW, 0);
	}
	hw_set(h, blk + 0x1234, hf->a | hf->d);
	ad_harvest(h, WIN, WIN + WIN_SIZE, S2PT_HARVEST_DIRTY, "2M block, whole window");
	cr_expect(h->reported == 512, "%s: a dirty 2 MiB block gave %llu bits", hf->name,
		  (unsigned long long)h->reported);
	CHK(!(pte_of(h, blk) & hf->d) && (pte_of(h, blk) & hf->a), "block: D cleared, A kept");

	/* the same block straddling the range: reported, not cleared */
	hw_set(h, blk, hf->d);
	ad_harvest(h, blk + TMIB, blk + 3 * TMIB, S2PT_HARVEST_DIRTY, "2M block straddling");
	CHK(pte_of(h, blk) & hf->d, "a block reaching outside the range lost its D");
	ad_harvest(h, blk - TMIB, blk + TMIB, S2PT_HARVEST_DIRTY, "2M block straddling, below");
	ad_harvest(h, blk, blk + 2 * TMIB, S2PT_HARVEST_YOUNG, "2M block young");
	CHK(!(pte_of(h, blk) & hf->a) && (pte_of(h, blk) & hf->d), "block: A cleared, D kept");
	ad_harvest(h, blk, blk + 2 * TMIB, S2PT_HARVEST_DIRTY, "2M block, exact");
	ad_harvest(h, WIN, WIN + WIN_SIZE, S2PT_HARVEST_DIRTY, "nothing left");

	/* random rounds: the hardware touches some leaves, a random range is
	 * harvested for DIRTY, then for YOUNG */
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct wlist w;
		uint64_t s, e;
		char step[64];

		wlist_init(&w);
		leaves(h, &w);
		for (size_t i = 0; i < w.n; i++) {
			const struct wrec *r = &w.r[i];
			uint64_t at = r->ia + rnd(h, r->size / TPAGE) * TPAGE;

			/* a write sets A and D (only where writable); a read, A */
			if ((r->prot & S2PT_W) && chance(h, 30))
				hw_set(h, at, hf->a | hf->d);
			else if (chance(h, 30))
				hw_set(h, at, hf->a);
		}
		wlist_fini(&w);
		pick_range(h, &s, &e);
		snprintf(step, sizeof(step), "round %u dirty", round);
		ad_harvest(h, s, e, S2PT_HARVEST_DIRTY, step);
		snprintf(step, sizeof(step), "round %u young", round);
		ad_harvest(h, s, e, S2PT_HARVEST_YOUNG, step);
		if (round % 16 == 15)
			tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);
	}
	cr_expect(h->cleared > ROUNDS / 2, "%s: only %llu dirty harvests cleared anything",
		  hf->name, (unsigned long long)h->cleared);
	ht_close(h);
	free(h);
	test_rcu_unregister();
}

TestSuite(harvest, .timeout = 120);

Test(harvest, ad_x86_64) { run_ad(&F_X86); }
Test(harvest, ad_ept4) { run_ad(&F_EPT_AD); }
Test(harvest, ad_npt) { run_ad(&F_NPT); }
Test(harvest, ad_sv39) { run_ad(&F_SV39); }
Test(harvest, ad_sv39x4) { run_ad(&F_SV39X4); }

/* ------------------------------------------------------------------ */
/* Write-protect formats                                               */

/*
 * One DIRTY harvest of [s, e): expected = every writable page inside;
 * leaves wholly inside lose write access (prot and the raw write bits),
 * keep their address and other rights; the rest are unchanged.
 */
static void wp_harvest(struct ht *h, uint64_t s, uint64_t e, const char *step)
{
	uint64_t want[BM_WORDS] = { 0 };
	struct wlist w;
	bool *cl;

	wlist_init(&w);
	leaves(h, &w);
	cl = calloc(w.n + 1, sizeof(*cl));
	CHK(cl, "out of memory");
	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];

		if (!(r->prot & S2PT_W))
			continue;
		CHK((r->pte & h->hf->wbits) == h->hf->wbits,
		    "%s: writable leaf 0x%llx without its write bits: 0x%llx", step,
		    (unsigned long long)r->ia, (unsigned long long)r->pte);
		for (uint64_t ia = r->ia; ia < r->ia + r->size; ia += TPAGE)
			bm_set(want, (ia - WIN) / TPAGE);
		cl[i] = r->ia >= s && r->ia + r->size <= e;
	}
	harvest_check(h, s, e, S2PT_HARVEST_DIRTY, want, step);
	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];
		struct s2pt_leaf now;

		CHK(s2pt_lookup(h->pt, r->ia, &now) == 0 && now.size == r->size &&
		    now.oa == r->oa, "%s: leaf 0x%llx changed shape", step,
		    (unsigned long long)r->ia);
		if (!cl[i]) {
			CHK(now.pte == r->pte, "%s: leaf 0x%llx not wholly inside (or read-only) "
			    "changed: 0x%llx -> 0x%llx", step, (unsigned long long)r->ia,
			    (unsigned long long)r->pte, (unsigned long long)now.pte);
			continue;
		}
		CHK(now.prot == (r->prot & ~S2PT_W) && !(now.pte & h->hf->wclear),
		    "%s: leaf 0x%llx: prot %#x -> %#x, pte 0x%llx -> 0x%llx: want write "
		    "access gone, the rest kept", step, (unsigned long long)r->ia, r->prot,
		    now.prot, (unsigned long long)r->pte, (unsigned long long)now.pte);
		model_protect(&h->m, r->ia, r->size, r->prot & ~S2PT_W);
	}
	check_inv(h, &w, cl, s, e, step);
	free(cl);
	wlist_fini(&w);
}

/* Write access given back to a whole 2 MiB block (as after a write fault
 * on it), made a block again if an earlier protect split it. Returns its
 * address. */
static uint64_t wp_block(struct ht *h)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		uint64_t blk = WIN + rnd(h, WIN_SIZE / (2 * TMIB)) * 2 * TMIB;
		const struct model_ext *x = model_find(&h->m, blk);
		struct s2pt_leaf leaf;
		int ret;

		if (!x || x->pg * TPAGE > blk || (x->pg + x->npg) * TPAGE < blk + 2 * TMIB)
			continue;	/* not one run of pages */
		ret = s2pt_protect(h->pt, blk, 2 * TMIB, x->prot | S2PT_W);
		CHK(ret == 0, "protect block: %d", ret);
		model_protect(&h->m, blk, 2 * TMIB, model_find(&h->m, blk)->prot | S2PT_W);
		ret = s2pt_collapse(h->pt, blk, 2 * TMIB);
		CHK(ret == 0, "collapse: %d", ret);
		if (s2pt_lookup(h->pt, blk, &leaf) == 0 && leaf.size == 2 * TMIB)
			return blk;
	}
	chk_fail("no 2 MiB block in the window");
}

static void run_wp(const struct hfmt *hf)
{
	struct ht *h = calloc(1, sizeof(*h));
	struct model orig;
	uint64_t page = 0, blk;
	int ret;

	cr_assert(h);
	test_rcu_register();
	ht_open(h, hf, base_seed() ^ hash_str(hf->name) ^ 1);
	model_init(&orig);
	model_copy(&orig, &h->m);

	/* every writable page reported and write-protected; then nothing */
	wp_harvest(h, WIN, WIN + WIN_SIZE, "first harvest");
	cr_expect(h->reported > 0, "%s: nothing writable reported", hf->name);
	h->reported = 0;
	wp_harvest(h, WIN, WIN + WIN_SIZE, "second harvest");
	cr_expect_eq(h->reported, 0, "%s: a second harvest reported %llu pages", hf->name,
		     (unsigned long long)h->reported);

	/* the fault handler gives write back to one page: reported again */
	for (size_t i = 0; i < orig.n && !page; i++)
		if (orig.e[i].prot & S2PT_W)
			page = orig.e[i].pg * TPAGE + (orig.e[i].npg / 2) * TPAGE;
	CHK(page, "no writable page");
	ret = s2pt_protect(h->pt, page, TPAGE, model_find(&orig, page)->prot);
	CHK(ret == 0, "protect: %d", ret);
	model_protect(&h->m, page, TPAGE, model_find(&orig, page)->prot);
	CHK(s2pt_lookup(h->pt, page, &(struct s2pt_leaf){ 0 }) == 0, "lookup");
	wp_harvest(h, WIN, WIN + WIN_SIZE, "after protect");
	cr_expect_eq(h->reported, 1, "%s: after giving write back to one page, %llu reported",
		     hf->name, (unsigned long long)h->reported);
	tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);

	/* a writable 2 MiB block straddling the range: reported, kept writable */
	blk = wp_block(h);
	h->reported = 0;
	wp_harvest(h, blk + TMIB, blk + 3 * TMIB, "2M block straddling");
	CHK(h->reported >= 256, "straddling block: %llu reported", (unsigned long long)h->reported);
	CHK(model_find(&h->m, blk)->prot & S2PT_W, "a block reaching outside the range lost W");
	wp_harvest(h, blk, blk + 2 * TMIB, "2M block exact");
	CHK(!(model_find(&h->m, blk)->prot & S2PT_W), "an exact block kept W");

	/* random rounds: write given back to random runs (as faults would),
	 * random ranges harvested */
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t s, e;
		char step[64];

		for (unsigned k = 0, n = (unsigned)rnd(h, 6); k < n; k++) {
			const struct model_ext *x = &orig.e[rnd(h, orig.n)];
			uint64_t a = x->pg * TPAGE + rnd(h, x->npg) * TPAGE;
			uint64_t len = TPAGE * (1 + rnd(h, chance(h, 20) ? 1024 : 4));

			if (!(x->prot & S2PT_W))
				continue;
			if (a + len > (x->pg + x->npg) * TPAGE)
				len = (x->pg + x->npg) * TPAGE - a;
			ret = s2pt_protect(h->pt, a, len, x->prot);
			CHK(ret == 0, "protect: %d", ret);
			model_protect(&h->m, a, len, x->prot);
		}
		if (chance(h, 50))
			wp_block(h);
		pick_range(h, &s, &e);
		snprintf(step, sizeof(step), "round %u", round);
		wp_harvest(h, s, e, step);
		if (round % 16 == 15)
			tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);
	}
	model_fini(&orig);
	ht_close(h);
	free(h);
	test_rcu_unregister();
}

Test(harvest, wp_arm64_s2) { run_wp(&F_ARM_S2); }
Test(harvest, wp_la64) { run_wp(&F_LA64); }
Test(harvest, wp_lvz) { run_wp(&F_LVZ); }
Test(harvest, wp_ept4_without_ad) { run_wp(&F_EPT); }

/*
 * ARM has an access flag without a dirty bit: YOUNG tests and clears AF
 * (bit 10; without FEAT_HAFDBS the next access takes an Access flag fault
 * and the hypervisor sets it again, as FEAT_HAFDBS hardware would).
 */
Test(harvest, young_arm64_s2)
{
	struct ht *h = calloc(1, sizeof(*h));
	uint64_t want[BM_WORDS] = { 0 };

	cr_assert(h);
	test_rcu_register();
	ht_open(h, &F_ARM_S2, base_seed() ^ 2);
	/* AF is preset on every leaf: the first harvest reports every page */
	for (size_t i = 0; i < h->m.n; i++)
		for (uint64_t p = 0; p < h->m.e[i].npg; p++)
			bm_set(want, h->m.e[i].pg + p - WIN / TPAGE);
	harvest_check(h, WIN, WIN + WIN_SIZE, S2PT_HARVEST_YOUNG, want, "young, AF preset");
	CHK(h->ninv == 0, "clearing AF invalidated");
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct wlist w;
		uint64_t s, e;
		char step[64];

		wlist_init(&w);
		leaves(h, &w);
		for (size_t i = 0; i < w.n; i++)
			if (chance(h, 30))
				hw_set(h, w.r[i].ia, F_ARM_S2.a);
		wlist_fini(&w);
		pick_range(h, &s, &e);
		snprintf(step, sizeof(step), "young round %u", round);
		ad_harvest(h, s, e, S2PT_HARVEST_YOUNG, step);
	}
	ht_close(h);
	free(h);
	test_rcu_unregister();
}

/* No accessed bit (LoongArch, EPT without A/D): YOUNG is refused, nothing
 * changes. */
Test(harvest, young_unsupported)
{
	const struct hfmt *f[] = { &F_LA64, &F_LVZ, &F_EPT };

	test_rcu_register();
	for (unsigned i = 0; i < 3; i++) {
		struct ht *h = calloc(1, sizeof(*h));
		struct snap sn;
		int ret;

		cr_assert(h);
		ht_open(h, f[i], base_seed() ^ 3);
		snap_take(h->pt, &h->g, &h->mm, &sn);
		bm_clear(h);
		ret = s2pt_harvest(h->pt, WIN, WIN_SIZE, S2PT_HARVEST_YOUNG, h->bm);
		cr_expect_eq(ret, -EOPNOTSUPP, "%s: YOUNG gave %d", f[i]->name, ret);
		for (unsigned k = 0; k < BM_WORDS; k++)
			CHK(h->bm[k] == 0, "%s: bitmap written", f[i]->name);
		CHK(h->ninv == 0, "%s: invalidated", f[i]->name);
		snap_expect(h->pt, &h->g, &h->mm, &sn, "refused YOUNG");
		snap_fini(&sn);
		ht_close(h);
		free(h);
	}
	test_rcu_unregister();
}

/* Bad requests change nothing: no bit, no entry, no invalidation. */
Test(harvest, bad_input)
{
	const struct hfmt *f[] = { &F_X86, &F_EPT_AD, &F_ARM_S2, &F_LA64 };

	test_rcu_register();
	for (unsigned i = 0; i < 4; i++) {
		struct ht *h = calloc(1, sizeof(*h));
		struct s2pt_opts o = { .sz = sizeof(o), .mm = &tmm_ops };
		struct s2pt *view = NULL;
		struct snap sn;
		const char *name = f[i]->name;
		struct {
			uint64_t ia, size;
			unsigned what;
			int want, want2;
			const char *why;
		} rows[] = {
			{ WIN, WIN_SIZE, 0, -EINVAL, -EINVAL, "what = 0" },
			{ WIN, WIN_SIZE, S2PT_HARVEST_DIRTY | S2PT_HARVEST_YOUNG, -EINVAL, -EINVAL,
			  "both bits" },
			{ WIN, WIN_SIZE, 1u << 2, -EINVAL, -EINVAL, "unknown bit" },
			{ WIN + 0x800, TPAGE, S2PT_HARVEST_DIRTY, -EINVAL, -EINVAL, "ia unaligned" },
			{ WIN, TPAGE + 8, S2PT_HARVEST_DIRTY, -EINVAL, -EINVAL, "size unaligned" },
			{ WIN, 0, S2PT_HARVEST_DIRTY, -EINVAL, -EINVAL, "size 0" },
			{ 0 - TPAGE, 2 * TPAGE, S2PT_HARVEST_DIRTY, -EINVAL, -ERANGE, "wraps" },
			{ 1ull << 52, TPAGE, S2PT_HARVEST_DIRTY, -ERANGE, -EINVAL, "beyond the input" },
		};

		cr_assert(h);
		ht_open(h, f[i], base_seed() ^ 4);
		/* some hardware state that a bad call must not lose */
		if (f[i]->a)
			hw_set(h, h->m.e[0].pg * TPAGE, f[i]->a | f[i]->d);
		snap_take(h->pt, &h->g, &h->mm, &sn);
		for (unsigned k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
			int ret;

			bm_clear(h);
			h->ninv = 0;
			ret = s2pt_harvest(h->pt, rows[k].ia, rows[k].size, rows[k].what, h->bm);
			cr_expect(ret == rows[k].want || ret == rows[k].want2, "%s: %s: %d, want %d",
				  name, rows[k].why, ret, rows[k].want);
			for (unsigned b = 0; b < BM_WORDS; b++)
				CHK(h->bm[b] == 0, "%s: %s: bitmap written", name, rows[k].why);
			CHK(h->ninv == 0, "%s: %s: invalidated", name, rows[k].why);
			snap_expect(h->pt, &h->g, &h->mm, &sn, rows[k].why);
		}
		/* a read-only view of the same tree */
		o.mm_ctx = &h->mm;
		CHK(s2pt_attach(s2pt_fmt_find(name), s2pt_root(h->pt), &o, &view) == 0, "attach");
		bm_clear(h);
		cr_expect_eq(s2pt_harvest(view, WIN, WIN_SIZE, S2PT_HARVEST_DIRTY, h->bm), -EPERM,
			     "%s: harvest on an attached view", name);
		if (f[i]->a)
			cr_expect_eq(s2pt_harvest(view, WIN, WIN_SIZE, S2PT_HARVEST_YOUNG, h->bm),
				     -EPERM, "%s: YOUNG on an attached view", name);
		for (unsigned b = 0; b < BM_WORDS; b++)
			CHK(h->bm[b] == 0, "%s: attached view: bitmap written", name);
		s2pt_destroy(view);
		snap_expect(h->pt, &h->g, &h->mm, &sn, "attached view");
		snap_fini(&sn);
		ht_close(h);
		free(h);
	}
	test_rcu_unregister();
}

/* The bitmap is only ever or-ed into: bits the caller set stay set, the
 * harvested ones join them. */
Test(harvest, bitmap_is_or_ed)
{
	struct ht *h = calloc(1, sizeof(*h));
	uint64_t bm[BM_WORDS], want[BM_WORDS], page = 0;
	struct s2pt_leaf leaf;
	int ret;

	cr_assert(h);
	test_rcu_register();
	ht_open(h, &F_X86, base_seed() ^ 5);
	ad_reset(h);
	for (size_t i = 0; i < h->m.n && !page; i++)
		if (h->m.e[i].prot & S2PT_W)
			page = h->m.e[i].pg * TPAGE;
	CHK(page, "no writable page");
	hw_set(h, page, F_X86.a | F_X86.d);
	cr_assert_eq(s2pt_lookup(h->pt, page, &leaf), 0);
	for (unsigned i = 0; i < BM_WORDS; i++)
		bm[i] = want[i] = 0x8000000000000001ull * (i + 1);
	for (uint64_t k = 0; k < leaf.size / TPAGE; k++)
		bm_set(want, ((page & ~(leaf.size - 1)) - WIN) / TPAGE + k);
	ret = s2pt_harvest(h->pt, WIN, WIN_SIZE, S2PT_HARVEST_DIRTY, bm);
	cr_assert_eq(ret, 0);
	for (unsigned i = 0; i < BM_WORDS; i++)
		cr_expect_eq(bm[i], want[i], "word %u: 0x%llx, want 0x%llx", i,
			     (unsigned long long)bm[i], (unsigned long long)want[i]);
	ht_close(h);
	free(h);
	test_rcu_unregister();
}

/*
 * Write-protecting for DIRTY changes write access only: an ARM stage-2
 * entry whose AF a YOUNG harvest cleared keeps AF = 0 (bit 10; ARM ARM
 * D8.5: AF records an access, and none happened), as Linux's
 * kvm_pgtable_stage2_wrprotect clears S2AP[1] alone. Otherwise the next
 * YOUNG harvest reports pages nobody touched.
 */
Test(harvest, wp_keeps_access_flag)
{
	struct ht *h = calloc(1, sizeof(*h));
	uint64_t none[BM_WORDS] = { 0 };
	const struct wrec *first = NULL;
	struct wlist w;
	size_t bad = 0;

	cr_assert(h);
	test_rcu_register();
	ht_open(h, &F_ARM_S2, base_seed() ^ 6);
	bm_clear(h);
	cr_assert_eq(s2pt_harvest(h->pt, WIN, WIN_SIZE, S2PT_HARVEST_YOUNG, h->bm), 0);
	wp_harvest(h, WIN, WIN + WIN_SIZE, "write-protect after YOUNG");
	wlist_init(&w);
	leaves(h, &w);
	for (size_t i = 0; i < w.n; i++)
		if ((w.r[i].pte & F_ARM_S2.a) && !bad++)
			first = &w.r[i];
	cr_expect(bad == 0, "%zu of %zu leaves have AF set again by write-protection; the "
		  "first 0x%llx (pte 0x%llx)", bad, w.n,
		  (unsigned long long)(first ? first->ia : 0),
		  (unsigned long long)(first ? first->pte : 0));
	wlist_fini(&w);
	harvest_check(h, WIN, WIN + WIN_SIZE, S2PT_HARVEST_YOUNG, none, "YOUNG after write-protect");
	ht_close(h);
	free(h);
	test_rcu_unregister();
}

/*
 * The hardware sets A and D while harvests run: no update may be lost. A
 * thread plays the MMU on random writable 4 KiB leaves: a read sets A, a
 * write A and D, each with a locked compare-and-swap, and counts the bits
 * it turned from 0 to 1. The main thread alternates DIRTY and YOUNG
 * harvests of the window, counting the reports. After a last pair, every
 * page was reported exactly as often as each bit was set: each report is
 * one 1 -> 0, and a clearing that is not atomic would wipe a bit the MMU
 * set in between (A by a DIRTY harvest, D by a YOUNG one).
 */
struct mmu_thread {
	uint64_t **ptep;	/* writable 4 KiB leaves */
	uint64_t *ia;
	size_t n;
	uint64_t seed;
	unsigned *ev[2];	/* [0] D, [1] A: 0 -> 1 by window page */
	bool stop;
};

static void *mmu_run(void *arg)
{
	struct mmu_thread *m = arg;
	struct trng r;

	trng_seed(&r, m->seed);
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		size_t k = trng_below(&r, m->n);
		uint64_t bits = trng_chance(&r, 50) ? F_X86.a | F_X86.d : F_X86.a;
		uint64_t old = __atomic_load_n(m->ptep[k], __ATOMIC_RELAXED);
		uint64_t pg = (m->ia[k] - WIN) / TPAGE;

		if ((old & bits) == bits)
			continue;
		if (!__atomic_compare_exchange_n(m->ptep[k], &old, old | bits, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			continue;
		if (bits & ~old & F_X86.d)
			m->ev[0][pg]++;
		if (~old & F_X86.a)
			m->ev[1][pg]++;
	}
	return NULL;
}

Test(harvest, concurrent_hardware_updates)
{
	struct ht *h = calloc(1, sizeof(*h));
	struct mmu_thread m = { 0 };
	unsigned *rep[2] = { calloc(WIN_PAGES, sizeof(unsigned)), calloc(WIN_PAGES, sizeof(unsigned)) };
	static const unsigned what[2] = { S2PT_HARVEST_DIRTY, S2PT_HARVEST_YOUNG };
	uint64_t total = 0;
	struct wlist w;
	pthread_t th;
	unsigned passes = 0;
	bool last = false;

	cr_assert(h && rep[0] && rep[1]);
	test_rcu_register();
	ht_open(h, &F_X86, base_seed() ^ 7);
	ad_reset(h);
	wlist_init(&w);
	leaves(h, &w);
	m.ptep = calloc(w.n, sizeof(*m.ptep));
	m.ia = calloc(w.n, sizeof(*m.ia));
	m.ev[0] = calloc(WIN_PAGES, sizeof(unsigned));
	m.ev[1] = calloc(WIN_PAGES, sizeof(unsigned));
	cr_assert(m.ptep && m.ia && m.ev[0] && m.ev[1]);
	for (size_t i = 0; i < w.n; i++)
		if (w.r[i].size == TPAGE && (w.r[i].prot & S2PT_W)) {
			m.ptep[m.n] = entry_ptr(h, w.r[i].ia);
			m.ia[m.n++] = w.r[i].ia;
		}
	wlist_fini(&w);
	CHK(m.n > 0, "no writable 4 KiB page");
	m.seed = base_seed() ^ 8;
	cr_assert_eq(pthread_create(&th, NULL, mmu_run, &m), 0);
	/* until enough updates raced with harvests (bounded: the thread may
	 * hardly run on a loaded machine); one more pair after it stops */
	while (!last) {
		if (passes >= 40000 || (passes >= 4000 && total >= 10000)) {
			__atomic_store_n(&m.stop, true, __ATOMIC_RELEASE);
			pthread_join(th, NULL);
			last = true;
		}
		for (unsigned k = 0; k < 2; k++) {
			bm_clear(h);
			h->ninv = 0;
			cr_assert_eq(s2pt_harvest(h->pt, WIN, WIN_SIZE, what[k], h->bm), 0);
			for (uint64_t i = 0; i < WIN_PAGES; i++) {
				rep[k][i] += bm_test(h->bm, i);
				total += bm_test(h->bm, i);
			}
		}
		passes++;
	}
	for (unsigned k = 0; k < 2; k++)
		for (uint64_t i = 0; i < WIN_PAGES; i++)
			CHK(rep[k][i] == m.ev[k][i], "page 0x%llx: %s set %u times, reported %u "
			    "times (%u harvest pairs)", (unsigned long long)(WIN + i * TPAGE),
			    k ? "A" : "D", m.ev[k][i], rep[k][i], passes);
	if (getenv("S2PT_STATS"))
		fprintf(stderr, "harvest/concurrent: %llu bits reported over %u harvest pairs\n",
			(unsigned long long)total, passes);
	free(m.ptep);
	free(m.ia);
	free(m.ev[0]);
	free(m.ev[1]);
	free(rep[0]);
	free(rep[1]);
	ht_close(h);
	free(h);
	test_rcu_unregister();
}
