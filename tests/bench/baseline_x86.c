/* SPDX-License-Identifier: MIT */
/*
 * Benchmark baseline: x86-64 4-level tables walked by hand, one iterative loop
 * over levels, no descriptor, no indirect call. Same entries as s2pt x86_64.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "bench_rcu.h"
#include "baseline_x86.h"

/*
 * Modes (enum b_bl_mode): BL_BARE is the single-threaded walker. BL_SINGLE
 * adds what concurrent readers need: lookups under the RCU read lock, table
 * pages freed through call_rcu. BL_CONC adds compare-and-swap / exchange on
 * every entry write; it prices concurrent writers but is not a complete
 * lock-free protocol (freeing an empty table can race with a writer).
 */

#define AI		inline __attribute__((always_inline))

#define X_P		(1ull << 0)
#define X_RW		(1ull << 1)
#define X_US		(1ull << 2)
#define X_PWT		(1ull << 3)
#define X_PCD		(1ull << 4)
#define X_A		(1ull << 5)
#define X_D		(1ull << 6)
#define X_PS		(1ull << 7)	/* large leaf; PAT bit of a 4 KiB leaf */
#define X_G		(1ull << 8)
#define X_XD		(1ull << 63)
#define X_ADDR		0x000ffffffffff000ull
#define X_TABLE		(X_P | X_RW | X_US | X_A)
#define X_OA_BITS	52

#define NENT		512u
#define IDX(ia, l)	((unsigned)((ia) >> (12 + 9 * (l))) & (NENT - 1))
#define LSIZE(l)	(1ull << (12 + 9 * (l)))
#define ROOT_L		3u

#define PROT_OK		(S2PT_R | S2PT_W | S2PT_X | S2PT_U | S2PT_G | \
			 S2PT_MT_MASK | S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

struct bl {
	uint64_t *root;
	enum b_bl_mode mode;
	uint64_t tables;
};

struct bl_defer {
	struct rcu_head head;
	void *page;
};

/* ---- entries ---- */

/* Acquire: a table pointer read here is followed into the table. */
static AI uint64_t ld(const uint64_t *e, enum b_bl_mode m)
{
	if (m == BL_BARE)
		return *e;
	return __atomic_load_n(e, __ATOMIC_ACQUIRE);
}

/* Release: a table's entries are visible before the entry linking it. */
static AI void st(uint64_t *e, uint64_t v, enum b_bl_mode m)
{
	if (m == BL_BARE)
		*e = v;
	else
		__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

/* *e = v if it holds @old. Return: false if another writer changed it. */
static AI bool set(uint64_t *e, uint64_t old, uint64_t v, enum b_bl_mode m)
{
	if (m == BL_CONC)
		return __atomic_compare_exchange_n(e, &old, v, false,
						   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	if (ld(e, m) != old)
		return false;
	st(e, v, m);
	return true;
}

static AI void clr(uint64_t *e, enum b_bl_mode m)
{
	if (m == BL_CONC)
		(void)__atomic_exchange_n(e, 0, __ATOMIC_ACQ_REL);
	else
		st(e, 0, m);
}

static AI uint64_t *tbl(uint64_t v)
{
	return (uint64_t *)(uintptr_t)(v & X_ADDR);
}

static AI bool canon(uint64_t ia)
{
	return (uint64_t)((int64_t)(ia << 16) >> 16) == ia;
}

/* ---- protections ---- */

static int prot_enc(uint32_t prot, uint64_t *pte)
{
	unsigned mt = (prot & S2PT_MT_MASK) >> S2PT_MT_SHIFT;
	uint64_t v = X_P | X_A;

	if ((prot & ~PROT_OK) || !(prot & S2PT_R) || mt > 2)
		return -EINVAL;
	v |= prot & S2PT_W ? X_RW : 0;
	v |= prot & S2PT_X ? 0 : X_XD;
	v |= prot & S2PT_U ? X_US : 0;
	v |= prot & S2PT_G ? X_G : 0;
	v |= mt == 1 ? X_PWT : mt == 2 ? X_PWT | X_PCD : 0;
	v |= (uint64_t)((prot >> 12) & 7) << 9 | (uint64_t)((prot >> 15) & 1) << 52;
	*pte = v;
	return 0;
}

/*
 * Decode a leaf as s2pt's x86 encoder reads it: PCD:PWT gives the memory
 * type (PCD alone reads as DEV), PAT is never written and is ignored. Each
 * S2PT bit is one shift and mask of the entry.
 */
static AI uint32_t prot_dec(uint64_t v)
{
	uint64_t p = S2PT_R;

	p |= v & X_RW;					/* bit 1 -> S2PT_W */
	p |= (v & X_US) << 3;				/* bit 2 -> S2PT_U */
	p |= (v >> 2) & S2PT_G;				/* bit 8 -> S2PT_G */
	p |= (~v >> 61) & S2PT_X;			/* !bit 63 -> S2PT_X */
	p |= (v << 3) & (S2PT_SW0 | S2PT_SW1 | S2PT_SW2);	/* bits 9-11 */
	p |= (v >> 37) & S2PT_SW3;			/* bit 52 */
	p |= ((0xa4u >> ((v & (X_PWT | X_PCD)) >> 2)) & 3) << S2PT_MT_SHIFT;
	return (uint32_t)p;
}

static AI void leaf_fill(struct s2pt_leaf *out, uint64_t ia, uint64_t v, unsigned l)
{
	uint64_t sz = LSIZE(l);

	out->oa = (v & X_ADDR & ~(sz - 1)) | (ia & (sz - 1));
	out->size = sz;
	out->level = l;
	out->prot = prot_dec(v);
	out->pte = v;
}

/* ---- table pages ---- */

static void defer_free(struct rcu_head *h)
{
	struct bl_defer *d = caa_container_of(h, struct bl_defer, head);

	free(d->page);
	free(d);
}

static AI void count(struct bl *b, int64_t d, enum b_bl_mode m)
{
	if (m == BL_CONC)
		__atomic_fetch_add(&b->tables, (uint64_t)d, __ATOMIC_RELAXED);
	else
		b->tables += (uint64_t)d;
}

static AI uint64_t *tbl_alloc(struct bl *b, enum b_bl_mode m)
{
	uint64_t *t = aligned_alloc(4096, 4096);

	if (!t)
		return NULL;
	memset(t, 0, 4096);
	count(b, 1, m);
	return t;
}

/* A page no reader can have seen. */
static AI void tbl_free_now(struct bl *b, uint64_t *t, enum b_bl_mode m)
{
	count(b, -1, m);
	free(t);
}

/* An unlinked page: readers may still be in it until a grace period ends. */
static AI void tbl_free(struct bl *b, uint64_t *t, enum b_bl_mode m)
{
	struct bl_defer *d;

	if (m == BL_BARE) {
		tbl_free_now(b, t, m);
		return;
	}
	count(b, -1, m);
	d = malloc(sizeof(*d));
	if (!d)
		return;		/* leak rather than free under a reader */
	d->page = t;
	urcu_memb_call_rcu(&d->head, defer_free);
}

/* Install an empty table in *e (read as 0). Return: the entry now there,
 * 0 on -ENOMEM. */
static AI uint64_t tbl_install(struct bl *b, uint64_t *e, enum b_bl_mode m)
{
	uint64_t *t = tbl_alloc(b, m);
	uint64_t v;

	if (!t)
		return 0;
	v = (uint64_t)(uintptr_t)t | X_TABLE;
	if (set(e, 0, v, m))
		return v;
	tbl_free_now(b, t, m);
	return ld(e, m);
}

static AI bool tbl_empty(const uint64_t *t, enum b_bl_mode m)
{
	for (unsigned i = 0; i < NENT; i += 8) {
		uint64_t acc = 0;

		for (unsigned j = 0; j < 8; j++)
			acc |= ld(&t[i + j], m);
		if (acc)
			return false;
	}
	return true;
}

/* Is @t empty, given that [i, i + n) is? Neighbours first, then a scan. */
static AI bool run_empty(const uint64_t *t, unsigned i, unsigned n, enum b_bl_mode m)
{
	if (n == NENT)
		return true;
	if (i > 0 && ld(&t[i - 1], m))
		return false;
	if (i + n < NENT && ld(&t[i + n], m))
		return false;
	return tbl_empty(t, m);
}

/*
 * Free the tables on @ia's path left empty, from tp[l] (whose entries
 * [i, i + n) were just cleared) up to, not including, the root.
 */
static AI void prune(struct bl *b, uint64_t *const tp[4], uint64_t ia, unsigned l,
		     unsigned i, unsigned n, enum b_bl_mode m)
{
	for (; l < ROOT_L; l++) {
		uint64_t *pe;

		if (!run_empty(tp[l], i, n, m))
			return;
		i = IDX(ia, l + 1);
		n = 1;
		pe = &tp[l + 1][i];
		if (!set(pe, (uint64_t)(uintptr_t)tp[l] | X_TABLE, 0, m))
			return;
		tbl_free(b, tp[l], m);
	}
}

/* Free an unlinked table at level @l and every table below it. */
static void tree_free(struct bl *b, uint64_t *t, unsigned l, enum b_bl_mode m)
{
	for (unsigned i = 0; l > 0 && i < NENT; i++) {
		uint64_t v = t[i];

		if (v && !(v & X_PS))
			tree_free(b, tbl(v), l - 1, m);
	}
	tbl_free(b, t, m);
}

/* After a failed map: free the empty tables it may have left on @ia's path. */
static AI void prune_at(struct bl *b, uint64_t ia, enum b_bl_mode m)
{
	uint64_t *tp[4];
	unsigned l = ROOT_L;

	tp[ROOT_L] = b->root;
	for (; l > 0; l--) {
		uint64_t v = ld(&tp[l][IDX(ia, l)], m);

		if (!v || (v & X_PS))
			break;
		tp[l - 1] = tbl(v);
	}
	prune(b, tp, ia, l, IDX(ia, l), 1, m);
}

/* ---- one page ---- */

/* The entry at level @l for @ia, creating the tables above it. */
static AI uint64_t *entry_alloc(struct bl *b, uint64_t ia, unsigned l,
				enum b_bl_mode m, int *err)
{
	uint64_t *t = b->root;

	for (unsigned k = ROOT_L; k > l; k--) {
		uint64_t *e = &t[IDX(ia, k)];
		uint64_t v = ld(e, m);

		if (!v && !(v = tbl_install(b, e, m))) {
			*err = -ENOMEM;
			return NULL;
		}
		if (v & X_PS) {
			*err = -EEXIST;
			return NULL;
		}
		t = tbl(v);
	}
	return &t[IDX(ia, l)];
}

static AI int map_page_(struct bl *b, uint64_t ia, uint64_t pte, enum b_bl_mode m)
{
	int err = 0;
	uint64_t *e = entry_alloc(b, ia, 0, m, &err);

	if (!e) {
		if (err == -ENOMEM)
			prune_at(b, ia, m);
		return err;
	}
	return set(e, 0, pte, m) ? 0 : -EEXIST;
}

static AI int unmap_page_(struct bl *b, uint64_t ia, enum b_bl_mode m)
{
	uint64_t *tp[4];
	uint64_t *e;

	tp[ROOT_L] = b->root;
	for (unsigned l = ROOT_L; l > 0; l--) {
		uint64_t v = ld(&tp[l][IDX(ia, l)], m);

		if (!v)
			return 0;
		if (v & X_PS)
			return -ENOTSUP;
		tp[l - 1] = tbl(v);
	}
	e = &tp[0][IDX(ia, 0)];
	if (!ld(e, m))
		return 0;
	clr(e, m);
	prune(b, tp, ia, 0, IDX(ia, 0), 1, m);
	return 0;
}

static AI int lookup_(struct bl *b, uint64_t ia, struct s2pt_leaf *out, enum b_bl_mode m)
{
	const uint64_t *t = b->root;
	uint64_t v;
	unsigned l;

#pragma GCC unroll 4
	for (l = ROOT_L; l > 0; l--) {
		v = ld(&t[IDX(ia, l)], m);
		if (!(v & X_P))
			return -ENOENT;
		if (v & X_PS)
			goto leaf;
		t = tbl(v);
	}
	v = ld(&t[IDX(ia, 0)], m);
	if (!(v & X_P))
		return -ENOENT;
leaf:
	leaf_fill(out, ia, v, l);
	return 0;
}

/* ---- regions: each step handles what one table holds ---- */

static AI bool fits(uint64_t ia, uint64_t oa, uint64_t left, unsigned l)
{
	uint64_t sz = LSIZE(l);

	return !((ia | oa) & (sz - 1)) && left >= sz;
}

static AI unsigned run_len(unsigned i, uint64_t left, unsigned l)
{
	uint64_t n = left >> (12 + 9 * l);

	return n < NENT - i ? (unsigned)n : NENT - i;
}

/* Fill entries [i, i + n) of a live table; on a taken slot undo and fail. */
static AI int64_t fill(uint64_t *t, unsigned i, unsigned l, uint64_t oa,
		       uint64_t left, uint64_t pte, enum b_bl_mode m)
{
	unsigned n = l ? 1 : run_len(i, left, 0);
	uint64_t sz = LSIZE(l);

	pte |= l ? X_PS : 0;
	for (unsigned k = 0; k < n; k++) {
		if (!set(&t[i + k], 0, pte | (oa + k * sz), m)) {
			while (k--)
				clr(&t[i + k], m);
			return -EEXIST;
		}
	}
	return (int64_t)(n * sz);
}

/* A new leaf table built off-line, then linked by one store at *e. */
static AI int64_t fill_new(struct bl *b, uint64_t *e, uint64_t ia, uint64_t oa,
			   uint64_t left, uint64_t pte, enum b_bl_mode m)
{
	unsigned i = IDX(ia, 0), n = run_len(i, left, 0);
	uint64_t *t = tbl_alloc(b, m);

	if (!t)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++)
		t[i + k] = pte | (oa + k * LSIZE(0));
	if (set(e, 0, (uint64_t)(uintptr_t)t | X_TABLE, m))
		return (int64_t)(n * LSIZE(0));
	tbl_free_now(b, t, m);
	return 0;		/* lost the race: the caller walks again */
}

static AI int64_t map_step(struct bl *b, uint64_t ia, uint64_t oa, uint64_t left,
			   uint64_t pte, bool huge, enum b_bl_mode m)
{
	uint64_t *t = b->root;

	for (unsigned l = ROOT_L;; l--) {
		unsigned i = IDX(ia, l);
		uint64_t v;

		if (l == 0 || (huge && l < ROOT_L && fits(ia, oa, left, l)))
			return fill(t, i, l, oa, left, pte, m);
		v = ld(&t[i], m);
		if (!v && l == 1)
			return fill_new(b, &t[i], ia, oa, left, pte, m);
		if (!v && !(v = tbl_install(b, &t[i], m)))
			return -ENOMEM;
		if (v & X_PS)
			return -EEXIST;
		t = tbl(v);
	}
}

static AI int64_t unmap_step(struct bl *b, uint64_t ia, uint64_t left, enum b_bl_mode m)
{
	uint64_t *tp[4];

	tp[ROOT_L] = b->root;
	for (unsigned l = ROOT_L;; l--) {
		unsigned i = IDX(ia, l), n;
		uint64_t sz = LSIZE(l), v = ld(&tp[l][i], m);

		if (!v)
			return (int64_t)(sz - (ia & (sz - 1)) < left ? sz - (ia & (sz - 1)) : left);
		if (l == 0 || (v & X_PS)) {
			if ((ia & (sz - 1)) || left < sz)
				return -ENOTSUP;
			n = l ? 1 : run_len(i, left, 0);
			for (unsigned k = 0; k < n; k++)
				clr(&tp[l][i + k], m);
			prune(b, tp, ia, l, i, n, m);
			return (int64_t)(n * sz);
		}
		if (!(ia & (sz - 1)) && left >= sz) {
			clr(&tp[l][i], m);
			tree_free(b, tbl(v), l - 1, m);
			prune(b, tp, ia, l, i, 1, m);
			return (int64_t)sz;
		}
		tp[l - 1] = tbl(v);
	}
}

/* New leaf value: the output address and hardware A/D bits stay. */
static AI void reprot(uint64_t *e, uint64_t pte, unsigned l, enum b_bl_mode m)
{
	uint64_t keep = (X_ADDR & ~(LSIZE(l) - 1)) | X_A | X_D;
	uint64_t v = ld(e, m);

	pte |= l ? X_PS : 0;
	while (v && !set(e, v, (v & keep) | pte, m))
		v = ld(e, m);
}

static AI int64_t prot_step(struct bl *b, uint64_t ia, uint64_t left, uint64_t pte,
			    enum b_bl_mode m)
{
	uint64_t *t = b->root;

	for (unsigned l = ROOT_L;; l--) {
		unsigned i = IDX(ia, l), n;
		uint64_t sz = LSIZE(l), v = ld(&t[i], m);

		if (!v)
			return (int64_t)(sz - (ia & (sz - 1)) < left ? sz - (ia & (sz - 1)) : left);
		if (l == 0 || (v & X_PS)) {
			if ((ia & (sz - 1)) || left < sz)
				return -ENOTSUP;
			n = l ? 1 : run_len(i, left, 0);
			for (unsigned k = 0; k < n; k++)
				reprot(&t[i + k], pte, l, m);
			return (int64_t)(n * sz);
		}
		t = tbl(v);
	}
}

static AI int unmap_(struct bl *b, uint64_t ia, uint64_t size, enum b_bl_mode m)
{
	while (size) {
		int64_t r = unmap_step(b, ia, size, m);

		if (r < 0)
			return (int)r;
		ia += (uint64_t)r;
		size -= (uint64_t)r;
	}
	return 0;
}

static AI int map_(struct bl *b, uint64_t ia, uint64_t oa, uint64_t size,
		   uint64_t pte, bool huge, enum b_bl_mode m)
{
	uint64_t done = 0;

	while (done < size) {
		int64_t r = map_step(b, ia + done, oa + done, size - done, pte, huge, m);

		if (r < 0) {
			if (done)
				unmap_(b, ia, done, m);
			prune_at(b, ia + done, m);
			return (int)r;
		}
		done += (uint64_t)r;
	}
	return 0;
}

static AI int protect_(struct bl *b, uint64_t ia, uint64_t size, uint64_t pte,
		       enum b_bl_mode m)
{
	while (size) {
		int64_t r = prot_step(b, ia, size, pte, m);

		if (r < 0)
			return (int)r;
		ia += (uint64_t)r;
		size -= (uint64_t)r;
	}
	return 0;
}

/* ---- checks done before anything changes ---- */

static int page_check(uint64_t ia, uint64_t oa)
{
	if ((ia | oa) & (LSIZE(0) - 1))
		return -EINVAL;
	if (!canon(ia) || (oa >> X_OA_BITS))
		return -ERANGE;
	return 0;
}

static int range_check(uint64_t ia, uint64_t size)
{
	uint64_t last = ia + size - 1;

	if (!size || ((ia | size) & (LSIZE(0) - 1)) || last < ia)
		return -EINVAL;
	if (!canon(ia) || !canon(last) || ((ia ^ last) >> 47))
		return -ERANGE;
	return 0;
}

static int oa_check(uint64_t oa, uint64_t size)
{
	if (oa & (LSIZE(0) - 1))
		return -EINVAL;
	return (oa + size) >> X_OA_BITS || oa + size < oa ? -ERANGE : 0;
}

/* ---- the API: one instance of each walk per mode ---- */

int bl_map_page(struct bl *b, uint64_t ia, uint64_t oa, uint32_t prot)
{
	uint64_t pte;
	int rc = page_check(ia, oa);

	if (rc || (rc = prot_enc(prot, &pte)))
		return rc;
	if (b->mode == BL_BARE)
		return map_page_(b, ia, oa | pte, BL_BARE);
	if (b->mode == BL_SINGLE)
		return map_page_(b, ia, oa | pte, BL_SINGLE);
	urcu_memb_read_lock();
	rc = map_page_(b, ia, oa | pte, BL_CONC);
	urcu_memb_read_unlock();
	return rc;
}

int bl_unmap_page(struct bl *b, uint64_t ia)
{
	int rc = page_check(ia, 0);

	if (rc)
		return rc;
	if (b->mode == BL_BARE)
		return unmap_page_(b, ia, BL_BARE);
	if (b->mode == BL_SINGLE)
		return unmap_page_(b, ia, BL_SINGLE);
	urcu_memb_read_lock();
	rc = unmap_page_(b, ia, BL_CONC);
	urcu_memb_read_unlock();
	return rc;
}

int bl_lookup(struct bl *b, uint64_t ia, struct s2pt_leaf *out)
{
	int rc;

	if (!canon(ia))
		return -ERANGE;
	if (b->mode == BL_BARE)
		return lookup_(b, ia, out, BL_BARE);
	urcu_memb_read_lock();
	rc = lookup_(b, ia, out, BL_SINGLE);
	urcu_memb_read_unlock();
	return rc;
}

int bl_map(struct bl *b, uint64_t ia, uint64_t oa, uint64_t size,
	   uint32_t prot, unsigned flags)
{
	bool huge = flags & S2PT_MAP_HUGE;
	uint64_t pte;
	int rc = range_check(ia, size);

	if (rc || (rc = oa_check(oa, size)) || (rc = prot_enc(prot, &pte)))
		return rc;
	if (flags & ~S2PT_MAP_HUGE)
		return -EINVAL;
	if (b->mode == BL_BARE)
		return map_(b, ia, oa, size, pte, huge, BL_BARE);
	if (b->mode == BL_SINGLE)
		return map_(b, ia, oa, size, pte, huge, BL_SINGLE);
	urcu_memb_read_lock();
	rc = map_(b, ia, oa, size, pte, huge, BL_CONC);
	urcu_memb_read_unlock();
	return rc;
}

int bl_unmap(struct bl *b, uint64_t ia, uint64_t size)
{
	int rc = range_check(ia, size);

	if (rc)
		return rc;
	if (b->mode == BL_BARE)
		return unmap_(b, ia, size, BL_BARE);
	if (b->mode == BL_SINGLE)
		return unmap_(b, ia, size, BL_SINGLE);
	urcu_memb_read_lock();
	rc = unmap_(b, ia, size, BL_CONC);
	urcu_memb_read_unlock();
	return rc;
}

int bl_protect(struct bl *b, uint64_t ia, uint64_t size, uint32_t prot)
{
	uint64_t pte;
	int rc = range_check(ia, size);

	if (rc || (rc = prot_enc(prot, &pte)))
		return rc;
	if (b->mode == BL_BARE)
		return protect_(b, ia, size, pte, BL_BARE);
	if (b->mode == BL_SINGLE)
		return protect_(b, ia, size, pte, BL_SINGLE);
	urcu_memb_read_lock();
	rc = protect_(b, ia, size, pte, BL_CONC);
	urcu_memb_read_unlock();
	return rc;
}

int bl_create(enum b_bl_mode mode, struct bl **out)
{
	struct bl *b;

	if (mode != BL_BARE && !b_have_rcu())
		return -ENOSYS;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->mode = mode;
	b->root = aligned_alloc(4096, 4096);
	if (!b->root) {
		free(b);
		return -ENOMEM;
	}
	memset(b->root, 0, 4096);
	*out = b;
	return 0;
}

static void free_tree(uint64_t *t, unsigned l)
{
	for (unsigned i = 0; l > 0 && i < NENT; i++)
		if (t[i] && !(t[i] & X_PS))
			free_tree(tbl(t[i]), l - 1);
	free(t);
}

void bl_destroy(struct bl *b)
{
	if (!b)
		return;
	if (b->mode != BL_BARE)
		urcu_memb_barrier();
	free_tree(b->root, ROOT_L);
	free(b);
}

uint64_t bl_tables(const struct bl *b)
{
	return b->tables;
}
