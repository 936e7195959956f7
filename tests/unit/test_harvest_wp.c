/* SPDX-License-Identifier: MIT */
/*
 * s2pt_harvest() DIRTY on formats without a hardware dirty bit: reported pages
 * are write-protected. Replay: S2PT_SEED=<seed>.
 */
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "unit/harvest_util.h"

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
