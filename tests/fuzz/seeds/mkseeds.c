/* SPDX-License-Identifier: MIT */
/*
 * Writes the hand-made seed inputs of the s2pt fuzz target into a directory
 * (layout: ../fuzz_input.h): one generic sequence per format, and a few
 * scenarios aimed at splits, injected allocation failures and the windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_input.h"

#define NFMT_SEEDS	16	/* format bytes 0..15: every registered format */

#define A(u, k, j)	FZ_ADDR(FZ_U_##u, k, j)
#define S(u, n, j)	FZ_SIZE(FZ_U_##u, n, j)
#define RW		FZ_P_W
#define RWX		(FZ_P_W | FZ_P_X)

/* Every kind of operation once or twice, on colliding ranges. */
static const struct fz_rec generic[] = {
	{ FZ_K_MAP | FZ_R_HUGE, 0, A(2M, 0, 0), S(2M, 2, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_MAP, 0, A(2M, 2, 1), S(4K, 16, 0), 0, RWX, 0, 0, 0 },
	{ FZ_K_MAP | FZ_R_HUGE | FZ_R_REPLACE, 0, A(1G, 1, 0), S(1G, 1, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_MAP, 0, A(2M, 1, 0), S(4K, 4, 0), 0, RW, 0, 0, 0 },	/* -EEXIST */
	{ FZ_K_UNMAP, 0, A(2M, 1, 3), S(4K, 2, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_PROTECT, 0, A(1G, 1, 5), S(2M, 1, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_SPLIT, 0, A(1G, 1, 0), S(2M, 1, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_LOOKUP, 0, A(1G, 1, 0), S(2M, 2, 0), 0, 0, 0, 0, 7 },
	{ FZ_K_COLLAPSE, 0, A(1G, 1, 0), S(1G, 1, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_MAP | FZ_R_INJECT, 1, A(2M, 8, 0), S(2M, 1, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_WALK, 0, A(2M, 0, 0), S(1G, 2, 0), 0, 0, 0, 6, 3 },
	{ FZ_K_HARVEST, 0, A(2M, 0, 0), S(2M, 8, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_HARVEST, 0, A(2M, 0, 0), S(2M, 8, 0), 0, 0, 0, 1, 0 },
	{ FZ_K_ATTACH, 0, A(2M, 0, 0), S(2M, 4, 0), 0, 0, 0, 1, 9 },
	{ FZ_K_BADARGS, 0, A(2M, 0, 0), S(4K, 1, 0), 0, 0, 0, 4, 0 },
	{ FZ_K_BADARGS, 0, A(2M, 0, 0), S(4K, 1, 0), 0, 0, 0, 9, 0 },
	{ FZ_K_UNMAP, 0, A(4K, 0, 0), S(TOP, 255, 0), 0, 0, 0, 0, 0 },
};

/* Block edges: unmap and protect inside blocks, split, fold back. */
static const struct fz_rec edges[] = {
	{ FZ_K_MAP | FZ_R_HUGE, 0, A(1G, 0, 0), S(1G, 2, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_UNMAP | FZ_R_INJECT, 0, A(1G, 1, -1), S(4K, 2, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_PROTECT | FZ_R_INJECT, 1, A(2M, 5, 3), S(2M, 40, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_SPLIT | FZ_R_INJECT, 2, A(2M, 7, 0), S(2M, 3, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_PROTECT, 0, A(4K, 0, 0), S(1G, 2, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_COLLAPSE, 0, A(4K, 0, 0), S(1G, 2, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_MAP | FZ_R_HUGE | FZ_R_REPLACE | FZ_R_INJECT, 3, A(2M, 3, -2), S(2M, 9, 5),
	  A(4K, 0, 0), RWX, 0, 0, 0 },
	{ FZ_K_HARVEST, 0, A(2M, 2, 0), S(2M, 6, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_UNMAP, 0, A(2M, 1, 1), S(1G, 1, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_WALK, 0, A(4K, 0, 0), S(1G, 3, 0), 0, 0, 0, 5, 0 },
};

/* Base pages over a 2 MiB run, folded, and the largest leaves. */
static const struct fz_rec fold[] = {
	{ FZ_K_MAP, 0, A(2M, 4, 0), S(2M, 2, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_COLLAPSE, 0, A(2M, 4, 0), S(2M, 2, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_SPLIT, 0, A(2M, 4, 0), S(4K, 3, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_PROTECT, 0, A(2M, 4, 1), S(4K, 1, 0), 0, RWX, FZ_P2_MT(1), 0, 0 },
	{ FZ_K_COLLAPSE, 0, A(2M, 4, 0), S(2M, 2, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_MAP | FZ_R_HUGE, 0, A(TOP, 1, 0), S(TOP, 1, 0), 0, RW, 0, 0, 0 },
	{ FZ_K_SPLIT, 0, A(TOP, 1, 0), S(4K, 1, 0), 0, 0, 0, 1, 0 },
	{ FZ_K_COLLAPSE, 0, A(TOP, 1, 0), S(TOP, 1, 0), 0, 0, 0, 0, 0 },
	{ FZ_K_ATTACH, 0, A(TOP, 1, 0), S(TOP, 1, 0), 0, 0, 0, 3, 0 },
};

/* Write header @hdr and @n records to @dir/@name. */
static int put(const char *dir, const char *name, const unsigned char hdr[FZ_HDR],
	       const struct fz_rec *r, size_t n)
{
	unsigned char buf[FZ_HDR + FZ_MAX_OPS * FZ_REC];
	char path[4096];
	FILE *f;

	if (n > FZ_MAX_OPS)
		return -1;
	memcpy(buf, hdr, FZ_HDR);
	for (size_t i = 0; i < n; i++)
		fz_rec_put(&r[i], buf + FZ_HDR + i * FZ_REC);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, FZ_HDR + n * FZ_REC, f) != FZ_HDR + n * FZ_REC || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

#define PUT(name, h0, h1, h2, h3, ops)							\
	(put(dir, name, (const unsigned char[FZ_HDR]){ h0, h1, h2, h3 }, ops,		\
	     sizeof(ops) / sizeof(ops[0])))

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char name[64];
	int err = 0;

	for (unsigned i = 0; i < NFMT_SEEDS; i++) {
		snprintf(name, sizeof(name), "generic-%02u", i);
		err |= PUT(name, i, FZ_T_RCU_MEMB, 0, 0, generic);
		snprintf(name, sizeof(name), "generic-sw-top-%02u", i);
		err |= PUT(name, i, FZ_T_SINGLE_WRITER | FZ_T_AD | FZ_T_TTBR0 |
			   3 << FZ_T_WIN_SHIFT, 0, 0, generic);
		snprintf(name, sizeof(name), "edges-%02u", i);
		err |= PUT(name, i, (i & 1) | (i & 2 ? FZ_T_RCU_MEMB : 0) | (i % 4) << FZ_T_WIN_SHIFT,
			   0x80 + i * 5, 0, edges);
		snprintf(name, sizeof(name), "fold-%02u", i);
		err |= PUT(name, i, i & 1 ? FZ_T_RCU_MEMB : 0, 0, i % 3, fold);
	}
	return err ? 1 : 0;
}
