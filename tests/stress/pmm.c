// SPDX-License-Identifier: MIT
/*
 * The stress test's poisoning table-page provider: a private region with
 * its own physical addresses, a poison fill and a FIFO quarantine on free.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stress/pmm.h"
#include "stress/stress.h"

#if defined(__SANITIZE_ADDRESS__)
#define PMM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PMM_ASAN 1
#endif
#endif

#ifdef PMM_ASAN
#include <sanitizer/asan_interface.h>
#define PMM_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define PMM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define PMM_POISON(p, n) ((void)(p), (void)(n))
#define PMM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define PG 4096u
#define PMM_MAX_ORDER 4		/* up to 16 pages: the largest concatenated root */
#define PMM_MAX_MSGS 10

enum { PG_FREE, PG_LIVE, PG_QUAR };

struct pmm {
	unsigned char *base;	/* the region: page i at base + i * PG */
	uint64_t pa_base;	/* ... and at physical pa_base + i * PG */
	size_t npages;
	uint8_t *state;		/* PG_*, read by phys_to_virt without the lock */
	uint8_t *order;		/* first page of an allocation: log2 of its pages */
	size_t hint;		/* no free page below it */
	pthread_mutex_t lock;
	uint32_t *q;		/* quarantine FIFO of first pages */
	size_t qcap, qhead, qn;
	uint64_t poison;
	uint64_t *canary;	/* PMM_CANARY_BYTES of poison */
	uint64_t canary_pa;
	struct pmm_counts n;
	uint64_t errors;	/* atomic */
};

/* Count an error; print the first few. */
static void pmm_error(struct pmm *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pmm_error(struct pmm *m, const char *fmt, ...)
{
	uint64_t e = __atomic_fetch_add(&m->errors, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (e >= PMM_MAX_MSGS)
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "  FAIL mm: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

static void pmm_fill(void *va, size_t bytes, uint64_t v)
{
	uint64_t *p = va;

	for (size_t i = 0; i < bytes / 8; i++)
		p[i] = v;
}

/* Take the oldest quarantined allocation out: check nobody wrote to it
 * since its free (a writer using a freed table), then make it free. */
static void pmm_release_oldest(struct pmm *m)
{
	size_t i = m->q[m->qhead], n = (size_t)1 << m->order[i];
	uint64_t *p = (uint64_t *)(m->base + i * PG);

	m->qhead = (m->qhead + 1) % m->qcap;
	m->qn--;
	PMM_UNPOISON(p, n * PG);
	for (size_t w = 0; w < n * PG / 8; w++) {
		if (p[w] != m->poison) {
			pmm_error(m, "page pa 0x%" PRIx64 " written after its free: "
				  "word %zu is 0x%" PRIx64 ", poison 0x%" PRIx64,
				  m->pa_base + i * PG + w / 512 * PG, w % 512, p[w], m->poison);
			break;
		}
	}
	for (size_t j = 0; j < n; j++)
		__atomic_store_n(&m->state[i + j], PG_FREE, __ATOMIC_RELAXED);
	m->n.quarantined -= n;
	if (i < m->hint)
		m->hint = i;
}

/* First run of @n free pages at a multiple of @n (lowest first, which keeps
 * the region's footprint small); SIZE_MAX if none. */
static size_t pmm_find(struct pmm *m, size_t n)
{
	for (size_t i = m->hint & ~(n - 1); i + n <= m->npages; i += n) {
		size_t j = 0;

		while (j < n && m->state[i + j] == PG_FREE)
			j++;
		if (j == n)
			return i;
	}
	return SIZE_MAX;
}

/* zalloc: @bytes (a power of two number of pages) zeroed and aligned. */
static void *pmm_zalloc(void *ctx, size_t bytes, uint64_t *pa)
{
	struct pmm *m = ctx;
	size_t n = bytes / PG, i;
	unsigned ord = 0;
	void *va;

	while (((size_t)1 << ord) < n)
		ord++;
	if (!bytes || bytes % PG || ((size_t)1 << ord) != n || ord > PMM_MAX_ORDER) {
		pmm_error(m, "zalloc of %zu bytes: not 4 KiB << 0..%d", bytes, PMM_MAX_ORDER);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	while ((i = pmm_find(m, n)) == SIZE_MAX && m->qn)
		pmm_release_oldest(m);
	if (i == SIZE_MAX) {
		pthread_mutex_unlock(&m->lock);
		pmm_error(m, "region of %zu pages exhausted (%" PRIu64 " live)", m->npages,
			  m->n.live_pages);
		return NULL;
	}
	for (size_t j = 0; j < n; j++)
		__atomic_store_n(&m->state[i + j], PG_LIVE, __ATOMIC_RELAXED);
	m->order[i] = (uint8_t)ord;
	if (i == m->hint)
		m->hint = i + n;
	m->n.allocs++;
	m->n.live_pages += n;
	if (m->n.live_pages > m->n.peak_pages)
		m->n.peak_pages = m->n.live_pages;
	pthread_mutex_unlock(&m->lock);

	va = m->base + i * PG;
	st_gp_wait();	/* readers of the page's previous life are long done */
	memset(va, 0, bytes);
	*pa = m->pa_base + i * PG;
	return va;
}

/* free: check the call, poison the pages and quarantine them. */
static void pmm_free(void *ctx, void *va, uint64_t pa, size_t bytes)
{
	struct pmm *m = ctx;
	size_t i, n = bytes / PG;

	if (pa < m->pa_base || pa - m->pa_base >= m->npages * (uint64_t)PG || pa % PG) {
		pmm_error(m, "free of pa 0x%" PRIx64 ": not a page of this provider", pa);
		return;
	}
	i = (size_t)((pa - m->pa_base) / PG);
	pthread_mutex_lock(&m->lock);
	if (m->state[i] != PG_LIVE || ((size_t)1 << m->order[i]) != n ||
	    va != m->base + i * PG) {
		unsigned st = m->state[i];

		pthread_mutex_unlock(&m->lock);
		pmm_error(m, "free(va %p, pa 0x%" PRIx64 ", %zu bytes): page is %s, "
			  "allocated as %u pages at va %p", va, pa, bytes,
			  st == PG_FREE ? "free" : st == PG_QUAR ? "already freed (quarantined)"
			  : "live", 1u << m->order[i], (void *)(m->base + i * PG));
		return;
	}
	m->n.frees++;
	m->n.live_pages -= n;
	if (m->qn == m->qcap)
		pmm_release_oldest(m);
	for (size_t j = 0; j < n; j++)
		__atomic_store_n(&m->state[i + j], PG_QUAR, __ATOMIC_RELAXED);
	m->q[(m->qhead + m->qn) % m->qcap] = (uint32_t)i;
	m->qn++;
	m->n.quarantined += n;
	/* finished s2pt calls are ordered before this point (grace period);
	 * the fill is under the lock, which orders it before the check */
	st_gp_wait();
	pmm_fill(m->base + i * PG, bytes, m->poison);
	PMM_POISON(m->base + i * PG, bytes);
	pthread_mutex_unlock(&m->lock);
}

/*
 * phys_to_virt: lock-free (readers call it). A reader reaches a table only
 * through a live entry inside its read-side section, so a page that is not
 * live here was freed too early: count it, and still answer the page, whose
 * poison then reads as garbage. The canary range answers the poison table.
 */
static void *pmm_p2v(void *ctx, uint64_t pa)
{
	struct pmm *m = ctx;
	unsigned st;
	size_t i;

	if (pa >= m->canary_pa && pa - m->canary_pa < PMM_CANARY_BYTES)
		return (unsigned char *)m->canary + (pa - m->canary_pa);
	if (pa < m->pa_base || pa - m->pa_base >= m->npages * (uint64_t)PG) {
		pmm_error(m, "phys_to_virt(0x%" PRIx64 "): not a page of this provider", pa);
		return NULL;
	}
	i = (size_t)((pa - m->pa_base) / PG);
	st = __atomic_load_n(&m->state[i], __ATOMIC_RELAXED);
	if (st != PG_LIVE)
		pmm_error(m, "phys_to_virt(0x%" PRIx64 ") of a %s page: a table used after "
			  "its free", pa, st == PG_QUAR ? "freed (quarantined)" : "free");
	return m->base + (pa - m->pa_base);
}

const struct s2pt_mm_ops pmm_ops = {
	.zalloc = pmm_zalloc,
	.free = pmm_free,
	.phys_to_virt = pmm_p2v,
};

struct pmm *pmm_create(size_t pages, uint64_t pa_base, size_t quarantine, uint64_t poison,
		       uint64_t canary_pa)
{
	struct pmm *m = calloc(1, sizeof(*m));

	if (!m || !quarantine || pages > UINT32_MAX)
		goto fail;
	m->npages = pages;
	m->pa_base = pa_base;
	m->poison = poison;
	m->canary_pa = canary_pa;
	m->qcap = quarantine;
	m->base = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		goto fail;
	}
	m->state = calloc(pages, 1);
	m->order = calloc(pages, 1);
	m->q = calloc(quarantine, sizeof(*m->q));
	m->canary = aligned_alloc(PG, PMM_CANARY_BYTES);
	if (!m->state || !m->order || !m->q || !m->canary)
		goto fail;
	pmm_fill(m->canary, PMM_CANARY_BYTES, poison);
	pthread_mutex_init(&m->lock, NULL);
	return m;
fail:
	if (m) {
		if (m->base)
			munmap(m->base, pages * PG);
		free(m->state);
		free(m->order);
		free(m->q);
		free(m->canary);
		free(m);
	}
	return NULL;
}

void pmm_drain(struct pmm *m)
{
	pthread_mutex_lock(&m->lock);
	while (m->qn)
		pmm_release_oldest(m);
	pthread_mutex_unlock(&m->lock);
}

void pmm_counts(struct pmm *m, struct pmm_counts *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->n;
	out->errors = __atomic_load_n(&m->errors, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->lock);
}

uint64_t pmm_destroy(struct pmm *m)
{
	uint64_t e;

	if (!m)
		return 0;
	pmm_drain(m);
	e = __atomic_load_n(&m->errors, __ATOMIC_RELAXED);
	pthread_mutex_destroy(&m->lock);
	munmap(m->base, m->npages * PG);
	free(m->state);
	free(m->order);
	free(m->q);
	free(m->canary);
	free(m);
	return e;
}
