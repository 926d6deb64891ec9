/* SPDX-License-Identifier: MIT */
/* The CPUID policy a Xen saved domain (`xl save`) or migration stream carries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-data.h"
#include "diag.h"

/* libxc's domain types (the stream's domain header). */
enum cpuid_stream_domain {
	CPUID_STREAM_PV = 1,
	CPUID_STREAM_HVM = 2,
	CPUID_STREAM_PVH = 3,
};

/* What the headers of the stream said. */
struct cpuid_stream_info {
	bool xl;		/* an `xl save` file: xl's header came first */
	bool libxl;		/* libxl's stream wrapped libxc's */
	uint32_t libxc_version;	/* 3 from Xen 4.14 on: policies in the stream */
	uint32_t domain_type;	/* enum cpuid_stream_domain */
	uint32_t xen_major, xen_minor;	/* of the Xen that saved it */
	uint64_t stop;		/* where the reading stopped: the offset past
				 * STATIC_DATA_END (or END) */
	/* Why Xen 4.17 would refuse to restore it before any audit: a
	 * mandatory record it does not handle, or a policy it cannot load
	 * (out-of-range leaf, unknown MSR, ...); "" when it would not. */
	char refused[160];
};

/* "PV", "HVM", "PVH", or "type N"-less "?" for another value. */
const char *cpuid_stream_domain_name(uint32_t type);

/*
 * True when buf (the first bytes of a file; 32 are enough) starts like
 * one of the three layers a saved image can start with: xl's header
 * ("Xen saved domain, xl format"), libxl's stream ("LibxlFmt") or
 * libxc's image header (eight 0xff bytes, "XENF").
 */
bool cpuid_looks_like_stream(const void *buf, size_t len);

/*
 * Reads the X86_CPUID_POLICY and X86_MSR_POLICY records of a stream:
 * xl's header (skipped with its config), libxl's stream header and
 * records up to LIBXC_CONTEXT, libxc's image and domain headers, then
 * libxc's records up to STATIC_DATA_END (or END); a later policy record
 * replaces an earlier one, as in Xen.  Records are skipped by their length without being read into
 * memory; every length is checked against what is there.  Entries Xen
 * 4.17 has no place for are left out (and info->refused says so).  Fills *ret (leaves
 * Xen gives without a subleaf under subleaf 0, the MSRs, origin "NAME
 * (Xen X.Y PV guest, saved)") and *info (may be NULL) only on success;
 * otherwise a negative errno with "NAME: offset N: reason" as the last
 * error in d.
 */
int cpuid_parse_stream(const void *buf, size_t len, const char *name,
		       struct cpuid_data *ret, struct cpuid_stream_info *info,
		       struct hv_diags *d);
/*
 * The same from fd, whose first headlen bytes were already read into
 * head (a sniffing caller's; may be 0).  Skips by lseek() where fd is a
 * regular file, else by reading and dropping (constant memory).
 */
int cpuid_read_stream_fd(int fd, const void *head, size_t headlen, const char *name,
			 struct cpuid_data *ret, struct cpuid_stream_info *info,
			 struct hv_diags *d);
/*
 * Opens path ("-" for stdin) and reads it with cpuid_read_stream_fd();
 * -EMEDIUMTYPE (with an error) when it is not a saved image.
 */
int cpuid_read_saved(const char *path, struct cpuid_data *ret,
		     struct cpuid_stream_info *info, struct hv_diags *d);

/*
 * Whether a guest with CPUID policy `guest` (a saved image's) can be
 * restored where `host` is what the hypervisor can give (Xen's PV Max or
 * HVM Max policy, else a CPU).  Xen 4.17 itself refuses a policy only by
 * its audit (xen/lib/x86/policy.c, x86_cpu_policies_are_compatible():
 * maximum basic leaf, leaf 7 subleaves and extended leaf, and the
 * PLATFORM_INFO MSR's bits); features the host lacks it masks silently
 * on restore, under a guest that already saw them.  Both make a host
 * unfit.  A host that is only a feature list (features_only) carries no
 * maximum leaves or MSRs: its audit is skipped (audit_skipped), only
 * features are compared.
 */
#define CPUID_RESTORE_MAX_BITS 32
struct cpuid_restore {
	char refused[160];	/* why Xen's audit refuses it; "" when it passes */
	bool audit_skipped;	/* the host is a feature list: no maxima to audit */
	struct cpuid_featureset missing;	/* table features the guest has, the host lacks */
	/* Bits of Xen's feature words the guest has, the host lacks, that
	 * the feature table does not name (the first CPUID_RESTORE_MAX_BITS). */
	struct cpuid_restore_bit {
		uint32_t leaf, subleaf;
		uint8_t reg, bit;
	} bits[CPUID_RESTORE_MAX_BITS];
	size_t nbits;
};

/* Fills *ret; ok when refused is "" and nothing is missing (returns that). */
bool cpuid_restore_check(const struct cpuid_data *guest, const struct cpuid_data *host,
			 struct cpuid_restore *ret);
