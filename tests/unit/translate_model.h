/* SPDX-License-Identifier: MIT */
/*
 * What the translate tests share: a random two-stage guest (struct tg), the
 * model of its walks (translate_model.c) and its building (translate_guest.c).
 */
#ifndef S2PT_TESTS_UNIT_TRANSLATE_MODEL_H
#define S2PT_TESTS_UNIT_TRANSLATE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

#define TBL_SIZE	(2 * TMIB)	/* guest RAM holding the first-stage tables */
#define DATA_GPA	(4 * TGIB)	/* second-stage data window */
#define DATA_SIZE	(4 * TGIB)
#define WIN_SIZE	(4 * TGIB)	/* a first-stage window */
#define NANCHOR		3		/* far second-stage regions */
#define GUESTS		16		/* per pair */
#define XLATE_PER_GUEST	2000
#define ACC_ALL		(S2PT_ACC_READ | S2PT_ACC_WRITE | S2PT_ACC_EXEC | S2PT_ACC_USER)

enum fam1 { F1_NONE, F1_X86, F1_ARM, F1_RV, F1_LA };
enum fam2 { F2_NONE, F2_EPT, F2_NPT, F2_ARM, F2_GS, F2_LVZ };

/* A table's structure, entries by level sorted by input address. */
struct shadow {
	struct wrec *e[S2PT_MAX_LEVELS];
	size_t n[S2PT_MAX_LEVELS], cap[S2PT_MAX_LEVELS];
	unsigned levels;
	uint64_t root;
};

struct stats {
	uint64_t xlates, ok, diverged, s1np[S2PT_MAX_LEVELS], s2np[S2PT_MAX_LEVELS],
		 s2np_walk[S2PT_MAX_LEVELS], s1perm, s2perm, s2perm_walk, s1range, s2range;
};

struct tg {
	const char *pair;
	uint64_t seed;
	struct trng rng;
	const struct s2pt_fmt *f1, *f2;
	enum fam1 fam1;
	enum fam2 fam2;
	struct s2pt *s1, *s2;
	struct tgeo g1, g2;
	struct model m1, m2;
	struct shadow sh1, sh2;
	struct s2pt_arena *arena;
	void *tbl_host;
	uint64_t tbl_gpa;
	uint64_t sizes1[S2PT_MAX_LEVELS], sizes2[S2PT_MAX_LEVELS];
	unsigned nsizes1, nsizes2;
	uint64_t win[4];
	unsigned nwin;
	uint64_t anchor[NANCHOR];
	uint64_t s2_lim;		/* 2^ia_bits of stage 2 */
	uint64_t gpa_lim;		/* 2^oa_bits of stage 1 */
	uint64_t *s1_tables;		/* GPAs of the first-stage table pages */
	size_t ns1_tables;
	struct s2pt_guest guest;
	const char *fate;
	/* the simplified access rules (see KNOWN_DIVERGENCES) instead of the
	 * architectures' */
	bool simple;
	/* the translation being checked, for the failure message */
	uint64_t cur_gva;
	uint32_t cur_acc;
	struct stats *st;
};

/* translate_model.c */
void shadow_build(struct shadow *s, struct s2pt *pt, const struct tgeo *g);
void shadow_fini(struct shadow *s);
/* The expected result of translating @gva for @acc; returns the expected
 * return value (0 or -EFAULT). A fault_level of -1 is not compared. */
int emu(struct tg *t, uint64_t gva, uint32_t acc, struct s2pt_xlate *x);

/* translate_guest.c */
void guest_init(struct tg *t, const struct s2pt_fmt *f1, const struct s2pt_fmt *f2,
		uint64_t seed, unsigned fate);
void guest_fini(struct tg *t);
uint32_t pick_access(struct tg *t, uint64_t gva);
uint64_t pick_gva(struct tg *t);

/* test_translate.c: the failure dump of a guest */
void tg_dump(void *arg);

#endif /* S2PT_TESTS_UNIT_TRANSLATE_MODEL_H */
