/* SPDX-License-Identifier: MIT */
/* The directory root: a directory of the host ("/" is the live machine),
 * read with as few system calls as a live probe can afford. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs-int.h"
#include "strbuf.h"
#include "util.h"

int hv_root_open_dir(const char *dir, struct hv_root **ret)
{
	struct stat st;
	char real[PATH_MAX];

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!realpath(dir, real))
		return -errno;
	struct hv_root *r = xcalloc(1, sizeof(*r));
	r->live = strcmp(real, "/") == 0;
	r->dir = xstrdup(r->live ? "" : real);
	*ret = r;
	return 0;
}

char *rootfs_host_path(const struct hv_root *r, const char *path)
{
	return xasprintf("%s%s", r->dir, path);
}


/*
 * Reads an open file to its end (at most max bytes, else -EFBIG) and
 * closes it.
 * With short_is_eof, a read that returns less than asked ends the file:
 * true of regular files and of sysfs attributes (one page, produced whole),
 * not of procfs, whose seq_files can stop at a record boundary.  It saves
 * the second read(2) per file that would only return 0.
 */
static int read_fd(int fd, size_t max, char **ret, size_t *len,
		   bool short_is_eof)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	for (;;) {
		strbuf_grow(&sb, 4096);
		/* never more than one byte past max: enough to know */
		size_t room = sb.alloc - sb.len - 1;
		if (room > max + 1 - sb.len)
			room = max + 1 - sb.len;
		ssize_t n = read(fd, sb.buf + sb.len, room);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		size_t asked = room;
		sb.len += (size_t)n;
		sb.buf[sb.len] = 0;
		if (sb.len > max) {
			rc = -EFBIG;
			break;
		}
		if (short_is_eof && (size_t)n < asked)
			break;
	}
	close(fd);
	if (rc < 0) {
		strbuf_release(&sb);
		return rc;
	}
	*ret = strbuf_detach(&sb, len);
	return 0;
}

int rootfs_read_host(const char *hp, size_t max, char **ret, size_t *len)
{
	int fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return read_fd(fd, max, ret, len, false);
}

int rootfs_read_dir_fast(struct hv_root *r, const char *path, size_t max,
			 char **ret, size_t *len)
{
	const char *slash = strrchr(path, '/');
	char *rdir = NULL;
	char hp[PATH_MAX];
	int rc, fd;

	if (slash == path || !slash[1] || strstr(path, "/.") || strstr(path, "//"))
		return 1;
	_cleanup_free_ char *dir = xstrndup(path, (size_t)(slash - path));
	rc = rootfs_resolve_dir_cached(r, dir, 0, &rdir);
	if (rc < 0)
		return rc;
	rc = snprintf(hp, sizeof(hp), "%s%s%s", r->dir,
		      strcmp(rdir, "/") ? rdir : "", slash);
	free(rdir);
	if (rc < 0 || (size_t)rc >= sizeof(hp))
		return -ENAMETOOLONG;
	fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? 1 : -errno;
	return read_fd(fd, max, ret, len,
		       !r->live || str_startswith(path, "/sys/"));
}
