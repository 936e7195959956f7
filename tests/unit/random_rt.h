/* SPDX-License-Identifier: MIT */
/*
 * The state of the randomized operation test (test_random.c) and what its
 * parts share: setup (random_setup.c), generation (random_gen.c), checks.
 */
#ifndef S2PT_TESTS_UNIT_RANDOM_RT_H
#define S2PT_TESTS_UNIT_RANDOM_RT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
extern const char *const op_names[];

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

static inline uint64_t rnd(struct rt *t, uint64_t n)
{
	return trng_below(&t->rng, n);
}

static inline bool chance(struct rt *t, unsigned pct)
{
	return trng_chance(&t->rng, pct);
}

/* random_setup.c */
void rt_open(struct rt *t, unsigned epoch);
void rt_close(struct rt *t);

/* random_gen.c */
void gen_op(struct rt *t, struct opctx *o);

/* random_checks.c */
bool isect(uint64_t a, uint64_t as, uint64_t b, uint64_t bs, uint64_t *lo, uint64_t *hi);
void check_invalidations(struct rt *t, const struct opctx *o, const struct wlist *pre);
void check_map_shape(struct rt *t, const struct opctx *o);
void check_split_shape(struct rt *t, const struct opctx *o, const struct wlist *pre);
void check_collapse_shape(struct rt *t, const struct opctx *o, const struct wlist *pre);
void check_lookups(struct rt *t, const struct opctx *o);
void check_range(struct rt *t, const struct opctx *o, const struct wlist *pre);

#endif /* S2PT_TESTS_UNIT_RANDOM_RT_H */
