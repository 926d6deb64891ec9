/* SPDX-License-Identifier: MIT */
/* libFuzzer target: XVA archives (tar, gzip, ova.xml, chunks and their
 * checksums), read into a writer that throws the disk away. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xva.h"

static int null_write(struct img_out *out, uint64_t off, const void *buf, size_t len)
{
	(void)out;
	(void)off;
	(void)buf;
	(void)len;
	return 0;
}

static int null_finish(struct img_out *out)
{
	(void)out;
	return 0;
}

static const struct img_out_ops null_ops = { .write = null_write, .finish = null_finish };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-xva", MFD_CLOEXEC);
	struct hv_diags d = HV_DIAGS_INIT;
	struct xva_in *x = NULL;
	struct mv_vm vm;

	mv_vm_init(&vm);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	if (xva_in_open(fd, &d, &vm, &x) == 0 && vm.ndisks) {
		/* Cap the size so that holes cost nothing measurable. */
		uint64_t sz = vm.disks[0].size < (64u << 20) ? vm.disks[0].size : (64u << 20);
		struct img_out out = { .ops = &null_ops, .unit = XVA_CHUNK, .size = sz };
		uint64_t unverified;

		(void)xva_in_copy(x, vm.disks[0].ref, sz, &out, NULL, NULL, &unverified);
	}
out:
	xva_in_free(x);
	mv_vm_release(&vm);
	hv_diags_release(&d);
	if (fd >= 0)
		close(fd);
	return 0;
}
