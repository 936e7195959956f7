/* SPDX-License-Identifier: MIT */
/*
 * LoongArch64 page-table entries (Reference Manual vol. 1 §5.4): the
 * first-stage encoders, which the LVZ GPA table (stage2/lvz.c) derives from.
 */
#ifndef S2PT_ARCH_LOONGARCH_LA_PTE_H
#define S2PT_ARCH_LOONGARCH_LA_PTE_H

#include <errno.h>
#include <stdint.h>
#include "core/fmt.h"

/*
 * Entry bits. Hardware ones: manual vol. 1 §5.4.2 (TLB entry) and §7.5.3
 * TLBELO0/1 in LA64 (V 0, D 1, PLV 3:2, MAT 5:4, G 6, PPN PALEN-1:12,
 * NR 61, NX 62, RPLV 63; bits 11:7 and 60:PALEN read as 0 there). Walk-only
 * ones: §5.4.5 "Multi-level page table structure supported by page walking"
 * (P, W, the HUGE flag in bit 6 of a directory entry, and G moved to bit 12
 * in a huge entry); LDDIR (§4.2.5.1, manual r1p10) writes the level of a
 * huge entry into its bits 14:13, which must be 0 in memory. The names
 * follow Linux arch/loongarch/include/asm/pgtable-bits.h.
 */
#define LA_V		(1ull << 0)	/* valid: the TLB entry translates */
#define LA_D		(1ull << 1)	/* "dirty": the TLB entry allows stores */
#define LA_PLV_SHIFT	2		/* PLV 3:2: lowest privilege allowed */
#define LA_PLV		(3ull << LA_PLV_SHIFT)
#define LA_PLV3		(3ull << LA_PLV_SHIFT)	/* PLV3 (user) and above, RPLV = 0 */
#define LA_MAT_SHIFT	4		/* MAT 5:4, memory access type, §5.3 */
#define LA_MAT		(3ull << LA_MAT_SHIFT)
#define LA_MAT_SUC	(0ull << LA_MAT_SHIFT)	/* strongly-ordered uncached */
#define LA_MAT_CC	(1ull << LA_MAT_SHIFT)	/* coherent cached */
#define LA_MAT_WUC	(2ull << LA_MAT_SHIFT)	/* weakly-ordered uncached */
#define LA_G		(1ull << 6)	/* global, in a 4 KiB page entry */
#define LA_HUGE		(1ull << 6)	/* directory entry holding a huge page */
#define LA_P		(1ull << 7)	/* present: walkers only, not in the TLB */
#define LA_W		(1ull << 8)	/* writable: walkers only, not in the TLB */
#define LA_SW0		(1ull << 9)	/* 11:9: undefined in both entry formats, */
#define LA_SW1		(1ull << 10)	/* ignored by LDDIR/LDPTE and the hardware */
#define LA_SW2		(1ull << 11)	/* walker (§5.4.5), R0 in TLBELO */
#define LA_HGLOBAL	(1ull << 12)	/* global, in a huge page entry */
#define LA_HLEVEL	(3ull << 13)	/* huge entry: level marked by LDDIR */
#define LA_SW3		(1ull << 60)	/* 60:48 above PALEN = 48: ignored likewise */
#define LA_NR		(1ull << 61)	/* no read (LA64 only) */
#define LA_NX		(1ull << 62)	/* no execute (LA64 only) */
#define LA_RPLV		(1ull << 63)	/* restrict to exactly PLV */
#define LA_ADDR		0x0000fffffffff000ull	/* PA 47:12, PALEN = 48 */
/* Not present at every level: a directory entry with HUGE set is a huge
 * page entry to LDDIR, and without V and P it is invalid (§5.4.5); a page
 * entry without V is invalid (§5.4.2). The locked marker of core/fmt.h. */
#define LA_LOCKED	(LA_HUGE | LA_SW1)

#define LA_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_U | S2PT_G | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/*
 * NR and NX are independent (§5.4.2), so every R/X mix works, execute-only
 * included (NR = 1, NX = 0). W without R is refused (the common rule too).
 * One execute bit: S2PT_XU / S2PT_XS are refused (outside LA_PROT_BITS).
 * MAT 3 is reserved (§5.3). la_prot_check_in() applies these rules to a
 * format's own set of S2PT_* bits, @allowed.
 */
s2pt_enc int la_prot_check_in(uint32_t prot, uint32_t allowed)
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

s2pt_enc int la_prot_check(uint32_t prot)
{
	return la_prot_check_in(prot, LA_PROT_BITS);
}

/*
 * A leaf: a 4 KiB page entry at level 0, a huge page entry (HUGE set, G in
 * bit 12) at level 1. Present is V and P together: LDPTE copies V into the
 * TLB, the hardware walker checks P instead (§5.4.5), so both are set; V is
 * also what Linux uses as its accessed bit. Writable is D and W together
 * for the same reason (Linux __WRITEABLE). PLV 3 for S2PT_U, else PLV 0;
 * RPLV = 0. MAT: WB -> CC (1), NC -> WUC (2), DEV -> SUC (0).
 * A TLB entry holds an even/odd page pair and is global only if both
 * halves have G (§7.5.3): a G page whose buddy is not G is not global.
 */
s2pt_enc uint64_t la_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | LA_V | LA_P;

	if (level)
		pte |= LA_HUGE;
	if (prot & S2PT_W)
		pte |= LA_D | LA_W;
	if (!(prot & S2PT_R))
		pte |= LA_NR;
	if (!(prot & S2PT_X))
		pte |= LA_NX;
	if (prot & S2PT_U)
		pte |= LA_PLV3;
	if (prot & S2PT_G)
		pte |= level ? LA_HGLOBAL : LA_G;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_WB:
		pte |= LA_MAT_CC;
		break;
	case S2PT_MT_NC:
		pte |= LA_MAT_WUC;
		break;
	}
	if (prot & S2PT_SW0)
		pte |= LA_SW0;
	if (prot & S2PT_SW1)
		pte |= LA_SW1;
	if (prot & S2PT_SW2)
		pte |= LA_SW2;
	if (prot & S2PT_SW3)
		pte |= LA_SW3;
	return pte;
}

/*
 * A directory entry is the physical address of the next table and nothing
 * else (§5.4.5): LDDIR ORs the index into it, so the low bits, HUGE
 * included, must be 0. It has no present bit: an empty slot is 0, which
 * a walker takes as a table at PA 0 (Linux points empty slots at an
 * invalid table instead; S2PT_FMT_EMPTY_TABLE does that for LVZ).
 */
s2pt_enc uint64_t la_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa;
}

/*
 * Level 0: a page entry, present when V and P are both set. Levels 1-3: a
 * directory entry is a table unless HUGE is set. A huge entry is a leaf at
 * level 1 (2 MiB) and level 2 (1 GiB; this format writes none, but LDDIR
 * walks them). At level 3 it would fill TLB halves of 256 GiB, beyond the
 * page sizes CSR.PRCFG2 reports on known parts: treated as not present.
 */
s2pt_enc enum s2pt_kind la_pte_kind(uint64_t pte, unsigned level)
{
	if (level && !(pte & LA_HUGE))
		return S2PT_TABLE;
	if (level > 2 || (pte & (LA_V | LA_P)) != (LA_V | LA_P))
		return S2PT_NONE;
	return S2PT_LEAF;
}

/* Tables and 4 KiB pages: PA 47:12. Huge pages: 47:21 / 47:30, the bits
 * below (HGLOBAL, the LDDIR level) ignored as the TLB ignores them (§5.4.2). */
s2pt_enc uint64_t la_pte_addr(uint64_t pte, unsigned level)
{
	if (level && (pte & LA_HUGE))
		return pte & LA_ADDR & ~((1ull << (12 + 9 * level)) - 1);
	return pte & LA_ADDR;
}

/*
 * Decode a leaf. W from the W bit (the walkers' write permission; D may be
 * left for a fault handler to set); R from NR, X from NX; U from PLV 3
 * (PLV 1 and 2 read as supervisor); G from G or HGLOBAL by entry kind.
 * MAT 3 (reserved, never written) reads as DEV.
 */
s2pt_enc uint32_t la_pte_prot(uint64_t pte, unsigned level)
{
	uint32_t prot = 0;

	if (!(pte & LA_NR))
		prot |= S2PT_R;
	if (pte & LA_W)
		prot |= S2PT_W;
	if (!(pte & LA_NX))
		prot |= S2PT_X;
	if ((pte & LA_PLV) == LA_PLV3)
		prot |= S2PT_U;
	if (pte & (level ? LA_HGLOBAL : LA_G))
		prot |= S2PT_G;
	switch (pte & LA_MAT) {
	case LA_MAT_CC:
		break;
	case LA_MAT_WUC:
		prot |= S2PT_MT_NC;
		break;
	default:
		prot |= S2PT_MT_DEV;
		break;
	}
	if (pte & LA_SW0)
		prot |= S2PT_SW0;
	if (pte & LA_SW1)
		prot |= S2PT_SW1;
	if (pte & LA_SW2)
		prot |= S2PT_SW2;
	if (pte & LA_SW3)
		prot |= S2PT_SW3;
	return prot;
}

/*
 * The value for CSR.PGDL (0x19, §7.5.5: Base 63:12, bits 11:0 read as 0),
 * and for CSR.PGDH (0x1a, §7.5.6) when the table also serves the upper
 * half. The ASID is not part of it (CSR.ASID bits 9:0, §7.5.4), nor is
 * LVZ's guest ID: @vmid must be 0.
 */
s2pt_enc int la_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid || (hw->root_pa & ~LA_ADDR))
		return -EINVAL;
	*val = hw->root_pa;
	return 0;
}

#endif /* S2PT_ARCH_LOONGARCH_LA_PTE_H */
