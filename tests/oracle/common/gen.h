/* SPDX-License-Identifier: MIT */
/*
 * Host-side helpers for oracle generators: an arena at the physical address
 * the emulator loads the table image to, a growing vector list, expected
 * results from s2pt_lookup, and writing the image and config block.
 */
#ifndef S2PT_ORACLE_GEN_H
#define S2PT_ORACLE_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <s2pt/s2pt.h>
#include "oracle.h"

struct orc_gen {
	void *img;			/* the arena's memory: the table image */
	uint64_t img_pa;		/* physical address it is loaded at */
	size_t img_size;
	struct s2pt_arena *arena;
	struct orc_cfg *cfg;		/* grows with orc_vec() */
	uint32_t cap;
	uint64_t rng;			/* orc_rand() state */
};

/*
 * orc_gen_init() - an empty scenario @name whose tables live in
 * [img_pa, img_pa + img_size) (4 KiB multiples). Exits on failure.
 */
void orc_gen_init(struct orc_gen *g, const char *name, uint64_t img_pa, size_t img_size);

/* orc_opts() - table options that allocate from the arena (ia_bits 0). */
struct s2pt_opts orc_opts(struct orc_gen *g);

/* orc_create() - s2pt_create() from the arena with @ia_bits; exits on failure. */
struct s2pt *orc_create(struct orc_gen *g, const struct s2pt_fmt *fmt, unsigned ia_bits);

/* orc_map() - s2pt_map() that exits with a message on failure. */
void orc_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
	     unsigned flags);

/* orc_vec() - append a vector (see struct orc_vec); returns it for extra fields. */
struct orc_vec *orc_vec(struct orc_gen *g, const char *name, uint64_t ia, uint32_t access,
			uint32_t expect, uint64_t oa, int level);

/*
 * orc_fault_level() - the level of the entry at which a walk for @ia
 * stops: the deepest level reached (root = levels - 1), from s2pt_walk.
 */
int orc_fault_level(struct s2pt *pt, uint64_t ia);

/*
 * orc_vec_lookup() - append a vector whose expected outcome comes from
 * s2pt_lookup(): ORC_OK with the output address, ORC_FAULT_PERM when the
 * leaf's prot lacks what @access needs (R, W, or S2PT_X | S2PT_XS for a
 * fetch by the guest kernel), ORC_FAULT_TRANS at orc_fault_level(), or
 * ORC_FAULT_RANGE outside the input width.
 */
struct orc_vec *orc_vec_lookup(struct orc_gen *g, struct s2pt *pt, const char *name,
			       uint64_t ia, uint32_t access);

/* orc_print_leaves() - print "<scenario>: leaves 4K n 2M n ..." for @pt. */
void orc_print_leaves(struct orc_gen *g, struct s2pt *pt);

/* orc_seed() - seed orc_rand(): $S2PT_ORACLE_SEED, else the time. Prints it. */
uint64_t orc_seed(struct orc_gen *g);
uint64_t orc_rand(struct orc_gen *g);		/* xorshift64* */

/*
 * orc_write() - write the image (the whole arena) to @img_path and the
 * config block to @cfg_path, and free the config block; the arena stays.
 * Exits on failure.
 */
void orc_write(struct orc_gen *g, const char *img_path, const char *cfg_path);

/* orc_gen_free() - free the arena and the image, after s2pt_destroy() of
 * every table in it. */
void orc_gen_free(struct orc_gen *g);

#endif /* S2PT_ORACLE_GEN_H */
