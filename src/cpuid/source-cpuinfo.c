/* SPDX-License-Identifier: MIT */
/*
 * Linux's /proc/cpuinfo (x86): its first processor's vendor_id, cpu
 * family, model, stepping, model name and flags.  The flags are what
 * Linux chose to show, not CPUID's bits: a CPU read from them is a
 * feature set, and says so in its origin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "cpuid-synth.h"
#include "util.h"

size_t cpuid_cpuinfo_first(const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len;

	/* blank lines before the first block belong to nothing */
	while (s < end && (*s == '\n' || *s == '\r'))
		s++;
	for (const char *p = s; p + 1 < end; p++)
		if (p[0] == '\n' && (p[1] == '\n' || (p[1] == '\r' && p + 2 < end && p[2] == '\n')))
			return (size_t)(p - buf);
	return len;
}

const char *cpuid_cpuinfo_field(const char *block, size_t blen, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *p = block; p < block + blen;) {
		const char *nl = memchr(p, '\n', (size_t)(block + blen - p));
		const char *end = nl ? nl : block + blen;

		if ((size_t)(end - p) > kl && memcmp(p, key, kl) == 0 &&
		    (p[kl] == '\t' || p[kl] == ' ' || p[kl] == ':')) {
			const char *c = p + kl;

			while (c < end && (*c == ' ' || *c == '\t'))
				c++;
			if (c < end && *c == ':') {
				c++;
				while (c < end && (*c == ' ' || *c == '\t'))
					c++;
				while (end > c && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
					end--;
				*len = (size_t)(end - c);
				return c;
			}
		}
		p = end + 1;
	}
	return NULL;
}

/* The table's CPUID features by Linux name, sorted, built once. */
struct linux_name {
	const char *name;
	size_t feature;
};

static int linux_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct linux_name *)a)->name, ((const struct linux_name *)b)->name);
}

static const struct linux_name *linux_names(size_t *n)
{
	static struct linux_name *v;
	static size_t nv;

	if (!v) {
		struct linux_name *t = xcalloc(cpuid_nfeatures, sizeof(*t));
		size_t k = 0;

		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (cpuid_features[i].names[CPUID_NAMES_LINUX] &&
			    cpuid_features[i].kind == CPUID_FEAT_CPUID)
				t[k++] = (struct linux_name){ cpuid_features[i].names[CPUID_NAMES_LINUX], i };
		qsort(t, k, sizeof(*t), linux_name_cmp);
		nv = k;
		v = t;
	}
	*n = nv;
	return v;
}

size_t cpuid_cpuinfo_flags(const char *flags, size_t len, struct cpuid_featureset *ret)
{
	size_t nnames, unknown = 0;
	const struct linux_name *names = linux_names(&nnames);
	const char *p = flags, *end = flags + len;

	memset(ret, 0, sizeof(*ret));
	while (p < end) {
		char word[64];
		size_t n = 0;
		const struct linux_name *hit;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p + n < end && p[n] != ' ' && p[n] != '\t')
			n++;
		if (!n)
			break;
		if (n < sizeof(word)) {
			struct linux_name key = { word, 0 };

			memcpy(word, p, n);
			word[n] = 0;
			hit = bsearch(&key, names, nnames, sizeof(*names), linux_name_cmp);
			if (hit) {
				/* every bit of that name (the sort keeps them together) */
				while (hit > names && strcmp(hit[-1].name, word) == 0)
					hit--;
				for (; hit < names + nnames && strcmp(hit->name, word) == 0; hit++)
					cpuid_fset_add(ret, hit->feature);
			} else {
				unknown++;
			}
		} else {
			unknown++;
		}
		p += n;
	}
	return unknown;
}

bool cpuid_looks_like_cpuinfo(const char *buf, size_t len)
{
	size_t blen = cpuid_cpuinfo_first(buf, len), n;
	const char *s = buf;

	while (s < buf + blen && (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t'))
		s++;
	/* "processor\t: 0" first, or a flags line anywhere in the block */
	return (blen - (size_t)(s - buf) > 9 && memcmp(s, "processor", 9) == 0 &&
		(s[9] == '\t' || s[9] == ' ' || s[9] == ':')) ||
	       cpuid_cpuinfo_field(buf, blen, "flags", &n);
}

/* The line number of p in buf. */
static unsigned line_of(const char *buf, const char *p)
{
	unsigned line = 1;

	for (const char *q = buf; q < p; q++)
		line += *q == '\n';
	return line;
}

int cpuid_parse_cpuinfo(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d)
{
	static const char *const keys[3] = { "cpu family", "model", "stepping" };
	static const unsigned long maxima[3] = { 0xff + 0x0f, 0xff, 0x0f };
	struct cpuid_data c = CPUID_DATA_INIT;
	struct cpuid_featureset fs;
	size_t blen = cpuid_cpuinfo_first(buf, len), n;
	unsigned long fms[3] = { 0, 0, 0 };
	uint32_t min[3] = { 0 };
	bool has_fms = true;
	const char *f;
	int rc;

	if (memchr(buf, 0, blen))
		return hv_errorf(d, "%s:%u: a NUL byte: not /proc/cpuinfo text", name,
				 line_of(buf, memchr(buf, 0, blen)));
	if (!(f = cpuid_cpuinfo_field(buf, blen, "flags", &n)))
		return hv_errorf(d, "%s: no 'flags' line in the first processor's block", name);
	(void)cpuid_cpuinfo_flags(f, n, &fs);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&fs, i) && cpuid_synth_feature(&c, &cpuid_features[i], false) < 0)
			goto too_many;
	for (int i = 0; i < 3; i++) {
		char num[24], *end;

		/* no stepping (or Linux's "unknown" when CPUID level 1 is
		 * missing) keeps family and model: stepping 0 */
		if (!(f = cpuid_cpuinfo_field(buf, blen, keys[i], &n))) {
			has_fms = has_fms && i == 2;
			continue;
		}
		if (i == 2 && n == 7 && !memcmp(f, "unknown", 7))
			continue;
		if (n == 0 || n >= sizeof(num))
			goto bad_num;
		memcpy(num, f, n);
		num[n] = 0;
		errno = 0;
		fms[i] = strtoul(num, &end, 10);
		if (*end || num[0] < '0' || num[0] > '9' || errno || fms[i] > maxima[i])
			goto bad_num;
		continue;
bad_num:
		rc = hv_errorf(d, "%s:%u: '%s' is not a number in [0, %lu]", name, line_of(buf, f),
			       keys[i], maxima[i]);
		goto out;
	}
	if (has_fms &&
	    cpuid_synth_or(&c, 1, 0, CPUID_EAX, cpuid_synth_signature(fms[0], fms[1], fms[2])) < 0)
		goto too_many;
	if ((f = cpuid_cpuinfo_field(buf, blen, "model name", &n)) && n) {
		char brand[49];

		if (n > 48)
			hv_warnf(d, "%s:%u: 'model name' longer than CPUID's 48 bytes, cut", name,
				 line_of(buf, f));
		n = n > 48 ? 48 : n;
		memcpy(brand, f, n);
		brand[n] = 0;
		if (cpuid_synth_brand(&c, brand, min) < 0)
			goto too_many;
	}
	if (cpuid_synth_complete(&c, min) < 0)
		goto too_many;
	if ((f = cpuid_cpuinfo_field(buf, blen, "vendor_id", &n))) {
		char v[13];

		if (n != 12) {
			rc = hv_errorf(d, "%s:%u: 'vendor_id' is not 12 characters", name, line_of(buf, f));
			goto out;
		}
		memcpy(v, f, 12);
		v[12] = 0;
		if (cpuid_synth_vendor(&c, v) < 0)
			goto too_many;
	}
	c.origin = xasprintf("%s (features only, from /proc/cpuinfo flags)", name);
	c.features_only = true;
	*ret = c;
	return 0;
too_many:
	rc = hv_errorf(d, "%s: more than %d leaves or MSRs", name, CPUID_MAX_ENTRIES);
out:
	cpuid_data_release(&c);
	return rc;
}
