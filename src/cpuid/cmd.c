/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid`: options, input selection and dispatch to the renderers
 * (render.h).  With them, the only files of the tool that talk to the user. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hvkit.h"
#include "cpuid-decode.h"
#include "cpuid-models.h"
#include "json.h"
#include "log.h"
#include "cpuid-source.h"
#include "cpuid-views.h"
#include "render.h"
#include "strbuf.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: hvkit cpuid [--from FILE|--sysroot DIR] [-v] [--json[=pretty]]\n"
	      "       hvkit cpuid decode [--from FILE] [-r] [--names PROJECT]\n"
	      "       hvkit cpuid features [--from FILE] [--names PROJECT]\n"
	      "       hvkit cpuid dump [--from FILE] [-o FILE]\n"
	      "       hvkit cpuid models [--names PROJECT]\n"
	      "       hvkit cpuid model [--from FILE] [--names PROJECT] [--for TARGET]\n"
	      "                     [--guest-max FILE]\n"
	      "       hvkit cpuid policy SPEC --for xl|xl-xend|qemu|libvirt [--from FILE]\n"
	      "                     [--libvirt-map DIR] [--qemu BINARY|none]\n"
	      "                     [--guest-max FILE]\n"
	      "       hvkit cpuid baseline FILE... [--for TARGET] [--names PROJECT]\n"
	      "                     [--libvirt-map DIR] [--qemu BINARY|none]\n"
	      "                     [--guest-max FILE]\n"
	      "       hvkit cpuid compare MODEL_OR_POLICY FILE... [--names PROJECT]\n"
	      "       hvkit cpuid compare SAVED_IMAGE FILE... [--names PROJECT]\n"
	      "\n"
	      "Show what CPUID says about this CPU or a dumped one: vendor,\n"
	      "family/model/stepping and microarchitecture, brand, features.\n"
	      "\n"
	      "  (none)    a summary\n"
	      "  decode    every leaf and subleaf as named fields\n"
	      "  features  the feature names, one a line\n"
	      "  dump      the raw values in hvkit's dump format (reads back\n"
	      "            with --from; `cpuid -f` reads it without its # lines)\n"
	      "  models    every QEMU model version, aliases, libvirt 9.0 names\n"
	      "  model     the closest model: model + plus - minus is this CPU;\n"
	      "            with --for, that as a policy for the target\n"
	      "  policy    SPEC as xl.cfg cpuid= (libxl or xend form), QEMU -cpu or\n"
	      "            libvirt <cpu>; SPEC is MODEL or host, then ,+feat ,-feat\n"
	      "            ,feat=on|off (any spelling); removing a feature removes\n"
	      "            what needs it.  For Xen a MODEL is this host (or --from)\n"
	      "            less what the model lacks\n"
	      "  baseline  the richest model + edits that every host (one dump\n"
	      "            each) can run, as a policy in all four forms (one\n"
	      "            with --for)\n"
	      "  compare   per host, whether it can run a model or policy and\n"
	      "            which features stop it, with the usual reasons;\n"
	      "            exit 1 when some host cannot.  With a Xen saved\n"
	      "            domain (`xl save`) first: per host (xen-cpuid -p:\n"
	      "            its PV/HVM Max policy), whether it can be restored\n"
	      "            there, naming the features the host lacks\n"
	      "\n"
	      "Options:\n"
	      "  --from FILE        read a dump instead of this CPU: `cpuid -r` or\n"
	      "                     `cpuid -1 -r` output (CPU 0 is used), libvirt\n"
	      "                     <cpudata> XML, QEMU QMP JSON (feature-words,\n"
	      "                     query-cpu-model-expansion), `xen-cpuid -p` output\n"
	      "                     (FILE#host etc. picks a policy), a Xen saved\n"
	      "                     domain or migration stream (its CPUID policy),\n"
	      "                     an hvkit cpuid dump, libvirt's <cpu> (virsh\n"
	      "                     capabilities or domcapabilities; features only),\n"
	      "                     hwloc-gather-cpuid's puN files (a directory or\n"
	      "                     tarball: PU 0), or /proc/cpuinfo (features\n"
	      "                     only); '-' is stdin\n"
	      "  --sysroot DIR      the kernel's view of this CPU (/dev/cpu/0/cpuid,\n"
	      "                     /proc/cpuinfo) read below DIR\n"
	      "  --view user|kernel this CPU as the CPUID instruction answers user\n"
	      "                     space (default), or as the kernel sees it\n"
	      "                     (/dev/cpu/0/cpuid: root, modprobe cpuid).  They\n"
	      "                     differ under some nested hypervisors; the\n"
	      "                     summary says so when they do\n"
	      "  --names PROJECT    spell features as linux, xen, qemu (default) or\n"
	      "                     libvirt does\n"
	      "  -r, --raw          decode: show the registers of each leaf too\n"
	      "  --for TARGET       policy, baseline, model: xl, xl-xend, qemu or libvirt\n"
	      "  --guest-max FILE   xl, xl-xend: cut to what Xen gives guests, the PV\n"
	      "                     or HVM Max policy of `xen-cpuid -p` (FILE#pv-max,\n"
	      "                     FILE#hvm-max); the cut named in a comment\n"
	      "  --libvirt-map DIR  the libvirt form from this cpu_map folder (another\n"
	      "                     libvirt's); default: the installed one\n"
	      "                     (" CPUID_LVMAP_DEFAULT_DIR "), else the copy\n"
	      "                     of libvirt 9.0's built into hvkit ('builtin');\n"
	      "                     also expands a libvirt <cpu> read as input\n"
	      "  --qemu BINARY|none the QEMU form for this QEMU's models and\n"
	      "                     properties (default: qemu-system-x86_64 when\n"
	      "                     installed); 'none': QEMU 10.2's, unchecked\n"
	      "  -o, --output FILE  write to FILE (atomically) instead of stdout\n"
	      "  --json[=pretty]    machine-readable output (keys: hvkit-cpuid(1))\n"
	      "  -v, --verbose      summary: list the features; features: also\n"
	      "                     those PROJECT has no name for\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Exit status: 0 on success, 1 when the input cannot be read, a policy\n"
	      "is wrong or the output not written, 2 on a usage error.  See\n"
	      "hvkit-cpuid(1).\n",
	      f);
}

/* True when SPEC starts with the word host. */
static bool spec_is_host(const char *spec)
{
	return strncasecmp(spec, "host", 4) == 0 && (spec[4] == '\0' || spec[4] == ',');
}

/* What `hvkit cpuid` parses before its verb; each verb takes those its
 * line of the command table names. */
static const struct option options[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "names", required_argument, NULL, 'n' },
	{ "raw", no_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", optional_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "for", required_argument, NULL, 'F' },
	{ "repeat", required_argument, NULL, 'R' },
	{ "view", required_argument, NULL, 'V' },
	{ "libvirt-map", required_argument, NULL, 'L' },
	{ "qemu", required_argument, NULL, 'Q' },
	{ "guest-max", required_argument, NULL, 'G' },
	{ "sysroot", required_argument, NULL, 'S' },
	{ 0 }
};

static int parse_opts(int argc, char **argv, struct hv_global *g,
		      struct cpuid_opts *o)
{
	bool help = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->json = g->json;
	o->pretty = g->json_pretty;
	o->names = CPUID_NAMES_QEMU;
	o->target = -1;
	o->sysroot = g->sysroot;
	struct hv_getopt gs = HV_GETOPT_INIT("cpuid", NULL);

	while ((c = hv_getopt(&gs, argc, argv, ":o:rvh", options)) != -1) {
		switch (c) {
		case 'f':
			o->from = optarg;
			break;
		case 'n': {
			int n = cpuid_names_parse(optarg);

			if (n < 0) {
				log_error("unknown --names value '%s' (linux, xen, qemu or libvirt)",
					  optarg);
				return EXIT_USAGE;
			}
			o->names = (enum cpuid_names)n;
			o->names_set = true;
			break;
		}
		case 'r':
			o->raw = true;
			break;
		case 'V': {
			int v = cpuid_view_parse(optarg);

			if (v < 0) {
				log_error("unknown --view value '%s' (user or kernel)", optarg);
				return EXIT_USAGE;
			}
			o->view = (enum cpuid_view)v;
			o->view_set = true;
			break;
		}
		case 'F':
			o->target = cpuid_target_parse(optarg);
			if (o->target < 0) {
				log_error("unknown --for target '%s' (xl, xl-xend, qemu or libvirt)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'L':
			o->libvirt_map = optarg;
			break;
		case 'Q':
			o->qemu = optarg;
			break;
		case 'G':
			o->guest_max = optarg;
			break;
		case 'S':
			if (hv_sysroot_opt(optarg, &o->sysroot))
				return EXIT_USAGE;
			break;
		case 'R': {
			char *end;

			o->repeat = strtoul(optarg, &end, 10);
			if (*end || !o->repeat || o->repeat > 10000000) {
				log_error("bad --repeat value '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'j':
			if (hv_json_opt(optarg, &o->json, &o->pretty))
				return EXIT_USAGE;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':	/* hv_dispatch_opts() prints the help */
			help = true;
			break;
		default:
			return hv_opt_error_in("cpuid", c, argv, options);
		}
	}
	o->verbose = log_verbosity > 0;
	return help ? -1 : 0;
}

/*
 * The verb's arguments (argv[0] is its name) and the options that go with
 * it; 0 or an exit status.
 */
static int verb_args(struct cpuid_opts *o, enum cpuid_verb verb, int argc, char **argv)
{
	const char *name = argc ? argv[0] : "";
	int i = 1;

	o->verb = verb;
	if ((o->verb == VERB_POLICY || o->verb == VERB_COMPARE) && i < argc)
		o->spec = argv[i++];
	if (o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) {
		o->files = argv + i;
		o->nfiles = (size_t)(argc - i);
		i = argc;
	}
	/* --from, --guest-max, compare's SAVED_IMAGE and each FILE may be
	 * "-": one of them */
	_cleanup_free_ const char **ins = xcalloc(o->nfiles + 3, sizeof(*ins));

	ins[0] = o->from;
	ins[1] = o->guest_max;
	ins[2] = o->verb == VERB_COMPARE ? o->spec : NULL;
	for (size_t k = 0; k < o->nfiles; k++)
		ins[k + 3] = o->files[k];
	if (hv_one_stdin("cpuid", ins, o->nfiles + 3))
		return EXIT_USAGE;
	if (i < argc) {
		log_error("unexpected argument '%s'; see 'hvkit cpuid --help'", argv[i]);
		return EXIT_USAGE;
	}
	if (o->verb == VERB_POLICY && (!o->spec || o->target < 0)) {
		log_error("policy needs a SPEC and --for xl|xl-xend|qemu|libvirt");
		return EXIT_USAGE;
	}
	if ((o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) && !o->nfiles) {
		log_error("%s needs %sat least one FILE (a dump of each host)",
			  name, o->verb == VERB_COMPARE ? "a MODEL_OR_POLICY and " : "");
		return EXIT_USAGE;
	}
	if (o->verb == VERB_COMPARE && spec_is_host(o->spec)) {
		log_error("compare needs a model: 'host' is whatever each host has");
		return EXIT_USAGE;
	}
	if (o->from && (o->verb == VERB_BASELINE || o->verb == VERB_COMPARE)) {
		log_error("--from does not go with '%s' (name the hosts' dumps)", name);
		return EXIT_USAGE;
	}
	if (o->qemu && o->verb != VERB_POLICY && o->verb != VERB_BASELINE &&
	    !(o->verb == VERB_MODEL && o->target >= 0)) {
		log_error("--qemu goes with 'policy', 'baseline' and 'model --for'");
		return EXIT_USAGE;
	}
	if (o->libvirt_map && o->verb == VERB_MODELS) {
		log_error("--libvirt-map does not go with 'models' (the table is built in)");
		return EXIT_USAGE;
	}
	if (o->target >= 0 && o->verb != VERB_POLICY && o->verb != VERB_BASELINE &&
	    o->verb != VERB_MODEL) {
		log_error("--for goes with 'policy', 'baseline' and 'model'");
		return EXIT_USAGE;
	}
	if (o->guest_max &&
	    (!(o->verb == VERB_POLICY || o->verb == VERB_BASELINE || o->verb == VERB_MODEL) ||
	     (o->verb != VERB_BASELINE && o->target != CPUID_FOR_XL && o->target != CPUID_FOR_XEND) ||
	     (o->verb == VERB_BASELINE && o->target >= 0 && o->target != CPUID_FOR_XL &&
	      o->target != CPUID_FOR_XEND))) {
		log_error("--guest-max goes with 'policy', 'baseline' and 'model' for xl or xl-xend "
			  "(the Xen forms; the QEMU and libvirt forms are cut to what KVM gives)");
		return EXIT_USAGE;
	}
	if (o->sysroot && (o->from || o->verb == VERB_MODELS || o->verb == VERB_BASELINE ||
			   o->verb == VERB_COMPARE)) {
		log_error("--sysroot goes with this CPU, not with %s (it reads no system root)",
			  o->from ? "--from" : name);
		return EXIT_USAGE;
	}
	if (o->sysroot) {
		int fd = open(o->sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			log_error("cannot open sysroot '%s': %s", o->sysroot, strerror(errno));
			return EXIT_FAIL;
		}
		close(fd);
	}
	if (o->from && o->verb == VERB_MODELS) {
		log_error("--from does not go with 'models' (the table is built in)");
		return EXIT_USAGE;
	}
	if (o->view_set && o->from) {
		log_error("--view goes with this CPU, not with --from (a dump has one view)");
		return EXIT_USAGE;
	}
	if (o->raw && o->verb != VERB_DECODE) {
		log_error("-r/--raw goes with 'decode'");
		return EXIT_USAGE;
	}
	if (o->names_set && (o->verb == VERB_DUMP || o->verb == VERB_POLICY)) {
		log_error("--names does not go with '%s'", name);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- input ---- */

const uint32_t cpuid_host_msrs[2] = { 0x10a, 0xcf };

/* Reads every FILE; returns 0 or EXIT_FAIL (the reason logged). */
static int read_hosts(const struct cpuid_opts *o, struct cpuid_host **ret)
{
	struct cpuid_host *h = xcalloc(o->nfiles, sizeof(*h));

	for (size_t i = 0; i < o->nfiles; i++) {
		struct cpuid_data c = CPUID_DATA_INIT;
		struct hv_diags d = HV_DIAGS_INIT;
		int r = cpuid_read_file(o->files[i], &c, &d);

		(void)log_diags(NULL, &d);
		hv_diags_release(&d);
		if (r < 0) {
			free(h);
			return EXIT_FAIL;
		}
		h[i].path = o->files[i];
		cpuid_data_features(&c, &h[i].raw);
		cpuid_summarize(&c, &h[i].s);
		for (size_t k = 0; k < ARRAY_SIZE(cpuid_host_msrs); k++)
			h[i].unread_msr[k] = cpuid_data_msr_unread(&c, cpuid_host_msrs[k]);
		cpuid_data_release(&c);
	}
	*ret = h;
	return 0;
}

/*
 * The other view of this CPU, compared with the one read (c).  The
 * summary shows the comparison; other verbs warn when the views differ.
 */
static int live_views(const struct cpuid_data *c, const struct cpuid_opts *o,
		      struct cpuid_views *ret)
{
	struct cpuid_data user = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	const struct cpuid_data *u = c;

	if (o->view == CPUID_VIEW_KERNEL) {
		if (cpuid_read_host(&user, &d) < 0) {
			(void)log_diags(NULL, &d);
			hv_diags_release(&d);
			return EXIT_FAIL;
		}
		u = &user;
	}
	cpuid_views_compare(u, o->sysroot, ret);
	if (o->verb != VERB_SUMMARY && cpuid_views_differ(ret)) {
		char *what = cpuid_views_what(ret);

		log_warn("this CPU answers user space and the kernel (%s) differently (%s); "
			 "using %s view (--view %s for the other; 'hvkit cpuid' shows both)",
			 ret->kernel_source, what,
			 o->view == CPUID_VIEW_KERNEL ? "the kernel's" : "user space's",
			 o->view == CPUID_VIEW_KERNEL ? "user" : "kernel");
		free(what);
	}
	cpuid_data_release(&user);
	hv_diags_release(&d);
	return 0;
}

/* Reads the input the verb needs and renders into *sb; an exit status. */
static int run_once(const struct cpuid_opts *o, struct strbuf *sb)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_featureset host;
	struct cpuid_summary sum = { .vendor = CPUID_VENDOR_UNKNOWN };
	struct cpuid_host *hosts = NULL;
	struct cpuid_views views = CPUID_VIEWS_INIT;
	bool need_cpu;
	int rc;

	/* A model policy for QEMU or libvirt does not depend on this host. */
	need_cpu = o->verb != VERB_MODELS && o->verb != VERB_BASELINE && o->verb != VERB_COMPARE &&
		   (o->verb != VERB_POLICY || o->from || spec_is_host(o->spec) ||
		    o->target == CPUID_FOR_XL || o->target == CPUID_FOR_XEND);
	memset(&host, 0, sizeof(host));
	/* SAVED_IMAGE HOST...: an existing file, stdin, or what can only be a
	 * path (a model name has no '/' and no file extension). */
	if (o->verb == VERB_COMPARE &&
	    (access(o->spec, F_OK) == 0 || strcmp(o->spec, "-") == 0 || strchr(o->spec, '/') ||
	     (strrchr(o->spec, '.') && strspn(strrchr(o->spec, '.') + 1, "abcdefghijklmnopqrstuvwxyz") > 1)))
		return cpuid_render_compare_saved(o, sb);
	if (need_cpu) {
		rc = o->from ? cpuid_read_file(o->from, &c, &d) :
		     o->view == CPUID_VIEW_KERNEL ? cpuid_read_kernel(o->sysroot, 0, &c, &d) :
		     cpuid_read_host(&c, &d);
		(void)log_diags(NULL, &d);
		if (rc < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
		cpuid_data_features(&c, &host);
		cpuid_summarize(&c, &sum);
	}
	if (need_cpu && !o->from && (rc = live_views(&c, o, &views)) != 0)
		goto out;
	if ((o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) &&
	    (rc = read_hosts(o, &hosts)) != 0)
		goto out;
	rc = EXIT_OK;
	switch (o->verb) {
	case VERB_SUMMARY:
		cpuid_render_summary(&c, o->from ? NULL : &views, o, sb);
		break;
	case VERB_DECODE:
		cpuid_render_decode(&c, o, sb);
		break;
	case VERB_FEATURES:
		cpuid_render_features(&c, o, sb);
		break;
	case VERB_DUMP:
		cpuid_render_dump(&c, o, sb);
		break;
	case VERB_MODELS:
		cpuid_render_models(o, sb);
		break;
	case VERB_MODEL:
		if (o->target >= 0)
			rc = cpuid_render_model_policy(&c, o, sb);
		else
			cpuid_render_model(&c, o, sb);
		break;
	case VERB_POLICY:
		rc = cpuid_render_policy(&host, sum.vendor, o, sb);
		break;
	case VERB_BASELINE:
		rc = cpuid_render_baseline(hosts, o->nfiles, o, sb);
		break;
	case VERB_COMPARE:
		rc = cpuid_render_compare(hosts, o->nfiles, o, sb);
		break;
	}
out:
	free(hosts);
	cpuid_views_release(&views);
	hv_diags_release(&d);
	cpuid_data_release(&c);
	return rc;
}

/* Runs the verb once its arguments are in *o; an exit status. */
static int run_verb(struct cpuid_opts *o, enum cpuid_verb verb, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = verb_args(o, verb, argc, argv);

	if (rc)
		return rc;
	/* After the usage errors, before anything is read: the rule every
	 * -o follows (write_output() asks again). */
	if (o->output && strcmp(o->output, "-") != 0) {
		_cleanup_free_ char *real = NULL;

		if (output_target(o->output, &real) < 0)
			return EXIT_FAIL;
	}
	/* libvirt's <cpu> inputs expand their model with the same map */
	cpuid_source_set_libvirt_map(o->libvirt_map);
	if (o->repeat) {
		/* For bench/cpuid.sh: the same work N times in this process. */
		struct timespec t0, t1;
		double us;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned long i = 0; i < o->repeat; i++) {
			strbuf_reset(&sb);
			rc = run_once(o, &sb);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
		cpuid_tell("repeat: %lu runs in %.3f ms, %.3f us each", o->repeat, us / 1e3,
		     us / (double)o->repeat);
	} else {
		rc = run_once(o, &sb);
	}
	/* compare prints its findings also when a host cannot run the policy. */
	if (rc == EXIT_OK || sb.len) {
		int w = write_output(o->output, sb.buf, sb.len) < 0 ? EXIT_FAIL : EXIT_OK;

		if (rc == EXIT_OK)
			rc = w;
	}
	strbuf_release(&sb);
	return rc;
}

static int verb(int argc, char **argv, struct hv_global *g);

/* Each verb's options: those it reads, not those it would ignore;
 * verb_args() refuses what goes only with some values of others. */
#define CPUID_ANY "json output verbose repeat "
#define CPUID_CPU CPUID_ANY "from sysroot view libvirt-map "
#define CPUID_TARGET "for qemu guest-max "
static const struct hv_cmd cpuid_cmds[] = {
	[VERB_SUMMARY] = { NULL, verb, HV_CMD_DEFAULT, "a summary: vendor, model, microarchitecture",
			   CPUID_CPU "names" },
	[VERB_DECODE] = { "decode", verb, 0, "every leaf and subleaf as named fields",
			  CPUID_CPU "names raw" },
	[VERB_FEATURES] = { "features", verb, 0, "the feature names, one a line", CPUID_CPU "names" },
	[VERB_DUMP] = { "dump", verb, 0, "the raw values in hvkit's dump format", CPUID_CPU },
	[VERB_MODELS] = { "models", verb, 0,
			  "every QEMU model version, with libvirt names", CPUID_ANY "names" },
	[VERB_MODEL] = { "model", verb, 0, "the closest model, plus and minus features",
			 CPUID_CPU CPUID_TARGET "names" },
	[VERB_POLICY] = { "policy", verb, 0, "SPEC as xl.cfg cpuid=, QEMU -cpu or libvirt <cpu>",
			  CPUID_CPU CPUID_TARGET },
	[VERB_BASELINE] = { "baseline", verb, 0,
			    "the richest model every host can run",
			    CPUID_ANY CPUID_TARGET "libvirt-map names" },
	[VERB_COMPARE] = { "compare", verb, 0,
			   "whether each host can run a model or policy", CPUID_ANY "libvirt-map names" },
};

/* Every verb: the table's order is enum cpuid_verb's. */
static int verb(int argc, char **argv, struct hv_global *g)
{
	return run_verb(g->opts, (enum cpuid_verb)(g->cmd - cpuid_cmds), argc, argv);
}

int cmd_cpuid(int argc, char **argv, struct hv_global *g)
{
	static const struct hv_tool tool = {
		.name = "cpuid", .cmds = cpuid_cmds, .ncmds = ARRAY_SIZE(cpuid_cmds), .usage = usage,
		.opts = options,
	};
	struct cpuid_opts o;

	return hv_dispatch_opts(&tool, parse_opts(argc, argv, g, &o), argc, argv, g, &o);
}
