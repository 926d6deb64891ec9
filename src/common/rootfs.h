/* SPDX-License-Identifier: MIT */
/* Root-aware access to sysfs, procfs and firmware files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * Every probe reads the machine through a struct hv_root, never through
 * open(2) directly.  A root is either a directory laid out like "/" (the
 * live system when it is "/", or --sysroot DIR) or an in-memory tree
 * filled from archives and converted dumps (--from).  Both resolve
 * symbolic links themselves, component by component, so that an absolute
 * or ".." link can never leave the root.
 *
 * Paths are absolute ("/sys/devices/system/cpu").  Functions return 0 or a
 * negative errno and leave their out-parameters alone on failure.
 *
 * A root can record: every file read, directory listed and link followed
 * through it is copied into a second, in-memory root, which
 * hv_root_write_archive() then saves.  This is how `hvkit topo capture`
 * stores exactly what the probes read.
 */
struct hv_root;

/* Opens a directory as the root; "/" is the live system. */
int hv_root_open_dir(const char *dir, struct hv_root **ret);
/* A new, empty in-memory root. */
struct hv_root *hv_root_new_mem(void);
/* Frees the root (and not its recorder).  Accepts NULL, returns NULL. */
struct hv_root *hv_root_free(struct hv_root *r);
bool hv_root_is_live(const struct hv_root *r);
/* The directory of a directory root, NULL for a memory root. */
const char *hv_root_dir(const struct hv_root *r);

/*
 * Loads an archive (any format and compression libarchive reads) into a
 * memory root.  When every entry sits under one top directory that is not
 * itself part of a root filesystem ("16em64t-4s2c2t/sys/..."), that
 * directory is stripped.  Entries over 64 MiB, or archives over 1 GiB or
 * a million entries, are refused.  Errors go to d naming the entry.
 */
int hv_root_load_archive(struct hv_root *r, const char *path,
			 struct hv_diags *d);
/* The same from bytes in memory (an archive read from standard input). */
int hv_root_load_archive_mem(struct hv_root *r, const void *data, size_t len,
			     struct hv_diags *d);
/* True when data starts as an archive hv_root_load_archive() reads may:
 * gzip, bzip2, xz or zstd, or a tar header. */
bool hv_is_archive(const void *data, size_t n);
/* Adds a regular file (data copied), a symlink or a directory. */
int hv_root_add_file(struct hv_root *r, const char *path, const void *data,
		     size_t len);
int hv_root_add_link(struct hv_root *r, const char *path, const char *target);
int hv_root_add_dir(struct hv_root *r, const char *path);
/* Copies every entry of src into dst (later entries win). */
int hv_root_merge(struct hv_root *dst, const struct hv_root *src);

/* Reads a whole file (symlinks followed; at most 64 MiB).  *ret is
 * malloc'd and NUL-terminated; *len excludes the terminator. */
int hv_root_read(struct hv_root *r, const char *path, char **ret, size_t *len);
/*
 * Reads a whole file of at most max bytes (capped at 64 MiB); a larger one
 * is -EFBIG after one warning naming it (to the list of
 * hv_root_set_diags), so that a huge file where a small value belongs
 * costs one bounded read.
 */
int hv_root_read_max(struct hv_root *r, const char *path, size_t max,
		     char **ret, size_t *len);
/* Where hv_root_read_max() names files over their bound (NULL: nowhere). */
void hv_root_set_diags(struct hv_root *r, struct hv_diags *d);
/*
 * The bound of an attribute file.  sysfs gives most attributes in one page
 * (4096 bytes); the longest real values are CPU masks and lists: the mask
 * of 8192 CPUs is 2.3 KiB, that of 65536 (CPUSET_MAX) 18 KiB, and 64 KiB
 * holds either, and a list of any 8192 CPUs however scattered.
 */
#define HV_ROOT_ATTR_MAX (64u << 10)
/* Reads a text file (at most HV_ROOT_ATTR_MAX) with surrounding whitespace
 * removed. */
int hv_root_read_str(struct hv_root *r, const char *path, char **ret);
/* Reads an unsigned number: decimal, or hex with a 0x prefix. */
int hv_root_read_u64(struct hv_root *r, const char *path, uint64_t *ret);
/* Names in a directory, sorted with numbers in natural order ("cpu2" <
 * "cpu10"), without "." and "..".  Free with hv_strv_free(). */
int hv_root_list(struct hv_root *r, const char *path, char ***ret, size_t *n);
void hv_strv_free(char **v, size_t n);
/* The target of a symlink, as stored. */
int hv_root_readlink(struct hv_root *r, const char *path, char **ret);
/* The path with every symlink resolved, absolute within the root. */
int hv_root_realpath(struct hv_root *r, const char *path, char **ret);
bool hv_root_exists(struct hv_root *r, const char *path);
bool hv_root_is_dir(struct hv_root *r, const char *path);

/* Starts recording into rec (a memory root, owned by the caller). */
void hv_root_record(struct hv_root *r, struct hv_root *rec);
/* Records data as the content of path (resolved first) without reading
 * it: for bytes obtained another way, such as PCI config through libpci. */
int hv_root_record_file(struct hv_root *r, const char *path, const void *data,
			size_t len);

/* Adds a file to the recorder as it is, at path (no resolution in the
 * root): for data that has no file in the root at all, such as what
 * libxl reports.  No-op when not recording. */
int hv_root_record_add(struct hv_root *r, const char *path, const void *data,
		       size_t len);

/*
 * Writes a memory root as a gzip-compressed tar archive.  Extra entries
 * can be filtered out with skip (return true to omit a path).  The file
 * appears atomically: it is written under a temporary name and renamed.
 * Path "-" is standard output: written whole to an unnamed temporary
 * file first (tmpfile_unnamed()), then copied there.
 */
int hv_root_write_archive(const struct hv_root *mem, const char *path,
			  bool (*skip)(const char *path, void *ctx), void *ctx,
			  struct hv_diags *d);
/* Calls fn for every regular file of a memory root, in insertion order. */
int hv_root_foreach_file(const struct hv_root *mem,
			 int (*fn)(const char *path, const char *data,
				   size_t len, void *ctx),
			 void *ctx);
