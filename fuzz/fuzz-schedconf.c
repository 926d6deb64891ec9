/* SPDX-License-Identifier: MIT */
/* libFuzzer target: bytes to sched_policy_parse() (hvkit-sched.conf(5))
 * and to sched_state_parse() (the daemon's state file). */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sched/engine.h"
#include "sched/policy.h"
#include "sched/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct sched_policy p;
	struct sched_state st;

	if (sched_policy_parse("fuzz", (const char *)data, size, &p, &d) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			struct sched_acct a;
			sched_acct_init(&a, &p.v[i]);
			(void)sched_acct_step(&a, &p.v[i], 1000000000LL, 0, 0, 1000000000LL, NULL);
			(void)sched_acct_step(&a, &p.v[i], 2000000000LL, 600, 1500000000ULL, 1000000000LL, NULL);
			sched_acct_release(&a);
		}
		sched_policy_release(&p);
	}
	if (sched_state_parse((const char *)data, size, &st, &d) == 0)
		sched_state_release(&st);
	hv_diags_release(&d);
	return 0;
}
