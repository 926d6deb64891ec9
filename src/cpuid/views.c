/* SPDX-License-Identifier: MIT */
/* User space's CPUID against the kernel's: the comparisons (cpuid-views.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-decode.h"
#include "cpuid-source.h"
#include "cpuid-views.h"
#include "strbuf.h"
#include "util.h"

int cpuid_view_parse(const char *s)
{
	if (strcmp(s, "user") == 0)
		return CPUID_VIEW_USER;
	if (strcmp(s, "kernel") == 0)
		return CPUID_VIEW_KERNEL;
	return -1;
}

static void views__add(struct cpuid_views *v, const char *what, const char *user,
		       const char *kernel)
{
	v->diffs = xrealloc(v->diffs, (v->ndiffs + 1) * sizeof(*v->diffs));
	v->diffs[v->ndiffs++] = (struct cpuid_view_diff){
		.what = what, .user = xstrdup(user), .kernel = xstrdup(kernel),
	};
}

static void views__signature(const struct cpuid_summary *s, char buf[64])
{
	snprintf(buf, 64, "family %u model %u stepping %u", s->family, s->model, s->stepping);
}

void cpuid_views_data(const struct cpuid_data *user, const struct cpuid_data *kernel,
		      struct cpuid_views *v)
{
	struct cpuid_summary u, k;
	struct cpuid_featureset fu, fk;
	char bu[64], bk[64];

	cpuid_summarize(user, &u);
	cpuid_summarize(kernel, &k);
	if (strcmp(u.vendor_id, k.vendor_id))
		views__add(v, "vendor", u.vendor_id, k.vendor_id);
	views__signature(&u, bu);
	views__signature(&k, bk);
	if (strcmp(bu, bk))
		views__add(v, "signature", bu, bk);
	if (strcmp(u.brand, k.brand))
		views__add(v, "brand", u.brand, k.brand);
	if (strcmp(u.hypervisor, k.hypervisor) || u.hypervisor_bit != k.hypervisor_bit)
		views__add(v, "hypervisor", u.hypervisor[0] ? u.hypervisor : u.hypervisor_bit ? "yes" : "none",
			   k.hypervisor[0] ? k.hypervisor : k.hypervisor_bit ? "yes" : "none");
	cpuid_data_features(user, &fu);
	cpuid_data_features(kernel, &fk);
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
		v->user_only.w[w] = fu.w[w] & ~fk.w[w];
		v->kernel_only.w[w] = fk.w[w] & ~fu.w[w];
	}
}

static bool views__field_eq(const char *f, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(f, s, n) == 0;
}

void cpuid_views_cpuinfo(const struct cpuid_data *user, const char *buf, size_t len,
			 struct cpuid_views *v)
{
	const char *f;
	struct cpuid_summary u;
	struct cpuid_featureset fu;
	size_t blen, n;
	char num[24];

	blen = cpuid_cpuinfo_first(buf, len);
	cpuid_summarize(user, &u);
	cpuid_data_features(user, &fu);
	if ((f = cpuid_cpuinfo_field(buf, blen, "vendor_id", &n)) && u.vendor_id[0] &&
	    !views__field_eq(f, n, u.vendor_id)) {
		char *k = xstrndup(f, n);
		views__add(v, "vendor", u.vendor_id, k);
		free(k);
	}
	{
		static const char *const keys[] = { "cpu family", "model", "stepping" };
		unsigned mine[] = { u.family, u.model, u.stepping };
		char bu[64], bk[64];
		bool differ = false, known = true;
		unsigned theirs[3];

		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			char *end;

			f = cpuid_cpuinfo_field(buf, blen, keys[i], &n);
			if (!f || n == 0 || n >= sizeof(num)) {
				known = false;
				break;
			}
			memcpy(num, f, n);
			num[n] = '\0';
			theirs[i] = (unsigned)strtoul(num, &end, 10);
			if (*end) {
				known = false;
				break;
			}
			differ |= theirs[i] != mine[i];
		}
		if (known && differ) {
			views__signature(&u, bu);
			snprintf(bk, sizeof(bk), "family %u model %u stepping %u", theirs[0], theirs[1],
				 theirs[2]);
			views__add(v, "signature", bu, bk);
		}
	}
	if ((f = cpuid_cpuinfo_field(buf, blen, "model name", &n)) && n && u.brand[0] &&
	    !views__field_eq(f, n, u.brand)) {
		char *k = xstrndup(f, n);
		views__add(v, "brand", u.brand, k);
		free(k);
	}
	/* A CPUID bit Linux shows that the instruction does not give user
	 * space.  Linux hides bits on purpose and sets only these few
	 * itself, which are no sign of another view (arch/x86/kernel/cpu/
	 * amd.c: "3DNow or LM implies PREFETCHW", ARAT on families above
	 * 0x11, LAHF_LM and TOPOEXT re-enabled through MSRs on K8 and 15h). */
	if ((f = cpuid_cpuinfo_field(buf, blen, "flags", &n))) {
		static const char implied[] = "3dnowprefetch arat lahf_lm topoext";
		struct cpuid_featureset fk, fi;

		(void)cpuid_cpuinfo_flags(f, n, &fk);
		(void)cpuid_cpuinfo_flags(implied, sizeof(implied) - 1, &fi);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			v->kernel_only.w[w] |= fk.w[w] & ~fi.w[w] & ~fu.w[w];
	}
}

bool cpuid_views_differ(const struct cpuid_views *v)
{
	return v->ndiffs || cpuid_fset_count(&v->user_only) || cpuid_fset_count(&v->kernel_only);
}

char *cpuid_views_what(const struct cpuid_views *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t nf = cpuid_fset_count(&v->user_only) + cpuid_fset_count(&v->kernel_only);

	for (size_t i = 0; i < v->ndiffs; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", v->diffs[i].what);
	if (nf)
		strbuf_addf(&sb, "%s%zu feature%s", sb.len ? ", " : "", nf, nf == 1 ? "" : "s");
	return strbuf_detach(&sb, NULL);
}

void cpuid_views_release(struct cpuid_views *v)
{
	for (size_t i = 0; i < v->ndiffs; i++) {
		free(v->diffs[i].user);
		free(v->diffs[i].kernel);
	}
	free(v->diffs);
	free(v->kernel_source);
	free(v->device_error);
	*v = (struct cpuid_views)CPUID_VIEWS_INIT;
}
