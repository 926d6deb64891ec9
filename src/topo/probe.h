/* SPDX-License-Identifier: MIT */
/* Probes: fill a struct topo from a root (live, --sysroot or --from). */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "model.h"
#include "rootfs.h"

/* /proc/cpuinfo is about 1.5 KiB per CPU (x86, with its flags and bugs):
 * 16 MiB holds 10000 CPUs; a larger one is warned about and ignored. */
#define CPUINFO_MAX (16u << 20)

struct probe_ctx {
	struct hv_root *root;
	struct topo *t;
	struct hv_diags *d;		/* warnings, prefixed by the caller */
	bool keep_serials;
	bool live;			/* PCI through libpci, not sysfs files */
	const char *pcidump;		/* set by --from: an lspci -x dump path */
};

/* Each returns 0 when it found what it looks for, -ENOENT when the root
 * has none of it, or another negative errno. */
int probe_sysfs_cpus(struct probe_ctx *c);
int probe_sysfs_numa(struct probe_ctx *c);
int probe_sysfs_machine(struct probe_ctx *c);
int probe_sysfs_security(struct probe_ctx *c);
int probe_sysfs_osdev(struct probe_ctx *c);
/* x86: packages, dies, cores, PUs and caches from per-PU CPUID where the
 * tree has none of them (a VM without cache/ in sysfs, a --from of CPUID
 * dumps): the dumps of the root (/hvkit/cpuid/cpuN, hwloc's puN), else
 * this machine's CPUs when the root is live (recorded when capturing). */
int probe_cpuid(struct probe_ctx *c);
int probe_acpi(struct probe_ctx *c);
int probe_smbios(struct probe_ctx *c);
int probe_pci(struct probe_ctx *c);
/* Xen's physical view (libxl in dom0, or /hvkit/xen/ files of a capture):
 * replaces dom0's vCPUs by the machine's CPUs and NUMA nodes. */
int probe_xen(struct probe_ctx *c);

/* Runs every probe in order and sorts the tree. */
int probe_all(struct probe_ctx *c);

/* sysfs-like helpers shared by the probes */
/* The PCI device or bridge at addr (dddd:bb:dd.f) below o; NULL if none. */
struct topo_obj *probe_find_pci(struct topo_obj *o, const char *addr);
int probe_read_cpuset(struct probe_ctx *c, const char *list_path,
		      const char *mask_path, struct cpuset *ret);
