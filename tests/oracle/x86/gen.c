// SPDX-License-Identifier: MIT
/*
 * x86 oracle generator: builds AMD NPT or Intel EPT tables with s2pt in an
 * arena at X86O_IMG_PA and writes the table image and config block that the
 * bare-metal checker runs under QEMU (NPT) or bochs (EPT).
 *
 *   x86-gen list                         scenario names, "npt/..." "ept/..."
 *   x86-gen TARGET/SCENARIO IMG CFG      build one; prints host-side
 *                                        PASS/FAIL lines and "vectors N"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/gen.h"
#include "x86o.h"

#define K4	0x1000ull
#define M2	0x200000ull
#define G1	0x40000000ull

enum { R = ORC_ACC_R | ORC_VIA_GUEST, W = ORC_ACC_W | ORC_VIA_GUEST, X = ORC_ACC_X | ORC_VIA_GUEST };
enum { OK = ORC_OK, NP = ORC_FAULT_TRANS, PERM = ORC_FAULT_PERM };

struct sc {
	struct orc_gen g;
	struct s2pt *pt;
	int ept;		/* target: EPT (bochs) or NPT (QEMU) */
	const char *name;	/* "npt/basic" */
	unsigned host_pass, host_fail;
};

static void host_result(struct sc *s, int pass, const char *what)
{
	printf("%s %s host: %s\n", pass ? "PASS" : "FAIL", s->name, what);
	pass ? s->host_pass++ : s->host_fail++;
}

static void die_err(const char *what, int err)
{
	fprintf(stderr, "x86-gen: %s: %s\n", what, strerror(-err));
	exit(2);
}

/*
 * The exit information the manuals give for a fault (see x86o.h).
 * NPT, APM vol. 2 §15.25.6 and the #PF error code of §8.4.2: P = 1 for a
 * protection violation, W for a write, U/S always (a nested walk is a user
 * access, §15.25.5), I/D for a fetch with EFER.NXE = 1, bit 32 for the
 * final translation. EPT, SDM vol. 3C §28.2.1 Table 28-7: the access in
 * bits 2:0, in bits 5:3 the AND of R/W/X over the entries walked (the
 * library's table entries grant all three, so the leaf's bits, and 0 for a
 * not-present entry), bit 7 (linear address valid, also with paging off)
 * and bit 8 (the access was to the translation, not a guest table).
 */
static uint64_t fault_info(const struct sc *s, uint32_t access, uint32_t expect, uint32_t prot)
{
	uint32_t a = access & ORC_ACC_MASK;
	uint64_t v;

	if (!s->ept) {
		v = X86O_NPF_FINAL | X86O_NPF_US;
		v |= expect == PERM ? X86O_NPF_P : 0;
		v |= a == ORC_ACC_W ? X86O_NPF_W : 0;
		v |= a == ORC_ACC_X ? X86O_NPF_ID : 0;
		return v;
	}
	v = X86O_EQ_GLA | X86O_EQ_XLAT;
	v |= a == ORC_ACC_R ? X86O_EQ_R : a == ORC_ACC_W ? X86O_EQ_W : X86O_EQ_X;
	if (expect == PERM) {
		v |= prot & S2PT_R ? X86O_EQ_CAN_R : 0;
		v |= prot & S2PT_W ? X86O_EQ_CAN_W : 0;
		v |= prot & (S2PT_X | S2PT_XS) ? X86O_EQ_CAN_X : 0;
	}
	return v;
}

static void set_aux(struct sc *s, struct orc_vec *v)
{
	struct s2pt_leaf leaf = { 0 };

	if (v->expect != NP && v->expect != PERM)
		return;
	if (v->expect == PERM && s2pt_lookup(s->pt, v->ia, &leaf))
		die_err("s2pt_lookup", -ENOENT);
	v->aux = fault_info(s, v->access, v->expect, leaf.prot);
	v->flags |= ORC_F_AUX;
}

/*
 * A hand-made vector: the expectation comes from the scenario's own
 * definition (@oa and @level as the manuals imply for the mappings made).
 * s2pt_lookup() must agree, which is checked here (a host-side FAIL if
 * not); the hardware then judges the hand expectation.
 */
static void want(struct sc *s, const char *name, uint64_t ia, uint32_t access, uint32_t expect,
		 uint64_t oa, int level)
{
	struct orc_vec *v = orc_vec_lookup(&s->g, s->pt, name, ia, access);
	char msg[160];

	if (v->expect != expect || v->level != level || (expect == OK && v->oa != oa)) {
		snprintf(msg, sizeof(msg),
			 "%s: s2pt_lookup gives expect %u level %d oa %#llx, hand-made %u %d %#llx",
			 name, v->expect, v->level, (unsigned long long)v->oa, expect, level,
			 (unsigned long long)oa);
		host_result(s, 0, msg);
		v->expect = expect;
		v->level = level;
		v->oa = expect == OK ? oa : 0;
	}
	set_aux(s, v);
}

/* A vector whose expectation is s2pt_lookup()'s (randomized scenarios). */
static void probe(struct sc *s, const char *name, uint64_t ia, uint32_t access)
{
	set_aux(s, orc_vec_lookup(&s->g, s->pt, name, ia, access));
}

static void map(struct sc *s, uint64_t ia, uint64_t oa, uint64_t size, uint32_t prot)
{
	orc_map(s->pt, ia, oa, size, prot, S2PT_MAP_HUGE);
}

static void check0(int err, const char *what)
{
	if (err)
		die_err(what, err);
}

/* The leaf entry translating @ia, found in the image by its value (which
 * the output address makes unique in these scenarios). */
static uint64_t *find_pte(struct sc *s, uint64_t ia)
{
	struct s2pt_leaf leaf;
	uint64_t *p = s->g.img, *hit = NULL;
	size_t n = s->g.img_size / 8;

	check0(s2pt_lookup(s->pt, ia, &leaf), "s2pt_lookup");
	for (size_t i = 0; i < n; i++) {
		if (p[i] == leaf.pte) {
			if (hit)
				die_err("find_pte: the leaf is not unique", -EINVAL);
			hit = &p[i];
		}
	}
	if (!hit)
		die_err("find_pte: leaf not in the image", -ENOENT);
	return hit;
}

/*
 * The last vector also checks the dirty flag of its leaf entry after the
 * access: set (@dirty) or still clear. See X86O_AUX_DIRTY.
 */
static void track_dirty(struct sc *s, int dirty)
{
	struct orc_vec *v = &s->g.cfg->vec[s->g.cfg->nvec - 1];
	uint64_t *pte = find_pte(s, v->ia);

	v->aux = (s->g.img_pa + (uint64_t)((char *)pte - (char *)s->g.img)) |
		 (dirty ? X86O_AUX_DIRTY : 0);
	v->flags |= ORC_F_AUX;
}

/* The guest's code page, identity mapped, read + execute, in every scenario
 * that runs guest code from it. */
static void map_guest_page(struct sc *s)
{
	map(s, X86O_GUEST_PA, X86O_GUEST_PA, K4, S2PT_R | S2PT_X);
}

/*
 * basic: 4 KiB pages of every permission the format has, and a
 * not-present entry at levels 0, 1 and 2 for each access type.
 * Walk for 0x00400000: PML4E 0 -> PDPTE 0 -> PDE 2 -> PTE 0..3.
 */
static void sc_basic(struct sc *s)
{
	const uint64_t g = 0x00400000, h = X86O_TGT_LO;

	map_guest_page(s);
	map(s, g + 0 * K4, h + 0 * K4, K4, S2PT_RW);
	map(s, g + 1 * K4, h + 1 * K4, K4, S2PT_R);
	map(s, g + 2 * K4, h + 2 * K4, K4, S2PT_R | S2PT_X);
	map(s, g + 3 * K4, h + 3 * K4, K4, S2PT_RWX);
	/* a 4 KiB page in another PD, and in another PML4 slot than every probe */
	map(s, 0x40000000 + 5 * K4, h + 5 * K4, K4, S2PT_RW);
	map(s, 0x8000000000ull, h + 6 * K4, K4, S2PT_RW);
	/* memory types other than write-back must still translate */
	map(s, g + 8 * K4, h + 8 * K4, K4, S2PT_RW | S2PT_MT_DEV);
	map(s, g + 9 * K4, h + 9 * K4, K4, S2PT_RW | S2PT_MT_NC);
	want(s, "rw read", g + 0x10, R, OK, h + 0x10, 0);
	track_dirty(s, 0);
	/* NPT always sets D; EPT only with EPTP bit 6, which is off here */
	want(s, "rw write", g + 0x18, W, OK, h + 0x18, 0);
	track_dirty(s, !s->ept);
	want(s, "rw fetch (no-execute)", g + 0x20, X, PERM, 0, 0);
	want(s, "ro read", g + K4 + 0x28, R, OK, h + K4 + 0x28, 0);
	want(s, "ro write", g + K4 + 0x30, W, PERM, 0, 0);
	want(s, "ro fetch (no-execute)", g + K4 + 0x38, X, PERM, 0, 0);
	want(s, "rx read", g + 2 * K4 + 0x40, R, OK, h + 2 * K4 + 0x40, 0);
	want(s, "rx write", g + 2 * K4 + 0x48, W, PERM, 0, 0);
	want(s, "rx fetch", g + 2 * K4 + 0x50, X, OK, h + 2 * K4 + 0x50, 0);
	want(s, "rwx read", g + 3 * K4 + 0xff0, R, OK, h + 3 * K4 + 0xff0, 0);
	want(s, "rwx write", g + 3 * K4 + 0x8, W, OK, h + 3 * K4 + 0x8, 0);
	want(s, "rwx fetch", g + 3 * K4 + 0x60, X, OK, h + 3 * K4 + 0x60, 0);
	want(s, "other PD read", 0x40000000 + 5 * K4 + 0x70, R, OK, h + 5 * K4 + 0x70, 0);
	want(s, "device (UC) read", g + 8 * K4 + 0x78, R, OK, h + 8 * K4 + 0x78, 0);
	want(s, "device (UC) write", g + 8 * K4 + 0x80, W, OK, h + 8 * K4 + 0x80, 0);
	want(s, "non-cacheable (WC) read", g + 9 * K4 + 0x88, R, OK, h + 9 * K4 + 0x88, 0);
	want(s, "non-cacheable (WC) write", g + 9 * K4 + 0x90, W, OK, h + 9 * K4 + 0x90, 0);
	want(s, "PTE absent read", g + 4 * K4, R, NP, 0, 0);
	want(s, "PTE absent write", g + 4 * K4 + 0x80, W, NP, 0, 0);
	want(s, "PTE absent fetch", g + 511 * K4 + 0x90, X, NP, 0, 0);
	want(s, "PDE absent read", g + M2 + 0x100, R, NP, 0, 1);
	want(s, "PDE absent write", 0x3fe00000, W, NP, 0, 1);
	want(s, "PDE absent fetch", 0x40200000 + 0x40, X, NP, 0, 1);
	want(s, "PDPTE absent read", 0x80000000, R, NP, 0, 2);
	want(s, "PDPTE absent write", 0xc0001000 + 0x8, W, NP, 0, 2);
	want(s, "PDPTE absent fetch", 0xfffff000, X, NP, 0, 2);
}

/*
 * huge: 2 MiB and 1 GiB leaves. 1 GiB pages can only output to HPA 0 in
 * 256 MiB of RAM, so their probes land in the target area inside it.
 */
static void sc_huge(struct sc *s)
{
	const uint64_t h2 = X86O_TGT_LO + 4 * M2;

	map_guest_page(s);
	map(s, 0x40000000, 0, G1, S2PT_RW);
	map(s, 0xc0000000, 0, G1, S2PT_R | S2PT_X);
	map(s, 0x00800000, h2, M2, S2PT_RW);
	map(s, 0x00a00000, h2 + M2, M2, S2PT_R | S2PT_X);
	map(s, 0x00c00000, h2 + 2 * M2, M2, S2PT_RWX);
	want(s, "1G rw read", 0x41000008, R, OK, 0x01000008, 2);
	want(s, "1G rw write", 0x47fff000, W, OK, 0x07fff000, 2);
	want(s, "1G rw fetch (no-execute)", 0x42000040, X, PERM, 0, 2);
	want(s, "1G rx read", 0xc3456788, R, OK, 0x03456788, 2);
	want(s, "1G rx write", 0xc1000010, W, PERM, 0, 2);
	want(s, "1G rx fetch", 0xc2345670, X, OK, 0x02345670, 2);
	want(s, "2M rw read", 0x00800018, R, OK, h2 + 0x18, 1);
	want(s, "2M rw write", 0x009ffff0, W, OK, h2 + 0x1ffff0, 1);
	want(s, "2M rw fetch (no-execute)", 0x00900000, X, PERM, 0, 1);
	want(s, "2M rx read", 0x00a12340, R, OK, h2 + M2 + 0x12340, 1);
	want(s, "2M rx write", 0x00a00020, W, PERM, 0, 1);
	want(s, "2M rx fetch", 0x00bff800, X, OK, h2 + M2 + 0x1ff800, 1);
	want(s, "2M rwx write", 0x00c00100, W, OK, h2 + 2 * M2 + 0x100, 1);
	want(s, "2M rwx fetch", 0x00d00200, X, OK, h2 + 2 * M2 + 0x100200, 1);
	want(s, "PDE absent next to 2M", 0x00e00000, R, NP, 0, 1);
	want(s, "PDPTE absent between 1G", 0x80000100, W, NP, 0, 2);
}

/*
 * root: PML4E 0 absent (mappings only at 512 GiB and 128 TiB - 1 GiB), so
 * every GPA below 4 GiB stops at the root. With no guest code mapped the
 * faults are the guest's first instruction fetch.
 */
static void sc_root(struct sc *s)
{
	map(s, 0x8000000000ull, X86O_TGT_LO, M2, S2PT_RWX);
	map(s, 0x7fffc0000000ull, 0, G1, S2PT_RWX);
	want(s, "PML4E absent fetch", X86O_GUEST_PA, X, NP, 0, 3);
	want(s, "PML4E absent fetch 1G", 0x40000000, X, NP, 0, 3);
	want(s, "PML4E absent fetch top", 0xfffffff0, X, NP, 0, 3);
}

/*
 * ops: tables changed after mapping, so the hardware checks the library's
 * split, protect, unmap, collapse and replace paths, not only fresh maps.
 */
static void sc_ops(struct sc *s)
{
	const uint64_t h = X86O_TGT_LO + 16 * M2;
	struct s2pt_leaf leaf;
	int err;

	map_guest_page(s);
	/* a 2 MiB leaf, one page made read-only and one unmapped inside it */
	map(s, 0x01000000, h, M2, S2PT_RW);
	check0(s2pt_protect(s->pt, 0x01001000, K4, S2PT_R), "s2pt_protect");
	check0(s2pt_unmap(s->pt, 0x01002000, K4), "s2pt_unmap");
	orc_map(s->pt, 0x01003000, h + 8 * M2, K4, S2PT_RW, S2PT_MAP_REPLACE);
	/* a 1 GiB leaf, 2 MiB of it read-only, a page unmapped in the next 2 MiB */
	map(s, 0x40000000, 0, G1, S2PT_RWX);
	check0(s2pt_protect(s->pt, 0x41000000, M2, S2PT_R), "s2pt_protect");
	check0(s2pt_unmap(s->pt, 0x41200000, K4), "s2pt_unmap");
	/* 512 contiguous 4 KiB pages folded into one 2 MiB leaf */
	orc_map(s->pt, 0x02000000, h + 2 * M2, M2, S2PT_RW, 0);
	check0(s2pt_collapse(s->pt, 0x02000000, M2), "s2pt_collapse");
	err = s2pt_lookup(s->pt, 0x02000000, &leaf);
	host_result(s, !err && leaf.level == 1, "s2pt_collapse made a 2 MiB leaf");
	/* a 2 MiB leaf split into 4 KiB pages */
	map(s, 0x02200000, h + 3 * M2, M2, S2PT_R);
	check0(s2pt_split(s->pt, 0x02200000, M2, K4), "s2pt_split");

	want(s, "split 2M: untouched read", 0x01000008, R, OK, h + 0x8, 0);
	want(s, "split 2M: untouched write", 0x011ff010, W, OK, h + 0x1ff010, 0);
	want(s, "split 2M: protected read", 0x01001018, R, OK, h + 0x1018, 0);
	want(s, "split 2M: protected write", 0x01001020, W, PERM, 0, 0);
	want(s, "split 2M: unmapped read", 0x01002028, R, NP, 0, 0);
	want(s, "split 2M: replaced read", 0x01003030, R, OK, h + 8 * M2 + 0x30, 0);
	want(s, "split 1G: protected read", 0x41000100, R, OK, 0x01000100, 1);
	want(s, "split 1G: protected write", 0x411ff100, W, PERM, 0, 1);
	want(s, "split 1G: unmapped read", 0x41200100, R, NP, 0, 0);
	want(s, "split 1G: next page fetch", 0x41201100, X, OK, 0x01201100, 0);
	want(s, "split 1G: untouched write", 0x41400008, W, OK, 0x01400008, 1);
	want(s, "collapsed 2M read", 0x020ff008, R, OK, h + 2 * M2 + 0xff008, 1);
	want(s, "collapsed 2M write", 0x021ff008, W, OK, h + 2 * M2 + 0x1ff008, 1);
	want(s, "split 4K read", 0x02300008, R, OK, h + 3 * M2 + 0x100008, 0);
	want(s, "split 4K write", 0x02300010, W, PERM, 0, 0);
}

/*
 * dirty: the hardware's dirty flag in leaves at each size. EPT tables are
 * made with S2PT_OPT_AD, so s2pt_hw_root() must set EPTP bit 6 (SDM 3C
 * §25.6.11) for the processor to write D (§29.3.5); NPT always does (APM
 * §15.25.5 walks nested tables like host tables, §5.4.2).
 */
static void sc_dirty(struct sc *s)
{
	const uint64_t g = 0x00400000, h = X86O_TGT_LO + 48 * M2;

	map_guest_page(s);
	map(s, g, h, K4, S2PT_RW);
	map(s, g + K4, h + K4, K4, S2PT_RW);
	map(s, g + 2 * K4, h + 2 * K4, K4, S2PT_R | S2PT_X);
	map(s, 0x00600000, h + M2, M2, S2PT_RW);
	map(s, 0x40000000, 0, G1, S2PT_RW);
	want(s, "4K read: D stays clear", g + 0x10, R, OK, h + 0x10, 0);
	track_dirty(s, 0);
	want(s, "4K write: D set", g + K4 + 0x18, W, OK, h + K4 + 0x18, 0);
	track_dirty(s, 1);
	want(s, "4K read after write: D kept", g + K4 + 0x20, R, OK, h + K4 + 0x20, 0);
	track_dirty(s, 1);
	want(s, "4K fetch: D stays clear", g + 2 * K4 + 0x28, X, OK, h + 2 * K4 + 0x28, 0);
	track_dirty(s, 0);
	want(s, "2M write: D set", 0x00700030, W, OK, h + M2 + 0x100030, 1);
	track_dirty(s, 1);
	want(s, "1G read: D stays clear", 0x41800038, R, OK, 0x01800038, 2);
	track_dirty(s, 0);
	want(s, "1G write after read: D set", 0x41800040, W, OK, 0x01800040, 2);
	track_dirty(s, 1);
}

/*
 * random: random 4 KiB / 2 MiB / 1 GiB mappings below 4 GiB with random
 * permissions, some protected or punched afterwards, then random probes;
 * every expectation comes from s2pt_lookup().
 */
static void sc_random(struct sc *s)
{
	static const uint32_t npt_prot[] = { S2PT_R, S2PT_RW, S2PT_R | S2PT_X, S2PT_RWX };
	static const uint32_t ept_prot[] = { S2PT_R, S2PT_RW, S2PT_R | S2PT_X, S2PT_RWX, S2PT_X };
	const uint32_t *prots = s->ept ? ept_prot : npt_prot;
	unsigned nprot = s->ept ? 5 : 4;
	struct orc_gen *g = &s->g;
	struct { uint64_t ia, size; } m[32];
	unsigned nm = 0, tries = 0, nv = 0;
	char name[48];

	orc_seed(g);
	map_guest_page(s);
	while (nm < 24 && tries++ < 1000) {
		unsigned r = orc_rand(g) % 10;
		uint64_t size = r < 6 ? K4 : r < 9 ? M2 : G1;
		uint64_t ia = (orc_rand(g) % (4 * G1)) & ~(size - 1);
		uint64_t oa = size == G1 ? 0 :
			      X86O_TGT_LO + ((orc_rand(g) % (X86O_TGT_HI - X86O_TGT_LO)) & ~(size - 1));
		uint32_t prot = prots[orc_rand(g) % nprot];
		int err = s2pt_map(s->pt, ia, oa, size, prot, S2PT_MAP_HUGE);

		if (err == -EEXIST)
			continue;
		if (err == -ENOMEM)	/* the 32-page arena is full */
			break;
		check0(err, "s2pt_map");
		m[nm].ia = ia;
		m[nm++].size = size;
	}
	/* change some: a random page of a mapping gets new rights or goes */
	for (unsigned i = 0; i < 6; i++) {
		unsigned k = orc_rand(g) % nm;
		uint64_t ia = m[k].ia + ((orc_rand(g) % m[k].size) & ~(K4 - 1));

		int err = i & 1 ? s2pt_unmap(s->pt, ia, K4) :
			  s2pt_protect(s->pt, ia, K4, prots[orc_rand(g) % nprot]);

		if (err != -ENOMEM)	/* a split that does not fit: skip it */
			check0(err, i & 1 ? "s2pt_unmap" : "s2pt_protect");
	}
	printf("%s: %u mappings, %zu table pages\n", s->name, nm,
	       s2pt_arena_used(g->arena) / 4096);
	while (nv < 48) {
		static const uint32_t acc[] = { R, W, X };
		uint32_t a = acc[orc_rand(g) % 3];
		unsigned k = orc_rand(g) % nm, r = orc_rand(g) % 4;
		/* inside a mapping; next to it (the same 2 MiB or 1 GiB: holes
		 * in a present table); anywhere below 4 GiB */
		uint64_t span = r < 2 ? m[k].size : r == 2 ? (m[k].size == K4 ? M2 : G1) : 4 * G1;
		uint64_t base = r == 3 ? 0 : m[k].ia & ~(span - 1);
		uint64_t ia = base + orc_rand(g) % span;
		struct s2pt_leaf leaf;

		ia &= ~15ull;
		if ((ia & 0xfff) > 0xfe0)
			ia -= 0x20;
		/* a translation must land where the checker may plant markers */
		if (!s2pt_lookup(s->pt, ia, &leaf) &&
		    (leaf.oa < X86O_TGT_LO || leaf.oa + 16 > X86O_TGT_HI))
			continue;
		snprintf(name, sizeof(name), "random %u", nv++);
		probe(s, name, ia, a);
	}
}

/*
 * EPT misconfiguration (SDM vol. 3C §29.3.3.1): the library must refuse
 * write-without-read, and bytes of that shape written by hand (and a leaf
 * of memory type 2, reserved) must make the processor exit with reason 49.
 */
static void sc_misconf(struct sc *s)
{
	const uint64_t g = 0x00600000, h = X86O_TGT_LO + 0x100000;
	struct s2pt_leaf leaf;
	uint64_t *pte;
	int err;

	map_guest_page(s);
	err = s2pt_map(s->pt, g, h, K4, S2PT_W, 0);
	host_result(s, err == -EINVAL, "s2pt_map(W without R) = -EINVAL");
	err = s2pt_map(s->pt, g, h, K4, S2PT_W | S2PT_X, 0);
	host_result(s, err == -EINVAL, "s2pt_map(W|X without R) = -EINVAL");
	map(s, g, h, K4, S2PT_RW);
	map(s, g + K4, h + K4, K4, S2PT_RW);
	map(s, g + 2 * K4, h + 2 * K4, K4, S2PT_RW);
	want(s, "RW page before patching", g + 2 * K4 + 0x10, R, OK, h + 2 * K4 + 0x10, 0);
	/* hand-made: clear R in the first leaf (W only), memory type 2 in the second */
	pte = find_pte(s, g);
	*pte &= ~1ull;
	pte = find_pte(s, g + K4);
	*pte = (*pte & ~0x38ull) | 2ull << 3;
	/* the library's decoder must not take either for a translation */
	host_result(s, s2pt_lookup(s->pt, g, &leaf) == -ENOENT,
		    "s2pt_lookup reads the W-only leaf as not present");
	host_result(s, s2pt_lookup(s->pt, g + K4, &leaf) == -ENOENT,
		    "s2pt_lookup reads the memory-type-2 leaf as not present");
	orc_vec(&s->g, "hand-made W-only leaf read", g + 0x20, R, ORC_FAULT_MISCONF, 0, 0);
	orc_vec(&s->g, "hand-made W-only leaf write", g + 0x28, W, ORC_FAULT_MISCONF, 0, 0);
	orc_vec(&s->g, "hand-made memory type 2 read", g + K4 + 0x30, R, ORC_FAULT_MISCONF, 0, 0);
}

/*
 * execute-only (EPT): R = W = 0, X = 1 at 4 KiB, 2 MiB and 1 GiB, which
 * the processor allows when IA32_VMX_EPT_VPID_CAP bit 0 is set.
 */
static void sc_xonly(struct sc *s)
{
	const uint64_t h = X86O_TGT_LO + 32 * M2;

	map_guest_page(s);
	map(s, 0x00800000, h, K4, S2PT_X);
	map(s, 0x00a00000, h + M2, M2, S2PT_X);
	map(s, 0x40000000, 0, G1, S2PT_X);
	/* Without mode-based execute control (off here) bit 2 alone governs
	 * every fetch and bit 10 is ignored (§29.3.3.2): XS (bit 2) executes,
	 * and a fetch from an R + XU leaf faults with the execute bit of the
	 * report clear: the permission fault s2pt_lookup() predicts. */
	map(s, 0x00801000, h + K4, K4, S2PT_R | S2PT_XS);
	map(s, 0x00802000, h + 2 * K4, K4, S2PT_R | S2PT_XU);
	want(s, "4K x-only fetch", 0x00800100, X, OK, h + 0x100, 0);
	want(s, "4K x-only read", 0x00800108, R, PERM, 0, 0);
	want(s, "4K x-only write", 0x00800110, W, PERM, 0, 0);
	want(s, "2M x-only fetch", 0x00b00200, X, OK, h + M2 + 0x100200, 1);
	want(s, "2M x-only read", 0x00a00208, R, PERM, 0, 1);
	want(s, "2M x-only write", 0x00bff010, W, PERM, 0, 1);
	want(s, "1G x-only fetch", 0x41234560, X, OK, 0x01234560, 2);
	want(s, "1G x-only read", 0x42000008, R, PERM, 0, 2);
	want(s, "1G x-only write", 0x43000010, W, PERM, 0, 2);
	want(s, "4K r+xs fetch (MBEC off)", 0x00801040, X, OK, h + K4 + 0x40, 0);
	want(s, "4K r+xu fetch (MBEC off)", 0x00802048, X, PERM, 0, 0);
	want(s, "4K r+xu read (MBEC off)", 0x00802050, R, OK, h + 2 * K4 + 0x50, 0);
}

struct scenario {
	const char *name;
	void (*fn)(struct sc *s);
	unsigned targets;	/* 1: npt, 2: ept */
	unsigned ept_flags;	/* opts.flags for an EPT table */
};

static const struct scenario scenarios[] = {
	{ "basic", sc_basic, 3, 0 },
	{ "huge", sc_huge, 3, 0 },
	{ "root", sc_root, 3, 0 },
	{ "ops", sc_ops, 3, 0 },
	{ "dirty", sc_dirty, 3, S2PT_OPT_AD },
	{ "xonly", sc_xonly, 2, 0 },
	{ "misconf", sc_misconf, 2, 0 },
	{ "random", sc_random, 3, 0 },
};

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	const struct scenario *scn = NULL;
	struct s2pt_opts opts;
	struct sc s = { 0 };
	const char *slash;
	uint64_t root;
	int err;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
			if (scenarios[i].targets & 1)
				printf("npt/%s\n", scenarios[i].name);
			if (scenarios[i].targets & 2)
				printf("ept/%s\n", scenarios[i].name);
		}
		return 0;
	}
	if (argc != 4 || !(slash = strchr(argv[1], '/'))) {
		fprintf(stderr, "usage: x86-gen list | x86-gen {npt|ept}/SCENARIO IMG CFG\n");
		return 2;
	}
	s.name = argv[1];
	s.ept = !strncmp(argv[1], "ept/", 4);
	if (!s.ept && strncmp(argv[1], "npt/", 4))
		return fprintf(stderr, "x86-gen: unknown target in %s\n", argv[1]), 2;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(slash + 1, scenarios[i].name) && (scenarios[i].targets & (1u << s.ept)))
			scn = &scenarios[i];
	if (!scn)
		return fprintf(stderr, "x86-gen: no scenario %s\n", argv[1]), 2;

	orc_gen_init(&s.g, s.name, X86O_IMG_PA, X86O_IMG_SIZE);
	opts = orc_opts(&s.g);
	opts.flags = s.ept ? scn->ept_flags : 0;
	err = s2pt_create(s.ept ? &s2pt_fmt_ept4 : &s2pt_fmt_npt, &opts, &s.pt);
	if (err)
		die_err("s2pt_create", err);
	scn->fn(&s);
	err = s2pt_hw_root(s.pt, 0, &root);
	if (err)
		die_err("s2pt_hw_root", err);
	s.g.cfg->reg[X86O_REG_ROOT] = root;
	s.g.cfg->reg[X86O_REG_TARGET] = s.ept ? X86O_TARGET_EPT : X86O_TARGET_NPT;
	s.g.cfg->reg[X86O_REG_SUM] = fnv1a(s.g.img, s.g.img_size);
	if (s.g.cfg->nvec * sizeof(struct orc_vec) + sizeof(struct orc_cfg) > X86O_CFG_MAX)
		die_err("too many vectors", -E2BIG);
	printf("%s: root register %#llx, %u vectors\n", s.name, (unsigned long long)root,
	       s.g.cfg->nvec);
	printf("vectors %u\n", s.g.cfg->nvec);
	orc_write(&s.g, argv[2], argv[3]);
	/* the image is written: the table may go (the arena does not own it) */
	s2pt_destroy(s.pt);
	return s.host_fail ? 1 : 0;
}
