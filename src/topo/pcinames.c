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

struct pcinames {
	struct pci_access *a;
	bool broken;		/* libpci raised an error: hex from now on */
	const char *ids;	/* libpci's pci.ids, mapped when plain text */
	size_t ids_len;
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
	struct stat st;
	int fd;

	if (!path || strstr(path, ".gz"))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p != MAP_FAILED) {
			n->ids = p;
			n->ids_len = (size_t)st.st_size;
		}
	}
	close(fd);
}

/* The line starting with key (after a newline, or at the very start). */
static const char *pcinames__find(const char *p, const char *end,
				  const char *key, size_t klen)
{
	if ((size_t)(end - p) >= klen && memcmp(p, key, klen) == 0)
		return p;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return NULL;
		p = nl + 1;
		if ((size_t)(end - p) >= klen && memcmp(p, key, klen) == 0)
			return p;
	}
	return NULL;
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
	if (n >= sz)
		n = sz - 1;
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

/* Fast lookups; NULL when the mapped list has no answer. */
static const char *pcinames__scan(struct pcinames *n, char *buf, size_t sz,
				  int flags, unsigned id1, unsigned id2)
{
	const char *end = n->ids + n->ids_len, *line;
	char key[16];

	if (!n->ids)
		return NULL;
	if (flags == PCI_LOOKUP_CLASS) {
		snprintf(key, sizeof(key), "C %02x  ", id1 >> 8);
		if (!(line = pcinames__find(n->ids, end, key, 6)))
			return NULL;
		const char *sub;
		snprintf(key, sizeof(key), "\t%02x  ", id1 & 0xff);
		if ((sub = pcinames__child(line, end, key, 5)))
			return pcinames__copy(sub, end, 5, buf, sz);
		return pcinames__copy(line, end, 6, buf, sz);
	}
	snprintf(key, sizeof(key), "%04x  ", id1);
	if (!(line = pcinames__find(n->ids, end, key, 6)))
		return NULL;
	if (flags == PCI_LOOKUP_VENDOR)
		return pcinames__copy(line, end, 6, buf, sz);
	snprintf(key, sizeof(key), "\t%04x  ", id2);
	if (!(line = pcinames__child(line, end, key, 7)))
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
	pcinames__map(n);
	return n;
}

struct pcinames *pcinames_free(struct pcinames *n)
{
	if (!n)
		return NULL;
	/* Never scanned or initialised: cleanup only frees the name list. */
	if (n->ids)
		munmap((void *)n->ids, n->ids_len);
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
	if (pcinames__scan(n, buf, sz, flags, id1, id2))
		return buf;
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
