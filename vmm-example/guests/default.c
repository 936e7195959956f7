// SPDX-License-Identifier: MIT
/*
 * The default guest: every vCPU writes and verifies patterns over its slice
 * of RAM, round after round (each round checks the previous one survived);
 * vCPU 0 then checks the read-only region, the MMIO device, an unmapped
 * hole and demand-paged addresses, and exits with the number of failures.
 */
#include "rt.h"

static uint32_t check(int ok, const char *what, uint64_t v)
{
	puts_(ok ? "guest:   ok    " : "guest:   FAIL  ");
	puts_(what);
	putc_(' ');
	putx(v);
	putc_('\n');
	return !ok;
}

static uint32_t device_checks(struct abi_boot *b)
{
	vu64 *rom = (vu64 *)b->rom_gpa, *dev = (vu64 *)b->dev_gpa;
	vu32 *hole = (vu32 *)b->hole_gpa;
	uint64_t bad = 0, i, v;
	uint32_t fails = 0;

	for (i = 0; i < b->rom_size / 8; i++)
		bad += rom[i] != abi_pattern(b->rom_gpa + i * 8, ~0u);
	fails += check(!bad, "read-only region holds its pattern, words wrong:", bad);
	rom[5] = 0xdeadbeef;		/* refused by stage 2: an MMIO exit */
	fails += check(rom[5] == abi_pattern(b->rom_gpa + 40, ~0u),
		       "write to read-only region dropped, reads", rom[5]);
	v = *hole;
	fails += check(v == 0xffffffffu, "unmapped hole reads all-ones:", v);
	*hole = 1;
	fails += check(*hole == 0xffffffffu, "write to the hole ignored, reads", *hole);
	v = dev[ABI_DEV_MAGIC / 8];
	fails += check(v == ABI_MAGIC, "MMIO device magic", v);
	fails += check(dev[ABI_DEV_NCPUS / 8] == b->ncpus, "MMIO device vCPU count",
		       dev[ABI_DEV_NCPUS / 8]);
	dev[ABI_DEV_SCRATCH / 8] = 0x1234567890abcdefull;
	fails += check(dev[ABI_DEV_SCRATCH / 8] == 0x1234567890abcdefull,
		       "MMIO device scratch register", dev[ABI_DEV_SCRATCH / 8]);
	if (b->demand_pages) {
		bad = 0;
		/* each first touch is a #PF in the guest's own tables; the
		 * VMM maps a page there and the access is retried */
		for (i = 0; i < b->demand_pages; i++)
			*(vu64 *)(b->demand_gva + i * 4096 + 8 * i) = abi_pattern(i, 7);
		for (i = 0; i < b->demand_pages; i++)
			bad += *(vu64 *)(b->demand_gva + i * 4096 + 8 * i) != abi_pattern(i, 7);
		fails += check(!bad, "demand-paged pages written and read back:",
			       b->demand_pages);
	}
	return fails;
}

int guest_main(int cpu, struct abi_boot *b)
{
	uint64_t n = b->ncpus, span = ((b->heap_end - b->heap_start) / n) & ~4095ull;
	uint64_t lo = b->heap_start + span * (uint64_t)cpu, hi = lo + span, a, bad = 0, sum = 0;
	uint32_t r, fails = 0;

	if (cpu == 0) {
		puts_("guest: hello from ring 3 on ");
		putu(n);
		puts_(" vCPUs, pattern over ");
		putu((b->heap_end - b->heap_start) >> 20);
		puts_(" MiB\n");
	}
	for (r = 0;; r++) {
		sum = 0;
		for (a = lo; a < hi; a += 8) {
			uint64_t v = abi_pattern(a, r);

			if (r && *(vu64 *)a != abi_pattern(a, r - 1))
				bad++;
			*(vu64 *)a = v;
			sum += v;
		}
		b->done_rounds[cpu] = r + 1;
		if (cpu == 0 && r == 0)
			outl(ABI_PORT_EVENT, ABI_EV_CHECKPOINT);
		if (r + 1 >= b->rounds && b->stop)
			break;
	}
	for (a = lo; a < hi; a += 8)
		bad += *(vu64 *)a != abi_pattern(a, r);
	__atomic_fetch_add(&b->errors, (uint32_t)bad, __ATOMIC_RELAXED);
	b->sum[cpu] = sum;
	if (cpu) {
		__atomic_fetch_add(&b->arrived, 1, __ATOMIC_RELEASE);
		return (int)bad;
	}
	fails = device_checks(b);
	barrier(b, (uint32_t)n);
	sum = 0;
	for (uint64_t c = 0; c < n; c++)
		sum += b->sum[c];
	puts_("guest: rounds per vCPU:");
	for (uint64_t c = 0; c < n; c++) {
		putc_(' ');
		putu(b->done_rounds[c]);
	}
	puts_(", words verified: ");
	putu((b->heap_end - b->heap_start) / 8);
	puts_(" per round, mismatches: ");
	putu(b->errors);
	puts_(", checksum ");
	putx(sum);
	putc_('\n');
	fails += b->errors != 0;
	puts_(fails ? "guest: FAILED\n" : "guest: success\n");
	vm_exit(fails);
}
