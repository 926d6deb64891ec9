/* SPDX-License-Identifier: MIT */
/* Runs the probes in order; attaches OS devices to their PCI devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static struct topo_obj *find_pci(struct topo_obj *o, const char *addr)
{
	if ((o->type == TOPO_PCI_DEVICE || o->type == TOPO_PCI_BRIDGE) &&
	    o->address && strcmp(o->address, addr) == 0)
		return o;
	for (size_t i = 0; i < o->nkids; i++) {
		struct topo_obj *r = find_pci(o->kids[i], addr);

		if (r)
			return r;
	}
	return NULL;
}

/* The last dddd:bb:dd.f component of a sysfs path, or NULL. */
static const char *last_pci_component(const char *path, char *buf, size_t sz)
{
	const char *found = NULL;
	const char *p = path;

	while ((p = strchr(p, '/'))) {
		unsigned a, b, c, d;
		char tail;

		p++;
		if (sscanf(p, "%4x:%2x:%2x.%1x%c", &a, &b, &c, &d, &tail) >= 4 &&
		    (tail == '/' || tail == 0)) {
			snprintf(buf, sz, "%04x:%02x:%02x.%x", a, b, c, d);
			found = buf;
		}
	}
	return found;
}

int probe_sysfs_osdev(struct probe_ctx *c)
{
	static const struct { const char *cls, *kind; } classes[] = {
		{ "net", "net" }, { "block", "block" }, { "nvme", "nvme" },
		{ "drm", "gpu" }, { "infiniband", "openfabrics" },
	};
	int found = 0;

	for (size_t k = 0; k < ARRAY_SIZE(classes); k++) {
		char dir[64];
		char **names = NULL;
		size_t n = 0;

		snprintf(dir, sizeof(dir), "/sys/class/%s", classes[k].cls);
		if (hv_root_list(c->root, dir, &names, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			char p[256], addr[16];
			_cleanup_free_ char *real = NULL;
			struct topo_obj *dev, *o;

			snprintf(p, sizeof(p), "%s/%s/partition", dir, names[i]);
			if (hv_root_exists(c->root, p))
				continue;	/* a partition, not a disk */
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			if (hv_root_realpath(c->root, p, &real) < 0 ||
			    !last_pci_component(real, addr, sizeof(addr)) ||
			    !(dev = find_pci(c->t->root, addr)))
				continue;
			o = topo_obj_new(TOPO_OS_DEVICE, -1);
			o->name = xstrdup(names[i]);
			o->kind = xstrdup(classes[k].kind);
			topo_obj_add(dev, o);
			found++;
		}
		hv_strv_free(names, n);
	}
	return found ? 0 : -ENOENT;
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
	(void)probe_sysfs_osdev(c);
	(void)probe_sysfs_security(c);
	topo_sort(c->t->root);
	return any ? 0 : -ENOENT;
}
