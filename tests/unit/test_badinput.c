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

#include "unit/badinput.h"

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
