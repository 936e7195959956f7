/* SPDX-License-Identifier: MIT */
/*
 * The byte layout of an s2pt fuzz input, shared by the libFuzzer target
 * (fuzz_s2pt.c) and the seed generator (seeds/mkseeds.c). Pure C, no s2pt.
 */
#ifndef S2PT_FUZZ_INPUT_H
#define S2PT_FUZZ_INPUT_H

#include <stdint.h>

/*
 * Header (FZ_HDR bytes):
 *   [0] format: index into s2pt_fmt_next() order, modulo the count
 *   [1] table flags: FZ_T_* bits, window placement in FZ_T_WIN_*
 *   [2] ia_bits: < 0x80 the format's default, else 32 + value % 27
 *       (formats refusing it fall back to the default)
 *   [3] leaf sizes: 0 all, else the first 1 + (value - 1) % n of the
 *       format's n sizes (a contiguous prefix from 4 KiB, as hardware has)
 * then records of FZ_REC bytes, one operation each (a short tail is dropped).
 */
#define FZ_HDR		4
#define FZ_REC		12
#define FZ_MAX_OPS	48

#define FZ_T_SINGLE_WRITER	0x01	/* S2PT_OPT_SINGLE_WRITER */
#define FZ_T_AD			0x02	/* S2PT_OPT_AD where the format has it */
#define FZ_T_TTBR0		0x04	/* S2PT_OPT_TTBR0 where the format has it */
#define FZ_T_RCU_MEMB		0xc0	/* both bits: the default RCU flavor (urcu-memb);
					 * else opts.rcu is the fuzzer's one-thread
					 * flavor (fuzz_rcu.c), ten times faster */
#define FZ_T_WIN_SHIFT		4	/* 2 bits: bottom, top of lower half, */
#define FZ_T_WIN_MASK		0x30	/* bottom of upper half, top of space */

/*
 * Record:
 *   [0] kind: low 4 bits FZ_K_* (FZ_KIND()), FZ_R_HUGE / FZ_R_REPLACE map
 *       flags, FZ_R_INJECT: make allocation number [1] % 32 fail
 *   [1] failing allocation (with FZ_R_INJECT)
 *   [2..3] ia code (little endian), see FZ_ADDR
 *   [4..5] size code, see FZ_SIZE
 *   [6..7] oa code: an FZ_ADDR-coded delta from the ia's place in the
 *          output window (0: output aligned like the input)
 *   [8] prot: bit i = { R, W, X, XU, XS, U, G }[i]
 *   [9] prot: bits 0-1 memory type (3 is invalid), 2-5 SW0..3, bit 7 raw
 *       (without it R is added, so most prots are valid)
 *   [10] op argument: split leaf-size index, walk flags, harvest kind,
 *        bad-argument variant, attach's refused call
 *   [11] op argument: walk stop count, lookup byte offset
 */
#define FZ_KIND(b)	((b) & 0x0f)
#define FZ_R_HUGE	0x10
#define FZ_R_REPLACE	0x20
#define FZ_R_INJECT	0x80

enum fz_kind {
	FZ_K_MAP, FZ_K_MAP2, FZ_K_MAP3, FZ_K_UNMAP, FZ_K_UNMAP2, FZ_K_PROTECT,
	FZ_K_PROTECT2, FZ_K_SPLIT, FZ_K_SPLIT2, FZ_K_COLLAPSE, FZ_K_COLLAPSE2,
	FZ_K_LOOKUP, FZ_K_WALK, FZ_K_HARVEST, FZ_K_ATTACH, FZ_K_BADARGS,
};

/*
 * Address code (16 bits): bits 0-1 unit (4 KiB, 2 MiB, 1 GiB, the format's
 * largest leaf), bits 2-9 count k, bits 10-13 a signed page adjustment j
 * (-8..7): k * unit + j * 4 KiB, taken modulo the window size.
 * Size code: the same fields, n * unit + j * 4 KiB, at least 4 KiB,
 * clipped at the window's end.
 */
#define FZ_U_4K		0
#define FZ_U_2M		1
#define FZ_U_1G		2
#define FZ_U_TOP	3
#define FZ_ADDR(unit, k, j)	((uint16_t)((unit) | ((k) & 0xff) << 2 | ((j) & 0xf) << 10))
#define FZ_SIZE(unit, n, j)	FZ_ADDR(unit, n, j)

/* k * unit + j pages, as coded (wraps below 0: callers reduce it). */
static inline uint64_t fz_code_value(uint16_t code, const uint64_t units[4])
{
	int64_t j = (int64_t)((code >> 10) & 0xf);

	if (j >= 8)
		j -= 16;
	return ((code >> 2) & 0xff) * units[code & 3] + (uint64_t)(j * 4096);
}

#define FZ_P_R		0x01
#define FZ_P_W		0x02
#define FZ_P_X		0x04
#define FZ_P_XU		0x08
#define FZ_P_XS		0x10
#define FZ_P_U		0x20
#define FZ_P_G		0x40
#define FZ_P2_MT(mt)	((mt) & 3)
#define FZ_P2_RAW	0x80

/* One record, as the seed generator writes it. */
struct fz_rec {
	uint8_t kind, nth;
	uint16_t ia, size, oa;
	uint8_t prot, prot2, arg, arg2;
};

/* Serialise @r into FZ_REC bytes at @out. */
static inline void fz_rec_put(const struct fz_rec *r, uint8_t *out)
{
	out[0] = r->kind;
	out[1] = r->nth;
	out[2] = (uint8_t)r->ia;
	out[3] = (uint8_t)(r->ia >> 8);
	out[4] = (uint8_t)r->size;
	out[5] = (uint8_t)(r->size >> 8);
	out[6] = (uint8_t)r->oa;
	out[7] = (uint8_t)(r->oa >> 8);
	out[8] = r->prot;
	out[9] = r->prot2;
	out[10] = r->arg;
	out[11] = r->arg2;
}

/* Parse FZ_REC bytes at @in into @r. */
static inline void fz_rec_get(const uint8_t *in, struct fz_rec *r)
{
	r->kind = in[0];
	r->nth = in[1];
	r->ia = (uint16_t)(in[2] | in[3] << 8);
	r->size = (uint16_t)(in[4] | in[5] << 8);
	r->oa = (uint16_t)(in[6] | in[7] << 8);
	r->prot = in[8];
	r->prot2 = in[9];
	r->arg = in[10];
	r->arg2 = in[11];
}

#endif /* S2PT_FUZZ_INPUT_H */
