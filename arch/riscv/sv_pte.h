/* SPDX-License-Identifier: MIT */
/*
 * RISC-V Sv39/Sv48/Sv57 entries (Privileged ISA §4.3-4.6, Svpbmt): the
 * first-stage encoders, which the G-stage (§8.5.1) derives from.
 */
#ifndef S2PT_ARCH_RISCV_SV_PTE_H
#define S2PT_ARCH_RISCV_SV_PTE_H

#include <errno.h>
#include <stdint.h>
#include "core/fmt.h"

/*
 * PTE bits, Privileged ISA §4.4.1 "Sv39 page table entry" (Sv48 §4.5.1 and
 * Sv57 §4.6.1 use the same layout with more PPN fields inside 53:10).
 */
#define SV_V		(1ull << 0)	/* valid */
#define SV_R		(1ull << 1)	/* readable */
#define SV_W		(1ull << 2)	/* writable; W without R is reserved (§4.3.1) */
#define SV_X		(1ull << 3)	/* executable */
#define SV_U		(1ull << 4)	/* user; reserved in non-leaf PTEs (§4.3.1) */
#define SV_G		(1ull << 5)	/* global mapping (§4.3.1) */
#define SV_A		(1ull << 6)	/* accessed; reserved in non-leaf PTEs */
#define SV_D		(1ull << 7)	/* dirty; reserved in non-leaf PTEs */
#define SV_RSW0		(1ull << 8)	/* RSW 9:8, ignored by hardware (§4.3.1) */
#define SV_RSW1		(1ull << 9)
#define SV_PPN_SHIFT	10		/* PPN 53:10 = physical address 55:12 */
/* Invalid (V = 0: "all other bits are don't-cares and may be used freely
 * by software", Privileged ISA §4.3.1): the locked marker, in RSW bit 8. */
#define SV_LOCKED	SV_RSW0
#define SV_PPN		0x003ffffffffffc00ull
#define SV_RSVD		0x1fc0000000000000ull	/* bits 60:54 reserved: page fault if set */
#define SV_PBMT_SHIFT	61		/* Svpbmt: bits 62:61 */
#define SV_PBMT		(3ull << SV_PBMT_SHIFT)
#define SV_PBMT_NC	(1ull << SV_PBMT_SHIFT)	/* 1 NC: non-cacheable, idempotent, weak */
#define SV_PBMT_IO	(2ull << SV_PBMT_SHIFT)	/* 2 IO: non-idempotent, strongly ordered */
#define SV_N		(1ull << 63)	/* Svnapot NAPOT leaf (64 KiB at level 0) */
#define SV_RWX		(SV_R | SV_W | SV_X)

/* RSW holds two software bits; S2PT_SW2 / S2PT_SW3 have no room. */
#define SV_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_U | S2PT_G | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1)

/*
 * R, W, X are independent (§4.3.1 Table "Encoding of PTE R/W/X fields"):
 * execute-only (X alone) is allowed; W without R is reserved (the core
 * refuses it too). There is one execute bit, so S2PT_XU / S2PT_XS are
 * refused (outside SV_PROT_BITS). Svpbmt value 3 is reserved.
 * sv_prot_check_in() applies these rules to a format's own set of S2PT_*
 * bits, @allowed.
 */
s2pt_enc int sv_prot_check_in(uint32_t prot, uint32_t allowed)
{
	if (prot & ~allowed)
		return -EINVAL;
	if (!(prot & (S2PT_R | S2PT_X)))
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == S2PT_MT_MASK)
		return -EINVAL;
	return 0;
}

s2pt_enc int sv_prot_check(uint32_t prot)
{
	return sv_prot_check_in(prot, SV_PROT_BITS);
}

/* Physical address <-> PPN field: PA 55:12 lives in PTE 53:10 (§4.4.1). */
s2pt_enc uint64_t sv_pa_to_ppn(uint64_t pa)
{
	return (pa >> 12) << SV_PPN_SHIFT;
}

s2pt_enc uint64_t sv_ppn_to_pa(uint64_t pte)
{
	return ((pte & SV_PPN) >> SV_PPN_SHIFT) << 12;
}

/*
 * A leaf at any level (4 KiB, 2 MiB megapage, 1 GiB gigapage, 512 GiB
 * terapage, 256 TiB petapage). @oa is aligned to the level's size, so the
 * low PPN fields are zero as a superpage requires (§4.3.2 step 6). A is
 * preset; D is preset when writable: with Svade a clear A or D faults
 * instead of being set (§4.3.1), and a read-only page never needs D.
 * Memory type by Svpbmt: WB -> PMA (0), NC -> NC (1), DEV -> IO (2).
 */
s2pt_enc uint64_t sv_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = sv_pa_to_ppn(oa) | SV_V | SV_A;

	(void)level;
	if (prot & S2PT_R)
		pte |= SV_R;
	if (prot & S2PT_W)
		pte |= SV_W | SV_D;
	if (prot & S2PT_X)
		pte |= SV_X;
	if (prot & S2PT_U)
		pte |= SV_U;
	if (prot & S2PT_G)
		pte |= SV_G;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_NC:
		pte |= SV_PBMT_NC;
		break;
	case S2PT_MT_DEV:
		pte |= SV_PBMT_IO;
		break;
	}
	if (prot & S2PT_SW0)
		pte |= SV_RSW0;
	if (prot & S2PT_SW1)
		pte |= SV_RSW1;
	return pte;
}

/*
 * A pointer to the next table: V with R = W = X = 0 (§4.3.1). U, A, D,
 * PBMT and N are reserved in non-leaf PTEs and stay 0; G = 0 so that each
 * leaf alone says whether it is global (and G is reserved in G-stage,
 * §8.5.1).
 */
s2pt_enc uint64_t sv_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return sv_pa_to_ppn(pa) | SV_V;
}

/*
 * Classify as the walk of §4.3.2 would. Not present (a page fault there):
 * V = 0; W without R; a set reserved bit 60:54; a pointer at level 0;
 * a pointer with U, A, D, PBMT or N set (reserved in non-leaf PTEs, and
 * Svpbmt); a leaf with PBMT = 3 (reserved); a misaligned superpage
 * (step 6). Svnapot leaves (N = 1) are reported as not present: this
 * format never writes them and cannot describe their 64 KiB span.
 */
s2pt_enc enum s2pt_kind sv_pte_kind(uint64_t pte, unsigned level)
{
	if (!(pte & SV_V) || (pte & SV_RSVD))
		return S2PT_NONE;
	if ((pte & (SV_R | SV_W)) == SV_W)
		return S2PT_NONE;
	if (!(pte & SV_RWX)) {
		if (level == 0 || (pte & (SV_U | SV_A | SV_D | SV_PBMT | SV_N)))
			return S2PT_NONE;
		return S2PT_TABLE;
	}
	if ((pte & SV_N) || (pte & SV_PBMT) == SV_PBMT)
		return S2PT_NONE;
	/* superpage: PPN fields below the level must be zero */
	if (sv_ppn_to_pa(pte) & ((1ull << (12 + 9 * level)) - 1))
		return S2PT_NONE;
	return S2PT_LEAF;
}

s2pt_enc uint64_t sv_pte_addr(uint64_t pte, unsigned level)
{
	(void)level;
	return sv_ppn_to_pa(pte);
}

/* Decode a leaf; A and D are the hardware's (hw_bits), not part of prot. */
s2pt_enc uint32_t sv_pte_prot(uint64_t pte, unsigned level)
{
	uint32_t prot = 0;

	(void)level;
	if (pte & SV_R)
		prot |= S2PT_R;
	if (pte & SV_W)
		prot |= S2PT_W;
	if (pte & SV_X)
		prot |= S2PT_X;
	if (pte & SV_U)
		prot |= S2PT_U;
	if (pte & SV_G)
		prot |= S2PT_G;
	switch (pte & SV_PBMT) {
	case SV_PBMT_NC:
		prot |= S2PT_MT_NC;
		break;
	case SV_PBMT_IO:
		prot |= S2PT_MT_DEV;
		break;
	}
	if (pte & SV_RSW0)
		prot |= S2PT_SW0;
	if (pte & SV_RSW1)
		prot |= S2PT_SW1;
	return prot;
}

#endif /* S2PT_ARCH_RISCV_SV_PTE_H */
