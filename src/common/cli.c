/* SPDX-License-Identifier: MIT */
/* Option parsing shared by every subcommand. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

#include "cli.h"
#include "log.h"

/* Whether the blank-separated list names word (n bytes). */
static bool list_has(const char *list, const char *word, size_t n)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

/* An option with an optional value (--json[=pretty], --color[=WHEN])
 * given a second time, before or after the tool's name: the bare form
 * twice is a flag repeated, anything with '=' is a value given twice
 * (hv_getopt()'s rule). */
static int given_twice(const char *name, const char *was, const char *arg)
{
	_cleanup_free_ char *b = str_printable(xasprintf("--%s%s%s", name, arg ? "=" : "",
							 arg ? arg : ""), false);

	log_error("--%s given twice ('--%s%s%s' and '%s'): it takes one value (see 'hvkit --help')",
		  name, name, was ? "=" : "", was ? was : "", b);
	return EXIT_USAGE;
}

int hv_json_opt(const char *arg, bool *json, bool *pretty)
{
	if (*json && (arg || *pretty))
		return given_twice("json", *pretty ? "pretty" : NULL, arg);
	if (arg && strcmp(arg, "pretty") != 0) {
		log_error("unknown --json style '%s' (only 'pretty')", arg);
		return EXIT_USAGE;
	}
	*json = true;
	*pretty = arg != NULL;
	return 0;
}

int hv_sysroot_opt(const char *arg, const char **sysroot)
{
	if (*sysroot) {
		log_error("--sysroot given twice ('%s' and '%s'): give one directory",
			  *sysroot, arg);
		return EXIT_USAGE;
	}
	if (!*arg) {
		log_error("--sysroot needs a directory, not ''");
		return EXIT_USAGE;
	}
	*sysroot = arg;
	return 0;
}

int hv_color_opt(const char *arg, enum hv_color *color)
{
	static const char *const names[] = {
		[HV_COLOR_AUTO] = "auto", [HV_COLOR_NEVER] = "never", [HV_COLOR_ALWAYS] = "always",
	};

	/* a bare --color is 'always': '--color=always --color' says it twice alike */
	if (*color != HV_COLOR_UNSET && (arg || *color != HV_COLOR_ALWAYS))
		return given_twice("color", names[*color], arg);
	if (!arg || strcmp(arg, "always") == 0)
		*color = HV_COLOR_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		*color = HV_COLOR_NEVER;
	else if (strcmp(arg, "auto") == 0)
		*color = HV_COLOR_AUTO;
	else {
		_cleanup_free_ char *shown = str_printable(xstrdup(arg), false);

		log_error("unknown --color value '%s' (auto, always or never)", shown);
		return EXIT_USAGE;
	}
	return 0;
}

char *hv_color_hint(const char *prev, const char *word)
{
	size_t n = prev ? strlen(prev) : 0;

	if (n < 4 || strncmp(prev, "--co", 4) != 0 ||
	    (strncmp("--color", prev, n) != 0 && strncmp("--colour", prev, n) != 0))
		return NULL;
	if (strcmp(word, "never") && strcmp(word, "always") && strcmp(word, "auto"))
		return NULL;
	return xasprintf("--color=%s", word);
}

/*
 * git's weighted Damerau-Levenshtein distance (levenshtein.c, as
 * help.c's help_unknown_cmd() calls it): a swap of two neighbours 0, a
 * substitution 2, an insertion 1, a deletion 3, from a to b.
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	_cleanup_free_ size_t *row0 = xcalloc(lb + 1, sizeof(size_t));
	_cleanup_free_ size_t *row1 = xcalloc(lb + 1, sizeof(size_t));
	_cleanup_free_ size_t *row2 = xcalloc(lb + 1, sizeof(size_t));

	for (size_t j = 0; j <= lb; j++)
		row1[j] = j * 1;
	for (size_t i = 0; i < la; i++) {
		size_t *t;

		row2[0] = (i + 1) * 3;
		for (size_t j = 0; j < lb; j++) {
			size_t v = row1[j] + (a[i] != b[j] ? 2 : 0);

			if (i > 0 && j > 0 && a[i - 1] == b[j] && a[i] == b[j - 1] && v > row0[j - 1])
				v = row0[j - 1];
			if (v > row1[j + 1] + 3)
				v = row1[j + 1] + 3;
			if (v > row2[j] + 1)
				v = row2[j] + 1;
			row2[j + 1] = v;
		}
		t = row0;
		row0 = row1;
		row1 = row2;
		row2 = t;
	}
	return row1[lb];
}

/* As git: a candidate that starts with word scores 0, any other its
 * distance + 1; those below 7 are similar enough.  A short word needs a
 * nearer one (no more than its length): "--x" is no typo of "--for". */
#define SIMILARITY_FLOOR 7

const char *hv_did_you_mean(const char *word, const char *const *names, size_t n)
{
	size_t best = SIMILARITY_FLOOR, nbest = 0;
	const char *found = NULL;

	if (!*word)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t score;

		if (!names[i])
			continue;
		score = strncmp(names[i], word, strlen(word)) == 0 ? 0 :
			edit_distance(word, names[i]) + 1;
		if (score > strlen(word))
			continue;
		if (score < best) {
			best = score;
			found = names[i];
			nbest = 1;
		} else if (score == best) {
			nbest++;
		}
	}
	/* a tie names no one: "x" is as near to every four-letter name */
	return nbest == 1 ? found : NULL;
}

/* "did you mean '--json'? " for an unknown long option, "it could be
 * '--from' or '--fail-on'; " (*ambiguous set) for a prefix of several,
 * or "". */
static char *option_hint(const char *given, const struct option *opts, bool *ambiguous)
{
	const char *names[256], *best;
	size_t n = 0, k = 0, len = strlen(given) - 2;
	struct strbuf sb = STRBUF_INIT;

	if (strncmp(given, "--", 2) != 0)
		return xstrdup("");
	/* as getopt: a name for the same option as the one before it
	 * (--colour after --color) is no second candidate */
	for (size_t i = 0; opts && opts[i].name && n < ARRAY_SIZE(names); i++)
		if (!(i && opts[i].has_arg == opts[i - 1].has_arg && opts[i].flag == opts[i - 1].flag &&
		      opts[i].val == opts[i - 1].val))
			names[n++] = opts[i].name;
	for (size_t i = 0; len && i < n; i++)
		if (strncmp(names[i], given + 2, len) == 0)
			strbuf_addf(&sb, "%s'--%s'", k++ ? " or " : "it could be ", names[i]);
	if ((*ambiguous = k > 1)) {
		strbuf_adds(&sb, "; ");
		return strbuf_detach(&sb, NULL);
	}
	strbuf_release(&sb);
	best = hv_did_you_mean(given + 2, names, n);
	return best ? xasprintf("did you mean '--%s'? ", best) : xstrdup("");
}

/* getopt never speaks (opterr is 0, set once in main()): what it
 * returned ('?' or ':', the optstrings start with ':') and the element
 * at optind - 1 (a long option) or optopt (a short one) say what was
 * wrong.  Any other c: the caller has said what was wrong already. */
int hv_opt_error_in(const char *cmd, int c, char **argv, const struct option *opts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	const char *next = argv[optind];
	/* "-xv": optind is still at the element the unknown -x is in */
	bool is_long = arg && strncmp(arg, "--", 2) == 0 &&
		       !(optopt && next && next[0] == '-' && next[1] != '-' &&
			 strchr(next + 1, optopt));
	_cleanup_free_ char *shown = NULL, *hint = NULL;
	const char *pre = "option", *post;

	if (c != '?' && c != ':')
		return EXIT_USAGE;
	if (is_long) {
		shown = str_printable(xstrndup(arg, strcspn(arg, "=")), false);
		post = c == ':' || (optopt && !strchr(arg, '=')) ? " needs a value" :
		       optopt ? " takes no value" : "";
	} else {
		char s[3] = { '-', (char)optopt, 0 };
		shown = str_printable(xstrdup(s), false);
		post = c == ':' ? " needs a value" : "";
	}
	bool ambiguous = false;

	hint = *post || !is_long ? xstrdup("") : option_hint(shown, opts, &ambiguous);
	if (!*post)
		pre = ambiguous ? "ambiguous option" : "unknown option";
	log_error("%s '%s'%s (%ssee 'hvkit%s%s --help')", pre, shown, post, hint,
		  cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int hv_getopt(struct hv_getopt *st, int argc, char **argv, const char *optstring,
	      const struct option *opts)
{
	int idx = -1, c = getopt_long(argc, argv, optstring, opts, &idx);

	if (c == -1 || c == '?' || c == ':' || !optarg)
		return c;
	/* a short option (-o FILE): the long one with the same value */
	for (int i = 0; idx < 0 && opts[i].name; i++)
		if (opts[i].val == c && !opts[i].flag)
			idx = i;
	/* -o '' names no file (as --sysroot '' names no directory) */
	if (idx >= 0 && strcmp(opts[idx].name, "output") == 0 && !*optarg) {
		log_error("--output needs a file name, not '' (see 'hvkit%s%s --help')",
			  st->cmd ? " " : "", st->cmd ? st->cmd : "");
		return HV_OPT_REPEATED;
	}
	if (idx < 0 || opts[idx].has_arg != required_argument ||
	    (st->many && c > 0 && c < 256 && strchr(st->many, c)))
		return c;
	/* one slot per option, not per name (--colour is --color) */
	for (int i = 0; i < idx; i++)
		if (opts[i].val == opts[idx].val && opts[i].flag == opts[idx].flag) {
			idx = i;
			break;
		}
	if ((size_t)idx >= ARRAY_SIZE(st->first))
		return c;
	if (st->first[idx]) {
		_cleanup_free_ char *a = str_printable(xstrdup(st->first[idx]), false);
		_cleanup_free_ char *b = str_printable(xstrdup(optarg), false);

		log_error("--%s given twice ('%s' and '%s'): it takes one value (see 'hvkit%s%s --help')",
			  opts[idx].name, a, b, st->cmd ? " " : "", st->cmd ? st->cmd : "");
		return HV_OPT_REPEATED;
	}
	st->first[idx] = optarg;
	return c;
}

int hv_one_stdin(const char *cmd, const char *const *inputs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += inputs[i] && strcmp(inputs[i], "-") == 0;
	return k > 1 ? hv_args_error(cmd, "only one input can be '-' (standard input)") : 0;
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

int hv_args_error(const char *cmd, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	log_error("%s (see 'hvkit %s --help')", sb.buf, cmd);
	strbuf_release(&sb);
	return EXIT_USAGE;
}

int hv_extra_args(const char *what, int argc, char **argv)
{
	_cleanup_free_ char *shown = str_printable(xstrdup(argv[0]), false);

	log_error("unexpected argument '%s' for '%s'%s (see 'hvkit --help')", shown, what,
		  argc > 1 ? " and more" : "");
	return EXIT_USAGE;
}

/* "unknown sched command 'x' (check, run, status or simulate); see ..." */
int hv_unknown_verb(const struct hv_tool *tool, const char *name, const char *hint_for)
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
	const char *cands[64];
	size_t nc = 0;

	for (size_t i = 0; i < tool->ncmds && nc < ARRAY_SIZE(cands); i++)
		cands[nc++] = tool->cmds[i].name;
	const char *best = hint_for ? hint_for : hv_did_you_mean(name, cands, nc);
	_cleanup_free_ char *hint = best ? xasprintf("did you mean '%s'? ", best) : xstrdup("");

	log_error("unknown %s%scommand '%s' (%s); %ssee 'hvkit%s%s --help'", tool->name,
		  *tool->name ? " " : "", shown, names.buf, hint, *tool->name ? " " : "", tool->name);
	strbuf_release(&names);
	return EXIT_USAGE;
}

static void verb_usage(const struct hv_tool *tool, const struct hv_cmd *cmd);

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
			/* 'sched --help check': 'sched check --help' */
			if (argc == 2 && *tool->name && argv[1][0] != '-') {
				const struct hv_cmd *v = hv_cmd_find(tool, argv[1]);

				if (!v)
					return hv_unknown_verb(tool, argv[1], NULL);
				g->help = true;
				return hv_dispatch(tool, 1, argv + 1, g);
			}
			if (argc > 1) {
				/* 'sched --help run check': 'check' is the extra word */
				bool verb = *tool->name && argv[1][0] != '-' && hv_cmd_find(tool, argv[1]);
				_cleanup_free_ char *w = xasprintf("%s %s%s%s", tool->name, argv[0],
								   verb ? " " : "", verb ? argv[1] : "");

				return hv_extra_args(w, argc - 1 - verb, argv + 1 + verb);
			}
			tool->usage(stdout);
			return EXIT_OK;
		}
		return hv_unknown_verb(tool, argv[0], NULL);
	}
	/* 'hvkit help TOOL VERB': what 'hvkit TOOL VERB --help' prints; for
	 * a tool whose options come before its verbs (topo, cpuid), the verb's
	 * part of the tool's help (verb_usage()) */
	if (g->help) {
		char *hargv[] = { argv[0], "--help", NULL };

		if (g->opts) {
			if (cmd->opts)
				verb_usage(tool, cmd);
			else
				tool->usage(stdout);
			return EXIT_OK;
		}
		optind = 0;
		g->cmd = cmd;
		g->tool = tool;
		return cmd->fn(2, hargv, g);
	}
	/* a verb with a list of options refuses the global ones not in it */
	unsigned flags = cmd->flags;

	if (cmd->opts) {
		flags |= list_has(cmd->opts, "sysroot", 7) ? 0 : HV_CMD_NO_SYSROOT;
		flags |= list_has(cmd->opts, "color", 5) ? 0 : HV_CMD_NO_COLOR;
		flags |= list_has(cmd->opts, "json", 4) ? 0 : HV_CMD_NO_JSON;
	}
	if (g->sysroot && (flags & HV_CMD_NO_SYSROOT)) {
		log_error("'%s%s%s' does not read a system root (--sysroot); see 'hvkit --help'",
			  tool->name, *tool->name ? " " : "", cmd->name);
		return EXIT_USAGE;
	}
	if (g->color && (flags & HV_CMD_NO_COLOR)) {
		log_error("'%s%s%s' prints no colours (--color); see 'hvkit --help'",
			  tool->name, *tool->name ? " " : "", cmd->name);
		return EXIT_USAGE;
	}
	if (g->json && (flags & HV_CMD_NO_JSON)) {
		log_error("'%s%s%s' has no JSON output (--json); see 'hvkit%s%s --help'",
			  tool->name, *tool->name ? " " : "", cmd->name, *tool->name ? " " : "",
			  tool->name);
		return EXIT_USAGE;
	}
	optind = 0;	/* the verb's getopt starts afresh */
	g->cmd = cmd;
	g->tool = tool;
	return cmd->fn(argc, argv, g);
}

/* The option a word of argv names in opts (getopt_long()'s rule: the
 * exact name, else the first it begins; the parser has refused an
 * ambiguous one), given as its first name (--colour is --color). */
static const struct option *long_opt(const struct option *opts, const char *name, size_t n)
{
	const struct option *found = NULL;

	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, name, n) != 0)
			continue;
		if (o->name[n] == '\0' || !found)
			found = o;
		if (o->name[n] == '\0')
			break;
	}
	for (const struct option *o = opts; found && o < found; o++)
		if (o->val == found->val && o->has_arg == found->has_arg && !o->flag)
			return o;
	return found;
}

static const struct option *short_opt(const struct option *opts, char c)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == c && !o->flag)
			return o;
	return NULL;
}

/* "--for goes with 'policy', 'baseline' and 'model'": EXIT_USAGE. */
static int not_for_verb(const struct hv_tool *tool, const struct option *o)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < tool->ncmds; i++)
		n += list_has(tool->cmds[i].opts, o->name, strlen(o->name));
	for (size_t i = 0; i < tool->ncmds; i++) {
		if (!list_has(tool->cmds[i].opts, o->name, strlen(o->name)))
			continue;
		if (k++)
			strbuf_adds(&sb, k == n ? " and " : ", ");
		if (tool->cmds[i].name)
			strbuf_addf(&sb, "'%s'", tool->cmds[i].name);
		else
			strbuf_addf(&sb, "'hvkit %s' with no verb", tool->name);
	}
	log_error("--%s goes with %s (see 'hvkit %s --help')", o->name, n ? sb.buf : "no verb",
		  tool->name);
	strbuf_release(&sb);
	return EXIT_USAGE;
}

/* The options before the verb (argv[1] to argv[end - 1], as the tool's
 * getopt_long() left them: options and their values) that cmd does not
 * take: one line and EXIT_USAGE; else 0. */
static int verb_takes(const struct hv_tool *tool, const struct hv_cmd *cmd, int end, char **argv)
{
	if (!tool->opts || !cmd->opts)
		return 0;
	for (int i = 1; i < end; i++) {
		const char *a = argv[i];
		const struct option *o = NULL;

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || !a[1])
			continue;	/* a value of the option before */
		if (a[1] == '-') {
			size_t n = strcspn(a + 2, "=");

			o = long_opt(tool->opts, a + 2, n);
			if (o && o->has_arg == required_argument && !a[2 + n])
				i++;
		} else {
			/* -vo FILE, -oFILE: each letter up to one that takes a value */
			for (const char *p = a + 1; *p; p++) {
				const struct option *s = short_opt(tool->opts, *p);

				if (s && strcmp(s->name, "help") != 0 &&
				    !list_has(cmd->opts, s->name, strlen(s->name)))
					return not_for_verb(tool, s);
				if (s && s->has_arg == required_argument) {
					i += !p[1];
					break;
				}
			}
			continue;
		}
		if (o && strcmp(o->name, "help") != 0 && !list_has(cmd->opts, o->name, strlen(o->name)))
			return not_for_verb(tool, o);
	}
	return 0;
}

/* Whether every option cmd->opts names is one of the tool's (a typo in
 * a command table would quietly take an option from a verb). */
static bool opts_known(const struct hv_tool *tool, const struct hv_cmd *cmd)
{
	for (const char *p = cmd->opts; tool->opts && p && *p;) {
		size_t n = strcspn(p, " ");
		const struct option *o = long_opt(tool->opts, p, n);

		if (!o || strlen(o->name) != n) {
			log_error("internal error: '%s %s' names an option '%.*s' it does not parse",
				  tool->name, cmd->name ? cmd->name : "", (int)n, p);
			return false;
		}
		p += n;
		p += strspn(p, " ");
	}
	return true;
}

/* The paragraph of a tool's help that describes a verb in a list of
 * verbs ("  run       the daemon: ...", continued deeper), as it stands
 * there, into *out; false when there is none. */
static bool verb_paragraph(const char *text, const char *name, struct strbuf *out)
{
	size_t nl = strlen(name);
	bool on = false;

	for (const char *line = text, *next; *line; line = next) {
		size_t len = strcspn(line, "\n");
		const char *s = line + strspn(line, " ");
		int indent = (int)(s - line);

		next = line + len + (line[len] == '\n');
		if (!on)
			on = indent == 2 && strncmp(s, name, nl) == 0 && s[nl] == ' ' && s[nl + 1] == ' ';
		else if (len == 0 || indent <= 2)
			break;
		if (on)
			strbuf_addf(out, "%.*s\n", (int)len, line);
	}
	return out->len > 0;
}

/* Prints `hvkit TOOL VERB --help`: the verb's usage lines, its paragraph
 * of the tool's help (else its summary) and the lines of the tool's help
 * that describe the options it takes (cmd->opts), so that one text
 * describes each option. */
static void verb_usage(const struct hv_tool *tool, const struct hv_cmd *cmd)
{
	_cleanup_free_ char *text = NULL, *head = xasprintf("hvkit %s %s", tool->name, cmd->name);
	size_t size = 0, hl = strlen(head);
	FILE *f = open_memstream(&text, &size);
	bool usage = true, in_verb = false, in_opt = false, any = false;
	int opt_indent = 0;
	struct strbuf para = STRBUF_INIT, opts = STRBUF_INIT;

	if (f) {
		tool->usage(f);
		if (fclose(f) != 0)
			size = 0;
	}
	if (!size) {
		tool->usage(stdout);
		return;
	}
	for (char *line = text, *next; *line; line = next) {
		size_t len = strcspn(line, "\n");
		const char *s = line + strspn(line, " ");
		int indent = (int)(s - line);

		next = line + len + (line[len] == '\n');
		if (usage) {
			if (len == 0) {
				usage = false;
				continue;
			}
			if (strncmp(s, "usage: ", 7) == 0)
				s += 7;
			if (strncmp(s, "hvkit ", 6) == 0)
				in_verb = strncmp(s, head, hl) == 0 && (s[hl] == ' ' || s[hl] == '\n');
			if (in_verb && !any)
				printf("usage: %.*s\n", (int)(len - (size_t)(s - line)), s);
			else if (in_verb)
				printf("%.*s\n", (int)len, line);
			any |= in_verb;
			continue;
		}
		/* an option's line ("  -o, --output FILE  write to ..."),
		 * then its description, indented deeper */
		if (*s == '-' && indent <= 4) {
			in_opt = false;
			opt_indent = indent;
			for (const char *p = s; p < line + len && !in_opt;) {
				size_t w = strcspn(p, " ,[=\n");

				if (w > 2 && p[0] == '-' && p[1] == '-')
					in_opt = strncmp(p + 2, "help", w - 2) == 0 ||
						  list_has(cmd->opts, p + 2, w - 2);
				p += w;
				p += strspn(p, ",[=");
				if (*p != ' ' || p[1] == ' ')
					break;	/* two blanks: the description */
				p++;
			}
		} else if (indent <= opt_indent + 2) {
			in_opt = false;
		}
		if (in_opt)
			strbuf_addf(&opts, "%.*s\n", (int)len, line);
	}
	if (verb_paragraph(text, cmd->name, &para))
		printf("\n%s", para.buf);
	else
		printf("\n%s.\n", cmd->summary);
	if (opts.len)
		printf("\nOptions:\n%s", opts.buf);
	printf("\nSee 'hvkit %s --help' and hvkit-%s(1).\n", tool->name, tool->name);
	strbuf_release(&para);
	strbuf_release(&opts);
}

void hv_verb_usage(const struct hv_global *g)
{
	if (g->tool && g->cmd && g->cmd->name)
		verb_usage(g->tool, g->cmd);
	else if (g->tool)
		g->tool->usage(stdout);
}

int hv_dispatch_opts(const struct hv_tool *tool, int parsed, int argc, char **argv,
		     const struct hv_global *g, void *opts)
{
	struct hv_global vg = *g;
	int first = optind;
	const struct hv_cmd *cmd = NULL;

	if (parsed > 0)
		return parsed;
	if (first < argc)
		cmd = hv_cmd_find(tool, argv[first]);
	else
		for (size_t i = 0; i < tool->ncmds; i++)
			if (tool->cmds[i].flags & HV_CMD_DEFAULT)
				cmd = &tool->cmds[i];
	/* 'topo --color never', 'topo zzz --help': no verb (exit 2, as
	 * 'hvkit help topo zzz') */
	if (first < argc && !cmd && strcmp(argv[first], "help") != 0) {
		/* getopt_long() has moved the options before it: a bare
		 * --color anywhere among them ('topo --color never -v') */
		_cleanup_free_ char *hint = NULL;

		for (int i = first - 1; i > 0 && !hint; i--)
			hint = hv_color_hint(argv[i], argv[first]);

		return hv_unknown_verb(tool, argv[first], hint);
	}
	if (cmd && !opts_known(tool, cmd))
		return EXIT_FAIL;
	if (cmd && verb_takes(tool, cmd, first, argv))
		return EXIT_USAGE;
	if (parsed < 0) {	/* --help */
		if (cmd && cmd->name && cmd->opts)
			verb_usage(tool, cmd);
		else
			tool->usage(stdout);
		return EXIT_OK;
	}
	vg.opts = opts;
	return hv_dispatch(tool, argc - first, argv + first, &vg);
}
