/* SPDX-License-Identifier: MIT */
/* The four tools, as main() in hvkit.c calls them (common/cli.h has what
 * they are handed). */
#pragma once

#include "cli.h"

int cmd_topo(int argc, char **argv, struct hv_global *g);
int cmd_cpuid(int argc, char **argv, struct hv_global *g);
int cmd_sched(int argc, char **argv, struct hv_global *g);
int cmd_move(int argc, char **argv, struct hv_global *g);
