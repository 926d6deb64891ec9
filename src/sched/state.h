/* SPDX-License-Identifier: MIT */
/* The daemon's state file: every guest's account, saved atomically each
 * tick so that a restart neither refunds nor charges. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "engine.h"
#include "strbuf.h"

struct sched_state_guest {
	char *name;		/* owned */
	char *selector;		/* owned: "kind:value" */
	bool present;		/* found at the last tick */
	unsigned weight;
	struct sched_acct acct;	/* owns its ring */
};

struct sched_state {
	int64_t saved_ns;	/* wall clock of the save */
	int64_t tick_ns;
	long pid;		/* the daemon that wrote it */
	char *config;		/* owned; may be NULL */
	struct sched_state_guest *v;
	size_t n, alloc;
};

/* Appends the text form to out. */
void sched_state_format(const struct sched_state *st, struct strbuf *out);
/*
 * Parses the text form (untrusted: bounded and checked).  On error returns
 * -EINVAL with a "line N: reason" message in *d, *ret untouched.
 */
int sched_state_parse(const char *text, size_t len, struct sched_state *ret,
		      struct hv_diags *d);
void sched_state_release(struct sched_state *st);
/* Adds a zeroed guest (name and selector copied) and returns it. */
struct sched_state_guest *sched_state_add(struct sched_state *st,
					  const char *name, const char *selector);
struct sched_state_guest *sched_state_find(struct sched_state *st,
					   const char *name, const char *selector);
