/* SPDX-License-Identifier: MIT */
/*
 * Instantiate the core for one format: S2PT_DEFINE_FMT(sym, "name", desc)
 * in a format's file gives it its own copy of every operation.
 */
#ifndef S2PT_CORE_TEMPLATE_H
#define S2PT_CORE_TEMPLATE_H

#include "core/harvest.h"
#include "core/ops.h"
#include "core/xlate.h"

/*
 * @desc is a static const struct s2pt_fmt_desc in the same file: the
 * compiler folds every encoder call through it into the inlined walker, so
 * a public call costs one indirect call (into these) and none per entry.
 */
#define S2PT_DEFINE_FMT(sym, fmt_name, fmt_desc)						\
extern const struct s2pt_fmt sym;							\
static __attribute__((noinline)) int sym##_map_walk(struct s2pt *pt, uint64_t start,	\
		uint64_t end, uint64_t oa, uint32_t prot, unsigned flags)		\
{ return s2pt_map_walk(&(fmt_desc), pt, start, end, oa, prot, flags); }			\
static int sym##_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size,		\
		     uint32_t prot, unsigned flags)					\
{ return s2pt_do_map(&(fmt_desc), pt, ia, oa, size, prot, flags, sym##_map_walk); }	\
static __attribute__((noinline)) int sym##_unmap_walk(struct s2pt *pt, uint64_t start,	\
						    uint64_t end)			\
{ return s2pt_unmap_walk(&(fmt_desc), pt, start, end); }				\
static int sym##_unmap(struct s2pt *pt, uint64_t ia, uint64_t size)			\
{ return s2pt_do_unmap(&(fmt_desc), pt, ia, size, sym##_unmap_walk); }			\
static int sym##_protect(struct s2pt *pt, uint64_t ia, uint64_t size, uint32_t prot)	\
{ return s2pt_do_protect(&(fmt_desc), pt, ia, size, prot); }				\
static int sym##_lookup(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out)		\
{ return s2pt_do_lookup(&(fmt_desc), pt, ia, out); }					\
static int sym##_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,	\
		      s2pt_visit_fn fn, void *arg)					\
{ return s2pt_do_walk(&(fmt_desc), pt, ia, size, flags, fn, arg); }				\
static int sym##_split(struct s2pt *pt, uint64_t ia, uint64_t size, uint64_t leaf_size) \
{ return s2pt_do_split(&(fmt_desc), pt, ia, size, leaf_size); }				\
static int sym##_collapse(struct s2pt *pt, uint64_t ia, uint64_t size)			\
{ return s2pt_do_collapse(&(fmt_desc), pt, ia, size); }					\
static int sym##_harvest(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned what,	\
			 uint64_t *bitmap)						\
{ return s2pt_do_harvest(&(fmt_desc), pt, ia, size, what, bitmap); }			\
static int sym##_probe(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out, int *level)	\
{ return s2pt_do_probe(&(fmt_desc), pt, ia, out, level); }				\
static int sym##_xlate(const struct s2pt_guest *g, uint64_t gva, uint32_t access,	\
		       struct s2pt_xlate *out)						\
{ return s2pt_do_xlate(&(fmt_desc), &sym, g, gva, access, out); }			\
static void sym##_free_tree(struct s2pt *pt)						\
{ s2pt_do_free_tree(&(fmt_desc), pt); }							\
static const struct s2pt_fmt_ops sym##_ops = {						\
	.map = sym##_map, .unmap = sym##_unmap, .protect = sym##_protect,		\
	.lookup = sym##_lookup, .walk = sym##_walk, .split = sym##_split,		\
	.collapse = sym##_collapse, .harvest = sym##_harvest,				\
	.probe = sym##_probe, .xlate = sym##_xlate, .free_tree = sym##_free_tree,	\
};											\
const struct s2pt_fmt sym = { .name = (fmt_name), .desc = &(fmt_desc), .ops = &sym##_ops };

#endif /* S2PT_CORE_TEMPLATE_H */
