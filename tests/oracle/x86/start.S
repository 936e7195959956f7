/* SPDX-License-Identifier: MIT */
/*
 * x86 checker entry: a multiboot header (QEMU -kernel), a 32-bit start that
 * identity-maps 4 GiB with 2 MiB pages and enters long mode, the guest's
 * 32-bit code page, host exception stubs and the VMX entry trampoline.
 * Assembled once per target: -DX86O_SVM (VMMCALL) or -DX86O_VMX (VMCALL).
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00010000	/* the address fields below are valid */

#ifdef X86O_SVM
#define HYPERCALL	.byte 0x0f, 0x01, 0xd9	/* vmmcall */
#else
#define HYPERCALL	.byte 0x0f, 0x01, 0xc1	/* vmcall */
#endif

	.section .boot, "ax"
	.code32
	.globl _start
_start:
	jmp	start32
	.p2align 2
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long	mb_header, _start, _edata, _end, start32

start32:
	cli
	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	/* bochs loads only the file: clear .bss (QEMU's multiboot does too) */
	movl	$__bss_start, %edi
	movl	$_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	cld
	rep stosb
	/* PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 2 MiB pages: 0..4 GiB */
	movl	$host_pdpt + 3, host_pml4
	movl	$host_pd + 3, %eax
	movl	$host_pdpt, %edi
	movl	$4, %ecx
2:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	2b
	movl	$host_pd, %edi
	movl	$0x83, %eax		/* P | RW | PS */
	xorl	%edx, %edx
	movl	$2048, %ecx
3:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	3b
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$host_pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* EFER: LME | NXE */
	rdmsr
	orl	$0x900, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax	/* PG | PE */
	andl	$0x9fffffff, %eax	/* caches on */
	movl	%eax, %cr0
	ljmp	$0x18, $long64

	.code64
long64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	leaq	host_stack_top(%rip), %rsp
	call	idt_init
	lidt	idt_desc(%rip)
	call	checker_main
	call	x86o_exit
4:	hlt
	jmp	4b

/* Host exception stubs: push the vector (and a zero error code where the
 * CPU pushes none) and go to host_trap(vector, error, rip). */
	.p2align 4
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	32
	.p2align 4
	.if	(vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	pushq	$vec
	.else
	pushq	$0
	pushq	$vec
	.endif
	jmp	trap_common
	.set	vec, vec + 1
	.endr
trap_common:
	popq	%rdi
	popq	%rsi
	movq	(%rsp), %rdx
	andq	$-16, %rsp
	call	host_trap
5:	hlt
	jmp	5b

/* The guest's code: 32-bit flat protected mode, paging off. %ebx holds
 * the probe GPA, %ecx the marker; the result goes back in %eax. */
	.section .guest, "ax"
	.code32
	.globl	guest_read, guest_write
guest_read:
	movl	(%ebx), %eax
	HYPERCALL
	hlt
	.p2align 4
guest_write:
	movl	%ecx, (%ebx)
	movl	%ecx, %eax
	HYPERCALL
	hlt

#ifdef X86O_VMX
/*
 * int vmx_enter(struct vmx_gprs *g, int resume): VMLAUNCH / VMRESUME with
 * the guest's %rax, %rbx, %rcx from @g (0, 8, 16); on VM exit, store them
 * back and return 0. Returns 1 if the instruction itself failed
 * (VMfailInvalid / VMfailValid, read VM_INSTRUCTION_ERROR).
 */
	.text
	.code64
	.globl	vmx_enter
vmx_enter:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi
	movq	$0x6c14, %rax		/* HOST_RSP */
	vmwrite	%rsp, %rax
	movq	$0x6c16, %rax		/* HOST_RIP */
	leaq	vmx_exit(%rip), %rdx
	vmwrite	%rdx, %rax
	movq	8(%rdi), %rbx
	movq	16(%rdi), %rcx
	testl	%esi, %esi
	movq	0(%rdi), %rax
	jnz	1f
	vmlaunch
	jmp	2f
1:	vmresume
2:	popq	%rdi
	movl	$1, %eax
	jmp	3f
vmx_exit:
	xchgq	%rax, (%rsp)		/* %rax = g, the stack holds guest %rax */
	movq	%rbx, 8(%rax)
	movq	%rcx, 16(%rax)
	popq	%rbx
	movq	%rbx, 0(%rax)
	xorl	%eax, %eax
3:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
#endif

	.data
	.p2align 3
	.globl	host_gdt
host_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
	.quad	0, 0			/* 0x20: 64-bit TSS, filled by C */
host_gdt_end:
	.globl	gdt_desc
gdt_desc:
	.word	host_gdt_end - host_gdt - 1
	.quad	host_gdt

	.bss
	.p2align 12
	.globl	host_pml4
host_pml4:	.skip	4096
host_pdpt:	.skip	4096
host_pd:	.skip	4 * 4096
host_stack:	.skip	16384
host_stack_top:

	.section .note.GNU-stack, "", @progbits
