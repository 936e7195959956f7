// SPDX-License-Identifier: MIT
/* A guest that dies: an invalid opcode in ring 3, which the ring-0 stub
 * reports; s2vmm prints it and exits with 100 + 6. */
#include "rt.h"

int guest_main(int cpu, struct abi_boot *b)
{
	(void)b;
	if (cpu == 0) {
		puts_("guest: about to execute ud2\n");
		__asm__ volatile("ud2");
		puts_("guest: still alive?\n");
	}
	return 0;
}
