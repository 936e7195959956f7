/* SPDX-License-Identifier: MIT */
/* The built-in memory providers, as the core sees them. */
#ifndef S2PT_CORE_MM_H
#define S2PT_CORE_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <s2pt/s2pt.h>

/* Whether @mm maps every table page at va = pa + *off (heap, arena). */
__attribute__((visibility("hidden")))
bool s2pt_mm_linear(const struct s2pt_mm_ops *mm, void *ctx, intptr_t *off);

#endif /* S2PT_CORE_MM_H */
