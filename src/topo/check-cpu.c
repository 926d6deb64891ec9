/* SPDX-License-Identifier: MIT */
/* `topo check`: CPU vulnerabilities the kernel reports, known errata and
 * microcode revisions below a known fix (table in errata.def). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

struct erratum {
	const char *vendor;
	unsigned family, model_lo, model_hi, step_lo, step_hi;
	uint64_t min_microcode;		/* 0: a plain erratum */
	enum check_severity severity;
	const char *id, *summary, *citation;
};

static const struct erratum errata[] = {
#define ERRATUM(v, f, mlo, mhi, slo, shi, sev, id, sum, cite) \
	{ v, f, mlo, mhi, slo, shi, 0, sev, id, sum, cite },
#define MICROCODE_MIN(v, f, m, s, rev, id, sum, cite) \
	{ v, f, m, m, s, s, rev, CHECK_WARNING, id, sum, cite },
#include "errata.def"
#undef ERRATUM
#undef MICROCODE_MIN
};

static void check_vulns(const struct topo *t, struct check_report *r)
{
	for (size_t i = 0; i < t->nvulns; i++) {
		const struct topo_vuln *v = &t->vulns[i];

		if (!v->status)
			continue;
		if (str_startswith(v->status, "Vulnerable"))
			check__add(r, CHECK_WARNING, "cpu_vulnerable", v->name,
				   "the kernel reports '%s' for %s", v->status, v->name);
		else if (strstr(v->status, "Vulnerable"))
			check__add(r, CHECK_INFO, "cpu_vulnerable_partly", v->name,
				   "mitigated only in part: '%s'", v->status);
	}
}

/* "0x1b" or "27": the revision /proc/cpuinfo or sysfs gives. */
int check__microcode(const char *s, uint64_t *ret)
{
	if (!s)
		return -1;
	if (str_startswith(s, "0x") || str_startswith(s, "0X"))
		return parse_u64(s + 2, 16, ret);
	return parse_u64(s, 16, ret);
}

static void check_errata(const struct topo *t, const struct topo_obj *pkg,
			 struct check_report *r)
{
	uint64_t ucode = 0;
	bool have_ucode = check__microcode(t->microcode, &ucode) == 0;
	char object[64];

	snprintf(object, sizeof(object), "package %lld", (long long)pkg->os_index);
	for (size_t i = 0; i < ARRAY_SIZE(errata); i++) {
		const struct erratum *e = &errata[i];
		struct finding *f;

		if (strcmp(pkg->cpu_vendor, e->vendor) != 0 ||
		    pkg->cpu_family != e->family ||
		    pkg->cpu_model_num < e->model_lo || pkg->cpu_model_num > e->model_hi ||
		    pkg->cpu_stepping < e->step_lo || pkg->cpu_stepping > e->step_hi)
			continue;
		if (e->min_microcode) {
			if (!have_ucode || ucode >= e->min_microcode)
				continue;
			f = check__add(r, e->severity, "cpu_microcode_old", object,
				       "microcode 0x%llx is below 0x%llx, the first with the fix for %s: %s",
				       (unsigned long long)ucode,
				       (unsigned long long)e->min_microcode, e->id, e->summary);
			check__num(f, "microcode", (double)ucode);
			check__num(f, "fixed_in", (double)e->min_microcode);
		} else {
			f = check__add(r, e->severity, "cpu_erratum", object,
				       "%s (family %u model %u stepping %u): %s", e->id,
				       pkg->cpu_family, pkg->cpu_model_num,
				       pkg->cpu_stepping, e->summary);
		}
		f->citation = e->citation;
		check__num(f, "family", pkg->cpu_family);
		check__num(f, "model", pkg->cpu_model_num);
		check__num(f, "stepping", pkg->cpu_stepping);
	}
}

void check_cpu(const struct topo *t, struct check_report *r)
{
	const struct topo_obj **v;
	size_t n = check__collect(t->root, TOPO_PACKAGE, &v);

	check_vulns(t, r);
	/* Packages with the same signature say the same: report once. */
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		if (!v[i]->cpu_family)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = v[k]->cpu_family == v[i]->cpu_family &&
			      v[k]->cpu_model_num == v[i]->cpu_model_num &&
			      v[k]->cpu_stepping == v[i]->cpu_stepping &&
			      strcmp(v[k]->cpu_vendor, v[i]->cpu_vendor) == 0;
		if (!dup)
			check_errata(t, v[i], r);
	}
	free(v);
}
