/* SPDX-License-Identifier: MIT */
/* Option parsing shared by every subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

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

const struct hv_cmd *hv_cmd_find(const struct hv_tool *tool, const char *name)
{
	const struct hv_cmd *found = NULL;
	size_t n = strlen(name), matches = 0;

	for (size_t i = 0; i < tool->ncmds; i++) {
		const char *v = tool->cmds[i].name;

		if (!v)
			continue;
		if (strcmp(v, name) == 0)
			return &tool->cmds[i];
		if (tool->abbrev && n && strncmp(v, name, n) == 0) {
			found = &tool->cmds[i];
			matches++;
		}
	}
	return matches == 1 ? found : NULL;
}

/* "unknown sched command 'x' (check, run, status or simulate); see ..." */
static int unknown_verb(const struct hv_tool *tool, const char *name)
{
	struct strbuf names = STRBUF_INIT;
	_cleanup_free_ char *shown = str_printable(xstrdup(name), false);
	size_t n = 0, k = 0;

	for (size_t i = 0; i < tool->ncmds; i++)
		n += tool->cmds[i].name != NULL;
	for (size_t i = 0; i < tool->ncmds; i++) {
		if (!tool->cmds[i].name)
			continue;
		if (k++)
			strbuf_adds(&names, k == n ? " or " : ", ");
		strbuf_adds(&names, tool->cmds[i].name);
	}
	log_error("unknown %s%scommand '%s' (%s); see 'hvkit%s%s --help'", tool->name,
		  *tool->name ? " " : "", shown, names.buf, *tool->name ? " " : "", tool->name);
	strbuf_release(&names);
	return EXIT_USAGE;
}

int hv_dispatch(const struct hv_tool *tool, int argc, char **argv, struct hv_global *g)
{
	const struct hv_cmd *cmd = NULL;

	if (argc < 1) {
		for (size_t i = 0; i < tool->ncmds; i++)
			if (tool->cmds[i].flags & HV_CMD_DEFAULT)
				cmd = &tool->cmds[i];
		if (!cmd) {
			tool->usage(stderr);
			return EXIT_USAGE;
		}
	} else if (!(cmd = hv_cmd_find(tool, argv[0]))) {
		if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "-h") == 0 ||
		    strcmp(argv[0], "--help") == 0) {
			tool->usage(stdout);
			return EXIT_OK;
		}
		return unknown_verb(tool, argv[0]);
	}
	optind = 0;	/* the verb's getopt starts afresh */
	g->cmd = cmd;
	return cmd->fn(argc, argv, g);
}

int hv_dispatch_opts(const struct hv_tool *tool, int argc, char **argv,
		     const struct hv_global *g, void *opts)
{
	struct hv_global vg = *g;
	int first = optind;

	vg.opts = opts;
	return hv_dispatch(tool, argc - first, argv + first, &vg);
}
