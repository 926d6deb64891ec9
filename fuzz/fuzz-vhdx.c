/* SPDX-License-Identifier: MIT */
/* libFuzzer target: VHDX headers, region tables, metadata and the BAT.
 * A VHDX is megabytes of zeros around a few kilobytes of structure, so
 * the input is a list of patches laid on an empty (sparse) file: each is
 * a little-endian u32 offset, a u16 length and that many bytes; offsets
 * past 64 MiB are dropped.  fuzz/corpus/vhdx holds qemu-img's VHDXs in
 * this form (fuzz/vhdx-patches.py makes them). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-img.h"

#define FUZZ_VHDX_MAX_OFFSET (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum img_format fmts[] = { IMG_VHDX };
	int fd = memfd_create("fuzz-vhdx", MFD_CLOEXEC);
	size_t i = 0;

	if (fd < 0)
		return 0;
	while (i + 6 <= size) {
		uint32_t off = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
			       (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
		size_t len = (size_t)data[i + 4] | (size_t)data[i + 5] << 8;

		i += 6;
		if (len > size - i)
			len = size - i;
		if (off < FUZZ_VHDX_MAX_OFFSET &&
		    pwrite(fd, data + i, len, off) != (ssize_t)len)
			break;
		i += len;
	}
	fuzz_img_walk(fd, fmts, 1);
	close(fd);
	return 0;
}
