/* SPDX-License-Identifier: MIT */
/* The disk-image fuzz targets' shared walk: open the bytes as each
 * format, walk every extent and read the data ones (at most
 * FUZZ_READ_MAX bytes, so that a header claiming a huge disk of holes
 * cannot make one run slow). */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include "img.h"

#define FUZZ_READ_MAX (8u << 20)

static inline void fuzz_img_walk(int fd, const enum img_format *fmts, size_t n)
{
	uint8_t *buf = malloc(65536);

	for (size_t f = 0; buf && f < n; f++) {
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
					size_t k = len < 65536 ? (size_t)len : 65536;
					if (in->ops->read(in, buf, k, off) < 0)
						break;
					budget -= k < budget ? k : budget;
					off += k;
				} else {
					off += len;
				}
			}
			img_in_free(in);
		}
		hv_diags_release(&d);
	}
	free(buf);
}
