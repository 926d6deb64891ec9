/* SPDX-License-Identifier: MIT */
/* The default I/O filter of the pictures and the text tree (iofilter.h). */
#include <stdlib.h>
#include <string.h>

#include "iofilter.h"
#include "pcie.h"

static bool is_pci_obj(const struct topo_obj *o)
{
	return o->type == TOPO_PCI_DEVICE || o->type == TOPO_PCI_BRIDGE;
}

/* lstopo 2.9: hwloc_filter_check_pcidev_subtype_important(), on our
 * 24-bit class code (base, sub, programming interface). */
static bool important_class(uint32_t class_id)
{
	unsigned base = (class_id >> 16) & 0xff, cls = (class_id >> 8) & 0xffff;

	return base == 0x03 || base == 0x02 || base == 0x01 || base == 0x00 ||
	       base == 0x0b || cls == 0x0c04 || cls == 0x0c06 ||
	       cls == 0x0502 || base == 0x12;
}

static bool bridge_like(const struct topo_obj *o)
{
	return o->type == TOPO_PCI_BRIDGE || ((o->class_id >> 16) & 0xff) == 0x06;
}

bool io_shown(const struct topo_obj *o)
{
	if (o->type == TOPO_OS_DEVICE)
		return !o->osdev_minor;	/* lstopo's filter drops DMA channels */
	if (!is_pci_obj(o) || o->host_bridge)
		return true;
	if (pcie_link_degraded(o, NULL))
		return true;		/* rule "degraded-link" */
	if (!bridge_like(o) && important_class(o->class_id))
		return true;
	for (size_t i = 0; i < o->nkids; i++) {
		const struct topo_obj *k = o->kids[i];

		if (k->type == TOPO_OS_DEVICE && !k->osdev_minor)
			return true;	/* rule "os-device" */
		if (is_pci_obj(k) && io_shown(k))
			return true;
	}
	return false;
}

static void bus_of(const struct topo_obj *o, char bus[16])
{
	const char *a = o->address ? o->address : "?";
	size_t len = strcspn(a, ".");
	const char *colon = NULL;

	for (size_t i = 0; i < len; i++)
		if (a[i] == ':')
			colon = a + i;
	len = colon ? (size_t)(colon - a) : len;
	if (len > 15)
		len = 15;
	memcpy(bus, a, len);
	bus[len] = 0;
}

/*
 * Files every function of the hidden subtree o under its own bus: a hidden
 * bridge's functions below it sit on its secondary bus, not on the bus of
 * the bridge ("bus 0000:00" must not count 04:00.0).
 */
static void fold_add(const struct topo_obj *o, struct io_fold **v, size_t *n,
		     size_t *alloc)
{
	if (is_pci_obj(o) && !o->host_bridge) {
		char bus[16];
		size_t j;

		bus_of(o, bus);
		for (j = 0; j < *n && strcmp((*v)[j].bus, bus) != 0; j++)
			;
		if (j == *n) {
			*v = xgrow(*v, sizeof(**v), *n + 1, alloc);
			memset(&(*v)[j], 0, sizeof((*v)[j]));
			memcpy((*v)[j].bus, bus, sizeof(bus));
			(*v)[j].first = o;
			(*n)++;
		}
		(*v)[j].n++;
	}
	for (size_t i = 0; i < o->nkids; i++)
		fold_add(o->kids[i], v, n, alloc);
}

size_t io_folds(const struct topo_obj *parent, struct io_fold **ret)
{
	struct io_fold *v = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < parent->nkids; i++) {
		const struct topo_obj *k = parent->kids[i];

		if (is_pci_obj(k) && !io_shown(k))
			fold_add(k, &v, &n, &alloc);
	}
	*ret = v;
	return n;
}

struct cls_count {
	const char *name;
	size_t n;
};

/* The classes of the functions on bus below and at o. */
static void count_classes(const struct topo_obj *o, const char *bus,
			  struct cls_count **v, size_t *n, size_t *alloc)
{
	char obus[16];

	if (is_pci_obj(o) && !o->host_bridge &&
	    (bus_of(o, obus), strcmp(obus, bus) == 0)) {
		const char *name = o->class_name ? o->class_name : "unknown class";
		size_t j;

		for (j = 0; j < *n && strcmp((*v)[j].name, name) != 0; j++)
			;
		if (j == *n) {
			*v = xgrow(*v, sizeof(**v), *n + 1, alloc);
			(*v)[(*n)++] = (struct cls_count){ name, 0 };
		}
		(*v)[j].n++;
	}
	for (size_t i = 0; i < o->nkids; i++)
		count_classes(o->kids[i], bus, v, n, alloc);
}

static int by_count(const void *a, const void *b)
{
	const struct cls_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

void io_fold_label(const struct topo_obj *parent, const struct io_fold *f,
		   struct strbuf *out)
{
	struct cls_count *v = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < parent->nkids; i++) {
		const struct topo_obj *k = parent->kids[i];

		if (is_pci_obj(k) && !io_shown(k))
			count_classes(k, f->bus, &v, &n, &alloc);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_count);
	strbuf_addf(out, "%zu function%s on bus %s", f->n, f->n == 1 ? "" : "s",
		    f->bus);
	for (size_t i = 0; i < n && i < 3; i++)
		strbuf_addf(out, "%s%s", i ? ", " : " (", v[i].name);
	if (n)
		strbuf_adds(out, n > 3 ? ", ...)" : ")");
	free(v);
}
