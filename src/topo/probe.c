/* SPDX-License-Identifier: MIT */
/* Runs the probes in order. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

struct topo_obj *probe_find_pci(struct topo_obj *o, const char *addr)
{
	if ((o->type == TOPO_PCI_DEVICE || o->type == TOPO_PCI_BRIDGE) &&
	    o->address && strcmp(o->address, addr) == 0)
		return o;
	for (size_t i = 0; i < o->nkids; i++) {
		struct topo_obj *r = probe_find_pci(o->kids[i], addr);

		if (r)
			return r;
	}
	return NULL;
}

/* A GPU memory node's pci_device must name a device of the tree: one
 * the PCI probe left out (no config space) is warned about and unnamed. */
static int check_gpu_node(struct topo_obj *o, void *ctx)
{
	struct probe_ctx *c = ctx;

	if (o->type != TOPO_NUMA || !o->address || probe_find_pci(c->t->root, o->address))
		return 0;
	hv_warnf(c->d, "NUMA node %lld is the memory of GPU %s, which is not among the PCI devices read; its pci_device is left out",
		 (long long)o->os_index, o->address);
	free(o->address);
	o->address = NULL;
	return 0;
}

int probe_all(struct probe_ctx *c)
{
	bool cpus = false, any = false;

	/* A half tree still shows what it has: NUMA nodes without CPU
	 * topology, firmware tables without sysfs. */
	if (probe_xen(c) == 0) {
		any = true;	/* dom0's own vCPUs are not the machine */
	} else {
		cpus = probe_sysfs_cpus(c) == 0;
		cpus |= probe_cpuid(c) == 0;	/* x86: what sysfs lacks */
		any |= cpus;
		any |= probe_sysfs_numa(c) == 0;
	}
	any |= probe_sysfs_machine(c) == 0;
	any |= probe_acpi(c) == 0;
	any |= probe_smbios(c) == 0;
	any |= probe_pci(c) == 0;
	(void)topo_walk(c->t->root, check_gpu_node, c);
	(void)probe_sysfs_osdev(c);
	(void)probe_sysfs_security(c);
	topo_sort(c->t->root);
	return any ? 0 : -ENOENT;
}
