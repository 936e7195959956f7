// SPDX-License-Identifier: MIT
/*
 * s2pt_translate(): the stage-2 half and the access rules; the first-stage
 * walk is instantiated per format (core/xlate.h).
 */
#include <string.h>
#include "core/rcu.h"

int s2pt_xlate_fault(struct s2pt_xlate *out, unsigned stage, unsigned kind, int level,
		     uint64_t addr)
{
	out->fault_stage = stage;
	out->fault_kind = kind;
	out->fault_level = level;
	out->fault_addr = addr;
	return -EFAULT;
}

/* Execute in the mode @user with @prot: X means both modes. */
static bool s2pt_exec_bits(uint32_t prot, bool user)
{
	return prot & (S2PT_X | (user ? S2PT_XU : S2PT_XS));
}

/*
 * First-stage rules, with no SMEP, SMAP or PAN, and RISC-V sstatus.SUM
 * set: a user access needs U (except an AArch64 EL0 fetch, which follows
 * UXN alone); a RISC-V supervisor fetch from a U page always faults.
 */
bool s2pt_s1_access_ok(unsigned fmt_flags, uint32_t prot, uint32_t access)
{
	bool user = access & S2PT_ACC_USER, exec = access & S2PT_ACC_EXEC;

	if ((access & S2PT_ACC_READ) && !(prot & S2PT_R))
		return false;
	if ((access & S2PT_ACC_WRITE) && !(prot & S2PT_W))
		return false;
	if (exec && !s2pt_exec_bits(prot, user))
		return false;
	if (exec && !user && (fmt_flags & S2PT_FMT_U_NO_SUP_EXEC) && (prot & S2PT_U))
		return false;
	if (user && !(prot & S2PT_U) && !(exec && (fmt_flags & S2PT_FMT_EXEC_U_ANY)))
		return false;
	return true;
}

/* Second-stage rules: execute follows the CPU mode, or with EPT's
 * mode-based control the U bit of the guest's first-stage page (@s1_flags
 * 0: no first stage, the CPU mode decides). */
static bool s2pt_s2_access_ok(unsigned fmt_flags, uint32_t prot, uint32_t access,
			      unsigned s1_flags, uint32_t s1_prot)
{
	bool user = (fmt_flags & S2PT_FMT_XU_BY_PAGE) && s1_flags ? (s1_prot & S2PT_U) != 0
								  : (access & S2PT_ACC_USER) != 0;

	if ((access & S2PT_ACC_READ) && !(prot & S2PT_R))
		return false;
	if ((access & S2PT_ACC_WRITE) && !(prot & S2PT_W))
		return false;
	if ((access & S2PT_ACC_EXEC) && !s2pt_exec_bits(prot, user))
		return false;
	return true;
}

/* Effective permissions: read and write where both stages allow them,
 * execute per mode (U reported on its own, not folded into XU), and U. */
static uint32_t s2pt_combine(unsigned s1_flags, uint32_t s1, unsigned s2_flags, uint32_t s2)
{
	uint32_t p = s1 & s2 & (S2PT_R | S2PT_W);
	uint32_t xu = S2PT_ACC_EXEC | S2PT_ACC_USER, xs = S2PT_ACC_EXEC;
	bool u = s2pt_s1_access_ok(s1_flags, s1 | S2PT_U, xu) &&
		 s2pt_s2_access_ok(s2_flags, s2, xu, s1_flags, s1);
	bool k = s2pt_s1_access_ok(s1_flags, s1, xs) &&
		 s2pt_s2_access_ok(s2_flags, s2, xs, s1_flags, s1);

	p |= u && k ? S2PT_X : u ? S2PT_XU : k ? S2PT_XS : 0;
	return p | (s1 & S2PT_U);
}

/*
 * Translate @gpa through the guest's second stage for @access; a table
 * fetch (@in_walk) needs read. Sets out->hpa, and on the final access the
 * stage-2 leaf and the effective permissions. Return: 0 or -EFAULT.
 */
int s2pt_xlate_s2(const struct s2pt_guest *g, uint64_t gpa, uint32_t access,
		  unsigned s1_flags, bool in_walk, struct s2pt_xlate *out)
{
	unsigned s2_flags = g->s2 ? g->s2->fmt->desc->flags : 0;
	struct s2pt_leaf leaf;
	int level = 0, ret;

	/* EPT with A/D on treats guest paging-structure reads as writes
	 * (SDM 3C 29.3.3.2) */
	if (in_walk && (s2_flags & S2PT_FMT_OPT_AD) && (g->s2->flags & S2PT_OPT_AD))
		access |= S2PT_ACC_WRITE;
	if (!g->s2) {
		leaf.oa = gpa;
		leaf.size = 0;
		leaf.prot = S2PT_R | S2PT_W | S2PT_X;
	} else {
		ret = g->s2->fmt->ops->probe(g->s2, gpa, &leaf, &level);
		/* the entries a hardware walk reads: root level down to @level */
		if (ret != -ERANGE) {
			struct s2pt_info info;

			s2pt_info(g->s2, &info);
			out->reads += info.levels - (unsigned)(ret ? level : (int)leaf.level);
		}
		if (ret) {
			out->fault_in_walk = in_walk;
			return s2pt_xlate_fault(out, 2, ret == -ERANGE ? S2PT_XF_RANGE :
						S2PT_XF_NOT_PRESENT, level, gpa);
		}
		level = (int)leaf.level;
	}
	if (!s2pt_s2_access_ok(s2_flags, leaf.prot, access, s1_flags, out->s1_prot)) {
		out->fault_in_walk = in_walk;
		return s2pt_xlate_fault(out, 2, S2PT_XF_PERMISSION, level, gpa);
	}
	out->hpa = leaf.oa;
	if (!in_walk) {
		out->s2_size = leaf.size;
		out->s2_prot = leaf.prot;
		out->prot = s2pt_combine(s1_flags, out->s1_prot, s2_flags, leaf.prot);
	}
	return 0;
}

int s2pt_translate(const struct s2pt_guest *g, uint64_t gva, uint32_t access,
		   struct s2pt_xlate *out)
{
	int ret;

	if (!g || !out || g->sz < sizeof(*g) || !g->hpa_to_va ||
	    (access & ~(S2PT_ACC_READ | S2PT_ACC_WRITE | S2PT_ACC_EXEC | S2PT_ACC_USER)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	/* the guest's own tables are not ours to free; the second stage's are */
	if (g->s2)
		s2pt_rcu_lock(g->s2);
	if (g->s1) {
		ret = g->s1->ops->xlate(g, gva, access, out);
	} else {
		/* no first stage: the gva is the gpa, with every first-stage right */
		out->gpa = gva;
		out->s1_prot = S2PT_R | S2PT_W | S2PT_X | S2PT_U;
		ret = s2pt_xlate_s2(g, gva, access, 0, false, out);
	}
	if (g->s2)
		s2pt_rcu_unlock(g->s2);
	return ret;
}
