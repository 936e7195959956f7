/* SPDX-License-Identifier: MIT */
/*
 * Bad inputs, one validation rule per row, for every public call and every
 * format: each must be refused with the documented errno, before anything
 * changes (the table is compared with a snapshot after every refusal, and
 * no TLB invalidation may have been asked for).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "model/model.h"

enum call { C_MAP, C_UNMAP, C_PROTECT, C_SPLIT, C_COLLAPSE, C_HARVEST, C_LOOKUP, C_WALK };
static const char *const call_names[] = {
	"map", "unmap", "protect", "split", "collapse", "harvest", "lookup", "walk",
};

/* One row: a call, its arguments, the errno it must give (or either of
 * two, where DESIGN.md allows both: "-EINVAL or -ERANGE" for overflow). */
struct row {
	char what[96];
	enum call call;
	uint64_t ia, size, oa;
	uint32_t prot;
	unsigned flags;
	uint64_t leaf_size;
	int want, want2;
};

struct bi {
	const struct s2pt_fmt *fmt;
	const char *name;
	struct tmm mm;
	struct s2pt *pt;
	struct tgeo g;
	struct model m;
	unsigned ninv;
	struct snap snap;
	struct row rows[256];
	unsigned nrows;
	unsigned failures;
};

static void bi_inv(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct bi *b = ctx;

	(void)ia; (void)size; (void)level;
	b->ninv++;
}

static void bi_fail(struct bi *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bi_fail(struct bi *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->failures++;
	cr_log_error("badinput/%s: %s", b->name, msg);
	fprintf(stderr, "badinput/%s: %s\n", b->name, msg);
}

static struct row *add(struct bi *b, enum call c, int want, const char *what, ...)
	__attribute__((format(printf, 4, 5)));
static struct row *add(struct bi *b, enum call c, int want, const char *what, ...)
{
	struct row *r = &b->rows[b->nrows++];
	va_list ap;

	cr_assert(b->nrows <= sizeof(b->rows) / sizeof(b->rows[0]));
	memset(r, 0, sizeof(*r));
	va_start(ap, what);
	vsnprintf(r->what, sizeof(r->what), what, ap);
	va_end(ap);
	r->call = c;
	r->want = r->want2 = want;
	r->size = TPAGE;
	r->prot = S2PT_R;
	r->leaf_size = TPAGE;
	if (c == C_HARVEST)
		r->flags = S2PT_HARVEST_DIRTY;
	return r;
}

static int nop_visit(const struct s2pt_visit *v, void *arg)
{
	(void)v; (void)arg;
	return 0;
}

static int run_row(struct s2pt *pt, const struct row *r)
{
	struct s2pt_leaf leaf;

	switch (r->call) {
	case C_MAP:
		return s2pt_map(pt, r->ia, r->oa, r->size, r->prot, r->flags);
	case C_UNMAP:
		return s2pt_unmap(pt, r->ia, r->size);
	case C_PROTECT:
		return s2pt_protect(pt, r->ia, r->size, r->prot);
	case C_SPLIT:
		return s2pt_split(pt, r->ia, r->size, r->leaf_size);
	case C_COLLAPSE:
		return s2pt_collapse(pt, r->ia, r->size);
	case C_HARVEST: {
		static uint64_t bitmap[64];

		return s2pt_harvest(pt, r->ia, r->size, r->flags, bitmap);
	}
	case C_LOOKUP:
		return s2pt_lookup(pt, r->ia, &leaf);
	case C_WALK:
		return s2pt_walk(pt, r->ia, r->size, r->flags, nop_visit, NULL);
	}
	return 0;
}

/* The table must be as in the snapshot; not fatal, so every row runs. */
static void expect_unchanged(struct bi *b, const char *what)
{
	struct snap now;
	char why[512];

	snap_take(b->pt, &b->g, &b->mm, &now);
	if (!wlist_equal(&b->snap.all, &now.all, why, sizeof(why)))
		bi_fail(b, "%s: the table changed: %s", what, why);
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		if (now.info.table_pages[l] != b->snap.info.table_pages[l])
			bi_fail(b, "%s: table_pages[%u] %llu -> %llu", what, l,
				(unsigned long long)b->snap.info.table_pages[l],
				(unsigned long long)now.info.table_pages[l]);
	if (now.live_pages != b->snap.live_pages)
		bi_fail(b, "%s: allocator pages in use (less spares) %llu -> %llu", what,
			(unsigned long long)b->snap.live_pages, (unsigned long long)now.live_pages);
	if (b->ninv)
		bi_fail(b, "%s: refused, but called invalidate %u times", what, b->ninv);
	b->ninv = 0;
	snap_fini(&now);
}

static void check_ret(struct bi *b, const char *what, int ret, int want, int want2)
{
	if (ret != want && ret != want2) {
		if (want == want2)
			bi_fail(b, "%s returned %d, expected %d", what, ret, want);
		else
			bi_fail(b, "%s returned %d, expected %d or %d", what, ret, want, want2);
	}
	expect_unchanged(b, what);
}

static bool is_riscv(const char *n)
{
	return !strncmp(n, "sv", 2);
}

static bool is_x86_stage1(const char *n)
{
	return !strcmp(n, "x86_64") || !strcmp(n, "x86_64_la57");
}

/* Stage-2 formats whose entries have neither a user nor a global bit:
 * Intel SDM vol. 3 §29.3.2 (EPT entries), ARM ARM D8.3 (stage-2 block and
 * page descriptors have no AP[1] and no nG). */
static bool no_user_global(const char *n)
{
	return !strcmp(n, "ept4") || !strcmp(n, "ept5") || !strcmp(n, "arm64_s2");
}

/* Formats whose root level can never hold a leaf: x86 PML4E/PML5E have no
 * PS bit (SDM vol. 3 §4.5), EPT likewise (§29.3.2), ARM 4 KiB granule
 * level-0 descriptors are table-only (ARM ARM D8.3.1). */
static bool root_no_leaf(const char *n)
{
	return is_x86_stage1(n) || !strcmp(n, "npt") || !strcmp(n, "ept4") ||
	       !strcmp(n, "ept5") || !strcmp(n, "arm64_4k");
}

/* ------------------------------------------------------------------ */

static void range_rows(struct bi *b, enum call c)
{
	const struct tgeo *g = &b->g;
	const char *n = call_names[c];
	struct row *r;

	r = add(b, c, -EINVAL, "%s: ia not page aligned", n);
	r->ia = 0x10001000 + 0x800;
	r = add(b, c, -EINVAL, "%s: size not page aligned", n);
	r->ia = 0x10000000;
	r->size = 0x1800;
	r = add(b, c, -EINVAL, "%s: size 1", n);
	r->ia = 0x10000000;
	r->size = 1;
	r = add(b, c, -EINVAL, "%s: size 0", n);
	r->ia = 0x10000000;
	r->size = 0;
	/* ia + size wraps around 2^64 */
	r = add(b, c, -EINVAL, "%s: ia + size overflows", n);
	r->want2 = -ERANGE;
	if (g->canonical) {
		r->ia = 0xfffffffffffff000ull;
		r->size = 2 * TPAGE;
	} else {
		r->ia = 0x2000;
		r->size = 0xfffffffffffff000ull;
	}
	r = add(b, c, -EINVAL, "%s: size 2^64 - 4 KiB from 0x10000000", n);
	r->want2 = -ERANGE;
	r->ia = 0x10000000;
	r->size = 0xfffffffffffff000ull;
	if (!g->canonical) {
		r = add(b, c, -ERANGE, "%s: ia at 2^ia_bits", n);
		r->ia = g->half;
		r = add(b, c, -ERANGE, "%s: ia far beyond 2^ia_bits", n);
		r->ia = 0x8000000000000000ull;
		r = add(b, c, -ERANGE, "%s: range ends past 2^ia_bits", n);
		r->ia = g->half - TPAGE;
		r->size = 2 * TPAGE;
		r = add(b, c, -ERANGE, "%s: range far past 2^ia_bits", n);
		r->ia = g->half - 4 * TMIB;
		r->size = g->half;
	} else {
		r = add(b, c, -ERANGE, "%s: non-canonical ia (first above the lower half)", n);
		r->ia = g->half;
		r = add(b, c, -ERANGE, "%s: non-canonical ia (last below the upper half)", n);
		r->ia = 0 - g->half - TPAGE;
		r = add(b, c, -ERANGE, "%s: non-canonical ia 2^63", n);
		r->ia = 0x8000000000000000ull;
		r = add(b, c, -ERANGE, "%s: range crosses the top of the lower half", n);
		r->ia = g->half - TPAGE;
		r->size = 2 * TPAGE;
		r = add(b, c, -ERANGE, "%s: range from the lower half into the upper half", n);
		r->ia = g->half - TPAGE;
		r->size = (0 - g->half) - (g->half - TPAGE) + TPAGE;
		r = add(b, c, -ERANGE, "%s: range from the hole into the upper half", n);
		r->ia = 0 - g->half - TPAGE;
		r->size = 2 * TPAGE;
	}
}

static void build_rows(struct bi *b)
{
	const struct tgeo *g = &b->g;
	uint64_t oa_top = 1ull << g->info.oa_bits;
	static const uint32_t unknown_bits[] = {
		1u << 7, 1u << 11, 1u << 16, 1u << 20, 1u << 31,
	};
	struct row *r;

	for (enum call c = C_MAP; c <= C_HARVEST; c++)
		range_rows(b, c);

	/* harvest: what */
	r = add(b, C_HARVEST, -EINVAL, "harvest: unknown what bit 0x4");
	r->ia = 0x200000;
	r->flags = S2PT_HARVEST_DIRTY | 1u << 2;
	r = add(b, C_HARVEST, -EINVAL, "harvest: unknown what bit 0x80000000");
	r->ia = 0x200000;
	r->flags = S2PT_HARVEST_DIRTY | 1u << 31;

	/* map: output address */
	r = add(b, C_MAP, -EINVAL, "map: oa not page aligned");
	r->ia = 0x10000000;
	r->oa = 0x12345800;
	r = add(b, C_MAP, -ERANGE, "map: oa at 2^oa_bits (%u)", g->info.oa_bits);
	r->ia = 0x10000000;
	r->oa = oa_top;
	r = add(b, C_MAP, -ERANGE, "map: oa range ends past 2^oa_bits");
	r->ia = 0x10000000;
	r->oa = oa_top - TPAGE;
	r->size = 2 * TPAGE;
	r = add(b, C_MAP, -ERANGE, "map: oa 2^63");
	r->ia = 0x10000000;
	r->oa = 0x8000000000000000ull;

	/* map and protect: prot */
	for (enum call c = C_MAP; c <= C_PROTECT; c += C_PROTECT - C_MAP) {
		const char *n = call_names[c];

		for (size_t i = 0; i < sizeof(unknown_bits) / sizeof(unknown_bits[0]); i++) {
			r = add(b, c, -EINVAL, "%s: unknown prot bit 0x%x", n, unknown_bits[i]);
			r->ia = 0x10000000;
			r->prot = S2PT_RW | unknown_bits[i];
		}
		r = add(b, c, -EINVAL, "%s: memory type 3 (undefined)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_R | S2PT_MT_MASK;
		r = add(b, c, -EINVAL, "%s: prot 0 (neither readable nor executable)", n);
		r->ia = 0x10000000;
		r->prot = 0;
		r = add(b, c, -EINVAL, "%s: prot W only (write needs read)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_W;
		r = add(b, c, -EINVAL, "%s: prot W|X (write needs read)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_W | S2PT_X;
		r = add(b, c, -EINVAL, "%s: prot SW0 only", n);
		r->ia = 0x10000000;
		r->prot = S2PT_SW0;
		if (is_riscv(b->name)) {
			/* RISC-V priv. spec, Sv39 PTE: RSW is 2 bits (9:8) */
			r = add(b, c, -EINVAL, "%s: SW2 (RISC-V RSW has 2 bits)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_SW2;
			r = add(b, c, -EINVAL, "%s: SW3 (RISC-V RSW has 2 bits)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_SW3;
		}
		if (is_x86_stage1(b->name)) {
			/* SDM vol. 3 §4.5: one XD bit, no user/supervisor split */
			r = add(b, c, -EINVAL, "%s: XU without XS (x86 has one XD bit)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_XU;
			r = add(b, c, -EINVAL, "%s: XS without XU (x86 has one XD bit)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_XS;
			r = add(b, c, -EINVAL, "%s: X without R (x86 pages are always readable)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_X;
		}
		if (no_user_global(b->name)) {
			r = add(b, c, -EINVAL, "%s: S2PT_U on a stage-2 format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_U;
			r = add(b, c, -EINVAL, "%s: S2PT_G on a stage-2 format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_G;
		}
		if (!strncmp(b->name, "sv", 2) && strchr(b->name, 'x')) {
			/* priv. spec, G-stage: the G bit is not used, kept clear */
			r = add(b, c, -EINVAL, "%s: S2PT_G on a G-stage format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_G;
		}
	}

	/* map flags */
	r = add(b, C_MAP, -EINVAL, "map: unknown flag 0x4");
	r->ia = 0x10000000;
	r->flags = 1u << 2;
	r = add(b, C_MAP, -EINVAL, "map: unknown flag 0x80000000");
	r->ia = 0x10000000;
	r->flags = 1u << 31;
	/* an existing mapping: at the first page, and further in */
	r = add(b, C_MAP, -EEXIST, "map over the mapped page at 0x200000");
	r->ia = 0x200000;
	r = add(b, C_MAP, -EEXIST, "map over a 2 MiB block, from 4 KiB before it");
	r->ia = 0x400000 - TPAGE;
	r->size = 2 * TPAGE;
	r->flags = S2PT_MAP_HUGE;
	r = add(b, C_MAP, -EEXIST, "map HUGE from before a 2 MiB block to past it");
	r->ia = 0x400000 - TPAGE;
	r->size = 2 * TMIB + 2 * TPAGE;
	r->oa = 0x80000000 - TPAGE;
	r->flags = S2PT_MAP_HUGE;
	r = add(b, C_MAP, -EEXIST, "map 2 MiB of pages ending on the mapped page");
	r->ia = TPAGE;
	r->size = 2 * TMIB;

	/* split: leaf size */
	{
		uint64_t bad[] = { 0, 1, TPAGE + 1, 2 * TPAGE, 3 * TPAGE, 64 * TKIB, TMIB,
				   TLEVEL_SIZE(g->info.levels), 1ull << 63 };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = add(b, C_SPLIT, -EINVAL, "split: leaf_size 0x%llx",
				(unsigned long long)bad[i]);
			r->ia = 0x400000;
			r->size = 2 * TMIB;
			r->leaf_size = bad[i];
		}
		for (unsigned l = 0; l < g->info.levels; l++) {
			if (g->info.leaf_sizes & TLEVEL_SIZE(l))
				continue;
			r = add(b, C_SPLIT, -EINVAL, "split: leaf_size 0x%llx not allowed here",
				(unsigned long long)TLEVEL_SIZE(l));
			r->ia = 0;
			r->size = TLEVEL_SIZE(l);
			r->leaf_size = TLEVEL_SIZE(l);
		}
	}

	/* lookup */
	if (g->canonical) {
		r = add(b, C_LOOKUP, -ERANGE, "lookup: non-canonical ia");
		r->ia = g->half;
		r = add(b, C_LOOKUP, -ERANGE, "lookup: non-canonical ia below the upper half");
		r->ia = 0 - g->half - 1;
	} else {
		r = add(b, C_LOOKUP, -ERANGE, "lookup: ia at 2^ia_bits");
		r->ia = g->half;
		r = add(b, C_LOOKUP, -ERANGE, "lookup: ia 2^64 - 1");
		r->ia = ~0ull;
	}

	/* walk */
	r = add(b, C_WALK, -EINVAL, "walk: unknown flag 0x8");
	r->flags = S2PT_WALK_LEAF | 1u << 3;
	r = add(b, C_WALK, -EINVAL, "walk: unknown flag 0x80000000");
	r->flags = S2PT_WALK_LEAF | 1u << 31;
	r = add(b, C_WALK, -EINVAL, "walk: size 0");
	r->flags = S2PT_WALK_LEAF;
	r->size = 0;
	r = add(b, C_WALK, -ERANGE, "walk: range past the input space");
	r->flags = S2PT_WALK_LEAF;
	r->ia = g->half - TPAGE;
	r->size = 2 * TPAGE;
	r = add(b, C_WALK, -ERANGE, "walk: ia past the input space");
	r->flags = S2PT_WALK_LEAF;
	r->ia = g->half;
}

/* ------------------------------------------------------------------ */

static void bi_open(struct bi *b, uint64_t leaf_sizes)
{
	int ret;

	tmm_init(&b->mm);
	model_init(&b->m);
	ret = tcreate(b->fmt, &b->mm, 0, leaf_sizes, 0, bi_inv, b, &b->pt);
	cr_assert(ret == 0, "%s: create: %d", b->name, ret);
	tgeo_get(b->pt, &b->g);
	/* something to keep unchanged: a page, a 2 MiB block, an upper-half page */
	ret = s2pt_map(b->pt, 0x200000, 0x5000, TPAGE, S2PT_RW, 0);
	cr_assert(ret == 0, "%s: map: %d", b->name, ret);
	model_map(&b->m, 0x200000, 0x5000, TPAGE, S2PT_RW, 0);
	ret = s2pt_map(b->pt, 0x400000, 0x40000000, 2 * TMIB, S2PT_R, S2PT_MAP_HUGE);
	cr_assert(ret == 0, "%s: map: %d", b->name, ret);
	model_map(&b->m, 0x400000, 0x40000000, 2 * TMIB, S2PT_R, 0);
	if (b->g.canonical) {
		ret = s2pt_map(b->pt, 0 - 2 * TPAGE, 0x7000, TPAGE, S2PT_R, 0);
		cr_assert(ret == 0, "%s: map of the upper half: %d", b->name, ret);
		model_map(&b->m, 0 - 2 * TPAGE, 0x7000, TPAGE, S2PT_R, 0);
	}
	b->ninv = 0;
	tree_check(b->pt, &b->g, &b->m, &b->mm, NULL);
	snap_take(b->pt, &b->g, &b->mm, &b->snap);
}

static void bi_close(struct bi *b)
{
	tree_check(b->pt, &b->g, &b->m, &b->mm, NULL);
	snap_fini(&b->snap);
	s2pt_destroy(b->pt);
	test_rcu_barrier();
	tmm_fini(&b->mm);
	model_fini(&b->m);
}

struct fmt_param {
	char name[32];
};

static struct fmt_param *fmt_params(size_t *n)
{
	static struct fmt_param p[64];
	unsigned k = 0;

	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f && k < 64; f = s2pt_fmt_next(f)) {
		snprintf(p[k].name, sizeof(p[k].name), "%s", s2pt_fmt_name(f));
		k++;
	}
	*n = k;
	return p;
}

ParameterizedTestParameters(badinput, operations)
{
	size_t n;
	struct fmt_param *p = fmt_params(&n);

	return cr_make_param_array(struct fmt_param, p, n);
}

/* Every row on a table with a page, a block (and an upper-half page). */
ParameterizedTest(struct fmt_param *p, badinput, operations,
		  .init = test_rcu_register, .fini = test_rcu_unregister)
{
	struct bi *b = calloc(1, sizeof(*b));

	cr_assert(b);
	b->name = p->name;
	b->fmt = s2pt_fmt_find(p->name);
	cr_assert(b->fmt);
	chk_context("badinput/%s", b->name);
	for (int pass = 0; pass < 2; pass++) {
		/* pass 1: a table restricted to 4 KiB and 2 MiB leaves */
		bi_open(b, pass ? TPAGE | 2 * TMIB : 0);
		b->nrows = 0;
		build_rows(b);
		for (unsigned i = 0; i < b->nrows; i++) {
			const struct row *r = &b->rows[i];
			char what[192];

			snprintf(what, sizeof(what), "%s [ia 0x%llx size 0x%llx oa 0x%llx prot 0x%x "
				 "flags %#x leaf 0x%llx]%s", r->what, (unsigned long long)r->ia,
				 (unsigned long long)r->size, (unsigned long long)r->oa, r->prot,
				 r->flags, (unsigned long long)r->leaf_size,
				 pass ? " (leaf_sizes 4K|2M)" : "");
			check_ret(b, what, run_row(b->pt, r), r->want, r->want2);
		}
		bi_close(b);
	}
	cr_assert(b->failures == 0, "%s: %u bad inputs handled wrongly (see the log)", b->name,
		  b->failures);
	free(b);
}

ParameterizedTestParameters(badinput, null_and_readonly)
{
	size_t n;
	struct fmt_param *p = fmt_params(&n);

	return cr_make_param_array(struct fmt_param, p, n);
}

/* NULL and read-only arguments of every call, the info/dump calls. */
ParameterizedTest(struct fmt_param *p, badinput, null_and_readonly,
		  .init = test_rcu_register, .fini = test_rcu_unregister)
{
	struct bi *b = calloc(1, sizeof(*b));
	struct s2pt_leaf leaf;
	struct s2pt_info info;
	struct s2pt *view = NULL;
	struct s2pt_opts o = { .sz = sizeof(o), .mm = &tmm_ops };
	FILE *devnull = fopen("/dev/null", "w");
	uint64_t bitmap[8] = { 0 }, val;

	cr_assert(b && devnull);
	b->name = p->name;
	b->fmt = s2pt_fmt_find(p->name);
	cr_assert(b->fmt);
	chk_context("badinput/%s", b->name);
	bi_open(b, 0);

	check_ret(b, "map(NULL table)", s2pt_map(NULL, 0x10000000, 0, TPAGE, S2PT_R, 0), -EINVAL, -EINVAL);
	check_ret(b, "unmap(NULL table)", s2pt_unmap(NULL, 0x200000, TPAGE), -EINVAL, -EINVAL);
	check_ret(b, "protect(NULL table)", s2pt_protect(NULL, 0x200000, TPAGE, S2PT_R), -EINVAL, -EINVAL);
	check_ret(b, "split(NULL table)", s2pt_split(NULL, 0x400000, 2 * TMIB, TPAGE), -EINVAL, -EINVAL);
	check_ret(b, "collapse(NULL table)", s2pt_collapse(NULL, 0, 2 * TMIB), -EINVAL, -EINVAL);
	check_ret(b, "lookup(NULL table)", s2pt_lookup(NULL, 0x200000, &leaf), -EINVAL, -EINVAL);
	check_ret(b, "lookup(NULL out)", s2pt_lookup(b->pt, 0x200000, NULL), -EINVAL, -EINVAL);
	check_ret(b, "walk(NULL table)", s2pt_walk(NULL, 0, TMIB, S2PT_WALK_LEAF, nop_visit, NULL),
		  -EINVAL, -EINVAL);
	check_ret(b, "walk(NULL visitor)", s2pt_walk(b->pt, 0, TMIB, S2PT_WALK_LEAF, NULL, NULL),
		  -EINVAL, -EINVAL);
	check_ret(b, "info(NULL table)", s2pt_info(NULL, &info), -EINVAL, -EINVAL);
	check_ret(b, "info(NULL out)", s2pt_info(b->pt, NULL), -EINVAL, -EINVAL);
	check_ret(b, "harvest(NULL table)", s2pt_harvest(NULL, 0x200000, TPAGE, S2PT_HARVEST_DIRTY,
						      bitmap), -EINVAL, -EINVAL);
	check_ret(b, "harvest(NULL bitmap)", s2pt_harvest(b->pt, 0x200000, TPAGE, S2PT_HARVEST_DIRTY,
							NULL), -EINVAL, -EINVAL);
	check_ret(b, "hw_root(NULL table)", s2pt_hw_root(NULL, 0, &val), -EINVAL, -EINVAL);
	check_ret(b, "hw_root(NULL out)", s2pt_hw_root(b->pt, 0, NULL), -EINVAL, -EINVAL);
	check_ret(b, "hw_root(vmid 2^32 - 1)", s2pt_hw_root(b->pt, ~0u, &val), -EINVAL, -EINVAL);
	if (!strcmp(b->name, "arm64_s2"))	/* the header: VTTBR_EL2 with an 8-bit VMID */
		check_ret(b, "hw_root(vmid 256)", s2pt_hw_root(b->pt, 256, &val), -EINVAL, -EINVAL);
	if (is_riscv(b->name) && strchr(b->name, 'x'))	/* priv. spec: hgatp.VMID is 14 bits */
		check_ret(b, "hw_root(vmid 2^14)", s2pt_hw_root(b->pt, 1u << 14, &val), -EINVAL, -EINVAL);
	if (is_riscv(b->name) && !strchr(b->name, 'x'))	/* priv. spec: satp.ASID is 16 bits */
		check_ret(b, "hw_root(asid 2^16)", s2pt_hw_root(b->pt, 1u << 16, &val), -EINVAL, -EINVAL);
	check_ret(b, "arm64_vtcr(NULL table)", s2pt_arm64_vtcr(NULL, 40, &val), -EINVAL, -EINVAL);
	if (strcmp(b->name, "arm64_s2")) {
		check_ret(b, "arm64_vtcr of a table that is not arm64_s2",
			  s2pt_arm64_vtcr(b->pt, 48, &val), -EINVAL, -EINVAL);
	} else {
		static const unsigned bad_pa[] = { 0, 31, 33, 39, 41, 47, 50, 53, 64 };

		check_ret(b, "arm64_vtcr(NULL out)", s2pt_arm64_vtcr(b->pt, 48, NULL), -EINVAL, -EINVAL);
		for (size_t i = 0; i < sizeof(bad_pa) / sizeof(bad_pa[0]); i++) {
			char what[64];

			snprintf(what, sizeof(what), "arm64_vtcr(pa_range_bits %u)", bad_pa[i]);
			check_ret(b, what, s2pt_arm64_vtcr(b->pt, bad_pa[i], &val), -EINVAL, -EINVAL);
		}
		if (b->g.info.ia_bits > 32)
			check_ret(b, "arm64_vtcr(pa_range_bits 32, below the input size)",
				  s2pt_arm64_vtcr(b->pt, 32, &val), -EINVAL, -EINVAL);
	}
	{
		struct s2pt_guest gg = { .sz = sizeof(gg), .s2 = b->pt };
		struct s2pt_xlate x;

		check_ret(b, "translate(NULL guest)", s2pt_translate(NULL, 0x200000, S2PT_ACC_READ, &x),
			  -EINVAL, -EINVAL);
		check_ret(b, "translate(NULL out)", s2pt_translate(&gg, 0x200000, S2PT_ACC_READ, NULL),
			  -EINVAL, -EINVAL);
		check_ret(b, "translate(unknown access bit 0x80)",
			  s2pt_translate(&gg, 0x200000, S2PT_ACC_READ | 0x80, &x), -EINVAL, -EINVAL);
		gg.sz = 0;
		check_ret(b, "translate(guest.sz = 0)", s2pt_translate(&gg, 0x200000, S2PT_ACC_READ, &x),
			  -EINVAL, -EINVAL);
	}
	check_ret(b, "dump(NULL table)", s2pt_dump(NULL, devnull), -EINVAL, -EINVAL);
	check_ret(b, "dump(NULL file)", s2pt_dump(b->pt, NULL), -EINVAL, -EINVAL);
	s2pt_destroy(NULL);

	/* a read-only view of the same tree: every changing call is -EPERM */
	o.mm_ctx = &b->mm;
	cr_assert(s2pt_attach(b->fmt, s2pt_root(b->pt), &o, &view) == 0);
	cr_assert(s2pt_info(view, &info) == 0 && info.read_only, "%s: attach: not read_only", b->name);
	check_ret(b, "map on an attached view", s2pt_map(view, 0x10000000, 0, TPAGE, S2PT_R, 0),
		  -EPERM, -EPERM);
	check_ret(b, "map REPLACE on an attached view",
		  s2pt_map(view, 0x200000, 0, TPAGE, S2PT_R, S2PT_MAP_REPLACE), -EPERM, -EPERM);
	check_ret(b, "unmap on an attached view", s2pt_unmap(view, 0x200000, TPAGE), -EPERM, -EPERM);
	check_ret(b, "unmap of a hole on an attached view", s2pt_unmap(view, 0x10000000, TPAGE),
		  -EPERM, -EPERM);
	check_ret(b, "protect on an attached view", s2pt_protect(view, 0x200000, TPAGE, S2PT_R),
		  -EPERM, -EPERM);
	check_ret(b, "split on an attached view", s2pt_split(view, 0x400000, TPAGE, TPAGE),
		  -EPERM, -EPERM);
	check_ret(b, "collapse on an attached view", s2pt_collapse(view, 0x200000, 2 * TMIB),
		  -EPERM, -EPERM);
	check_ret(b, "harvest on an attached view",
		  s2pt_harvest(view, 0x200000, TPAGE, S2PT_HARVEST_DIRTY, bitmap), -EPERM, -EPERM);
	/* reads through the view work */
	check_lookup(view, &b->g, &b->m, 0x200123);
	check_lookup(view, &b->g, &b->m, 0x401234);
	s2pt_destroy(view);
	expect_unchanged(b, "destroying the attached view");

	bi_close(b);
	fclose(devnull);
	cr_assert(b->failures == 0, "%s: %u bad inputs handled wrongly (see the log)", b->name,
		  b->failures);
	free(b);
}

ParameterizedTestParameters(badinput, create_options)
{
	size_t n;
	struct fmt_param *p = fmt_params(&n);

	return cr_make_param_array(struct fmt_param, p, n);
}

/* s2pt_create / s2pt_attach options. */
ParameterizedTest(struct fmt_param *p, badinput, create_options,
		  .init = test_rcu_register, .fini = test_rcu_unregister)
{
	const struct s2pt_fmt *fmt = s2pt_fmt_find(p->name);
	struct s2pt_info info;
	struct s2pt *pt = NULL;
	struct tmm mm;
	unsigned failures = 0, defbits;
	uint64_t full;
	int ret;

	cr_assert(fmt);
	chk_context("badinput/%s create", p->name);
	cr_assert(s2pt_create(fmt, NULL, &pt) == 0, "%s: create with NULL opts", p->name);
	cr_assert(s2pt_info(pt, &info) == 0);
	defbits = info.ia_bits;
	full = info.leaf_sizes;
	s2pt_destroy(pt);

	tmm_init(&mm);
#define BAD_CREATE(what, want, change) do {					\
		struct s2pt_opts o_ = { .sz = sizeof(o_), .mm = &tmm_ops, .mm_ctx = &mm };	\
		o_.change;								\
		struct s2pt *pt_ = NULL;						\
		int r_ = s2pt_create(fmt, &o_, &pt_);					\
		if (r_ != (want)) {							\
			failures++;							\
			cr_log_error("badinput/%s: create with %s returned %d, expected %d", \
				     p->name, what, r_, want);				\
			if (!r_)							\
				s2pt_destroy(pt_);					\
		}									\
		test_rcu_barrier();							\
		if (tmm_live_pages(&mm)) {						\
			failures++;							\
			cr_log_error("badinput/%s: create with %s leaked %llu pages",	\
				     p->name, what, (unsigned long long)tmm_live_pages(&mm)); \
		}									\
	} while (0)

	BAD_CREATE("opts.sz = 0", -EINVAL, sz = 0);
	BAD_CREATE("opts.sz = 4", -EINVAL, sz = 4);
	BAD_CREATE("opts.flags bit 31", -EINVAL, flags = 1u << 31);
	BAD_CREATE("opts.flags bit 7", -EINVAL, flags = 1u << 7);
	BAD_CREATE("ia_bits 65", -EINVAL, ia_bits = 65);
	BAD_CREATE("ia_bits 64", -EINVAL, ia_bits = 64);
	BAD_CREATE("ia_bits 1000", -EINVAL, ia_bits = 1000);
	BAD_CREATE("ia_bits 11", -EINVAL, ia_bits = 11);
	BAD_CREATE("ia_bits 1", -EINVAL, ia_bits = 1);
	if (!strcmp(p->name, "arm64_s2")) {
		/* DESIGN.md: input size 32..48 */
		BAD_CREATE("ia_bits 31", -EINVAL, ia_bits = 31);
		BAD_CREATE("ia_bits 49", -EINVAL, ia_bits = 49);
	} else {
		BAD_CREATE("ia_bits default + 1", -EINVAL, ia_bits = defbits + 1);
	}
	BAD_CREATE("leaf_sizes without 4 KiB (2 MiB only)", -EINVAL, leaf_sizes = 2 * TMIB);
	BAD_CREATE("leaf_sizes without 4 KiB (2 MiB | 1 GiB)", -EINVAL,
		   leaf_sizes = 2 * TMIB | TGIB);
	BAD_CREATE("leaf_sizes with a gap (4 KiB | 1 GiB)", -EINVAL, leaf_sizes = TPAGE | TGIB);
	BAD_CREATE("leaf_sizes with 8 KiB", -EINVAL, leaf_sizes = TPAGE | 2 * TPAGE);
	BAD_CREATE("leaf_sizes with bit 0", -EINVAL, leaf_sizes = TPAGE | 1);
	BAD_CREATE("leaf_sizes all ones", -EINVAL, leaf_sizes = ~0ull);
	BAD_CREATE("leaf_sizes: every size plus the next level's", -EINVAL,
		   leaf_sizes = full | (full << 9));
	if (root_no_leaf(p->name) && !(full & TLEVEL_SIZE(info.levels - 1)))
		BAD_CREATE("leaf_sizes with the root level's size", -EINVAL,
			   leaf_sizes = full | TLEVEL_SIZE(info.levels - 1));
	if (root_no_leaf(p->name))
		cr_expect(!(full & TLEVEL_SIZE(info.levels - 1)),
			  "%s: leaf_sizes 0x%llx allow a leaf at the root level", p->name,
			  (unsigned long long)full);
#undef BAD_CREATE
	{
		struct s2pt_opts o = { .sz = sizeof(o) };

		ret = s2pt_create(NULL, &o, &pt);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: create(NULL format) returned %d", p->name, ret);
		}
		ret = s2pt_create(fmt, &o, NULL);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: create(NULL out) returned %d", p->name, ret);
		}
		ret = s2pt_attach(NULL, 0x1000, &o, &pt);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: attach(NULL format) returned %d", p->name, ret);
		}
		ret = s2pt_attach(fmt, 0x1000, &o, NULL);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: attach(NULL out) returned %d", p->name, ret);
		}
		o.sz = 0;
		ret = s2pt_attach(fmt, 0x1000, &o, &pt);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: attach(opts.sz = 0) returned %d", p->name, ret);
		}
		o.sz = sizeof(o);
		o.flags = 1u << 31;
		ret = s2pt_attach(fmt, 0x1000, &o, &pt);
		if (ret != -EINVAL) {
			failures++;
			cr_log_error("badinput/%s: attach(unknown flag) returned %d", p->name, ret);
		}
	}
	tmm_fini(&mm);
	cr_assert(failures == 0, "%s: %u bad options accepted or misreported (see the log)",
		  p->name, failures);
}

/* The arm64 stage-2 geometry (DESIGN.md: the fewest levels whose root
 * needs at most 16 concatenated 4 KiB pages, as Linux KVM does). */
Test(badinput, arm64_s2_geometry)
{
	const struct s2pt_fmt *fmt = s2pt_fmt_find("arm64_s2");

	if (!fmt)
		cr_skip_test("no arm64_s2 format yet");
	for (unsigned bits = 32; bits <= 48; bits++) {
		struct s2pt_opts o = { .sz = sizeof(o), .ia_bits = bits };
		struct s2pt_info info;
		struct s2pt *pt;
		unsigned levels;
		uint64_t entries;

		/* fewest levels with 2^(bits - 12 - 9*(levels-1)) <= 16 * 512 */
		for (levels = 1; bits - 12 > 9 * (levels - 1) + 13; levels++)
			;
		entries = 1ull << (bits - 12 - 9 * (levels - 1));
		cr_assert(s2pt_create(fmt, &o, &pt) == 0, "arm64_s2 ia_bits %u refused", bits);
		cr_assert(s2pt_info(pt, &info) == 0);
		cr_expect(info.ia_bits == bits && info.levels == levels,
			  "arm64_s2 ia_bits %u: levels %u (expected %u)", bits, info.levels, levels);
		cr_expect(info.root_bytes == (entries * 8 > TPAGE ? entries * 8 : TPAGE),
			  "arm64_s2 ia_bits %u: root_bytes %zu (expected %llu)", bits,
			  info.root_bytes, (unsigned long long)(entries * 8 > TPAGE ? entries * 8 : TPAGE));
		s2pt_destroy(pt);
	}
}

/* Formats by name; the arena's own validation. */
Test(badinput, names_and_arena)
{
	struct s2pt_arena *a = NULL;
	static char region[4 * 4096] __attribute__((aligned(4096)));

	cr_expect(s2pt_fmt_find("no-such-format") == NULL);
	cr_expect(s2pt_fmt_find("") == NULL);
	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f; f = s2pt_fmt_next(f))
		cr_expect(s2pt_fmt_find(s2pt_fmt_name(f)) == f, "find(name(%s))", s2pt_fmt_name(f));
	cr_expect(s2pt_arena_create(NULL, 0, 4096, &a) == -EINVAL, "arena: NULL base");
	cr_expect(s2pt_arena_create(region, 0, 4096, NULL) == -EINVAL, "arena: NULL out");
	cr_expect(s2pt_arena_create(region + 8, 0, 4096, &a) == -EINVAL, "arena: base unaligned");
	cr_expect(s2pt_arena_create(region, 0x800, 4096, &a) == -EINVAL, "arena: pa_base unaligned");
	cr_expect(s2pt_arena_create(region, 0, 0, &a) == -EINVAL, "arena: size 0");
	cr_expect(s2pt_arena_create(region, 0, 6000, &a) == -EINVAL, "arena: size unaligned");
	cr_assert(s2pt_arena_create(region, 0x100000, sizeof(region), &a) == 0);
	s2pt_arena_destroy(a);
	s2pt_arena_destroy(NULL);
}
