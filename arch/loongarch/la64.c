// SPDX-License-Identifier: MIT
/* LoongArch64 first-stage tables (arch/loongarch/la_pte.h), 4 KiB pages, 4 levels,
 * 48-bit VA, as walked by LDDIR/LDPTE or the hardware walker (LoongArch Reference
 * Manual vol. 1 §5.4). */
#include <stdint.h>
#include "arch/loongarch/la_pte.h"
#include "core/template.h"

/*
 * PWCL: PTbase 12, PTwidth 9, Dir1 21/9, Dir2 30/9; PWCH: Dir3 39/9
 * (§7.5.8, §7.5.9). VA bit 47 picks PGDL or PGDH (§5.4.5, §7.5.5-6), each
 * walked with VA[47:39] as the root index, so one root loaded into both
 * serves the sign-extended upper half at root slots 256..511:
 * S2PT_FMT_CANONICAL. Leaves at levels 0 and 1 (huge PMD, as Linux).
 * hw_bits is 0: the hardware walker sets V and D only where P and W allow
 * and they are preset there; keeping D across a rewrite that drops W would
 * leave the page writable to LDPTE-refilled TLBs.
 */
static const struct s2pt_fmt_desc la64_desc = {
	.levels = 4,
	.ia_bits = 48,
	.ia_bits_min = 48,
	.ia_bits_max = 48,
	.oa_bits = 48,
	.leaf_levels = (1u << 0) | (1u << 1),
	.flags = S2PT_FMT_CANONICAL,
	.prot_bits = LA_PROT_BITS,
	.hw_bits = 0,
	.locked = LA_LOCKED,
	.pte_leaf = la_pte_leaf,
	.pte_table = la_pte_table,
	.pte_kind = la_pte_kind,
	.pte_addr = la_pte_addr,
	.pte_prot = la_pte_prot,
	.prot_check = la_prot_check,
	.hw_root = la_hw_root,
};
S2PT_DEFINE_FMT(s2pt_fmt_la64, "la64", la64_desc)
