/* SPDX-License-Identifier: MIT */
/* libFuzzer target: VHD footer, dynamic header, BAT and sector bitmaps
 * (and qcow2 headers and tables, probed from the same bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "img.h"

/* At most this much guest data is read per input, so that a footer
 * claiming a huge disk of holes cannot make one run slow. */
#define FUZZ_READ_MAX (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum img_format fmts[] = { IMG_VHD_DYNAMIC, IMG_QCOW2 };
	int fd = memfd_create("fuzz-vhd", MFD_CLOEXEC);
	uint8_t *buf = malloc(65536);

	if (fd < 0 || !buf || write(fd, data, size) != (ssize_t)size)
		goto out;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct img_in *in = NULL;
		uint64_t budget = FUZZ_READ_MAX;

		if (img_open(fd, fmts[f], &d, &in) == 0) {
			for (uint64_t off = 0; off < in->size && budget;) {
				uint64_t len;
				bool is_data;

				if (in->ops->extent(in, off, in->size - off, &len, &is_data) < 0 || !len)
					break;
				if (is_data) {
					size_t n = len < 65536 ? (size_t)len : 65536;
					if (in->ops->read(in, buf, n, off) < 0)
						break;
					budget -= n < budget ? n : budget;
					off += n;
				} else {
					off += len;
				}
			}
			img_in_free(in);
		}
		hv_diags_release(&d);
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return 0;
}
