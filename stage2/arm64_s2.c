// SPDX-License-Identifier: MIT
/* ARM VMSAv8-64 stage-2 entries, 4 KiB granule, 32..48-bit IPA with a
 * concatenated root, and the VTTBR_EL2 / VTCR_EL2 values that walk them
 * (ARM ARM DDI 0487, D8 "The AArch64 Virtual Memory System Architecture"). */
#include <errno.h>
#include <stdint.h>
#include "core/template.h"
#include "arch/arm64/a64_pte.h"

/*
 * Stage-2 block and page descriptors, D8.3 "Translation table descriptor
 * formats" (stage 2 attribute fields). Our level l is the architecture's
 * lookup level 3 - l. Sections cited (DDI 0487 J/K numbering): D8.2
 * "Translation tables and the translation process" (start level,
 * concatenated tables), D8.4 "Memory access control", D8.5 "Hardware
 * updates to the translation tables", D8.6 "Memory region attributes".
 */
#define S2_MEMATTR_SHIFT 2		/* MemAttr[3:0], bits 5:2 (D8.6, stage 2) */
#define S2_MEMATTR_MASK	(0xfull << S2_MEMATTR_SHIFT)
#define S2_S2AP_R	(1ull << 6)	/* S2AP[0]: data read allowed (D8.4) */
#define S2_S2AP_W	(1ull << 7)	/* S2AP[1]: data write allowed */
#define S2_SH_INNER	(3ull << 8)	/* SH[1:0] = 0b11 inner shareable (D8.6) */
#define S2_AF		(1ull << 10)	/* access flag (D8.5) */
#define S2_XN_SHIFT	53		/* XN[1:0], bits 54:53 (D8.4, FEAT_XNX) */
#define S2_XN_MASK	(3ull << S2_XN_SHIFT)
#define S2_SW0		(1ull << 55)	/* bits 58:55 reserved for software use */
#define S2_SW1		(1ull << 56)
#define S2_SW2		(1ull << 57)
#define S2_SW3		(1ull << 58)

/*
 * XN[1:0] with FEAT_XNX (D8.4, "Stage 2 instruction access permissions"):
 * 0b00 executable at EL1 and EL0; 0b01 not at EL1 (EL0 only); 0b10 at
 * neither; 0b11 not at EL0 (EL1 only). Without FEAT_XNX XN[0] is ignored
 * (RES0): XU (0b01) would execute at both ELs and XS (0b11) at neither, so
 * S2PT_XU and S2PT_XS need a CPU with ID_AA64MMFR1_EL1.XNX = 1; S2PT_X and
 * no execute mean the same everywhere.
 */
#define S2_XN_NONE	0ull		/* S2PT_X */
#define S2_XN_EL0_ONLY	1ull		/* S2PT_XU */
#define S2_XN_ALL	2ull		/* no execute */
#define S2_XN_EL1_ONLY	3ull		/* S2PT_XS */

/*
 * MemAttr with HCR_EL2.FWB = 0 (D8.6, "Stage 2 memory region attributes"):
 * MemAttr[3:2] = 0b00 is Device with MemAttr[1:0] the type (0b01 nGnRE);
 * otherwise MemAttr[3:2] is the outer and MemAttr[1:0] the inner
 * cacheability (0b01 non-cacheable, 0b10 write-through, 0b11 write-back).
 * Stage 2 only restricts stage 1 (the combined type is the more restrictive
 * one), so WB here lets the guest choose. The hypervisor must run with
 * HCR_EL2.FWB = 0: under FEAT_S2FWB the same field means something else.
 */
#define S2_MT_WB	0xfull		/* Normal, outer WB, inner WB */
#define S2_MT_NC	0x5ull		/* Normal, outer NC, inner NC */
#define S2_MT_DEV	0x1ull		/* Device-nGnRE */

#define S2_EXEC		(S2PT_X | S2PT_XU | S2PT_XS)
#define S2_PROT_BITS	(S2PT_R | S2PT_W | S2_EXEC | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/* The IPA widths DESIGN.md allows; the lookup levels for each are below. */
#define S2_IA_MIN	32
#define S2_IA_MAX	48
#define S2_IA_DEFAULT	40

/*
 * The fewest levels whose root is at most 16 concatenated tables (D8.2,
 * "Concatenated translation tables for the initial lookup"): a root at
 * our level n - 1 resolves ia_bits - (12 + 9 (n - 1)) bits, at most
 * 9 + 4. That gives 32..34 bits: 2 levels (start level 2), 35..43: 3
 * (start level 1), 44..48: 4 (start level 0), as Linux KVM's
 * stage2_pgtable_levels(). Each is a valid combination: the ARM ARM
 * pseudocode AArch64.S2InconsistentSL allows start level s for IPA sizes
 * from (3 - s) * 9 + 12 + 1 to that + 8 + 4, i.e. level 2: 22..34,
 * level 1: 31..43, level 0: 40..52; so no start level ever needs moving.
 */
static unsigned s2_levels_for(unsigned ia_bits)
{
	unsigned n = 2;

	while (ia_bits > 12 + 9 * n + 4)
		n++;
	return n;
}

/*
 * What stage 2 can say exactly:
 * - S2AP 0b10 is write-only, but the generic rule (write needs read)
 *   refuses W without R for every format, so it is never produced;
 * - execute-only is valid: S2AP = 0b00 with XN allowing execution
 *   (instruction fetches do not need S2AP read, D8.4);
 * - at most one of X / XU / XS (X already means both);
 * - no S2PT_U / S2PT_G (not in .prot_bits), memory type 3 undefined.
 */
s2pt_enc int s2_prot_check(uint32_t prot)
{
	uint32_t x = prot & S2_EXEC;

	if (prot & ~S2_PROT_BITS)
		return -EINVAL;
	if (!(prot & (S2PT_R | S2_EXEC)))
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if (x & (x - 1))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == (3u << S2PT_MT_SHIFT))
		return -EINVAL;
	return 0;
}

/*
 * A leaf: a page descriptor (0b11) at level 0, a block (0b01) at levels 1
 * (2 MiB) and 2 (1 GiB). AF is preset so the first access takes no Access
 * flag fault (D8.5; VTCR_EL2.HA stays 0). No DBM (bit 51): no hardware
 * dirty state, dirty logging write-protects. SH inner shareable for every
 * type (ignored for Device). Bit 11 (FnXS with FEAT_XS) stays 0.
 */
s2pt_enc uint64_t s2_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | A64_VALID | S2_SH_INNER | S2_AF, xn;

	if (level == 0)
		pte |= A64_TYPE;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_NC:
		pte |= S2_MT_NC << S2_MEMATTR_SHIFT;
		break;
	case S2PT_MT_DEV:
		pte |= S2_MT_DEV << S2_MEMATTR_SHIFT;
		break;
	default:
		pte |= S2_MT_WB << S2_MEMATTR_SHIFT;
		break;
	}
	if (prot & S2PT_R)
		pte |= S2_S2AP_R;
	if (prot & S2PT_W)
		pte |= S2_S2AP_W;
	if (prot & S2PT_X)
		xn = S2_XN_NONE;
	else if (prot & S2PT_XU)
		xn = S2_XN_EL0_ONLY;
	else if (prot & S2PT_XS)
		xn = S2_XN_EL1_ONLY;
	else
		xn = S2_XN_ALL;
	pte |= xn << S2_XN_SHIFT;
	if (prot & S2PT_SW0)
		pte |= S2_SW0;
	if (prot & S2PT_SW1)
		pte |= S2_SW1;
	if (prot & S2PT_SW2)
		pte |= S2_SW2;
	if (prot & S2PT_SW3)
		pte |= S2_SW3;
	return pte;
}

/*
 * Decode a leaf as the PE enforces it (with FEAT_XNX). MemAttr: any Device
 * type (0b00xx) reads as DEV; Normal inner and outer write-back (0b1111)
 * as WB; any other Normal combination (non-cacheable or write-through on
 * either side, or the reserved inner 0b00) as NC, the nearest type that
 * claims no more caching than the entry gives.
 */
s2pt_enc uint32_t s2_pte_prot(uint64_t pte, unsigned level)
{
	uint64_t mt = (pte & S2_MEMATTR_MASK) >> S2_MEMATTR_SHIFT;
	uint32_t prot = 0;

	(void)level;
	if (pte & S2_S2AP_R)
		prot |= S2PT_R;
	if (pte & S2_S2AP_W)
		prot |= S2PT_W;
	switch ((pte & S2_XN_MASK) >> S2_XN_SHIFT) {
	case S2_XN_NONE:
		prot |= S2PT_X;
		break;
	case S2_XN_EL0_ONLY:
		prot |= S2PT_XU;
		break;
	case S2_XN_EL1_ONLY:
		prot |= S2PT_XS;
		break;
	}
	if ((mt >> 2) == 0)
		prot |= S2PT_MT_DEV;
	else if (mt != S2_MT_WB)
		prot |= S2PT_MT_NC;
	if (pte & S2_SW0)
		prot |= S2PT_SW0;
	if (pte & S2_SW1)
		prot |= S2PT_SW1;
	if (pte & S2_SW2)
		prot |= S2PT_SW2;
	if (pte & S2_SW3)
		prot |= S2PT_SW3;
	return prot;
}

/* Bytes of the (possibly concatenated) root: 8 bytes per entry, the root
 * resolving ia_bits - (12 + 9 (levels - 1)) bits, at least one page. */
static inline uint64_t s2_root_bytes(unsigned ia_bits, unsigned levels)
{
	uint64_t b = 8ull << (ia_bits - (12 + 9 * (levels - 1)));

	return b < 4096 ? 4096 : b;
}

/*
 * VTTBR_EL2 (ARM ARM register description, VTTBR_EL2): BADDR bits 47:1,
 * aligned to the concatenated root's size (the bits below it are RES0);
 * VMID bits 63:48; CnP bit 0 = 0. VMIDs are 8 bits: the VTCR_EL2 that
 * s2pt_arm64_vtcr() gives leaves VS (bit 19) 0, and with VS = 0 VMID[15:8]
 * must be zero (RES0 where only 8 bits are implemented). Wider -> -EINVAL.
 */
static int s2_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid > 0xff)
		return -EINVAL;
	if (hw->root_pa & ~A64_ADDR || hw->root_pa & (s2_root_bytes(hw->ia_bits, hw->levels) - 1))
		return -EINVAL;
	*val = hw->root_pa | (uint64_t)hw->vmid << 48;
	return 0;
}

/* Break-before-make when the output address or block size of a valid
 * entry changes (D8, "Using break-before-make when updating translation
 * table entries"). Blocks at lookup levels 1 and 2 only (no DS). */
static const struct s2pt_fmt_desc arm64_s2_desc = {
	.levels = 3,
	.ia_bits = S2_IA_DEFAULT,
	.ia_bits_min = S2_IA_MIN,
	.ia_bits_max = S2_IA_MAX,
	.oa_bits = 48,
	.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),
	.flags = S2PT_FMT_STAGE2 | S2PT_FMT_BBM,
	.prot_bits = S2_PROT_BITS,
	.hw_bits = S2_AF,
	.locked = A64_LOCKED,
	.young_bit = S2_AF,
	.dirty_bit = 0,
	.levels_for = s2_levels_for,
	.pte_leaf = s2_pte_leaf,
	.pte_table = a64_pte_table,
	.pte_kind = a64_pte_kind,
	.pte_addr = a64_pte_addr,
	.pte_prot = s2_pte_prot,
	.prot_check = s2_prot_check,
	.hw_root = s2_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_arm64_s2, "arm64_s2", arm64_s2_desc)

/* VTCR_EL2 fields (ARM ARM register description, VTCR_EL2). */
#define VTCR_T0SZ_SHIFT		0	/* bits 5:0: IPA size = 64 - T0SZ */
#define VTCR_SL0_SHIFT		6	/* bits 7:6: start level (4K: 0b00 L2, 0b01 L1, 0b10 L0) */
#define VTCR_IRGN0_WBWA		(1ull << 8)	/* bits 9:8 = 0b01: inner WB RA WA walks */
#define VTCR_ORGN0_WBWA		(1ull << 10)	/* bits 11:10 = 0b01: outer WB RA WA walks */
#define VTCR_SH0_INNER		(3ull << 12)	/* bits 13:12 = 0b11: inner shareable walks */
#define VTCR_TG0_4K		(0ull << 14)	/* bits 15:14 = 0b00: 4 KiB granule */
#define VTCR_PS_SHIFT		16	/* bits 18:16: output (physical) address size */
#define VTCR_RES1		(1ull << 31)

/*
 * PS encodings (as ID_AA64MMFR0_EL1.PARange): 0b000 32 bits, 0b001 36,
 * 0b010 40, 0b011 42, 0b100 44, 0b101 48, 0b110 52.
 */
static int vtcr_ps(unsigned pa_range_bits, uint64_t *ps)
{
	static const unsigned char bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	for (unsigned i = 0; i < sizeof(bits); i++) {
		if (bits[i] == pa_range_bits) {
			*ps = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * VTCR_EL2 for @pt. SL0 = levels - 2: 2 levels start at lookup level 2
 * (0b00), 3 at level 1 (0b01), 4 at level 0 (0b10). AArch64.S2InvalidSL
 * also wants PAMax >= 44 for SL0 = 0b10; 4 levels mean ia_bits >= 44 and
 * ia_bits <= pa_range_bits is checked, so that holds. VS, HA, HD, DS and
 * every other field stay 0 (8-bit VMID, no hardware AF/dirty updates).
 */
int s2pt_arm64_vtcr(const struct s2pt *pt, unsigned pa_range_bits, uint64_t *vtcr)
{
	struct s2pt_info info;
	uint64_t ps;

	if (!pt || !vtcr || s2pt_info(pt, &info) || info.fmt != &s2pt_fmt_arm64_s2)
		return -EINVAL;
	if (vtcr_ps(pa_range_bits, &ps) || info.ia_bits > pa_range_bits)
		return -EINVAL;
	*vtcr = (uint64_t)(64 - info.ia_bits) << VTCR_T0SZ_SHIFT |
		(uint64_t)(info.levels - 2) << VTCR_SL0_SHIFT |
		VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA | VTCR_SH0_INNER | VTCR_TG0_4K |
		ps << VTCR_PS_SHIFT | VTCR_RES1;
	return 0;
}
