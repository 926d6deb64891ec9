/* SPDX-License-Identifier: MIT */
/* libFuzzer target: raw bytes to pcicfg_decode(), and as text to pcidump_parse(). */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "pcicfg.h"
#include "pcidump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct pcidump p;
	struct pcicfg c;

	(void)pcicfg_decode(data, size, &c, &d);
	(void)pcidump_sniff((const char *)data, size);
	if (pcidump_parse((const char *)data, size, &p, &d) == 0) {
		for (size_t i = 0; i < p.n; i++)
			(void)pcicfg_decode(p.v[i].cfg, p.v[i].len, &c, &d);
		pcidump_release(&p);
	}
	hv_diags_release(&d);
	return 0;
}
