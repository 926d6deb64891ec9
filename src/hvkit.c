/* SPDX-License-Identifier: MIT */
/* hvkit: main(), the subcommand table and dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvkit.h"
#include "log.h"
#include "util.h"
#include "version.h"

#ifndef HVKIT_VERSION
#define HVKIT_VERSION "0"
#endif

static int cmd_help(int argc, char **argv, struct hv_global *g);

static const struct hv_cmd commands[] = {
	{ "topo", cmd_topo, 0,
	  "show the hardware: CPUs, caches, NUMA, memory slots, PCI tree", NULL },
	{ "cpuid", cmd_cpuid, HV_CMD_NO_COLOR,
	  "decode CPUID: vendor, model, microarchitecture, features", NULL },
	{ "sched", cmd_sched, HV_CMD_NO_SYSROOT | HV_CMD_NO_COLOR,
	  "CPU budgets, caps and weights for Xen domains and cgroups", NULL },
	{ "move", cmd_move, HV_CMD_NO_SYSROOT | HV_CMD_NO_COLOR,
	  "convert disks (raw, VHD, qcow2, XVA) and VMs between xl and XAPI", NULL },
	{ "help", cmd_help, 0, "describe hvkit or one command", NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvkit [--sysroot DIR] [--json] [--color[=WHEN]] [-v] COMMAND [ARGS...]\n"
		"       hvkit help [-v] [COMMAND [VERB]]\n"
		"       hvkit --version\n"
		"\n"
		"Userspace tools for Xen and KVM hosts.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"Global options:\n"
		"  --sysroot DIR  read sysfs, procfs and firmware files below DIR\n"
		"  --json         machine-readable output (--json=pretty indents)\n"
		"  --color[=WHEN] colours: auto (on a terminal), always or never\n"
		"  -v, --verbose  more detail\n"
		"  -h, --help     this text\n"
		"  --version      print the version\n"
		"\n"
		"They mean the same before a command's name or after it, and a\n"
		"command that has no use for one refuses it.  A unique prefix\n"
		"names a command ('hvkit t' is 'hvkit topo').\n"
		"\n"
		"'hvkit COMMAND --help' describes one command, 'hvkit COMMAND VERB\n"
		"--help' (or 'hvkit help COMMAND VERB') one verb; see hvkit(1).\n");
}

static const struct hv_tool hvkit_tool = {
	.name = "", .cmds = commands, .ncmds = sizeof(commands) / sizeof(commands[0]),
	.usage = usage, .abbrev = true,
};

/* hvkit help [-v] [COMMAND [VERB]]: as 'hvkit COMMAND [VERB] --help'; the global
 * options may come here too. */
static int cmd_help(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const struct hv_cmd *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c != 'v')
			return hv_opt_error_in(NULL, c, argv, opts);
		log_verbosity++;
	}
	argc -= optind - 1;
	argv += optind - 1;
	cmd = argc > 1 ? hv_cmd_find(&hvkit_tool, argv[1]) : NULL;
	bool is_help = cmd == &commands[sizeof(commands) / sizeof(commands[0]) - 1];
	/* help TOOL VERB: the tool runs with the verb, and hv_dispatch()
	 * prints the verb's --help (g->help) instead of running it; a word
	 * that is an option is no verb ('help topo -o x' must not run) */
	char *hargv[] = { argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : "--help", NULL };

	if (argc > 1 && !cmd)	/* the same line as 'hvkit bogus' */
		return hv_dispatch(&hvkit_tool, 1, argv + 1, g);
	if (argc > 2 && (is_help || argv[2][0] == '-'))
		return hv_extra_args("help", argc - 2, argv + 2);
	if (argc > 3)
		return hv_extra_args("help", argc - 3, argv + 3);
	if (argc < 2 || is_help) {
		usage(stdout);
		return EXIT_OK;
	}
	g->help = argc == 3;
	optind = 0;
	return cmd->fn(2, hargv, g);
}

/* Every way out of main() that printed: a failed write to stdout is
 * exit 1 with one line (hvkit(1) EXIT STATUS). */
static int stdout_done(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("write failure on standard output");
		return EXIT_FAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 'R' },
		{ "json", optional_argument, NULL, 'j' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct hv_global g = { 0 };
	bool bare_color = false;	/* the last option was --color, no '=WHEN' */
	int c;

	opterr = 0;	/* every getopt_long() error is one line: hv_opt_error_in() */
	/* '+': stop at the first non-option, the subcommand. */
	while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
		bare_color = c == 'C' && !optarg;
		switch (c) {
		case 'R':
			if (hv_sysroot_opt(optarg, &g.sysroot))
				return EXIT_USAGE;
			break;
		case 'C':
			if (hv_color_opt(optarg, &g.color))
				return EXIT_USAGE;
			break;
		case 'j':
			if (hv_json_opt(optarg, &g.json, &g.json_pretty))
				return EXIT_USAGE;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			/* 'hvkit --help topo [VERB]' is 'hvkit help topo [VERB]' */
			if (optind < argc) {
				char **hargv = argv + optind - 1;

				optind = 0;
				return stdout_done(cmd_help(argc - (int)(hargv - argv), hargv, &g));
			}
			usage(stdout);
			return stdout_done(EXIT_OK);
		case 'V':
			if (optind < argc)
				return hv_extra_args("--version", argc - optind, argv + optind);
			printf("hvkit %s%s%s%s\n", HVKIT_VERSION, *HVKIT_REVISION ? " (git " : "",
			       HVKIT_REVISION, *HVKIT_REVISION ? ")" : "");
			return stdout_done(EXIT_OK);
		default:
			return hv_opt_error_in(NULL, c, argv, opts);
		}
	}
	argc -= optind;
	argv += optind;
	/* '--color never': WHEN goes after '=' (--color alone is always) */
	if (bare_color && argc && !hv_cmd_find(&hvkit_tool, argv[0])) {
		_cleanup_free_ char *hint = hv_color_hint(argv[-1], argv[0]);

		if (hint)
			return hv_unknown_verb(&hvkit_tool, argv[0], hint);
	}
	return stdout_done(hv_dispatch(&hvkit_tool, argc, argv, &g));
}
