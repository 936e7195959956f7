// SPDX-License-Identifier: MIT
/*
 * Stress test threads: writers rewriting shared and owned zones with random
 * operations, readers checking every lookup, translation and walk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "stress/stress.h"

#define MIN_WRITER_OPS	200	/* done even when the time is up earlier */
#define MIN_READER_OPS	2000
#define HOT_WINDOW	(UINT64_C(64) << 20)	/* most ops land in a zone's first 64 MiB */
#define MAX_SMALL_MAP	(UINT64_C(4) << 20)	/* base-page maps and 4 KiB splits */
#define MAX_HARVEST	(UINT64_C(8) << 20)

static const char *const op_names[OP_N] = {
	"map", "unmap", "protect", "split", "collapse", "harvest",
};

struct wop {
	int kind;
	uint64_t ia, size;
	unsigned flags, k, pi;	/* map: S2PT_MAP_*, oa = ia + k * ST_STRIDE, prots[pi] */
	uint64_t leaf;		/* split */
	unsigned what;		/* harvest */
};

void st_stats_add(struct st_stats *to, const struct st_stats *from)
{
	const uint64_t *f = (const uint64_t *)from;
	uint64_t *t = (uint64_t *)to;

	for (size_t i = 0; i < sizeof(*from) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

static bool time_up(struct st_case *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_RELAXED);
}

static bool chance(struct st_thread *t, unsigned pct)
{
	return st_below(t, 100) < pct;
}

/* A random range inside @z, mostly in its hot window, sized to hit every
 * leaf size: whole gigabytes, runs of 2 MiB blocks (sometimes off by a few
 * pages), or a few pages. */
static void pick_range(struct st_thread *t, const struct zone *z, uint64_t *ia, uint64_t *size)
{
	uint64_t span = z->size > HOT_WINDOW && chance(t, 70) ? HOT_WINDOW : z->size;
	unsigned r = (unsigned)st_below(t, 100);

	if (z->size >= ST_1G && r < 6) {
		*ia = z->start + st_below(t, z->size / ST_1G) * ST_1G;
		*size = ST_1G;
	} else if (r < 40 && z->size >= ST_2M) {
		*ia = z->start + st_below(t, span / ST_2M) * ST_2M;
		*size = ST_2M * (1 + st_below(t, 4));
		if (chance(t, 20))
			*ia += st_below(t, 4) * ST_PAGE;
		if (chance(t, 20))
			*size -= st_below(t, 4) * ST_PAGE;
	} else {
		*ia = z->start + st_below(t, span / ST_PAGE) * ST_PAGE;
		*size = (1 + st_below(t, r < 90 ? 64 : 1024)) * ST_PAGE;
	}
	if (*ia + *size > z->start + z->size)
		*size = z->start + z->size - *ia;
}

static uint64_t clip(uint64_t size, uint64_t max)
{
	return size < max ? size : max;
}

/* One random operation on @z; @last is this writer's last split range
 * (collapse folds it back half of the time). */
static void pick_op(struct st_thread *t, const struct zone *z, struct wop *o, const struct wop *last)
{
	struct st_case *c = t->c;
	unsigned r = (unsigned)st_below(t, 100);

	memset(o, 0, sizeof(*o));
	pick_range(t, z, &o->ia, &o->size);
	if (r < 35 || (r >= 92 && z->kind == Z_OWNED)) {
		o->kind = OP_MAP;
		o->flags = (chance(t, 50) ? S2PT_MAP_HUGE : 0) | (chance(t, 40) ? S2PT_MAP_REPLACE : 0);
		o->k = ST_K_MIN + (unsigned)st_below(t, ST_K_MAX - ST_K_MIN + 1);
		o->pi = (unsigned)st_below(t, c->nprots);
		if (!(o->flags & S2PT_MAP_HUGE))
			o->size = clip(o->size, MAX_SMALL_MAP);
	} else if (r < 53) {
		o->kind = OP_UNMAP;
	} else if (r < 68) {
		o->kind = OP_PROTECT;
		o->pi = (unsigned)st_below(t, c->nprots);
	} else if (r < 80) {
		o->kind = OP_SPLIT;
		o->leaf = c->sizes[st_below(t, c->nsizes - 1)];
		if (o->leaf == ST_PAGE)
			o->size = clip(o->size, 2 * MAX_SMALL_MAP);
	} else if (r < 92) {
		o->kind = OP_COLLAPSE;
		if (last->kind == OP_SPLIT && st_zone_of(c, last->ia) == z && chance(t, 50)) {
			o->ia = last->ia;
			o->size = last->size;
		}
	} else {
		o->kind = OP_HARVEST;
		o->what = c->harvest_young && chance(t, 50) ? S2PT_HARVEST_YOUNG : S2PT_HARVEST_DIRTY;
		o->size = clip(o->size, MAX_HARVEST);
	}
}

/* Issue @o. Return: the s2pt call's result. */
static int do_op(struct st_thread *t, const struct wop *o)
{
	struct st_case *c = t->c;

	switch (o->kind) {
	case OP_MAP:
		return s2pt_map(c->pt, o->ia, o->ia + o->k * ST_STRIDE, o->size, c->prots[o->pi],
				o->flags);
	case OP_UNMAP:
		return s2pt_unmap(c->pt, o->ia, o->size);
	case OP_PROTECT:
		return s2pt_protect(c->pt, o->ia, o->size, c->prots[o->pi]);
	case OP_SPLIT:
		return s2pt_split(c->pt, o->ia, o->size, o->leaf);
	case OP_COLLAPSE:
		return s2pt_collapse(c->pt, o->ia, o->size);
	default:
		memset(t->bitmap, 0, MAX_HARVEST / ST_PAGE / 8);
		return s2pt_harvest(c->pt, o->ia, o->size, o->what, t->bitmap);
	}
}

/* The owner's model of its zone after @o, and the result @o must have. */
static int model_apply(const struct zone *z, const struct wop *o, int ret)
{
	uint8_t *m = z->model + (o->ia - z->start) / ST_PAGE;
	uint64_t n = o->size / ST_PAGE;
	bool any = false;
	int want = 0;

	switch (o->kind) {
	case OP_MAP:
		for (uint64_t i = 0; i < n && !any; i++)
			any = m[i] != 0;
		if (any && !(o->flags & S2PT_MAP_REPLACE))
			want = -EEXIST;
		else if (ret == 0)
			memset(m, (int)st_model_val(o->k, o->pi), n);
		break;
	case OP_UNMAP:
		if (ret == 0)
			memset(m, 0, n);
		break;
	case OP_PROTECT:
		for (uint64_t i = 0; i < n && ret == 0; i++)
			if (m[i])
				m[i] = (uint8_t)((m[i] & 0xf0) | o->pi);
		break;
	default:
		break;		/* split, collapse: translations unchanged */
	}
	return want;
}

/* Look @ia up in @z, owned by this writer: exactly as its model says. */
static void check_owned(struct st_thread *t, const struct zone *z, uint64_t ia)
{
	struct st_case *c = t->c;
	uint8_t m = z->model[(ia - z->start) / ST_PAGE];
	struct s2pt_leaf l;
	int ret = s2pt_lookup(c->pt, ia, &l);

	st_quiescent();
	t->st.owned_checks++;
	if (!m) {
		if (ret != -ENOENT)
			st_fail(c, t->name, "owned lookup(0x%" PRIx64 ") = %d (oa 0x%" PRIx64 "), "
				"its writer unmapped it", ia, ret, ret ? 0 : l.oa);
		return;
	}
	if (ret) {
		st_fail(c, t->name, "owned lookup(0x%" PRIx64 ") = %d, its writer mapped it", ia,
			ret);
		return;
	}
	st_check_leaf(c, t, "owned lookup", ia, l.oa, l.size, l.level, l.prot);
	if (l.oa != ia + (m >> 4) * ST_STRIDE || l.prot != c->prots[m & 15])
		st_fail(c, t->name, "owned lookup(0x%" PRIx64 "): oa 0x%" PRIx64 " prot 0x%x, "
			"its writer wrote oa 0x%" PRIx64 " prot 0x%x", ia, l.oa, l.prot,
			ia + (m >> 4) * ST_STRIDE, c->prots[m & 15]);
}

/* Run @o on @z; check its result (exactly on an owned zone) and, on an
 * owned zone, look up pages in and around the range. */
static void writer_step(struct st_thread *t, const struct zone *z, const struct wop *o)
{
	struct st_case *c = t->c;
	bool lock = c->mode != ST_MULTI;
	int ret, want;

	if (lock)
		pthread_mutex_lock(&c->lock);
	ret = do_op(t, o);
	st_quiescent();
	t->st.ops[o->kind]++;
	t->st.ok[o->kind] += ret == 0;
	t->st.eexist += ret == -EEXIST;
	t->st.huge_maps += ret == 0 && o->kind == OP_MAP && (o->flags & S2PT_MAP_HUGE);
	if (z->kind == Z_OWNED) {
		want = model_apply(z, o, ret);
		if (ret != want)
			st_fail(c, t->name, "owned %s(0x%" PRIx64 ", 0x%" PRIx64 ", flags %u) = %d, "
				"want %d", op_names[o->kind], o->ia, o->size, o->flags, ret, want);
		check_owned(t, z, o->ia);
		check_owned(t, z, o->ia + o->size - ST_PAGE);
		for (int i = 0; i < 4; i++)
			check_owned(t, z, o->ia + st_below(t, o->size / ST_PAGE) * ST_PAGE);
		check_owned(t, z, z->start + st_below(t, z->size / ST_PAGE) * ST_PAGE);
	} else if (ret && !(ret == -EEXIST && o->kind == OP_MAP &&
			    !(o->flags & S2PT_MAP_REPLACE)) &&
		   !(ret == -EOPNOTSUPP && o->kind == OP_HARVEST && o->what == S2PT_HARVEST_YOUNG)) {
		st_fail(c, t->name, "%s(0x%" PRIx64 ", 0x%" PRIx64 ", flags %u) = %d",
			op_names[o->kind], o->ia, o->size, o->flags, ret);
	}
	if (lock)
		pthread_mutex_unlock(&c->lock);
}

/* Writer: random ops on shared zones and on the zones it owns. */
void *st_writer(void *arg)
{
	struct st_thread *t = arg;
	struct st_case *c = t->c;
	const struct zone *own[ST_MAX_ZONES], *shared[ST_MAX_ZONES];
	unsigned nown = 0, nshared = 0;
	struct wop o, last = { .kind = -1 };

	urcu_memb_register_thread();
	for (unsigned i = 0; i < c->nzones; i++) {
		const struct zone *z = &c->zones[i];

		if (z->kind == Z_SHARED)
			shared[nshared++] = z;
		else if (z->owner == t->id)
			own[nown++] = z;
	}
	for (uint64_t n = 0; n < MIN_WRITER_OPS || !time_up(c); n++) {
		const struct zone *z;

		if (nown && chance(t, 40))
			z = own[st_below(t, nown)];
		else
			z = shared[st_below(t, nshared)];
		pick_op(t, z, &o, &last);
		writer_step(t, z, &o);
		if (o.kind == OP_SPLIT)
			last = o;
	}
	urcu_memb_unregister_thread();
	return NULL;
}

/* A byte address to read: a stable page or a zone page, either at will. */
static uint64_t pick_read(struct st_thread *t, bool stable)
{
	struct st_case *c = t->c;
	const struct zone *z;
	const struct srun *r;
	uint64_t span;

	if (stable) {
		r = &c->runs[st_below(t, c->nruns)];
		return r->ia + st_below(t, r->size);
	}
	z = &c->zones[st_below(t, c->nzones)];
	span = z->size > HOT_WINDOW && chance(t, 70) ? HOT_WINDOW : z->size;
	return z->start + st_below(t, span);
}

/* s2pt_lookup(@ia): a member if found; a stable page must be found. */
static void read_lookup(struct st_thread *t, uint64_t ia)
{
	struct st_case *c = t->c;
	struct s2pt_leaf l;
	int ret = s2pt_lookup(c->pt, ia, &l);

	st_quiescent();
	t->st.lookups++;
	if (ret == 0) {
		t->st.hits++;
		st_check_leaf(c, t, "lookup", ia, l.oa, l.size, l.level, l.prot);
	} else if (ret != -ENOENT || st_run_of(c, ia)) {
		st_fail(c, t->name, "lookup(0x%" PRIx64 ") = %d%s", ia, ret,
			st_run_of(c, ia) ? " on a stable page" : "");
	}
}

static void *no_hpa(void *ctx, uint64_t hpa, size_t len)
{
	(void)ctx;
	(void)hpa;
	(void)len;
	return NULL;
}

/* s2pt_translate() without a first stage: the stage-2 leaf of @ia. */
static void read_translate(struct st_thread *t, uint64_t ia)
{
	struct st_case *c = t->c;
	struct s2pt_guest g = { .sz = sizeof(g), .s2 = c->pt, .hpa_to_va = no_hpa };
	struct s2pt_xlate x;
	unsigned lv = 0;
	int ret = s2pt_translate(&g, ia, S2PT_ACC_READ, &x);

	st_quiescent();
	t->st.xlates++;
	if (ret == 0) {
		while (lv + 1 < S2PT_MAX_LEVELS && (ST_PAGE << (9 * lv)) < x.s2_size)
			lv++;
		st_check_leaf(c, t, "translate", ia, x.hpa, x.s2_size, lv, x.s2_prot);
	} else if (ret != -EFAULT || x.fault_stage != 2 || x.fault_kind != S2PT_XF_NOT_PRESENT ||
		   st_run_of(c, ia)) {
		st_fail(c, t->name, "translate(0x%" PRIx64 ") = %d, fault stage %u kind %u%s", ia,
			ret, x.fault_stage, x.fault_kind, st_run_of(c, ia) ? " on a stable page" : "");
	}
}

/* A walk over part of a zone, of the mixed area, of the stable gigabyte,
 * or (rarely) of everything. */
static void read_walk(struct st_thread *t)
{
	struct st_case *c = t->c;
	unsigned r = (unsigned)st_below(t, 100);
	uint64_t ia, size;

	if (r < 50) {
		const struct zone *z = &c->zones[st_below(t, c->nzones)];
		uint64_t span = z->size > HOT_WINDOW ? HOT_WINDOW : z->size;

		ia = z->start + st_below(t, span / ST_PAGE) * ST_PAGE;
		size = (1 + st_below(t, 2048)) * ST_PAGE;
		size = clip(size, z->start + z->size - ia);
	} else if (r < 95) {
		uint64_t ch = st_below(t, 64), n = 1 + st_below(t, 8);

		ia = ch * ST_2M;
		size = (ch + n > 64 ? 64 - ch : n) * ST_2M;
	} else if (r < 99) {
		ia = 3 * ST_1G;
		size = ST_1G;
	} else {
		ia = 0;
		size = ST_IA_END;
	}
	st_check_walk(c, t, ia, size);
}

/* Reader: lookups, translations and walks over stable and churn pages;
 * now and then a dump. */
void *st_reader(void *arg)
{
	struct st_thread *t = arg;
	struct st_case *c = t->c;
	bool lock = c->mode == ST_SERIAL;

	urcu_memb_register_thread();
	for (uint64_t n = 0; n < MIN_READER_OPS || !time_up(c); n++) {
		unsigned r = (unsigned)st_below(t, 1000);

		if (lock)
			pthread_mutex_lock(&c->lock);
		if (r < 850) {
			read_lookup(t, pick_read(t, r < 450));
		} else if (r < 930) {
			read_translate(t, pick_read(t, r < 890));
		} else if (r < 999 || !t->devnull) {
			read_walk(t);
		} else {
			int ret = s2pt_dump(c->pt, t->devnull);

			st_quiescent();
			t->st.dumps++;
			if (ret)
				st_fail(c, t->name, "s2pt_dump = %d", ret);
		}
		if (lock)
			pthread_mutex_unlock(&c->lock);
	}
	urcu_memb_unregister_thread();
	return NULL;
}
