// SPDX-License-Identifier: MIT
/* Freestanding output helpers for the bare-metal checkers (see bm.h). */
#include "bm.h"

static char line[512];
static unsigned line_len, holding, npass, nfail;

void bm_putc(char c)
{
	if (!holding) {
		bm_raw_putc(c);
		return;
	}
	if (line_len < sizeof(line) - 1)
		line[line_len++] = c;
}

void bm_puts(const char *s)
{
	while (*s)
		bm_putc(*s++);
}

void bm_hex(uint64_t v)
{
	int i = 60;

	bm_puts("0x");
	while (i > 0 && !((v >> i) & 0xf))
		i -= 4;
	for (; i >= 0; i -= 4)
		bm_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

void bm_dec(uint64_t v)
{
	char b[24];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		bm_putc(b[--n]);
}

static const char *acc_name(uint32_t a)
{
	static const char *const n[] = { "?", "R", "W", "X" };
	uint32_t k = a & ORC_ACC_MASK;

	return k < 4 ? n[k] : "?";
}

void bm_vec_begin(const struct orc_cfg *c, uint32_t i)
{
	const struct orc_vec *v = &c->vec[i];

	holding = 1;
	line_len = 0;
	bm_puts(c->scenario);
	bm_puts(" #");
	bm_dec(i);
	bm_putc(' ');
	bm_puts(v->name);
	bm_puts((v->access & ORC_VIA_MASK) == ORC_VIA_GUEST ? " guest-" : " probe-");
	bm_puts(acc_name(v->access));
	bm_puts(" ia=");
	bm_hex(v->ia);
}

void bm_vec_end(int pass)
{
	holding = 0;
	bm_puts(pass ? "PASS " : "FAIL ");
	for (unsigned i = 0; i < line_len; i++)
		bm_putc(line[i]);
	bm_putc('\n');
	pass ? npass++ : nfail++;
}

void bm_summary(const char *target)
{
	bm_puts(target);
	bm_puts(": ");
	bm_dec(npass);
	bm_puts(" passed, ");
	bm_dec(nfail);
	bm_puts(" failed\nORACLE-DONE\n");
}

int bm_cfg_check(const struct orc_cfg *c)
{
	if (c->magic != ORC_MAGIC || c->version != ORC_VERSION) {
		bm_puts("FAIL config block: bad magic or version\n");
		return -1;
	}
	return 0;
}

void *bm_memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}
