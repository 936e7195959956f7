/* SPDX-License-Identifier: MIT */
/* Guest runtime, ring-3 part: port I/O (IOPL 3), serial output, atomics. */
#ifndef S2VMM_RT_H
#define S2VMM_RT_H

#include "abi.h"

typedef volatile uint64_t vu64;
typedef volatile uint32_t vu32;

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void putc_(char c)
{
	outb(ABI_PORT_SERIAL, (uint8_t)c);
}

static inline void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static inline void putu(uint64_t v)
{
	char b[24];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while (v /= 10);
	while (i)
		putc_(b[--i]);
}

static inline void putx(uint64_t v)
{
	puts_("0x");
	for (int s = 60; s >= 0; s -= 4)
		if ((v >> s) || !s)
			putc_("0123456789abcdef"[(v >> s) & 15]);
}

/* Everyone here: count @b->arrived up and wait for @n arrivals. */
static inline void barrier(struct abi_boot *b, uint32_t n)
{
	__atomic_fetch_add(&b->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&b->arrived, __ATOMIC_ACQUIRE) < n)
		cpu_relax();
}

static inline __attribute__((noreturn)) void vm_exit(uint32_t status)
{
	outl(ABI_PORT_EXIT, status);
	for (;;)
		cpu_relax();
}

int guest_main(int cpu, struct abi_boot *b);

#endif /* S2VMM_RT_H */
