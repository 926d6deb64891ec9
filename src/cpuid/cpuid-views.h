/* SPDX-License-Identifier: MIT */
/*
 * The CPU as user space sees it against the CPU as the kernel sees it.
 *
 * Under a nested paravirtual hypervisor the CPUID instruction can answer
 * user space with other values than the kernel gets (a user-space brand
 * "Oxide Virtual Turin-like Processor" where /proc/cpuinfo says "AMD
 * EPYC", other feature bits, another hypervisor signature).  hvkit reads
 * the instruction; this module says whether, and how, the kernel's view
 * differs, from the kernel's cpuid device when it can be read, else from
 * /proc/cpuinfo's first CPU.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cpuid-data.h"
#include "cpuid-features.h"

enum cpuid_view { CPUID_VIEW_USER, CPUID_VIEW_KERNEL };

/* "user" or "kernel" -> enum; -1 for anything else. */
int cpuid_view_parse(const char *s);

/* One value that differs: what ("brand"), and the two sides as text. */
struct cpuid_view_diff {
	const char *what;	/* static */
	char *user, *kernel;	/* owned */
};

struct cpuid_views {
	/* What the kernel's side was read from: "/dev/cpu/0/cpuid" or
	 * "/proc/cpuinfo" (owned), or NULL when neither could be read. */
	char *kernel_source;
	/* Why the cpuid device was not read, when it was not (owned). */
	char *device_error;
	struct cpuid_view_diff *diffs;
	size_t ndiffs;
	/* Feature bits one side has and the other lacks.  From /proc/cpuinfo
	 * only kernel_only is known: Linux hides bits on purpose. */
	struct cpuid_featureset user_only, kernel_only;
};

#define CPUID_VIEWS_INIT { 0 }

/*
 * Compares user (this host, read through the instruction) with the
 * kernel's view under sysroot (NULL or "/": the live system).  Never
 * fails: what cannot be read is said in *ret.
 */
void cpuid_views_compare(const struct cpuid_data *user, const char *sysroot,
			 struct cpuid_views *ret);
/* The comparisons it makes, on data in hand (v filled in, not reset):
 * the kernel's view as CPUID data, or /proc/cpuinfo's text (its first
 * CPU; untrusted bytes, bounded by len). */
void cpuid_views_data(const struct cpuid_data *user, const struct cpuid_data *kernel,
		      struct cpuid_views *v);
void cpuid_views_cpuinfo(const struct cpuid_data *user, const char *buf, size_t len,
			 struct cpuid_views *v);
/* True when something differs. */
bool cpuid_views_differ(const struct cpuid_views *v);
/* A short list of what differs: "brand, hypervisor, 9 features". */
char *cpuid_views_what(const struct cpuid_views *v);
void cpuid_views_release(struct cpuid_views *v);
