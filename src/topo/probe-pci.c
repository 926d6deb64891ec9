/* SPDX-License-Identifier: MIT */
/* The PCI/PCIe tree: config space through libpci (live) or sysfs files. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "pcicfg.h"
#include "pcinames.h"
#include "probe.h"

#define PCIDEVS "/sys/bus/pci/devices"

struct pcidev {
	unsigned domain, bus, dev, func;
	char addr[16];
	uint8_t *cfg;
	size_t len;
	struct topo_obj *obj;
	char *realpath;		/* sysfs location, NULL for dumps */
	bool group_read;	/* its IOMMU group's members are known */
};

struct pcilist {
	struct pcidev *v;
	size_t n, alloc;
};

static void pcilist_add(struct pcilist *l, unsigned dom, unsigned bus,
			unsigned dev, unsigned fn, const void *cfg, size_t len)
{
	l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
	struct pcidev *p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->domain = dom;
	p->bus = bus;
	p->dev = dev;
	p->func = fn;
	snprintf(p->addr, sizeof(p->addr), "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	p->cfg = xmalloc(len ? len : 1);
	memcpy(p->cfg, cfg, len);
	p->len = len;
}

static bool parse_addr(const char *s, unsigned *dom, unsigned *bus,
		       unsigned *dev, unsigned *fn)
{
	char tail;

	return sscanf(s, "%x:%x:%x.%x%c", dom, bus, dev, fn, &tail) == 4 &&
	       *bus < 256 && *dev < 32 && *fn < 8;
}

/* libpci reports fatal errors through a noreturn callback: jump back. */
static jmp_buf *pci_jmp;

__attribute__((noreturn, format(printf, 1, 2)))
static void pci_error(char *msg, ...)
{
	(void)msg;
	if (pci_jmp)
		longjmp(*pci_jmp, 1);
	abort();
}

__attribute__((format(printf, 1, 2)))
static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

/* Little-endian store of a config dword read through libpci. */
static void put32(uint8_t *p, u32 v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Reads what the decoder needs of a device's config space into buf (4096
 * bytes, zeroed where not read) and returns how far it is valid.  Every
 * config access can trap to a hypervisor or walk a slow bus, so instead
 * of all 4096 bytes it reads the 256-byte header and capability area,
 * then only the extended capability headers (and the SR-IOV body): on a
 * virtual machine here that is 30 times faster than a whole read.
 */
static size_t read_config(struct pci_dev *d, uint8_t *buf)
{
	size_t got = 0;

	memset(buf, 0, 4096);
	if (pci_read_block(d, 0, buf, 256))
		got = 256;
	else if (pci_read_block(d, 0, buf, 64))
		return 64;
	else
		return 0;

	/* Extended capabilities exist on PCIe devices only. */
	bool pcie = false;
	if (buf[6] & 0x10) {
		unsigned where = buf[0x34] & 0xfc;

		for (int n = 0; n < 48 && where >= 0x40; n++) {
			if (buf[where] == 0x10)
				pcie = true;
			where = buf[where + 1] & 0xfc;
		}
	}
	if (!pcie)
		return got;
	unsigned where = 0x100;
	for (int n = 0; n < 512 && where >= 0x100 && where < 4096; n++) {
		u32 hdr = pci_read_long(d, (int)where);

		if (hdr == 0 || hdr == 0xffffffff)
			break;
		put32(buf + where, hdr);
		got = 4096;
		if ((hdr & 0xffff) == 0x10 && where + 0x40 <= 4096)
			(void)pci_read_block(d, (int)where, buf + where, 0x40);
		where = (hdr >> 20) & 0xffc;
		if (!where)
			break;
	}
	return got;
}

/* Live: scan with libpci, read each device's config space. */
static int scan_libpci(struct probe_ctx *c, struct pcilist *l)
{
	struct pci_access *volatile a = pci_alloc();
	jmp_buf jb;
	int rc = 0;

	if (!a)
		return -ENOMEM;
	a->error = pci_error;
	a->warning = pci_quiet;
	a->debug = pci_quiet;
	pci_jmp = &jb;
	if (setjmp(jb)) {
		hv_warnf(c->d, "libpci could not scan the PCI bus");
		rc = -EIO;
		goto out;
	}
	pci_init(a);
	pci_scan_bus(a);
	for (struct pci_dev *d = a->devices; d; d = d->next) {
		uint8_t buf[4096];
		size_t got = read_config(d, buf);

		if (!got)
			continue;
		pcilist_add(l, (unsigned)d->domain, d->bus, d->dev, d->func, buf, got);
		char path[128];
		snprintf(path, sizeof(path), PCIDEVS "/%s/config", l->v[l->n - 1].addr);
		(void)hv_root_record_file(c->root, path, buf, got);
	}
out:
	pci_jmp = NULL;
	pci_cleanup(a);
	return rc;
}

/* Offline: /sys/bus/pci/devices/<addr>/config files in the root. */
static int scan_sysfs(struct probe_ctx *c, struct pcilist *l)
{
	char **names = NULL;
	size_t n = 0;
	int rc = hv_root_list(c->root, PCIDEVS, &names, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		unsigned dom, bus, dev, fn;
		char path[160];
		char *cfg = NULL;
		size_t len = 0;

		if (!parse_addr(names[i], &dom, &bus, &dev, &fn))
			continue;
		snprintf(path, sizeof(path), PCIDEVS "/%s/config", names[i]);
		if (hv_root_read(c->root, path, &cfg, &len) < 0 || len < 64) {
			/* Snapshots without config space: the attributes. */
			uint64_t v = 0, d = 0, cl = 0;
			uint8_t fake[64] = { 0 };

			free(cfg);
			snprintf(path, sizeof(path), PCIDEVS "/%s/vendor", names[i]);
			if (hv_root_read_u64(c->root, path, &v) < 0) {
				hv_warnf(c->d, "%s: no config space or vendor id, ignoring",
					 names[i]);
				continue;
			}
			snprintf(path, sizeof(path), PCIDEVS "/%s/device", names[i]);
			(void)hv_root_read_u64(c->root, path, &d);
			snprintf(path, sizeof(path), PCIDEVS "/%s/class", names[i]);
			(void)hv_root_read_u64(c->root, path, &cl);
			fake[0] = (uint8_t)v;
			fake[1] = (uint8_t)(v >> 8);
			fake[2] = (uint8_t)d;
			fake[3] = (uint8_t)(d >> 8);
			fake[9] = (uint8_t)cl;
			fake[10] = (uint8_t)(cl >> 8);
			fake[11] = (uint8_t)(cl >> 16);
			if ((cl >> 8) == 0x0604)
				fake[14] = 1;
			pcilist_add(l, dom, bus, dev, fn, fake, sizeof(fake));
			continue;
		}
		pcilist_add(l, dom, bus, dev, fn, cfg, len);
		free(cfg);
	}
	hv_strv_free(names, n);
	return 0;
}

/* A group number as the kernel writes it: decimal, no sign, no leading
 * zero, no space; -1 when s is none. */
static struct pcidev *find_dev(struct pcilist *l, const char *addr);

static int group_number(const char *s)
{
	uint64_t v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]) ||
	    strlen(s) > 10 || parse_u64(s, 10, &v) < 0 || v >= INT32_MAX)
		return -1;
	return (int)v;
}

/* ".../kernel/iommu_groups/12": the group the device's link names (what
 * passing it through takes: all of the group goes together).  A link
 * that names no group leaves the group unknown, not "none"; one to a
 * group the input lacks is read_iommu_groups()'s to judge. */
static void read_iommu_link(struct probe_ctx *c, struct pcidev *p)
{
	_cleanup_free_ char *path = xasprintf(PCIDEVS "/%s/iommu_group", p->addr);
	_cleanup_free_ char *grp = NULL;
	const char *b;
	int n;

	if (hv_root_readlink(c->root, path, &grp) < 0)
		return;
	b = strrchr(grp, '/');
	n = group_number(b ? b + 1 : grp);
	if (n < 0) {
		char *shown = str_printable(xstrdup(grp), false);

		hv_warnf(c->d, "%s: links to '%.64s', which names no IOMMU group; IOMMU group unknown",
			 path, shown);
		free(shown);
		p->obj->iommu_group = TOPO_IOMMU_BAD;
		p->obj->iommu_bad = "its iommu_group link names no group";
		return;
	}
	p->obj->iommu_group = n;
}

/*
 * The members of each IOMMU group: what /sys/kernel/iommu_groups/N/
 * devices lists, the kernel's own word, rather than each device's link.
 * A device that names a group which does not list it is unknown; where
 * a group cannot be listed (an older capture), its members are the
 * devices whose links name it, and a warning says so.
 */
static void read_iommu_groups(struct probe_ctx *c, struct pcilist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int g = l->v[i].obj->iommu_group;
		_cleanup_free_ char *dir = NULL;
		char **names = NULL;
		size_t n = 0;
		bool seen = false;

		if (g < 0)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = l->v[k].obj->iommu_group == g && l->v[k].group_read;
		if (seen)
			continue;
		dir = xasprintf("/sys/kernel/iommu_groups/%d/devices", g);
		if (hv_root_list(c->root, dir, &names, &n) < 0) {
			hv_warnf(c->d, "%s: cannot be listed; the group's members are the devices whose iommu_group link names it",
				 dir);
			for (size_t k = i; k < l->n; k++)
				if (l->v[k].obj->iommu_group == g)
					l->v[k].group_read = true;
			continue;
		}
		for (size_t k = 0; k < l->n; k++) {
			struct pcidev *d = &l->v[k];
			bool listed = false;

			for (size_t m = 0; m < n && !listed; m++)
				listed = strcmp(names[m], d->addr) == 0;
			if (listed && d->obj->iommu_group != g) {
				if (d->obj->iommu_group >= 0)
					hv_warnf(c->d, "%s: its iommu_group link says group %d, %s lists it; following the group",
						 d->addr, d->obj->iommu_group, dir);
				d->obj->iommu_group = g;
				d->obj->iommu_bad = NULL;
			} else if (!listed && d->obj->iommu_group == g) {
				hv_warnf(c->d, "%s: its iommu_group link names group %d, whose devices/ does not list it; IOMMU group unknown",
					 d->addr, g);
				d->obj->iommu_group = TOPO_IOMMU_BAD;
				d->obj->iommu_bad = "its group does not list it";
			}
			if (listed)
				d->group_read = true;
		}
		for (size_t m = 0; m < n; m++)
			if (!find_dev(l, names[m])) {
				char *shown = str_printable(xstrdup(names[m]), false);

				hv_warnf(c->d, "%s: lists '%.64s', which the input has no PCI device for",
					 dir, shown);
				free(shown);
			}
		hv_strv_free(names, n);
	}
}

static void read_attrs(struct probe_ctx *c, struct pcidev *p)
{
	struct topo_obj *o = p->obj;
	char path[192];
	_cleanup_free_ char *drv = NULL, *s = NULL;

	snprintf(path, sizeof(path), PCIDEVS "/%s", p->addr);
	if (hv_root_realpath(c->root, path, &p->realpath) < 0)
		return;
	snprintf(path, sizeof(path), PCIDEVS "/%s/numa_node", p->addr);
	if (hv_root_read_str(c->root, path, &s) == 0) {
		uint64_t v;

		/* -1 is the kernel's "none"; anything else that is not a
		 * node number is a lie, not node 1 of "1x" */
		if (parse_u64(s, 10, &v) == 0 && v < 65536)
			o->numa_node = (int)v;
		else if (strcmp(strstrip(s), "-1") != 0)
			hv_warnf(c->d, "%s: numa_node '%.16s' is no node number, ignoring it",
				 p->addr, s);
	}
	/* In dom0 the kernel does not know; Xen does. */
	for (size_t i = 0; o->numa_node < 0 && i < c->t->nxen_pci; i++)
		if (strcmp(c->t->xen_pci[i].address, p->addr) == 0)
			o->numa_node = c->t->xen_pci[i].node;
	snprintf(path, sizeof(path), PCIDEVS "/%s/driver", p->addr);
	if (hv_root_readlink(c->root, path, &drv) == 0) {
		const char *b = strrchr(drv, '/');

		o->driver = xstrdup(b ? b + 1 : drv);
	}
	read_iommu_link(c, p);
	snprintf(path, sizeof(path), PCIDEVS "/%s/physfn", p->addr);
	if (hv_root_exists(c->root, path))
		o->is_vf = true;
}

static struct pcidev *find_dev(struct pcilist *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].addr, addr) == 0)
			return &l->v[i];
	return NULL;
}

/* The device directly above p in sysfs ("/sys/devices/pci0000:00/
 * 0000:00:01.0/0000:01:00.0" -> 0000:00:01.0), or NULL at a root bus. */
static struct pcidev *sysfs_parent(struct pcilist *l, const struct pcidev *p)
{
	if (!p->realpath)
		return NULL;
	_cleanup_free_ char *dir = xstrdup(p->realpath);
	char *slash = strrchr(dir, '/');

	while (slash) {
		*slash = 0;
		slash = strrchr(dir, '/');
		const char *comp = slash ? slash + 1 : dir;
		unsigned a, b, cc, d;

		/* a bridge the input left out (a partial snapshot): the
		 * one above it, as the bus numbers would say */
		if (parse_addr(comp, &a, &b, &cc, &d) && find_dev(l, comp))
			return find_dev(l, comp);
		if (str_startswith(comp, "pci"))
			return NULL;
	}
	return NULL;
}

struct hostbridge {
	unsigned domain, bus;
	struct topo_obj *obj;
};

static void fill_obj(struct pcidev *p, const struct pcicfg *cfg,
		     struct pcinames *names)
{
	struct topo_obj *o = p->obj;
	char buf[256];

	o->address = xstrdup(p->addr);
	o->vendor_id = cfg->vendor;
	o->device_id = cfg->device;
	o->subvendor_id = cfg->subvendor;
	o->subdevice_id = cfg->subdevice;
	o->class_id = cfg->class_code;
	o->revision = cfg->revision;
	o->secondary_bus = cfg->secondary_bus;
	o->subordinate_bus = cfg->subordinate_bus;
	if (names) {
		if (pcinames_vendor(names, buf, sizeof(buf), cfg->vendor))
			o->vendor_name = xstrdup(buf);
		if (pcinames_device(names, buf, sizeof(buf), cfg->vendor,
				    cfg->device))
			o->device_name = xstrdup(buf);
		if (pcinames_class(names, buf, sizeof(buf), cfg->class_code))
			o->class_name = xstrdup(buf);
	}
	if (cfg->port_type_name)
		o->port_type = xstrdup(cfg->port_type_name);
	if (cfg->has_pcie && (cfg->link_cap.width || cfg->link_sta.width)) {
		o->has_link = true;
		o->link_cap = (struct topo_link){ cfg->link_cap.speed_gts,
						  cfg->link_cap.width };
		o->link_sta = (struct topo_link){ cfg->link_sta.speed_gts,
						  cfg->link_sta.width };
		o->link_flit = cfg->link_flit;
		o->link_dll = cfg->link_dll;
	}
	o->max_payload = cfg->max_payload;
	o->max_read_req = cfg->max_read_req;
	o->has_aer = cfg->has_aer;
	o->has_acs = cfg->has_acs;
	o->has_sriov = cfg->has_sriov;
	o->sriov_total_vfs = cfg->sriov_total_vfs;
	o->sriov_num_vfs = cfg->sriov_num_vfs;
}

/* The function of hb whose local_cpus hwloc reads: its first child. */
static const struct topo_obj *first_function(const struct topo_obj *hb)
{
	const struct topo_obj *first = NULL;

	for (size_t i = 0; i < hb->nkids; i++)
		if (hb->kids[i]->address &&
		    (!first || strcmp(hb->kids[i]->address, first->address) < 0))
			first = hb->kids[i];
	return first;
}

/* Whether node n is local to exactly the CPUs of set, offline ones aside. */
static bool local_to(const struct topo_obj *n, const struct cpuset *set,
		     const struct cpuset *off)
{
	struct cpuset a = { 0 }, b = { 0 };
	bool same;

	cpuset_copy(&a, topo_locality(n));
	cpuset_copy(&b, set);
	cpuset_or(&a, off);
	cpuset_or(&b, off);
	same = cpuset_equal(&a, &b);
	cpuset_release(&a);
	cpuset_release(&b);
	return same;
}

struct local_node {
	const struct cpuset *set, *off;
	struct topo_obj *best;
};

static int find_local_node(struct topo_obj *o, void *ctx)
{
	struct local_node *ln = ctx;

	/* one with CPUs rather than a memory-only node beside it */
	if (o->type == TOPO_NUMA && local_to(o, ln->set, ln->off) &&
	    (!ln->best || (!cpuset_count(&ln->best->cpus) && cpuset_count(&o->cpus))))
		ln->best = o;
	return 0;
}

/* The NUMA node local to exactly the CPUs of set, or NULL. */
static struct topo_obj *node_local_to(struct topo_obj *root, const struct cpuset *set,
				      const struct cpuset *off)
{
	struct local_node ln = { set, off, NULL };

	(void)topo_walk(root, find_local_node, &ln);
	return ln.best;
}

/* Two bridges that claim the same secondary bus: an input that lies.
 * Devices on that bus go below the last one (the parent search below);
 * say so once per bus, naming the first and the last claimant. */
static void warn_shared_buses(struct probe_ctx *c, const struct pcilist *l)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct topo_obj *b = l->v[k].obj;
		size_t last = k, more = 0;
		bool first = true;

		if (b->type != TOPO_PCI_BRIDGE || !b->secondary_bus)
			continue;
		for (size_t m = 0; m < l->n && first; m++) {
			const struct topo_obj *o = l->v[m].obj;

			if (m == k || o->type != TOPO_PCI_BRIDGE ||
			    l->v[m].domain != l->v[k].domain ||
			    o->secondary_bus != b->secondary_bus)
				continue;
			if (m < k)
				first = false;	/* warned at the first one */
			else
				last = m, more++;
		}
		if (!first || !more)
			continue;
		hv_warnf(c->d, "%s and %s (%zu bridges in all) claim secondary "
			 "bus %04x:%02x; the devices on it are placed below %s",
			 l->v[k].addr, l->v[last].addr, more + 1, l->v[k].domain,
			 b->secondary_bus, l->v[last].addr);
	}
}

/*
 * Where a host bridge hangs.  As hwloc: by the local_cpus mask of its
 * first function (the CPUs the kernel calls local to that bus), under
 * the object whose CPUs those are (the NUMA node they are local to, else
 * a package, else a group made for it).  The kernel's numa_node of its
 * devices only names the node when the mask is missing or unreadable,
 * and in dom0, where local_cpus counts dom0's vCPUs and Xen's node is
 * the one to follow.  Where the two disagree, a warning says so.
 */
static void attach_host_bridge(struct probe_ctx *c, struct pcilist *l,
			       struct hostbridge *hbk)
{
	struct topo_obj *hb = hbk->obj, *root = c->t->root, *node = NULL, *parent = NULL;
	const struct topo_obj *first = first_function(hb);
	struct cpuset mask = { 0 }, off = { 0 };
	int nodeid = -1;

	for (size_t i = 0; i < l->n && nodeid < 0; i++)
		if (l->v[i].domain == hbk->domain && l->v[i].obj->numa_node >= 0) {
			/* is it below this host bridge? */
			struct topo_obj *up = l->v[i].obj;

			while (up->parent)
				up = up->parent;
			if (up == hb)
				nodeid = l->v[i].obj->numa_node;
		}
	if (nodeid >= 0)
		node = topo_find(root, TOPO_NUMA, nodeid);
	topo_offline_cpus(root, &off);
	if (first && !c->t->xen) {
		_cleanup_free_ char *path = xasprintf(PCIDEVS "/%s/local_cpus", first->address);

		if (probe_read_cpuset(c, NULL, path, &mask) == 0)
			cpuset_and(&mask, &root->cpus);
	}
	if (cpuset_next(&mask, 0) >= 0) {
		struct cpuset all = { 0 };
		bool whole;

		cpuset_copy(&all, &root->cpus);
		cpuset_or(&mask, &off);
		whole = cpuset_equal(&mask, &all);
		cpuset_release(&all);
		if (node && local_to(node, &mask, &off))
			parent = node;
		else if (!whole && (parent = node_local_to(root, &mask, &off)))
			;
		else
			parent = whole ? root : topo_locality_parent(root, &mask, "io");
		if (parent != node && nodeid >= 0) {
			_cleanup_free_ char *m = cpuset_format(&mask);

			if (node) {
				_cleanup_free_ char *nl = cpuset_format(topo_locality(node));

				hv_warnf(c->d, "%s: local_cpus says CPUs %s, numa_node says node %d (CPUs %s); following local_cpus, as hwloc does",
					 first->address, m, nodeid, nl);
			} else {
				hv_warnf(c->d, "%s: numa_node %d is no NUMA node here; following local_cpus (CPUs %s), as hwloc does",
					 first->address, nodeid, m);
			}
		}
	}
	if (!parent)
		parent = node ? node : root;
	hb->numa_node = parent->type == TOPO_NUMA ? (int)parent->os_index : -1;
	topo_obj_add(parent, hb);
	cpuset_release(&mask);
	cpuset_release(&off);
}

int probe_pci(struct probe_ctx *c)
{
	struct pcilist l = { 0 };
	struct hostbridge *hbs = NULL;
	size_t nhb = 0, ahb = 0;
	struct pcinames *names = pcinames_new();
	int rc;

	rc = c->live ? scan_libpci(c, &l) : scan_sysfs(c, &l);
	if (rc < 0 || !l.n) {
		if (c->live && rc < 0)	/* fall back to sysfs files */
			rc = scan_sysfs(c, &l);
		if (!l.n) {
			pcinames_free(names);
			free(l.v);
			return rc < 0 ? rc : -ENOENT;
		}
	}

	for (size_t i = 0; i < l.n; i++) {
		struct pcidev *p = &l.v[i];
		struct pcicfg cfg;
		struct hv_diags local = HV_DIAGS_INIT;

		if (pcicfg_decode(p->cfg, p->len, &cfg, &local) < 0)
			memset(&cfg, 0, sizeof(cfg));
		for (size_t k = 0; k < local.n; k++)
			hv_warnf(c->d, "%s: %s", p->addr, local.v[k].msg);
		hv_diags_release(&local);
		bool bridge = cfg.is_bridge || (cfg.class_code >> 8) == 0x0604;
		p->obj = topo_obj_new(bridge ? TOPO_PCI_BRIDGE : TOPO_PCI_DEVICE, -1);
		fill_obj(p, &cfg, names);
		read_attrs(c, p);
	}
	read_iommu_groups(c, &l);

	warn_shared_buses(c, &l);
	/* Parents: sysfs paths when known, else bridge bus ranges. */
	for (size_t i = 0; i < l.n; i++) {
		struct pcidev *p = &l.v[i], *parent = NULL;

		/* A device found in a real sysfs tree sits below its bridge
		 * in /sys/devices/pciDDDD:BB/...; dumps turned into files have
		 * flat paths, and bus numbers tell the parent instead. */
		if (p->realpath && strstr(p->realpath, "/devices/pci"))
			parent = sysfs_parent(&l, p);
		if (!parent) {
			for (size_t k = 0; k < l.n; k++) {
				struct topo_obj *b = l.v[k].obj;

				if (k != i && b->type == TOPO_PCI_BRIDGE &&
				    l.v[k].domain == p->domain &&
				    b->secondary_bus == p->bus && b->secondary_bus)
					parent = &l.v[k];
			}
		}
		if (parent) {
			topo_obj_add(parent->obj, p->obj);
			continue;
		}
		struct hostbridge *hb = NULL;
		for (size_t k = 0; k < nhb; k++)
			if (hbs[k].domain == p->domain && hbs[k].bus == p->bus)
				hb = &hbs[k];
		if (!hb) {
			hbs = xgrow(hbs, sizeof(*hbs), nhb + 1, &ahb);
			hb = &hbs[nhb++];
			hb->domain = p->domain;
			hb->bus = p->bus;
			hb->obj = topo_obj_new(TOPO_PCI_BRIDGE, -1);
			hb->obj->host_bridge = true;
			hb->obj->address = xasprintf("%04x:%02x", p->domain, p->bus);
		}
		topo_obj_add(hb->obj, p->obj);
	}

	for (size_t k = 0; k < nhb; k++)
		attach_host_bridge(c, &l, &hbs[k]);

	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].cfg);
		free(l.v[i].realpath);
	}
	free(l.v);
	free(hbs);
	pcinames_free(names);
	topo_add_source(c->t, "pci");
	return 0;
}
