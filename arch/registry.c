// SPDX-License-Identifier: MIT
/* Formats by name, for tools and tests. */
#include <string.h>
#include "core/fmt.h"

/* Every format the library has, in the order DESIGN.md lists them. */
static const struct s2pt_fmt *const s2pt_formats[] = {
	&s2pt_fmt_x86_64,
	&s2pt_fmt_x86_64_la57,
	&s2pt_fmt_arm64_4k,
	&s2pt_fmt_sv39,
	&s2pt_fmt_sv48,
	&s2pt_fmt_sv57,
	&s2pt_fmt_la64,
	&s2pt_fmt_ept4,
	&s2pt_fmt_ept5,
	&s2pt_fmt_npt,
	&s2pt_fmt_arm64_s2,
	&s2pt_fmt_sv39x4,
	&s2pt_fmt_sv48x4,
	&s2pt_fmt_sv57x4,
	&s2pt_fmt_lvz,
};

#define NFMT (sizeof(s2pt_formats) / sizeof(s2pt_formats[0]))

const struct s2pt_fmt *s2pt_fmt_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NFMT; i++)
		if (!strcmp(s2pt_formats[i]->name, name))
			return s2pt_formats[i];
	return NULL;
}

const char *s2pt_fmt_name(const struct s2pt_fmt *fmt)
{
	return fmt ? fmt->name : NULL;
}

const struct s2pt_fmt *s2pt_fmt_next(const struct s2pt_fmt *prev)
{
	size_t i = 0;

	if (prev) {
		while (i < NFMT && s2pt_formats[i] != prev)
			i++;
		i++;
	}
	return i < NFMT ? s2pt_formats[i] : NULL;
}
