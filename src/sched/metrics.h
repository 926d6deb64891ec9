/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition of the daemon's state (hvkit-sched(1),
 * METRICS): `hvkit sched status --prometheus` and `run --metrics-file`. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "strbuf.h"

/*
 * Appends every metric of st, as of now_ns (wall clock; budgets left and
 * refill times are computed for that moment), with HELP and TYPE lines,
 * to out.  Guests are labelled guest="NAME",selector="KIND:SEL".
 */
void sched_metrics_format(const struct sched_state *st, int64_t now_ns, struct strbuf *out);

/*
 * Replaces path with text atomically (a temporary file beside it, then
 * rename; no fsync: it is rewritten every tick).  Returns 0 or -errno.
 */
int sched_metrics_write(const char *path, const char *text, size_t len);
