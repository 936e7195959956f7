// SPDX-License-Identifier: MIT
/* LoongArch LVZ GPA table: native LoongArch64 entries (arch/loongarch/la_pte.h,
 * Reference Manual vol. 1 §5.4), 4 levels, empty directory slots pointing at
 * shared invalid tables as Linux KVM's GPA table does (arch/loongarch/kvm/mmu.c). */
#include <errno.h>
#include <stdint.h>
#include "arch/loongarch/la_pte.h"
#include "core/template.h"

/*
 * Entries: the la64 layout (§5.4.2 TLB entry, §7.5.3 TLBELO, §5.4.5
 * page-walk formats), so the encoders of arch/loongarch/la_pte.h serve but
 * for the lvz_ ones below. The GPA -> HPA translation of a guest access
 * misses into the root-mode TLB refill, which walks this table from PGDL
 * with LDDIR/LDPTE (or the hardware walker) exactly like a host table; the
 * resulting root TLB entry is tagged with the guest's GID. PLV is always 0
 * here (see lvz_pte_leaf).
 */

/*
 * A guest-physical mapping has no privilege level or global attribute:
 * S2PT_U and S2PT_G are never accepted. One execute bit: no XU / XS.
 */
#define LVZ_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/* As la64: NR and NX independent (execute-only allowed), W needs R, MAT 3
 * reserved (§5.3). */
s2pt_enc int lvz_prot_check(uint32_t prot)
{
	return la_prot_check_in(prot, LVZ_PROT_BITS);
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
s2pt_enc uint64_t lvz_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	return la_pte_leaf(oa, prot & ~(S2PT_U | S2PT_G), level);
}

/* Decode a leaf: R from NR, W from W, X from NX, MAT (3, never written,
 * reads as DEV), software bits. PLV, RPLV, G and HGLOBAL are not decoded. */
s2pt_enc uint32_t lvz_pte_prot(uint64_t pte, unsigned level)
{
	return la_pte_prot(pte & ~(LA_PLV | LA_G | LA_HGLOBAL), level);
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
 *
 * A directory entry is the next table's physical address and nothing else
 * (§5.4.5: LDDIR ORs the index into it), as in la64. It has no present
 * bit, so an empty slot must point somewhere harmless: S2PT_FMT_EMPTY_TABLE
 * makes the core build one invalid table per level below the root at
 * create (level 0: all 0; level l + 1: all pointing at the level-l invalid
 * table), like Linux's invalid_pte_table / invalid_pmd_table /
 * invalid_pud_table that kvm_pgd_alloc() and kvm->arch.invalid_ptes[] use.
 * The core compares a slot with that value before asking la_pte_kind():
 * level 0 needs V and P (so an empty 0 and an invalid-table slot read as
 * not present), levels 1-3 are tables unless HUGE.
 *
 * The root value is the one loaded into CSR.PGDL (0x19, §7.5.5: Base
 * 63:12, 4 KiB aligned) while the guest runs, as Linux's
 * kvm_switch_to_guest does (switch.S: "Load guest PGDL"). The guest ID is
 * not part of it: it goes in CSR.GSTAT.GID (bits 23:16) and GTLBC.TGID, so
 * @vmid must be 0.
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
	.locked = LA_LOCKED,
	.pte_leaf = lvz_pte_leaf,
	.pte_table = la_pte_table,
	.pte_kind = la_pte_kind,
	.pte_addr = la_pte_addr,
	.pte_prot = lvz_pte_prot,
	.prot_check = lvz_prot_check,
	.hw_root = la_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_lvz, "lvz", lvz_desc)
