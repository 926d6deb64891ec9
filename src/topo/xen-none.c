/* SPDX-License-Identifier: MIT */
/* Xen collection when hvkit was built without libxl. */
#include <errno.h>

#include "xen.h"

int xen_collect(struct strbuf files[XEN_NFILES], struct hv_diags *d)
{
	(void)files;
	hv_warnf(d, "running on Xen, but hvkit was built without libxl (Debian: libxen-dev): showing dom0's vCPUs, not the machine");
	return -ENOTSUP;
}
