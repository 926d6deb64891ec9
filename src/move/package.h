/* SPDX-License-Identifier: MIT */
/* What `move import` and `move pull` share about the package they read
 * and the directory they write: the kind of an input package (XVA, OVA,
 * OVF), the names of the VM's files in the output directory and the
 * writer of its disks in --disk-format. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "img.h"
#include "model.h"

/* What a package is, from its bytes and name. */
enum move_pkg_kind { MOVE_PKG_XVA, MOVE_PKG_OVA, MOVE_PKG_OVF };

/* What the package at fd (read from path) is: a tar whose first member
 * is ova.xml (XVA) or NAME.ovf (OVA), else a file named *.ovf.  None:
 * -EINVAL, with *ret_first (NULL, or malloc'd, printable) the first
 * member's name of a tar that is neither.  fd is rewound. */
int move_pkg_probe(const char *path, int fd, enum move_pkg_kind *ret, char **ret_first);

/* A file name made of name (a VM's): [A-Za-z0-9._-], not starting with
 * '.', at most 200 bytes; "guest" for none.  The caller frees. */
char *move_safe_name(const char *name);

/* The extension of a disk written in format f: qcow2, vhd or raw. */
const char *move_disk_ext(enum img_format f);

/* NAME-diskI.EXT: the file disk i is written to.  The caller frees. */
char *move_disk_file(const char *name, size_t i, const char *ext);

/* Points disk i at DIR/NAME-diskI.EXT (absolute), format EXT, as import
 * and pull do for the disk files they write (the disk becomes `local`). */
void move_retarget(struct mv_disk *dk, const char *dir, const char *name,
		   size_t i, const char *ext);

/* Opens the writer of format f (qcow2, dynamic or fixed VHD, else raw)
 * on out (fd, size and diags set). */
int move_disk_writer(struct img_out *out, enum img_format f);

/* In a VHD format f, every disk of vm but CDs must fit a VHD
 * (img_vhd_size_check); the first that does not: its error, with
 * *ret_i its index.  Other formats: 0. */
int move_vhd_sizes_check(const struct mv_vm *vm, enum img_format f, struct hv_diags *d,
			 size_t *ret_i);

/* Closes fd of a written file, with fsync first when sync (EINVAL,
 * a file that cannot sync, is no error): 0 or -errno. */
int move_finish_file(int fd, bool sync);

/* Writes len bytes of buf into the new file `file` of dfd (O_EXCL) and
 * finishes it as move_finish_file: 0 or -errno. */
int move_write_new(int dfd, const char *file, const void *buf, size_t len, bool sync);
