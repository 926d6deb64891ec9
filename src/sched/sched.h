/* SPDX-License-Identifier: MIT */
/* Internal interface between the `hvkit sched` subcommand files. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "policy.h"

/* The text of 'hvkit sched --help', which every verb's --help prints. */
void sched_usage(FILE *f);
int sched_cmd_run(int argc, char **argv, struct hv_global *g);
int sched_cmd_simulate(int argc, char **argv, struct hv_global *g);

#define SCHED_DEFAULT_STATE "/var/lib/hvkit/sched.state"
