// SPDX-License-Identifier: MIT
/* Intel EPT second-stage entries (SDM vol. 3C §29.3, Tables 29-1..29-6) and
 * the EPTP that loads them (§25.6.11); 4-level and 5-level walks. */
#include <errno.h>
#include <stdint.h>
#include "arch/x86/x86_pte.h"
#include "core/template.h"

/*
 * Entry bits, SDM 3C Table 29-1 (PML4E; the PML5E of §29.3.2 is alike),
 * 29-2 (PDPTE, 1 GiB page), 29-3 (PDPTE -> PD), 29-4 (PDE, 2 MiB page),
 * 29-5 (PDE -> PT), 29-6 (PTE, 4 KiB page).
 */
#define EPT_R		(1ull << 0)	/* read access, every entry */
#define EPT_W		(1ull << 1)	/* write access, every entry */
#define EPT_X		(1ull << 2)	/* execute; supervisor-mode only with MBEC */
#define EPT_MT_SHIFT	3		/* leaves: EPT memory type, bits 5:3 (§29.3.7) */
#define EPT_MT_MASK	(7ull << EPT_MT_SHIFT)
#define EPT_MT_UC	0ull		/* memory types, §29.3.7 */
#define EPT_MT_WC	1ull
#define EPT_MT_WT	4ull
#define EPT_MT_WP	5ull
#define EPT_MT_WB	6ull
#define EPT_IPAT	(1ull << 6)	/* leaves: ignore guest PAT (§29.3.7.2) */
#define EPT_PS		(1ull << 7)	/* PDPTE / PDE: 1 = leaf (29-2, 29-4);
					 * reserved in PML4E / PML5E (29-1) */
#define EPT_A		(1ull << 8)	/* accessed, if EPTP bit 6; ignored otherwise
					 * (§29.3.5) */
#define EPT_D		(1ull << 9)	/* leaves: dirty, if EPTP bit 6 (§29.3.5) */
#define EPT_XU		(1ull << 10)	/* user-mode execute if the "mode-based
					 * execute control for EPT" is 1 (MBEC);
					 * ignored otherwise */
#define EPT_SW0		(1ull << 11)	/* bit 11 ignored in every entry */
/* Not present (bits 2:0 and, for MBEC, bit 10 clear: §29.3.2), so every other
 * bit is ignored: the locked marker of core/fmt.h, in bit 11. */
#define EPT_LOCKED	EPT_SW0
#define EPT_SW1		(1ull << 52)	/* bits 56:52 ignored in every entry; 57,
					 * 58, 60, 61 and 63 have optional uses */
#define EPT_SW2		(1ull << 53)
#define EPT_SW3		(1ull << 54)
#define EPT_TBL_RSVD	0x78ull		/* table entries: bits 6:3 reserved */
#define EPT_ADDR	0x000ffffffffff000ull	/* bits (N-1):12, N <= 52 */

/* EPTP, SDM 3C §25.6.11. */
#define EPTP_MT_WB	6ull		/* bits 2:0: walks are write-back */
#define EPTP_PWL_SHIFT	3		/* bits 5:3: page-walk length - 1 */
#define EPTP_AD		(1ull << 6)	/* bit 6: enable A/D flags */

#define EPT_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_XU | S2PT_XS | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)
#define EPT_EXEC	(S2PT_X | S2PT_XU | S2PT_XS)

/*
 * §29.3.3.1: an entry with write but not read is a misconfiguration, so W
 * needs R. Execute-only pages (R = W = 0, X = 1) are allowed: the
 * capability (IA32_VMX_EPT_VPID_CAP bit 0) is common, and a hypervisor on
 * a processor without it must not ask for them (it would misconfigure).
 * Execute is one of: none, X (bits 2 and 10), XS (bit 2) or XU (bit 10);
 * X with XU or XS, or XU with XS, would decode differently and is
 * refused. Something must be granted, else the entry would be not
 * present (§29.3.2).
 */
s2pt_enc int ept_prot_check(uint32_t prot)
{
	uint32_t x = prot & EPT_EXEC;

	if (prot & ~EPT_PROT_BITS)
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if (!(prot & S2PT_R) && !x)
		return -EINVAL;
	if (x && x != S2PT_X && x != S2PT_XU && x != S2PT_XS)
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == (3u << S2PT_MT_SHIFT))
		return -EINVAL;
	return 0;
}

/*
 * A leaf at @level (0: PTE, 1: 2 MiB PDE, 2: 1 GiB PDPTE).
 * - A is preset (§29.3.5: with EPTP bit 6 the processor would otherwise
 *   write it on first use; without it bit 8 is ignored). D stays 0.
 * - Memory type (§29.3.7.2): WB = type 6 with IPAT = 1, so a guest PAT
 *   entry cannot make ordinary RAM uncached; that is right for RAM whose
 *   DMA is coherent and it is what KVM does for such RAM. NC = type 1
 *   (WC) and DEV = type 0 (UC) keep IPAT = 0: the EPT type then combines
 *   with the guest PAT like an MTRR type (SDM 3A ch. 13, the PAT / MTRR
 *   combination table), so the guest may only make it stricter or, on
 *   UC, choose WC (a device framebuffer), never cacheable; this is what
 *   KVM does for MMIO.
 * - S2PT_X sets both execute bits; XS only bit 2 and XU only bit 10.
 *   Without MBEC bit 2 alone governs every fetch and bit 10 is ignored.
 */
s2pt_enc uint64_t ept_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | EPT_A;

	if (level)
		pte |= EPT_PS;
	pte |= prot & (S2PT_R | S2PT_W);			/* bits 0, 1 as R, W */
	pte |= (prot | prot >> 2) & S2PT_X;			/* X or XS (bit 4) -> bit 2 */
	pte |= (uint64_t)((prot >> 2 | prot >> 3) & 1) << 10;	/* X or XU (bit 3) -> 10 */
	/* WB: type 6 | IPAT (0x70); NC: type 1 (0x08); DEV: type 0 */
	pte |= (0x0870u >> ((prot & S2PT_MT_MASK) >> 5)) & 0xff;
	pte |= (prot & S2PT_SW0) >> 1;				/* bit 12 -> 11 */
	pte |= (uint64_t)(prot & (S2PT_SW1 | S2PT_SW2 | S2PT_SW3)) << 39;	/* 13..15 -> 52..54 */
	return pte;
}

/*
 * A non-leaf entry: R | W | X | XU so that the leaf alone decides (rights
 * are the AND over the walk, §29.3.3.2), and A preset as in a leaf.
 * Bits 6:3 are reserved (29-1, 29-3, 29-5) and stay 0.
 */
s2pt_enc uint64_t ept_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa | EPT_R | EPT_W | EPT_X | EPT_XU | EPT_A;
}

/*
 * §29.3.2: an entry with bits 2:0 clear is not present (with MBEC, bit 10
 * also counts: an XU-only entry is present). What would cause an EPT
 * misconfiguration (§29.3.3.1) translates nothing and reads as not
 * present too: write without read, bit 7 in a PML4E / PML5E, reserved
 * bits 6:3 in a table entry, memory type 2, 3 or 7 in a leaf.
 */
s2pt_enc enum s2pt_kind ept_pte_kind(uint64_t pte, unsigned level)
{
	uint64_t mt = (pte & EPT_MT_MASK) >> EPT_MT_SHIFT;

	if (!(pte & (EPT_R | EPT_W | EPT_X | EPT_XU)))
		return S2PT_NONE;
	if ((pte & (EPT_R | EPT_W)) == EPT_W)
		return S2PT_NONE;
	if (level == 0 || (level <= 2 && (pte & EPT_PS)))
		return mt == 2 || mt == 3 || mt == 7 ? S2PT_NONE : S2PT_LEAF;
	if ((pte & EPT_PS) || (pte & EPT_TBL_RSVD))
		return S2PT_NONE;
	return S2PT_TABLE;
}

/*
 * Decode a leaf. Type 6 reads as WB, 1 as NC, 0 as DEV whatever IPAT
 * says; WT (4) and WP (5), which the library never writes, are cached
 * normal memory and read as WB. A, D and the optional-use bits are not
 * part of prot.
 */
s2pt_enc uint32_t ept_pte_prot(uint64_t pte, unsigned level)
{
	unsigned x = (pte >> 2 & 1) | (pte >> 9 & 2);		/* bit 2, bit 10 */
	unsigned mt = pte >> EPT_MT_SHIFT & 7;
	uint64_t prot;

	(void)level;
	prot = pte & (S2PT_R | S2PT_W);
	/* x: 0 none, 1 bit 2 only (XS), 2 bit 10 only (XU), 3 both (X) */
	prot |= (0x04081000u >> (8 * x)) & 0xff;
	/* type 0 DEV (2), 1 NC (1), 2..7 WB (0) */
	prot |= (uint64_t)((0x6u >> (2 * mt)) & 3) << S2PT_MT_SHIFT;
	prot |= (pte << 1) & S2PT_SW0;				/* bit 11 -> 12 */
	prot |= (pte >> 39) & (S2PT_SW1 | S2PT_SW2 | S2PT_SW3);	/* 52..54 -> 13..15 */
	return (uint32_t)prot;
}

/*
 * EPTP (§25.6.11): walks write-back (type 6 in bits 2:0; the processor
 * must report WB in IA32_VMX_EPT_VPID_CAP bit 14), walk length - 1 in
 * bits 5:3 (3 or 4, capability bits 6 / 7), A/D enable in bit 6 when the
 * table was made with S2PT_OPT_AD (capability bit 21), the root in bits
 * 51:12; bit 7 (supervisor shadow-stack control) 0. The EPTP has no tag:
 * the VPID is a separate VMCS field, so @vmid must be 0.
 */
static int ept_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid || (hw->root_pa & ~EPT_ADDR))
		return -EINVAL;
	*val = hw->root_pa | (uint64_t)(hw->levels - 1) << EPTP_PWL_SHIFT | EPTP_MT_WB;
	if (hw->opt_flags & S2PT_OPT_AD)
		*val |= EPTP_AD;
	return 0;
}

/*
 * 4 KiB / 2 MiB / 1 GiB leaves, 52-bit physical addresses. The address of
 * an entry decodes as first stage's (x86_pte_addr): bits 51:12, and a
 * huge leaf (bit 7 = 1 at levels 1 and 2, as PS) has reserved bits 20:12 /
 * 29:12 (29-4, 29-2) where x86 keeps PAT.
 */
_Static_assert(EPT_PS == X86_PS && EPT_ADDR == X86_ADDR, "EPT addresses decode as x86's");

#define EPT_DESC(name, lv, bits)					\
static const struct s2pt_fmt_desc name = {				\
	.levels = (lv),							\
	.ia_bits = (bits),						\
	.ia_bits_min = (bits),						\
	.ia_bits_max = (bits),						\
	.oa_bits = 52,							\
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),		\
	.flags = S2PT_FMT_STAGE2 | S2PT_FMT_OPT_AD | S2PT_FMT_XU_BY_PAGE,	\
	.prot_bits = EPT_PROT_BITS,					\
	.hw_bits = EPT_A | EPT_D,					\
	.locked = EPT_LOCKED,						\
	.young_bit = EPT_A,						\
	.dirty_bit = EPT_D,						\
	.pte_leaf = ept_pte_leaf,					\
	.pte_table = ept_pte_table,					\
	.pte_kind = ept_pte_kind,					\
	.pte_addr = x86_pte_addr,					\
	.pte_prot = ept_pte_prot,					\
	.prot_check = ept_prot_check,					\
	.hw_root = ept_hw_root,						\
}

/* 4-level EPT: 48-bit guest-physical addresses (§29.3.2). */
EPT_DESC(ept4_desc, 4, 48);
S2PT_DEFINE_FMT(s2pt_fmt_ept4, "ept4", ept4_desc)

/* 5-level EPT: an EPT PML5 above the PML4, 57-bit guest-physical
 * addresses; no 512 GiB or 256 TiB leaves (bit 7 reserved there). */
EPT_DESC(ept5_desc, 5, 57);
S2PT_DEFINE_FMT(s2pt_fmt_ept5, "ept5", ept5_desc)
