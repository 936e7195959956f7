/* SPDX-License-Identifier: MIT */
/*
 * The concurrency benchmark (issue 4): reader throughput alone, beside a
 * writer, and behind a pthread rwlock; writer throughput for one and two
 * writers on disjoint ranges; the concurrent mode's cost over a single writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bench_rcu.h"
#include "bench.h"

#define C_MAX_THR	2		/* the machine has 2 CPUs: never more threads */
#define C_BATCH		256u		/* lookups between two looks at the stop flag */
#define C_MIX_IA	(B_IA0 + B_GIB)	/* the writer beside readers: the next 1 GiB */
#define C_MIX_PAGES	4096u		/* its 16 MiB window: 8 leaf tables come and go */
#define C_WR_PAGES	B_NPAGES	/* writer k maps then unmaps [1 + k, 2 + k) GiB */
#define C_OTHER_OK	10		/* % of the CPUs other processes may take */

/* What one run yields per subject. */
enum c_val {
	V_RD,		/* reader: million lookups/s */
	V_WR,		/* writers together: million operations/s */
	V_MAP,		/* writers: ns per 4 KiB map */
	V_UNMAP,	/* writers: ns per 4 KiB unmap */
	V_CPU,		/* the least CPU time a thread had / its time, in % */
	V_OTHER,	/* CPU time other processes took / all CPUs' time, in % */
	V_N
};

static const bool c_higher_better[V_N] = { [V_RD] = true, [V_WR] = true, [V_CPU] = true };

/* One measured configuration. Readers use the format's populated table;
 * writer-only subjects build a fresh table per run with @opt_flags. */
struct c_subj {
	const char *name;
	unsigned readers, writers;
	bool lock;		/* every call behind one pthread rwlock */
	bool pin;		/* one thread per CPU */
	unsigned opt_flags;	/* ~0u: opts NULL (concurrent writers) */
};

/*
 * The rwlock runs both pinned and free: pinned, every hand-off of the lock
 * between the two CPUs is a futex wake-up; free, the scheduler may put
 * both threads on one CPU, which suits a lock better. The ratio takes the
 * better of the two.
 */
enum { S_ALONE, S_WITH, S_LK_ALONE, S_LK_WITH, S_LK_FREE, S_NREAD };
static const struct c_subj c_read_subj[S_NREAD] = {
	[S_ALONE] = { "s2pt: reader alone", 1, 0, false, true, ~0u },
	[S_WITH] = { "s2pt: reader + writer", 1, 1, false, true, ~0u },
	[S_LK_ALONE] = { "rwlock: reader alone", 1, 0, true, true, ~0u },
	[S_LK_WITH] = { "rwlock: reader + writer", 1, 1, true, true, ~0u },
	[S_LK_FREE] = { "rwlock: same, not pinned", 1, 1, true, false, ~0u },
};

enum { S_W1, S_W2, S_W1_SINGLE, S_NWRITE };
static const struct c_subj c_write_subj[S_NWRITE] = {
	[S_W1] = { "1 writer, default", 0, 1, false, true, ~0u },
	[S_W2] = { "2 writers, default", 0, 2, false, true, ~0u },
	[S_W1_SINGLE] = { "1 writer, single", 0, 1, false, true, S2PT_OPT_SINGLE_WRITER },
};

/* Shared by the threads of one run. The lock and the stop flag each have
 * a cache line of their own, so that neither slows the other's users. */
struct c_run {
	struct s2pt *pt;
	const uint32_t *perm;
	bool use_lock;
	pthread_mutex_t mu;		/* the start gate: go under mu, cv */
	pthread_cond_t cv;
	bool go;
	pthread_rwlock_t lock __attribute__((aligned(64)));
	atomic_bool stop __attribute__((aligned(64)));
	char pad[63];
};

enum c_role { C_READER, C_MIXER, C_WRITER };

/* One thread: its job, then what it did. A line of its own, too. */
struct c_thr {
	struct c_run *run;
	pthread_t tid;
	enum c_role role;
	int cpu;			/* -1: not pinned */
	uint64_t ia;			/* writers: first page of the range */
	uint64_t ops, ns;		/* operations done in ns */
	uint64_t cpu_ns, wall_ns;	/* CPU time it had while it worked, and in all */
	uint64_t map_ops, map_ns, unmap_ops, unmap_ns;
	int err;			/* first -errno, what names it */
	const char *what;
} __attribute__((aligned(64)));

/* Per format: what every run of it shares. */
struct c_ctx {
	const struct s2pt_fmt *fmt;
	const struct b_conc_args *a;
	const struct b_cfg *c;
	struct s2pt *rpt;		/* the readers' populated table */
	int cpu[C_MAX_THR];
	unsigned ncpu;
};

struct c_med {
	double v[V_N];
	double spread[V_N];		/* (max - min) / median, in % */
	double run[V_N][B_MAX_RUNS];	/* each timed run, in the order run */
	bool failed;
};

/* The first CPUs this process may run on; how many (at most C_MAX_THR). */
static unsigned c_cpus(int cpu[C_MAX_THR])
{
	cpu_set_t s;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(s), &s))
		return 0;
	for (int i = 0; i < CPU_SETSIZE && n < C_MAX_THR; i++)
		if (CPU_ISSET(i, &s))
			cpu[n++] = i;
	return n;
}

static bool c_stopped(struct c_run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed);
}

static void c_fail(struct c_thr *t, const char *what, int rc)
{
	if (!t->err) {
		t->err = rc;
		t->what = what;
	}
}

/* Random pages of the populated 1 GiB until told to stop; each answer checked. */
static void c_reader(struct c_thr *t)
{
	struct c_run *r = t->run;
	uint64_t n = 0, bad = 0, t0 = b_now();
	uint32_t i = 0;

	while (!c_stopped(r)) {
		for (unsigned k = 0; k < C_BATCH; k++, i++) {
			uint64_t ia = b_ia(r->perm[i & (B_NPAGES - 1)]);
			struct s2pt_leaf lf;
			int rc;

			if (r->use_lock)
				pthread_rwlock_rdlock(&r->lock);
			rc = s2pt_lookup(r->pt, ia, &lf);
			if (r->use_lock)
				pthread_rwlock_unlock(&r->lock);
			bad += rc || lf.oa != ia + B_OA_OFF;
		}
		n += C_BATCH;
	}
	t->ns = b_now() - t0;
	t->ops = n;
	if (bad)
		c_fail(t, "lookup (wrong answer)", -EIO);
}

/* Operation @op (0 map, 1 protect RW -> R, 2 unmap) of the page at @ia. */
static int c_write_op(struct c_run *r, unsigned op, uint64_t ia)
{
	int rc;

	if (r->use_lock)
		pthread_rwlock_wrlock(&r->lock);
	if (op == 0)
		rc = s2pt_map(r->pt, ia, ia + B_OA_OFF, B_PAGE, S2PT_RW, 0);
	else if (op == 1)
		rc = s2pt_protect(r->pt, ia, B_PAGE, S2PT_R);
	else
		rc = s2pt_unmap(r->pt, ia, B_PAGE);
	if (r->use_lock)
		pthread_rwlock_unlock(&r->lock);
	return rc;
}

/*
 * The writer beside a reader: rounds of map, protect and unmap over its
 * window, one page per call, until told to stop; then it clears the window
 * (not timed) so that every run starts alike.
 */
static void c_mixer(struct c_thr *t)
{
	static const char *const what[3] = { "map", "protect", "unmap" };
	struct c_run *r = t->run;
	uint64_t k, t0 = b_now();

	for (k = 0; !c_stopped(r); k++) {
		unsigned op = (unsigned)(k / C_MIX_PAGES % 3);
		int rc = c_write_op(r, op, t->ia + k % C_MIX_PAGES * B_PAGE);

		if (rc) {
			c_fail(t, what[op], rc);
			break;
		}
	}
	t->ns = b_now() - t0;
	t->ops = k;
	if (r->use_lock)
		pthread_rwlock_wrlock(&r->lock);
	if (s2pt_unmap(r->pt, t->ia, C_MIX_PAGES * B_PAGE))
		c_fail(t, "unmap window", -EIO);
	if (r->use_lock)
		pthread_rwlock_unlock(&r->lock);
}

/* Map (or unmap) the writer's pages one by one, up to a stop; adds the
 * pages done to *ops and the time to *ns. Return: true if it ran through. */
static bool c_pages(struct c_thr *t, bool map, uint64_t *ops, uint64_t *ns)
{
	struct c_run *r = t->run;
	uint64_t i, t0 = b_now();

	for (i = 0; i < C_WR_PAGES && !c_stopped(r); i++) {
		uint64_t ia = t->ia + i * B_PAGE;
		int rc = map ? s2pt_map(r->pt, ia, ia + B_OA_OFF, B_PAGE, S2PT_RW, 0) :
			       s2pt_unmap(r->pt, ia, B_PAGE);

		if (rc) {
			c_fail(t, map ? "map" : "unmap", rc);
			break;
		}
	}
	*ns += b_now() - t0;
	*ops += i;
	return i == C_WR_PAGES;
}

/* A writer alone in its range: map 1 GiB of 4 KiB pages one by one, unmap
 * them one by one, again until told to stop. The table goes after the run. */
static void c_writer(struct c_thr *t)
{
	uint64_t t0 = b_now();

	while (c_pages(t, true, &t->map_ops, &t->map_ns) &&
	       c_pages(t, false, &t->unmap_ops, &t->unmap_ns))
		;
	t->ns = b_now() - t0;
	t->ops = t->map_ops + t->unmap_ops;
}

/* CPU time of the calling thread: less than the wall time when other work
 * (or a lock's futex sleep) kept it off its CPU. */
static uint64_t c_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *c_thread(void *arg)
{
	struct c_thr *t = arg;
	struct c_run *r = t->run;

	if (b_have_rcu())
		urcu_memb_register_thread();	/* the contract for every caller */
	pthread_mutex_lock(&r->mu);
	while (!r->go)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	if (!c_stopped(r)) {
		uint64_t c0 = c_cpu_now(), w0 = b_now();

		if (t->role == C_READER)
			c_reader(t);
		else if (t->role == C_MIXER)
			c_mixer(t);
		else
			c_writer(t);
		t->cpu_ns = c_cpu_now() - c0;
		t->wall_ns = b_now() - w0;
	}
	if (b_have_rcu())
		urcu_memb_unregister_thread();
	return NULL;
}

/* Start @t, pinned to its CPU (from its first instruction) if it has one. */
static int c_spawn(struct c_thr *t)
{
	pthread_attr_t at;
	cpu_set_t s;
	int rc;

	if (pthread_attr_init(&at))
		return -ENOMEM;
	if (t->cpu >= 0) {
		CPU_ZERO(&s);
		CPU_SET(t->cpu, &s);
		pthread_attr_setaffinity_np(&at, sizeof(s), &s);
	}
	rc = pthread_create(&t->tid, &at, c_thread, t);
	pthread_attr_destroy(&at);
	return -rc;
}

/* Open the gate; with @stop the threads leave at once (a spawn failed). */
static void c_go(struct c_run *r, bool stop)
{
	pthread_mutex_lock(&r->mu);
	if (stop)
		atomic_store(&r->stop, true);
	r->go = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* b[0]: busy time of every CPU together (/proc/stat: all but idle and
 * iowait), b[1]: the process's own CPU time (liburcu's threads included). */
static void c_busy(uint64_t b[2])
{
	unsigned long long f[8] = { 0 };
	struct timespec ts;
	FILE *st = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);

	b[0] = 0;
	if (st && fscanf(st, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
			 &f[3], &f[4], &f[5], &f[6], &f[7]) == 8 && hz > 0)
		b[0] = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * (1000000000ull / (uint64_t)hz);
	if (st)
		fclose(st);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	b[1] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What other processes took of the CPUs between two c_busy(), in %. */
static double c_other(const uint64_t b0[2], const uint64_t b1[2], uint64_t wall_ns)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double other = (double)(b1[0] - b0[0]) - (double)(b1[1] - b0[1]);

	if (ncpu < 1 || !wall_ns || !b0[0] || !b1[0])
		return 0;
	return other > 0 ? 100 * other / ((double)ncpu * (double)wall_ns) : 0;
}

static void c_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Throughputs (million per second) and ns per page out of the threads. */
static void c_collect(const struct c_thr *t, unsigned n, double v[V_N])
{
	uint64_t mo = 0, mn = 0, uo = 0, un = 0;

	memset(v, 0, V_N * sizeof(*v));
	v[V_CPU] = 100;
	for (unsigned i = 0; i < n; i++) {
		double mops = t[i].ns ? (double)t[i].ops * 1e3 / (double)t[i].ns : 0;
		double cpu = t[i].wall_ns ? 100.0 * (double)t[i].cpu_ns / (double)t[i].wall_ns : 0;

		v[V_CPU] = cpu < v[V_CPU] ? cpu : v[V_CPU];
		v[t[i].role == C_READER ? V_RD : V_WR] += mops;
		mo += t[i].map_ops;
		mn += t[i].map_ns;
		uo += t[i].unmap_ops;
		un += t[i].unmap_ns;
	}
	v[V_MAP] = mo ? (double)mn / (double)mo : 0;
	v[V_UNMAP] = uo ? (double)un / (double)uo : 0;
}

static int c_create(const struct s2pt_fmt *fmt, unsigned opt_flags, struct s2pt **pt)
{
	struct s2pt_opts o = { .sz = sizeof(o), .flags = opt_flags };

	return s2pt_create(fmt, opt_flags == ~0u ? NULL : &o, pt);
}

static int c_report(const struct c_ctx *x, const struct c_subj *s, const char *what, int rc)
{
	fprintf(stderr, "bench: conc %s %s: %s failed: %s\n", s2pt_fmt_name(x->fmt),
		s->name, what, strerror(-rc));
	return rc;
}

/* The run's threads, each on a CPU of its own when there are enough. */
static unsigned c_start(const struct c_subj *s, const struct c_ctx *x, struct c_run *r,
			struct c_thr *t)
{
	unsigned n = s->readers + s->writers, made;

	for (made = 0; made < n; made++) {
		struct c_thr *th = &t[made];

		th->run = r;
		th->role = made < s->readers ? C_READER : s->readers ? C_MIXER : C_WRITER;
		th->ia = s->readers ? C_MIX_IA : B_IA0 + (made - s->readers) * B_GIB;
		th->cpu = s->pin && x->ncpu >= n ? x->cpu[made] : -1;
		if (c_spawn(th))
			break;
	}
	c_go(r, made < n);
	return made;
}

/* One run of subject @s for the configured time. Return: 0 or -errno. */
static int c_once(const struct c_subj *s, const struct c_ctx *x, double v[V_N])
{
	static struct c_run r;
	struct c_thr t[C_MAX_THR];
	unsigned n = s->readers + s->writers, made;
	uint64_t busy[2][2], t0, wall;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(t, 0, sizeof(t));
	r.pt = x->rpt;
	r.perm = x->c->perm;
	r.use_lock = s->lock;
	if (!s->readers && (rc = c_create(x->fmt, s->opt_flags, &r.pt)))
		return c_report(x, s, "create", rc);
	pthread_rwlock_init(&r.lock, NULL);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	atomic_init(&r.stop, false);
	c_busy(busy[0]);
	t0 = b_now();
	made = c_start(s, x, &r, t);
	if (made == n)
		c_sleep_ms(x->a->ms);
	atomic_store(&r.stop, true);
	c_busy(busy[1]);
	wall = b_now() - t0;
	for (unsigned i = 0; i < made; i++)
		pthread_join(t[i].tid, NULL);
	if (made < n)
		rc = c_report(x, s, "pthread_create", -EAGAIN);
	for (unsigned i = 0; !rc && i < n; i++)
		if (t[i].err)
			rc = c_report(x, s, t[i].what, t[i].err);
	c_collect(t, n, v);
	v[V_OTHER] = c_other(busy[0], busy[1], wall);
	if (!s->readers)
		s2pt_destroy(r.pt);
	pthread_rwlock_destroy(&r.lock);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}

/* Median (or best, -b) and spread of each value over the runs. */
static void c_summarise(struct c_med *m, unsigned runs, int best)
{
	double smp[B_MAX_RUNS];

	for (unsigned j = 0; j < V_N; j++) {
		double med = b_median(memcpy(smp, m->run[j], runs * sizeof(*smp)), runs);
		double lo = smp[0], hi = smp[runs - 1];

		m->v[j] = !best ? med : c_higher_better[j] ? hi : lo;
		m->spread[j] = med > 0 ? 100 * (hi - lo) / med : 0;
	}
}

/*
 * A warm-up run of each subject, then rounds that run every subject once,
 * so that other load on the machine hits all of them alike.
 */
static void c_measure(const struct c_subj *s, unsigned n, const struct c_ctx *x,
		      struct c_med *m)
{
	double v[V_N];

	memset(m, 0, n * sizeof(*m));
	for (int k = -1; k < (int)x->a->runs; k++) {
		for (unsigned i = 0; i < n; i++) {
			if (m[i].failed)
				continue;
			m[i].failed = c_once(&s[i], x, v) != 0;
			for (unsigned j = 0; k >= 0 && j < V_N; j++)
				m[i].run[j][k] = v[j];
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!m[i].failed)
			c_summarise(&m[i], x->a->runs, x->a->best);
}

/* A table of @n subjects: name, then the values @cols[0 .. ncols), then CPU. */
static void c_print_table(const char *fn, const char *title, const struct c_subj *s,
			  const struct c_med *m, unsigned n, const enum c_val *cols,
			  const char *const *heads, unsigned ncols)
{
	printf("%-8s %-26s", "format", title);
	for (unsigned j = 0; j < ncols; j++)
		printf(" %12s %6s", heads[j], "spread");
	printf(" %5s %5s\n", "cpu", "other");
	for (unsigned i = 0; i < n; i++) {
		printf("%-8s %-26s", fn, s[i].name);
		if (m[i].failed) {
			printf(" failed\n");
			continue;
		}
		for (unsigned j = 0; j < ncols; j++) {
			if (m[i].v[cols[j]] > 0)
				printf(" %12.2f %5.0f%%", m[i].v[cols[j]], m[i].spread[cols[j]]);
			else
				printf(" %12s %6s", "-", "");
		}
		printf(" %4.0f%% %4.0f%%\n", m[i].v[V_CPU], m[i].v[V_OTHER]);
	}
}

static void c_print_reads(const char *fn, const struct c_med *m)
{
	static const enum c_val cols[] = { V_RD, V_WR };
	static const char *const heads[] = { "Mlookup/s", "writer Mop/s" };

	c_print_table(fn, "readers (a)", c_read_subj, m, S_NREAD, cols, heads, 2);
}

static void c_print_writes(const char *fn, const struct c_med *m)
{
	static const enum c_val cols[] = { V_WR, V_MAP, V_UNMAP };
	static const char *const heads[] = { "Mop/s", "map ns/op", "unmap ns/op" };

	c_print_table(fn, "writers (b)", c_write_subj, m, S_NWRITE, cols, heads, 3);
}

/*
 * @num / @den per round (the subjects of one round ran back to back, so
 * load that comes and goes hits both): the median over the rounds, the
 * range, and the target (0: none).
 */
static void c_ratio(const char *what, const double *num, const double *den, unsigned runs,
		    double target)
{
	double q[B_MAX_RUNS], med;

	for (unsigned k = 0; k < runs; k++)
		q[k] = den[k] > 0 ? num[k] / den[k] : 0;
	med = b_median(q, runs);
	printf("  %-36s %7.2f  (%.2f..%.2f)", what, med, q[0], q[runs - 1]);
	if (target > 0)
		printf("  target >= %.2f  %s", target, med >= target ? "met" : "MISSED");
	printf("\n");
}

static void c_ratio_of(const char *what, const struct c_med *a, const struct c_med *b,
		       enum c_val j, unsigned runs, double target)
{
	if (a->failed || b->failed)
		printf("  %-36s       -\n", what);
	else
		c_ratio(what, a->run[j], b->run[j], runs, target);
}

/* s2pt with a writer over the faster rwlock run (pinned or not) of each round. */
static void c_ratio_lock(const struct c_med *rd, unsigned runs)
{
	const struct c_med *p = &rd[S_LK_WITH], *f = &rd[S_LK_FREE];
	double den[B_MAX_RUNS];

	if (rd[S_WITH].failed || (p->failed && f->failed)) {
		printf("  %-36s       -\n", "reader with writer: s2pt / rwlock");
		return;
	}
	for (unsigned k = 0; k < runs; k++) {
		double vp = p->failed ? 0 : p->run[V_RD][k], vf = f->failed ? 0 : f->run[V_RD][k];

		den[k] = vp > vf ? vp : vf;
	}
	c_ratio("reader with writer: s2pt / rwlock", rd[S_WITH].run[V_RD], den, runs, 3);
}

/* Whether other processes took a part of the CPUs in a subject's runs. */
static bool c_crowded(const struct c_med *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!m[i].failed && m[i].v[V_OTHER] > C_OTHER_OK)
			return true;
	return false;
}

static void c_print_targets(const char *fn, const struct c_med *rd, const struct c_med *wr,
			    unsigned runs)
{
	if (c_crowded(rd, S_NREAD) || c_crowded(wr, S_NWRITE))
		printf("warning: other processes took over %d%% of the CPUs (other column): "
		       "%s's numbers\n         above and below are not this machine's\n",
		       C_OTHER_OK, fn);
	printf("targets, %s concurrency:\n", fn);
	c_ratio_of("reader with writer / alone", &rd[S_WITH], &rd[S_ALONE], V_RD, runs, 0.9);
	c_ratio_lock(rd, runs);
	c_ratio_of("2 writers / 1 writer (Mop/s)", &wr[S_W2], &wr[S_W1], V_WR, runs, 1.6);
	c_ratio_of("map 4K ns/op: default / single", &wr[S_W1], &wr[S_W1_SINGLE], V_MAP, runs,
		   0);
	c_ratio_of("unmap 4K ns/op: default / single", &wr[S_W1], &wr[S_W1_SINGLE], V_UNMAP,
		   runs, 0);
	printf("\n");
}

/* The readers' table: 1 GiB of 4 KiB pages, concurrent writers (opts NULL). */
static int c_populate(struct c_ctx *x)
{
	int rc = c_create(x->fmt, ~0u, &x->rpt);

	if (rc)
		return rc;
	rc = s2pt_map(x->rpt, B_IA0, B_IA0 + B_OA_OFF, B_REGION, S2PT_RW, 0);
	if (rc) {
		s2pt_destroy(x->rpt);
		x->rpt = NULL;
	}
	return rc;
}

void b_conc_head(const struct b_conc_args *a)
{
	int cpu[C_MAX_THR];
	unsigned n = c_cpus(cpu);

	printf("s2pt concurrency bench: heap provider, %u ms per run, %s of %u runs after "
	       "a warm-up\n", a->ms, a->best ? "fastest" : "median", a->runs);
	printf("(a) a reader looks up random pages (fixed shuffled order) of a table holding "
	       "1 GiB of 4 KiB pages\n    (2 MiB of leaf entries: in L3, not L1/L2); the "
	       "writer beside it maps, protects RW->R and\n    unmaps the 4096 pages of a "
	       "16 MiB window in the next GiB, one page per call;\n    rwlock = the same "
	       "table behind a pthread rwlock (rdlock per lookup, wrlock per write)\n");
	printf("(b) each writer maps 1 GiB one 4 KiB page per call, then unmaps it likewise, "
	       "in a GiB of its own\n    of a fresh table; default = concurrent writers, "
	       "single = S2PT_OPT_SINGLE_WRITER\n");
	if (n >= C_MAX_THR)
		printf("threads pinned one per CPU (%d, %d) unless \"not pinned\"; the main "
		       "thread sleeps meanwhile\n", cpu[0], cpu[1]);
	else
		printf("note: only %u CPU available: threads not pinned, 2-thread numbers "
		       "meaningless\n", n);
	printf("ratios: the median over the rounds (a round runs every subject once) of the "
	       "ratio within\n    the round (lowest..highest); s2pt / rwlock takes the round's "
	       "faster rwlock run\n");
	printf("spread = (slowest - fastest run) / median; cpu = the least CPU time one of the "
	       "run's threads\n    had / the run's time (rwlock threads sleep on the lock; "
	       "liburcu's call_rcu thread\n    needs a CPU too); other = CPU time other "
	       "processes took / all CPUs' time\n\n");
}

int b_conc(const struct s2pt_fmt *fmt, const struct b_conc_args *a, const struct b_cfg *c)
{
	struct c_ctx x = { .fmt = fmt, .a = a, .c = c };
	static struct c_med rd[S_NREAD], wr[S_NWRITE];
	const char *fn = s2pt_fmt_name(fmt);
	int failed = 0, rc;

	x.ncpu = c_cpus(x.cpu);
	rc = c_populate(&x);
	if (rc) {
		fprintf(stderr, "bench: conc %s: populate failed: %s\n", fn, strerror(-rc));
		return 1;
	}
	c_measure(c_read_subj, S_NREAD, &x, rd);
	s2pt_destroy(x.rpt);
	c_print_reads(fn, rd);
	fflush(stdout);
	c_measure(c_write_subj, S_NWRITE, &x, wr);
	c_print_writes(fn, wr);
	c_print_targets(fn, rd, wr, a->runs);
	fflush(stdout);
	for (unsigned i = 0; i < S_NREAD; i++)
		failed |= rd[i].failed;
	for (unsigned i = 0; i < S_NWRITE; i++)
		failed |= wr[i].failed;
	return failed;
}
