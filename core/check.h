/* SPDX-License-Identifier: MIT */
/*
 * Argument validation shared by every operation: it runs before anything
 * changes and turns caller addresses into the walker's index space.
 */
#ifndef S2PT_CORE_CHECK_H
#define S2PT_CORE_CHECK_H

#include "core/walk.h"

#define S2PT_PROT_EXEC (S2PT_X | S2PT_XU | S2PT_XS)
#define S2PT_PAGE_MASK (S2PT_PAGE_SIZE - 1)

/*
 * @ia as an index-space address (the input bits the table decodes), and the
 * end of the half it lies in. First-stage formats take sign-extended
 * canonical addresses: the upper half ends at 2^ia_bits, the lower at
 * 2^(ia_bits - 1), so no range crosses the hole.
 */
static s2pt_always_inline int s2pt_check_ia(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					    uint64_t ia, uint64_t *idx, uint64_t *limit)
{
	unsigned b = s2pt_ia_bits(f, pt);
	uint64_t full = 1ull << b;

	if ((f->flags & S2PT_FMT_TTBR) && (pt->flags & (S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1))) {
		uint64_t want = (pt->flags & S2PT_OPT_TTBR1) ? UINT64_MAX >> b : 0;

		if (ia >> b != want)
			return -ERANGE;
		*idx = ia & (full - 1);
		*limit = full;
		return 0;
	}
	if (f->flags & S2PT_FMT_CANONICAL) {
		uint64_t hi = ia >> (b - 1);

		if (hi != 0 && hi != (UINT64_MAX >> (b - 1)))
			return -ERANGE;
		*idx = ia & (full - 1);
		*limit = hi ? full : full >> 1;
		return 0;
	}
	if (ia >= full)
		return -ERANGE;
	*idx = ia;
	*limit = full;
	return 0;
}

/* A page-aligned, non-empty input range inside the input width. */
static s2pt_always_inline int s2pt_check_range(const struct s2pt_fmt_desc *f, const struct s2pt *pt,
					       uint64_t ia, uint64_t size,
					       uint64_t *start, uint64_t *end)
{
	uint64_t limit;
	int ret;

	if (!size || ((ia | size) & S2PT_PAGE_MASK))
		return -EINVAL;
	ret = s2pt_check_ia(f, pt, ia, start, &limit);
	if (ret)
		return ret;
	if (size > limit - *start)
		return -ERANGE;
	*end = *start + size;
	return 0;
}

static s2pt_always_inline int s2pt_check_oa(const struct s2pt *pt, uint64_t oa, uint64_t size)
{
	uint64_t full = 1ull << pt->oa_bits;

	if (oa & S2PT_PAGE_MASK)
		return -EINVAL;
	if (oa >= full || size > full - oa)
		return -ERANGE;
	return 0;
}

/* The rules common to every format, then the format's own. */
static s2pt_always_inline int s2pt_check_prot(const struct s2pt_fmt_desc *f, uint32_t prot)
{
	if (prot & ~f->prot_bits)
		return -EINVAL;
	if (!(prot & (S2PT_R | S2PT_PROT_EXEC)))
		return -EINVAL;
	if ((prot & S2PT_W) && !(prot & S2PT_R))
		return -EINVAL;
	if ((prot & S2PT_MT_MASK) == S2PT_MT_MASK)
		return -EINVAL;
	return f->prot_check(prot);
}

static s2pt_always_inline int s2pt_check_writable(const struct s2pt *pt)
{
	return pt->read_only ? -EPERM : 0;
}

#endif /* S2PT_CORE_CHECK_H */
