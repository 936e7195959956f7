// SPDX-License-Identifier: MIT
/*
 * The public table operations: each is one indirect call into the core
 * instantiated for the table's format (core/template.h), inside the
 * table's RCU read-side critical section: every table the walk reaches
 * stays allocated until it is done, even one another writer unlinks.
 */
#include "core/rcu.h"

/* A single writer's calls need no read lock: it frees only tables it
 * unlinked itself, after its own walk is over. Racing writers take it
 * (each may free a table another is walking), readers always do. */

int s2pt_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
	     unsigned flags)
{
	int ret;

	if (!pt)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->map(pt, ia, oa, size, prot, flags);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->map(pt, ia, oa, size, prot, flags);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_unmap(struct s2pt *pt, uint64_t ia, uint64_t size)
{
	int ret;

	if (!pt)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->unmap(pt, ia, size);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->unmap(pt, ia, size);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_protect(struct s2pt *pt, uint64_t ia, uint64_t size, uint32_t prot)
{
	int ret;

	if (!pt)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->protect(pt, ia, size, prot);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->protect(pt, ia, size, prot);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_lookup(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out)
{
	int ret;

	if (!pt || !out)
		return -EINVAL;
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->lookup(pt, ia, out);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags, s2pt_visit_fn fn,
	      void *arg)
{
	int ret;

	if (!pt)
		return -EINVAL;
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->walk(pt, ia, size, flags, fn, arg);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_split(struct s2pt *pt, uint64_t ia, uint64_t size, uint64_t leaf_size)
{
	int ret;

	if (!pt)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->split(pt, ia, size, leaf_size);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->split(pt, ia, size, leaf_size);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_collapse(struct s2pt *pt, uint64_t ia, uint64_t size)
{
	int ret;

	if (!pt)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->collapse(pt, ia, size);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->collapse(pt, ia, size);
	s2pt_rcu_unlock(pt);
	return ret;
}

int s2pt_harvest(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned what, uint64_t *bitmap)
{
	int ret;

	if (!pt || !bitmap)
		return -EINVAL;
	if (!s2pt_shared(pt))
		return pt->fmt->ops->harvest(pt, ia, size, what, bitmap);
	s2pt_rcu_lock(pt);
	ret = pt->fmt->ops->harvest(pt, ia, size, what, bitmap);
	s2pt_rcu_unlock(pt);
	return ret;
}
