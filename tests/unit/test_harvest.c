/* SPDX-License-Identifier: MIT */
/*
 * s2pt_harvest(): refused requests (bad input, YOUNG without an accessed bit)
 * change nothing; the formats' own cases are in test_harvest_ad.c and _wp.c.
 * Replay: S2PT_SEED=<seed> build/tests/unit --filter 'harvest/<test>'
 */
#include <errno.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "unit/harvest_util.h"

TestSuite(harvest, .timeout = 120);

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
