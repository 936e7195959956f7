// SPDX-License-Identifier: MIT
/*
 * Stress test: choose the poison a freed table page is filled with, so
 * that whatever reads it decodes present entries leading to the canary.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress/pmm.h"
#include "stress/stress.h"

/* A provider of pages at physical canary + offset in a private buffer:
 * builds scratch tables whose entries point into the canary range, and
 * serves the poisoned view for the self-test (zalloc off). */
struct cmm {
	unsigned char *buf;
	size_t used, size;
	uint64_t pa;
	bool no_alloc;
};

/* Bump allocation, aligned to @bytes; nothing once no_alloc is set. */
static void *cmm_zalloc(void *ctx, size_t bytes, uint64_t *pa)
{
	struct cmm *m = ctx;
	size_t at = (m->used + bytes - 1) / bytes * bytes;

	if (m->no_alloc || at + bytes > m->size)
		return NULL;
	m->used = at + bytes;
	memset(m->buf + at, 0, bytes);
	*pa = m->pa + at;
	return m->buf + at;
}

static void cmm_free(void *ctx, void *va, uint64_t pa, size_t bytes)
{
	(void)ctx;
	(void)va;
	(void)pa;
	(void)bytes;	/* the buffer goes as a whole */
}

static void *cmm_p2v(void *ctx, uint64_t pa)
{
	struct cmm *m = ctx;

	return pa >= m->pa && pa - m->pa < m->size ? m->buf + (pa - m->pa) : NULL;
}

static const struct s2pt_mm_ops cmm_ops = {
	.zalloc = cmm_zalloc,
	.free = cmm_free,
	.phys_to_virt = cmm_p2v,
};

/* Candidate 1: a leaf mapping the canary (a leaf at every level on RISC-V). */
static int leaf_form(struct st_case *c, uint64_t *pte)
{
	struct s2pt *s;
	struct s2pt_leaf l;
	int ret = s2pt_create(c->fmt, NULL, &s);

	if (ret)
		return ret;
	ret = s2pt_map(s, 0, c->canary, ST_PAGE, S2PT_R, 0);
	if (!ret)
		ret = s2pt_lookup(s, 0, &l);
	*pte = ret ? 0 : l.pte;
	s2pt_destroy(s);
	st_quiescent();
	return ret;
}

/* Walk visitor: keep the level-1 table entry (it points at a level-0 table). */
static int last_table(const struct s2pt_visit *v, void *arg)
{
	if (v->level == 1)
		*(uint64_t *)arg = v->pte;
	return 0;
}

/* Candidate 2: a table entry pointing into the canary range (a table at
 * upper levels, a leaf at level 0 on x86 and ARM). */
static int table_form(struct st_case *c, struct cmm *m, uint64_t *pte)
{
	struct s2pt_opts o = { .sz = sizeof(o), .mm = &cmm_ops, .mm_ctx = m,
			       .ia_bits = c->info.ia_bits };
	struct s2pt *s;
	int ret = s2pt_create(c->fmt, &o, &s);

	*pte = 0;
	if (ret)
		return ret;
	ret = s2pt_map(s, 0, 0, ST_PAGE, S2PT_R, 0);
	if (!ret)
		ret = s2pt_walk(s, 0, ST_PAGE, S2PT_WALK_TABLE_PRE, last_table, pte);
	s2pt_destroy(s);
	st_quiescent();
	return ret;
}

/* Does a tree of nothing but @pte read as present leaves in the canary
 * range? Probes a read-only view rooted at the canary. */
static bool reads_as_garbage(struct st_case *c, struct cmm *m, uint64_t pte)
{
	static const uint64_t ias[] = { 0, 0x12345000, 3 * ST_1G + 0x5000, 9 * ST_1G };
	struct s2pt_opts o = { .sz = sizeof(o), .mm = &cmm_ops, .mm_ctx = m,
			       .ia_bits = c->info.ia_bits };
	struct s2pt *view;
	struct s2pt_leaf l;
	unsigned ok = 0;

	for (size_t i = 0; i < m->size / 8; i++)
		((uint64_t *)m->buf)[i] = pte;
	m->no_alloc = true;
	if (s2pt_attach(c->fmt, c->canary, &o, &view))
		return false;
	for (unsigned i = 0; i < sizeof(ias) / sizeof(ias[0]); i++)
		ok += s2pt_lookup(view, ias[i], &l) == 0 && l.oa >= c->canary;
	s2pt_destroy(view);
	st_quiescent();
	return ok == sizeof(ias) / sizeof(ias[0]);
}

/* The first candidate that reads as present garbage (see stress.h). */
uint64_t st_pick_poison(struct st_case *c)
{
	struct cmm m = { .size = PMM_CANARY_BYTES, .pa = c->canary };
	uint64_t cand[2] = { 0, 0 };
	bool ok = false;
	unsigned i;

	m.buf = aligned_alloc(PMM_CANARY_BYTES, PMM_CANARY_BYTES);
	if (!m.buf)
		return 0;
	leaf_form(c, &cand[0]);
	table_form(c, &m, &cand[1]);
	for (i = 0; i < 2 && !ok; i++) {
		m.used = 0;
		m.no_alloc = false;
		ok = cand[i] && reads_as_garbage(c, &m, cand[i]);
	}
	free(m.buf);
	if (ok)
		return cand[i - 1];
	printf("  note: %s: no poison found that reads as present (leaf form 0x%" PRIx64
	       ", table form 0x%" PRIx64 "); early frees show only as missing stable pages "
	       "or through phys_to_virt\n", c->fname, cand[0], cand[1]);
	return cand[0];
}
