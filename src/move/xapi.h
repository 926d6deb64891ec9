/* SPDX-License-Identifier: MIT */
/* The VM model as XAPI's objects: one VM record, a VBD and a VDI per
 * disk, a VIF and a network per NIC.  The mapping lives here once; the
 * XVA, OVF and XenAPI writers only add references and framing. */
#pragma once

#include "diag.h"
#include "model.h"
#include "xrec.h"

struct xapi_pkg {
	struct xrec vm;
	size_t ndisks;
	struct xrec *vbd, *vdi;		/* ndisks each */
	size_t nnics;
	struct xrec *vif, *net;		/* nnics each */
};

/* Keys of other_config (VDI, VIF) that carry what XAPI has no field
 * for, so that an import back to xl restores it. */
#define XAPI_OC_TARGET "hvkit-xl-target"
#define XAPI_OC_FORMAT "hvkit-xl-format"
#define XAPI_OC_BACKEND "hvkit-xl-backend"
#define XAPI_OC_MODEL "hvkit-xl-model"
#define XAPI_OC_RATE "hvkit-xl-rate"
#define XAPI_OC_VIFEXTRA "hvkit-xl-vif"

/*
 * Fills p (zeroed by the caller; xapi_pkg_release() after) from vm.
 * References between the objects (VM, VDI, SR, network) are left to the
 * writer.  Each setting XAPI has no field for is a warning in d and an
 * other_config entry.  Disks need size set (0 is written as 0).
 */
void xapi_from_vm(const struct mv_vm *vm, struct xapi_pkg *p,
		  struct hv_diags *d);

/*
 * The reverse: vm (initialised) from the records.  Bad numbers are
 * errors (-EINVAL with a diagnostic naming `where`, e.g. "ova.xml").
 */
int xapi_to_vm(const struct xapi_pkg *p, struct mv_vm *vm,
	       const char *where, struct hv_diags *d);

void xapi_pkg_release(struct xapi_pkg *p);
/* Appends a disk (VBD + VDI) or a NIC (VIF + network); returns the index. */
size_t xapi_pkg_add_disk(struct xapi_pkg *p);
size_t xapi_pkg_add_nic(struct xapi_pkg *p);

/*
 * Bounds on what a package or a pool may ask for, XAPI's own: VBD
 * userdevices 0 to 254 (at most 255 disks), and at most 64 NICs (XAPI
 * allows 7 VIF devices; 64 leaves room and still bounds the work).
 */
#define XAPI_MAX_VBDS 255u
#define XAPI_MAX_VIFS 64u

/*
 * XenAPI versions (host.API_version_major.minor) as one number, and the
 * first version that has CLASS.FIELD among those the writers fill in
 * (XAPI's datamodel: tests/data/xenapi/model.json): 0 for XenAPI 1.1.
 * push leaves out of a create call what the pool's version lacks.
 */
#define XAPI_API(major, minor) ((unsigned)(major) << 16 | (unsigned)(minor))
unsigned xapi_field_since(const char *cls, const char *field);

/* Whether ref is no reference: "", NULL or "OpaqueRef:NULL". */
bool xapi_null_ref(const char *ref);
/* The list field `field` of a record (where, e.g. "ova.xml: VM"): each
 * reference once, none null, at most max of them; else an error. */
int xapi_check_refs(const struct xrec *r, const char *field, size_t max,
		    const char *where, struct hv_diags *d);

/* The userdevice number of an xl vdev (xvda, hdc, sdb, xvdaa, 51712):
 * -1 when it is not one. */
int xapi_userdevice(const char *vdev);
/* "10240KB/s", "10Mb/s@20ms": bytes per second, 0 when unparseable. */
uint64_t xapi_rate_bytes(const char *rate);
