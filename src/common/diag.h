/* SPDX-License-Identifier: MIT */
/* Diagnostics collected by library code for the command to print. */
#pragma once

#include <stddef.h>

/*
 * Library code never prints.  A decoder that meets bad input adds one
 * line here (lowercase, no final full stop, naming the offset or key) and
 * either carries on (a warning) or returns a negative errno (an error; the
 * last message added says why).  The caller prefixes the file name and
 * prints.  Every function accepts a NULL list and then records nothing.
 */
enum hv_diag_level { HV_DIAG_WARN, HV_DIAG_ERROR };

struct hv_diag {
	enum hv_diag_level level;
	char *msg;		/* owned */
};

struct hv_diags {
	struct hv_diag *v;
	size_t n, alloc;
};

#define HV_DIAGS_INIT { 0 }

void hv_diags_release(struct hv_diags *d);

/* Records a warning; returns 0 so it can end a `return` in a decoder. */
__attribute__((format(printf, 2, 3)))
int hv_warnf(struct hv_diags *d, const char *fmt, ...);

/* Records an error; returns -EINVAL for `return hv_errorf(d, ...)`. */
__attribute__((format(printf, 2, 3)))
int hv_errorf(struct hv_diags *d, const char *fmt, ...);
