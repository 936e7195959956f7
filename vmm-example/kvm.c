// SPDX-License-Identifier: MIT
/* KVM ioctl wrappers: one small function each, returning a value or -errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "vmm.h"

static int ret_of(long r)
{
	return r < 0 ? -errno : (int)r;
}

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ret_of(ioctl(fd, KVM_GET_API_VERSION, 0));
	if (r != KVM_API_VERSION) {
		close(fd);
		return r < 0 ? r : -ENOTSUP;
	}
	return fd;
}

int kvm_create_vm(int kvm)
{
	return ret_of(ioctl(kvm, KVM_CREATE_VM, 0));
}

static int kvm_check_ext(int fd, unsigned long cap)
{
	return ret_of(ioctl(fd, KVM_CHECK_EXTENSION, cap));
}

/* Disable the KVM_X86_QUIRK_* in @mask that this KVM can disable */
int kvm_disable_quirks(int vm, uint64_t mask)
{
	struct kvm_enable_cap c = { .cap = KVM_CAP_DISABLE_QUIRKS2 };
	int can = kvm_check_ext(vm, KVM_CAP_DISABLE_QUIRKS2);

	if (can <= 0)
		return can ? can : -EOPNOTSUPP;
	c.args[0] = mask & (uint64_t)can;
	return ret_of(ioctl(vm, KVM_ENABLE_CAP, &c));
}

int kvm_run_size(int kvm)
{
	return ret_of(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
}

int kvm_set_tss_addr(int vm, uint64_t addr)
{
	return ret_of(ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)addr));
}

/* size 0 deletes the slot */
int kvm_set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ret_of(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
}

/* @bitmap: one bit per page of the slot; KVM clears its log as it copies */
int kvm_dirty_log(int vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log d = { .slot = slot, .dirty_bitmap = bitmap };

	return ret_of(ioctl(vm, KVM_GET_DIRTY_LOG, &d));
}

int kvm_create_vcpu(int vm, int id)
{
	return ret_of(ioctl(vm, KVM_CREATE_VCPU, (unsigned long)id));
}

/* the vCPU gets what KVM supports */
int kvm_set_cpuid(int kvm, int vcpu)
{
	struct kvm_cpuid2 *c = NULL;
	int n = 64, r;

	do {
		n *= 2;
		free(c);
		c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = (uint32_t)n;
		r = ret_of(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));
	} while (r == -E2BIG && n < 4096);
	if (!r)
		r = ret_of(ioctl(vcpu, KVM_SET_CPUID2, c));
	free(c);
	return r;
}

int kvm_get_regs(int vcpu, struct kvm_regs *r)
{
	return ret_of(ioctl(vcpu, KVM_GET_REGS, r));
}

int kvm_set_regs(int vcpu, const struct kvm_regs *r)
{
	return ret_of(ioctl(vcpu, KVM_SET_REGS, r));
}

int kvm_get_sregs(int vcpu, struct kvm_sregs *s)
{
	return ret_of(ioctl(vcpu, KVM_GET_SREGS, s));
}

int kvm_set_sregs(int vcpu, const struct kvm_sregs *s)
{
	return ret_of(ioctl(vcpu, KVM_SET_SREGS, s));
}

int kvm_run(int vcpu)
{
	return ret_of(ioctl(vcpu, KVM_RUN, 0));
}

int kvm_translate(int vcpu, uint64_t gva, struct kvm_translation *tr)
{
	*tr = (struct kvm_translation){ .linear_address = gva };
	return ret_of(ioctl(vcpu, KVM_TRANSLATE, tr));
}
