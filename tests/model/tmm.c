/* SPDX-License-Identifier: MIT */
/*
 * Test support: the counting / failing / poisoning mm provider (tmm), the
 * RCU helpers of the tests, and tcreate() to make a table on a tmm.
 */
#include <stdlib.h>
#include <string.h>

/* Weak: the library links liburcu-memb only once it uses RCU; until then
 * nothing is deferred and there is nothing to wait for. */
extern void urcu_memb_barrier(void) __attribute__((weak));
extern void urcu_memb_register_thread(void) __attribute__((weak));
extern void urcu_memb_unregister_thread(void) __attribute__((weak));

#include "model/model.h"

struct tmm_slot {
	uint64_t key;		/* page number + 1; 0: empty */
	uint64_t start;		/* va of the allocation */
	uint64_t bytes;
};

struct tmm_hash {
	struct tmm_slot *s;
	size_t cap, n;		/* cap: power of two */
};

#define TMM_QUARANTINE	128
#define TMM_POISON	0x6b

static size_t th_idx(const struct tmm_hash *h, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (h->cap - 1);
}

static void th_put(struct tmm_hash *h, uint64_t key, uint64_t start, uint64_t bytes);

static void th_grow(struct tmm_hash *h)
{
	struct tmm_slot *old = h->s;
	size_t oldcap = h->cap;

	h->cap = oldcap ? oldcap * 2 : 1024;
	h->s = calloc(h->cap, sizeof(*h->s));
	CHK(h->s, "out of memory");
	h->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			th_put(h, old[i].key, old[i].start, old[i].bytes);
	free(old);
}

static void th_put(struct tmm_hash *h, uint64_t key, uint64_t start, uint64_t bytes)
{
	size_t i;

	if (2 * (h->n + 1) > h->cap)
		th_grow(h);
	for (i = th_idx(h, key); h->s[i].key; i = (i + 1) & (h->cap - 1))
		CHK(h->s[i].key != key, "tmm: page 0x%llx handed out twice",
		    (unsigned long long)((key - 1) * TPAGE));
	h->s[i] = (struct tmm_slot){ key, start, bytes };
	h->n++;
}

static struct tmm_slot *th_get(const struct tmm_hash *h, uint64_t key)
{
	if (!h->cap)
		return NULL;
	for (size_t i = th_idx(h, key); h->s[i].key; i = (i + 1) & (h->cap - 1))
		if (h->s[i].key == key)
			return &h->s[i];
	return NULL;
}

static void th_del(struct tmm_hash *h, uint64_t key)
{
	size_t i = th_idx(h, key), j;

	while (h->s[i].key != key)
		i = (i + 1) & (h->cap - 1);
	/* backward-shift deletion: no tombstones */
	j = i;
	for (;;) {
		size_t k;

		h->s[i].key = 0;
		for (;;) {
			j = (j + 1) & (h->cap - 1);
			if (!h->s[j].key) {
				h->n--;
				return;
			}
			k = th_idx(h, h->s[j].key);
			/* move j back to i unless k lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		h->s[i] = h->s[j];
		i = j;
	}
}

static void *tmm_zalloc(void *ctx, size_t bytes, uint64_t *pa)
{
	struct tmm *t = ctx;
	void *va;

	pthread_mutex_lock(&t->lock);
	t->seq++;
	CHK(bytes >= TPAGE && bytes % TPAGE == 0 && !(bytes & (bytes - 1)),
	    "tmm: zalloc of %zu bytes (not a power-of-two multiple of 4 KiB)", bytes);
	CHK(pa, "tmm: zalloc with NULL pa");
	if (t->fail_in == 0) {
		t->fail_in = -1;
		t->injected++;
		pthread_mutex_unlock(&t->lock);
		return NULL;
	}
	if (t->fail_in > 0)
		t->fail_in--;
	va = aligned_alloc(bytes, bytes);
	CHK(va, "tmm: host out of memory");
	memset(va, 0, bytes);
	for (size_t off = 0; off < bytes; off += TPAGE)
		th_put(t->h, ((uint64_t)(uintptr_t)va + off) / TPAGE + 1,
		       (uint64_t)(uintptr_t)va, bytes);
	t->live_bytes += bytes;
	t->live_allocs++;
	t->allocs++;
	*pa = (uint64_t)(uintptr_t)va;
	pthread_mutex_unlock(&t->lock);
	return va;
}

static void tmm_release(void *va, size_t bytes)
{
	const unsigned char *p = va;

	for (size_t i = 0; i < bytes; i++)
		CHK(p[i] == TMM_POISON,
		    "tmm: freed table page %p written after its free (byte %zu = 0x%02x)",
		    va, i, p[i]);
	free(va);
}

static void tmm_free(void *ctx, void *va, uint64_t pa, size_t bytes)
{
	struct tmm *t = ctx;
	struct tmm_slot *s;

	pthread_mutex_lock(&t->lock);
	t->seq++;
	CHK(pa == (uint64_t)(uintptr_t)va, "tmm: free(va %p, pa 0x%llx): pa != va",
	    va, (unsigned long long)pa);
	s = th_get(t->h, pa / TPAGE + 1);
	CHK(s, "tmm: free of 0x%llx (%zu bytes), not a live allocation (double free?)",
	    (unsigned long long)pa, bytes);
	CHK(s->start == pa && s->bytes == bytes,
	    "tmm: free(0x%llx, %zu) does not match the allocation (0x%llx, %llu)",
	    (unsigned long long)pa, bytes, (unsigned long long)s->start,
	    (unsigned long long)s->bytes);
	for (size_t off = 0; off < bytes; off += TPAGE)
		th_del(t->h, (pa + off) / TPAGE + 1);
	t->live_bytes -= bytes;
	t->live_allocs--;
	t->frees++;
	memset(va, TMM_POISON, bytes);
	if (t->q_n == t->q_cap) {
		size_t i = t->q_head;

		tmm_release(t->q_va[i], t->q_bytes[i]);
		t->q_head = (i + 1) % t->q_cap;
		t->q_n--;
	}
	t->q_va[(t->q_head + t->q_n) % t->q_cap] = va;
	t->q_bytes[(t->q_head + t->q_n) % t->q_cap] = bytes;
	t->q_n++;
	if (t->on_free)
		t->on_free(t->ev_arg, pa, bytes, t->seq);
	pthread_mutex_unlock(&t->lock);
}

static void *tmm_p2v(void *ctx, uint64_t pa)
{
	struct tmm *t = ctx;
	bool live;

	pthread_mutex_lock(&t->lock);
	live = th_get(t->h, pa / TPAGE + 1) != NULL;
	pthread_mutex_unlock(&t->lock);
	CHK(live, "tmm: phys_to_virt(0x%llx): not a live table page (use after free?)",
	    (unsigned long long)pa);
	return (void *)(uintptr_t)pa;
}

const struct s2pt_mm_ops tmm_ops = {
	.zalloc = tmm_zalloc,
	.free = tmm_free,
	.phys_to_virt = tmm_p2v,
};

void tmm_init(struct tmm *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->fail_in = -1;
	t->h = calloc(1, sizeof(*t->h));
	t->q_cap = TMM_QUARANTINE;
	t->q_va = calloc(t->q_cap, sizeof(*t->q_va));
	t->q_bytes = calloc(t->q_cap, sizeof(*t->q_bytes));
	CHK(t->h && t->q_va && t->q_bytes, "out of memory");
}

void tmm_fini(struct tmm *t)
{
	uint64_t live = t->live_allocs, bytes = t->live_bytes;

	while (t->q_n) {
		tmm_release(t->q_va[t->q_head], t->q_bytes[t->q_head]);
		t->q_head = (t->q_head + 1) % t->q_cap;
		t->q_n--;
	}
	free(t->q_va);
	free(t->q_bytes);
	free(t->h->s);
	free(t->h);
	pthread_mutex_destroy(&t->lock);
	t->h = NULL;
	t->q_va = NULL;
	t->q_bytes = NULL;
	CHK(live == 0, "tmm: %llu allocations (%llu bytes) leaked",
	    (unsigned long long)live, (unsigned long long)bytes);
}

void tmm_fail_nth(struct tmm *t, long n)
{
	pthread_mutex_lock(&t->lock);
	t->fail_in = n;
	pthread_mutex_unlock(&t->lock);
}

uint64_t tmm_live_pages(struct tmm *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->live_bytes / TPAGE;
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t tmm_allocs(struct tmm *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->allocs;
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t tmm_tick(struct tmm *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = ++t->seq;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void test_rcu_barrier(void)
{
	if (urcu_memb_barrier)
		urcu_memb_barrier();
}

void test_rcu_register(void)
{
	if (urcu_memb_register_thread)
		urcu_memb_register_thread();
}

void test_rcu_unregister(void)
{
	if (urcu_memb_unregister_thread)
		urcu_memb_unregister_thread();
}

int tcreate(const struct s2pt_fmt *fmt, struct tmm *mm, unsigned ia_bits,
	    uint64_t leaf_sizes, unsigned flags,
	    void (*inv)(void *, uint64_t, uint64_t, int), void *inv_ctx,
	    struct s2pt **out)
{
	struct s2pt_opts o = {
		.sz = sizeof(o),
		.mm = mm ? &tmm_ops : NULL,
		.mm_ctx = mm,
		.invalidate = inv,
		.inv_ctx = inv_ctx,
		.ia_bits = ia_bits,
		.leaf_sizes = leaf_sizes,
		.flags = flags,
	};

	return s2pt_create(fmt, &o, out);
}
