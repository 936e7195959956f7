/* SPDX-License-Identifier: MIT */
/* RISC-V checker entry (M-mode), the trap handler, and the M -> VS -> M
 * round trip that makes one real guest access (guest_call). */
#define MSTATUS_MPV_BIT	39

	.section .text.start, "ax"
	.global _start
_start:
	la	sp, __stack_m
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, trap_entry
	csrw	mtvec, t0
	la	t0, __stack_trap
	csrw	mscratch, t0
	li	t0, -1			/* PMP: all of memory RWX for S/U/VS */
	csrw	pmpaddr0, t0
	li	t0, 0x1f
	csrw	pmpcfg0, t0
	call	checker_main
	.global power_off
power_off:
	li	t0, 0x100000
	li	t1, 0x5555
	sw	t1, 0(t0)
3:	wfi
	j	3b

/*
 * uint64_t guest_call(uint64_t gpa, uint64_t op, uint64_t val, uint64_t out[5])
 * Enter VS-mode at guest_entry with a0..a2 (vsatp Bare: VA = GPA), come
 * back on the first trap: out = {mcause, mtval, mtval2, guest a0, mstatus}.
 */
	.text
	.global guest_call
guest_call:
	addi	sp, sp, -112
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	sd	a3, 104(sp)
	la	t0, saved_sp
	sd	sp, 0(t0)
	la	t0, guest_entry
	csrw	mepc, t0
	li	t0, 0x1800		/* MPP = S (0b01) */
	csrc	mstatus, t0
	li	t0, 0x800
	csrs	mstatus, t0
	li	t0, 1
	slli	t0, t0, MSTATUS_MPV_BIT
	csrs	mstatus, t0
	mret

	.balign 4
guest_entry:				/* VS-mode: 1 load, 2 store, 3 call */
	li	t0, 1
	bne	a1, t0, 1f
	ld	a0, 0(a0)
	ecall
1:	li	t0, 2
	bne	a1, t0, 2f
	sd	a2, 0(a0)
	ecall
2:	jalr	ra, 0(a0)
	ecall

/*
 * A trap from VS-mode (MPV = 1) ends guest_call. A trap from M-mode is a
 * probe (HLV/HSV/HLVX) faulting while trap_info.armed: record it and skip
 * the 4-byte instruction; otherwise the checker crashed.
 */
	.balign 4
trap_entry:
	csrrw	sp, mscratch, sp
	addi	sp, sp, -128
	sd	t0, 0(sp)
	sd	t1, 8(sp)
	sd	t2, 16(sp)
	sd	t3, 24(sp)
	sd	t4, 32(sp)
	csrr	t0, mstatus
	srli	t1, t0, MSTATUS_MPV_BIT
	andi	t1, t1, 1
	bnez	t1, from_guest
	la	t4, trap_info
	ld	t1, 32(t4)		/* armed */
	beqz	t1, crash
	csrr	t1, mcause
	sd	t1, 0(t4)
	csrr	t1, mtval
	sd	t1, 8(t4)
	csrr	t1, 0x34b		/* mtval2 */
	sd	t1, 16(t4)
	sd	t0, 24(t4)		/* mstatus */
	sd	zero, 32(t4)
	csrr	t1, mepc
	addi	t1, t1, 4
	csrw	mepc, t1
	ld	t0, 0(sp)
	ld	t1, 8(sp)
	ld	t2, 16(sp)
	ld	t3, 24(sp)
	ld	t4, 32(sp)
	addi	sp, sp, 128
	csrrw	sp, mscratch, sp
	mret

from_guest:
	li	t1, 1
	slli	t1, t1, MSTATUS_MPV_BIT
	csrc	mstatus, t1
	la	t1, __stack_trap
	csrw	mscratch, t1
	la	t1, saved_sp
	ld	sp, 0(t1)
	ld	t2, 104(sp)		/* out */
	csrr	t1, mcause
	sd	t1, 0(t2)
	csrr	t1, mtval
	sd	t1, 8(t2)
	csrr	t1, 0x34b
	sd	t1, 16(t2)
	sd	a0, 24(t2)
	sd	t0, 32(t2)
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	addi	sp, sp, 112
	ret

crash:
	la	sp, __stack_m
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	checker_crash
	j	power_off

	.bss
	.balign 8
saved_sp:
	.quad 0
