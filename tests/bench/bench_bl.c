/* SPDX-License-Identifier: MIT */
/*
 * The baseline side of the benchmark: the same timed steps as bench_lib.c on
 * the hand-written x86-64 walker (baseline_x86.c).
 */
#include <errno.h>
#include "baseline_x86.h"

static int fail(struct b_res *r, const char *what, int rc)
{
	r->what = what;
	return rc;
}

static int base_map_pages(struct bl *b, struct b_res *r)
{
	uint64_t t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = bl_map_page(b, b_ia(i), b_ia(i) + B_OA_OFF, S2PT_RW);

		err = rc ? rc : err;
	}
	r->ns[OP_MAP] = b_per(t0, B_NPAGES);
	return err ? fail(r, "map 1-by-1", err) : 0;
}

static int base_lookup_seq(struct bl *b, const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_leaf lf;
	uint64_t sum = 0, t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = bl_lookup(b, b_ia(i), &lf);

		err = rc ? rc : err;
		sum += lf.oa;
	}
	r->ns[OP_LK_SEQ] = b_per(t0, B_NPAGES);
	if (!err && sum != c->lk_sum)
		err = -EIO;
	return err ? fail(r, "lookup seq", err) : 0;
}

static int base_lookup_rand(struct bl *b, const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_leaf lf;
	uint64_t sum = 0, t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = bl_lookup(b, b_ia(c->perm[i]), &lf);

		err = rc ? rc : err;
		sum += lf.oa;
	}
	r->ns[OP_LK_RAND] = b_per(t0, B_NPAGES);
	if (!err && sum != c->lk_sum)
		err = -EIO;
	return err ? fail(r, "lookup random", err) : 0;
}

static int base_unmap_pages(struct bl *b, struct b_res *r)
{
	uint64_t t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = bl_unmap_page(b, b_ia(i));

		err = rc ? rc : err;
	}
	r->ns[OP_UNMAP] = b_per(t0, B_NPAGES);
	return err ? fail(r, "unmap 1-by-1", err) : 0;
}

/* Time one call over the 1 GiB region, per 4 KiB page. */
static int base_region(struct bl *b, struct b_res *r)
{
	uint64_t t0 = b_now();
	int rc = bl_map(b, B_IA0, B_IA0 + B_OA_OFF, B_REGION, S2PT_RW, 0);

	r->ns[OP_MAP_REG] = b_per(t0, B_NPAGES);
	if (rc)
		return fail(r, "map region", rc);
	t0 = b_now();
	rc = bl_protect(b, B_IA0, B_REGION, S2PT_R);
	r->ns[OP_PROT_REG] = b_per(t0, B_NPAGES);
	if (rc)
		return fail(r, "protect region", rc);
	t0 = b_now();
	rc = bl_unmap(b, B_IA0, B_REGION);
	r->ns[OP_UNMAP_REG] = b_per(t0, B_NPAGES);
	return rc ? fail(r, "unmap region", rc) : 0;
}

/* huge_n calls of 1 GiB each with S2PT_MAP_HUGE, per call. */
static int base_huge(struct bl *b, const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_leaf lf;
	uint64_t t0 = b_now();
	int err = 0;

	for (uint64_t k = 0; k < c->huge_n; k++) {
		uint64_t ia = B_IA0 + k * B_GIB;
		int rc = bl_map(b, ia, ia + B_OA_OFF, B_GIB, S2PT_RW, S2PT_MAP_HUGE);

		err = rc ? rc : err;
	}
	r->ns[OP_MAP_HUGE] = b_per(t0, c->huge_n);
	if (err)
		return fail(r, "map huge", err);
	if (bl_lookup(b, B_IA0, &lf) || lf.size != B_GIB)
		r->warn = "baseline HUGE did not use 1 GiB leaves";
	r->huge_leaf = lf.size;
	t0 = b_now();
	for (uint64_t k = 0; k < c->huge_n; k++) {
		int rc = bl_unmap(b, B_IA0 + k * B_GIB, B_GIB);

		err = rc ? rc : err;
	}
	r->ns[OP_UNMAP_HUGE] = b_per(t0, c->huge_n);
	return err ? fail(r, "unmap huge", err) : 0;
}

/* Everything unmapped: every table below the root must be gone. */
static void base_check_empty(struct bl *b, struct b_res *r)
{
	if (bl_tables(b))
		r->warn = "baseline left tables";
}

static int base_steps(struct bl *b, const struct b_cfg *c, struct b_res *r)
{
	int rc = base_map_pages(b, r);

	rc = rc ? rc : base_lookup_seq(b, c, r);
	rc = rc ? rc : base_lookup_rand(b, c, r);
	rc = rc ? rc : base_unmap_pages(b, r);
	if (!rc)
		base_check_empty(b, r);
	rc = rc ? rc : base_region(b, r);
	if (!rc)
		base_check_empty(b, r);
	return rc ? rc : base_huge(b, c, r);
}

int b_bl_run(enum b_bl_mode mode, const struct b_cfg *c, struct b_res *r)
{
	struct bl *b;
	int rc = bl_create(mode, &b);

	if (rc)
		return fail(r, "create", rc);
	rc = base_steps(b, c, r);
	bl_destroy(b);
	return rc;
}
