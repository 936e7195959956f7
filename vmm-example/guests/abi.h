/* SPDX-License-Identifier: MIT */
/*
 * The contract between s2vmm and its guests: guest-physical layout, I/O
 * ports, and the boot page the VMM fills. Included by both sides.
 */
#ifndef S2VMM_ABI_H
#define S2VMM_ABI_H

#include <stdint.h>

/* Guest-physical layout (RAM starts at 0) */
#define ABI_BOOT_GPA	0x1000ull	/* struct abi_boot */
#define ABI_GDT_GPA	0x2000ull
#define ABI_TSS_GPA	0x3000ull	/* one 256-byte TSS (with I/O bitmap) per vCPU */
#define ABI_IDT_GPA	0x4000ull
#define ABI_KSTACK_GPA	0x10000ull	/* ring-0 stacks, ABI_KSTACK_SIZE each */
#define ABI_KSTACK_SIZE	0x4000ull
#define ABI_PT_GPA	0x100000ull	/* the guest's own page tables (s2pt arena) */
#define ABI_PT_SIZE	0x300000ull
#define ABI_LOAD_GPA	0x400000ull	/* where guest ELFs are linked */
#define ABI_ISR_GPA	ABI_LOAD_GPA	/* the image opens with 32 16-byte exception stubs */
#define ABI_USTACK_GPA	0x600000ull	/* ring-3 stacks, ABI_USTACK_SIZE each */
#define ABI_USTACK_SIZE	0x40000ull
#define ABI_HEAP_GPA	0x800000ull	/* workload RAM: here to the end of RAM */
#define ABI_MAX_CPUS	8

#define ABI_ROM_GPA	0xc0000000ull	/* read-only RAM (KVM_MEM_READONLY) */
#define ABI_ROM_SIZE	0x200000ull
#define ABI_DEV_GPA	0xd0000000ull	/* MMIO device: no mapping, routed by address */
#define ABI_HOLE_GPA	0xe0000000ull	/* nothing: reads all-ones, writes ignored */

/* Guest-virtual extras built by the VMM in the guest's first stage */
#define ABI_HIGH_GVA	0xffff800000000000ull	/* supervisor alias of RAM */
#define ABI_SCATTER_GVA	0x7f0000000000ull	/* 4 KiB pages scattered over the heap */
#define ABI_SCATTER_PAGES 4096
#define ABI_DEMAND_GVA	0x100000000000ull	/* unmapped: the VMM maps pages on #PF */

/* Device registers at ABI_DEV_GPA (64-bit) */
#define ABI_DEV_MAGIC	0x00	/* reads ABI_MAGIC */
#define ABI_DEV_NCPUS	0x08
#define ABI_DEV_SCRATCH	0x10	/* read/write */
#define ABI_MAGIC	0x4d563253u	/* "S2VM" */

/* I/O ports */
#define ABI_PORT_SERIAL	0x3f8	/* 16550 THR; LSR at +5 always "empty" */
#define ABI_PORT_EXIT	0xf4	/* outl status: the VM exits with it */
#define ABI_PORT_EXC	0xf5	/* ring-0 stub: exception frame at rsp */
#define ABI_PORT_DONE	0xf7	/* outl: this vCPU has finished */
#define ABI_PORT_EVENT	0xf6	/* outl: an event for the VMM (ABI_EV_*) */
#define ABI_EV_CHECKPOINT 1	/* a good moment to start a snapshot */

/* Exception frame as the ring-0 stub leaves it at rsp */
struct abi_frame {
	uint64_t rdx, rax, vector, error, rip, cs, rflags, rsp, ss;
};

struct abi_boot {
	uint32_t magic, ncpus;
	uint64_t ram_size;
	uint64_t heap_start, heap_end;
	uint64_t rom_gpa, rom_size, dev_gpa, hole_gpa;
	uint64_t demand_gva, demand_pages;
	uint32_t rounds;		/* at least this many pattern rounds */
	volatile uint32_t stop;		/* the VMM lets the guest finish */
	/* guest-owned from here */
	volatile uint32_t arrived, errors;
	volatile uint64_t sum[ABI_MAX_CPUS];
	volatile uint32_t done_rounds[ABI_MAX_CPUS];
};

/* The pattern a guest writes at @a in round @r; ROM holds round ~0u. */
static inline uint64_t abi_pattern(uint64_t a, uint32_t r)
{
	a ^= (uint64_t)r * 0x9e3779b97f4a7c15ull;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ull;
	return a ^ (a >> 29);
}

#endif /* S2VMM_ABI_H */
