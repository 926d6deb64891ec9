/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a guest's boot loader configuration and /etc/fstab
 * as read from its disk (the input, split at its first NUL: the boot
 * configuration before, the fstab after). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-text.h"
#include "util.h"

static void on_args(void *opaque, const char *args)
{
	*(size_t *)opaque += strlen(args);
}

static void on_entry(void *opaque, const char *dev, const char *mnt)
{
	*(size_t *)opaque += strlen(dev) + strlen(mnt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	size_t n = 0;

	memcpy(text, data, size);
	text[size] = 0;
	gt_kernel_lines(text, on_args, &n);
	size_t head = strlen(text);
	if (head < size)
		gt_fstab(text + head + 1, on_entry, &n);
	free(text);
	return n == SIZE_MAX;
}
