/* SPDX-License-Identifier: MIT */
/*
 * Randomized operation sequences on every format, checked after every step
 * against the reference model (tests/model): translations, leaf shapes,
 * table structure, allocator accounting and TLB-invalidation calls.
 * Replay: S2PT_SEED=<seed> [S2PT_FORMAT=<name>] [S2PT_OPS=<per format>]
 * build/tests/unit --filter 'random/ops'. S2PT_SEED=random picks a fresh seed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "unit/random_rt.h"

const char *const op_names[] = { "map", "unmap", "protect", "split", "collapse" };

/* ------------------------------------------------------------------ */

static void rt_dump(void *arg)
{
	struct rt *t = arg;
	uint64_t first = t->nhist > HIST ? t->nhist - HIST : 0;

	fprintf(stderr, "*** last operations (format %s, epoch %u, seed 0x%llx):\n",
		t->name, t->epoch, (unsigned long long)t->base_seed);
	for (uint64_t i = first; i < t->nhist; i++)
		fprintf(stderr, "    %s\n", t->hist[i % HIST]);
	fprintf(stderr, "*** replay: S2PT_SEED=0x%llx S2PT_FORMAT=%s build/tests/unit "
		"--filter 'random/*'\n", (unsigned long long)t->base_seed, t->name);
}

static void rt_hist(struct rt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rt_hist(struct rt *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->hist[t->nhist % HIST], sizeof(t->hist[0]), fmt, ap);
	va_end(ap);
	t->nhist++;
}

/* The op range extended by a page on each side, inside the same half. */
static void extend(const struct rt *t, uint64_t ia, uint64_t size, uint64_t *lo, uint64_t *len)
{
	*lo = ia;
	*len = size;
	if (tgeo_range_ok(&t->g, ia - TPAGE, size + TPAGE) && ia != 0 && ia != 0 - t->g.half) {
		*lo = ia - TPAGE;
		*len += TPAGE;
	}
	if (tgeo_range_ok(&t->g, *lo, *len + TPAGE))
		*len += TPAGE;
}

static void leaves_only(const struct wlist *in, struct wlist *out)
{
	out->n = 0;
	for (size_t i = 0; i < in->n; i++) {
		if (in->r[i].kind != S2PT_WALK_LEAF)
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->r = realloc(out->r, out->cap * sizeof(*out->r));
			CHK(out->r, "out of memory");
		}
		out->r[out->n++] = in->r[i];
	}
}

/* ------------------------------------------------------------------ */
/* One step                                                            */

static int do_op(struct rt *t, struct opctx *o)
{
	switch (o->kind) {
	case OP_MAP:
		return s2pt_map(t->pt, o->ia, o->oa, o->size, o->prot, o->flags);
	case OP_UNMAP:
		return s2pt_unmap(t->pt, o->ia, o->size);
	case OP_PROTECT:
		return s2pt_protect(t->pt, o->ia, o->size, o->prot);
	case OP_SPLIT:
		return s2pt_split(t->pt, o->ia, o->size, o->leaf_size);
	case OP_COLLAPSE:
		return s2pt_collapse(t->pt, o->ia, o->size);
	default:
		return -1;
	}
}

static void rt_step(struct rt *t)
{
	struct opctx o;
	struct wlist *pre = &t->pre;
	uint64_t lo, hi;
	char desc[200];

	gen_op(t, &o);
	t->upper_ops += o.ia >= t->g.half;
	t->edge_ops += o.ia + o.size == 0 || o.ia + o.size == t->g.half;
	CHK(tgeo_range_ok(&t->g, o.ia, o.size), "generator: bad range 0x%llx+0x%llx",
	    (unsigned long long)o.ia, (unsigned long long)o.size);
	extend(t, o.ia, o.size, &o.lo, &o.len);
	snprintf(desc, sizeof(desc), "#%llu %s(ia 0x%llx, size 0x%llx, oa 0x%llx, prot 0x%x, "
		 "flags %#x, leaf_size 0x%llx) want %d", (unsigned long long)t->step,
		 op_names[o.kind], (unsigned long long)o.ia, (unsigned long long)o.size,
		 (unsigned long long)o.oa, o.prot, o.flags, (unsigned long long)o.leaf_size,
		 o.want);
	rt_hist(t, "%s", desc);
	chk_context("format %s epoch %u seed 0x%llx step %llu: %s", t->name, t->epoch,
		    (unsigned long long)t->base_seed, (unsigned long long)t->step, desc);

	wlist_walk(t->pt, o.lo, o.len, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, pre);
	o.range_was_empty = !model_any(&t->m, o.ia, o.size);
	o.wlo = o.lo;
	o.wlen = o.len;
	for (size_t i = 0; i < pre->n; i++) {
		const struct wrec *r = &pre->r[i];
		uint64_t e = o.wlo + o.wlen;	/* may be 0: the end of the space */

		if (r->kind != S2PT_WALK_LEAF)
			continue;
		if (r->ia < o.wlo) {
			o.wlen += o.wlo - r->ia;
			o.wlo = r->ia;
		}
		if (e && r->ia + r->size - 1 > e - 1)
			o.wlen = r->ia + r->size - o.wlo;
	}
	{
		/* the pre-walk itself agrees with the model's emptiness */
		bool any = false;

		for (size_t i = 0; i < pre->n; i++)
			any |= pre->r[i].kind == S2PT_WALK_LEAF &&
			       isect(pre->r[i].ia, pre->r[i].size, o.ia, o.size, &lo, &hi);
		CHK(any == !o.range_was_empty, "before the op: the table %s mappings in the "
		    "range, the model %s", any ? "has" : "has no",
		    o.range_was_empty ? "none" : "some");
	}
	t->ninv = 0;
	t->nfev = 0;
	o.allocs0 = tmm_allocs(&t->mm);
	t->recording = true;
	o.ret = do_op(t, &o);
	t->recording = false;
	t->ops[o.kind]++;
	snprintf(t->hist[(t->nhist - 1) % HIST] + strlen(desc),
		 sizeof(t->hist[0]) - strlen(desc), " -> %d, %zu inv", o.ret, t->ninv);

	CHK(o.ret == o.want, "%s returned %d, expected %d", op_names[o.kind], o.ret, o.want);
	if (o.kind == OP_COLLAPSE)
		CHK(tmm_allocs(&t->mm) == o.allocs0, "collapse allocated %llu table pages",
		    (unsigned long long)(tmm_allocs(&t->mm) - o.allocs0));

	if (o.ret) {
		/* refused: nothing may change, nothing invalidated */
		if (o.ret == -EEXIST)
			t->eexist++;
		else
			t->einval++;
		wlist_walk(t->pt, o.lo, o.len, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE, &t->post);
		{
			char why[400];

			if (!wlist_equal(pre, &t->post, why, sizeof(why)))
				chk_fail("%s refused with %d but the table changed: %s",
					 op_names[o.kind], o.ret, why);
		}
		CHK(t->ninv == 0, "%s refused with %d but called invalidate", op_names[o.kind],
		    o.ret);
		check_lookups(t, &o);
		return;
	}
	t->ok[o.kind]++;
	switch (o.kind) {
	case OP_MAP:
		CHK(model_map(&t->m, o.ia, o.oa, o.size, o.prot, o.flags) == 0, "model");
		break;
	case OP_UNMAP:
		model_unmap(&t->m, o.ia, o.size);
		break;
	case OP_PROTECT:
		model_protect(&t->m, o.ia, o.size, o.prot);
		break;
	case OP_SPLIT:
		model_split(&t->m, o.ia, o.size, o.leaf_size);
		break;
	case OP_COLLAPSE:
		model_collapse(&t->m, o.ia, o.size);
		break;
	default:
		break;
	}
	wlist_walk(t->pt, o.wlo, o.wlen, S2PT_WALK_LEAF, &t->post);
	check_range(t, &o, pre);
	check_invalidations(t, &o, pre);
	if (o.kind == OP_MAP)
		check_map_shape(t, &o);
	if (o.kind == OP_SPLIT) {
		struct wlist pl;

		wlist_init(&pl);
		leaves_only(pre, &pl);
		check_split_shape(t, &o, &pl);
		wlist_fini(&pl);
	}
	if (o.kind == OP_COLLAPSE) {
		struct wlist pl;

		wlist_init(&pl);
		leaves_only(pre, &pl);
		check_collapse_shape(t, &o, &pl);
		wlist_fini(&pl);
	}
	check_lookups(t, &o);
}

static void attach_check(struct rt *t)
{
	struct s2pt_opts opts = {
		.sz = sizeof(opts), .mm = &tmm_ops, .mm_ctx = &t->mm,
		.ia_bits = t->g.info.ia_bits, .leaf_sizes = t->g.info.leaf_sizes,
	};
	struct s2pt *view;
	struct s2pt_info vi;
	struct wlist a, b;
	char why[400];
	int ret;

	ret = s2pt_attach(t->fmt, s2pt_root(t->pt), &opts, &view);
	CHK(ret == 0, "attach: %d", ret);
	ret = s2pt_info(view, &vi);
	CHK(ret == 0 && vi.read_only, "attach: info %d read_only %d", ret, vi.read_only);
	wlist_init(&a);
	wlist_init(&b);
	wlist_walk_all(t->pt, &t->g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &a);
	wlist_walk_all(view, &t->g, S2PT_WALK_LEAF | S2PT_WALK_TABLE_PRE | S2PT_WALK_TABLE_POST, &b);
	if (!wlist_equal(&a, &b, why, sizeof(why)))
		chk_fail("an attached view walks differently from its table: %s", why);
	for (int k = 0; k < 16 && t->m.n; k++) {
		const struct model_ext *x = &t->m.e[rnd(t, t->m.n)];

		check_lookup(view, &t->g, &t->m, (x->pg + rnd(t, x->npg)) * TPAGE + rnd(t, TPAGE));
	}
	wlist_fini(&a);
	wlist_fini(&b);
	s2pt_destroy(view);
}

static void full_check(struct rt *t)
{
	struct tree_stats st;

	tree_check(t->pt, &t->g, &t->m, &t->mm, &st);
	t->leaves = st.leaves;
	t->full_checks++;
	t->sum_leaves += st.leaves;
	t->sum_ext += t->m.n;
}

/* ------------------------------------------------------------------ */
/* The test                                                            */

struct fmt_param {
	char name[32];
	unsigned nfmt;
};

static uint64_t base_seed(void)
{
	const char *s = getenv("S2PT_SEED");

	if (s && !strcmp(s, "random")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
	}
	if (s && *s)
		return strtoull(s, NULL, 0);
	return 0x5332505452414e44ull;	/* fixed by default: CI is reproducible */
}

static uint64_t ops_per_format(unsigned nfmt)
{
	const char *s = getenv("S2PT_OPS");
	uint64_t n;

	if (s && *s)
		return strtoull(s, NULL, 0);
	n = (MIN_TOTAL_OPS + nfmt - 1) / (nfmt ? nfmt : 1);
	return n < MIN_FMT_OPS ? MIN_FMT_OPS : n;
}

ParameterizedTestParameters(random, ops)
{
	static struct fmt_param p[64];
	unsigned n = 0;

	for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f && n < 64; f = s2pt_fmt_next(f)) {
		snprintf(p[n].name, sizeof(p[n].name), "%s", s2pt_fmt_name(f));
		n++;
	}
	for (unsigned i = 0; i < n; i++)
		p[i].nfmt = n;
	return cr_make_param_array(struct fmt_param, p, n);
}

ParameterizedTest(struct fmt_param *p, random, ops, .init = test_rcu_register,
		  .fini = test_rcu_unregister, .timeout = 600)
{
	const char *only = getenv("S2PT_FORMAT");
	struct rt *t;
	uint64_t total, per;

	if (only && *only && strcmp(only, p->name))
		return;
	t = calloc(1, sizeof(*t));
	cr_assert(t);
	t->fmt = s2pt_fmt_find(p->name);
	cr_assert(t->fmt, "s2pt_fmt_find(\"%s\") failed for a name from s2pt_fmt_next", p->name);
	t->name = p->name;
	t->self = pthread_self();
	t->base_seed = base_seed();
	chk_set_dump(rt_dump, t);
	total = ops_per_format(p->nfmt);
	per = (total + NEPOCH - 1) / NEPOCH;
	for (unsigned e = 0; e < NEPOCH; e++) {
		rt_open(t, e);
		for (uint64_t i = 0; i < per; i++) {
			t->step++;
			rt_step(t);
			if (t->step % FULL_EVERY == 0) {
				chk_context("format %s epoch %u seed 0x%llx step %llu: full check after "
					    "the last op", t->name, e, (unsigned long long)t->base_seed,
					    (unsigned long long)t->step);
				full_check(t);
			}
			if (t->step % ATTACH_EVERY == 0)
				attach_check(t);
		}
		chk_context("format %s epoch %u seed 0x%llx: closing", t->name, e,
			    (unsigned long long)t->base_seed);
		rt_close(t);
	}
	cr_log_info("random/%s: %llu ops (map %llu/%llu ok, unmap %llu, protect %llu, split %llu, "
		    "collapse %llu), %llu EEXIST, %llu EINVAL, %llu huge leaves made, %llu blocks "
		    "split, %llu folds seen, %llu invalidations, %llu full checks",
		    t->name, (unsigned long long)t->step, (unsigned long long)t->ops[OP_MAP],
		    (unsigned long long)t->ok[OP_MAP], (unsigned long long)t->ops[OP_UNMAP],
		    (unsigned long long)t->ops[OP_PROTECT], (unsigned long long)t->ops[OP_SPLIT],
		    (unsigned long long)t->ops[OP_COLLAPSE], (unsigned long long)t->eexist,
		    (unsigned long long)t->einval, (unsigned long long)t->huge_leaves,
		    (unsigned long long)t->splits_done, (unsigned long long)t->folds,
		    (unsigned long long)t->invs, (unsigned long long)t->full_checks);
	if (getenv("S2PT_STATS"))
		fprintf(stderr, "random/%s: %llu ops (map %llu/%llu ok, unmap %llu, protect %llu, "
			"split %llu, collapse %llu), %llu EEXIST, %llu EINVAL, %llu huge leaves, "
			"%llu blocks split, %llu folds, %llu invalidations, %llu full checks, "
			"mean leaves %llu, mean extents %llu, %llu ops in the upper half, %llu ending "
			"at the end of a half, %llu region wipes\n",
			t->name, (unsigned long long)t->step, (unsigned long long)t->ops[OP_MAP],
			(unsigned long long)t->ok[OP_MAP], (unsigned long long)t->ops[OP_UNMAP],
			(unsigned long long)t->ops[OP_PROTECT], (unsigned long long)t->ops[OP_SPLIT],
			(unsigned long long)t->ops[OP_COLLAPSE], (unsigned long long)t->eexist,
			(unsigned long long)t->einval, (unsigned long long)t->huge_leaves,
			(unsigned long long)t->splits_done, (unsigned long long)t->folds,
			(unsigned long long)t->invs, (unsigned long long)t->full_checks,
			(unsigned long long)(t->sum_leaves / (t->full_checks + !t->full_checks)),
			(unsigned long long)(t->sum_ext / (t->full_checks + !t->full_checks)),
			(unsigned long long)t->upper_ops, (unsigned long long)t->edge_ops,
			(unsigned long long)t->wipes);
	chk_set_dump(NULL, NULL);
	free(t->good);
	free(t->bad);
	free(t->inv);
	free(t->fev);
	free(t);
}
