/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid`: options, input selection, rendering.  The only file of
 * the tool that talks to the user. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hvkit.h"
#include "cpuid-decode.h"
#include "cpuid-models.h"
#include "json.h"
#include "log.h"
#include "cpuid-source.h"
#include "cpuid-views.h"
#include "strbuf.h"
#include "util.h"

enum cpuid_verb {
	VERB_SUMMARY, VERB_DECODE, VERB_FEATURES, VERB_DUMP, VERB_MODELS, VERB_MODEL,
	VERB_POLICY, VERB_BASELINE, VERB_COMPARE,
};

static const char *const verb_names[] = {
	[VERB_SUMMARY] = "", [VERB_DECODE] = "decode",
	[VERB_FEATURES] = "features", [VERB_DUMP] = "dump",
	[VERB_MODELS] = "models", [VERB_MODEL] = "model", [VERB_POLICY] = "policy",
	[VERB_BASELINE] = "baseline", [VERB_COMPARE] = "compare",
};

static void usage(FILE *f)
{
	fputs("usage: hvkit cpuid [--from FILE] [-v] [--json[=pretty]]\n"
	      "       hvkit cpuid decode [--from FILE] [-r] [--names PROJECT]\n"
	      "       hvkit cpuid features [--from FILE] [--names PROJECT]\n"
	      "       hvkit cpuid dump [--from FILE] [-o FILE]\n"
	      "       hvkit cpuid models [--names PROJECT]\n"
	      "       hvkit cpuid model [--from FILE] [--names PROJECT]\n"
	      "       hvkit cpuid policy SPEC --for xl|xl-xend|qemu|libvirt [--from FILE]\n"
	      "                     [--libvirt-map DIR] [--qemu BINARY|none]\n"
	      "       hvkit cpuid baseline FILE... [--for TARGET] [--names PROJECT]\n"
	      "                     [--libvirt-map DIR] [--qemu BINARY|none]\n"
	      "       hvkit cpuid compare MODEL_OR_POLICY FILE... [--names PROJECT]\n"
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
	      "  model     the closest model: model + plus - minus is this CPU\n"
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
	      "            exit 1 when some host cannot\n"
	      "\n"
	      "Options:\n"
	      "  --from FILE        read a dump instead of this CPU: `cpuid -r` or\n"
	      "                     `cpuid -1 -r` output (CPU 0 is used), libvirt\n"
	      "                     <cpudata> XML, QEMU QMP JSON (feature-words,\n"
	      "                     query-cpu-model-expansion), `xen-cpuid -p` output\n"
	      "                     (FILE#host etc. picks a policy), an hvkit cpuid\n"
	      "                     dump; '-' is stdin\n"
	      "  --view user|kernel this CPU as the CPUID instruction answers user\n"
	      "                     space (default), or as the kernel sees it\n"
	      "                     (/dev/cpu/0/cpuid: root, modprobe cpuid).  They\n"
	      "                     differ under some nested hypervisors; the\n"
	      "                     summary says so when they do\n"
	      "  --names PROJECT    spell features as linux, xen, qemu (default) or\n"
	      "                     libvirt does\n"
	      "  -r, --raw          decode: show the registers of each leaf too\n"
	      "  --for TARGET       policy: xl, xl-xend, qemu or libvirt\n"
	      "  --libvirt-map DIR  the libvirt form from this cpu_map folder (another\n"
	      "                     libvirt's); default: the installed one\n"
	      "                     (" CPUID_LVMAP_DEFAULT_DIR "), else the copy\n"
	      "                     of libvirt 9.0's built into hvkit ('builtin')\n"
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

struct cpuid_opts {
	enum cpuid_verb verb;
	const char *from;
	const char *sysroot;	/* --sysroot: the kernel's view is read under it */
	enum cpuid_view view;
	bool view_set;
	const char *output;
	const char *spec;
	int target;
	char **files;		/* baseline, compare: the hosts' dumps */
	size_t nfiles;
	unsigned long repeat;	/* hidden --repeat N: run N times, report the time */
	bool json, pretty, raw, verbose, names_set;
	enum cpuid_names names;
	const char *libvirt_map;	/* --libvirt-map DIR; NULL: installed, else built in */
	const char *qemu;		/* --qemu BINARY|none; NULL: qemu-system-x86_64 */
};

static int parse_opts(int argc, char **argv, struct hv_global *g,
		      struct cpuid_opts *o)
{
	static const struct option opts[] = {
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
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->json = g->json;
	o->pretty = g->json_pretty;
	o->verbose = g->verbose > 0;
	o->names = CPUID_NAMES_QEMU;
	o->target = -1;
	o->sysroot = g->sysroot;
	while ((c = getopt_long(argc, argv, "o:rvh", opts, NULL)) != -1) {
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
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	/* argv[0] is "cpuid"; what is left is an optional verb. */
	if (optind < argc) {
		size_t v;

		for (v = 1; v < ARRAY_SIZE(verb_names); v++)
			if (strcmp(argv[optind], verb_names[v]) == 0)
				break;
		if (v == ARRAY_SIZE(verb_names)) {
			log_error("unknown cpuid command '%s'; see 'hvkit cpuid --help'",
				  argv[optind]);
			return EXIT_USAGE;
		}
		o->verb = (enum cpuid_verb)v;
		if ((o->verb == VERB_POLICY || o->verb == VERB_COMPARE) && optind + 1 < argc)
			o->spec = argv[++optind];
		if (o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) {
			o->files = argv + optind + 1;
			o->nfiles = (size_t)(argc - optind - 1);
			optind = argc - 1;
		}
		if (optind + 1 < argc) {
			log_error("unexpected argument '%s'; see 'hvkit cpuid --help'",
				  argv[optind + 1]);
			return EXIT_USAGE;
		}
	}
	if (o->verb == VERB_POLICY && (!o->spec || o->target < 0)) {
		log_error("policy needs a SPEC and --for xl|xl-xend|qemu|libvirt");
		return EXIT_USAGE;
	}
	if ((o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) && !o->nfiles) {
		log_error("%s needs %sat least one FILE (a dump of each host)",
			  verb_names[o->verb], o->verb == VERB_COMPARE ? "a MODEL_OR_POLICY and " : "");
		return EXIT_USAGE;
	}
	if (o->verb == VERB_COMPARE && spec_is_host(o->spec)) {
		log_error("compare needs a model: 'host' is whatever each host has");
		return EXIT_USAGE;
	}
	if (o->from && (o->verb == VERB_BASELINE || o->verb == VERB_COMPARE)) {
		log_error("--from does not go with '%s' (name the hosts' dumps)", verb_names[o->verb]);
		return EXIT_USAGE;
	}
	if ((o->libvirt_map || o->qemu) && o->verb != VERB_POLICY && o->verb != VERB_BASELINE) {
		log_error("%s goes with 'policy' and 'baseline'", o->qemu ? "--qemu" : "--libvirt-map");
		return EXIT_USAGE;
	}
	if (o->target >= 0 && o->verb != VERB_POLICY && o->verb != VERB_BASELINE) {
		log_error("--for goes with 'policy' and 'baseline'");
		return EXIT_USAGE;
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
		log_error("--names does not go with '%s'", verb_names[o->verb]);
		return EXIT_USAGE;
	}
	return 0;
}

/* Whether feature i of fs is already in a list of fs by its name (QEMU
 * names two KVM bits "kvmclock"): lists say each name once. */
static bool named_before(const struct cpuid_featureset *fs, size_t i, enum cpuid_names names)
{
	size_t f = cpuid_feature_name_first(i, names);

	return f != i && cpuid_fset_has(fs, f);
}

/* A JSON array of the space-separated words of s. */
static void json_words(struct json *j, const char *s)
{
	json_arr_open(j);
	while (*s) {
		size_t n = strcspn(s, " ");
		char *w = xstrndup(s, n);

		json_str(j, w);
		free(w);
		s += n;
		s += strspn(s, " ");
	}
	json_arr_close(j);
}

/* ---- rendering ---- */

static void features_json(struct json *j, const struct cpuid_featureset *fs,
			  enum cpuid_names names, bool named)
{
	json_arr_open(j);
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *n;

		if (!cpuid_fset_has(fs, i) || named_before(fs, i, names))
			continue;
		n = cpuid_feature_name(&cpuid_features[i], names);
		if (named && n)
			json_str(j, n);
		else if (!named && !n)
			json_str(j, cpuid_features[i].name);
	}
	json_arr_close(j);
}

/* Xen's version from its leaves ("4.17"), when the hypervisor is Xen. */
static bool xen_version(const struct cpuid_data *c, char ver[24])
{
	for (uint32_t base = 0x40000000; base <= 0x40000100; base += 0x100) {
		const struct cpuid_leaf *h = cpuid_data_get(c, base, 0);
		const struct cpuid_leaf *v = cpuid_data_get(c, base + 1, 0);

		if (h && v && h->r[1] == 0x566e6558 && h->r[2] == 0x65584d4d &&
		    h->r[3] == 0x4d4d566e) {	/* "XenVMMXenVMM" */
			snprintf(ver, 24, "%u.%u", v->r[0] >> 16, v->r[0] & 0xffff);
			return true;
		}
	}
	return false;
}

/* A list of feature names of fs, space-separated, in o's spelling. */
static void features_text(const struct cpuid_featureset *fs, enum cpuid_names names,
			  struct strbuf *sb)
{
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *n = cpuid_feature_name(&cpuid_features[i], names);

		if (cpuid_fset_has(fs, i) && !named_before(fs, i, names))
			strbuf_addf(sb, " %s", n ? n : cpuid_features[i].name);
	}
}

static const char *view_name(enum cpuid_view v)
{
	return v == CPUID_VIEW_KERNEL ? "kernel" : "user";
}

/* The two views of a live CPU (NULL for a dump), in JSON. */
static void views_json(struct json *j, const struct cpuid_views *v, const struct cpuid_opts *o)
{
	json_key(j, "views");
	if (!v) {
		json_str(j, NULL);
		return;
	}
	json_obj_open(j);
	json_kv_str(j, "shown", view_name(o->view));
	json_kv_str(j, "kernel_source", v->kernel_source);
	json_kv_str(j, "device_error", v->device_error);
	json_key(j, "agree");
	if (v->kernel_source)
		json_bool(j, !cpuid_views_differ(v));
	else
		json_str(j, NULL);
	json_key(j, "differences");
	json_arr_open(j);
	for (size_t i = 0; i < v->ndiffs; i++) {
		json_obj_open(j);
		json_kv_str(j, "what", v->diffs[i].what);
		json_kv_str(j, "user", v->diffs[i].user);
		json_kv_str(j, "kernel", v->diffs[i].kernel);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "user_only");
	features_json(j, &v->user_only, o->names, true);
	json_key(j, "kernel_only");
	features_json(j, &v->kernel_only, o->names, true);
	json_obj_close(j);
}

static void views_text(const struct cpuid_views *v, const struct cpuid_opts *o, struct strbuf *sb)
{
	char *what;

	if (!v->kernel_source) {
		strbuf_addf(sb, "views:       user space only (the kernel's view not read: %s; no /proc/cpuinfo)\n",
			    v->device_error ? v->device_error : "?");
		return;
	}
	if (!cpuid_views_differ(v)) {
		strbuf_addf(sb, "views:       user space and the kernel (%s) agree\n", v->kernel_source);
		return;
	}
	what = cpuid_views_what(v);
	strbuf_addf(sb, "views:       user space and the kernel (%s) DIFFER: %s; shown: %s (--view %s for the other)\n",
		    v->kernel_source, what, o->view == CPUID_VIEW_KERNEL ? "the kernel's" : "user space's",
		    o->view == CPUID_VIEW_KERNEL ? "user" : "kernel");
	free(what);
	for (size_t i = 0; i < v->ndiffs; i++)
		strbuf_addf(sb, "             %s: user space '%s', kernel '%s'\n", v->diffs[i].what,
			    v->diffs[i].user, v->diffs[i].kernel);
	if (cpuid_fset_count(&v->user_only)) {
		strbuf_adds(sb, "             only user space sees:");
		features_text(&v->user_only, o->names, sb);
		strbuf_addc(sb, '\n');
	}
	if (cpuid_fset_count(&v->kernel_only)) {
		strbuf_adds(sb, "             only the kernel sees:");
		features_text(&v->kernel_only, o->names, sb);
		strbuf_addc(sb, '\n');
	}
}

static void render_summary(const struct cpuid_data *c, const struct cpuid_views *views,
			   const struct cpuid_opts *o, struct strbuf *sb)
{
	struct cpuid_summary s;
	struct cpuid_featureset fs;
	char ver[24];

	cpuid_summarize(c, &s);
	cpuid_data_features(c, &fs);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "vendor", cpuid_vendor_name(s.vendor));
		json_kv_str(&j, "vendor_id", s.vendor_id);
		json_kv_u64(&j, "family", s.family);
		json_kv_u64(&j, "model", s.model);
		json_kv_u64(&j, "stepping", s.stepping);
		json_key(&j, "uarch");
		json_str(&j, s.uarch);
		json_key(&j, "brand");
		json_str(&j, s.brand[0] ? s.brand : NULL);
		json_kv_u64(&j, "feature_count", s.nfeatures);
		json_key(&j, "hypervisor");
		json_obj_open(&j);
		json_kv_bool(&j, "present", s.hypervisor_bit || s.hypervisor[0]);
		json_key(&j, "signature");
		json_str(&j, s.hypervisor[0] ? s.hypervisor : NULL);
		json_key(&j, "xen_version");
		json_str(&j, xen_version(c, ver) ? ver : NULL);
		json_obj_close(&j);
		json_key(&j, "msrs_unread");
		json_arr_open(&j);
		for (uint32_t m = 0; m < 0x200; m++)
			if (cpuid_data_msr_unread(c, m)) {
				char idx[16];
				snprintf(idx, sizeof(idx), "0x%x", m);
				json_str(&j, idx);
			}
		json_arr_close(&j);
		views_json(&j, views, o);
		if (o->verbose) {
			json_key(&j, "features");
			features_json(&j, &fs, o->names, true);
		}
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	strbuf_addf(sb, "source:      %s\n", c->origin ? c->origin : "?");
	strbuf_addf(sb, "vendor:      %s (%s)\n", cpuid_vendor_name(s.vendor),
		    s.vendor_id[0] ? s.vendor_id : "no vendor id");
	strbuf_addf(sb, "signature:   family %u (0x%x), model %u (0x%x), stepping %u\n",
		    s.family, s.family, s.model, s.model, s.stepping);
	strbuf_addf(sb, "uarch:       %s\n", s.uarch ? s.uarch : "unknown");
	strbuf_addf(sb, "brand:       %s\n", s.brand[0] ? s.brand : "(none)");
	strbuf_addf(sb, "features:    %zu known ('hvkit cpuid features' lists them)\n",
		    s.nfeatures);
	if (s.hypervisor[0] && xen_version(c, ver))
		strbuf_addf(sb, "hypervisor:  %s (Xen %s)%s\n", s.hypervisor, ver,
			    c->origin && strstr(c->origin, "Xen PV") ? ", in a PV domain" : "");
	else if (s.hypervisor[0])
		strbuf_addf(sb, "hypervisor:  %s\n", s.hypervisor);
	else
		strbuf_addf(sb, "hypervisor:  %s\n",
			    s.hypervisor_bit ? "yes (no signature)" : "none");
	for (uint32_t m = 0; m < 0x200; m++)
		if (cpuid_data_msr_unread(c, m))
			strbuf_addf(sb, "msr:         0x%x %s: enumerated, not read, so its feature bits are unknown%s\n",
				    m, cpuid_msr_name(m),
				    !o->from ?
				    " (needs root, 'modprobe msr'; a hypervisor may refuse)" :
				    " (the data has no value for it)");
	if (views)
		views_text(views, o, sb);
	if (o->verbose) {
		strbuf_adds(sb, "feature list:");
		features_text(&fs, o->names, sb);
		strbuf_addc(sb, '\n');
	}
}

static void render_features(const struct cpuid_data *c, const struct cpuid_opts *o,
			    struct strbuf *sb)
{
	struct cpuid_featureset fs;

	cpuid_data_features(c, &fs);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "names", cpuid_names_str(o->names));
		json_key(&j, "features");
		features_json(&j, &fs, o->names, true);
		json_key(&j, "other");
		features_json(&j, &fs, o->names, false);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *n = cpuid_feature_name(&cpuid_features[i], o->names);

		if (cpuid_fset_has(&fs, i) && n && !named_before(&fs, i, o->names))
			strbuf_addf(sb, "%s\n", n);
	}
	if (o->verbose)
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (cpuid_fset_has(&fs, i) &&
			    !cpuid_feature_name(&cpuid_features[i], o->names))
				strbuf_addf(sb, "%s (no %s name)\n", cpuid_features[i].name,
					    cpuid_names_str(o->names));
}

/* Whether a section's subleaf is worth showing: others of its leaf exist. */
static bool has_subleaves(const struct cpuid_report *r, size_t i)
{
	return r->v[i].subleaf != 0 ||
	       (i + 1 < r->n && r->v[i + 1].leaf == r->v[i].leaf);
}

static void render_decode(const struct cpuid_data *c, const struct cpuid_opts *o,
			  struct strbuf *sb)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	struct cpuid_report r = CPUID_REPORT_INIT;
	struct json j;

	cpuid_decode(c, o->names, &r);
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "names", cpuid_names_str(o->names));
		json_key(&j, "leaves");
		json_arr_open(&j);
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct cpuid_section *s = &r.v[i];

		if (!s->nfields && !o->raw)
			continue;
		if (o->json) {
			json_obj_open(&j);
			json_kv_u64(&j, "leaf", s->leaf);
			json_kv_u64(&j, "subleaf", s->subleaf);
			json_key(&j, "name");
			json_str(&j, s->title);
			json_key(&j, "fields");
			json_obj_open(&j);
		} else {
			strbuf_addf(sb, "%sleaf 0x%08x", i ? "\n" : "", s->leaf);
			if (has_subleaves(&r, i))
				strbuf_addf(sb, " subleaf %u", s->subleaf);
			if (s->title)
				strbuf_addf(sb, " (%s)", s->title);
			strbuf_addc(sb, '\n');
		}
		for (size_t k = 0; k < s->nfields; k++) {
			const struct cpuid_field *f = &s->fields[k];

			if (o->json) {
				json_key(&j, f->key);
				switch (f->type) {
				case CPUID_FIELD_UINT:
				case CPUID_FIELD_HEX:
					json_u64(&j, f->u);
					break;
				case CPUID_FIELD_BOOL:
					json_bool(&j, f->u != 0);
					break;
				case CPUID_FIELD_STR:
					json_str(&j, f->s);
					break;
				case CPUID_FIELD_LIST:
					json_words(&j, f->s);
					break;
				}
				continue;
			}
			strbuf_addf(sb, "  %-28s ", f->key);
			switch (f->type) {
			case CPUID_FIELD_UINT:
				strbuf_addf(sb, "%" PRIu64 "\n", f->u);
				break;
			case CPUID_FIELD_HEX:
				strbuf_addf(sb, "0x%" PRIx64 "\n", f->u);
				break;
			case CPUID_FIELD_BOOL:
				strbuf_adds(sb, f->u ? "yes\n" : "no\n");
				break;
			case CPUID_FIELD_STR:
			case CPUID_FIELD_LIST:
				strbuf_addf(sb, "%s\n", f->s);
				break;
			}
		}
		if (o->json) {
			json_obj_close(&j);
			if (o->raw) {
				json_key(&j, "raw");
				json_obj_open(&j);
				for (int k = 0; k < 4; k++)
					json_kv_u64(&j, regs[k], s->r[k]);
				json_obj_close(&j);
			}
			json_obj_close(&j);
		} else if (o->raw) {
			strbuf_addf(sb, "  %-28s eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
				    "raw", s->r[0], s->r[1], s->r[2], s->r[3]);
		}
	}
	if (o->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	}
	cpuid_report_release(&r);
}

static void render_dump(const struct cpuid_data *c, const struct cpuid_opts *o,
			struct strbuf *sb)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	struct json j;

	if (!o->json) {
		cpuid_dump(c, sb);
		return;
	}
	json_init(&j, sb, o->pretty);
	json_obj_open(&j);
	json_kv_str(&j, "origin", c->origin);
	json_key(&j, "leaves");
	json_arr_open(&j);
	for (size_t i = 0; i < c->nleaves; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "leaf", c->leaves[i].leaf);
		json_kv_u64(&j, "subleaf", c->leaves[i].subleaf);
		for (int k = 0; k < 4; k++)
			json_kv_u64(&j, regs[k], c->leaves[i].r[k]);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "msrs");
	json_arr_open(&j);
	for (size_t i = 0; i < c->nmsrs; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "index", c->msrs[i].index);
		json_kv_u64(&j, "value", c->msrs[i].value);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	strbuf_addc(sb, '\n');
}


/* ---- models, model, policy ---- */

/* What a command did beyond its output, on stderr: "hvkit: note: ...". */
__attribute__((format(printf, 1, 2))) static void tell(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hvkit: note: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A feature's name in `names`, or its canonical name when it has none. */
static const char *fname(size_t i, enum cpuid_names names)
{
	const char *n = cpuid_feature_name(&cpuid_features[i], names);

	return n ? n : cpuid_features[i].name;
}

static void fset_json(struct json *j, const struct cpuid_featureset *fs, enum cpuid_names names)
{
	json_arr_open(j);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(fs, i) && !named_before(fs, i, names))
			json_str(j, fname(i, names));
	json_arr_close(j);
}

static void fset_text(struct strbuf *sb, const struct cpuid_featureset *fs,
		      enum cpuid_names names, const char *sep, const char *none)
{
	bool any = false;

	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(fs, i) && !named_before(fs, i, names)) {
			strbuf_addf(sb, "%s%s", any ? sep : "", fname(i, names));
			any = true;
		}
	if (!any)
		strbuf_adds(sb, none);
}

static const char *vendor_key(enum cpuid_vendor v)
{
	return cpuid_vendor_name(v);
}

static void render_models(const struct cpuid_opts *o, struct strbuf *sb)
{
	struct json j;

	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_key(&j, "models");
		json_arr_open(&j);
	} else {
		strbuf_addf(sb, "%-26s %-26s %-26s %-6s %-10s %s\n", "MODEL", "ALIAS",
			    "LIBVIRT 9.0", "VENDOR", "FAM/MOD/ST", "FEATURES");
	}
	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const struct cpuid_model *m = &cpuid_models[i];

		if (o->json) {
			json_obj_open(&j);
			json_kv_str(&j, "name", m->name);
			json_kv_str(&j, "base", m->base);
			json_kv_u64(&j, "version", m->version);
			json_key(&j, "alias");
			json_str(&j, m->alias);
			json_key(&j, "libvirt");
			json_str(&j, m->libvirt);
			json_kv_str(&j, "vendor", vendor_key(m->vendor));
			json_kv_u64(&j, "family", m->family);
			json_kv_u64(&j, "model", m->model);
			json_key(&j, "stepping");
			if (m->stepping < 0)
				json_null(&j);
			else
				json_u64(&j, (uint64_t)m->stepping);
			json_kv_bool(&j, "pending", m->pending);
			json_key(&j, "features");
			fset_json(&j, o->names == CPUID_NAMES_LIBVIRT ? &m->libvirt_features :
				  &m->features, o->names);
			json_obj_close(&j);
			continue;
		}
		strbuf_addf(sb, "%-26s %-26s %-26s %-6s %u/%u/", m->name, m->alias ? m->alias : "-",
			    m->libvirt ? m->libvirt : "-", vendor_key(m->vendor), m->family, m->model);
		if (m->stepping < 0)
			strbuf_adds(sb, "?    ");
		else
			strbuf_addf(sb, "%-4d ", m->stepping);
		if (m->pending)
			strbuf_adds(sb, "(features not in the table yet)\n");
		else
			strbuf_addf(sb, "%zu\n", cpuid_fset_count(&m->features));
	}
	if (o->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	}
}

/*
 * The closest model as `names` knows it: returns its name and rewrites
 * m->plus and m->minus against what that name means to the reader's tool
 * (libvirt's model of a name may hold other features than QEMU's).
 */
static const char *closest_named(struct cpuid_match *m, enum cpuid_names names)
{
	const struct cpuid_featureset *mf = &m->model->features;
	const char *name = cpuid_model_name(m->model, names);

	if (names == CPUID_NAMES_LIBVIRT && name)
		mf = &m->model->libvirt_features;
	if (!name)
		name = m->model->name;
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
		m->plus.w[w] = m->cpu.w[w] & ~mf->w[w];
		m->minus.w[w] = mf->w[w] & ~m->cpu.w[w];
	}
	return name;
}

/* The "closest" object of model and baseline --json. */
static void closest_json(struct json *j, const struct cpuid_match *m, const char *name,
			 enum cpuid_names names)
{
	json_obj_open(j);
	json_kv_str(j, "name", name);
	json_kv_str(j, "qemu_name", m->model->name);
	json_key(j, "libvirt_name");
	json_str(j, m->model->libvirt);
	json_key(j, "plus");
	fset_json(j, &m->plus, names);
	json_key(j, "minus");
	fset_json(j, &m->minus, names);
	json_kv_str(j, "why", m->why);
	json_key(j, "near_miss");
	if (m->blocker) {
		json_obj_open(j);
		json_kv_str(j, "name", m->blocker->name);
		json_key(j, "missing");
		fset_json(j, &m->blocked_by, names);
		json_obj_close(j);
	} else {
		json_null(j);
	}
	json_obj_close(j);
}

/* "MODEL,+f,-g" in `names`' spelling. */
static void spec_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
		      enum cpuid_names names)
{
	strbuf_adds(sb, name);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&m->plus, i) && !named_before(&m->plus, i, names))
			strbuf_addf(sb, ",+%s", fname(i, names));
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&m->minus, i) && !named_before(&m->minus, i, names))
			strbuf_addf(sb, ",-%s", fname(i, names));
}

/* The closest-model lines of model and baseline. */
static void closest_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
			 enum cpuid_names names, const char *lacks_what)
{
	strbuf_addf(sb, "closest:   %s", name);
	if (m->model->alias && names != CPUID_NAMES_LIBVIRT)
		strbuf_addf(sb, " (alias %s)", m->model->alias);
	if (m->model->libvirt && names != CPUID_NAMES_LIBVIRT)
		strbuf_addf(sb, " (libvirt 9.0: %s)", m->model->libvirt);
	strbuf_adds(sb, "\nplus:      ");
	fset_text(sb, &m->plus, names, " ", "(none)");
	strbuf_adds(sb, "\nminus:     ");
	fset_text(sb, &m->minus, names, " ", "(none)");
	strbuf_addf(sb, "\nwhy:       %s\n", m->why);
	if (m->blocker) {
		strbuf_addf(sb, "near miss: %s needs ", m->blocker->name);
		fset_text(sb, &m->blocked_by, names, ", ", "");
		strbuf_addf(sb, ", which %s\n", lacks_what);
	}
	strbuf_adds(sb, "spec:      ");
	spec_text(sb, m, name, names);
	strbuf_addc(sb, '\n');
}

static void render_model(const struct cpuid_data *c, const struct cpuid_opts *o,
			 struct strbuf *sb)
{
	struct cpuid_summary s;
	struct cpuid_match m;
	const char *name;
	struct json j;

	cpuid_summarize(c, &s);
	if (cpuid_model_closest(c, &m) < 0) {
		log_error("no model of vendor %s in the table", cpuid_vendor_name(s.vendor));
		return;
	}
	name = closest_named(&m, o->names);
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "vendor", cpuid_vendor_name(s.vendor));
		json_kv_u64(&j, "family", s.family);
		json_kv_u64(&j, "model", s.model);
		json_kv_u64(&j, "stepping", s.stepping);
		json_key(&j, "closest");
		closest_json(&j, &m, name, o->names);
		json_key(&j, "features");
		fset_json(&j, &m.cpu, o->names);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	strbuf_addf(sb, "cpu:       %s family %u model %u stepping %u%s%s\n",
		    cpuid_vendor_name(s.vendor), s.family, s.model, s.stepping,
		    s.uarch ? ", " : "", s.uarch ? s.uarch : "");
	closest_text(sb, &m, name, o->names, "this CPU lacks");
}

static const enum cpuid_names target_names[] = {
	[CPUID_FOR_XL] = CPUID_NAMES_XEN, [CPUID_FOR_XEND] = CPUID_NAMES_XEN,
	[CPUID_FOR_QEMU] = CPUID_NAMES_QEMU, [CPUID_FOR_LIBVIRT] = CPUID_NAMES_LIBVIRT,
};


/* Loads libvirt's cpu_map for the libvirt form; an exit status. */
static int load_lvmap(const struct cpuid_opts *o, struct cpuid_lvmap *ret)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int rc = cpuid_lvmap_load(o->libvirt_map, ret, &d);

	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* Asks the installed QEMU (o->qemu, else qemu-system-x86_64) for its
 * models and properties; false when there is none or it cannot say (a
 * warning then: the QEMU form is written unchecked). */
static bool load_qemu(const struct cpuid_opts *o, struct cpuid_qemu *ret)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int rc;

	if (o->qemu && strcmp(o->qemu, "none") == 0)
		return false;
	rc = cpuid_qemu_load(o->qemu, ret, &d);
	if (rc == -ENOENT && o->qemu)
		log_warn("no QEMU binary '%s'; the QEMU form is not checked against one", o->qemu);
	else if (rc < 0 && rc != -ENOENT)
		(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc == 0;
}

/* "qemu": {"binary", "version"}: which QEMU the QEMU form was checked with. */
static void qemu_json(struct json *j, const struct cpuid_qemu *q)
{
	json_key(j, "qemu");
	json_obj_open(j);
	json_kv_str(j, "binary", q->binary);
	json_kv_str(j, "version", q->version);
	json_obj_close(j);
}

/* "libvirt's cpu_map (DIR) has no name for: a b; left out" and the like. */
static void warn_skipped(enum cpuid_target t, const struct cpuid_targets *tg, const char *skipped)
{
	if (t == CPUID_FOR_LIBVIRT)
		log_warn("libvirt's cpu_map (%s) has no name for: %s; left out", tg->lvmap->source, skipped);
	else if (t == CPUID_FOR_QEMU && tg->qemu)
		log_warn("QEMU %s (%s) has no property for: %s; left out", tg->qemu->version,
			 tg->qemu->binary, skipped);
	else if (t == CPUID_FOR_XEND)
		log_warn("the xend form (CPUID leaves only) has no name for: %s; left out", skipped);
	else
		log_warn("%s has no name for: %s; left out",
			 cpuid_names_str(target_names[t]), skipped);
}

/* The QEMU and libvirt forms are for KVM guests: cut to what KVM gives. */
static bool kvm_form(int t)
{
	return t == CPUID_FOR_QEMU || t == CPUID_FOR_LIBVIRT;
}

/* "not given to KVM guests: monitor ds ...", one line on stderr. */
static void tell_cut(int t, const struct cpuid_featureset *cut, enum cpuid_names names)
{
	struct strbuf sb = STRBUF_INIT;

	if (kvm_form(t) && cpuid_fset_count(cut)) {
		fset_text(&sb, cut, names, " ", "");
		tell("not given to KVM guests: %s", sb.buf);
	}
	strbuf_release(&sb);
}

/* Renders a policy; returns an exit status (1: the spec is wrong). */
static int render_policy(const struct cpuid_featureset *host, const struct cpuid_opts *o,
			 struct strbuf *sb)
{
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct strbuf line = STRBUF_INIT, skipped = STRBUF_INIT, note = STRBUF_INIT;
	enum cpuid_names names = target_names[o->target];
	struct cpuid_lvmap lv;
	struct cpuid_qemu qemu;
	struct cpuid_targets tg = { NULL, NULL };
	struct cpuid_featureset cut;
	struct cpuid_error err;
	int rc = EXIT_OK;

	memset(&lv, 0, sizeof(lv));
	memset(&qemu, 0, sizeof(qemu));
	if (o->target == CPUID_FOR_LIBVIRT) {
		if ((rc = load_lvmap(o, &lv)) != EXIT_OK)
			goto out;
		tg.lvmap = &lv;
	}
	if (o->target == CPUID_FOR_QEMU && load_qemu(o, &qemu))
		tg.qemu = &qemu;
	if (cpuid_policy_parse(o->spec, host, p, &err) < 0) {
		log_error("%s", err.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	memset(&cut, 0, sizeof(cut));
	if (kvm_form(o->target))
		cpuid_policy_cut(p, &cpuid_guest_kvm, &cut);
	if (cpuid_policy_emit(p, (enum cpuid_target)o->target, &tg, &line, &skipped, &err) < 0) {
		log_error("%s", err.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	if (!o->json)
		tell_cut(o->target, &cut, names);
	/* "-avx2 also removes vaes, vpclmulqdq (they need avx2)", one line per
	 * removed feature that took others with it. */
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		size_t n = 0;

		if (!cpuid_fset_has(&p->off, f))
			continue;
		strbuf_reset(&note);
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (cpuid_fset_has(&p->also_off, i) && p->dep_of[i] == f)
				strbuf_addf(&note, "%s%s", n++ ? ", " : "", fname(i, names));
		if (n && !o->json)
			tell("-%s also removes %s (%s %s)", fname(f, names), note.buf,
				 n > 1 ? "they need" : "it needs", fname(f, names));
	}
	if (skipped.len && !o->json)
		warn_skipped((enum cpuid_target)o->target, &tg, skipped.buf);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", o->spec);
		json_kv_str(&j, "for", o->target == CPUID_FOR_XL ? "xl" :
			    o->target == CPUID_FOR_XEND ? "xl-xend" :
			    o->target == CPUID_FOR_QEMU ? "qemu" : "libvirt");
		json_kv_str(&j, "model", p->model ? p->model->name : "host");
		if (o->target == CPUID_FOR_LIBVIRT)
			json_kv_str(&j, "libvirt_map", lv.source);
		if (tg.qemu)
			qemu_json(&j, tg.qemu);
		json_kv_str(&j, "output", line.buf);
		json_key(&j, "features");
		fset_json(&j, &p->result, names);
		json_key(&j, "also_removed");
		json_arr_open(&j);
		for (size_t i = 0; i < cpuid_nfeatures; i++) {
			if (!cpuid_fset_has(&p->also_off, i))
				continue;
			json_obj_open(&j);
			json_kv_str(&j, "name", fname(i, names));
			json_kv_str(&j, "needs", fname(p->dep_of[i], names));
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_key(&j, "skipped");
		json_words(&j, skipped.buf);
		json_key(&j, "not_guest_visible");
		fset_json(&j, &cut, names);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	} else {
		strbuf_addf(sb, "%s\n", line.buf);
	}
out:
	strbuf_release(&line);
	strbuf_release(&skipped);
	strbuf_release(&note);
	cpuid_lvmap_release(&lv);
	cpuid_qemu_release(&qemu);
	free(p);
	return rc;
}

/* ---- baseline, compare: several hosts ---- */

/* One host of baseline or compare: its dump's path, features, signature. */
struct host {
	const char *path;
	struct cpuid_featureset raw;
	struct cpuid_summary s;
	bool unread_msr[2];	/* 0x10a, 0xcf: enumerated, no value */
};

static const uint32_t host_msrs[2] = { 0x10a, 0xcf };

/* Why feature f may be missing on h: an MSR of unknown value, or the
 * usual culprit of the feature (NULL when none is known). */
static const char *missing_why(const struct host *h, size_t f, enum cpuid_names names,
			       char *buf, size_t size)
{
	const struct cpuid_feature *ft = &cpuid_features[f];

	/* The CPU has it, but not what it needs: Xen and QEMU drop it too. */
	if (cpuid_fset_has(&h->raw, f))
		for (size_t i = 0; i < cpuid_ndeps; i++)
			if (cpuid_deps[i].dependent == f && !cpuid_fset_has(&h->raw, cpuid_deps[i].needs)) {
				snprintf(buf, size, "present, but it needs %s, which this host lacks",
					 fname(cpuid_deps[i].needs, names));
				return buf;
			}

	for (size_t i = 0; i < ARRAY_SIZE(host_msrs); i++)
		if (ft->kind == CPUID_FEAT_MSR && ft->leaf == host_msrs[i] && h->unread_msr[i]) {
			snprintf(buf, size, "not known: CPUID says MSR 0x%x (%s) exists but this data has no value for it "
				 "(dump it as root after 'modprobe msr'; a hypervisor may refuse the read)",
				 host_msrs[i], cpuid_msr_name(host_msrs[i]));
			return buf;
		}
	return cpuid_feature_culprit(f);
}

/* Reads every FILE; returns 0 or EXIT_FAIL (the reason logged). */
static int read_hosts(const struct cpuid_opts *o, struct host **ret)
{
	struct host *h = xcalloc(o->nfiles, sizeof(*h));

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
		for (size_t k = 0; k < ARRAY_SIZE(host_msrs); k++)
			h[i].unread_msr[k] = cpuid_data_msr_unread(&c, host_msrs[k]);
		cpuid_data_release(&c);
	}
	*ret = h;
	return 0;
}

static const char *const target_keys[] = {
	[CPUID_FOR_XL] = "xl", [CPUID_FOR_XEND] = "xl-xend",
	[CPUID_FOR_QEMU] = "qemu", [CPUID_FOR_LIBVIRT] = "libvirt",
};

/* The Xen forms edit each host's own policy: what they cannot name, they
 * cannot remove (the QEMU and libvirt forms then leave a feature out). */
static bool xen_form(int t)
{
	return t == CPUID_FOR_XL || t == CPUID_FOR_XEND;
}

static int render_baseline(const struct host *h, size_t n, const struct cpuid_opts *o,
			   struct strbuf *sb)
{
	struct cpuid_baseline *b = xmalloc(sizeof(*b));
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct cpuid_featureset *raw = xcalloc(n, sizeof(*raw));
	struct cpuid_summary *sums = xcalloc(n, sizeof(*sums));
	struct strbuf spec = STRBUF_INIT, form[4], skipped[4];
	struct cpuid_match named;
	struct cpuid_error err;
	struct cpuid_lvmap lv;
	struct cpuid_qemu qemu;
	struct cpuid_targets tg = { NULL, NULL };
	struct cpuid_policy *pq = NULL, *pk = xmalloc(sizeof(*pk));
	struct cpuid_featureset cut;
	bool want_lv = o->target < 0 || o->target == CPUID_FOR_LIBVIRT;
	const char *name;
	int rc = EXIT_FAIL;

	memset(&lv, 0, sizeof(lv));
	memset(&qemu, 0, sizeof(qemu));

	for (int t = 0; t < 4; t++) {
		strbuf_init(&form[t]);
		strbuf_init(&skipped[t]);
	}
	for (size_t i = 0; i < n; i++) {
		raw[i] = h[i].raw;
		sums[i] = h[i].s;
	}
	if (cpuid_baseline(raw, sums, n, b, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	/* The policy, in canonical names; Xen's forms remove from each host
	 * (any of them) what the baseline lacks. */
	spec_text(&spec, &b->match, b->match.model->name, CPUID_NAMES_ANY);
	if (cpuid_policy_parse(spec.buf, &b->all, p, &err) < 0) {
		log_error("baseline policy '%s': %s", spec.buf, err.msg);
		goto out;
	}
	if (memcmp(&p->result, &b->common, sizeof(p->result)) != 0) {
		log_error("baseline policy '%s' does not give the common features (a bug)", spec.buf);
		goto out;
	}
	/* The QEMU and libvirt forms: what KVM gives a guest. */
	*pk = *p;
	cpuid_policy_cut(pk, &cpuid_guest_kvm, &cut);
	if (want_lv) {
		if (load_lvmap(o, &lv) != EXIT_OK)
			goto out;
		tg.lvmap = &lv;
	}
	if ((o->target < 0 || o->target == CPUID_FOR_QEMU) && load_qemu(o, &qemu)) {
		tg.qemu = &qemu;
		/* The installed QEMU may lack the model (it is older than hvkit's
		 * table): its own model that fits best (else the closest), plus
		 * the difference. */
		if (!cpuid_qemu_has_model(&qemu, pk->model->name)) {
			const struct cpuid_model *m =
				cpuid_qemu_best_model(&qemu, &pk->result, pk->model->vendor, false);

			if (m) {
				pq = xmalloc(sizeof(*pq));
				*pq = *pk;
				pq->model = m;
				pq->base = m->features;
			}
		}
	}
	for (int t = 0; t < 4; t++)
		if ((t != CPUID_FOR_LIBVIRT || want_lv) &&
		    cpuid_policy_emit(t == CPUID_FOR_QEMU && pq ? pq : kvm_form(t) ? pk : p,
				      (enum cpuid_target)t, &tg,
				      &form[t], &skipped[t], &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
	named = b->match;
	name = closest_named(&named, o->names);
	strbuf_reset(&spec);
	spec_text(&spec, &named, name, o->names);
	if (o->target >= 0 && !o->json) {
		if (skipped[o->target].len && xen_form(o->target))
			log_warn("%s cannot remove: %s; a guest on a host that has them sees them: "
				 "not migration-safe in this form", target_keys[o->target],
				 skipped[o->target].buf);
		else if (skipped[o->target].len)
			warn_skipped((enum cpuid_target)o->target, &tg, skipped[o->target].buf);
		tell_cut(o->target, &cut, target_names[o->target]);
		strbuf_addf(sb, "%s\n", form[o->target].buf);
		rc = EXIT_OK;
		goto out;
	}
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", spec.buf);
		json_key(&j, "closest");
		closest_json(&j, &named, name, o->names);
		json_key(&j, "features");
		fset_json(&j, &b->common, o->names);
		json_key(&j, "hosts");
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			struct cpuid_featureset m = h[i].raw, lacks;

			cpuid_fset_migratable(&m);
			for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
				lacks.w[w] = b->all.w[w] & ~m.w[w];
			json_obj_open(&j);
			json_kv_str(&j, "host", h[i].path);
			json_kv_str(&j, "vendor", cpuid_vendor_name(h[i].s.vendor));
			json_kv_u64(&j, "family", h[i].s.family);
			json_kv_u64(&j, "model", h[i].s.model);
			json_kv_u64(&j, "stepping", h[i].s.stepping);
			json_key(&j, "lacks");
			fset_json(&j, &lacks, o->names);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_key(&j, "policies");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++)
			json_kv_str(&j, target_keys[t], form[t].buf);
		json_obj_close(&j);
		if (want_lv)
			json_kv_str(&j, "libvirt_map", lv.source);
		if (tg.qemu)
			qemu_json(&j, tg.qemu);
		json_key(&j, "skipped");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++) {
			json_key(&j, target_keys[t]);
			json_words(&j, skipped[t].buf);
		}
		json_obj_close(&j);
		/* what the form leaves out because the target's guests never get it */
		json_key(&j, "not_guest_visible");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++) {
			struct cpuid_featureset none;

			memset(&none, 0, sizeof(none));
			json_key(&j, target_keys[t]);
			fset_json(&j, kvm_form(t) ? &cut : &none, o->names);
		}
		json_obj_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		rc = EXIT_OK;
		goto out;
	}
	strbuf_addf(sb, "hosts:     %zu, %s family %u; every one can run %zu features\n", n,
		    cpuid_vendor_name(h[0].s.vendor), h[b->limiter].s.family,
		    cpuid_fset_count(&b->common));
	for (size_t i = 0; i < n; i++) {
		struct cpuid_featureset m = h[i].raw, lacks;

		cpuid_fset_migratable(&m);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			lacks.w[w] = b->all.w[w] & ~m.w[w];
		strbuf_addf(sb, "  %s: model %u stepping %u%s%s, lacks ", h[i].path,
			    h[i].s.model, h[i].s.stepping, h[i].s.uarch ? ", " : "",
			    h[i].s.uarch ? h[i].s.uarch : "");
		fset_text(sb, &lacks, o->names, " ", "nothing the others have");
		strbuf_addc(sb, '\n');
	}
	closest_text(sb, &named, name, o->names, "some host lacks");
	for (int t = 0; t < 4; t++) {
		if (t == CPUID_FOR_LIBVIRT)
			strbuf_addf(sb, "libvirt:\n%s\n", form[t].buf);
		else
			strbuf_addf(sb, "%-10s %s\n", t == CPUID_FOR_XL ? "xl:" :
				    t == CPUID_FOR_XEND ? "xl-xend:" : "qemu:", form[t].buf);
		if (skipped[t].len)
			strbuf_addf(sb, xen_form(t) ? "  (%s cannot remove: %s; a guest on a host that has "
				    "them sees them: not migration-safe in this form)\n" :
				    "  (%s has no name for: %s; the guest lacks them)\n",
				    target_keys[t], skipped[t].buf);
		if (kvm_form(t) && cpuid_fset_count(&cut)) {
			strbuf_adds(sb, "  (not given to KVM guests: ");
			fset_text(sb, &cut, o->names, " ", "");
			strbuf_adds(sb, ")\n");
		}
	}
	rc = EXIT_OK;
out:
	for (int t = 0; t < 4; t++) {
		strbuf_release(&form[t]);
		strbuf_release(&skipped[t]);
	}
	strbuf_release(&spec);
	cpuid_lvmap_release(&lv);
	cpuid_qemu_release(&qemu);
	free(pq);
	free(pk);
	free(raw);
	free(sums);
	free(p);
	free(b);
	return rc;
}

/* Returns EXIT_OK when every host can run the policy, else EXIT_FAIL. */
static int render_compare(const struct host *h, size_t n, const struct cpuid_opts *o,
			  struct strbuf *sb)
{
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct cpuid_error err;
	struct json j;
	size_t cannot = 0;
	int rc = EXIT_FAIL;

	if (cpuid_policy_parse(o->spec, &h[0].raw, p, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", o->spec);
		json_kv_str(&j, "model", p->model->name);
		json_key(&j, "features");
		fset_json(&j, &p->result, o->names);
		json_key(&j, "hosts");
		json_arr_open(&j);
	} else {
		strbuf_addf(sb, "policy: %s (%s, %zu features)\n", o->spec, p->model->name,
			    cpuid_fset_count(&p->result));
	}
	for (size_t i = 0; i < n; i++) {
		struct cpuid_featureset have, missing;
		bool vendor_ok = h[i].s.vendor == p->model->vendor;
		size_t nmiss;

		cpuid_fset_runnable(&h[i].raw, &have);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			missing.w[w] = p->result.w[w] & ~have.w[w];
		nmiss = cpuid_fset_count(&missing);
		if (nmiss || !vendor_ok)
			cannot++;
		if (o->json) {
			json_obj_open(&j);
			json_kv_str(&j, "host", h[i].path);
			json_kv_str(&j, "vendor", cpuid_vendor_name(h[i].s.vendor));
			json_kv_bool(&j, "runs", !nmiss && vendor_ok);
			json_kv_bool(&j, "vendor_matches", vendor_ok);
			json_key(&j, "missing");
			fset_json(&j, &missing, o->names);
			json_key(&j, "culprits");
			json_arr_open(&j);
			for (size_t f = 0; f < cpuid_nfeatures; f++) {
				char buf[256];
				const char *why = missing_why(&h[i], f, o->names, buf, sizeof(buf));
				if (cpuid_fset_has(&missing, f) && why) {
					json_obj_open(&j);
					json_kv_str(&j, "feature", fname(f, o->names));
					json_kv_str(&j, "why", why);
					json_obj_close(&j);
				}
			}
			json_arr_close(&j);
			json_obj_close(&j);
			continue;
		}
		strbuf_addf(sb, "host %s: ", h[i].path);
		if (!nmiss && vendor_ok) {
			strbuf_adds(sb, "can run it\n");
			continue;
		}
		if (!vendor_ok)
			strbuf_addf(sb, "a %s CPU, the model is %s's%s", cpuid_vendor_name(h[i].s.vendor),
				    cpuid_vendor_name(p->model->vendor), nmiss ? "; " : "\n");
		if (nmiss) {
			strbuf_adds(sb, "missing ");
			fset_text(sb, &missing, o->names, ", ", "");
			strbuf_addc(sb, '\n');
		}
		for (size_t f = 0; f < cpuid_nfeatures; f++) {
			char buf[256];
			const char *why = missing_why(&h[i], f, o->names, buf, sizeof(buf));
			if (cpuid_fset_has(&missing, f) && why)
				strbuf_addf(sb, "  %s: %s\n", fname(f, o->names), why);
		}
	}
	if (o->json) {
		json_arr_close(&j);
		json_kv_bool(&j, "all_run", cannot == 0);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	} else {
		strbuf_addf(sb, "%zu of %zu hosts can run it\n", n - cannot, n);
	}
	rc = cannot ? EXIT_FAIL : EXIT_OK;
out:
	free(p);
	return rc;
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
	struct host *hosts = NULL;
	struct cpuid_views views = CPUID_VIEWS_INIT;
	bool need_cpu;
	int rc;

	/* A model policy for QEMU or libvirt does not depend on this host. */
	need_cpu = o->verb != VERB_MODELS && o->verb != VERB_BASELINE && o->verb != VERB_COMPARE &&
		   (o->verb != VERB_POLICY || o->from || spec_is_host(o->spec) ||
		    o->target == CPUID_FOR_XL || o->target == CPUID_FOR_XEND);
	memset(&host, 0, sizeof(host));
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
	}
	if (need_cpu && !o->from && (rc = live_views(&c, o, &views)) != 0)
		goto out;
	if ((o->verb == VERB_BASELINE || o->verb == VERB_COMPARE) &&
	    (rc = read_hosts(o, &hosts)) != 0)
		goto out;
	rc = EXIT_OK;
	switch (o->verb) {
	case VERB_SUMMARY:
		render_summary(&c, o->from ? NULL : &views, o, sb);
		break;
	case VERB_DECODE:
		render_decode(&c, o, sb);
		break;
	case VERB_FEATURES:
		render_features(&c, o, sb);
		break;
	case VERB_DUMP:
		render_dump(&c, o, sb);
		break;
	case VERB_MODELS:
		render_models(o, sb);
		break;
	case VERB_MODEL:
		render_model(&c, o, sb);
		break;
	case VERB_POLICY:
		rc = render_policy(&host, o, sb);
		break;
	case VERB_BASELINE:
		rc = render_baseline(hosts, o->nfiles, o, sb);
		break;
	case VERB_COMPARE:
		rc = render_compare(hosts, o->nfiles, o, sb);
		break;
	}
out:
	free(hosts);
	cpuid_views_release(&views);
	hv_diags_release(&d);
	cpuid_data_release(&c);
	return rc;
}

int cmd_cpuid(int argc, char **argv, struct hv_global *g)
{
	struct strbuf sb = STRBUF_INIT;
	struct cpuid_opts o;
	int rc;

	rc = parse_opts(argc, argv, g, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (o.repeat) {
		/* For bench/cpuid.sh: the same work N times in this process. */
		struct timespec t0, t1;
		double us;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned long i = 0; i < o.repeat; i++) {
			strbuf_reset(&sb);
			rc = run_once(&o, &sb);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
		tell("repeat: %lu runs in %.3f ms, %.3f us each", o.repeat, us / 1e3,
		     us / (double)o.repeat);
	} else {
		rc = run_once(&o, &sb);
	}
	/* compare prints its findings also when a host cannot run the policy. */
	if (rc == EXIT_OK || sb.len) {
		int w = write_output(o.output, sb.buf, sb.len) < 0 ? EXIT_FAIL : EXIT_OK;

		if (rc == EXIT_OK)
			rc = w;
	}
	strbuf_release(&sb);
	return rc;
}
