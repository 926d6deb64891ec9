/* SPDX-License-Identifier: MIT */
/* The policy language: MODEL or host, with +feat, -feat, feat=on|off. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpuid-models.h"
#include "util.h"

/* Levenshtein distance, case-insensitive, of two short names. */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[64];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0], tmp;

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = (a[i - 1] | 32) != (b[j - 1] | 32);
			unsigned v = diag + cost;

			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			tmp = row[j];
			row[j] = v;
			diag = tmp;
		}
	}
	return row[lb];
}

static int unknown_model(const char *name, struct hv_diags *diags)
{
	const char *best = NULL;
	unsigned bd = 4;

	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const char *cand[] = { cpuid_models[i].name, cpuid_models[i].base,
				       cpuid_models[i].alias, cpuid_models[i].libvirt };

		for (size_t k = 0; k < ARRAY_SIZE(cand); k++) {
			unsigned d;

			if (!cand[k])
				continue;
			d = distance(name, cand[k]);
			if (d < bd) {
				bd = d;
				best = cand[k];
			}
		}
	}
	if (best)
		return hv_errorf(diags, "unknown model '%s'; did you mean '%s'?", name, best);
	return hv_errorf(diags, "unknown model '%s' ('hvkit cpuid models' lists them)", name);
}

static int unknown_feature(const char *name, struct hv_diags *diags)
{
	const char *sugg[1];

	if (cpuid_feature_suggest(name, sugg, 1) == 1)
		return hv_errorf(diags, "unknown feature '%s'; did you mean '%s'?", name, sugg[0]);
	return hv_errorf(diags, "unknown feature '%s' ('hvkit cpuid features -v' lists them)", name);
}

/* One edit: sets *feat and *on, or fails. */
static int parse_edit(const char *tok, int *feat, bool *on, struct hv_diags *diags)
{
	char name[64];
	const char *eq = strchr(tok, '=');
	size_t n;

	*on = true;
	if (*tok == '+' || *tok == '-') {
		*on = *tok == '+';
		tok++;
		if (eq)
			return hv_errorf(diags, "bad edit '%s': '+feat', '-feat' or 'feat=on|off'", tok - 1);
	}
	n = eq ? (size_t)(eq - tok) : strlen(tok);
	if (n == 0)
		return hv_errorf(diags, "empty feature name in '%s'", tok);
	if (n >= sizeof(name))
		return hv_errorf(diags, "feature name too long: '%.*s...'", 32, tok);
	memcpy(name, tok, n);
	name[n] = '\0';
	if (eq) {
		const char *v = eq + 1;

		if (!strcasecmp(v, "on") || !strcmp(v, "1") || !strcasecmp(v, "true"))
			*on = true;
		else if (!strcasecmp(v, "off") || !strcmp(v, "0") || !strcasecmp(v, "false"))
			*on = false;
		else
			return hv_errorf(diags, "bad value '%s' for '%s' (on or off)", v, name);
	}
	*feat = cpuid_feature_lookup(name, CPUID_NAMES_ANY);
	if (*feat < 0)
		return unknown_feature(name, diags);
	return 0;
}

int cpuid_policy_parse(const char *spec, const struct cpuid_featureset *host,
		       struct cpuid_policy *ret, struct hv_diags *diags)
{
	struct cpuid_policy *p = NULL;
	char *copy = NULL, *tok, *save = NULL;
	int rc = 0;

	if (!spec || !*spec)
		return hv_errorf(diags, "empty policy (MODEL or host, then ,+feat ,-feat ,feat=on|off)");
	p = calloc(1, sizeof(*p));
	copy = xstrdup(spec);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	if (host)
		p->host = *host;
	tok = strtok_r(copy, ",", &save);
	if (!tok || strchr(spec, ',') == spec) {
		rc = hv_errorf(diags, "policy '%s' does not start with a model or 'host'", spec);
		goto out;
	}
	if (strcasecmp(tok, "host") == 0) {
		p->base = p->host;
	} else {
		p->model = cpuid_model_lookup(tok);
		if (!p->model) {
			rc = unknown_model(tok, diags);
			goto out;
		}
		if (p->model->pending) {
			rc = hv_errorf(diags, "model '%s' is listed but its features are not in hvkit's table yet",
				  p->model->name);
			goto out;
		}
		p->base = p->model->features;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		int f = -1;
		bool on = true;

		rc = parse_edit(tok, &f, &on, diags);
		if (rc < 0)
			goto out;
		if (cpuid_fset_has(on ? &p->off : &p->on, (size_t)f)) {
			rc = hv_errorf(diags, "feature '%s' is both added and removed",
				  cpuid_features[f].name);
			goto out;
		}
		cpuid_fset_add(on ? &p->on : &p->off, (size_t)f);
	}
	if (strstr(spec, ",,") || spec[strlen(spec) - 1] == ',') {
		rc = hv_errorf(diags, "empty edit in '%s'", spec);
		goto out;
	}
	p->result = p->base;
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		p->result.w[w] = (p->result.w[w] | p->on.w[w]) & ~p->off.w[w];
	/* What needs a removed feature goes too. */
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		struct cpuid_featureset d;

		if (!cpuid_fset_has(&p->off, f))
			continue;
		cpuid_deps_dependents(f, &d);
		for (size_t i = 0; i < cpuid_nfeatures; i++) {
			if (!cpuid_fset_has(&d, i))
				continue;
			if (cpuid_fset_has(&p->on, i)) {
				rc = hv_errorf(diags, "cannot add '%s': it needs '%s', which this policy removes",
					  cpuid_features[i].name, cpuid_features[f].name);
				goto out;
			}
			if (cpuid_fset_has(&p->result, i) && !cpuid_fset_has(&p->also_off, i)) {
				cpuid_fset_add(&p->also_off, i);
				p->dep_of[i] = (uint16_t)f;
			}
		}
	}
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		p->result.w[w] &= ~p->also_off.w[w];
	/* An added feature needs its prerequisites. */
	for (size_t i = 0; i < cpuid_ndeps; i++) {
		const struct cpuid_dep *d = &cpuid_deps[i];

		if (cpuid_fset_has(&p->on, d->dependent) && !cpuid_fset_has(&p->result, d->needs)) {
			rc = hv_errorf(diags, "cannot add '%s': it needs '%s', which %s lacks (add it too)",
				  cpuid_features[d->dependent].name, cpuid_features[d->needs].name,
				  p->model ? p->model->name : "the host");
			goto out;
		}
	}
	*ret = *p;
out:
	free(copy);
	free(p);
	return rc;
}

void cpuid_policy_cut(struct cpuid_policy *p, const struct cpuid_featureset *guest,
		      struct cpuid_featureset *cut)
{
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
		cut->w[w] = p->result.w[w] & ~guest->w[w];
		p->result.w[w] &= guest->w[w];
		p->on.w[w] &= guest->w[w];
		/* removing what the guest never gets: pointless, and a name
		 * the target may refuse */
		p->off.w[w] &= guest->w[w];
		p->also_off.w[w] &= guest->w[w];
	}
}

int cpuid_target_parse(const char *s)
{
	static const char *const names[] = { "xl", "xl-xend", "qemu", "libvirt" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}
