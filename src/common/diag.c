/* SPDX-License-Identifier: MIT */
/* Diagnostics collected by library code for the command to print. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

void hv_diags_release(struct hv_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	*d = (struct hv_diags)HV_DIAGS_INIT;
}

static void diags_vadd(struct hv_diags *d, enum hv_diag_level level,
		       const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (!d)
		return;
	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 8;
		struct hv_diag *nv = realloc(d->v, na * sizeof(*nv));

		if (!nv)
			return;
		d->v = nv;
		d->alloc = na;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	d->v[d->n++] = (struct hv_diag){ .level = level, .msg = msg };
}

int hv_warnf(struct hv_diags *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, HV_DIAG_WARN, fmt, ap);
	va_end(ap);
	return 0;
}

int hv_errorf(struct hv_diags *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, HV_DIAG_ERROR, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
