// SPDX-License-Identifier: MIT
/* LoongArch LVZ GPA table: native LoongArch64 entries (as arch/loongarch/la64.c,
 * Reference Manual vol. 1 §5.4), 4 levels, empty directory slots pointing at
 * shared invalid tables as Linux KVM's GPA table does (arch/loongarch/kvm/mmu.c). */
#include <errno.h>
#include <stdint.h>
#include "core/template.h"

/*
 * Entry bits: the la64 layout (§5.4.2 TLB entry, §7.5.3 TLBELO, §5.4.5
 * page-walk formats). The GPA -> HPA translation of a guest access misses
 * into the root-mode TLB refill, which walks this table from PGDL with
 * LDDIR/LDPTE (or the hardware walker) exactly like a host table; the
 * resulting root TLB entry is tagged with the guest's GID.
 */
#define LVZ_V		(1ull << 0)	/* valid: the TLB entry translates */
#define LVZ_D		(1ull << 1)	/* "dirty": the TLB entry allows stores */
#define LVZ_PLV		(3ull << 2)	/* PLV 3:2, always 0 here (see lvz_pte_leaf) */
#define LVZ_MAT_SHIFT	4		/* MAT 5:4, memory access type, §5.3 */
#define LVZ_MAT		(3ull << LVZ_MAT_SHIFT)
#define LVZ_MAT_SUC	(0ull << LVZ_MAT_SHIFT)	/* strongly-ordered uncached */
#define LVZ_MAT_CC	(1ull << LVZ_MAT_SHIFT)	/* coherent cached */
#define LVZ_MAT_WUC	(2ull << LVZ_MAT_SHIFT)	/* weakly-ordered uncached */
#define LVZ_HUGE	(1ull << 6)	/* directory entry holding a huge page (G in a PTE) */
#define LVZ_P		(1ull << 7)	/* present: walkers only, not in the TLB */
#define LVZ_W		(1ull << 8)	/* writable: walkers only, not in the TLB */
#define LVZ_SW0		(1ull << 9)	/* 11:9: ignored by LDDIR/LDPTE and the */
#define LVZ_SW1		(1ull << 10)	/* hardware walker, R0 in TLBELO (la64.c) */
#define LVZ_SW2		(1ull << 11)
#define LVZ_SW3		(1ull << 60)	/* 60:48 above PALEN = 48: ignored likewise */
#define LVZ_NR		(1ull << 61)	/* no read (LA64 only) */
#define LVZ_NX		(1ull << 62)	/* no execute (LA64 only) */
#define LVZ_ADDR	0x0000fffffffff000ull	/* PA 47:12, PALEN = 48 */

/*
 * A guest-physical mapping has no privilege level or global attribute:
 * S2PT_U and S2PT_G are never accepted. One execute bit: no XU / XS.
 */
#define LVZ_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/* As la64: NR and NX independent (execute-only allowed), W needs R, MAT 3
 * reserved (§5.3). */
static inline int lvz_prot_check(uint32_t prot)
{
	if (prot & ~LVZ_PROT_BITS)
		return -EINVAL;
	if (!(prot & (S2PT_R | S2PT_X)))
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == S2PT_MT_MASK)
		return -EINVAL;
	return 0;
}

/*
 * A leaf: a page entry at level 0, a huge entry (HUGE) at level 1. V and P
 * together (LDPTE copies V, the hardware walker checks P); W sets D and W
 * together (Linux __WRITEABLE). MAT: WB -> CC, NC -> WUC, DEV -> SUC, as
 * Linux KVM uses CC for RAM and SUC for pass-through pages.
 * PLV = 0, RPLV = 0, G = HGLOBAL = 0: Linux KVM's GPA entries carry PLV 0
 * (kvm_map_page: _PAGE_PRESENT | __READABLE | cache | _PAGE_WRITE, no
 * _PAGE_USER) and guests at every PLV run on them, so the guest's PLV is
 * not checked against a GPA entry; G has no meaning for a GID-tagged entry.
 * NR / NX are kept from la64 so that R and X requests are encoded; Linux
 * KVM never sets them, so their effect at the GPA stage is not exercised
 * by it (no emulator models LVZ either).
 */
static inline uint64_t lvz_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	uint64_t pte = oa | LVZ_V | LVZ_P;

	if (level)
		pte |= LVZ_HUGE;
	if (prot & S2PT_W)
		pte |= LVZ_D | LVZ_W;
	if (!(prot & S2PT_R))
		pte |= LVZ_NR;
	if (!(prot & S2PT_X))
		pte |= LVZ_NX;
	switch (prot & S2PT_MT_MASK) {
	case S2PT_MT_WB:
		pte |= LVZ_MAT_CC;
		break;
	case S2PT_MT_NC:
		pte |= LVZ_MAT_WUC;
		break;
	}
	if (prot & S2PT_SW0)
		pte |= LVZ_SW0;
	if (prot & S2PT_SW1)
		pte |= LVZ_SW1;
	if (prot & S2PT_SW2)
		pte |= LVZ_SW2;
	if (prot & S2PT_SW3)
		pte |= LVZ_SW3;
	return pte;
}

/*
 * A directory entry is the next table's physical address and nothing else
 * (§5.4.5: LDDIR ORs the index into it). It has no present bit, so an
 * empty slot must point somewhere harmless: S2PT_FMT_EMPTY_TABLE makes the
 * core build one invalid table per level below the root at create (level
 * 0: all 0; level l + 1: all pointing at the level-l invalid table), like
 * Linux's invalid_pte_table / invalid_pmd_table / invalid_pud_table that
 * kvm_pgd_alloc() and kvm->arch.invalid_ptes[] use. The core compares a
 * slot with that value before asking lvz_pte_kind().
 */
static inline uint64_t lvz_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa;
}

/*
 * Level 0: a page entry, present when V and P are both set (so an empty 0
 * and an invalid-table slot read as not present). Levels 1-3: a table
 * unless HUGE; a huge entry is a leaf at level 1 (2 MiB) and level 2
 * (1 GiB, walked by LDDIR though never written here); HUGE in the root
 * (512 GiB) is no TLB page size: not present. As la64.
 */
static inline enum s2pt_kind lvz_pte_kind(uint64_t pte, unsigned level)
{
	if (level && !(pte & LVZ_HUGE))
		return S2PT_TABLE;
	if (level > 2 || (pte & (LVZ_V | LVZ_P)) != (LVZ_V | LVZ_P))
		return S2PT_NONE;
	return S2PT_LEAF;
}

/* Tables and pages: PA 47:12; huge pages: 47:21 / 47:30, the low bits
 * (HGLOBAL, LDDIR's level mark, software bits) ignored as the TLB does. */
static inline uint64_t lvz_pte_addr(uint64_t pte, unsigned level)
{
	if (level && (pte & LVZ_HUGE))
		return pte & LVZ_ADDR & ~((1ull << (12 + 9 * level)) - 1);
	return pte & LVZ_ADDR;
}

/* Decode a leaf: R from NR, W from W, X from NX, MAT (3, never written,
 * reads as DEV), software bits. PLV, RPLV, G and HGLOBAL are not decoded. */
static inline uint32_t lvz_pte_prot(uint64_t pte, unsigned level)
{
	uint32_t prot = 0;

	(void)level;
	if (!(pte & LVZ_NR))
		prot |= S2PT_R;
	if (pte & LVZ_W)
		prot |= S2PT_W;
	if (!(pte & LVZ_NX))
		prot |= S2PT_X;
	switch (pte & LVZ_MAT) {
	case LVZ_MAT_CC:
		break;
	case LVZ_MAT_WUC:
		prot |= S2PT_MT_NC;
		break;
	default:
		prot |= S2PT_MT_DEV;
		break;
	}
	if (pte & LVZ_SW0)
		prot |= S2PT_SW0;
	if (pte & LVZ_SW1)
		prot |= S2PT_SW1;
	if (pte & LVZ_SW2)
		prot |= S2PT_SW2;
	if (pte & LVZ_SW3)
		prot |= S2PT_SW3;
	return prot;
}

/*
 * The value loaded into CSR.PGDL (0x19, §7.5.5: Base 63:12, 4 KiB aligned)
 * while the guest runs, as Linux's kvm_switch_to_guest does (switch.S:
 * "Load guest PGDL"). The guest ID is not part of it: it goes in
 * CSR.GSTAT.GID (bits 23:16) and GTLBC.TGID, so @vmid must be 0.
 */
static int lvz_hw_root(const struct s2pt_hw *hw, uint64_t *val)
{
	if (hw->vmid || (hw->root_pa & 0xfff) || (hw->root_pa & ~LVZ_ADDR))
		return -EINVAL;
	*val = hw->root_pa;
	return 0;
}

/*
 * Input: plain GPAs (S2PT_FMT_STAGE2) of 48 bits, walked as VA[47:12]
 * (root index GPA[47:39]). The refill handler reads the root through
 * CSR.PGD, which gives PGDH when bit VALEN-1 (47) of the faulting address
 * is set (§7.5.7): a hypervisor that leaves the host's PGDH in place while
 * the guest runs creates the table with ia_bits = 47, as Linux KVM limits
 * guests to gpa_size = BIT(cpu_vabits - 1); with 48 it loads the root in
 * PGDH too. Leaves at levels 0 and 1 (4 KiB, 2 MiB huge PMD) as Linux.
 * hw_bits 0, as la64: V and D are preset where P and W allow them, so
 * dirty tracking write-protects (Linux KVM's kvm_mkclean_pte clears D and W).
 */
static const struct s2pt_fmt_desc lvz_desc = {
	.levels = 4,
	.ia_bits = 48,
	.ia_bits_min = 47,
	.ia_bits_max = 48,
	.oa_bits = 48,
	.leaf_levels = (1u << 0) | (1u << 1),
	.flags = S2PT_FMT_STAGE2 | S2PT_FMT_EMPTY_TABLE,
	.prot_bits = LVZ_PROT_BITS,
	.hw_bits = 0,
	.pte_leaf = lvz_pte_leaf,
	.pte_table = lvz_pte_table,
	.pte_kind = lvz_pte_kind,
	.pte_addr = lvz_pte_addr,
	.pte_prot = lvz_pte_prot,
	.prot_check = lvz_prot_check,
	.hw_root = lvz_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_lvz, "lvz", lvz_desc)
