/* SPDX-License-Identifier: MIT */
/*
 * liburcu for the benchmark, referenced weakly: the binary links whether or
 * not the build passes -lurcu-memb; without it the RCU baselines are skipped.
 */
#ifndef S2PT_BENCH_RCU_H
#define S2PT_BENCH_RCU_H

#include <stdbool.h>
#include <urcu/urcu-memb.h>

#pragma weak urcu_memb_read_lock
#pragma weak urcu_memb_read_unlock
#pragma weak urcu_memb_call_rcu
#pragma weak urcu_memb_barrier
#pragma weak urcu_memb_register_thread
#pragma weak urcu_memb_unregister_thread

/* Whether liburcu-memb is linked in. */
static inline bool b_have_rcu(void)
{
	return urcu_memb_read_lock && urcu_memb_read_unlock && urcu_memb_call_rcu &&
	       urcu_memb_barrier && urcu_memb_register_thread && urcu_memb_unregister_thread;
}

#endif /* S2PT_BENCH_RCU_H */
