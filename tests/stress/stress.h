/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress test (issue 4): shared types of the address layout,
 * the per-case state, the checks and the reader / writer threads.
 */
#ifndef S2PT_STRESS_H
#define S2PT_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <s2pt/s2pt.h>

#define ST_PAGE		UINT64_C(4096)
#define ST_2M		(UINT64_C(1) << 21)
#define ST_1G		(UINT64_C(1) << 30)
/*
 * Membership: page p may only ever map to oa = ia + k * ST_STRIDE, with
 * k == ST_K_STABLE on the stable region and ST_K_MIN..ST_K_MAX elsewhere,
 * and a prot from the case's fixed set. ST_STRIDE is a multiple of every
 * block size, so huge leaves stay possible; every address used lies below
 * ST_IA_END, so (oa - ia) / ST_STRIDE names k exactly.
 */
#define ST_STRIDE	(UINT64_C(1) << 36)
#define ST_K_STABLE	1u
#define ST_K_MIN	2u
#define ST_K_MAX	4u
#define ST_IA_END	(16 * ST_1G)

#define ST_MAX_WRITERS	8
#define ST_MAX_READERS	16
#define ST_MAX_PROTS	8
#define ST_MAX_ZONES	64
#define ST_MAX_MSGS	20	/* failure messages printed per case */

enum st_mode { ST_SINGLE, ST_MULTI, ST_SERIAL };
enum zone_kind { Z_SHARED, Z_OWNED };

/*
 * A churn zone: a range only writers rewrite. Shared zones are written by
 * every writer at once (overlapping ranges); an owned zone by one writer,
 * which keeps its exact model: per page 0 (unmapped) or k << 4 | prot index.
 */
struct zone {
	uint64_t start, size;
	enum zone_kind kind;
	unsigned owner;
	uint8_t *model;
};

/* A run of stable pages: mapped before the threads start, never changed. */
struct srun {
	uint64_t ia, size;
	uint64_t leaf;		/* the leaf size every page of the run has */
	uint32_t prot;
};

struct pmm;

/* Counters a thread keeps to itself and adds up at the end. */
enum { OP_MAP, OP_UNMAP, OP_PROTECT, OP_SPLIT, OP_COLLAPSE, OP_HARVEST, OP_N };

struct st_stats {
	uint64_t ops[OP_N], ok[OP_N], eexist, huge_maps;
	uint64_t lookups, hits, walks, walk_leaves, xlates, dumps, stable_checks;
	uint64_t leaf_seen[S2PT_MAX_LEVELS];	/* churn leaves seen per level */
	uint64_t owned_checks;
};

/* One format in one mode. */
struct st_case {
	const struct s2pt_fmt *fmt;
	const char *fname;
	enum st_mode mode;
	unsigned nwriters, nreaders;
	double seconds;
	uint64_t seed;

	struct s2pt *pt;
	struct pmm *mm;
	struct s2pt_info info;
	uint64_t sizes[S2PT_MAX_LEVELS];	/* allowed leaf sizes, ascending */
	unsigned nsizes;
	uint32_t prots[ST_MAX_PROTS];		/* every prot a writer may set */
	unsigned nprots;
	bool harvest_young;			/* the format has an accessed bit */
	uint64_t canary;			/* oa of the poison's leaves */

	struct zone zones[ST_MAX_ZONES];	/* sorted by start */
	unsigned nzones;
	struct srun *runs;			/* sorted by ia */
	size_t nruns;
	uint64_t stable_pages;

	pthread_mutex_t lock;	/* single: writers take it; serial: everyone */
	int stop;		/* atomic: time is up */
	uint64_t failures;	/* atomic: invariant violations */
	uint64_t msgs;		/* atomic: messages printed */
	uint64_t invs;		/* atomic: invalidate() calls */
	struct st_stats total;
	uint64_t mm_peak, mm_allocs;	/* table pages: peak in use, allocations */
};

/* Per-thread state. */
struct st_thread {
	struct st_case *c;
	unsigned id;
	bool writer;
	pthread_t tid;
	uint64_t rng[4];
	struct st_stats st;
	uint64_t *bitmap;	/* harvest */
	char name[16];
	void *devnull;		/* FILE * for s2pt_dump */
};

/* ---- random numbers: xoshiro256** seeded with splitmix64 -------------- */

static inline uint64_t st_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void st_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = st_splitmix(&seed);
}

static inline uint64_t st_next(uint64_t s[4])
{
	uint64_t r = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return r;
}

/* Uniform enough in [0, n) for n > 0 (n is far below 2^64 here). */
static inline uint64_t st_below(struct st_thread *t, uint64_t n)
{
	return st_next(t->rng) % n;
}

/* A stable hash of a page number, to give stable pages varied prots. */
static inline uint64_t st_hash(uint64_t x)
{
	return st_splitmix(&x);
}

/* ---- sanitizer glue ------------------------------------------------- */

#if defined(__SANITIZE_THREAD__)
#define ST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ST_TSAN 1
#endif
#endif

/*
 * ThreadSanitizer does not see liburcu's grace periods (liburcu is not
 * instrumented). Each test thread calls st_quiescent() after every s2pt
 * call it makes (so after its read-side sections ended), and the page
 * allocator calls st_gp_wait() before it poisons or reuses a page: that
 * orders accesses of finished calls before the free, which is what a grace
 * period guarantees, while an access still in flight when the page is
 * freed (an early free) stays unordered and is reported.
 */
void st_quiescent(void);
void st_gp_wait(void);

/* ---- layout.c: setup, checks, final state ----------------------------- */

int st_case_setup(struct st_case *c);
void st_case_teardown(struct st_case *c);
const struct zone *st_zone_of(const struct st_case *c, uint64_t ia);
const struct srun *st_run_of(const struct st_case *c, uint64_t ia);
/* Count and (for the first few) print a violated invariant. */
void st_fail(struct st_case *c, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A leaf seen by @who for byte address @ia: (oa of ia, leaf size, prot). */
void st_check_leaf(struct st_case *c, struct st_thread *t, const char *how, uint64_t ia,
		   uint64_t oa, uint64_t size, unsigned level, uint32_t prot);
/* s2pt_walk() over [ia, ia + size), every leaf checked, stable pages
 * counted (all of them must be seen). */
void st_check_walk(struct st_case *c, struct st_thread *t, uint64_t ia, uint64_t size);
/* After the threads joined: exact owned zones, stable region, tree shape,
 * allocator accounting; then destroy and the leak check. */
void st_final_checks(struct st_case *c, struct st_thread *t);
uint64_t st_model_val(unsigned k, unsigned pi);
int st_prot_index(const struct st_case *c, uint32_t prot);

/* ---- poison.c: the value freed table pages are filled with ------------ */

/* An entry value that reads as present at every level and leads to a leaf
 * in [c->canary, ...): the poison table phys_to_virt() serves there is
 * full of it. Prints a note if no candidate does. */
uint64_t st_pick_poison(struct st_case *c);

/* ---- workers.c: the threads ------------------------------------------- */

void *st_writer(void *arg);
void *st_reader(void *arg);
void st_stats_add(struct st_stats *to, const struct st_stats *from);

#endif /* S2PT_STRESS_H */
