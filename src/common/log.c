/* SPDX-License-Identifier: MIT */
/* Messages to the user: the only place that writes to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int log_verbosity;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;

	fputs("hvkit: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	/* Messages quote input (names, strings, bytes): one printable line. */
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("(out of memory)\n", stderr);
		return;
	}
	fputs(str_printable(msg, false), stderr);
	free(msg);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

size_t log_diags(const char *what, const struct hv_diags *d)
{
	size_t errors = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].level == HV_DIAG_ERROR) {
			errors++;
			log_error("%s%s%s", what ? what : "", what ? ": " : "",
				  d->v[i].msg);
		} else {
			log_warn("%s%s%s", what ? what : "", what ? ": " : "",
				 d->v[i].msg);
		}
	}
	return errors;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

mode_t output_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 07777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

int write_output(const char *path, const char *data, size_t len)
{
	int rc;

	if (!path || strcmp(path, "-") == 0) {
		rc = write_all(STDOUT_FILENO, data, len);
		if (rc < 0) {
			log_error("write failure on standard output: %s",
				  strerror(-rc));
			return rc;
		}
		return 0;
	}
	/* Renamed over: only a regular file, never a device node or FIFO. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		log_error("'%s' exists and is not a regular file; not replacing it", path);
		return -EEXIST;
	}
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		log_error("cannot create '%s': %s", path, strerror(errno));
		return rc;
	}
	rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		(void)chmod(tmp, output_mode(path));
		if (rename(tmp, path) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		log_error("cannot write '%s': %s", path, strerror(-rc));
		(void)unlink(tmp);
	}
	return rc;
}
