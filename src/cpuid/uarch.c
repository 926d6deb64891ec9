/* SPDX-License-Identifier: MIT */
/* Microarchitecture names of common Intel and AMD family/model values. */
#include <stddef.h>

#include "cpuid-decode.h"
#include "util.h"

/*
 * Sources:
 *  - Intel family 6: Linux arch/x86/include/asm/intel-family.h (v6.12),
 *    which names each model number; the stepping split of model 0x55
 *    (Skylake-SP 0-4, Cascade Lake 5-7, Cooper Lake 0xB) and 0x8E/0x9E
 *    (Kaby Lake 9, Coffee/Whiskey/Amber Lake above) from the same file's
 *    comments and Intel's specification updates.
 *  - AMD: Linux arch/x86/kernel/cpu/amd.c bsp_init_amd() (Zen generations
 *    by family 17h/19h/1Ah model ranges) and AMD's Revision Guides for
 *    families 10h-16h.
 * A CPU not listed gets no name rather than a guess.
 */
struct uarch__entry {
	enum cpuid_vendor vendor;
	unsigned family, model_lo, model_hi;
	unsigned step_lo, step_hi;	/* 0, 15 for any */
	const char *name;
};

#define I(f, lo, hi, n) { CPUID_VENDOR_INTEL, f, lo, hi, 0, 15, n }
#define IS(f, m, slo, shi, n) { CPUID_VENDOR_INTEL, f, m, m, slo, shi, n }
#define A(f, lo, hi, n) { CPUID_VENDOR_AMD, f, lo, hi, 0, 15, n }

static const struct uarch__entry uarch__table[] = {
	I(6, 0x0F, 0x0F, "Core (Merom)"),
	I(6, 0x16, 0x16, "Core (Merom-L)"),
	I(6, 0x17, 0x17, "Penryn"),
	I(6, 0x1D, 0x1D, "Penryn (Dunnington)"),
	I(6, 0x1A, 0x1A, "Nehalem-EP"),
	I(6, 0x1E, 0x1F, "Nehalem"),
	I(6, 0x2E, 0x2E, "Nehalem-EX"),
	I(6, 0x25, 0x25, "Westmere"),
	I(6, 0x2C, 0x2C, "Westmere-EP"),
	I(6, 0x2F, 0x2F, "Westmere-EX"),
	I(6, 0x2A, 0x2A, "Sandy Bridge"),
	I(6, 0x2D, 0x2D, "Sandy Bridge-EP"),
	I(6, 0x3A, 0x3A, "Ivy Bridge"),
	I(6, 0x3E, 0x3E, "Ivy Bridge-EP"),
	I(6, 0x3C, 0x3C, "Haswell"),
	I(6, 0x3F, 0x3F, "Haswell-EP"),
	I(6, 0x45, 0x45, "Haswell-ULT"),
	I(6, 0x46, 0x46, "Haswell-GT3e"),
	I(6, 0x3D, 0x3D, "Broadwell"),
	I(6, 0x47, 0x47, "Broadwell-GT3e"),
	I(6, 0x4F, 0x4F, "Broadwell-EP"),
	I(6, 0x56, 0x56, "Broadwell-DE"),
	I(6, 0x4E, 0x4E, "Skylake (mobile)"),
	I(6, 0x5E, 0x5E, "Skylake"),
	IS(6, 0x55, 0, 4, "Skylake-SP"),
	IS(6, 0x55, 5, 7, "Cascade Lake"),
	IS(6, 0x55, 10, 11, "Cooper Lake"),
	IS(6, 0x8E, 0, 9, "Kaby Lake (mobile)"),
	IS(6, 0x8E, 10, 15, "Coffee Lake / Whiskey Lake (mobile)"),
	IS(6, 0x9E, 0, 9, "Kaby Lake"),
	IS(6, 0x9E, 10, 15, "Coffee Lake"),
	I(6, 0xA5, 0xA6, "Comet Lake"),
	I(6, 0x66, 0x66, "Cannon Lake"),
	I(6, 0x7D, 0x7E, "Ice Lake"),
	I(6, 0x6A, 0x6A, "Ice Lake-SP"),
	I(6, 0x6C, 0x6C, "Ice Lake-D"),
	I(6, 0x8C, 0x8D, "Tiger Lake"),
	I(6, 0xA7, 0xA7, "Rocket Lake"),
	I(6, 0x97, 0x97, "Alder Lake"),
	I(6, 0x9A, 0x9A, "Alder Lake (mobile)"),
	I(6, 0xB7, 0xB7, "Raptor Lake"),
	I(6, 0xBA, 0xBA, "Raptor Lake (mobile)"),
	I(6, 0xBF, 0xBF, "Raptor Lake-S"),
	I(6, 0xAA, 0xAC, "Meteor Lake"),
	I(6, 0xBD, 0xBD, "Lunar Lake"),
	I(6, 0xC5, 0xC6, "Arrow Lake"),
	I(6, 0x8F, 0x8F, "Sapphire Rapids"),
	I(6, 0xCF, 0xCF, "Emerald Rapids"),
	I(6, 0xAD, 0xAE, "Granite Rapids"),
	I(6, 0xAF, 0xAF, "Sierra Forest"),
	I(6, 0xB6, 0xB6, "Grand Ridge"),
	I(6, 0xDD, 0xDD, "Clearwater Forest"),
	I(6, 0x1C, 0x1C, "Bonnell (Atom)"),
	I(6, 0x26, 0x26, "Bonnell (Atom, Lincroft)"),
	I(6, 0x27, 0x27, "Saltwell (Atom)"),
	I(6, 0x35, 0x36, "Saltwell (Atom)"),
	I(6, 0x37, 0x37, "Silvermont (Atom)"),
	I(6, 0x4A, 0x4A, "Silvermont (Atom)"),
	I(6, 0x4D, 0x4D, "Silvermont (Avoton)"),
	I(6, 0x5A, 0x5A, "Silvermont (Atom)"),
	I(6, 0x5D, 0x5D, "Silvermont (Atom)"),
	I(6, 0x4C, 0x4C, "Airmont (Atom)"),
	I(6, 0x5C, 0x5C, "Goldmont (Atom)"),
	I(6, 0x5F, 0x5F, "Goldmont (Denverton)"),
	I(6, 0x7A, 0x7A, "Goldmont Plus (Atom)"),
	I(6, 0x86, 0x86, "Tremont (Snow Ridge)"),
	I(6, 0x96, 0x96, "Tremont (Elkhart Lake)"),
	I(6, 0x9C, 0x9C, "Tremont (Jasper Lake)"),
	I(6, 0xBE, 0xBE, "Gracemont (Alder Lake-N)"),
	I(6, 0x57, 0x57, "Knights Landing"),
	I(6, 0x85, 0x85, "Knights Mill"),
	I(15, 0x00, 0x06, "NetBurst"),
	A(0x0F, 0x00, 0xFF, "K8"),
	A(0x10, 0x00, 0xFF, "K10"),
	A(0x11, 0x00, 0xFF, "K8/K10 hybrid (Griffin)"),
	A(0x12, 0x00, 0xFF, "K10 (Llano)"),
	A(0x14, 0x00, 0xFF, "Bobcat"),
	A(0x15, 0x00, 0x01, "Bulldozer"),
	A(0x15, 0x02, 0x1F, "Piledriver"),
	A(0x15, 0x30, 0x3F, "Steamroller"),
	A(0x15, 0x60, 0x7F, "Excavator"),
	A(0x16, 0x00, 0x0F, "Jaguar"),
	A(0x16, 0x30, 0x3F, "Puma"),
	A(0x17, 0x00, 0x07, "Zen"),
	A(0x17, 0x08, 0x08, "Zen+"),
	A(0x17, 0x09, 0x17, "Zen"),
	A(0x17, 0x18, 0x18, "Zen+"),
	A(0x17, 0x19, 0x2F, "Zen"),
	A(0x17, 0x50, 0x5F, "Zen"),
	A(0x17, 0x30, 0x4F, "Zen 2"),
	A(0x17, 0x60, 0x7F, "Zen 2"),
	A(0x17, 0x90, 0x91, "Zen 2"),
	A(0x17, 0xA0, 0xAF, "Zen 2"),
	A(0x19, 0x00, 0x0F, "Zen 3"),
	A(0x19, 0x20, 0x5F, "Zen 3"),
	A(0x19, 0x10, 0x1F, "Zen 4"),
	A(0x19, 0x60, 0xAF, "Zen 4"),
	A(0x1A, 0x00, 0x2F, "Zen 5"),
	A(0x1A, 0x40, 0x4F, "Zen 5"),
	A(0x1A, 0x60, 0x7F, "Zen 5"),
	{ CPUID_VENDOR_HYGON, 0x18, 0x00, 0xFF, 0, 15, "Dhyana (Zen)" },
};

const char *cpuid_uarch(enum cpuid_vendor v, unsigned family, unsigned model,
			unsigned stepping)
{
	for (size_t i = 0; i < ARRAY_SIZE(uarch__table); i++) {
		const struct uarch__entry *e = &uarch__table[i];

		if (e->vendor == v && e->family == family && model >= e->model_lo &&
		    model <= e->model_hi && stepping >= e->step_lo &&
		    stepping <= e->step_hi)
			return e->name;
	}
	return NULL;
}
