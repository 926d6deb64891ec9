/* SPDX-License-Identifier: MIT */
/* xl.cfg reading when hvkit is built without libxlutil (libxen-dev). */
#include <errno.h>

#include "xlcfg.h"

int xlcfg_read(const char *path, struct mv_vm *vm, struct hv_diags *d)
{
	(void)path;
	(void)vm;
	hv_errorf(d, "reading xl.cfg needs libxlutil: rebuild with Debian's libxen-dev installed");
	return -ENOTSUP;
}

int xlcfg_load(struct hv_diags *d)
{
	(void)d;
	return 0;
}

int xlcfg_check(const char *text, size_t len, struct hv_diags *d)
{
	(void)text;
	(void)len;
	(void)d;
	return 0;	/* nothing to check it with */
}
