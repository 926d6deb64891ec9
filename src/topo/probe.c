/* SPDX-License-Identifier: MIT */
/* Runs the probes in order; attaches OS devices to their PCI devices. */
#include <errno.h>
#include <stddef.h>
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

/*
 * Where a device off the PCI tree hangs: the NUMA node the nearest
 * "numa_node" up its sysfs path names (an NVDIMM region's), else the
 * machine.  hwloc places these by the same attribute.
 */
static struct topo_obj *numa_parent(struct probe_ctx *c, const char *real)
{
	_cleanup_free_ char *dir = xstrdup(real);
	char *slash;

	while ((slash = strrchr(dir, '/')) && slash - dir > (ptrdiff_t)strlen("/sys/devices")) {
		_cleanup_free_ char *p = NULL, *v = NULL;
		struct topo_obj *node;
		char *end;
		long n;

		*slash = 0;
		p = xasprintf("%s/numa_node", dir);
		if (hv_root_read_str(c->root, p, &v) < 0)
			continue;
		n = strtol(v, &end, 10);
		if (end != v && n >= 0 && n < CPUSET_MAX &&
		    (node = topo_find(c->t->root, TOPO_NUMA, n)))
			return node;
		break;
	}
	return c->t->root;
}

/* Persistent memory off the PCI tree: pmem block devices and device-DAX
 * (not the ones the kmem driver made system RAM), as lstopo shows them. */
static int probe_nvdimm_osdev(struct probe_ctx *c)
{
	static const char *const dirs[] = { "/sys/class/block", "/sys/bus/dax/devices" };
	int found = 0;

	for (size_t k = 0; k < ARRAY_SIZE(dirs); k++) {
		char **names = NULL;
		size_t n = 0;

		if (hv_root_list(c->root, dirs[k], &names, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", dirs[k], names[i]);
			_cleanup_free_ char *real = NULL, *kmem = NULL;
			struct topo_obj *o;

			kmem = xasprintf("/sys/bus/dax/drivers/kmem/%s", names[i]);
			if (hv_root_realpath(c->root, p, &real) < 0 ||
			    !strstr(real, "/ndbus") || hv_root_exists(c->root, kmem))
				continue;
			o = topo_obj_new(TOPO_OS_DEVICE, -1);
			o->name = xstrdup(names[i]);
			o->kind = xstrdup(k ? "dax" : "block");
			topo_obj_add(numa_parent(c, real), o);
			found++;
		}
		hv_strv_free(names, n);
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
	found += probe_nvdimm_osdev(c);
	return found ? 0 : -ENOENT;
}

/* A GPU memory node's pci_device must name a device of the tree: one
 * the PCI probe left out (no config space) is warned about and unnamed. */
static int check_gpu_node(struct topo_obj *o, void *ctx)
{
	struct probe_ctx *c = ctx;

	if (o->type != TOPO_NUMA || !o->address || find_pci(c->t->root, o->address))
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
