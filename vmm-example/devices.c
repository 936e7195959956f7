// SPDX-License-Identifier: MIT
/*
 * Devices and the two exits that reach them: port I/O (serial, exit,
 * exception reports) and MMIO, which the s2pt map sorts into read-only
 * RAM, ballooned-out RAM, a device, or a hole.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "vmm.h"

static const char *const exc_name[32] = {
	[0] = "divide error", [6] = "invalid opcode", [8] = "double fault",
	[13] = "general protection", [14] = "page fault",
};

/* Read guest-virtual memory through both stages, as the vCPU would. */
static int guest_read(struct vm *vm, uint64_t cr3, uint64_t gva, void *buf, size_t len)
{
	struct s2pt_guest g;
	struct s2pt_xlate x;
	int r = 0;

	mem_guest_view(vm, cr3, &g);		/* s2pt_translate() is a reader */
	while (!r && len) {
		size_t n = PAGE - (gva & (PAGE - 1));

		n = n < len ? n : len;
		r = s2pt_translate(&g, gva, S2PT_ACC_READ, &x);
		if (!r)
			memcpy(buf, vm->host + x.hpa, n);
		buf = (uint8_t *)buf + n;
		gva += n;
		len -= n;
	}
	return r;
}

/* The guest's ring-0 stub reports an exception; a not-present #PF in the
 * demand window is fixed by mapping a page in the guest's tables, the rest
 * end the VM with status 100 + vector. */
static int exception(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct abi_frame f;
	int r = kvm_get_regs(v->fd, &regs);

	if (!r)
		r = kvm_get_sregs(v->fd, &s);
	if (!r)
		r = guest_read(vm, s.cr3, regs.rsp, &f, sizeof(f));
	if (r)
		return r;
	atomic_fetch_add(&vm->stat[ST_EXC], 1);
	if (f.vector == 14 && !(f.error & 1) && !guest_map_demand(vm, s.cr2)) {
		atomic_fetch_add(&vm->stat[ST_DEMAND], 1);
		return 0;
	}
	fprintf(stderr, "s2vmm: vcpu %d: exception %" PRIu64 " (%s) error %#" PRIx64
		" at rip %#" PRIx64 " cr2 %#llx rsp %#" PRIx64 " rflags %#" PRIx64 "\n", v->id, f.vector,
		f.vector < 32 && exc_name[f.vector] ? exc_name[f.vector] : "?", f.error, f.rip,
		s.cr2, f.rsp, f.rflags);
	vm_request_exit(vm, 100 + (int)(f.vector & 31));
	v->done = true;
	return 0;
}

/* Serial output goes out a line at a time, never mixed with the VMM's. */
static void serial_putc(struct vm *vm, char c)
{
	pthread_mutex_lock(&vm->serial_lock);
	if (vm->serial_len < sizeof(vm->serial_line))
		vm->serial_line[vm->serial_len++] = c;
	if (c == '\n' || vm->serial_len == sizeof(vm->serial_line)) {
		fwrite(vm->serial_line, 1, vm->serial_len, stdout);
		vm->serial_len = 0;
	}
	pthread_mutex_unlock(&vm->serial_lock);
}

int dev_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t val = 0;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if (out)
		memcpy(&val, data, run->io.size < 4 ? run->io.size : 4);
	switch (run->io.port) {
	case ABI_PORT_SERIAL:
		for (unsigned i = 0; out && i < run->io.count; i++)
			serial_putc(v->vm, (char)data[i * run->io.size]);
		return 0;
	case ABI_PORT_SERIAL + 5:		/* LSR: transmitter empty */
		if (!out)
			data[0] = 0x60;
		return 0;
	case ABI_PORT_EXIT:
		vm_request_exit(v->vm, (int)val);
		v->done = true;
		return 0;
	case ABI_PORT_DONE:
		v->done = true;
		return 0;
	case ABI_PORT_EVENT:
		if (val == ABI_EV_CHECKPOINT)
			atomic_store(&v->vm->checkpoint, 1);
		return 0;
	case ABI_PORT_EXC:
		return exception(v);
	}
	if (!out)
		memset(data, 0xff, (size_t)run->io.size * run->io.count);
	return 0;
}

/* The device page at ABI_DEV_GPA, and all-ones for every other hole */
static void device(struct vm *vm, uint64_t gpa, uint8_t *data, unsigned len, bool write)
{
	uint64_t off = gpa - ABI_DEV_GPA, val = 0;

	if (off >= PAGE) {
		atomic_fetch_add(&vm->stat[ST_MMIO_HOLE], 1);
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	atomic_fetch_add(&vm->stat[ST_MMIO_DEV], 1);
	if (write) {
		if (off == ABI_DEV_SCRATCH)
			memcpy(&vm->dev_scratch, data, len);
		return;
	}
	if (off == ABI_DEV_MAGIC)
		val = ABI_MAGIC;
	else if (off == ABI_DEV_NCPUS)
		val = (uint64_t)vm->ncpus;
	else if (off == ABI_DEV_SCRATCH)
		val = vm->dev_scratch;
	memcpy(data, &val, len);
}

/*
 * An access KVM found no writable slot for. A lookup in the s2pt map (an
 * RCU reader: no lock, however busy the balloon) tells what the gpa is:
 * read-only RAM (a write: dropped), RAM whose slot is being replaced (the
 * access is done on the backing store), ballooned-out RAM (its granule
 * mapped back on demand, then as before), or no RAM (a device). The
 * balloon may take the page again right after the lookup: harmless, as
 * the backing stays and RAM always sits at the same offset in it.
 */
int dev_mmio(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	uint64_t gpa = run->mmio.phys_addr;
	unsigned len = run->mmio.len, st = ST_MMIO_RAM;
	struct s2pt_leaf l;
	int r;

	if ((gpa & (PAGE - 1)) + len > PAGE)
		return -EFAULT;		/* the guests do aligned accesses */
	r = s2pt_lookup(vm->map, gpa, &l);
	if (r == -ENOENT && gpa - vm->balloon_lo < vm->balloon_hi - vm->balloon_lo) {
		/* only the balloon unmaps RAM there */
		r = mem_balloon(vm, gpa, false);
		l = (struct s2pt_leaf){ .oa = RAM_HPA + gpa, .prot = S2PT_R | S2PT_W };
		st = ST_MMIO_BALLOON;
	}
	if (r == -ENOENT) {
		device(vm, gpa, run->mmio.data, len, run->mmio.is_write);
		return 0;
	}
	if (r)
		return r;
	if (!(l.prot & S2PT_W))
		st = ST_MMIO_ROM;
	if (!run->mmio.is_write) {
		memcpy(run->mmio.data, vm->host + l.oa, len);
	} else if (st != ST_MMIO_ROM) {
		memcpy(vm->host + l.oa, run->mmio.data, len);
		mem_mark_dirty(vm, gpa);
	}
	atomic_fetch_add(&vm->stat[st], 1);
	return 0;
}
