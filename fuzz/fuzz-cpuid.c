/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the CPUID dump readers (text, libvirt XML), the
 * decoder and the dump writer, which must read back what it wrote; the
 * input also as /proc/cpuinfo against the CPU it parsed to (views). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-source.h"
#include "cpuid-views.h"
#include "diag.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, back = CPUID_DATA_INIT;
	struct cpuid_summary s;
	struct cpuid_report r;
	struct strbuf sb = STRBUF_INIT;

	if (cpuid_parse_any((const char *)data, size, "fuzz", &c, &d) == 0) {
		cpuid_summarize(&c, &s);
		cpuid_decode(&c, CPUID_NAMES_LINUX, &r);
		cpuid_report_release(&r);
		cpuid_dump(&c, &sb);
		if (cpuid_parse_text(sb.buf, sb.len, "dump", &back, &d) != 0 ||
		    !cpuid_data_equal(&c, &back))
			abort();	/* the dump must round-trip */
	}
	{
		struct cpuid_views v = CPUID_VIEWS_INIT;

		cpuid_views_cpuinfo(&c, (const char *)data, size, &v);
		free(cpuid_views_what(&v));
		cpuid_views_release(&v);
	}
	cpuid_data_release(&back);
	cpuid_data_release(&c);
	(void)cpuid_parse_text((const char *)data, size, "fuzz", &c, &d);
	cpuid_data_release(&c);
	strbuf_release(&sb);
	hv_diags_release(&d);
	return 0;
}
