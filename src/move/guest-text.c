/* SPDX-License-Identifier: MIT */
/* The guest's own configuration text (see guest-text.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest-text.h"
#include "util.h"

/* The arguments after a kernel line's keyword, or NULL. */
static char *kernel_args(char *line)
{
	static const char *const words[] = { "linux", "linux16", "linuxefi", "kernel", "append" };
	char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t=");

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (n == strlen(words[i]) && strncasecmp(p, words[i], n) == 0)
			return p + n;
	return NULL;
}

void gt_kernel_lines(const char *text, void (*fn)(void *opaque, const char *args), void *opaque)
{
	_cleanup_free_ char *c = xstrdup(text);
	char *save = NULL;

	for (char *l = strtok_r(c, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *args = kernel_args(l);
		if (args)
			fn(opaque, args);
	}
}

void gt_fstab(const char *text, void (*fn)(void *opaque, const char *dev, const char *mnt),
	      void *opaque)
{
	_cleanup_free_ char *c = xstrdup(text);
	char *save = NULL;
	unsigned lines = 0;

	for (char *l = strtok_r(c, "\n", &save); l && lines < GT_FSTAB_LINES;
	     l = strtok_r(NULL, "\n", &save), lines++) {
		char dev[256], mnt[256];
		if (*strstrip(l) == '#' || sscanf(l, "%255s %255s", dev, mnt) != 2)
			continue;
		fn(opaque, dev, mnt);
	}
}
