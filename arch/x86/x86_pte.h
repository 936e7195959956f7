/* SPDX-License-Identifier: MIT */
/*
 * x86 long-mode paging entries (Intel SDM vol. 3A §4.5): the first-stage
 * encoders, which AMD nested paging (stage2/npt.c) derives from.
 */
#ifndef S2PT_ARCH_X86_X86_PTE_H
#define S2PT_ARCH_X86_X86_PTE_H

#include <errno.h>
#include <stdint.h>
#include "core/fmt.h"

/*
 * Entry bits, SDM 3A §4.5 Tables 4-14 (PML5E), 4-15 (PML4E), 4-16 (PDPTE,
 * 1 GiB page), 4-17 (PDPTE -> PD), 4-18 (PDE, 2 MiB page), 4-19 (PDE -> PT),
 * 4-20 (PTE, 4 KiB page).
 */
#define X86_P		(1ull << 0)	/* present, all tables */
#define X86_RW		(1ull << 1)	/* read/write, all tables */
#define X86_US		(1ull << 2)	/* user/supervisor, all tables */
#define X86_PWT		(1ull << 3)	/* page-level write-through, §4.9.2 */
#define X86_PCD		(1ull << 4)	/* page-level cache disable, §4.9.2 */
#define X86_A		(1ull << 5)	/* accessed, §4.8 */
#define X86_D		(1ull << 6)	/* dirty, leaves only (4-16, 4-18, 4-20) */
#define X86_PS		(1ull << 7)	/* page size: PDPTE/PDE 1 = leaf (4-16, 4-18);
					 * reserved in PML5E/PML4E (4-14, 4-15);
					 * PAT in a PTE (4-20) */
#define X86_G		(1ull << 8)	/* global, leaves only, §4.10 */
#define X86_SW0		(1ull << 9)	/* bits 11:9 ignored in every entry */
#define X86_SW1		(1ull << 10)
#define X86_SW2		(1ull << 11)	/* HLAT restart only under HLAT paging, §4.5.1 */
#define X86_PAT_HUGE	(1ull << 12)	/* PAT in a 1 GiB / 2 MiB leaf (4-16, 4-18) */
#define X86_SW3		(1ull << 52)	/* bits 58:52 ignored in leaves, 62:52 in tables */
#define X86_XD		(1ull << 63)	/* execute-disable, needs IA32_EFER.NXE, §4.6 */
#define X86_ADDR	0x000ffffffffff000ull	/* bits (M-1):12, M <= 52, §4.1.4 */
/* Not present (P = 0: every other bit ignored, SDM 3A §4.5 Tables 4-15..4-20,
 * APM vol. 2 §5.4.1): the locked marker of core/fmt.h, in bits 9 and 11. */
#define X86_LOCKED	(X86_SW0 | X86_SW2)

#define X86_PROT_BITS	(S2PT_R | S2PT_W | S2PT_X | S2PT_U | S2PT_G | S2PT_MT_MASK | \
			 S2PT_SW0 | S2PT_SW1 | S2PT_SW2 | S2PT_SW3)

/* Low address bit of a leaf at @level: 12, 21, 30 (4-20, 4-18, 4-16). */
s2pt_enc uint64_t x86_leaf_mask(unsigned level)
{
	return X86_ADDR & ~((1ull << (12 + 9 * level)) - 1);
}

/*
 * Every present x86 entry is readable (§4.6: no execute-only or write-only
 * pages), so S2PT_R is required. There is one execute control (XD), so the
 * split S2PT_XU / S2PT_XS are refused (outside X86_PROT_BITS). Memory
 * type 3 is not defined. x86_prot_check_in() applies these rules to a
 * format's own set of S2PT_* bits, @allowed.
 */
s2pt_enc int x86_prot_check_in(uint32_t prot, uint32_t allowed)
{
	if (prot & ~allowed)
		return -EINVAL;
	if (!(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == (3u << S2PT_MT_SHIFT))
		return -EINVAL;
	return 0;
}

s2pt_enc int x86_prot_check(uint32_t prot)
{
	return x86_prot_check_in(prot, X86_PROT_BITS);
}

/*
 * A leaf at @level (0: PTE, 1: 2 MiB PDE, 2: 1 GiB PDPTE). A is preset so
 * the first access does not make the walker write it (§4.8); D stays 0 and
 * the processor sets it on the first write. Memory type is the PAT index
 * PAT:PCD:PWT (§4.9.2) against S2PT_X86_PAT, always with PAT = 0:
 * WB index 0, NC index 1 (PWT, WC), DEV index 3 (PCD | PWT, UC).
 * x86_leaf_with() encodes all but U/S and G, on top of the bits @fixed:
 * P | A and U/S, G from @prot here; P | U/S | A in nested paging.
 */
s2pt_enc uint64_t x86_leaf_with(uint64_t oa, uint32_t prot, unsigned level, uint64_t fixed)
{
	uint64_t pte = oa | fixed;

	if (level)
		pte |= X86_PS;
	pte |= prot & S2PT_W;				/* S2PT_W is bit 1, as RW */
	pte |= (uint64_t)(~prot & S2PT_X) << 61;	/* no X -> XD, bit 63 */
	/* WB: PAT index 0; NC: 1 (PWT); DEV: 3 (PCD | PWT) */
	pte |= (uint64_t)((0x180800u >> ((prot & S2PT_MT_MASK) >> 5)) & 0x18);
	pte |= (uint64_t)(prot & (S2PT_SW0 | S2PT_SW1 | S2PT_SW2)) >> 3;	/* 12..14 -> 9..11 */
	pte |= (uint64_t)(prot & S2PT_SW3) << 37;	/* bit 15 -> 52 */
	return pte;
}

s2pt_enc uint64_t x86_pte_leaf(uint64_t oa, uint32_t prot, unsigned level)
{
	return x86_leaf_with(oa, prot, level, X86_P | X86_A |
			     (uint64_t)(prot & S2PT_U) >> 3 |	/* bit 5 -> US, bit 2 */
			     (uint64_t)(prot & S2PT_G) << 2);	/* bit 6 -> G, bit 8 */
}

/*
 * A non-leaf entry: the most permissive P | RW | US | A, so that the leaf
 * alone decides access (§4.6: rights are the AND over the walk); XD = 0,
 * PWT = PCD = 0 (the next table is read write-back).
 */
s2pt_enc uint64_t x86_pte_table(uint64_t pa, unsigned level)
{
	(void)level;
	return pa | X86_P | X86_RW | X86_US | X86_A;
}

/*
 * P = 0: not present, whatever else is set. A PTE always maps a page; a
 * PDPTE or PDE maps one when PS = 1. PS is reserved in a PML4E / PML5E
 * (a reserved-bit page fault, §4.7), so such an entry translates nothing.
 */
s2pt_enc enum s2pt_kind x86_pte_kind(uint64_t pte, unsigned level)
{
	if (!(pte & X86_P))
		return S2PT_NONE;
	if (level == 0)
		return S2PT_LEAF;
	if (!(pte & X86_PS))
		return S2PT_TABLE;
	return level <= 2 ? S2PT_LEAF : S2PT_NONE;
}

/* Huge leaves keep PAT in bit 12, so their address starts at bit 21 / 30. */
s2pt_enc uint64_t x86_pte_addr(uint64_t pte, unsigned level)
{
	if (level && level <= 2 && (pte & X86_PS))
		return pte & x86_leaf_mask(level);
	return pte & X86_ADDR;
}

/*
 * Decode a leaf. PCD:PWT gives the type; PAT (bit 7 of a PTE, bit 12 of a
 * huge leaf) is ignored; PCD alone (index 2, UC-) reads as DEV.
 * x86_prot_common() decodes all but U/S and G.
 */
s2pt_enc uint32_t x86_prot_common(uint64_t pte)
{
	uint64_t prot = S2PT_R;

	prot |= pte & X86_RW;				/* bit 1 -> S2PT_W */
	prot |= (~pte >> 61) & S2PT_X;			/* XD clear -> S2PT_X */
	/* PCD:PWT 00 WB, 01 NC, 10 and 11 DEV */
	prot |= (uint64_t)((0xa4u >> ((pte & (X86_PCD | X86_PWT)) >> 2)) & 3) << S2PT_MT_SHIFT;
	prot |= (pte << 3) & (S2PT_SW0 | S2PT_SW1 | S2PT_SW2);	/* bits 9..11 */
	prot |= (pte >> 37) & S2PT_SW3;			/* bit 52 */
	return (uint32_t)prot;
}

s2pt_enc uint32_t x86_pte_prot(uint64_t pte, unsigned level)
{
	uint64_t prot = x86_prot_common(pte);

	(void)level;
	prot |= (pte & X86_US) << 3;			/* bit 2 -> S2PT_U */
	prot |= (pte & X86_G) >> 2;			/* bit 8 -> S2PT_G */
	return (uint32_t)prot;
}

#endif /* S2PT_ARCH_X86_X86_PTE_H */
