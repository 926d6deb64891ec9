/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: libvirt's <cpu> reader (virsh capabilities' host CPU,
 * domcapabilities' host-model mode, a bare <cpu>), with the cpu_map built
 * into hvkit.  What it accepts must dump and read back to the same
 * values, and be a feature set the map could name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-source.h"
#include "diag.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, back = CPUID_DATA_INIT;
	struct cpuid_summary s;
	struct strbuf sb = STRBUF_INIT;

	cpuid_source_set_libvirt_map("builtin");
	(void)cpuid_looks_like_libvirt_cpu((const char *)data, size);
	if (cpuid_parse_libvirt_cpu((const char *)data, size, "fuzz", &c, &d) == 0) {
		cpuid_summarize(&c, &s);
		cpuid_dump(&c, &sb);
		if (cpuid_parse_text(sb.buf, sb.len, "dump", &back, &d) != 0 ||
		    !cpuid_data_equal(&c, &back))
			abort();	/* the dump must round-trip */
	}
	cpuid_data_release(&back);
	cpuid_data_release(&c);
	strbuf_release(&sb);
	hv_diags_release(&d);
	return 0;
}
