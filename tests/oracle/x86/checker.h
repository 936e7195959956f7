/* SPDX-License-Identifier: MIT */
/*
 * What the common x86 checker loop (checker.c) needs from each target:
 * svm.c (AMD NPT) or vmx.c (Intel EPT).
 */
#ifndef S2PT_ORACLE_X86_CHECKER_H
#define S2PT_ORACLE_X86_CHECKER_H

#include <stdint.h>
#include "../common/bm.h"
#include "x86o.h"

enum x86o_exit_kind {
	X86O_EXIT_CALL,		/* the guest's VMMCALL / VMCALL */
	X86O_EXIT_FAULT,	/* nested page fault / EPT violation */
	X86O_EXIT_MISCONF,	/* EPT misconfiguration */
	X86O_EXIT_OTHER,	/* anything else: a failure */
};

struct x86o_exit {
	enum x86o_exit_kind kind;
	uint64_t code;		/* raw exit code / basic exit reason */
	uint64_t rax;		/* guest %eax at the hypercall */
	uint64_t info;		/* EXITINFO1 / exit qualification */
	uint64_t gpa;		/* EXITINFO2 / guest-physical address */
	uint64_t gla;		/* EPT: guest linear address; NPT: ~0 */
	uint64_t rip;		/* guest RIP at the exit */
};

/* Target hooks. */
extern const char x86o_target[];		/* "npt" / "ept" */
extern const uint8_t x86o_hypercall[3];		/* VMMCALL / VMCALL bytes */
int hv_init(const struct orc_cfg *c);		/* 0, or prints why not */
/* Run the guest from @rip with %ebx = @rbx, %ecx = @rcx until it exits. */
int hv_run(uint64_t rip, uint64_t rbx, uint64_t rcx, struct x86o_exit *e);
/* Fields of the fault report compared with orc_vec.aux. */
extern const uint64_t x86o_info_mask;
/* The dirty flag of a leaf entry. */
extern const uint64_t x86o_dirty_bit;

/* Shared helpers (checker.c). */
extern char guest_read[], guest_write[];
extern uint64_t host_gdt[];
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
void x86o_exit(void) __attribute__((noreturn));
void x86o_fail(const char *what, uint64_t v);	/* a FAIL line about the run */

#endif /* S2PT_ORACLE_X86_CHECKER_H */
