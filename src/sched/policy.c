/* SPDX-License-Identifier: MIT */
/* hvkit-sched.conf(5): tokenizer and recursive-descent parser.  The input
 * is untrusted (a fuzz target drives it): every length and count is
 * bounded, and the first error stops the parse with its location.
 * sched_load_policy() reads and parses a file for the verbs. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "strbuf.h"
#include "util.h"

enum tok_type { T_EOF, T_NL, T_WORD, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE,
		T_COMMA, T_ERR };

struct tok {
	enum tok_type type;
	unsigned line, col;
	struct strbuf text;	/* the word, unquoted */
	bool quoted;		/* T_WORD written in double quotes */
	const char *why;	/* T_ERR: what is wrong */
};

struct parser {
	const char *file;
	const char *s, *end;
	unsigned line, col;
	struct tok t;		/* current token */
	struct hv_diags *d;
};

static bool is_word_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && !strchr("(){},;#\"", c);
}

static void adv(struct parser *p)
{
	if (*p->s == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->s++;
}

/* Reads the next token into p->t. */
static void next(struct parser *p)
{
	struct tok *t = &p->t;

	strbuf_reset(&t->text);
	for (;;) {
		while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\r'))
			adv(p);
		if (p->s < p->end && *p->s == '#') {
			while (p->s < p->end && *p->s != '\n')
				adv(p);
			continue;
		}
		break;
	}
	t->line = p->line;
	t->col = p->col;
	t->quoted = false;
	if (p->s >= p->end) {
		t->type = T_EOF;
		return;
	}
	unsigned char c = (unsigned char)*p->s;
	switch (c) {
	case '\n': case ';': t->type = T_NL; break;
	case '(': t->type = T_LPAREN; break;
	case ')': t->type = T_RPAREN; break;
	case '{': t->type = T_LBRACE; break;
	case '}': t->type = T_RBRACE; break;
	case ',': t->type = T_COMMA; break;
	default: t->type = T_WORD; break;
	}
	if (t->type != T_WORD) {
		strbuf_addc(&t->text, (char)c);
		adv(p);
		return;
	}
	if (c == '"') {
		t->quoted = true;
		adv(p);
		while (p->s < p->end && *p->s != '"' && *p->s != '\n') {
			if (*p->s == '\\') {
				/* \" and \\ only: "\t" is no tab, and two
				 * spellings of one name would be one too many. */
				if (p->s + 1 >= p->end || (p->s[1] != '"' && p->s[1] != '\\')) {
					t->type = T_ERR;
					t->line = p->line;
					t->col = p->col;
					t->why = "unknown escape in a quoted string (only \\\" and \\\\)";
					return;
				}
				adv(p);
			}
			if ((unsigned char)*p->s < ' ' || *p->s == 0x7f) {
				t->type = T_ERR;
				t->why = "control character in a quoted string";
				return;
			}
			strbuf_addc(&t->text, *p->s);
			adv(p);
			if (t->text.len > SCHED_MAX_SELECTOR) {
				t->type = T_ERR;
				t->why = "quoted string too long";
				return;
			}
		}
		if (p->s >= p->end || *p->s != '"') {
			t->type = T_ERR;
			t->why = "unterminated quoted string";
			return;
		}
		adv(p);
		return;
	}
	if (!is_word_char(c)) {
		t->type = T_ERR;
		t->why = c >= 0x80 ? "non-ASCII byte" : "unexpected character";
		strbuf_addf(&t->text, c >= ' ' && c < 0x7f ? "%c" : "\\x%02x", c);
		return;
	}
	while (p->s < p->end && is_word_char((unsigned char)*p->s)) {
		strbuf_addc(&t->text, *p->s);
		adv(p);
		if (t->text.len > SCHED_MAX_SELECTOR) {
			t->type = T_ERR;
			t->why = "word too long";
			return;
		}
	}
}

static const char *tok_desc(const struct tok *t, char *buf, size_t sz)
{
	switch (t->type) {
	case T_EOF: return "end of file";
	case T_NL: return t->text.buf[0] == ';' ? "';'" : "end of line";
	default:
		snprintf(buf, sz, "'%.60s%s'", t->text.buf, t->text.len > 60 ? "..." : "");
		return buf;
	}
}

/* Records "file:line:col: <why>, got <token>" and returns -EINVAL. */
__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[80];
	va_list ap;

	if (p->t.type == T_ERR) {
		strbuf_addf(&sb, "%s:%u:%u: %s", p->file, p->t.line, p->t.col, p->t.why);
		if (p->t.text.len)
			strbuf_addf(&sb, " '%.60s'", p->t.text.buf);
	} else {
		strbuf_addf(&sb, "%s:%u:%u: ", p->file, p->t.line, p->t.col);
		va_start(ap, fmt);
		strbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		strbuf_addf(&sb, ", got %s", tok_desc(&p->t, buf, sizeof(buf)));
	}
	(void)hv_errorf(p->d, "%s", sb.buf);
	strbuf_release(&sb);
	return -EINVAL;
}

/* Fails with a message at a given position with no "got" part. */
__attribute__((format(printf, 4, 5)))
static int fail_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s:%u:%u: ", p->file, line, col);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	(void)hv_errorf(p->d, "%s", sb.buf);
	strbuf_release(&sb);
	return -EINVAL;
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->type == T_WORD && strcmp(t->text.buf, kw) == 0;
}

int sched_parse_percent(const char *s, uint32_t *ret_cp)
{
	uint64_t v = 0;
	unsigned frac = 0, nfrac = 0;
	const char *q = s;

	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	while (isdigit((unsigned char)*q)) {
		v = v * 10 + (uint64_t)(*q++ - '0');
		if (v > 100000)
			return -EINVAL;
	}
	if (*q == '.') {
		q++;
		if (!isdigit((unsigned char)*q))
			return -EINVAL;
		while (isdigit((unsigned char)*q)) {
			if (++nfrac > 2)
				return -EINVAL;
			frac = frac * 10 + (unsigned)(*q++ - '0');
		}
		if (nfrac == 1)
			frac *= 10;
	}
	if (strcmp(q, "%") != 0)
		return -EINVAL;
	v = v * 100 + frac;
	if (v < 100 || v > SCHED_CAP_MAX_CP)
		return -EINVAL;
	*ret_cp = (uint32_t)v;
	return 0;
}

int sched_parse_duration(const char *s, uint32_t *ret_s)
{
	uint64_t v = 0, mul;
	const char *q = s;

	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	while (isdigit((unsigned char)*q)) {
		v = v * 10 + (uint64_t)(*q++ - '0');
		if (v > SCHED_MAX_WINDOW_S)
			return -EINVAL;
	}
	if (strcmp(q, "s") == 0)
		mul = 1;
	else if (strcmp(q, "m") == 0 || strcmp(q, "min") == 0)
		mul = 60;
	else if (strcmp(q, "h") == 0)
		mul = 3600;
	else if (strcmp(q, "d") == 0)
		mul = 86400;
	else
		return -EINVAL;
	v *= mul;
	if (v == 0 || v > SCHED_MAX_WINDOW_S)
		return -EINVAL;
	*ret_s = (uint32_t)v;
	return 0;
}

int sched_parse_tick(const char *s, int64_t *ret_ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60;
	else if (strcmp(end, "h") == 0)
		v *= 3600;
	else if (strcmp(end, "s") != 0 && *end)
		return -EINVAL;
	if (v < 0.01 || v > 3600)
		return -EINVAL;
	*ret_ns = (int64_t)(v * 1e9 + 0.5);
	return 0;
}

static int parse_hhmm(const char *s, uint16_t *ret)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -EINVAL;
	unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -EINVAL;
	*ret = (uint16_t)(h * 60 + m);
	return 0;
}

/* Expects a percentage word; consumes it. */
static int want_percent(struct parser *p, uint32_t *ret)
{
	if (p->t.type != T_WORD || sched_parse_percent(p->t.text.buf, ret) < 0)
		return fail(p, "expected a percentage of one CPU from 1%% to 100000%% (like '20%%' or '150%%')");
	next(p);
	return 0;
}

static int want_duration(struct parser *p, uint32_t *ret)
{
	if (p->t.type != T_WORD || sched_parse_duration(p->t.text.buf, ret) < 0)
		return fail(p, "expected a duration with a unit, at most 7d (like '30s', '5m', '1h')");
	next(p);
	return 0;
}

static int want_kw(struct parser *p, const char *kw)
{
	if (!is_kw(&p->t, kw))
		return fail(p, "expected '%s'", kw);
	next(p);
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > SCHED_MAX_NAME)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-@+", *s))
			return false;
	return true;
}

static const char *const sel_names[] = {
	[SCHED_SEL_XEN] = "xen", [SCHED_SEL_LIBVIRT] = "libvirt",
	[SCHED_SEL_CGROUP] = "cgroup", [SCHED_SEL_PID] = "pid",
};

const char *sched_sel_kind_name(enum sched_sel_kind k)
{
	return (unsigned)k < ARRAY_SIZE(sel_names) ? sel_names[k] : "?";
}

/*
 * KIND:VALUE, one word; a VALUE in double quotes may follow KIND: with
 * nothing between (libvirt:"my guest"), as may the whole selector be
 * quoted ("libvirt:my guest").  Blanks (spaces) are allowed in libvirt
 * domain names only, which libvirt allows; never control characters.
 */
static int parse_selector(struct parser *p, struct sched_guest *g)
{
	_cleanup_free_ char *glued = NULL;
	const char *w = p->t.text.buf, *colon;

	if (p->t.type != T_WORD || !(colon = strchr(w, ':')))
		return fail(p, "expected a selector: xen:NAME, libvirt:NAME, cgroup:/PATH or pid:N");
	if (!p->t.quoted && !colon[1] && p->s < p->end && *p->s == '"') {
		glued = xstrdup(w);
		next(p);
		if (p->t.type != T_WORD)
			return fail(p, "expected a name in double quotes after '%s'", glued);
		char *both = xasprintf("%s%s", glued, p->t.text.buf);
		free(glued);
		glued = both;
		if (strlen(glued) > SCHED_MAX_SELECTOR)
			return fail(p, "selector longer than %d characters", SCHED_MAX_SELECTOR);
		w = glued;
		colon = strchr(w, ':');
	}
	size_t klen = (size_t)(colon - w);
	const char *v = colon + 1;
	unsigned k;
	for (k = 0; k < ARRAY_SIZE(sel_names); k++)
		if (strlen(sel_names[k]) == klen && strncmp(w, sel_names[k], klen) == 0)
			break;
	if (k == ARRAY_SIZE(sel_names))
		return fail(p, "unknown selector kind (expected xen:, libvirt:, cgroup: or pid:)");
	for (const char *q = v; *q; q++)
		if (((unsigned char)*q < ' ' || *q == 0x7f) ||
		    (*q == ' ' && k != SCHED_SEL_LIBVIRT))
			return fail(p, k == SCHED_SEL_LIBVIRT ? "selector with a control character"
				    : "selector with a blank or control character (blanks: libvirt names only)");
	switch (k) {
	case SCHED_SEL_CGROUP:
		if (v[0] != '/' || strstr(v, "/../") || str_endswith(v, "/..") ||
		    strstr(v, "/./") || str_endswith(v, "/."))
			return fail(p, "expected an absolute cgroup path without '.' or '..' parts (like cgroup:/machine.slice/vm.scope)");
		break;
	case SCHED_SEL_PID: {
		uint64_t pid;
		if (parse_u64(v, 10, &pid) < 0 || pid == 0 || pid > 4194304)
			return fail(p, "expected a process id from 1 to 4194304");
		break;
	}
	default:
		if (!*v || strchr(v, '/'))
			return fail(p, "expected a domain name after '%s:'", sel_names[k]);
		break;
	}
	g->kind = (enum sched_sel_kind)k;
	g->sel = xstrdup(v);
	next(p);
	return 0;
}

/* Ends a statement: a newline, ';' or the closing '}' (not consumed). */
static int end_stmt(struct parser *p)
{
	if (p->t.type == T_NL) {
		next(p);
		return 0;
	}
	if (p->t.type == T_RBRACE)
		return 0;
	return fail(p, "expected the end of the statement");
}

static int parse_stmt(struct parser *p, struct sched_guest *g)
{
	unsigned line = p->t.line, col = p->t.col;
	int rc;

	if (is_kw(&p->t, "weight")) {
		uint64_t w;
		if (g->weight)
			return fail(p, "duplicate 'weight' in guest '%s'", g->name);
		next(p);
		if (p->t.type != T_WORD || parse_u64(p->t.text.buf, 10, &w) < 0 ||
		    w < 1 || w > 65535)
			return fail(p, "expected a weight from 1 to 65535");
		g->weight = (unsigned)w;
		next(p);
	} else if (is_kw(&p->t, "cap")) {
		if (g->cap_cp)
			return fail(p, "duplicate 'cap' in guest '%s'", g->name);
		next(p);
		if ((rc = want_percent(p, &g->cap_cp)) < 0)
			return rc;
	} else if (is_kw(&p->t, "burst")) {
		struct sched_burst *b = &g->burst;
		if (g->has_burst)
			return fail(p, "only one 'burst' per guest ('%s' has one)", g->name);
		next(p);
		if ((rc = want_percent(p, &b->burst_cp)) < 0 ||
		    (rc = want_kw(p, "for")) < 0 ||
		    (rc = want_duration(p, &b->dur_s)) < 0 ||
		    (rc = want_kw(p, "per")) < 0 ||
		    (rc = want_duration(p, &b->window_s)) < 0)
			return rc;
		if (p->t.type != T_COMMA)
			return fail(p, "expected ', then cap Q%%'");
		next(p);
		if ((rc = want_kw(p, "then")) < 0 || (rc = want_kw(p, "cap")) < 0 ||
		    (rc = want_percent(p, &b->floor_cp)) < 0)
			return rc;
		if (is_kw(&p->t, "over")) {
			next(p);
			if ((rc = want_duration(p, &b->ramp_s)) < 0)
				return rc;
		}
		if (b->dur_s >= b->window_s)
			return fail_at(p, line, col, "burst duration %us must be shorter than its window %us",
				       b->dur_s, b->window_s);
		if (b->floor_cp >= b->burst_cp)
			return fail_at(p, line, col, "the cap after a burst must be lower than the burst itself");
		if (b->ramp_s > 2 * (uint64_t)b->dur_s)
			return fail_at(p, line, col, "a ramp 'over %us' is paid from the burst: it needs "
				       "a burst of at least %us (half the ramp), not %us",
				       b->ramp_s, (b->ramp_s + 1) / 2, b->dur_s);
		g->has_burst = true;
	} else if (is_kw(&p->t, "between")) {
		struct sched_between bw;
		const char *w;
		if (g->nbetween == SCHED_MAX_BETWEEN)
			return fail(p, "more than %d 'between' rules in guest '%s'",
				    SCHED_MAX_BETWEEN, g->name);
		next(p);
		w = p->t.text.buf;
		if (p->t.type != T_WORD || strlen(w) != 11 || w[5] != '-' ||
		    parse_hhmm(w, &bw.from_min) < 0 || parse_hhmm(w + 6, &bw.to_min) < 0 ||
		    bw.from_min == bw.to_min)
			return fail(p, "expected a time range HH:MM-HH:MM (like 08:00-18:00; 22:00-06:00 spans midnight)");
		next(p);
		if ((rc = want_kw(p, "cap")) < 0 || (rc = want_percent(p, &bw.cap_cp)) < 0)
			return rc;
		g->between[g->nbetween++] = bw;
	} else {
		return fail(p, "expected a statement: weight, cap, burst or between");
	}
	return end_stmt(p);
}

static int parse_guest(struct parser *p, struct sched_guest *g)
{
	int rc;

	g->line = p->t.line;
	next(p);	/* "guest" */
	if (p->t.type != T_WORD || !valid_name(p->t.text.buf))
		return fail(p, "expected a guest name (letters, digits, '_.-@+', at most %d)",
			    SCHED_MAX_NAME);
	g->name = xstrdup(p->t.text.buf);
	next(p);
	if (p->t.type != T_LPAREN)
		return fail(p, "expected '(' and a selector after the guest name");
	next(p);
	if ((rc = parse_selector(p, g)) < 0)
		return rc;
	if (p->t.type != T_RPAREN)
		return fail(p, "expected ')' (one selector per guest)");
	next(p);
	while (p->t.type == T_NL)
		next(p);
	if (p->t.type != T_LBRACE)
		return fail(p, "expected '{'");
	next(p);
	for (;;) {
		while (p->t.type == T_NL)
			next(p);
		if (p->t.type == T_RBRACE)
			break;
		if (p->t.type == T_EOF)
			return fail(p, "expected '}' closing guest '%s' (opened on line %u)",
				    g->name, g->line);
		if ((rc = parse_stmt(p, g)) < 0)
			return rc;
	}
	next(p);
	if (!g->weight && !g->cap_cp && !g->has_burst && !g->nbetween)
		return fail_at(p, g->line, 1, "guest '%s' has no rules", g->name);
	if (p->t.type != T_NL && p->t.type != T_EOF)
		return fail(p, "expected a new line after '}'");
	return 0;
}

static void guest_release(struct sched_guest *g)
{
	free(g->name);
	free(g->sel);
}

void sched_policy_release(struct sched_policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		guest_release(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = p->alloc = 0;
}

static const struct sched_guest *sort_base;

static int cmp_name(const void *a, const void *b)
{
	const struct sched_guest *x = &sort_base[*(const size_t *)a];
	const struct sched_guest *y = &sort_base[*(const size_t *)b];
	int c = strcmp(x->name, y->name);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_sel(const void *a, const void *b)
{
	const struct sched_guest *x = &sort_base[*(const size_t *)a];
	const struct sched_guest *y = &sort_base[*(const size_t *)b];
	int c = (int)x->kind - (int)y->kind;
	if (!c)
		c = strcmp(x->sel, y->sel);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Duplicate names or selectors: sorted, so 65,536 guests stay fast. */
static int check_dups(struct parser *p, const struct sched_policy *pol)
{
	size_t *ix;
	int rc = 0;

	if (pol->n < 2)
		return 0;
	ix = xcalloc(pol->n, sizeof(*ix));
	for (size_t i = 0; i < pol->n; i++)
		ix[i] = i;
	sort_base = pol->v;
	qsort(ix, pol->n, sizeof(*ix), cmp_name);
	for (size_t i = 1; i < pol->n && !rc; i++) {
		const struct sched_guest *a = &pol->v[ix[i - 1]], *b = &pol->v[ix[i]];
		if (strcmp(a->name, b->name) == 0)
			rc = fail_at(p, b->line, 1, "duplicate guest name '%s' (first on line %u)",
				     b->name, a->line);
	}
	if (!rc) {
		qsort(ix, pol->n, sizeof(*ix), cmp_sel);
		for (size_t i = 1; i < pol->n && !rc; i++) {
			const struct sched_guest *a = &pol->v[ix[i - 1]], *b = &pol->v[ix[i]];
			if (a->kind == b->kind && strcmp(a->sel, b->sel) == 0)
				rc = fail_at(p, b->line, 1, "guests '%s' (line %u) and '%s' select the same %s:%s",
					     a->name, a->line, b->name,
					     sched_sel_kind_name(b->kind), b->sel);
		}
	}
	sort_base = NULL;
	free(ix);
	return rc;
}

int sched_policy_parse(const char *file, const char *text, size_t len,
		       struct sched_policy *ret, struct hv_diags *d)
{
	struct parser p = { .file = file, .s = text, .end = text + len,
			    .line = 1, .col = 1, .d = d };
	struct sched_policy pol = { 0 };
	int rc = 0;

	strbuf_init(&p.t.text);
	if (len > SCHED_MAX_FILE) {
		rc = fail_at(&p, 1, 1, "file larger than %u MiB", SCHED_MAX_FILE >> 20);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		unsigned line = 1;
		for (const char *q = text; q < z; q++)
			line += *q == '\n';
		rc = fail_at(&p, line, 1, "NUL byte: not a text file");
		goto out;
	}
	/* ASCII only, as hvkit-sched.conf(5) says: printable characters,
	 * blanks and line ends (comments too).  What passes reaches logs,
	 * the status table and --metrics-file labels: no invalid UTF-8, no
	 * bidi controls, no terminal escapes there. */
	for (const char *q = text; q < text + len; q++) {
		unsigned char c = (unsigned char)*q;
		if ((c >= ' ' && c < 0x7f) || c == '\t' || c == '\n' || c == '\r')
			continue;
		unsigned line = 1, col = 1;
		for (const char *r = text; r < q; r++) {
			col = *r == '\n' ? 1 : col + 1;
			line += *r == '\n';
		}
		rc = fail_at(&p, line, col, "%s byte 0x%02x: the file is ASCII only "
			     "(hvkit-sched.conf(5))", c >= 0x80 ? "non-ASCII" : "control", c);
		goto out;
	}
	next(&p);
	for (;;) {
		while (p.t.type == T_NL)
			next(&p);
		if (p.t.type == T_EOF)
			break;
		if (!is_kw(&p.t, "guest")) {
			rc = fail(&p, "expected 'guest NAME (SELECTOR) {'");
			goto out;
		}
		if (pol.n == SCHED_MAX_GUESTS) {
			rc = fail(&p, "more than %d guests", SCHED_MAX_GUESTS);
			goto out;
		}
		pol.v = xgrow(pol.v, sizeof(*pol.v), pol.n + 1, &pol.alloc);
		memset(&pol.v[pol.n], 0, sizeof(pol.v[0]));
		pol.n++;
		if ((rc = parse_guest(&p, &pol.v[pol.n - 1])) < 0)
			goto out;
	}
	rc = check_dups(&p, &pol);
out:
	strbuf_release(&p.t.text);
	if (rc < 0) {
		sched_policy_release(&pol);
		return rc;
	}
	*ret = pol;
	return 0;
}

const struct sched_guest *sched_policy_find(const struct sched_policy *p,
					    const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

char *sched_cp_format(char *buf, size_t sz, uint32_t cp)
{
	if (cp % 100 == 0)
		snprintf(buf, sz, "%u%%", cp / 100);
	else if (cp % 10 == 0)
		snprintf(buf, sz, "%u.%u%%", cp / 100, (cp % 100) / 10);
	else
		snprintf(buf, sz, "%u.%02u%%", cp / 100, cp % 100);
	return buf;
}

uint32_t sched_guest_plain_cap(const struct sched_guest *g, int minute_of_day)
{
	uint32_t best = SCHED_CAP_NONE;
	bool matched = false;
	int m = minute_of_day;

	for (unsigned i = 0; i < g->nbetween; i++) {
		const struct sched_between *b = &g->between[i];
		bool in = b->from_min < b->to_min
			? m >= b->from_min && m < b->to_min
			: m >= b->from_min || m < b->to_min;
		if (in && (!matched || b->cap_cp < best)) {
			best = b->cap_cp;
			matched = true;
		}
	}
	return matched ? best : g->cap_cp;
}

/* path "-" is stdin (open_input()); a FIFO or a device is refused in
 * *why. */
static int read_file(const char *path, char **ret, size_t *ret_len, const char **why)
{
	int fd = open_input(path, 0, why);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		rc = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		strbuf_add(&sb, buf, n);
		if (sb.len > SCHED_MAX_FILE + 1)
			break;
	}
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc < 0) {
		strbuf_release(&sb);
		return rc;
	}
	*ret = strbuf_detach(&sb, ret_len);
	return 0;
}

int sched_load_policy(const char *path, struct sched_policy *ret)
{
	struct hv_diags d = HV_DIAGS_INIT;
	_cleanup_free_ char *text = NULL;
	size_t len;
	const char *why = NULL;
	int rc = read_file(path, &text, &len, &why);

	if (rc < 0) {
		log_error("cannot read '%s': %s", path, why ? why : strerror(-rc));
		return rc;
	}
	rc = sched_policy_parse(path, text, len, ret, &d);
	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc;
}
