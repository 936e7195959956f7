/* SPDX-License-Identifier: MIT */
/*
 * s2pt_translate() on hand-built guests: walk read counts worked out by hand,
 * bad input, and the cases where the architectures differ from one rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "unit/translate_model.h"

/* ------------------------------------------------------------------ */
/* Hand-worked cases                                                   */

struct hand {
	void *host;		/* 2 MiB of guest RAM at GPA HAND_TBL: the guest's tables */
	struct s2pt_arena *arena;
	struct s2pt *s1, *s2;
	struct s2pt_guest g;
	unsigned calls;		/* hpa_to_va calls */
	bool refuse;		/* hpa_to_va gives NULL */
};

#define HAND_TBL	0x40000000ull	/* GPA of the guest's table pages (1 GiB) */
#define HAND_GVA	0x00007f0000001000ull
#define HAND_GPA	0x80000000ull	/* 2 GiB */
#define HAND_HPA	0x123456000ull

static void *hand_hpa_to_va(void *ctx, uint64_t hpa, size_t len)
{
	struct hand *h = ctx;
	uint64_t base = (uint64_t)(uintptr_t)h->host;

	h->calls++;
	if (h->refuse || hpa < base || hpa + len > base + TBL_SIZE)
		return NULL;
	return (void *)(uintptr_t)hpa;
}

/* Guest tables of format @f1 in guest RAM at HAND_TBL (at its host address
 * without a second stage), which @f2 (made with @s2_flags) maps in 4 KiB
 * pages (or one 2 MiB page) with @tbl_prot. */
static void hand_init2(struct hand *h, const struct s2pt_fmt *f1, const struct s2pt_fmt *f2,
		       unsigned s2_flags, bool s2_huge, uint32_t tbl_prot)
{
	struct s2pt_opts o = { .sz = sizeof(o), .mm = &s2pt_arena_mm };
	struct s2pt_opts o2 = { .sz = sizeof(o2), .flags = s2_flags };
	uint64_t host;

	memset(h, 0, sizeof(*h));
	h->host = aligned_alloc(TBL_SIZE, TBL_SIZE);
	cr_assert(h->host);
	memset(h->host, 0, TBL_SIZE);
	host = (uint64_t)(uintptr_t)h->host;
	cr_assert_eq(s2pt_arena_create(h->host, f2 ? HAND_TBL : host, TBL_SIZE, &h->arena), 0);
	o.mm_ctx = h->arena;
	cr_assert_eq(s2pt_create(f1, &o, &h->s1), 0);
	if (f2) {
		cr_assert_eq(s2pt_create(f2, &o2, &h->s2), 0);
		cr_assert_eq(s2pt_map(h->s2, HAND_TBL, host, TBL_SIZE, tbl_prot,
				      s2_huge ? S2PT_MAP_HUGE : 0), 0);
	}
	h->g = (struct s2pt_guest){
		.sz = sizeof(h->g), .s1 = f1, .s1_root = s2pt_root(h->s1),
		.s2 = h->s2, .hpa_to_va = hand_hpa_to_va, .ctx = h,
	};
}

/* x86-64 over EPT, one guest page HAND_GVA -> HAND_GPA -> HAND_HPA. */
static void hand_init(struct hand *h, bool s2_huge)
{
	hand_init2(h, &s2pt_fmt_x86_64, &s2pt_fmt_ept4, 0, s2_huge, S2PT_RW);
	cr_assert_eq(s2pt_map(h->s1, HAND_GVA, HAND_GPA, TPAGE, S2PT_RW | S2PT_U, 0), 0);
	cr_assert_eq(s2pt_map(h->s2, HAND_GPA, HAND_HPA, TPAGE, S2PT_RW, 0), 0);
}

static void hand_fini(struct hand *h)
{
	s2pt_destroy(h->s1);
	s2pt_destroy(h->s2);
	s2pt_arena_destroy(h->arena);
	free(h->host);
}

/*
 * The 4+4 worst case. The guest walk reads its PML4E, PDPTE, PDE and PTE
 * (4 entries). Each lies in a table page whose GPA is mapped by a 4 KiB
 * EPT page, so before each read the processor walks the EPT for that GPA:
 * EPT PML4E, PDPTE, PDE, PTE, 4 reads; 4 x (4 + 1) = 20. The final GPA
 * HAND_GPA is a 4 KiB EPT page too: 4 more reads. 24 in all, the figure
 * DESIGN.md gives for a 4+4-level two-stage walk.
 * With the table RAM in one 2 MiB EPT page, each EPT walk for a table
 * entry ends at the EPT PDE: 4 x (3 + 1) + 4 = 20.
 */
Test(translate, reads_4plus4)
{
	struct hand h;
	struct s2pt_xlate x;

	test_rcu_register();
	hand_init(&h, false);
	cr_assert_eq(s2pt_translate(&h.g, HAND_GVA + 0x123, S2PT_ACC_WRITE | S2PT_ACC_USER, &x), 0);
	cr_expect_eq(x.reads, 24, "reads %u, 4 x (4 + 1) + 4 = 24", x.reads);
	cr_expect_eq(x.gpa, HAND_GPA + 0x123);
	cr_expect_eq(x.hpa, HAND_HPA + 0x123);
	cr_expect_eq(x.s1_size, TPAGE);
	cr_expect_eq(x.s2_size, TPAGE);
	cr_expect_eq(x.fault_stage, 0);
	cr_expect_eq(h.calls, 4, "one host read per guest entry, %u", h.calls);

	/* PML4 slot 0 is empty: the EPT walk for the PML4E (4) and the PML4E */
	cr_expect_eq(s2pt_translate(&h.g, 0x1000, S2PT_ACC_READ, &x), -EFAULT);
	cr_expect(x.fault_stage == 1 && x.fault_kind == S2PT_XF_NOT_PRESENT &&
		  x.fault_level == 3 && x.fault_addr == 0x1000 && x.reads == 5,
		  "stage %u kind %u level %d addr 0x%llx reads %u", x.fault_stage, x.fault_kind,
		  x.fault_level, (unsigned long long)x.fault_addr, x.reads);
	hand_fini(&h);

	hand_init(&h, true);
	cr_assert_eq(s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_READ, &x), 0);
	cr_expect_eq(x.reads, 20, "reads %u, 4 x (3 + 1) + 4 = 20", x.reads);
	/* gpa 0x90000000 unmapped: the EPT PD for 2-3 GiB exists (HAND_GPA), its
	 * entry 128 is empty: a level-1 fault after 4 x (3 + 1) + 3 = 19 reads */
	cr_assert_eq(s2pt_map(h.s1, HAND_GVA + TPAGE, 0x90000000, TPAGE, S2PT_R, 0), 0);
	cr_expect_eq(s2pt_translate(&h.g, HAND_GVA + TPAGE, S2PT_ACC_READ, &x), -EFAULT);
	cr_expect(x.fault_stage == 2 && x.fault_kind == S2PT_XF_NOT_PRESENT &&
		  x.fault_level == 1 && x.fault_addr == 0x90000000 && !x.fault_in_walk &&
		  x.reads == 19, "stage %u kind %u level %d addr 0x%llx walk %d reads %u",
		  x.fault_stage, x.fault_kind, x.fault_level, (unsigned long long)x.fault_addr,
		  x.fault_in_walk, x.reads);
	hand_fini(&h);
	test_rcu_unregister();
}

Test(translate, bad_input)
{
	struct hand h;
	struct s2pt_xlate x;
	struct s2pt_guest g;

	test_rcu_register();
	hand_init(&h, false);
	g = h.g;
	cr_expect_eq(s2pt_translate(NULL, HAND_GVA, S2PT_ACC_READ, &x), -EINVAL);
	cr_expect_eq(s2pt_translate(&g, HAND_GVA, S2PT_ACC_READ, NULL), -EINVAL);
	cr_expect_eq(s2pt_translate(&g, HAND_GVA, ACC_ALL + 1, &x), -EINVAL, "unknown access bit");
	cr_expect_eq(s2pt_translate(&g, HAND_GVA, 1u << 31, &x), -EINVAL, "unknown access bit");
	g.sz = sizeof(g) - 1;
	cr_expect_eq(s2pt_translate(&g, HAND_GVA, S2PT_ACC_READ, &x), -EINVAL, "short sz");
	g = h.g;
	g.hpa_to_va = NULL;
	cr_expect_eq(s2pt_translate(&g, HAND_GVA, S2PT_ACC_READ, &x), -EINVAL, "no hpa_to_va");
	h.refuse = true;
	cr_expect_eq(s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_READ, &x), -ENXIO,
		     "host memory of a table entry unreadable");
	hand_fini(&h);
	test_rcu_unregister();
}

/* ------------------------------------------------------------------ */
/* Where the architectures' rules differ from one simplified rule      */

#define XPRINT(x) "stage %u kind %u level %d addr 0x%llx walk %d", (x).fault_stage, \
	(x).fault_kind, (x).fault_level, (unsigned long long)(x).fault_addr, (x).fault_in_walk

/*
 * SDM 3C §29.3.3.2 (EPT violations), with the "mode-based execute control
 * for EPT" VM-execution control 1 (which S2PT_XU / S2PT_XS need): a fetch
 * is refused if "paging maps the linear address as a supervisor-mode
 * address" and bit 2 is clear, or "as a user-mode address" and bit 10 is
 * clear; a linear address is user-mode when U/S = 1 in every paging entry
 * translating it (§4.6). The CPL does not choose the bit. Without SMEP a
 * supervisor fetch from a U = 1 page is allowed by the first stage, and
 * EPT bit 10 (S2PT_XU) then decides it.
 */
Test(translate, hw_ept_mbec_by_linear_address)
{
	struct hand h;
	struct s2pt_xlate x;
	const uint64_t gva = HAND_GVA, gpa = HAND_GPA;

	test_rcu_register();
	hand_init2(&h, &s2pt_fmt_x86_64, &s2pt_fmt_ept4, 0, false, S2PT_RW);
	/* user pages: one over an EPT page executable for supervisor-mode
	 * addresses only (bit 2), one for user-mode addresses only (bit 10) */
	cr_assert_eq(s2pt_map(h.s1, gva, gpa, TPAGE, S2PT_R | S2PT_X | S2PT_U, 0), 0);
	cr_assert_eq(s2pt_map(h.s2, gpa, HAND_HPA, TPAGE, S2PT_R | S2PT_XS, 0), 0);
	cr_assert_eq(s2pt_map(h.s1, gva + TPAGE, gpa + TPAGE, TPAGE, S2PT_R | S2PT_X | S2PT_U, 0), 0);
	cr_assert_eq(s2pt_map(h.s2, gpa + TPAGE, HAND_HPA + TPAGE, TPAGE, S2PT_R | S2PT_XU, 0), 0);

	/* CPL 0 fetch from a user-mode address: bit 10 decides, and it is clear */
	cr_expect_eq(s2pt_translate(&h.g, gva, S2PT_ACC_EXEC, &x), -EFAULT,
		     "supervisor fetch from a U/S = 1 page over EPT X = 1, XU = 0 must be an "
		     "EPT violation (bit 10 governs user-mode addresses)");
	cr_expect(x.fault_stage == 2 && x.fault_kind == S2PT_XF_PERMISSION && x.fault_level == 0 &&
		  x.fault_addr == gpa && !x.fault_in_walk, XPRINT(x));
	/* ... and here bit 10 is set: allowed */
	cr_expect_eq(s2pt_translate(&h.g, gva + TPAGE, S2PT_ACC_EXEC, &x), 0,
		     "supervisor fetch from a U/S = 1 page over EPT XU = 1 is allowed; got " XPRINT(x));
	/* a CPL 3 fetch agrees with either reading */
	cr_expect_eq(s2pt_translate(&h.g, gva + TPAGE, S2PT_ACC_EXEC | S2PT_ACC_USER, &x), 0);
	cr_expect_eq(s2pt_translate(&h.g, gva, S2PT_ACC_EXEC | S2PT_ACC_USER, &x), -EFAULT);
	hand_fini(&h);
	test_rcu_unregister();
}

/*
 * RISC-V privileged spec §4.3.1 (Sv32, inherited by Sv39/48/57): "If the
 * SUM bit in the sstatus register is set, supervisor mode software may
 * also access pages with U=1 ... Irrespective of SUM, the supervisor may
 * not execute code on pages with U=1." So a U | X page is executable by
 * U-mode only: a supervisor fetch faults, and its effective execute right
 * is user-only.
 */
Test(translate, hw_riscv_no_supervisor_fetch_from_user_page)
{
	const struct s2pt_fmt *f[] = { &s2pt_fmt_sv39, &s2pt_fmt_sv48 };

	test_rcu_register();
	for (unsigned i = 0; i < 2; i++) {
		struct hand h;
		struct s2pt_xlate x;

		hand_init2(&h, f[i], NULL, 0, false, 0);
		cr_assert_eq(s2pt_map(h.s1, 0x12345000ull, HAND_GPA, TPAGE,
				      S2PT_R | S2PT_X | S2PT_U, 0), 0);
		cr_expect_eq(s2pt_translate(&h.g, 0x12345000ull, S2PT_ACC_EXEC, &x), -EFAULT,
			     "%s: S-mode fetch from a U = 1 page must fault", s2pt_fmt_name(f[i]));
		cr_expect(x.fault_stage == 1 && x.fault_kind == S2PT_XF_PERMISSION &&
			  x.fault_level == 0 && x.fault_addr == 0x12345000ull, XPRINT(x));
		cr_expect_eq(s2pt_translate(&h.g, 0x12345000ull, S2PT_ACC_EXEC | S2PT_ACC_USER, &x), 0);
		cr_expect_eq(s2pt_translate(&h.g, 0x12345000ull, S2PT_ACC_READ, &x), 0);
		cr_expect_eq(x.prot & (S2PT_X | S2PT_XU | S2PT_XS), S2PT_XU,
			     "%s: effective execute of a U | X page is user-only, prot %#x",
			     s2pt_fmt_name(f[i]), x.prot);
		hand_fini(&h);
	}
	test_rcu_unregister();
}

/*
 * ARM ARM D8.4 (stage 1 instruction access permissions, EL1&0 regime):
 * an EL0 fetch is permitted when UXN = 0 and an EL1 fetch when PXN = 0;
 * AP[1] grants EL0 data access only, so AP[1] = 0 with UXN = 0 is EL0
 * execute-only memory (what Linux's PAGE_EXECONLY uses). Whatever the
 * library writes for R | X without U, translate must follow the entry:
 * UXN = 0 (bit 54) -> an EL0 fetch succeeds; UXN = 1 -> it faults.
 */
Test(translate, hw_arm64_el0_fetch_follows_uxn)
{
	struct hand h;
	struct s2pt_xlate x;
	struct s2pt_leaf leaf;
	bool uxn;
	int ret;

	test_rcu_register();
	hand_init2(&h, &s2pt_fmt_arm64_4k, NULL, 0, false, 0);
	cr_assert_eq(s2pt_map(h.s1, HAND_GVA, HAND_GPA, TPAGE, S2PT_R | S2PT_X, 0), 0);
	cr_assert_eq(s2pt_lookup(h.s1, HAND_GVA, &leaf), 0);
	cr_expect_eq(leaf.pte & (1ull << 6), 0, "AP[1] = 0: no EL0 data access");
	uxn = leaf.pte & (1ull << 54);
	ret = s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_EXEC | S2PT_ACC_USER, &x);
	cr_expect_eq(ret, uxn ? -EFAULT : 0,
		     "entry 0x%llx has UXN = %d, so an EL0 fetch %s; translate gave %d, stage %u "
		     "kind %u", (unsigned long long)leaf.pte, uxn, uxn ? "faults" : "succeeds", ret,
		     x.fault_stage, x.fault_kind);
	cr_expect_eq(s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_READ | S2PT_ACC_USER, &x), -EFAULT,
		     "EL0 read needs AP[1]");
	hand_fini(&h);
	test_rcu_unregister();
}

/*
 * SDM 3C §29.3.3.2: "If bit 6 of the EPT pointer (EPTP) is 1 (enabling
 * accessed and dirty flags for EPT), processor accesses to guest
 * paging-structure entries are treated as writes with regard to EPT
 * violations. Thus, if bit 1 is clear in any of the EPT paging-structure
 * entries used to translate the guest-physical address of a guest
 * paging-structure entry, an attempt to use that entry to translate a
 * linear address causes an EPT violation." With S2PT_OPT_AD (which puts
 * bit 6 in the EPTP) and the guest's tables mapped read-only, the first
 * fetch (the PML4E) is refused.
 */
Test(translate, hw_ept_ad_walk_is_a_write)
{
	struct hand h;
	struct s2pt_xlate x;
	uint64_t eptp = 0, pml4e;

	test_rcu_register();
	hand_init2(&h, &s2pt_fmt_x86_64, &s2pt_fmt_ept4, S2PT_OPT_AD, false, S2PT_R);
	cr_assert_eq(s2pt_hw_root(h.s2, 0, &eptp), 0);
	cr_assert(eptp & (1ull << 6), "EPTP 0x%llx without A/D enable", (unsigned long long)eptp);
	cr_assert_eq(s2pt_map(h.s1, HAND_GVA, HAND_GPA, TPAGE, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(h.s2, HAND_GPA, HAND_HPA, TPAGE, S2PT_RW, 0), 0);
	pml4e = s2pt_root(h.s1) + 8 * ((HAND_GVA >> 39) & 511);
	cr_expect_eq(s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_READ, &x), -EFAULT,
		     "EPT A/D on, guest tables read-only in EPT: the walk must fault");
	cr_expect(x.fault_stage == 2 && x.fault_kind == S2PT_XF_PERMISSION && x.fault_in_walk &&
		  x.fault_addr == pml4e && x.fault_level == 0, XPRINT(x));
	/* without A/D the same walk only reads */
	hand_fini(&h);
	hand_init2(&h, &s2pt_fmt_x86_64, &s2pt_fmt_ept4, 0, false, S2PT_R);
	cr_assert_eq(s2pt_map(h.s1, HAND_GVA, HAND_GPA, TPAGE, S2PT_RW, 0), 0);
	cr_assert_eq(s2pt_map(h.s2, HAND_GPA, HAND_HPA, TPAGE, S2PT_RW, 0), 0);
	cr_expect_eq(s2pt_translate(&h.g, HAND_GVA, S2PT_ACC_READ, &x), 0);
	hand_fini(&h);
	test_rcu_unregister();
}
