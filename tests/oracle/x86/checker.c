// SPDX-License-Identifier: MIT
/*
 * The x86 checkers' common loop: check the config block and table image,
 * then for each vector plant a marker at the expected host-physical address,
 * run the guest access through the tables under test and compare the exit.
 */
#include "checker.h"

void checker_main(void);
void idt_init(void);
void host_trap(uint64_t vec, uint64_t err, uint64_t rip);
extern char trap_stubs[];

struct idt_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t idt[64] __attribute__((aligned(16)));
struct idt_desc idt_desc = { sizeof(idt) - 1, 0 };

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Both emulators: QEMU's debugcon and bochs' port_e9_hack. */
void bm_raw_putc(char c)
{
	outb(0xe9, (uint8_t)c);
}

/* QEMU: isa-debug-exit at 0xf4 (status 1); bochs: "Shutdown" to 0x8900.
 * Each port is unassigned on the other emulator, so write both. */
void x86o_exit(void)
{
	const char *s = "Shutdown";

	outl(0xf4, 0);
	while (*s)
		outb(0x8900, (uint8_t)*s++);
	for (;;)
		__asm__ volatile("cli; hlt");
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	return bm_memcpy(d, s, n);
}

void idt_init(void)
{
	for (unsigned i = 0; i < 32; i++) {
		uint64_t h = (uint64_t)(uintptr_t)trap_stubs + 16 * i;

		/* 64-bit interrupt gate, selector 0x18, present, DPL 0 */
		idt[2 * i] = (h & 0xffff) | 0x18ull << 16 | 0x8e00ull << 32 |
			     ((h >> 16) & 0xffff) << 48;
		idt[2 * i + 1] = h >> 32;
	}
	idt_desc.base = (uint64_t)(uintptr_t)idt;
}

void host_trap(uint64_t vec, uint64_t err, uint64_t rip)
{
	bm_puts("FAIL x86 checker: host exception ");
	bm_dec(vec);
	bm_puts(" error=");
	bm_hex(err);
	bm_puts(" rip=");
	bm_hex(rip);
	bm_puts("\nORACLE-DONE\n");
	x86o_exit();
}

void x86o_fail(const char *what, uint64_t v)
{
	bm_puts("FAIL ");
	bm_puts(x86o_target);
	bm_puts(" checker: ");
	bm_puts(what);
	bm_putc(' ');
	bm_hex(v);
	bm_putc('\n');
}

static uint64_t fnv1a(const uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static const char *const kind_name[] = { "call", "fault", "misconf", "other" };

static void show_exit(const struct x86o_exit *e)
{
	bm_puts(" -> ");
	bm_puts(kind_name[e->kind]);
	bm_puts(" code=");
	bm_hex(e->code);
	if (e->kind == X86O_EXIT_CALL) {
		bm_puts(" eax=");
		bm_hex(e->rax);
		return;
	}
	bm_puts(" info=");
	bm_hex(e->info);
	bm_puts(" gpa=");
	bm_hex(e->gpa);
	if (e->gla != ~0ull) {
		bm_puts(" gla=");
		bm_hex(e->gla);
	}
	bm_puts(" rip=");
	bm_hex(e->rip);
}

static int in_target(uint64_t pa, uint64_t len)
{
	return pa >= X86O_TGT_LO && pa + len <= X86O_TGT_HI;
}

/* One vector: plant, run, compare. Return: 1 pass, 0 fail. */
static int check_vec(const struct orc_cfg *c, uint32_t i)
{
	const struct orc_vec *v = &c->vec[i];
	uint32_t acc = v->access & ORC_ACC_MASK;
	uint32_t marker = 0x5a000000u ^ ((i + 1) * 0x9e3779b1u);
	volatile uint32_t *hpa = (volatile uint32_t *)(uintptr_t)v->oa;
	struct x86o_exit e;
	uint64_t rip;
	int ok;

	if (v->expect == ORC_OK && !in_target(v->oa, 8)) {
		bm_puts(" expected oa outside the target area");
		return 0;
	}
	if (v->expect == ORC_OK) {
		if (acc == ORC_ACC_R) {
			*hpa = marker;
		} else if (acc == ORC_ACC_W) {
			*hpa = 0;
		} else {	/* mov $marker, %eax; hypercall; hlt */
			uint8_t *p = (uint8_t *)(uintptr_t)v->oa;

			p[0] = 0xb8;
			memcpy(p + 1, &marker, 4);
			memcpy(p + 5, x86o_hypercall, 3);
			p[8] = 0xf4;
		}
	}
	/* A fetch starts the guest at the probe address itself. */
	rip = acc == ORC_ACC_X ? v->ia : acc == ORC_ACC_W ? (uintptr_t)guest_write
							  : (uintptr_t)guest_read;
	if (hv_run(rip, v->ia, marker, &e))
		return 0;
	show_exit(&e);
	switch (v->expect) {
	case ORC_OK:
		ok = e.kind == X86O_EXIT_CALL && (uint32_t)e.rax == marker &&
		     (acc != ORC_ACC_W || *hpa == marker);
		bm_puts(" want eax=");
		bm_hex(marker);
		bm_puts(" at oa=");
		bm_hex(v->oa);
		if (acc == ORC_ACC_W) {
			bm_puts(" mem=");
			bm_hex(*hpa);
		}
		if (v->flags & ORC_F_AUX) {	/* the leaf's dirty flag */
			uint64_t pte = *(volatile uint64_t *)(uintptr_t)(v->aux & X86O_AUX_ADDR);
			int dirty = (pte & x86o_dirty_bit) != 0;

			ok = ok && dirty == (int)(v->aux & X86O_AUX_DIRTY);
			bm_puts(dirty ? " leaf dirty " : " leaf clean ");
			bm_hex(pte);
		}
		return ok;
	case ORC_FAULT_TRANS:
	case ORC_FAULT_PERM:
		ok = e.kind == X86O_EXIT_FAULT && e.gpa == v->ia &&
		     (e.gla == ~0ull || e.gla == v->ia);
		if (v->flags & ORC_F_AUX) {
			ok = ok && (e.info & x86o_info_mask) == v->aux;
			bm_puts(" want info=");
			bm_hex(v->aux);
		}
		bm_puts(v->expect == ORC_FAULT_TRANS ? " (not present, level " : " (permission, level ");
		bm_dec((uint64_t)v->level);
		bm_putc(')');
		return ok;
	case ORC_FAULT_MISCONF:
		bm_puts(" want misconfiguration");
		return e.kind == X86O_EXIT_MISCONF && e.gpa == v->ia;
	default:
		bm_puts(" unknown expectation");
		return 0;
	}
}

void checker_main(void)
{
	const struct orc_cfg *c = (const struct orc_cfg *)(uintptr_t)X86O_CFG_PA;
	uint64_t sum;

	bm_puts(x86o_target);
	bm_puts(" checker: ");
	if (bm_cfg_check(c))
		goto out;
	bm_puts(c->scenario);
	bm_puts(", ");
	bm_dec(c->nvec);
	bm_puts(" vectors\n");
	sum = fnv1a((const uint8_t *)(uintptr_t)c->img_pa, c->img_size);
	if (c->img_pa != X86O_IMG_PA || sum != c->reg[X86O_REG_SUM]) {
		x86o_fail("table image not loaded intact, checksum", sum);
		goto out;
	}
	if (hv_init(c))
		goto out;
	for (uint32_t i = 0; i < c->nvec; i++) {
		bm_vec_begin(c, i);
		bm_vec_end(check_vec(c, i));
	}
out:
	bm_summary(x86o_target);
}
