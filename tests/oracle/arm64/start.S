/* SPDX-License-Identifier: MIT */
/* ARM checker entry, EL2 vectors, and the EL2 -> EL1 -> EL2 round trip
 * that makes one real guest access (guest_call). */
	.section .text.start, "ax"
	.global _start
_start:
	mrs	x0, CurrentEL
	ldr	x1, =__stack_el2
	mov	sp, x1
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	adr	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	lsr	x0, x0, #2
	bl	checker_main
	b	psci_off

	.global psci_off
psci_off:
	ldr	x0, =0x84000008		/* PSCI SYSTEM_OFF; the conduit is SMC */
	smc	#0
3:	wfi
	b	3b

/*
 * uint64_t guest_call(uint64_t ia, uint64_t op, uint64_t val, uint64_t out[4])
 * Enter EL1 at guest_entry with x0..x2, come back on the first exception
 * taken to EL2 from EL1: out = {ESR_EL2, FAR_EL2, HPFAR_EL2, guest x0}.
 */
	.text
	.global guest_call
guest_call:
	stp	x29, x30, [sp, #-112]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	str	x3, [sp, #96]
	mov	x4, sp
	ldr	x5, =saved_sp
	str	x4, [x5]
	ldr	x4, =guest_entry
	msr	elr_el2, x4
	mov	x4, #0x3c5		/* EL1h, DAIF masked */
	msr	spsr_el2, x4
	ldr	x4, =__stack_el1
	msr	sp_el1, x4
	isb
	eret

/* EL1 (stage-1 off: VA = IPA): op 1 read, 2 write, 3 call. */
	.balign 8
guest_entry:
	cmp	x1, #1
	b.ne	1f
	ldr	x0, [x0]
	hvc	#0
1:	cmp	x1, #2
	b.ne	2f
	str	x2, [x0]
	hvc	#0
2:	blr	x0
	hvc	#0

/* EL1 vectors: anything taken at EL1 comes back as HVC #1. */
	.balign 2048
	.global el1_vectors
el1_vectors:
	.rept 16
	hvc	#1
	.balign 128
	.endr

	.balign 2048
el2_vectors:
	.rept 8			/* current EL: unexpected */
	b	el2_unexpected
	.balign 128
	.endr
	b	el2_from_el1	/* lower EL AArch64 sync */
	.balign 128
	.rept 7
	b	el2_unexpected
	.balign 128
	.endr

el2_from_el1:
	mov	x9, x0
	ldr	x5, =saved_sp
	ldr	x4, [x5]
	mov	sp, x4
	ldr	x3, [sp, #96]
	mrs	x4, esr_el2
	str	x4, [x3]
	mrs	x4, far_el2
	str	x4, [x3, #8]
	mrs	x4, hpfar_el2
	str	x4, [x3, #16]
	str	x9, [x3, #24]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret

el2_unexpected:
	ldr	x1, =__stack_el2
	mov	sp, x1
	mrs	x0, esr_el2
	mrs	x1, elr_el2
	mrs	x2, far_el2
	bl	checker_crash
	b	psci_off

	.bss
	.balign 8
saved_sp:
	.quad 0
