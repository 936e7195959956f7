// SPDX-License-Identifier: MIT
/*
 * Loader: copies a static x86-64 ELF guest into RAM, builds the guest's own
 * first-stage tables with s2pt inside guest memory (an arena whose physical
 * base is a guest-physical address), GDT/TSS/IDT, and 64-bit entry state.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include "vmm.h"

#define DEMAND_RESERVE	0x100000ull	/* RAM at the top kept for demand pages */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_TSS(i)	(0x28 + 16 * (i))
#define ABI_TSS_SIZE	256
#define TSS_LIMIT	(0x68 + 0x80)	/* with the bitmap of ports 0..0x3ff */

/* Copy the PT_LOAD segments and map each with its ELF permissions. */
static int load_segments(struct vm *vm, const uint8_t *elf, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)elf;
	int r;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len)
		return -ENOEXEC;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff) + i;
		uint64_t start = ph->p_paddr & ~(PAGE - 1);
		uint64_t end = (ph->p_paddr + ph->p_memsz + PAGE - 1) & ~(PAGE - 1);
		uint32_t prot = S2PT_R | S2PT_U;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_paddr < ABI_LOAD_GPA || end > ABI_USTACK_GPA ||
		    ph->p_offset + ph->p_filesz > len || ph->p_filesz > ph->p_memsz ||
		    ph->p_vaddr != ph->p_paddr)
			return -ENOEXEC;
		memcpy(guest_ram(vm, ph->p_paddr), elf + ph->p_offset, ph->p_filesz);
		prot |= (ph->p_flags & PF_W ? S2PT_W : 0) | (ph->p_flags & PF_X ? S2PT_X : 0);
		r = s2pt_map(vm->gpt, start, start, end - start, prot, 0);
		if (r)
			return r;
	}
	vm->entry = eh->e_entry;
	return 0;
}

/*
 * The guest's address space, built by s2pt in the arena at ABI_PT_GPA:
 * identity RAM (supervisor below the image), the read-only region and the
 * device window as the guest sees them (stage 2 decides what they really
 * are), a supervisor alias of RAM in the high half, and 4 KiB pages
 * scattered over the heap (with holes and read-only pages) for --translate.
 */
static int build_tables(struct vm *vm, uint64_t heap_end)
{
	const uint32_t urw = S2PT_R | S2PT_W | S2PT_U;
	struct s2pt_opts o = { .sz = sizeof(o), .mm = &s2pt_arena_mm };
	uint64_t heap_pages = (heap_end - ABI_HEAP_GPA) / PAGE;
	int r;

	r = s2pt_arena_create(guest_ram(vm, ABI_PT_GPA), ABI_PT_GPA, ABI_PT_SIZE, &vm->gpt_arena);
	if (r)
		return r;
	o.mm_ctx = vm->gpt_arena;
	r = s2pt_create(&s2pt_fmt_x86_64, &o, &vm->gpt);
	struct { uint64_t gva, gpa, size; uint32_t prot; } m[] = {
		{ ABI_BOOT_GPA, ABI_BOOT_GPA, PAGE, urw },
		{ ABI_GDT_GPA, ABI_GDT_GPA, ABI_PT_GPA - ABI_GDT_GPA, S2PT_R | S2PT_W },
		{ ABI_PT_GPA, ABI_PT_GPA, ABI_PT_SIZE, S2PT_R },
		{ ABI_USTACK_GPA, ABI_USTACK_GPA, vm->ram_size - ABI_USTACK_GPA, urw },
		{ ABI_ROM_GPA, ABI_ROM_GPA, ABI_ROM_SIZE, urw },
		{ ABI_DEV_GPA, ABI_DEV_GPA, PAGE, urw | S2PT_MT_DEV },
		{ ABI_HOLE_GPA, ABI_HOLE_GPA, 0x200000, urw | S2PT_MT_DEV },
		{ ABI_HIGH_GVA, 0, vm->ram_size, S2PT_R | S2PT_W | S2PT_G },
	};
	for (size_t i = 0; !r && i < sizeof(m) / sizeof(m[0]); i++)
		r = s2pt_map(vm->gpt, m[i].gva, m[i].gpa, m[i].size, m[i].prot, S2PT_MAP_HUGE);
	for (uint64_t i = 0; !r && i < ABI_SCATTER_PAGES; i++) {
		uint64_t gpa = ABI_HEAP_GPA + (i * 2654435761u % heap_pages) * PAGE;

		if (i % 5 != 3)
			r = s2pt_map(vm->gpt, ABI_SCATTER_GVA + i * PAGE, gpa, PAGE,
				     i % 7 ? urw : S2PT_R | S2PT_U, 0);
	}
	return r;
}

static void gdt_tss(struct vm *vm)
{
	uint64_t *gdt = guest_ram(vm, ABI_GDT_GPA);

	gdt[1] = 0x00af9a000000ffffull;		/* 0x08 kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffffull;		/* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffffull;		/* 0x1b user data */
	gdt[4] = 0x00affa000000ffffull;		/* 0x23 user code, 64-bit */
	for (int i = 0; i < ABI_MAX_CPUS; i++) {
		uint64_t tss = ABI_TSS_GPA + ABI_TSS_SIZE * (uint64_t)i;
		uint8_t *t = guest_ram(vm, tss);
		uint64_t rsp0 = ABI_KSTACK_GPA + ABI_KSTACK_SIZE * (uint64_t)(i + 1);
		uint16_t iomap = 0x68;

		/* 64-bit busy TSS descriptor (SDM vol. 3 §8.2.3) */
		gdt[5 + 2 * i] = TSS_LIMIT | (tss & 0xffffff) << 16 | 0xbull << 40 | 1ull << 47 |
				 (tss >> 24 & 0xff) << 56;
		gdt[6 + 2 * i] = tss >> 32;
		memcpy(t + 4, &rsp0, 8);
		memcpy(t + 0x66, &iomap, 2);
		/* I/O bitmap: ports 0..0x3ff allowed (zero bits), then the
		 * all-ones byte the SDM asks for (§20.5.2). This KVM keeps
		 * guest IOPL at 0 whatever IRETQ sets, so ring 3's port I/O is
		 * allowed through the bitmap instead. */
		t[0x68 + 0x80] = 0xff;
	}
}

static void idt(struct vm *vm)
{
	uint64_t *idt = guest_ram(vm, ABI_IDT_GPA);

	/* vectors 0..31: 64-bit interrupt gates, DPL 0, to the guest's stubs */
	for (uint64_t v = 0; v < 32; v++) {
		uint64_t h = ABI_ISR_GPA + 16 * v;

		idt[2 * v] = (h & 0xffff) | SEL_KCODE << 16 | 0x8eull << 40 | (h >> 16 & 0xffff) << 48;
		idt[2 * v + 1] = h >> 32;
	}
}

/*
 * load_guest() - copy @elf in, build tables, descriptor tables and the
 * boot page (@rounds pattern rounds, @demand demand-paged pages).
 */
int load_guest(struct vm *vm, const void *elf, size_t len, uint32_t rounds, uint64_t demand)
{
	uint64_t heap_end = vm->ram_size - DEMAND_RESERVE;
	struct abi_boot *b = guest_ram(vm, ABI_BOOT_GPA);
	int r;

	if (vm->ram_size < ABI_HEAP_GPA + DEMAND_RESERVE + 0x100000 || demand > DEMAND_RESERVE / PAGE)
		return -EINVAL;
	r = build_tables(vm, heap_end);
	if (!r)
		r = load_segments(vm, elf, len);
	if (r)
		return r;
	vm->demand_next = heap_end;
	vm->balloon_lo = (ABI_HEAP_GPA + vm->granule - 1) & ~(vm->granule - 1);
	vm->balloon_hi = heap_end & ~(vm->granule - 1);	/* whole granules of the heap */
	gdt_tss(vm);
	idt(vm);
	*b = (struct abi_boot){
		.magic = ABI_MAGIC, .ncpus = (uint32_t)vm->ncpus, .ram_size = vm->ram_size,
		.heap_start = ABI_HEAP_GPA, .heap_end = heap_end,
		.rom_gpa = ABI_ROM_GPA, .rom_size = ABI_ROM_SIZE,
		.dev_gpa = ABI_DEV_GPA, .hole_gpa = ABI_HOLE_GPA,
		.demand_gva = ABI_DEMAND_GVA, .demand_pages = demand, .rounds = rounds, .stop = 1,
	};
	return 0;
}

/*
 * Map one page at @gva in the guest's own tables (a #PF it took). Only
 * not-present -> present, which needs no TLB flush in the guest. gpt_lock
 * is not for the table (s2pt takes concurrent writers) but for the VMM's
 * allocation: which page each gva gets, in the order snapshots replay.
 */
int guest_map_demand(struct vm *vm, uint64_t gva)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&vm->gpt_lock);
	if (gva - ABI_DEMAND_GVA < DEMAND_RESERVE && vm->demand_next < vm->ram_size) {
		r = s2pt_map(vm->gpt, gva & ~(PAGE - 1), vm->demand_next, PAGE,
			     S2PT_R | S2PT_W | S2PT_U, 0);
		if (!r && vm->ndemand < 256) {
			vm->demand_gva[vm->ndemand++] = gva & ~(PAGE - 1);
			vm->demand_next += PAGE;
		}
		if (r == -EEXIST)	/* another vCPU faulted on it first */
			r = 0;
	}
	pthread_mutex_unlock(&vm->gpt_lock);
	return r;
}

/* 64-bit ring 0 at the ELF entry with paging on: no real-mode detour. */
int load_vcpu(struct vm *vm, struct vcpu *v)
{
	struct kvm_segment code = { .limit = 0xffffffff, .selector = SEL_KCODE, .type = 11,
				    .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = SEL_KDATA, .type = 3,
				    .present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_sregs s;
	struct kvm_regs regs = {
		.rip = vm->entry, .rflags = 2, .rdi = (uint64_t)v->id, .rsi = ABI_BOOT_GPA,
		.rsp = ABI_KSTACK_GPA + ABI_KSTACK_SIZE * (uint64_t)(v->id + 1),
		.rdx = ABI_USTACK_GPA + ABI_USTACK_SIZE * (uint64_t)(v->id + 1),
	};
	int r = kvm_set_cpuid(vm->kvm_fd, v->fd);

	if (!r)
		r = kvm_get_sregs(v->fd, &s);
	if (r)
		return r;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = (struct kvm_segment){ .base = ABI_TSS_GPA + ABI_TSS_SIZE * (uint64_t)v->id,
				     .limit = TSS_LIMIT,
				     .selector = SEL_TSS(v->id), .type = 11, .present = 1 };
	s.ldt = (struct kvm_segment){ .type = 2, .unusable = 1 };
	s.gdt.base = ABI_GDT_GPA;
	s.gdt.limit = SEL_TSS(ABI_MAX_CPUS) - 1;
	s.idt.base = ABI_IDT_GPA;
	s.idt.limit = 32 * 16 - 1;
	s.cr0 = 0x80050033;		/* PG WP AM NE ET MP PE */
	s.cr4 = 0x20;			/* PAE */
	s.cr3 = s2pt_root(vm->gpt);
	s.efer = 0xd00;			/* NXE LMA LME */
	r = kvm_set_sregs(v->fd, &s);
	return r ? r : kvm_set_regs(v->fd, &regs);
}
