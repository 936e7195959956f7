// SPDX-License-Identifier: MIT
/* Host-side helpers for oracle generators (see gen.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gen.h"

static void die(const char *what, int err)
{
	fprintf(stderr, "oracle generator: %s: %s\n", what, err ? strerror(-err) : "failed");
	exit(2);
}

void orc_gen_init(struct orc_gen *g, const char *name, uint64_t img_pa, size_t img_size)
{
	int err;

	memset(g, 0, sizeof(*g));
	g->img = aligned_alloc(4096, img_size);
	if (!g->img)
		die("image", -ENOMEM);
	memset(g->img, 0, img_size);
	g->img_pa = img_pa;
	g->img_size = img_size;
	err = s2pt_arena_create(g->img, img_pa, img_size, &g->arena);
	if (err)
		die("s2pt_arena_create", err);
	g->cap = 64;
	g->cfg = calloc(1, sizeof(*g->cfg) + g->cap * sizeof(struct orc_vec));
	if (!g->cfg)
		die("config", -ENOMEM);
	g->cfg->magic = ORC_MAGIC;
	g->cfg->version = ORC_VERSION;
	g->cfg->img_pa = img_pa;
	g->cfg->img_size = img_size;
	snprintf(g->cfg->scenario, sizeof(g->cfg->scenario), "%s", name);
}

struct s2pt_opts orc_opts(struct orc_gen *g)
{
	struct s2pt_opts o = {
		.sz = sizeof(o),
		.mm = &s2pt_arena_mm,
		.mm_ctx = g->arena,
	};
	return o;
}

struct s2pt *orc_create(struct orc_gen *g, const struct s2pt_fmt *fmt, unsigned ia_bits)
{
	struct s2pt_opts o = orc_opts(g);
	struct s2pt *pt;
	int err;

	o.ia_bits = ia_bits;
	err = s2pt_create(fmt, &o, &pt);
	if (err)
		die("s2pt_create", err);
	return pt;
}

void orc_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
	     unsigned flags)
{
	int err = s2pt_map(pt, ia, oa, size, prot, flags);

	if (err) {
		fprintf(stderr, "oracle generator: s2pt_map(%#llx, %#llx, %#llx, %#x, %#x): %s\n",
			(unsigned long long)ia, (unsigned long long)oa,
			(unsigned long long)size, prot, flags, strerror(-err));
		exit(2);
	}
}

struct orc_vec *orc_vec(struct orc_gen *g, const char *name, uint64_t ia, uint32_t access,
			uint32_t expect, uint64_t oa, int level)
{
	struct orc_vec *v;

	if (g->cfg->nvec == g->cap) {
		g->cap *= 2;
		g->cfg = realloc(g->cfg, sizeof(*g->cfg) + g->cap * sizeof(struct orc_vec));
		if (!g->cfg)
			die("config", -ENOMEM);
	}
	v = &g->cfg->vec[g->cfg->nvec++];
	memset(v, 0, sizeof(*v));
	v->ia = ia;
	v->oa = oa;
	v->access = access;
	v->expect = expect;
	v->level = level;
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

static int deepest_table(const struct s2pt_visit *v, void *arg)
{
	int *lvl = arg;

	if ((int)v->level - 1 < *lvl)
		*lvl = (int)v->level - 1;
	return 0;
}

int orc_fault_level(struct s2pt *pt, uint64_t ia)
{
	struct s2pt_info info;
	int lvl;

	if (s2pt_info(pt, &info))
		die("s2pt_info", -EINVAL);
	lvl = (int)info.levels - 1;
	if (s2pt_walk(pt, ia & ~4095ull, 4096, S2PT_WALK_TABLE_PRE, deepest_table, &lvl))
		die("s2pt_walk", -EINVAL);
	return lvl;
}

struct orc_vec *orc_vec_lookup(struct orc_gen *g, struct s2pt *pt, const char *name,
			       uint64_t ia, uint32_t access)
{
	struct s2pt_leaf leaf;
	uint32_t need;
	int err = s2pt_lookup(pt, ia, &leaf);

	if (err == -ERANGE)
		return orc_vec(g, name, ia, access, ORC_FAULT_RANGE, 0, -1);
	if (err == -ENOENT)
		return orc_vec(g, name, ia, access, ORC_FAULT_TRANS, 0, orc_fault_level(pt, ia));
	if (err)
		die("s2pt_lookup", err);
	switch (access & ORC_ACC_MASK) {
	case ORC_ACC_R:
		need = S2PT_R;
		break;
	case ORC_ACC_W:
		need = S2PT_W;
		break;
	default:
		need = S2PT_X | S2PT_XS;
		break;
	}
	if (!(leaf.prot & need))
		return orc_vec(g, name, ia, access, ORC_FAULT_PERM, 0, (int)leaf.level);
	return orc_vec(g, name, ia, access, ORC_OK, leaf.oa, (int)leaf.level);
}

static int count_leaf(const struct s2pt_visit *v, void *arg)
{
	uint64_t *n = arg;

	n[v->level]++;
	return 0;
}

void orc_print_leaves(struct orc_gen *g, struct s2pt *pt)
{
	static const char *const sz[] = { "4K", "2M", "1G", "512G", "256T" };
	uint64_t n[S2PT_MAX_LEVELS] = { 0 };
	struct s2pt_info info;

	if (s2pt_info(pt, &info) ||
	    s2pt_walk(pt, 0, 1ull << info.ia_bits, S2PT_WALK_LEAF, count_leaf, n))
		die("s2pt_walk", -EINVAL);
	printf("%s: leaves", g->cfg->scenario);
	for (unsigned l = 0; l < info.levels; l++)
		printf(" %s %llu", sz[l], (unsigned long long)n[l]);
	printf("\n");
}

uint64_t orc_seed(struct orc_gen *g)
{
	const char *s = getenv("S2PT_ORACLE_SEED");
	uint64_t seed = s && *s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

	if (!seed)
		seed = 1;
	g->rng = seed;
	g->cfg->seed = seed;
	printf("%s: seed %llu (S2PT_ORACLE_SEED=%llu to replay)\n", g->cfg->scenario,
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

uint64_t orc_rand(struct orc_gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die(path, -errno);
}

/*
 * S2PT_ORACLE_MUTATE=1: make every expectation wrong, to show that the
 * checkers can fail: every line must then read FAIL, but for reads of
 * device registers (their value is not checked). MUTATE=2 changes only the
 * kind or level of faults (only checkers that see levels fail on those).
 */
static void mutate(struct orc_cfg *c, int how)
{
	for (uint32_t i = 0; i < c->nvec; i++) {
		struct orc_vec *v = &c->vec[i];

		if (v->expect == ORC_OK)
			v->oa ^= 0x1000;
		else if (how == 1)
			v->expect = ORC_OK, v->oa = v->ia;
		else if (v->expect == ORC_FAULT_TRANS && v->level > 0)
			v->level--;
		else
			v->expect = v->expect == ORC_FAULT_TRANS ? ORC_FAULT_PERM : ORC_FAULT_TRANS;
	}
}

void orc_write(struct orc_gen *g, const char *img_path, const char *cfg_path)
{
	const char *m = getenv("S2PT_ORACLE_MUTATE");

	if (m && (*m == '1' || *m == '2'))
		mutate(g->cfg, *m - '0');
	write_file(img_path, g->img, g->img_size);
	write_file(cfg_path, g->cfg, sizeof(*g->cfg) + g->cfg->nvec * sizeof(struct orc_vec));
	free(g->cfg);
	g->cfg = NULL;
}

void orc_gen_free(struct orc_gen *g)
{
	s2pt_arena_destroy(g->arena);
	free(g->img);
	free(g->cfg);
	memset(g, 0, sizeof(*g));
}
