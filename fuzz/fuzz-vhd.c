/* SPDX-License-Identifier: MIT */
/* libFuzzer target: VHD footer, dynamic header, BAT and sector bitmaps
 * (and qcow2 headers, tables and the metadata overlap checks, probed
 * from the same bytes). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum img_format fmts[] = { IMG_VHD_DYNAMIC, IMG_QCOW2 };
	int fd = memfd_create("fuzz-vhd", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, data, size) == (ssize_t)size)
		fuzz_img_walk(fd, fmts, 2);
	if (fd >= 0)
		close(fd);
	return 0;
}
