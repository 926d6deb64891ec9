/* SPDX-License-Identifier: MIT */
/* `hvkit move export` and `import`: whole VMs between xl.cfg and XVA,
 * OVA or OVF.  Output is built under a temporary name and renamed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd-vm.h"
#include "img.h"
#include "cli.h"
#include "log.h"
#include "ova-mf.h"
#include "ovf.h"
#include "package.h"
#include "progress.h"
#include "tar.h"
#include "util.h"
#include "vhd.h"
#include "xlcfg.h"
#include "tmpout.h"
#include "xva.h"

int move_parse_size(const char *s, unsigned long long *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || (shift && v > (ULLONG_MAX >> shift)))
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

static int report(const char *path, struct hv_diags *d, int rc, const char *what)
{
	_cleanup_free_ char *quoted = xasprintf("'%s'", path);

	if (log_diags(quoted, d) == 0)
		log_error("'%s': %s: %s", path, what, strerror(-rc));
	return EXIT_FAIL;
}

struct vm_opts {
	const char *in, *out, *to;
	bool metadata_only;
	unsigned long long disk_size;
	bool gzip, sums_set;
	enum xva_sums sums;
	bool progress;
	bool sync;
	enum img_format disk_format;	/* import: raw (default), qcow2, vhd */
	bool disk_format_set;
	struct xlcfg_allow allow;	/* import: --allow-setting KEY */
	bool force;		/* export: past the pre-flight's blockers */
};

static void progress_cb(void *opaque, uint64_t done)
{
	hv_progress_update(opaque, done);
}

/* ---- export ---- */

/* The disk readers of vm, opened before any output exists. */
int move_open_disks(struct mv_vm *vm, const char *cfg, bool metadata_only,
		    uint64_t disk_size, struct img_in **ins, int *fds)
{
	const struct { const char *in; bool metadata_only; uint64_t disk_size; } opts = {
		cfg, metadata_only, disk_size }, *o = &opts;
	struct hv_diags d = HV_DIAGS_INIT;

	for (size_t i = 0; i < vm->ndisks; i++) {
		struct mv_disk *dk = &vm->disks[i];
		bool empty = !dk->target || !*dk->target;
		int rc;

		fds[i] = -1;
		if (o->metadata_only || empty) {
			if (!o->metadata_only && dk->kind != MV_DISK_CDROM) {
				log_error("'%s': disk %zu (%s) has no target", o->in, i,
					  dk->vdev ? dk->vdev : "?");
				return -EINVAL;
			}
			dk->size = o->disk_size;
			if (!o->disk_size)
				log_warn("'%s': disk %zu (%s): no data and no --disk-size: recorded as a VDI of 0 bytes",
					 o->in, i, dk->target ? dk->target : "empty");
			ins[i] = img_zero_new(dk->size);
			continue;
		}
		const char *why;
		fds[i] = open_input(dk->target, INPUT_BLOCK, &why);
		if (fds[i] < 0) {
			log_error("'%s': disk %zu (%s): cannot open '%s': %s (use --metadata-only to move the configuration alone)",
				  o->in, i, dk->vdev ? dk->vdev : "?", dk->target, why);
			return fds[i];
		}
		enum img_format f = IMG_UNKNOWN;
		if (dk->format && strcmp(dk->format, "raw") == 0)
			f = IMG_RAW;
		rc = img_open(fds[i], f, &d, &ins[i]);
		if (rc < 0) {
			report(dk->target, &d, rc, "cannot open disk image");
			hv_diags_release(&d);
			return rc;
		}
		dk->size = ins[i]->size;
		if (!dk->format)
			dk->format = xstrdup(img_format_name(ins[i]->format));
	}
	hv_diags_release(&d);
	return 0;
}

struct tar_sink {
	struct tar_out *t;
	struct mf_hash *sum;	/* the member's digest for the manifest */
};

static int tar_sink(void *opaque, const void *buf, size_t len)
{
	struct tar_sink *s = opaque;

	mf_hash_update(s->sum, buf, len);
	return tar_out_data(s->t, buf, len);
}

static int copy_disk(struct img_in *in, struct img_out *out, const char *what,
		     bool progress)
{
	struct hv_progress bar;
	int rc;

	hv_progress_init(&bar, what, in->size, progress);
	rc = img_copy(in, out, progress_cb, &bar);
	hv_progress_done(&bar);
	if (rc == 0)
		rc = out->ops->finish(out);
	return rc;
}

/* XVA or OVA: one tar file.  This and export_ovf_dir() return 0, a
 * negative errno, or 1 when no output could be made (said already). */
static int export_package(struct mv_vm *vm, const struct vm_opts *o,
			  struct img_in **ins, struct hv_diags *d)
{
	struct tar_out *t = NULL;
	struct strbuf meta = STRBUF_INIT, mf = STRBUF_INIT;
	struct mf_hash sum;
	char hex[MF_HEX_MAX];
	bool xva = strcmp(o->to, "xva") == 0;
	int fd, rc;
	char **hrefs = xcalloc(vm->ndisks + 1, sizeof(char *));
	uint64_t *sizes = xcalloc(vm->ndisks + 1, sizeof(uint64_t));
	_cleanup_free_ char *name = move_safe_name(vm->name);
	_cleanup_free_ char *ovfname = NULL;

	fd = tmpout_create_file(o->out);
	if (fd < 0) {
		rc = 1;		/* said by tmpout_create_file() */
		goto out;
	}
	if (xva) {
		xva_ova_xml(vm, &meta, d);
	} else {
		for (size_t i = 0; i < vm->ndisks; i++) {
			hrefs[i] = move_disk_file(name, i, "vhd");
			rc = img_vhd_stream_size(ins[i], ins[i]->size, &sizes[i]);
			if (rc < 0)
				goto out;
		}
		ovf_write(vm, hrefs, sizes, &meta, d);
	}
	(void)log_diags(o->in, d);
	hv_diags_release(d);
	rc = tar_out_open(fd, o->gzip, &t);
	if (rc < 0)
		goto out;
	ovfname = xasprintf("%s.ovf", name);
	rc = tar_out_add(t, xva ? "ova.xml" : ovfname, meta.buf, meta.len, (uint64_t)time(NULL));
	mf_hash_init(&sum, MF_SHA256);
	mf_hash_update(&sum, meta.buf, meta.len);
	mf_hash_hex(&sum, hex);
	ova_mf_line(&mf, ovfname, hex);
	for (size_t i = 0; rc == 0 && i < vm->ndisks; i++) {
		struct img_out out = { .fd = -1, .size = ins[i]->size, .diags = d };
		struct tar_sink ts = { t, &sum };

		mf_hash_init(&sum, MF_SHA256);
		uint64_t fsize = 0;

		if (xva) {
			rc = img_out_xva(&out, t, vm->disks[i].ref, o->sums);
		} else {
			rc = tar_out_begin(t, hrefs[i], sizes[i], (uint64_t)time(NULL));
			if (rc == 0)
				rc = img_out_vhd_stream(&out, ins[i], tar_sink, &ts, &fsize);
			if (rc == 0 && fsize != sizes[i])
				rc = hv_errorf(d, "disk %zu changed while it was read", i);
		}
		if (rc == 0)
			rc = copy_disk(ins[i], &out, "exporting", o->progress);
		if (rc == 0 && !xva)
			rc = tar_out_end(t, sizes[i]);
		if (rc == 0 && !xva) {
			mf_hash_hex(&sum, hex);
			ova_mf_line(&mf, hrefs[i], hex);
		}
		img_out_release(&out);
	}
	/* The manifest last, as OVF 2.0 allows: its digests are known only
	 * once the disks have streamed through. */
	if (rc == 0 && !xva) {
		_cleanup_free_ char *mfname = xasprintf("%s.mf", name);
		rc = tar_out_add(t, mfname, mf.buf, mf.len, (uint64_t)time(NULL));
	}
	if (rc < 0) {
		(void)tar_out_close(t);
		t = NULL;
		goto out;
	}
	rc = tar_out_close(t);
	t = NULL;
	if (rc == 0)
		rc = move_finish_file(fd, o->sync);
	else
		close(fd);
	fd = -1;
	if (rc == 0)
		rc = tmpout_commit();
out:
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < vm->ndisks; i++)
		free(hrefs[i]);
	free(hrefs);
	free(sizes);
	strbuf_release(&meta);
	strbuf_release(&mf);
	return rc;
}

/* OVF: a directory holding NAME.ovf and one dynamic VHD per disk. */
static int export_ovf_dir(struct mv_vm *vm, const struct vm_opts *o,
			  struct img_in **ins, struct hv_diags *d)
{
	struct strbuf meta = STRBUF_INIT, mf = STRBUF_INIT;
	char hex[MF_HEX_MAX];
	struct mf_hash sum;
	char **hrefs = xcalloc(vm->ndisks + 1, sizeof(char *));
	uint64_t *sizes = xcalloc(vm->ndisks + 1, sizeof(uint64_t));
	_cleanup_free_ char *name = move_safe_name(vm->name);
	int rc = 0, dfd = -1;

	dfd = tmpout_create_dir(o->out);
	if (dfd < 0) {
		rc = 1;		/* said by tmpout_create_dir() */
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < vm->ndisks; i++) {
		struct img_out out = { .fd = -1, .size = ins[i]->size, .diags = d };
		struct stat st;

		hrefs[i] = move_disk_file(name, i, "vhd");
		out.fd = openat(dfd, hrefs[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (out.fd < 0) {
			rc = -errno;
			break;
		}
		rc = img_out_vhd(&out, true);
		if (rc == 0)
			rc = copy_disk(ins[i], &out, "exporting", o->progress);
		if (rc == 0 && fstat(out.fd, &st) == 0)
			sizes[i] = (uint64_t)st.st_size;
		if (rc == 0 && (rc = mf_hash_fd(out.fd, MF_SHA256, hex)) == 0)
			ova_mf_line(&mf, hrefs[i], hex);
		img_out_release(&out);
		if (rc == 0)
			rc = move_finish_file(out.fd, o->sync);
		else
			close(out.fd);
	}
	if (rc == 0) {
		_cleanup_free_ char *ovf = xasprintf("%s.ovf", name);
		ovf_write(vm, hrefs, sizes, &meta, d);
		(void)log_diags(o->in, d);
		hv_diags_release(d);
		rc = move_write_new(dfd, ovf, meta.buf, meta.len, o->sync);
		/* The manifest beside them, as ovftool writes an OVF directory. */
		_cleanup_free_ char *mfname = xasprintf("%s.mf", name);
		struct strbuf all = STRBUF_INIT;
		mf_hash_init(&sum, MF_SHA256);
		mf_hash_update(&sum, meta.buf, meta.len);
		mf_hash_hex(&sum, hex);
		ova_mf_line(&all, ovf, hex);
		strbuf_add(&all, mf.buf, mf.len);
		if (rc == 0)
			rc = move_write_new(dfd, mfname, all.buf, all.len, o->sync);
		strbuf_release(&all);
	}
	if (rc == 0)
		rc = tmpout_commit();
out:
	if (dfd >= 0)
		close(dfd);
	for (size_t i = 0; i < vm->ndisks; i++)
		free(hrefs[i]);
	free(hrefs);
	free(sizes);
	strbuf_release(&meta);
	strbuf_release(&mf);
	return rc;
}

int move_parse_allow(const char *key, struct xlcfg_allow *a)
{
	const char *k = str_startswith(key, "vif.") ? key + 4 : key;
	bool ok = *k && strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(k);

	if (!ok || xlcfg_never(key)) {
		log_error("--allow-setting '%s': %s", key, ok ?
			  "disks and NICs are built by hvkit from the package's own; not a setting to allow" :
			  "not an xl.cfg setting name (KEY or vif.KEY)");
		return EXIT_USAGE;
	}
	a->keys = xrealloc(a->keys, (a->n + 1) * sizeof(*a->keys));
	a->keys[a->n++] = (char *)key;
	return 0;
}

static int parse_common(int c, struct vm_opts *o)
{
	unsigned long long v;

	switch (c) {
	case 'v': log_verbosity++; return 0;
	case 'o': o->out = optarg; return 0;
	case 't': o->to = optarg; return 0;
	case 'm': o->metadata_only = true; return 0;
	case 's':
		if (move_parse_size(optarg, &v) < 0 || v % 512) {
			log_error("bad --disk-size '%s' (bytes, or with K, M, G, T; whole 512-byte sectors)", optarg);
			return EXIT_USAGE;
		}
		o->disk_size = v;
		return 0;
	case 'z': o->gzip = true; return 0;
	case 'c':
		o->sums_set = true;
		if (strcmp(optarg, "xxhash") == 0)
			o->sums = XVA_SUM_XXHASH;
		else if (strcmp(optarg, "sha1") == 0)
			o->sums = XVA_SUM_SHA1;
		else if (strcmp(optarg, "both") == 0)
			o->sums = XVA_SUM_BOTH;
		else {
			log_error("unknown checksum '%s' (xxhash, sha1, both)", optarg);
			return EXIT_USAGE;
		}
		return 0;
	case 'P': o->progress = false; return 0;
	case 'S': o->sync = false; return 0;
	case 'A': return move_parse_allow(optarg, &o->allow);
	case 'f': o->force = true; return 0;
	case 'F':
		if (img_format_parse(optarg, &o->disk_format) < 0 || o->disk_format == IMG_XVA) {
			log_error("unknown --disk-format '%s' (raw, qcow2, vhd, vhd-fixed)", optarg);
			return EXIT_USAGE;
		}
		o->disk_format_set = true;
		return 0;
	}
	return EXIT_USAGE;
}

static const struct option vm_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' },
	{ "metadata-only", no_argument, NULL, 'm' },
	{ "disk-size", required_argument, NULL, 's' },
	{ "gzip", no_argument, NULL, 'z' },
	{ "checksum", required_argument, NULL, 'c' },
	{ "no-progress", no_argument, NULL, 'P' },
	{ "no-sync", no_argument, NULL, 'S' },
	{ "disk-format", required_argument, NULL, 'F' },
	{ "allow-setting", required_argument, NULL, 'A' },
	{ "force", no_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

/* option lines export and import share */
#define VM_OPT_METADATA "  --metadata-only    the configuration without disk data\n"
#define VM_OPT_COMMON \
	"  --no-progress      no progress bar (it is drawn only on a terminal)\n" \
	"  --no-sync          no fsync before the rename\n"

static const char export_usage[] =
	"usage: hvkit move export GUEST.cfg --to xva|ova|ovf -o OUT [--metadata-only\n"
	"                         [--disk-size SIZE]] [--gzip] [--checksum KIND] [--force]\n"
	"                         [--no-progress] [--no-sync] [-v]\n"
	"\n"
	"Write an xl guest as a package XAPI imports.  The checks of `hvkit\n"
	"move check GUEST.cfg --for xapi` run first: a setting that blocks the\n"
	"move stops the export unless --force.\n"
	"\n"
	"Options:\n"
	"  --to FORMAT        xva (XAPI's own), ova (one tar) or ovf (a directory)\n"
	"  -o, --output OUT   the package made (it must not exist)\n"
	VM_OPT_METADATA
	"  --disk-size SIZE   with --metadata-only: each VDI's size (bytes, or\n"
	"                     K, M, G, T)\n"
	"  --gzip             compress the XVA or OVA (not ovf)\n"
	"  --checksum KIND    XVA chunk checksums: sha1 (default), xxhash, both\n"
	"  --force            go on although the checks found a blocker\n"
	VM_OPT_COMMON
	"  -v, --verbose      the checks' warnings too\n"
	"  -h, --help         this text\n"
	"See hvkit-move(1).\n";
static const char import_usage[] =
	"usage: hvkit move import PACKAGE --to xl -o DIR [--metadata-only]\n"
	"                         [--disk-format raw|qcow2|vhd] [--allow-setting KEY]...\n"
	"                         [--no-progress] [--no-sync] [-v]\n"
	"\n"
	"Read an XVA, OVA or OVF (PACKAGE '-': standard input) into an xl.cfg\n"
	"and its disks in DIR.\n"
	"\n"
	"Options:\n"
	"  --to xl            what is written (the only form)\n"
	"  -o, --output DIR   the directory made (it must not exist)\n"
	VM_OPT_METADATA
	"  --disk-format FMT  raw (default), qcow2 or vhd\n"
	"  --allow-setting KEY  write the package's setting KEY although it\n"
	"                     reaches the host (repeatable; see hvkit-move(1))\n"
	VM_OPT_COMMON
	"  -v, --verbose      say what was written\n"
	"  -h, --help         this text\n"
	"See hvkit-move(1).\n";

/* "--gzip does not go with 'move import'": the option of vm_options
 * whose getopt value is c; EXIT_USAGE. */
static int not_taken(int c, const char *verb)
{
	const struct option *opt = vm_options;

	while (opt->name && opt->val != c)
		opt++;
	log_error("--%s does not go with 'move %s' (see 'hvkit move %s --help')",
		  opt->name ? opt->name : "?", verb, verb);
	return EXIT_USAGE;
}

/* takes: the options of vm_options the verb takes, by getopt value; the
 * others are refused, not ignored. */
static int get_opts(int argc, char **argv, struct vm_opts *o, const char *usage,
		    const char *takes)
{
	_cleanup_free_ char *verb = xasprintf("move %s", argv[0]);
	struct hv_getopt gs = HV_GETOPT_INIT(verb, "A");
	int c;

	*o = (struct vm_opts){ .sums = XVA_SUM_SHA1, .progress = true, .sync = true };
	optind = 0;
	while ((c = hv_getopt(&gs, argc, argv, ":ho:t:v", vm_options)) != -1) {
		if (c > 0 && c < 0x100 && c != '?' && c != ':' && !strchr(takes, c))
			return not_taken(c, argv[0]);
		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (parse_common(c, o) != 0)
			return hv_opt_error_in(verb, c, argv, vm_options);
	}
	if (argc - optind != 1 || !o->out || !o->to) {
		if (argc - optind != 1)
			return hv_args_error(verb, "%s", argc - optind ? "one input only" :
					     "no input named");
		return hv_args_error(verb, "missing %s", !o->to && !o->out ? "--to and -o" :
				     !o->to ? "--to" : "-o");
	}
	o->in = argv[optind];
	if (log_verbosity < 0)
		o->progress = false;
	return 0;
}

int move_cmd_export(int argc, char **argv, struct hv_global *g)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct vm_opts o;
	struct mv_vm vm;
	struct img_in **ins = NULL;
	int *fds = NULL, rc, ret = EXIT_FAIL;

	rc = get_opts(argc, argv, &o, export_usage, "htovmszcPSf");
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (strcmp(o.to, "xva") && strcmp(o.to, "ova") && strcmp(o.to, "ovf")) {
		log_error("unknown --to '%s' (xva, ova, ovf)", o.to);
		return EXIT_USAGE;
	}
	/* the options of one package kind, refused where they would do
	 * nothing (as move disk's) */
	if (strcmp(o.to, "xva") != 0 && o.sums_set)
		return hv_args_error("move export", "--checksum goes with --to xva (XVA chunk "
				     "checksums), not --to %s", o.to);
	if (strcmp(o.to, "ovf") == 0 && o.gzip)
		return hv_args_error("move export", "--gzip goes with --to xva or ova (one "
				     "archive), not --to ovf (a directory)");
	if ((rc = tmpout_check(o.out, strcmp(o.to, "ovf") == 0)))
		return rc;
	if (strcmp(o.out, "-") != 0 && access(o.out, F_OK) == 0) {
		log_error("'%s' exists; not overwriting it", o.out);
		return EXIT_FAIL;
	}
	mv_vm_init(&vm);
	rc = xlcfg_read(o.in, &vm, &d);
	if (rc < 0) {
		report(o.in, &d, rc, "cannot read");
		goto out;
	}
	if (log_diags(o.in, &d))
		goto out;
	hv_diags_release(&d);
	ins = xcalloc(vm.ndisks + 1, sizeof(*ins));
	fds = xcalloc(vm.ndisks + 1, sizeof(*fds));
	for (size_t i = 0; i <= vm.ndisks; i++)
		fds[i] = -1;
	if (move_open_disks(&vm, o.in, o.metadata_only, o.disk_size, ins, fds) < 0)
		goto out;
	if (move_preflight(&vm, o.in, o.force) < 0)
		goto out;
	for (size_t i = 0; i < vm.ndisks; i++)
		if (ins[i]->size % 512) {
			log_error("'%s': %llu bytes is not whole 512-byte sectors (XAPI's VDIs and VHD need them)",
				  vm.disks[i].target, (unsigned long long)ins[i]->size);
			goto out;
		} else if (strcmp(o.to, "xva") && (rc = img_vhd_size_check(ins[i]->size, &d)) < 0) {
			report(vm.disks[i].target, &d, rc, "cannot export it as a VHD");
			goto out;
		}
	rc = strcmp(o.to, "ovf") == 0 ? export_ovf_dir(&vm, &o, ins, &d)
				      : export_package(&vm, &o, ins, &d);
	if (rc > 0)	/* no output could be made: said already */
		goto out;
	if (rc < 0) {
		if (d.n)
			(void)log_diags(o.out, &d);
		else
			log_error("cannot write '%s': %s", o.out, strerror(-rc));
		goto out;
	}
	log_info("'%s' -> '%s' (%s, %zu disk(s), %zu NIC(s))", o.in, o.out, o.to,
		 vm.ndisks, vm.nnics);
	ret = EXIT_OK;
out:
	tmpout_remove();
	for (size_t i = 0; ins && i < vm.ndisks; i++) {
		img_in_free(ins[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(ins);
	free(fds);
	mv_vm_release(&vm);
	hv_diags_release(&d);
	return ret;
}

/* ---- import ---- */

static int create_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
}

/* Copies the image open on fd into the output dir as `file` in
 * --disk-format; *ret_size (may be NULL): its virtual size.  Closes fd. */
static int convert_fd(int fd, int dfd, const char *file, const char *label,
		      const struct vm_opts *o, struct hv_diags *d, uint64_t *ret_size)
{
	struct img_in *in = NULL;
	struct img_out out = { .fd = -1, .diags = d };
	int rc;

	rc = img_open(fd, IMG_UNKNOWN, d, &in);
	if (rc == 0) {
		out.size = in->size;
		out.fd = create_at(dfd, file);
		rc = out.fd < 0 ? -errno : move_disk_writer(&out, o->disk_format);
	}
	if (rc == 0)
		rc = copy_disk(in, &out, label, o->progress);
	img_out_release(&out);
	if (out.fd >= 0) {
		int r2 = move_finish_file(out.fd, o->sync);
		rc = rc ? rc : r2;
	}
	img_in_free(in);
	close(fd);
	if (rc == 0 && ret_size)
		*ret_size = out.size;
	return rc;
}

/* Rewrites the image file src in the output dir as NAME-diskI.EXT in
 * --disk-format and removes src. */
static int convert_at(int dfd, const char *src, const char *name, size_t i,
		      const struct vm_opts *o, struct hv_diags *d)
{
	_cleanup_free_ char *part = xasprintf("%s.part", src);
	_cleanup_free_ char *file = move_disk_file(name, i, move_disk_ext(o->disk_format));
	int fd, rc;

	if (renameat(dfd, src, dfd, part) < 0)
		return -errno;
	fd = openat(dfd, part, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = convert_fd(fd, dfd, file, "converting", o, d, NULL);
	if (rc == 0 && unlinkat(dfd, part, 0) < 0)
		rc = -errno;
	return rc;
}

/* One bar over all of an XVA's disks: the sum of each disk's progress. */
struct xva_bar {
	struct hv_progress bar;
	uint64_t *done;
	size_t n;
};
struct xva_bar_disk {
	struct xva_bar *all;
	size_t i;
};

static void xva_progress_cb(void *opaque, uint64_t done)
{
	struct xva_bar_disk *b = opaque;
	uint64_t sum = 0;

	b->all->done[b->i] = done;
	for (size_t i = 0; i < b->all->n; i++)
		sum += b->all->done[i];
	hv_progress_update(&b->all->bar, sum);
}

/* XVA disks: every disk's chunks in one pass over the archive. */
static int import_xva_disks(const char *path, int in, struct mv_vm *vm, int dfd,
			    const struct vm_opts *o, const char *name,
			    struct hv_diags *d)
{
	size_t n = vm->ndisks;
	struct xva_disk_job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	struct img_out *outs = xcalloc(n ? n : 1, sizeof(*outs));
	struct xva_bar_disk *bd = xcalloc(n ? n : 1, sizeof(*bd));
	struct xva_bar all = { .done = xcalloc(n ? n : 1, sizeof(uint64_t)), .n = n };
	size_t *disk_of = xcalloc(n ? n : 1, sizeof(*disk_of));
	struct xva_in *x = NULL;
	struct mv_vm scratch;
	uint64_t total = 0;
	size_t njobs = 0;
	int fd, rc;

	/* A second reader of the package: "-" was spooled (its fd is read
	 * again from the start), a name is opened again. */
	fd = strcmp(path, "-") == 0 ? (lseek(in, 0, SEEK_SET) < 0 ? -1 : fcntl(in, F_DUPFD_CLOEXEC, 3)) :
	     open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	mv_vm_init(&scratch);
	rc = xva_in_open(fd, d, &scratch, &x);
	mv_vm_release(&scratch);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct mv_disk *dk = &vm->disks[i];
		struct img_out *out = &outs[njobs];

		if (!dk->ref)
			continue;	/* an empty CD drive */
		_cleanup_free_ char *file = move_disk_file(name, i, move_disk_ext(o->disk_format));
		*out = (struct img_out){ .fd = create_at(dfd, file), .size = dk->size, .diags = d };
		rc = out->fd < 0 ? -errno : move_disk_writer(out, o->disk_format);
		bd[njobs] = (struct xva_bar_disk){ .all = &all, .i = njobs };
		jobs[njobs] = (struct xva_disk_job){ .ref = dk->ref, .size = dk->size, .out = out,
						     .progress = xva_progress_cb, .opaque = &bd[njobs] };
		disk_of[njobs] = i;
		total += dk->size;
		njobs++;
	}
	all.n = njobs;
	if (rc == 0) {
		hv_progress_init(&all.bar, "importing", total, o->progress);
		rc = xva_in_copy_all(x, jobs, njobs);
		hv_progress_done(&all.bar);
	}
	for (size_t j = 0; j < njobs; j++) {
		if (rc == 0 && outs[j].ops)
			rc = outs[j].ops->finish(&outs[j]);
		if (outs[j].ops)
			img_out_release(&outs[j]);
		if (outs[j].fd >= 0) {
			int r2 = move_finish_file(outs[j].fd, o->sync);
			rc = rc ? rc : r2;
		}
	}
	for (size_t j = 0; rc == 0 && j < njobs; j++) {
		if (jobs[j].unverified)
			log_warn("'%s': disk %zu: %llu chunk(s) had no checksum", path, disk_of[j],
				 (unsigned long long)jobs[j].unverified);
		move_retarget(&vm->disks[disk_of[j]], o->out, name, disk_of[j], move_disk_ext(o->disk_format));
	}
out:
	xva_in_free(x);
	if (fd >= 0)
		close(fd);
	free(jobs);
	free(outs);
	free(bd);
	free(all.done);
	free(disk_of);
	return rc;
}

/* A member's name as a manifest names it: without a leading "./". */
static const char *mf_member_name(const char *name)
{
	return str_startswith(name, "./") ? name + 2 : name;
}

/*
 * Finds the OVA's manifest (a member NAME.mf, anywhere: OVF 1.x puts it
 * second, OVF 2.0 also last) in a pass over the member headers, and
 * parses it into mf.  No manifest: 0 and mf empty.  fd is rewound.
 */
static int load_manifest(int fd, struct ova_mf *mf, struct hv_diags *d)
{
	struct tar_in *t = NULL;
	struct tar_member m;
	char *text = NULL;
	int rc;

	rc = tar_in_open(fd, d, &t);
	while (rc == 0 && (rc = tar_in_next(t, &m)) > 0) {
		size_t n = strlen(m.name);
		rc = 0;
		if (n < 3 || strcasecmp(m.name + n - 3, ".mf") != 0)
			continue;
		if (mf->n || text) {
			rc = hv_errorf(d, "offset %llu: a second manifest '%s'",
				       (unsigned long long)m.offset, m.name);
			break;
		}
		if (m.size > (1u << 20)) {
			rc = hv_errorf(d, "offset %llu: manifest '%s' of %llu bytes is too large",
				       (unsigned long long)m.offset, m.name, (unsigned long long)m.size);
			break;
		}
		text = xmalloc((size_t)m.size + 1);
		rc = tar_in_read(t, text, (size_t)m.size);
		if (rc == 0)
			rc = ova_mf_parse(text, (size_t)m.size, m.name, mf, d);
	}
	free(text);
	tar_in_free(t);
	if (lseek(fd, 0, SEEK_SET) < 0 && rc >= 0)
		rc = -errno;
	return rc < 0 ? rc : 0;
}

/*
 * A disk file's own header against what the descriptor says of it (fmt
 * "vhd" or "vmdk", NULL: not said; size, the disk's virtual bytes),
 * before anything is written: a lie is an error naming the file.  head:
 * its first hlen bytes; tail: its last 512 (a fixed VHD's only footer),
 * NULL while not known.  1: the tail is needed to judge.
 */
static int check_member(const char *member, const char *fmt, uint64_t size,
			const uint8_t *head, size_t hlen, const uint8_t *tail,
			struct hv_diags *d)
{
	bool vhd = hlen >= VHD_FOOTER_SIZE && memcmp(head, "conectix", 8) == 0;
	bool vmdk = hlen >= 20 && memcmp(head, "KDMV", 4) == 0;
	uint64_t got;
	const char *hdr;

	if (!fmt)
		return 0;
	if (strcmp(fmt, "vhd") == 0) {
		if (vmdk)
			return hv_errorf(d, "'%s': the OVF says a VHD, the file is a VMDK", member);
		if (!vhd && !tail)
			return 1;
		if (!vhd && memcmp(tail, "conectix", 8) != 0)
			return hv_errorf(d, "'%s': the OVF says a VHD, the file has no VHD footer", member);
		got = img_be64((vhd ? head : tail) + 48);
		hdr = "VHD footer";
	} else {
		if (vhd)
			return hv_errorf(d, "'%s': the OVF says a VMDK, the file is a VHD", member);
		if (!vmdk)
			return 0;	/* a descriptor file: the converter judges it */
		got = img_le64(head + 12);
		if (got > UINT64_MAX / 512)
			return hv_errorf(d, "'%s': offset 12: VMDK capacity %llu sectors", member,
					 (unsigned long long)got);
		got *= 512;
		hdr = "VMDK header";
	}
	if (got != size)
		return hv_errorf(d, "'%s': its %s says a disk of %llu bytes, the OVF %llu", member, hdr,
				 (unsigned long long)got, (unsigned long long)size);
	return 0;
}

/*
 * A VHD member kept as it is must be one `move info` reads: no
 * differencing disk (its parent locator names a host path), footer and
 * dynamic header whole, every BAT entry inside the file and no two blocks
 * overlapping.  The reader's own checks, its message under the member's
 * name.
 */
static int check_vhd_member(int fd, enum img_format fmt, const char *member,
			    struct hv_diags *d)
{
	struct hv_diags why = HV_DIAGS_INIT;
	struct img_in *in = NULL;
	int rc = img_open(fd, fmt, &why, &in);

	if (rc < 0)
		rc = hv_errorf(d, "'%s': %s", member,
			       why.n ? why.v[why.n - 1].msg : strerror(-rc));
	img_in_free(in);
	hv_diags_release(&why);
	return rc;
}

/* OVA disks: the VHD members copied as they are (xl reads VHD); others
 * (VMware's streamOptimized VMDK) converted as --disk-format says. */
static int import_ova_disks(const char *path, int fd, struct mv_vm *vm,
			    char **hrefs, const struct ovf_file *files, int dfd, const struct vm_opts *o,
			    const char *name, struct ova_mf *mf, struct hv_diags *d)
{
	struct tar_in *t = NULL;
	struct tar_member m;
	uint8_t *buf = xmalloc(1 << 20);
	bool *done = xcalloc(vm->ndisks + 1, 1);
	int rc;

	rc = tar_in_open(fd, d, &t);
	while (rc == 0 && (rc = tar_in_next(t, &m)) > 0) {
		size_t i;
		rc = 0;
		struct mf_entry *e = ova_mf_find(mf, mf_member_name(m.name));
		struct mf_hash sum;
		char hex[MF_HEX_MAX];

		if (e && e->checked)
			e = NULL;	/* the descriptor, checked already */
		if (e)
			mf_hash_init(&sum, e->algo);
		for (i = 0; i < vm->ndisks; i++)
			if (hrefs[i] && !done[i] && strcmp(hrefs[i], m.name) == 0)
				break;
		if (i == vm->ndisks) {
			/* Another member the manifest names: read for its digest. */
			for (uint64_t left = m.size; e && rc == 0 && left;) {
				size_t n = left < (1 << 20) ? (size_t)left : 1 << 20;
				rc = tar_in_read(t, buf, n);
				mf_hash_update(&sum, buf, n);
				left -= n;
			}
			if (e && rc == 0) {
				mf_hash_hex(&sum, hex);
				rc = ova_mf_verify(e, hex, d);
			}
			continue;
		}
		_cleanup_free_ char *file = move_disk_file(name, i, "vhd");
		int ofd = create_at(dfd, file);
		if (ofd < 0) {
			rc = -errno;
			break;
		}
		/* The member against the OVF: its header before it is written,
		 * a fixed VHD's footer once it is read. */
		uint8_t tail[VHD_FOOTER_SIZE] = { 0 };
		int judge = files[i].format ? 1 : 0;
		if (judge && m.size == 0)
			rc = check_member(m.name, files[i].format, files[i].capacity, buf, 0, tail, d);
		for (uint64_t left = m.size, off = 0; rc == 0 && left;) {
			size_t n = left < (1 << 20) ? (size_t)left : 1 << 20;
			rc = tar_in_read(t, buf, n);
			if (rc == 0 && off == 0 && judge)
				rc = judge = check_member(m.name, files[i].format, files[i].capacity, buf, n,
							  NULL, d);
			if (rc == 1)
				rc = 0;
			if (rc == 0 && e)
				mf_hash_update(&sum, buf, n);
			if (rc == 0)
				rc = img_pwrite_sparse(ofd, buf, n, off);
			if (n >= sizeof(tail)) {
				memcpy(tail, buf + n - sizeof(tail), sizeof(tail));
			} else {
				memmove(tail, tail + n, sizeof(tail) - n);
				memcpy(tail + sizeof(tail) - n, buf, n);
			}
			off += n;
			left -= n;
		}
		if (rc == 0 && judge == 1 && m.size)
			rc = check_member(m.name, files[i].format, files[i].capacity, tail, 0, tail, d);
		if (rc == 0 && ftruncate(ofd, (off_t)m.size) < 0)
			rc = -errno;
		if (rc == 0 && e) {
			mf_hash_hex(&sum, hex);
			rc = ova_mf_verify(e, hex, d);
		}
		enum img_format got = rc == 0 ? img_probe(ofd) : IMG_UNKNOWN;
		if (rc == 0 && (got == IMG_VHD_DYNAMIC || got == IMG_VHD_FIXED))
			rc = check_vhd_member(ofd, got, m.name, d);
		int r2 = move_finish_file(ofd, o->sync);
		rc = rc ? rc : r2;
		done[i] = true;
		/* Never a VMDK (or anything else) under a .vhd name. */
		bool vhd = got == IMG_VHD_DYNAMIC || got == IMG_VHD_FIXED;
		bool conv = !vhd || (o->disk_format_set && o->disk_format != IMG_VHD_DYNAMIC);
		if (rc == 0 && conv)
			rc = convert_at(dfd, file, name, i, o, d);
		move_retarget(&vm->disks[i], o->out, name, i, conv ? move_disk_ext(o->disk_format) : "vhd");
	}
	for (size_t i = 0; rc == 0 && i < vm->ndisks; i++)
		if (hrefs[i] && !done[i])
			rc = hv_errorf(d, "offset %llu: disk file '%s' named by the OVF is not in the archive",
				       (unsigned long long)tar_in_offset(t), hrefs[i]);
	if (rc == 0)
		rc = ova_mf_all_checked(mf, "the manifest", d);
	tar_in_free(t);
	free(buf);
	free(done);
	(void)path;
	return rc;
}

static int read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > max) {
			strbuf_release(&sb);
			return -EFBIG;
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	if (n < 0) {
		strbuf_release(&sb);
		return -errno;
	}
	*ret = strbuf_detach(&sb, ret_len);
	return 0;
}

/* OVF beside its files: each disk converted to raw. */
static int import_ovf_disks(const char *path, struct mv_vm *vm, char **hrefs,
			    const struct ovf_file *files, int dfd, const struct vm_opts *o, const char *name,
			    struct ova_mf *mf, struct hv_diags *d)
{
	_cleanup_free_ char *dup = xstrdup(path);
	const char *dir = dirname(dup);

	for (size_t i = 0; i < vm->ndisks; i++) {
		if (!hrefs[i])
			continue;
		if (strchr(hrefs[i], '/') || strcmp(hrefs[i], "..") == 0)
			return hv_errorf(d, "disk file '%s' is not beside the OVF", hrefs[i]);
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, hrefs[i]);
		_cleanup_free_ char *file = move_disk_file(name, i, move_disk_ext(o->disk_format));
		/* A member of someone else's package: never through a symbolic
		 * link, and only a regular file (not a device or a FIFO). */
		int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), rc;
		struct stat st;

		if (fd < 0 && errno == ELOOP)
			return hv_errorf(d, "disk file '%s' is a symbolic link; refused", hrefs[i]);
		if (fd < 0)
			return hv_errorf(d, "cannot open disk file '%s': %s", src, strerror(errno));
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return hv_errorf(d, "disk file '%s' is not a regular file; refused", hrefs[i]);
		}
		struct mf_entry *e = ova_mf_find(mf, hrefs[i]);
		char hex[MF_HEX_MAX];
		if (e && ((rc = mf_hash_fd(fd, e->algo, hex)) < 0 ||
			  (rc = ova_mf_verify(e, hex, d)) < 0)) {
			close(fd);
			return rc == -EINVAL ? rc : hv_errorf(d, "cannot read disk file '%s': %s",
							      hrefs[i], strerror(-rc));
		}
		uint8_t head[VHD_FOOTER_SIZE] = { 0 }, tail[VHD_FOOTER_SIZE] = { 0 };
		ssize_t hn = pread(fd, head, sizeof(head), 0);
		if (st.st_size >= (off_t)sizeof(tail) &&
		    pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) < 0)
			hn = -1;
		if (hn < 0) {
			rc = hv_errorf(d, "cannot read disk file '%s': %s", hrefs[i], strerror(errno));
			close(fd);
			return rc;
		}
		rc = check_member(hrefs[i], files[i].format, files[i].capacity, head, (size_t)hn, tail, d);
		if (rc < 0) {
			close(fd);
			return rc;
		}
		rc = convert_fd(fd, dfd, file, "importing", o, d, &vm->disks[i].size);
		if (rc < 0)
			return rc;
		move_retarget(&vm->disks[i], o->out, name, i, move_disk_ext(o->disk_format));
	}
	return ova_mf_all_checked(mf, "the manifest", d);
}

/* The manifest beside an OVF (NAME.mf for NAME.ovf), parsed into mf and
 * the descriptor's digest checked; none: 0 and mf empty. */
static int load_ovf_manifest(const char *path, const char *xml, size_t len,
			     struct ova_mf *mf, struct hv_diags *d)
{
	size_t n = strlen(path);
	_cleanup_free_ char *mfpath = NULL, *text = NULL, *dup = xstrdup(path);
	const char *ovfname = basename(dup);
	struct stat st;
	size_t tlen = 0;
	int fd, rc;

	if (n < 4 || strcasecmp(path + n - 4, ".ovf") != 0)
		return 0;
	mfpath = xasprintf("%.*s.mf", (int)(n - 4), path);
	fd = open(mfpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return hv_errorf(d, "manifest '%s': %s", mfpath, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hv_errorf(d, "manifest '%s' is not a regular file; refused", mfpath);
	}
	rc = read_all(fd, 1u << 20, &text, &tlen);
	close(fd);
	if (rc < 0)
		return hv_errorf(d, "manifest '%s': %s", mfpath, rc == -EFBIG ? "over 1 MiB" : strerror(-rc));
	rc = ova_mf_parse(text, tlen, mfpath, mf, d);
	struct mf_entry *e = rc == 0 ? ova_mf_find(mf, ovfname) : NULL;
	if (e) {
		struct mf_hash h;
		char hex[MF_HEX_MAX];
		mf_hash_init(&h, e->algo);
		mf_hash_update(&h, xml, len);
		mf_hash_hex(&h, hex);
		rc = ova_mf_verify(e, hex, d);
	}
	return rc;
}

int move_cmd_import(int argc, char **argv, struct hv_global *g)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct vm_opts o;
	struct mv_vm vm;
	enum move_pkg_kind kind;
	char **hrefs = NULL, *xml = NULL;
	_cleanup_free_ char *first = NULL;
	struct ovf_file *files = NULL;
	size_t xml_len = 0;
	int fd = -1, dfd = -1, rc, ret = EXIT_FAIL;
	struct strbuf cfg = STRBUF_INIT, ovfname = STRBUF_INIT;
	struct ova_mf mf = { 0 };
	_cleanup_free_ char *name = NULL, *origin = NULL, *cfgname = NULL;

	rc = get_opts(argc, argv, &o, import_usage, "htovmPSFA");
	/* the --allow-setting list, freed on every return (--help included) */
	_cleanup_free_ char **allow_keys = o.allow.keys;

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (strcmp(o.to, "xl") != 0) {
		log_error("unknown --to '%s' (xl)", o.to);
		return EXIT_USAGE;
	}
	if (o.force) {
		log_error("--force is an option of export and push");
		return EXIT_USAGE;
	}
	if ((rc = tmpout_check(o.out, true)))
		return rc;
	if (access(o.out, F_OK) == 0) {
		log_error("'%s' exists; not overwriting it", o.out);
		return EXIT_FAIL;
	}
	mv_vm_init(&vm);
	const char *why;
	fd = open_input(o.in, INPUT_DIR, &why);
	/* "-" is standard input, never a file named "-": an XVA's disks are
	 * read in a second pass, so a pipe is spooled first. */
	if (strcmp(o.in, "-") == 0)
		fd = move_seekable_input(o.in, fd, &why);
	if (fd < 0) {
		log_error("cannot open '%s': %s", o.in, why);
		goto out;
	}
	if (move_pkg_probe(o.in, fd, &kind, &first) < 0) {
		if (first && str_endswith(first, ".mf"))
			log_error("'%s': offset 0: a tar whose first member is the manifest '%s': an OVA starts with its OVF descriptor (OVF 2.0, DSP0243), the manifest comes after it",
				  o.in, first);
		else if (first)
			log_error("'%s': offset 0: a tar whose first member is '%s', not an XVA (ova.xml first) or an OVA (its .ovf first)",
				  o.in, first);
		else
			log_error("'%s': offset 0: not an XVA, OVA or OVF", o.in);
		goto out;
	}
	if (kind == MOVE_PKG_XVA) {
		struct xva_in *x = NULL;
		rc = xva_in_open(fd, &d, &vm, &x);
		xva_in_free(x);
	} else if (kind == MOVE_PKG_OVA) {
		struct tar_in *t = NULL;
		struct tar_member m;
		rc = tar_in_open(fd, &d, &t);
		if (rc == 0 && (rc = tar_in_next(t, &m)) > 0) {
			rc = 0;
			if (m.size > (16u << 20))
				rc = hv_errorf(&d, "offset %llu: '%s' of %llu bytes is too large",
					       (unsigned long long)m.offset, m.name, (unsigned long long)m.size);
			if (rc == 0) {
				xml_len = (size_t)m.size;
				xml = xmalloc(xml_len + 1);
				rc = tar_in_read(t, xml, xml_len);
			}
			if (rc == 0)
				rc = ovf_parse(xml, xml_len, m.name, &vm, &hrefs, &files, &d);
			if (rc == 0)
				strbuf_adds(&ovfname, m.name);
		}
		tar_in_free(t);
		(void)lseek(fd, 0, SEEK_SET);
		if (rc == 0)
			rc = load_manifest(fd, &mf, &d);
		struct mf_entry *e = rc == 0 ? ova_mf_find(&mf, mf_member_name(ovfname.buf)) : NULL;
		if (e) {
			struct mf_hash sum;
			char hex[MF_HEX_MAX];
			mf_hash_init(&sum, e->algo);
			mf_hash_update(&sum, xml, xml_len);
			mf_hash_hex(&sum, hex);
			rc = ova_mf_verify(e, hex, &d);
		}
	} else {
		rc = read_all(fd, 16u << 20, &xml, &xml_len);
		if (rc == 0)
			rc = ovf_parse(xml, xml_len, o.in, &vm, &hrefs, &files, &d);
		if (rc == 0)
			rc = load_ovf_manifest(o.in, xml, xml_len, &mf, &d);
		if (rc == 0) {
			_cleanup_free_ char *dup = xstrdup(o.in);
			strbuf_adds(&ovfname, basename(dup));
		}
	}
	/* Unnamed is unchecked: a manifest that leaves out a disk (or is
	 * empty) would let an altered disk in. */
	if (rc == 0 && mf.present)
		rc = ova_mf_require(&mf, ovfname.len ? mf_member_name(ovfname.buf) : "", &d);
	for (size_t i = 0; rc == 0 && mf.present && hrefs && i < vm.ndisks; i++)
		if (hrefs[i])
			rc = ova_mf_require(&mf, hrefs[i], &d);
	if (rc < 0) {
		report(o.in, &d, rc, "cannot read");
		goto out;
	}
	if (log_diags(o.in, &d))
		goto out;
	hv_diags_release(&d);
	size_t bad;
	if ((rc = move_vhd_sizes_check(&vm, o.disk_format, &d, &bad)) < 0) {
		_cleanup_free_ char *what = xasprintf("disk %zu: cannot write it as a VHD", bad);
		report(o.in, &d, rc, what);
		goto out;
	}
	if ((rc = xlcfg_load(&d)) < 0) {
		report(o.in, &d, rc, "cannot write xl.cfg");
		goto out;
	}

	dfd = tmpout_create_dir(o.out);
	if (dfd < 0)
		goto out;
	name = move_safe_name(vm.name);
	if (o.metadata_only) {
		/* Disks point where the data would have gone, never at a path
		 * the package names (xlcfg_write leaves a CD drive empty). */
		for (size_t i = 0; i < vm.ndisks; i++)
			if (vm.disks[i].kind != MV_DISK_CDROM)
				move_retarget(&vm.disks[i], o.out, name, i, move_disk_ext(o.disk_format));
		rc = 0;
	} else if (kind == MOVE_PKG_XVA) {
		rc = import_xva_disks(o.in, fd, &vm, dfd, &o, name, &d);
	} else if (kind == MOVE_PKG_OVA) {
		rc = import_ova_disks(o.in, fd, &vm, hrefs, files, dfd, &o, name, &mf, &d);
	} else {
		rc = import_ovf_disks(o.in, &vm, hrefs, files, dfd, &o, name, &mf, &d);
	}
	if (rc < 0) {
		report(o.in, &d, rc, "cannot import");
		goto out;
	}
	origin = xasprintf("'%s'", o.in);
	rc = xlcfg_write(&vm, origin, &o.allow, &cfg, &d);
	if (rc == 0)
		rc = xlcfg_check(cfg.buf, cfg.len, &d);
	if (rc < 0) {
		report(o.in, &d, rc, "cannot write xl.cfg");
		goto out;
	}
	if (log_diags(origin, &d))
		goto out;
	hv_diags_release(&d);
	cfgname = xasprintf("%s.cfg", name);
	rc = move_write_new(dfd, cfgname, cfg.buf, cfg.len, o.sync);
	if (rc == 0)
		rc = tmpout_commit();
	if (rc < 0) {
		log_error("cannot write '%s': %s", o.out, strerror(-rc));
		goto out;
	}
	log_info("'%s' -> '%s/%s' (%zu disk(s), %zu NIC(s))", o.in, o.out, cfgname,
		 vm.ndisks, vm.nnics);
	ret = EXIT_OK;
out:
	tmpout_remove();
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; hrefs && i < vm.ndisks; i++)
		free(hrefs[i]);
	free(hrefs);
	ovf_files_free(files, vm.ndisks);
	free(xml);
	strbuf_release(&cfg);
	strbuf_release(&ovfname);
	ova_mf_release(&mf);
	mv_vm_release(&vm);
	hv_diags_release(&d);
	return ret;
}
