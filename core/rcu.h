/* SPDX-License-Identifier: MIT */
/*
 * The table's RCU flavor: urcu-memb inlined (the default, opts.rcu NULL),
 * any other flavor through its const ops struct. Library sources only.
 */
#ifndef S2PT_CORE_RCU_H
#define S2PT_CORE_RCU_H

/* the library's own objects may inline liburcu's read side; the public
 * header never does (callers choose their own licensing terms) */
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>
#include "core/pt.h"

static inline void s2pt_rcu_lock(const struct s2pt *pt)
{
	if (pt->rcu)
		pt->rcu->read_lock();
	else
		urcu_memb_read_lock();
}

static inline void s2pt_rcu_unlock(const struct s2pt *pt)
{
	if (pt->rcu)
		pt->rcu->read_unlock();
	else
		urcu_memb_read_unlock();
}

static inline void s2pt_rcu_call(const struct s2pt *pt, struct rcu_head *head,
				 void (*fn)(struct rcu_head *head))
{
	if (pt->rcu)
		pt->rcu->update_call_rcu(head, fn);
	else
		urcu_memb_call_rcu(head, fn);
}

static inline void s2pt_rcu_barrier(const struct s2pt *pt)
{
	if (pt->rcu)
		pt->rcu->barrier();
	else
		urcu_memb_barrier();
}

#endif /* S2PT_CORE_RCU_H */
