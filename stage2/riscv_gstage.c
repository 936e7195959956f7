// SPDX-License-Identifier: MIT
/* RISC-V G-stage (guest-physical) tables, Sv39x4 / Sv48x4 / Sv57x4, and their
 * hgatp values (Privileged ISA 20211203 §8.2.10 hgatp, §8.5.1 "Guest Physical
 * Address Translation"): Sv39/Sv48/Sv57 entries, a 16 KiB root, 2 more GPA bits. */
#include <errno.h>
#include <stdint.h>
#include "arch/riscv/sv_pte.h"
#include "core/template.h"

/*
 * Entries: the first-stage layout unchanged (§8.5.1: "all page table
 * entries have the same formats"), §4.4.1 "Sv39 page table entry", so the
 * encoders of arch/riscv/sv_pte.h serve but for the gs_ ones below. What
 * the G-stage changes (§8.5.1): U must be 1 in every leaf; G is reserved
 * in G-stage PTEs, ignored by hardware; a set reserved bit 60:54 is a
 * guest-page fault; Svpbmt applies when menvcfg.PBMTE is set.
 */

/*
 * hgatp for HSXLEN = 64 (§8.2.10, figure "hgatp when HSXLEN=64"): MODE 63:60,
 * bits 59:58 zero, VMID 57:44 (VMIDMAX = 14 for Sv39x4/Sv48x4/Sv57x4), PPN
 * 43:0 of the 16 KiB-aligned root (PPN[1:0] read as zero).
 */
#define HGATP_MODE_SHIFT	60
#define HGATP_MODE_SV39X4	8ull
#define HGATP_MODE_SV48X4	9ull
#define HGATP_MODE_SV57X4	10ull
#define HGATP_VMID_SHIFT	44
#define HGATP_VMID_MAX		0x3fffu
#define HGATP_ROOT_ALIGN	0x4000ull

/*
 * A guest-physical mapping has no user/supervisor or global attribute:
 * S2PT_U and S2PT_G are never accepted, and RSW holds two software bits
 * (S2PT_SW2 / S2PT_SW3 have no room). One execute bit: no XU / XS.
 */
#define GS_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK | S2PT_SW0 | S2PT_SW1)

/*
 * R, W, X as in §4.3.1 "Encoding of PTE R/W/X fields": execute-only is
 * allowed (HS-level MXR may make it readable, §8.5); W without R is
 * reserved. Svpbmt value 3 is reserved. The first-stage rules on a
 * narrower set.
 */
s2pt_enc int gs_prot_check(uint32_t prot)
{
	return sv_prot_check_in(prot, GS_PROT_BITS);
}

/*
 * A leaf at any level. U = 1 always: "when checking the U bit, the current
 * privilege mode is always taken to be U-mode" (§8.5.1), so a leaf without
 * U faults on every access. G = 0 ("should be cleared by software").
 * A preset; D preset when writable (Svade faults instead of setting them,
 * and the G-stage checks A/D like the first stage). Memory type by Svpbmt:
 * WB -> PMA (0), NC -> NC (1), DEV -> IO (2).
 */
s2pt_enc uint64_t gs_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	return sv_pte_leaf(oa, prot & ~(S2PT_U | S2PT_G), level) | SV_U;
}

/*
 * Classify as the §4.3.2 walk with the §8.5.1 changes would. Not present
 * (a guest-page fault there): V = 0; W without R; reserved bits 60:54; a
 * pointer at level 0 or with U, A, D, PBMT or N set; a leaf with PBMT = 3,
 * a misaligned superpage, or U = 0 (every G-stage access is a user access).
 * Svnapot leaves (N = 1) are not written by this format: not present.
 * G is ignored everywhere, as hardware must ignore it.
 */
s2pt_enc enum s2pt_kind gs_pte_kind(uint64_t pte, unsigned level)
{
	enum s2pt_kind kind = sv_pte_kind(pte, level);

	if (kind == S2PT_LEAF && !(pte & SV_U))
		return S2PT_NONE;
	return kind;
}

/* Decode a leaf: R/W/X, PBMT, RSW. U (always 1) and G (ignored) are not
 * part of a second-stage prot; A and D are the hardware's (hw_bits). */
s2pt_enc uint32_t gs_pte_prot(uint64_t pte, unsigned level)
{
	return sv_pte_prot(pte & ~(SV_U | SV_G), level);
}

/*
 * hgatp = MODE << 60 | VMID << 44 | root PPN (§8.2.10). The hypervisor
 * runs HFENCE.GVMA for the VMID before reusing it (§8.3.2).
 * -EINVAL: a VMID wider than VMIDMAX (14 bits), or a root that is not
 * 16 KiB aligned or beyond the 56-bit physical space (an attached view).
 */
static inline int gs_hgatp(const struct s2pt_hw *hw, uint64_t mode, uint64_t *val)
{
	if (hw->vmid > HGATP_VMID_MAX)
		return -EINVAL;
	if ((hw->root_pa & (HGATP_ROOT_ALIGN - 1)) || (hw->root_pa >> 56))
		return -EINVAL;
	*val = mode << HGATP_MODE_SHIFT | (uint64_t)hw->vmid << HGATP_VMID_SHIFT |
	       hw->root_pa >> 12;
	return 0;
}

static int sv39x4_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return gs_hgatp(hw, HGATP_MODE_SV39X4, val);
}

static int sv48x4_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return gs_hgatp(hw, HGATP_MODE_SV48X4, val);
}

static int sv57x4_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	return gs_hgatp(hw, HGATP_MODE_SV57X4, val);
}

/*
 * Input: plain guest-physical addresses of 41 / 50 / 59 bits, the bits
 * above zero (§8.5.1): S2PT_FMT_STAGE2. The root decodes 2 bits more than
 * a 512-entry table: the core sizes it from ia_bits, 8 << (41 - 30) =
 * 16 KiB (2048 entries), aligned to its size as hgatp needs. Output: the
 * 56-bit supervisor physical space (PPN 53:10). Every level may hold a
 * leaf, as in Sv39/48/57.
 */
#define GS_DESC(name, lv, bits, hw)					\
static const struct s2pt_fmt_desc name = {				\
	.levels = (lv),							\
	.ia_bits = (bits),						\
	.ia_bits_min = (bits),						\
	.ia_bits_max = (bits),						\
	.oa_bits = 56,							\
	.leaf_levels = (1u << (lv)) - 1,				\
	.flags = S2PT_FMT_STAGE2,					\
	.prot_bits = GS_PROT_BITS,					\
	.hw_bits = SV_A | SV_D,						\
	.locked = SV_LOCKED,						\
	.young_bit = SV_A,						\
	.dirty_bit = SV_D,						\
	.pte_leaf = gs_pte_leaf,					\
	.pte_table = sv_pte_table,					\
	.pte_kind = gs_pte_kind,					\
	.pte_addr = sv_pte_addr,					\
	.pte_prot = gs_pte_prot,					\
	.prot_check = gs_prot_check,					\
	.hw_root = (hw),						\
}

/* Sv39x4: 3 levels, 41-bit GPA, hgatp MODE 8. */
GS_DESC(sv39x4_desc, 3, 41, sv39x4_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv39x4, "sv39x4", sv39x4_desc)

/* Sv48x4: 4 levels, 50-bit GPA, hgatp MODE 9. */
GS_DESC(sv48x4_desc, 4, 50, sv48x4_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv48x4, "sv48x4", sv48x4_desc)

/* Sv57x4: 5 levels, 59-bit GPA, hgatp MODE 10. */
GS_DESC(sv57x4_desc, 5, 59, sv57x4_hw_root);
S2PT_DEFINE_FMT(s2pt_fmt_sv57x4, "sv57x4", sv57x4_desc)
