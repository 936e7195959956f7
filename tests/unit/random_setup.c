/* SPDX-License-Identifier: MIT */
/*
 * The randomized operation test: opening a table configuration (epoch),
 * probing the prots the format accepts, the regions, and the event hooks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit/random_rt.h"

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

void rt_open(struct rt *t, unsigned epoch)
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

void rt_close(struct rt *t)
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
