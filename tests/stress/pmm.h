/* SPDX-License-Identifier: MIT */
/*
 * A table-page provider (struct s2pt_mm_ops) for the stress test that makes
 * early frees visible: freed pages are poisoned and quarantined.
 */
#ifndef S2PT_STRESS_PMM_H
#define S2PT_STRESS_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <s2pt/s2pt.h>

struct pmm;

extern const struct s2pt_mm_ops pmm_ops;

/* Allocation counters, read under the provider's lock. */
struct pmm_counts {
	uint64_t allocs, frees;		/* calls */
	uint64_t live_pages, peak_pages;
	uint64_t quarantined;		/* pages in quarantine now */
	uint64_t errors;		/* bad frees, bad phys_to_virt, damaged poison,
					 * exhaustion: each one printed */
};

/*
 * pmm_create() - a provider over a private region of @pages 4 KiB pages at
 * physical address @pa_base. Freed pages are filled with @poison (an entry
 * value that decodes as present), kept in a FIFO quarantine of @quarantine
 * pages (ASan-poisoned meanwhile) and checked untouched before reuse.
 * phys_to_virt() of [@canary_pa, @canary_pa + PMM_CANARY_BYTES) answers a table full
 * of @poison, so whatever reads a freed table decodes a chain of present
 * entries ending at a leaf at @canary_pa. Return: NULL on failure.
 */
struct pmm *pmm_create(size_t pages, uint64_t pa_base, size_t quarantine, uint64_t poison,
		       uint64_t canary_pa);
/* Drain the quarantine (checking the poison) and release everything.
 * Return: the errors seen over the provider's life. */
uint64_t pmm_destroy(struct pmm *m);
void pmm_counts(struct pmm *m, struct pmm_counts *out);
/* Release every quarantined page now, checking its poison. */
void pmm_drain(struct pmm *m);
/* Bytes of the poison table phys_to_virt() serves at the canary. */
#define PMM_CANARY_BYTES (256u * 1024)

#endif /* S2PT_STRESS_PMM_H */
