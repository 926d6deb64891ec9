/* SPDX-License-Identifier: MIT */
/* Where CPUID values come from: this CPU, or a dump file. */
#pragma once

#include <stddef.h>

#include "cpuid-data.h"
#include "diag.h"
#include "strbuf.h"

/* Input files larger than this are refused before parsing. */
#define CPUID_MAX_FILE (16u << 20)

/*
 * Every reader fills *ret only on success (it is initialised by the
 * reader; release it with cpuid_data_release()) and returns 0, or a
 * negative errno with the reason as the last error in d.  Messages name
 * the input as "NAME:LINE: reason" (NAME is the name argument), so the
 * caller prints them with log_diags(NULL, d).  Problems that leave the
 * result usable (a dump of several CPUs, of which CPU 0 is used) are
 * warnings.
 */

/* Text: `cpuid -r` (all CPUs: CPU 0 is used), `cpuid -1 -r`, or our dump. */
int cpuid_parse_text(const char *buf, size_t len, const char *name,
		     struct cpuid_data *ret, struct hv_diags *d);
/* libvirt's <cpudata arch='x86'> (tests/cputestdata x86_64-cpuid-*.xml). */
int cpuid_parse_libvirt(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d);
/* Either of the above, told apart by the first non-blank character. */
int cpuid_parse_any(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d);
/* Reads path ("-" for standard input) and parses it with cpuid_parse_any(). */
int cpuid_read_file(const char *path, struct cpuid_data *ret,
		    struct hv_diags *d);

/*
 * This CPU, through the CPUID instruction: every basic leaf up to the
 * maximum and the subleaves of the leaves that have them, the extended
 * leaves, the hypervisor leaves when the hypervisor bit is set, and the
 * Centaur/Zhaoxin leaves on those CPUs.  -EOPNOTSUPP off x86.
 */
int cpuid_read_host(struct cpuid_data *ret, struct hv_diags *d);

/*
 * Appends c in our dump format: a "# hvkit cpuid dump 1" line, an
 * "# origin: ..." line when known, then one line per leaf exactly as
 * `cpuid -r` prints them ("   0x00000007 0x00: eax=0x... ebx=... ...")
 * and one "msr 0x0000010a: 0x..." line per MSR.  cpuid_parse_text() reads
 * it back to an equal set with the same origin.
 */
void cpuid_dump(const struct cpuid_data *c, struct strbuf *out);
