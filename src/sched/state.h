/* SPDX-License-Identifier: MIT */
/* The daemon's state file: every guest's account, saved atomically so that
 * a restart neither refunds nor charges; checksummed, with the previous
 * generation kept beside it, and locked by the daemon that writes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "engine.h"
#include "strbuf.h"

/* What a state file may be (untrusted input): larger is refused unread. */
#define SCHED_MAX_STATE_FILE (256u << 20)
/* Ticks in a row a guest's CPU time is unreadable before `status` says so
 * (a single failed read is not worth a line; the metric counts from 1). */
#define SCHED_UNREADABLE_SAY 3
/* How far after now a state's times may be (clocks of a pool's hosts, a
 * small step back): beyond it the file contradicts itself (damaged). */
#define SCHED_STATE_SKEW_NS (60LL * 1000000000LL)

struct sched_state_guest {
	char *name;		/* owned */
	char *selector;		/* owned: "kind:value" */
	bool present;		/* found at the last tick */
	unsigned weight;
	char *host;		/* owned: a pool's host (pool.h); NULL otherwise */
	uint32_t unreadable;	/* ticks in a row its CPU time could not be
				 * read (0: read at the last tick); saved as
				 * "unreadable N" at the end of the guest line
				 * when not 0, never in a pool's records */
	struct sched_acct acct;	/* owns its ring */
};

struct sched_state {
	int64_t saved_ns;	/* wall clock of the save */
	int64_t tick_ns;
	int64_t save_every_ns;	/* 0: not known (a version 1 file) */
	long pid;		/* the daemon that wrote it */
	char *config;		/* owned; may be NULL */
	int version;		/* of the file parsed; 0 for one built in memory */
	struct sched_state_guest *v;
	size_t n, alloc;
};

/*
 * Appends the text form (version 2, ending in its checksum line) to out.
 */
void sched_state_format(const struct sched_state *st, struct strbuf *out);
/*
 * Parses the text form (untrusted: bounded and checked): version 2, whose
 * last line must be "end xxh64 HEX" over every byte before it (a missing
 * line is a truncated file, a wrong one a damaged file), or version 1,
 * written before checksums, read as it is (migration).  On error returns
 * -EINVAL with a "line N: reason" or plain reason in *d, *ret untouched.
 */
int sched_state_parse(const char *text, size_t len, struct sched_state *ret,
		      struct hv_diags *d);
void sched_state_release(struct sched_state *st);
/* Adds a zeroed guest (name and selector copied) and returns it. */
struct sched_state_guest *sched_state_add(struct sched_state *st,
					  const char *name, const char *selector);
struct sched_state_guest *sched_state_find(struct sched_state *st,
					   const char *name, const char *selector);

/* Which generation sched_state_load() used. */
enum sched_state_gen {
	SCHED_STATE_FRESH,	/* neither file exists: a first start */
	SCHED_STATE_CURRENT,	/* PATH */
	SCHED_STATE_PREVIOUS,	/* PATH.prev: PATH is damaged or missing */
	SCHED_STATE_LOST,	/* both damaged (or PATH damaged, no PATH.prev) */
};

/* Identity of the state file on disk, to know it is still ours. */
struct sched_state_file {
	bool known;
	dev_t dev;
	ino_t ino;
	off_t size;
};

struct sched_state_origin {
	enum sched_state_gen gen;
	char *damage;		/* owned: why PATH was not used (PREVIOUS, LOST) */
	char *prev_damage;	/* owned: why PATH.prev was not used (LOST) */
	struct sched_state_file file;	/* of PATH when CURRENT */
};

/* PATH.prev and PATH.lock (owned by the caller). */
char *sched_state_prev_path(const char *path);
char *sched_state_lock_path(const char *path);

/*
 * Why path cannot be an output that each write renames a new file over
 * (STATE, --metrics-file): "a symbolic link" (the rename would replace
 * it), "a directory, not a regular file", "a FIFO, ..." and so on; NULL
 * when it is absent or a regular file (or lstat fails otherwise: the
 * write says why).  lstat only: nothing is opened or created.
 */
const char *sched_output_unfit(const char *path);

/*
 * Reads the state at path the way `run` and `status` both do: PATH if it
 * parses (and its checksum holds), else PATH.prev, else nothing.  Returns
 * 0 with *ret filled for CURRENT and PREVIOUS, 0 with *ret empty for FRESH
 * and LOST; *origin says which (release it with
 * sched_state_origin_release()).  Never prints.
 */
int sched_state_load(const char *path, struct sched_state *ret,
		     struct sched_state_origin *origin);
void sched_state_origin_release(struct sched_state_origin *o);

/*
 * Writes text to path atomically (a temporary file, fsync, rename).  When
 * `*file` says the file now at path is the one last written through it
 * (same inode and size), that file first becomes PATH.prev (a hard link,
 * so PATH itself never goes missing); otherwise PATH.prev is left alone,
 * so a damaged or foreign PATH never replaces a good previous generation.
 * On success *file describes the new file.  Returns 0 or -errno.
 */
int sched_state_save(const char *path, const char *text, size_t len,
		     struct sched_state_file *file);

/*
 * Takes the daemon's lock, a POSIX write lock on PATH.lock (created 0644,
 * never removed; it holds the owner's pid as text).  Returns 0 with the
 * open descriptor in *ret_fd (keep it open for the life of the process);
 * -EBUSY when another process holds it, with its pid in *ret_holder (0 if
 * it cannot be told); another -errno when the lock file cannot be opened
 * (-ELOOP: a symlink, -EINVAL: not a regular file; neither is followed).
 */
int sched_state_lock(const char *path, int *ret_fd, long *ret_holder);
/*
 * Whether a daemon holds PATH.lock now, without taking it: 1 with its pid
 * in *ret_holder (0 if it cannot be told), 0 when free, -errno when
 * PATH.lock cannot be opened (-ENOENT: no daemon ever ran on PATH).
 */
int sched_state_lock_holder(const char *path, long *ret_holder);
