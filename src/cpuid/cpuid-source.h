/* SPDX-License-Identifier: MIT */
/* Where CPUID values come from: this CPU, or a dump file. */
#pragma once

#include <stdbool.h>
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
/*
 * libvirt's <cpudata arch='x86'> (tests/cputestdata x86_64-cpuid-*.xml),
 * by a dedicated reader of that shape (no libxml2).
 */
int cpuid_parse_libvirt(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d);
/*
 * The same with libxml2: the reader cpuid_parse_libvirt() replaced, kept
 * as its judge for the tests and the fuzz target (same results, same
 * warnings; error wording may differ).
 */
int cpuid_parse_libvirt_xml2(const char *buf, size_t len, const char *name,
			     struct cpuid_data *ret, struct hv_diags *d);
/*
 * QEMU's QMP JSON: a reply ({"return": ...}), a bare return value, or a
 * transcript (one JSON value after another: replies, events, the
 * greeting, and optionally the commands).  The CPU is read from
 *   - a qom-get of a CPU's "feature-words": a list of {"cpuid-input-eax",
 *     "cpuid-input-ecx" (optional), "cpuid-register", "features"}, the
 *     register values of the feature leaves (a reply that follows a
 *     qom-get of "filtered-features" in the transcript is not the CPU's);
 *   - else a query-cpu-model-expansion reply ({"model": {"name", "props"}}):
 *     the props that are feature names (QEMU's spelling) set to true, and
 *     vendor, family, model, stepping, model-id, level, xlevel, xlevel2
 *     where the props carry them (type=full does).
 * The first list of feature words is used, else the first expansion.  Leaves the reply does not give are
 * synthesised only as far as the readers need them: each range's maximum
 * leaf, leaf 7's subleaf count, and KVM's signature when a KVM feature
 * word is set.  Errors name the byte offset (and line:column).
 */
int cpuid_parse_qmp(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d);
/*
 * Xen's `xen-cpuid -p` (the system policies: Raw, Host, PV Max, HVM Max,
 * PV Default, HVM Default) or `xen-cpuid -p DOMID` (one "Domain N"
 * policy).  section names the policy to read, as its title folded
 * (case, blanks, '-' and '_' ignored: "pv-default", "host", "domain-3");
 * NULL reads the first.  Leaves Xen prints with subleaf ffffffff (no
 * subleaf) are stored under subleaf 0.
 */
int cpuid_parse_xen(const char *buf, size_t len, const char *name,
		    const char *section, struct cpuid_data *ret,
		    struct hv_diags *d);
/* True when the first non-blank line is one `xen-cpuid -p` prints first. */
bool cpuid_looks_like_xen(const char *buf, size_t len);
/* Any of the above, told apart by content: '<' starts XML, '{' or '['
 * JSON, "Xen reports" or "... policy: " xen-cpuid, anything else text. */
int cpuid_parse_any(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d);
/*
 * Reads path ("-" for standard input) and parses it with cpuid_parse_any().
 * "PATH#SECTION", when PATH#SECTION is not itself a file, reads policy
 * SECTION of `xen-cpuid -p` output in PATH (see cpuid_parse_xen()).
 */
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
 * The same leaves as the kernel sees them: through Linux's cpuid driver,
 * SYSROOT/dev/cpu/CPU/cpuid (root and `modprobe cpuid`; a regular file
 * there is read as a dump, as --from reads it: a capture's stand-in).
 * Under a nested paravirtual hypervisor this may differ from what the
 * instruction says in user space (see cpuid_views_compare()).
 */
int cpuid_read_kernel(const char *sysroot, unsigned cpu, struct cpuid_data *ret,
		      struct hv_diags *d);

/*
 * Appends c in our dump format: a "# hvkit cpuid dump 1" line, an
 * "# origin: ..." line when known, then one line per leaf exactly as
 * `cpuid -r` prints them ("   0x00000007 0x00: eax=0x... ebx=... ...")
 * and one "msr 0x0000010a: 0x..." line per MSR.  cpuid_parse_text() reads
 * it back to an equal set with the same origin.
 */
void cpuid_dump(const struct cpuid_data *c, struct strbuf *out);
