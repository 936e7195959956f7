// SPDX-License-Identifier: MIT
/*
 * s2stress: concurrent readers and writers on one table per format and
 * mode, every observation checked. Exit 0 pass, 1 fail, 77 all skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "stress/stress.h"

#ifdef ST_TSAN
#include <sanitizer/tsan_interface.h>

static char st_gp_sync;

void st_quiescent(void)
{
	__tsan_release(&st_gp_sync);
}

void st_gp_wait(void)
{
	__tsan_acquire(&st_gp_sync);
}
#else
void st_quiescent(void)
{
}

void st_gp_wait(void)
{
}
#endif

static const char *const mode_names[] = { "single", "multi", "serial" };

struct opts {
	double seconds;
	const char *formats, *modes;
	unsigned writers, readers;
	uint64_t seed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2stress [-t seconds] [-f fmt,...|all] [-m mode,...] [-w writers] [-r readers]\n"
		"                [-s seed]\n"
		"  -t  seconds per format and mode (default 2; env S2PT_STRESS_SECONDS)\n"
		"  -f  formats (default ept4,sv39x4,arm64_s2,x86_64; env S2PT_STRESS_FORMATS)\n"
		"  -m  single: S2PT_OPT_SINGLE_WRITER, writers take turns under a mutex;\n"
		"      multi: concurrent writers; serial: every call under one mutex (checks\n"
		"      the checker) (default single,multi; env S2PT_STRESS_MODES)\n"
		"  -w, -r  writer and reader threads (default 2 and 2)\n"
		"  -s  seed (default from the clock; env S2PT_STRESS_SEED)\n");
}

/* Options from the environment, then the command line. Return: 0, -EINVAL. */
static int parse(int argc, char **argv, struct opts *o)
{
	const char *e;
	int ch;

	o->seconds = (e = getenv("S2PT_STRESS_SECONDS")) ? atof(e) : 2;
	o->formats = (e = getenv("S2PT_STRESS_FORMATS")) ? e : "ept4,sv39x4,arm64_s2,x86_64";
	o->modes = (e = getenv("S2PT_STRESS_MODES")) ? e : "single,multi";
	o->seed = (e = getenv("S2PT_STRESS_SEED")) ? strtoull(e, NULL, 0)
		  : (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	o->writers = 2;
	o->readers = 2;
	while ((ch = getopt(argc, argv, "t:f:m:w:r:s:h")) != -1) {
		switch (ch) {
		case 't': o->seconds = atof(optarg); break;
		case 'f': o->formats = optarg; break;
		case 'm': o->modes = optarg; break;
		case 'w': o->writers = (unsigned)atoi(optarg); break;
		case 'r': o->readers = (unsigned)atoi(optarg); break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc || o->seconds < 0 || !o->writers || o->writers > ST_MAX_WRITERS ||
	    !o->readers || o->readers > ST_MAX_READERS) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static void sleep_for(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void print_stats(const struct st_case *c)
{
	const struct st_stats *s = &c->total;

	printf("   writers: map %" PRIu64 " (%" PRIu64 " ok, %" PRIu64 " huge, %" PRIu64
	       " -EEXIST), unmap %" PRIu64 ", protect %" PRIu64 ", split %" PRIu64
	       ", collapse %" PRIu64 ", harvest %" PRIu64 "; %" PRIu64 " owned-zone lookups\n",
	       s->ops[OP_MAP], s->ok[OP_MAP], s->huge_maps, s->eexist, s->ops[OP_UNMAP],
	       s->ops[OP_PROTECT], s->ops[OP_SPLIT], s->ops[OP_COLLAPSE], s->ops[OP_HARVEST],
	       s->owned_checks);
	printf("   readers: %" PRIu64 " lookups (%" PRIu64 " hits), %" PRIu64 " translations, %"
	       PRIu64 " walks (%" PRIu64 " leaves), %" PRIu64 " dumps; %" PRIu64
	       " stable checks\n", s->lookups, s->hits, s->xlates, s->walks, s->walk_leaves,
	       s->dumps, s->stable_checks);
	printf("   churn leaves seen per level: %" PRIu64 " / %" PRIu64 " / %" PRIu64
	       "; %" PRIu64 " invalidations; table pages: %" PRIu64 " allocations, peak %"
	       PRIu64 "\n", s->leaf_seen[0], s->leaf_seen[1], s->leaf_seen[2], c->invs,
	       c->mm_allocs, c->mm_peak);
}

/* A thread's identity and its own random stream, derived from the seed. */
static void thread_init(struct st_thread *t, struct st_case *c, unsigned id, bool writer)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->id = id;
	t->writer = writer;
	snprintf(t->name, sizeof(t->name), "%s%u", writer ? "writer" : "reader", id);
	st_seed(t->rng, c->seed ^ st_hash(((uint64_t)writer << 32 | id) + 1));
}

/* Start the threads, let them run, join them and add up their counts. */
static void run_threads(struct st_case *c)
{
	unsigned nw = c->nwriters, nt = c->nwriters + c->nreaders;
	struct st_thread *t = calloc(nt, sizeof(*t));
	unsigned started = 0;

	if (!t) {
		st_fail(c, "main", "out of memory");
		return;
	}
	for (unsigned i = 0; i < nt; i++) {
		bool w = i < nw;

		thread_init(&t[i], c, w ? i : i - nw, w);
		if (w)
			t[i].bitmap = calloc(1, 4096);
		else if (i == nw)	/* one reader dumps now and then */
			t[i].devnull = fopen("/dev/null", "w");
		if ((w && !t[i].bitmap) ||
		    pthread_create(&t[i].tid, NULL, w ? st_writer : st_reader, &t[i])) {
			st_fail(c, "main", "starting thread %u failed", i);
			break;
		}
		started++;
	}
	sleep_for(c->seconds);
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i].tid, NULL);
		st_stats_add(&c->total, &t[i].st);
	}
	for (unsigned i = 0; i < nt; i++) {
		free(t[i].bitmap);
		if (t[i].devnull)
			fclose(t[i].devnull);
	}
	free(t);
}

/* FNV-1a of a format name: per-format seeds that do not depend on ASLR. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* One format in one mode. Return: 0 passed, 1 failed, 77 skipped. */
static int run_case(const struct opts *o, const struct s2pt_fmt *fmt, enum st_mode mode)
{
	struct st_case c = {
		.fmt = fmt, .fname = s2pt_fmt_name(fmt), .mode = mode,
		.nwriters = o->writers, .nreaders = o->readers, .seconds = o->seconds,
		.seed = o->seed ^ name_hash(s2pt_fmt_name(fmt)) ^ mode,
	};
	struct st_thread main_t;
	int ret;

	pthread_mutex_init(&c.lock, NULL);
	printf("== %s %s: %u writers, %u readers, %.1f s, seed 0x%" PRIx64 "\n", c.fname,
	       mode_names[mode], c.nwriters, c.nreaders, c.seconds, o->seed);
	fflush(stdout);
	ret = st_case_setup(&c);
	if (ret == 0) {
		thread_init(&main_t, &c, 0, false);
		snprintf(main_t.name, sizeof(main_t.name), "final");
		run_threads(&c);
		st_final_checks(&c, &main_t);
		print_stats(&c);
		ret = c.failures ? 1 : 0;
	}
	if (ret != 77)
		printf("   %s: %" PRIu64 " invariant violations\n", ret ? "FAIL" : "ok", c.failures);
	if (ret == 1)
		printf("   same operations again (the interleaving differs): s2stress -s 0x%" PRIx64
		       " -f %s -m %s -w %u -r %u\n", o->seed, c.fname, mode_names[mode], c.nwriters,
		       c.nreaders);
	fflush(stdout);
	st_case_teardown(&c);
	pthread_mutex_destroy(&c.lock);
	return ret;
}

/* The mode named by the @n characters at @s, or -1. */
static int mode_of(const char *s, size_t n)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strlen(mode_names[i]) == n && !strncmp(s, mode_names[i], n))
			return (int)i;
	return -1;
}

/* Every format of o->formats (comma-separated; "all": every format) in every
 * mode of o->modes. Return: 0, or -EINVAL for an unknown name. */
static int run_all(const struct opts *o, unsigned *passed, unsigned *failed, unsigned *skipped)
{
	for (const char *f = o->formats; *f;) {
		size_t fl = strcspn(f, ",");
		char name[32];
		const struct s2pt_fmt *fmt = NULL, *one;

		snprintf(name, sizeof(name), "%.*s", (int)fl, f);
		one = strcmp(name, "all") ? s2pt_fmt_find(name) : NULL;
		if (strcmp(name, "all") && !one) {
			fprintf(stderr, "s2stress: no format named '%s'\n", name);
			return -EINVAL;
		}
		while ((fmt = one ? (fmt ? NULL : one) : s2pt_fmt_next(fmt))) {
			for (const char *m = o->modes; *m;) {
				size_t ml = strcspn(m, ",");
				int mode = mode_of(m, ml), r;

				if (mode < 0) {
					fprintf(stderr, "s2stress: no mode '%.*s'\n", (int)ml, m);
					return -EINVAL;
				}
				r = run_case(o, fmt, (enum st_mode)mode);
				*(r == 0 ? passed : r == 77 ? skipped : failed) += 1;
				m += ml + (m[ml] == ',');
			}
		}
		f += fl + (f[fl] == ',');
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0, skipped = 0;
	struct opts o;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(argc, argv, &o))
		return 1;
	urcu_memb_register_thread();
	ret = run_all(&o, &passed, &failed, &skipped);
	urcu_memb_unregister_thread();
	if (ret)
		return 1;
	if (skipped)
		printf("%u skipped\n", skipped);
	printf("%u passed, %u failed\n", passed, failed);
	if (failed)
		return 1;
	return passed ? 0 : 77;
}
