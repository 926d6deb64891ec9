/* SPDX-License-Identifier: MIT */
/* Messages to the user: the only place that writes to stderr. */
#pragma once

#include <sys/types.h>

#include <stdbool.h>

#include "diag.h"

/* Exit codes shared by every subcommand (documented in hvkit(1)). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern int log_verbosity;	/* 0 normal, 1 -v, -1 quiet */

__attribute__((format(printf, 1, 2))) void log_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
/* Prints collected diagnostics, each prefixed with "what: ", warnings of
 * one kind (the same text but for numbers and quoted names) at most
 * LOG_SAME_WARNINGS times, then "... and N more like it".  Returns the
 * number of errors among them. */
#define LOG_SAME_WARNINGS 10
size_t log_diags(const char *what, const struct hv_diags *d);

/*
 * An output path that is a symbolic link is written through, to the file
 * it names (renaming over it would replace the link): *ret_real is that
 * file's path (free it), or NULL when path is no link or names no path
 * (/proc/self/fd/N of a pipe).  A link that leads nowhere is refused in
 * one line: -ENOENT.
 */
int output_through_link(const char *path, char **ret_real);

/*
 * The directory that will hold file (an output's real path) is one where
 * a file can be made: it exists, is a directory, and a file can be made
 * in it (tried: an unnamed O_TMPFILE file, dropped at once; as root the
 * mode bits say nothing of /sys or /proc).  Otherwise one line naming
 * shown (the path as the user gave it) and the directory: -errno.
 */
int output_dir_check(const char *file, const char *shown);

/*
 * A file output's path names a file, not a directory ("new/", "x/.",
 * ".."): else one line, -EISDIR.
 */
int output_file_name(const char *path);

/*
 * The file an output path is written to, checked before anything is
 * made: output_through_link(), then only a regular file (or none) is
 * replaced; a directory, device node, FIFO or socket there, at the end
 * of a link or not, is refused in one line: -EEXIST; output_file_name(),
 * then output_dir_check().  Every -o and OUT that is renamed into place asks
 * this.
 */
int output_target(const char *path, char **ret_real);

/*
 * Writes data to path atomically (temporary file in the same directory,
 * fsync, rename), or to stdout when path is NULL or "-".  Returns 0 or a
 * negative errno after logging what failed.
 */
int write_output(const char *path, const char *data, size_t len);

/*
 * The mode a file written to path gets, as cp and qemu-img give it: the
 * permission bits of the regular file it replaces (never its set-id
 * bits), else 0666 less the umask.
 */
mode_t output_mode(const char *path);

/*
 * Gives tmp, about to be renamed over path, what the file it replaces
 * had: its owner (as root, as move's outputs and cp do) and
 * output_mode().
 */
void output_keep(const char *path, const char *tmp);
