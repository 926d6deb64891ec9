/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: /proc/cpuinfo read as a CPU (features only) and as the
 * kernel's view against that CPU.  What the reader accepts must dump and
 * read back to the same values, and hold exactly the features its flags
 * name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-source.h"
#include "cpuid-views.h"
#include "diag.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, back = CPUID_DATA_INIT;
	struct strbuf sb = STRBUF_INIT;

	(void)cpuid_looks_like_cpuinfo(buf, size);
	if (cpuid_parse_cpuinfo(buf, size, "fuzz", &c, &d) == 0) {
		struct cpuid_featureset got, want;
		size_t blen = cpuid_cpuinfo_first(buf, size), n;
		const char *f = cpuid_cpuinfo_field(buf, blen, "flags", &n);
		struct cpuid_views v = CPUID_VIEWS_INIT;

		if (!f)
			abort();	/* accepted without flags */
		(void)cpuid_cpuinfo_flags(f, n, &want);
		cpuid_data_features(&c, &got);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			abort();	/* the CPU is its flags, no more, no less */
		cpuid_dump(&c, &sb);
		if (cpuid_parse_text(sb.buf, sb.len, "dump", &back, &d) != 0 ||
		    !cpuid_data_equal(&c, &back))
			abort();	/* the dump must round-trip */
		cpuid_views_cpuinfo(&c, buf, size, &v);
		free(cpuid_views_what(&v));
		cpuid_views_release(&v);
	}
	cpuid_data_release(&back);
	cpuid_data_release(&c);
	strbuf_release(&sb);
	hv_diags_release(&d);
	return 0;
}
