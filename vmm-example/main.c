// SPDX-License-Identifier: MIT
/*
 * s2vmm: command line, VM set-up in order, and the report at exit.
 * Errors are printed here, once; helpers return -errno.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include "vmm.h"

extern const uint8_t default_guest[], default_guest_end[];

static const char usage[] =
	"usage: s2vmm [options]\n"
	"  --mem SIZE          guest RAM, 16M..3G in 2M steps (default 64M)\n"
	"  --cpus N            vCPUs (1..8, default 1)\n"
	"  --guest FILE        a static x86-64 ELF guest (default: the built-in one)\n"
	"  --rounds N          pattern rounds the guest runs at least (default 3)\n"
	"  --demand N          pages the guest demand-faults in its own tables (default 16)\n"
	"  --balloon N         take RAM ranges away and back, at least N cycles, while it runs\n"
	"  --dirty-log MS      read KVM's dirty log every MS ms, print pages per interval\n"
	"  --translate GVA     s2pt_translate's walk of GVA beside KVM_TRANSLATE, then exit\n"
	"  --translate-test N  compare the two on N addresses, then exit (1 on disagreement)\n"
	"  --snapshot FILE     pre-copy snapshot at the guest's checkpoint, then stop\n"
	"  --restore FILE      start from a snapshot (same --guest)\n"
	"  --s2-format NAME    the map's s2pt format (default: npt on AMD, ept4 on Intel)\n"
	"  --quiet             no memory map at start\n"
	"  --help\n";

static const struct s2pt_fmt *host_format(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	__get_cpuid(0, &a, &b, &c, &d);
	return b == 0x756e6547 ? &s2pt_fmt_ept4 : &s2pt_fmt_npt;	/* "Genu"ineIntel */
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'g': case 'G': return v << 30;
	case 'm': case 'M': return v << 20;
	case 'k': case 'K': return v << 10;
	default: return v;
	}
}

/* The whole of @path, mapped read-only for the VMM's lifetime */
static void *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p = MAP_FAILED;

	if (fd >= 0 && !fstat(fd, &st) && st.st_size > 0) {
		*len = (size_t)st.st_size;
		p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	if (fd >= 0)
		close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static int create_vcpus(struct vm *vm)
{
	int r = kvm_run_size(vm->kvm_fd);

	if (r < 0)
		return r;
	vm->run_size = (size_t)r;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		v->vm = vm;
		v->id = i;
		v->fd = kvm_create_vcpu(vm->vm_fd, i);
		if (v->fd < 0)
			return v->fd;
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			return -errno;
		r = load_vcpu(vm, v);
		if (r)
			return r;
	}
	return 0;
}

static void vm_fini(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpu[i].run && vm->vcpu[i].run != MAP_FAILED)
			munmap(vm->vcpu[i].run, vm->run_size);
		if (vm->vcpu[i].fd > 0)
			close(vm->vcpu[i].fd);
	}
	s2pt_destroy(vm->gpt);
	s2pt_arena_destroy(vm->gpt_arena);
	mem_fini(vm);
	if (vm->vm_fd > 0)
		close(vm->vm_fd);
	if (vm->kvm_fd > 0)
		close(vm->kvm_fd);
}

static void report(struct vm *vm, bool dirty_log, double secs)
{
	uint64_t dirty = 0;
	atomic_ulong *s = vm->stat;

	for (uint64_t i = 0; i < vm->ram_size / PAGE / 64; i++)
		dirty += (uint64_t)__builtin_popcountll(vm->dirty[i]);
	printf("s2vmm: exits: io %lu, mmio %lu (device %lu, hole %lu, read-only %lu, "
	       "ballooned %lu, slot in flux %lu), other %lu\n",
	       s[ST_IO], s[ST_MMIO], s[ST_MMIO_DEV], s[ST_MMIO_HOLE], s[ST_MMIO_ROM],
	       s[ST_MMIO_BALLOON], s[ST_MMIO_RAM], s[ST_OTHER]);
	printf("s2vmm: guest exceptions %lu (demand pages mapped %lu); balloon out %lu, in %lu; "
	       "memslot ioctls %lu\n", s[ST_EXC], s[ST_DEMAND], s[ST_BALLOON_OUT],
	       s[ST_BALLOON_IN], s[ST_SLOT_OPS]);
	if (dirty_log)
		printf("s2vmm: dirty log: %lu distinct pages written\n", (unsigned long)dirty);
	printf("s2vmm: guest exit status %d, wall time %.3f s\n", vm->exit_status, secs);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", 1, 0, 'm' }, { "cpus", 1, 0, 'c' }, { "guest", 1, 0, 'g' },
		{ "rounds", 1, 0, 'r' }, { "demand", 1, 0, 'd' }, { "balloon", 1, 0, 'b' },
		{ "dirty-log", 1, 0, 'l' }, { "translate", 1, 0, 't' },
		{ "translate-test", 1, 0, 'T' }, { "snapshot", 1, 0, 's' },
		{ "restore", 1, 0, 'R' }, { "s2-format", 1, 0, 'f' }, { "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	static struct vm vm = { .ncpus = 1, .memfd = -1, .slot_lock = PTHREAD_MUTEX_INITIALIZER,
				.gpt_lock = PTHREAD_MUTEX_INITIALIZER,
				.serial_lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_opts ro = { 0 };
	const char *guest = NULL, *restore = NULL, *step = "options";
	const void *elf = default_guest;
	size_t elf_len = (size_t)(default_guest_end - default_guest);
	uint64_t ram = 64 << 20, gva = 0, demand = 16;
	unsigned rounds = 3, xcount = 0;
	bool xlate = false, quiet = false;
	double t0 = now();
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': ram = parse_size(optarg); break;
		case 'c': vm.ncpus = atoi(optarg); break;
		case 'g': guest = optarg; break;
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'd': demand = strtoull(optarg, NULL, 0); break;
		case 'b': ro.balloon = (unsigned)atoi(optarg); break;
		case 'l': ro.dirty_ms = (unsigned)atoi(optarg); break;
		case 't': xlate = true; gva = strtoull(optarg, NULL, 0); break;
		case 'T': xlate = true; xcount = (unsigned)atoi(optarg); break;
		case 's': ro.snapshot = optarg; break;
		case 'R': restore = optarg; break;
		case 'f': vm.s2fmt = s2pt_fmt_find(optarg); if (!vm.s2fmt) r = -EINVAL; break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!r && restore)
		r = snap_peek(restore, &ram, &vm.ncpus);
	/* RAM ends below the read-only region at 3 GiB */
	if (r || optind < argc || vm.ncpus < 1 || vm.ncpus > ABI_MAX_CPUS || ram % (2 << 20) ||
	    ram < (16 << 20) || ram > ABI_ROM_GPA || (ro.balloon && ro.snapshot)) {
		fprintf(stderr, "s2vmm: bad options (--help)%s\n",
			ro.balloon && ro.snapshot ? ": --balloon and --snapshot do not mix" : "");
		return 2;
	}
	if (guest && !(elf = read_file(guest, &elf_len))) {
		fprintf(stderr, "s2vmm: cannot read %s\n", guest);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!vm.s2fmt)
		vm.s2fmt = host_format();
	if (ro.dirty_ms || ro.snapshot)
		vm.slot_flags = KVM_MEM_LOG_DIRTY_PAGES;

	urcu_memb_register_thread();		/* main calls s2pt too */
	step = "open /dev/kvm";
	vm.kvm_fd = r = kvm_open();
	if (r >= 0) {
		step = "create VM";
		vm.vm_fd = r = kvm_create_vm(vm.kvm_fd);
	}
	if (r >= 0)
		r = kvm_set_tss_addr(vm.vm_fd, 0xfffbd000);
	/* Deleting a memslot then zaps only that slot's mappings, not every
	 * vCPU's: what a balloon operation needs. Older KVMs lack it: fine. */
	if (!r)
		kvm_disable_quirks(vm.vm_fd, QUIRK_SLOT_ZAP_ALL);
	if (!r) {
		step = "guest memory";
		r = mem_init(&vm, ram);
	}
	if (!r) {
		step = "load guest";
		r = load_guest(&vm, elf, elf_len, rounds, demand);
	}
	if (!r) {
		step = "create vCPUs";
		r = create_vcpus(&vm);
	}
	if (!r && restore) {
		step = "restore";
		r = snap_restore(&vm, restore);
		if (!r)
			printf("s2vmm: restored %s\n", restore);
	}
	if (!r && !quiet) {
		mem_print(&vm, stdout);
		printf("guest page tables: s2pt x86_64 in guest RAM at %#llx (CR3 %#llx), "
		       "%llu KiB of table pages\n", ABI_PT_GPA, (unsigned long long)s2pt_root(vm.gpt),
		       (unsigned long long)s2pt_arena_used(vm.gpt_arena) >> 10);
	}
	if (!r && xlate) {
		step = "translate";
		r = translate(&vm, gva, xcount);
	} else if (!r) {
		step = "run";
		r = run_vm(&vm, &ro);
	}
	if (r < 0)
		fprintf(stderr, "s2vmm: %s: %s\n", step, strerror(-r));
	else if (!xlate)
		report(&vm, ro.dirty_ms, now() - t0);
	vm_fini(&vm);
	urcu_memb_unregister_thread();
	return r < 0 ? 2 : xlate ? r : vm.exit_status;
}
