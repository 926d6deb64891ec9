/* SPDX-License-Identifier: MIT */
/* A one-line progress bar with rate and ETA, drawn only on a terminal. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The bar is drawn on stderr when stderr is a terminal (and never
 * otherwise), at most ten times a second, and erased by
 * hv_progress_done().  `done` and `total` are the bytes the command
 * works through: the virtual disk's for a local copy (holes included,
 * as the user sees the disk move), the body's for a transfer (a sparse
 * VHD's: data), so that rate and ETA are those of the bytes that cost.
 * Nothing is allocated; a struct on the stack is enough.
 */
struct hv_progress {
	const char *label;	/* borrowed; shown before the bar */
	unsigned part, parts;	/* "disk PART/PARTS" after the label; 0: none */
	uint64_t total;
	uint64_t done;
	uint64_t start_ns, last_ns;
	bool enabled;
	bool drawn;
};

/* enabled: false silences the bar even on a terminal (e.g. -q, --json). */
void hv_progress_init(struct hv_progress *p, const char *label,
		      uint64_t total, bool enabled);
void hv_progress_update(struct hv_progress *p, uint64_t done);
/* Erases the bar, leaving the cursor at the start of an empty line. */
void hv_progress_done(struct hv_progress *p);
/*
 * Ends a bar's line with a newline when one is on the terminal, so that a
 * signal that ends the run (Ctrl-C) leaves no half line for the shell's
 * prompt: async-signal-safe, for a fatal-signal handler.  While a bar is
 * drawn and SIGINT, SIGTERM, SIGHUP or SIGQUIT have their default action,
 * the bar handles them itself (this, then the default action).
 */
void hv_progress_break_line(void);

/* The bar's line for the given elapsed seconds, at most cols columns
 * (the bar itself shrinks, then goes): exposed for the unit tests. */
void hv_progress_fmt_line(char *buf, size_t sz, const struct hv_progress *p,
			  double secs, unsigned cols);
/* Formats "12.3 MiB/s", "1:02:03": exposed for the unit tests. */
void hv_progress_fmt_rate(char *buf, size_t sz, double bytes_per_s);
void hv_progress_fmt_eta(char *buf, size_t sz, double seconds);
