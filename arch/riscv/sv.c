// SPDX-License-Identifier: MIT
/* RISC-V first-stage entries (Privileged ISA: Sv39 §4.4, Sv48 §4.5, Sv57 §4.6,
 * the Svpbmt extension): the entries of arch/riscv/sv_pte.h, three walk depths. */
#include <errno.h>
#include <stdint.h>
#include "arch/riscv/sv_pte.h"
#include "core/template.h"

/*
 * satp (§4.1.11, RV64): MODE 63:60 (8 Sv39, 9 Sv48, 10 Sv57), ASID 59:44
 * (ASIDMAX = 16), PPN 43:0 of the root. @hw->vmid is the ASID; wider than
 * 16 bits is -EINVAL. The caller fences (SFENCE.VMA) when reusing an ASID.
 */
#define SATP_MODE_SHIFT	60
#define SATP_ASID_SHIFT	44
#define SATP_ASID_MAX	0xffffu

s2pt_enc int sv_satp(const struct s2pt_hw *hw, uint64_t mode, uint64_t *val)
{
	if (hw->vmid > SATP_ASID_MAX || (hw->root_pa & 0xfff) || (hw->root_pa >> 56))
		return -EINVAL;
	*val = mode << SATP_MODE_SHIFT | (uint64_t)hw->vmid << SATP_ASID_SHIFT |
	       hw->root_pa >> 12;
	return 0;
}

static int sv39_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return sv_satp(hw, 8, val);
}

static int sv48_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return sv_satp(hw, 9, val);
}

static int sv57_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return sv_satp(hw, 10, val);
}

/*
 * satp modes 8 / 9 / 10 (§4.1.11). Input addresses are sign-extended from
 * bit 38 / 47 / 56 (§4.4.1, §4.5.1, §4.6.1): S2PT_FMT_CANONICAL. Physical
 * addresses are 56 bits (PPN 53:10). Every level may hold a leaf.
 */
#define SV_DESC(name, lv, bits, hw)					\
static const struct s2pt_fmt_desc name = {				\
	.levels = (lv),							\
	.ia_bits = (bits),						\
	.ia_bits_min = (bits),						\
	.ia_bits_max = (bits),						\
	.oa_bits = 56,							\
	.leaf_levels = (1u << (lv)) - 1,				\
	.flags = S2PT_FMT_CANONICAL | S2PT_FMT_U_NO_SUP_EXEC,		\
	.prot_bits = SV_PROT_BITS,					\
	.hw_bits = SV_A | SV_D,						\
	.locked = SV_LOCKED,						\
	.young_bit = SV_A,						\
	.dirty_bit = SV_D,						\
	.pte_leaf = sv_pte_leaf,					\
	.pte_table = sv_pte_table,					\
	.pte_kind = sv_pte_kind,					\
	.pte_addr = sv_pte_addr,					\
	.pte_prot = sv_pte_prot,					\
	.prot_check = sv_prot_check,					\
	.hw_root = (hw),						\
}

/* Sv39: 3 levels, 4 KiB / 2 MiB / 1 GiB leaves (§4.4). */
SV_DESC(sv39_desc, 3, 39, sv39_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv39, "sv39", sv39_desc)

/* Sv48: 4 levels, adds 512 GiB terapages (§4.5). */
SV_DESC(sv48_desc, 4, 48, sv48_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv48, "sv48", sv48_desc)

/* Sv57: 5 levels, adds 256 TiB petapages (§4.6). */
SV_DESC(sv57_desc, 5, 57, sv57_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv57, "sv57", sv57_desc)
