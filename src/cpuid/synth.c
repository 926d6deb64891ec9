/* SPDX-License-Identifier: MIT */
/* CPUID leaves made from what a feature list says (QMP expansions, libvirt
 * capabilities, /proc/cpuinfo): the bits, the identification, the maxima. */
#include <string.h>

#include "cpuid-synth.h"

/* KVM's signature at 0x40000000: "KVMKVMKVM\0\0\0", max leaf 0x40000001. */
static const uint32_t kvm_sig[4] = { 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d };

uint32_t cpuid_synth_range(uint32_t leaf)
{
	if (leaf >= 0x40000000 && leaf < 0x40010000)
		return leaf & 0xFFFFFF00u;
	return leaf & 0xFFFF0000u;
}

int cpuid_synth_or(struct cpuid_data *c, uint32_t leaf, uint32_t sub, int reg, uint32_t v)
{
	const struct cpuid_leaf *l = cpuid_data_get(c, leaf, sub);
	uint32_t r[4] = { 0 };

	if (l)
		memcpy(r, l->r, sizeof(r));
	r[reg] |= v;
	return cpuid_data_set(c, leaf, sub, r);
}

int cpuid_synth_complete(struct cpuid_data *c, const uint32_t min[3])
{
	static const uint32_t bases[3] = { 0, 0x80000000, 0xC0000000 };
	uint32_t max[3], max7 = 0;
	bool kvm = false;
	int rc;

	memcpy(max, min, sizeof(max));
	for (size_t i = 0; i < c->nleaves; i++) {
		const struct cpuid_leaf *l = &c->leaves[i];
		uint32_t base = cpuid_synth_range(l->leaf);

		if (!(l->r[0] | l->r[1] | l->r[2] | l->r[3]))
			continue;
		for (int k = 0; k < 3; k++)
			if (base == bases[k] && l->leaf > max[k])
				max[k] = l->leaf;
		if (l->leaf == 7 && l->subleaf > max7)
			max7 = l->subleaf;
		if (l->leaf == 0x40000001)
			kvm = true;
	}
	if (!max[0])
		max[0] = 1;	/* leaf 1 is always there */
	for (int k = 0; k < 3; k++) {
		const struct cpuid_leaf *l;
		uint32_t r[4] = { 0 };

		if (k && max[k] < bases[k])
			continue;
		if ((l = cpuid_data_get(c, bases[k], 0)))
			memcpy(r, l->r, sizeof(r));
		if (r[0] < max[k] || r[0] > max[k] + 0xFFFF)
			r[0] = max[k];
		if ((rc = cpuid_data_set(c, bases[k], 0, r)) < 0)
			return rc;
	}
	if (max7 && cpuid_data_reg(c, 7, 0, CPUID_EAX) < max7) {
		const struct cpuid_leaf *l = cpuid_data_get(c, 7, 0);
		uint32_t r[4] = { 0 };

		if (l)
			memcpy(r, l->r, sizeof(r));
		r[0] = max7;
		if ((rc = cpuid_data_set(c, 7, 0, r)) < 0)
			return rc;
	}
	if (kvm && !cpuid_data_get(c, 0x40000000, 0) &&
	    (rc = cpuid_data_set(c, 0x40000000, 0, kvm_sig)) < 0)
		return rc;
	return 0;
}

/* QEMU's x86_cpuid_version_set_{family,model,stepping}. */
uint32_t cpuid_synth_signature(uint64_t family, uint64_t model, uint64_t stepping)
{
	uint32_t eax = family > 0x0f ? 0xf00 | (uint32_t)(family - 0x0f) << 20
				     : (uint32_t)family << 8;

	return eax | (uint32_t)(model & 0xf) << 4 | (uint32_t)(model >> 4) << 16 |
	       (uint32_t)stepping;
}

/* Sets feature f in c (KVM's only when its leaves are not hidden). */
int cpuid_synth_feature(struct cpuid_data *c, const struct cpuid_feature *f, bool kvm_hidden)
{
	if (f->kind == CPUID_FEAT_MSR) {
		const struct cpuid_msr *msr = cpuid_data_get_msr(c, f->leaf);

		return cpuid_data_set_msr(c, f->leaf, (msr ? msr->value : 0) | (uint64_t)1 << f->bit);
	}
	if (cpuid_synth_range(f->leaf) == 0x40000000 && kvm_hidden)
		return 0;
	return cpuid_synth_or(c, f->leaf, f->subleaf, f->reg, (uint32_t)1 << f->bit);
}

int cpuid_synth_vendor(struct cpuid_data *c, const char *vendor)
{
	/* leaf 0 (and, as QEMU does, 0x80000000): ebx, edx, ecx */
	static const uint32_t bases[2] = { 0, 0x80000000 };

	for (int k = 0; k < 2; k++) {
		const struct cpuid_leaf *l = cpuid_data_get(c, bases[k], 0);
		uint32_t r[4];
		int rc;

		if (!l)
			continue;
		memcpy(r, l->r, sizeof(r));
		memcpy(&r[CPUID_EBX], vendor, 4);
		memcpy(&r[CPUID_EDX], vendor + 4, 4);
		memcpy(&r[CPUID_ECX], vendor + 8, 4);
		if ((rc = cpuid_data_set(c, bases[k], 0, r)) < 0)
			return rc;
	}
	return 0;
}

int cpuid_synth_brand(struct cpuid_data *c, const char *brand, uint32_t min[3])
{
	char b[48] = { 0 };
	size_t n = strnlen(brand, sizeof(b));
	int rc;

	if (!n)
		return 0;
	memcpy(b, brand, n);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t r[4];

		memcpy(r, b + 16 * i, sizeof(r));
		if ((rc = cpuid_data_set(c, 0x80000002 + i, 0, r)) < 0)
			return rc;
	}
	if (min[1] < 0x80000004)
		min[1] = 0x80000004;
	return 0;
}
