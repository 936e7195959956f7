/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the s2pt benchmark: the operations measured, the workload
 * geometry, the clock, and the runners for the library and the baseline.
 */
#ifndef S2PT_BENCH_H
#define S2PT_BENCH_H

#include <stdint.h>
#include <time.h>
#include <s2pt/s2pt.h>

#define B_PAGE		4096ull
#define B_NPAGES	(1u << 18)		/* 262,144 pages: 1 GiB */
#define B_REGION	(B_NPAGES * B_PAGE)
#define B_GIB		(1ull << 30)
#define B_IA0		B_GIB			/* first ia, 1 GiB aligned */
#define B_OA_OFF	(4 * B_GIB)		/* oa = ia + B_OA_OFF */
#define B_HUGE_MAX	64u			/* 1 GiB calls per huge sample */
#define B_MAX_RUNS	101			/* -r limit */

enum b_op {
	OP_MAP,		/* map 4 KiB pages one by one */
	OP_LK_SEQ,	/* lookup them in address order */
	OP_LK_RAND,	/* lookup them in a random order */
	OP_UNMAP,	/* unmap them one by one */
	OP_MAP_REG,	/* map 1 GiB of 4 KiB pages in one call */
	OP_PROT_REG,	/* protect it RW -> R in one call */
	OP_UNMAP_REG,	/* unmap it in one call */
	OP_MAP_HUGE,	/* map 1 GiB with S2PT_MAP_HUGE */
	OP_UNMAP_HUGE,	/* unmap that 1 GiB */
	OP_N
};

/* What every run shares: a fixed random order of the pages. */
struct b_cfg {
	const uint32_t *perm;	/* B_NPAGES page indices */
	uint64_t lk_sum;	/* sum of every page's oa, to check lookups */
	unsigned huge_n;	/* 1 GiB huge calls per sample, for the format */
};

/* Baseline flavours: what guarantees the hand-written walker gives. */
enum b_bl_mode {
	BL_BARE,	/* one thread: plain stores, tables freed at once */
	BL_SINGLE,	/* one writer, RCU readers: release stores, call_rcu */
	BL_CONC,	/* concurrent writers: compare-and-swap on every entry */
};

static inline uint64_t b_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double b_per(uint64_t t0, uint64_t n)
{
	return (double)(b_now() - t0) / (double)n;
}

static inline uint64_t b_ia(uint32_t i)
{
	return B_IA0 + (uint64_t)i * B_PAGE;
}

/* One run's results; what names the failed step, warn a fairness caveat. */
struct b_res {
	double ns[OP_N];	/* ns per op, per 4 KiB page or per call */
	uint64_t huge_leaf;	/* leaf size S2PT_MAP_HUGE produced */
	const char *what;
	const char *warn;
};

/*
 * One run of every operation on a fresh table: the library with opts.flags
 * @opt_flags (~0u: opts NULL), or the baseline in @mode.
 * Return: 0, or -errno of the first failed step (r->what names it).
 */
int b_lib_run(const struct s2pt_fmt *fmt, unsigned opt_flags,
	      const struct b_cfg *c, struct b_res *r);
int b_bl_run(enum b_bl_mode mode, const struct b_cfg *c, struct b_res *r);

/* b_median() - the median of @v[0 .. n), which it sorts in place. */
double b_median(double *v, unsigned n);

/* The concurrency part (bench_conc.c): several threads on one table. */
struct b_conc_args {
	unsigned runs;		/* timed runs, after one warm-up */
	unsigned ms;		/* duration of each run */
	int best;		/* the fastest run instead of the median */
};

/* b_conc_head() - what the concurrency tables show, printed once. */
void b_conc_head(const struct b_conc_args *a);

/*
 * b_conc() - measure and print the concurrency part for @fmt: reader
 * throughput alone, beside a writer and behind an rwlock; writer throughput
 * for 1 and 2 writers; the concurrent mode's cost over a single writer.
 * Return: nonzero if the library failed.
 */
int b_conc(const struct s2pt_fmt *fmt, const struct b_conc_args *a, const struct b_cfg *c);

#endif /* S2PT_BENCH_H */
