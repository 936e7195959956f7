/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: input bytes -> a format, table options and a sequence of
 * operations on a small address window, each checked against the reference
 * model (tests/model) and the contract. Layout: fuzz_input.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "fuzz/fuzz.h"

#define MAX_FMTS	64
#define OP_LEAVES	2048		/* leaves one map or split may create */
#define LEAF_BUDGET	16384		/* stop the input above this many leaves */
#define HARVEST_MAX	(64 * TMIB)	/* bitmap of at most 2 KiB */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *const fz_op_names[OP_NKINDS] = {
	"map", "unmap", "protect", "split", "collapse", "harvest", "lookup", "walk",
	"attach", "badargs",
};

static const struct s2pt_fmt *fmts[MAX_FMTS];
static unsigned nfmts;
static uint64_t fmt_sizes[MAX_FMTS];	/* every leaf size the format has */
static bool fmt_ad[MAX_FMTS], fmt_ttbr[MAX_FMTS];
/* prot validity per format and option set: 0 unknown, 1 valid, -1 refused */
static int8_t prot_cache[MAX_FMTS][8][1 << 13];
static struct fz F;
static struct wlist pl, post;		/* reused by every step */

/* ------------------------------------------------------------------ */
/* Reporting and hooks                                                 */

/* Print the input's table set-up and operations (the last one failed). */
static void fz_report(struct fz *f)
{
	fprintf(stderr, "*** s2pt fuzz: format %s, flags %#x, %s RCU, ia_bits %u, leaf_sizes "
		"0x%llx, window 0x%llx+0x%llx, oa window 0x%llx; operations:\n",
		f->name ? f->name : "?", f->flags, f->rcu_sync ? "one-thread" : "urcu-memb",
		f->g.info.ia_bits, (unsigned long long)f->g.info.leaf_sizes,
		(unsigned long long)f->win, (unsigned long long)f->wsize,
		(unsigned long long)f->oa_win);
	for (unsigned i = 0; i < f->nhist; i++)
		fprintf(stderr, "    %s\n", f->hist[i]);
	fprintf(stderr, "*** replay: s2pt-fuzz <crash file> (S2PT_FUZZ_TRACE=1 prints each step)\n");
}

/* chk_fail() calls this after its message: report, then abort() so that
 * libFuzzer saves the input (Criterion is not running the show here). */
static void fz_dump(void *arg)
{
	fz_report(arg);
	fflush(stderr);
	abort();
}

/* A sanitizer found something: print the operations too. */
static void fz_death(void)
{
	if (F.pt)
		fz_report(&F);
}

/* The table's invalidate hook: record the call, with an event number. */
static void fz_inv_hook(void *ctx, uint64_t ia, uint64_t size, int level)
{
	struct fz *f = ctx;

	CHK(f->recording, "invalidate(0x%llx, 0x%llx, %d) called outside of any operation",
	    (unsigned long long)ia, (unsigned long long)size, level);
	if (f->ninv == f->capinv) {
		f->capinv = f->capinv ? 2 * f->capinv : 64;
		f->inv = realloc(f->inv, f->capinv * sizeof(*f->inv));
		CHK(f->inv, "out of memory");
	}
	f->inv[f->ninv++] = (struct fz_inv){
		.ia = ia, .size = size, .level = level, .seq = tmm_tick(&f->mm),
	};
}

/* tmm's free hook: table pages freed by the operation itself (deferred
 * RCU frees run later, on another thread, and are not recorded). */
static void fz_on_free(void *arg, uint64_t pa, size_t bytes, uint64_t seq)
{
	struct fz *f = arg;

	(void)bytes;
	if (!f->recording || !pthread_equal(pthread_self(), f->self))
		return;
	if (f->nfev == f->capfev) {
		f->capfev = f->capfev ? 2 * f->capfev : 64;
		f->fev = realloc(f->fev, f->capfev * sizeof(*f->fev));
		CHK(f->fev, "out of memory");
	}
	f->fev[f->nfev++] = (struct fz_free){ .pa = pa, .seq = seq };
}

/* Append to the current operation's history line. */
void fz_hist_add(struct fz *f, const char *fmt, ...)
{
	char *h = f->hist[f->nhist - 1];
	size_t n = strlen(h);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h + n, sizeof(f->hist[0]) - n, fmt, ap);
	va_end(ap);
}

/* Table pages linked in a walk list (TABLE_PRE entries). */
uint64_t fz_tables(const struct wlist *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += w->r[i].kind == S2PT_WALK_TABLE_PRE;
	return n;
}

/*
 * tmm's pages in use == root + @tables linked tables + spares + shared
 * invalid tables, as tree_check() does with an mm. Under urcu-memb, frees
 * deferred by call_rcu may still be pending, and waiting for them costs
 * 10 ms (the call_rcu worker batches): between operations the count may
 * only be higher, unless @exact; the one-thread flavor frees at once.
 */
void fz_check_alloc(struct fz *f, uint64_t tables, const char *what, bool exact)
{
	for (int pass = 0;; pass++) {
		struct s2pt_info in;
		uint64_t want, live;

		CHK(s2pt_info(f->pt, &in) == 0, "s2pt_info failed");
		want = (in.root_bytes + TPAGE - 1) / TPAGE + tables + in.spare_pages + in.empty_pages;
		live = tmm_live_pages(&f->mm);
		if (live == want || (live > want && !exact && !f->rcu_sync))
			return;
		CHK(pass == 0 && !f->rcu_sync && live > want,
		    "%s: allocator pages in use %llu != root %llu + linked tables %llu + spare "
		    "%llu + shared invalid tables %llu", what, (unsigned long long)live,
		    (unsigned long long)(want - tables - in.spare_pages - in.empty_pages),
		    (unsigned long long)tables, (unsigned long long)in.spare_pages,
		    (unsigned long long)in.empty_pages);
		test_rcu_barrier();
	}
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

/* Once per process: RCU registration, the formats and their options. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	test_rcu_register();
	__sanitizer_set_death_callback(fz_death);
	F.self = pthread_self();
	F.trace = getenv("S2PT_FUZZ_TRACE") != NULL;
	for (const struct s2pt_fmt *fm = s2pt_fmt_next(NULL); fm && nfmts < MAX_FMTS;
	     fm = s2pt_fmt_next(fm)) {
		struct s2pt *pt;
		struct s2pt_info info;

		CHK(tcreate(fm, NULL, 0, 0, 0, NULL, NULL, &pt) == 0 && s2pt_info(pt, &info) == 0,
		    "%s: create with defaults failed", s2pt_fmt_name(fm));
		fmt_sizes[nfmts] = info.leaf_sizes;
		s2pt_destroy(pt);
		/* which options the format takes (S2PT_OPT_AD: EPT; TTBR0: arm64_4k) */
		if ((fmt_ad[nfmts] = tcreate(fm, NULL, 0, 0, S2PT_OPT_AD, NULL, NULL, &pt) == 0))
			s2pt_destroy(pt);
		if ((fmt_ttbr[nfmts] = tcreate(fm, NULL, 0, 0, S2PT_OPT_TTBR0, NULL, NULL, &pt) == 0))
			s2pt_destroy(pt);
		fmts[nfmts++] = fm;
	}
	CHK(nfmts > 0, "no formats registered");
	return 0;
}

/* The table under test on tmm, with the hooks (tcreate() plus opts.rcu). */
static int fz_create(struct fz *f)
{
	struct s2pt_opts o = {
		.sz = sizeof(o),
		.mm = &tmm_ops,
		.mm_ctx = &f->mm,
		.invalidate = fz_inv_hook,
		.inv_ctx = f,
		.ia_bits = f->ia_bits,
		.leaf_sizes = f->leaf_sizes,
		.flags = f->flags,
		.rcu = f->rcu_sync ? &fz_rcu_sync : NULL,
	};

	return s2pt_create(f->fmt, &o, &f->pt);
}

/* Decode the header, create the table and place the windows. */
static void fz_open(struct fz *f, const uint8_t *h)
{
	uint64_t all, top;
	unsigned nall = 0, place;
	int ret;

	f->fidx = h[0] % nfmts;
	f->fmt = fmts[f->fidx];
	f->name = s2pt_fmt_name(f->fmt);
	all = f->fmt_sizes = fmt_sizes[f->fidx];
	f->flags = 0;
	if (h[1] & FZ_T_SINGLE_WRITER)
		f->flags |= S2PT_OPT_SINGLE_WRITER;
	if ((h[1] & FZ_T_AD) && fmt_ad[f->fidx])
		f->flags |= S2PT_OPT_AD;
	if ((h[1] & FZ_T_TTBR0) && fmt_ttbr[f->fidx])
		f->flags |= S2PT_OPT_TTBR0;
	f->rcu_sync = (h[1] & FZ_T_RCU_MEMB) != FZ_T_RCU_MEMB;
	f->ia_bits = h[2] >= 0x80 ? 32 + h[2] % 27 : 0;
	while (fz_nth_size(all, nall))
		nall++;
	f->leaf_sizes = 0;
	for (unsigned i = 0; h[3] && i < 1 + (h[3] - 1u) % nall; i++)
		f->leaf_sizes |= fz_nth_size(all, i);
	f->nhist = 0;
	f->ninv = f->nfev = 0;
	f->recording = false;
	tmm_init(&f->mm);
	f->mm.on_free = fz_on_free;
	f->mm.ev_arg = f;
	model_init(&f->m);
	chk_context("format %s: create (flags %#x ia_bits %u leaf_sizes 0x%llx%s)", f->name,
		    f->flags, f->ia_bits, (unsigned long long)f->leaf_sizes,
		    f->rcu_sync ? ", one-thread RCU" : "");
	ret = fz_create(f);
	if (ret == -EINVAL && f->ia_bits) {
		f->ia_bits = 0;		/* not an input size this format has */
		ret = fz_create(f);
	}
	CHK(ret == 0, "create(flags %#x, ia_bits %u, leaf_sizes 0x%llx): %d", f->flags, f->ia_bits,
	    (unsigned long long)f->leaf_sizes, ret);
	tgeo_get(f->pt, &f->g);
	CHK(!f->leaf_sizes || f->g.info.leaf_sizes == f->leaf_sizes,
	    "info.leaf_sizes 0x%llx, asked 0x%llx", (unsigned long long)f->g.info.leaf_sizes,
	    (unsigned long long)f->leaf_sizes);
	CHK(!f->ia_bits || f->g.info.ia_bits == f->ia_bits, "info.ia_bits %u, asked %u",
	    f->g.info.ia_bits, f->ia_bits);
	f->nsizes = 0;
	for (unsigned l = 0; l < f->g.info.levels; l++)
		if (f->g.info.leaf_sizes & TLEVEL_SIZE(l))
			f->sizes[f->nsizes++] = TLEVEL_SIZE(l);
	CHK(f->nsizes && f->sizes[0] == TPAGE, "leaf_sizes 0x%llx without 4 KiB",
	    (unsigned long long)f->g.info.leaf_sizes);

	/* the window: 4 GiB, or four of the largest leaves; in one half */
	top = fz_nth_size(all, nall - 1);
	f->units[FZ_U_4K] = TPAGE;
	f->units[FZ_U_2M] = 2 * TMIB;
	f->units[FZ_U_1G] = TGIB;
	f->units[FZ_U_TOP] = top;
	f->wsize = 4 * top > 4 * TGIB ? 4 * top : 4 * TGIB;
	if (f->wsize > f->g.half)
		f->wsize = f->g.half;
	place = (h[1] & FZ_T_WIN_MASK) >> FZ_T_WIN_SHIFT;
	if (!f->g.canonical && place >= 2)
		place -= 2;
	f->win = place == 0 ? 0 : place == 1 ? f->g.half - f->wsize :
		 place == 2 ? 0 - f->g.half : 0 - f->wsize;
	f->oa_top = f->g.info.oa_bits < 64 ? 1ull << f->g.info.oa_bits : 0;
	CHK(f->oa_top >= 8 * f->wsize, "oa_bits %u too small for the window",
	    f->g.info.oa_bits);
	f->oa_win = f->oa_top / 4;
	/* DESIGN.md: no hardware dirty bit on ARM (no DBM), LoongArch, EPT
	 * without A/D; no accessed bit on LoongArch and EPT without A/D */
	f->no_young = !strcmp(f->name, "la64") || !strcmp(f->name, "lvz") ||
		      (!strncmp(f->name, "ept", 3) && !(f->flags & S2PT_OPT_AD));
	f->wp_dirty = f->no_young || !strncmp(f->name, "arm64", 5);
	f->leaves = 0;
	tree_check(f->pt, &f->g, &f->m, NULL, NULL);
	fz_check_alloc(f, 0, "after create", true);
	snap_take(f->pt, &f->g, NULL, &f->cur);
	wlist_init(&f->next.all);
}

/* Destroy the table: everything must come back to the allocator. */
static void fz_close(struct fz *f)
{
	struct tree_stats st;

	chk_context("format %s: closing", f->name);
	tree_check(f->pt, &f->g, &f->m, NULL, &st);
	fz_check_alloc(f, st.tables, "before destroy", true);
	snap_fini(&f->cur);
	snap_fini(&f->next);
	s2pt_destroy(f->pt);
	f->pt = NULL;
	/* DESIGN.md: destroy waits for the table's pending RCU callbacks */
	CHK(tmm_live_pages(&f->mm) == 0, "destroy left %llu pages allocated",
	    (unsigned long long)tmm_live_pages(&f->mm));
	tmm_fini(&f->mm);
	model_fini(&f->m);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

/* The prot coded in record bytes 8 and 9 (fuzz_input.h): R added unless
 * raw, so that most are valid; invalid ones (memory type 3, W alone...) stay. */
static uint32_t fz_prot(uint8_t p, uint8_t p2)
{
	static const uint32_t bits[7] = {
		S2PT_R, S2PT_W, S2PT_X, S2PT_XU, S2PT_XS, S2PT_U, S2PT_G,
	};
	uint32_t prot = (uint32_t)(p2 & 3) << S2PT_MT_SHIFT | (uint32_t)(p2 >> 2 & 0xf) << 12;

	for (unsigned i = 0; i < 7; i++)
		if (p >> i & 1)
			prot |= bits[i];
	if (!(p2 & FZ_P2_RAW))
		prot |= S2PT_R;
	return prot;
}

/*
 * Does the table's format take @prot? Asked once per format, option set
 * and prot, on a scratch table; whatever it accepts must follow the
 * generic rules of s2pt.h (readable or executable, write needs read).
 */
static bool fz_prot_ok(struct fz *f, uint32_t prot)
{
	unsigned cfg = (f->flags & S2PT_OPT_SINGLE_WRITER ? 1 : 0) |
		       (f->flags & S2PT_OPT_AD ? 2 : 0) | (f->flags & S2PT_OPT_TTBR0 ? 4 : 0);
	unsigned key = (prot & 0x7f) | (prot >> S2PT_MT_SHIFT & 3) << 7 | (prot >> 12 & 0xf) << 9;
	int8_t *c = &prot_cache[f->fidx][cfg][key];
	struct s2pt *pt;
	int ret;

	if (*c)
		return *c > 0;
	ret = tcreate(f->fmt, NULL, 0, 0, f->flags, NULL, NULL, &pt);
	CHK(ret == 0, "scratch table: create: %d", ret);
	ret = s2pt_map(pt, 0x200000, 0x200000, TPAGE, prot, 0);
	s2pt_destroy(pt);
	CHK(ret == 0 || ret == -EINVAL, "scratch table: map with prot 0x%x: %d", prot, ret);
	CHK(ret || ((prot & (S2PT_R | S2PT_X | S2PT_XU | S2PT_XS)) &&
		    (!(prot & S2PT_W) || (prot & S2PT_R))),
	    "prot 0x%x accepted: neither readable nor executable, or write without read", prot);
	*c = ret ? -1 : 1;
	return !ret;
}

/* Shorten a map so that it makes at most OP_LEAVES leaves (greedy, as
 * S2PT_MAP_HUGE chooses them). */
static uint64_t fz_cap_map(const struct fz *f, const struct fz_op *o)
{
	uint64_t off = 0;

	for (unsigned n = 0; off < o->size && n < OP_LEAVES; n++) {
		uint64_t s = TPAGE;

		for (unsigned k = f->nsizes; (o->flags & S2PT_MAP_HUGE) && k-- > 1;) {
			uint64_t z = f->sizes[k];

			if ((o->ia + off) % z == 0 && (o->oa + off) % z == 0 && z <= o->size - off) {
				s = z;
				break;
			}
		}
		off += s;
	}
	return off;
}

/* One record into an operation inside the window, sized so that it stays
 * cheap (OP_LEAVES, HARVEST_MAX). */
static void fz_decode(struct fz *f, const struct fz_rec *r, struct fz_op *o)
{
	static const enum fz_op_kind kinds[16] = {
		OP_MAP, OP_MAP, OP_MAP, OP_UNMAP, OP_UNMAP, OP_PROTECT, OP_PROTECT, OP_SPLIT,
		OP_SPLIT, OP_COLLAPSE, OP_COLLAPSE, OP_LOOKUP, OP_WALK, OP_HARVEST, OP_ATTACH,
		OP_BADARGS,
	};
	uint64_t off = fz_code_value(r->ia, f->units) & (f->wsize - 1);
	uint64_t size = fz_code_value(r->size, f->units), oa;

	memset(o, 0, sizeof(*o));
	o->kind = kinds[FZ_KIND(r->kind)];
	if ((int64_t)size <= 0)
		size = TPAGE;
	if (size > f->wsize - off)
		size = f->wsize - off;
	o->ia = f->win + off;
	o->size = size;
	/* the output window, aligned like the input plus the coded delta */
	oa = (f->oa_win + off + fz_code_value(r->oa, f->units)) & (f->oa_top - 1);
	if (oa > f->oa_top - size)
		oa = f->oa_top - size;
	o->oa = oa;
	o->prot = fz_prot(r->prot, r->prot2);
	o->inject = r->kind & FZ_R_INJECT;
	o->nth = r->nth % 32;
	o->arg = r->arg;
	o->arg2 = r->arg2;
	switch (o->kind) {
	case OP_MAP:
		o->flags = (r->kind & FZ_R_HUGE ? S2PT_MAP_HUGE : 0) |
			   (r->kind & FZ_R_REPLACE ? S2PT_MAP_REPLACE : 0);
		o->size = fz_cap_map(f, o);
		break;
	case OP_SPLIT:
		o->leaf_size = f->sizes[o->arg % f->nsizes];
		if (o->size / o->leaf_size > OP_LEAVES)
			o->size = OP_LEAVES * o->leaf_size;
		break;
	case OP_HARVEST:
		o->flags = o->arg & 1 ? S2PT_HARVEST_YOUNG : S2PT_HARVEST_DIRTY;
		if (o->size > HARVEST_MAX)
			o->size = HARVEST_MAX;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Steps                                                               */

/* The library call of a changing operation. */
static int fz_run(struct fz *f, const struct fz_op *o, uint64_t *bm)
{
	switch (o->kind) {
	case OP_MAP:
		return s2pt_map(f->pt, o->ia, o->oa, o->size, o->prot, o->flags);
	case OP_UNMAP:
		return s2pt_unmap(f->pt, o->ia, o->size);
	case OP_PROTECT:
		return s2pt_protect(f->pt, o->ia, o->size, o->prot);
	case OP_SPLIT:
		return s2pt_split(f->pt, o->ia, o->size, o->leaf_size);
	case OP_COLLAPSE:
		return s2pt_collapse(f->pt, o->ia, o->size);
	case OP_HARVEST:
		return s2pt_harvest(f->pt, o->ia, o->size, o->flags, bm);
	default:
		chk_fail("fz_run: %s is not a changing operation", fz_op_names[o->kind]);
	}
}

/* Is the return value one the contract allows for this operation? */
static bool fz_ret_ok(const struct fz *f, const struct fz_op *o, int ret, bool bad_prot,
		      bool overlap, bool injected)
{
	bool exists = o->kind == OP_MAP && overlap && !(o->flags & S2PT_MAP_REPLACE);
	bool nosup = o->kind == OP_HARVEST && o->flags == S2PT_HARVEST_YOUNG && f->no_young;

	switch (ret) {
	case 0:
		return !bad_prot && !exists && !nosup;
	case -EINVAL:		/* and -EEXIST: either check may come first */
		return bad_prot;
	case -EEXIST:
		return exists;
	case -EOPNOTSUPP:
		return nosup;
	case -ENOMEM:		/* only from an injected failure, after validation */
		return injected && !bad_prot && o->kind != OP_COLLAPSE && o->kind != OP_HARVEST;
	default:
		return false;
	}
}

/* Does some leaf of @pl straddle an edge of [ia, ia + size)? */
static bool fz_straddles(const struct wlist *l, uint64_t ia, uint64_t size)
{
	for (size_t i = 0; i < l->n; i++) {
		uint64_t lo, hi;
		const struct wrec *r = &l->r[i];

		if (fz_isect(r->ia, r->size, ia, size, &lo, &hi) &&
		    (lo != r->ia / TPAGE || hi != r->ia / TPAGE + r->size / TPAGE))
			return true;
	}
	return false;
}

/* Compare translations at the edges of the operation and in its middle. */
static void fz_lookups(struct fz *f, const struct fz_op *o)
{
	uint64_t b = (uint64_t)o->arg2 << 4;

	if (o->ia != f->win)
		check_lookup(f->pt, &f->g, &f->m, o->ia - 1);
	check_lookup(f->pt, &f->g, &f->m, o->ia + b);
	check_lookup(f->pt, &f->g, &f->m, o->ia + (o->size / 2 & ~(TPAGE - 1)) + b);
	check_lookup(f->pt, &f->g, &f->m, o->ia + o->size - 1);
	if (o->ia + o->size - f->win < f->wsize)
		check_lookup(f->pt, &f->g, &f->m, o->ia + o->size);
}

/* A changing operation: run it, check the return value, then either
 * "nothing changed" or the new table against the updated model. */
static void fz_mutate(struct fz *f, const struct fz_op *o)
{
	struct snap *before = &f->cur;
	struct tree_stats st;
	uint64_t *bm = NULL, allocs0, inj0;
	size_t bmw = 0;
	bool bad_prot = false, overlap;
	int ret;

	fz_leaves_only(&before->all, &pl);
	overlap = model_any(&f->m, o->ia, o->size);
	if (o->kind == OP_MAP || o->kind == OP_PROTECT)
		bad_prot = !fz_prot_ok(f, o->prot);
	if (o->kind == OP_HARVEST) {
		bmw = (o->size / TPAGE + 63) / 64;
		bm = calloc(bmw + 1, sizeof(*bm));
		CHK(bm, "out of memory");
		bm[bmw] = FZ_GUARD;
	}
	f->ninv = f->nfev = 0;
	allocs0 = tmm_allocs(&f->mm);
	inj0 = f->mm.injected;
	if (o->inject)
		tmm_fail_nth(&f->mm, o->nth);
	f->recording = fz_rcu_in_op = true;
	ret = fz_run(f, o, bm);
	f->recording = fz_rcu_in_op = false;
	tmm_fail_nth(&f->mm, -1);
	fz_hist_add(f, " -> %d (%zu invalidations, %llu allocations)", ret, f->ninv,
		    (unsigned long long)(tmm_allocs(&f->mm) - allocs0));
	if (f->trace)
		fprintf(stderr, "%s\n", f->hist[f->nhist - 1]);

	CHK(fz_ret_ok(f, o, ret, bad_prot, overlap, f->mm.injected > inj0),
	    "%s returned %d; the contract allows %s here (prot %s, range %s, %s)",
	    fz_op_names[o->kind], ret, bad_prot ? "-EINVAL" : "0 or -ENOMEM",
	    bad_prot ? "refused by the format" : "valid", overlap ? "mapped" : "empty",
	    f->mm.injected > inj0 ? "an allocation failed" : "no allocation failed");
	if (o->kind == OP_COLLAPSE || o->kind == OP_HARVEST)
		CHK(tmm_allocs(&f->mm) == allocs0, "%s allocated %llu table pages; it never "
		    "allocates", fz_op_names[o->kind],
		    (unsigned long long)(tmm_allocs(&f->mm) - allocs0));
	if (bm) {
		CHK(bm[bmw] == FZ_GUARD, "harvest wrote past the bitmap's %llu bits",
		    (unsigned long long)(o->size / TPAGE));
		for (size_t i = 0; ret && i < bmw; i++)
			CHK(!bm[i], "harvest failed with %d but set bits in the bitmap", ret);
	}
	if (ret == -ENOMEM && o->kind == OP_UNMAP)
		CHK(fz_straddles(&pl, o->ia, o->size), "unmap returned -ENOMEM, but no block "
		    "straddles the range's edges (s2pt.h: -ENOMEM only for an edge split)");
	if (ret) {
		snap_expect(f->pt, &f->g, NULL, before, "after a failed operation");
		fz_check_alloc(f, fz_tables(&before->all), "after a failed operation", false);
		CHK(ret == -ENOMEM || f->ninv == 0, "%s refused with %d but called invalidate",
		    fz_op_names[o->kind], ret);
		free(bm);
		fz_lookups(f, o);
		return;
	}
	switch (o->kind) {
	case OP_MAP:
		CHK(model_map(&f->m, o->ia, o->oa, o->size, o->prot, o->flags) == 0, "model_map");
		break;
	case OP_UNMAP:
		model_unmap(&f->m, o->ia, o->size);
		break;
	case OP_PROTECT:
		model_protect(&f->m, o->ia, o->size, o->prot);
		break;
	case OP_SPLIT:
		model_split(&f->m, o->ia, o->size, o->leaf_size);
		break;
	case OP_COLLAPSE:
		model_collapse(&f->m, o->ia, o->size);
		break;
	case OP_HARVEST:
		fz_check_harvest(f, o, &pl, bm);
		break;
	default:
		break;
	}
	snap_fini(&f->next);
	snap_take(f->pt, &f->g, NULL, &f->next);
	fz_leaves_only(&f->next.all, &post);
	fz_check_untouched(f, o, &pl, &post);
	fz_check_invalidations(f, o, &before->all, &pl, &post);
	if (o->kind == OP_MAP)
		fz_check_map_shape(f, o, &post);
	if (o->kind == OP_SPLIT)
		fz_check_split_shape(f, o, &pl, &post);
	if (o->kind == OP_COLLAPSE)
		fz_check_collapse(f, o, &pl, &post);
	tree_check(f->pt, &f->g, &f->m, NULL, &st);
	fz_check_alloc(f, st.tables, "after the operation", false);
	f->leaves = st.leaves;
	fz_lookups(f, o);
	/* the new state is the next operation's "before" */
	{
		struct snap t = f->cur;

		f->cur = f->next;
		f->next = t;
	}
	free(bm);
}

/* One operation of the input. */
static void fz_step(struct fz *f, const struct fz_op *o)
{
	f->nhist++;
	snprintf(f->hist[f->nhist - 1], sizeof(f->hist[0]),
		 "#%u %s(ia 0x%llx, size 0x%llx, oa 0x%llx, prot 0x%x, flags %#x, leaf 0x%llx, "
		 "arg %u/%u)%s", f->nhist - 1, fz_op_names[o->kind], (unsigned long long)o->ia,
		 (unsigned long long)o->size, (unsigned long long)o->oa, o->prot, o->flags,
		 (unsigned long long)o->leaf_size, o->arg, o->arg2, o->inject ? " inject" : "");
	if (o->inject)
		fz_hist_add(f, " #%ld", o->nth);
	chk_context("format %s flags %#x ia_bits %u leaf_sizes 0x%llx, step %s", f->name,
		    f->flags, f->g.info.ia_bits, (unsigned long long)f->g.info.leaf_sizes,
		    f->hist[f->nhist - 1]);
	switch (o->kind) {
	case OP_LOOKUP:
		fz_lookups(f, o);
		break;
	case OP_WALK:
		fz_do_walk(f, o);
		break;
	case OP_ATTACH:
		fz_do_attach(f, o);
		break;
	case OP_BADARGS:
		fz_badargs(f, o);
		break;
	default:
		fz_mutate(f, o);
		return;
	}
	if (f->trace)
		fprintf(stderr, "%s\n", f->hist[f->nhist - 1]);
}

/* One input: a fresh table, up to FZ_MAX_OPS checked steps, destroy. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = &F;
	size_t nops;

	if (size < FZ_HDR)
		return 0;
	nops = (size - FZ_HDR) / FZ_REC;
	if (nops > FZ_MAX_OPS)
		nops = FZ_MAX_OPS;
	chk_set_dump(fz_dump, f);
	fz_open(f, data);
	if (f->trace)
		fprintf(stderr, "format %s flags %#x%s ia_bits %u leaf_sizes 0x%llx window "
			"0x%llx+0x%llx\n", f->name, f->flags, f->rcu_sync ? " one-thread-rcu" : "",
			f->g.info.ia_bits,
			(unsigned long long)f->g.info.leaf_sizes, (unsigned long long)f->win,
			(unsigned long long)f->wsize);
	for (size_t i = 0; i < nops && f->leaves <= LEAF_BUDGET; i++) {
		struct fz_rec r;
		struct fz_op o;

		fz_rec_get(data + FZ_HDR + i * FZ_REC, &r);
		fz_decode(f, &r, &o);
		fz_step(f, &o);
	}
	fz_close(f);
	chk_set_dump(NULL, NULL);
	return 0;
}
