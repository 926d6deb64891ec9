/* SPDX-License-Identifier: MIT */
/* The libvirt backend when hvkit was built without libvirt's headers. */
#include <errno.h>

#include "backend.h"

int sched_backend_libvirt_new(const char *uri, struct sched_backend **ret, struct hv_diags *d)
{
	(void)uri;
	(void)ret;
	hv_errorf(d, "hvkit was built without libvirt support (install libvirt-dev and rebuild)");
	return -ENOTSUP;
}
