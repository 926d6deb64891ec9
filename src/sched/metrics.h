/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition of the daemon's state (hvkit-sched(1),
 * METRICS): `hvkit sched status --prometheus` and `run --metrics-file`. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "strbuf.h"

/*
 * Appends every metric of st, with HELP and TYPE lines, to out.  Budgets
 * left and refill times are computed for now_ns (wall clock); updated_ns
 * is when the other numbers were taken (the tick, or the save).  Guests
 * are labelled guest="NAME",selector="KIND:SEL".
 */
void sched_metrics_format(const struct sched_state *st, int64_t now_ns, int64_t updated_ns,
			  struct strbuf *out);

/*
 * Replaces path with text atomically (a temporary file beside it, then
 * rename; no fsync: it is rewritten every tick).  Returns 0 or -errno.
 */
int sched_metrics_write(const char *path, const char *text, size_t len);
