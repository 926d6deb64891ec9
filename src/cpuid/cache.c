/* SPDX-License-Identifier: MIT */
/* hvkit cpuid's cache folder: paths, reads, atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpuid-cache.h"
#include "util.h"

char *cpuid_cache_path(const char *fmt, ...)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (x && *x == '/')
		strbuf_addf(&sb, "%s/hvkit/", x);
	else if (home && *home == '/')
		strbuf_addf(&sb, "%s/.cache/hvkit/", home);
	else
		return NULL;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

int cpuid_cache_read(const char *path, size_t max, struct strbuf *sb)
{
	char buf[8192];
	ssize_t r;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return -EINVAL;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0 && sb->len <= max)
		strbuf_add(sb, buf, (size_t)r);
	close(fd);
	return r < 0 ? -EIO : 0;
}

void cpuid_cache_write(const char *path, const struct strbuf *sb)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *tmp;
	FILE *f;

	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno == ENOENT) {
		char *parent = xstrdup(dir), *s2 = strrchr(parent, '/');

		if (s2 && s2 != parent) {
			*s2 = '\0';
			(void)mkdir(parent, 0700);
		}
		free(parent);
		(void)mkdir(dir, 0700);
	}
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	f = fopen(tmp, "wx");
	if (f) {
		bool ok = fwrite(sb->buf, 1, sb->len, f) == sb->len;

		if (fclose(f) == 0 && ok)
			(void)rename(tmp, path);
	}
	(void)unlink(tmp);
	free(tmp);
	free(dir);
}
