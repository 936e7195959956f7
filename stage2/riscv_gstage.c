// SPDX-License-Identifier: MIT
/* RISC-V G-stage (guest-physical) tables, Sv39x4 / Sv48x4 / Sv57x4, and their
 * hgatp values (Privileged ISA 20211203 §8.2.10 hgatp, §8.5.1 "Guest Physical
 * Address Translation"): Sv39/Sv48/Sv57 entries, a 16 KiB root, 2 more GPA bits. */
#include <errno.h>
#include <stdint.h>
#include "core/template.h"

/*
 * PTE bits: the first-stage layout unchanged (§8.5.1: "all page table
 * entries have the same formats"), §4.4.1 "Sv39 page table entry".
 */
#define GS_V		(1ull << 0)	/* valid */
#define GS_R		(1ull << 1)	/* readable */
#define GS_W		(1ull << 2)	/* writable; W without R is reserved (§4.3.1) */
#define GS_X		(1ull << 3)	/* executable */
#define GS_U		(1ull << 4)	/* user: must be 1 in every G-stage leaf (§8.5.1) */
#define GS_G		(1ull << 5)	/* reserved in G-stage PTEs, ignored by hardware (§8.5.1) */
#define GS_A		(1ull << 6)	/* accessed; reserved in non-leaf PTEs */
#define GS_D		(1ull << 7)	/* dirty; reserved in non-leaf PTEs */
#define GS_RSW0		(1ull << 8)	/* RSW 9:8, ignored by hardware (§4.3.1) */
#define GS_RSW1		(1ull << 9)
#define GS_PPN_SHIFT	10		/* PPN 53:10 = supervisor physical address 55:12 */
#define GS_PPN		0x003ffffffffffc00ull
#define GS_RSVD		0x1fc0000000000000ull	/* bits 60:54 reserved: guest-page fault if set */
#define GS_PBMT_SHIFT	61		/* Svpbmt: bits 62:61 (menvcfg.PBMTE for G-stage) */
#define GS_PBMT		(3ull << GS_PBMT_SHIFT)
#define GS_PBMT_NC	(1ull << GS_PBMT_SHIFT)	/* 1 NC: non-cacheable, idempotent, weak */
#define GS_PBMT_IO	(2ull << GS_PBMT_SHIFT)	/* 2 IO: non-idempotent, strongly ordered */
#define GS_N		(1ull << 63)	/* Svnapot NAPOT leaf */
#define GS_RWX		(GS_R | GS_W | GS_X)

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
 * reserved. Svpbmt value 3 is reserved.
 */
static inline int gs_prot_check(uint32_t prot)
{
	if (prot & ~GS_PROT_BITS)
		return -EINVAL;
	if (!(prot & (S2PT_R | S2PT_X)))
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == S2PT_MT_MASK)
		return -EINVAL;
	return 0;
}

static inline uint64_t gs_pa_to_ppn(uint64_t pa)
{
	return (pa >> 12) << GS_PPN_SHIFT;
}

static inline uint64_t gs_ppn_to_pa(uint64_t pte)
{
	return ((pte & GS_PPN) >> GS_PPN_SHIFT) << 12;
}

/*
 * A leaf at any level. U = 1 always: "when checking the U bit, the current
 * privilege mode is always taken to be U-mode" (§8.5.1), so a leaf without
 * U faults on every access. G = 0 ("should be cleared by software").
 * A preset; D preset when writable (Svade faults instead of setting them,
 * and the G-stage checks A/D like the first stage). Memory type by Svpbmt:
 * WB -> PMA (0), NC -> NC (1), DEV -> IO (2).
 */
static inline uint64_t gs_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = gs_pa_to_ppn(oa) | GS_V | GS_U | GS_A;

	(void)level;
	if (prot & S2PT_R)
		pte |= GS_R;
	if (prot & S2PT_W)
		pte |= GS_W | GS_D;
	if (prot & S2PT_X)
		pte |= GS_X;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_NC:
		pte |= GS_PBMT_NC;
		break;
	case S2PT_MT_DEV:
		pte |= GS_PBMT_IO;
		break;
	}
	if (prot & S2PT_SW0)
		pte |= GS_RSW0;
	if (prot & S2PT_SW1)
		pte |= GS_RSW1;
	return pte;
}

/* A non-leaf PTE: V with R = W = X = 0 and nothing else (U, A, D, PBMT, N
 * are reserved there, §4.3.1 and Svpbmt; G is reserved in G-stage). */
static inline uint64_t gs_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return gs_pa_to_ppn(pa) | GS_V;
}

/*
 * Classify as the §4.3.2 walk with the §8.5.1 changes would. Not present
 * (a guest-page fault there): V = 0; W without R; reserved bits 60:54; a
 * pointer at level 0 or with U, A, D, PBMT or N set; a leaf with PBMT = 3,
 * a misaligned superpage, or U = 0 (every G-stage access is a user access).
 * Svnapot leaves (N = 1) are not written by this format: not present.
 * G is ignored everywhere, as hardware must ignore it.
 */
static inline enum s2pt_kind gs_pte_kind(uint64_t pte, unsigned level)
{
	if (!(pte & GS_V) || (pte & GS_RSVD))
		return S2PT_NONE;
	if ((pte & (GS_R | GS_W)) == GS_W)
		return S2PT_NONE;
	if (!(pte & GS_RWX)) {
		if (level == 0 || (pte & (GS_U | GS_A | GS_D | GS_PBMT | GS_N)))
			return S2PT_NONE;
		return S2PT_TABLE;
	}
	if (!(pte & GS_U) || (pte & GS_N) || (pte & GS_PBMT) == GS_PBMT)
		return S2PT_NONE;
	if (gs_ppn_to_pa(pte) & ((1ull << (12 + 9 * level)) - 1))
		return S2PT_NONE;
	return S2PT_LEAF;
}

static inline uint64_t gs_pte_addr(uint64_t pte, unsigned level)
{
	(void)level;
	return gs_ppn_to_pa(pte);
}

/* Decode a leaf: R/W/X, PBMT, RSW. U (always 1) and G (ignored) are not
 * part of a second-stage prot; A and D are the hardware's (hw_bits). */
static inline uint32_t gs_pte_prot(uint64_t pte, unsigned level)
{
	uint32_t prot = 0;

	(void)level;
	if (pte & GS_R)
		prot |= S2PT_R;
	if (pte & GS_W)
		prot |= S2PT_W;
	if (pte & GS_X)
		prot |= S2PT_X;
	switch (pte & GS_PBMT) {
	case GS_PBMT_NC:
		prot |= S2PT_MT_NC;
		break;
	case GS_PBMT_IO:
		prot |= S2PT_MT_DEV;
		break;
	}
	if (pte & GS_RSW0)
		prot |= S2PT_SW0;
	if (pte & GS_RSW1)
		prot |= S2PT_SW1;
	return prot;
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
	.hw_bits = GS_A | GS_D,						\
	.young_bit = GS_A,						\
	.dirty_bit = GS_D,						\
	.pte_leaf = gs_pte_leaf,					\
	.pte_table = gs_pte_table,					\
	.pte_kind = gs_pte_kind,					\
	.pte_addr = gs_pte_addr,					\
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
