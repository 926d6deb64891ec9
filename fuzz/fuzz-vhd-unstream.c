/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a dynamic VHD read as a stream (pull's
 * export_raw_vdi?format=vhd), fed in pieces whose sizes the first byte
 * picks, into a raw writer; the disk size is the footer's (at most
 * 64 MiB, so that a run stays fast). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct img_out out = { .fd = -1, .diags = &d };
	struct vhd_unstream *v = NULL;
	size_t piece;
	int rc;

	if (size < 1 + 56)
		return 0;
	piece = (size_t)1 << (data[0] % 16);
	data++;
	size--;
	out.size = img_be32(data + 52) % (64u << 20) / 512 * 512;
	out.fd = memfd_create("fuzz-vhd-unstream", MFD_CLOEXEC);
	if (out.fd < 0)
		return 0;
	rc = img_out_raw(&out);
	if (rc == 0)
		rc = vhd_unstream_new(&out, out.size, &d, &v);
	for (size_t off = 0; rc == 0 && off < size; off += piece)
		rc = vhd_unstream_feed(v, data + off, size - off < piece ? size - off : piece);
	if (rc == 0)
		rc = vhd_unstream_end(v);
	vhd_unstream_free(v);
	img_out_release(&out);
	close(out.fd);
	hv_diags_release(&d);
	return 0;
}
