/* SPDX-License-Identifier: MIT */
/* libFuzzer target: archives read into a memory root, then every probe. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"
#include "rootfs.h"

/*
 * The bytes are an archive (any format libarchive reads).  A memfd gives
 * it a path without touching the disk.  Whatever loads is then probed, so
 * the archive layer and the sysfs probes see hostile trees: links that
 * loop or climb out, files where directories belong, huge entries.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	char path[64];
	struct hv_root *mem;
	struct hv_diags d = HV_DIAGS_INIT;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mem = hv_root_new_mem();
	if (hv_root_load_archive(mem, path, &d) == 0) {
		struct topo *t = topo_new();
		struct probe_ctx pc = { .root = mem, .t = t, .d = &d };

		(void)probe_all(&pc);
		topo_free(t);
	}
	hv_root_free(mem);
	hv_diags_release(&d);
	close(fd);
	return 0;
}
