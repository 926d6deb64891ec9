/* SPDX-License-Identifier: MIT */
/* Messages to the user: the only place that writes to stderr. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"
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

/*
 * The kind of a warning: its text with numbers ("line 9", "0x1f") and
 * quoted names ('T004') blanked, so that one fault repeated through an
 * input is one kind.
 */
static char *diag_kind(const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = msg; *p;) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
			for (p += 2; isxdigit((unsigned char)*p); p++)
				;
			strbuf_addc(&sb, '#');
		} else if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)*p))
				p++;
			strbuf_addc(&sb, '#');
		} else if (*p == '\'' && strchr(p + 1, '\'')) {
			p = strchr(p + 1, '\'') + 1;
			strbuf_adds(&sb, "'#'");
		} else {
			strbuf_addc(&sb, *p++);
		}
	}
	return strbuf_detach(&sb, NULL);
}

/* A warning's kind and its index, sorted by kind to number the kinds. */
struct kind_ref {
	char *key;
	size_t i;
};

static int kind_cmp(const void *a, const void *b)
{
	const struct kind_ref *x = a, *y = b;

	return strcmp(x->key, y->key);
}

size_t log_diags(const char *what, const struct hv_diags *d)
{
	size_t n = d->n ? d->n : 1, nw = 0, nkinds = 0, errors = 0;
	struct kind_ref *ref = xcalloc(n, sizeof(*ref));
	size_t *id = xcalloc(n, sizeof(*id));
	size_t *total = xcalloc(n, sizeof(*total));
	size_t *shown = xcalloc(n, sizeof(*shown));
	const char *w = what ? what : "", *sep = what ? ": " : "";

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].level != HV_DIAG_ERROR)
			ref[nw++] = (struct kind_ref){ diag_kind(d->v[i].msg), i };
	qsort(ref, nw, sizeof(*ref), kind_cmp);
	for (size_t j = 0; j < nw; j++) {
		if (j && strcmp(ref[j].key, ref[j - 1].key) != 0)
			nkinds++;
		id[ref[j].i] = nkinds;
		total[nkinds]++;
	}
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].level == HV_DIAG_ERROR) {
			errors++;
			log_error("%s%s%s", w, sep, d->v[i].msg);
			continue;
		}
		/* one fault repeated through an input: the first few */
		if (++shown[id[i]] > LOG_SAME_WARNINGS)
			continue;
		log_warn("%s%s%s", w, sep, d->v[i].msg);
		if (shown[id[i]] == LOG_SAME_WARNINGS && total[id[i]] > LOG_SAME_WARNINGS)
			log_warn("%s%s... and %zu more like it", w, sep,
				 total[id[i]] - LOG_SAME_WARNINGS);
	}
	for (size_t j = 0; j < nw; j++)
		free(ref[j].key);
	free(ref);
	free(id);
	free(total);
	free(shown);
	return errors;
}

mode_t output_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 0777;	/* never set-id bits */
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

void output_keep(const char *path, const char *tmp)
{
	struct stat st;

	if (geteuid() == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_uid != 0 || st.st_gid != getegid()))
		(void)lchown(tmp, st.st_uid, st.st_gid);
	(void)chmod(tmp, output_mode(path));
}

int output_through_link(const char *path, char **ret_real)
{
	struct stat st;

	*ret_real = NULL;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	if ((*ret_real = realpath(path, NULL)))
		return 0;
	/* /proc/self/fd/1 to a pipe names no path, yet is there: the
	 * caller's check refuses it as no regular file. */
	if (stat(path, &st) == 0)
		return 0;
	log_error("'%s' is a symbolic link that leads nowhere; not writing through it", path);
	return -ENOENT;
}

/* Filesystems where no file of ours can be made, whatever the mode bits
 * say to root (statfs(2)'s f_type), asked where O_TMPFILE cannot tell. */
static const char *pseudo_fs(long type)
{
	switch (type) {
	case 0x9fa0: return "procfs";
	case 0x62656572: return "sysfs";
	case 0x27e0eb: case 0x63677270: return "a cgroup filesystem";
	case 0x64626720: return "debugfs";
	case 0x74726163: return "tracefs";
	case 0x73636673: return "securityfs";
	case 0x62656570: return "configfs";
	case 0xcafe4a11: return "bpffs";
	case 0x6165676c: return "pstore";
	case 0xde5e81e4: return "efivarfs";
	case 0x19800202: return "mqueue";
	case 0x958458f6: return "hugetlbfs";
	case 0x1cd1: return "devpts";
	case 0x42494e4d: return "binfmt_misc";
	case 0x6e736673: return "nsfs";
	}
	return NULL;
}

int output_dir_check(const char *file, const char *shown)
{
	size_t n = strlen(file);

	while (n > 1 && file[n - 1] == '/')	/* "out/": out's directory */
		n--;
	const char *slash = memrchr(file, '/', n);
	_cleanup_free_ char *dir = slash ? xstrndup(file, slash == file ? 1 : (size_t)(slash - file))
					 : xstrdup(".");
	struct stat st;
	struct statfs sf;
	const char *fs = NULL;
	int err = stat(dir, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR :
		  access(dir, W_OK | X_OK) < 0 ? errno : 0;

	/* Mode bits do not say it to root (/sys, /proc): a file without a
	 * name, made and dropped at once, does; a filesystem that has no
	 * such files is judged by its kind. */
	if (!err) {
		int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
		else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			err = errno;
		else if (statfs(dir, &sf) == 0 && (fs = pseudo_fs((long)sf.f_type)))
			err = EACCES;
	}
	/* A sticky directory (/tmp): another user's file there cannot be
	 * renamed over (the rename would fail after all the work). */
	struct stat f;
	uid_t me = geteuid();

	if (!err && (st.st_mode & S_ISVTX) && me != 0 && st.st_uid != me &&
	    lstat(file, &f) == 0 && f.st_uid != me) {
		log_error("cannot write '%s': it belongs to uid %u in '%s', a sticky directory "
			  "(only its owner may replace it)", shown, (unsigned)f.st_uid, dir);
		return -EPERM;
	}
	if (!err)
		return 0;
	if (fs)
		log_error("cannot write '%s': '%s' is on %s, where no file can be made", shown, dir, fs);
	else
		log_error("cannot write '%s': '%s': %s", shown, dir, strerror(err));
	return -err;
}

int output_file_name(const char *path)
{
	/* "new/", "x/.": the slash would be dropped and a file made (or
	 * replaced) where a directory was meant */
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		log_error("'%s' names a directory, not a file; give a file name", path);
		return -EISDIR;
	}
	return 0;
}

int output_target(const char *path, char **ret_real)
{
	struct stat st;
	int rc = output_through_link(path, ret_real);
	const char *file = *ret_real ? *ret_real : path;

	if (rc < 0)
		return rc;
	if ((rc = output_file_name(path)) < 0) {
		free(*ret_real);
		*ret_real = NULL;
		return rc;
	}
	/* Renamed over: only a regular file, never a device node, FIFO,
	 * socket or directory (renaming over /dev/null would replace it). */
	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (*ret_real)
			log_error("'%s' leads to '%s', %s; not replacing it", path, file,
				  file_not_regular(st.st_mode));
		else
			log_error("'%s' is %s; not replacing it", path, file_not_regular(st.st_mode));
		free(*ret_real);
		*ret_real = NULL;
		return -EEXIST;
	}
	/* /dev/stdout, /proc/self/fd/1 of a file: renaming over that file
	 * would drop what the shell wrote to it before (and after) us */
	struct stat out;

	if (stat(file, &st) == 0 && fstat(STDOUT_FILENO, &out) == 0 && S_ISREG(out.st_mode) &&
	    st.st_dev == out.st_dev && st.st_ino == out.st_ino) {
		log_error("'%s' is this command's standard output; give '-' to write there", path);
		free(*ret_real);
		*ret_real = NULL;
		return -EEXIST;
	}
	/* The file is made beside it: its directory must be one where a
	 * file can be made, known before any input is read. */
	if ((rc = output_dir_check(file, path)) < 0) {
		free(*ret_real);
		*ret_real = NULL;
		return rc;
	}
	return 0;
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
	_cleanup_free_ char *real = NULL;
	if ((rc = output_target(path, &real)) < 0)
		return rc;
	if (real)
		path = real;
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
		output_keep(path, tmp);
		if (rename(tmp, path) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		log_error("cannot write '%s': %s", path, strerror(-rc));
		(void)unlink(tmp);
	}
	return rc;
}
