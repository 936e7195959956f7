/* SPDX-License-Identifier: MIT */
/*
 * Test support: failure reporting (chk_*): a context line and a dump hook
 * printed before a check aborts the Criterion test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "model/model.h"

static char chk_ctx[1024];
static void (*chk_dump_fn)(void *arg);
static void *chk_dump_arg;

void chk_context(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(chk_ctx, sizeof(chk_ctx), fmt, ap);
	va_end(ap);
}

void chk_set_dump(void (*dump)(void *arg), void *arg)
{
	chk_dump_fn = dump;
	chk_dump_arg = arg;
}

void chk_fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** CHECK FAILED: %s\n*** context: %s\n", msg, chk_ctx);
	if (chk_dump_fn) {
		void (*d)(void *) = chk_dump_fn;

		chk_dump_fn = NULL;	/* no recursion if the dump fails */
		d(chk_dump_arg);
	}
	fflush(stderr);
	cr_assert_fail("%s [%s]", msg, chk_ctx);
	abort();
}
