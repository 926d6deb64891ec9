/* SPDX-License-Identifier: MIT */
/* The whole-VM subcommands of `hvkit move`. */
#pragma once

#include "cli.h"

int move_cmd_export(int argc, char **argv, struct hv_global *g);
int move_cmd_import(int argc, char **argv, struct hv_global *g);
int move_cmd_push(int argc, char **argv, struct hv_global *g);
int move_cmd_pull(int argc, char **argv, struct hv_global *g);
int move_cmd_check(int argc, char **argv, struct hv_global *g);

#include <stdbool.h>
#include <stdint.h>

#include "img.h"
#include "model.h"

/*
 * Opens the reader of each disk of vm (read from cfg) into ins[i] (fds[i]
 * its file, -1 for none), setting each disk's size; with metadata_only
 * every disk reads as disk_size zero bytes.  A missing disk file is an
 * error naming it.  Logs; the caller frees what was opened even on error.
 */
int move_open_disks(struct mv_vm *vm, const char *cfg, bool metadata_only,
		    uint64_t disk_size, struct img_in **ins, int *fds);

/* fd, opened from path by open_input(), made one that reads at offsets:
 * a character device is refused (-EINVAL), a regular file or block device
 * is kept, and standard input ("-") that is a pipe is spooled into an
 * unnamed temporary file (bounded by the room in $TMPDIR, else /var/tmp)
 * returned instead.  Consumes fd; on error *ret_why says why.  A negative
 * fd is passed through. */
int move_seekable_input(const char *path, int fd, const char **ret_why);

/* Parses "10G", "512M", "4096" (bytes; K, M, G, T are powers of 1024). */
int move_parse_size(const char *s, unsigned long long *ret);

/* --allow-setting KEY (import, pull): appends key (borrowed) to a, or
 * logs why not and returns EXIT_USAGE (disk and vif are never settings
 * to allow: hvkit builds them). */
struct xlcfg_allow;
int move_parse_allow(const char *key, struct xlcfg_allow *a);

/* The pre-flight of a move to XAPI (preflight.h) for export and push:
 * logs each finding (blockers as errors unless force) and returns -1 when
 * something blocks and force is not set, else 0. */
int move_preflight(const struct mv_vm *vm, const char *cfg, bool force);
