/* SPDX-License-Identifier: MIT */
/* OS devices (block, net, GPU, DAX, ...) from the sysfs classes hwloc's
 * Linux backend reads, attached where hwloc does: below their PCI
 * function, else their NUMA node, else the machine. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* A PCI address "[dddd]dddd:bb:dd.f" spelled as the kernel does, at the
 * start of s and ending at '/' or the end; canonical spelling in buf. */
static bool pci_component(const char *s, char buf[24])
{
	unsigned long dom;
	unsigned bus, dev, fn;
	size_t nd = strspn(s, "0123456789abcdef");
	int len = 0;

	if (nd < 4 || nd > 8 ||
	    sscanf(s, "%lx:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &len) != 4 ||
	    (size_t)len != nd + 8 || (s[len] != '/' && s[len] != 0) || dev > 0x1f)
		return false;
	snprintf(buf, 24, "%04lx:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

/*
 * The PCI function a device's sysfs path lies below, as hwloc finds it:
 * the last of the addresses that follow the "/pciDDDD:BB" root in a row
 * (later ones are behind bridges), whatever the width of the domain
 * (VMD's 10000:00:...).  NULL when there is none.
 */
static const char *pci_of_path(const char *path, char buf[24])
{
	const char *p = strstr(path, "/pci");
	const char *found = NULL;

	if (!p || !(p = strchr(p + 4, '/')))
		return NULL;
	for (p++; pci_component(p, buf); p = strchr(p, '/') + 1) {
		found = buf;
		if (!strchr(p, '/'))
			break;
	}
	return found;
}

/*
 * The NUMA node a device off the PCI tree hangs from, as hwloc reads it:
 * a class device's device/numa_node, a bus device's own numa_node, else
 * its parent's (NVDIMM DAX before Linux 5.5).  NULL for none.
 */
static struct topo_obj *osdev_node(struct probe_ctx *c, const char *dev, bool bus)
{
	static const char *const class_files[] = { "device/numa_node" };
	static const char *const bus_files[] = { "numa_node", "../numa_node" };
	const char *const *files = bus ? bus_files : class_files;
	size_t n = bus ? ARRAY_SIZE(bus_files) : ARRAY_SIZE(class_files);

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dev, files[i]), *v = NULL;
		char *end;
		long id;

		if (hv_root_read_str(c->root, p, &v) < 0)
			continue;
		errno = 0;
		id = strtol(v, &end, 10);
		if (end == v || *end || errno || id < 0)
			continue;
		return id < CPUSET_MAX ? topo_find(c->t->root, TOPO_NUMA, id) : NULL;
	}
	return NULL;
}

/* The OS device classes hwloc's Linux backend reads (lstopo --whole-io
 * shows them all), and nvme controllers. */
static const struct osdev_class {
	const char *dir, *kind;
	bool bus;		/* a bus device: attributes of its own */
	bool need_dev;		/* only those with a dev number (drm: not the outputs) */
	bool minor;		/* shown by lstopo only with --whole-io */
	const char *skip;	/* names that start so are not devices */
} osdev_classes[] = {
	{ "/sys/class/block", "block", false, false, false, NULL },
	{ "/sys/bus/dax/devices", "dax", true, false, false, NULL },
	{ "/sys/class/net", "net", false, false, false, NULL },
	{ "/sys/class/infiniband", "openfabrics", false, false, false, "scif" },
	{ "/sys/class/bxi", "net", false, false, false, NULL },
	{ "/sys/class/ve", "coproc", false, false, false, NULL },
	{ "/sys/class/drm", "gpu", false, true, false, NULL },
	{ "/sys/class/dma", "dma", false, false, true, NULL },
	{ "/sys/class/nvme", "nvme", false, false, false, NULL },
};

/* One device of class k: NULL when it is none hwloc would show. */
static struct topo_obj *osdev_parent(struct probe_ctx *c, const struct osdev_class *k,
				     const char *dev, bool *minor)
{
	_cleanup_free_ char *real = NULL;
	struct topo_obj *parent;
	char addr[24];
	const char *a;

	if (hv_root_realpath(c->root, dev, &real) < 0 || strstr(real, "/virtual/"))
		return NULL;
	/* USB storage: lstopo shows it with --whole-io only */
	*minor = k->minor || strstr(real, "/usb");
	if ((a = pci_of_path(real, addr)) && (parent = probe_find_pci(c->t->root, a)))
		return parent;
	parent = osdev_node(c, dev, k->bus);
	return parent ? parent : c->t->root;
}

int probe_sysfs_osdev(struct probe_ctx *c)
{
	int found = 0;

	for (size_t k = 0; k < ARRAY_SIZE(osdev_classes); k++) {
		const struct osdev_class *cl = &osdev_classes[k];
		char **names = NULL;
		size_t n = 0;

		if (hv_root_list(c->root, cl->dir, &names, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *dev = xasprintf("%s/%s", cl->dir, names[i]);
			_cleanup_free_ char *part = xasprintf("%s/partition", dev);
			_cleanup_free_ char *num = xasprintf("%s/dev", dev);
			_cleanup_free_ char *kmem = xasprintf("/sys/bus/dax/drivers/kmem/%s", names[i]);
			struct topo_obj *parent, *o;
			bool minor = false;

			if ((cl->skip && str_startswith(names[i], cl->skip)) ||
			    hv_root_exists(c->root, part) ||	/* a partition, not a disk */
			    (cl->need_dev && !hv_root_exists(c->root, num)) ||
			    /* DAX the kmem driver made system RAM: a NUMA node */
			    (cl->bus && hv_root_exists(c->root, kmem)) ||
			    !(parent = osdev_parent(c, cl, dev, &minor)))
				continue;
			o = topo_obj_new(TOPO_OS_DEVICE, -1);
			o->name = xstrdup(names[i]);
			o->kind = xstrdup(cl->kind);
			o->osdev_minor = minor;
			topo_obj_add(parent, o);
			found++;
		}
		hv_strv_free(names, n);
	}
	return found ? 0 : -ENOENT;
}
