/* SPDX-License-Identifier: MIT */
/*
 * The library side of the benchmark: one timed run of every operation on a
 * fresh s2pt table through the public API.
 */
#include <errno.h>
#include "bench.h"

static int fail(struct b_res *r, const char *what, int rc)
{
	r->what = what;
	return rc;
}

static int lib_map_pages(struct s2pt *pt, struct b_res *r)
{
	uint64_t t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = s2pt_map(pt, b_ia(i), b_ia(i) + B_OA_OFF, B_PAGE, S2PT_RW, 0);

		err = rc ? rc : err;
	}
	r->ns[OP_MAP] = b_per(t0, B_NPAGES);
	return err ? fail(r, "map 1-by-1", err) : 0;
}

static int lib_lookup_seq(struct s2pt *pt, const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_leaf lf;
	uint64_t sum = 0, t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = s2pt_lookup(pt, b_ia(i), &lf);

		err = rc ? rc : err;
		sum += lf.oa;
	}
	r->ns[OP_LK_SEQ] = b_per(t0, B_NPAGES);
	if (!err && sum != c->lk_sum)
		err = -EIO;
	return err ? fail(r, "lookup seq", err) : 0;
}

static int lib_lookup_rand(struct s2pt *pt, const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_leaf lf;
	uint64_t sum = 0, t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = s2pt_lookup(pt, b_ia(c->perm[i]), &lf);

		err = rc ? rc : err;
		sum += lf.oa;
	}
	r->ns[OP_LK_RAND] = b_per(t0, B_NPAGES);
	if (!err && sum != c->lk_sum)
		err = -EIO;
	return err ? fail(r, "lookup random", err) : 0;
}

static int lib_unmap_pages(struct s2pt *pt, struct b_res *r)
{
	uint64_t t0 = b_now();
	int err = 0;

	for (uint32_t i = 0; i < B_NPAGES; i++) {
		int rc = s2pt_unmap(pt, b_ia(i), B_PAGE);

		err = rc ? rc : err;
	}
	r->ns[OP_UNMAP] = b_per(t0, B_NPAGES);
	return err ? fail(r, "unmap 1-by-1", err) : 0;
}

/* Time one call over the 1 GiB region, per 4 KiB page. */
static int lib_region(struct s2pt *pt, struct b_res *r)
{
	uint64_t t0 = b_now();
	int rc = s2pt_map(pt, B_IA0, B_IA0 + B_OA_OFF, B_REGION, S2PT_RW, 0);

	r->ns[OP_MAP_REG] = b_per(t0, B_NPAGES);
	if (rc)
		return fail(r, "map region", rc);
	t0 = b_now();
	rc = s2pt_protect(pt, B_IA0, B_REGION, S2PT_R);
	r->ns[OP_PROT_REG] = b_per(t0, B_NPAGES);
	if (rc)
		return fail(r, "protect region", rc);
	t0 = b_now();
	rc = s2pt_unmap(pt, B_IA0, B_REGION);
	r->ns[OP_UNMAP_REG] = b_per(t0, B_NPAGES);
	return rc ? fail(r, "unmap region", rc) : 0;
}

/* S2PT_MAP_HUGE must have used the largest leaf the table allows (<= 1 GiB). */
static void lib_check_huge(struct s2pt *pt, struct b_res *r)
{
	struct s2pt_info in;
	struct s2pt_leaf lf;
	uint64_t want = B_GIB;

	if (s2pt_info(pt, &in) || s2pt_lookup(pt, B_IA0, &lf))
		return;
	while (want > B_PAGE && !(in.leaf_sizes & want))
		want >>= 9;
	r->huge_leaf = lf.size;
	if (lf.size != want)
		r->warn = "map HUGE did not use the largest leaf";
}

/* huge_n calls of 1 GiB each with S2PT_MAP_HUGE, per call. */
static int lib_huge(struct s2pt *pt, const struct b_cfg *c, struct b_res *r)
{
	uint64_t t0 = b_now();
	int err = 0;

	for (uint64_t k = 0; k < c->huge_n; k++) {
		uint64_t ia = B_IA0 + k * B_GIB;
		int rc = s2pt_map(pt, ia, ia + B_OA_OFF, B_GIB, S2PT_RW, S2PT_MAP_HUGE);

		err = rc ? rc : err;
	}
	r->ns[OP_MAP_HUGE] = b_per(t0, c->huge_n);
	if (err)
		return fail(r, "map huge", err);
	lib_check_huge(pt, r);
	t0 = b_now();
	for (uint64_t k = 0; k < c->huge_n; k++) {
		int rc = s2pt_unmap(pt, B_IA0 + k * B_GIB, B_GIB);

		err = rc ? rc : err;
	}
	r->ns[OP_UNMAP_HUGE] = b_per(t0, c->huge_n);
	return err ? fail(r, "unmap huge", err) : 0;
}

/* Everything unmapped: only the root may remain, else unmap kept tables. */
static void lib_check_empty(struct s2pt *pt, struct b_res *r)
{
	struct s2pt_info in;
	uint64_t n = 0;

	if (s2pt_info(pt, &in))
		return;
	for (unsigned l = 0; l + 1 < in.levels && l < S2PT_MAX_LEVELS; l++)
		n += in.table_pages[l];
	if (n)
		r->warn = "unmap left empty tables (baseline frees them)";
}

static int lib_steps(struct s2pt *pt, const struct b_cfg *c, struct b_res *r)
{
	int rc = lib_map_pages(pt, r);

	rc = rc ? rc : lib_lookup_seq(pt, c, r);
	rc = rc ? rc : lib_lookup_rand(pt, c, r);
	rc = rc ? rc : lib_unmap_pages(pt, r);
	if (!rc)
		lib_check_empty(pt, r);
	rc = rc ? rc : lib_region(pt, r);
	if (!rc)
		lib_check_empty(pt, r);
	return rc ? rc : lib_huge(pt, c, r);
}

int b_lib_run(const struct s2pt_fmt *fmt, unsigned opt_flags,
	      const struct b_cfg *c, struct b_res *r)
{
	struct s2pt_opts o = { .sz = sizeof(o), .flags = opt_flags };
	struct s2pt *pt;
	int rc = s2pt_create(fmt, opt_flags == ~0u ? NULL : &o, &pt);

	if (rc)
		return fail(r, "create", rc);
	rc = lib_steps(pt, c, r);
	s2pt_destroy(pt);
	return rc;
}
