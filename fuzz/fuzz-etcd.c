/* SPDX-License-Identifier: MIT */
/* libFuzzer target: bytes as an etcd JSON gateway reply of each kind the
 * daemon reads (etcd_reply_parse: range, txn, lease grant and keepalive),
 * then each decoded value as a pool record (a one-guest state). */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sched/etcd.h"
#include "sched/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum etcd_reply_kind kinds[] = { ETCD_RANGE, ETCD_TXN, ETCD_GRANT,
						      ETCD_KEEPALIVE, ETCD_EMPTY,
						      ETCD_TIMETOLIVE };
	char err[256];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct etcd_reply r;
		if (etcd_reply_parse(kinds[k], (const char *)data, size, &r, err, sizeof(err)) < 0)
			continue;
		for (size_t i = 0; i < r.n; i++) {
			struct sched_state st;
			struct hv_diags d = HV_DIAGS_INIT;
			if (sched_state_parse(r.kvs[i].value, r.kvs[i].vlen, &st, &d) == 0)
				sched_state_release(&st);
			hv_diags_release(&d);
		}
		etcd_reply_release(&r);
	}
	return 0;
}
