/* SPDX-License-Identifier: MIT */
/*
 * What AArch64 stage-1 and stage-2 descriptors share (4 KiB granule,
 * 48-bit OA, ARM ARM DDI 0487 D8.3): valid and type bits, the address
 * field, and the table / kind / address encoders built on them.
 */
#ifndef S2PT_ARCH_ARM64_A64_PTE_H
#define S2PT_ARCH_ARM64_A64_PTE_H

#include "core/fmt.h"

#define A64_VALID	(1ull << 0)	/* bit[0]: 0 = invalid (fault) */
#define A64_TYPE	(1ull << 1)	/* bit[1]: lookup levels 0-2: 1 table, 0 block;
					 * level 3: 1 page, 0 reserved (invalid) */
#define A64_ADDR	0x0000fffffffff000ull	/* OA / next-table address, bits 47:12 */
/* Invalid (bit[0] = 0: the other bits are ignored, ARM ARM D8.3.1): the
 * locked marker of core/fmt.h, in bit 58 (software use in valid ones). */
#define A64_LOCKED	(1ull << 58)

/* Lowest output-address bit of a leaf at @level: 12, 21 or 30. */
s2pt_enc uint64_t a64_leaf_mask(unsigned level)
{
	return A64_ADDR & ~((1ull << (12 + 9 * level)) - 1);
}

/*
 * A table descriptor: 0b11 and the address. Stage-1 NSTable, APTable,
 * UXNTable and PXNTable (bits 63:59) stay 0 so they restrict nothing;
 * stage-2 table descriptors have no such bits (D8.3). The leaf decides.
 */
s2pt_enc uint64_t a64_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa | A64_VALID | A64_TYPE;
}

/*
 * bit[0] = 0: invalid. Lookup level 3 (our 0): 0b11 is a page, 0b01 is
 * reserved and faults like an invalid entry. Lookup levels 1 and 2: 0b11
 * table, 0b01 block. Lookup level 0 (our 3): 0b11 table; a block there
 * exists only with 52-bit addresses (TCR_EL1.DS / VTCR_EL2.DS = 1), which
 * these tables never use: a fault.
 */
s2pt_enc enum s2pt_kind a64_pte_kind(uint64_t pte, unsigned level)
{
	if (!(pte & A64_VALID))
		return S2PT_NONE;
	if (level == 0)
		return (pte & A64_TYPE) ? S2PT_LEAF : S2PT_NONE;
	if (pte & A64_TYPE)
		return S2PT_TABLE;
	return level <= 2 ? S2PT_LEAF : S2PT_NONE;
}

/* A block's output address starts at bit 21 / 30; bits below are RES0
 * or nT (bit 16, FEAT_BBM), never address. */
s2pt_enc uint64_t a64_pte_addr(uint64_t pte, unsigned level)
{
	if (level && !(pte & A64_TYPE))
		return pte & a64_leaf_mask(level);
	return pte & A64_ADDR;
}

#endif /* S2PT_ARCH_ARM64_A64_PTE_H */
