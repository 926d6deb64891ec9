/* SPDX-License-Identifier: MIT */
/* `hvkit topo`: options, input selection, output.  The only file of the
 * tool that talks to the user. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hvkit.h"
#include "log.h"
#include "probe.h"
#include "render.h"
#include "smbios.h"
#include "source.h"
#include "synthetic.h"
#include "strbuf.h"
#include "where.h"

#ifndef HVKIT_VERSION
#define HVKIT_VERSION "0"
#endif

#define MAX_FROM 64

static void usage(FILE *f)
{
	fputs("usage: hvkit topo [--of text|json|svg|png|pdf|dot] [OPTIONS]\n"
	      "       hvkit topo capture -o FILE.tar.gz|- [--keep-serials] [OPTIONS]\n"
	      "       hvkit topo check [--fail-on LEVEL] [--of text|json] [OPTIONS]\n"
	      "       hvkit topo diff A B [--of text|json]\n"
	      "       hvkit topo where WHAT [--of text|json] [OPTIONS]\n"
	      "\n"
	      "Show the machine's CPUs, caches, NUMA nodes, memory slots and PCI\n"
	      "tree, live or from captured data.\n"
	      "\n"
	      "Input (default: this machine):\n"
	      "  --sysroot DIR      read sysfs, procfs and firmware files below DIR\n"
	      "  --from PATH        captured data; repeat to combine several of one\n"
	      "                     machine: an hvkit capture or sysfs snapshot\n"
	      "                     archive, acpidump text, a directory of ACPI tables,\n"
	      "                     a dmidecode --dump-bin file or smbios_entry_point +\n"
	      "                     DMI directory, an lspci -x/-xxx/-xxxx dump\n"
	      "  --synthetic SPEC   a made-up machine, e.g. \"pack:16 core:128 pu:2 pci:300\":\n"
	      "                     blank-separated NAME:N, each count per object of\n"
	      "                     the level above; levels pack, numa (per package,\n"
	      "                     above 1 each is a die), l3 (per node), core (per\n"
	      "                     L3), pu (per core); mem:SIZE per node (64G);\n"
	      "                     dimm:N or dimm:USED/SLOTS per node (8); pci:N\n"
	      "                     endpoints in all (0); switch:N endpoints per PCIe\n"
	      "                     switch (8, 0: none)\n"
	      "\n"
	      "Output:\n"
	      "  --of FORMAT        text (default), json, or (no verb) a picture: svg,\n"
	      "                     png, pdf, dot (Graphviz)\n"
	      "  --json[=pretty]    same as --of json\n"
	      "  -o, --output FILE  write to FILE (atomically) instead of stdout;\n"
	      "                     with no verb a FILE ending in .svg, .png, .pdf,\n"
	      "                     .dot or .gv picks that format\n"
	      "  --io default|all   PCI functions in the text and pictures: by default\n"
	      "                     what lstopo shows (bridges leading somewhere,\n"
	      "                     network, storage, GPUs, accelerators, anything\n"
	      "                     with an OS device), the rest one line per bus\n"
	      "  -v, --verbose      every object (no collapsing, no folding, all\n"
	      "                     I/O) and more detail\n"
	      "  --color[=WHEN]     auto (default), always or never\n"
	      "  --keep-serials     keep serial numbers and UUIDs (dropped by default)\n"
	      "  --fail-on LEVEL    check: exit 1 when a finding is at least LEVEL\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Verbs:\n"
	      "  capture  write every file the probes read into one archive that\n"
	      "           'hvkit topo --from FILE' reads on any machine\n"
	      "  check    print what costs performance or safety (degraded PCIe\n"
	      "           links, misplaced devices, unbalanced memory, CPU errata),\n"
	      "           most severe first; exit 1 when a finding is at least\n"
	      "           --fail-on LEVEL: error (default), warning, info or none\n"
	      "  diff     compare two inputs (captures, snapshots, dumps) of one\n"
	      "           machine: devices, links, memory modules, microcode; exit\n"
	      "           1 when they differ\n"
	      "  where    where a device or NUMA node is: WHAT is an OS device\n"
	      "           (eth0, nvme0n1, sda), a PCI address (0000:3b:00.0 or\n"
	      "           3b:00.0) or a node (node1, numa:1); it prints the NUMA\n"
	      "           node, the local CPUs ready to paste (xl, libvirt,\n"
	      "           taskset, a mask), the path and narrowest link to the\n"
	      "           CPUs, and the IOMMU group; exit 1 when nothing has that\n"
	      "           name\n"
	      "\n"
	      "Exit status: 0 on success, 1 when nothing could be read or written,\n"
	      "2 on a usage error.  See hvkit-topo(1).\n",
	      f);
}

struct topo_opts {
	const char *from[MAX_FROM];
	size_t nfrom;
	const char *sysroot;
	const char *output;
	bool json, pretty, verbose, keep_serials, capture;
	bool io_all;		/* --io all */
	bool check, diff;	/* the check and diff verbs */
	const char *where;	/* the where verb: what to find */
	int fail_on;		/* check: lowest severity that fails */
	const char *diff_in[2];	/* diff: A and B */
	enum pic { PIC_NONE, PIC_SVG, PIC_PNG, PIC_PDF, PIC_DOT } pic;
	bool of_set;		/* format chosen explicitly */
	const char *synthetic;	/* --synthetic SPEC */
	enum hv_color color;
};

/* The picture formats: --of name and output file extensions. */
static const struct {
	const char *name, *ext[2];
	enum pic pic;
} pictures[] = {
	{ "svg", { ".svg", NULL }, PIC_SVG },
	{ "png", { ".png", NULL }, PIC_PNG },
	{ "pdf", { ".pdf", NULL }, PIC_PDF },
	{ "dot", { ".dot", ".gv" }, PIC_DOT },
};

static const char *pic_name(enum pic pic)
{
	for (size_t i = 0; i < ARRAY_SIZE(pictures); i++)
		if (pictures[i].pic == pic)
			return pictures[i].name;
	return "text";
}

static enum pic picture_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(pictures); i++)
		if (strcmp(pictures[i].name, name) == 0)
			return pictures[i].pic;
	return PIC_NONE;
}


/* The extension of path's last component ("x.JPG" -> ".JPG"), or NULL. */
static const char *output_ext(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base && dot[1] ? dot : NULL;
}

static enum pic picture_by_ext(const char *path)
{
	const char *ext = output_ext(path);

	for (size_t i = 0; ext && i < ARRAY_SIZE(pictures); i++)
		for (size_t k = 0; k < ARRAY_SIZE(pictures[i].ext); k++)
			if (pictures[i].ext[k] && strcasecmp(ext, pictures[i].ext[k]) == 0)
				return pictures[i].pic;
	return PIC_NONE;
}

/*
 * -o FILE against the format: an extension hvkit writes must name the
 * format written (--of svg -o x.png is refused), and without --of an
 * unknown one (x.jpg) is refused rather than filled with text.
 */
static int check_output_ext(const struct topo_opts *o)
{
	static const char known[] = ".txt, .json, .svg, .png, .pdf, .dot or .gv";
	const char *ext = output_ext(o->output);
	const char *fmt = o->json ? "json" : "text";
	bool text = strcasecmp(ext, ".txt") == 0;
	bool json = strcasecmp(ext, ".json") == 0;
	enum pic pic = picture_by_ext(o->output);

	for (size_t i = 0; i < ARRAY_SIZE(pictures); i++)
		if (!o->json && o->pic == pictures[i].pic)
			fmt = pictures[i].name;
	if (!text && !json && !pic) {
		if (o->of_set)
			return 0;	/* asked for by name: any file name */
		log_error("-o '%s': hvkit topo does not write '%s' files; it writes %s (or give --of FORMAT)",
			  o->output, ext, known);
		return EXIT_USAGE;
	}
	if (o->of_set && (json != o->json || pic != (o->json ? PIC_NONE : o->pic))) {
		log_error("--of %s conflicts with -o '%s': the extension names another format",
			  fmt, o->output);
		return EXIT_USAGE;
	}
	return 0;
}

/* What `hvkit topo` parses before its verb; each verb takes those its
 * line of the command table names. */
static const struct option options[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "sysroot", required_argument, NULL, 'R' },
	{ "synthetic", required_argument, NULL, 'Y' },
	{ "of", required_argument, NULL, 'F' },
	{ "json", optional_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "color", optional_argument, NULL, 'C' },
	{ "colour", optional_argument, NULL, 'C' },
	{ "keep-serials", no_argument, NULL, 'S' },
	{ "fail-on", required_argument, NULL, 'L' },
	{ "io", required_argument, NULL, 'I' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static int parse_opts(int argc, char **argv, struct hv_global *g,
		      struct topo_opts *o)
{
	bool help = false, json_of = false;
	const char *of = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->fail_on = CHECK_ERROR;
	o->sysroot = g->sysroot;
	o->json = g->json;
	o->pretty = g->json_pretty;
	o->color = g->color;
	struct hv_getopt gs = HV_GETOPT_INIT("topo", "f");

	while ((c = hv_getopt(&gs, argc, argv, ":o:vh", options)) != -1) {
		switch (c) {
		case 'f':
			if (o->nfrom == MAX_FROM) {
				log_error("at most %d --from inputs", MAX_FROM);
				return EXIT_USAGE;
			}
			o->from[o->nfrom++] = optarg;
			break;
		case 'R':
			if (hv_sysroot_opt(optarg, &o->sysroot))
				return EXIT_USAGE;
			break;
		case 'Y':
			if (!*optarg) {
				log_error("--synthetic needs a SPEC, e.g. \"pack:2 core:4 pu:2\"");
				return EXIT_USAGE;
			}
			o->synthetic = optarg;
			break;
		case 'F':
			o->of_set = true;
			of = optarg;
			o->pic = picture_by_name(optarg);
			if (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0 || o->pic) {
				json_of = strcmp(optarg, "json") == 0;
			} else {
				log_error("unknown output format '%s' (text, json, svg, png, pdf or dot)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			o->of_set = true;
			if (hv_json_opt(optarg, &o->json, &o->pretty))
				return EXIT_USAGE;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'C':
			if (hv_color_opt(optarg, &o->color))
				return EXIT_USAGE;
			break;
		case 'S':
			o->keep_serials = true;
			break;
		case 'I':
			if (strcmp(optarg, "all") == 0 || strcmp(optarg, "default") == 0) {
				o->io_all = strcmp(optarg, "all") == 0;
			} else {
				log_error("unknown --io value '%s' (default or all)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'L':
			if (check_severity_parse(optarg, &o->fail_on) < 0) {
				log_error("unknown --fail-on level '%s' (error, warning, info or none)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':	/* hv_dispatch_opts() prints the help */
			help = true;
			break;
		default:
			return hv_opt_error_in("topo", c, argv, options);
		}
	}
	/* --json is --of json: with another --of (before or after the
	 * tool's name) it says two formats */
	if (of && o->json && !json_of) {
		log_error("--of %s and --json (same as --of json) conflict: give one (see 'hvkit topo --help')",
			  of);
		return EXIT_USAGE;
	}
	if (of)
		o->json = json_of;
	o->verbose = log_verbosity > 0;
	return help ? -1 : 0;
}

/* What goes with what, once the verb is known: 0 or an exit status. */
static int check_opts(struct topo_opts *o)
{
	if (hv_one_stdin(o->diff ? "topo diff" : "topo", o->diff ? o->diff_in : o->from,
			 o->diff ? 2 : o->nfrom))
		return EXIT_USAGE;
	if (o->fail_on != CHECK_ERROR && !o->check) {
		log_error("--fail-on goes with 'hvkit topo check'");
		return EXIT_USAGE;
	}
	if (o->diff && (o->sysroot || o->synthetic)) {
		log_error("diff reads its two inputs only; no --sysroot or --synthetic");
		return EXIT_USAGE;
	}
	if (o->capture && !o->output) {
		log_error("capture needs -o FILE.tar.gz (or -o - for standard output)");
		return EXIT_USAGE;
	}
	if (o->capture && strcmp(o->output, "-") == 0 && isatty(STDOUT_FILENO)) {
		log_error("not writing an archive to a terminal; give -o FILE.tar.gz");
		return EXIT_USAGE;
	}
	if (o->sysroot && o->nfrom) {
		log_error("--sysroot and --from cannot be combined; give the directory as --from");
		return EXIT_USAGE;
	}
	if (o->synthetic && (o->sysroot || o->nfrom || o->capture)) {
		log_error("--synthetic is an input of its own: it cannot be combined with %s",
			  o->capture ? "capture" : o->nfrom ? "--from" : "--sysroot");
		return EXIT_USAGE;
	}
	if (o->capture && strcmp(o->output, "-") != 0 && !str_endswith(o->output, ".tar.gz") &&
	    !str_endswith(o->output, ".tgz")) {
		log_error("capture writes a gzip-compressed tar archive: -o '%s' must end in .tar.gz or .tgz",
			  o->output);
		return EXIT_USAGE;
	}
	if (o->where || o->check || o->diff) {
		const char *verb = o->where ? "where" : o->check ? "check" : "diff";

		if (o->output && picture_by_ext(o->output)) {
			log_error("%s writes text or JSON, not a picture: -o '%s'",
				  verb, o->output);
			return EXIT_USAGE;
		}
		if (o->pic) {
			log_error("%s writes text or JSON, not a picture: --of %s",
				  verb, pic_name(o->pic));
			return EXIT_USAGE;
		}
	}
	if (o->output && strcmp(o->output, "-") != 0 && !o->capture &&
	    output_ext(o->output)) {
		int rc = check_output_ext(o);

		if (rc)
			return rc;
	}
	if (!o->of_set && !o->json && o->output) {
		const char *ext = output_ext(o->output);

		o->pic = picture_by_ext(o->output);
		o->json = ext && strcasecmp(ext, ".json") == 0;
	}
	if ((o->pic == PIC_PNG || o->pic == PIC_PDF) &&
	    (!o->output || strcmp(o->output, "-") == 0) && isatty(STDOUT_FILENO)) {
		log_error("not writing a %s image to a terminal; give -o FILE",
			  o->pic == PIC_PNG ? "PNG" : "PDF");
		return EXIT_USAGE;
	}
	/* After the usage errors, before anything is read or captured: the
	 * rule every -o follows (write_output() and do_capture() ask again). */
	if (o->output && strcmp(o->output, "-") != 0) {
		_cleanup_free_ char *real = NULL;

		if (output_target(o->output, &real) < 0)
			return EXIT_FAIL;
	}
	return 0;
}

/* getopt names argv[0] in its own messages ("option requires an
 * argument"): with this name they start "hvkit: error:" as ours do. */
/* Builds the root the probes read: live, --sysroot or --from inputs. */
static int open_root(const struct topo_opts *o, struct hv_root **ret,
		     struct hv_diags *d)
{
	int rc;

	if (o->nfrom) {
		struct hv_root *mem = hv_root_new_mem();

		for (size_t i = 0; i < o->nfrom; i++) {
			struct hv_diags local = HV_DIAGS_INIT;
			enum source_kind kind = SRC_ARCHIVE;

			rc = source_add(mem, o->from[i], &kind, &local);
			size_t errors = log_diags(o->from[i], &local);
			hv_diags_release(&local);
			if (rc < 0) {
				if (!errors)
					log_error("%s: cannot read: %s", o->from[i],
						  strerror(-rc));
				hv_root_free(mem);
				return rc;
			}
			log_info("%s: read as %s", o->from[i], source_kind_name(kind));
		}
		*ret = mem;
		return 0;
	}
	const char *dir = o->sysroot ? o->sysroot : "/";
	rc = hv_root_open_dir(dir, ret);
	if (rc < 0)
		log_error("cannot open sysroot '%s': %s", dir, strerror(-rc));
	(void)d;
	return rc;
}

/* Serial numbers and identifiers left out of captures by default. */
static bool skip_serial(const char *path, void *ctx)
{
	(void)ctx;
	/* /sys/class/dmi/id/ links to /sys/devices/virtual/dmi/id/. */
	return strstr(path, "/dmi/id/") &&
	       (strstr(path, "serial") || strstr(path, "uuid") ||
		strstr(path, "asset_tag"));
}

/* Blanks serial numbers inside the recorded SMBIOS tables. */
static void scrub_smbios_serials(struct hv_root *rec)
{
	static const char *const dirs[] = { "/sys/firmware/dmi/entries" };
	char *data = NULL;
	size_t len = 0;
	const char *tbl = "/sys/firmware/dmi/tables/DMI";

	if (hv_root_read(rec, tbl, &data, &len) == 0) {
		smbios_scrub_serials((uint8_t *)data, len);
		(void)hv_root_add_file(rec, tbl, data, len);
		free(data);
	}
	for (size_t k = 0; k < ARRAY_SIZE(dirs); k++) {
		char **names = NULL;
		size_t n = 0;

		if (hv_root_list(rec, dirs[k], &names, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *p = xasprintf("%s/%s/raw", dirs[k], names[i]);

			if (hv_root_read(rec, p, &data, &len) == 0) {
				smbios_scrub_serials((uint8_t *)data, len);
				(void)hv_root_add_file(rec, p, data, len);
				free(data);
			}
		}
		hv_strv_free(names, n);
	}
}

static int do_capture(const struct topo_opts *o, struct hv_root *root,
		      struct probe_ctx *pc, struct hv_diags *d)
{
	struct hv_root *rec = hv_root_new_mem();
	struct strbuf info = STRBUF_INIT;
	int rc;

	hv_root_record(root, rec);
	rc = probe_all(pc);
	hv_root_record(root, NULL);
	if (rc < 0) {
		log_error("found nothing to capture");
		hv_root_free(rec);
		return EXIT_FAIL;
	}
	if (!o->keep_serials)
		scrub_smbios_serials(rec);
	strbuf_addf(&info, "hvkit %s\ncaptured %lld\nserials %s\n", HVKIT_VERSION,
		    (long long)time(NULL), o->keep_serials ? "kept" : "dropped");
	(void)hv_root_add_file(rec, "/hvkit/capture-info", info.buf, info.len);
	strbuf_release(&info);
	/* Asked again: the capture took a while.  A link is written
	 * through, to the file it names. */
	_cleanup_free_ char *real = NULL;
	if (strcmp(o->output, "-") != 0 && output_target(o->output, &real) < 0) {
		hv_root_free(rec);
		return EXIT_FAIL;
	}
	rc = hv_root_write_archive(rec, real ? real : o->output,
				   o->keep_serials ? NULL : skip_serial, NULL, d);
	hv_root_free(rec);
	if (rc < 0) {
		log_diags(NULL, d);
		return EXIT_FAIL;
	}
	log_info("wrote %s", o->output);
	return EXIT_OK;
}

/* check: findings on stdout (or -o); exit 1 at or above --fail-on. */
static int do_check(const struct topo_opts *o, const struct topo *t,
		    struct strbuf *out)
{
	struct check_report r = CHECK_REPORT_INIT;
	int worst;

	topo_check(t, &r);
	if (o->json)
		check_render_json(&r, t, o->pretty, out);
	else
		check_render_text(&r, out);
	worst = check_worst(&r);
	check_report_release(&r);
	if (write_output(o->output, out->buf, out->len) < 0)
		return EXIT_FAIL;
	return worst >= o->fail_on ? EXIT_FAIL : EXIT_OK;
}

/* where: the answer on stdout (or -o); exit 1 when nothing has the name. */
static int do_where(const struct topo_opts *o, const struct topo *t,
		    struct strbuf *out)
{
	struct where w = WHERE_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	int rc = topo_where(t, o->where, &w, &d);

	if (rc < 0) {
		log_diags(NULL, &d);
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (o->json)
		where_render_json(&w, o->pretty, out);
	else
		where_render_text(&w, out);
	rc = write_output(o->output, out->buf, out->len) < 0 ? EXIT_FAIL : EXIT_OK;
out:
	where_release(&w);
	hv_diags_release(&d);
	return rc;
}

/* Reads one diff input as its own --from. */
static struct topo *diff_load(const struct topo_opts *o, const char *path)
{
	struct topo_opts one = *o;
	struct hv_root *root = NULL;
	struct hv_diags d = HV_DIAGS_INIT;
	struct topo *t = NULL;

	one.from[0] = path;
	one.nfrom = 1;
	if (open_root(&one, &root, &d) < 0)
		goto out;
	hv_root_set_diags(root, &d);
	t = topo_new();
	struct probe_ctx pc = { .root = root, .t = t, .d = &d };
	if (probe_all(&pc) < 0) {
		log_diags(path, &d);
		log_error("%s: no topology found", path);
		t = topo_free(t);
		goto out;
	}
	log_diags(path, &d);
out:
	hv_root_free(root);
	hv_diags_release(&d);
	return t;
}

/* diff: like diff(1), exit 0 when the same, 1 when not, 2 on trouble. */
static int do_diff(const struct topo_opts *o)
{
	struct topo *a = diff_load(o, o->diff_in[0]), *b = NULL;
	struct check_report r = CHECK_REPORT_INIT;
	struct strbuf out = STRBUF_INIT;
	int rc = EXIT_USAGE;

	if (!a || !(b = diff_load(o, o->diff_in[1])))
		goto out;
	topo_diff(a, b, &r);
	if (o->json)
		diff_render_json(&r, o->pretty, &out);
	else
		diff_render_text(&r, &out);
	if (write_output(o->output, out.buf, out.len) < 0)
		goto out;
	rc = r.n ? EXIT_FAIL : EXIT_OK;
out:
	check_report_release(&r);
	strbuf_release(&out);
	topo_free(a);
	topo_free(b);
	return rc;
}

/* Reads the input, then shows, checks or places; an exit status. */
static int topo_run(const struct topo_opts *opts)
{
	struct topo_opts o = *opts;
	struct hv_root *root = NULL;
	struct hv_diags d = HV_DIAGS_INIT;
	struct topo *t = NULL;
	struct strbuf out = STRBUF_INIT;
	int rc = check_opts(&o);

	if (rc)
		return rc;
	if (o.diff)
		return do_diff(&o);
	if (o.synthetic) {
		if (synthetic_build(o.synthetic, &t, &d) < 0) {
			log_diags("--synthetic", &d);
			rc = EXIT_USAGE;
			goto out;
		}
		goto render;	/* C11 allows the jump past pc's initialiser */
	}
	if (open_root(&o, &root, &d) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	hv_root_set_diags(root, &d);
	t = topo_new();
	struct probe_ctx pc = {
		.root = root, .t = t, .d = &d, .keep_serials = o.keep_serials,
		.live = !o.nfrom && hv_root_is_live(root),
	};
	if (o.capture) {
		rc = do_capture(&o, root, &pc, &d);
		goto out;
	}
	/* probe messages name paths in the root: prefixed by the input */
	const char *in = o.nfrom == 1 ? o.from[0] : o.sysroot;
	if (probe_all(&pc) < 0) {
		if (!log_diags(in, &d))
			log_error("no topology found in %s",
				  o.nfrom ? "the --from inputs" : o.sysroot ? o.sysroot : "/sys");
		rc = EXIT_FAIL;
		goto out;
	}
	log_diags(in, &d);
render:;
	if (o.where) {
		rc = do_where(&o, t, &out);
		goto out;
	}
	if (o.check) {
		rc = do_check(&o, t, &out);
		goto out;
	}
	struct render_opts ro = {
		.verbose = o.verbose, .pretty = o.pretty, .io_all = o.io_all,
		.color = o.color == HV_COLOR_ALWAYS ||
			 (o.color != HV_COLOR_NEVER && !o.output && isatty(STDOUT_FILENO) &&
			  !getenv("NO_COLOR")),
	};
	struct hv_diags why = HV_DIAGS_INIT;
	double shrunk = 1;
	int r = 0;
	ro.shrunk = &shrunk;
	if (o.pic == PIC_SVG)
		render_svg(t, &ro, &out);
	else if (o.pic == PIC_PNG)
		r = render_png(t, &ro, &out, &why);
	else if (o.pic == PIC_PDF)
		r = render_pdf(t, &ro, &out, &why);
	else if (o.pic == PIC_DOT)
		render_dot(t, &ro, &out);
	else if (o.json)
		render_json(t, &ro, &out);
	else
		render_text(t, &ro, &out);
	if (r < 0 && !log_diags("cannot draw the picture", &why))
		log_error("cannot draw the picture: %s", strerror(-r));
	hv_diags_release(&why);
	if (r < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (shrunk < 1)
		log_warn("the picture is %.0f%% of its size, shrunk to fit %s's limits: small text may not be legible (an SVG keeps the full size; without -v or --io all, less is drawn)",
			 shrunk * 100, o.pic == PIC_PNG ? "PNG" : "PDF");
	rc = write_output(o.output, out.buf, out.len) < 0 ? EXIT_FAIL : EXIT_OK;
out:
	strbuf_release(&out);
	topo_free(t);
	hv_root_free(root);
	hv_diags_release(&d);
	return rc;
}

static int verb_show(int argc, char **argv, struct hv_global *g)
{
	return topo_run(g->opts);
}

/* One verb that takes no argument. */
static int no_args(int argc, char **argv)
{
	if (argc > 1) {
		log_error("unexpected argument '%s'; see 'hvkit topo --help'", argv[1]);
		return EXIT_USAGE;
	}
	return 0;
}

static int verb_capture(int argc, char **argv, struct hv_global *g)
{
	struct topo_opts *o = g->opts;

	o->capture = true;
	return no_args(argc, argv) ?: topo_run(o);
}

static int verb_check(int argc, char **argv, struct hv_global *g)
{
	struct topo_opts *o = g->opts;

	o->check = true;
	return no_args(argc, argv) ?: topo_run(o);
}

static int verb_diff(int argc, char **argv, struct hv_global *g)
{
	struct topo_opts *o = g->opts;

	if (o->nfrom + (size_t)(argc - 1) != 2) {
		log_error("diff compares two inputs (captures, snapshots or dumps of one machine), not %zu: 'hvkit topo diff A B'",
			  o->nfrom + (size_t)(argc - 1));
		return EXIT_USAGE;
	}
	o->diff = true;
	for (size_t i = 0; i < o->nfrom; i++)
		o->diff_in[i] = o->from[i];
	for (int i = 1; i < argc; i++)
		o->diff_in[o->nfrom++] = argv[i];
	o->nfrom = 0;
	return topo_run(o);
}

static int verb_where(int argc, char **argv, struct hv_global *g)
{
	struct topo_opts *o = g->opts;

	if (argc != 2 || !*argv[1]) {
		log_error("where needs one device, PCI address or NUMA node: 'hvkit topo where eth0'");
		return EXIT_USAGE;
	}
	o->where = argv[1];
	return topo_run(o);
}

/* Each verb's options: those it reads, not those it would ignore. */
#define TOPO_INPUT "from sysroot synthetic verbose output of json "
static const struct hv_cmd topo_cmds[] = {
	{ NULL, verb_show, HV_CMD_DEFAULT, "CPUs, caches, NUMA, memory, PCI",
	  TOPO_INPUT "color keep-serials io" },
	/* an archive of what the probes read: nothing rendered, no --of or --json */
	{ "capture", verb_capture, 0, "record what the probes read, as .tar.gz",
	  "from sysroot verbose output keep-serials" },
	{ "check", verb_check, 0, "findings: NUMA, PCIe links, memory slots", TOPO_INPUT "fail-on" },
	{ "diff", verb_diff, 0, "what differs between two machines", "from verbose output of json" },
	{ "where", verb_where, 0, "the NUMA node and CPUs near a device", TOPO_INPUT },
};

int cmd_topo(int argc, char **argv, struct hv_global *g)
{
	static const struct hv_tool tool = {
		.name = "topo", .cmds = topo_cmds, .ncmds = ARRAY_SIZE(topo_cmds), .usage = usage,
		.opts = options,
	};
	struct topo_opts o;

	return hv_dispatch_opts(&tool, parse_opts(argc, argv, g, &o), argc, argv, g, &o);
}
