/* SPDX-License-Identifier: MIT */
/* The output a move command writes: a file or a directory under a
 * temporary name beside its final one (FINAL.tmp.XXXXXX), removed when the
 * command fails or is interrupted (SIGINT, SIGTERM, SIGHUP, SIGPIPE) and
 * renamed into place when it succeeds, so that no half-written output
 * ever carries the final name.  One per process at a time. */
#pragma once

/* Creates the temporary file (O_RDWR) or directory and traps the signals;
 * returns its fd (a directory's: O_DIRECTORY), or -1 with the reason
 * logged and errno kept. */
int tmpout_create_file(const char *final);
int tmpout_create_dir(const char *final);

/* Its current name, or NULL when there is none. */
const char *tmpout_path(void);

/* Renames it to final (a file becomes mode 0644 first); -errno, with the
 * temporary output left for tmpout_remove(). */
int tmpout_commit(const char *final);

/* Removes the temporary output, if any (a directory with its files). */
void tmpout_remove(void);
