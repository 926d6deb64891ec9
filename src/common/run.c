/* SPDX-License-Identifier: MIT */
/* Running another program and reading its output (see run.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "util.h"

char *run_find(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	/* Tools such as debugfs live in sbin, which a user's PATH lacks. */
	dirs = xasprintf("%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (const char *p = dirs; *p;) {
		size_t n = strcspn(p, ":");
		char *c = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);

		if (access(c, X_OK) == 0)
			return c;
		free(c);
		p += n + (p[n] == ':');
	}
	return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int run_capture(char *const argv[], struct strbuf *out, int timeout_ms,
		size_t max_out, struct hv_diags *d)
{
	struct timespec t0;
	int fds[2], status = 0, devnull, rc = 0;
	bool late = false, big = false;
	size_t start = out->len;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return hv_errorf(d, "cannot run '%s': %s", argv[0], strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return hv_errorf(d, "cannot run '%s': %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		long left = timeout_ms - elapsed_ms(&t0);
		char buf[8192];
		ssize_t r;

		late = left <= 0;
		big = out->len - start > max_out;
		if (late || big) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
			break;
		r = read(fds[0], buf, sizeof(buf));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		strbuf_add(out, buf, (size_t)r);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (late || big) {
		rc = late ? -ETIME : -EFBIG;
		if (late)
			hv_errorf(d, "'%s %s' took longer than %d s", argv[0], argv[1] ? argv[1] : "",
				  timeout_ms / 1000);
		else
			hv_errorf(d, "'%s %s' wrote more than %zu bytes", argv[0], argv[1] ? argv[1] : "",
				  max_out);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = -EIO;
		hv_errorf(d, "'%s %s' failed (status %d)", argv[0], argv[1] ? argv[1] : "", status);
	}
	return rc;
}
