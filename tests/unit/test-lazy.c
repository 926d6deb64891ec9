/* SPDX-License-Identifier: MIT */
/* The lazy loader (src/common/lazy.c): a library is loaded with every
 * symbol of its table or not at all, in one hv_diags line naming the
 * soname, the package, the file and the first symbol it lacks; a wrapper
 * never finds its function missing at call time.  Against glibc's libm
 * (present on every machine) with tables made here, then the real tables
 * of the libraries hvkit's build needs against the installed ones. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lazy.h"

static double (*LAZY_FN(m, cbrt))(double);
static double (*LAZY_FN(m, j0))(double);
LAZY_SYMS(m) = {
	LAZY_SYM(m, cbrt),
	LAZY_SYM(m, j0),
};
static LAZY_LIB(m, "libm.so.6", "libc6");

/* Two names libm lacks, between two it has: the first one is named. */
static double (*LAZY_FN(mbad, cbrt))(double);
static void (*LAZY_FN(mbad, hvkit_absent_one))(void);
static double (*LAZY_FN(mbad, j0))(double);
int hvkit_absent_two(int a0);
LAZY_IN(mbad, int, hvkit_absent_two, (int a0), (a0))
LAZY_SYMS(mbad) = {
	LAZY_SYM(mbad, cbrt),
	LAZY_SYM(mbad, hvkit_absent_one),
	LAZY_SYM(mbad, j0),
	LAZY_SYM(mbad, hvkit_absent_two),
};
static LAZY_LIB(mbad, "libm.so.6", "libc6");

static double (*LAZY_FN(none, cbrt))(double);
LAZY_SYMS(none) = { LAZY_SYM(none, cbrt) };
static LAZY_LIB(none, "libhvkit-no-such-library.so.7", "hvkit-no-such-package");

static const char *last(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_complete(void)
{
	struct hv_diags d = HV_DIAGS_INIT;

	CHECK_INT(lazy_lib_load(&m, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK(lazy_lib_available(&m));
	CHECK(LAZY_FN(m, cbrt) && fabs(LAZY_FN(m, cbrt)(27.0) - 3.0) < 1e-12);
	CHECK(LAZY_FN(m, j0) && fabs(LAZY_FN(m, j0)(0.0) - 1.0) < 1e-12);
	hv_diags_release(&d);
}

static void test_lacking(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	const char *msg;

	CHECK_INT(lazy_lib_load(&mbad, &d), -ELIBACC);
	CHECK_INT(d.n, 1);
	CHECK(d.n == 1 && d.v[0].level == HV_DIAG_ERROR);
	msg = last(&d);
	fprintf(stderr, "said: %s\n", msg);
	CHECK(starts(msg, "cannot load libm.so.6 (Debian package libc6): /"));
	CHECK(strstr(msg, "libm.so.6 has no hvkit_absent_one (too old?)") != NULL);
	CHECK(!strstr(msg, "hvkit_absent_two") && !strchr(msg, '\n'));
	/* Nothing half-loaded: the symbol found before the missing one is
	 * forgotten, the one after it never looked up. */
	CHECK(LAZY_FN(mbad, cbrt) == NULL);
	CHECK(LAZY_FN(mbad, j0) == NULL);
	CHECK(mbad.handle == NULL);
	CHECK(!lazy_lib_available(&mbad));
	/* Asked again: the same line again, nothing tried twice. */
	CHECK_INT(lazy_lib_load(&mbad, &d), -ELIBACC);
	CHECK_INT(d.n, 2);
	CHECK(d.n == 2 && strcmp(d.v[0].msg, d.v[1].msg) == 0);
	/* A NULL list records nothing and still fails. */
	CHECK_INT(lazy_lib_load(&mbad, NULL), -ELIBACC);
	hv_diags_release(&d);
}

static void test_missing(void)
{
	struct hv_diags d = HV_DIAGS_INIT;

	CHECK_INT(lazy_lib_load(&none, &d), -ELIBACC);
	CHECK_INT(d.n, 1);
	CHECK(starts(last(&d), "cannot load libhvkit-no-such-library.so.7 "
		     "(Debian package hvkit-no-such-package): "));
	CHECK(LAZY_FN(none, cbrt) == NULL);
	hv_diags_release(&d);
}

/* A wrapper called although its library did not load (a bug in hvkit:
 * its entry point skipped lazy_lib_load()) calls no NULL pointer: it
 * says which function and aborts. */
static void test_unloaded_call(void)
{
	int fds[2], st = 0;
	char buf[512] = "";
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		(void)hvkit_absent_two(1);
		_exit(0);
	}
	close(fds[1]);
	for (size_t got = 0; got < sizeof(buf) - 1; got += (size_t)n)
		if ((n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
	close(fds[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strstr(buf, "hvkit_absent_two() called before its library was loaded") != NULL);
}

/* The tables hvkit ships, against the libraries the build's -dev
 * packages pulled in: every symbol each wrapper file lists is there. */
static void test_real_tables(void)
{
	struct hv_diags d = HV_DIAGS_INIT;

	CHECK_INT(lazy_archive_load(&d), 0);
	CHECK_INT(lazy_cairo_load(&d), 0);
	CHECK_INT(lazy_curl_load(&d), 0);
	CHECK_INT(lazy_xml2_load(&d), 0);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "said: %s\n", d.v[i].msg);
	hv_diags_release(&d);
}

int main(void)
{
	test_complete();
	test_lacking();
	test_missing();
	test_unloaded_call();
	test_real_tables();
	return CHECK_DONE();
}
