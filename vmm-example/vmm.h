/* SPDX-License-Identifier: MIT */
/*
 * s2vmm: a small VMM on KVM whose guest-physical memory is an s2pt
 * second-stage map. Shared types and the functions each file provides.
 */
#ifndef S2VMM_H
#define S2VMM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <s2pt/s2pt.h>
#include "guests/abi.h"

#define PAGE		4096ull
#define MAX_SLOTS	256
#define ROM_HPA		0ull		/* backing-store layout: ROM, then RAM */
#define RAM_HPA		ABI_ROM_SIZE

/* A KVM memslot: one merged run of the s2pt map. */
struct slot {
	uint64_t gpa, size, hpa;
	uint32_t flags;			/* KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES */
	uint32_t prot;			/* the run's s2pt prot */
	uint32_t id;
};

enum vm_stat {
	ST_IO, ST_MMIO, ST_OTHER,			/* exits by reason */
	ST_MMIO_DEV, ST_MMIO_HOLE, ST_MMIO_ROM, ST_MMIO_RAM, ST_MMIO_BALLOON,
	ST_EXC, ST_DEMAND,				/* guest exceptions, demand maps */
	ST_BALLOON_OUT, ST_BALLOON_IN, ST_SLOT_OPS,
	ST_N
};

struct vcpu {
	struct vm *vm;
	int id, fd;
	struct kvm_run *run;
	pthread_t thread;
	atomic_bool started, done;	/* read by other threads */
	struct kvm_regs regs;		/* state when the thread ended */
	struct kvm_sregs sregs;
};

struct vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	int ncpus;
	struct vcpu vcpu[ABI_MAX_CPUS];

	/* Guest memory: the s2pt map (GPA -> offset in the memfd backing)
	 * and the memslots derived from it. The map takes no lock: every
	 * thread calling s2pt is registered with urcu-memb, lookups are RCU
	 * readers and writers are lock-free, so vCPU lookups, map-backs and
	 * the balloon run at once. slot_lock guards KVM's side (mem.c). */
	const struct s2pt_fmt *s2fmt;
	struct s2pt *map;
	int memfd;
	uint8_t *host;			/* host view of the backing store */
	uint64_t host_size, ram_size;
	pthread_mutex_t slot_lock;
	struct slot slot[MAX_SLOTS];
	int nslots;
	uint8_t slot_used[MAX_SLOTS];
	uint32_t slot_flags;		/* added to every RAM slot */
	uint64_t *dirty;		/* one bit per RAM page, merged from KVM */
	/* Balloon: granules of [balloon_lo, balloon_hi), one slot each */
	uint64_t granule, balloon_lo, balloon_hi;

	/* The guest's own first-stage tables, inside guest RAM */
	struct s2pt *gpt;
	struct s2pt_arena *gpt_arena;
	pthread_mutex_t gpt_lock;	/* demand_next and the replay log below */
	uint64_t entry, demand_next;
	uint64_t demand_gva[256];	/* pages mapped on #PF, in order (snapshots replay them) */
	unsigned ndemand;

	uint64_t dev_scratch;
	pthread_mutex_t serial_lock;
	char serial_line[160];
	size_t serial_len;
	atomic_ulong stat[ST_N];
	atomic_int exiting;
	int exit_status;
	atomic_int checkpoint;
};

/* RAM is one run in the backing store: guest-physical RAM is here. */
static inline void *guest_ram(struct vm *vm, uint64_t gpa)
{
	return vm->host + RAM_HPA + gpa;
}

/* kvm.c: one small function per ioctl, each 0 / value or -errno */
int kvm_open(void);
int kvm_create_vm(int kvm);
int kvm_run_size(int kvm);
int kvm_disable_quirks(int vm, uint64_t mask);
#define QUIRK_SLOT_ZAP_ALL (1ull << 7)	/* KVM_X86_QUIRK_SLOT_ZAP_ALL (Linux 6.12) */
int kvm_set_tss_addr(int vm, uint64_t addr);
int kvm_set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva);
int kvm_dirty_log(int vm, uint32_t slot, uint64_t *bitmap);
int kvm_create_vcpu(int vm, int id);
int kvm_set_cpuid(int kvm, int vcpu);
int kvm_get_regs(int vcpu, struct kvm_regs *r);
int kvm_set_regs(int vcpu, const struct kvm_regs *r);
int kvm_get_sregs(int vcpu, struct kvm_sregs *s);
int kvm_set_sregs(int vcpu, const struct kvm_sregs *s);
int kvm_run(int vcpu);
int kvm_translate(int vcpu, uint64_t gva, struct kvm_translation *tr);

/* mem.c: the s2pt map, the backing store, memslots */
int mem_init(struct vm *vm, uint64_t ram_size);
void mem_fini(struct vm *vm);
int mem_balloon(struct vm *vm, uint64_t gpa, bool out);
int mem_harvest_dirty(struct vm *vm, uint64_t *count);
void mem_mark_dirty(struct vm *vm, uint64_t gpa);
void mem_print(struct vm *vm, FILE *f);
void mem_guest_view(struct vm *vm, uint64_t cr3, struct s2pt_guest *g);

/* loader.c: guest image, the guest's own page tables, vCPU entry state */
int load_guest(struct vm *vm, const void *elf, size_t len, uint32_t rounds, uint64_t demand);
int load_vcpu(struct vm *vm, struct vcpu *v);
int guest_map_demand(struct vm *vm, uint64_t gva);

/* devices.c: port I/O and MMIO exits */
int dev_io(struct vcpu *v);
int dev_mmio(struct vcpu *v);

/* translate.c: s2pt_translate() beside KVM_TRANSLATE */
int translate(struct vm *vm, uint64_t gva, unsigned count);

/* run.c: vCPU threads and the management threads */
struct run_opts {
	unsigned balloon;		/* at least this many balloon cycles */
	unsigned dirty_ms;		/* dirty-log interval, 0: off */
	const char *snapshot;		/* pre-copy snapshot to this file */
};
int run_vm(struct vm *vm, const struct run_opts *o);
int snap_peek(const char *file, uint64_t *ram_size, int *ncpus);
int snap_restore(struct vm *vm, const char *file);
void vm_request_exit(struct vm *vm, int status);
double now(void);			/* monotonic seconds */

#endif /* S2VMM_H */
