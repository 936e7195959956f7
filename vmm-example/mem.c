// SPDX-License-Identifier: MIT
/*
 * Guest memory: an s2pt second-stage map from guest-physical addresses to
 * offsets ("hpa") in one memfd, and the KVM memslots derived from it.
 *
 * Locking. The map takes none: s2pt lets registered threads look up, map
 * and unmap at once (lookups are RCU readers, changes compare-and-swap
 * entries), and the backing store under it never goes away. slot_lock is
 * about KVM, not the map: it serialises the VMM's memslot table (ids, the
 * run each slot holds) with the KVM_SET_USER_MEMORY_REGION and
 * KVM_GET_DIRTY_LOG calls that change or read it. Held around map changes
 * too, it would only make a vCPU's map-back wait for the balloon: every
 * change is followed by a sync whose walk starts after it, so the slots
 * catch up with the map even when some sync's walk races another change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmm.h"

#define RAM_PROT (S2PT_R | S2PT_W | S2PT_X)
/*
 * A software bit in the map's entries: RAM the balloon may take. Slots
 * are merged runs of equal access, except that balloonable runs are cut
 * at every balloon granule: ballooning a granule out deletes just its
 * slot and bringing it back creates just that one (KVM cannot shrink or
 * split a slot in place). The cut also keeps the heap out of the slot
 * holding the guest's code, stacks and page tables.
 */
#define RAM_BALLOON S2PT_SW0

static int sync_slots(struct vm *vm);

int mem_init(struct vm *vm, uint64_t ram_size)
{
	struct s2pt_opts o = { .sz = sizeof(o) };	/* any number of writers */
	uint64_t *rom;
	int r;

	vm->ram_size = ram_size;
	vm->host_size = RAM_HPA + ram_size;
	for (vm->granule = 2 << 20; (ram_size - ABI_HEAP_GPA) / vm->granule > 128; vm->granule *= 2)
		;
	vm->memfd = memfd_create("s2vmm-guest", MFD_CLOEXEC);
	if (vm->memfd < 0)
		return -errno;
	if (ftruncate(vm->memfd, (off_t)vm->host_size))
		return -errno;
	vm->host = mmap(NULL, vm->host_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
	if (vm->host == MAP_FAILED)
		return -errno;
	madvise(vm->host, vm->host_size, MADV_HUGEPAGE);	/* a hint; fine if refused */
	vm->dirty = calloc(ram_size / PAGE / 64 + 1, sizeof(uint64_t));
	if (!vm->dirty)
		return -ENOMEM;

	rom = (uint64_t *)(vm->host + ROM_HPA);
	for (uint64_t i = 0; i < ABI_ROM_SIZE / 8; i++)
		rom[i] = abi_pattern(ABI_ROM_GPA + i * 8, ~0u);

	r = s2pt_create(vm->s2fmt, &o, &vm->map);
	if (!r)
		r = s2pt_map(vm->map, 0, RAM_HPA, ABI_HEAP_GPA, RAM_PROT, S2PT_MAP_HUGE);
	if (!r)
		r = s2pt_map(vm->map, ABI_HEAP_GPA, RAM_HPA + ABI_HEAP_GPA, ram_size - ABI_HEAP_GPA,
			     RAM_PROT | RAM_BALLOON, S2PT_MAP_HUGE);
	if (!r)
		r = s2pt_map(vm->map, ABI_ROM_GPA, ROM_HPA, ABI_ROM_SIZE, S2PT_R, S2PT_MAP_HUGE);
	return r ? r : sync_slots(vm);
}

void mem_fini(struct vm *vm)
{
	s2pt_destroy(vm->map);
	if (vm->host && vm->host != MAP_FAILED)
		munmap(vm->host, vm->host_size);
	if (vm->memfd > 0)
		close(vm->memfd);
	free(vm->dirty);
}

/* Slots from the map: runs contiguous in gpa and hpa with equal access. */
struct runs {
	struct vm *vm;
	int n;
	struct slot s[MAX_SLOTS];
};

static int run_visit(const struct s2pt_visit *v, void *arg)
{
	struct runs *rs = arg;
	uint32_t flags = (v->leaf->prot & S2PT_W) ? rs->vm->slot_flags : KVM_MEM_READONLY;
	struct slot *last = rs->n ? &rs->s[rs->n - 1] : NULL;

	if (last && last->gpa + last->size == v->ia && last->hpa + last->size == v->leaf->oa &&
	    last->flags == flags && last->prot == v->leaf->prot &&
	    !((v->leaf->prot & RAM_BALLOON) && v->ia % rs->vm->granule == 0)) {
		last->size += v->size;
		return 0;
	}
	if (rs->n == MAX_SLOTS)
		return -ENOSPC;
	rs->s[rs->n++] = (struct slot){ .gpa = v->ia, .size = v->size, .hpa = v->leaf->oa,
					.flags = flags, .prot = v->leaf->prot };
	return 0;
}

static bool slot_eq(const struct slot *a, const struct slot *b)
{
	return a->gpa == b->gpa && a->size == b->size && a->hpa == b->hpa &&
	       a->flags == b->flags && a->prot == b->prot;
}

/* Merge one slot's KVM dirty log into vm->dirty; return the pages KVM
 * reported (written since the last harvest). Caller holds slot_lock. */
static uint64_t harvest_slot(struct vm *vm, const struct slot *s, int *err)
{
	uint64_t pages = s->size / PAGE, n = 0;
	uint64_t *bm = calloc(pages / 64 + 1, 8);

	*err = bm ? kvm_dirty_log(vm->vm_fd, s->id, bm) : -ENOMEM;
	for (uint64_t i = 0; !*err && i < pages; i++) {
		if (bm[i / 64] >> (i % 64) & 1) {
			mem_mark_dirty(vm, s->gpa + i * PAGE);
			n++;
		}
	}
	free(bm);
	return n;
}

/*
 * sync_slots() - make KVM's memslots match the map again: slots that no
 * longer match a run are deleted (their dirty log saved first), runs
 * without a slot get one. Unchanged slots are not touched.
 */
static int sync_slots(struct vm *vm)
{
	struct runs *rs = calloc(1, sizeof(*rs));
	int r, i, j;

	if (!rs)
		return -ENOMEM;
	rs->vm = vm;
	pthread_mutex_lock(&vm->slot_lock);
	/* RAM and the read-only region at the top: all the map ever holds */
	r = s2pt_walk(vm->map, 0, ABI_ROM_GPA + ABI_ROM_SIZE, S2PT_WALK_LEAF, run_visit, rs);
	for (i = 0; !r && i < vm->nslots; i++) {
		struct slot *s = &vm->slot[i];

		for (j = 0; j < rs->n && !slot_eq(s, &rs->s[j]); j++)
			;
		if (j < rs->n) {
			rs->s[j].id = s->id;
			continue;
		}
		if (s->flags & KVM_MEM_LOG_DIRTY_PAGES)
			harvest_slot(vm, s, &r);
		if (!r)
			r = kvm_set_slot(vm->vm_fd, s->id, 0, s->gpa, 0, NULL);
		vm->slot_used[s->id] = 0;
		atomic_fetch_add(&vm->stat[ST_SLOT_OPS], 1);
	}
	for (j = 0; !r && j < rs->n; j++) {
		struct slot *s = &rs->s[j];

		for (i = 0; i < vm->nslots && !slot_eq(s, &vm->slot[i]); i++)
			;
		if (i < vm->nslots)
			continue;
		for (s->id = 0; vm->slot_used[s->id]; s->id++)
			;
		vm->slot_used[s->id] = 1;
		r = kvm_set_slot(vm->vm_fd, s->id, s->flags, s->gpa, s->size, vm->host + s->hpa);
		atomic_fetch_add(&vm->stat[ST_SLOT_OPS], 1);
	}
	if (!r) {
		memcpy(vm->slot, rs->s, sizeof(rs->s[0]) * (size_t)rs->n);
		vm->nslots = rs->n;
	}
	pthread_mutex_unlock(&vm->slot_lock);
	free(rs);
	return r;
}

/*
 * mem_balloon() - take the balloon granule holding @gpa away from the
 * guest (@out) or give it back: the map first, then the slots. The backing
 * is kept, so nothing the guest wrote is lost. Giving back replaces what
 * is there: the balloon and vCPUs pulling the granule back on demand may
 * all do it at once. Return: 0 or -errno.
 */
int mem_balloon(struct vm *vm, uint64_t gpa, bool out)
{
	uint64_t start = gpa & ~(vm->granule - 1);
	int r;

	if (out)
		r = s2pt_unmap(vm->map, start, vm->granule);
	else
		r = s2pt_map(vm->map, start, RAM_HPA + start, vm->granule, RAM_PROT | RAM_BALLOON,
			     S2PT_MAP_HUGE | S2PT_MAP_REPLACE);
	return r ? r : sync_slots(vm);
}

/* Merge every dirty-logging slot's log into vm->dirty; *count gets the
 * pages written since the previous harvest. */
int mem_harvest_dirty(struct vm *vm, uint64_t *count)
{
	int r = 0;

	*count = 0;
	pthread_mutex_lock(&vm->slot_lock);
	for (int i = 0; !r && i < vm->nslots; i++)
		if (vm->slot[i].flags & KVM_MEM_LOG_DIRTY_PAGES)
			*count += harvest_slot(vm, &vm->slot[i], &r);
	pthread_mutex_unlock(&vm->slot_lock);
	return r;
}

/* A page of RAM written (in KVM's log, or by the VMM itself). */
void mem_mark_dirty(struct vm *vm, uint64_t gpa)
{
	uint64_t p = gpa / PAGE;

	if (gpa < vm->ram_size)
		__atomic_fetch_or(&vm->dirty[p / 64], 1ull << (p % 64), __ATOMIC_RELAXED);
}

/* The map and the slot table, before the vCPUs run. */
void mem_print(struct vm *vm, FILE *f)
{
	fprintf(f, "guest memory map (s2pt %s, gpa -> backing offset):\n",
		s2pt_fmt_name(vm->s2fmt));
	s2pt_dump(vm->map, f);
	fprintf(f, "memslots (one per run of equal access; balloonable runs cut every %" PRIu64
		" MiB):\n  slot  gpa                 size        backing     flags\n",
		vm->granule >> 20);
	for (int i = 0, j; i < vm->nslots; i = j) {
		const struct slot *s = &vm->slot[i];

		/* a row of equal granules, e.g. the heap, on one line */
		for (j = i + 1; j < vm->nslots && vm->slot[j].gpa == vm->slot[j - 1].gpa + s->size &&
				vm->slot[j].size == s->size && vm->slot[j].prot == s->prot &&
				vm->slot[j].flags == s->flags; j++)
			;
		fprintf(f, "  %4u  0x%016" PRIx64 "  %#10" PRIx64 "  %#10" PRIx64 "  %s%s%s",
			s->id, s->gpa, s->size, s->hpa,
			s->flags & KVM_MEM_READONLY ? "readonly" : "rw",
			s->flags & KVM_MEM_LOG_DIRTY_PAGES ? ",log-dirty" : "",
			s->prot & RAM_BALLOON ? ",balloonable" : "");
		if (j > i + 1)
			fprintf(f, "  (and %d more like it up to 0x%" PRIx64 ")", j - i - 1,
				vm->slot[j - 1].gpa + s->size);
		fputc('\n', f);
	}
}

/* s2pt_guest's view of the backing store: hpa is an offset in the memfd */
static void *hpa_to_va(void *ctx, uint64_t hpa, size_t len)
{
	struct vm *vm = ctx;

	return hpa < vm->host_size && len <= vm->host_size - hpa ? vm->host + hpa : NULL;
}

/* The two-stage view s2pt_translate() walks: the guest's tables at @cr3,
 * each fetch and the result through the VMM's map into the backing. */
void mem_guest_view(struct vm *vm, uint64_t cr3, struct s2pt_guest *g)
{
	*g = (struct s2pt_guest){ .sz = sizeof(*g), .s1 = &s2pt_fmt_x86_64,
				  .s1_root = cr3 & 0x000ffffffffff000ull, .s2 = vm->map,
				  .hpa_to_va = hpa_to_va, .ctx = vm };
}
