// SPDX-License-Identifier: MIT
/*
 * --translate: s2pt_translate() walking the guest's own tables (CR3 from
 * KVM_GET_SREGS) and then the VMM's map, beside KVM_TRANSLATE's answer.
 */
#include <errno.h>
#include <inttypes.h>
#include "vmm.h"

static void prot_str(uint32_t p, char *b)
{
	b[0] = p & S2PT_R ? 'r' : '-';
	b[1] = p & S2PT_W ? 'w' : '-';
	b[2] = p & S2PT_X ? 'x' : '-';
	b[3] = p & S2PT_U ? 'U' : '-';
	b[4] = 0;
}

/* Does s2pt agree with KVM_TRANSLATE (which is stage 1 only: gva -> gpa)? */
static int one(struct vm *vm, struct vcpu *v, uint64_t cr3, uint64_t gva, bool print,
	       bool *mapped)
{
	static const char *const kind[] = { "", "not present", "permission", "out of range" };
	struct s2pt_guest g;
	struct s2pt_xlate x;
	struct kvm_translation tr;
	bool s1_ok;
	int r;

	mem_guest_view(vm, cr3, &g);
	r = s2pt_translate(&g, gva, S2PT_ACC_READ, &x);
	if (r && r != -EFAULT)
		return r;
	r = kvm_translate(v->fd, gva, &tr);
	if (r)
		return r;
	/* translated by stage 1 even if the gpa is MMIO (a stage-2 fault) */
	s1_ok = x.fault_stage != 1 && !x.fault_in_walk;
	*mapped = s1_ok;
	if (print) {
		char p1[8], p2[8];

		prot_str(x.s1_prot, p1);
		prot_str(x.s2_prot, p2);
		printf("gva %#" PRIx64 ":\n  s2pt_translate: ", gva);
		if (!s1_ok)
			printf("stage-1 fault, level %d, %s\n", x.fault_level, kind[x.fault_kind]);
		else
			printf("gpa %#" PRIx64 " (%s, %" PRIu64 "K leaf)", x.gpa, p1, x.s1_size >> 10);
		if (s1_ok && x.fault_stage == 2)
			printf(" -> stage-2 fault, level %d, %s: MMIO\n", x.fault_level,
			       kind[x.fault_kind]);
		else if (s1_ok)
			printf(" -> backing offset %#" PRIx64 " (%s, %" PRIu64 "K leaf)\n", x.hpa, p2,
			       x.s2_size >> 10);
		printf("  table entries read: %u (stage-1 fetches go through stage 2)\n", x.reads);
		printf("  KVM_TRANSLATE:  valid %u gpa %#llx\n", tr.valid, tr.physical_address);
	}
	return (tr.valid == s1_ok && (!s1_ok || tr.physical_address == x.gpa)) ? 0 : 1;
}

/* A mix of mapped and unmapped addresses across the guest's layout */
static uint64_t pick(struct vm *vm, uint64_t *s)
{
	uint64_t r, base[] = { ABI_ROM_GPA, ABI_DEV_GPA, ABI_HOLE_GPA };

	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	r = *s >> 11;
	switch (*s >> 61) {
	case 0: case 1: case 2:
		return ABI_SCATTER_GVA + (r >> 12) % (ABI_SCATTER_PAGES + 64) * PAGE + (r & 4095);
	case 3:
		return r % (vm->ram_size + (16 << 20));
	case 4:
		return ABI_HIGH_GVA + r % (vm->ram_size + (16 << 20));
	case 5:
		return base[r % 3] + (r >> 2) % (4 << 20);
	case 6:
		return ABI_DEMAND_GVA + r % (1 << 20);
	default:
		return r & 1 ? (r & ((1ull << 47) - 1)) : ~((1ull << 47) - 1) | r;
	}
}

/*
 * translate() - @gva, printed; or with @count, that many addresses picked
 * at random (printed only where the two disagree). Return: mismatches
 * (0: agreement), or -errno.
 */
int translate(struct vm *vm, uint64_t gva, unsigned count)
{
	struct vcpu *v = &vm->vcpu[0];
	struct kvm_sregs s;
	uint64_t seed = 42, mapped = 0, bad = 0;
	bool m;
	int r = kvm_get_sregs(v->fd, &s);

	if (r)
		return r;
	if (!count)
		return one(vm, v, s.cr3, gva, true, &m);
	for (unsigned i = 0; i < count; i++) {
		gva = pick(vm, &seed);
		r = one(vm, v, s.cr3, gva, false, &m);
		if (r < 0)
			return r;
		if (r && bad++ < 10)
			one(vm, v, s.cr3, gva, true, &m);
		mapped += m;
	}
	printf("s2vmm: translate: %u addresses (%lu mapped, %lu unmapped): "
	       "s2pt_translate and KVM_TRANSLATE agree on %lu, disagree on %lu\n", count,
	       (unsigned long)mapped, (unsigned long)(count - mapped),
	       (unsigned long)(count - bad), (unsigned long)bad);
	return bad > 0;
}
