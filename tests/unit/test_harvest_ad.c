/* SPDX-License-Identifier: MIT */
/*
 * s2pt_harvest() on formats with hardware accessed / dirty bits, set the way
 * the MMU sets them, also while harvests run. Replay: S2PT_SEED=<seed>.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "unit/harvest_util.h"

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

Test(harvest, ad_x86_64) { run_ad(&F_X86); }
Test(harvest, ad_ept4) { run_ad(&F_EPT_AD); }
Test(harvest, ad_npt) { run_ad(&F_NPT); }
Test(harvest, ad_sv39) { run_ad(&F_SV39); }
Test(harvest, ad_sv39x4) { run_ad(&F_SV39X4); }

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
