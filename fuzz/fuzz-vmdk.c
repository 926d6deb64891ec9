/* SPDX-License-Identifier: MIT */
/* libFuzzer target: VMDK hosted sparse extents (monolithicSparse and
 * streamOptimized: header, footer, grain directory and tables, grain
 * markers, deflated grains) and descriptor files (without a directory,
 * so extent files are refused, never opened). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum img_format fmts[] = { IMG_VMDK };
	int fd = memfd_create("fuzz-vmdk", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, data, size) == (ssize_t)size)
		fuzz_img_walk(fd, fmts, 1);
	if (fd >= 0)
		close(fd);
	return 0;
}
