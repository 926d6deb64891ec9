/* SPDX-License-Identifier: MIT */
/* PCI vendor, device and class names from pci.ids, through libpci. */
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <pci/pci.h>

#include "pcinames.h"

struct pcinames {
	struct pci_access *a;
	bool broken;		/* libpci raised an error: hex from now on */
};

/*
 * libpci declares a->error noreturn and its callers rely on that (after a
 * malformed pci.ids line or a failed allocation), so returning from it is
 * not an option: it jumps back to the lookup that called into libpci.
 */
static _Thread_local jmp_buf *pcinames__jmp;

__attribute__((noreturn, format(printf, 1, 2)))
static void pcinames__error(char *msg, ...)
{
	(void)msg;
	if (pcinames__jmp)
		longjmp(*pcinames__jmp, 1);
	/* Only lookups call into libpci, and they all set the jump. */
	abort();
}

__attribute__((format(printf, 1, 2)))
static void pcinames__quiet(char *msg, ...)
{
	(void)msg;
}

struct pcinames *pcinames_new(void)
{
	struct pcinames *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->a = pci_alloc();
	if (!n->a) {
		free(n);
		return NULL;
	}
	n->a->error = pcinames__error;
	n->a->warning = pcinames__quiet;
	n->a->debug = pcinames__quiet;
	n->a->numeric_ids = 0;
	/* No ~/.pciids-cache and no network: only the local pci.ids. */
	n->a->id_lookup_mode = 0;
	return n;
}

struct pcinames *pcinames_free(struct pcinames *n)
{
	if (!n)
		return NULL;
	/* Never scanned or initialised: cleanup only frees the name list. */
	pci_cleanup(n->a);
	free(n);
	return NULL;
}

/* pci_lookup_name() with the jump set; NULL when unknown or on an error. */
static const char *pcinames__lookup(struct pcinames *n, char *buf, size_t sz,
				    int flags, unsigned id1, unsigned id2)
{
	jmp_buf jb;
	const char *volatile name = NULL;

	if (!n || n->broken || sz < 2)
		return NULL;
	pcinames__jmp = &jb;
	if (setjmp(jb) == 0)
		name = pci_lookup_name(n->a, buf, sz > INT_MAX ? INT_MAX : (int)sz,
				       flags | PCI_LOOKUP_NO_NUMBERS |
				       PCI_LOOKUP_NO_HWDB, id1, id2);
	else
		n->broken = true;
	pcinames__jmp = NULL;
	/* libpci returns a static "buffer too small" message instead of buf. */
	return n->broken || name != buf ? NULL : name;
}

static const char *pcinames__hex(char *buf, size_t sz, unsigned v)
{
	if (sz)
		snprintf(buf, sz, "%04x", v);
	return buf;
}

const char *pcinames_vendor(struct pcinames *n, char *buf, size_t sz,
			    uint16_t vendor)
{
	if (pcinames__lookup(n, buf, sz, PCI_LOOKUP_VENDOR, vendor, 0))
		return buf;
	return pcinames__hex(buf, sz, vendor);
}

const char *pcinames_device(struct pcinames *n, char *buf, size_t sz,
			    uint16_t vendor, uint16_t device)
{
	if (pcinames__lookup(n, buf, sz, PCI_LOOKUP_DEVICE, vendor, device))
		return buf;
	return pcinames__hex(buf, sz, device);
}

const char *pcinames_class(struct pcinames *n, char *buf, size_t sz,
			   uint32_t class_code)
{
	unsigned cls = (class_code >> 8) & 0xffff;

	if (pcinames__lookup(n, buf, sz, PCI_LOOKUP_CLASS, cls, 0))
		return buf;
	return pcinames__hex(buf, sz, cls);
}
