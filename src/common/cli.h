/* SPDX-License-Identifier: MIT */
/* What main() hands every subcommand. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct hv_cmd;
struct option;

/* --color[=WHEN]: auto (on a terminal; what none given means), never,
 * always. */
enum hv_color { HV_COLOR_UNSET, HV_COLOR_AUTO, HV_COLOR_NEVER, HV_COLOR_ALWAYS };

/* Options given before the subcommand name; each tool may take them
 * after its name too.  Verbosity has one home, log_verbosity (log.h):
 * every -v, wherever given, raises it. */
struct hv_tool;

struct hv_global {
	bool json;
	bool json_pretty;
	const char *sysroot;
	enum hv_color color;
	/* What a tool whose options come before its verb (topo, cpuid)
	 * parsed, for the verb it dispatches to; NULL otherwise. */
	void *opts;
	/* The verb hv_dispatch() runs (its line of the tool's table), and
	 * its tool. */
	const struct hv_cmd *cmd;
	const struct hv_tool *tool;
	/* 'hvkit help TOOL VERB': hv_dispatch() prints the verb's --help
	 * instead of running it. */
	bool help;
};

/*
 * --json[=pretty], the same for every subcommand: sets *json (and *pretty
 * for "pretty"), or says what is wrong and returns EXIT_USAGE (2).
 */
int hv_json_opt(const char *arg, bool *json, bool *pretty);

/* --sysroot DIR, the same for every tool that reads one: sets *sysroot,
 * or says what is wrong (given twice, empty) and returns EXIT_USAGE. */
int hv_sysroot_opt(const char *arg, const char **sysroot);

/* --color[=WHEN]: sets *color, or says what is wrong; EXIT_USAGE. */
int hv_color_opt(const char *arg, enum hv_color *color);

/* "--color=never" when prev, the word before word, is a bare --color
 * (or a prefix of it) and word a WHEN: the hint for 'topo --color never'
 * (WHEN goes after '='); else NULL.  The caller frees it. */
char *hv_color_hint(const char *prev, const char *word);

/* The one of names (NULLs skipped) that word is a typo of, by git's
 * rule (a weighted edit distance under 7, or a prefix); NULL when none
 * or when several are as near. */
const char *hv_did_you_mean(const char *word, const char *const *names, size_t n);

/*
 * After getopt_long() returned c ('?' or ':'; optstrings start with ':',
 * opterr is 0): one line naming the bad option (control bytes as '.')
 * with the hint; any other c, nothing (the caller said what was wrong).
 * argv is the one given to getopt_long().  Returns EXIT_USAGE (2).
 */
/* An unknown long option near one of opts (getopt_long()'s table) gets
 * "did you mean '--json'?". */
int hv_opt_error_in(const char *cmd, int c, char **argv, const struct option *opts);

/*
 * getopt_long() for a command's options (opterr 0, optstring starting
 * with ':'), which also refuses an option that takes a value given a
 * second time ("--to given twice ('qcow2' and 'vhd')"), one line naming
 * it, unless its getopt value is in many ("f": --from may repeat; NULL
 * or "": none may); an empty --output/-o is refused likewise.  Returns
 * getopt_long()'s value, or HV_OPT_REPEATED after saying what was wrong: hv_opt_error_in() then returns EXIT_USAGE
 * without a second line.  *st starts zeroed (HV_GETOPT_INIT) before a
 * command's first option.
 */
#define HV_OPT_REPEATED 0x10000
struct hv_getopt {
	const char *cmd;		/* "move disk": named in the hint */
	const char *many;
	const char *first[64];		/* by index in the options, the value given first */
};
#define HV_GETOPT_INIT(cmd_, many_) { .cmd = (cmd_), .many = (many_) }
int hv_getopt(struct hv_getopt *st, int argc, char **argv, const char *optstring,
	      const struct option *opts);

/* Where several inputs of cmd ("topo diff") can each be "-" (standard
 * input): more than one of the n inputs is one line, "only one input can
 * be '-'", and EXIT_USAGE; else 0.  NULL inputs are skipped. */
int hv_one_stdin(const char *cmd, const char *const *inputs, size_t n);

/* A verb's arguments are wrong: one line, what fmt says and the hint
 * "(see 'hvkit move disk --help')" (cmd is "move disk").  EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int hv_args_error(const char *cmd, const char *fmt, ...);

/* "unexpected argument 'x' for 'help'": one line, the
 * first extra argument shown with control bytes as '.'; EXIT_USAGE. */
int hv_extra_args(const char *what, int argc, char **argv);

/* A subcommand or a verb: argv[0] is its name (argc 0 for a tool's
 * default verb); returns an exit code (0, 1 or 2). */
typedef int (*hv_cmd_fn)(int argc, char **argv, struct hv_global *g);

enum hv_cmd_flags {
	/* Runs when no verb is named (topo shows the machine, cpuid
	 * summarises the CPU); a NULL name cannot be named. */
	HV_CMD_DEFAULT = 1 << 0,
	/* Reads no system root: a --sysroot before it is refused. */
	HV_CMD_NO_SYSROOT = 1 << 1,
	/* Prints no data: a --json before it is refused. */
	HV_CMD_NO_JSON = 1 << 2,
	/* Prints no colours: a --color before it is refused. */
	HV_CMD_NO_COLOR = 1 << 3,
};

/* One line of a command table: hvkit's tools, and each tool's verbs. */
struct hv_cmd {
	const char *name;
	hv_cmd_fn fn;
	unsigned flags;
	const char *summary;
	/* For a tool that parses its options before the verb (topo,
	 * cpuid): the long options this verb takes, blank-separated
	 * ("from sysroot output"); hv_dispatch_opts() refuses the others,
	 * 'TOOL VERB --help' lists only these, and shell completion offers
	 * only these.  NULL: the verb parses its own. */
	const char *opts;
};

/* A tool's verbs: hv_dispatch() picks one of them. */
struct hv_tool {
	const char *name;		/* "sched"; "" for hvkit itself */
	const struct hv_cmd *cmds;
	size_t ncmds;
	void (*usage)(FILE *f);		/* the tool's --help text */
	bool abbrev;			/* a unique prefix names a verb (xl's rule) */
	/* The options the tool parses before its verb (getopt_long()'s
	 * table), which the verbs' opts pick from; NULL when none. */
	const struct option *opts;
};

/*
 * The verb called name: an exact match, else with tool->abbrev a unique
 * prefix; NULL when none.
 */
const struct hv_cmd *hv_cmd_find(const struct hv_tool *tool, const char *name);

/*
 * `hvkit TOOL VERB --help` for the verb g names (g->tool, g->cmd): its
 * usage lines, its paragraph of the tool's help and the option lines of
 * the options it takes; the tool's help when g names no verb.  For verbs
 * that parse their own options (sched's).
 */
void hv_verb_usage(const struct hv_global *g);

/*
 * Runs the verb argv[0] of tool with argv from there (getopt reset) and
 * the global options g: with no verb the HV_CMD_DEFAULT one, else the
 * usage on stderr (exit 2); "help", "-h" or "--help" print the usage;
 * an unknown verb gets one line naming the verbs (exit 2).  Returns the
 * verb's exit code.
 */
int hv_dispatch(const struct hv_tool *tool, int argc, char **argv, struct hv_global *g);
/* "unknown topo command 'x' (...); did you mean 'hint_for'? see 'hvkit
 * topo --help'", one line; hint_for NULL: the nearest verb, if any.
 * EXIT_USAGE. */
int hv_unknown_verb(const struct hv_tool *tool, const char *name, const char *hint_for);
/*
 * hv_dispatch() for a tool that parses its own options first, before
 * the verb (topo, cpuid): parsed is what its parser returned, 0 (getopt
 * left optind at the verb; argv[0] is the tool's name), -1 (--help was
 * among them: the verb's help, or the tool's when none is named, is
 * printed; exit 0) or an exit code, returned as it is.  An option the
 * verb does not take (its hv_cmd.opts) is one line and EXIT_USAGE.  The
 * verb gets a copy of g with opts, the parsed options, set.
 */
int hv_dispatch_opts(const struct hv_tool *tool, int parsed, int argc, char **argv,
		     const struct hv_global *g, void *opts);
