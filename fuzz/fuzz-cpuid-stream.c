/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the reader of Xen saved images and migration streams
 * (xl, libxl, libxc layers; the CPUID and MSR policy records), from
 * memory and from a file descriptor with a sniffed head, which must agree;
 * a policy read must restore onto itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpuid-stream.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, f = CPUID_DATA_INIT;
	struct cpuid_stream_info info;
	struct cpuid_restore r;
	int rc, rf = -1, fd;

	rc = cpuid_parse_stream(data, size, "fuzz", &c, &info, &d);
	if (rc == 0 && (!cpuid_restore_check(&c, &c, &r) || info.stop > size))
		abort();
	fd = memfd_create("fuzz", 0);
	if (fd >= 0) {
		size_t head = size ? data[size - 1] % (size + 1) : 0;

		if (write(fd, data, size) == (ssize_t)size && lseek(fd, (off_t)head, SEEK_SET) == (off_t)head)
			rf = cpuid_read_stream_fd(fd, data, head, "fuzz", &f, NULL, &d);
		close(fd);
		if ((rf == 0) != (rc == 0) || (rc == 0 && !cpuid_data_equal(&c, &f)))
			abort();	/* memory and file must agree */
	}
	cpuid_data_release(&c);
	cpuid_data_release(&f);
	hv_diags_release(&d);
	return 0;
}
