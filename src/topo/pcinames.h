/* SPDX-License-Identifier: MIT */
/* PCI vendor, device and class names from pci.ids, through libpci. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * A libpci handle used only for name lookups: it never scans the bus and
 * never reads anything but the pci.ids file libpci was built with (not
 * udev's hwdb, not the network cache), so names match `lspci -F FILE`
 * wherever pci.ids knows the ID.  libpci is not thread-safe: use one
 * handle per thread.
 */
struct pcinames;

/*
 * Returns a new handle, or NULL when out of memory.  Never exits and never
 * prints: libpci's error and warning callbacks are replaced.  A missing
 * or malformed pci.ids is not an error here; lookups then fall back to hex.
 */
struct pcinames *pcinames_new(void);

/* Frees n; accepts NULL and returns NULL. */
struct pcinames *pcinames_free(struct pcinames *n);

/*
 * Each writes a NUL-terminated name into buf[0, sz) and returns buf: the
 * pci.ids name ("Intel Corporation", "82574L Gigabit Network Connection",
 * "Ethernet controller"), or four hex digits ("8086", "10d3", "0200" for
 * base << 8 | sub class) when it is unknown or n is NULL.  A name too
 * long for buf is shortened by libpci to end in "..."; sz should be at
 * least 5 for the hex to fit whole.
 */
const char *pcinames_vendor(struct pcinames *n, char *buf, size_t sz,
			    uint16_t vendor);
const char *pcinames_device(struct pcinames *n, char *buf, size_t sz,
			    uint16_t vendor, uint16_t device);
/* class_code is the 24-bit class (base << 16 | sub << 8 | prog-if). */
const char *pcinames_class(struct pcinames *n, char *buf, size_t sz,
			   uint32_t class_code);
