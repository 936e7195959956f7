// SPDX-License-Identifier: MIT
/*
 * Running a VM: one thread per vCPU (the run loop), and the management loop
 * on the main thread: balloon cycles, dirty-log intervals, pre-copy
 * snapshots; and restoring a snapshot into a fresh VM.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include "vmm.h"

static __thread struct vcpu *self;

/* A kick: KVM_RUN returns -EINTR, now or on its next entry. */
static void on_kick(int sig)
{
	(void)sig;
	if (self)
		self->run->immediate_exit = 1;
}

void vm_request_exit(struct vm *vm, int status)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&vm->exiting, &zero, 1))
		vm->exit_status = status;
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpu[i].started && &vm->vcpu[i] != self)
			pthread_kill(vm->vcpu[i].thread, SIGUSR1);
}

static int vcpu_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		atomic_fetch_add(&v->vm->stat[ST_IO], 1);
		return dev_io(v);
	case KVM_EXIT_MMIO:
		atomic_fetch_add(&v->vm->stat[ST_MMIO], 1);
		return dev_mmio(v);
	/* FAIL_ENTRY (detail: the hardware's reason), INTERNAL_ERROR (detail:
	 * suberror), SHUTDOWN (a triple fault), ... */
	default: {
		struct kvm_regs regs = { 0 };

		kvm_get_regs(v->fd, &regs);
		atomic_fetch_add(&v->vm->stat[ST_OTHER], 1);
		fprintf(stderr, "s2vmm: vcpu %d: exit reason %u (detail %#llx) at rip %#llx\n", v->id,
			run->exit_reason, run->hw.hardware_exit_reason, regs.rip);
		return -EIO;
	}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	int r = 0;

	self = v;
	urcu_memb_register_thread();		/* it calls s2pt (dev_mmio) */
	while (!r && !v->done && !atomic_load(&vm->exiting)) {
		r = kvm_run(v->fd);
		if (r == -EINTR) {
			v->run->immediate_exit = 0;
			r = 0;
		} else if (!r) {
			r = vcpu_exit(v);
		}
	}
	if (r) {
		fprintf(stderr, "s2vmm: vcpu %d: %s\n", v->id, strerror(-r));
		vm_request_exit(vm, 2);
	}
	/* complete a pending I/O so that the saved state is exact */
	v->run->immediate_exit = 1;
	kvm_run(v->fd);
	kvm_get_regs(v->fd, &v->regs);
	kvm_get_sregs(v->fd, &v->sregs);
	urcu_memb_unregister_thread();
	return NULL;
}

double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void join_vcpus(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpu[i].started)
			pthread_join(vm->vcpu[i].thread, NULL);
		vm->vcpu[i].started = false;
	}
}

static bool all_done(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (!vm->vcpu[i].done)
			return atomic_load(&vm->exiting);
	return true;
}

/* One balloon cycle: a random heap granule out, a pause for the guest to
 * run into it (and pull it back on demand), then back in. */
static int balloon_cycle(struct vm *vm, uint64_t *seed)
{
	uint64_t n = (vm->balloon_hi - vm->balloon_lo) / vm->granule;
	uint64_t gpa;
	int r;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	gpa = vm->balloon_lo + (*seed >> 33) % n * vm->granule;
	r = mem_balloon(vm, gpa, true);
	if (!r) {
		atomic_fetch_add(&vm->stat[ST_BALLOON_OUT], 1);
		usleep(200);
		r = mem_balloon(vm, gpa, false);
		atomic_fetch_add(&vm->stat[ST_BALLOON_IN], 1);
	}
	return r;
}

/* Snapshot file: header, demand pages to replay, page records (gpa then
 * 4 KiB; later records win) ended by ~0, then each vCPU's state. */
struct snap_hdr {
	char magic[8];
	uint32_t ncpus, ndemand;
	uint64_t ram_size, dev_scratch;
};
#define SNAP_MAGIC "S2VMSNP1"

/*
 * The guest's page tables are not copied: their arena also holds s2pt's
 * own state (spare pages link through their first word), so a restore
 * rebuilds them (the loader, then the demand pages replayed) instead.
 */
static bool in_arena(uint64_t gpa)
{
	return gpa - ABI_PT_GPA < ABI_PT_SIZE;
}

/* Merge KVM's dirty log, then write every page marked in vm->dirty (all
 * RAM for @all) and clear its mark; *n gets the pages written. */
static int snap_pages(struct vm *vm, FILE *f, bool all, uint64_t *n)
{
	int r = mem_harvest_dirty(vm, n);

	*n = 0;
	for (uint64_t p = 0; p < vm->ram_size / PAGE; p++) {
		uint64_t bit = 1ull << (p % 64), gpa = p * PAGE;

		/* test and clear: vCPU threads mark pages as they run */
		if ((!(__atomic_fetch_and(&vm->dirty[p / 64], ~bit, __ATOMIC_RELAXED) & bit) && !all) ||
		    in_arena(gpa))
			continue;
		fwrite(&gpa, 8, 1, f);
		fwrite(guest_ram(vm, gpa), PAGE, 1, f);
		(*n)++;
	}
	return r;
}

/*
 * Pre-copy, as live migration does: the whole of RAM while the guest
 * runs, then rounds of the pages dirtied meanwhile until few are left,
 * then stop the vCPUs and write the last pages and their state.
 */
static int snapshot(struct vm *vm, const char *file)
{
	struct snap_hdr h = { .magic = SNAP_MAGIC, .ncpus = (uint32_t)vm->ncpus,
			      .ndemand = vm->ndemand, .ram_size = vm->ram_size };
	FILE *f = fopen(file, "wb");
	uint64_t n, end = ~0ull;
	int r = 0, round;

	if (!f)
		return -errno;
	fwrite(&h, sizeof(h), 1, f);
	fwrite(vm->demand_gva, 8, vm->ndemand, f);
	r = snap_pages(vm, f, true, &n);
	printf("s2vmm: snapshot pre-copy round 0: %lu pages (all RAM but the page tables)\n",
	       (unsigned long)n);
	for (round = 1; !r && round <= 3 && n > 64 && !all_done(vm); round++) {
		usleep(20000);
		r = snap_pages(vm, f, false, &n);
		printf("s2vmm: snapshot pre-copy round %d: %lu pages dirtied\n", round,
		       (unsigned long)n);
	}
	if (all_done(vm)) {
		fprintf(stderr, "s2vmm: the guest finished during pre-copy: give it more --rounds\n");
		r = r ? r : -ECANCELED;
	}
	vm_request_exit(vm, 0);			/* stop the vCPUs */
	join_vcpus(vm);
	mem_mark_dirty(vm, ABI_BOOT_GPA);	/* the VMM writes it too */
	if (!r)
		r = snap_pages(vm, f, false, &n);
	fwrite(&end, 8, 1, f);
	h.dev_scratch = vm->dev_scratch;
	for (int i = 0; i < vm->ncpus; i++) {
		uint32_t done = vm->vcpu[i].done;

		fwrite(&done, 4, 1, f);
		fwrite(&vm->vcpu[i].regs, sizeof(struct kvm_regs), 1, f);
		fwrite(&vm->vcpu[i].sregs, sizeof(struct kvm_sregs), 1, f);
	}
	rewind(f);
	fwrite(&h, sizeof(h), 1, f);
	if (ferror(f) && !r)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	printf("s2vmm: snapshot final round (vCPUs stopped): %lu pages + vCPU state -> %s\n",
	       (unsigned long)n, file);
	return r;
}

int snap_peek(const char *file, uint64_t *ram_size, int *ncpus)
{
	struct snap_hdr h;
	FILE *f = fopen(file, "rb");
	int r = 0;

	if (!f)
		return -errno;
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, SNAP_MAGIC, 8) ||
	    !h.ncpus || h.ncpus > ABI_MAX_CPUS)
		r = -EINVAL;
	*ram_size = h.ram_size;
	*ncpus = (int)h.ncpus;
	fclose(f);
	return r;
}

/* Into a VM set up as the snapshot's was (same guest, memory, vCPUs):
 * replay the demand pages, load RAM, set each vCPU's state. */
int snap_restore(struct vm *vm, const char *file)
{
	struct snap_hdr h;
	uint64_t gva, gpa;
	FILE *f = fopen(file, "rb");
	int r = 0;

	if (!f)
		return -errno;
	if (fread(&h, sizeof(h), 1, f) != 1 || h.ram_size != vm->ram_size ||
	    h.ncpus != (uint32_t)vm->ncpus)
		r = -EINVAL;
	for (uint32_t i = 0; !r && i < h.ndemand; i++)
		r = fread(&gva, 8, 1, f) == 1 ? guest_map_demand(vm, gva) : -EIO;
	while (!r && (r = fread(&gpa, 8, 1, f) == 1 ? 0 : -EIO) == 0 && gpa != ~0ull) {
		if (gpa >= vm->ram_size || gpa % PAGE || in_arena(gpa) ||
		    fread(guest_ram(vm, gpa), PAGE, 1, f) != 1)
			r = -EIO;
	}
	vm->dev_scratch = h.dev_scratch;
	for (int i = 0; !r && i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		uint32_t done;

		if (fread(&done, 4, 1, f) != 1 || fread(&v->regs, sizeof(v->regs), 1, f) != 1 ||
		    fread(&v->sregs, sizeof(v->sregs), 1, f) != 1)
			r = -EIO;
		v->done = done;
		if (!r)
			r = kvm_set_sregs(v->fd, &v->sregs);
		if (!r)
			r = kvm_set_regs(v->fd, &v->regs);
	}
	fclose(f);
	return r;
}

/*
 * run_vm() - start the vCPU threads, then manage until the guest exits:
 * balloon cycles (the guest may finish once @o->balloon are done), dirty
 * log intervals, and a snapshot once the guest reports a checkpoint.
 * Return: 0 or -errno; the guest's status is in vm->exit_status.
 */
int run_vm(struct vm *vm, const struct run_opts *o)
{
	struct sigaction sa = { .sa_handler = on_kick };	/* no SA_RESTART */
	struct abi_boot *b = guest_ram(vm, ABI_BOOT_GPA);
	double next_dirty = now() + o->dirty_ms / 1e3, t0 = now();
	uint64_t seed = 0x5eed, cycles = 0, n;
	int r = 0;

	sigaction(SIGUSR1, &sa, NULL);
	if (o->balloon)
		b->stop = 0;
	for (int i = 0; !r && i < vm->ncpus; i++) {
		if (vm->vcpu[i].done)
			continue;
		vm->vcpu[i].started = true;	/* before it can be kicked */
		r = -pthread_create(&vm->vcpu[i].thread, NULL, vcpu_thread, &vm->vcpu[i]);
		vm->vcpu[i].started = !r;
	}
	while (!r && !all_done(vm)) {
		if (o->balloon && !b->stop) {
			r = balloon_cycle(vm, &seed);
			if (++cycles >= o->balloon)
				b->stop = 1;
		} else {
			usleep(500);
		}
		if (!r && o->dirty_ms && now() >= next_dirty) {
			r = mem_harvest_dirty(vm, &n);
			printf("s2vmm: dirty log: %lu pages written in %u ms\n", (unsigned long)n,
			       o->dirty_ms);
			next_dirty += o->dirty_ms / 1e3;
		}
		if (!r && o->snapshot && atomic_load(&vm->checkpoint)) {
			r = snapshot(vm, o->snapshot);
			break;
		}
	}
	if (r)
		vm_request_exit(vm, 2);
	join_vcpus(vm);
	if (o->balloon)
		printf("s2vmm: balloon: %lu cycles in %.2f s\n", (unsigned long)cycles, now() - t0);
	return r;
}
