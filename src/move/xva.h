/* SPDX-License-Identifier: MIT */
/* XVA, XAPI's VM export: a tar of ova.xml (the VM's database objects as
 * XML-RPC values) and each disk as Ref:N/NNNNNNNN chunks of 1 MiB, each
 * followed by its checksum (.xxhash XXH64, or legacy .checksum SHA-1). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "img.h"
#include "model.h"
#include "strbuf.h"
#include "tar.h"

#define XVA_CHUNK (1u << 20)
#define XVA_OVA_MAX (16u << 20)	/* we refuse larger ova.xml */

enum xva_sums {
	XVA_SUM_XXHASH = 1,
	XVA_SUM_SHA1 = 2,
	XVA_SUM_BOTH = 3,
};

/* Hex digests of one chunk, as XAPI writes them (lowercase). */
void xva_xxh64_hex(const void *p, size_t len, char out[17]);
void xva_sha1_hex(const void *p, size_t len, char out[41]);

/*
 * Renders vm as ova.xml: one VM, a VBD and VDI per disk, one SR, a VIF
 * and network per NIC.  Assigns each disk's `ref` (Ref:N) when unset,
 * which names its chunk directory.  vm must have disks[i].size set.
 * Settings XAPI has no field for are warnings in d (see xapi.h).
 */
void xva_ova_xml(struct mv_vm *vm, struct strbuf *out, struct hv_diags *d);

/*
 * Parses ova.xml into vm (initialised by the caller; released by it
 * even on failure): the VM's name, uuid, memory, vCPUs, and each VDI as
 * a disk with ref and size.  -EINVAL with a diagnostic on bad input.
 */
int xva_ova_parse(const char *xml, size_t len, struct mv_vm *vm,
		  struct hv_diags *d);

/*
 * A writer for one disk into an open tar stream: chunks under `ref`,
 * all-zero chunks skipped except the first and the last (so readers see
 * the size), each with the checksums in `sums`.  ref is borrowed.
 */
int img_out_xva(struct img_out *out, struct tar_out *t, const char *ref,
		enum xva_sums sums);

/* Opens an XVA on fd: reads ova.xml (the first member) into vm. */
struct xva_in;
int xva_in_open(int fd, struct hv_diags *d, struct mv_vm *vm,
		struct xva_in **ret);
/*
 * Streams the chunks of disk `ref` (size bytes) into out, verifying every
 * checksum met and refusing chunks out of order, past `size`, or
 * truncated.  Chunks of other disks are skipped.  Does not call
 * out->finish().  Sets *ret_unverified to the chunks that had no checksum.
 */
int xva_in_copy(struct xva_in *x, const char *ref, uint64_t size,
		struct img_out *out, img_progress_fn progress, void *opaque,
		uint64_t *ret_unverified);

/* One disk for xva_in_copy_all(). */
struct xva_disk_job {
	const char *ref;	/* its chunk directory ("Ref:4"), borrowed */
	uint64_t size;
	struct img_out *out;
	img_progress_fn progress;	/* with this disk's bytes done; may be NULL */
	void *opaque;
	uint64_t unverified;	/* out: chunks that had no checksum */
};
/*
 * xva_in_copy() for n disks in one pass over the archive (which may be a
 * pipe): each chunk goes to its disk's writer.  A checksum must follow
 * its chunk, as XAPI and xva-img write them.
 */
int xva_in_copy_all(struct xva_in *x, struct xva_disk_job *jobs, size_t n);
struct xva_in *xva_in_free(struct xva_in *x);
