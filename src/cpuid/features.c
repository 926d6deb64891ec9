/* SPDX-License-Identifier: MIT */
/* Feature names: folding, lookup in any spelling, "did you mean". */
#include <string.h>

#include "cpuid-features.h"
#include "util.h"

#define FOLD_MAX 64

static const char *const names_str[CPUID_NAMES_NR] = {
	[CPUID_NAMES_LINUX] = "linux",
	[CPUID_NAMES_XEN] = "xen",
	[CPUID_NAMES_QEMU] = "qemu",
	[CPUID_NAMES_LIBVIRT] = "libvirt",
};

int cpuid_names_parse(const char *s)
{
	for (int i = 0; i < CPUID_NAMES_NR; i++)
		if (strcmp(s, names_str[i]) == 0)
			return i;
	return -1;
}

const char *cpuid_names_str(enum cpuid_names n)
{
	return n < CPUID_NAMES_NR ? names_str[n] : "any";
}

const char *cpuid_feature_name(const struct cpuid_feature *f, enum cpuid_names n)
{
	return n < CPUID_NAMES_NR ? f->names[n] : f->name;
}

size_t cpuid_feature_name_first(size_t i, enum cpuid_names n)
{
	static uint16_t *first[CPUID_NAMES_NR];

	if (n >= CPUID_NAMES_NR || i >= cpuid_nfeatures)
		return i;
	if (!first[n]) {
		uint16_t *t = xcalloc(cpuid_nfeatures, sizeof(*t));
		for (size_t a = 0; a < cpuid_nfeatures; a++) {
			const char *na = cpuid_features[a].names[n];
			t[a] = (uint16_t)a;
			for (size_t b = 0; na && b < a; b++)
				if (cpuid_features[b].names[n] &&
				    strcmp(cpuid_features[b].names[n], na) == 0) {
					t[a] = (uint16_t)b;
					break;
				}
		}
		first[n] = t;
	}
	return first[n][i];
}

bool cpuid_name_fold(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (c == '-' || c == '_' || c == '.')
			continue;
		if (n + 1 >= size) {
			buf[0] = 0;
			return false;
		}
		buf[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = 0;
	return true;
}

/* True when one of the space-separated aliases folds to folded. */
static bool alias_matches(const char *aliases, const char *folded)
{
	char word[FOLD_MAX], f[FOLD_MAX];

	while (*aliases) {
		size_t n = strcspn(aliases, " ");

		if (n && n < sizeof(word)) {
			memcpy(word, aliases, n);
			word[n] = 0;
			if (cpuid_name_fold(word, f, sizeof(f)) && strcmp(f, folded) == 0)
				return true;
		}
		aliases += n;
		aliases += strspn(aliases, " ");
	}
	return false;
}

static bool spelling_matches(const char *s, const char *folded)
{
	char f[FOLD_MAX];

	return s && cpuid_name_fold(s, f, sizeof(f)) && strcmp(f, folded) == 0;
}

int cpuid_feature_lookup(const char *name, enum cpuid_names prefer)
{
	static const enum cpuid_names order[] = {
		CPUID_NAMES_QEMU, CPUID_NAMES_LIBVIRT, CPUID_NAMES_LINUX,
		CPUID_NAMES_XEN,
	};
	char folded[FOLD_MAX];

	if (!cpuid_name_fold(name, folded, sizeof(folded)) || !folded[0])
		return -1;
	if (prefer < CPUID_NAMES_NR)
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (spelling_matches(cpuid_features[i].names[prefer], folded))
				return (int)i;
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (spelling_matches(cpuid_features[i].name, folded))
			return (int)i;
	for (size_t o = 0; o < ARRAY_SIZE(order); o++)
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (spelling_matches(cpuid_features[i].names[order[o]], folded))
				return (int)i;
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (alias_matches(cpuid_features[i].aliases, folded))
			return (int)i;
	return -1;
}

/* Levenshtein distance of two short strings (both < FOLD_MAX). */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[FOLD_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The distance of the closest spelling of f to folded; *ret_s gets it. */
static unsigned feature_distance(const struct cpuid_feature *f,
				 const char *folded, const char **ret_s)
{
	const char *cand[CPUID_NAMES_NR + 1];
	unsigned best = ~0u;
	char buf[FOLD_MAX];

	cand[0] = f->name;
	for (int n = 0; n < CPUID_NAMES_NR; n++)
		cand[n + 1] = f->names[n];
	for (size_t c = 0; c < ARRAY_SIZE(cand); c++) {
		if (!cand[c] || !cpuid_name_fold(cand[c], buf, sizeof(buf)))
			continue;
		unsigned d = edit_distance(folded, buf);
		if (d < best) {
			best = d;
			*ret_s = cand[c];
		}
	}
	return best;
}

size_t cpuid_feature_suggest(const char *name, const char **ret, size_t max)
{
	char folded[FOLD_MAX];
	unsigned dist[16];
	size_t n = 0;

	if (max > ARRAY_SIZE(dist))
		max = ARRAY_SIZE(dist);
	if (!max || !cpuid_name_fold(name, folded, sizeof(folded)) || !folded[0])
		return 0;
	unsigned limit = (unsigned)strlen(folded) / 3;
	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *s = NULL;
		unsigned d = feature_distance(&cpuid_features[i], folded, &s);

		if (d > limit)
			continue;
		/* Insertion into the sorted top list; ties keep table order. */
		size_t at = n;
		while (at > 0 && dist[at - 1] > d)
			at--;
		if (at >= max)
			continue;
		if (n < max)
			n++;
		memmove(&dist[at + 1], &dist[at], (n - 1 - at) * sizeof(dist[0]));
		memmove(&ret[at + 1], &ret[at], (n - 1 - at) * sizeof(ret[0]));
		dist[at] = d;
		ret[at] = s;
	}
	return n;
}

size_t cpuid_fset_count(const struct cpuid_featureset *s)
{
	size_t n = 0;

	for (size_t i = 0; i < CPUID_FSET_WORDS; i++)
		n += (size_t)__builtin_popcountll(s->w[i]);
	return n;
}
