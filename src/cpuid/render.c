/* SPDX-License-Identifier: MIT */
/* The pieces every renderer of `hvkit cpuid` uses: feature lists in text
 * and JSON, notes on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "util.h"

void cpuid_tell(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hvkit: note: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* QEMU names two KVM bits "kvmclock": lists say each name once. */
bool cpuid_named_before(const struct cpuid_featureset *fs, size_t i, enum cpuid_names names)
{
	size_t f = cpuid_feature_name_first(i, names);

	return f != i && cpuid_fset_has(fs, f);
}

const char *cpuid_fname(size_t i, enum cpuid_names names)
{
	const char *n = cpuid_feature_name(&cpuid_features[i], names);

	return n ? n : cpuid_features[i].name;
}

void cpuid_json_words(struct json *j, const char *s)
{
	json_arr_open(j);
	while (*s) {
		size_t n = strcspn(s, " ");
		char *w = xstrndup(s, n);

		json_str(j, w);
		free(w);
		s += n;
		s += strspn(s, " ");
	}
	json_arr_close(j);
}

void cpuid_fset_json(struct json *j, const struct cpuid_featureset *fs,
		     enum cpuid_names names, enum cpuid_list which)
{
	json_arr_open(j);
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		bool named = cpuid_feature_name(&cpuid_features[i], names) != NULL;

		if (!cpuid_fset_has(fs, i) || cpuid_named_before(fs, i, names) ||
		    (which == CPUID_LIST_NAMED && !named) || (which == CPUID_LIST_UNNAMED && named))
			continue;
		json_str(j, cpuid_fname(i, names));
	}
	json_arr_close(j);
}

void cpuid_fset_text(struct strbuf *sb, const struct cpuid_featureset *fs,
		     enum cpuid_names names, const char *sep, const char *none)
{
	bool any = false;

	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(fs, i) && !cpuid_named_before(fs, i, names)) {
			strbuf_addf(sb, "%s%s", any ? sep : "", cpuid_fname(i, names));
			any = true;
		}
	if (!any)
		strbuf_adds(sb, none);
}
