/* SPDX-License-Identifier: MIT */
/* libFuzzer target: sysfs and procfs text through every probe, then
 * topo where. */
#include <stdint.h>
#include <string.h>

#include "probe.h"
#include "rootfs.h"
#include "where.h"

/* topo where over whatever the probes made of the input: every lookup
 * form, and both renderings of what is found. */
static void where_all(const struct topo *t)
{
	static const char *const names[] = {
		"eth0", "sda", "0000:00:01.0", "00:00.0", "pci=0000:01:00.0",
		"0000:00", "node0", "numa:1", "/dev/nvme0n1", "x",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct where w = WHERE_INIT;
		struct hv_diags d = HV_DIAGS_INIT;
		struct strbuf out = STRBUF_INIT;

		if (topo_where(t, names[i], &w, &d) == 0) {
			where_render_text(&w, &out);
			where_render_json(&w, false, &out);
		}
		strbuf_release(&out);
		where_release(&w);
		hv_diags_release(&d);
	}
}

/*
 * The input is a list of entries "PATH\nCONTENT\0": each becomes a file
 * of a memory root ("PATH -> TARGET" makes a link instead), and then all
 * probes run over it.  A seed corpus of real trees, written this way,
 * lets the fuzzer mutate the CPU lists, masks, cache sizes, distances and
 * meminfo text that a snapshot or a sysroot can hold.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_root *mem = hv_root_new_mem();
	struct hv_diags d = HV_DIAGS_INIT;
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		const char *stop = nul ? nul : end;
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		char path[256];

		if (nl && (size_t)(nl - p) < sizeof(path) && *p == '/') {
			memcpy(path, p, (size_t)(nl - p));
			path[nl - p] = 0;
			char *arrow = strstr(path, " -> ");

			if (arrow) {
				*arrow = 0;
				(void)hv_root_add_link(mem, path, arrow + 4);
			} else {
				(void)hv_root_add_file(mem, path, nl + 1,
						       (size_t)(stop - nl - 1));
			}
		}
		p = stop + 1;
	}
	struct topo *t = topo_new();
	struct probe_ctx pc = { .root = mem, .t = t, .d = &d };
	(void)probe_all(&pc);
	where_all(t);
	topo_free(t);
	hv_root_free(mem);
	hv_diags_release(&d);
	return 0;
}
