/* SPDX-License-Identifier: MIT */
/* `topo diff A B`: what changed between two captures of one machine. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pcie.h"
#include "util.h"

/* Every PCI function (not host bridges), in tree order. */
static size_t pci_objs(const struct topo *t, const struct topo_obj ***ret)
{
	const struct topo_obj **a, **b, **v;
	size_t na = check__collect(t->root, TOPO_PCI_BRIDGE, &a);
	size_t nb = check__collect(t->root, TOPO_PCI_DEVICE, &b), n = 0;

	v = xcalloc(na + nb + 1, sizeof(*v));
	for (size_t i = 0; i < na; i++)
		if (!a[i]->host_bridge && a[i]->address)
			v[n++] = a[i];
	for (size_t i = 0; i < nb; i++)
		if (b[i]->address)
			v[n++] = b[i];
	free(a);
	free(b);
	*ret = v;
	return n;
}

static const struct topo_obj *by_address(const struct topo_obj **v, size_t n,
					 const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->address, addr) == 0)
			return v[i];
	return NULL;
}

static const char *dev_name(const struct topo_obj *o)
{
	return o->device_name ? o->device_name : o->class_name ? o->class_name : "device";
}

static void diff_link(const struct topo_obj *x, const struct topo_obj *y,
		      struct check_report *r)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const char *what;
	const struct topo_link *lx, *ly;
	struct finding *f;

	for (int pass = 0; pass < 2; pass++) {
		lx = pass ? &x->link_cap : &x->link_sta;
		ly = pass ? &y->link_cap : &y->link_sta;
		what = pass ? "link capability" : "link";
		if (x->has_link == y->has_link && lx->speed_gts == ly->speed_gts &&
		    lx->width == ly->width)
			continue;
		strbuf_reset(&a);
		strbuf_reset(&b);
		if (x->has_link)
			check__link_str(lx, &a);
		else
			strbuf_adds(&a, "none");
		if (y->has_link)
			check__link_str(ly, &b);
		else
			strbuf_adds(&b, "none");
		double ga = pcie_link_gbps(lx->speed_gts, lx->width, x->link_flit);
		double gb = pcie_link_gbps(ly->speed_gts, ly->width, y->link_flit);
		f = check__add(r, CHECK_INFO, "pcie_link_changed", y->address,
			       "%s: %s %s (%.1f GB/s) -> %s (%.1f GB/s)",
			       check__pci_label(y), what, a.buf, ga, b.buf, gb);
		check__num(f, "before_gbps", ga);
		check__num(f, "after_gbps", gb);
	}
	strbuf_release(&a);
	strbuf_release(&b);
}

static void diff_pci(const struct topo *ta, const struct topo *tb,
		     struct check_report *r)
{
	const struct topo_obj **a, **b;
	size_t na = pci_objs(ta, &a), nb = pci_objs(tb, &b);

	for (size_t i = 0; i < na; i++) {
		const struct topo_obj *y = by_address(b, nb, a[i]->address);

		if (!y)
			check__add(r, CHECK_INFO, "pci_device_removed", a[i]->address,
				   "%s %04x:%04x (%s) is gone", check__pci_label(a[i]),
				   a[i]->vendor_id, a[i]->device_id, dev_name(a[i]));
		else if (y->vendor_id != a[i]->vendor_id || y->device_id != a[i]->device_id)
			check__add(r, CHECK_INFO, "pci_device_changed", y->address,
				   "%04x:%04x (%s) became %04x:%04x (%s)",
				   a[i]->vendor_id, a[i]->device_id, dev_name(a[i]),
				   y->vendor_id, y->device_id, dev_name(y));
		else
			diff_link(a[i], y, r);
	}
	for (size_t i = 0; i < nb; i++)
		if (!by_address(a, na, b[i]->address))
			check__add(r, CHECK_INFO, "pci_device_added", b[i]->address,
				   "%s %04x:%04x (%s) is new", check__pci_label(b[i]),
				   b[i]->vendor_id, b[i]->device_id, dev_name(b[i]));
	free(a);
	free(b);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static bool str_same(const char *x, const char *y)
{
	return strcmp(str_or(x, ""), str_or(y, "")) == 0;
}

static const struct topo_obj *by_slot(const struct topo_obj **v, size_t n,
				      const struct topo_obj *m)
{
	for (size_t i = 0; i < n; i++)
		if (str_same(v[i]->locator, m->locator) && str_same(v[i]->bank, m->bank))
			return v[i];
	return NULL;
}

/* A module's identity for "moved": serial, else part number and size. */
static bool same_module(const struct topo_obj *x, const struct topo_obj *y)
{
	if (x->serial && *x->serial && y->serial && *y->serial)
		return strcmp(x->serial, y->serial) == 0;
	return x->size_bytes == y->size_bytes && x->part_number && y->part_number &&
	       strcmp(x->part_number, y->part_number) == 0;
}

static void module_desc(const struct topo_obj *m, struct strbuf *out)
{
	char size[32];

	format_size(size, sizeof(size), m->size_bytes);
	strbuf_reset(out);
	strbuf_addf(out, "%s %s", size, str_or(m->mem_type, "memory"));
	if (m->speed_mts)
		strbuf_addf(out, " %u MT/s", m->speed_mts);
	if (m->part_number && *m->part_number)
		strbuf_addf(out, " %s", m->part_number);
}

static void diff_memory(const struct topo *ta, const struct topo *tb,
			struct check_report *r)
{
	const struct topo_obj **a, **b;
	size_t na = check__collect(ta->root, TOPO_MEMORY_MODULE, &a);
	size_t nb = check__collect(tb->root, TOPO_MEMORY_MODULE, &b);
	const struct topo_obj **gone = xcalloc(na + 1, sizeof(*gone));
	const struct topo_obj **came = xcalloc(nb + 1, sizeof(*came));
	size_t ngone = 0, ncame = 0;
	struct strbuf d1 = STRBUF_INIT, d2 = STRBUF_INIT;

	for (size_t i = 0; i < na; i++) {
		const struct topo_obj *y = by_slot(b, nb, a[i]);

		if (a[i]->size_bytes && (!y || !y->size_bytes))
			gone[ngone++] = a[i];
		else if (!a[i]->size_bytes && y && y->size_bytes)
			came[ncame++] = y;
		else if (y && a[i]->size_bytes &&
			 (!same_module(a[i], y) || a[i]->size_bytes != y->size_bytes ||
			  a[i]->speed_mts != y->speed_mts ||
			  a[i]->configured_speed_mts != y->configured_speed_mts ||
			  !str_same(a[i]->mem_type, y->mem_type))) {
			module_desc(a[i], &d1);
			module_desc(y, &d2);
			if (a[i]->configured_speed_mts != y->configured_speed_mts) {
				strbuf_addf(&d1, " (runs at %u)", a[i]->configured_speed_mts);
				strbuf_addf(&d2, " (runs at %u)", y->configured_speed_mts);
			}
			check__add(r, CHECK_INFO, "memory_module_changed",
				   str_or(y->locator, "?"), "%s -> %s", d1.buf, d2.buf);
		}
	}
	for (size_t i = 0; i < nb; i++)
		if (b[i]->size_bytes && !by_slot(a, na, b[i]))
			came[ncame++] = b[i];
	/* A module gone from one slot and new in another: moved. */
	for (size_t i = 0; i < ngone; i++) {
		for (size_t k = 0; k < ncame; k++) {
			if (!came[k] || !same_module(gone[i], came[k]))
				continue;
			module_desc(came[k], &d1);
			check__add(r, CHECK_INFO, "memory_module_moved",
				   str_or(came[k]->locator, "?"), "%s moved from %s to %s",
				   d1.buf, str_or(gone[i]->locator, "?"),
				   str_or(came[k]->locator, "?"));
			gone[i] = NULL;
			came[k] = NULL;
			break;
		}
	}
	for (size_t i = 0; i < ngone; i++) {
		if (!gone[i])
			continue;
		module_desc(gone[i], &d1);
		check__add(r, CHECK_INFO, "memory_module_removed",
			   str_or(gone[i]->locator, "?"), "%s removed", d1.buf);
	}
	for (size_t k = 0; k < ncame; k++) {
		if (!came[k])
			continue;
		module_desc(came[k], &d1);
		check__add(r, CHECK_INFO, "memory_module_added",
			   str_or(came[k]->locator, "?"), "%s added", d1.buf);
	}
	strbuf_release(&d1);
	strbuf_release(&d2);
	free(gone);
	free(came);
	free(a);
	free(b);
}

static size_t online_pus(const struct topo *t)
{
	const struct topo_obj **v;
	size_t n = check__collect(t->root, TOPO_PU, &v), on = 0;

	for (size_t i = 0; i < n; i++)
		on += v[i]->online;
	free(v);
	return on;
}

static void diff_count(struct check_report *r, const char *kind,
		       const char *what, uint64_t x, uint64_t y)
{
	struct finding *f;

	if (x == y)
		return;
	f = check__add(r, CHECK_INFO, kind, "machine", "%s: %llu -> %llu", what,
		       (unsigned long long)x, (unsigned long long)y);
	check__num(f, "before", (double)x);
	check__num(f, "after", (double)y);
}

static void diff_cpu(const struct topo *ta, const struct topo *tb,
		     struct check_report *r)
{
	uint64_t ua, ub;

	diff_count(r, "cpu_count_changed", "packages",
		   topo_count(ta->root, TOPO_PACKAGE), topo_count(tb->root, TOPO_PACKAGE));
	diff_count(r, "cpu_count_changed", "cores",
		   topo_count(ta->root, TOPO_CORE), topo_count(tb->root, TOPO_CORE));
	diff_count(r, "cpu_count_changed", "PUs",
		   topo_count(ta->root, TOPO_PU), topo_count(tb->root, TOPO_PU));
	diff_count(r, "cpu_count_changed", "online PUs", online_pus(ta), online_pus(tb));
	diff_count(r, "numa_count_changed", "NUMA nodes",
		   topo_count(ta->root, TOPO_NUMA), topo_count(tb->root, TOPO_NUMA));
	diff_count(r, "memory_total_changed", "NUMA memory bytes",
		   topo_total_memory(ta->root), topo_total_memory(tb->root));
	if (!str_same(ta->microcode, tb->microcode)) {
		struct finding *f = check__add(r, CHECK_INFO, "microcode_changed", "machine",
					       "microcode %s -> %s",
					       str_or(ta->microcode, "unknown"),
					       str_or(tb->microcode, "unknown"));

		if (check__microcode(ta->microcode, &ua) == 0 &&
		    check__microcode(tb->microcode, &ub) == 0) {
			check__num(f, "before", (double)ua);
			check__num(f, "after", (double)ub);
		}
	}
	for (size_t i = 0; i < tb->nvulns; i++) {
		const struct topo_vuln *vb = &tb->vulns[i], *va = NULL;

		for (size_t k = 0; k < ta->nvulns && !va; k++)
			if (str_same(ta->vulns[k].name, vb->name))
				va = &ta->vulns[k];
		if (va && !str_same(va->status, vb->status))
			check__add(r, CHECK_INFO, "cpu_vulnerability_changed",
				   str_or(vb->name, "?"), "'%s' -> '%s'",
				   str_or(va->status, ""), str_or(vb->status, ""));
	}
}

void topo_diff(const struct topo *a, const struct topo *b,
	       struct check_report *r)
{
	diff_cpu(a, b, r);
	diff_memory(a, b, r);
	diff_pci(a, b, r);
}
