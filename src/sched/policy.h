/* SPDX-License-Identifier: MIT */
/* hvkit-sched.conf(5): the policy language and its parser. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * CPU amounts are kept in centi-percent of one CPU ("cp"): 100% = 10000,
 * 150% = 15000, so 12.5% is exact and no floating point reaches the
 * engine.  SCHED_CAP_NONE means "no cap".
 */
#define SCHED_CP_PER_CPU 10000u
#define SCHED_CAP_NONE 0u
#define SCHED_CAP_MAX_CP (100000u * 100u)	/* 100,000% (1,000 CPUs) */

/* Limits on what a file may ask for (untrusted input). */
#define SCHED_MAX_GUESTS 65536
#define SCHED_MAX_BETWEEN 16
#define SCHED_MAX_NAME 64
#define SCHED_MAX_SELECTOR 1024
#define SCHED_MAX_FILE (16u << 20)
#define SCHED_MAX_WINDOW_S (7u * 86400u)

enum sched_sel_kind { SCHED_SEL_XEN, SCHED_SEL_LIBVIRT, SCHED_SEL_CGROUP,
		      SCHED_SEL_PID };

/* "burst P% for D per W, then cap Q% [over R]". */
struct sched_burst {
	uint32_t burst_cp;	/* P: the cap while budget is left */
	uint32_t floor_cp;	/* Q: the cap once it is spent */
	uint32_t dur_s;		/* D */
	uint32_t window_s;	/* W */
	uint32_t ramp_s;	/* "then cap Q% over R": R (0: at once) */
};

/* "between HH:MM-HH:MM cap P%" (local time; to < from wraps midnight). */
struct sched_between {
	uint16_t from_min, to_min;	/* minutes since midnight */
	uint32_t cap_cp;
};

struct sched_guest {
	char *name;			/* owned */
	enum sched_sel_kind kind;
	char *sel;			/* owned: the text after "kind:" */
	unsigned weight;		/* 0: leave the weight alone */
	uint32_t cap_cp;		/* SCHED_CAP_NONE: none */
	bool has_burst;
	struct sched_burst burst;
	struct sched_between between[SCHED_MAX_BETWEEN];
	unsigned nbetween;
	unsigned line;			/* where the block starts */
};

struct sched_policy {
	struct sched_guest *v;
	size_t n, alloc;
};

/*
 * Parses a whole file (text need not be NUL-terminated).  `file` names it
 * in messages.  On error returns -EINVAL with one "file:line:col: reason"
 * message in *d and leaves *ret untouched; on success fills *ret (release
 * it with sched_policy_release()).
 */
int sched_policy_parse(const char *file, const char *text, size_t len,
		       struct sched_policy *ret, struct hv_diags *d);
void sched_policy_release(struct sched_policy *p);
const struct sched_guest *sched_policy_find(const struct sched_policy *p,
					    const char *name);

const char *sched_sel_kind_name(enum sched_sel_kind k);
/* Formats cp as "20%", "12.5%" into buf. */
char *sched_cp_format(char *buf, size_t sz, uint32_t cp);
/* Parses "20%", "12.5%", "150%" (1% .. 100000%); -EINVAL otherwise. */
int sched_parse_percent(const char *s, uint32_t *ret_cp);
/* Parses "30s", "5m", "1h", "2d", "90" (seconds); -EINVAL otherwise. */
int sched_parse_duration(const char *s, uint32_t *ret_s);
/* "1s", "500ms", "0.25s", "2" (s): 10 ms .. 1 h.  -EINVAL otherwise. */
int sched_parse_tick(const char *s, int64_t *ret_ns);
/* The effective plain cap at a minute of the day: a matching `between`
 * replaces `cap` (several matching: the lowest); SCHED_CAP_NONE if none. */
uint32_t sched_guest_plain_cap(const struct sched_guest *g, int minute_of_day);

/* Reads and parses CONF, printing "file:line:col: reason" on error.
 * Returns 0 or a negative errno (already logged). */
int sched_load_policy(const char *path, struct sched_policy *ret);
