/* SPDX-License-Identifier: MIT */
/*
 * What the harvest tests share (harvest_util.c): the formats' hardware bits,
 * a table with a randomly mapped window, hardware-style bit setting, checks.
 */
#ifndef S2PT_TESTS_UNIT_HARVEST_UTIL_H
#define S2PT_TESTS_UNIT_HARVEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

#define WIN		0x40000000ull	/* the mapped window: 16 MiB, 8 2 MiB slots */
#define WIN_SIZE	(16 * TMIB)
#define WIN_PAGES	(WIN_SIZE / TPAGE)
#define BM_WORDS	(WIN_PAGES / 64)
#define GUARD		0x5a5a5a5a5a5a5a5aull
#define ROUNDS		200

/* Where a format keeps its accessed / dirty bits (harvest_util.c says why). */
struct hfmt {
	const char *name;
	unsigned flags;		/* opts.flags */
	uint64_t a, d;		/* hardware bits; d == 0: write-protects */
	uint64_t wbits;		/* write-permission bits of a leaf (write-protect formats) */
	uint64_t wclear;	/* of those, the ones that must read 0 once protected */
};

extern const struct hfmt F_X86, F_NPT, F_EPT_AD, F_SV39, F_SV39X4, F_EPT, F_ARM_S2, F_LA64,
	F_LVZ;

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

static inline uint64_t rnd(struct ht *h, uint64_t n)
{
	return trng_below(&h->rng, n);
}

static inline bool chance(struct ht *h, unsigned pct)
{
	return trng_chance(&h->rng, pct);
}

static inline bool bm_test(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static inline void bm_set(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ull << (i % 64);
}

uint64_t base_seed(void);
void ht_open(struct ht *h, const struct hfmt *hf, uint64_t seed);
void ht_close(struct ht *h);
/* The window's leaves as they are now. */
void leaves(struct ht *h, struct wlist *w);
/* Where the leaf translating @ia lives (pa == va with tmm). */
uint64_t *entry_ptr(struct ht *h, uint64_t ia);
/* What the hardware does on an access: one locked OR into the leaf. */
void hw_set(struct ht *h, uint64_t ia, uint64_t bits);
uint64_t pte_of(struct ht *h, uint64_t ia);
void bm_clear(struct ht *h);
/* Harvest [s, e) of the window into h->bm and check it against @want. */
void harvest_check(struct ht *h, uint64_t s, uint64_t e, unsigned what,
		   const uint64_t *want, const char *step);
/* The invalidation a harvest that cleared @cleared leaves of @w must make. */
void check_inv(struct ht *h, const struct wlist *w, const bool *cleared, uint64_t s,
	       uint64_t e, const char *step);
/* A random page-aligned range inside the window. */
void pick_range(struct ht *h, uint64_t *s, uint64_t *e);

#endif /* S2PT_TESTS_UNIT_HARVEST_UTIL_H */
