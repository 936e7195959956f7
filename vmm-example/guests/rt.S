/* SPDX-License-Identifier: MIT */
/*
 * Guest runtime, ring-0 part: the entry stub drops to ring 3 at once (ring 0
 * is emulated slowly on this KVM), and exception stubs report to the VMM.
 */
	.code64
	.section .text.entry, "ax"
/* One 16-byte stub per vector 0..31, opening the image at ABI_ISR_GPA
 * (guest.ld checks; the VMM points the IDT at them): push a 0 error code
 * where the CPU pushes none, then the vector. */
	.macro	stub v
	.balign	16
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	isr_common
	.endm

	.globl	isr_stubs
isr_stubs:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub	\v
	.endr

/* s2vmm enters here in 64-bit ring 0: rdi = cpu, rsi = boot page,
 * rdx = ring-3 stack top, rsp = ring-0 stack top. */
	.globl _start
_start:
	pushq	$0x1b			/* ss: user data, RPL 3 */
	pushq	%rdx			/* rsp */
	pushq	$0x3002			/* rflags: IOPL 3, IF 0 */
	pushq	$0x23			/* cs: user code, RPL 3 */
	leaq	user_start(%rip), %rax
	pushq	%rax
	iretq

user_start:				/* ring 3 from here */
	call	guest_main
	movl	$0xf7, %edx		/* ABI_PORT_DONE */
	outl	%eax, %dx
1:	pause
	jmp	1b

/* Tell the VMM (struct abi_frame at rsp); it returns only if the fault
 * is fixed (e.g. it mapped a demand page), and the access is retried. */
isr_common:
	pushq	%rax
	pushq	%rdx
	movl	$0xf5, %edx		/* ABI_PORT_EXC */
	movl	16(%rsp), %eax
	outl	%eax, %dx
	popq	%rdx
	popq	%rax
	addq	$16, %rsp
	iretq
