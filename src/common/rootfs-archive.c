/* SPDX-License-Identifier: MIT */
/* Archives as roots: a capture or a tar of sysfs files read into a memory
 * root, and a memory root written as a .tar.gz. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lazy.h"
#include "log.h"
#include "rootfs-int.h"
#include "util.h"
#define MAX_ARCHIVE_BYTES (1ull << 30)
#define MAX_ARCHIVE_ENTRIES 1000000u

static bool is_rootfs_top(const char *name)
{
	static const char *const tops[] = { "sys", "proc", "dev", "run",
					    "etc", "hvkit" };

	for (size_t i = 0; i < ARRAY_SIZE(tops); i++)
		if (strcmp(name, tops[i]) == 0)
			return true;
	return false;
}

static int load_archive(struct hv_root *r, const char *path, const void *mem,
			size_t mem_len, struct hv_diags *d);

int hv_root_load_archive(struct hv_root *r, const char *path,
			 struct hv_diags *d)
{
	return lazy_archive_load(d) ?: load_archive(r, path, NULL, 0, d);
}

int hv_root_load_archive_mem(struct hv_root *r, const void *data, size_t len,
			     struct hv_diags *d)
{
	return lazy_archive_load(d) ?: load_archive(r, NULL, data, len, d);
}

static int load_archive(struct hv_root *r, const char *path, const void *mem,
			size_t mem_len, struct hv_diags *d)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct hv_root *tmp = hv_root_new_mem();
	uint64_t total = 0;
	unsigned count = 0;
	int rc = 0, ar;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if ((path ? archive_read_open_filename(a, path, 65536)
		  : archive_read_open_memory(a, mem, mem_len)) != ARCHIVE_OK) {
		rc = hv_errorf(d, "not a readable archive: %s",
			       archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		const char *hard = archive_entry_hardlink(e);
		_cleanup_free_ char *abs = NULL;

		if (!name)
			continue;
		if (++count > MAX_ARCHIVE_ENTRIES) {
			rc = hv_errorf(d, "more than %u entries", MAX_ARCHIVE_ENTRIES);
			goto out;
		}
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		abs = xasprintf("/%s", name);
		if (strstr(abs, "/../") || str_endswith(abs, "/..")) {
			hv_warnf(d, "entry '%s' leaves the archive, ignoring", name);
			continue;
		}
		if (hard) {
			_cleanup_free_ char *habs = NULL;
			char *data = NULL;
			size_t len = 0;

			while (hard[0] == '.' && hard[1] == '/')
				hard += 2;
			habs = xasprintf("/%s", hard);
			if (hv_root_read(tmp, habs, &data, &len) == 0) {
				(void)hv_root_add_file(tmp, abs, data, len);
				free(data);
			} else {
				hv_warnf(d, "entry '%s' links to missing '%s', ignoring",
					 name, hard);
			}
			continue;
		}
		switch (archive_entry_filetype(e)) {
		case AE_IFDIR:
			(void)hv_root_add_dir(tmp, abs);
			break;
		case AE_IFLNK: {
			const char *t = archive_entry_symlink(e);

			if (t)
				(void)hv_root_add_link(tmp, abs, t);
			break;
		}
		case AE_IFREG: {
			la_int64_t size = archive_entry_size(e);
			char *buf;
			la_ssize_t got;

			if (size < 0 || (uint64_t)size > MAX_FILE_BYTES) {
				rc = hv_errorf(d, "entry '%s' is too large (%lld bytes)",
					       name, (long long)size);
				goto out;
			}
			total += (uint64_t)size;
			if (total > MAX_ARCHIVE_BYTES) {
				rc = hv_errorf(d, "archive holds more than 1 GiB");
				goto out;
			}
			buf = xmalloc((size_t)size + 1);
			got = archive_read_data(a, buf, (size_t)size);
			if (got < 0) {
				rc = hv_errorf(d, "entry '%s': %s", name,
					       archive_error_string(a));
				free(buf);
				goto out;
			}
			(void)hv_root_add_file(tmp, abs, buf, (size_t)got);
			free(buf);
			break;
		}
		default:
			break;	/* devices, fifos: nothing a probe reads */
		}
	}
	if (ar != ARCHIVE_EOF) {
		rc = hv_errorf(d, "%s after %u entries",
			       archive_error_string(a) ? archive_error_string(a)
						       : "corrupt archive", count);
		goto out;
	}
	if (count == 0) {
		rc = hv_errorf(d, "archive is empty");
		goto out;
	}

	/* Strip one leading directory that is not part of a root fs. */
	const struct node *top = &tmp->nodes[0];
	const char *strip = NULL;
	if (top->nkids == 1) {
		const struct node *k = &tmp->nodes[top->kids[0]];

		if (k->type == NT_DIR && !is_rootfs_top(rootfs_base_name(k->path)))
			strip = k->path;
	}
	size_t sl = strip ? strlen(strip) : 0;
	for (size_t i = 1; i < tmp->nnodes; i++) {
		const struct node *n = &tmp->nodes[i];
		const char *p = n->path + sl;

		if (strip && !*p)
			continue;
		rc = rootfs_add_entry(r, p, n->type, n->data, n->len);
		if (rc < 0)
			goto out;
	}
out:
	archive_read_free(a);
	hv_root_free(tmp);
	return rc;
}

int hv_root_write_archive(const struct hv_root *mem, const char *path,
			  bool (*skip)(const char *path, void *ctx), void *ctx,
			  struct hv_diags *d)
{
	bool to_stdout = strcmp(path, "-") == 0;
	_cleanup_free_ char *tmp = to_stdout ? xstrdup("standard output") :
				   xasprintf("%s.tmp.XXXXXX", path);
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	const char *tmpdir;
	int fd, rc = 0;

	if (mem->dir)
		return -EINVAL;
	if (to_stdout && (rc = stdout_usable()) < 0)
		return hv_errorf(d, "cannot write standard output: %s", strerror(-rc));
	if ((rc = lazy_archive_load(d)) < 0)
		return rc;
	/* The load resolved every libarchive function hvkit calls: a library
	 * lacking one was refused there, before the temporary exists. */
	a = archive_write_new();
	e = archive_entry_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	/* "-": whole in an unnamed file first, then copied to stdout */
	fd = to_stdout ? tmpfile_unnamed(&tmpdir) : mkstemp(tmp);
	if (fd < 0) {
		rc = to_stdout ? hv_errorf(d, "standard output: no temporary file in '%s': %s",
					   tmpdir, strerror(-fd)) :
		     hv_errorf(d, "cannot create '%s': %s", tmp, strerror(errno));
		archive_entry_free(e);
		archive_write_free(a);
		return rc;
	}
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = hv_errorf(d, "cannot write '%s': %s", tmp,
			       archive_error_string(a));
		goto out;
	}
	for (size_t i = 1; i < mem->nnodes; i++) {
		const struct node *n = &mem->nodes[i];

		if (skip && skip(n->path, ctx))
			continue;
		archive_entry_clear(e);
		archive_entry_set_pathname(e, n->path + 1);
		archive_entry_set_mtime(e, 0, 0);
		switch (n->type) {
		case NT_DIR:
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case NT_LINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, n->data);
			break;
		case NT_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0444);
			archive_entry_set_size(e, (la_int64_t)n->len);
			break;
		default:
			continue;
		}
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (n->type == NT_FILE && n->len &&
		     archive_write_data(a, n->data, n->len) != (la_ssize_t)n->len)) {
			rc = hv_errorf(d, "cannot write '%s': %s", tmp,
				       archive_error_string(a));
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = hv_errorf(d, "cannot write '%s': %s", tmp,
			       archive_error_string(a));
		goto out;
	}
	if (to_stdout) {
		if ((rc = fflush(stdout) ? -EIO : copy_all(fd, STDOUT_FILENO)) < 0)
			rc = hv_errorf(d, "cannot write standard output: %s", strerror(-rc));
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = hv_errorf(d, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	output_keep(path, tmp);
	if (rename(tmp, path) < 0)
		rc = hv_errorf(d, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
out:
	if (e)
		archive_entry_free(e);
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && !to_stdout)
		(void)unlink(tmp);
	return rc;
}

bool hv_is_archive(const void *data, size_t n)
{
	const unsigned char *p = data;

	return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||		/* gzip */
	       (n >= 3 && memcmp(p, "BZh", 3) == 0) ||			/* bzip2 */
	       (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) ||	/* xz */
	       (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) ||	/* zstd */
	       (n >= 262 && memcmp(p + 257, "ustar", 5) == 0);		/* tar */
}
