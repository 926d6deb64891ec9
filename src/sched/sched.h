/* SPDX-License-Identifier: MIT */
/* Internal interface between the `hvkit sched` subcommand files. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "policy.h"

/* Reads and parses CONF, printing "file:line:col: reason" on error.
 * Returns 0 or a negative errno (already logged). */
int sched_load_policy(const char *path, struct sched_policy *ret);
/* "1s", "500ms", "0.25s", "2" (s): 10 ms .. 1 h.  -EINVAL otherwise. */
int sched_parse_tick(const char *s, int64_t *ret_ns);

/* The text of 'hvkit sched --help', which every verb's --help prints. */
void sched_usage(FILE *f);
int sched_cmd_run(int argc, char **argv, struct hv_global *g);
int sched_cmd_simulate(int argc, char **argv, struct hv_global *g);

#define SCHED_DEFAULT_STATE "/var/lib/hvkit/sched.state"
