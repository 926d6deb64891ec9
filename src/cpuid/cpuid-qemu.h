/* SPDX-License-Identifier: MIT */
/* The installed QEMU's CPU models and feature properties. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cpuid-decode.h"
#include "cpuid-features.h"
#include "diag.h"

struct cpuid_model;

/*
 * hvkit's model table is QEMU 10.2's; an older QEMU (Debian 12: 7.2) lacks
 * newer models (GraniteRapids, SierraForest, ...) and feature properties,
 * and refuses a -cpu string that names one.  This is what one QEMU binary
 * has, from its `-machine none -cpu help` (model names, aliases included,
 * and "Recognized CPUID flags"), cached per binary under
 * $XDG_CACHE_HOME/hvkit/ (else ~/.cache/hvkit/).
 */
struct cpuid_qemu {
	char *binary;		/* the binary run, as found */
	char *version;		/* "7.2.22"; "" when unknown */
	char **models;		/* every x86 model and alias it lists */
	size_t nmodels, malloc_;
	struct cpuid_featureset flags;	/* hvkit features it has a property for */
};

/*
 * Reads what `binary` has (NULL: qemu-system-x86_64 on PATH), from the
 * cache when the binary's identity (device, inode, size, mtime) matches,
 * else by running it (at most 10 s) and caching the answer (a cache that
 * cannot be written is skipped).  Returns 0, -ENOENT when there is no
 * such binary (nothing in d), or another negative errno with the reason
 * in d.  *ret is filled only on success; release it with
 * cpuid_qemu_release().
 */
int cpuid_qemu_load(const char *binary, struct cpuid_qemu *ret, struct hv_diags *d);

/*
 * Parses the text of `qemu-system-x86_64 -cpu help` (buf, len; named `name`
 * in messages) into *q (its binary and version are left alone).  Returns 0,
 * or -EINVAL when it lists no x86 model.  The fuzz target's entry.
 */
int cpuid_qemu_parse_help(const char *buf, size_t len, const char *name, struct cpuid_qemu *q,
			  struct hv_diags *d);

/* True when q lists this model name (versioned, unversioned or alias). */
bool cpuid_qemu_has_model(const struct cpuid_qemu *q, const char *name);

/*
 * The newest model of q (hvkit's table) that fits *want: of vendor v,
 * every feature of it that KVM gives guests (cpuid_guest_kvm) in *want (a
 * KVM guest of those features runs it), the most such features; on a tie the later version.  When none fits:
 * NULL with must_fit, else the model of the fewest edits (added plus
 * removed).
 */
const struct cpuid_model *cpuid_qemu_best_model(const struct cpuid_qemu *q,
						const struct cpuid_featureset *want,
						enum cpuid_vendor v, bool must_fit);

void cpuid_qemu_release(struct cpuid_qemu *q);
