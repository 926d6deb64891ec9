/* SPDX-License-Identifier: MIT */
/* `hvkit move`: options, files, messages.  The only file of the tool
 * that talks to the user. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hvkit.h"
#include "cmd-vm.h"
#include "img.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "progress.h"
#include "util.h"
#include "xlcfg.h"
#include "tmpout.h"
#include "xva.h"

/* move disk --help; the end of move --help too. */
static const char disk_usage[] =
	"usage: hvkit move disk IN OUT [--to raw|vhd|vhd-fixed|qcow2|xva]\n"
	"         [--from raw|vhd|vhd-fixed|qcow2|xva|vmdk|vhdx] [--disk N|Ref:N]\n"
	"         [--gzip] [--checksum sha1|xxhash|both] [--no-progress] [--no-sync] [-v]\n"
	"\n"
	"disk options:\n"
	"  --to FORMAT        raw, vhd (dynamic), vhd-fixed, qcow2, xva; default\n"
	"                     from OUT's extension (.vhd: dynamic, .qcow2, .xva,\n"
	"                     else raw)\n"
	"  --from FORMAT      raw, vhd, vhd-fixed, qcow2, xva, vmdk, vhdx (default:\n"
	"                     probe)\n"
	"  --disk N|Ref:N     which disk of an XVA to read (default: the first)\n"
	"  --gzip             compress the XVA written\n"
	"  --checksum KIND    XVA chunk checksums: sha1 (.checksum, default: read\n"
	"                     by every XAPI and xva-img), xxhash (.xxhash, faster,\n"
	"                     XAPI with xxhash support only), both\n"
	"  --no-progress      no progress bar (it is drawn only on a terminal)\n"
	"  --no-sync          skip the fsync before the rename (faster, not\n"
	"                     crash-safe; qemu-img convert does not sync either)\n"
	"  -v, --verbose      say what was converted\n"
	"  -h, --help         this text\n"
	"\n"
	"IN '-' is standard input; OUT '-' is standard output (written whole\n"
	"in $TMPDIR first), else OUT is written under a temporary name and\n"
	"renamed when complete.  See hvkit-move(1).\n";

static void usage(FILE *f)
{
	fputs("usage: hvkit move disk IN OUT [--to raw|vhd|vhd-fixed|qcow2|xva] [OPTIONS]\n"
	      "       hvkit move info IMAGE [--json]\n"
	      "       hvkit move show GUEST.cfg|VM.xva [--json]\n"
	      "       hvkit move export GUEST.cfg --to xva|ova|ovf -o OUT [--metadata-only]\n"
	      "                         [--force]\n"
	      "       hvkit move import PACKAGE --to xl -o DIR [--metadata-only]\n"
	      "                         [--disk-format raw|qcow2|vhd]\n"
	      "       hvkit move push GUEST.cfg xapi://[USER@]HOST[:PORT] --sr UUID [--force]\n"
	      "       hvkit move pull xapi://[USER@]HOST[:PORT] VM-UUID|NAME -o DIR [--to xl]\n"
	      "                       [--disk-format raw|qcow2|vhd]\n"
	      "       hvkit move check GUEST.cfg --for xapi [--release 7.1|8.2|8.3] [--json]\n"
	      "\n"
	      "Convert disk images and read VM descriptions for moving guests\n"
	      "between xl and XAPI (XCP-ng, XenServer).  'hvkit move VERB --help'\n"
	      "describes one verb.\n"
	      "\n", f);
	fputs(strstr(disk_usage, "disk options:"), f);
}


struct disk_opts {
	const char *in, *out;
	enum img_format to, from;
	bool to_set, from_set;
	const char *disk;
	bool gzip, sums_set;
	enum xva_sums sums;
	bool progress;
	bool sync;
};

static enum img_format format_from_name(const char *path)
{
	if (str_endswith(path, ".vhd") || str_endswith(path, ".vpc"))
		return IMG_VHD_DYNAMIC;
	if (str_endswith(path, ".xva") || str_endswith(path, ".xva.gz"))
		return IMG_XVA;
	if (str_endswith(path, ".qcow2"))
		return IMG_QCOW2;
	return IMG_RAW;
}

static void progress_cb(void *opaque, uint64_t done)
{
	hv_progress_update(opaque, done);
}

/* Picks the XVA disk named by --disk (index or Ref:N). */
static struct mv_disk *pick_disk(struct mv_vm *vm, const char *sel, const char *in)
{
	uint64_t idx = 0;

	if (vm->ndisks == 0) {
		log_error("'%s': the XVA holds no disk", in);
		return NULL;
	}
	if (!sel) {
		if (vm->ndisks > 1)
			log_warn("'%s': %zu disks; converting the first (%s), choose with --disk",
				 in, vm->ndisks, vm->disks[0].ref);
		return &vm->disks[0];
	}
	for (size_t i = 0; i < vm->ndisks; i++)
		if (strcmp(vm->disks[i].ref, sel) == 0)
			return &vm->disks[i];
	if (parse_u64(sel, 10, &idx) == 0 && idx < vm->ndisks)
		return &vm->disks[idx];
	log_error("'%s': no disk '%s' (there are %zu)", in, sel, vm->ndisks);
	return NULL;
}

/*
 * An image to read: a regular file or block device, or "-", standard
 * input, which images are read from at offsets: a pipe there is read
 * once into an unlinked temporary file in $TMPDIR (else /var/tmp), and
 * that is read instead.  A character device (/dev/null, which
 * open_input() lets through as an empty file) is refused, as cpuid and
 * topo refuse one: it is no disk.
 */
int move_seekable_input(const char *path, int fd, const char **ret_why)
{
	char buf[65536];
	struct stat st;
	const char *dir;
	int tmp;

	/* A character device (/dev/zero, a terminal) is no disk image, as
	 * a name or on standard input: read from it, it may never end. */
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode)) {
		close(fd);
		*ret_why = strcmp(path, "-") == 0 ? "standard input is a character device, not a disk image" :
			   "a character device, not a disk image";
		return -EINVAL;
	}
	if (fd < 0 || strcmp(path, "-") != 0 || (fstat(fd, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))))
		return fd;
	/* A pipe: bounded by the room in the temporary directory (ENOSPC
	 * ends it, and the unnamed file goes with the process). */
	tmp = tmpfile_unnamed(&dir);
	if (tmp < 0) {
		*ret_why = "standard input is not a file, and no temporary file can hold it";
		close(fd);
		return tmp;
	}
	for (uint64_t at = 0;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int e = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = errno;
		else if (n > 0)
			e = -img_pwrite(tmp, buf, (size_t)n, at);
		if (e) {
			*ret_why = strerror(e);
			close(fd);
			close(tmp);
			return -e;
		}
		if (n == 0)
			break;
		at += (uint64_t)n;
	}
	close(fd);
	return tmp;
}

static int open_image_input(const char *path, const char **ret_why)
{
	return move_seekable_input(path, open_input(path, INPUT_BLOCK, ret_why), ret_why);
}

/* The directory holding path, for a VMDK descriptor's extents: an
 * O_PATH fd, or -1. */
static int dir_of(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);

	return open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int report(const char *path, struct hv_diags *d, int rc, const char *what)
{
	_cleanup_free_ char *quoted = xasprintf("'%s'", path);

	if (log_diags(quoted, d) == 0)
		log_error("'%s': %s: %s", path, what, strerror(-rc));
	return EXIT_FAIL;
}

static int do_disk(const struct disk_opts *o)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct img_in *in = NULL;
	struct xva_in *xin = NULL;
	struct tar_out *tout = NULL;
	struct img_out out = { .fd = -1 };
	struct mv_vm vm, outvm;
	struct mv_disk *src = NULL;
	struct hv_progress bar;
	int ifd = -1, rc, ret = EXIT_FAIL;
	const char *why;
	uint64_t size, unverified = 0;
	enum img_format from, to;

	mv_vm_init(&vm);
	mv_vm_init(&outvm);
	ifd = open_image_input(o->in, &why);
	if (ifd < 0) {
		log_error("cannot open '%s': %s", o->in, why);
		goto out;
	}
	from = o->from_set ? o->from : img_probe(ifd);
	to = o->to_set ? o->to : format_from_name(o->out);
	if (from == IMG_XVA) {
		rc = xva_in_open(ifd, &d, &vm, &xin);
		if (rc < 0) {
			report(o->in, &d, rc, "cannot read XVA");
			goto out;
		}
		src = pick_disk(&vm, o->disk, o->in);
		if (!src)
			goto out;
		size = src->size;
	} else if (o->disk) {
		/* probed: IN's format was not known before it was opened */
		ret = hv_args_error("move disk", "--disk picks a disk of an XVA input, and '%s' is %s",
				    o->in, img_format_name(from));
		goto out;
	} else {
		int dfd = dir_of(o->in);

		rc = img_open_dir(ifd, dfd, from, &d, &in);
		if (dfd >= 0)
			close(dfd);
		if (rc < 0) {
			report(o->in, &d, rc, "cannot open image");
			goto out;
		}
		size = in->size;
	}
	if (log_diags(o->in, &d))
		goto out;
	hv_diags_release(&d);
	/* Refused before anything is made: a VHD past its limit. */
	if ((to == IMG_VHD_DYNAMIC || to == IMG_VHD_FIXED) &&
	    (rc = img_vhd_size_check(size, &d)) < 0) {
		report(o->out, &d, rc, "cannot write VHD");
		goto out;
	}

	out.fd = tmpout_create_file(o->out);
	if (out.fd < 0)
		goto out;
	out.size = size;
	out.diags = &d;
	switch (to) {
	case IMG_RAW:
		rc = img_out_raw(&out);
		break;
	case IMG_VHD_FIXED:
	case IMG_VHD_DYNAMIC:
		rc = img_out_vhd(&out, to == IMG_VHD_DYNAMIC);
		break;
	case IMG_QCOW2:
		rc = img_out_qcow2(&out);
		break;
	case IMG_XVA: {
		struct strbuf xml = STRBUF_INIT;
		struct mv_disk *dk;
		_cleanup_free_ char *base = xstrdup(o->in);

		if (src) {
			outvm.name = xstrdup(vm.name ? vm.name : "hvkit");
			outvm.memory_mib = vm.memory_mib;
			outvm.maxmem_mib = vm.maxmem_mib;
			outvm.vcpus = vm.vcpus;
			outvm.maxvcpus = vm.maxvcpus;
		} else {
			outvm.name = xstrdup(basename(base));
		}
		dk = mv_vm_add_disk(&outvm);
		dk->size = size;
		dk->name = xstrdup(src && src->name ? src->name : basename(base));
		xva_ova_xml(&outvm, &xml, &d);
		rc = tar_out_open(out.fd, o->gzip, &tout);
		if (rc == 0)
			rc = tar_out_add(tout, "ova.xml", xml.buf, xml.len, (uint64_t)time(NULL));
		strbuf_release(&xml);
		if (rc == 0)
			rc = img_out_xva(&out, tout, dk->ref, o->sums);
		break;
	}
	default:
		rc = hv_errorf(&d, "cannot write %s", img_format_name(to));
		break;
	}
	if (rc < 0) {
		report(o->out, &d, rc, "cannot write");
		goto out;
	}

	hv_progress_init(&bar, "converting", size, o->progress);
	if (xin)
		rc = xva_in_copy(xin, src->ref, size, &out, progress_cb, &bar, &unverified);
	else
		rc = img_copy(in, &out, progress_cb, &bar);
	hv_progress_done(&bar);
	if (rc < 0) {
		/* Read errors carry a diagnostic; write errors do not. */
		if (d.n)
			report(o->in, &d, rc, "cannot read");
		else
			log_error("cannot write '%s': %s", o->out, strerror(-rc));
		goto out;
	}
	rc = out.ops->finish(&out);
	if (rc == 0 && tout) {
		rc = tar_out_close(tout);
		tout = NULL;
	}
	if (rc == 0 && o->sync && fsync(out.fd) < 0 && errno != EINVAL)
		rc = -errno;
	if (rc == 0 && close(out.fd) < 0)
		rc = -errno;
	out.fd = -1;
	if (rc == 0)
		rc = tmpout_commit();
	if (rc < 0) {
		log_error("cannot write '%s': %s", o->out, strerror(-rc));
		goto out;
	}
	if (unverified)
		log_warn("'%s': %llu chunk(s) had no checksum and were not verified",
			 o->in, (unsigned long long)unverified);
	log_info("'%s' (%s, %llu bytes) -> '%s' (%s, %llu bytes of data)",
		 o->in, img_format_name(in ? in->format : IMG_XVA),
		 (unsigned long long)size, o->out, img_format_name(to),
		 (unsigned long long)out.written);
	ret = EXIT_OK;
out:
	if (tout)
		(void)tar_out_close(tout);
	img_out_release(&out);
	if (out.fd >= 0)
		close(out.fd);
	tmpout_remove();
	img_in_free(in);
	xva_in_free(xin);
	if (ifd >= 0)
		close(ifd);
	mv_vm_release(&vm);
	mv_vm_release(&outvm);
	hv_diags_release(&d);
	return ret;
}

static int cmd_disk(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "disk", required_argument, NULL, 'd' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "checksum", required_argument, NULL, 'c' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "no-sync", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct disk_opts o = { .sums = XVA_SUM_SHA1, .progress = true, .sync = true };
	int c;

	struct hv_getopt gs = HV_GETOPT_INIT("move disk", NULL);

	while ((c = hv_getopt(&gs, argc, argv, ":vh", opts)) != -1) {
		switch (c) {
		case 't':
		case 'f': {
			enum img_format f;
			if ((c == 't' ? img_format_parse(optarg, &f) :
			     img_format_parse_input(optarg, &f)) < 0) {
				log_error("unknown format '%s' (raw, vhd, vhd-fixed, qcow2, xva%s)", optarg,
					  c == 't' ? "" : ", vmdk, vhdx");
				return EXIT_USAGE;
			}
			if (c == 't') {
				o.to = f;
				o.to_set = true;
			} else {
				o.from = f;
				o.from_set = true;
			}
			break;
		}
		case 'd':
			o.disk = optarg;
			break;
		case 'z':
			o.gzip = true;
			break;
		case 'c':
			o.sums_set = true;
			if (strcmp(optarg, "xxhash") == 0)
				o.sums = XVA_SUM_XXHASH;
			else if (strcmp(optarg, "sha1") == 0)
				o.sums = XVA_SUM_SHA1;
			else if (strcmp(optarg, "both") == 0)
				o.sums = XVA_SUM_BOTH;
			else {
				log_error("unknown checksum '%s' (xxhash, sha1, both)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P':
			o.progress = false;
			break;
		case 'S':
			o.sync = false;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			fputs(disk_usage, stdout);
			return EXIT_OK;
		default:
			return hv_opt_error_in("move disk", c, argv, opts);
		}
	}
	if (argc - optind != 2)
		return hv_args_error("move disk", "'move disk' takes IN and OUT (%d given)",
				     argc - optind);
	o.in = argv[optind];
	o.out = argv[optind + 1];
	if (log_verbosity < 0)
		o.progress = false;
	/* the options of an XVA, refused where they would do nothing */
	enum img_format to = o.to_set ? o.to : format_from_name(o.out);
	if (to != IMG_XVA && (o.gzip || o.sums_set))
		return hv_args_error("move disk", "%s goes with an XVA output, and OUT is %s",
				     o.gzip ? "--gzip" : "--checksum", img_format_name(to));
	if (o.disk && o.from_set && o.from != IMG_XVA)
		return hv_args_error("move disk", "--disk picks a disk of an XVA input, and IN is %s",
				     img_format_name(o.from));
	return tmpout_check(o.out, false) ?: do_disk(&o);
}

/* One line of `show`: the package's strings (a name, a path) may hold
 * newlines or control characters, shown as '.' so that every line is
 * one of ours (never a forged "disk 1: ..." line, never a terminal
 * control sequence). */
__attribute__((format(printf, 2, 3)))
static void text_line(struct strbuf *sb, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	strbuf_adds(sb, line ? str_printable(line, false) : "(out of memory)");
	strbuf_addc(sb, '\n');
	free(line);
}

static int print_json_or_text(struct mv_vm *vm, bool json, bool pretty)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (json) {
		json_init(&j, &sb, pretty);
		mv_vm_json(vm, &j);
		strbuf_addc(&sb, '\n');
	} else {
		text_line(&sb, "name: %s", vm->name ? vm->name : "");
		if (vm->uuid)
			text_line(&sb, "uuid: %s", vm->uuid);
		text_line(&sb, "type: %s", mv_guest_type_name(vm->type));
		text_line(&sb, "memory: %llu MiB", (unsigned long long)vm->memory_mib);
		text_line(&sb, "vcpus: %u", vm->vcpus);
		for (size_t i = 0; i < vm->ndisks; i++) {
			const struct mv_disk *dk = &vm->disks[i];
			char size[32] = "size unknown";

			if (dk->size)
				snprintf(size, sizeof(size), "%llu bytes", (unsigned long long)dk->size);
			text_line(&sb, "disk %zu: %s%s%s %s%s%s", i,
				    dk->vdev ? dk->vdev : "", dk->vdev ? " " : "",
				    dk->target ? dk->target : dk->ref ? dk->ref : "",
				    dk->format ? dk->format : "", dk->format ? " " : "", size);
		}
		for (size_t i = 0; i < vm->nnics; i++)
			text_line(&sb, "nic %zu: mac %s bridge %s", i,
				    vm->nics[i].mac ? vm->nics[i].mac : "auto",
				    vm->nics[i].bridge ? vm->nics[i].bridge : "default");
	}
	int rc = write_output(NULL, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* An xl.cfg does not say how large its disks are: the targets do, when
 * they can be read (a regular file or block device in a format read
 * here).  Sizes that stay 0 are shown as unknown. */
static void stat_disks(struct mv_vm *vm)
{
	for (size_t i = 0; i < vm->ndisks; i++) {
		struct mv_disk *dk = &vm->disks[i];
		struct hv_diags quiet = HV_DIAGS_INIT;
		struct img_in *in = NULL;
		const char *why;
		int fd, dfd;

		if (dk->size || !dk->target || !*dk->target)
			continue;
		fd = open_input(dk->target, INPUT_BLOCK, &why);
		if (fd < 0)
			continue;
		dfd = dir_of(dk->target);
		/* As xl reads it: the format the xl.cfg names (raw by default). */
		enum img_format f = IMG_RAW;
		if (dk->format && img_format_parse(dk->format, &f) < 0)
			f = IMG_UNKNOWN;
		if (img_open_dir(fd, dfd, f, &quiet, &in) == 0)
			dk->size = in->size;
		img_in_free(in);
		hv_diags_release(&quiet);
		if (dfd >= 0)
			close(dfd);
		close(fd);
	}
}

static const char show_usage[] =
	"usage: hvkit move show GUEST.cfg|VM.xva [--json[=pretty]] [-v]\n"
	"\n"
	"Print the VM an xl.cfg or an XVA describes (name, type, memory, vCPUs,\n"
	"disks, NICs).\n"
	"\n"
	"  --json[=pretty]    JSON instead of text\n"
	"  -v, --verbose      more detail on standard error\n"
	"  -h, --help         this text\n"
	"See hvkit-move(1).\n";

/* Prints the VM that the XVA or xl.cfg open at fd (read from path)
 * describes; closes fd.  Returns the exit status. */
static int show_vm(const char *path, int fd, bool json, bool pretty)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct mv_vm vm;
	int rc, ret = EXIT_FAIL;

	mv_vm_init(&vm);
	enum img_format f = img_probe(fd);
	if (f == IMG_XVA) {
		struct xva_in *x = NULL;
		rc = xva_in_open(fd, &d, &vm, &x);
		xva_in_free(x);
	} else if (f != IMG_RAW) {
		/* Named and stopped: libxlutil would echo every line of it. */
		log_error("'%s': %s, not an xl.cfg or an XVA (hvkit move info reads disk images)",
			  path, img_format_what(f));
		close(fd);
		goto out;
	} else {
		rc = xlcfg_read(path, &vm, &d);
		if (rc == 0)
			stat_disks(&vm);
	}
	close(fd);
	if (rc < 0) {
		report(path, &d, rc, "cannot read");
		goto out;
	}
	(void)log_diags(path, &d);
	ret = print_json_or_text(&vm, json, pretty);
out:
	mv_vm_release(&vm);
	hv_diags_release(&d);
	return ret;
}

static int cmd_show(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "json", optional_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = g->json, pretty = g->json_pretty;
	int c;

	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (hv_json_opt(optarg, &json, &pretty))
				return EXIT_USAGE;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			fputs(show_usage, stdout);
			return EXIT_OK;
		default:
			return hv_opt_error_in("move show", c, argv, opts);
		}
	}
	if (argc - optind != 1)
		return hv_args_error("move show", "'move show' takes one GUEST.cfg or VM.xva (%d given)",
				     argc - optind);
	const char *path = argv[optind], *why;
	int fd = open_input(path, 0, &why);
	if (fd < 0) {
		log_error("cannot open '%s': %s", path, why);
		return EXIT_FAIL;
	}
	return show_vm(path, fd, json, pretty);
}

static const char info_usage[] =
	"usage: hvkit move info IMAGE [--json[=pretty]] [-v]\n"
	"\n"
	"Print a disk image's format, virtual size, file size and allocation.\n"
	"\n"
	"  --json[=pretty]    JSON instead of text\n"
	"  -v, --verbose      more detail on standard error\n"
	"  -h, --help         this text\n"
	"See hvkit-move(1).\n";

static int cmd_info(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "json", optional_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct hv_diags d = HV_DIAGS_INIT;
	struct img_in *in = NULL;
	bool json = g->json, pretty = g->json_pretty;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (hv_json_opt(optarg, &json, &pretty))
				return EXIT_USAGE;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			fputs(info_usage, stdout);
			return EXIT_OK;
		default:
			return hv_opt_error_in("move info", c, argv, opts);
		}
	}
	if (argc - optind != 1)
		return hv_args_error("move info", "'move info' takes one IMAGE (%d given)",
				     argc - optind);
	const char *path = argv[optind], *why;
	int fd = open_image_input(path, &why);
	if (fd < 0) {
		log_error("cannot open '%s': %s", path, why);
		return EXIT_FAIL;
	}
	if (img_probe(fd) == IMG_XVA)
		return show_vm(path, fd, json, pretty);	/* fd: a pipe's spool too */
	int dfd = dir_of(path);
	rc = img_open_dir(fd, dfd, IMG_UNKNOWN, &d, &in);
	if (dfd >= 0)
		close(dfd);
	if (rc < 0) {
		close(fd);
		report(path, &d, rc, "cannot open image");
		hv_diags_release(&d);
		return EXIT_FAIL;
	}
	/* Count allocated bytes by walking the extents. */
	uint64_t alloc = 0;
	for (uint64_t off = 0; off < in->size;) {
		uint64_t len;
		bool data;
		rc = in->ops->extent(in, off, in->size - off, &len, &data);
		if (rc == 0 && len == 0)
			rc = hv_errorf(&d, "guest offset %llu: an empty extent",
				       (unsigned long long)off);
		if (rc < 0)
			break;
		if (data)
			alloc += len;
		off += len;
	}
	if (rc < 0) {
		/* Nothing on stdout: a partial answer would read as a whole. */
		report(path, &d, rc, "cannot read");
		img_in_free(in);
		close(fd);
		hv_diags_release(&d);
		return EXIT_FAIL;
	}
	struct strbuf sb = STRBUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &sb, pretty);
		json_obj_open(&j);
		json_kv_str(&j, "format", img_format_name(in->format));
		json_kv_u64(&j, "virtual_size", in->size);
		json_kv_u64(&j, "file_size", in->file_size);
		json_kv_u64(&j, "allocated", alloc);
		json_obj_close(&j);
		strbuf_addc(&sb, '\n');
	} else {
		strbuf_addf(&sb, "format: %s\nvirtual size: %llu\nfile size: %llu\nallocated: %llu\n",
			    img_format_name(in->format), (unsigned long long)in->size,
			    (unsigned long long)in->file_size, (unsigned long long)alloc);
	}
	int wrc = write_output(NULL, sb.buf, sb.len);
	strbuf_release(&sb);
	img_in_free(in);
	close(fd);
	hv_diags_release(&d);
	return wrc < 0 ? EXIT_FAIL : EXIT_OK;
}

static const struct hv_cmd move_cmds[] = {
	{ "disk", cmd_disk, HV_CMD_NO_JSON, "convert a disk image (raw, VHD, qcow2, XVA)", NULL },
	{ "info", cmd_info, 0, "a disk image's format and sizes", NULL },
	{ "show", cmd_show, 0, "the VM an xl.cfg or an XVA describes", NULL },
	{ "export", move_cmd_export, HV_CMD_NO_JSON, "an xl guest as an XVA, OVA or OVF package", NULL },
	{ "import", move_cmd_import, HV_CMD_NO_JSON, "a package as an xl guest", NULL },
	{ "push", move_cmd_push, HV_CMD_NO_JSON, "an xl guest into a XAPI pool", NULL },
	{ "pull", move_cmd_pull, HV_CMD_NO_JSON, "a XAPI VM out as an xl guest", NULL },
	{ "check", move_cmd_check, 0, "will a guest run on XAPI", NULL },
};

int cmd_move(int argc, char **argv, struct hv_global *g)
{
	static const struct hv_tool tool = {
		.name = "move", .cmds = move_cmds, .ncmds = ARRAY_SIZE(move_cmds), .usage = usage,
	};

	return hv_dispatch(&tool, argc - 1, argv + 1, g);
}
