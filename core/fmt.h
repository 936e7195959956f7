/* SPDX-License-Identifier: MIT */
/*
 * The format descriptor: what a page-table format tells the generic core.
 * A format is a static const descriptor of small pure encoders (arch/, stage2/).
 */
#ifndef S2PT_CORE_FMT_H
#define S2PT_CORE_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <s2pt/s2pt.h>

/* What an entry is, as the core sees it. */
enum s2pt_kind {
	S2PT_NONE = 0,		/* not present */
	S2PT_LEAF = 1,		/* maps a page or a block */
	S2PT_TABLE = 2,		/* points at the next-level table */
	S2PT_BUSY = 3,		/* the format's locked marker: not present to
				 * readers and hardware, held by a writer */
};

/* Descriptor flags. */
#define S2PT_FMT_CANONICAL	(1u << 0)	/* first stage: sign-extended input */
#define S2PT_FMT_BBM		(1u << 1)	/* break-before-make on oa/size/type change */
#define S2PT_FMT_EMPTY_TABLE	(1u << 2)	/* empty slots point at an invalid table */
#define S2PT_FMT_TTBR		(1u << 3)	/* S2PT_OPT_TTBR0/1 select a whole half */
#define S2PT_FMT_STAGE2		(1u << 4)	/* second stage: plain input, no U/G */
#define S2PT_FMT_OPT_AD		(1u << 5)	/* accepts S2PT_OPT_AD (EPT); with it on,
						 * guest table reads are writes */
/* Access rules for s2pt_translate() that differ between architectures. */
#define S2PT_FMT_EXEC_U_ANY	(1u << 6)	/* stage 1: user fetch needs no U (AArch64
						 * EL0 follows UXN alone) */
#define S2PT_FMT_U_NO_SUP_EXEC	(1u << 7)	/* stage 1: supervisor never fetches
						 * from a U page (RISC-V) */
#define S2PT_FMT_XU_BY_PAGE	(1u << 8)	/* stage 2: XU/XS chosen by the guest
						 * page's U, not the CPU mode (EPT MBEC) */

/* What a format needs to compose the register value for a table. */
struct s2pt_hw {
	uint64_t root_pa;
	unsigned levels;
	unsigned ia_bits;
	unsigned opt_flags;	/* S2PT_OPT_* the table was made with */
	unsigned vmid;		/* VMID / ASID; 0 where the register has none */
};

#define S2PT_PAGE_SHIFT		12
#define S2PT_PAGE_SIZE		(1ull << S2PT_PAGE_SHIFT)
#define S2PT_LEVEL_BITS		9		/* 512 entries in a non-root table */

/* Encoders and their helpers: always inlined into the core's walk. A call
 * through the descriptor is folded to a direct call, and forcing the
 * inline keeps a per-entry call out of every loop. */
#define s2pt_enc static inline __attribute__((always_inline))

struct s2pt_fmt_desc {
	unsigned levels;	/* levels at the default input width */
	unsigned ia_bits;	/* default input width */
	unsigned ia_bits_min;	/* accepted range of opts.ia_bits */
	unsigned ia_bits_max;
	unsigned oa_bits;	/* output width */
	unsigned root_align_bits;	/* 0: the root is aligned to its size */
	uint64_t leaf_levels;	/* bit l set: level l may hold a leaf */
	unsigned flags;		/* S2PT_FMT_* */
	uint32_t prot_bits;	/* S2PT_* bits the format can ever express */
	uint64_t hw_bits;	/* leaf bits hardware sets (A/D), kept on rewrite */
	uint64_t young_bit;	/* accessed bit the hardware sets; 0: none */
	uint64_t dirty_bit;	/* dirty bit the hardware sets; 0: write-protect */
	/* The "locked" marker: a not-present entry (to hardware and to
	 * pte_kind at every level), distinct from the empty value, without
	 * hw_bits. A writer parks an entry on it during break-before-make or
	 * while it unlinks the table holding it; racing writers back off. */
	uint64_t locked;

	/* levels for a given input width; NULL: fixed at .levels */
	unsigned (*levels_for)(unsigned ia_bits);
	/* a leaf mapping @oa (aligned to the level's size) with @prot */
	uint64_t (*pte_leaf)(uint64_t oa, uint32_t prot, unsigned level);
	/* a table entry at @level pointing at the table at @pa */
	uint64_t (*pte_table)(uint64_t pa, unsigned level);
	/* classify a non-empty entry at @level (the core compares with the
	 * empty value first) */
	enum s2pt_kind (*pte_kind)(uint64_t pte, unsigned level);
	/* output address of a leaf, or physical address of a table */
	uint64_t (*pte_addr)(uint64_t pte, unsigned level);
	/* decoded S2PT_* bits of a leaf */
	uint32_t (*pte_prot)(uint64_t pte, unsigned level);
	/* 0 if @prot can be encoded exactly, else -EINVAL */
	int (*prot_check)(uint32_t prot);

	/* Optional (NULL: the call answers -EOPNOTSUPP). */
	/* the value loaded into CR3 / EPTP / nCR3 / TTBR / VTTBR / satp /
	 * hgatp / PGD for this table; -EINVAL if @hw cannot be expressed */
	int (*hw_root)(const struct s2pt_hw *hw, uint64_t *val);
};

struct s2pt_fmt_ops;

struct s2pt_fmt {
	const char *name;
	const struct s2pt_fmt_desc *desc;
	const struct s2pt_fmt_ops *ops;		/* the core instantiated for it */
};

#endif /* S2PT_CORE_FMT_H */
