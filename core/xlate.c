// SPDX-License-Identifier: MIT
/*
 * s2pt_translate(): the stage-2 half and the access rules; the first-stage
 * walk is instantiated per format (core/xlate.h).
 */
#include <string.h>
#include "core/pt.h"

#define EXEC_BITS (S2PT_X | S2PT_XU | S2PT_XS)

int s2pt_xlate_fault(struct s2pt_xlate *out, unsigned stage, unsigned kind, int level,
		     uint64_t addr)
{
	out->fault_stage = stage;
	out->fault_kind = kind;
	out->fault_level = level;
	out->fault_addr = addr;
	return -EFAULT;
}

/* Execute as the mode of @access sees @prot: X means both modes. */
static bool s2pt_exec_ok(uint32_t prot, uint32_t access)
{
	return prot & (S2PT_X | ((access & S2PT_ACC_USER) ? S2PT_XU : S2PT_XS));
}

bool s2pt_access_ok(uint32_t prot, uint32_t access, bool first_stage)
{
	if ((access & S2PT_ACC_READ) && !(prot & S2PT_R))
		return false;
	if ((access & S2PT_ACC_WRITE) && !(prot & S2PT_W))
		return false;
	if ((access & S2PT_ACC_EXEC) && !s2pt_exec_ok(prot, access))
		return false;
	if (first_stage && (access & S2PT_ACC_USER) && !(prot & S2PT_U))
		return false;
	return true;
}

/* Effective permissions: both stages allow it, per execute mode. */
static uint32_t s2pt_combine(uint32_t s1, uint32_t s2)
{
	uint32_t p = s1 & s2 & (S2PT_R | S2PT_W);
	bool xu = s2pt_exec_ok(s1, S2PT_ACC_USER) && s2pt_exec_ok(s2, S2PT_ACC_USER);
	bool xs = s2pt_exec_ok(s1, 0) && s2pt_exec_ok(s2, 0);

	p |= xu && xs ? S2PT_X : xu ? S2PT_XU : xs ? S2PT_XS : 0;
	return p | (s1 & (S2PT_U | S2PT_G));
}

/*
 * Translate @gpa through the guest's second stage for @access; a table
 * fetch (@in_walk) needs read. Sets out->hpa, and on the final access the
 * stage-2 leaf and the effective permissions. Return: 0 or -EFAULT.
 */
int s2pt_xlate_s2(const struct s2pt_guest *g, uint64_t gpa, uint32_t access, bool in_walk,
		  struct s2pt_xlate *out)
{
	struct s2pt_leaf leaf;
	int level = 0, ret;

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
	if (!s2pt_access_ok(leaf.prot, access, false)) {
		out->fault_in_walk = in_walk;
		return s2pt_xlate_fault(out, 2, S2PT_XF_PERMISSION, level, gpa);
	}
	out->hpa = leaf.oa;
	if (!in_walk) {
		out->s2_size = leaf.size;
		out->s2_prot = leaf.prot;
		out->prot = s2pt_combine(out->s1_prot, leaf.prot);
	}
	return 0;
}

int s2pt_translate(const struct s2pt_guest *g, uint64_t gva, uint32_t access,
		   struct s2pt_xlate *out)
{
	if (!g || !out || g->sz < sizeof(*g) || !g->hpa_to_va ||
	    (access & ~(S2PT_ACC_READ | S2PT_ACC_WRITE | S2PT_ACC_EXEC | S2PT_ACC_USER)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (g->s1)
		return g->s1->ops->xlate(g, gva, access, out);
	/* no first stage: the gva is the gpa, with every first-stage right */
	out->gpa = gva;
	out->s1_prot = S2PT_R | S2PT_W | S2PT_X | S2PT_U;
	return s2pt_xlate_s2(g, gva, access, false, out);
}
