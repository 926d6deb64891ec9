/* SPDX-License-Identifier: MIT */
/* `topo where`: where a device or NUMA node sits, in answers ready to use:
 * its NUMA node and local CPUs, its path and narrowest link to the CPUs,
 * its IOMMU group.  Library code: nothing here prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "model.h"
#include "strbuf.h"

/* One object on the way from a device up to the host bridge. */
struct where_hop {
	const struct topo_obj *obj;	/* PCI device, bridge or host bridge */
	bool link;			/* obj is the downstream end of a link */
	struct topo_link sta, cap;	/* trained; what both ends can do */
	double sta_gbps, cap_gbps;	/* GB/s per direction, 0 = unknown */
	bool degraded;			/* sta below cap in speed or width */
};

struct where {
	const struct topo_obj *obj;	/* what was asked for */
	const struct topo_obj *pci;	/* its PCI function, or NULL */
	/* The CPU-side object the device or node hangs below (hwloc's
	 * "non-I/O ancestor"): a package, group, the machine... */
	const struct topo_obj *locality;
	const struct topo_obj *node;	/* the NUMA node it hangs from, or NULL */
	/* The NUMA nodes local to cpus: those whose locality lies within it
	 * or holds it (hwloc-calc --local-memory), in os_index order. */
	const struct topo_obj **nodes;
	size_t nnodes;
	struct cpuset cpus;		/* local CPUs, offline ones left out */
	struct where_hop *hops;		/* the device first, the host bridge last */
	size_t nhops;
	long narrowest;			/* index into hops, -1 when no link known */
	bool degraded;			/* some link of the path is */
	/* IOMMU group: every PCI function with the same number, in address
	 * order (the device itself among them); -1 when it has none,
	 * TOPO_IOMMU_BAD when it has one the input cannot tell. */
	int iommu_group;
	bool xen;			/* the machine as Xen sees it (dom0) */
	const struct topo_obj **group;
	size_t ngroup;
	/* A NUMA node: the I/O devices below it (PCI devices and named OS
	 * devices), in tree order. */
	const struct topo_obj **io;
	size_t nio;
};

#define WHERE_INIT { .narrowest = -1, .iommu_group = -1 }

void where_release(struct where *w);

/*
 * Finds what in t and fills ret.  what is an OS device name ("eth0",
 * "/dev/nvme0n1", hwloc's "os=eth0"), a PCI address ("0000:3b:00.0",
 * "3b:00.0" in any domain, "pci=..."; host bridges as "0000:3a"), or a
 * NUMA node ("node1", "node:1", "numa1", "numa:1").  Returns 0, -ENOENT
 * when nothing has that name, -EINVAL when it names several things (a
 * bus:dev.fn in more than one domain); either adds one message to d that
 * says what is known.  ret must be WHERE_INIT; release it either way.
 */
int topo_where(const struct topo *t, const char *what, struct where *ret,
	       struct hv_diags *d);

/*
 * The CPU mask as hwloc prints it: 32-bit words, most significant first,
 * each "0x%08x", joined by commas; "0x0" when empty.
 */
void where_cpu_mask(const struct cpuset *s, struct strbuf *out);

/* Text for a person; JSON as hvkit-topo(1) documents under WHERE. */
void where_render_text(const struct where *w, struct strbuf *out);
void where_render_json(const struct where *w, bool pretty, struct strbuf *out);
