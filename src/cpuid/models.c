/* SPDX-License-Identifier: MIT */
/* CPU models: lookup by any of their names, feature dependencies and the
 * closest model of a CPU. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpuid-models.h"
#include "cpuid-qemu.h"

const struct cpuid_model *cpuid_model_lookup(const char *name)
{
	const struct cpuid_model *unversioned = NULL;

	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const struct cpuid_model *m = &cpuid_models[i];

		if (strcasecmp(name, m->name) == 0 ||
		    (m->alias && strcasecmp(name, m->alias) == 0) ||
		    (m->libvirt && strcasecmp(name, m->libvirt) == 0))
			return m;
		if (!unversioned && m->version == 1 && strcasecmp(name, m->base) == 0)
			unversioned = m;
	}
	return unversioned;
}

const char *cpuid_model_name(const struct cpuid_model *m, enum cpuid_names names)
{
	if (names == CPUID_NAMES_LIBVIRT)
		return m->libvirt;
	return m->name;
}

void cpuid_deps_dependents(size_t f, struct cpuid_featureset *ret)
{
	bool grew = true;

	memset(ret, 0, sizeof(*ret));
	cpuid_fset_add(ret, f);
	/* Few edges (about 200): iterate to a fixed point. */
	while (grew) {
		grew = false;
		for (size_t i = 0; i < cpuid_ndeps; i++) {
			const struct cpuid_dep *d = &cpuid_deps[i];

			if (cpuid_fset_has(ret, d->needs) && !cpuid_fset_has(ret, d->dependent)) {
				cpuid_fset_add(ret, d->dependent);
				grew = true;
			}
		}
	}
	cpuid_fset_del(ret, f);
}

static bool modelable__compute(size_t f)
{
	static const char *const not_migratable[] = {
		"hypervisor", "osxsave", "ospke", "invtsc",
	};

	if (!cpuid_features[f].names[CPUID_NAMES_QEMU])
		return false;
	for (size_t k = 0; k < sizeof(not_migratable) / sizeof(*not_migratable); k++)
		if (strcmp(cpuid_features[f].name, not_migratable[k]) == 0)
			return false;
	return true;
}

bool cpuid_feature_modelable(size_t f)
{
	/* Asked for every feature of every model and host: computed once. */
	static struct cpuid_featureset set;
	static bool done;

	if (!done) {
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (modelable__compute(i))
				cpuid_fset_add(&set, i);
		done = true;
	}
	return cpuid_fset_has(&set, f);
}

void cpuid_fset_migratable(struct cpuid_featureset *s)
{
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(s, i) && !cpuid_feature_modelable(i))
			cpuid_fset_del(s, i);
	/* A feature without its prerequisite cannot reach a guest (Xen and
	 * QEMU both drop it): e.g. ARCH_CAPABILITIES bits a dump lists
	 * while CPUID does not enumerate the MSR. */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < cpuid_ndeps; i++) {
			const struct cpuid_dep *d = &cpuid_deps[i];

			if (cpuid_fset_has(s, d->dependent) && !cpuid_fset_has(s, d->needs)) {
				cpuid_fset_del(s, d->dependent);
				changed = true;
			}
		}
	}
}

/* *ret = a & ~b; returns the count. */
static size_t fset_minus(const struct cpuid_featureset *a, const struct cpuid_featureset *b,
			 struct cpuid_featureset *ret)
{
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		ret->w[w] = a->w[w] & ~b->w[w];
	return cpuid_fset_count(ret);
}

/* Is candidate a better than b (NULL: anything is)? */
static bool better(const struct cpuid_model *a, size_t ea, const struct cpuid_model *b,
		   size_t eb, unsigned model)
{
	if (!b || ea != eb)
		return !b || ea < eb;
	if ((a->model == model) != (b->model == model))
		return a->model == model;
	if (strcmp(a->base, b->base) == 0)
		return a->version > b->version;
	return false;
}

int cpuid_model_closest_fset(const struct cpuid_featureset *cpu, enum cpuid_vendor v,
			     unsigned family, unsigned model, struct cpuid_match *ret)
{
	struct cpuid_match r;
	const struct cpuid_model *best = NULL;
	size_t best_edits = 0, blocker_score = 0, blocker_missing = 0;
	/* Tier 0: runnable, same family; 1: runnable, older family; 2: any. */
	int tier;

	memset(&r, 0, sizeof(r));
	r.cpu = *cpu;
	cpuid_fset_migratable(&r.cpu);
	for (tier = 0; tier < 3 && !best; tier++) {
		r.ncandidates = 0;
		for (size_t i = 0; i < cpuid_nmodels; i++) {
			const struct cpuid_model *m = &cpuid_models[i];
			struct cpuid_featureset plus, minus;
			size_t np, nm;

			if (m->pending || m->vendor != v)
				continue;
			if ((tier == 0 && m->family != family) || (tier == 1 && m->family > family))
				continue;
			r.ncandidates++;
			np = fset_minus(&r.cpu, &m->features, &plus);
			nm = fset_minus(&m->features, &r.cpu, &minus);
			if (tier < 2 && nm)
				continue;	/* not runnable */
			if (better(m, np + nm, best, best_edits, model)) {
				best = m;
				best_edits = np + nm;
			}
		}
	}
	if (!best)
		return -ENOENT;
	tier--;
	r.model = best;
	r.nplus = fset_minus(&r.cpu, &best->features, &r.plus);
	r.nminus = fset_minus(&best->features, &r.cpu, &r.minus);
	/* The near miss: a richer model of the vendor that the CPU lacks at
	 * most 10 features of; the most features present, each missing one
	 * counting four against (one blocker beats a far richer model). */
	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const struct cpuid_model *m = &cpuid_models[i];
		struct cpuid_featureset minus;
		size_t nm, have = cpuid_fset_count(&m->features);

		if (m->pending || m->vendor != v || have <= cpuid_fset_count(&best->features))
			continue;
		nm = fset_minus(&m->features, &r.cpu, &minus);
		if (nm == 0 || nm > 10)
			continue;
		if (!r.blocker || (long)have - 4 * (long)nm > (long)blocker_score - 4 * (long)blocker_missing) {
			r.blocker = m;
			r.blocked_by = minus;
			blocker_missing = nm;
			blocker_score = have;
		}
	}
	snprintf(r.why, sizeof(r.why),
		 "%s: %s family %u, %s, fewest edits (+%zu -%zu) of %zu candidate models",
		 best->name, cpuid_vendor_name(v), family,
		 tier == 0 ? "every model feature present on this CPU" :
		 tier == 1 ? "no model of this family fits; an older family's model that runs here" :
			     "no model runs here unchanged; the one with the fewest removals",
		 r.nplus, r.nminus, r.ncandidates);
	*ret = r;
	return 0;
}

int cpuid_model_closest(const struct cpuid_data *c, struct cpuid_match *ret)
{
	struct cpuid_summary s;
	struct cpuid_featureset fs;

	cpuid_summarize(c, &s);
	cpuid_data_features(c, &fs);
	return cpuid_model_closest_fset(&fs, s.vendor, s.family, s.model, ret);
}

const struct cpuid_model *cpuid_qemu_best_model(const struct cpuid_qemu *q,
						const struct cpuid_featureset *want,
						enum cpuid_vendor v, bool must_fit)
{
	const struct cpuid_model *best = NULL;
	size_t bn = 0, be = 0;
	bool bfits = false;

	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const struct cpuid_model *m = &cpuid_models[i];
		struct cpuid_featureset d;
		size_t n, e;
		bool fits;

		struct cpuid_featureset mf;

		if (m->pending || m->vendor != v || !cpuid_qemu_has_model(q, m->name))
			continue;
		/* what KVM never gives a guest (monitor, ...) rules no model out:
		 * the -cpu line removes it */
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			mf.w[w] = m->features.w[w] & cpuid_guest_kvm.w[w];
		fits = fset_minus(&mf, want, &d) == 0;
		if (!fits && must_fit)
			continue;
		n = cpuid_fset_count(&mf);
		e = fset_minus(want, &mf, &d) + fset_minus(&mf, want, &d);
		/* fitting first; among them the most features, else the fewest
		 * edits; a tie goes to the later version */
		if (!best || (fits && !bfits) ||
		    (fits == bfits && (fits ? n > bn : e < be)) ||
		    (fits == bfits && (fits ? n == bn : e == be) && !strcmp(m->base, best->base) &&
		     m->version > best->version)) {
			best = m;
			bn = n;
			be = e;
			bfits = fits;
		}
	}
	return best;
}
