/* SPDX-License-Identifier: MIT */
/* The CPUID data model: sorted sets of leaves and MSRs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-data.h"
#include "util.h"

void cpuid_data_init(struct cpuid_data *d)
{
	memset(d, 0, sizeof(*d));
}

void cpuid_data_release(struct cpuid_data *d)
{
	if (!d)
		return;
	free(d->leaves);
	free(d->msrs);
	free(d->origin);
	cpuid_data_init(d);
}

void cpuid_data_set_origin(struct cpuid_data *d, const char *s)
{
	free(d->origin);
	d->origin = s ? xstrdup(s) : NULL;
}

static int leaf_cmp(uint32_t la, uint32_t sa, uint32_t lb, uint32_t sb)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return 0;
}

/* Index of (leaf, subleaf) or of where it would go; *found says which. */
static size_t leaf_find(const struct cpuid_data *d, uint32_t leaf,
			uint32_t subleaf, bool *found)
{
	size_t lo = 0, hi = d->nleaves;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = leaf_cmp(d->leaves[mid].leaf, d->leaves[mid].subleaf,
				 leaf, subleaf);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int cpuid_data_set(struct cpuid_data *d, uint32_t leaf, uint32_t subleaf,
		   const uint32_t r[4])
{
	bool found;
	size_t i = leaf_find(d, leaf, subleaf, &found);

	if (!found) {
		if (d->nleaves >= CPUID_MAX_ENTRIES)
			return -E2BIG;
		d->leaves = xgrow(d->leaves, sizeof(*d->leaves), d->nleaves + 1,
				  &d->aleaves);
		memmove(&d->leaves[i + 1], &d->leaves[i],
			(d->nleaves - i) * sizeof(*d->leaves));
		d->nleaves++;
	}
	d->leaves[i].leaf = leaf;
	d->leaves[i].subleaf = subleaf;
	memcpy(d->leaves[i].r, r, sizeof(d->leaves[i].r));
	return 0;
}

const struct cpuid_leaf *cpuid_data_get(const struct cpuid_data *d,
					uint32_t leaf, uint32_t subleaf)
{
	bool found;
	size_t i = leaf_find(d, leaf, subleaf, &found);

	return found ? &d->leaves[i] : NULL;
}

static size_t msr_find(const struct cpuid_data *d, uint32_t index, bool *found)
{
	size_t lo = 0, hi = d->nmsrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->msrs[mid].index == index) {
			*found = true;
			return mid;
		}
		if (d->msrs[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int cpuid_data_set_msr(struct cpuid_data *d, uint32_t index, uint64_t value)
{
	bool found;
	size_t i = msr_find(d, index, &found);

	if (!found) {
		if (d->nmsrs >= CPUID_MAX_ENTRIES)
			return -E2BIG;
		d->msrs = xgrow(d->msrs, sizeof(*d->msrs), d->nmsrs + 1, &d->amsrs);
		memmove(&d->msrs[i + 1], &d->msrs[i], (d->nmsrs - i) * sizeof(*d->msrs));
		d->nmsrs++;
	}
	d->msrs[i].index = index;
	d->msrs[i].value = value;
	return 0;
}

const struct cpuid_msr *cpuid_data_get_msr(const struct cpuid_data *d,
					   uint32_t index)
{
	bool found;
	size_t i = msr_find(d, index, &found);

	return found ? &d->msrs[i] : NULL;
}

uint32_t cpuid_data_reg(const struct cpuid_data *d, uint32_t leaf,
			uint32_t subleaf, enum cpuid_reg reg)
{
	const struct cpuid_leaf *l = cpuid_data_get(d, leaf, subleaf);

	return l ? l->r[reg] : 0;
}

/* The first leaf of the range holding leaf.  Hypervisor leaves come in
 * blocks of 0x100 (Xen moves to 0x40000100 when it offers Viridian). */
static uint32_t range_base(uint32_t leaf)
{
	if (leaf >= 0x40000000 && leaf < 0x40010000)
		return leaf & 0xFFFFFF00u;
	return leaf & 0xFFFF0000u;
}

uint32_t cpuid_data_max(const struct cpuid_data *d, uint32_t leaf)
{
	uint32_t base = range_base(leaf);
	uint32_t span = (base >= 0x40000000 && base < 0x40010000) ? 0xFF : 0xFFFF;
	const struct cpuid_leaf *l = cpuid_data_get(d, base, 0);

	if (!l || l->r[CPUID_EAX] < base || l->r[CPUID_EAX] - base > span)
		return 0;
	return l->r[CPUID_EAX];
}

bool cpuid_data_valid(const struct cpuid_data *d, uint32_t leaf)
{
	uint32_t max = cpuid_data_max(d, leaf);

	return max && leaf <= max;
}

/* The feature MSRs and the leaf 7 EDX bit that enumerates each. */
static const struct {
	uint32_t index;
	unsigned bit;
	const char *name;
} feature_msrs[] = {
	{ 0x10a, 29, "ARCH_CAPABILITIES" },
	{ 0xcf, 30, "CORE_CAPABILITIES" },
};

const char *cpuid_msr_name(uint32_t index)
{
	for (size_t i = 0; i < ARRAY_SIZE(feature_msrs); i++)
		if (feature_msrs[i].index == index)
			return feature_msrs[i].name;
	return NULL;
}

bool cpuid_data_msr_unread(const struct cpuid_data *d, uint32_t index)
{
	for (size_t i = 0; i < ARRAY_SIZE(feature_msrs); i++)
		if (feature_msrs[i].index == index)
			return cpuid_data_valid(d, 7) &&
			       (cpuid_data_reg(d, 7, 0, CPUID_EDX) >> feature_msrs[i].bit & 1) &&
			       !cpuid_data_get_msr(d, index);
	return false;
}

bool cpuid_data_has(const struct cpuid_data *d, const struct cpuid_feature *f)
{
	if (f->kind == CPUID_FEAT_MSR) {
		const struct cpuid_msr *m = cpuid_data_get_msr(d, f->leaf);

		return m && (m->value >> f->bit) & 1;
	}
	if (!cpuid_data_valid(d, f->leaf))
		return false;
	/* The 0x4000xxxx bits in the table are KVM's: only under KVM. */
	if (range_base(f->leaf) == 0x40000000) {
		const struct cpuid_leaf *sig = cpuid_data_get(d, 0x40000000, 0);

		if (!sig || sig->r[CPUID_EBX] != 0x4b4d564b ||	/* "KVMK" */
		    sig->r[CPUID_ECX] != 0x564b4d56 ||		/* "VMKV" */
		    sig->r[CPUID_EDX] != 0x0000004d)		/* "M\0\0\0" */
			return false;
	}
	return (cpuid_data_reg(d, f->leaf, f->subleaf, f->reg) >> f->bit) & 1;
}

void cpuid_data_features(const struct cpuid_data *d, struct cpuid_featureset *ret)
{
	/* The table is sorted by (kind, leaf, subleaf, reg, bit): look each
	 * leaf up once for all of its bits. */
	const struct cpuid_feature *prev = NULL;
	bool have_leaf = false;
	uint32_t regs[4] = { 0 };

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		if (f->kind != CPUID_FEAT_CPUID || range_base(f->leaf) == 0x40000000) {
			if (cpuid_data_has(d, f))
				cpuid_fset_add(ret, i);
			continue;
		}
		if (!prev || prev->kind != f->kind || prev->leaf != f->leaf ||
		    prev->subleaf != f->subleaf) {
			const struct cpuid_leaf *l = cpuid_data_valid(d, f->leaf) ?
				cpuid_data_get(d, f->leaf, f->subleaf) : NULL;

			have_leaf = l != NULL;
			if (l)
				memcpy(regs, l->r, sizeof(regs));
			prev = f;
		}
		if (have_leaf && (regs[f->reg] >> f->bit & 1))
			cpuid_fset_add(ret, i);
	}
}

bool cpuid_data_equal(const struct cpuid_data *a, const struct cpuid_data *b)
{
	if (a->nleaves != b->nleaves || a->nmsrs != b->nmsrs)
		return false;
	/* struct cpuid_leaf is six uint32_t: no padding to compare. */
	if (a->nleaves &&
	    memcmp(a->leaves, b->leaves, a->nleaves * sizeof(*a->leaves)) != 0)
		return false;
	for (size_t i = 0; i < a->nmsrs; i++)
		if (a->msrs[i].index != b->msrs[i].index ||
		    a->msrs[i].value != b->msrs[i].value)
			return false;
	return true;
}
