// SPDX-License-Identifier: MIT
/* AMD nested paging (APM vol. 2 §15.25): long-mode 4-level entries (§5.3,
 * §5.4) with U set at every level, walked from the VMCB's nCR3 in the
 * host's paging mode (§15.25.3), so for a host in 4-level paging. */
#include <errno.h>
#include <stdint.h>
#include "core/template.h"

/*
 * Entry bits, APM vol. 2 §5.3.3 Figures 5-20..5-23 (long-mode PML4E,
 * PDPE, PDE, PTE), §5.3.4 (2 MiB PDE) and §5.3.5 (1 GiB PDPE), field
 * meanings in §5.4; the same layout as Intel's.
 */
#define NPT_P		(1ull << 0)	/* present */
#define NPT_RW		(1ull << 1)	/* read/write */
#define NPT_US		(1ull << 2)	/* user/supervisor: must be 1 in nested
					 * tables (§15.25.5, §15.25.7) */
#define NPT_PWT		(1ull << 3)	/* page write-through (§7.8, PAT) */
#define NPT_PCD		(1ull << 4)	/* page cache disable (§7.8, PAT) */
#define NPT_A		(1ull << 5)	/* accessed (§5.4) */
#define NPT_D		(1ull << 6)	/* dirty, leaves only */
#define NPT_PS		(1ull << 7)	/* page size: PDPE / PDE 1 = leaf;
					 * must be 0 in a PML4E; PAT in a PTE */
#define NPT_SW0		(1ull << 9)	/* bits 11:9 available to software (AVL) */
#define NPT_SW1		(1ull << 10)
#define NPT_SW2		(1ull << 11)
#define NPT_SW3		(1ull << 52)	/* bits 58:52 available in every entry */
#define NPT_NX		(1ull << 63)	/* no-execute; needs the host's EFER.NXE
					 * (§15.25.7) */
#define NPT_ADDR	0x000ffffffffff000ull	/* bits 51:12 */

#define NPT_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

s2pt_enc uint64_t npt_leaf_mask(unsigned level)
{
	return NPT_ADDR & ~((1ull << (12 + 9 * level)) - 1);
}

/*
 * A present long-mode entry is always readable (§5.6: no execute-only or
 * write-only pages), so S2PT_R is required. One execute control (NX): no
 * XU / XS (GMET, §15.25.13, would reuse U/S; not supported). U is not a
 * choice (§15.25.5 makes every nested access a user access, §15.25.7
 * denies any access through a supervisor entry) and G is taken from the
 * guest tables only (§15.25.7), so both are outside NPT_PROT_BITS.
 */
s2pt_enc int npt_prot_check(uint32_t prot)
{
	if (prot & ~NPT_PROT_BITS)
		return -EINVAL;
	if (!(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == (3u << S2PT_MT_SHIFT))
		return -EINVAL;
	return 0;
}

/*
 * A leaf at @level (0: PTE, 1: 2 MiB PDE, 2: 1 GiB PDPE): P | US | A, RW
 * for write, NX unless executable. D stays 0 and the walker sets it.
 * Memory type: nested entries index the host's PAT MSR with PAT:PCD:PWT
 * (§15.25.8), so S2PT_X86_PAT is what the host must hold, as for first
 * stage: WB index 0, NC index 1 (PWT), DEV index 3 (PCD | PWT); the PAT
 * bit stays 0. The processor then combines this host type with the
 * guest's gPAT type (Table 15-19) and the MTRRs (Table 15-20): host WB
 * leaves the guest's choice, host UC forces UC, host WC gives WC or
 * stricter. NPT has no equivalent of EPT's ignore-PAT bit.
 */
s2pt_enc uint64_t npt_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | NPT_P | NPT_US | NPT_A;

	if (level)
		pte |= NPT_PS;
	pte |= prot & S2PT_W;					/* bit 1, as RW */
	pte |= (uint64_t)(~prot & S2PT_X) << 61;		/* no X -> NX, bit 63 */
	/* WB: PAT index 0; NC: 1 (PWT); DEV: 3 (PCD | PWT) */
	pte |= (0x180800u >> ((prot & S2PT_MT_MASK) >> 5)) & 0x18;
	pte |= (prot & (S2PT_SW0 | S2PT_SW1 | S2PT_SW2)) >> 3;	/* 12..14 -> 9..11 */
	pte |= (uint64_t)(prot & S2PT_SW3) << 37;		/* bit 15 -> 52 */
	return pte;
}

/* A non-leaf entry: P | RW | US | A, NX = PWT = PCD = 0, so the leaf
 * alone decides and the next table is read write-back. */
s2pt_enc uint64_t npt_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa | NPT_P | NPT_RW | NPT_US | NPT_A;
}

/*
 * P = 0: not present. U = 0 at any level: every nested access is a user
 * access (§15.25.5, §15.25.7), so the entry translates nothing and reads
 * as not present. A PTE is a leaf; a PDPE / PDE with PS = 1 is a leaf; PS in a
 * PML4E is reserved (a reserved-bit fault), nothing.
 */
s2pt_enc enum s2pt_kind npt_pte_kind(uint64_t pte, unsigned level)
{
	if ((pte & (NPT_P | NPT_US)) != (NPT_P | NPT_US))
		return S2PT_NONE;
	if (level == 0)
		return S2PT_LEAF;
	if (!(pte & NPT_PS))
		return S2PT_TABLE;
	return level <= 2 ? S2PT_LEAF : S2PT_NONE;
}

/* Huge leaves keep PAT in bit 12, so their address starts at bit 21 / 30. */
s2pt_enc uint64_t npt_pte_addr(uint64_t pte, unsigned level)
{
	if (level && level <= 2 && (pte & NPT_PS))
		return pte & npt_leaf_mask(level);
	return pte & NPT_ADDR;
}

/*
 * Decode a leaf. U is always set and never reported; G is ignored.
 * PCD gives DEV (UC or UC-), else PWT gives NC; the PAT bit is ignored.
 */
s2pt_enc uint32_t npt_pte_prot(uint64_t pte, unsigned level)
{
	uint64_t prot = S2PT_R;

	(void)level;
	prot |= pte & NPT_RW;					/* bit 1 -> S2PT_W */
	prot |= (~pte >> 61) & S2PT_X;				/* NX clear -> S2PT_X */
	/* PCD:PWT 00 WB, 01 NC, 10 and 11 DEV */
	prot |= (uint64_t)((0xa4u >> ((pte & (NPT_PCD | NPT_PWT)) >> 2)) & 3) << S2PT_MT_SHIFT;
	prot |= (pte << 3) & (S2PT_SW0 | S2PT_SW1 | S2PT_SW2);	/* bits 9..11 */
	prot |= (pte >> 37) & S2PT_SW3;				/* bit 52 */
	return (uint32_t)prot;
}

/*
 * nCR3 (VMCB N_CR3, offset 0B0h; §15.25.3, §15.25.4): the root in bits
 * 51:12 with the CR3 layout; PWT = PCD = 0 so the root table is read
 * write-back (§15.25.8); the other bits are reserved (MBZ). The
 * guest's tag is the ASID, a separate VMCB field, so @vmid must be 0.
 */
static int npt_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid || (hw->root_pa & ~NPT_ADDR))
		return -EINVAL;
	*val = hw->root_pa;
	return 0;
}

/* 4 levels, 48-bit guest-physical addresses, 4 KiB / 2 MiB / 1 GiB leaves. */
static const struct s2pt_fmt_desc npt_desc = {
	.levels = 4,
	.ia_bits = 48,
	.ia_bits_min = 48,
	.ia_bits_max = 48,
	.oa_bits = 52,
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),
	.flags = S2PT_FMT_STAGE2,
	.prot_bits = NPT_PROT_BITS,
	.hw_bits = NPT_A | NPT_D,
	.young_bit = NPT_A,
	.dirty_bit = NPT_D,
	.pte_leaf = npt_pte_leaf,
	.pte_table = npt_pte_table,
	.pte_kind = npt_pte_kind,
	.pte_addr = npt_pte_addr,
	.pte_prot = npt_pte_prot,
	.prot_check = npt_prot_check,
	.hw_root = npt_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_npt, "npt", npt_desc)
