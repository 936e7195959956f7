/* SPDX-License-Identifier: MIT */
/*
 * Freestanding helpers shared by the bare-metal checkers: output through the
 * target's bm_raw_putc(), and the PASS/FAIL line format the runner counts.
 */
#ifndef S2PT_ORACLE_BM_H
#define S2PT_ORACLE_BM_H

#include <stdint.h>
#include "oracle.h"

void bm_raw_putc(char c);		/* provided by each checker: one byte out */
void bm_putc(char c);
void bm_puts(const char *s);
void bm_hex(uint64_t v);		/* 0x... */
void bm_dec(uint64_t v);
/*
 * One result line: bm_vec_begin() holds output back and writes
 * "<scenario> #<i> <name> probe-R ia=..."; the checker adds details;
 * bm_vec_end() prints "PASS " or "FAIL ", the held text and a newline,
 * and counts the verdict.
 */
void bm_vec_begin(const struct orc_cfg *c, uint32_t i);
void bm_vec_end(int pass);
/* The checker's last lines: "<target>: N passed, N failed", "ORACLE-DONE". */
void bm_summary(const char *target);
/* Check the config block's magic and version; prints why not. Return: 0 ok. */
int bm_cfg_check(const struct orc_cfg *c);
void *bm_memcpy(void *d, const void *s, unsigned long n);

#endif /* S2PT_ORACLE_BM_H */
