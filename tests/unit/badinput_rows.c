/* SPDX-License-Identifier: MIT */
/*
 * The bad-input rows: one validation rule per row, for every public call that
 * takes a range, prot, flags or leaf size, from the format and its geometry.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <criterion/criterion.h>

#include "unit/badinput.h"

static const char *const call_names[] = {
	"map", "unmap", "protect", "split", "collapse", "harvest", "lookup", "walk",
};

static struct row *add(struct bi *b, enum call c, int want, const char *what, ...)
	__attribute__((format(printf, 4, 5)));
static struct row *add(struct bi *b, enum call c, int want, const char *what, ...)
{
	struct row *r = &b->rows[b->nrows++];
	va_list ap;

	cr_assert(b->nrows <= sizeof(b->rows) / sizeof(b->rows[0]));
	memset(r, 0, sizeof(*r));
	va_start(ap, what);
	vsnprintf(r->what, sizeof(r->what), what, ap);
	va_end(ap);
	r->call = c;
	r->want = r->want2 = want;
	r->size = TPAGE;
	r->prot = S2PT_R;
	r->leaf_size = TPAGE;
	if (c == C_HARVEST)
		r->flags = S2PT_HARVEST_DIRTY;
	return r;
}

bool is_riscv(const char *n)
{
	return !strncmp(n, "sv", 2);
}

static bool is_x86_stage1(const char *n)
{
	return !strcmp(n, "x86_64") || !strcmp(n, "x86_64_la57");
}

/* Stage-2 formats whose entries have neither a user nor a global bit:
 * Intel SDM vol. 3 §29.3.2 (EPT entries), ARM ARM D8.3 (stage-2 block and
 * page descriptors have no AP[1] and no nG). */
static bool no_user_global(const char *n)
{
	return !strcmp(n, "ept4") || !strcmp(n, "ept5") || !strcmp(n, "arm64_s2");
}

/* Formats whose root level can never hold a leaf: x86 PML4E/PML5E have no
 * PS bit (SDM vol. 3 §4.5), EPT likewise (§29.3.2), ARM 4 KiB granule
 * level-0 descriptors are table-only (ARM ARM D8.3.1). */
bool root_no_leaf(const char *n)
{
	return is_x86_stage1(n) || !strcmp(n, "npt") || !strcmp(n, "ept4") ||
	       !strcmp(n, "ept5") || !strcmp(n, "arm64_4k");
}

/* ------------------------------------------------------------------ */

static void range_rows(struct bi *b, enum call c)
{
	const struct tgeo *g = &b->g;
	const char *n = call_names[c];
	struct row *r;

	r = add(b, c, -EINVAL, "%s: ia not page aligned", n);
	r->ia = 0x10001000 + 0x800;
	r = add(b, c, -EINVAL, "%s: size not page aligned", n);
	r->ia = 0x10000000;
	r->size = 0x1800;
	r = add(b, c, -EINVAL, "%s: size 1", n);
	r->ia = 0x10000000;
	r->size = 1;
	r = add(b, c, -EINVAL, "%s: size 0", n);
	r->ia = 0x10000000;
	r->size = 0;
	/* ia + size wraps around 2^64 */
	r = add(b, c, -EINVAL, "%s: ia + size overflows", n);
	r->want2 = -ERANGE;
	if (g->canonical) {
		r->ia = 0xfffffffffffff000ull;
		r->size = 2 * TPAGE;
	} else {
		r->ia = 0x2000;
		r->size = 0xfffffffffffff000ull;
	}
	r = add(b, c, -EINVAL, "%s: size 2^64 - 4 KiB from 0x10000000", n);
	r->want2 = -ERANGE;
	r->ia = 0x10000000;
	r->size = 0xfffffffffffff000ull;
	if (!g->canonical) {
		r = add(b, c, -ERANGE, "%s: ia at 2^ia_bits", n);
		r->ia = g->half;
		r = add(b, c, -ERANGE, "%s: ia far beyond 2^ia_bits", n);
		r->ia = 0x8000000000000000ull;
		r = add(b, c, -ERANGE, "%s: range ends past 2^ia_bits", n);
		r->ia = g->half - TPAGE;
		r->size = 2 * TPAGE;
		r = add(b, c, -ERANGE, "%s: range far past 2^ia_bits", n);
		r->ia = g->half - 4 * TMIB;
		r->size = g->half;
	} else {
		r = add(b, c, -ERANGE, "%s: non-canonical ia (first above the lower half)", n);
		r->ia = g->half;
		r = add(b, c, -ERANGE, "%s: non-canonical ia (last below the upper half)", n);
		r->ia = 0 - g->half - TPAGE;
		r = add(b, c, -ERANGE, "%s: non-canonical ia 2^63", n);
		r->ia = 0x8000000000000000ull;
		r = add(b, c, -ERANGE, "%s: range crosses the top of the lower half", n);
		r->ia = g->half - TPAGE;
		r->size = 2 * TPAGE;
		r = add(b, c, -ERANGE, "%s: range from the lower half into the upper half", n);
		r->ia = g->half - TPAGE;
		r->size = (0 - g->half) - (g->half - TPAGE) + TPAGE;
		r = add(b, c, -ERANGE, "%s: range from the hole into the upper half", n);
		r->ia = 0 - g->half - TPAGE;
		r->size = 2 * TPAGE;
	}
}

void build_rows(struct bi *b)
{
	const struct tgeo *g = &b->g;
	uint64_t oa_top = 1ull << g->info.oa_bits;
	static const uint32_t unknown_bits[] = {
		1u << 7, 1u << 11, 1u << 16, 1u << 20, 1u << 31,
	};
	struct row *r;

	for (enum call c = C_MAP; c <= C_HARVEST; c++)
		range_rows(b, c);

	/* harvest: what */
	r = add(b, C_HARVEST, -EINVAL, "harvest: unknown what bit 0x4");
	r->ia = 0x200000;
	r->flags = S2PT_HARVEST_DIRTY | 1u << 2;
	r = add(b, C_HARVEST, -EINVAL, "harvest: unknown what bit 0x80000000");
	r->ia = 0x200000;
	r->flags = S2PT_HARVEST_DIRTY | 1u << 31;

	/* map: output address */
	r = add(b, C_MAP, -EINVAL, "map: oa not page aligned");
	r->ia = 0x10000000;
	r->oa = 0x12345800;
	r = add(b, C_MAP, -ERANGE, "map: oa at 2^oa_bits (%u)", g->info.oa_bits);
	r->ia = 0x10000000;
	r->oa = oa_top;
	r = add(b, C_MAP, -ERANGE, "map: oa range ends past 2^oa_bits");
	r->ia = 0x10000000;
	r->oa = oa_top - TPAGE;
	r->size = 2 * TPAGE;
	r = add(b, C_MAP, -ERANGE, "map: oa 2^63");
	r->ia = 0x10000000;
	r->oa = 0x8000000000000000ull;

	/* map and protect: prot */
	for (enum call c = C_MAP; c <= C_PROTECT; c += C_PROTECT - C_MAP) {
		const char *n = call_names[c];

		for (size_t i = 0; i < sizeof(unknown_bits) / sizeof(unknown_bits[0]); i++) {
			r = add(b, c, -EINVAL, "%s: unknown prot bit 0x%x", n, unknown_bits[i]);
			r->ia = 0x10000000;
			r->prot = S2PT_RW | unknown_bits[i];
		}
		r = add(b, c, -EINVAL, "%s: memory type 3 (undefined)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_R | S2PT_MT_MASK;
		r = add(b, c, -EINVAL, "%s: prot 0 (neither readable nor executable)", n);
		r->ia = 0x10000000;
		r->prot = 0;
		r = add(b, c, -EINVAL, "%s: prot W only (write needs read)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_W;
		r = add(b, c, -EINVAL, "%s: prot W|X (write needs read)", n);
		r->ia = 0x10000000;
		r->prot = S2PT_W | S2PT_X;
		r = add(b, c, -EINVAL, "%s: prot SW0 only", n);
		r->ia = 0x10000000;
		r->prot = S2PT_SW0;
		if (is_riscv(b->name)) {
			/* RISC-V priv. spec, Sv39 PTE: RSW is 2 bits (9:8) */
			r = add(b, c, -EINVAL, "%s: SW2 (RISC-V RSW has 2 bits)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_SW2;
			r = add(b, c, -EINVAL, "%s: SW3 (RISC-V RSW has 2 bits)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_SW3;
		}
		if (is_x86_stage1(b->name)) {
			/* SDM vol. 3 §4.5: one XD bit, no user/supervisor split */
			r = add(b, c, -EINVAL, "%s: XU without XS (x86 has one XD bit)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_XU;
			r = add(b, c, -EINVAL, "%s: XS without XU (x86 has one XD bit)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_XS;
			r = add(b, c, -EINVAL, "%s: X without R (x86 pages are always readable)", n);
			r->ia = 0x10000000;
			r->prot = S2PT_X;
		}
		if (no_user_global(b->name)) {
			r = add(b, c, -EINVAL, "%s: S2PT_U on a stage-2 format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_U;
			r = add(b, c, -EINVAL, "%s: S2PT_G on a stage-2 format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_G;
		}
		if (!strncmp(b->name, "sv", 2) && strchr(b->name, 'x')) {
			/* priv. spec, G-stage: the G bit is not used, kept clear */
			r = add(b, c, -EINVAL, "%s: S2PT_G on a G-stage format", n);
			r->ia = 0x10000000;
			r->prot = S2PT_R | S2PT_G;
		}
	}

	/* map flags */
	r = add(b, C_MAP, -EINVAL, "map: unknown flag 0x4");
	r->ia = 0x10000000;
	r->flags = 1u << 2;
	r = add(b, C_MAP, -EINVAL, "map: unknown flag 0x80000000");
	r->ia = 0x10000000;
	r->flags = 1u << 31;
	/* an existing mapping: at the first page, and further in */
	r = add(b, C_MAP, -EEXIST, "map over the mapped page at 0x200000");
	r->ia = 0x200000;
	r = add(b, C_MAP, -EEXIST, "map over a 2 MiB block, from 4 KiB before it");
	r->ia = 0x400000 - TPAGE;
	r->size = 2 * TPAGE;
	r->flags = S2PT_MAP_HUGE;
	r = add(b, C_MAP, -EEXIST, "map HUGE from before a 2 MiB block to past it");
	r->ia = 0x400000 - TPAGE;
	r->size = 2 * TMIB + 2 * TPAGE;
	r->oa = 0x80000000 - TPAGE;
	r->flags = S2PT_MAP_HUGE;
	r = add(b, C_MAP, -EEXIST, "map 2 MiB of pages ending on the mapped page");
	r->ia = TPAGE;
	r->size = 2 * TMIB;

	/* split: leaf size */
	{
		uint64_t bad[] = { 0, 1, TPAGE + 1, 2 * TPAGE, 3 * TPAGE, 64 * TKIB, TMIB,
				   TLEVEL_SIZE(g->info.levels), 1ull << 63 };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = add(b, C_SPLIT, -EINVAL, "split: leaf_size 0x%llx",
				(unsigned long long)bad[i]);
			r->ia = 0x400000;
			r->size = 2 * TMIB;
			r->leaf_size = bad[i];
		}
		for (unsigned l = 0; l < g->info.levels; l++) {
			if (g->info.leaf_sizes & TLEVEL_SIZE(l))
				continue;
			r = add(b, C_SPLIT, -EINVAL, "split: leaf_size 0x%llx not allowed here",
				(unsigned long long)TLEVEL_SIZE(l));
			r->ia = 0;
			r->size = TLEVEL_SIZE(l);
			r->leaf_size = TLEVEL_SIZE(l);
		}
	}

	/* lookup */
	if (g->canonical) {
		r = add(b, C_LOOKUP, -ERANGE, "lookup: non-canonical ia");
		r->ia = g->half;
		r = add(b, C_LOOKUP, -ERANGE, "lookup: non-canonical ia below the upper half");
		r->ia = 0 - g->half - 1;
	} else {
		r = add(b, C_LOOKUP, -ERANGE, "lookup: ia at 2^ia_bits");
		r->ia = g->half;
		r = add(b, C_LOOKUP, -ERANGE, "lookup: ia 2^64 - 1");
		r->ia = ~0ull;
	}

	/* walk */
	r = add(b, C_WALK, -EINVAL, "walk: unknown flag 0x8");
	r->flags = S2PT_WALK_LEAF | 1u << 3;
	r = add(b, C_WALK, -EINVAL, "walk: unknown flag 0x80000000");
	r->flags = S2PT_WALK_LEAF | 1u << 31;
	r = add(b, C_WALK, -EINVAL, "walk: size 0");
	r->flags = S2PT_WALK_LEAF;
	r->size = 0;
	r = add(b, C_WALK, -ERANGE, "walk: range past the input space");
	r->flags = S2PT_WALK_LEAF;
	r->ia = g->half - TPAGE;
	r->size = 2 * TPAGE;
	r = add(b, C_WALK, -ERANGE, "walk: ia past the input space");
	r->flags = S2PT_WALK_LEAF;
	r->ia = g->half;
}
