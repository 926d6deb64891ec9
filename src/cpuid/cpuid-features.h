/* SPDX-License-Identifier: MIT */
/* The CPU feature table (generated from features.csv) and name lookup. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-features-table.h"

/* The projects whose spellings the table holds; index of cpuid_feature.names. */
enum cpuid_names {
	CPUID_NAMES_LINUX,	/* /proc/cpuinfo flags */
	CPUID_NAMES_XEN,	/* Xen xl.cfg cpuid= (libxl 4.17's own table first) */
	CPUID_NAMES_QEMU,	/* QEMU -cpu properties (our default) */
	CPUID_NAMES_LIBVIRT,	/* libvirt <feature name=> */
	CPUID_NAMES_NR,
	CPUID_NAMES_ANY = CPUID_NAMES_NR,	/* lookup: no preference */
};

enum cpuid_feature_kind {
	CPUID_FEAT_CPUID,	/* a bit of a CPUID leaf */
	CPUID_FEAT_MSR,		/* a bit of a feature MSR (arch capabilities) */
};

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/*
 * One feature bit.  Where it lives: a CPUID (leaf, subleaf, reg, bit), or
 * for CPUID_FEAT_MSR bit `bit` (0-63) of MSR `leaf`.  `name` is our
 * canonical spelling, unique after folding (see cpuid_name_fold());
 * names[] is NULL where a project has no name for the bit; aliases is a
 * space-separated list, possibly "".
 *
 * The next round adds models (sets of these bits) and dependencies; both
 * refer to features by index into cpuid_features[], which is sorted by
 * (kind, leaf, subleaf, reg, bit) and fixed at build time.
 */
struct cpuid_feature {
	const char *name;
	const char *names[CPUID_NAMES_NR];
	const char *aliases;
	uint8_t kind;
	uint32_t leaf;
	uint32_t subleaf;
	uint8_t reg;
	uint8_t bit;
	/* names[CPUID_NAMES_XEN] is a cpufeatureset.h name that only a libxl
	 * with those names knows (Xen 4.18+, some 4.17 updates): Xen 4.17.0's
	 * table has no name for the bit (libxl-4.17.csv). */
	bool xen_new;
};

extern const struct cpuid_feature cpuid_features[];
extern const size_t cpuid_nfeatures;

/* "linux", "xen", "qemu", "libvirt" -> enum; -1 for anything else. */
int cpuid_names_parse(const char *s);
const char *cpuid_names_str(enum cpuid_names n);

/*
 * The name to print for f in the spelling of project n: its names[n], or
 * NULL when that project does not name the bit.  n == CPUID_NAMES_ANY
 * gives the canonical name.
 */
const char *cpuid_feature_name(const struct cpuid_feature *f, enum cpuid_names n);

/*
 * The first feature (index) printed with the same name as feature i in
 * spelling n, i itself when no other shares it: QEMU calls two KVM bits
 * "kvmclock", so a list in QEMU's spelling names the pair once.
 */
size_t cpuid_feature_name_first(size_t i, enum cpuid_names n);

/*
 * Folds a spelling for comparison: lowercase, '-', '_' and '.' dropped
 * ("SSE4_1", "sse4.1" and "sse4-1" all give "sse41").  Writes at most
 * size bytes including the NUL; returns false when s does not fit.
 */
bool cpuid_name_fold(const char *s, char *buf, size_t size);

/*
 * Finds the feature a spelling means, in any project's spelling.  A few
 * spellings mean different bits to different projects (Xen 4.17 "ssb-no"
 * is AMD's 0x80000008 ebx 26, QEMU's is the ARCH_CAPABILITIES bit); the
 * order decides: the spellings of `prefer` (when not CPUID_NAMES_ANY),
 * canonical names, then QEMU, libvirt, Linux, Xen, then aliases.  Returns
 * the index into cpuid_features[], or -1.
 */
int cpuid_feature_lookup(const char *name, enum cpuid_names prefer);

/*
 * Up to max known spellings closest to an unknown one (edit distance
 * over folded spellings, at most 2 edits or a third of the length), best
 * first, one per feature, into ret[]; returns how many.  The strings are
 * the table's.
 */
size_t cpuid_feature_suggest(const char *name, const char **ret, size_t max);

/*
 * A set of features: bit i stands for cpuid_features[i].  Models,
 * policies and baselines (next round) are sets like this one, so that
 * "model + plus - minus" and "every host can run" are word operations.
 */
#define CPUID_FSET_WORDS ((CPUID_NFEATURES + 63) / 64)
struct cpuid_featureset {
	uint64_t w[CPUID_FSET_WORDS];
};

static inline bool cpuid_fset_has(const struct cpuid_featureset *s, size_t i)
{
	return s->w[i / 64] >> (i % 64) & 1;
}

static inline void cpuid_fset_add(struct cpuid_featureset *s, size_t i)
{
	s->w[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline void cpuid_fset_del(struct cpuid_featureset *s, size_t i)
{
	s->w[i / 64] &= ~((uint64_t)1 << (i % 64));
}

size_t cpuid_fset_count(const struct cpuid_featureset *s);
