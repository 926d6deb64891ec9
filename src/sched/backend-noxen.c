/* SPDX-License-Identifier: MIT */
/* The Xen backend when hvkit was built without libxl. */
#include <errno.h>

#include "backend.h"

int sched_backend_xen_new(struct sched_backend **ret, struct hv_diags *d)
{
	(void)ret;
	hv_errorf(d, "hvkit was built without Xen support (install libxen-dev and rebuild)");
	return -ENOTSUP;
}
