// SPDX-License-Identifier: MIT
/*
 * Table life cycle (create, attach, destroy, info) and the core's
 * out-of-line helpers: spare-page pool, invalidation, table release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mm.h"
#include "core/rcu.h"

/* Unlinked tables on their way back to mm, after a grace period. */
struct s2pt_retire {
	struct rcu_head head;
	struct s2pt *pt;
	uint64_t n;
	struct s2pt_spare page[];
};

/* The pool keeps at most this many pages between operations. */
#define S2PT_SPARE_KEEP 16

/* Caller holds pool_lock. */
static void s2pt_spare_drain(struct s2pt *pt, uint64_t keep)
{
	while (pt->nspare > keep) {
		struct s2pt_spare *s = &pt->spare[--pt->nspare];

		pt->mm->free(pt->mm_ctx, s->va, s->pa, S2PT_PAGE_SIZE);
	}
}

/* Room for @n pages in @op's reservation. */
static int s2pt_res_grow(struct s2pt_op *op, uint64_t n)
{
	struct s2pt_spare *a;

	if (n <= op->res_cap)
		return 0;
	if (!op->res_cap && n <= S2PT_OP_RES) {
		op->res = op->res_small;
		op->res_cap = S2PT_OP_RES;
		return 0;
	}
	if (!op->res_cap || op->res == op->res_small) {
		a = malloc(n * sizeof(*a));
		if (a && op->nres)
			memcpy(a, op->res, op->nres * sizeof(*a));
	} else {
		a = realloc(op->res, n * sizeof(*a));
	}
	if (!a)
		return -ENOMEM;
	op->res = a;
	op->res_cap = n;
	return 0;
}

/*
 * Make @op hold at least @tables zeroed pages, from the pool or from mm,
 * and room for @gone more unlinked tables. The only place an op can fail
 * for memory; ops call it before they change anything (or, racing, when
 * they lost a table and can still give up). What it got stays in @op and
 * goes back with s2pt_op_done().
 */
int s2pt_op_reserve(struct s2pt *pt, struct s2pt_op *op, uint64_t tables, uint64_t gone)
{
	int ret = 0;

	if (gone && op->gone_cap - op->ngone < gone) {
		uint64_t cap = op->ngone + gone;
		struct s2pt_retire *r = realloc(op->retire, sizeof(*r) + cap * sizeof(r->page[0]));

		if (!r)
			return -ENOMEM;
		op->retire = r;
		op->gone = r->page;
		op->gone_cap = cap;
	}
	if (op->nres >= tables)
		return 0;
	if (s2pt_res_grow(op, tables))
		return -ENOMEM;
	pthread_mutex_lock(&pt->pool_lock);
	while (op->nres < tables) {
		struct s2pt_spare *s = &op->res[op->nres];

		if (pt->nspare) {
			*s = pt->spare[--pt->nspare];
		} else {
			s->va = pt->mm->zalloc(pt->mm_ctx, S2PT_PAGE_SIZE, &s->pa);
			if (!s->va) {
				ret = -ENOMEM;
				break;
			}
		}
		op->nres++;
	}
	pthread_mutex_unlock(&pt->pool_lock);
	return ret;
}

/* More room for unlinked tables, mid-op: racing writers added tables to a
 * subtree this op is unlinking. It cannot stop halfway, so a failure here
 * (out of heap memory in that race) ends the process, as a broken bound
 * would. */
void s2pt_op_gone_grow(struct s2pt *pt, struct s2pt_op *op)
{
	if (!s2pt_shared(pt) || s2pt_op_reserve(pt, op, 0, op->gone_cap + 16))
		s2pt_spare_bound_broken(pt);
}

/* After the grace period: no reader can still be in these tables. */
static void s2pt_retire_cb(struct rcu_head *head)
{
	struct s2pt_retire *r = caa_container_of(head, struct s2pt_retire, head);
	struct s2pt *pt = r->pt;

	pthread_mutex_lock(&pt->pool_lock);
	for (uint64_t i = 0; i < r->n; i++)
		pt->mm->free(pt->mm_ctx, r->page[i].va, r->page[i].pa, S2PT_PAGE_SIZE);
	pthread_mutex_unlock(&pt->pool_lock);
	free(r);
}

/* End of an op, after its invalidation: the tables it unlinked go to
 * call_rcu, the pages it reserved and did not use back to the pool. */
void s2pt_op_done(struct s2pt *pt, struct s2pt_op *op)
{
	struct s2pt_retire *r = op->retire;

	if (r && op->ngone) {
		r->pt = pt;
		r->n = op->ngone;
		s2pt_rcu_call(pt, &r->head, s2pt_retire_cb);
	} else {
		free(r);
	}
	op->retire = NULL;
	op->gone = NULL;
	op->ngone = op->gone_cap = 0;
	if (op->nres) {
		pthread_mutex_lock(&pt->pool_lock);
		if (pt->nspare + op->nres > pt->spare_cap) {
			uint64_t cap = pt->nspare + op->nres;
			struct s2pt_spare *a = realloc(pt->spare, cap * sizeof(*a));

			if (a) {
				pt->spare = a;
				pt->spare_cap = cap;
			}
		}
		while (op->nres) {
			struct s2pt_spare *s = &op->res[--op->nres];

			if (pt->nspare < pt->spare_cap)
				pt->spare[pt->nspare++] = *s;
			else
				pt->mm->free(pt->mm_ctx, s->va, s->pa, S2PT_PAGE_SIZE);
		}
		s2pt_spare_drain(pt, S2PT_SPARE_KEEP);
		pthread_mutex_unlock(&pt->pool_lock);
	}
	if (op->res_cap && op->res != op->res_small)
		free(op->res);
	op->res_cap = 0;
}

/* Every op reserves a proven bound first; getting here is a bug in that
 * bound, and continuing could only corrupt the table. */
void s2pt_spare_bound_broken(struct s2pt *pt)
{
	(void)pt;
	fprintf(stderr, "s2pt: internal error: reserved-page bound exceeded\n");
	abort();
}

void s2pt_invalidate_now(struct s2pt *pt, uint64_t idx, uint64_t size, int level)
{
	if (pt->invalidate)
		pt->invalidate(pt->inv_ctx, s2pt_ia_out(pt, pt->fmt->desc->flags, idx), size, level);
}

/* s2pt_destroy() only: nobody else uses the table any more. */
void s2pt_table_release(struct s2pt *pt, void *va, uint64_t pa, unsigned level)
{
	(void)level;
	pthread_mutex_lock(&pt->pool_lock);
	pt->mm->free(pt->mm_ctx, va, pa, S2PT_PAGE_SIZE);
	pthread_mutex_unlock(&pt->pool_lock);
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
	pt->rcu = o.rcu;
	pthread_mutex_init(&pt->pool_lock, NULL);
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
 * the tree itself: the root slot value that most often points at a table
 * of 512 identical entries is the invalid table of the level below (a
 * table a writer emptied and left linked looks the same, but only one
 * slot points at it), whose entries point at the next one down. Without
 * such a slot every entry reads as a table.
 */
static void s2pt_empty_learn(struct s2pt *pt)
{
	size_t n = pt->root_bytes / sizeof(uint64_t), best_n = 0, best = 0;
	unsigned top = pt->levels - 1;
	uint64_t v;

	for (size_t i = 0; i < n; i++) {
		size_t same = 0;

		if (!s2pt_uniform(pt, pt->root[i], top, &v))
			continue;
		for (size_t j = 0; j < n; j++)
			same += pt->root[j] == pt->root[i];
		if (same > best_n) {
			best_n = same;
			best = i;
		}
	}
	if (!best_n)
		return;
	pt->empty[top] = pt->root[best];
	s2pt_uniform(pt, pt->root[best], top, &v);
	for (unsigned l = top - 1; l > 0; l--) {
		pt->empty[l] = v;
		if (!s2pt_uniform(pt, v, l, &v))
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
		/* tables other ops unlinked: their callbacks use pt */
		s2pt_rcu_barrier(pt);
		pt->fmt->ops->free_tree(pt);
		pt->mm->free(pt->mm_ctx, pt->root, pt->root_pa, pt->root_bytes);
		s2pt_empty_free(pt);
		s2pt_spare_drain(pt, 0);
	}
	pthread_mutex_destroy(&pt->pool_lock);
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
		for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
			out->table_pages[l] = __atomic_load_n(&pt->table_pages[l], __ATOMIC_RELAXED);
	pthread_mutex_lock((pthread_mutex_t *)&pt->pool_lock);	/* const: only for reading */
	out->spare_pages = pt->nspare;
	pthread_mutex_unlock((pthread_mutex_t *)&pt->pool_lock);
	for (unsigned l = 0; l < S2PT_MAX_LEVELS; l++)
		out->empty_pages += pt->empty_va[l] != NULL;
	out->read_only = pt->read_only;
	out->flags = pt->flags;
	return 0;
}
