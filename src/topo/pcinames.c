/* SPDX-License-Identifier: MIT */
/* PCI vendor, device and class names from pci.ids, through libpci. */
#include <limits.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pci/pci.h>

#include "pcinames.h"
#include "util.h"

struct pcinames {
	struct pci_access *a;
	bool broken;		/* libpci raised an error: hex from now on */
	bool mapped;		/* the list was looked for (on first lookup) */
	const char *ids;	/* libpci's pci.ids, mapped when plain text */
	size_t ids_len;
	/* Where each vendor ("8086  ...") and class ("C 02  ...") line
	 * starts, by id: one pass over the file, then binary searches. */
	struct pcinames_entry { uint32_t id; uint32_t off; } *vendors, *classes;
	size_t nvendors, nclasses;
	/* Device lines of the vendors asked about so far (Intel's block
	 * alone has thousands of lines). */
	struct pcinames_vendor_devs {
		uint32_t vendor;
		struct pcinames_entry *devs;
		size_t n;
	} *vdevs;
	size_t nvdevs;
};

static int pcinames__xdigits(const char *p, const char *end, int digits)
{
	int v = 0;

	if (end - p < digits)
		return -1;
	for (int i = 0; i < digits; i++) {
		int d = hexdigit(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int pcinames__cmp(const void *a, const void *b)
{
	const struct pcinames_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Indexes the top-level lines of the mapped list. */
static void pcinames__index(struct pcinames *n)
{
	const char *p = n->ids, *end = n->ids + n->ids_len;
	size_t av = 0, ac = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int id;

		if (p[0] == 'C' && p[1] == ' ' &&
		    (id = pcinames__xdigits(p + 2, end, 2)) >= 0 &&
		    (size_t)(end - p) >= 6 && p[4] == ' ') {
			n->classes = xgrow(n->classes, sizeof(*n->classes),
					   n->nclasses + 1, &ac);
			n->classes[n->nclasses++] = (struct pcinames_entry){
					(uint32_t)id, (uint32_t)(p - n->ids) };
		} else if ((id = pcinames__xdigits(p, end, 4)) >= 0 &&
			   (size_t)(end - p) >= 6 && p[4] == ' ' && p[5] == ' ') {
			n->vendors = xgrow(n->vendors, sizeof(*n->vendors),
					   n->nvendors + 1, &av);
			n->vendors[n->nvendors++] = (struct pcinames_entry){
					(uint32_t)id, (uint32_t)(p - n->ids) };
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!n->vendors || !n->classes) {
		n->nvendors = n->nclasses = 0;
		return;
	}
	qsort(n->vendors, n->nvendors, sizeof(*n->vendors), pcinames__cmp);
	qsort(n->classes, n->nclasses, sizeof(*n->classes), pcinames__cmp);
}

static const char *pcinames__line(const struct pcinames *n,
				  const struct pcinames_entry *v, size_t nv,
				  unsigned id)
{
	struct pcinames_entry key = { id, 0 };
	const struct pcinames_entry *e = bsearch(&key, v, nv, sizeof(*v),
						 pcinames__cmp);

	return e ? n->ids + e->off : NULL;
}

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

/*
 * libpci parses the whole of pci.ids (1.3 MB, 35,000 lines) into a hash on
 * the first lookup: about 9 ms, a third of a live `hvkit topo`.  A machine
 * needs a few dozen names, so when the file libpci would read is plain
 * text we map it and find just those lines; libpci remains the reader for
 * compressed lists and for anything the scan does not find.
 */
static void pcinames__map(struct pcinames *n)
{
	const char *path = n->a->id_file_name;
	char plain[4096];
	struct stat st;
	_cleanup_close_ int fd = -1;

	if (!path)
		return;
	/* libpci asks for pci.ids.gz and, when that does not exist, reads
	 * pci.ids (Debian ships the plain one).  A compressed list stays
	 * libpci's to read. */
	size_t len = strlen(path);
	if (len > 3 && strcmp(path + len - 3, ".gz") == 0) {
		if (access(path, F_OK) == 0 || len - 3 >= sizeof(plain))
			return;
		memcpy(plain, path, len - 3);
		plain[len - 3] = 0;
		path = plain;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p != MAP_FAILED) {
			n->ids = p;
			n->ids_len = (size_t)st.st_size;
			pcinames__index(n);
		}
	}
}

/* Copies the name after "<key>" up to the end of the line into buf. */
static const char *pcinames__copy(const char *line, const char *end,
				  size_t klen, char *buf, size_t sz)
{
	const char *s = line + klen, *e = memchr(s, '\n', (size_t)(end - s));
	size_t n;

	if (!e)
		e = end;
	n = (size_t)(e - s);
	if (!n || sz < 2)
		return NULL;
	if (n >= sz) {
		/* Shortened with "..." as libpci does. */
		if (sz < 5)
			return NULL;
		memcpy(buf, s, sz - 4);
		memcpy(buf + sz - 4, "...", 4);
		return buf;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

/* Within the block of child lines after parent (lines starting with one
 * tab; comments and blank lines skipped), the one starting with key. */
static const char *pcinames__child(const char *parent, const char *end,
				   const char *key, size_t klen)
{
	const char *p = memchr(parent, '\n', (size_t)(end - parent));

	while (p && ++p < end) {
		if (*p == '\t') {
			if ((size_t)(end - p) >= klen && memcmp(p, key, klen) == 0)
				return p;
		} else if (*p != '#' && *p != '\n') {
			return NULL;	/* the next top-level entry */
		}
		p = memchr(p, '\n', (size_t)(end - p));
	}
	return NULL;
}

/* The sorted device lines ("\tdddd  name") of a vendor, indexed on
 * first use. */
static const struct pcinames_vendor_devs *
pcinames__devices(struct pcinames *n, unsigned vendor, const char *vline)
{
	const char *end = n->ids + n->ids_len;
	struct pcinames_vendor_devs *vd;
	size_t alloc = 0;
	const char *p;

	for (size_t i = 0; i < n->nvdevs; i++)
		if (n->vdevs[i].vendor == vendor)
			return &n->vdevs[i];
	n->vdevs = xrealloc(n->vdevs, (n->nvdevs + 1) * sizeof(*n->vdevs));
	vd = &n->vdevs[n->nvdevs++];
	*vd = (struct pcinames_vendor_devs){ .vendor = vendor };
	p = memchr(vline, '\n', (size_t)(end - vline));
	while (p && ++p < end) {
		int id;

		if (*p == '\t') {
			if ((id = pcinames__xdigits(p + 1, end, 4)) >= 0 &&
			    end - p >= 7 && p[5] == ' ' && p[6] == ' ') {
				vd->devs = xgrow(vd->devs, sizeof(*vd->devs),
						 vd->n + 1, &alloc);
				/* The entry points at the tab: copy skips 7. */
				vd->devs[vd->n++] = (struct pcinames_entry){
					(uint32_t)id, (uint32_t)(p - n->ids) };
			}
		} else if (*p != '#' && *p != '\n') {
			break;	/* the next vendor */
		}
		p = memchr(p, '\n', (size_t)(end - p));
	}
	if (vd->n > 1)
		qsort(vd->devs, vd->n, sizeof(*vd->devs), pcinames__cmp);
	return vd;
}

/* Fast lookups; NULL when the mapped list has no answer. */
static const char *pcinames__scan(struct pcinames *n, char *buf, size_t sz,
				  int flags, unsigned id1, unsigned id2)
{
	const char *end = n->ids + n->ids_len, *line;
	char key[16];

	if (!n->ids)
		return NULL;
	if (flags == PCI_LOOKUP_CLASS) {
		if (!(line = pcinames__line(n, n->classes, n->nclasses, id1 >> 8)))
			return NULL;
		const char *sub;
		snprintf(key, sizeof(key), "\t%02x  ", id1 & 0xff);
		if ((sub = pcinames__child(line, end, key, 5)))
			return pcinames__copy(sub, end, 5, buf, sz);
		return pcinames__copy(line, end, 6, buf, sz);
	}
	if (!(line = pcinames__line(n, n->vendors, n->nvendors, id1)))
		return NULL;
	if (flags == PCI_LOOKUP_VENDOR)
		return pcinames__copy(line, end, 6, buf, sz);
	const struct pcinames_vendor_devs *vd = pcinames__devices(n, id1, line);
	if (!vd || !(line = pcinames__line(n, vd->devs, vd->n, id2)))
		return NULL;
	return pcinames__copy(line, end, 7, buf, sz);
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
	if (n->ids)
		munmap((void *)n->ids, n->ids_len);
	free(n->vendors);
	free(n->classes);
	for (size_t i = 0; i < n->nvdevs; i++)
		free(n->vdevs[i].devs);
	free(n->vdevs);
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
	if (!n->mapped) {
		n->mapped = true;
		pcinames__map(n);
	}
	/* The mapped list is the file libpci would read: what it lacks,
	 * libpci would not find either, and asking costs the whole parse. */
	if (n->ids && n->nvendors)
		return pcinames__scan(n, buf, sz, flags, id1, id2) ? buf : NULL;
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
