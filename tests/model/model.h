/* SPDX-License-Identifier: MIT */
/*
 * Test support: a reference model of a page table (page -> {oa, prot}), a
 * counting / failing / poisoning mm provider, and a full-tree checker, all
 * written against the public API only.
 */
#ifndef S2PT_TESTS_MODEL_H
#define S2PT_TESTS_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <s2pt/s2pt.h>

#define TPAGE		4096ull
#define TLEVEL_SIZE(l)	(TPAGE << (9 * (l)))
#define TKIB		(1ull << 10)
#define TMIB		(1ull << 20)
#define TGIB		(1ull << 30)

/* ---------------------------------------------------------------------
 * Failure reporting (chk.c). Every check in this directory fails through
 * chk_fail(): it prints the context string set by the test (format, seed,
 * step, the replay line) and whatever chk_set_dump() registered (the last
 * operations), then aborts the Criterion test.
 */
void chk_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void chk_set_dump(void (*dump)(void *arg), void *arg);
void chk_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define CHK(cond, ...) do { if (!(cond)) chk_fail(__VA_ARGS__); } while (0)

/* ---------------------------------------------------------------------
 * Reference model (refmodel.c): a sorted array of extents of 4 KiB pages,
 * keyed by the page number of the (canonical, sign-extended for first
 * stage) input address. Adjacent extents with contiguous output and equal
 * prot are merged, so a range is "one alike run" iff one extent covers it.
 */
struct model_ext {
	uint64_t pg;		/* first page: ia >> 12 */
	uint64_t npg;		/* pages */
	uint64_t oa;		/* output address of the first page */
	uint32_t prot;
};

struct model {
	struct model_ext *e;
	size_t n, cap;
	uint64_t pages;		/* total mapped pages */
};

void model_init(struct model *m);
void model_fini(struct model *m);
void model_clear(struct model *m);
void model_copy(struct model *dst, const struct model *src);
/* Ranges are [ia, ia + size), page aligned, may end at 2^64. */
bool model_any(const struct model *m, uint64_t ia, uint64_t size);
uint64_t model_pages_in(const struct model *m, uint64_t ia, uint64_t size);
/* The contract of s2pt_map: -EEXIST (and no change) if anything is mapped
 * in the range and !(flags & S2PT_MAP_REPLACE); else maps it and returns 0. */
int model_map(struct model *m, uint64_t ia, uint64_t oa, uint64_t size,
	      uint32_t prot, unsigned flags);
void model_unmap(struct model *m, uint64_t ia, uint64_t size);
void model_protect(struct model *m, uint64_t ia, uint64_t size, uint32_t prot);
/* split and collapse never change translations: no-ops in the model. */
void model_split(struct model *m, uint64_t ia, uint64_t size, uint64_t leaf_size);
void model_collapse(struct model *m, uint64_t ia, uint64_t size);
/* 0 and *oa (offset included), *prot for a mapped byte address; -ENOENT. */
int model_lookup(const struct model *m, uint64_t ia, uint64_t *oa, uint32_t *prot);
/* The extent containing page of @ia, or NULL. */
const struct model_ext *model_find(const struct model *m, uint64_t ia);
/* Does the model map all of [ia, ia + size) to [oa, oa + size) with @prot?
 * If not, writes why into @why. */
bool model_matches(const struct model *m, uint64_t ia, uint64_t size,
		   uint64_t oa, uint32_t prot, char *why, size_t whylen);

/* ---------------------------------------------------------------------
 * Counting mm provider over aligned_alloc (tmm.c). pa == va. Counts live pages
 * and bytes, checks every free and phys_to_virt against the live set,
 * poisons freed memory and keeps it in quarantine for a while (checking
 * on release that nobody wrote to it), and can fail the n-th allocation.
 */
struct tmm_hash;

struct tmm {
	pthread_mutex_t lock;		/* RCU callbacks may free from another thread */
	uint64_t live_bytes;
	uint64_t live_allocs;
	uint64_t allocs, frees;		/* totals */
	long fail_in;			/* allocations until the failing one; -1: none */
	uint64_t injected;		/* injected failures so far */
	struct tmm_hash *h;		/* live pages -> allocation */
	void **q_va;			/* quarantine ring */
	size_t *q_bytes;
	size_t q_head, q_n, q_cap;
	uint64_t seq;			/* event counter, see tmm_tick() */
	/* optional: told of every successful free (under the lock) */
	void (*on_free)(void *arg, uint64_t pa, size_t bytes, uint64_t seq);
	void *ev_arg;
};

extern const struct s2pt_mm_ops tmm_ops;

void tmm_init(struct tmm *t);
/* Drains the quarantine (checking the poison) and fails on leaks. */
void tmm_fini(struct tmm *t);
/* Make the n-th allocation from now fail (0: the next one); -1: none. */
void tmm_fail_nth(struct tmm *t, long n);
uint64_t tmm_live_pages(struct tmm *t);
uint64_t tmm_allocs(struct tmm *t);
/* Next value of the event counter shared by zalloc, free and callers (the
 * invalidate hook), to order events. */
uint64_t tmm_tick(struct tmm *t);

/* Wait until every call_rcu callback queued so far has run (the default
 * flavor, urcu-memb), so deferred table frees show in the counts. */
void test_rcu_barrier(void);
void test_rcu_register(void);
void test_rcu_unregister(void);

/* ---------------------------------------------------------------------
 * Geometry helpers (tree_check.c).
 */
struct tgeo {
	struct s2pt_info info;
	bool canonical;		/* first stage: sign-extended input */
	uint64_t half;		/* canonical: 2^(ia_bits-1); else 2^ia_bits (0 if 64) */
};

/* Fill @g from s2pt_info; canonical is probed through the public API
 * (s2pt_lookup of the top page: -ERANGE on a second-stage table). */
void tgeo_get(struct s2pt *pt, struct tgeo *g);
/* Is [ia, ia + size) inside the input space (one half for canonical)? */
bool tgeo_range_ok(const struct tgeo *g, uint64_t ia, uint64_t size);

/* ---------------------------------------------------------------------
 * Walk records and snapshots (tree_check.c).
 */
struct wrec {
	uint64_t ia, size, pte, table_pa;
	unsigned level, kind;
	/* leaves */
	uint64_t oa;
	uint32_t prot;
};

struct wlist {
	struct wrec *r;
	size_t n, cap;
};

void wlist_init(struct wlist *w);
void wlist_fini(struct wlist *w);
/* Every entry intersecting [ia, ia+size) of kinds @flags, in walk order.
 * Fails the test if s2pt_walk does not return 0. */
void wlist_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,
		struct wlist *w);
/* Whole input space (both halves for canonical). */
void wlist_walk_all(struct s2pt *pt, const struct tgeo *g, unsigned flags,
		    struct wlist *w);
/* Index of the leaf containing @ia in a leaves-only list, or -1. */
long wlist_find_leaf(const struct wlist *w, uint64_t ia);
/* Equal lists? If not, @why says where. */
bool wlist_equal(const struct wlist *a, const struct wlist *b, char *why, size_t len);

struct snap {
	struct wlist all;		/* leaves and tables, pre-order */
	struct s2pt_info info;
	uint64_t live_pages;		/* tmm pages minus spare pages */
};

void snap_take(struct s2pt *pt, const struct tgeo *g, struct tmm *mm, struct snap *s);
/* Fails the test (with @what) if the table differs from @s. */
void snap_expect(struct s2pt *pt, const struct tgeo *g, struct tmm *mm,
		 const struct snap *s, const char *what);
void snap_fini(struct snap *s);

/* ---------------------------------------------------------------------
 * The full-tree checker (tree_check.c). Walks everything with
 * LEAF|TABLE_PRE|TABLE_POST and checks: each leaf well formed (size ==
 * 4096 << 9*level, level allowed by info.leaf_sizes, ia and oa aligned,
 * visit and decoded leaf agree) and equal to the model; leaves in address
 * order and disjoint; every TABLE_PRE closed by its TABLE_POST with at
 * least one present entry in between (no empty table); info.table_pages[]
 * equal to the reachable table pages per level (root included); if @mm is
 * given, allocator pages in use == root pages + reachable tables +
 * info.spare_pages (after an RCU barrier). Returns the number of leaves.
 */
struct tree_stats {
	uint64_t leaves, tables;
	uint64_t leaves_per_level[S2PT_MAX_LEVELS];
	uint64_t tables_per_level[S2PT_MAX_LEVELS];
};

void tree_check(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		struct tmm *mm, struct tree_stats *st);

/* Check one lookup against the model (byte address, offset included). */
void check_lookup(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		  uint64_t ia);

/* Check one leaf record: well formed and as the model says. */
void check_leaf(const struct tgeo *g, const struct model *m, const struct wrec *r);

/* Create a table on @mm (a struct tmm) with the given geometry options
 * (tmm.c). */
int tcreate(const struct s2pt_fmt *fmt, struct tmm *mm, unsigned ia_bits,
	    uint64_t leaf_sizes, unsigned flags,
	    void (*inv)(void *, uint64_t, uint64_t, int), void *inv_ctx,
	    struct s2pt **out);

/* ---------------------------------------------------------------------
 * Deterministic PRNG (splitmix64 seeded xoshiro256**; trng.c).
 */
struct trng { uint64_t s[4]; };
void trng_seed(struct trng *r, uint64_t seed);
uint64_t trng_next(struct trng *r);
/* uniform in [0, n), n > 0 */
uint64_t trng_below(struct trng *r, uint64_t n);
static inline bool trng_chance(struct trng *r, unsigned pct)
{
	return trng_below(r, 100) < pct;
}
uint64_t hash_str(const char *s);

#endif /* S2PT_TESTS_MODEL_H */
