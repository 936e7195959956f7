/* SPDX-License-Identifier: MIT */
/*
 * An exact one-thread RCU flavor for fuzzed tables (opts.rcu): a grace period
 * ends when the thread leaves its outermost read-side section, so deferred
 * frees run at once (no 10 ms call_rcu batching), inside the checked operation.
 */
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#include "fuzz/fuzz.h"

bool fz_rcu_in_op;

static unsigned depth;			/* read-side nesting */
static struct rcu_head **pend;		/* callbacks waiting for a grace period */
static size_t npend, cappend;

/* The grace period is over: run the callbacks (a callback's own read-side
 * section does not start another round). */
static void run_pending(void)
{
	static bool running;

	if (running)
		return;
	running = true;
	for (size_t i = 0; i < npend; i++)
		pend[i]->func(pend[i]);
	npend = 0;
	running = false;
}

/* Read-side sections nest; only the outermost unlock ends a grace period. */
static void fz_read_lock(void)
{
	depth++;
}

static void fz_read_unlock(void)
{
	CHK(depth > 0, "rcu_read_unlock without rcu_read_lock");
	if (--depth == 0)
		run_pending();
}

static int fz_read_ongoing(void)
{
	return depth > 0;
}

/* Outside a read-side section there is no reader to wait for. */
static void fz_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	if (!depth) {
		func(head);
		return;
	}
	if (npend == cappend) {
		cappend = cappend ? 2 * cappend : 64;
		pend = realloc(pend, cappend * sizeof(*pend));
		CHK(pend, "out of memory");
	}
	pend[npend++] = head;
}

/* DESIGN.md: never synchronize_rcu inside an operation; inside a
 * read-side section it would never return. */
static void fz_synchronize_rcu(void)
{
	CHK(!fz_rcu_in_op && depth == 0, "synchronize_rcu called %s",
	    depth ? "inside a read-side critical section" : "inside an operation");
}

/* rcu_barrier: every callback queued so far has run when it returns. */
static void fz_barrier(void)
{
	CHK(depth == 0, "rcu_barrier called inside a read-side critical section");
	run_pending();
}

/* Quiescent states, online/offline, registration: nothing to track. */
static void fz_nop(void)
{
}

const struct rcu_flavor_struct fz_rcu_sync = {
	.read_lock = fz_read_lock,
	.read_unlock = fz_read_unlock,
	.read_ongoing = fz_read_ongoing,
	.read_quiescent_state = fz_nop,
	.update_call_rcu = fz_call_rcu,
	.update_synchronize_rcu = fz_synchronize_rcu,
	.thread_offline = fz_nop,
	.thread_online = fz_nop,
	.register_thread = fz_nop,
	.unregister_thread = fz_nop,
	.barrier = fz_barrier,
};
