/* SPDX-License-Identifier: MIT */
/*
 * Test support: reference model, counting/failing/poisoning mm provider,
 * walk snapshots and the full-tree checker. Public API only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

/* Weak: the library links liburcu-memb only once it uses RCU; until then
 * nothing is deferred and there is nothing to wait for. */
extern void urcu_memb_barrier(void) __attribute__((weak));
extern void urcu_memb_register_thread(void) __attribute__((weak));
extern void urcu_memb_unregister_thread(void) __attribute__((weak));

#include "model/model.h"

/* ------------------------------------------------------------------ */
/* Failure reporting                                                   */

static char chk_ctx[1024];
static void (*chk_dump_fn)(void *arg);
static void *chk_dump_arg;

void chk_context(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(chk_ctx, sizeof(chk_ctx), fmt, ap);
	va_end(ap);
}

void chk_set_dump(void (*dump)(void *arg), void *arg)
{
	chk_dump_fn = dump;
	chk_dump_arg = arg;
}

void chk_fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** CHECK FAILED: %s\n*** context: %s\n", msg, chk_ctx);
	if (chk_dump_fn) {
		void (*d)(void *) = chk_dump_fn;

		chk_dump_fn = NULL;	/* no recursion if the dump fails */
		d(chk_dump_arg);
	}
	fflush(stderr);
	cr_assert_fail("%s [%s]", msg, chk_ctx);
	abort();
}

/* ------------------------------------------------------------------ */
/* PRNG                                                                */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void trng_seed(struct trng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t trng_next(struct trng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t trng_below(struct trng *r, uint64_t n)
{
	/* n is small next to 2^64 in every use: the modulo bias is irrelevant */
	return n ? trng_next(r) % n : 0;
}

uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Reference model                                                     */

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

void model_fini(struct model *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

void model_clear(struct model *m)
{
	m->n = 0;
	m->pages = 0;
}

void model_copy(struct model *dst, const struct model *src)
{
	if (dst->cap < src->n) {
		free(dst->e);
		dst->cap = src->cap;
		dst->e = malloc(dst->cap * sizeof(*dst->e));
		CHK(dst->e, "out of memory");
	}
	if (src->n)
		memcpy(dst->e, src->e, src->n * sizeof(*src->e));
	dst->n = src->n;
	dst->pages = src->pages;
}

/* First extent that ends after page @pg. */
static size_t model_lb(const struct model *m, uint64_t pg)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].pg + m->e[mid].npg <= pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_insert_at(struct model *m, size_t i, const struct model_ext *x)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->e = realloc(m->e, m->cap * sizeof(*m->e));
		CHK(m->e, "out of memory");
	}
	if (m->n > i)
		memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(*m->e));
	m->e[i] = *x;
	m->n++;
	m->pages += x->npg;
}

static bool ext_joins(const struct model_ext *a, const struct model_ext *b)
{
	return a->pg + a->npg == b->pg && a->oa + a->npg * TPAGE == b->oa &&
	       a->prot == b->prot;
}

/* Merge joinable neighbours among extents [lo, hi] (clamped). */
static void model_merge(struct model *m, size_t lo, size_t hi)
{
	if (m->n < 2)
		return;
	if (lo > 0)
		lo--;
	if (hi >= m->n - 1)
		hi = m->n - 2;
	for (size_t i = hi + 1; i-- > lo;) {
		if (i + 1 < m->n && ext_joins(&m->e[i], &m->e[i + 1])) {
			m->e[i].npg += m->e[i + 1].npg;
			if (m->n > i + 2)
				memmove(&m->e[i + 1], &m->e[i + 2],
					(m->n - i - 2) * sizeof(*m->e));
			m->n--;
		}
	}
}

/* Remove [pg, pg + npg); returns the index where the hole is. */
static size_t model_carve(struct model *m, uint64_t pg, uint64_t npg)
{
	uint64_t end = pg + npg;
	size_t i = model_lb(m, pg), j;

	if (i < m->n && m->e[i].pg < pg) {
		struct model_ext x = m->e[i];
		uint64_t xend = x.pg + x.npg;

		m->e[i].npg = pg - x.pg;
		if (xend > end) {
			struct model_ext r = {
				.pg = end, .npg = xend - end,
				.oa = x.oa + (end - x.pg) * TPAGE, .prot = x.prot,
			};
			m->pages -= xend - pg;	/* insert adds r back */
			model_insert_at(m, i + 1, &r);
			return i + 1;
		}
		m->pages -= xend - pg;
		i++;
	}
	j = i;
	while (j < m->n && m->e[j].pg + m->e[j].npg <= end) {
		m->pages -= m->e[j].npg;
		j++;
	}
	if (j < m->n && m->e[j].pg < end) {
		uint64_t cut = end - m->e[j].pg;

		m->e[j].pg = end;
		m->e[j].npg -= cut;
		m->e[j].oa += cut * TPAGE;
		m->pages -= cut;
	}
	if (j > i && m->n > j)
		memmove(&m->e[i], &m->e[j], (m->n - j) * sizeof(*m->e));
	m->n -= j - i;
	return i;
}

bool model_any(const struct model *m, uint64_t ia, uint64_t size)
{
	uint64_t pg = ia / TPAGE, end = pg + size / TPAGE;
	size_t i = model_lb(m, pg);

	return i < m->n && m->e[i].pg < end;
}

uint64_t model_pages_in(const struct model *m, uint64_t ia, uint64_t size)
{
	uint64_t pg = ia / TPAGE, end = pg + size / TPAGE, n = 0;

	for (size_t i = model_lb(m, pg); i < m->n && m->e[i].pg < end; i++) {
		uint64_t a = m->e[i].pg > pg ? m->e[i].pg : pg;
		uint64_t b = m->e[i].pg + m->e[i].npg;

		if (b > end)
			b = end;
		n += b - a;
	}
	return n;
}

int model_map(struct model *m, uint64_t ia, uint64_t oa, uint64_t size,
	      uint32_t prot, unsigned flags)
{
	struct model_ext x = { .pg = ia / TPAGE, .npg = size / TPAGE, .oa = oa, .prot = prot };
	size_t i;

	if (!(flags & S2PT_MAP_REPLACE) && model_any(m, ia, size))
		return -EEXIST;
	i = model_carve(m, x.pg, x.npg);
	model_insert_at(m, i, &x);
	model_merge(m, i, i);
	return 0;
}

void model_unmap(struct model *m, uint64_t ia, uint64_t size)
{
	size_t i = model_carve(m, ia / TPAGE, size / TPAGE);

	model_merge(m, i, i);
}

void model_protect(struct model *m, uint64_t ia, uint64_t size, uint32_t prot)
{
	uint64_t pg = ia / TPAGE, end = pg + size / TPAGE;
	struct model_ext *pieces;
	size_t np = 0, i, first;

	i = model_lb(m, pg);
	first = i;
	while (i < m->n && m->e[i].pg < end)
		i++;
	if (i == first)
		return;
	pieces = malloc((i - first) * sizeof(*pieces));
	CHK(pieces, "out of memory");
	for (size_t k = first; k < i; k++) {
		uint64_t a = m->e[k].pg > pg ? m->e[k].pg : pg;
		uint64_t b = m->e[k].pg + m->e[k].npg;

		if (b > end)
			b = end;
		pieces[np++] = (struct model_ext){
			.pg = a, .npg = b - a,
			.oa = m->e[k].oa + (a - m->e[k].pg) * TPAGE, .prot = prot,
		};
	}
	i = model_carve(m, pg, end - pg);
	for (size_t k = 0; k < np; k++)
		model_insert_at(m, i + k, &pieces[k]);
	model_merge(m, i, i + np);
	free(pieces);
}

void model_split(struct model *m, uint64_t ia, uint64_t size, uint64_t leaf_size)
{
	(void)m; (void)ia; (void)size; (void)leaf_size;
}

void model_collapse(struct model *m, uint64_t ia, uint64_t size)
{
	(void)m; (void)ia; (void)size;
}

const struct model_ext *model_find(const struct model *m, uint64_t ia)
{
	uint64_t pg = ia / TPAGE;
	size_t i = model_lb(m, pg);

	if (i < m->n && m->e[i].pg <= pg)
		return &m->e[i];
	return NULL;
}

int model_lookup(const struct model *m, uint64_t ia, uint64_t *oa, uint32_t *prot)
{
	const struct model_ext *x = model_find(m, ia);

	if (!x)
		return -ENOENT;
	*oa = x->oa + (ia / TPAGE - x->pg) * TPAGE + ia % TPAGE;
	*prot = x->prot;
	return 0;
}

bool model_matches(const struct model *m, uint64_t ia, uint64_t size,
		   uint64_t oa, uint32_t prot, char *why, size_t whylen)
{
	uint64_t pg = ia / TPAGE, end = pg + size / TPAGE;
	size_t i = model_lb(m, pg);

	while (pg < end) {
		const struct model_ext *x = i < m->n ? &m->e[i] : NULL;
		uint64_t want_oa = oa + (pg - ia / TPAGE) * TPAGE;
		uint64_t xoa;

		if (!x || x->pg > pg) {
			snprintf(why, whylen, "page 0x%llx is mapped in the table but not in the model",
				 (unsigned long long)(pg * TPAGE));
			return false;
		}
		xoa = x->oa + (pg - x->pg) * TPAGE;
		if (xoa != want_oa) {
			snprintf(why, whylen, "page 0x%llx: table oa 0x%llx, model oa 0x%llx",
				 (unsigned long long)(pg * TPAGE),
				 (unsigned long long)want_oa, (unsigned long long)xoa);
			return false;
		}
		if (x->prot != prot) {
			snprintf(why, whylen, "page 0x%llx: table prot 0x%x, model prot 0x%x",
				 (unsigned long long)(pg * TPAGE), prot, x->prot);
			return false;
		}
		pg = x->pg + x->npg;
		i++;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Counting mm provider                                                */

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

/* ------------------------------------------------------------------ */
/* Geometry                                                            */

void tgeo_get(struct s2pt *pt, struct tgeo *g)
{
	struct s2pt_leaf leaf;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = s2pt_info(pt, &g->info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	CHK(g->info.ia_bits >= 12 && g->info.ia_bits < 64, "info.ia_bits %u", g->info.ia_bits);
	CHK(g->info.levels >= 1 && g->info.levels <= S2PT_MAX_LEVELS, "info.levels %u",
	    g->info.levels);
	ret = s2pt_lookup(pt, 0xfffffffffffff000ull, &leaf);
	CHK(ret == -ERANGE || ret == -ENOENT || ret == 0,
	    "lookup of the top page returned %d", ret);
	g->canonical = ret != -ERANGE;
	g->half = g->canonical ? 1ull << (g->info.ia_bits - 1) : 1ull << g->info.ia_bits;
}

bool tgeo_range_ok(const struct tgeo *g, uint64_t ia, uint64_t size)
{
	if (!size)
		return false;
	if (ia < g->half)
		return size <= g->half - ia;
	if (g->canonical && ia >= 0 - g->half)
		return size <= 0 - ia;
	return false;
}

/* ------------------------------------------------------------------ */
/* Walk records                                                        */

void wlist_init(struct wlist *w)
{
	memset(w, 0, sizeof(*w));
}

void wlist_fini(struct wlist *w)
{
	free(w->r);
	memset(w, 0, sizeof(*w));
}

static int wlist_visit(const struct s2pt_visit *v, void *arg)
{
	struct wlist *w = arg;
	struct wrec *r;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->r = realloc(w->r, w->cap * sizeof(*w->r));
		CHK(w->r, "out of memory");
	}
	r = &w->r[w->n++];
	memset(r, 0, sizeof(*r));
	r->ia = v->ia;
	r->size = v->size;
	r->pte = v->pte;
	r->level = v->level;
	r->kind = v->kind;
	CHK(v->kind == S2PT_WALK_LEAF || v->kind == S2PT_WALK_TABLE_PRE ||
	    v->kind == S2PT_WALK_TABLE_POST, "walk: visit kind %u", v->kind);
	if (v->kind == S2PT_WALK_LEAF) {
		CHK(v->leaf, "walk: leaf visit at 0x%llx without a decoded leaf",
		    (unsigned long long)v->ia);
		CHK(v->leaf->size == v->size && v->leaf->level == v->level &&
		    v->leaf->pte == v->pte,
		    "walk: leaf at 0x%llx: visit {size 0x%llx level %u pte 0x%llx} != "
		    "leaf {size 0x%llx level %u pte 0x%llx}", (unsigned long long)v->ia,
		    (unsigned long long)v->size, v->level, (unsigned long long)v->pte,
		    (unsigned long long)v->leaf->size, v->leaf->level,
		    (unsigned long long)v->leaf->pte);
		r->oa = v->leaf->oa;
		r->prot = v->leaf->prot;
	} else {
		CHK(!v->leaf, "walk: table visit at 0x%llx with a leaf", (unsigned long long)v->ia);
		r->table_pa = v->table_pa;
	}
	return 0;
}

void wlist_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,
		struct wlist *w)
{
	int ret;

	w->n = 0;
	ret = s2pt_walk(pt, ia, size, flags, wlist_visit, w);
	CHK(ret == 0, "s2pt_walk(0x%llx, 0x%llx, %#x) = %d", (unsigned long long)ia,
	    (unsigned long long)size, flags, ret);
}

void wlist_walk_all(struct s2pt *pt, const struct tgeo *g, unsigned flags,
		    struct wlist *w)
{
	struct wlist hi;
	int ret;

	wlist_walk(pt, 0, g->half, flags, w);
	if (!g->canonical)
		return;
	wlist_init(&hi);
	ret = s2pt_walk(pt, 0 - g->half, g->half, flags, wlist_visit, &hi);
	CHK(ret == 0, "s2pt_walk(upper half 0x%llx, 0x%llx, %#x) = %d",
	    (unsigned long long)(0 - g->half), (unsigned long long)g->half, flags, ret);
	for (size_t i = 0; i < hi.n; i++) {
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->r = realloc(w->r, w->cap * sizeof(*w->r));
			CHK(w->r, "out of memory");
		}
		w->r[w->n++] = hi.r[i];
	}
	wlist_fini(&hi);
}

long wlist_find_leaf(const struct wlist *w, uint64_t ia)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct wrec *r = &w->r[mid];

		if (ia < r->ia)
			hi = mid;
		else if (ia - r->ia >= r->size)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

static const char *kind_name(unsigned k)
{
	return k == S2PT_WALK_LEAF ? "leaf" : k == S2PT_WALK_TABLE_PRE ? "table-pre" :
	       k == S2PT_WALK_TABLE_POST ? "table-post" : "?";
}

bool wlist_equal(const struct wlist *a, const struct wlist *b, char *why, size_t len)
{
	size_t n = a->n < b->n ? a->n : b->n;

	for (size_t i = 0; i < n; i++) {
		const struct wrec *x = &a->r[i], *y = &b->r[i];

		if (x->kind != y->kind || x->ia != y->ia || x->size != y->size ||
		    x->level != y->level || x->pte != y->pte || x->table_pa != y->table_pa) {
			snprintf(why, len, "entry %zu: was %s ia 0x%llx level %u pte 0x%llx, "
				 "now %s ia 0x%llx level %u pte 0x%llx", i, kind_name(x->kind),
				 (unsigned long long)x->ia, x->level, (unsigned long long)x->pte,
				 kind_name(y->kind), (unsigned long long)y->ia, y->level,
				 (unsigned long long)y->pte);
			return false;
		}
	}
	if (a->n != b->n) {
		const struct wrec *x = a->n > b->n ? &a->r[n] : &b->r[n];

		snprintf(why, len, "%zu entries before, %zu after; first extra: %s ia 0x%llx "
			 "level %u pte 0x%llx", a->n, b->n, kind_name(x->kind),
			 (unsigned long long)x->ia, x->level, (unsigned long long)x->pte);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */

static uint64_t root_pages(const struct s2pt_info *info)
{
	return (info->root_bytes + TPAGE - 1) / TPAGE;
}

void snap_take(struct s2pt *pt, const struct tgeo *g, struct tmm *mm, struct snap *s)
{
	int ret;

	wlist_init(&s->all);
	wlist_walk_all(pt, g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST,
		       &s->all);
	ret = s2pt_info(pt, &s->info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	s->live_pages = 0;
	if (mm) {
		test_rcu_barrier();
		ret = s2pt_info(pt, &s->info);
		CHK(ret == 0, "s2pt_info: %d", ret);
		s->live_pages = tmm_live_pages(mm) - s->info.spare_pages;
	}
}

void snap_expect(struct s2pt *pt, const struct tgeo *g, struct tmm *mm,
		 const struct snap *s, const char *what)
{
	struct snap now;
	char why[512];

	snap_take(pt, g, mm, &now);
	if (!wlist_equal(&s->all, &now.all, why, sizeof(why))) {
		snap_fini(&now);
		chk_fail("%s: the table changed: %s", what, why);
	}
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		CHK(now.info.table_pages[l] == s->info.table_pages[l],
		    "%s: info.table_pages[%u] was %llu, now %llu", what, l,
		    (unsigned long long)s->info.table_pages[l],
		    (unsigned long long)now.info.table_pages[l]);
	CHK(now.info.levels == s->info.levels && now.info.ia_bits == s->info.ia_bits &&
	    now.info.leaf_sizes == s->info.leaf_sizes &&
	    now.info.root_bytes == s->info.root_bytes &&
	    now.info.read_only == s->info.read_only,
	    "%s: info geometry changed", what);
	if (mm)
		CHK(now.live_pages == s->live_pages,
		    "%s: allocator pages in use (less spares) were %llu, now %llu (spare %llu)",
		    what, (unsigned long long)s->live_pages,
		    (unsigned long long)now.live_pages,
		    (unsigned long long)now.info.spare_pages);
	snap_fini(&now);
}

void snap_fini(struct snap *s)
{
	wlist_fini(&s->all);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

void check_leaf(const struct tgeo *g, const struct model *m, const struct wrec *r)
{
	char why[256];

	CHK(r->level < g->info.levels, "leaf at 0x%llx: level %u of %u",
	    (unsigned long long)r->ia, r->level, g->info.levels);
	CHK(r->size == TLEVEL_SIZE(r->level), "leaf at 0x%llx: size 0x%llx at level %u",
	    (unsigned long long)r->ia, (unsigned long long)r->size, r->level);
	CHK(g->info.leaf_sizes & r->size,
	    "leaf at 0x%llx: size 0x%llx not in leaf_sizes 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->size,
	    (unsigned long long)g->info.leaf_sizes);
	CHK(r->ia % r->size == 0, "leaf at 0x%llx: not aligned to its size 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->size);
	CHK(r->oa % r->size == 0, "leaf at 0x%llx: oa 0x%llx not aligned to size 0x%llx",
	    (unsigned long long)r->ia, (unsigned long long)r->oa,
	    (unsigned long long)r->size);
	CHK(g->info.oa_bits >= 64 || (r->oa >> g->info.oa_bits) == 0,
	    "leaf at 0x%llx: oa 0x%llx beyond oa_bits %u", (unsigned long long)r->ia,
	    (unsigned long long)r->oa, g->info.oa_bits);
	CHK(tgeo_range_ok(g, r->ia, r->size), "leaf at 0x%llx size 0x%llx outside the input space",
	    (unsigned long long)r->ia, (unsigned long long)r->size);
	if (m && !model_matches(m, r->ia, r->size, r->oa, r->prot, why, sizeof(why)))
		chk_fail("leaf ia 0x%llx size 0x%llx oa 0x%llx prot 0x%x pte 0x%llx: %s",
			 (unsigned long long)r->ia, (unsigned long long)r->size,
			 (unsigned long long)r->oa, r->prot, (unsigned long long)r->pte, why);
}

void check_lookup(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		  uint64_t ia)
{
	struct s2pt_leaf leaf;
	uint64_t oa;
	uint32_t prot;
	int want = model_lookup(m, ia, &oa, &prot);
	int ret;

	memset(&leaf, 0xa5, sizeof(leaf));
	ret = s2pt_lookup(pt, ia, &leaf);
	CHK(ret == want, "lookup(0x%llx) = %d, model says %d", (unsigned long long)ia, ret, want);
	if (ret)
		return;
	CHK(leaf.oa == oa && leaf.prot == prot,
	    "lookup(0x%llx): oa 0x%llx prot 0x%x, model oa 0x%llx prot 0x%x (pte 0x%llx level %u)",
	    (unsigned long long)ia, (unsigned long long)leaf.oa, leaf.prot,
	    (unsigned long long)oa, prot, (unsigned long long)leaf.pte, leaf.level);
	CHK(leaf.level < g->info.levels && leaf.size == TLEVEL_SIZE(leaf.level) &&
	    (leaf.size & g->info.leaf_sizes),
	    "lookup(0x%llx): level %u size 0x%llx (leaf_sizes 0x%llx)", (unsigned long long)ia,
	    leaf.level, (unsigned long long)leaf.size, (unsigned long long)g->info.leaf_sizes);
	CHK((leaf.oa - ia) % leaf.size == 0,
	    "lookup(0x%llx): oa 0x%llx not congruent to ia modulo leaf size 0x%llx",
	    (unsigned long long)ia, (unsigned long long)leaf.oa, (unsigned long long)leaf.size);
}

static struct wlist tree_wl;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct tframe {
	uint64_t ia, size, pte, children;
	unsigned level;
};

void tree_check(struct s2pt *pt, const struct tgeo *g, const struct model *m,
		struct tmm *mm, struct tree_stats *st)
{
	struct wlist w;
	struct tframe stack[S2PT_MAX_LEVELS + 1];
	unsigned depth = 0, top = g->info.levels - 1;
	uint64_t next_pg = 0, leaf_pages = 0, *pas;
	size_t npas = 0;
	struct s2pt_info info;
	struct tree_stats local;
	int ret;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	w = tree_wl;	/* reuse the buffer: no page faults per check */
	wlist_walk_all(pt, g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &w);
	pas = malloc((w.n + 1) * sizeof(*pas));
	CHK(pas, "out of memory");

	for (size_t i = 0; i < w.n; i++) {
		const struct wrec *r = &w.r[i];
		/* the level an entry at this depth must have */
		unsigned want_level = depth ? stack[depth - 1].level - 1 : top;

		if (r->kind == S2PT_WALK_TABLE_POST) {
			struct tframe *f;

			CHK(depth > 0, "walk: TABLE_POST at 0x%llx without a TABLE_PRE",
			    (unsigned long long)r->ia);
			f = &stack[--depth];
			CHK(f->ia == r->ia && f->level == r->level && f->pte == r->pte,
			    "walk: TABLE_POST ia 0x%llx level %u does not close TABLE_PRE "
			    "ia 0x%llx level %u", (unsigned long long)r->ia, r->level,
			    (unsigned long long)f->ia, f->level);
			CHK(f->children > 0,
			    "empty table left linked: the level-%u entry at ia 0x%llx points at a "
			    "table with no present entry (pte 0x%llx)", f->level,
			    (unsigned long long)f->ia, (unsigned long long)f->pte);
			continue;
		}
		CHK(r->level == want_level,
		    "walk: %s at ia 0x%llx has level %u, expected %u (depth %u)",
		    kind_name(r->kind), (unsigned long long)r->ia, r->level, want_level, depth);
		CHK(r->size == TLEVEL_SIZE(r->level), "walk: %s at ia 0x%llx level %u size 0x%llx",
		    kind_name(r->kind), (unsigned long long)r->ia, r->level,
		    (unsigned long long)r->size);
		CHK(r->ia % r->size == 0,
		    "walk: %s at ia 0x%llx not aligned to 0x%llx", kind_name(r->kind),
		    (unsigned long long)r->ia, (unsigned long long)r->size);
		if (depth) {
			struct tframe *p = &stack[depth - 1];

			CHK(r->ia >= p->ia && r->ia - p->ia < p->size,
			    "walk: entry ia 0x%llx outside its table (0x%llx + 0x%llx)",
			    (unsigned long long)r->ia, (unsigned long long)p->ia,
			    (unsigned long long)p->size);
			p->children++;
		}
		if (r->kind == S2PT_WALK_LEAF) {
			CHK(r->ia / TPAGE >= next_pg,
			    "walk: leaf at 0x%llx out of order or overlapping (next free page 0x%llx)",
			    (unsigned long long)r->ia, (unsigned long long)(next_pg * TPAGE));
			check_leaf(g, m, r);
			next_pg = r->ia / TPAGE + r->size / TPAGE;
			leaf_pages += r->size / TPAGE;
			st->leaves++;
			st->leaves_per_level[r->level]++;
			continue;
		}
		/* TABLE_PRE */
		CHK(r->level >= 1, "walk: table entry at level 0 (ia 0x%llx)",
		    (unsigned long long)r->ia);
		CHK(depth < S2PT_MAX_LEVELS, "walk: tables nested too deep");
		CHK(r->table_pa % TPAGE == 0, "walk: table at ia 0x%llx: table_pa 0x%llx unaligned",
		    (unsigned long long)r->ia, (unsigned long long)r->table_pa);
		pas[npas++] = r->table_pa;
		stack[depth++] = (struct tframe){
			.ia = r->ia, .size = r->size, .pte = r->pte, .level = r->level,
		};
		st->tables++;
		st->tables_per_level[r->level - 1]++;
	}
	CHK(depth == 0, "walk: %u TABLE_PRE without TABLE_POST", depth);
	tree_wl = w;

	/* no table page linked twice */
	qsort(pas, npas, sizeof(*pas), cmp_u64);
	for (size_t i = 1; i < npas; i++)
		CHK(pas[i] != pas[i - 1], "table page 0x%llx linked twice",
		    (unsigned long long)pas[i]);
	free(pas);

	if (m)
		CHK(leaf_pages == m->pages,
		    "the table maps %llu pages, the model %llu",
		    (unsigned long long)leaf_pages, (unsigned long long)m->pages);

	if (mm)
		test_rcu_barrier();
	ret = s2pt_info(pt, &info);
	CHK(ret == 0, "s2pt_info: %d", ret);
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++) {
		uint64_t want = st->tables_per_level[l];

		if (l == top)
			want += root_pages(&info);
		CHK(info.table_pages[l] == want,
		    "info.table_pages[%u] = %llu, reachable table pages at that level = %llu",
		    l, (unsigned long long)info.table_pages[l], (unsigned long long)want);
	}
	if (mm) {
		uint64_t want = root_pages(&info) + st->tables + info.spare_pages +
				info.empty_pages;

		CHK(tmm_live_pages(mm) == want,
		    "allocator pages in use %llu != root %llu + reachable tables %llu + spare %llu + shared invalid tables %llu",
		    (unsigned long long)tmm_live_pages(mm),
		    (unsigned long long)root_pages(&info), (unsigned long long)st->tables,
		    (unsigned long long)info.spare_pages, (unsigned long long)info.empty_pages);
	}
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
