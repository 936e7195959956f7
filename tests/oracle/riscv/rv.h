/* SPDX-License-Identifier: MIT */
/* RISC-V G-stage oracle: physical layout under QEMU virt and the config's
 * register slots, shared by the generator and the checker. */
#ifndef S2PT_ORACLE_RV_H
#define S2PT_ORACLE_RV_H

#define RV_RAM_PA	0x80000000ull	/* 128 MiB; the checker at its start */
#define RV_RAM_SIZE	0x08000000ull
#define RV_CFG_PA	0x82000000ull	/* config block (-device loader) */
#define RV_IMG_PA	0x84000000ull	/* table image (-device loader) */
#define RV_IMG_SIZE	0x00400000ull
#define RV_DATA_PA	0x85000000ull	/* pages the guest may write, to the end of RAM */
#define RV_UART_PA	0x10000000ull	/* 16550 */
#define RV_TEST_PA	0x00100000ull	/* sifive_test: 0x5555 powers off */

#define RV_REG_HGATP	0		/* from s2pt_hw_root() */

#endif /* S2PT_ORACLE_RV_H */
