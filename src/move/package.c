/* SPDX-License-Identifier: MIT */
/* The package kinds and the output directory's file names shared by
 * `move import` (cmd-vm.c) and `move pull` (cmd-pull.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "package.h"
#include "tar.h"
#include "util.h"

int move_pkg_probe(const char *path, int fd, enum move_pkg_kind *ret, char **ret_first)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct tar_in *t = NULL;
	struct tar_member m;
	bool tar = tar_in_open(fd, &d, &t) == 0 && tar_in_next(t, &m) > 0;
	int rc;

	*ret_first = NULL;
	if (tar && (strcmp(m.name, "ova.xml") == 0 || str_endswith(m.name, ".ovf"))) {
		*ret = strcmp(m.name, "ova.xml") == 0 ? MOVE_PKG_XVA : MOVE_PKG_OVA;
		rc = 0;
	} else if (str_endswith(path, ".ovf")) {
		*ret = MOVE_PKG_OVF;
		rc = 0;
	} else {
		if (tar)
			*ret_first = str_printable(xstrdup(m.name), false);
		rc = -EINVAL;
	}
	tar_in_free(t);
	hv_diags_release(&d);
	(void)lseek(fd, 0, SEEK_SET);
	return rc;
}

char *move_safe_name(const char *name)
{
	char *s = xstrdup(name && *name ? name : "guest");

	for (char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
	/* Room for "-disk254.qcow2" and ".cfg" within NAME_MAX. */
	if (strlen(s) > 200)
		s[200] = 0;
	if (s[0] == '.')
		s[0] = '_';
	return s;
}

const char *move_disk_ext(enum img_format f)
{
	return f == IMG_QCOW2 ? "qcow2" : f == IMG_VHD_DYNAMIC || f == IMG_VHD_FIXED ? "vhd" : "raw";
}

char *move_disk_file(const char *name, size_t i, const char *ext)
{
	return xasprintf("%s-disk%zu.%s", name, i, ext);
}

/* The final absolute path of a file `name` in the output dir. */
static char *final_path(const char *dir, const char *name)
{
	_cleanup_free_ char *d1 = xstrdup(dir), *d2 = xstrdup(dir);
	char real[PATH_MAX];
	const char *parent = dirname(d1), *base = basename(d2);

	if (!realpath(parent, real))
		return xasprintf("%s/%s", dir, name);
	return xasprintf("%s/%s/%s", real, base, name);
}

void move_retarget(struct mv_disk *dk, const char *dir, const char *name,
		   size_t i, const char *ext)
{
	_cleanup_free_ char *file = move_disk_file(name, i, ext);

	free(dk->target);
	dk->target = final_path(dir, file);
	free(dk->format);
	dk->format = xstrdup(ext);
	free(dk->backend);
	dk->backend = NULL;
	dk->local = true;
}

int move_disk_writer(struct img_out *out, enum img_format f)
{
	switch (f) {
	case IMG_QCOW2:
		return img_out_qcow2(out);
	case IMG_VHD_DYNAMIC:
	case IMG_VHD_FIXED:
		return img_out_vhd(out, f == IMG_VHD_DYNAMIC);
	default:
		return img_out_raw(out);
	}
}

int move_vhd_sizes_check(const struct mv_vm *vm, enum img_format f, struct hv_diags *d,
			 size_t *ret_i)
{
	if (f != IMG_VHD_DYNAMIC && f != IMG_VHD_FIXED)
		return 0;
	for (size_t i = 0; i < vm->ndisks; i++) {
		int rc;
		if (vm->disks[i].kind == MV_DISK_CDROM)
			continue;
		rc = img_vhd_size_check(vm->disks[i].size, d);
		if (rc < 0) {
			*ret_i = i;
			return rc;
		}
	}
	return 0;
}

int move_finish_file(int fd, bool sync)
{
	int rc = 0;

	if (sync && fsync(fd) < 0 && errno != EINVAL)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int move_write_new(int dfd, const char *file, const void *buf, size_t len, bool sync)
{
	int fd = openat(dfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), rc, r2;

	if (fd < 0)
		return -errno;
	rc = img_pwrite(fd, buf, len, 0);
	r2 = move_finish_file(fd, sync);
	return rc ? rc : r2;
}
