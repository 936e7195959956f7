/* SPDX-License-Identifier: MIT */
/*
 * Shared state of the s2pt libFuzzer target: the table under test, its
 * reference model (tests/model), and the contract checks of fuzz_check.c.
 */
#ifndef S2PT_FUZZ_H
#define S2PT_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"
#include "fuzz/fuzz_input.h"

enum fz_op_kind {
	OP_MAP, OP_UNMAP, OP_PROTECT, OP_SPLIT, OP_COLLAPSE, OP_HARVEST,
	OP_LOOKUP, OP_WALK, OP_ATTACH, OP_BADARGS, OP_NKINDS,
};

#define FZ_GUARD	0x5a5a5a5a5a5a5a5aull	/* after bitmaps */

extern const char *const fz_op_names[OP_NKINDS];

/* The n-th smallest leaf size in @mask (n from 0), or 0. */
static inline uint64_t fz_nth_size(uint64_t mask, unsigned n)
{
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		if ((mask & TLEVEL_SIZE(l)) && n-- == 0)
			return TLEVEL_SIZE(l);
	return 0;
}

/* One decoded operation. */
struct fz_op {
	enum fz_op_kind kind;
	uint64_t ia, size, oa, leaf_size;
	uint32_t prot;
	unsigned flags;			/* map: S2PT_MAP_*; harvest: S2PT_HARVEST_* */
	bool inject;			/* make allocation number nth fail */
	long nth;
	uint8_t arg, arg2;
};

struct fz_inv {
	uint64_t ia, size, seq;
	int level;
};

struct fz_free {
	uint64_t pa, seq;
};

struct fz {
	const struct s2pt_fmt *fmt;
	const char *name;
	unsigned fidx;			/* index in s2pt_fmt_next() order */
	unsigned flags, ia_bits;	/* as the table was created */
	bool rcu_sync;			/* opts.rcu = &fz_rcu_sync (else urcu-memb) */
	uint64_t leaf_sizes;		/* as asked (0: all) */
	uint64_t fmt_sizes;		/* every leaf size the format has */
	struct tmm mm;
	struct s2pt *pt;
	struct tgeo g;
	struct model m;
	struct snap cur;		/* the table as it is (walk, info) */
	struct snap next;		/* after the operation under way */
	uint64_t sizes[S2PT_MAX_LEVELS];	/* the table's leaf sizes, ascending */
	unsigned nsizes;
	uint64_t units[4];		/* address-code units, see fuzz_input.h */
	uint64_t win, wsize;		/* the input window: [win, win + wsize) */
	uint64_t oa_win, oa_top;	/* output window base; 2^oa_bits */
	bool wp_dirty;			/* harvest DIRTY write-protects (no D bit) */
	bool no_young;			/* harvest YOUNG is -EOPNOTSUPP */
	/* invalidate calls and table frees during the current operation */
	struct fz_inv *inv;
	size_t ninv, capinv;
	struct fz_free *fev;
	size_t nfev, capfev;
	bool recording;
	pthread_t self;
	/* the operations of this input, for the failure report */
	char hist[FZ_MAX_OPS + 1][224];
	unsigned nhist;
	bool trace;			/* S2PT_FUZZ_TRACE set: print every step */
	uint64_t leaves;		/* after the last full check */
};

/* Append @r to @w. */
void fz_wl_push(struct wlist *w, const struct wrec *r);
/* Copy the leaves of @in (any walk list) into @out. */
void fz_leaves_only(const struct wlist *in, struct wlist *out);
/* Intersection of two byte ranges in page numbers; false if empty. */
bool fz_isect(uint64_t a, uint64_t as, uint64_t b, uint64_t bs, uint64_t *lo, uint64_t *hi);

/* fuzz_rcu.c: an exact one-thread RCU flavor (grace period = leaving the
 * outermost read-side section); fz_rcu_in_op forbids synchronize_rcu. */
extern const struct rcu_flavor_struct fz_rcu_sync;
extern bool fz_rcu_in_op;

/* Append to the current operation's history line (the failure report). */
void fz_hist_add(struct fz *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Linked tables in a walk list; allocator pages in use against them. */
uint64_t fz_tables(const struct wlist *w);
void fz_check_alloc(struct fz *f, uint64_t tables, const char *what, bool exact);

/*
 * Checks after a successful mutating operation. @pre: every entry before
 * it (leaves and tables, pre-order); @pl: its leaves; @post: every leaf
 * after it. Each fails through chk_fail() with what it found.
 */
void fz_check_untouched(struct fz *f, const struct fz_op *o, const struct wlist *pl,
			const struct wlist *post);
void fz_check_invalidations(struct fz *f, const struct fz_op *o, const struct wlist *pre,
			    const struct wlist *pl, const struct wlist *post);
void fz_check_map_shape(struct fz *f, const struct fz_op *o, const struct wlist *post);
void fz_check_split_shape(struct fz *f, const struct fz_op *o, const struct wlist *pl,
			  const struct wlist *post);
void fz_check_collapse(struct fz *f, const struct fz_op *o, const struct wlist *pl,
		       const struct wlist *post);
/* Harvest: the bitmap against the leaves before it; updates the model for
 * write-protecting formats. */
void fz_check_harvest(struct fz *f, const struct fz_op *o, const struct wlist *pl,
		      const uint64_t *bm);

/* Read-only and refused operations (fuzz_readers.c), checked on their own. */
void fz_do_walk(struct fz *f, const struct fz_op *o);
void fz_do_attach(struct fz *f, const struct fz_op *o);
void fz_badargs(struct fz *f, const struct fz_op *o);

#endif /* S2PT_FUZZ_H */
