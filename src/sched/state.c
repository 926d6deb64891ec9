/* SPDX-License-Identifier: MIT */
/* State file, version 2: a line per guest, then its non-empty buckets,
 * then a checksum of everything before it:
 *
 *   hvkit-sched-state 2
 *   saved NS tick NS save-every NS pid N config PATH
 *   guest NAME KIND:SEL present 0|1 weight W started 0|1 last NS counter NS
 *         cap CP rate CP budget NS floor CP burst CP window S bucket S head IDX
 *         ramp S throttled 0|1 throttled-ns NS
 *   b IDX NS
 *   end xxh64 HEX16
 *
 * PATH, NAME and KIND:SEL are written with bytes outside '!'..'~' and '%'
 * as %XX.  Version 1 (no save-every, ramp, throttled, end line or escapes)
 * is still read: it is what hvkit wrote before checksums, and the daemon
 * rewrites it as version 2 at its first save.
 *
 * Generations: PATH is the newest, PATH.prev the one before (a hard link
 * made just before PATH is replaced), PATH.lock the daemon's lock. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "log.h"
#include "state.h"
#include "util.h"

#define MAGIC_V1 "hvkit-sched-state 1"
#define MAGIC "hvkit-sched-state 2"
#define END "end xxh64 "

/* Appends s with bytes outside '!'..'~' and '%' as %XX. */
static void add_escaped(struct strbuf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '%')
			strbuf_addc(out, (char)*p);
		else
			strbuf_addf(out, "%%%02X", *p);
	}
}

/* Two hex digits at s to a byte; -1 if they are not. */
static int hex2(const char *s)
{
	char h[3] = { s[0], s[0] ? s[1] : 0, 0 };

	if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]))
		return -1;
	return (int)strtoul(h, NULL, 16);
}

/* Undoes add_escaped() in place; -EINVAL on a bad or NUL escape. */
static int unescape(char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int v = hex2(p + 1);
		if (v <= 0)
			return -EINVAL;
		*o++ = (char)v;
		p += 2;
	}
	*o = 0;
	return 0;
}

void sched_state_format(const struct sched_state *st, struct strbuf *out)
{
	size_t start = out->len;

	strbuf_addf(out, MAGIC "\nsaved %" PRId64 " tick %" PRId64 " save-every %" PRId64
		    " pid %ld config ", st->saved_ns, st->tick_ns, st->save_every_ns, st->pid);
	if (st->config)
		add_escaped(out, st->config);
	else
		strbuf_addc(out, '-');
	strbuf_addc(out, '\n');
	for (size_t i = 0; i < st->n; i++) {
		const struct sched_state_guest *g = &st->v[i];
		const struct sched_acct *a = &g->acct;
		strbuf_adds(out, "guest ");
		add_escaped(out, g->name);
		strbuf_addc(out, ' ');
		add_escaped(out, g->selector);
		strbuf_addf(out, " present %d weight %u started %d last %" PRId64
			    " counter %" PRIu64 " cap %u rate %u budget %" PRIu64
			    " floor %u burst %u window %u bucket %u head %" PRId64
			    " ramp %u throttled %d throttled-ns %" PRIu64,
			    g->present, g->weight, a->started,
			    a->last_ns, a->last_counter_ns, a->cap_cp, a->rate_cp,
			    a->budget_ns, a->floor_cp, a->burst_cp, a->window_s,
			    a->bucket_s, a->head, a->ramp_s, a->throttled, a->throttled_ns);
		if (g->unreadable)
			strbuf_addf(out, " unreadable %u", g->unreadable);
		strbuf_addc(out, '\n');
		for (uint32_t k = 0; a->sum_ns && k < a->nbuckets; k++) {
			int64_t j = a->head - (int64_t)k;
			uint64_t v = a->ring[(uint64_t)j % a->nbuckets];
			if (v)
				strbuf_addf(out, "b %" PRId64 " %" PRIu64 "\n", j, v);
		}
	}
	strbuf_addf(out, END "%016llx\n",
		    (unsigned long long)XXH64(out->buf + start, out->len - start, 0));
}

static void guest_release(struct sched_state_guest *g)
{
	free(g->name);
	free(g->selector);
	free(g->host);
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

/* A number as sched_state_format() writes it: [-]digits, no '+', no
 * leading zero, nothing else. */
static int num_i64(const char *s, int64_t *ret)
{
	uint64_t v;
	bool neg = *s == '-';
	const char *p = s + neg;
	if (!isdigit((unsigned char)*p) || (*p == '0' && p[1]) || p[strspn(p, "0123456789")] ||
	    parse_u64(p, 10, &v) < 0 || v > INT64_MAX)
		return -EINVAL;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int parse_guest_line(char **w, int n, int version, struct sched_state *st,
			    int64_t now_ns, struct hv_diags *d, unsigned lineno)
{
	static const char *const keys[] = { "present", "weight", "started", "last",
		"counter", "cap", "rate", "budget", "floor", "burst", "window",
		"bucket", "head", "ramp", "throttled", "throttled-ns" };
	size_t nkeys = version == 1 ? 13 : ARRAY_SIZE(keys);
	int64_t val[ARRAY_SIZE(keys)] = { 0 };

	int64_t unreadable = 0;

	/* Version 2 may end in "unreadable N" (state.h). */
	if (version > 1 && n == 5 + 2 * (int)nkeys) {
		if (strcmp(w[n - 2], "unreadable") || num_i64(w[n - 1], &unreadable) < 0 ||
		    unreadable <= 0 || unreadable > UINT32_MAX)
			return hv_errorf(d, "line %u: expected 'unreadable NUMBER' (1 to %u) at the end",
					 lineno, UINT32_MAX);
		n -= 2;
	}
	if (n != 3 + 2 * (int)nkeys)
		return hv_errorf(d, "line %u: malformed guest line", lineno);
	for (size_t k = 0; k < nkeys; k++) {
		if (strcmp(w[3 + 2 * k], keys[k]) != 0 || num_i64(w[4 + 2 * k], &val[k]) < 0)
			return hv_errorf(d, "line %u: expected '%s NUMBER'", lineno, keys[k]);
	}
	uint64_t window = (uint64_t)val[10], bucket = (uint64_t)val[11];
	for (size_t k = 0; k < nkeys; k++)
		if (val[k] < 0 && k != 3 && k != 12)
			return hv_errorf(d, "line %u: negative '%s'", lineno, keys[k]);
	if (val[0] > 1 || val[2] > 1 || val[1] > 65535 || val[5] > SCHED_CAP_MAX_CP ||
	    val[6] > SCHED_CAP_MAX_CP || val[8] > SCHED_CAP_MAX_CP ||
	    val[9] > SCHED_CAP_MAX_CP || window > SCHED_MAX_WINDOW_S ||
	    (window && (bucket == 0 || window / bucket + 1 > 4097)) ||
	    (uint64_t)val[7] > (uint64_t)SCHED_CAP_MAX_CP * SCHED_MAX_WINDOW_S * 100000ull ||
	    val[13] > 2 * (int64_t)SCHED_MAX_WINDOW_S || val[14] > 1)
		return hv_errorf(d, "line %u: value out of range", lineno);
	if (version > 1 && (unescape(w[1]) < 0 || unescape(w[2]) < 0))
		return hv_errorf(d, "line %u: bad %%XX escape in a name", lineno);
	if (strlen(w[1]) > SCHED_MAX_NAME || strlen(w[2]) > SCHED_MAX_SELECTOR + 8)
		return hv_errorf(d, "line %u: name too long", lineno);
	/* Only what the engine itself writes: anything else contradicts
	 * itself, and reading it would refund or drop a charge. */
	if (bucket != (window ? sched_bucket_s((uint32_t)window) : 0))
		return hv_errorf(d, "line %u: bucket %" PRIu64 " s, but a window of %" PRIu64
				 " s has buckets of %u s", lineno, bucket, window,
				 window ? sched_bucket_s((uint32_t)window) : 0);
	if (val[3] > now_ns + SCHED_STATE_SKEW_NS || (st->saved_ns && val[3] > st->saved_ns + SCHED_STATE_SKEW_NS))
		return hv_errorf(d, "line %u: last sample %.0f s after %s", lineno,
				 (double)(val[3] - (val[3] > now_ns + SCHED_STATE_SKEW_NS
						    ? now_ns : st->saved_ns)) / 1e9,
				 val[3] > now_ns + SCHED_STATE_SKEW_NS ? "now" : "the save");
	if (window && val[12] > sched_floordiv(val[3], (int64_t)bucket * 1000000000LL))
		return hv_errorf(d, "line %u: head bucket %" PRId64 " is after the last sample's (%" PRId64 ")",
				 lineno, val[12], sched_floordiv(val[3], (int64_t)bucket * 1000000000LL));
	if (sched_state_find(st, w[1], w[2]))
		return hv_errorf(d, "line %u: guest '%s' (%s) given twice", lineno, w[1], w[2]);
	if (st->n >= SCHED_MAX_GUESTS)
		return hv_errorf(d, "line %u: too many guests", lineno);
	struct sched_state_guest *g = sched_state_add(st, w[1], w[2]);
	struct sched_acct *a = &g->acct;
	g->present = val[0];
	g->unreadable = (uint32_t)unreadable;
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
	a->ramp_s = (uint32_t)val[13];
	a->throttled = val[14];
	a->throttled_ns = (uint64_t)val[15];
	if (a->nbuckets)
		a->ring = xcalloc(a->nbuckets, sizeof(*a->ring));
	return 0;
}

/*
 * Checks a version 2 file's last line; returns the length of what it
 * covers, or -EINVAL with the reason.
 */
static int check_trailer(const char *text, size_t len, size_t *ret_body, struct hv_diags *d)
{
	size_t start;
	uint64_t want = 0;

	if (len == 0 || text[len - 1] != '\n')
		return hv_errorf(d, "truncated: the file does not end with a full line");
	for (start = len - 1; start > 0 && text[start - 1] != '\n'; start--)
		;
	size_t n = len - 1 - start, pre = strlen(END);
	if (n != pre + 16 || memcmp(text + start, END, pre) != 0)
		return hv_errorf(d, "truncated (or added to): the last line is not '" END "HEX'");
	for (size_t i = 0; i < 16; i += 2) {
		int v = hex2(text + start + pre + i);
		if (v < 0)
			return hv_errorf(d, "truncated (or added to): the last line is not '" END "HEX'");
		want = want << 8 | (uint64_t)v;
	}
	uint64_t got = XXH64(text, start, 0);
	if (got != want)
		return hv_errorf(d, "damaged: checksum %016llx does not match the end line's %016llx",
				 (unsigned long long)got, (unsigned long long)want);
	*ret_body = start;
	return 0;
}

int sched_state_parse(const char *text, size_t len, struct sched_state *ret,
		      struct hv_diags *d)
{
	struct sched_state st = { 0 };
	char *buf = NULL, *save = NULL, *w[40];
	unsigned lineno = 0;
	int rc = 0, n;
	int64_t prev_b = INT64_MAX;	/* the last bucket of this guest */
	size_t l1 = strlen(MAGIC);

	int64_t now_ns = clock_ns(CLOCK_REALTIME);

	if (len == 0)
		return hv_errorf(d, "empty file");
	if (memchr(text, 0, len))
		return hv_errorf(d, "NUL byte: not a state file");
	if (len >= l1 && memcmp(text, MAGIC, l1) == 0 && (len == l1 || text[l1] == '\n')) {
		st.version = 2;
		if ((rc = check_trailer(text, len, &len, d)) < 0)
			return rc;
	} else if (len >= l1 && memcmp(text, MAGIC_V1, l1) == 0 &&
		   (len == l1 || text[l1] == '\n')) {
		st.version = 1;
	} else {
		return hv_errorf(d, "line 1: not an hvkit sched state file (expected '%s')", MAGIC);
	}
	buf = xstrndup(text, len);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1)
			continue;	/* the magic, checked above */
		if ((n = split(line, w, (int)ARRAY_SIZE(w))) < 1) {
			rc = hv_errorf(d, "line %u: too many fields", lineno);
			goto out;
		}
		if (strcmp(w[0], "saved") == 0) {
			int64_t pid;
			int k = st.version == 1 ? 0 : 2;
			if (n != 8 + k || num_i64(w[1], &st.saved_ns) < 0 || strcmp(w[2], "tick") ||
			    num_i64(w[3], &st.tick_ns) < 0 ||
			    (k && (strcmp(w[4], "save-every") || num_i64(w[5], &st.save_every_ns) < 0 ||
				   st.save_every_ns < 0)) ||
			    strcmp(w[4 + k], "pid") || num_i64(w[5 + k], &pid) < 0 ||
			    strcmp(w[6 + k], "config") || (k && unescape(w[7 + k]) < 0)) {
				rc = hv_errorf(d, "line %u: malformed 'saved' line", lineno);
				goto out;
			}
			if (st.tick_ns <= 0 || st.saved_ns <= 0 ||
			    st.saved_ns > now_ns + SCHED_STATE_SKEW_NS) {
				rc = hv_errorf(d, "line %u: %s", lineno, st.tick_ns <= 0 ? "tick 0"
					       : st.saved_ns <= 0 ? "saved before 1970"
					       : "saved in the future (after now and the allowed clock skew)");
				goto out;
			}
			if (st.n) {
				rc = hv_errorf(d, "line %u: 'saved' after a guest", lineno);
				goto out;
			}
			st.pid = (long)pid;
			free(st.config);
			st.config = strcmp(w[7 + k], "-") ? xstrdup(w[7 + k]) : NULL;
		} else if (strcmp(w[0], "guest") == 0) {
			if ((rc = parse_guest_line(w, n, st.version, &st, now_ns, d, lineno)) < 0)
				goto out;
			prev_b = INT64_MAX;
		} else if (strcmp(w[0], "b") == 0) {
			int64_t j, v;
			struct sched_acct *a = st.n ? &st.v[st.n - 1].acct : NULL;
			const char *bad = n != 3 || num_i64(w[1], &j) < 0 || num_i64(w[2], &v) < 0
				? "malformed bucket (expected 'b INDEX NS')"
				: v < 0 ? "bucket with a negative charge"
				: !a ? "bucket before any guest line"
				: !a->nbuckets ? "bucket of a guest without a burst window"
				: j > a->head ? "bucket after the guest's head bucket"
				: j <= a->head - (int64_t)a->nbuckets ? "bucket older than the guest's window"
				: a->sum_ns + (uint64_t)v < a->sum_ns ? "buckets adding up past 2^64 ns" : NULL;
			if (bad) {
				rc = hv_errorf(d, "line %u: %s", lineno, bad);
				goto out;
			}
			/* As written: newest first, one line a bucket, none holding
			 * more than the most CPUs a guest may be given for its
			 * span (1,000 CPUs x bucket). */
			if (j >= prev_b) {
				rc = hv_errorf(d, "line %u: bucket %" PRId64 " %s", lineno, j,
					       j == prev_b ? "given twice" : "out of order");
				goto out;
			}
			if ((uint64_t)v > (uint64_t)a->bucket_s * 1000000000ull * (SCHED_CAP_MAX_CP / SCHED_CP_PER_CPU)) {
				rc = hv_errorf(d, "line %u: bucket %" PRId64 " holds %" PRId64 " ns, more than "
					       "%u CPUs x %u s", lineno, j, v, SCHED_CAP_MAX_CP / SCHED_CP_PER_CPU,
					       a->bucket_s);
				goto out;
			}
			prev_b = j;
			a->ring[(uint64_t)j % a->nbuckets] += (uint64_t)v;
			a->sum_ns += (uint64_t)v;
		} else {
			rc = hv_errorf(d, "line %u: unknown line '%.40s'", lineno, w[0]);
			goto out;
		}
	}
out:
	free(buf);
	if (rc < 0) {
		sched_state_release(&st);
		return rc;
	}
	*ret = st;
	return 0;
}

char *sched_state_prev_path(const char *path)
{
	return xasprintf("%s.prev", path);
}

char *sched_state_lock_path(const char *path)
{
	return xasprintf("%s.lock", path);
}

const char *sched_output_unfit(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 ? NULL : file_not_regular(st.st_mode);
}

void sched_state_origin_release(struct sched_state_origin *o)
{
	free(o->damage);
	free(o->prev_damage);
	memset(o, 0, sizeof(*o));
}

/* Reads a whole regular file of at most SCHED_MAX_STATE_FILE bytes. */
static int read_state_file(const char *path, struct strbuf *out, struct sched_state_file *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	char buf[65536];
	ssize_t r;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if ((uint64_t)sb.st_size > SCHED_MAX_STATE_FILE) {
		rc = -EFBIG;
		goto out;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		strbuf_add(out, buf, (size_t)r);
		/* Not a state file: its first line is refused by the parser,
		 * without reading (up to 256 MiB of) the rest. */
		size_t np = strlen(MAGIC) - 1;
		if (memcmp(out->buf, MAGIC, out->len < np ? out->len : np) != 0)
			break;
		if (out->len > SCHED_MAX_STATE_FILE) {
			rc = -EFBIG;
			goto out;
		}
	}
	*id = (struct sched_state_file){ .known = true, .dev = sb.st_dev, .ino = sb.st_ino,
					 .size = (off_t)out->len };
out:
	close(fd);
	return rc;
}

/* Reads and parses one generation; on failure *why says what is wrong. */
static int load_one(const char *path, struct sched_state *ret, struct sched_state_file *id,
		    char **why)
{
	struct strbuf sb = STRBUF_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	int rc = read_state_file(path, &sb, id);

	if (rc == -ENOENT) {
		*why = xstrdup("missing");
	} else if (rc == -EINVAL) {
		*why = xstrdup("not a regular file");
	} else if (rc == -EFBIG) {
		*why = xasprintf("larger than a state file can be (%u MiB): not read",
				 SCHED_MAX_STATE_FILE >> 20);
	} else if (rc < 0) {
		*why = xasprintf("cannot read it: %s", strerror(-rc));
	} else if ((rc = sched_state_parse(sb.buf, sb.len, ret, &d)) < 0) {
		*why = xstrdup(d.n ? d.v[d.n - 1].msg : "cannot parse it");
	}
	hv_diags_release(&d);
	strbuf_release(&sb);
	return rc;
}

int sched_state_load(const char *path, struct sched_state *ret,
		     struct sched_state_origin *origin)
{
	struct sched_state_origin o = { 0 };
	struct sched_state_file id;
	_cleanup_free_ char *prev = sched_state_prev_path(path);
	int rc, prc;

	memset(ret, 0, sizeof(*ret));
	rc = load_one(path, ret, &o.file, &o.damage);
	if (rc == 0) {
		o.gen = SCHED_STATE_CURRENT;
		goto out;
	}
	o.file.known = false;
	prc = load_one(prev, ret, &id, &o.prev_damage);
	if (prc == 0) {
		o.gen = SCHED_STATE_PREVIOUS;
	} else if (rc == -ENOENT && prc == -ENOENT) {
		o.gen = SCHED_STATE_FRESH;
		free(o.damage);
		free(o.prev_damage);
		o.damage = o.prev_damage = NULL;
	} else {
		o.gen = SCHED_STATE_LOST;
	}
out:
	*origin = o;
	return 0;
}

int sched_state_save(const char *path, const char *text, size_t len,
		     struct sched_state_file *file)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	_cleanup_free_ char *prev = sched_state_prev_path(path);
	_cleanup_free_ char *ptmp = xasprintf("%s.prev.tmp", path);
	struct stat sb;
	int fd, rc;

	/* Replaced by rename: a symlink would become a file of its own, and
	 * the state would live elsewhere than the admin set up. */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return -ELOOP;
	mode_t mode = output_mode(path);	/* the file's own, else 0666 & ~umask */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	rc = fchmod(fd, mode) < 0 ? -errno : 0;
	if (rc == 0)
		rc = write_all(fd, text, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc == 0 && fstat(fd, &sb) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		goto fail;
	/* The file being replaced becomes the previous generation, if it is
	 * the one we wrote last (a failure here only loses that copy). */
	struct stat cur;
	if (file->known && stat(path, &cur) == 0 && cur.st_dev == file->dev &&
	    cur.st_ino == file->ino && cur.st_size == file->size) {
		(void)unlink(ptmp);
		if (link(path, ptmp) == 0 && rename(ptmp, prev) < 0)
			(void)unlink(ptmp);
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	*file = (struct sched_state_file){ .known = true, .dev = sb.st_dev, .ino = sb.st_ino,
					   .size = sb.st_size };
	return 0;
fail:
	(void)unlink(tmp);
	return rc;
}

/* The pid holding the lock on fd: F_GETLK, else what the owner wrote
 * (it may be writing it now); 0 if neither tells. */
static long lock_owner(int fd)
{
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	long holder = 0;
	char buf[32];

	if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
		holder = q.l_pid;	/* 0 when in another pid namespace */
	for (int tries = 0; tries < 20 && holder <= 0; tries++) {
		ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
		uint64_t v;
		if (r > 0) {
			buf[r] = 0;
			buf[strcspn(buf, "\n")] = 0;
			if (parse_u64(buf, 10, &v) == 0 && v > 0 && v < (1u << 30))
				holder = (long)v;
		}
		if (holder <= 0)
			usleep(5000);
	}
	return holder > 0 ? holder : 0;
}

int sched_state_lock(const char *path, int *ret_fd, long *ret_holder)
{
	_cleanup_free_ char *lpath = sched_state_lock_path(path);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	/* Never through a symlink, nor onto a device or FIFO: it is truncated. */
	int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644), rc;
	struct stat sb;

	if (fd < 0)
		return -errno;
	rc = fstat(fd, &sb) < 0 ? -errno : !S_ISREG(sb.st_mode) ? -EINVAL : 0;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		rc = errno == EACCES || errno == EAGAIN ? -EBUSY : -errno;
		if (rc == -EBUSY)
			*ret_holder = lock_owner(fd);
		close(fd);
		return rc;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	errno = 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = errno ? -errno : -EIO;
		close(fd);
		return rc;
	}
	*ret_fd = fd;
	return 0;
}

int sched_state_lock_holder(const char *path, long *ret_holder)
{
	_cleanup_free_ char *lpath = sched_state_lock_path(path);
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(lpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;

	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_GETLK, &q) < 0) {
		rc = -errno;
	} else if (q.l_type == F_UNLCK) {
		rc = 0;
	} else {
		*ret_holder = lock_owner(fd);
		rc = 1;
	}
	close(fd);
	return rc;
}
