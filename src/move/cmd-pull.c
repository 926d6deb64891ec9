/* SPDX-License-Identifier: MIT */
/* `hvkit move pull xapi://[USER@]HOST[:PORT] VM -o DIR`: the reverse of
 * push.  The VM's records are read through the XenAPI (VM, VBD, VDI,
 * VIF, network), mapped to xl as import maps an XVA (xapi-map.c), and
 * each disk is downloaded with GET /export_raw_vdi into DIR.  DIR is
 * built under a temporary name and renamed when complete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd-vm.h"
#include "log.h"
#include "package.h"
#include "progress.h"
#include "util.h"
#include "tmpout.h"
#include "xapi-client.h"
#include "xapi.h"
#include "xlcfg.h"

static const char pull_usage[] =
	"usage: hvkit move pull xapi://[USER@]HOST[:PORT] VM-UUID|NAME -o DIR [--to xl]\n"
	"         [--disk-format raw|qcow2|vhd] [--metadata-only] [--password-file FILE]\n"
	"         [--ca FILE] [--http] [--no-progress] [--no-sync]\n"
	"         [--timeout SECONDS] [--max-response SIZE] [--allow-setting KEY]... [-v]\n"
	"\n"
	"Fetch a VM from a XAPI host: an xl.cfg and its disks in DIR.\n"
	"\n"
	"Options:\n"
	"  -o, --output DIR   the directory made (it must not exist)\n"
	"  --to xl            what is written (the only form)\n"
	"  --disk-format FMT  raw (default), qcow2 or vhd\n"
	"  --metadata-only    the configuration without disk data\n"
	XAPI_OPTIONS_HELP
	"  --allow-setting KEY  write the pool's setting KEY although it reaches\n"
	"                     the host (repeatable; see hvkit-move(1))\n"
	"  --no-progress      no progress bar (it is drawn only on a terminal)\n"
	"  --no-sync          no fsync before the rename\n"
	"  -v, --verbose      say what is fetched\n"
	"  -h, --help         this text\n"
	"See hvkit-move(1).\n";


struct pull_opts {
	const char *out, *vm;
	enum img_format disk_format;
	bool metadata_only, http, progress, sync;
	const char *pwfile, *ca;
	struct xapi_limits lim;
	struct xlcfg_allow allow;	/* --allow-setting KEY */
};

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* method(session, arg) as a reference (ret_str) or a record (ret_rec). */
static int call1(struct xapi_conn *c, const char *method, const char *arg,
		 char **ret_str, struct xrec *ret_rec)
{
	char *v = xapi_str_value(arg);
	const char *args[] = { v };
	int rc = xapi_call(c, method, args, 1, ret_str, ret_rec);

	free(v);
	return rc;
}


/* The VM named by a UUID or a name_label (which must be unique). */
static int find_vm(struct xapi_conn *c, const char *sel, struct hv_diags *d,
		   char **ret)
{
	struct xrec all = XREC_INIT;
	const struct xfield *items;
	int rc;

	if (is_uuid(sel))
		return call1(c, "VM.get_by_uuid", sel, ret, NULL);
	rc = call1(c, "VM.get_by_name_label", sel, NULL, &all);
	items = xrec_find(&all, "items");
	if (rc == 0 && (!items || items->nlist == 0))
		rc = hv_errorf(d, "no VM is named '%s'", sel);
	else if (rc == 0 && items->nlist > 1)
		rc = hv_errorf(d, "%zu VMs are named '%s'; name one by its UUID", items->nlist, sel);
	else if (rc == 0)
		*ret = xstrdup(items->list[0]);
	xrec_release(&all);
	return rc;
}

/* Records in device order: VBDs by userdevice, VIFs by device. */
struct fetched {
	struct xrec rec;
	char *ref;
	uint64_t order;
};

static int by_order(const void *a, const void *b)
{
	const struct fetched *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

static int fetch_sorted(struct xapi_conn *c, const char *cls, const struct xfield *refs,
			const char *order_field, struct fetched **ret, size_t *ret_n)
{
	size_t n = refs && refs->type == XV_LIST ? refs->nlist : 0;
	struct fetched *f = xcalloc(n + 1, sizeof(*f));
	_cleanup_free_ char *method = xasprintf("%s.get_record", cls);
	int rc = 0;

	*ret = f;
	*ret_n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *o;

		f[i].rec = (struct xrec)XREC_INIT;
		f[i].ref = xstrdup(refs->list[i]);
		*ret_n = i + 1;
		rc = call1(c, method, refs->list[i], NULL, &f[i].rec);
		if (rc < 0)
			return rc;
		o = xrec_get(&f[i].rec, order_field);
		if (!o || parse_u64(o, 10, &f[i].order) < 0)
			f[i].order = UINT64_MAX - n + i;	/* last, in list order */
	}
	qsort(f, n, sizeof(*f), by_order);
	return 0;
}

static void fetched_free(struct fetched *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		xrec_release(&f[i].rec);
		free(f[i].ref);
	}
	free(f);
}

/*
 * Reads the VM's records into p (VBD i with VDI i, VIF i with network
 * i); vdis[i] is disk i's VDI reference or NULL (an empty drive).
 */
static int fetch_vm(struct xapi_conn *c, const char *vm_ref, struct xapi_pkg *p,
		    char ***ret_vdis, struct hv_diags *d)
{
	struct fetched *vbds = NULL, *vifs = NULL;
	size_t nvbd = 0, nvif = 0;
	char **vdis = NULL;
	int rc;

	rc = call1(c, "VM.get_record", vm_ref, NULL, &p->vm);
	if (rc == 0 && xrec_get_bool(&p->vm, "is_control_domain"))
		rc = hv_errorf(d, "VM %s is a control domain, not a guest", vm_ref);
	/* Each reference once, and few: never N downloads of one VDI. */
	if (rc == 0)
		rc = xapi_check_refs(&p->vm, "VBDs", XAPI_MAX_VBDS, vm_ref, d);
	if (rc == 0)
		rc = xapi_check_refs(&p->vm, "VIFs", XAPI_MAX_VIFS, vm_ref, d);
	if (rc == 0)
		rc = fetch_sorted(c, "VBD", xrec_find(&p->vm, "VBDs"), "userdevice", &vbds, &nvbd);
	if (rc == 0)
		rc = fetch_sorted(c, "VIF", xrec_find(&p->vm, "VIFs"), "device", &vifs, &nvif);
	vdis = xcalloc(nvbd + 1, sizeof(*vdis));
	for (size_t i = 0; rc == 0 && i < nvbd; i++) {
		size_t k = xapi_pkg_add_disk(p);
		const char *vdi = xrec_get(&vbds[i].rec, "VDI");

		p->vbd[k] = vbds[i].rec;
		vbds[i].rec = (struct xrec)XREC_INIT;
		if (xapi_null_ref(vdi) || xrec_get_bool(&p->vbd[k], "empty"))
			continue;
		for (size_t j = 0; j < k; j++)
			if (vdis[j] && strcmp(vdis[j], vdi) == 0)
				rc = hv_errorf(d, "VBDs %s and %s both attach VDI %s",
					       vbds[j].ref, vbds[i].ref, vdi);
		if (rc < 0)
			break;
		vdis[k] = xstrdup(vdi);
		rc = call1(c, "VDI.get_record", vdi, NULL, &p->vdi[k]);
	}
	for (size_t i = 0; rc == 0 && i < nvif; i++) {
		size_t k = xapi_pkg_add_nic(p);
		const char *net = xrec_get(&vifs[i].rec, "network");

		p->vif[k] = vifs[i].rec;
		vifs[i].rec = (struct xrec)XREC_INIT;
		if (!xapi_null_ref(net))
			rc = call1(c, "network.get_record", net, NULL, &p->net[k]);
	}
	fetched_free(vbds, nvbd);
	fetched_free(vifs, nvif);
	*ret_vdis = vdis;
	return rc;
}

/* The HTTP body in units of the writer: zero units go as holes. */
struct unit_sink {
	struct img_out *out;
	uint8_t *buf;
	size_t fill;
	uint64_t off;		/* guest offset of buf[0] */
	struct hv_progress *bar;
};

static int unit_sink(void *opaque, const void *p, size_t len)
{
	struct unit_sink *u = opaque;
	struct img_out *out = u->out;
	const uint8_t *src = p;
	int rc;

	while (len) {
		uint64_t left = out->size - u->off;
		size_t want = left < out->unit ? (size_t)left : out->unit;
		size_t n = want - u->fill < len ? want - u->fill : len;

		if (want == 0)
			return -EFBIG;
		memcpy(u->buf + u->fill, src, n);
		u->fill += n;
		src += n;
		len -= n;
		if (u->fill < want)
			continue;
		rc = out->ops->write(out, u->off, img_is_zero(u->buf, want) ? NULL : u->buf, want);
		if (rc < 0)
			return rc;
		u->off += want;
		u->fill = 0;
		hv_progress_update(u->bar, u->off);
	}
	return 0;
}

/* A VHD stream into its reader, the bar counting the stream's bytes. */
struct vhd_sink {
	struct vhd_unstream *v;
	struct hv_progress *bar;
	uint64_t got;
};

static int vhd_sink(void *opaque, const void *p, size_t len)
{
	struct vhd_sink *s = opaque;

	if (!p)
		return vhd_unstream_end(s->v);	/* the body ended */
	int rc = vhd_unstream_feed(s->v, p, len);

	s->got += len;
	if (vhd_unstream_length(s->v))
		s->bar->total = vhd_unstream_length(s->v);
	hv_progress_update(s->bar, s->got);
	return rc;
}

/* Downloads vdi (size bytes) into the new file `file` of dfd. */
static int download(struct xapi_conn *c, const char *vdi, uint64_t size, int dfd,
		    const char *file, const struct pull_opts *o, unsigned part, unsigned parts,
		    struct hv_diags *d)
{
	struct img_out out = { .fd = -1, .size = size, .diags = d };
	struct unit_sink u = { .out = &out };
	struct hv_progress bar;
	int rc;

	out.fd = openat(dfd, file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out.fd < 0)
		return hv_errorf(d, "cannot create '%s': %s", file, strerror(errno));
	rc = move_disk_writer(&out, o->disk_format);
	if (rc == 0 && posix_memalign((void **)&u.buf, 4096, out.unit) != 0)
		rc = -ENOMEM;
	if (rc == 0 && size && xapi_vhd(c, size)) {
		/* Data blocks only, converted as they arrive. */
		struct vhd_sink vs = { .bar = &bar };
		hv_progress_init(&bar, "downloading", size, o->progress);
		bar.part = part, bar.parts = parts;
		rc = vhd_unstream_new(&out, size, d, &vs.v);
		if (rc == 0)
			rc = xapi_export_raw_vdi(c, vdi, "vhd", UINT64_MAX, vhd_sink, &vs, NULL);
		vhd_unstream_free(vs.v);
		hv_progress_done(&bar);
	} else if (rc == 0 && size) {
		hv_progress_init(&bar, "downloading", size, o->progress);
		bar.part = part, bar.parts = parts;
		u.bar = &bar;
		rc = xapi_export_raw_vdi(c, vdi, "raw", size, unit_sink, &u, NULL);
		hv_progress_done(&bar);
	}
	if (rc == 0)
		rc = out.ops->finish(&out);
	if (rc < 0 && !d->n)
		rc = hv_errorf(d, "cannot write '%s': %s", file, strerror(-rc));
	img_out_release(&out);
	if (rc == 0 && o->sync && fsync(out.fd) < 0 && errno != EINVAL)
		rc = hv_errorf(d, "cannot write '%s': %s", file, strerror(errno));
	if (close(out.fd) < 0 && rc == 0)
		rc = hv_errorf(d, "cannot write '%s': %s", file, strerror(errno));
	free(u.buf);
	return rc;
}

static int parse_opts(int argc, char **argv, struct pull_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "to", required_argument, NULL, 't' },
		{ "disk-format", required_argument, NULL, 'F' },
		{ "metadata-only", no_argument, NULL, 'm' },
		{ "allow-setting", required_argument, NULL, 'A' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'C' },
		{ "http", no_argument, NULL, 'H' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "no-sync", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-response", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int ch;

	*o = (struct pull_opts){ .disk_format = IMG_RAW, .progress = true, .sync = true };
	optind = 0;
	struct hv_getopt gs = HV_GETOPT_INIT("move pull", "A");

	while ((ch = hv_getopt(&gs, argc, argv, ":ho:t:v", opts)) != -1) {
		switch (ch) {
		case 'o': o->out = optarg; break;
		case 't':
			if (strcmp(optarg, "xl") != 0) {
				log_error("unknown --to '%s' (xl)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (img_format_parse(optarg, &o->disk_format) < 0 ||
			    o->disk_format == IMG_XVA) {
				log_error("unknown --disk-format '%s' (raw, qcow2, vhd, vhd-fixed)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm': o->metadata_only = true; break;
		case 'A':
			if (move_parse_allow(optarg, &o->allow))
				return EXIT_USAGE;
			break;
		case 'p': o->pwfile = optarg; break;
		case 'C': o->ca = optarg; break;
		case 'H': o->http = true; break;
		case 'P': o->progress = false; break;
		case 'S': o->sync = false; break;
		case 'T':
		case 'R':
			if (xapi_limit_parse(ch == 'T', optarg, &o->lim) < 0) {
				log_error("bad --%s '%s'", ch == 'T' ? "timeout" : "max-response", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v': log_verbosity++; break;
		case 'h': fputs(pull_usage, stdout); return -1;
		default: return hv_opt_error_in("move pull", ch, argv, opts);
		}
	}
	if (argc - optind != 2 || !o->out)
		return hv_args_error("move pull", "%s", argc - optind != 2 ?
				     "'move pull' takes xapi://[USER@]HOST[:PORT] and a VM" :
				     "missing -o DIR");
	if (hv_one_stdin("move pull", (const char *const[]){ o->pwfile, o->ca }, 2))
		return EXIT_USAGE;
	if (o->ca && o->http)
		return hv_args_error("move pull", "--ca goes with HTTPS, and --http asks for plain HTTP");
	o->vm = argv[optind + 1];
	if (log_verbosity < 0)
		o->progress = false;
	return 0;
}

int move_cmd_pull(int argc, char **argv, struct hv_global *g)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct pull_opts o;
	struct xapi_pkg p = { 0 };
	struct xapi_conn *c = NULL;
	struct strbuf cfg = STRBUF_INIT;
	struct mv_vm vm;
	char *user = NULL, *url = NULL, *pw = NULL, *vm_ref = NULL, **vdis = NULL;
	_cleanup_free_ char *name = NULL, *origin = NULL, *cfgname = NULL, *final = NULL;
	int dfd = -1, rc, ret = EXIT_FAIL;

	rc = parse_opts(argc, argv, &o);
	/* the --allow-setting list, freed on every return (--help included) */
	_cleanup_free_ char **allow_keys = o.allow.keys;

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = tmpout_check(o.out, true)))
		return rc;
	if (xapi_parse_target(argv[optind], o.http, &user, &url) < 0) {
		return hv_args_error("move pull", "'%s' is not xapi://[USER@]HOST[:PORT]",
				     argv[optind]);
	}
	mv_vm_init(&vm);
	if (access(o.out, F_OK) == 0) {
		log_error("'%s' exists; not overwriting it", o.out);
		goto out;
	}
	if (xapi_check_ca(o.ca, &d) < 0) {
		_cleanup_free_ char *q = xasprintf("--ca '%s'", o.ca);

		(void)log_diags(q, &d);
		goto out;
	}
	if ((rc = xapi_read_password(o.pwfile, &pw, &d)) < 0) {
		_cleanup_free_ char *q = xasprintf("--password-file '%s'", o.pwfile);

		(void)log_diags(q, &d);
		goto out;
	}
	rc = xlcfg_load(&d);
	if (rc == 0)
		rc = xapi_connect(url, user, pw, o.ca, &o.lim, &d, &c);
	if (rc == 0)
		rc = find_vm(c, o.vm, &d, &vm_ref);
	if (rc == 0)
		rc = fetch_vm(c, vm_ref, &p, &vdis, &d);
	if (rc == 0)
		rc = xapi_to_vm(&p, &vm, url, &d);
	if (rc < 0) {
		if (log_diags("pull", &d) == 0)
			log_error("pull: %s: %s", url, strerror(-rc));
		goto out;
	}
	if (log_diags("pull", &d))
		goto out;
	hv_diags_release(&d);
	size_t bad;
	if (move_vhd_sizes_check(&vm, o.disk_format, &d, &bad) < 0) {
		_cleanup_free_ char *what = xasprintf("pull: disk %zu", bad);
		(void)log_diags(what, &d);
		goto out;
	}
	const char *power = xrec_get(&p.vm, "power_state");
	if (power && strcmp(power, "Halted") != 0 && !o.metadata_only)
		log_warn("VM '%s' is %s: its disks may change while they are copied (shut it down first)",
			 vm.name ? vm.name : o.vm, power);

	dfd = tmpout_create_dir(o.out);
	if (dfd < 0)
		goto out;
	name = move_safe_name(vm.name);
	const char *ext = move_disk_ext(o.disk_format);
	for (size_t i = 0; i < vm.ndisks; i++) {
		struct mv_disk *dk = &vm.disks[i];
		_cleanup_free_ char *file = move_disk_file(name, i, ext);

		if (dk->kind == MV_DISK_CDROM) {
			if (vdis[i])
				log_warn("disk %zu (%s): the CD's image is not copied; the drive is left empty",
					 i, dk->vdev ? dk->vdev : "?");
			continue;
		}
		if (!vdis[i]) {
			log_error("pull: disk %zu (%s) has no VDI", i, dk->vdev ? dk->vdev : "?");
			goto out;
		}
		if (!o.metadata_only) {
			rc = download(c, vdis[i], dk->size, dfd, file, &o, (unsigned)i + 1,
				      (unsigned)vm.ndisks, &d);
			if (rc < 0) {
				_cleanup_free_ char *what = xasprintf("pull: disk %zu (VDI %s)", i, vdis[i]);
				if (log_diags(what, &d) == 0)
					log_error("%s: %s", what, strerror(-rc));
				goto out;
			}
		}
		move_retarget(dk, o.out, name, i, ext);
	}
	origin = xasprintf("%s VM %s", url, vm.uuid ? vm.uuid : vm_ref);
	rc = xlcfg_write(&vm, origin, &o.allow, &cfg, &d);
	if (rc == 0)
		rc = xlcfg_check(cfg.buf, cfg.len, &d);
	if (rc < 0) {
		if (log_diags("pull: xl.cfg", &d) == 0)
			log_error("pull: cannot write xl.cfg: %s", strerror(-rc));
		goto out;
	}
	if (log_diags("pull", &d))
		goto out;
	cfgname = xasprintf("%s.cfg", name);
	rc = move_write_new(dfd, cfgname, cfg.buf, cfg.len, o.sync);
	if (rc == 0)
		rc = tmpout_commit();
	if (rc < 0) {
		log_error("cannot write '%s': %s", o.out, strerror(-rc));
		goto out;
	}
	final = xasprintf("%s/%s", o.out, cfgname);
	printf("%s\n", final);
	log_info("%s VM '%s' -> '%s' (%zu disk(s), %zu NIC(s))", url,
		 vm.name ? vm.name : o.vm, final, vm.ndisks, vm.nnics);
	ret = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	tmpout_remove();
	if (dfd >= 0)
		close(dfd);
	xapi_disconnect(c);
	for (size_t i = 0; vdis && i < p.ndisks; i++)
		free(vdis[i]);
	free(vdis);
	xapi_pkg_release(&p);
	mv_vm_release(&vm);
	strbuf_release(&cfg);
	hv_diags_release(&d);
	free(user);
	free(url);
	free(pw);
	free(vm_ref);
	return ret;
}
