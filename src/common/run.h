/* SPDX-License-Identifier: MIT */
/* Running another program (an anchor tool, debugfs) and reading what it
 * prints, bounded in time and size. */
#pragma once

#include "diag.h"
#include "strbuf.h"

/* The path of `name` on $PATH, then in /usr/sbin and /sbin (or name
 * itself when it has a '/'), or NULL; the caller frees it. */
char *run_find(const char *name);

/*
 * Runs argv (no shell; argv[0] a path), with standard input and error on
 * /dev/null and standard output appended to out.  It is killed after
 * timeout_ms or once it wrote more than max_out bytes.  0 when it exits
 * 0; otherwise -EIO (or -ETIME, -EFBIG) with an error in d naming argv.
 */
int run_capture(char *const argv[], struct strbuf *out, int timeout_ms,
		size_t max_out, struct hv_diags *d);
