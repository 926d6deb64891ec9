/* SPDX-License-Identifier: MIT */
/* State file: a line per guest, then its non-empty buckets:
 *
 *   hvkit-sched-state 1
 *   saved NS tick NS pid N config PATH
 *   guest NAME KIND:SEL present 0|1 weight W started 0|1 last NS counter NS
 *         cap CP rate CP budget NS floor CP burst CP window S bucket S head IDX
 *   b IDX NS
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "util.h"

#define MAGIC "hvkit-sched-state 1"

void sched_state_format(const struct sched_state *st, struct strbuf *out)
{
	strbuf_addf(out, MAGIC "\nsaved %" PRId64 " tick %" PRId64 " pid %ld config %s\n",
		    st->saved_ns, st->tick_ns, st->pid, st->config ? st->config : "-");
	for (size_t i = 0; i < st->n; i++) {
		const struct sched_state_guest *g = &st->v[i];
		const struct sched_acct *a = &g->acct;
		strbuf_addf(out, "guest %s %s present %d weight %u started %d last %" PRId64
			    " counter %" PRIu64 " cap %u rate %u budget %" PRIu64
			    " floor %u burst %u window %u bucket %u head %" PRId64 "\n",
			    g->name, g->selector, g->present, g->weight, a->started,
			    a->last_ns, a->last_counter_ns, a->cap_cp, a->rate_cp,
			    a->budget_ns, a->floor_cp, a->burst_cp, a->window_s,
			    a->bucket_s, a->head);
		for (uint32_t k = 0; a->sum_ns && k < a->nbuckets; k++) {
			int64_t j = a->head - (int64_t)k;
			uint64_t v = a->ring[(uint64_t)j % a->nbuckets];
			if (v)
				strbuf_addf(out, "b %" PRId64 " %" PRIu64 "\n", j, v);
		}
	}
}

static void guest_release(struct sched_state_guest *g)
{
	free(g->name);
	free(g->selector);
	sched_acct_release(&g->acct);
}

void sched_state_release(struct sched_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		guest_release(&st->v[i]);
	free(st->v);
	free(st->config);
	memset(st, 0, sizeof(*st));
}

struct sched_state_guest *sched_state_add(struct sched_state *st,
					  const char *name, const char *selector)
{
	st->v = xgrow(st->v, sizeof(*st->v), st->n + 1, &st->alloc);
	struct sched_state_guest *g = &st->v[st->n++];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->selector = xstrdup(selector);
	return g;
}

struct sched_state_guest *sched_state_find(struct sched_state *st,
					   const char *name, const char *selector)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].name, name) == 0 &&
		    strcmp(st->v[i].selector, selector) == 0)
			return &st->v[i];
	return NULL;
}

/* Splits a line into at most max blank-separated words (in place). */
static int split(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

static int num_i64(const char *s, int64_t *ret)
{
	uint64_t v;
	bool neg = *s == '-';
	if (parse_u64(s + neg, 10, &v) < 0 || v > INT64_MAX)
		return -EINVAL;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int parse_guest_line(char **w, int n, struct sched_state *st, struct hv_diags *d,
			    unsigned lineno)
{
	static const char *const keys[] = { "present", "weight", "started", "last",
		"counter", "cap", "rate", "budget", "floor", "burst", "window",
		"bucket", "head" };
	int64_t val[ARRAY_SIZE(keys)];

	if (n != 3 + 2 * (int)ARRAY_SIZE(keys))
		return hv_errorf(d, "line %u: malformed guest line", lineno);
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		if (strcmp(w[3 + 2 * k], keys[k]) != 0 || num_i64(w[4 + 2 * k], &val[k]) < 0)
			return hv_errorf(d, "line %u: expected '%s NUMBER'", lineno, keys[k]);
	}
	uint64_t window = (uint64_t)val[10], bucket = (uint64_t)val[11];
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (val[k] < 0 && k != 3 && k != 12)
			return hv_errorf(d, "line %u: negative '%s'", lineno, keys[k]);
	if (val[0] > 1 || val[2] > 1 || val[1] > 65535 || val[5] > SCHED_CAP_MAX_CP ||
	    val[6] > SCHED_CAP_MAX_CP || val[8] > SCHED_CAP_MAX_CP ||
	    val[9] > SCHED_CAP_MAX_CP || window > SCHED_MAX_WINDOW_S ||
	    (window && (bucket == 0 || window / bucket + 1 > 4097)) ||
	    (uint64_t)val[7] > (uint64_t)SCHED_CAP_MAX_CP * SCHED_MAX_WINDOW_S * 100000ull)
		return hv_errorf(d, "line %u: value out of range", lineno);
	if (strlen(w[1]) > SCHED_MAX_NAME || strlen(w[2]) > SCHED_MAX_SELECTOR + 8)
		return hv_errorf(d, "line %u: name too long", lineno);
	if (st->n >= SCHED_MAX_GUESTS)
		return hv_errorf(d, "line %u: too many guests", lineno);
	struct sched_state_guest *g = sched_state_add(st, w[1], w[2]);
	struct sched_acct *a = &g->acct;
	g->present = val[0];
	g->weight = (unsigned)val[1];
	a->started = val[2];
	a->last_ns = val[3];
	a->last_counter_ns = (uint64_t)val[4];
	a->cap_cp = (uint32_t)val[5];
	a->rate_cp = (uint32_t)val[6];
	a->budget_ns = (uint64_t)val[7];
	a->floor_cp = (uint32_t)val[8];
	a->burst_cp = (uint32_t)val[9];
	a->window_s = (uint32_t)window;
	a->bucket_s = window ? (uint32_t)bucket : 0;
	a->nbuckets = window ? (uint32_t)(window / bucket + 1) : 0;
	a->head = val[12];
	if (a->nbuckets)
		a->ring = xcalloc(a->nbuckets, sizeof(*a->ring));
	return 0;
}

int sched_state_parse(const char *text, size_t len, struct sched_state *ret,
		      struct hv_diags *d)
{
	struct sched_state st = { 0 };
	char *buf = xstrndup(text, len), *save = NULL, *w[40];
	unsigned lineno = 0;
	int rc = 0, n;

	if (strlen(buf) != len) {
		rc = hv_errorf(d, "NUL byte: not a state file");
		goto out;
	}
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, MAGIC) != 0) {
				rc = hv_errorf(d, "line 1: not an hvkit sched state file (expected '%s')", MAGIC);
				goto out;
			}
			continue;
		}
		if ((n = split(line, w, (int)ARRAY_SIZE(w))) < 1) {
			rc = hv_errorf(d, "line %u: too many fields", lineno);
			goto out;
		}
		if (strcmp(w[0], "saved") == 0) {
			int64_t pid;
			if (n != 8 || num_i64(w[1], &st.saved_ns) < 0 || strcmp(w[2], "tick") ||
			    num_i64(w[3], &st.tick_ns) < 0 || strcmp(w[4], "pid") ||
			    num_i64(w[5], &pid) < 0 || strcmp(w[6], "config")) {
				rc = hv_errorf(d, "line %u: malformed 'saved' line", lineno);
				goto out;
			}
			st.pid = (long)pid;
			free(st.config);
			st.config = strcmp(w[7], "-") ? xstrdup(w[7]) : NULL;
		} else if (strcmp(w[0], "guest") == 0) {
			if ((rc = parse_guest_line(w, n, &st, d, lineno)) < 0)
				goto out;
		} else if (strcmp(w[0], "b") == 0) {
			int64_t j, v;
			struct sched_acct *a = st.n ? &st.v[st.n - 1].acct : NULL;
			if (n != 3 || num_i64(w[1], &j) < 0 || num_i64(w[2], &v) < 0 || v < 0 ||
			    !a || !a->nbuckets || j > a->head || j <= a->head - (int64_t)a->nbuckets) {
				rc = hv_errorf(d, "line %u: malformed or misplaced bucket", lineno);
				goto out;
			}
			a->ring[(uint64_t)j % a->nbuckets] += (uint64_t)v;
			a->sum_ns += (uint64_t)v;
		} else {
			rc = hv_errorf(d, "line %u: unknown line '%.40s'", lineno, w[0]);
			goto out;
		}
	}
	if (lineno == 0)
		rc = hv_errorf(d, "empty state file");
out:
	free(buf);
	if (rc < 0) {
		sched_state_release(&st);
		return rc;
	}
	*ret = st;
	return 0;
}
