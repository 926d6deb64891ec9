/* SPDX-License-Identifier: MIT */
/*
 * CPUID leaves made from a feature list: what the readers of inputs that
 * name features rather than give leaves (QEMU's model expansion, libvirt
 * capabilities, /proc/cpuinfo) build a struct cpuid_data with.  Each
 * returns 0 or -E2BIG past CPUID_MAX_ENTRIES.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cpuid-data.h"

/* The base of the range that holds leaf (0, 0x40000000, 0x40000100, ...,
 * 0x80000000, 0xC0000000). */
uint32_t cpuid_synth_range(uint32_t leaf);
/* ORs v into register reg of (leaf, subleaf). */
int cpuid_synth_or(struct cpuid_data *c, uint32_t leaf, uint32_t sub, int reg, uint32_t v);
/* Sets feature f (an MSR bit too); KVM's leaves not when kvm_hidden. */
int cpuid_synth_feature(struct cpuid_data *c, const struct cpuid_feature *f, bool kvm_hidden);
/* Leaf 1's EAX for a family, model and stepping (QEMU's encoding). */
uint32_t cpuid_synth_signature(uint64_t family, uint64_t model, uint64_t stepping);
/* The 12-byte vendor string into leaves 0 and 0x80000000 (when present:
 * call it after cpuid_synth_complete()). */
int cpuid_synth_vendor(struct cpuid_data *c, const char *vendor);
/* The brand (at most 48 bytes used; "" sets nothing) into 0x80000002-4;
 * raises min[1] to cover them. */
int cpuid_synth_brand(struct cpuid_data *c, const char *brand, uint32_t min[3]);
/*
 * What every reader's result has and a feature list lacks: the maximum
 * of each range in use (a given maximum is raised to cover the leaves
 * present), leaf 7's subleaf count, and KVM's signature when KVM's
 * feature leaf is set.  min[] holds maxima the input stated (0: none),
 * for the basic, extended and Centaur ranges.
 */
int cpuid_synth_complete(struct cpuid_data *c, const uint32_t min[3]);
