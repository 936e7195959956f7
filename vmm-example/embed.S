/* SPDX-License-Identifier: MIT */
/* The default guest, built into s2vmm (GUEST_ELF names the file). */
	.section .rodata
	.balign	16
	.globl	default_guest, default_guest_end
default_guest:
	.incbin	GUEST_ELF
default_guest_end:
	.section .note.GNU-stack, "", @progbits
