/* SPDX-License-Identifier: MIT */
/*
 * The config block an oracle generator writes and a bare-metal checker
 * reads: register values and vectors. Plain fixed-width little-endian
 * layout, shared by the host (any compiler) and the freestanding checkers.
 */
#ifndef S2PT_ORACLE_H
#define S2PT_ORACLE_H

#include <stdint.h>

#define ORC_MAGIC	0x31434f5450543253ull	/* "S2TPTOC1" read as bytes */
#define ORC_VERSION	1
#define ORC_NREG	16
#define ORC_NAME	48

/* orc_vec.access: what the checker does, and how. */
#define ORC_ACC_R	1u		/* data read */
#define ORC_ACC_W	2u		/* data write */
#define ORC_ACC_X	3u		/* instruction fetch */
#define ORC_ACC_MASK	0xfu
#define ORC_VIA_PROBE	(0u << 4)	/* translate only: ARM AT S12E1R/W, RISC-V HLV/HSV/HLVX */
#define ORC_VIA_GUEST	(1u << 4)	/* a real access from the guest (EL1, VS-mode, SVM/VMX guest) */
#define ORC_VIA_MASK	(0xfu << 4)

/* orc_vec.expect: the outcome. */
#define ORC_OK		0u		/* translates to orc_vec.oa */
#define ORC_FAULT_TRANS	1u		/* not present: the walk stops at orc_vec.level */
#define ORC_FAULT_PERM	2u		/* present leaf at orc_vec.level, access not allowed */
#define ORC_FAULT_RANGE	3u		/* input address beyond the table's input size */
#define ORC_FAULT_MISCONF 4u		/* malformed entry (EPT misconfiguration) */

/* orc_vec.flags */
#define ORC_F_AUX	(1u << 0)	/* also compare the target-specific aux value */

/*
 * One vector. @level counts like s2pt: 0 is the 4 KiB leaf level, the root
 * is levels - 1; for a fault it is the level of the entry that stopped the
 * walk (each checker turns it into its architecture's numbering).
 */
struct orc_vec {
	uint64_t ia;		/* input address (GPA / IPA) */
	uint64_t oa;		/* ORC_OK: expected output address of @ia */
	uint64_t aux;		/* ORC_F_AUX: target-specific (ARM PAR_EL1.ATTR, ...) */
	uint32_t access;	/* ORC_ACC_* | ORC_VIA_* */
	uint32_t expect;	/* ORC_OK, ORC_FAULT_* */
	int32_t level;		/* see above; -1 when not known */
	uint32_t flags;		/* ORC_F_* */
	char name[ORC_NAME];	/* NUL-terminated, printed on the PASS/FAIL line */
};

struct orc_cfg {
	uint64_t magic;		/* ORC_MAGIC */
	uint32_t version;	/* ORC_VERSION */
	uint32_t nvec;
	uint64_t seed;		/* randomized scenarios: the seed; else 0 */
	uint64_t img_pa;	/* where the table image is loaded */
	uint64_t img_size;
	uint64_t reg[ORC_NREG];	/* register values; each target names its slots */
	char scenario[32];
	struct orc_vec vec[];	/* nvec of them */
};

#ifdef __cplusplus
#define ORC_ASSERT(c, m) static_assert(c, m)
#else
#define ORC_ASSERT(c, m) _Static_assert(c, m)
#endif
ORC_ASSERT(sizeof(struct orc_vec) == 88, "orc_vec layout is shared with the checkers");
ORC_ASSERT(sizeof(struct orc_cfg) == 200, "orc_cfg layout is shared with the checkers");

#endif /* S2PT_ORACLE_H */
