/* SPDX-License-Identifier: MIT */
/*
 * The x86 oracles' fixed physical layout and config slots, shared by the
 * host generator and the bare-metal checkers (AMD NPT on QEMU, EPT on bochs).
 */
#ifndef S2PT_ORACLE_X86O_H
#define S2PT_ORACLE_X86O_H

/*
 * Physical memory of the emulated machine (256 MiB of RAM):
 *   0x00100000  the checker (entry, multiboot header, then .guest at 0x101000)
 *   0x00101000  guest code page: the generator maps it GPA == HPA, R + X
 *   0x00200000  config block (struct orc_cfg and its vectors)
 *   0x00400000  table image: the s2pt arena, X86O_IMG_SIZE bytes
 *   0x01000000  target area: every HPA a successful probe reaches lies in
 *   0x08000000  [X86O_TGT_LO, X86O_TGT_HI), where the checker plants markers
 *
 * Each file bochs preloads (optramimage) must fit in one 128 KiB block at
 * a 128 KiB-aligned address: bochs 2.7's BX_MEM_C::load_RAM() read()s the
 * whole file at get_vector(start), but guest RAM blocks are given host
 * storage lazily in first-touch order, so bytes past the first block land
 * in storage that later backs other guest blocks (seen here: the BIOS's
 * first write to 0x4b0 wiped table entries at 0x420838). Hence a 128 KiB
 * arena (32 table pages) and config block; the checker's checksum of the
 * image catches any such corruption.
 */
#define X86O_CHECKER_PA	0x00100000ull
#define X86O_GUEST_PA	0x00101000ull
#define X86O_CFG_PA	0x00200000ull
#define X86O_CFG_MAX	0x00020000ull
#define X86O_IMG_PA	0x00400000ull
#define X86O_IMG_SIZE	0x00020000ull
#define X86O_TGT_LO	0x01000000ull
#define X86O_TGT_HI	0x08000000ull
#define X86O_RAM_MB	256

/* orc_cfg.reg slots. */
#define X86O_REG_ROOT	0	/* nCR3 / EPTP, from s2pt_hw_root() */
#define X86O_REG_SUM	1	/* FNV-1a 64 of the table image as written */
#define X86O_REG_TARGET	2	/* 1: AMD NPT, 2: Intel EPT */

#define X86O_TARGET_NPT	1
#define X86O_TARGET_EPT	2

/*
 * orc_vec.aux (always with ORC_F_AUX on faults): the exit information the
 * manual says the fault reports. NPT: EXITINFO1 of the #VMEXIT(NPF)
 * (APM vol. 2 §15.25.6: the #PF error code of §8.4.2, bit 32 for a fault
 * on the final guest-physical translation). EPT: the exit qualification
 * (SDM vol. 3C §28.2.1, Table 28-7), compared under X86O_EPT_QUAL_MASK.
 */
#define X86O_NPF_P	(1ull << 0)	/* protection violation (entry present) */
#define X86O_NPF_W	(1ull << 1)	/* write access */
#define X86O_NPF_US	(1ull << 2)	/* user: every nested access (§15.25.5) */
#define X86O_NPF_ID	(1ull << 4)	/* instruction fetch (host EFER.NXE = 1) */
#define X86O_NPF_FINAL	(1ull << 32)	/* during the final GPA -> SPA walk */

#define X86O_EQ_R	(1ull << 0)	/* data read */
#define X86O_EQ_W	(1ull << 1)	/* data write */
#define X86O_EQ_X	(1ull << 2)	/* instruction fetch */
#define X86O_EQ_CAN_R	(1ull << 3)	/* AND of bit 0 over the walk */
#define X86O_EQ_CAN_W	(1ull << 4)	/* AND of bit 1 */
#define X86O_EQ_CAN_X	(1ull << 5)	/* AND of bit 2 */
#define X86O_EQ_GLA	(1ull << 7)	/* guest linear address valid */
#define X86O_EQ_XLAT	(1ull << 8)	/* access to the translation of the GLA */
#define X86O_EQ_NMI	(1ull << 12)	/* NMI unblocking due to IRET */
/* Bit 6 is undefined without mode-based execute control; bits 9..11 are
 * only defined with "advanced VM-exit information" (EPT_VPID_CAP bit 22). */
#define X86O_EPT_QUAL_MASK 0x11bfull

/*
 * orc_vec.aux on a successful access with ORC_F_AUX: the physical address
 * of the leaf entry, | X86O_AUX_DIRTY if the hardware must have set its
 * dirty flag by the end of the access (NPT: bit 6, APM §5.4.2; EPT: bit 9
 * when EPTP bit 6 enables A/D, SDM §29.3.5), clear if it must still be 0.
 */
#define X86O_AUX_DIRTY	1ull
#define X86O_AUX_ADDR	(~7ull)

#endif /* S2PT_ORACLE_X86O_H */
