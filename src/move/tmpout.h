/* SPDX-License-Identifier: MIT */
/* The output a move command writes, so that no half-written output ever
 * carries the final name.  A file is made without a name (O_TMPFILE)
 * where the filesystem can, and linked in when complete: a run killed
 * with SIGKILL leaves nothing.  Elsewhere, and for a directory, it is
 * FINAL.tmp.hvkit-PID-XXXXXX beside the final name, locked while it is
 * written, removed when the command fails or is interrupted (SIGINT,
 * SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1/2, SIGALRM, SIGVTALRM,
 * SIGPROF; SIGXFSZ is ignored so that a write fails with EFBIG) and renamed into place when it succeeds; one
 * left by a killed run (its PID gone, its lock free, ours) is removed by
 * the next run into that directory.  A new file is made with mode 0666
 * less the umask (a directory 0777); a file that replaces one keeps that
 * file's mode (never a set-id bit; as root, its owner), as cp does.  One per
 * process at a time.  FINAL "-" is standard output: a file is written
 * unnamed in $TMPDIR (else /var/tmp) and copied there when complete (not
 * to a terminal); a directory is refused. */
#pragma once

#include <stdbool.h>

/* Whether final can be written at all, asked before anything is read:
 * "-" for a directory, or for a file while standard output is a
 * terminal, is a usage error, said in one line; EXIT_USAGE, else 0. */
int tmpout_check(const char *final, bool dir);

/* Creates the temporary file (O_RDWR) or directory and traps the signals;
 * returns its fd (a directory's: O_DIRECTORY), or -1 with the reason
 * logged and errno kept. */
int tmpout_create_file(const char *final);
int tmpout_create_dir(const char *final);

/* Its current name, or NULL when there is none. */
const char *tmpout_path(void);

/* Links or renames it to the final name it was made for (a file's
 * symbolic link followed); -errno, with the temporary output left for
 * tmpout_remove(). */
int tmpout_commit(void);

/* Removes the temporary output, if any (a directory with its files). */
void tmpout_remove(void);
