/* SPDX-License-Identifier: MIT */
/* Xen's view of the machine, carried as text files inside a root. */
#pragma once

#include "diag.h"
#include "strbuf.h"

/*
 * In dom0, sysfs shows dom0's vCPUs, not the machine.  libxl knows the
 * machine: what it says is written as small tab-separated text files
 * under XEN_DIR, so that a capture keeps it and `--from` reads it back on
 * a machine without Xen.  One line per item:
 *
 *   cputopo   cpu socket core node
 *   numainfo  node size_bytes free_bytes dist0,dist1,...
 *   pcitopo   dddd:bb:dd.f node
 *   domains   domid name memory_bytes max_memory_bytes node-list
 *   vcpus     domid vcpu cpu online running hard-cpu-list soft-cpu-list
 *   pci       domid dddd:bb:dd.f
 *
 * A missing or invalid value is "-".
 */
#define XEN_DIR "/hvkit/xen"

enum xen_file { XEN_CPUTOPO, XEN_NUMAINFO, XEN_PCITOPO, XEN_DOMAINS,
		XEN_VCPUS, XEN_PCI, XEN_NFILES };

extern const char *const xen_file_names[XEN_NFILES];

/*
 * Asks the running hypervisor through libxl (loaded on first use) and
 * fills one text buffer per file.  Returns 0, -ENOTSUP when hvkit was
 * built without libxl, or -ENODEV when libxl cannot talk to Xen (not
 * dom0, not root, no hypervisor), with the reason in d.
 */
int xen_collect(struct strbuf files[XEN_NFILES], struct hv_diags *d);
