/* SPDX-License-Identifier: MIT */
/* libFuzzer target: hwloc-gather-cpuid puN files, then the CPUID topology. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "cpuid-topo.h"

#define MAX_PUS 64

/*
 * The input is up to MAX_PUS puN files separated by NUL bytes (PU N is
 * the Nth).  Each is parsed as hwloc's format; the PUs that parse are
 * decoded together, so that mutated registers reach every leaf decoder,
 * the cache-id quirks and the grouping (shifts by register fields,
 * divisions by sharing counts, hybrid kinds, duplicate APIC ids).
 * The seed corpus (fuzz/corpus/cpuid-pu/) is four PUs of ten of the
 * machines in tests/data/hwloc-x86/ (hwloc's tests, BSD-3-Clause).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpuid_data cd[MAX_PUS];
	struct topo_cpuid_pu pus[MAX_PUS];
	struct hv_diags d = HV_DIAGS_INIT;
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0;
	unsigned idx = 0;

	while (p < end && idx < MAX_PUS) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		const char *stop = nul ? nul : end;

		if (cpuid_parse_hwloc(p, (size_t)(stop - p), "pu", &cd[n], &d) == 0) {
			pus[n].os_index = idx;
			pus[n].c = &cd[n];
			n++;
		}
		(void)cpuid_looks_like_hwloc(p, (size_t)(stop - p));
		idx++;
		p = stop + 1;
	}
	if (n) {
		struct topo_obj **objs = NULL;
		size_t nobjs = 0;

		if (topo_cpuid_decode(pus, n, &objs, &nobjs, &d) == 0) {
			struct topo_obj *root = topo_obj_new(TOPO_MACHINE, -1);

			topo_build_cpu_tree(root, objs, nobjs, &d);
			topo_obj_free(root);
			free(objs);
		}
	}
	for (size_t i = 0; i < n; i++)
		cpuid_data_release(&cd[i]);
	hv_diags_release(&d);
	return 0;
}
