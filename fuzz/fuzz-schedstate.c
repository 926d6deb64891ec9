/* SPDX-License-Identifier: MIT */
/* libFuzzer target: bytes to sched_state_parse() (the daemon's state file,
 * which `run` and `status` read back), then what `status` and the metrics
 * compute from a state that parsed.  The input is tried as it is (the
 * checksum gate) and with a correct "end xxh64" line appended, so that the
 * version 2 body parser is reached too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "diag.h"
#include "strbuf.h"
#include "sched/engine.h"
#include "sched/metrics.h"
#include "sched/policy.h"
#include "sched/state.h"

static void use(const struct sched_state *st)
{
	struct strbuf out = STRBUF_INIT;
	int64_t now = st->saved_ns + 1000000000LL;

	for (size_t i = 0; i < st->n; i++) {
		const struct sched_acct *a = &st->v[i].acct;
		uint32_t full, any;
		(void)sched_acct_left_at(a, now);
		sched_acct_refill(a, now, &full, &any);
	}
	sched_metrics_format(st, now, st->saved_ns, &out);
	sched_state_format(st, &out);
	strbuf_release(&out);
	/* What the daemon does with it: rebase onto a policy, and step. */
	struct sched_guest g = { .name = "g", .kind = SCHED_SEL_CGROUP, .sel = "/g",
				 .has_burst = true,
				 .burst = { .burst_cp = 10000, .floor_cp = 2000, .dur_s = 3,
					    .window_s = 20, .ramp_s = 4 } };
	for (size_t i = 0; i < st->n && i < 4; i++) {
		struct sched_acct *a = &((struct sched_state *)st)->v[i].acct;
		sched_acct_rebase(a, &g);
		a->charge_late = true;
		(void)sched_acct_step(a, &g, a->last_ns + 1000000000LL, 0,
				      a->last_counter_ns + 500000000ULL, 1000000000LL, NULL);
	}
}

static void try(const char *text, size_t len)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct sched_state st;

	if (sched_state_parse(text, len, &st, &d) == 0) {
		use(&st);
		sched_state_release(&st);
	}
	hv_diags_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char end[64];
	char *buf;

	try((const char *)data, size);
	if (size > (1u << 20))
		return 0;
	int n = snprintf(end, sizeof(end), "end xxh64 %016llx\n",
			 (unsigned long long)XXH64(data, size, 0));
	buf = malloc(size + (size_t)n);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + size, end, (size_t)n);
	try(buf, size + (size_t)n);
	free(buf);
	return 0;
}
