// SPDX-License-Identifier: MIT
/* AArch64 VMSAv8-64 stage-1 entries, 4 KiB granule, 48-bit input and output
 * (ARM ARM DDI 0487, D8.3 "Translation table descriptor formats"). */
#include <errno.h>
#include <stdint.h>
#include "core/template.h"
#include "arch/arm64/a64_pte.h"

/*
 * Descriptor bits, D8.3 (table, block and page descriptors, 4 KiB granule,
 * 48-bit OA). Our level l is the architecture's lookup level 3 - l.
 * Sections cited (DDI 0487 J/K numbering): D8.4 "Memory access control",
 * D8.5 "Hardware updates to the translation tables", D8.6 "Memory region
 * attributes".
 */
#define A64_ATTR_SHIFT	2		/* AttrIndx[2:0], bits 4:2: MAIR_EL1 field (D8.6) */
#define A64_ATTR_MASK	(7ull << A64_ATTR_SHIFT)
#define A64_AP1		(1ull << 6)	/* AP[1]: EL0 access (D8.4 data access permissions) */
#define A64_AP2		(1ull << 7)	/* AP[2]: read-only at every EL */
#define A64_SH_INNER	(3ull << 8)	/* SH[1:0] = 0b11 inner shareable (D8.6) */
#define A64_AF		(1ull << 10)	/* access flag (D8.5) */
#define A64_NG		(1ull << 11)	/* not global: ASID-tagged */
#define A64_PXN		(1ull << 53)	/* privileged (EL1) execute-never */
#define A64_UXN		(1ull << 54)	/* unprivileged (EL0) execute-never */
#define A64_SW0		(1ull << 55)	/* bits 58:55 reserved for software use */
#define A64_SW1		(1ull << 56)
#define A64_SW2		(1ull << 57)
#define A64_SW3		(1ull << 58)

/* AttrIndx values matching S2PT_ARM64_MAIR (Attr0 WB, Attr1 NC, Attr2 Device-nGnRE). */
#define A64_ATTR_WB	0ull
#define A64_ATTR_NC	1ull
#define A64_ATTR_DEV	2ull

#define A64_EXEC	(S2PT_X | S2PT_XU | S2PT_XS)
#define A64_PROT_BITS	(S2PT_R | S2PT_W | A64_EXEC | S2PT_U | S2PT_G | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/*
 * What stage 1 can say exactly:
 * - every valid entry is readable at EL1 (AP[2:1] has no "no access" for
 *   EL1, D8.4), so S2PT_R is required: no execute-only;
 * - at most one of X / XU / XS (X already means both);
 * - a page writable at EL0 (AP[2:1] = 0b01) is never executable at EL1
 *   (D8.4, instruction access permissions: the PE treats it as PXN), so
 *   U | W with X or XS would be silently weakened: refused;
 * - memory type 3 is not defined.
 */
s2pt_enc int a64_prot_check(uint32_t prot)
{
	uint32_t x = prot & A64_EXEC;

	if (prot & ~A64_PROT_BITS)
		return -EINVAL;
	if (!(prot & S2PT_R))
		return -EINVAL;
	if (x & (x - 1))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == (3u << S2PT_MT_SHIFT))
		return -EINVAL;
	if ((prot & (S2PT_U | S2PT_W)) == (S2PT_U | S2PT_W) && (x & (S2PT_X | S2PT_XS)))
		return -EINVAL;
	return 0;
}

/*
 * A leaf: a page descriptor (0b11) at level 0, a block (0b01) at levels
 * 1 and 2. AF is preset so the first access takes no Access flag fault
 * (D8.5); no DBM (bit 51), so there is no hardware dirty state. SH is
 * inner shareable for every type (ignored for Device memory).
 */
s2pt_enc uint64_t a64_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | A64_VALID | A64_SH_INNER | A64_AF;

	if (level == 0)
		pte |= A64_TYPE;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_NC:
		pte |= A64_ATTR_NC << A64_ATTR_SHIFT;
		break;
	case S2PT_MT_DEV:
		pte |= A64_ATTR_DEV << A64_ATTR_SHIFT;
		break;
	}
	if (!(prot & S2PT_W))
		pte |= A64_AP2;
	if (prot & S2PT_U)
		pte |= A64_AP1;
	if (!(prot & S2PT_G))
		pte |= A64_NG;
	if (!(prot & (S2PT_X | S2PT_XS)))
		pte |= A64_PXN;
	if (!(prot & (S2PT_X | S2PT_XU)))
		pte |= A64_UXN;
	if (prot & S2PT_SW0)
		pte |= A64_SW0;
	if (prot & S2PT_SW1)
		pte |= A64_SW1;
	if (prot & S2PT_SW2)
		pte |= A64_SW2;
	if (prot & S2PT_SW3)
		pte |= A64_SW3;
	return pte;
}

/*
 * Decode a leaf as the PE enforces it. AttrIndx 3..7 are Device-nGnRnE
 * under S2PT_ARM64_MAIR (fields 0x00), so they read as DEV. An entry
 * writable at EL0 reads as not executable at EL1 (see a64_prot_check), so
 * whatever this returns is accepted by a64_prot_check.
 */
s2pt_enc uint32_t a64_pte_prot(uint64_t pte, unsigned level)
{
	uint64_t attr = (pte & A64_ATTR_MASK) >> A64_ATTR_SHIFT;
	bool pxn = pte & A64_PXN, uxn = pte & A64_UXN;
	uint32_t prot = S2PT_R;

	(void)level;
	if (!(pte & A64_AP2))
		prot |= S2PT_W;
	if (pte & A64_AP1)
		prot |= S2PT_U;
	if (!(pte & A64_NG))
		prot |= S2PT_G;
	if ((prot & (S2PT_U | S2PT_W)) == (S2PT_U | S2PT_W))
		pxn = true;
	if (!pxn && !uxn)
		prot |= S2PT_X;
	else if (!uxn)
		prot |= S2PT_XU;
	else if (!pxn)
		prot |= S2PT_XS;
	if (attr == A64_ATTR_NC)
		prot |= S2PT_MT_NC;
	else if (attr != A64_ATTR_WB)
		prot |= S2PT_MT_DEV;
	if (pte & A64_SW0)
		prot |= S2PT_SW0;
	if (pte & A64_SW1)
		prot |= S2PT_SW1;
	if (pte & A64_SW2)
		prot |= S2PT_SW2;
	if (pte & A64_SW3)
		prot |= S2PT_SW3;
	return prot;
}

/*
 * TTBR0_EL1 / TTBR1_EL1 (ARM ARM register description, TTBR0_EL1): BADDR
 * bits 47:1 (the 4 KiB root, so bits 11:1 are 0), ASID bits 63:48 from
 * @vmid, CnP bit 0 = 0. ASIDs are up to 16 bits (TCR_EL1.AS = 1 for more
 * than 8; with AS = 0 the CPU ignores ASID[15:8]); wider -> -EINVAL. The
 * value is the same for either register: a table made with S2PT_OPT_TTBR1
 * goes in TTBR1_EL1 (its ASID counts only with TCR_EL1.A1 = 1), a
 * sign-extended one (neither option) serves both halves, in both.
 */
static int a64_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid > 0xffff || (hw->root_pa & ~A64_ADDR))
		return -EINVAL;
	*val = hw->root_pa | (uint64_t)hw->vmid << 48;
	return 0;
}

/* TTBRn_EL1 with TnSZ = 16, TG = 4 KiB: four lookup levels, 0..3; blocks
 * at lookup levels 1 (1 GiB) and 2 (2 MiB). Break-before-make when the
 * output address or block size of a valid entry changes (D8, "Using
 * break-before-make when updating translation table entries"). */
static const struct s2pt_fmt_desc arm64_4k_desc = {
	.levels = 4,
	.ia_bits = 48,
	.ia_bits_min = 48,
	.ia_bits_max = 48,
	.oa_bits = 48,
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),
	.flags = S2PT_FMT_CANONICAL | S2PT_FMT_BBM | S2PT_FMT_TTBR | S2PT_FMT_EXEC_U_ANY,
	.prot_bits = A64_PROT_BITS,
	.hw_bits = A64_AF,
	.locked = A64_LOCKED,
	.young_bit = A64_AF,
	.dirty_bit = 0,
	.pte_leaf = a64_pte_leaf,
	.pte_table = a64_pte_table,
	.pte_kind = a64_pte_kind,
	.pte_addr = a64_pte_addr,
	.pte_prot = a64_pte_prot,
	.prot_check = a64_prot_check,
	.hw_root = a64_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_arm64_4k, "arm64_4k", arm64_4k_desc)
