/* SPDX-License-Identifier: MIT */
/* Several hosts: the baseline every one of them can run, and why a host
 * cannot run a model (the usual culprits, from microcode history). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpuid-models.h"
#include "util.h"

void cpuid_fset_runnable(const struct cpuid_featureset *raw, struct cpuid_featureset *ret)
{
	struct cpuid_featureset m = *raw;

	cpuid_fset_migratable(&m);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(raw, i) && !cpuid_feature_modelable(i))
			cpuid_fset_add(&m, i);
	*ret = m;
}

int cpuid_baseline(const struct cpuid_featureset *cpus, const struct cpuid_summary *sums,
		   size_t n, struct cpuid_baseline *ret, struct hv_diags *diags)
{
	struct cpuid_baseline b;
	size_t limiter = 0, fewest = SIZE_MAX;

	if (n == 0) {
		return hv_errorf(diags, "no hosts");
	}
	memset(&b, 0, sizeof(b));
	memset(&b.common, 0xff, sizeof(b.common));
	for (size_t h = 0; h < n; h++) {
		struct cpuid_featureset m = cpus[h];

		if (sums[h].vendor != sums[0].vendor) {
			return hv_errorf(diags,
					 "host %zu is %s, host 1 is %s: no model runs on both vendors' CPUs",
					 h + 1, cpuid_vendor_name(sums[h].vendor),
					 cpuid_vendor_name(sums[0].vendor));
		}
		cpuid_fset_migratable(&m);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			b.common.w[w] &= m.w[w];
			b.all.w[w] |= m.w[w];
		}
	}
	/* Closed under the dependencies again (a prerequisite may be on
	 * one host only while its dependent is on another). */
	cpuid_fset_migratable(&b.common);
	/* The model's family and number, for the closest model's rules and
	 * ties, are the oldest host's: the lowest family, and in it the host
	 * with the fewest common-able features. */
	for (size_t h = 0; h < n; h++) {
		size_t k = cpuid_fset_count(&cpus[h]);

		if (sums[h].family < sums[limiter].family ||
		    (sums[h].family == sums[limiter].family && k < fewest)) {
			limiter = h;
			fewest = k;
		}
	}
	b.limiter = limiter;
	if (cpuid_model_closest_fset(&b.common, sums[0].vendor, sums[limiter].family,
				     sums[limiter].model, &b.match) < 0) {
		(void)hv_errorf(diags, "no model of vendor %s in the table",
				cpuid_vendor_name(sums[0].vendor));
		return -ENOENT;
	}
	*ret = b;
	return 0;
}

/* Features that commonly differ between hosts of one CPU model. */
static const struct {
	const char *name, *why;
} culprits[] = {
	{ "hle", "TSX: microcode updates since 2019 (TAA, TSX errata) turn it off on many Intel CPUs" },
	{ "rtm", "TSX: microcode updates since 2019 (TAA, TSX errata) turn it off on many Intel CPUs" },
	{ "tsx-ctrl", "TSX control MSR: only microcode from late 2019 on reports it" },
	{ "taa-no", "ARCH_CAPABILITIES bit: only microcode from late 2019 on (TAA) reports it" },
	{ "md-clear", "MDS mitigation (VERW clears buffers): only microcode from May 2019 on reports it" },
	{ "mds-no", "ARCH_CAPABILITIES bit: only microcode from May 2019 on (MDS) reports it" },
	{ "arch-capabilities", "the ARCH_CAPABILITIES MSR: older microcode or hypervisors do not enumerate it" },
	{ "spec-ctrl", "Spectre v2 mitigation (IBRS/IBPB): only microcode from 2018 on reports it" },
	{ "stibp", "Spectre v2 mitigation (STIBP): only microcode from 2018 on reports it" },
	{ "ssbd", "Spectre v4 mitigation (SSBD): only microcode from mid 2018 on reports it" },
	{ "flush-l1d", "L1TF mitigation (L1D flush): only microcode from August 2018 on reports it" },
	{ "ibpb", "AMD Spectre v2 mitigation: only microcode from 2018 on reports it" },
	{ "ibrs", "AMD Spectre v2 mitigation: only microcode from 2018 on reports it" },
	{ "amd-stibp", "AMD Spectre v2 mitigation: only microcode from 2018 on reports it" },
	{ "amd-ssbd", "AMD Spectre v4 mitigation: only microcode from 2018 on reports it" },
	{ "virt-ssbd", "virtual SSBD: only guests of hypervisors that offer it see it" },
	{ "srbds-ctrl", "SRBDS control: only microcode from 2020 on reports it" },
	{ "fb-clear", "MMIO stale data mitigation: only microcode from 2022 on reports it" },
	{ "gds-no", "ARCH_CAPABILITIES bit: only microcode from 2023 on (Downfall) reports it" },
	{ "rfds-no", "ARCH_CAPABILITIES bit: only microcode from 2024 on (RFDS) reports it" },
	{ "rfds-clear", "RFDS mitigation: only microcode from 2024 on reports it" },
};

const char *cpuid_feature_culprit(size_t f)
{
	const struct cpuid_feature *ft = &cpuid_features[f];

	for (size_t i = 0; i < ARRAY_SIZE(culprits); i++)
		if (strcmp(ft->name, culprits[i].name) == 0)
			return culprits[i].why;
	if (ft->kind == CPUID_FEAT_MSR && ft->leaf == 0x10a) {
		size_t n = strlen(ft->name);

		if (n > 3 && strcmp(ft->name + n - 3, "-no") == 0)
			return "ARCH_CAPABILITIES \"not affected\" bit: only newer microcode (or "
			       "hypervisor) reports it, and CPUs that are affected never do";
		return "ARCH_CAPABILITIES bit: only newer microcode (or a newer hypervisor) reports it";
	}
	return NULL;
}
