/* SPDX-License-Identifier: MIT */
/* OVF 2.0 descriptors as XenServer writes them: VirtualSystemType
 * "xen-3.0-x86_64" (PV) or "hvm-3.0-x86_64", VHD disks, and XAPI's own
 * fields in VirtualSystemOtherConfigurationData. */
#pragma once

#include <stdint.h>

#include "diag.h"
#include "model.h"
#include "strbuf.h"

#define OVF_VHD_FORMAT "http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx"

/*
 * Appends the descriptor of vm to o.  Disk i is the file hrefs[i] of
 * file_sizes[i] bytes (VHD).  Settings XAPI has no field for are
 * warnings in d.
 */
void ovf_write(struct mv_vm *vm, char *const *hrefs, const uint64_t *file_sizes,
	       struct strbuf *o, struct hv_diags *d);

/*
 * Reads a descriptor into vm (initialised by the caller, released by it
 * even on failure).  *ret_hrefs gets, per disk, the href of its file
 * (NULL for a disk without one), a malloc'd array of malloc'd strings;
 * *ret_files (when not NULL) what the DiskSection says of each file
 * (release with ovf_files_free()).  -EINVAL with "NAME:LINE: reason" in d
 * on bad input.
 */
struct ovf_file {
	char *format;		/* ovf:format: "vhd", "vmdk", NULL another or none */
	uint64_t capacity;	/* bytes */
};
int ovf_parse(const char *xml, size_t len, const char *name, struct mv_vm *vm,
	      char ***ret_hrefs, struct ovf_file **ret_files, struct hv_diags *d);
void ovf_files_free(struct ovf_file *f, size_t n);
