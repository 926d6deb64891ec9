/* SPDX-License-Identifier: MIT */
/* Prometheus text format 0.0.4 of the daemon's state: one family per
 * quantity, base units (seconds, CPUs as a ratio of one CPU), counters
 * ending in _total.  The names are documented in hvkit-sched(1). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

enum kind { GAUGE, COUNTER };
/* Which guests a family has a sample for. */
enum want { ALL, STARTED, CAPPED, WEIGHTED, BURST };

enum field { F_PRESENT, F_CPU, F_USAGE, F_CAP, F_WEIGHT, F_BUDGET, F_LEFT, F_EXCESS,
	     F_WINDOW, F_REFILL, F_THROTTLED, F_THROTTLED_TOTAL, F_UNREADABLE };

static const struct family {
	const char *name;
	enum kind kind;
	enum want want;
	enum field field;
	const char *help;
} families[] = {
	{ "hvkit_sched_guest_present", GAUGE, ALL, F_PRESENT,
	  "1 when the guest was found at the last tick, else 0" },
	{ "hvkit_sched_guest_unreadable_ticks", GAUGE, ALL, F_UNREADABLE,
	  "Ticks in a row the guest's CPU time could not be read (0: read at the last tick); "
	  "what it used meanwhile is charged at the next good read" },
	{ "hvkit_sched_guest_cpu_seconds_total", COUNTER, STARTED, F_CPU,
	  "CPU time the guest has used, as its backend counts it (restarts with the guest)" },
	{ "hvkit_sched_guest_cpu_usage_ratio", GAUGE, ALL, F_USAGE,
	  "CPU used over the last tick, in CPUs (1 is one CPU busy)" },
	{ "hvkit_sched_guest_cap_ratio", GAUGE, CAPPED, F_CAP,
	  "Cap in force, in CPUs (no sample when the guest is not capped)" },
	{ "hvkit_sched_guest_weight", GAUGE, WEIGHTED, F_WEIGHT,
	  "Scheduler weight the daemon set (no sample when it leaves the weight alone)" },
	{ "hvkit_sched_guest_budget_seconds", GAUGE, BURST, F_BUDGET,
	  "CPU time above the cap after the burst that the guest may use in any window" },
	{ "hvkit_sched_guest_budget_left_seconds", GAUGE, BURST, F_LEFT,
	  "Budget left now, in CPU seconds (0 when spent)" },
	{ "hvkit_sched_guest_window_excess_seconds", GAUGE, BURST, F_EXCESS,
	  "CPU time above the cap after the burst charged to the current window" },
	{ "hvkit_sched_guest_window_seconds", GAUGE, BURST, F_WINDOW,
	  "Length of the burst rule's sliding window" },
	{ "hvkit_sched_guest_refill_seconds", GAUGE, BURST, F_REFILL,
	  "Time until the whole budget is back (0 when it is whole)" },
	{ "hvkit_sched_guest_throttled", GAUGE, BURST, F_THROTTLED,
	  "1 while the burst rule holds the cap below the burst (budget spent or ending)" },
	{ "hvkit_sched_guest_throttled_seconds_total", COUNTER, BURST, F_THROTTLED_TOTAL,
	  "Time the burst rule has held the cap below the burst" },
};

/* Seconds from nanoseconds, exactly: "12.5", "0.000000001", "3". */
static void add_ns(struct strbuf *out, int64_t ns)
{
	char frac[16];
	int n;

	if (ns < 0) {
		strbuf_addc(out, '-');
		ns = -ns;
	}
	strbuf_addf(out, "%" PRId64, ns / 1000000000);
	n = snprintf(frac, sizeof(frac), "%09" PRId64, ns % 1000000000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	if (n)
		strbuf_addf(out, ".%s", frac);
}

static void add_cp(struct strbuf *out, uint32_t cp)
{
	add_ns(out, (int64_t)cp * (1000000000 / SCHED_CP_PER_CPU));
}

/* A label value: backslash, double quote and newline escaped; any other
 * byte outside printable ASCII (none passes the conf's parser, but a
 * label must stay valid UTF-8 for node_exporter, or it drops the whole
 * file) written as the text \xNN. */
static void add_label(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == '"')
			strbuf_addc(out, '\\');
		if (c == '\n')
			strbuf_adds(out, "\\n");
		else if (c < ' ' || c >= 0x7f)
			strbuf_addf(out, "\\\\x%02x", c);
		else
			strbuf_addc(out, *s);
	}
}

static bool has_sample(const struct family *f, const struct sched_state_guest *g)
{
	const struct sched_acct *a = &g->acct;

	switch (f->want) {
	case ALL: return true;
	case STARTED: return a->started;
	case CAPPED: return a->cap_cp != SCHED_CAP_NONE;
	case WEIGHTED: return g->weight != 0;
	case BURST: return a->nbuckets != 0;
	}
	return false;
}

static void add_value(struct strbuf *out, const struct family *f,
		      const struct sched_state_guest *g, int64_t now_ns)
{
	const struct sched_acct *a = &g->acct;
	uint32_t full = 0, any = 0;
	int64_t left;

	switch (f->field) {
	case F_PRESENT: strbuf_addf(out, "%d", g->present); break;
	case F_CPU: add_ns(out, (int64_t)(a->last_counter_ns & INT64_MAX)); break;
	case F_USAGE: add_cp(out, a->rate_cp); break;
	case F_CAP: add_cp(out, a->cap_cp); break;
	case F_WEIGHT: strbuf_addf(out, "%u", g->weight); break;
	case F_BUDGET: add_ns(out, (int64_t)a->budget_ns); break;
	case F_LEFT:
		left = sched_acct_left_at(a, now_ns);
		add_ns(out, left > 0 ? left : 0);
		break;
	case F_EXCESS:
		left = sched_acct_left_at(a, now_ns);
		add_ns(out, (int64_t)a->budget_ns - left);
		break;
	case F_WINDOW: strbuf_addf(out, "%u", a->window_s); break;
	case F_REFILL:
		sched_acct_refill(a, now_ns, &full, &any);
		strbuf_addf(out, "%u", full);
		break;
	case F_THROTTLED: strbuf_addf(out, "%d", a->throttled); break;
	case F_THROTTLED_TOTAL: add_ns(out, (int64_t)(a->throttled_ns & INT64_MAX)); break;
	case F_UNREADABLE: strbuf_addf(out, "%u", g->unreadable); break;
	}
}

void sched_metrics_format(const struct sched_state *st, int64_t now_ns, int64_t updated_ns,
			  struct strbuf *out)
{
	strbuf_adds(out, "# HELP hvkit_sched_guests Guests in the policy\n"
		      "# TYPE hvkit_sched_guests gauge\n");
	strbuf_addf(out, "hvkit_sched_guests %zu\n", st->n);
	strbuf_adds(out, "# HELP hvkit_sched_tick_seconds Time between two ticks of the daemon\n"
		      "# TYPE hvkit_sched_tick_seconds gauge\nhvkit_sched_tick_seconds ");
	add_ns(out, st->tick_ns);
	strbuf_adds(out, "\n# HELP hvkit_sched_last_update_timestamp_seconds When these "
		      "numbers were taken (Unix time)\n"
		      "# TYPE hvkit_sched_last_update_timestamp_seconds gauge\n"
		      "hvkit_sched_last_update_timestamp_seconds ");
	add_ns(out, updated_ns);
	strbuf_addc(out, '\n');
	for (size_t k = 0; k < ARRAY_SIZE(families); k++) {
		const struct family *f = &families[k];
		bool any = false;
		for (size_t i = 0; i < st->n && !any; i++)
			any = has_sample(f, &st->v[i]);
		if (!any)
			continue;
		strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
			    f->kind == COUNTER ? "counter" : "gauge");
		for (size_t i = 0; i < st->n; i++) {
			const struct sched_state_guest *g = &st->v[i];
			if (!has_sample(f, g))
				continue;
			strbuf_addf(out, "%s{guest=\"", f->name);
			add_label(out, g->name);
			strbuf_adds(out, "\",selector=\"");
			add_label(out, g->selector);
			strbuf_adds(out, "\"} ");
			add_value(out, f, g, now_ns);
			strbuf_addc(out, '\n');
		}
	}
}

int sched_metrics_write(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	mode_t mode = output_mode(path);	/* the file's own, else 0666 & ~umask */
	int fd = mkostemp(tmp, O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		rc = -errno;
	while (len && rc == 0) {
		ssize_t r = write(fd, text, len);
		if (r < 0 && errno != EINTR)
			rc = -errno;
		else if (r > 0) {
			text += r;
			len -= (size_t)r;
		}
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		(void)unlink(tmp);
	return rc;
}
