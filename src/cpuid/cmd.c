/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid`: options, input selection, rendering.  The only file of
 * the tool that talks to the user. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cpuid-decode.h"
#include "json.h"
#include "log.h"
#include "cpuid-source.h"
#include "strbuf.h"
#include "util.h"

enum cpuid_verb { VERB_SUMMARY, VERB_DECODE, VERB_FEATURES, VERB_DUMP };

static const char *const verb_names[] = {
	[VERB_SUMMARY] = "", [VERB_DECODE] = "decode",
	[VERB_FEATURES] = "features", [VERB_DUMP] = "dump",
};

static void usage(FILE *f)
{
	fputs("usage: hvkit cpuid [--from FILE] [-v] [--json[=pretty]]\n"
	      "       hvkit cpuid decode [--from FILE] [-r] [--names PROJECT]\n"
	      "       hvkit cpuid features [--from FILE] [--names PROJECT]\n"
	      "       hvkit cpuid dump [--from FILE] [-o FILE]\n"
	      "\n"
	      "Show what CPUID says about this CPU or a dumped one: vendor,\n"
	      "family/model/stepping and microarchitecture, brand, features.\n"
	      "\n"
	      "  (none)    a summary\n"
	      "  decode    every leaf and subleaf as named fields\n"
	      "  features  the feature names, one a line\n"
	      "  dump      the raw values in hvkit's dump format (reads back\n"
	      "            with --from; `cpuid -f` reads it without its # lines)\n"
	      "\n"
	      "Options:\n"
	      "  --from FILE        read a dump instead of this CPU: `cpuid -r` or\n"
	      "                     `cpuid -1 -r` output (CPU 0 is used), libvirt\n"
	      "                     <cpudata> XML, an hvkit cpuid dump; '-' is stdin\n"
	      "  --names PROJECT    spell features as linux, xen, qemu (default) or\n"
	      "                     libvirt does\n"
	      "  -r, --raw          decode: show the registers of each leaf too\n"
	      "  -o, --output FILE  write to FILE (atomically) instead of stdout\n"
	      "  --json[=pretty]    machine-readable output (keys: hvkit-cpuid(1))\n"
	      "  -v, --verbose      summary: list the features; features: also\n"
	      "                     those PROJECT has no name for\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Exit status: 0 on success, 1 when the input cannot be read or the\n"
	      "output not written, 2 on a usage error.  See hvkit-cpuid(1).\n",
	      f);
}

struct cpuid_opts {
	enum cpuid_verb verb;
	const char *from;
	const char *output;
	bool json, pretty, raw, verbose, names_set;
	enum cpuid_names names;
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
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->json = g->json;
	o->pretty = g->json_pretty;
	o->verbose = g->verbose > 0;
	o->names = CPUID_NAMES_QEMU;
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
		case 'o':
			o->output = optarg;
			break;
		case 'j':
			o->json = true;
			if (optarg && strcmp(optarg, "pretty") != 0) {
				log_error("unknown --json style '%s' (only 'pretty')", optarg);
				return EXIT_USAGE;
			}
			o->pretty = optarg != NULL;
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
		if (optind + 1 < argc) {
			log_error("unexpected argument '%s'; see 'hvkit cpuid --help'",
				  argv[optind + 1]);
			return EXIT_USAGE;
		}
	}
	if (o->raw && o->verb != VERB_DECODE) {
		log_error("-r/--raw goes with 'decode'");
		return EXIT_USAGE;
	}
	if (o->names_set && (o->verb == VERB_DUMP)) {
		log_error("--names does not go with 'dump' (it holds no names)");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- rendering ---- */

static void features_json(struct json *j, const struct cpuid_featureset *fs,
			  enum cpuid_names names, bool named)
{
	json_arr_open(j);
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *n;

		if (!cpuid_fset_has(fs, i))
			continue;
		n = cpuid_feature_name(&cpuid_features[i], names);
		if (named && n)
			json_str(j, n);
		else if (!named && !n)
			json_str(j, cpuid_features[i].name);
	}
	json_arr_close(j);
}

static void render_summary(const struct cpuid_data *c, const struct cpuid_opts *o,
			   struct strbuf *sb)
{
	struct cpuid_summary s;
	struct cpuid_featureset fs;

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
		json_obj_close(&j);
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
	if (s.hypervisor[0])
		strbuf_addf(sb, "hypervisor:  %s\n", s.hypervisor);
	else
		strbuf_addf(sb, "hypervisor:  %s\n",
			    s.hypervisor_bit ? "yes (no signature)" : "none");
	if (o->verbose) {
		strbuf_adds(sb, "feature list:");
		for (size_t i = 0; i < cpuid_nfeatures; i++) {
			const char *n = cpuid_feature_name(&cpuid_features[i], o->names);

			if (cpuid_fset_has(&fs, i))
				strbuf_addf(sb, " %s", n ? n : cpuid_features[i].name);
		}
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

		if (cpuid_fset_has(&fs, i) && n)
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
				case CPUID_FIELD_LIST: {
					const char *p = f->s;

					json_arr_open(&j);
					while (*p) {
						size_t n = strcspn(p, " ");
						char *w = xstrndup(p, n);

						json_str(&j, w);
						free(w);
						p += n;
						p += strspn(p, " ");
					}
					json_arr_close(&j);
					break;
				}
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

int cmd_cpuid(int argc, char **argv, struct hv_global *g)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct cpuid_opts o;
	int rc;

	rc = parse_opts(argc, argv, g, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = o.from ? cpuid_read_file(o.from, &c, &d) : cpuid_read_host(&c, &d);
	(void)log_diags(NULL, &d);
	if (rc < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	switch (o.verb) {
	case VERB_SUMMARY:
		render_summary(&c, &o, &sb);
		break;
	case VERB_DECODE:
		render_decode(&c, &o, &sb);
		break;
	case VERB_FEATURES:
		render_features(&c, &o, &sb);
		break;
	case VERB_DUMP:
		render_dump(&c, &o, &sb);
		break;
	}
	rc = write_output(o.output, sb.buf, sb.len) < 0 ? EXIT_FAIL : EXIT_OK;
out:
	strbuf_release(&sb);
	hv_diags_release(&d);
	cpuid_data_release(&c);
	return rc;
}
