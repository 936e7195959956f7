/* SPDX-License-Identifier: MIT */
/*
 * The first-stage half of s2pt_translate(), instantiated per format: a
 * guest's tables walked in guest memory, each fetch through stage 2.
 */
#ifndef S2PT_CORE_XLATE_H
#define S2PT_CORE_XLATE_H

#include <string.h>
#include "core/check.h"
#include "core/walk.h"

static s2pt_always_inline int s2pt_do_xlate(const struct s2pt_fmt_desc *f,
					    const struct s2pt_fmt *fmt,
					    const struct s2pt_guest *g, uint64_t gva,
					    uint32_t access, struct s2pt_xlate *out)
{
	/* the guest's tables seen through this format's default geometry */
	struct s2pt v = { .fmt = fmt, .levels = f->levels, .ia_bits = f->ia_bits,
			  .flags = g->s1_flags, .leaf_levels = f->leaf_levels };
	uint64_t a, limit, tgpa = g->s1_root;
	int top = (int)f->levels - 1, ret;

	if (s2pt_check_ia(f, &v, gva, &a, &limit))
		return s2pt_xlate_fault(out, 1, S2PT_XF_RANGE, top, gva);
	for (int l = top; l >= 0; l--) {
		uint64_t egpa = tgpa + sizeof(uint64_t) * s2pt_idx(f, &v, a, (unsigned)l), e;
		const uint64_t *p;

		ret = s2pt_xlate_s2(g, egpa, S2PT_ACC_READ, f->flags, true, out);
		if (ret)
			return ret;
		p = g->hpa_to_va(g->ctx, out->hpa, sizeof(*p));
		if (!p)
			return -ENXIO;
		/* acquire: pairs with a guest publishing a filled table */
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		out->reads++;
		switch (s2pt_kind_of(f, &v, e, (unsigned)l)) {
		case S2PT_NONE:
		case S2PT_BUSY:	/* the locked marker is a not-present value too */
			return s2pt_xlate_fault(out, 1, S2PT_XF_NOT_PRESENT, l, gva);
		case S2PT_TABLE:
			tgpa = f->pte_addr(e, (unsigned)l);
			continue;
		case S2PT_LEAF:
			out->s1_size = s2pt_lsize((unsigned)l);
			out->gpa = f->pte_addr(e, (unsigned)l) + (a & (out->s1_size - 1));
			out->s1_prot = f->pte_prot(e, (unsigned)l);
			if (!s2pt_s1_access_ok(f->flags, out->s1_prot, access))
				return s2pt_xlate_fault(out, 1, S2PT_XF_PERMISSION, l, gva);
			return s2pt_xlate_s2(g, out->gpa, access, f->flags, false, out);
		}
	}
	return s2pt_xlate_fault(out, 1, S2PT_XF_NOT_PRESENT, 0, gva);
}

#endif /* S2PT_CORE_XLATE_H */
