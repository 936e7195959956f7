/* SPDX-License-Identifier: MIT */
/*
 * bochs floppy boot sector: fast A20, flat 32-bit protected mode, then jump
 * to the checker that optramimage1 preloaded at 1 MiB (the same state as a
 * multiboot loader leaves). Built with gcc -m32, linked at 0x7c00.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	inb	$0x92, %al
	orb	$2, %al
	andb	$0xfe, %al
	outb	%al, $0x92
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$0x100000, %eax
	jmp	*%eax

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

	.org	510
	.word	0xaa55

	.section .note.GNU-stack, "", @progbits
