/* SPDX-License-Identifier: MIT */
/* What main() hands every subcommand. */
#pragma once

#include <stdbool.h>

/* Options given before the subcommand name; each tool may take them
 * after its name too. */
struct hv_global {
	bool json;
	bool json_pretty;
	const char *sysroot;
	int verbose;
};

enum hv_cmd_flags {
	HV_CMD_NEEDS_ROOT = 1 << 0,	/* refuse early when not root */
	HV_CMD_NEEDS_XEN = 1 << 1,	/* refuse when built without libxl */
};

/*
 * --json[=pretty], the same for every subcommand: sets *json (and *pretty
 * for "pretty"), or says what is wrong and returns EXIT_USAGE (2).
 */
int hv_json_opt(const char *arg, bool *json, bool *pretty);

/*
 * After getopt's own one line about a bad option or a missing value: a
 * hint ("see 'hvkit topo --help'") instead of the whole help, as git
 * does.  cmd is "topo", "move show", or NULL for hvkit itself.  Returns
 * EXIT_USAGE (2).
 */
int hv_usage_hint(const char *cmd);

/* A subcommand: returns an exit code (0, 1 or 2). */
typedef int (*hv_cmd_fn)(int argc, char **argv, struct hv_global *g);
