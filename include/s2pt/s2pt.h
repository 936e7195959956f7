/* SPDX-License-Identifier: MIT */
/*
 * s2pt: build, change and walk first- and second-stage page tables.
 * The public contract; ../shared/DESIGN.md explains the model behind it.
 */
#ifndef S2PT_S2PT_H
#define S2PT_S2PT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(S2PT_BUILDING)
#define S2PT_API __attribute__((visibility("default")))
#else
#define S2PT_API
#endif

#define S2PT_VERSION_MAJOR 0
#define S2PT_VERSION_MINOR 1

struct s2pt;			/* one table tree; opaque */
struct s2pt_fmt;		/* a page-table format; opaque, compared by address */
struct rcu_flavor_struct;	/* liburcu flavor (urcu/rcu-flavor.h) */

/* First-stage formats. */
S2PT_API extern const struct s2pt_fmt s2pt_fmt_x86_64;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_x86_64_la57;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_arm64_4k;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv39;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv48;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv57;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_la64;

/* Second-stage formats. */
S2PT_API extern const struct s2pt_fmt s2pt_fmt_ept4;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_ept5;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_npt;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_arm64_s2;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv39x4;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv48x4;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_sv57x4;
S2PT_API extern const struct s2pt_fmt s2pt_fmt_lvz;

/*
 * s2pt_fmt_find() - a format by its short name ("x86_64", "sv39", ...).
 * Return: the format, or NULL if there is none of that name.
 */
S2PT_API const struct s2pt_fmt *s2pt_fmt_find(const char *name);

/*
 * s2pt_fmt_name() - the short name of @fmt.
 * s2pt_fmt_next() - iterate over every format: pass NULL to get the first,
 * the previous one to get the next; NULL after the last.
 */
S2PT_API const char *s2pt_fmt_name(const struct s2pt_fmt *fmt);
S2PT_API const struct s2pt_fmt *s2pt_fmt_next(const struct s2pt_fmt *prev);

/*
 * Protection: the generic request, encoded per format. A prot a format
 * cannot express exactly is refused with -EINVAL, never changed silently.
 * Every present mapping must be readable or executable (S2PT_R or an
 * execute bit); write requires read.
 */
#define S2PT_R		(1u << 0)	/* read */
#define S2PT_W		(1u << 1)	/* write */
#define S2PT_X		(1u << 2)	/* execute (both user and supervisor) */
#define S2PT_XU		(1u << 3)	/* user-only execute (EPT MBEC, ARM XNX) */
#define S2PT_XS		(1u << 4)	/* supervisor-only execute */
#define S2PT_U		(1u << 5)	/* first stage: user accessible */
#define S2PT_G		(1u << 6)	/* first stage: global */
#define S2PT_MT_SHIFT	8
#define S2PT_MT_MASK	(3u << S2PT_MT_SHIFT)
#define S2PT_MT_WB	(0u << S2PT_MT_SHIFT)	/* normal write-back */
#define S2PT_MT_NC	(1u << S2PT_MT_SHIFT)	/* normal non-cacheable / WC */
#define S2PT_MT_DEV	(2u << S2PT_MT_SHIFT)	/* device / strongly ordered / UC */
#define S2PT_SW0	(1u << 12)	/* software bits, kept in ignored entry bits */
#define S2PT_SW1	(1u << 13)
#define S2PT_SW2	(1u << 14)
#define S2PT_SW3	(1u << 15)
#define S2PT_RW		(S2PT_R | S2PT_W)
#define S2PT_RWX	(S2PT_R | S2PT_W | S2PT_X)

/*
 * Attribute layouts the library encodes against. The hypervisor (or the
 * guest kernel) must program these registers with exactly these values.
 * AArch64 MAIR_EL1: Attr0 = 0xff normal WB RW-allocate (S2PT_MT_WB),
 * Attr1 = 0x44 normal non-cacheable (S2PT_MT_NC), Attr2 = 0x04 Device-nGnRE
 * (S2PT_MT_DEV). RISC-V NC and DEV use Svpbmt (PBMT = 1 / 2): the hart
 * needs Svpbmt with menvcfg.PBMTE = 1 (henvcfg.PBMTE for VS-stage), else
 * such leaves fault. x86 IA32_PAT (Linux's layout): PA0 WB, PA1 WC, PA2 UC-,
 * PA3 UC, PA4 WB, PA5 WP, PA6 UC-, PA7 WT; WB uses PAT index 0, NC index 1
 * (PWT), DEV index 3 (PCD|PWT).
 */
#define S2PT_ARM64_MAIR	0x00000000000444ffull
#define S2PT_X86_PAT	0x0407050600070106ull

/* Levels count from the leaf: level 0 maps the base page (4 KiB), level 1
 * 2 MiB, level 2 1 GiB, ... The root is level info.levels - 1. */
#define S2PT_MAX_LEVELS	5

struct s2pt_mm_ops {			/* where table pages come from */
	/* zeroed memory of @bytes aligned to @bytes; its physical address in *pa */
	void *(*zalloc)(void *ctx, size_t bytes, uint64_t *pa);
	void (*free)(void *ctx, void *va, uint64_t pa, size_t bytes);
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
};

#define S2PT_OPT_AD		(1u << 0)	/* EPT accessed/dirty enable */
#define S2PT_OPT_SINGLE_WRITER	(1u << 1)	/* caller serialises writers */
/* AArch64 stage-1 only: the table serves TTBR0_EL1 (input [0, 2^ia_bits))
 * or TTBR1_EL1 (input [2^64 - 2^ia_bits, 2^64)); without either it takes
 * sign-extended addresses like the other first-stage formats. */
#define S2PT_OPT_TTBR0		(1u << 2)
#define S2PT_OPT_TTBR1		(1u << 3)

struct s2pt_opts {
	size_t sz;				/* sizeof(struct s2pt_opts) */
	const struct s2pt_mm_ops *mm;		/* NULL: host heap, pa == va */
	void *mm_ctx;
	/* TLB hook (INVEPT / TLBI IPAS2E1IS / HFENCE.GVMA ...); NULL: none.
	 * @level is the level of every entry the call covers, or -1 when they
	 * differ or a table was unlinked (walk caches must go too). */
	void (*invalidate)(void *ctx, uint64_t ia, uint64_t size, int level);
	void *inv_ctx;
	unsigned ia_bits;			/* 0: the format's default */
	uint64_t leaf_sizes;			/* allowed leaf sizes (mask of sizes); 0: all */
	unsigned flags;				/* S2PT_OPT_* */
	const struct rcu_flavor_struct *rcu;	/* NULL: urcu-memb */
};

struct s2pt_info {
	const struct s2pt_fmt *fmt;
	unsigned levels;			/* levels in the walk */
	unsigned ia_bits, oa_bits;
	uint64_t leaf_sizes;			/* the leaf sizes this table may use */
	size_t root_bytes;			/* 4 KiB, or more for concatenated roots */
	uint64_t table_pages[S2PT_MAX_LEVELS];	/* 4 KiB table pages in use per level */
	uint64_t spare_pages;			/* preallocated, not yet linked */
	uint64_t empty_pages;			/* shared invalid tables (LVZ) */
	int read_only;				/* made by s2pt_attach() */
	unsigned flags;				/* S2PT_OPT_* it was made with */
};

struct s2pt_leaf {
	uint64_t oa;		/* output address of the ia asked (offset included) */
	uint64_t size;		/* leaf size */
	unsigned level;
	uint32_t prot;		/* decoded S2PT_* bits */
	uint64_t pte;		/* the raw entry */
};

#define S2PT_WALK_LEAF		(1u << 0)	/* present leaf entries */
#define S2PT_WALK_TABLE_PRE	(1u << 1)	/* table entries, before their children */
#define S2PT_WALK_TABLE_POST	(1u << 2)	/* table entries, after their children */

struct s2pt_visit {
	uint64_t ia;		/* first input address the entry maps (canonical) */
	uint64_t size;		/* bytes the entry spans */
	unsigned level;
	unsigned kind;		/* one S2PT_WALK_* */
	uint64_t pte;		/* the entry as read */
	uint64_t table_pa;	/* tables: physical address of the next-level table */
	const struct s2pt_leaf *leaf;	/* leaves: decoded; NULL for tables */
};

/* Return nonzero to stop the walk; s2pt_walk() then returns that value. */
typedef int (*s2pt_visit_fn)(const struct s2pt_visit *v, void *arg);

#define S2PT_MAP_HUGE		(1u << 0)	/* largest allowed leaf that fits */
#define S2PT_MAP_REPLACE	(1u << 1)	/* overwrite existing mappings */

/*
 * Tables and concurrency (DESIGN.md). Any thread may call any operation on
 * a table while other threads call any other, except create/attach/destroy.
 * Each such thread must be a registered reader of the table's RCU flavor
 * (opts.rcu; NULL is urcu-memb: urcu_memb_register_thread()). Every call
 * takes the flavor's read lock inside (nesting is allowed, so a caller may
 * already hold it); none blocks on a grace period, so calls may be made
 * from inside a read-side critical section, and visitors and the
 * invalidate hook run inside one (they must not wait for a grace period or
 * call s2pt_destroy()). The invalidate hook may be called from several
 * threads at once and must not call back into the same table.
 *
 * Readers (lookup, walk, translate, dump) never block and see each entry
 * either before or after a concurrent change; during a break-before-make,
 * or while a table is being unlinked, the pages concerned read as
 * unmapped. Writers (map, unmap, protect, split, collapse, harvest) use
 * compare-and-swap and never hold a lock across a region; writers on
 * disjoint ranges run in parallel, overlapping ones are linearizable per
 * page. Unlinked table pages go back to opts->mm after the invalidation
 * and a grace period (call_rcu); opts->mm is only ever called by one thread
 * at a time, possibly liburcu's call_rcu thread.
 *
 * With S2PT_OPT_SINGLE_WRITER the caller promises that writers never
 * overlap in time (readers still run at any moment): entries are then
 * written with plain release stores, except present leaves whose A/D bits
 * the hardware sets, and tables emptied by an unmap are unlinked. Without
 * it, a table is unlinked only when an unmap (or a HUGE map, or collapse)
 * covers its whole span: an emptied table stays linked for racing writers.
 */

/*
 * s2pt_create() - a new empty table of format @fmt.
 * @opts may be NULL (all defaults); opts->sz must be set. Allocates the root
 * through opts->mm. Return: 0 or -errno (-EINVAL bad option, -ENOMEM).
 */
S2PT_API int s2pt_create(const struct s2pt_fmt *fmt, const struct s2pt_opts *opts,
			 struct s2pt **out);

/*
 * s2pt_attach() - a read-only view of a tree someone else owns, rooted at
 * @root_pa (a guest's CR3, TTBR0, satp...), read through opts->mm's
 * phys_to_virt. Changing calls on it return -EPERM. Return: 0 or -errno.
 */
S2PT_API int s2pt_attach(const struct s2pt_fmt *fmt, uint64_t root_pa,
			 const struct s2pt_opts *opts, struct s2pt **out);

/*
 * s2pt_destroy() - free every table page @pt owns (none for an attached
 * view) and @pt itself. No other call on @pt may run or follow. NULL is
 * allowed. Does not invalidate TLBs: the caller stops using the root first.
 * Waits for pending call_rcu callbacks (rcu_barrier): call it outside any
 * read-side critical section, from a registered thread.
 */
S2PT_API void s2pt_destroy(struct s2pt *pt);

/* s2pt_root() - physical address of the root table. */
S2PT_API uint64_t s2pt_root(const struct s2pt *pt);

/*
 * s2pt_info() - geometry and table-page counts of @pt.
 * Return: 0 or -EINVAL (NULL argument).
 */
S2PT_API int s2pt_info(const struct s2pt *pt, struct s2pt_info *out);

/*
 * s2pt_map() - map [ia, ia + size) to [oa, oa + size) with @prot.
 * ia, oa and size must be 4 KiB aligned, size > 0, both ranges inside the
 * format's input and output widths (first-stage ia canonical, not crossing
 * the hole). Without S2PT_MAP_HUGE every leaf is a base page; with it the
 * largest allowed leaf where ia, oa and the remaining size are aligned.
 * An existing mapping anywhere in the range gives -EEXIST and nothing
 * changes, unless S2PT_MAP_REPLACE, which overwrites it (invalidating the
 * old entries through opts->invalidate, break-before-make where the
 * architecture needs it). All or nothing: on any error the table is as it
 * was (with racing writers of overlapping ranges, a map that meets their
 * pages midway gives -EEXIST and unmaps what it had mapped). New mappings
 * need no invalidation. RCU: see above; Return: 0, -EINVAL, -ERANGE,
 * -EEXIST, -ENOMEM or -EPERM.
 */
S2PT_API int s2pt_map(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size,
		      uint32_t prot, unsigned flags);

/*
 * s2pt_unmap() - remove every mapping in [ia, ia + size) (4 KiB aligned).
 * Holes are skipped; a block straddling an edge is split so that only the
 * range goes; tables the range covers are unlinked (single writer: also
 * tables left empty). The removed range is invalidated once (the caller's
 * hook), before any table page is queued for freeing. All or nothing.
 * RCU: see above. Return: 0, -EINVAL, -ERANGE, -ENOMEM (edge split) or
 * -EPERM.
 */
S2PT_API int s2pt_unmap(struct s2pt *pt, uint64_t ia, uint64_t size);

/*
 * s2pt_protect() - set @prot on every mapping in [ia, ia + size), keeping
 * output addresses; holes skipped, edge blocks split. Invalidates when a
 * permission is removed or the memory type changes. All or nothing.
 * Return: 0, -EINVAL, -ERANGE, -ENOMEM or -EPERM.
 */
S2PT_API int s2pt_protect(struct s2pt *pt, uint64_t ia, uint64_t size, uint32_t prot);

/*
 * s2pt_lookup() - the leaf translating @ia (any byte address). A reader:
 * lock-free, never blocks, safe against any concurrent writer.
 * Return: 0, -ENOENT if unmapped, -ERANGE outside the input width.
 */
S2PT_API int s2pt_lookup(struct s2pt *pt, uint64_t ia, struct s2pt_leaf *out);

/*
 * s2pt_walk() - call @fn on each entry intersecting [ia, ia + size) chosen
 * by @flags (S2PT_WALK_*), in address order, read-only. A reader: @fn runs
 * inside the read-side critical section and sees each entry as read once
 * (a range that racing writers change shows either state, never both).
 * Return: 0, the visitor's nonzero value, or -EINVAL / -ERANGE.
 */
S2PT_API int s2pt_walk(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned flags,
		       s2pt_visit_fn fn, void *arg);

/*
 * s2pt_split() - break every block in [ia, ia + size) down to @leaf_size
 * (an allowed leaf size), e.g. before dirty logging. Translations do not
 * change; each split block is invalidated (break-before-make where needed).
 * Parts of a straddling block outside the range stay as large as they can.
 * All or nothing. Return: 0, -EINVAL, -ERANGE, -ENOMEM or -EPERM.
 */
S2PT_API int s2pt_split(struct s2pt *pt, uint64_t ia, uint64_t size, uint64_t leaf_size);

/*
 * s2pt_collapse() - fold every table lying wholly in [ia, ia + size) whose
 * entries are all present leaves with contiguous output, equal attributes
 * and a block-aligned start, into one block of an allowed size (bottom up).
 * Invalidates each folded range before its table is freed.
 * Return: 0, -EINVAL, -ERANGE or -EPERM. Never allocates.
 */
S2PT_API int s2pt_collapse(struct s2pt *pt, uint64_t ia, uint64_t size);

#define S2PT_HARVEST_DIRTY	(1u << 0)
#define S2PT_HARVEST_YOUNG	(1u << 1)

/*
 * s2pt_harvest() - collect and reset dirty (S2PT_HARVEST_DIRTY) or accessed
 * (S2PT_HARVEST_YOUNG) state of [ia, ia + size) (4 KiB aligned): for each
 * base page whose leaf has the hardware bit set, set bit (page - ia) >> 12
 * of @bitmap (never cleared: the caller zeroes it), and clear the bit in
 * the entry (atomically: hardware sets it concurrently). Formats without
 * a hardware dirty bit (ARM without DBM, LoongArch, EPT without
 * S2PT_OPT_AD) report every writable page and write-protect it instead;
 * the caller gives write access back with s2pt_protect() on the fault. A
 * block that reaches outside the range is reported but left as it is, so
 * nothing outside the range is lost. Clearing dirty state or write access
 * is invalidated once for the range; clearing accessed bits is not (as
 * Linux's clear_young). Return: 0, -EINVAL, -ERANGE, -EPERM, or
 * -EOPNOTSUPP for YOUNG on a format with no accessed bit.
 */
S2PT_API int s2pt_harvest(struct s2pt *pt, uint64_t ia, uint64_t size, unsigned what,
			  uint64_t *bitmap);

/* Two-stage translation. */

#define S2PT_ACC_READ	(1u << 0)
#define S2PT_ACC_WRITE	(1u << 1)
#define S2PT_ACC_EXEC	(1u << 2)
#define S2PT_ACC_USER	(1u << 3)	/* a user-mode (CPL 3 / EL0 / U-mode) access */

struct s2pt_guest {
	size_t sz;				/* sizeof(struct s2pt_guest) */
	const struct s2pt_fmt *s1;		/* guest first stage; NULL: gva == gpa */
	uint64_t s1_root;			/* its root, a guest-physical address */
	unsigned s1_flags;			/* S2PT_OPT_TTBR0/1 for arm64_4k */
	struct s2pt *s2;			/* second stage; NULL: hpa == gpa */
	/* host pointer to @len bytes at host-physical @hpa, NULL if none */
	void *(*hpa_to_va)(void *ctx, uint64_t hpa, size_t len);
	void *ctx;
};

#define S2PT_XF_NOT_PRESENT	1	/* no translation at fault_level */
#define S2PT_XF_PERMISSION	2	/* translation exists, access refused */
#define S2PT_XF_RANGE		3	/* address beyond the stage's input width */

struct s2pt_xlate {
	uint64_t gpa, hpa;
	uint32_t prot;			/* effective: s1_prot and s2_prot combined */
	uint32_t s1_prot, s2_prot;
	uint64_t s1_size, s2_size;	/* leaf sizes (0: no such stage) */
	unsigned fault_stage;		/* 0: translated; 1 or 2 */
	unsigned fault_kind;		/* S2PT_XF_* */
	int fault_level;		/* level of the entry that faulted */
	uint64_t fault_addr;		/* stage 1: gva; stage 2: the gpa that faulted */
	int fault_in_walk;		/* stage-2 fault on a stage-1 table fetch */
	unsigned reads;			/* table entries read, both stages */
};

/*
 * s2pt_translate() - translate @gva as hardware would for an @access
 * (S2PT_ACC_*): walk the guest's first-stage tables at g->s1_root, every
 * table fetch itself translated through g->s2 (needing stage-2 read; with
 * EPT and S2PT_OPT_AD, write, as the SDM counts those accesses), then the
 * final gpa through g->s2. Stage-1 permissions are checked before stage 2.
 * Rules: a user access needs U, except an AArch64 EL0 fetch, which follows
 * UXN alone (so on arm64_4k S2PT_X without S2PT_U lets EL0 execute; kernel
 * code wants S2PT_XS); a RISC-V supervisor never fetches from a U page;
 * EPT mode-based execute picks XU or XS by the guest page's U. Not
 * modelled: SMEP/SMAP/PAN (taken as off), RISC-V SUM (taken as set),
 * table-level permission bits of foreign tables (leaves decide), and the
 * hardware's A/D writes into guest entries. Effective prot: R and W where
 * both stages allow them, X / XU / XS per mode, and the first stage's U.
 * A reader: runs inside g->s2's RCU read-side critical section (the guest's
 * own tables are the caller's to keep alive), changes nothing.
 * Return: 0 translated, -EFAULT a fault (described in *out), -EINVAL,
 * -ENXIO (hpa_to_va could not read a table entry).
 */
S2PT_API int s2pt_translate(const struct s2pt_guest *g, uint64_t gva, uint32_t access,
			    struct s2pt_xlate *out);

/*
 * s2pt_dump() - print the mapped ranges merged where contiguous and alike:
 * "ia-range size oa prot memtype (leaf size)". A reader (s2pt_walk), like
 * it safe against concurrent writers. Return: 0 or -errno.
 */
S2PT_API int s2pt_dump(struct s2pt *pt, FILE *f);

/*
 * s2pt_hw_root() - the register value that makes hardware walk @pt:
 * EPTP (WB walks, walk length, A/D enable per S2PT_OPT_AD), nCR3,
 * VTTBR_EL2 (with @vmid), hgatp (mode, @vmid), the LVZ PGD; first-stage
 * formats give CR3 / TTBR0 / satp (@vmid as ASID) / PGDL.
 * Return: 0, -EINVAL (@vmid too wide), -EOPNOTSUPP.
 */
S2PT_API int s2pt_hw_root(const struct s2pt *pt, unsigned vmid, uint64_t *val);

/*
 * s2pt_arm64_vtcr() - VTCR_EL2 for the ARM stage-2 table @pt (made with
 * s2pt_fmt_arm64_s2): T0SZ = 64 - ia_bits, SL0 from the start level, TG0
 * 4 KiB, walks inner-shareable write-back (SH0 = 3, IRGN0 = ORGN0 = 1),
 * PS from @pa_range_bits (32, 36, 40, 42, 44, 48 or 52: the CPU's
 * ID_AA64MMFR0_EL1.PARange or less), RES1 bit 31; VS, HA, HD 0. Pair it
 * with s2pt_hw_root()'s VTTBR_EL2 (8-bit VMID) and HCR_EL2.FWB = 0; the
 * leaves use XN[1:0] as FEAT_XNX defines it when S2PT_XU / S2PT_XS are
 * mapped. Changes nothing, invalidates nothing.
 * Return: 0, or -EINVAL (@pt not ARM stage-2, @pa_range_bits not one of
 * the sizes above or below the table's input size, NULL argument).
 */
S2PT_API int s2pt_arm64_vtcr(const struct s2pt *pt, unsigned pa_range_bits, uint64_t *vtcr);

/*
 * Memory providers. The heap provider (opts.mm == NULL) takes table pages
 * from aligned_alloc with pa == va. An arena carves table pages out of a
 * caller-given region whose first byte is at physical address @pa_base:
 * tables can then be placed at chosen guest-physical addresses.
 */
S2PT_API extern const struct s2pt_mm_ops s2pt_heap_mm;
S2PT_API extern const struct s2pt_mm_ops s2pt_arena_mm;	/* ctx: struct s2pt_arena * */

struct s2pt_arena;

/*
 * s2pt_arena_create() - an arena over [@base, @base + @size) at physical
 * @pa_base. @base and @pa_base 4 KiB aligned, @size a multiple of 4 KiB.
 * The arena does not own @base. Return: 0, -EINVAL or -ENOMEM.
 */
S2PT_API int s2pt_arena_create(void *base, uint64_t pa_base, size_t size,
			       struct s2pt_arena **out);
S2PT_API void s2pt_arena_destroy(struct s2pt_arena *a);
/* s2pt_arena_used() - bytes handed out and not yet freed. */
S2PT_API size_t s2pt_arena_used(const struct s2pt_arena *a);

#ifdef __cplusplus
}
#endif
#endif /* S2PT_S2PT_H */
