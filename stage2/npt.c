// SPDX-License-Identifier: MIT
/* AMD nested paging (APM vol. 2 §15.25): long-mode 4-level entries (§5.3,
 * §5.4; arch/x86/x86_pte.h) with U set at every level, walked from the
 * VMCB's nCR3 in the host's paging mode (§15.25.3), so for a 4-level host. */
#include <errno.h>
#include <stdint.h>
#include "arch/x86/x86_pte.h"
#include "core/template.h"

/*
 * Entry bits, APM vol. 2 §5.3.3 Figures 5-20..5-23 (long-mode PML4E,
 * PDPE, PDE, PTE), §5.3.4 (2 MiB PDE) and §5.3.5 (1 GiB PDPE), field
 * meanings in §5.4; the same layout as Intel's, so the encoders of
 * arch/x86/x86_pte.h serve but for the npt_ ones below. In nested tables
 * U/S must be 1 at every level (§15.25.5, §15.25.7); PWT and PCD index the
 * host's PAT (§7.8); bits 11:9 and 58:52 are available to software (AVL)
 * in every entry; NX needs the host's EFER.NXE (§15.25.7); G is taken from
 * the guest tables only (§15.25.7).
 */
#define NPT_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

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
	return x86_prot_check_in(prot, NPT_PROT_BITS);
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
	return x86_leaf_with(oa, prot, level, X86_P | X86_US | X86_A);
}

/*
 * P = 0: not present. U = 0 at any level: every nested access is a user
 * access (§15.25.5, §15.25.7), so the entry translates nothing and reads
 * as not present. A PTE is a leaf; a PDPE / PDE with PS = 1 is a leaf; PS in a
 * PML4E is reserved (a reserved-bit fault), nothing.
 */
s2pt_enc enum s2pt_kind npt_pte_kind(uint64_t pte, unsigned level)
{
	if (!(pte & X86_US))
		return S2PT_NONE;
	return x86_pte_kind(pte, level);
}

/*
 * Decode a leaf. U is always set and never reported; G is ignored.
 * PCD gives DEV (UC or UC-), else PWT gives NC; the PAT bit is ignored.
 */
s2pt_enc uint32_t npt_pte_prot(uint64_t pte, unsigned level)
{
	(void)level;
	return x86_prot_common(pte);
}

/*
 * nCR3 (VMCB N_CR3, offset 0B0h; §15.25.3, §15.25.4): the root in bits
 * 51:12 with the CR3 layout; PWT = PCD = 0 so the root table is read
 * write-back (§15.25.8); the other bits are reserved (MBZ). The
 * guest's tag is the ASID, a separate VMCB field, so @vmid must be 0.
 */
static int npt_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid || (hw->root_pa & ~X86_ADDR))
		return -EINVAL;
	*val = hw->root_pa;
	return 0;
}

/* 4 levels, 48-bit guest-physical addresses, 4 KiB / 2 MiB / 1 GiB leaves.
 * Table entries are first stage's: P | RW | US | A, NX = PWT = PCD = 0, so
 * the leaf alone decides and the next table is read write-back. */
static const struct s2pt_fmt_desc npt_desc = {
	.levels = 4,
	.ia_bits = 48,
	.ia_bits_min = 48,
	.ia_bits_max = 48,
	.oa_bits = 52,
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),
	.flags = S2PT_FMT_STAGE2,
	.prot_bits = NPT_PROT_BITS,
	.hw_bits = X86_A | X86_D,
	.locked = X86_LOCKED,
	.young_bit = X86_A,
	.dirty_bit = X86_D,
	.pte_leaf = npt_pte_leaf,
	.pte_table = x86_pte_table,
	.pte_kind = npt_pte_kind,
	.pte_addr = x86_pte_addr,
	.pte_prot = npt_pte_prot,
	.prot_check = npt_prot_check,
	.hw_root = npt_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_npt, "npt", npt_desc)
