/* SPDX-License-Identifier: MIT */
/* This CPU's two views, read and compared (cpuid-views.h). */
#include <stdlib.h>

#include "cpuid-source.h"
#include "cpuid-views.h"
#include "rootfs.h"
#include "util.h"

void cpuid_views_compare(const struct cpuid_data *user, const char *sysroot,
			 struct cpuid_views *ret)
{
	struct cpuid_views v = CPUID_VIEWS_INIT;
	struct cpuid_data kernel = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;

	if (cpuid_read_kernel(sysroot, 0, &kernel, &d) == 0) {
		v.kernel_source = xstrdup("/dev/cpu/0/cpuid");
		cpuid_views_data(user, &kernel, &v);
	} else {
		struct hv_root *root = NULL;
		char *buf = NULL;
		size_t len = 0;

		v.device_error = d.n ? xstrdup(d.v[d.n - 1].msg) : xstrdup("not read");
		if (hv_root_open_dir(sysroot && *sysroot ? sysroot : "/", &root) == 0 &&
		    hv_root_read(root, "/proc/cpuinfo", &buf, &len) == 0) {
			v.kernel_source = xstrdup("/proc/cpuinfo");
			cpuid_views_cpuinfo(user, buf, len, &v);
		}
		free(buf);
		hv_root_free(root);
	}
	hv_diags_release(&d);
	cpuid_data_release(&kernel);
	*ret = v;
}
