/* SPDX-License-Identifier: MIT */
/*
 * The harvest tests' shared parts: the formats' hardware bits, the table with
 * its random window, setting bits as the hardware does, the bitmap checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit/harvest_util.h"

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
const struct hfmt F_X86 = { "x86_64", 0, 1ull << 5, 1ull << 6, 0, 0 };
const struct hfmt F_NPT = { "npt", 0, 1ull << 5, 1ull << 6, 0, 0 };
const struct hfmt F_EPT_AD = { "ept4", S2PT_OPT_AD, 1ull << 8, 1ull << 9, 0, 0 };
const struct hfmt F_SV39 = { "sv39", 0, 1ull << 6, 1ull << 7, 0, 0 };
const struct hfmt F_SV39X4 = { "sv39x4", 0, 1ull << 6, 1ull << 7, 0, 0 };
const struct hfmt F_EPT = { "ept4", 0, 0, 0, 1ull << 1, 1ull << 1 };
const struct hfmt F_ARM_S2 = { "arm64_s2", 0, 1ull << 10, 0, 1ull << 7, 1ull << 7 };
const struct hfmt F_LA64 = { "la64", 0, 0, 0, (1ull << 1) | (1ull << 8),
				    (1ull << 1) | (1ull << 8) };
const struct hfmt F_LVZ = { "lvz", 0, 0, 0, (1ull << 1) | (1ull << 8),
				   (1ull << 1) | (1ull << 8) };

uint64_t base_seed(void)
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

/* The window: each 2 MiB slot one block, or base pages here and there;
 * writable or not at random (and executable, to keep X alongside). */
void ht_open(struct ht *h, const struct hfmt *hf, uint64_t seed)
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

void ht_close(struct ht *h)
{
	tree_check(h->pt, &h->g, &h->m, &h->mm, NULL);
	s2pt_destroy(h->pt);
	test_rcu_barrier();
	tmm_fini(&h->mm);
	model_fini(&h->m);
}

/* The window's leaves as they are now. */
void leaves(struct ht *h, struct wlist *w)
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
uint64_t *entry_ptr(struct ht *h, uint64_t ia)
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
void hw_set(struct ht *h, uint64_t ia, uint64_t bits)
{
	__atomic_fetch_or(entry_ptr(h, ia), bits, __ATOMIC_SEQ_CST);
}

uint64_t pte_of(struct ht *h, uint64_t ia)
{
	struct s2pt_leaf leaf;
	int ret = s2pt_lookup(h->pt, ia, &leaf);

	CHK(ret == 0, "lookup(0x%llx) = %d", (unsigned long long)ia, ret);
	return leaf.pte;
}

void bm_clear(struct ht *h)
{
	memset(h->bm, 0, sizeof(h->bm));
	h->bm[BM_WORDS] = GUARD;
}

/* Harvest [s, e) of the window into h->bm (relative to s); check the
 * return, the guard, and every bit against @want (relative to WIN). */
void harvest_check(struct ht *h, uint64_t s, uint64_t e, unsigned what,
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
void check_inv(struct ht *h, const struct wlist *w, const bool *cleared, uint64_t s,
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
void pick_range(struct ht *h, uint64_t *s, uint64_t *e)
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
