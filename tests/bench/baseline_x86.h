/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's baseline: a hand-written x86-64 4-level walker with the
 * entries, checks and table management of s2pt's x86_64 format.
 */
#ifndef S2PT_BENCH_BASELINE_X86_H
#define S2PT_BENCH_BASELINE_X86_H

#include <stdint.h>
#include <s2pt/s2pt.h>
#include "bench.h"

struct bl;

/* A table with one empty root. Return: 0, -ENOMEM, or -ENOSYS (an RCU
 * mode without liburcu linked in). */
int bl_create(enum b_bl_mode mode, struct bl **out);
/* Free every table page (after an RCU barrier in the RCU modes). */
void bl_destroy(struct bl *b);
/* Table pages in use below the root. */
uint64_t bl_tables(const struct bl *b);

/* One 4 KiB page. Return: 0, -EINVAL, -ERANGE, -EEXIST or -ENOMEM. */
int bl_map_page(struct bl *b, uint64_t ia, uint64_t oa, uint32_t prot);
/* One 4 KiB page, freeing tables left empty. Return: 0, -EINVAL, -ERANGE,
 * -ENOTSUP (would split a block: the baseline does not). */
int bl_unmap_page(struct bl *b, uint64_t ia);
/* The leaf translating @ia. Return: 0, -ENOENT or -ERANGE. */
int bl_lookup(struct bl *b, uint64_t ia, struct s2pt_leaf *out);

/* Regions; @flags: S2PT_MAP_HUGE. All or nothing on -EEXIST / -ENOMEM. */
int bl_map(struct bl *b, uint64_t ia, uint64_t oa, uint64_t size,
	   uint32_t prot, unsigned flags);
int bl_unmap(struct bl *b, uint64_t ia, uint64_t size);
int bl_protect(struct bl *b, uint64_t ia, uint64_t size, uint32_t prot);

#endif /* S2PT_BENCH_BASELINE_X86_H */
