/* SPDX-License-Identifier: MIT */
/* xl.cfg(5) read with Xen's own parser (libxlutil). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libxl.h>
#include <libxlutil.h>

#include "img.h"
#include "lazy-xen.h"
#include "strbuf.h"
#include "util.h"
#include "xlcfg.h"

/* Larger than any xl.cfg; libxlutil's time grows faster than the size. */
#define XLCFG_MAX_BYTES (1u << 20)

static char *get_str(XLU_Config *c, const char *key)
{
	const char *v = NULL;

	return xlu_cfg_get_string(c, key, &v, 1) == 0 && v ? xstrdup(v) : NULL;
}

static uint64_t get_long(XLU_Config *c, const char *key)
{
	long v = 0;

	return xlu_cfg_get_long(c, key, &v, 1) == 0 && v > 0 ? (uint64_t)v : 0;
}

static enum mv_tristate get_flag(XLU_Config *c, const char *key)
{
	long v;
	const char *s;

	if (xlu_cfg_get_long(c, key, &v, 1) == 0)
		return v ? MV_ON : MV_OFF;
	/* viridian may be a list or a string: any value means on */
	if (xlu_cfg_get_string(c, key, &s, 1) == 0)
		return strcmp(s, "0") == 0 ? MV_OFF : MV_ON;
	if (xlu_cfg_get_list(c, key, NULL, NULL, 1) == 0)
		return MV_ON;
	return MV_UNSET;
}

/* xl's vif syntax: comma-separated KEY=VALUE (xl-network-configuration);
 * keys the model has no field for stay together in nic->extra. */
static void parse_vif(struct mv_vm *vm, const char *spec)
{
	struct mv_nic *n = mv_vm_add_nic(vm);
	char *dup = xstrdup(spec), *save = NULL;
	struct strbuf extra = STRBUF_INIT;

	for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			if (*strstrip(tok))
				strbuf_addf(&extra, "%s%s", extra.len ? "," : "", strstrip(tok));
			continue;
		}
		*eq = 0;
		char *k = strstrip(tok), *v = strstrip(eq + 1);
		char **dst = strcmp(k, "mac") == 0 ? &n->mac :
			     strcmp(k, "bridge") == 0 ? &n->bridge :
			     strcmp(k, "model") == 0 ? &n->model :
			     strcmp(k, "rate") == 0 ? &n->rate : NULL;
		if (dst) {
			free(*dst);
			*dst = xstrdup(v);
		} else if (strcmp(k, "mtu") == 0) {
			n->mtu = (unsigned)strtoul(v, NULL, 10);
		} else {
			strbuf_addf(&extra, "%s%s=%s", extra.len ? "," : "", k, v);
		}
	}
	if (extra.len)
		n->extra = strbuf_detach(&extra, NULL);
	strbuf_release(&extra);
	free(dup);
}

static const char *disk_backend_name(libxl_disk_backend b)
{
	switch (b) {
	case LIBXL_DISK_BACKEND_PHY: return "phy";
	case LIBXL_DISK_BACKEND_TAP: return "tap";
	case LIBXL_DISK_BACKEND_QDISK: return "qdisk";
	case LIBXL_DISK_BACKEND_STANDALONE: return "standalone";
	default: return NULL;
	}
}

/* The settings the model carries: every other key of the file is kept
 * as other_config "xl:KEY" (lists "xl:KEY[]", an item a line). */
static const char *const mapped_keys[] = { "name", "uuid", "type", "builder",
	"memory", "maxmem", "vcpus", "maxvcpus", "weight", "cap", "kernel",
	"ramdisk", "cmdline", "extra", "root", "bootloader", "boot", "bios",
	"acpi", "apic", "pae", "hap", "hpet", "viridian", "nestedhvm",
	"timer_mode", "on_poweroff", "on_reboot", "on_crash", "disk", "vif" };

static bool is_mapped(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(mapped_keys); i++)
		if (strcmp(mapped_keys[i], key) == 0)
			return true;
	return false;
}

/* Appends list to o in xl.cfg syntax, nested lists included. */
static int list_literal(XLU_Config *c, const XLU_ConfigList *list,
			const char *key, struct strbuf *o, struct hv_diags *d)
{
	XLU_ConfigValue *v;
	int rc = 0;

	strbuf_adds(o, "[ ");
	for (int i = 0; !rc && (v = xlu_cfg_get_listitem2(list, i)); i++) {
		char *s;
		XLU_ConfigList *sub;

		if (i)
			strbuf_adds(o, ", ");
		if (xlu_cfg_value_type(v) == XLU_STRING &&
		    xlu_cfg_value_get_string(c, v, &s, 1) == 0)
			rc = xlcfg_quote(o, s, key, d);
		else if (xlu_cfg_value_get_list(c, v, &sub, 1) == 0)
			rc = list_literal(c, sub, key, o, d);
		else
			rc = hv_errorf(d, "setting '%s': item %d is neither a string nor a list", key, i);
	}
	strbuf_adds(o, " ]");
	return rc;
}

static void keep_key(XLU_Config *c, struct mv_vm *vm, const char *key)
{
	XLU_ConfigList *list;
	const char *s;
	int n, rc = 0;

	if (xlu_cfg_get_list(c, key, &list, &n, 1) == 0) {
		struct strbuf sb = STRBUF_INIT;
		bool nested = false;
		for (int i = 0; i < n; i++) {
			const char *it = xlu_cfg_get_listitem(list, i);
			nested |= !it;
			strbuf_addf(&sb, "%s%s", i ? "\n" : "", it ? it : "");
		}
		/* A list holding lists (vnuma) goes as one xl.cfg literal;
		 * one that cannot be written back is named, not carried. */
		if (nested) {
			struct hv_diags quiet = { 0 };
			strbuf_reset(&sb);
			rc = list_literal(c, list, key, &sb, &quiet);
			hv_diags_release(&quiet);
		}
		char *k = xasprintf(rc ? "xl-lost:%s" : nested ? "xl:%s[[]]" : "xl:%s[]", key);
		mv_vm_add_other(vm, k, rc ? "a list of lists holding a line break" : sb.buf);
		free(k);
		strbuf_release(&sb);
	} else if (xlu_cfg_get_string(c, key, &s, 1) == 0) {
		char *k = xasprintf("xl:%s", key);
		mv_vm_add_other(vm, k, s);
		free(k);
	}
}

/* Names of the settings in the file, in order (xl.cfg has one per
 * line: KEY = VALUE, lists may continue on the lines after). */
static void scan_keys(const char *path, XLU_Config *c, struct mv_vm *vm)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	char **seen = NULL;
	size_t nseen = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *k;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			continue;
		k = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		char *end = p;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		*end = 0;
		bool dup = false;
		for (size_t i = 0; i < nseen; i++)
			dup |= strcmp(seen[i], k) == 0;
		if (dup || is_mapped(k))
			continue;
		seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
		seen[nseen++] = xstrdup(k);
		keep_key(c, vm, k);
	}
	fclose(f);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
}

static const char *disk_format_name(libxl_disk_format f)
{
	switch (f) {
	case LIBXL_DISK_FORMAT_RAW: return "raw";
	case LIBXL_DISK_FORMAT_QCOW: return "qcow";
	case LIBXL_DISK_FORMAT_QCOW2: return "qcow2";
	case LIBXL_DISK_FORMAT_VHD: return "vhd";
	case LIBXL_DISK_FORMAT_QED: return "qed";
	case LIBXL_DISK_FORMAT_EMPTY: return "empty";
	default: return NULL;
	}
}

/* Adds each line libxlutil reported as a diagnostic. */
/* libxlutil reports every bad line: the first says what is wrong, and
 * how many more there are, in one line. */
/*
 * libxlutil's "NAME:LINE: config parsing error near ..." without NAME
 * (the caller prefixes the file's name once) as "line LINE: ...";
 * libxlutil counts a <newline> token on the line before it, so that
 * line is one on.  NULL: another line, left as it is.
 */
static char *parse_error_line(const char *line, const char *name)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	unsigned long no = strtoul(line + n + 1, &end, 10);
	if (end == line + n + 1 || *end != ':' || !strstr(end, "config parsing error"))
		return NULL;
	if (strstr(end, " near <newline>"))
		no++;
	return xasprintf("line %lu%s", no, end);
}

static void take_report(char *buf, const char *name, struct hv_diags *d, bool error)
{
	char *save = NULL, *first = NULL;
	unsigned more = 0;

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (first)
			more++;
		else
			first = str_printable(l, false);
	}
	if (!first)
		return;
	_cleanup_free_ char *fixed = parse_error_line(first, name);
	if (fixed)
		first = fixed;
	char tail[48] = "";
	if (more)
		snprintf(tail, sizeof(tail), " (and %u more)", more);
	if (error)
		hv_errorf(d, "%s%s", first, tail);
	else
		hv_warnf(d, "%s%s", first, tail);
}

/* What every reader of an xl.cfg sees first: a disk image, binary data
 * or something too large to be one is named in one line and never
 * handed to libxlutil (which would echo each of its lines, in time
 * growing with the square of its size). */
static int refuse_non_cfg(int fd, struct hv_diags *d)
{
	enum img_format f = img_probe(fd);
	int rc = 0;

	if (f != IMG_RAW)
		return hv_errorf(d, "%s, not an xl.cfg (hvkit move info reads disk images)",
				 img_format_what(f)), -EINVAL;
	unsigned char *b = xmalloc(XLCFG_MAX_BYTES + 1);
	ssize_t n = pread(fd, b, XLCFG_MAX_BYTES + 1, 0);
	if (n < 0)
		rc = -errno, hv_errorf(d, "cannot read: %s", strerror(-rc));
	for (ssize_t i = 0; rc == 0 && i < n && i < XLCFG_MAX_BYTES; i++)
		if (b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' && b[i] != '\f')
			rc = hv_errorf(d, "offset %zd: binary data (byte 0x%02x), not an xl.cfg",
				       i, b[i]);
	if (rc == 0 && (size_t)n > XLCFG_MAX_BYTES)
		rc = (hv_errorf(d, "larger than %u bytes, not an xl.cfg", XLCFG_MAX_BYTES), -EFBIG);
	free(b);
	return rc;
}

/* Standard input ("-") copied into a memory file that libxlutil can open
 * by name, as it opens a cfg (at most XLCFG_MAX_BYTES + 1 bytes: more is
 * refused by refuse_non_cfg()).  The memory file's fd, or -errno. */
static int stdin_copy(int in, struct hv_diags *d)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int m = memfd_create("hvkit-cfg", MFD_CLOEXEC);

	if (m < 0)
		return hv_errorf(d, "memfd_create: %s", strerror(errno)), -errno;
	while (total <= XLCFG_MAX_BYTES && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(m, buf, (size_t)n) < 0) {
			int e = errno;
			close(m);
			return hv_errorf(d, "cannot read: %s", strerror(e)), -e;
		}
		total += (size_t)n;
	}
	return m;
}

/* libxlutil reads xl.cfg, libxenlight parses its disk lines. */
int xlcfg_load(struct hv_diags *d)
{
	return lazy_xenlight_load(d) ?: lazy_xlutil_load(d);
}

int xlcfg_read(const char *path, struct mv_vm *vm, struct hv_diags *d)
{
	char *rbuf = NULL;
	size_t rlen = 0;
	FILE *report;
	XLU_Config *c = NULL;
	XLU_ConfigList *list;
	int n, rc = xlcfg_load(d);

	if (rc < 0)
		return rc;
	if (!(report = open_memstream(&rbuf, &rlen)))
		return -ENOMEM;
	/* A FIFO would block libxlutil's fopen() for ever. */
	const char *why;
	int fd = open_input(path, 0, &why);
	if (fd < 0) {
		fclose(report);
		free(rbuf);
		return hv_errorf(d, "cannot open: %s", why), fd;
	}
	/* Standard input is read once, into memory, where libxlutil and
	 * scan_keys() read it by name; the fd stays open till then. */
	_cleanup_free_ char *via = NULL;
	if (strcmp(path, "-") == 0) {
		int m = stdin_copy(fd, d);
		close(fd);
		fd = m;
		if (fd >= 0)
			via = xasprintf("/proc/self/fd/%d", fd);
	}
	const char *src = via ? via : path;
	rc = fd < 0 ? fd : refuse_non_cfg(fd, d);
	if (!via && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		fclose(report);
		free(rbuf);
		return rc;
	}
	c = xlu_cfg_init(report, path);
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	rc = xlu_cfg_readfile(c, src);
	if (rc) {
		fflush(report);
		if (rlen)
			take_report(rbuf, path, d, true);
		else
			hv_errorf(d, "%s", strerror(rc));
		rc = -rc;
		goto out;
	}
	vm->name = get_str(c, "name");
	vm->uuid = get_str(c, "uuid");
	char *type = get_str(c, "type");
	char *builder = get_str(c, "builder");
	if ((type && strcmp(type, "hvm") == 0) || (builder && strcmp(builder, "hvm") == 0))
		vm->type = MV_GUEST_HVM;
	else if (type && strcmp(type, "pvh") == 0)
		vm->type = MV_GUEST_PVH;
	else
		vm->type = MV_GUEST_PV;
	free(type);
	free(builder);
	vm->memory_mib = get_long(c, "memory");
	vm->maxmem_mib = get_long(c, "maxmem");
	vm->vcpus = (unsigned)get_long(c, "vcpus");
	vm->maxvcpus = (unsigned)get_long(c, "maxvcpus");
	vm->weight = (unsigned)get_long(c, "weight");
	vm->cap = (unsigned)get_long(c, "cap");
	vm->kernel = get_str(c, "kernel");
	vm->ramdisk = get_str(c, "ramdisk");
	vm->cmdline = get_str(c, "cmdline");
	if (!vm->cmdline) {
		/* xl's rule: "root=ROOT EXTRA" when cmdline is not set. */
		char *root = get_str(c, "root"), *extra = get_str(c, "extra");
		if (root)
			vm->cmdline = xasprintf("root=%s%s%s", root, extra ? " " : "", extra ? extra : "");
		else
			vm->cmdline = extra ? xstrdup(extra) : NULL;
		free(extra);
		free(root);
	}
	vm->bootloader = get_str(c, "bootloader");
	vm->boot_order = get_str(c, "boot");
	vm->firmware = get_str(c, "bios");
	if (!vm->firmware)
		vm->firmware = get_str(c, "firmware");
	vm->acpi = get_flag(c, "acpi");
	vm->apic = get_flag(c, "apic");
	vm->pae = get_flag(c, "pae");
	vm->hpet = get_flag(c, "hpet");
	vm->viridian = get_flag(c, "viridian");
	vm->nestedhvm = get_flag(c, "nestedhvm");
	vm->hap = get_flag(c, "hap");
	vm->timer_mode = get_str(c, "timer_mode");
	vm->on_poweroff = get_str(c, "on_poweroff");
	vm->on_reboot = get_str(c, "on_reboot");
	vm->on_crash = get_str(c, "on_crash");

	if (xlu_cfg_get_list(c, "disk", &list, &n, 1) == 0) {
		for (int i = 0; i < n; i++) {
			const char *spec = xlu_cfg_get_listitem(list, i);
			libxl_device_disk disk;

			if (!spec)
				continue;
			libxl_device_disk_init(&disk);
			int e = xlu_disk_parse(c, 1, &spec, &disk);
			if (e) {
				fflush(report);
				if (rlen)
					take_report(rbuf, path, d, true);
				else
					hv_errorf(d, "disk %d '%s': %s", i, spec, strerror(e));
				libxl_device_disk_dispose(&disk);
				rc = -e;
				goto out;
			}
			struct mv_disk *dk = mv_vm_add_disk(vm);
			dk->target = disk.pdev_path ? xstrdup(disk.pdev_path) : NULL;
			dk->vdev = disk.vdev ? xstrdup(disk.vdev) : NULL;
			const char *f = disk_format_name(disk.format);
			dk->format = f ? xstrdup(f) : NULL;
			dk->kind = disk.is_cdrom ? MV_DISK_CDROM : MV_DISK_DISK;
			dk->readonly = !disk.readwrite;
			const char *b = disk_backend_name(disk.backend);
			dk->backend = b ? xstrdup(b) : NULL;
			libxl_device_disk_dispose(&disk);
		}
	}
	if (xlu_cfg_get_list(c, "vif", &list, &n, 1) == 0)
		for (int i = 0; i < n; i++) {
			const char *spec = xlu_cfg_get_listitem(list, i);
			if (spec)
				parse_vif(vm, spec);
		}
	/* viridian may be a list of enlightenments: keep it whole. */
	if (xlu_cfg_get_list(c, "viridian", NULL, NULL, 1) == 0)
		keep_key(c, vm, "viridian");
	scan_keys(src, c, vm);
out:
	if (fd >= 0)
		close(fd);
	if (c)
		xlu_cfg_destroy(c);
	fclose(report);
	free(rbuf);
	return rc;
}

int xlcfg_check(const char *text, size_t len, struct hv_diags *d)
{
	char *rbuf = NULL;
	size_t rlen = 0;
	FILE *report;
	XLU_Config *c = NULL;
	XLU_ConfigList *list;
	char **vdevs = NULL;
	bool said = false;
	int n = 0, rc = xlcfg_load(d);

	if (rc < 0)
		return rc;
	if (!(report = open_memstream(&rbuf, &rlen)))
		return -ENOMEM;
	c = xlu_cfg_init(report, "xl.cfg");
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -xlu_cfg_readdata(c, text, (int)len);
	if (rc == 0 && xlu_cfg_get_list(c, "disk", &list, &n, 1) == 0) {
		vdevs = xcalloc((size_t)n + 1, sizeof(*vdevs));
		for (int i = 0; rc == 0 && i < n; i++) {
			const char *spec = xlu_cfg_get_listitem(list, i);
			libxl_device_disk disk;

			libxl_device_disk_init(&disk);
			rc = spec ? -xlu_disk_parse(c, 1, &spec, &disk) : -EINVAL;
			if (rc == 0 && !disk.is_cdrom && !disk.pdev_path) {
				rc = hv_errorf(d, "the xl.cfg written: disk %d has no target", i);
				said = true;
			}
			vdevs[i] = rc == 0 && disk.vdev ? xstrdup(disk.vdev) : NULL;
			for (int k = 0; rc == 0 && vdevs[i] && k < i; k++)
				if (vdevs[k] && strcmp(vdevs[k], vdevs[i]) == 0) {
					rc = hv_errorf(d, "the xl.cfg written: disks %d and %d both use vdev '%s'",
						       k, i, vdevs[i]);
					said = true;
				}
			libxl_device_disk_dispose(&disk);
		}
	}
	if (rc < 0 && !said) {
		fflush(report);
		if (rlen) {
			char *nl = strchr(rbuf, '\n');
			if (nl)
				*nl = 0;
			hv_errorf(d, "libxlutil refuses the xl.cfg written: %s", rbuf);
		} else {
			hv_errorf(d, "libxlutil refuses the xl.cfg written: %s", strerror(-rc));
		}
	}
out:
	for (int i = 0; vdevs && i < n; i++)
		free(vdevs[i]);
	free(vdevs);
	if (c)
		xlu_cfg_destroy(c);
	fclose(report);
	free(rbuf);
	return rc;
}
