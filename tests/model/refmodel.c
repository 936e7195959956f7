/* SPDX-License-Identifier: MIT */
/*
 * Test support: the reference model of a page table, a sorted array of
 * extents (page -> {oa, prot}) with the contracts of map, unmap, protect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

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
