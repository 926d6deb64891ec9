/* SPDX-License-Identifier: MIT */
/* Option parsing shared by every subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int hv_json_opt(const char *arg, bool *json, bool *pretty)
{
	if (arg && strcmp(arg, "pretty") != 0) {
		log_error("unknown --json style '%s' (only 'pretty')", arg);
		return EXIT_USAGE;
	}
	*json = true;
	*pretty = arg != NULL;
	return 0;
}

int hv_usage_hint(const char *cmd)
{
	fprintf(stderr, "see 'hvkit%s%s --help'\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}
