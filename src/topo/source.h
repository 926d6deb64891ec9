/* SPDX-License-Identifier: MIT */
/* Turning --sysroot and --from inputs into one root for the probes. */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "rootfs.h"

/*
 * What one --from PATH turned out to be, for messages and JSON "sources".
 */
enum source_kind {
	SRC_ARCHIVE,		/* our capture or a sysfs snapshot tarball */
	SRC_SYSROOT_DIR,	/* a directory with sys/ or proc/ */
	SRC_ACPI_DIR,		/* a directory of binary ACPI tables */
	SRC_ACPI_TABLE,		/* one binary ACPI table */
	SRC_ACPIDUMP,		/* acpidump text */
	SRC_SMBIOS_DUMP,	/* dmidecode --dump-bin */
	SRC_SMBIOS_DIR,		/* smbios_entry_point + DMI */
	SRC_PCI_DUMP,		/* lspci -x/-xxx/-xxxx text */
	SRC_CPUID_DIR,		/* hwloc-gather-cpuid: puN files, one per CPU */
};

const char *source_kind_name(enum source_kind k);

/*
 * Detects what path is and adds its content to mem (a memory root) at the
 * place Linux would show it: ACPI tables under /sys/firmware/acpi/tables,
 * SMBIOS under /sys/firmware/dmi/tables, PCI config space under
 * /sys/bus/pci/devices/<address>/config.  Messages name the path.
 */
int source_add(struct hv_root *mem, const char *path, enum source_kind *kind,
	       struct hv_diags *d);
