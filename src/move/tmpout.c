/* SPDX-License-Identifier: MIT */
/* Temporary outputs, linked or renamed into place, or removed (see
 * tmpout.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "progress.h"
#include "tmpout.h"
#include "util.h"

#define TAG ".tmp.hvkit-"
/* Made first in a temporary directory: the stale scan empties no
 * directory without it.  Removed before the directory is renamed. */
#define MARKER ".hvkit-temporary"

/* All of it is read by the signal handler: plain values and fds only. */
static volatile sig_atomic_t active;	/* a temporary exists */
static int dir_fd = -1;			/* the directory of the final name */
static int tmp_fd = -1;			/* the temporary file (ours) */
static int tmp_dir_fd = -1;		/* the temporary directory (ours) */
static bool tmp_is_dir, tmp_anonymous;	/* anonymous: O_TMPFILE, no name */
static bool tmp_stdout;			/* final is "-": copied to stdout */
static char tmp_name[NAME_MAX + 1];	/* in dir_fd; "" when anonymous */
static char *tmp_path;			/* for messages and tmpout_path() */
static char *out_base;			/* the final path, a link followed */

/* Removes every entry of the directory open on fd with getdents64 and
 * unlinkat only: safe in a signal handler (no allocation, no lock). */
static void empty_dir(int fd)
{
	static char buf[4096] __attribute__((aligned(8)));
	long n;

	for (int pass = 0; pass < 64; pass++) {
		bool any = false;
		(void)lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct { uint64_t ino; int64_t off; unsigned short reclen;
					 unsigned char type; char name[]; } *e = (void *)(buf + off);
				if (strcmp(e->name, ".") && strcmp(e->name, "..") &&
				    unlinkat(fd, e->name, 0) == 0)
					any = true;
				off += e->reclen;
			}
		}
		if (!any)
			return;
	}
}

/* Also run from the signal handler. */
static void remove_now(void)
{
	if (!active)
		return;
	if (tmp_is_dir) {
		empty_dir(tmp_dir_fd);
		(void)unlinkat(dir_fd, tmp_name, AT_REMOVEDIR);
	} else if (!tmp_anonymous) {
		(void)unlinkat(dir_fd, tmp_name, 0);
	}
	active = 0;
}

/* The signals that end a run: the temporary output goes with it. */
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT,
				     SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF };

static void on_signal(int sig)
{
	hv_progress_break_line();
	remove_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void trap(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	/* Past a file size limit (ulimit -f), a write fails with EFBIG
	 * and the run ends with one error line and no leftover, rather
	 * than being killed with its temporary output in place. */
	signal(SIGXFSZ, SIG_IGN);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Whether name is exactly BASE.tmp.hvkit-PID-XXXXXX (BASE as new_name()
 * writes it: the final name's first 200 bytes); *pid set. */
static bool ours(const char *name, const char *base, long *pid)
{
	size_t bl = strnlen(base, 200);
	const char *p;
	char *end;

	if (strncmp(name, base, bl) || strncmp(name + bl, TAG, strlen(TAG)))
		return false;
	p = name + bl + strlen(TAG);
	if (*p < '1' || *p > '9')
		return false;
	errno = 0;
	*pid = strtol(p, &end, 10);
	return errno == 0 && end != p && *pid > 0 && *end == '-' && strlen(end + 1) == 6 &&
	       strspn(end + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 6;
}

/* Whether the directory open on fd carries MARKER as a regular file of
 * ours (no link followed): only such a directory is ever emptied. */
static bool marked(int fd)
{
	struct stat st;

	return fstatat(fd, MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid();
}

/*
 * Removes what an hvkit killed with SIGKILL (or a crash) left in the
 * directory: our names only, owned by us, whose process is gone (no such
 * pid) and whose lock is free (a live writer holds it, even one in
 * another pid namespace), named for this very output (BASE.tmp.hvkit-
 * PID-XXXXXX); a directory only when it carries our MARKER.  A directory
 * loses its files, never a subdirectory or what a link points to.
 */
static void remove_stale(int dfd, const char *base)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		long pid;
		if (!ours(e->d_name, base, &pid) || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_uid != geteuid() || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) ||
		    pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		bool dir = S_ISDIR(st.st_mode);
		int t = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			       (dir ? O_DIRECTORY : 0));
		if (t < 0)
			continue;
		if (dir && !marked(t)) {
			close(t);
			continue;
		}
		if (flock(t, LOCK_EX | LOCK_NB) == 0) {
			if (dir)
				empty_dir(t);
			if (unlinkat(dfd, e->d_name, dir ? AT_REMOVEDIR : 0) == 0)
				log_info("removed '%s', left by hvkit process %ld, which is gone",
					 e->d_name, pid);
		}
		close(t);
	}
	closedir(d);
}

/* A fresh TAG name for final's base in tmp_name. */
static void new_name(const char *base)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[16];
	char x[7];

	mv_uuid_bytes(r);
	for (int i = 0; i < 6; i++)
		x[i] = chars[r[i] % (sizeof(chars) - 1)];
	x[6] = 0;
	snprintf(tmp_name, sizeof(tmp_name), "%.200s" TAG "%ld-%s", base, (long)getpid(), x);
}

/* "-": a file is written whole into an unnamed temporary in $TMPDIR
 * (else /var/tmp), as formats are written at offsets, and copied to
 * standard output when complete: nothing reaches stdout from a run that
 * fails.  A directory has no place there; a terminal gets no image. */
int tmpout_check(const char *final, bool dir)
{
	if (!*final) {
		log_error("the output name is empty; name a %s", dir ? "directory" : "file or '-'");
		return EXIT_USAGE;
	}
	/* where it will be made, before any input is read or anything
	 * connects (a directory: its parent) */
	if (strcmp(final, "-") != 0) {
		_cleanup_free_ char *real = NULL;

		return (dir ? output_dir_check(final, final) : output_target(final, &real)) < 0 ?
			EXIT_FAIL : 0;
	}
	if (!dir && !isatty(STDOUT_FILENO))
		return 0;
	log_error("output '-': %s; name a %s", dir ? "a directory cannot go to standard output" :
		  "standard output is a terminal", dir ? "directory" : "file or redirect it");
	return EXIT_USAGE;
}

static int create_stdout(bool dir)
{
	const char *tmpdir;
	int fd, e;

	/* the verbs asked tmpout_check() first: this is a safety net */
	if (tmpout_check("-", dir)) {
		errno = EINVAL;
		return -1;
	}
	if ((e = -stdout_usable()) > 0) {
		log_error("cannot write standard output: %s", strerror(e));
		errno = e;
		return -1;
	}
	fd = tmpfile_unnamed(&tmpdir);
	if (fd < 0 || (tmp_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		e = fd < 0 ? -fd : errno;
		log_error("output '-': no temporary file in '%s' can hold it: %s", tmpdir, strerror(e));
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	tmp_is_dir = false;
	tmp_anonymous = tmp_stdout = true;
	tmp_name[0] = 0;
	tmp_path = xstrdup("standard output");
	active = 1;
	return fd;
}

static int create(const char *final, bool dir)
{
	_cleanup_free_ char *real = NULL, *d1 = NULL;
	const char *parent;
	struct stat old;
	bool replace = false;
	int fd = -1, e;

	tmpout_remove();
	if (!*final) {
		log_error("the output name is empty");
		errno = EINVAL;
		return -1;
	}
	if (strcmp(final, "-") == 0)
		return create_stdout(dir);
	/* A file's symbolic link is written through, to the file it names,
	 * as topo -o does: renaming over it would replace the link (and
	 * /dev/stdout with it).  A directory is never made over anything. */
	if (!dir && (e = output_target(final, &real)) < 0) {
		errno = -e;
		return -1;
	}
	if (real)
		final = real;
	_cleanup_free_ char *d2 = xstrdup(final);
	d1 = xstrdup(final);
	parent = dirname(d1);
	free(out_base);
	out_base = xstrdup(basename(d2));
	const char *base = out_base;
	/* output_target() let only a regular file (or none) through */
	if (!dir && stat(final, &old) == 0 && S_ISREG(old.st_mode))
		replace = true;
	dir_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 && errno == EACCES)	/* write-only: no stale scan */
		dir_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		e = errno;
		log_error("cannot create '%s': %s", final, strerror(e));
		errno = e;
		return -1;
	}
	remove_stale(dir_fd, base);
	tmp_is_dir = dir;
	tmp_anonymous = false;
	tmp_name[0] = 0;
	trap();
	if (!dir) {
		/* No name at all where the filesystem can: a SIGKILL leaves
		 * nothing.  Linking it in later needs /proc or, as root,
		 * AT_EMPTY_PATH. */
		if (geteuid() == 0 || access("/proc/self/fd", X_OK) == 0)
			fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
		tmp_anonymous = fd >= 0;
		for (int i = 0; fd < 0 && i < 100; i++) {
			new_name(base);
			fd = openat(dir_fd, tmp_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd >= 0) {
			active = 1;
			/* Replacing: the old file's owner (as root) and mode,
			 * as cp and qemu-img keep them; else 0666 & ~umask. */
			if (replace) {
				if (geteuid() == 0 && (old.st_uid != geteuid() || old.st_gid != getegid()))
					(void)fchown(fd, old.st_uid, old.st_gid);
				(void)fchmod(fd, old.st_mode & 0777);	/* never set-id bits */
			}
			tmp_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		}
	} else {
		for (int i = 0; i < 100; i++) {
			new_name(base);
			if (mkdirat(dir_fd, tmp_name, 0777) == 0) {
				active = 1;
				fd = openat(dir_fd, tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd >= 0) {
					int m = openat(fd, MARKER, O_WRONLY | O_CREAT | O_EXCL |
						       O_NOFOLLOW | O_CLOEXEC, 0600);
					if (m < 0) {
						close(fd);
						fd = -1;
					} else {
						close(m);
					}
				}
				break;
			}
			if (errno != EEXIST)
				break;
		}
		if (fd >= 0)
			tmp_dir_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	}
	/* The lock says "a live hvkit writes this" to remove_stale(). */
	if (fd >= 0 && (dir ? tmp_dir_fd : tmp_fd) >= 0 && !tmp_anonymous)
		(void)flock(dir ? tmp_dir_fd : tmp_fd, LOCK_EX | LOCK_NB);
	if (fd >= 0 && (dir ? tmp_dir_fd : tmp_fd) < 0) {
		close(fd);
		fd = -1;
	}
	tmp_path = tmp_anonymous ? xasprintf("%s (unnamed)", final) :
		   xasprintf("%s/%s", parent, tmp_name[0] ? tmp_name : base);
	if (fd < 0) {
		e = errno;
		log_error("cannot create '%s': %s", tmp_path, strerror(e));
		tmpout_remove();
		errno = e;
	}
	return fd;
}

int tmpout_create_file(const char *final)
{
	return create(final, false);
}

int tmpout_create_dir(const char *final)
{
	return create(final, true);
}

const char *tmpout_path(void)
{
	return active ? tmp_path : NULL;
}

/* Gives the anonymous file the name `name` in dir_fd. */
static int link_anonymous(const char *name)
{
	char proc[64];

	if (linkat(tmp_fd, "", dir_fd, name, AT_EMPTY_PATH) == 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tmp_fd);
	return linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* Links or renames the temporary output to base in dir_fd: a directory
 * never over anything, a file only over a regular file (checked again
 * here, just before). */
static int commit(const char *base)
{
	struct stat st;
	int rc;

	if (fstatat(dir_fd, base, &st, 0) == 0 && (tmp_is_dir || !S_ISREG(st.st_mode)))
		return -EEXIST;
	if (tmp_is_dir) {
		if (unlinkat(tmp_dir_fd, MARKER, 0) < 0)
			return -errno;
		rc = renameat2(dir_fd, tmp_name, dir_fd, base, RENAME_NOREPLACE);
		if (rc < 0 && errno == EINVAL)	/* not on this filesystem */
			rc = renameat(dir_fd, tmp_name, dir_fd, base);
		if (rc == 0)
			return 0;
		rc = -errno;
		int m = openat(tmp_dir_fd, MARKER, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (m >= 0)
			close(m);
		return rc;
	}

	if (tmp_anonymous) {
		/* Straight to the final name when it is free: atomic, and
		 * nothing is ever named otherwise.  Replacing goes through a
		 * name of ours and a rename. */
		rc = link_anonymous(base);
		if (rc == -EEXIST) {
			new_name(base);
			rc = link_anonymous(tmp_name);
			if (rc == 0) {
				tmp_anonymous = false;
				if (renameat(dir_fd, tmp_name, dir_fd, base) < 0)
					rc = -errno;
			}
		}
		if (rc < 0)
			return rc;
	} else if (renameat(dir_fd, tmp_name, dir_fd, base) < 0) {
		return -errno;
	}
	return 0;
}

static void trapped(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaddset(set, fatal_signals[i]);
}

int tmpout_commit(void)
{
	sigset_t set, old;
	int rc;

	if (!active)
		return -ENOENT;
	const char *base = out_base;
	/* A signal between the rename and `active = 0` would have the
	 * handler empty the directory that now has the final name: held
	 * until the output is committed (or not). */
	if (tmp_stdout) {
		rc = fflush(stdout) != 0 ? -EIO : copy_all(tmp_fd, STDOUT_FILENO);
		tmpout_remove();
		return rc;
	}
	trapped(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	rc = commit(base);
	if (rc == 0)
		active = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		tmpout_remove();
	return rc;
}

void tmpout_remove(void)
{
	remove_now();
	close_fd(&tmp_fd);
	close_fd(&tmp_dir_fd);
	close_fd(&dir_fd);
	tmp_stdout = false;
	free(tmp_path);
	tmp_path = NULL;
	free(out_base);
	out_base = NULL;
}
