// SPDX-License-Identifier: MIT
/*
 * The public table operations: each is one indirect call into the core
 * instantiated for the table's format (core/template.h).
 */
#include "core/pt.h"

int s2pt_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
	     unsigned flags)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->map(pt, ia, oa, size, prot, flags);
}

int s2pt_unmap(struct s2pt *pt, uint64_t ia, uint64_t size)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->unmap(pt, ia, size);
}

int s2pt_protect(struct s2pt *pt, uint64_t ia, uint64_t size, uint32_t prot)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->protect(pt, ia, size, prot);
}

int s2pt_lookup(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out)
{
	if (!pt || !out)
		return -EINVAL;
	return pt->fmt->ops->lookup(pt, ia, out);
}

int s2pt_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags, s2pt_visit_fn fn,
	      void *arg)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->walk(pt, ia, size, flags, fn, arg);
}

int s2pt_split(struct s2pt *pt, uint64_t ia, uint64_t size, uint64_t leaf_size)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->split(pt, ia, size, leaf_size);
}

int s2pt_collapse(struct s2pt *pt, uint64_t ia, uint64_t size)
{
	if (!pt)
		return -EINVAL;
	return pt->fmt->ops->collapse(pt, ia, size);
}

int s2pt_harvest(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned what, uint64_t *bitmap)
{
	if (!pt || !bitmap)
		return -EINVAL;
	return pt->fmt->ops->harvest(pt, ia, size, what, bitmap);
}
