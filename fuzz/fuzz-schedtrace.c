/* SPDX-License-Identifier: MIT */
/* libFuzzer target: bytes as the demand trace of `hvkit sched simulate`
 * (sched_trace_read, through fmemopen as simulate reads a file), for a
 * policy of two guests, web1 and build. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sched/policy.h"
#include "sched/trace.h"

static const char conf[] =
	"guest web1 (cgroup:/web1) { burst 100% for 5m per 1h, then cap 20% }\n"
	"guest build (cgroup:/build) { cap 150% }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sched_policy p;
	static int ready;
	struct hv_diags d = HV_DIAGS_INIT;
	struct sched_trace_row *rows = NULL;
	size_t n = 0;

	if (!ready) {
		if (sched_policy_parse("fuzz.conf", conf, strlen(conf), &p, &d) < 0)
			abort();
		ready = 1;
	}
	/* fmemopen() of 0 bytes fails: an empty trace is one byte of nothing. */
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	FILE *f = fmemopen(copy, size ? size : 1, "r");
	if (f) {
		if (!size)
			(void)fgetc(f);
		if (sched_trace_read(f, "fuzz.csv", &p, &rows, &n, &d) == 0) {
			/* Every row names a guest of the policy, in time order. */
			for (size_t i = 0; i < n; i++)
				if (rows[i].guest >= p.n || (i && rows[i].t < rows[i - 1].t) ||
				    !(rows[i].cpus >= 0 && rows[i].cpus <= 1000))
					abort();
			free(rows);
		}
		fclose(f);
	}
	free(copy);
	hv_diags_release(&d);
	return 0;
}
