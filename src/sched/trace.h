/* SPDX-License-Identifier: MIT */
/* The demand trace of `hvkit sched simulate CONF TRACE` (hvkit-sched(1)):
 * CSV rows "time,guest,usage" (seconds, a guest of the policy, CPUs or
 * percent), in time order; blank lines and '#' comments skipped, an
 * optional "time,..." header. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "policy.h"

#define SCHED_TRACE_MAX_ROWS 10000000

struct sched_trace_row {
	double t;
	size_t guest;		/* index into the policy */
	double cpus;		/* demand from t on */
};

/*
 * Reads every row of f (untrusted: lines of at most 1022 bytes, at most
 * SCHED_TRACE_MAX_ROWS rows, each field checked).  Returns 0 with the rows
 * in *ret (free() them) and their count (at least 1) in *ret_n, or -EINVAL
 * with one "PATH:LINE: reason" in *d.
 */
int sched_trace_read(FILE *f, const char *path, const struct sched_policy *p,
		     struct sched_trace_row **ret, size_t *ret_n, struct hv_diags *d);
