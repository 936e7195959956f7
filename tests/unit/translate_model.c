/* SPDX-License-Identifier: MIT */
/*
 * The translate tests' reference model of two-stage walks: each table's
 * structure (shadow), the architectures' access rules, the expected result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit/translate_model.h"

/*
 * The model. Each stage is a flat map page -> {oa, prot} (tests/model)
 * kept from what the test asked to map, and the table structure (which
 * entries are tables, at which physical address, which are leaves of which
 * size) read once with s2pt_walk after tree_check() has compared every
 * leaf of that walk with the flat map. The expected result of a
 * translation is then computed the way the hardware walks:
 *
 *   for each first-stage level, root first:
 *     the entry's GPA = table GPA + 8 * index; translate it through stage 2
 *     (a fault there is a stage-2 fault "in the walk" at that GPA; the
 *     fetch needs stage-2 read); read it; not present -> stage-1 fault at
 *     this level; a table -> descend; a leaf -> stage-1 permission check,
 *     then the final GPA through stage 2 with the access itself.
 *
 * Levels count from the leaf (0 = 4 KiB). reads counts every entry read,
 * both stages (a stage-2 walk that ends at level l read top - l + 1). An
 * empty entry ends a walk at its level: a zero entry, or one pointing at
 * LVZ's shared invalid table (whose level-0 entry a LoongArch walker
 * would reach instead; LoongArch reports no level). A LoongArch walker
 * would also follow a zero la64 directory entry to a table at PA 0: the
 * library reads it as not present, as this model does.
 *
 * Access rules, per architecture, in the configuration the library
 * encodes for (no SMEP/SMAP on x86 with CR0.WP = 1 and EFER.NXE = 1; no
 * PAN on ARM; sstatus.SUM = 1 and MXR = 0 on RISC-V):
 * - x86-64 (SDM 3A §4.6): user accesses need U/S = 1; writes need R/W;
 *   fetches need XD = 0.
 * - AArch64 stage 1 (ARM ARM D8.4): EL0 data accesses need AP[1]; writes
 *   need AP[2] = 0; an EL0 fetch needs UXN = 0 and an EL1 fetch PXN = 0,
 *   whatever AP[1] says (EL0 execute-only pages exist).
 * - RISC-V (privileged spec §4.3.1): U-mode accesses need U = 1; the
 *   supervisor may never execute from a U = 1 page, whatever SUM says.
 * - LoongArch (§5.4): PLV 3 pages are open to every level, PLV 0 pages
 *   to PLV 0 only (RPLV = 0); NR / NX / W as they say.
 * - Second stage: R / W / X as the leaf says; split execute: ARM XNX by
 *   the exception level of the access, EPT mode-based execute control by
 *   the U/S of the linear address, i.e. the first-stage leaf's U (SDM 3C
 *   §29.3.3.2; with no first stage, by the access's mode).
 */

/* ------------------------------------------------------------------ */
/* Each table's structure (shadow)                                    */

static int cmp_rec(const void *a, const void *b)
{
	const struct wrec *x = a, *y = b;

	return x->ia < y->ia ? -1 : x->ia > y->ia;
}

void shadow_build(struct shadow *s, struct s2pt *pt, const struct tgeo *g)
{
	struct wlist w;

	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		s->n[l] = 0;
	s->levels = g->info.levels;
	s->root = s2pt_root(pt);
	wlist_init(&w);
	wlist_walk_all(pt, g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, &w);
	for (size_t i = 0; i < w.n; i++) {
		unsigned l = w.r[i].level;

		if (s->n[l] == s->cap[l]) {
			s->cap[l] = s->cap[l] ? 2 * s->cap[l] : 64;
			s->e[l] = realloc(s->e[l], s->cap[l] * sizeof(*s->e[l]));
			CHK(s->e[l], "out of memory");
		}
		s->e[l][s->n[l]++] = w.r[i];
	}
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		if (s->n[l])
			qsort(s->e[l], s->n[l], sizeof(*s->e[l]), cmp_rec);
	wlist_fini(&w);
}

void shadow_fini(struct shadow *s)
{
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		free(s->e[l]);
	memset(s, 0, sizeof(*s));
}

/* The level-@l entry that translates @ia, or NULL if it is empty. */
static const struct wrec *shadow_find(const struct shadow *s, unsigned l, uint64_t ia)
{
	uint64_t key = ia & ~(TLEVEL_SIZE(l) - 1);
	size_t lo = 0, hi = s->n[l];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->e[l][mid].ia < key)
			lo = mid + 1;
		else if (s->e[l][mid].ia > key)
			hi = mid;
		else
			return &s->e[l][mid];
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The hardware access rules (see the top of the file)                 */

static bool s1_allows(const struct tg *t, uint32_t p, uint32_t acc)
{
	enum fam1 fam = t->simple ? F1_NONE : t->fam1;
	bool user = acc & S2PT_ACC_USER;

	/* an AArch64 EL0 fetch is governed by UXN alone */
	if (user && !(p & S2PT_U) &&
	    (fam != F1_ARM || (acc & (S2PT_ACC_READ | S2PT_ACC_WRITE)) || !(acc & S2PT_ACC_EXEC)))
		return false;
	if ((acc & S2PT_ACC_READ) && !(p & S2PT_R))
		return false;
	if ((acc & S2PT_ACC_WRITE) && !(p & S2PT_W))
		return false;
	if (acc & S2PT_ACC_EXEC) {
		if (!(p & (S2PT_X | (user ? S2PT_XU : S2PT_XS))))
			return false;
		if (fam == F1_RV && !user && (p & S2PT_U))
			return false;
	}
	return true;
}

/* Which second-stage execute bit governs a fetch: user (XU) or not (XS). */
static bool s2_user_fetch(const struct tg *t, uint32_t p1, bool user)
{
	if (t->fam2 == F2_EPT && t->f1 && !t->simple)
		return p1 & S2PT_U;
	return user;
}

static bool s2_allows(const struct tg *t, uint32_t p2, uint32_t acc, uint32_t p1)
{
	if ((acc & S2PT_ACC_READ) && !(p2 & S2PT_R))
		return false;
	if ((acc & S2PT_ACC_WRITE) && !(p2 & S2PT_W))
		return false;
	if ((acc & S2PT_ACC_EXEC) &&
	    !(p2 & (S2PT_X | (s2_user_fetch(t, p1, acc & S2PT_ACC_USER) ? S2PT_XU : S2PT_XS))))
		return false;
	return true;
}

/* Effective rights of a translation: read and write where both stages
 * allow them, execute per mode, and the first stage's U. */
static uint32_t effective(const struct tg *t, uint32_t p1, uint32_t p2)
{
	uint32_t p = p1 & p2 & (S2PT_R | S2PT_W);
	bool xu = s1_allows(t, p1 | S2PT_U, S2PT_ACC_EXEC | S2PT_ACC_USER) &&
		  s2_allows(t, p2, S2PT_ACC_EXEC | S2PT_ACC_USER, p1);
	bool xs = s1_allows(t, p1, S2PT_ACC_EXEC) && s2_allows(t, p2, S2PT_ACC_EXEC, p1);

	p |= xu && xs ? S2PT_X : xu ? S2PT_XU : xs ? S2PT_XS : 0;
	return p | (p1 & S2PT_U);
}

/* ------------------------------------------------------------------ */
/* The model's translation                                             */

struct s2res {
	bool fault;
	unsigned kind;
	int level;
	unsigned reads;
	uint64_t hpa, size;
	uint32_t prot;
};

static void emu_s2(struct tg *t, uint64_t gpa, struct s2res *r)
{
	memset(r, 0, sizeof(*r));
	if (!t->s2) {
		r->hpa = gpa;
		r->prot = S2PT_R | S2PT_W | S2PT_X;
		return;
	}
	if (gpa >= t->s2_lim) {
		r->fault = true;
		r->kind = S2PT_XF_RANGE;
		r->level = -1;
		return;
	}
	for (int l = (int)t->sh2.levels - 1; l >= 0; l--) {
		const struct wrec *e = shadow_find(&t->sh2, (unsigned)l, gpa);
		uint64_t oa;
		uint32_t prot;

		r->reads++;
		if (!e) {
			r->fault = true;
			r->kind = S2PT_XF_NOT_PRESENT;
			r->level = l;
			return;
		}
		if (e->kind == S2PT_WALK_TABLE_PRE)
			continue;
		CHK(model_lookup(&t->m2, gpa, &oa, &prot) == 0 && oa == e->oa + (gpa - e->ia),
		    "stage-2 structure and model disagree at gpa 0x%llx", (unsigned long long)gpa);
		r->hpa = oa;
		r->prot = prot;
		r->size = e->size;
		r->level = l;
		return;
	}
	chk_fail("stage-2 walk of 0x%llx ended in a table at level 0", (unsigned long long)gpa);
}

static void expect_fault(struct s2pt_xlate *x, unsigned stage, unsigned kind, int level,
			 uint64_t addr, bool in_walk)
{
	x->fault_stage = stage;
	x->fault_kind = kind;
	x->fault_level = level;
	x->fault_addr = addr;
	x->fault_in_walk = in_walk;
}

/* The expected result of translating @gva for @acc; returns the expected
 * return value (0 or -EFAULT). A fault_level of -1 is not compared. */
int emu(struct tg *t, uint64_t gva, uint32_t acc, struct s2pt_xlate *x)
{
	struct s2res r;
	uint64_t gpa = gva;
	uint32_t p1 = S2PT_R | S2PT_W | S2PT_X | S2PT_U;

	memset(x, 0, sizeof(*x));
	if (t->f1) {
		uint64_t tbl = t->sh1.root;
		bool leaf = false;

		if (!tgeo_range_ok(&t->g1, gva & ~(TPAGE - 1), TPAGE)) {
			expect_fault(x, 1, S2PT_XF_RANGE, -1, gva, false);
			return -EFAULT;
		}
		for (int l = (int)t->sh1.levels - 1; l >= 0 && !leaf; l--) {
			uint64_t egpa = tbl + 8 * ((gva >> (12 + 9 * l)) & 511);
			const struct wrec *e;

			emu_s2(t, egpa, &r);
			x->reads += r.reads;
			if (r.fault) {
				expect_fault(x, 2, r.kind, r.level, egpa, true);
				return -EFAULT;
			}
			if (!(r.prot & S2PT_R)) {
				expect_fault(x, 2, S2PT_XF_PERMISSION, r.level, egpa, true);
				return -EFAULT;
			}
			CHK(r.hpa == (uint64_t)(uintptr_t)t->tbl_host + (egpa - (t->s2 ? t->tbl_gpa :
			    (uint64_t)(uintptr_t)t->tbl_host)),
			    "model: stage-1 table entry 0x%llx outside the table region",
			    (unsigned long long)egpa);
			x->reads++;
			e = shadow_find(&t->sh1, (unsigned)l, gva);
			if (!e) {
				expect_fault(x, 1, S2PT_XF_NOT_PRESENT, l, gva, false);
				return -EFAULT;
			}
			if (e->kind == S2PT_WALK_TABLE_PRE) {
				tbl = e->table_pa;
				continue;
			}
			CHK(model_lookup(&t->m1, gva, &gpa, &p1) == 0 &&
			    gpa == e->oa + ((gva - e->ia) & (e->size - 1)),
			    "stage-1 structure and model disagree at gva 0x%llx",
			    (unsigned long long)gva);
			x->s1_size = e->size;
			x->s1_prot = p1;
			x->gpa = gpa;
			if (!s1_allows(t, p1, acc)) {
				expect_fault(x, 1, S2PT_XF_PERMISSION, l, gva, false);
				return -EFAULT;
			}
			leaf = true;
		}
		CHK(leaf, "model: stage-1 walk of 0x%llx ended in a table", (unsigned long long)gva);
	}
	x->gpa = gpa;
	emu_s2(t, gpa, &r);
	x->reads += r.reads;
	if (r.fault) {
		expect_fault(x, 2, r.kind, r.level, gpa, false);
		return -EFAULT;
	}
	if (!s2_allows(t, r.prot, acc, p1)) {
		expect_fault(x, 2, S2PT_XF_PERMISSION, r.level, gpa, false);
		return -EFAULT;
	}
	x->hpa = r.hpa;
	x->s2_size = r.size;
	x->s2_prot = r.prot;
	x->prot = effective(t, p1, r.prot);
	if (!t->f1)
		x->s1_prot = p1;
	return 0;
}
