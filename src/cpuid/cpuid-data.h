/* SPDX-License-Identifier: MIT */
/* A CPU's CPUID values: what every reader fills and every decoder reads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "cpuid-features.h"

/* Input may not make us hold more than this many leaves or MSRs. */
#define CPUID_MAX_ENTRIES 4096

/* The result of CPUID(leaf, subleaf): r[CPUID_EAX..CPUID_EDX]. */
struct cpuid_leaf {
	uint32_t leaf, subleaf;
	uint32_t r[4];
};

struct cpuid_msr {
	uint32_t index;
	uint64_t value;
};

/*
 * One CPU as a set of CPUID results and feature MSRs, each array sorted
 * by key and without duplicates.  A leaf absent from the set reads as
 * zeros.  Leaves that do not take a subleaf are stored under subleaf 0.
 * origin says where the values came from ("this host", a file name, "CPU
 * 0 of FILE"); it is owned, may be NULL, and is kept by the dump format.
 *
 * Lifecycle: CPUID_DATA_INIT or cpuid_data_init(), then
 * cpuid_data_release() (idempotent; leaves an empty set).
 */
struct cpuid_data {
	struct cpuid_leaf *leaves;
	size_t nleaves, aleaves;
	struct cpuid_msr *msrs;
	size_t nmsrs, amsrs;
	char *origin;
	/* Synthesised from a feature list (/proc/cpuinfo flags, libvirt's
	 * capabilities): its maximum leaves and MSRs are made up, not given. */
	bool features_only;
};

#define CPUID_DATA_INIT { 0 }

void cpuid_data_init(struct cpuid_data *d);
void cpuid_data_release(struct cpuid_data *d);
/* Replaces *d's origin with a copy of s (or NULL). */
void cpuid_data_set_origin(struct cpuid_data *d, const char *s);

/* Adds or replaces a result; -E2BIG past CPUID_MAX_ENTRIES. */
int cpuid_data_set(struct cpuid_data *d, uint32_t leaf, uint32_t subleaf,
		   const uint32_t r[4]);
int cpuid_data_set_msr(struct cpuid_data *d, uint32_t index, uint64_t value);

/* The stored result, or NULL (binary search). */
const struct cpuid_leaf *cpuid_data_get(const struct cpuid_data *d,
					uint32_t leaf, uint32_t subleaf);
const struct cpuid_msr *cpuid_data_get_msr(const struct cpuid_data *d,
					   uint32_t index);
/*
 * Whether feature MSR `index` (0x10a ARCH_CAPABILITIES, 0xcf
 * CORE_CAPABILITIES) is enumerated by CPUID (leaf 7 EDX bit 29, 30) but
 * its value is not in d: its feature bits are then unknown, not absent.
 */
bool cpuid_data_msr_unread(const struct cpuid_data *d, uint32_t index);
/* The name of such an MSR ("ARCH_CAPABILITIES"), or NULL for another. */
const char *cpuid_msr_name(uint32_t index);

/* One register of a result; 0 when the result is absent. */
uint32_t cpuid_data_reg(const struct cpuid_data *d, uint32_t leaf,
			uint32_t subleaf, enum cpuid_reg reg);

/*
 * The highest valid leaf of the range that holds `leaf` (0, 0x40000000,
 * 0x80000000, 0xC0000000: the eax of the range's first leaf), or 0 when
 * the range is absent or its first leaf does not look like a maximum
 * (eax outside [base, base + 0xFFFF]).  Results above it are ignored by
 * the decoders: Intel CPUs answer out-of-range leaves with the highest
 * basic leaf's values.
 */
uint32_t cpuid_data_max(const struct cpuid_data *d, uint32_t leaf);
/* True when leaf is within its range's maximum (see cpuid_data_max()). */
bool cpuid_data_valid(const struct cpuid_data *d, uint32_t leaf);

/* True when the CPU has feature f (its leaf valid and its bit set). */
bool cpuid_data_has(const struct cpuid_data *d, const struct cpuid_feature *f);

/* The set of table features this CPU has (cpuid_data_has() for each). */
void cpuid_data_features(const struct cpuid_data *d, struct cpuid_featureset *ret);

/* True when the two sets hold the same values (origin not compared). */
bool cpuid_data_equal(const struct cpuid_data *a, const struct cpuid_data *b);
