/* SPDX-License-Identifier: MIT */
/* Can a saved guest's CPUID policy be restored on a host?  (See
 * cpuid_restore_check() in cpuid-stream.h.) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpuid-stream.h"

/* Xen 4.17's feature words (xen/include/xen/lib/x86/cpuid.h FEATURESET_*). */
static const struct {
	uint32_t leaf, subleaf;
	uint8_t reg;
} xen_words[] = {
	{ 0x00000001, 0, CPUID_EDX }, { 0x00000001, 0, CPUID_ECX },
	{ 0x80000001, 0, CPUID_EDX }, { 0x80000001, 0, CPUID_ECX },
	{ 0x0000000d, 1, CPUID_EAX }, { 0x00000007, 0, CPUID_EBX },
	{ 0x00000007, 0, CPUID_ECX }, { 0x80000007, 0, CPUID_EDX },
	{ 0x80000008, 0, CPUID_EBX }, { 0x00000007, 0, CPUID_EDX },
	{ 0x00000007, 1, CPUID_EAX }, { 0x80000021, 0, CPUID_EAX },
	{ 0x00000007, 1, CPUID_EBX }, { 0x00000007, 2, CPUID_EDX },
	{ 0x00000007, 1, CPUID_ECX }, { 0x00000007, 1, CPUID_EDX },
};

/*
 * On AMD, 0x80000001 edx repeats these bits of leaf 1 edx (fpu ... fxsr):
 * Xen 4.17 fills them into a guest's policy from leaf 1 and leaves them
 * out of its max policies (gen-cpuid.py COMMON_1D), so they are no
 * features of their own.
 */
#define XEN_COMMON_1D 0x0183f3ffu

static bool table_names(uint32_t leaf, uint32_t subleaf, uint8_t reg, uint8_t bit)
{
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		if (f->kind == CPUID_FEAT_CPUID && f->leaf == leaf && f->subleaf == subleaf &&
		    f->reg == reg && f->bit == bit)
			return true;
	}
	return false;
}

/* Xen's audit, in its order; false with the reason when it refuses. */
static bool xen_audit(const struct cpuid_data *g, const struct cpuid_data *h, char *why, size_t size)
{
	static const struct {
		uint32_t leaf, subleaf;
		const char *what;
	} maxima[] = {
		{ 0x00000000, 0, "maximum basic leaf" },
		{ 0x00000007, 0, "maximum leaf 7 subleaf" },
		{ 0x80000000, 0, "maximum extended leaf" },
	};
	const struct cpuid_msr *gp = cpuid_data_get_msr(g, 0xce), *hp = cpuid_data_get_msr(h, 0xce);

	for (size_t i = 0; i < sizeof(maxima) / sizeof(maxima[0]); i++) {
		uint32_t gv = cpuid_data_reg(g, maxima[i].leaf, maxima[i].subleaf, CPUID_EAX);
		uint32_t hv = cpuid_data_reg(h, maxima[i].leaf, maxima[i].subleaf, CPUID_EAX);

		if (gv > hv) {
			snprintf(why, size, "the guest's %s 0x%" PRIx32 " is above the host's 0x%" PRIx32,
				 maxima[i].what, gv, hv);
			return false;
		}
	}
	if (gp && (gp->value & ~(hp ? hp->value : 0))) {
		snprintf(why, size, "the guest's PLATFORM_INFO MSR (0xce) has bits 0x%" PRIx64 " the host's lacks",
			 gp->value & ~(hp ? hp->value : 0));
		return false;
	}
	return true;
}

bool cpuid_restore_check(const struct cpuid_data *guest, const struct cpuid_data *host,
			 struct cpuid_restore *ret)
{
	struct cpuid_featureset g, h;

	memset(ret, 0, sizeof(*ret));
	ret->audit_skipped = host->features_only;
	if (!ret->audit_skipped)
		(void)xen_audit(guest, host, ret->refused, sizeof(ret->refused));
	cpuid_data_features(guest, &g);
	cpuid_data_features(host, &h);
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		ret->missing.w[w] = g.w[w] & ~h.w[w];
	for (size_t i = 0; i < sizeof(xen_words) / sizeof(xen_words[0]); i++) {
		uint32_t l = xen_words[i].leaf, s = xen_words[i].subleaf;
		uint8_t r = xen_words[i].reg;
		uint32_t gv = cpuid_data_valid(guest, l) ? cpuid_data_reg(guest, l, s, r) : 0;
		uint32_t hv = cpuid_data_valid(host, l) ? cpuid_data_reg(host, l, s, r) : 0;

		if (l == 0x80000001 && r == CPUID_EDX)
			gv &= ~XEN_COMMON_1D;

		for (uint8_t b = 0; b < 32; b++)
			if ((gv & ~hv) >> b & 1 && !table_names(l, s, r, b) &&
			    ret->nbits < CPUID_RESTORE_MAX_BITS)
				ret->bits[ret->nbits++] = (struct cpuid_restore_bit){ l, s, r, b };
	}
	return !ret->refused[0] && !cpuid_fset_count(&ret->missing) && !ret->nbits;
}
