/* SPDX-License-Identifier: MIT */
/*
 * s2pt benchmark driver: every format (or those named), both writer modes,
 * medians of several runs; x86_64 also against the hand-written baseline;
 * then threads on one table (bench_conc.c) for x86_64 and ept4.
 * Usage: bench [-r runs] [-b] [-m default|single|both|conc|all] [-t ms] [format ...]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_rcu.h"
#include "bench.h"

#define MAX_RUNS	B_MAX_RUNS

static const char *const b_op_name[OP_N] = {
	[OP_MAP] = "map 4K 1-by-1",
	[OP_LK_SEQ] = "lookup sequential",
	[OP_LK_RAND] = "lookup random",
	[OP_UNMAP] = "unmap 4K 1-by-1",
	[OP_MAP_REG] = "map 1G of 4K",
	[OP_PROT_REG] = "protect 1G RW->R",
	[OP_UNMAP_REG] = "unmap 1G of 4K",
	[OP_MAP_HUGE] = "map 1G HUGE",
	[OP_UNMAP_HUGE] = "unmap 1G HUGE",
};

static const char *const b_op_unit[OP_N] = {
	[OP_MAP] = "ns/op", [OP_LK_SEQ] = "ns/op", [OP_LK_RAND] = "ns/op",
	[OP_UNMAP] = "ns/op", [OP_MAP_REG] = "ns/page", [OP_PROT_REG] = "ns/page",
	[OP_UNMAP_REG] = "ns/page", [OP_MAP_HUGE] = "ns/call",
	[OP_UNMAP_HUGE] = "ns/call",
};

/* Writer modes of the library, and the baseline giving the same guarantees. */
struct b_mode {
	const char *name;
	unsigned opt_flags;	/* ~0u: opts NULL (the default) */
	enum b_bl_mode bl;
};

static const struct b_mode b_modes[] = {
	{ "default", ~0u, BL_CONC },
	{ "single", S2PT_OPT_SINGLE_WRITER, BL_SINGLE },
};
#define N_MODES	(sizeof(b_modes) / sizeof(b_modes[0]))
#define B_ONE_THREAD	((1u << N_MODES) - 1)	/* every b_modes[] bit */
#define B_CONC		(1u << N_MODES)		/* the concurrency part */

struct b_args {
	unsigned runs;
	unsigned modes;		/* bit i: b_modes[i]; B_CONC: the concurrency part */
	unsigned ms;		/* -t: duration of each concurrency run */
	int best;		/* -b: the fastest run instead of the median */
	char **names;		/* formats to run; none: all */
	int n_names;
};

/* A median per operation; failed set if any run failed. */
struct b_med {
	double ns[OP_N];
	double spread[OP_N];	/* (max - min) / median of the runs, in % */
	double min[OP_N];	/* the fastest run */
	uint64_t huge_leaf;
	const char *warn;
	int failed;
};

/* The targets this machine must meet (x86_64, default options). */
static const double b_target[OP_N] = {
	[OP_MAP] = 9, [OP_LK_RAND] = 6, [OP_UNMAP] = 6, [OP_MAP_REG] = 2.5,
};
#define B_RATIO_TARGET	1.15

static int b_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double b_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), b_cmp);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* splitmix64: a fixed, reproducible random order. */
static uint64_t b_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t *b_perm(void)
{
	uint32_t *p = malloc(B_NPAGES * sizeof(*p));
	uint64_t s = 42;

	if (!p)
		return NULL;
	for (uint32_t i = 0; i < B_NPAGES; i++)
		p[i] = i;
	for (uint32_t i = B_NPAGES - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(b_rand(&s) % (i + 1)), t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

/* Runs one library or baseline configuration; @bl < 0: the library. */
struct b_subject {
	const struct s2pt_fmt *fmt;
	unsigned opt_flags;
	int bl;
};

static int b_run_once(const struct b_subject *s, const struct b_cfg *c, struct b_res *r)
{
	memset(r, 0, sizeof(*r));
	if (s->bl < 0)
		return b_lib_run(s->fmt, s->opt_flags, c, r);
	return b_bl_run((enum b_bl_mode)s->bl, c, r);
}

static void b_report_fail(const struct b_subject *s, const struct b_res *r, int rc)
{
	fprintf(stderr, "bench: %s%s: %s failed: %s\n",
		s->bl < 0 ? "" : "baseline ", s2pt_fmt_name(s->fmt),
		r->what ? r->what : "?", strerror(-rc));
}

/* Every subject of one format: the library per mode, the baselines. */
#define MAX_SUBJ	(2 * N_MODES + 1)

struct b_set {
	struct b_subject s[MAX_SUBJ];
	struct b_med m[MAX_SUBJ];
	unsigned n;
};

static void b_median_of(struct b_med *m, double smp[OP_N][MAX_RUNS], unsigned runs)
{
	for (unsigned op = 0; op < OP_N; op++) {
		m->ns[op] = b_median(smp[op], runs);	/* sorts smp[op] */
		m->spread[op] = 100 * (smp[op][runs - 1] - smp[op][0]) / m->ns[op];
		m->min[op] = smp[op][0];
	}
}

/* One run of subject @i (run @k < 0: the warm-up, not kept). */
static void b_run_keep(struct b_set *set, unsigned i, const struct b_cfg *c, int k,
		       double smp[OP_N][MAX_RUNS])
{
	struct b_med *m = &set->m[i];
	struct b_res r;
	int rc;

	if (m->failed)
		return;
	rc = b_run_once(&set->s[i], c, &r);
	m->warn = r.warn;
	m->huge_leaf = r.huge_leaf;
	if (rc) {
		b_report_fail(&set->s[i], &r, rc);
		m->failed = 1;
		return;
	}
	for (unsigned op = 0; k >= 0 && op < OP_N; op++)
		smp[op][k] = r.ns[op];
}

/*
 * A warm-up run of each subject, then @runs rounds that run every subject
 * once, so that other load on the machine hits all of them alike; the
 * median of each operation per subject.
 */
static void b_measure(struct b_set *set, const struct b_cfg *c, unsigned runs)
{
	static double smp[MAX_SUBJ][OP_N][MAX_RUNS];

	memset(set->m, 0, sizeof(set->m));
	for (int k = -1; k < (int)runs; k++)
		for (unsigned i = 0; i < set->n; i++)
			b_run_keep(set, i, c, k, smp[i]);
	for (unsigned i = 0; i < set->n; i++)
		if (!set->m[i].failed)
			b_median_of(&set->m[i], smp[i], runs);
}

/* Other work on the machine skews timings: say so when the load shows it. */
static void b_print_load(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double load;

	if (!f)
		return;
	if (fscanf(f, "%lf", &load) == 1 && load > 0.5)
		printf("note: load average %.2f before the start: other work shares the CPUs\n",
		       load);
	fclose(f);
}

static void b_print_head(const struct b_args *a)
{
	b_print_load();
	printf("s2pt bench: %u pages of 4 KiB (1 GiB), %s of %u runs after a warm-up\n",
	       B_NPAGES, a->best ? "fastest" : "median", a->runs);
	printf("default = opts NULL (concurrent writers); single = S2PT_OPT_SINGLE_WRITER\n");
	printf("x86_64 also: baseline = hand-written walker with the mode's guarantees "
	       "(default: CAS + RCU, single: RCU), bare = the same walker single-threaded%s\n",
	       b_have_rcu() ? "" : "\n(liburcu not linked in: the RCU baselines are skipped)");
	printf("spread = (slowest - fastest run) / median: large means a noisy machine\n\n");
	printf("%-12s %-8s %-18s %9s %-8s %6s %9s %6s %9s %6s\n", "format", "mode",
	       "operation", "s2pt", "unit", "spread", "baseline", "ratio", "bare", "ratio");
}

/* One column pair: the baseline's time and s2pt / baseline, or dashes. */
static void b_print_ratio(const struct b_med *bl, const struct b_med *m, unsigned op)
{
	if (bl && !bl->failed)
		printf(" %9.2f %6.2f", bl->ns[op], m->ns[op] / bl->ns[op]);
	else
		printf(" %9s %6s", "-", "-");
}

static void b_print_rows(const char *fmt, const char *mode, const struct b_med *m,
			 const struct b_med *bl, const struct b_med *bare)
{
	for (unsigned op = 0; op < OP_N; op++) {
		printf("%-12s %-8s %-18s %9.2f %-8s %5.0f%%", fmt, mode, b_op_name[op],
		       m->ns[op], b_op_unit[op], m->spread[op]);
		if (bl || bare) {
			b_print_ratio(bl, m, op);
			b_print_ratio(bare, m, op);
		}
		if ((op == OP_MAP_HUGE || op == OP_UNMAP_HUGE) && m->huge_leaf != B_GIB)
			printf("  (%llu KiB leaves)", (unsigned long long)m->huge_leaf >> 10);
		printf("\n");
	}
	if (m->warn)
		printf("%-12s %-8s warning: %s\n", fmt, mode, m->warn);
}

/* The largest s2pt / baseline ratio over the operations. */
static double b_worst(const struct b_med *m, const struct b_med *bl, unsigned *wop)
{
	double worst = 0;

	for (unsigned op = 0; op < OP_N; op++) {
		if (m->ns[op] / bl->ns[op] > worst) {
			worst = m->ns[op] / bl->ns[op];
			*wop = op;
		}
	}
	return worst;
}

static void b_print_worst(const char *what, const struct b_med *m, const struct b_med *bl)
{
	unsigned wop = 0;
	double w = b_worst(m, bl, &wop);

	printf("  worst ratio vs %-8s %5.2f (%s) target <= %.2f  %s\n", what, w,
	       b_op_name[wop], B_RATIO_TARGET, w <= B_RATIO_TARGET ? "met" : "MISSED");
}

/* What the run found against the project's targets; never an error. */
static void b_print_targets(const char *mode, const struct b_med *m, const struct b_med *bl,
			    const struct b_med *bare)
{
	printf("targets, x86_64 %s:\n", mode);
	for (unsigned op = 0; op < OP_N; op++)
		if (b_target[op] > 0)
			printf("  %-18s %7.2f %-8s target <= %4.2f  %s\n", b_op_name[op],
			       m->ns[op], b_op_unit[op], b_target[op],
			       m->ns[op] <= b_target[op] ? "met" : "MISSED");
	if (bl)
		b_print_worst("baseline", m, bl);
	b_print_worst("bare", m, bare);
	printf("\n");
}

/* 1 GiB huge calls that fit below the format's input limit (low half). */
static unsigned b_huge_n(const struct s2pt_fmt *f)
{
	struct s2pt_info in = { 0 };
	struct s2pt *pt;
	uint64_t lim;

	if (s2pt_create(f, NULL, &pt))
		return 1;
	s2pt_info(pt, &in);
	s2pt_destroy(pt);
	if (in.ia_bits < 32)
		return 1;
	lim = ((1ull << (in.ia_bits - 1)) - B_IA0) / B_GIB;
	return lim < B_HUGE_MAX ? (unsigned)lim : B_HUGE_MAX;
}

/* Add a subject; @bl < 0: the library with @opt_flags. Return: its index. */
static unsigned b_add(struct b_set *set, const struct s2pt_fmt *f, unsigned opt_flags, int bl)
{
	set->s[set->n] = (struct b_subject){ f, opt_flags, bl };
	return set->n++;
}

static const struct b_med *b_ok(const struct b_set *set, int i)
{
	return i >= 0 && !set->m[i].failed ? &set->m[i] : NULL;
}

static void b_print_warn(const struct b_set *set, int i)
{
	if (i >= 0 && set->m[i].warn)
		printf("warning: baseline: %s\n", set->m[i].warn);
}

/*
 * Every selected mode of format @f, and for x86_64 the baselines beside it
 * (bare, and with liburcu the one with the mode's guarantees).
 * Return: nonzero if the library failed.
 */
static int b_format(const struct s2pt_fmt *f, const struct b_args *a, struct b_cfg *c)
{
	static struct b_set set;
	int lib[N_MODES], bl[N_MODES], bare = -1, x86 = f == &s2pt_fmt_x86_64, failed = 0;

	set.n = 0;
	c->huge_n = b_huge_n(f);
	if (x86)
		bare = (int)b_add(&set, f, 0, BL_BARE);
	for (unsigned i = 0; i < N_MODES; i++) {
		lib[i] = bl[i] = -1;
		if (!(a->modes & (1u << i)))
			continue;
		lib[i] = (int)b_add(&set, f, b_modes[i].opt_flags, -1);
		if (x86 && b_have_rcu())
			bl[i] = (int)b_add(&set, f, 0, (int)b_modes[i].bl);
	}
	b_measure(&set, c, a->runs);
	for (unsigned i = 0; a->best && i < set.n; i++)
		memcpy(set.m[i].ns, set.m[i].min, sizeof(set.m[i].ns));
	b_print_warn(&set, bare);
	for (unsigned i = 0; i < N_MODES; i++) {
		const struct b_med *m = b_ok(&set, lib[i]);

		if (lib[i] < 0)
			continue;
		failed |= !m;
		if (!m)
			continue;
		b_print_warn(&set, bl[i]);
		b_print_rows(s2pt_fmt_name(f), b_modes[i].name, m, b_ok(&set, bl[i]),
			     b_ok(&set, bare));
		if (x86 && b_ok(&set, bare))
			b_print_targets(b_modes[i].name, m, b_ok(&set, bl[i]), b_ok(&set, bare));
	}
	printf("\n");
	fflush(stdout);
	return failed;
}

static int b_selected(const struct b_args *a, const struct s2pt_fmt *f)
{
	if (!a->n_names)
		return 1;
	for (int i = 0; i < a->n_names; i++)
		if (s2pt_fmt_find(a->names[i]) == f)
			return 1;
	return 0;
}

static int b_usage(void)
{
	fprintf(stderr, "usage: bench [-r runs] [-b] [-m default|single|both|conc|all] "
		"[-t ms] [format ...]\n"
		"  -r N  timed runs per operation (default 7), after one warm-up\n"
		"  -b    report the fastest run instead of the median\n"
		"  -m    what to measure: one writer mode, both, the concurrency part\n"
		"        (x86_64 and ept4), or all of them (default)\n"
		"  -t N  milliseconds per concurrency run (default 200)\n");
	return 2;
}

static int b_parse_mode(const char *s, unsigned *modes)
{
	if (!strcmp(s, "all"))
		*modes = B_ONE_THREAD | B_CONC;
	else if (!strcmp(s, "both"))
		*modes = B_ONE_THREAD;
	else if (!strcmp(s, "conc"))
		*modes = B_CONC;
	else if (!strcmp(s, "default"))
		*modes = 1;
	else if (!strcmp(s, "single"))
		*modes = 2;
	else
		return -1;
	return 0;
}

static int b_parse(int argc, char **argv, struct b_args *a)
{
	int o;

	a->runs = 7;
	a->modes = B_ONE_THREAD | B_CONC;
	a->ms = 200;
	a->best = 0;
	while ((o = getopt(argc, argv, "r:m:t:bh")) != -1) {
		if (o == 'r')
			a->runs = (unsigned)atoi(optarg);
		else if (o == 't')
			a->ms = (unsigned)atoi(optarg);
		else if (o == 'b')
			a->best = 1;
		else if (o != 'm' || b_parse_mode(optarg, &a->modes))
			return -1;
	}
	if (a->runs < 1 || a->runs > MAX_RUNS || a->ms < 1 || a->ms > 60000)
		return -1;
	a->names = argv + optind;
	a->n_names = argc - optind;
	for (int i = 0; i < a->n_names; i++) {
		if (!s2pt_fmt_find(a->names[i])) {
			fprintf(stderr, "bench: no format named %s\n", a->names[i]);
			return -1;
		}
	}
	return 0;
}

/* The concurrency part for the selected ones of x86_64 and ept4. */
static int b_conc_all(const struct b_args *a, const struct b_cfg *c)
{
	static const struct s2pt_fmt *const fmts[] = { &s2pt_fmt_x86_64, &s2pt_fmt_ept4 };
	struct b_conc_args ca = { a->runs, a->ms, a->best };
	int failed = 0, head = 0;

	for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if (!b_selected(a, fmts[i]))
			continue;
		if (!head++) {
			if (!(a->modes & B_ONE_THREAD))
				b_print_load();	/* else printed at the start */
			b_conc_head(&ca);
		}
		failed |= b_conc(fmts[i], &ca, c);
	}
	if (!head && !(a->modes & B_ONE_THREAD))
		fprintf(stderr, "bench: the concurrency part runs on x86_64 and ept4 only\n");
	return failed;
}

/*
 * Freed table pages stay in the process between runs (no trimming, no
 * per-allocation mmap), so runs after the warm-up time the page-table code
 * and not the kernel's first-touch page faults. Library and baseline alike.
 */
static void b_keep_heap(void)
{
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 64 << 20);
}

int main(int argc, char **argv)
{
	struct b_args a;
	struct b_cfg c = { 0 };
	int failed = 0;
	uint32_t *perm;

	if (b_parse(argc, argv, &a))
		return b_usage();
	perm = b_perm();
	if (!perm)
		return 1;
	c.perm = perm;
	for (uint32_t i = 0; i < B_NPAGES; i++)
		c.lk_sum += b_ia(i) + B_OA_OFF;
	b_keep_heap();
	if (b_have_rcu())
		urcu_memb_register_thread();
	if (a.modes & B_ONE_THREAD) {
		b_print_head(&a);
		for (const struct s2pt_fmt *f = s2pt_fmt_next(NULL); f; f = s2pt_fmt_next(f))
			if (b_selected(&a, f))
				failed |= b_format(f, &a, &c);
	}
	if (a.modes & B_CONC)
		failed |= b_conc_all(&a, &c);
	if (b_have_rcu())
		urcu_memb_unregister_thread();
	free(perm);
	return failed;
}
