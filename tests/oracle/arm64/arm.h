/* SPDX-License-Identifier: MIT */
/* ARM stage-2 oracle: physical layout under QEMU virt and the config's
 * register slots, shared by the generator and the checker. */
#ifndef S2PT_ORACLE_ARM_H
#define S2PT_ORACLE_ARM_H

#define ARM_RAM_PA	0x40000000ull	/* 128 MiB; the checker at its start */
#define ARM_RAM_SIZE	0x08000000ull
#define ARM_CFG_PA	0x42000000ull	/* config block (-device loader) */
#define ARM_IMG_PA	0x44000000ull	/* table image (-device loader) */
#define ARM_IMG_SIZE	0x00400000ull
#define ARM_DATA_PA	0x45000000ull	/* pages the guest accesses */
#define ARM_UART_PA	0x09000000ull	/* PL011 */

#define ARM_REG_VTTBR	0		/* from s2pt_hw_root() */
#define ARM_REG_VTCR	1		/* from s2pt_arm64_vtcr() */

/* PAR_EL1.ATTR (MAIR encoding) an AT S12E1 reports with HCR_EL2.DC = 1
 * (stage 1 Normal WB) combined with each stage-2 memory type. */
#define ARM_ATTR_WB	0xffu
#define ARM_ATTR_NC	0x44u
#define ARM_ATTR_DEV	0x04u

#endif /* S2PT_ORACLE_ARM_H */
