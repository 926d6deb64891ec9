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
 * libvirt's description of a CPU by model and features: the host <cpu>
 * of `virsh capabilities` (<capabilities><host><cpu>), the host-model
 * <mode> of `virsh domcapabilities`, or a bare <cpu> (either shape;
 * <feature policy='disable|forbid'> removes).  The model is expanded with
 * libvirt's cpu_map (cpuid_lvmap_load(): the installed one, else the
 * built-in copy, or what cpuid_source_set_libvirt_map() names); vendor and
 * <signature> fill leaf 0 and 1.  Features only: the origin says so.  A
 * model or vendor the map lacks, a bad policy or number, or a CPU that
 * names nothing is an error naming the line; a feature name the map lacks
 * is a warning.
 */
int cpuid_parse_libvirt_cpu(const char *buf, size_t len, const char *name,
			    struct cpuid_data *ret, struct hv_diags *d);
/* True when the root element is <capabilities>, <domainCapabilities> or <cpu>. */
bool cpuid_looks_like_libvirt_cpu(const char *buf, size_t len);
/* The cpu_map folder cpuid_parse_libvirt_cpu() reads (NULL: the default;
 * see cpuid_lvmap_load()); the string must outlive the reads. */
void cpuid_source_set_libvirt_map(const char *dir);
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
/*
 * Linux's /proc/cpuinfo (x86): the first processor's block.  Its flags
 * (the table's CPUID features by their Linux names; Linux's own flags
 * such as constant_tsc are no CPUID bits and are left out) become the
 * feature bits, and vendor_id, cpu family/model/stepping and model name,
 * where present, the identification; the maxima are made up to cover
 * them.  Features only: Linux hides some bits and adds others, so the
 * origin says "(features only, from /proc/cpuinfo flags)".  An error
 * names the line of a bad value, or a missing flags line.
 */
int cpuid_parse_cpuinfo(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d);
/* True when buf starts with "processor\t: " or its first block has a
 * flags line. */
bool cpuid_looks_like_cpuinfo(const char *buf, size_t len);
/* The length of the first processor's block (up to the first empty line). */
size_t cpuid_cpuinfo_first(const char *buf, size_t len);
/* The value of "KEY<blanks>: value" in block, trimmed, or NULL; *len its length. */
const char *cpuid_cpuinfo_field(const char *block, size_t blen, const char *key, size_t *len);
/* The features named by the words of flags (Linux names, CPUID bits
 * only) into *ret; returns how many words name none. */
size_t cpuid_cpuinfo_flags(const char *flags, size_t len, struct cpuid_featureset *ret);

/*
 * Parses one `puN` file of hwloc-gather-cpuid: lines
 * "MASK EAX EBX ECX EDX => EAX EBX ECX EDX" in hex, where MASK says which
 * inputs matter (bit 0 EAX, bit 2 ECX: the subleaf); '#' starts a
 * comment.  Results without an ECX input are stored as subleaf 0.  Lines
 * of any other shape are skipped with one warning; -EINVAL when no line
 * is a CPUID result; -EPIPE (an error naming the line) when the last line
 * has no newline (hwloc ends each: the file is cut).  Messages name
 * "name:LINE".
 */
int cpuid_parse_hwloc(const char *buf, size_t len, const char *name,
		      struct cpuid_data *ret, struct hv_diags *d);
/* True when buf looks like a hwloc-gather-cpuid file ("... => ..."). */
bool cpuid_looks_like_hwloc(const char *buf, size_t len);

/* Per-PU dumps: PU numbers and values, sorted by number.  Zero it to
 * start; cpuid_pus_release() frees it. */
struct cpuid_pus {
	unsigned *cpu;
	struct cpuid_data *data;
	size_t n, alloc;
};
void cpuid_pus_release(struct cpuid_pus *p);

struct hv_root;
/*
 * Reads the files "puN" (hwloc-gather-cpuid) and "cpuN" (our dump, `cpuid
 * -r`) of dir in root, each at most CPUID_MAX_FILE bytes (N below
 * CPUSET_MAX).  A file that
 * does not read is a warning ("..., ignoring"); a hwloc file whose last
 * line has no newline (a cut copy) is an error naming the file and line,
 * and -EPIPE.  Messages name the file "NAME:puN" (its path in root when
 * name is NULL).  -ENOENT when none reads, or dir cannot be listed (its
 * errno).
 */
int cpuid_read_pus(struct hv_root *root, const char *dir, const char *name,
		   struct cpuid_pus *ret, struct hv_diags *d);
/*
 * The first PU of p (the lowest number), moved to *ret with the origin
 * "NAME (per-PU CPUID dumps: PU N of M)", and one warning naming how the
 * others differ from it (core type of a hybrid CPU, signature, features
 * some lack or have).  p must hold at least one PU.
 */
int cpuid_pus_first(struct cpuid_pus *p, const char *name, struct cpuid_data *ret,
		    struct hv_diags *d);
/* cpuid_read_pus() of root's top, then cpuid_pus_first(). */
int cpuid_read_pus_root(struct hv_root *root, const char *name, struct cpuid_data *ret,
			struct hv_diags *d);
/* Any of the above, told apart by content: a Xen saved domain or
 * migration stream (cpuid_parse_stream()), xen-cpuid output ("Xen
 * reports", "... policy: "), an archive (per-PU dumps, PU 0 used), XML
 * (<capabilities>, <domainCapabilities> or <cpu>: libvirt's CPU; else
 * <cpudata>), '{' or '[' JSON, "MASK ... => ..." a hwloc puN file,
 * /proc/cpuinfo, anything else `cpuid -r` text or our dump. */
int cpuid_parse_any(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d);
/*
 * Reads path ("-" for standard input) and parses it with cpuid_parse_any();
 * a directory is read as per-PU dumps (hwloc-gather-cpuid's: PU 0 used).
 * "PATH#SECTION", when PATH#SECTION is not itself a file, reads policy
 * SECTION of `xen-cpuid -p` output in PATH (see cpuid_parse_xen()).
 */
int cpuid_read_file(const char *path, struct cpuid_data *ret,
		    struct hv_diags *d);
/*
 * The same, reading policy xen_default (a section name, as for
 * "PATH#SECTION") of `xen-cpuid -p` output that names none; *ret_policy
 * (may be NULL) is set to the policy read, and left alone for another
 * format.
 */
int cpuid_read_file_xen(const char *path, const char *xen_default, const char **ret_policy,
			struct cpuid_data *ret, struct hv_diags *d);

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
