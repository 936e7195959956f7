// SPDX-License-Identifier: MIT
/*
 * s2pt_dump(): mapped ranges, merged where contiguous and alike, one line
 * each, like the kernels' ptdump.
 */
#include <inttypes.h>
#include "core/pt.h"

struct dump_run {
	FILE *f;
	bool open;
	uint64_t ia, oa, size, leaf_size;
	uint32_t prot;
};

static const char *dump_size(uint64_t sz, char *buf, size_t n)
{
	static const char unit[] = "KMGTPE";
	unsigned u = 0;

	sz >>= 10;
	while (sz >= 1024 && !(sz & 1023) && u + 1 < sizeof(unit) - 1) {
		sz >>= 10;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 "%c", sz, unit[u]);
	return buf;
}

static void dump_line(struct dump_run *r)
{
	static const char *const mt[] = { "WB", "NC", "DEV", "?" };
	char sz[24], leaf[24], p[12];
	uint32_t v = r->prot;

	/* x: any execute; u / s: user- / supervisor-only execute */
	snprintf(p, sizeof(p), "%c%c%c%c%c", v & S2PT_R ? 'r' : '-', v & S2PT_W ? 'w' : '-',
		 v & S2PT_X ? 'x' : v & S2PT_XU ? 'u' : v & S2PT_XS ? 's' : '-',
		 v & S2PT_U ? 'U' : '-', v & S2PT_G ? 'G' : '-');
	fprintf(r->f, "0x%016" PRIx64 "-0x%016" PRIx64 " %6s -> 0x%013" PRIx64 " %s %-3s (%s)\n",
		r->ia, r->ia + r->size, dump_size(r->size, sz, sizeof(sz)), r->oa, p,
		mt[(v & S2PT_MT_MASK) >> S2PT_MT_SHIFT], dump_size(r->leaf_size, leaf, sizeof(leaf)));
}

static int dump_visit(const struct s2pt_visit *v, void *arg)
{
	struct dump_run *r = arg;
	const struct s2pt_leaf *l = v->leaf;

	if (r->open && r->ia + r->size == v->ia && r->oa + r->size == l->oa &&
	    r->prot == l->prot && r->leaf_size == l->size) {
		r->size += v->size;
		return 0;
	}
	if (r->open)
		dump_line(r);
	*r = (struct dump_run){ .f = r->f, .open = true, .ia = v->ia, .oa = l->oa,
				.size = v->size, .leaf_size = l->size, .prot = l->prot };
	return 0;
}

int s2pt_dump(struct s2pt *pt, FILE *f)
{
	struct dump_run r = { .f = f };
	unsigned b;
	int ret;

	if (!pt || !f)
		return -EINVAL;
	b = pt->ia_bits;
	if ((pt->fmt->desc->flags & S2PT_FMT_TTBR) && (pt->flags & S2PT_OPT_TTBR1)) {
		ret = s2pt_walk(pt, ~0ull << b, 1ull << b, S2PT_WALK_LEAF, dump_visit, &r);
	} else if ((pt->fmt->desc->flags & S2PT_FMT_TTBR) && (pt->flags & S2PT_OPT_TTBR0)) {
		ret = s2pt_walk(pt, 0, 1ull << b, S2PT_WALK_LEAF, dump_visit, &r);
	} else if (pt->fmt->desc->flags & S2PT_FMT_CANONICAL) {
		/* the two halves, low then high */
		ret = s2pt_walk(pt, 0, 1ull << (b - 1), S2PT_WALK_LEAF, dump_visit, &r);
		if (!ret)
			ret = s2pt_walk(pt, ~0ull << (b - 1), 1ull << (b - 1), S2PT_WALK_LEAF,
					dump_visit, &r);
	} else {
		ret = s2pt_walk(pt, 0, 1ull << b, S2PT_WALK_LEAF, dump_visit, &r);
	}
	if (r.open)
		dump_line(&r);
	return ret;
}
