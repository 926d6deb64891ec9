/* SPDX-License-Identifier: MIT */
/* Inside struct hv_root: what rootfs.c, rootfs-dir.c, rootfs-mem.c,
 * rootfs-archive.c and rootfs-record.c share.  Not for other code
 * (rootfs.h is the interface). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootfs.h"

/* The most a file of a root may hold (hv_root_read()). */
#define MAX_FILE_BYTES (64u << 20)

enum ntype { NT_NONE, NT_DIR, NT_FILE, NT_LINK };

struct node {
	char *path;		/* absolute, normalised; "/" for the root */
	enum ntype type;
	char *data;		/* file content (NUL-terminated) or link target */
	size_t len;
	size_t *kids;		/* indices of children, insertion order */
	size_t nkids, akids;
};

/* Open-addressing map from a path to a size_t (node index or cache). */
struct pathmap {
	char **keys;
	size_t *vals;
	size_t cap, n;
};

struct hv_root {
	char *dir;		/* directory root; NULL for memory */
	bool live;
	struct node *nodes;	/* memory root */
	size_t nnodes, anodes;
	struct pathmap index;	/* path -> node index */
	struct pathmap cache;	/* directory root: dir -> resolved (strings) */
	char **cached;		/* storage for resolved cache values */
	size_t ncached, acached;
	struct hv_root *rec;
	struct hv_diags *warn;	/* files over their bound are named here */
};

/* ---- rootfs.c ---- */

/* The value of key in m, in *ret; false when m has no key. */
bool rootfs_pathmap_get(const struct pathmap *m, const char *key, size_t *ret);
/* Sets key (copied) to val. */
void rootfs_pathmap_put(struct pathmap *m, const char *key, size_t val);
void rootfs_pathmap_release(struct pathmap *m);
/* The type of path (already resolved) in either kind of root. */
enum ntype rootfs_node_type(struct hv_root *r, const char *path);
/* The target of the link at path (resolved but for the last component). */
int rootfs_raw_readlink(struct hv_root *r, const char *path, char **ret);
/*
 * Resolves path to its real location inside the root.  With follow_last,
 * a link in the last component is followed too.  Intermediate directories
 * of a directory root are cached, so a live probe pays for each directory
 * once.
 */
int rootfs_resolve(struct hv_root *r, const char *path, bool follow_last,
		   int depth, char **ret, enum ntype *type);
/* rootfs_resolve() of a directory, through the cache; -ENOTDIR when it
 * is none. */
int rootfs_resolve_dir_cached(struct hv_root *r, const char *dir, int depth,
			      char **ret);

/* ---- rootfs-dir.c ---- */

/* The host's path of path inside a directory root (malloc'd). */
char *rootfs_host_path(const struct hv_root *r, const char *path);
/* Reads the host file hp, at most max bytes (else -EFBIG). */
int rootfs_read_host(const char *hp, size_t max, char **ret, size_t *len);
/*
 * The common case of a directory root, not recording: the parent
 * directory resolves through the cache and the file opens with
 * O_NOFOLLOW, so a read costs one open instead of an lstat per
 * component.  Returns 1 when the last component is a link (or the path
 * is unusual) and the caller must take the general path.
 */
int rootfs_read_dir_fast(struct hv_root *r, const char *path, size_t max,
			 char **ret, size_t *len);

/* ---- rootfs-mem.c ---- */

/* Adds path (absolute) to a memory root: a file or link with data, or a
 * directory; a later entry replaces an earlier one.  -EINVAL for a
 * directory root or a path with "..". */
int rootfs_add_entry(struct hv_root *r, const char *path, enum ntype type,
		     const void *data, size_t len);
/* The last component of path. */
const char *rootfs_base_name(const char *path);
/* Normalises an absolute path: no "//", no "/." and no trailing "/"
 * (malloc'd). */
char *rootfs_normalise(const char *path);

/* ---- rootfs-record.c: each does nothing unless recording ---- */

void rootfs_record_link(struct hv_root *r, const char *path, const char *target);
/* A resolved path exists: a directory as such, a file with its content. */
void rootfs_record_existing(struct hv_root *r, const char *real);
/* A directory listed: v[0..nv) are its entries. */
void rootfs_record_list(struct hv_root *r, const char *real, char **v, size_t nv);
