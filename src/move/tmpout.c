/* SPDX-License-Identifier: MIT */
/* Temporary outputs, renamed into place or removed (see tmpout.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tmpout.h"
#include "util.h"

static char *tmp;
static bool tmp_is_dir;

/* Also run from the signal handler: only unlink, rmdir and readdir. */
static void remove_now(void)
{
	if (!tmp)
		return;
	if (tmp_is_dir) {
		DIR *dir = opendir(tmp);
		struct dirent *e;

		while (dir && (e = readdir(dir)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				(void)unlinkat(dirfd(dir), e->d_name, 0);
		if (dir)
			closedir(dir);
		(void)rmdir(tmp);
	} else {
		(void)unlink(tmp);
	}
}

static void on_signal(int sig)
{
	remove_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void trap(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

static int create(const char *final, bool dir)
{
	int fd;

	tmpout_remove();
	tmp = xasprintf("%s.tmp.XXXXXX", final);
	tmp_is_dir = dir;
	trap();
	if (dir)
		fd = mkdtemp(tmp) ? open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	else
		fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		log_error("cannot create '%s': %s", tmp, strerror(e));
		if (dir)
			(void)rmdir(tmp);
		free(tmp);
		tmp = NULL;
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
	return tmp;
}

int tmpout_commit(const char *final)
{
	if (!tmp)
		return -ENOENT;
	if (!tmp_is_dir)
		(void)chmod(tmp, 0644);
	if (rename(tmp, final) < 0)
		return -errno;
	free(tmp);
	tmp = NULL;
	return 0;
}

void tmpout_remove(void)
{
	remove_now();
	free(tmp);
	tmp = NULL;
}
