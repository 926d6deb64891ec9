/* SPDX-License-Identifier: MIT */
/* The CPU topology that per-PU CPUID values describe (x86).  The per-PU
 * dump files (hwloc-gather-cpuid's, ours) are read by cpuid_read_pus(). */
#pragma once

#include <stddef.h>

#include "cpuid/cpuid-data.h"
#include "diag.h"
#include "model.h"

/* One logical CPU's CPUID values (not owned) and its OS number. */
struct topo_cpuid_pu {
	unsigned os_index;
	const struct cpuid_data *c;
};

/*
 * Decodes the packages, dies, cores, PUs and caches that the CPUID values
 * of every PU describe, as hwloc's x86 backend does (hwloc
 * topology-x86.c: look_proc() and summarize()):
 *   - vendor, leaf ranges and feature bits are PU 0's (the first given);
 *   - package, core and die ids come from, in order: the initial APIC id
 *     and the logical processor count of leaf 1, leaf 4's core count
 *     (not AMD/Hygon), 0x80000008 (AMD without x2APIC), 0x8000001E
 *     (topoext: the APIC id, node, compute unit on families 15h-16h, core
 *     after), then the extended topology leaf 0x80000026 (AMD), 0x1F
 *     (Intel, Zhaoxin) or 0xB (with x2APIC);
 *   - caches from 0x8000001D (topoext), else 0x80000005/6 (not Intel or
 *     Zhaoxin), and leaf 4 (not AMD/Hygon; KNL's bogus L3 dropped); a
 *     cache is shared by the PUs of one package with the same cache id
 *     (APIC id over the sharing count, with hwloc's vendor quirks:
 *     Magny-Cours and Bulldozer 12-core half L3s, Zen L3 rounding,
 *     Hygon 6-core CCX);
 *   - hybrid core kinds from leaf 0x1A (Intel) or 0x80000026 (AMD).
 * Dies are kept only where some package holds more than one, as the
 * sysfs probe does.  The vendor's groups (compute units, modules, tiles,
 * unknown levels) are not made: no fixture has one that is not also a
 * cache or a core.
 *
 * On success *ret holds new objects (owned by the caller; hand them to
 * topo_build_cpu_tree() or free them with topo_obj_free()) and *nret
 * their number.  -EINVAL when two PUs have the same APIC id (hwloc then
 * ignores CPUID too) or no PU has a valid leaf 1, with the reason in d.
 */
int topo_cpuid_decode(const struct topo_cpuid_pu *pus, size_t n,
		      struct topo_obj ***ret, size_t *nret, struct hv_diags *d);
