/* SPDX-License-Identifier: MIT */
/*
 * struct s2pt and the core's internal, non-instantiated helpers: spare-page
 * pool, per-operation page reservation, invalidation batch and the tables
 * an operation unlinked, freed after an RCU grace period.
 */
#ifndef S2PT_CORE_PT_H
#define S2PT_CORE_PT_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/fmt.h"

#define S2PT_HIDDEN __attribute__((visibility("hidden")))
#define s2pt_always_inline inline __attribute__((always_inline))
#define s2pt_likely(x) __builtin_expect(!!(x), 1)
#define s2pt_unlikely(x) __builtin_expect(!!(x), 0)

/* Operations a format's instantiation of the core provides. */
struct s2pt_fmt_ops {
	int (*map)(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size,
		   uint32_t prot, unsigned flags);
	int (*unmap)(struct s2pt *pt, uint64_t ia, uint64_t size);
	int (*protect)(struct s2pt *pt, uint64_t ia, uint64_t size, uint32_t prot);
	int (*lookup)(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out);
	int (*walk)(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,
		    s2pt_visit_fn fn, void *arg);
	int (*split)(struct s2pt *pt, uint64_t ia, uint64_t size, uint64_t leaf_size);
	int (*collapse)(struct s2pt *pt, uint64_t ia, uint64_t size);
	int (*harvest)(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned what,
		       uint64_t *bitmap);
	int (*probe)(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out, int *level);
	/* s2pt_translate() with this format as the guest's first stage */
	int (*xlate)(const struct s2pt_guest *g, uint64_t gva, uint32_t access,
		     struct s2pt_xlate *out);
	void (*free_tree)(struct s2pt *pt);	/* every table below the root */
};

/* A spare table page waiting in the pool. The pool lives in host memory,
 * never in the pages: an arena may be guest RAM the guest can write. */
struct s2pt_spare {
	uint64_t *va;
	uint64_t pa;
};

struct s2pt {
	const struct s2pt_fmt *fmt;
	uint64_t *root;
	uint64_t root_pa;
	size_t root_bytes;
	unsigned levels;		/* root is level levels - 1 */
	unsigned ia_bits, oa_bits;
	uint64_t leaf_levels;		/* bit l: a leaf may live at level l */
	unsigned flags;			/* S2PT_OPT_* */
	bool read_only;			/* s2pt_attach() */
	bool linear;			/* va = pa + p2v_off for every table page */
	intptr_t p2v_off;
	const struct s2pt_mm_ops *mm;
	void *mm_ctx;
	void (*invalidate)(void *ctx, uint64_t ia, uint64_t size, int level);
	void *inv_ctx;
	uint64_t empty[S2PT_MAX_LEVELS];	/* the not-present value per level */
	void *empty_va[S2PT_MAX_LEVELS];	/* shared invalid tables (LVZ) */
	uint64_t empty_pa[S2PT_MAX_LEVELS];
	uint64_t table_pages[S2PT_MAX_LEVELS];	/* atomic: writers run concurrently */
	const struct rcu_flavor_struct *rcu;	/* NULL: urcu-memb, inlined */
	/* The pool and every call into mm: writers only take it to get or
	 * return pages, the call_rcu thread to free unlinked tables. */
	pthread_mutex_t pool_lock;
	struct s2pt_spare *spare;	/* spare[0 .. nspare) */
	uint64_t nspare, spare_cap;
	bool spare_scrub;		/* pool pages others can write: zero on use */
};

/* Pages an op keeps on its stack before it needs an array from the heap. */
#define S2PT_OP_RES 8

/* One mutating operation's bookkeeping, on the caller's stack: the range
 * to invalidate, the pages it reserved from the pool (so nothing fails
 * once it changes the table), and the tables it unlinked, which go to
 * call_rcu after the invalidation. */
struct s2pt_op {
	uint64_t inv_start, inv_end;	/* index space; start == end: nothing */
	int inv_level;			/* -1: mixed levels or a table unlinked */
	uint64_t nres, res_cap;
	struct s2pt_spare *res;		/* res[0 .. nres): reserved, zeroed */
	uint64_t ngone, gone_cap;
	struct s2pt_spare *gone;	/* unlinked tables, in the retire record */
	void *retire;			/* struct s2pt_retire, for call_rcu */
	struct s2pt_spare res_small[S2PT_OP_RES];
};

S2PT_HIDDEN int s2pt_xlate_s2(const struct s2pt_guest *g, uint64_t gpa, uint32_t access,
			      unsigned s1_flags, bool in_walk, struct s2pt_xlate *out);
S2PT_HIDDEN int s2pt_xlate_fault(struct s2pt_xlate *out, unsigned stage, unsigned kind,
				 int level, uint64_t addr);
S2PT_HIDDEN bool s2pt_s1_access_ok(unsigned fmt_flags, uint32_t prot, uint32_t access);
S2PT_HIDDEN int s2pt_op_reserve(struct s2pt *pt, struct s2pt_op *op, uint64_t tables,
				uint64_t gone);
S2PT_HIDDEN void s2pt_op_done(struct s2pt *pt, struct s2pt_op *op);
S2PT_HIDDEN void s2pt_op_gone_grow(struct s2pt *pt, struct s2pt_op *op);
S2PT_HIDDEN void s2pt_op_unreserve(struct s2pt *pt, struct s2pt_op *op);
S2PT_HIDDEN __attribute__((noreturn)) void s2pt_spare_bound_broken(struct s2pt *pt);
S2PT_HIDDEN void s2pt_table_release(struct s2pt *pt, void *va, uint64_t pa, unsigned level);
S2PT_HIDDEN void s2pt_invalidate_now(struct s2pt *pt, uint64_t idx, uint64_t size, int level);
S2PT_HIDDEN void *s2pt_p2v_slow(const struct s2pt *pt, uint64_t pa);

/* Writers may race other writers (the default) or only the hardware and
 * readers (S2PT_OPT_SINGLE_WRITER). */
static inline bool s2pt_shared(const struct s2pt *pt)
{
	return !(pt->flags & S2PT_OPT_SINGLE_WRITER);
}

static inline void s2pt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Relaxed: a statistic for s2pt_info() and the tests, ordered by nothing. */
static inline void s2pt_count_tables(struct s2pt *pt, unsigned level, int64_t n)
{
	__atomic_fetch_add(&pt->table_pages[level], (uint64_t)n, __ATOMIC_RELAXED);
}

static inline uint64_t s2pt_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t s2pt_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline unsigned s2pt_shift(unsigned level)
{
	return S2PT_PAGE_SHIFT + S2PT_LEVEL_BITS * level;
}

static inline uint64_t s2pt_lsize(unsigned level)
{
	return 1ull << s2pt_shift(level);
}

/* An index-space address as the caller sees it: sign-extended for
 * first-stage formats. */
static inline uint64_t s2pt_ia_out(const struct s2pt *pt, unsigned fmt_flags, uint64_t idx)
{
	unsigned b = pt->ia_bits;

	if ((fmt_flags & S2PT_FMT_TTBR) && (pt->flags & (S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1)))
		return (pt->flags & S2PT_OPT_TTBR1) ? idx | ~((1ull << b) - 1) : idx;
	if ((fmt_flags & S2PT_FMT_CANONICAL) && (idx >> (b - 1)) & 1)
		return idx | ~((1ull << b) - 1);
	return idx;
}

static inline void *s2pt_p2v(const struct s2pt *pt, uint64_t pa)
{
	if (s2pt_likely(pt->linear))
		return (void *)(uintptr_t)(pa + (uint64_t)pt->p2v_off);
	return s2pt_p2v_slow(pt, pa);
}

/* The table at @pa, for readers: false if a provider's phys_to_virt does
 * not know @pa (an attached view's foreign pointer). Linear providers
 * always succeed, and the check folds away for them. */
static inline bool s2pt_p2v_ok(const struct s2pt *pt, uint64_t pa, uint64_t **t)
{
	if (s2pt_likely(pt->linear)) {
		*t = (uint64_t *)(uintptr_t)(pa + (uint64_t)pt->p2v_off);
		return true;
	}
	*t = (uint64_t *)s2pt_p2v_slow(pt, pa);
	return *t != NULL;
}

#endif /* S2PT_CORE_PT_H */
