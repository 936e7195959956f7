/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the encoding tests (test_enc_*.c), public API only: fresh
 * tables, one leaf's raw entry, the table entries of a walk, hand-built tables.
 */
#ifndef S2PT_TESTS_UNIT_ENC_UTIL_H
#define S2PT_TESTS_UNIT_ENC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <criterion/criterion.h>
#include <s2pt/s2pt.h>

#define KIB	0x1000ull	/* one 4 KiB page */
#define MIB2	0x200000ull
#define GIB	0x40000000ull
#define MT3	(3u << S2PT_MT_SHIFT)	/* the memory type no format defines */

/* Expect a 64-bit value, both printed in hex after @what ("pte", "satp"). */
#define expect_hex(what, got, want) \
	cr_expect_eq((got), (want), what " %#018llx, want %#018llx", \
		     (unsigned long long)(got), (unsigned long long)(want))
#define expect_pte(got, want)	expect_hex("pte", got, want)

/* A table of @fmt with the default options (heap provider: pa == va). */
struct s2pt *enc_pt_new(const struct s2pt_fmt *fmt);

/*
 * Map [ia, ia + size) -> oa in @pt, a fresh table that this destroys, and
 * return the raw entry of the leaf holding the last byte; checks on the way
 * the lookup's level, leaf size, output address (offset included) and the
 * decoded prot (round trip).
 */
uint64_t enc_leaf_in(struct s2pt *pt, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot,
		     uint64_t leaf_size, unsigned level);

/* The same in a fresh default table of @fmt, mapped as one leaf of @size. */
uint64_t enc_leaf_of(const struct s2pt_fmt *fmt, uint64_t ia, uint64_t oa, uint64_t size,
		     uint32_t prot, unsigned level);

/* The heap provider has pa == va (s2pt.h): a table read at its pa. */
static inline const uint64_t *enc_tbl(uint64_t pa)
{
	return (const uint64_t *)(uintptr_t)pa;
}

static inline uint64_t enc_root_entry(const struct s2pt *pt, unsigned idx)
{
	return enc_tbl(s2pt_root(pt))[idx];
}

/* Table entries met by a TABLE_PRE walk, outermost first. */
#define ENC_TABLES_MAX	8
struct enc_tables {
	unsigned n;
	unsigned level[ENC_TABLES_MAX];
	uint64_t ia[ENC_TABLES_MAX], pte[ENC_TABLES_MAX], pa[ENC_TABLES_MAX];
};

/* s2pt_walk() visitor for S2PT_WALK_TABLE_PRE: appends to a struct enc_tables. */
int enc_collect_table(const struct s2pt_visit *v, void *arg);

/*
 * Host memory of @bytes standing at physical @pa as an arena, and the
 * options that take table pages from it. Placement is first fit, so the
 * first page a table takes lands at @pa.
 */
struct enc_arena {
	void *mem;
	struct s2pt_arena *arena;
	uint64_t pa;
	size_t bytes;
	struct s2pt_opts opts;	/* .mm is the arena; set .flags, .ia_bits at will */
};

void enc_arena_init(struct enc_arena *a, uint64_t pa, size_t bytes);

/* A table of @fmt made with a->opts. */
struct s2pt *enc_arena_pt(struct enc_arena *a, const struct s2pt_fmt *fmt);

/* enc_arena_pt() for the arena's first table: checks that its root is at a->pa. */
struct s2pt *enc_arena_root(struct enc_arena *a, const struct s2pt_fmt *fmt);

/* Destroy @pt (if not NULL), then the arena and its memory. */
void enc_arena_fini(struct enc_arena *a, struct s2pt *pt);

/*
 * Map one page at @ia with @prot in a fresh table of @fmt (pages from @a,
 * or the heap if NULL) and check the table entries on the way, root first:
 * one per level above the leaf (@levels - 1), each exactly @attrs outside
 * @addr and the next table's address inside, that table within @a if any.
 */
void enc_check_tables(const struct s2pt_fmt *fmt, const struct enc_arena *a, uint64_t ia,
		      uint32_t prot, unsigned levels, uint64_t addr, uint64_t attrs);

/*
 * A RISC-V non-leaf PTE (Sv39/48/57, and Sv39x4/48x4/57x4 unchanged) is
 * V = 1 with R = W = X = 0; U, A, D (§4.3.1), PBMT (Svpbmt) and, in G-stage,
 * G (§8.5.1) are reserved there, and this library sets G = 0 and RSW = 0 in
 * them: bits 9:0 are exactly 0x001, bits 63:54 are 0, PPN = table >> 12.
 */
void enc_expect_sv_table(uint64_t pte, uint64_t table_pa);

/* Expect each of @bad[@n] refused by s2pt_map() at 0x400000, nothing mapped. */
void enc_expect_refused(struct s2pt *pt, const uint32_t *bad, size_t n);

/*
 * Map a 4 KiB page with each prot below 2^16, at ia = prot << 12: expect
 * -EINVAL where @accept says no, else success, the prot decoded back and
 * @check (if not NULL) passed on the leaf. Returns how many were accepted.
 */
unsigned enc_accept_set(struct s2pt *pt, bool (*accept)(uint32_t prot),
			void (*check)(uint32_t prot, const struct s2pt_leaf *leaf));

/* Hand-built tables: zeroed memory from aligned_alloc() (free() it), and a
 * read-only view of tables rooted at @root (heap provider: pa == va). */
void *enc_zalloc(size_t align, size_t bytes);
struct s2pt *enc_attach(const struct s2pt_fmt *fmt, const void *root, const struct s2pt_opts *opts);

#endif /* S2PT_TESTS_UNIT_ENC_UTIL_H */
