// SPDX-License-Identifier: MIT
/* x86-64 first-stage tables (Intel SDM vol. 3A §4.5): 4-level and 5-level
 * paging share one entry layout and its encoders (arch/x86/x86_pte.h); only
 * the walk differs. */
#include <errno.h>
#include <stdint.h>
#include "arch/x86/x86_pte.h"
#include "core/template.h"

/*
 * CR3 (SDM 3A §4.5.2, Table 4-12 without PCIDs, 4-13 with): the root in
 * bits 51:12 (M-1:12). @vmid is the PCID, bits 11:0. With 0, PWT (3) and
 * PCD (4) are 0 and the value suits CR4.PCIDE either way (the root table
 * is read write-back); a nonzero PCID is only meaningful with
 * CR4.PCIDE = 1 (without it those bits would be PWT / PCD). Bit 63 (do
 * not flush the PCID on MOV to CR3) and the LAM bits 62:61 stay 0.
 */
static int x86_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid > 0xfff || (hw->root_pa & ~X86_ADDR))
		return -EINVAL;
	*val = hw->root_pa | hw->vmid;
	return 0;
}

/*
 * The two walks: 4 KiB / 2 MiB / 1 GiB leaves, 52-bit physical addresses
 * (§4.1.4), sign-extended linear addresses (§4.5.1): S2PT_FMT_CANONICAL.
 */
#define X86_DESC(name, lv, bits)					\
static const struct s2pt_fmt_desc name = {				\
	.levels = (lv),							\
	.ia_bits = (bits),						\
	.ia_bits_min = (bits),						\
	.ia_bits_max = (bits),						\
	.oa_bits = 52,							\
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),		\
	.flags = S2PT_FMT_CANONICAL,					\
	.prot_bits = X86_PROT_BITS,					\
	.hw_bits = X86_A | X86_D,					\
	.locked = X86_LOCKED,						\
	.young_bit = X86_A,						\
	.dirty_bit = X86_D,						\
	.pte_leaf = x86_pte_leaf,					\
	.pte_table = x86_pte_table,					\
	.pte_kind = x86_pte_kind,					\
	.pte_addr = x86_pte_addr,					\
	.pte_prot = x86_pte_prot,					\
	.prot_check = x86_prot_check,					\
	.hw_root = x86_hw_root,						\
}

/* 4-level: PML4 -> PDPT -> PD -> PT, 48-bit linear addresses (§4.5.1). */
X86_DESC(x86_64_desc, 4, 48);
S2PT_DEFINE_FMT(s2pt_fmt_x86_64, "x86_64", x86_64_desc)

/* 5-level (CR4.LA57): a PML5 above the PML4, 57-bit linear addresses;
 * no 512 GiB or 256 TiB leaves (PS reserved in PML4E and PML5E). */
X86_DESC(x86_64_la57_desc, 5, 57);
S2PT_DEFINE_FMT(s2pt_fmt_x86_64_la57, "x86_64_la57", x86_64_la57_desc)
