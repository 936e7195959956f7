/* SPDX-License-Identifier: MIT */
/*
 * The translate tests' random guests: both stages built at random over guest
 * RAM holding the first-stage tables, and the addresses and accesses to try.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit/translate_model.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint64_t rnd(struct tg *t, uint64_t n)
{
	return trng_below(&t->rng, n);
}

static bool chance(struct tg *t, unsigned pct)
{
	return trng_chance(&t->rng, pct);
}

static enum fam1 fam1_of(const struct s2pt_fmt *f)
{
	if (!f)
		return F1_NONE;
	if (f == &s2pt_fmt_x86_64 || f == &s2pt_fmt_x86_64_la57)
		return F1_X86;
	if (f == &s2pt_fmt_arm64_4k)
		return F1_ARM;
	if (f == &s2pt_fmt_la64)
		return F1_LA;
	return F1_RV;
}

static enum fam2 fam2_of(const struct s2pt_fmt *f)
{
	if (!f)
		return F2_NONE;
	if (f == &s2pt_fmt_ept4 || f == &s2pt_fmt_ept5)
		return F2_EPT;
	if (f == &s2pt_fmt_npt)
		return F2_NPT;
	if (f == &s2pt_fmt_arm64_s2)
		return F2_ARM;
	if (f == &s2pt_fmt_lvz)
		return F2_LVZ;
	return F2_GS;
}

static void sizes_of(const struct tgeo *g, uint64_t *sizes, unsigned *n)
{
	*n = 0;
	for (unsigned l = 0; l < g->info.levels; l++)
		if (g->info.leaf_sizes & TLEVEL_SIZE(l))
			sizes[(*n)++] = TLEVEL_SIZE(l);
}

/* A random prot from the bits a stage may use; the format decides. */
static uint32_t rnd_prot(struct tg *t, bool first)
{
	static const uint32_t x[] = { 0, 0, S2PT_X, S2PT_X, S2PT_XU, S2PT_XS };
	uint32_t p = 0;

	if (chance(t, 85))
		p |= S2PT_R;
	if (chance(t, 50))
		p |= S2PT_W;
	p |= x[rnd(t, 6)];
	if (first && chance(t, 50))
		p |= S2PT_U;
	return p;
}

/* Map in both the table and the model; try other prots while the format
 * refuses them. Return: 0, -EEXIST (model occupied), -ENOMEM. */
static int map_both(struct tg *t, bool first, uint64_t ia, uint64_t oa, uint64_t size,
		    uint32_t prot, bool any_prot, unsigned flags)
{
	struct s2pt *pt = first ? t->s1 : t->s2;
	struct model *m = first ? &t->m1 : &t->m2;
	int ret;

	if (model_any(m, ia, size))
		return -EEXIST;
	for (int tries = 0; tries < 64; tries++) {
		if (any_prot)
			prot = rnd_prot(t, first);
		ret = s2pt_map(pt, ia, oa, size, prot, flags);
		if (ret == -EINVAL && any_prot)
			continue;
		if (ret == -ENOMEM)
			return ret;
		CHK(ret == 0, "stage-%d map(0x%llx, 0x%llx, 0x%llx, prot %#x, flags %#x) = %d",
		    first ? 1 : 2, (unsigned long long)ia, (unsigned long long)oa,
		    (unsigned long long)size, prot, flags, ret);
		CHK(model_map(m, ia, oa, size, prot, flags) == 0, "model_map");
		return 0;
	}
	chk_fail("stage-%d: no prot accepted in 64 tries", first ? 1 : 2);
}

/* ------------------------------------------------------------------ */
/* Building a guest                                                    */

static void *guest_hpa_to_va(void *ctx, uint64_t hpa, size_t len)
{
	struct tg *t = ctx;
	uint64_t base = (uint64_t)(uintptr_t)t->tbl_host;

	if (hpa < base || hpa - base >= TBL_SIZE || TBL_SIZE - (hpa - base) < len)
		return NULL;
	return (void *)(uintptr_t)hpa;
}

/* A leaf-size choice: index into sizes, biased to small. */
static uint64_t pick_size(struct tg *t, const uint64_t *sizes, unsigned n)
{
	unsigned r = (unsigned)rnd(t, 100);

	if (n > 2 && r < 6)
		return sizes[2];
	if (n > 1 && r < 30)
		return sizes[1];
	return sizes[0];
}

/* A GPA for a first-stage leaf of @size. */
static uint64_t pick_s1_target(struct tg *t, uint64_t size)
{
	unsigned r = (unsigned)rnd(t, 100);
	uint64_t lim = t->s2 ? (t->s2_lim < t->gpa_lim ? t->s2_lim : t->gpa_lim) : t->gpa_lim;

	if (r < 8 && size <= TBL_SIZE)		/* the guest's own tables */
		return (t->s2 ? t->tbl_gpa : (uint64_t)(uintptr_t)t->tbl_host) +
		       rnd(t, TBL_SIZE / size) * size;
	if (r < 18)				/* near a far second-stage region */
		return (t->anchor[rnd(t, NANCHOR)] + rnd(t, TGIB)) & ~(size - 1);
	if (r < 70 && t->s2 && t->m2.n) {	/* over something stage 2 maps */
		const struct model_ext *x = &t->m2.e[rnd(t, t->m2.n)];

		return ((x->pg + rnd(t, x->npg)) * TPAGE) & ~(size - 1);
	}
	if (r < 75)				/* anywhere */
		return rnd(t, lim / size) * size;
	if (r < 80 && t->s2 && t->s2_lim < t->gpa_lim)	/* beyond stage 2 */
		return t->s2_lim + rnd(t, (t->gpa_lim - t->s2_lim) / size) * size;
	return DATA_GPA + rnd(t, DATA_SIZE / size) * size;
}

static void build_s1(struct tg *t)
{
	unsigned nmaps = 30 + (unsigned)rnd(t, 120);
	uint64_t half = t->g1.half;

	t->nwin = 2 + (unsigned)rnd(t, 3);
	for (unsigned i = 0; i < t->nwin; i++) {
		uint64_t w = rnd(t, half / WIN_SIZE) * WIN_SIZE;

		t->win[i] = chance(t, 40) ? (0 - half) + w : w;
	}
	for (unsigned i = 0; i < nmaps; i++) {
		uint64_t size = pick_size(t, t->sizes1, t->nsizes1), gva, gpa, len = size;
		unsigned flags = size > TPAGE ? S2PT_MAP_HUGE : 0;

		if (size == TPAGE)
			len = TPAGE * (1 + rnd(t, chance(t, 20) ? 600 : 8));
		if (size > TPAGE && chance(t, 15))
			flags = 0;	/* the same range in base pages */
		if (i && chance(t, 50) && t->m1.n) {
			/* near something mapped: same 2 MiB or 1 GiB */
			const struct model_ext *x = &t->m1.e[rnd(t, t->m1.n)];
			uint64_t near = chance(t, 60) ? 2 * TMIB : TGIB;

			gva = ((x->pg * TPAGE) & ~(near - 1)) + rnd(t, near / size) * size;
		} else {
			gva = t->win[rnd(t, t->nwin)] + rnd(t, WIN_SIZE / size) * size;
		}
		if (!tgeo_range_ok(&t->g1, gva, len))
			continue;
		gpa = pick_s1_target(t, size);
		if (gpa + len > t->gpa_lim || gpa + len < gpa)
			continue;
		if (map_both(t, true, gva, gpa, len, 0, true, flags) == -ENOMEM)
			break;
	}
	/* holes punched into blocks and runs: tables split, levels vary */
	for (unsigned i = 0, n = (unsigned)rnd(t, 6); i < n && t->m1.n; i++) {
		const struct model_ext *x = &t->m1.e[rnd(t, t->m1.n)];
		uint64_t ia = (x->pg + rnd(t, x->npg)) * TPAGE;
		int ret = s2pt_unmap(t->s1, ia, TPAGE);

		if (ret == -ENOMEM)
			break;
		CHK(ret == 0, "stage-1 unmap(0x%llx) = %d", (unsigned long long)ia, ret);
		model_unmap(&t->m1, ia, TPAGE);
	}
}

static void build_s2(struct tg *t)
{
	uint64_t host = (uint64_t)(uintptr_t)t->tbl_host;
	unsigned nmaps = 20 + (unsigned)rnd(t, 80);

	/* the table region, mapped onto the host buffer that holds it */
	if (chance(t, 50)) {
		map_both(t, false, t->tbl_gpa, host, TBL_SIZE, 0, true, S2PT_MAP_HUGE);
	} else {
		/* in base pages, one prot: whatever the first page got */
		map_both(t, false, t->tbl_gpa, host, TPAGE, 0, true, 0);
		map_both(t, false, t->tbl_gpa + TPAGE, host + TPAGE, TBL_SIZE - TPAGE,
			 model_find(&t->m2, t->tbl_gpa)->prot, false, 0);
	}
	if (chance(t, 50))	/* a neighbour in the same 1 GiB */
		map_both(t, false, (t->tbl_gpa & ~(TGIB - 1)) + TGIB - 64 * TPAGE,
			 (1ull << 36) + rnd(t, 1 << 20) * TPAGE, TPAGE * (1 + rnd(t, 4)), 0, true, 0);
	for (unsigned i = 0; i < nmaps; i++) {
		uint64_t size = pick_size(t, t->sizes2, t->nsizes2), gpa, hpa, len = size;

		if (size == TPAGE)
			len = TPAGE * (1 + rnd(t, chance(t, 20) ? 600 : 8));
		if (i < 8 && chance(t, 50))
			gpa = t->anchor[rnd(t, 2)] + rnd(t, TGIB / size) * size;
		else
			gpa = DATA_GPA + rnd(t, DATA_SIZE / size) * size;
		if (gpa + len > t->s2_lim)
			continue;
		hpa = (1ull << 36) + rnd(t, (1ull << 38) / size) * size;
		map_both(t, false, gpa, hpa, len, 0, true, size > TPAGE ? S2PT_MAP_HUGE : 0);
	}
}

static int visit_table(const struct s2pt_visit *v, void *arg)
{
	struct tg *t = arg;

	if (v->kind == S2PT_WALK_TABLE_PRE) {
		t->s1_tables = realloc(t->s1_tables, (t->ns1_tables + 1) * sizeof(uint64_t));
		CHK(t->s1_tables, "out of memory");
		t->s1_tables[t->ns1_tables++] = v->table_pa;
	}
	return 0;
}

/* Take stage-2 access away from some stage-1 table pages: @fate 1 unmaps
 * a few, 2 makes a few execute-only, 3 unmaps them all, else none. */
static void apply_fate(struct tg *t, unsigned fate)
{
	int ret;

	t->fate = "tables mapped";
	if (!t->s1 || !t->s2)
		return;
	t->ns1_tables = 0;
	t->s1_tables = realloc(t->s1_tables, sizeof(uint64_t));
	CHK(t->s1_tables, "out of memory");
	t->s1_tables[t->ns1_tables++] = s2pt_root(t->s1);
	ret = s2pt_walk(t->s1, 0, t->g1.half, S2PT_WALK_TABLE_PRE, visit_table, t);
	CHK(ret == 0, "walk: %d", ret);
	ret = s2pt_walk(t->s1, 0 - t->g1.half, t->g1.half, S2PT_WALK_TABLE_PRE, visit_table, t);
	CHK(ret == 0, "walk: %d", ret);
	if (fate == 1) {
		t->fate = "some table pages unmapped in stage 2";
		for (unsigned i = 0, n = 1 + (unsigned)rnd(t, 4); i < n; i++) {
			uint64_t gpa = t->s1_tables[rnd(t, t->ns1_tables)];

			ret = s2pt_unmap(t->s2, gpa, TPAGE);
			CHK(ret == 0, "stage-2 unmap(0x%llx) = %d", (unsigned long long)gpa, ret);
			model_unmap(&t->m2, gpa, TPAGE);
		}
	} else if (fate == 2) {
		t->fate = "some table pages execute-only in stage 2";
		for (unsigned i = 0, n = 1 + (unsigned)rnd(t, 4); i < n; i++) {
			uint64_t gpa = t->s1_tables[rnd(t, t->ns1_tables)];

			ret = s2pt_protect(t->s2, gpa, TPAGE, S2PT_X);
			if (ret == -EINVAL) {	/* no execute-only here (NPT) */
				t->fate = "some table pages unmapped in stage 2";
				ret = s2pt_unmap(t->s2, gpa, TPAGE);
				CHK(ret == 0, "stage-2 unmap: %d", ret);
				model_unmap(&t->m2, gpa, TPAGE);
				continue;
			}
			CHK(ret == 0, "stage-2 protect(0x%llx, X) = %d", (unsigned long long)gpa, ret);
			model_protect(&t->m2, gpa, TPAGE, S2PT_X);
		}
	} else if (fate == 3) {
		t->fate = "the whole table region unmapped in stage 2";
		ret = s2pt_unmap(t->s2, t->tbl_gpa, TBL_SIZE);
		CHK(ret == 0, "stage-2 unmap: %d", ret);
		model_unmap(&t->m2, t->tbl_gpa, TBL_SIZE);
	}
}

void guest_init(struct tg *t, const struct s2pt_fmt *f1, const struct s2pt_fmt *f2,
		       uint64_t seed, unsigned fate)
{
	struct s2pt_opts o = { .sz = sizeof(o) };
	int ret;

	t->seed = seed;
	trng_seed(&t->rng, seed);
	t->f1 = f1;
	t->f2 = f2;
	t->fam1 = fam1_of(f1);
	t->fam2 = fam2_of(f2);
	t->fate = "building";
	model_init(&t->m1);
	model_init(&t->m2);
	t->tbl_host = aligned_alloc(TBL_SIZE, TBL_SIZE);
	CHK(t->tbl_host, "out of memory");
	memset(t->tbl_host, 0, TBL_SIZE);
	chk_set_dump(tg_dump, t);

	if (f2) {
		ret = s2pt_create(f2, &o, &t->s2);
		CHK(ret == 0, "create %s: %d", s2pt_fmt_name(f2), ret);
		tgeo_get(t->s2, &t->g2);
		sizes_of(&t->g2, t->sizes2, &t->nsizes2);
		t->s2_lim = 1ull << t->g2.info.ia_bits;
		/* the tables: in the low 512 GiB, or alone in the next one */
		t->tbl_gpa = 3 * TGIB + rnd(t, 256) * TBL_SIZE;
		if (chance(t, 30) && t->s2_lim > 515 * TGIB)
			t->tbl_gpa += 512 * TGIB;
		/* two anywhere, one in the low 512 GiB (its 1 GiB stays empty) */
		for (unsigned i = 0; i < NANCHOR - 1; i++)
			t->anchor[i] = (8 + rnd(t, (t->s2_lim >> 30) - 9)) * TGIB;
		t->anchor[NANCHOR - 1] = (16 + rnd(t, 400)) * TGIB;
	} else {
		t->s2_lim = 0;
		t->tbl_gpa = (uint64_t)(uintptr_t)t->tbl_host;
		for (unsigned i = 0; i < NANCHOR; i++)
			t->anchor[i] = (8 + rnd(t, 1000)) * TGIB;
	}
	if (f2)
		build_s2(t);
	if (f1) {
		ret = s2pt_arena_create(t->tbl_host, t->tbl_gpa, TBL_SIZE, &t->arena);
		CHK(ret == 0, "arena: %d", ret);
		o.mm = &s2pt_arena_mm;
		o.mm_ctx = t->arena;
		ret = s2pt_create(f1, &o, &t->s1);
		CHK(ret == 0, "create %s: %d", s2pt_fmt_name(f1), ret);
		tgeo_get(t->s1, &t->g1);
		sizes_of(&t->g1, t->sizes1, &t->nsizes1);
		t->gpa_lim = 1ull << t->g1.info.oa_bits;
		build_s1(t);
	}
	apply_fate(t, fate);
	if (t->s1) {
		tree_check(t->s1, &t->g1, &t->m1, NULL, NULL);
		shadow_build(&t->sh1, t->s1, &t->g1);
	}
	if (t->s2) {
		tree_check(t->s2, &t->g2, &t->m2, NULL, NULL);
		shadow_build(&t->sh2, t->s2, &t->g2);
	}
	t->guest = (struct s2pt_guest){
		.sz = sizeof(t->guest), .s1 = f1, .s1_root = t->s1 ? s2pt_root(t->s1) : 0,
		.s2 = t->s2, .hpa_to_va = guest_hpa_to_va, .ctx = t,
	};
}

void guest_fini(struct tg *t)
{
	chk_set_dump(NULL, NULL);
	s2pt_destroy(t->s1);
	s2pt_destroy(t->s2);
	s2pt_arena_destroy(t->arena);
	free(t->tbl_host);
	free(t->s1_tables);
	model_fini(&t->m1);
	model_fini(&t->m2);
	shadow_fini(&t->sh1);
	shadow_fini(&t->sh2);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* Choosing what to translate                                          */

/* A random access; half the time one the first stage allows at @gva. */
uint32_t pick_access(struct tg *t, uint64_t gva)
{
	static const uint32_t a[] = {
		S2PT_ACC_READ, S2PT_ACC_READ, S2PT_ACC_WRITE, S2PT_ACC_WRITE,
		S2PT_ACC_EXEC, S2PT_ACC_EXEC, S2PT_ACC_READ | S2PT_ACC_WRITE, 0,
	};
	uint32_t acc = a[rnd(t, 8)], prot, ok[3];
	uint64_t gpa;
	unsigned n = 0;

	if (t->f1 && chance(t, 50) && model_lookup(&t->m1, gva, &gpa, &prot) == 0) {
		if (prot & S2PT_R)
			ok[n++] = S2PT_ACC_READ;
		if (prot & S2PT_W)
			ok[n++] = S2PT_ACC_WRITE;
		if (prot & (S2PT_X | S2PT_XU | S2PT_XS))
			ok[n++] = S2PT_ACC_EXEC;
		acc = n ? ok[rnd(t, n)] : acc;
		if ((prot & S2PT_U) && chance(t, 70))
			acc |= S2PT_ACC_USER;
		return acc;
	}
	if (chance(t, 50))
		acc |= S2PT_ACC_USER;
	return acc;
}

uint64_t pick_gva(struct tg *t)
{
	unsigned r = (unsigned)rnd(t, 100);
	uint64_t off = rnd(t, TPAGE);

	if (!t->f1) {	/* gva == gpa */
		if (r < 30 && t->m2.n) {
			const struct model_ext *x = &t->m2.e[rnd(t, t->m2.n)];

			return (x->pg + rnd(t, x->npg)) * TPAGE + off;
		}
		if (r < 50)
			return DATA_GPA + rnd(t, DATA_SIZE);
		if (r < 65)
			return t->tbl_gpa + rnd(t, TBL_SIZE);
		if (r < 80)
			return t->anchor[rnd(t, NANCHOR)] + rnd(t, TGIB);
		if (r < 90 && t->s2)
			return t->s2_lim + rnd(t, 0 - t->s2_lim);
		return t->s2 ? rnd(t, t->s2_lim) : trng_next(&t->rng);
	}
	if (r < 55 && t->m1.n) {
		const struct model_ext *x = &t->m1.e[rnd(t, t->m1.n)];

		return (x->pg + rnd(t, x->npg)) * TPAGE + off;
	}
	if (r < 78 && t->m1.n) {
		/* same region as something mapped at a random level */
		const struct model_ext *x = &t->m1.e[rnd(t, t->m1.n)];
		uint64_t span = TLEVEL_SIZE(1 + rnd(t, t->g1.info.levels - 1));

		return ((x->pg * TPAGE) & ~(span - 1)) + (trng_next(&t->rng) & (span - 1));
	}
	if (r < 85)
		return t->win[rnd(t, t->nwin)] + rnd(t, WIN_SIZE);
	if (r < 95) {
		uint64_t low = rnd(t, t->g1.half);

		return chance(t, 50) ? (0 - t->g1.half) + low : low;
	}
	/* not canonical */
	{
		uint64_t v = trng_next(&t->rng);

		return tgeo_range_ok(&t->g1, v & ~(TPAGE - 1), TPAGE) ? v ^ (1ull << 62) : v;
	}
}
