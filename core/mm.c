// SPDX-License-Identifier: MIT
/*
 * Ready-made table-page providers: the host heap (pa == va) and an arena
 * carved from a caller-given region at a chosen physical base.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/mm.h"

#define PAGE 4096u

static void *heap_zalloc(void *ctx, size_t bytes, uint64_t *pa)
{
	void *va = aligned_alloc(bytes, bytes);

	(void)ctx;
	if (!va)
		return NULL;
	memset(va, 0, bytes);
	*pa = (uint64_t)(uintptr_t)va;
	return va;
}

static void heap_free(void *ctx, void *va, uint64_t pa, size_t bytes)
{
	(void)ctx;
	(void)pa;
	(void)bytes;
	free(va);
}

static void *heap_p2v(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

const struct s2pt_mm_ops s2pt_heap_mm = {
	.zalloc = heap_zalloc,
	.free = heap_free,
	.phys_to_virt = heap_p2v,
};

struct s2pt_arena {
	unsigned char *base;
	uint64_t pa_base;
	size_t pages;
	size_t used;		/* bytes handed out */
	size_t hint;		/* first page that may be free */
	uint64_t *bitmap;	/* bit set: page in use */
};

static bool arena_busy(const struct s2pt_arena *a, size_t i)
{
	return (a->bitmap[i / 64] >> (i % 64)) & 1;
}

static void arena_mark(struct s2pt_arena *a, size_t i, size_t n, bool busy)
{
	for (size_t j = i; j < i + n; j++) {
		if (busy)
			a->bitmap[j / 64] |= 1ull << (j % 64);
		else
			a->bitmap[j / 64] &= ~(1ull << (j % 64));
	}
}

/* First run of @n free pages whose physical address is aligned to n pages. */
static void *arena_zalloc(void *ctx, size_t bytes, uint64_t *pa)
{
	struct s2pt_arena *a = ctx;
	size_t n = bytes / PAGE, i;

	if (!bytes || bytes % PAGE || (n & (n - 1)))
		return NULL;
	for (i = n == 1 ? a->hint : 0; i + n <= a->pages; i++) {
		size_t j;

		if (((a->pa_base / PAGE) + i) % n)
			continue;
		for (j = 0; j < n && !arena_busy(a, i + j); j++)
			;
		if (j < n) {
			i += j;
			continue;
		}
		arena_mark(a, i, n, true);
		if (n == 1)
			a->hint = i + 1;
		a->used += bytes;
		*pa = a->pa_base + i * PAGE;
		memset(a->base + i * PAGE, 0, bytes);
		return a->base + i * PAGE;
	}
	return NULL;
}

static void arena_free(void *ctx, void *va, uint64_t pa, size_t bytes)
{
	struct s2pt_arena *a = ctx;
	size_t i = (pa - a->pa_base) / PAGE;

	(void)va;
	arena_mark(a, i, bytes / PAGE, false);
	a->used -= bytes;
	if (i < a->hint)
		a->hint = i;
}

static void *arena_p2v(void *ctx, uint64_t pa)
{
	struct s2pt_arena *a = ctx;

	if (pa < a->pa_base || pa - a->pa_base >= a->pages * PAGE)
		return NULL;
	return a->base + (pa - a->pa_base);
}

const struct s2pt_mm_ops s2pt_arena_mm = {
	.zalloc = arena_zalloc,
	.free = arena_free,
	.phys_to_virt = arena_p2v,
};

int s2pt_arena_create(void *base, uint64_t pa_base, size_t size, struct s2pt_arena **out)
{
	struct s2pt_arena *a;

	if (!base || !out || !size || size % PAGE || pa_base % PAGE ||
	    (uintptr_t)base % PAGE || pa_base + size < pa_base)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->pages = size / PAGE;
	a->bitmap = calloc((a->pages + 63) / 64, sizeof(uint64_t));
	if (!a->bitmap) {
		free(a);
		return -ENOMEM;
	}
	a->base = base;
	a->pa_base = pa_base;
	*out = a;
	return 0;
}

void s2pt_arena_destroy(struct s2pt_arena *a)
{
	if (!a)
		return;
	free(a->bitmap);
	free(a);
}

size_t s2pt_arena_used(const struct s2pt_arena *a)
{
	return a ? a->used : 0;
}

bool s2pt_mm_linear(const struct s2pt_mm_ops *mm, void *ctx, intptr_t *off)
{
	if (mm == &s2pt_heap_mm) {
		*off = 0;
		return true;
	}
	if (mm == &s2pt_arena_mm) {
		const struct s2pt_arena *a = ctx;

		*off = (intptr_t)((uintptr_t)a->base - a->pa_base);
		return true;
	}
	return false;
}
