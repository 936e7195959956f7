/* SPDX-License-Identifier: MIT */
/*
 * What the bad-input tests share: the rows of bad calls (badinput_rows.c) and
 * the table they run on, with the checks of a refusal (badinput_table.c).
 */
#ifndef S2PT_TESTS_UNIT_BADINPUT_H
#define S2PT_TESTS_UNIT_BADINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

enum call { C_MAP, C_UNMAP, C_PROTECT, C_SPLIT, C_COLLAPSE, C_HARVEST, C_LOOKUP, C_WALK };

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

struct fmt_param {
	char name[32];
};

/* badinput_rows.c */
bool is_riscv(const char *n);
/* The format's root level can never hold a leaf. */
bool root_no_leaf(const char *n);
/* Every row for b's format and geometry, into b->rows. */
void build_rows(struct bi *b);

/* badinput_table.c */
int nop_visit(const struct s2pt_visit *v, void *arg);
int run_row(struct s2pt *pt, const struct row *r);
/* The table must be as in the snapshot; not fatal, so every row runs. */
void expect_unchanged(struct bi *b, const char *what);
void check_ret(struct bi *b, const char *what, int ret, int want, int want2);
void bi_open(struct bi *b, uint64_t leaf_sizes);
void bi_close(struct bi *b);
struct fmt_param *fmt_params(size_t *n);

#endif /* S2PT_TESTS_UNIT_BADINPUT_H */
