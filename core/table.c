// SPDX-License-Identifier: MIT
/*
 * Table life cycle (create, attach, destroy, info) and the core's
 * out-of-line helpers: spare-page pool, invalidation, table release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mm.h"
#include "core/pt.h"

int s2pt_spare_topup(struct s2pt *pt, uint64_t n)
{
	uint64_t want = n;

	/* refill to the edge-split worst case too, so the next small ops
	 * find the pool full and skip their counts */
	if (want < 2 * (pt->levels - 1))
		want = 2 * (pt->levels - 1);
	if (want > pt->spare_cap) {
		struct s2pt_spare *a = realloc(pt->spare, want * sizeof(*a));

		if (!a)
			return -ENOMEM;
		pt->spare = a;
		pt->spare_cap = want;
	}
	while (pt->nspare < want) {
		struct s2pt_spare *s = &pt->spare[pt->nspare];

		s->va = pt->mm->zalloc(pt->mm_ctx, S2PT_PAGE_SIZE, &s->pa);
		if (!s->va) {
			s2pt_spare_trim(pt);
			return pt->nspare >= n ? 0 : -ENOMEM;
		}
		pt->nspare++;
	}
	return 0;
}

static void s2pt_spare_drain(struct s2pt *pt, uint64_t keep)
{
	while (pt->nspare > keep) {
		struct s2pt_spare *s = &pt->spare[--pt->nspare];

		pt->mm->free(pt->mm_ctx, s->va, s->pa, S2PT_PAGE_SIZE);
	}
}

void s2pt_spare_trim(struct s2pt *pt)
{
	s2pt_spare_drain(pt, S2PT_SPARE_KEEP);
}

/* Every op tops the pool up to a proven bound first; getting here is a bug
 * in that bound, and continuing could only corrupt the table. */
void s2pt_spare_bound_broken(struct s2pt *pt)
{
	(void)pt;
	fprintf(stderr, "s2pt: internal error: spare-page bound exceeded\n");
	abort();
}

void s2pt_invalidate_now(struct s2pt *pt, uint64_t idx, uint64_t size, int level)
{
	if (pt->invalidate)
		pt->invalidate(pt->inv_ctx, s2pt_ia_out(pt, pt->fmt->desc->flags, idx), size, level);
}

void s2pt_table_release(struct s2pt *pt, void *va, uint64_t pa, unsigned level)
{
	(void)level;
	pt->mm->free(pt->mm_ctx, va, pa, S2PT_PAGE_SIZE);
}

void s2pt_op_flush(struct s2pt *pt, struct s2pt_op *op)
{
	if (op->inv_start != op->inv_end)
		s2pt_invalidate_now(pt, op->inv_start, op->inv_end - op->inv_start, op->inv_level);
	for (unsigned i = 0; i < op->ndefer; i++)
		s2pt_table_release(pt, op->defer[i].va, op->defer[i].pa, op->defer[i].level);
	op->inv_start = op->inv_end = 0;
	op->ndefer = 0;
}

void *s2pt_p2v_slow(const struct s2pt *pt, uint64_t pa)
{
	return pt->mm->phys_to_virt(pt->mm_ctx, pa);
}

/* Options as the caller's struct gives them: fields past opts->sz read as
 * zero; a larger struct must have zeros past ours (libbpf's rule). */
static int s2pt_opts_read(const struct s2pt_opts *in, struct s2pt_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (!in)
		return 0;
	if (in->sz < sizeof(in->sz))
		return -EINVAL;
	if (in->sz > sizeof(*o)) {
		const unsigned char *p = (const unsigned char *)in;

		for (size_t i = sizeof(*o); i < in->sz; i++)
			if (p[i])
				return -EINVAL;
	}
	memcpy(o, in, in->sz < sizeof(*o) ? in->sz : sizeof(*o));
	return 0;
}

/* opts.leaf_sizes as a mask of levels: 4 KiB, and no gaps (hardware that
 * lacks a size lacks all larger ones), and only sizes the format has. */
static int s2pt_leaf_levels(const struct s2pt_fmt_desc *d, unsigned levels, uint64_t sizes,
			    uint64_t *out)
{
	uint64_t fmt = d->leaf_levels & ((1ull << levels) - 1), m = 0;

	if (!sizes) {
		*out = fmt;
		return 0;
	}
	for (unsigned l = 0; l < levels; l++)
		if (sizes & s2pt_lsize(l))
			m |= 1ull << l;
	if (sizes != 0 && (m & ~fmt))
		return -EINVAL;
	for (unsigned l = 0; l < levels; l++)
		sizes &= ~s2pt_lsize(l);
	if (sizes || !(m & 1) || (m & (m + 1)))
		return -EINVAL;
	*out = m;
	return 0;
}

static int s2pt_setup(const struct s2pt_fmt *fmt, const struct s2pt_opts *in, struct s2pt **out,
		      struct s2pt **ptp)
{
	const struct s2pt_fmt_desc *d;
	struct s2pt_opts o;
	struct s2pt *pt;
	unsigned top;
	int ret;

	if (!fmt || !out)
		return -EINVAL;
	d = fmt->desc;
	ret = s2pt_opts_read(in, &o);
	if (ret)
		return ret;
	if (o.flags & ~(unsigned)(S2PT_OPT_SINGLE_WRITER | S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1 |
				  S2PT_OPT_AD))
		return -EINVAL;
	if ((o.flags & S2PT_OPT_AD) && !(d->flags & S2PT_FMT_OPT_AD))
		return -EINVAL;
	if ((o.flags & (S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1)) &&
	    (!(d->flags & S2PT_FMT_TTBR) ||
	     (o.flags & (S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1)) == (S2PT_OPT_TTBR0 | S2PT_OPT_TTBR1)))
		return -EINVAL;
	if (!o.ia_bits)
		o.ia_bits = d->ia_bits;
	if (o.ia_bits < d->ia_bits_min || o.ia_bits > d->ia_bits_max)
		return -EINVAL;
	if (o.mm && (!o.mm->zalloc || !o.mm->free || !o.mm->phys_to_virt))
		return -EINVAL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->fmt = fmt;
	pt->ia_bits = o.ia_bits;
	pt->oa_bits = d->oa_bits;
	pt->levels = d->levels_for ? d->levels_for(o.ia_bits) : d->levels;
	top = pt->levels - 1;
	ret = s2pt_leaf_levels(d, pt->levels, o.leaf_sizes, &pt->leaf_levels);
	if (ret) {
		free(pt);
		return ret;
	}
	pt->root_bytes = sizeof(uint64_t) << (o.ia_bits - s2pt_shift(top));
	if (pt->root_bytes < S2PT_PAGE_SIZE)
		pt->root_bytes = S2PT_PAGE_SIZE;
	pt->flags = o.flags;
	pt->mm = o.mm ? o.mm : &s2pt_heap_mm;
	pt->mm_ctx = o.mm_ctx;
	pt->linear = s2pt_mm_linear(pt->mm, pt->mm_ctx, &pt->p2v_off);
	/* only heap pages are the library's alone between alloc and use */
	pt->spare_scrub = pt->mm != &s2pt_heap_mm;
	pt->invalidate = o.invalidate;
	pt->inv_ctx = o.inv_ctx;
	*ptp = pt;
	return 0;
}

static void s2pt_empty_free(struct s2pt *pt)
{
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		if (pt->empty_va[l])
			pt->mm->free(pt->mm_ctx, pt->empty_va[l], pt->empty_pa[l], S2PT_PAGE_SIZE);
}

/*
 * Formats whose empty slots point at an invalid table (LVZ): one shared
 * invalid table per level below the root, each full of the empty value of
 * its own level, so a hardware walker never follows a slot to address 0.
 */
static int s2pt_empty_init(struct s2pt *pt)
{
	const struct s2pt_fmt_desc *d = pt->fmt->desc;

	if (!(d->flags & S2PT_FMT_EMPTY_TABLE))
		return 0;
	for (unsigned l = 0; l + 1 < pt->levels; l++) {
		uint64_t *t = pt->mm->zalloc(pt->mm_ctx, S2PT_PAGE_SIZE, &pt->empty_pa[l]);

		if (!t) {
			s2pt_empty_free(pt);
			return -ENOMEM;
		}
		pt->empty_va[l] = t;
		for (unsigned i = 0; i < 512; i++)
			t[i] = pt->empty[l];
		pt->empty[l + 1] = d->pte_table(pt->empty_pa[l], l + 1);
	}
	return 0;
}

int s2pt_create(const struct s2pt_fmt *fmt, const struct s2pt_opts *opts, struct s2pt **out)
{
	struct s2pt *pt;
	int ret = s2pt_setup(fmt, opts, out, &pt);

	if (ret)
		return ret;
	ret = s2pt_empty_init(pt);
	if (ret) {
		free(pt);
		return ret;
	}
	pt->root = pt->mm->zalloc(pt->mm_ctx, pt->root_bytes, &pt->root_pa);
	if (!pt->root) {
		s2pt_empty_free(pt);
		free(pt);
		return -ENOMEM;
	}
	if (fmt->desc->flags & S2PT_FMT_EMPTY_TABLE)
		for (size_t i = 0; i < pt->root_bytes / sizeof(uint64_t); i++)
			pt->root[i] = pt->empty[pt->levels - 1];
	pt->table_pages[pt->levels - 1] = pt->root_bytes / S2PT_PAGE_SIZE;
	*out = pt;
	return 0;
}

int s2pt_hw_root(const struct s2pt *pt, unsigned vmid, uint64_t *val)
{
	struct s2pt_hw hw;

	if (!pt || !val)
		return -EINVAL;
	if (!pt->fmt->desc->hw_root)
		return -EOPNOTSUPP;
	hw.root_pa = pt->root_pa;
	hw.levels = pt->levels;
	hw.ia_bits = pt->ia_bits;
	hw.opt_flags = pt->flags;
	hw.vmid = vmid;
	return pt->fmt->desc->hw_root(&hw, val);
}

/* The table a directory entry @e at @level points at, if all its 512
 * entries hold one value (*v): only an invalid table looks like that. */
static bool s2pt_uniform(const struct s2pt *pt, uint64_t e, unsigned level, uint64_t *v)
{
	const struct s2pt_fmt_desc *d = pt->fmt->desc;
	const uint64_t *t;

	if (d->pte_kind(e, level) != S2PT_TABLE)
		return false;
	t = s2pt_p2v(pt, d->pte_addr(e, level));
	if (!t)
		return false;
	for (unsigned i = 1; i < 512; i++)
		if (t[i] != t[0])
			return false;
	*v = t[0];
	return true;
}

/*
 * An attached view of a format whose empty slots point at invalid tables
 * must know those pointers to tell holes from tables. They are found from
 * the tree itself: a root slot pointing at a table of 512 identical
 * entries is the invalid table of the level below, whose entries point at
 * the next one down. Without such a slot every entry reads as a table.
 */
static void s2pt_empty_learn(struct s2pt *pt)
{
	unsigned top = pt->levels - 1;
	uint64_t v;

	for (size_t i = pt->root_bytes / sizeof(uint64_t); i-- > 0;) {
		if (!s2pt_uniform(pt, pt->root[i], top, &v))
			continue;
		pt->empty[top] = pt->root[i];
		for (unsigned l = top - 1; l > 0; l--) {
			pt->empty[l] = v;
			if (!s2pt_uniform(pt, v, l, &v))
				return;
		}
		return;
	}
}

int s2pt_attach(const struct s2pt_fmt *fmt, uint64_t root_pa, const struct s2pt_opts *opts,
		struct s2pt **out)
{
	struct s2pt *pt;
	int ret = s2pt_setup(fmt, opts, out, &pt);

	if (ret)
		return ret;
	if (root_pa & (S2PT_PAGE_SIZE - 1)) {
		free(pt);
		return -EINVAL;
	}
	pt->read_only = true;
	/* someone else's tables may point anywhere: check every pointer */
	pt->linear = pt->mm == &s2pt_heap_mm;
	pt->root_pa = root_pa;
	pt->root = s2pt_p2v(pt, root_pa);
	if (!pt->root) {
		free(pt);
		return -EFAULT;
	}
	if (fmt->desc->flags & S2PT_FMT_EMPTY_TABLE)
		s2pt_empty_learn(pt);
	*out = pt;
	return 0;
}

void s2pt_destroy(struct s2pt *pt)
{
	if (!pt)
		return;
	if (!pt->read_only) {
		pt->fmt->ops->free_tree(pt);
		pt->mm->free(pt->mm_ctx, pt->root, pt->root_pa, pt->root_bytes);
		s2pt_empty_free(pt);
		s2pt_spare_drain(pt, 0);
	}
	free(pt->spare);
	free(pt);
}

uint64_t s2pt_root(const struct s2pt *pt)
{
	return pt ? pt->root_pa : 0;
}

int s2pt_info(const struct s2pt *pt, struct s2pt_info *out)
{
	if (!pt || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->fmt = pt->fmt;
	out->levels = pt->levels;
	out->ia_bits = pt->ia_bits;
	out->oa_bits = pt->oa_bits;
	for (unsigned l = 0; l < pt->levels; l++)
		if ((pt->leaf_levels >> l) & 1)
			out->leaf_sizes |= s2pt_lsize(l);
	out->root_bytes = pt->root_bytes;
	if (!pt->read_only)
		memcpy(out->table_pages, pt->table_pages, sizeof(out->table_pages));
	out->spare_pages = pt->nspare;
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		out->empty_pages += pt->empty_va[l] != NULL;
	out->read_only = pt->read_only;
	return 0;
}
