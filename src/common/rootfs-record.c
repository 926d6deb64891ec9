/* SPDX-License-Identifier: MIT */
/* Recording a capture: what the probes read from one root, written into a
 * memory root as they read it. */
#include <stdlib.h>
#include <string.h>

#include "rootfs-int.h"
#include "util.h"

void rootfs_record_link(struct hv_root *r, const char *path, const char *target)
{
	if (r->rec)
		(void)hv_root_add_link(r->rec, path, target);
}

/* Records that a resolved path exists: a directory as such, a file with
 * its content (a probe may test a file's presence, e.g. "partition"). */
void rootfs_record_existing(struct hv_root *r, const char *real)
{
	char *data = NULL;
	size_t len = 0;

	if (!r->rec)
		return;
	if (rootfs_node_type(r, real) == NT_DIR) {
		(void)hv_root_add_dir(r->rec, real);
		return;
	}
	struct hv_root *rec = r->rec;
	r->rec = NULL;		/* hv_root_read would record it again */
	if (hv_root_read(r, real, &data, &len) == 0)
		(void)hv_root_add_file(rec, real, data, len);
	r->rec = rec;
	free(data);
}

/* A listed directory: itself, and which of its entries are directories
 * and links (a probe walks them without reading each). */
void rootfs_record_list(struct hv_root *r, const char *real, char **v, size_t nv)
{
	if (!r->rec)
		return;
	(void)hv_root_add_dir(r->rec, real);
	for (size_t i = 0; i < nv; i++) {
		_cleanup_free_ char *child = xasprintf(
			"%s/%s", strcmp(real, "/") ? real : "", v[i]);
		enum ntype t = rootfs_node_type(r, child);
		char *target = NULL;

		if (t == NT_DIR)
			(void)hv_root_add_dir(r->rec, child);
		else if (t == NT_LINK && rootfs_raw_readlink(r, child, &target) == 0) {
			rootfs_record_link(r, child, target);
			free(target);
		}
	}
}

void hv_root_record(struct hv_root *r, struct hv_root *rec)
{
	r->rec = rec;
}

int hv_root_record_file(struct hv_root *r, const char *path, const void *data,
			size_t len)
{
	_cleanup_free_ char *real = NULL;
	int rc;

	if (!r->rec)
		return 0;
	rc = rootfs_resolve(r, path, true, 0, &real, NULL);
	if (rc < 0)
		return rc;
	return hv_root_add_file(r->rec, real, data, len);
}

int hv_root_record_add(struct hv_root *r, const char *path, const void *data,
		       size_t len)
{
	return r->rec ? hv_root_add_file(r->rec, path, data, len) : 0;
}
