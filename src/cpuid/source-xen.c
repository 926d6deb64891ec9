/* SPDX-License-Identifier: MIT */
/*
 * Xen's `xen-cpuid -p [DOMID]` output (tools/misc/xen-cpuid.c,
 * print_policy(), Xen 4.17):
 *
 *   Xen reports there are maximum 118 leaves and 2 MSRs
 *   Raw policy: 118 leaves, 2 MSRs
 *    CPUID:
 *     leaf     subleaf  -> eax      ebx      ecx      edx
 *     00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
 *    MSRs:
 *     index    -> value
 *     000000ce -> 0000000000000000
 *   Host policy: ...
 *
 * One section per policy (Raw, Host, PV Max, HVM Max, PV Default, HVM
 * Default; "Domain N" for a domain); "X policy not supported by Xen" for
 * one Xen lacks.  Leaves whose four registers are zero are not printed;
 * ffffffff is XEN_CPUID_NO_SUBLEAF.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "util.h"

#define XEN_NO_SUBLEAF 0xffffffffu
#define XEN_TITLE_MAX 40

struct xen_line {
	const char *p, *end;	/* without the end of line, blanks trimmed */
	unsigned no;
};

static bool xen_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool xen_starts(const struct xen_line *l, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(l->end - l->p) >= n && memcmp(l->p, s, n) == 0;
}

static bool xen_ends(const struct xen_line *l, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(l->end - l->p) >= n && memcmp(l->end - n, s, n) == 0;
}

/* Exactly `digits` hex digits at *p, then *p moves past them. */
static bool xen_hex(const char **p, const char *end, unsigned digits, uint64_t *ret)
{
	uint64_t v = 0;

	if ((size_t)(end - *p) < digits)
		return false;
	for (unsigned i = 0; i < digits; i++) {
		char c = (*p)[i];
		unsigned dv;

		if (c >= '0' && c <= '9')
			dv = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			dv = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			dv = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | dv;
	}
	*p += digits;
	*ret = v;
	return true;
}

static bool xen_lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

static void xen_skip_blanks(const char **p, const char *end)
{
	while (*p < end && xen_blank(**p))
		(*p)++;
}

static bool xen_uint(const char **p, const char *end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;

	while (*p < end && **p >= '0' && **p <= '9' && v < (1ull << 40))
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	*ret = v;
	return *p > s;
}

/* "NAME policy: N leaves, M MSRs": true with the title and counts. */
static bool xen_section(const struct xen_line *l, const char **title, size_t *tlen,
			uint64_t *nleaves, uint64_t *nmsrs)
{
	const char *p = l->p, *e = l->end, *colon = NULL;

	for (const char *s = p; s + 9 <= e; s++)
		if (memcmp(s, " policy: ", 9) == 0) {
			colon = s;
			break;
		}
	if (!colon || colon == p || colon - p > XEN_TITLE_MAX)
		return false;
	*title = p;
	*tlen = (size_t)(colon - p);
	p = colon + 9;
	return xen_uint(&p, e, nleaves) && xen_lit(&p, e, " leaves, ") &&
	       xen_uint(&p, e, nmsrs) && xen_lit(&p, e, " MSRs") && p == e;
}

/* Title folded for matching a section name: lowercase, no blanks, '-', '_'. */
static void xen_fold(const char *s, size_t n, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < size; i++) {
		char c = s[i];

		if (c == ' ' || c == '-' || c == '_' || c == '\t')
			continue;
		out[k++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[k] = 0;
}

/* The name the man page documents for a title: "PV Default" -> "pv-default". */
static void xen_section_name(const char *s, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ')
			strbuf_addc(out, '-');
		else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			strbuf_addc(out, '?');
		else
			strbuf_addc(out, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
}

bool cpuid_looks_like_xen(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	struct xen_line l;
	const char *t;
	size_t tl;
	uint64_t a, b;

	while (p < end && (xen_blank(*p) || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	l.p = p;
	l.end = nl ? nl : end;
	while (l.end > l.p && xen_blank(l.end[-1]))
		l.end--;
	l.no = 0;
	return xen_starts(&l, "Xen reports there are maximum ") ||
	       xen_section(&l, &t, &tl, &a, &b);
}

/* Where the reader is: the section being read and what it announced. */
struct xen_state {
	enum { XEN_NONE, XEN_HEAD, XEN_CPUID, XEN_MSRS } mode;
	struct strbuf title;	/* of this section, as a name ("pv-default") */
	struct strbuf titles;	/* all sections, for a message */
	struct strbuf picked;	/* the section read */
	unsigned line, sections;
	uint64_t want_leaves, seen_leaves, want_msrs, seen_msrs;
	bool reading, done;
};

/* Checks the counts of the section that ends here. */
static int xen_end_section(struct xen_state *st, const char *name, struct hv_diags *d)
{
	if (st->mode == XEN_NONE)
		return 0;
	if (st->seen_msrs != st->want_msrs)
		return hv_errorf(d, "%s:%u: the %s policy announces %" PRIu64 " MSRs but lists %" PRIu64 " (cut short?)",
				 name, st->line, st->title.buf, st->want_msrs, st->seen_msrs);
	if (st->seen_leaves > st->want_leaves)
		return hv_errorf(d, "%s:%u: the %s policy announces %" PRIu64 " leaves but lists %" PRIu64,
				 name, st->line, st->title.buf, st->want_leaves, st->seen_leaves);
	if (st->reading)
		st->done = true;
	st->reading = false;
	st->mode = XEN_NONE;
	return 0;
}

/* "LEAF:SUBLEAF -> EAX:EBX:ECX:EDX" into v[0..5]. */
static bool xen_leaf_line(const struct xen_line *l, uint64_t v[6])
{
	const char *s = l->p;

	if (!xen_hex(&s, l->end, 8, &v[0]) || !xen_lit(&s, l->end, ":") ||
	    !xen_hex(&s, l->end, 8, &v[1]))
		return false;
	xen_skip_blanks(&s, l->end);
	if (!xen_lit(&s, l->end, "->"))
		return false;
	xen_skip_blanks(&s, l->end);
	for (int i = 2; i < 6; i++)
		if ((i > 2 && !xen_lit(&s, l->end, ":")) || !xen_hex(&s, l->end, 8, &v[i]))
			return false;
	return s == l->end;
}

/* "INDEX -> VALUE" into v[0..1]. */
static bool xen_msr_line(const struct xen_line *l, uint64_t v[2])
{
	const char *s = l->p;

	if (!xen_hex(&s, l->end, 8, &v[0]))
		return false;
	xen_skip_blanks(&s, l->end);
	if (!xen_lit(&s, l->end, "->"))
		return false;
	xen_skip_blanks(&s, l->end);
	return xen_hex(&s, l->end, 16, &v[1]) && s == l->end;
}

int cpuid_parse_xen(const char *buf, size_t len, const char *name,
		    const char *section, struct cpuid_data *ret,
		    struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct xen_state st = { .title = STRBUF_INIT, .titles = STRBUF_INIT,
				.picked = STRBUF_INIT };
	const char *p = buf, *end = buf + len;
	char want[XEN_TITLE_MAX + 1] = "";
	unsigned lineno = 0;
	int rc = 0;

	if (memchr(buf, 0, len)) {
		rc = hv_errorf(d, "%s: not a text file (it holds NUL bytes)", name);
		goto out;
	}
	if (section)
		xen_fold(section, strlen(section), want, sizeof(want));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *t;
		struct xen_line l = { p, nl ? nl : end, ++lineno };
		size_t tl;
		uint64_t v[6];

		p = nl ? nl + 1 : end;
		while (l.p < l.end && xen_blank(*l.p))
			l.p++;
		while (l.end > l.p && xen_blank(l.end[-1]))
			l.end--;
		if (l.p == l.end)
			continue;
		if (xen_section(&l, &t, &tl, &v[0], &v[1])) {
			char f[XEN_TITLE_MAX + 1];

			if ((rc = xen_end_section(&st, name, d)) < 0)
				goto out;
			xen_fold(t, tl, f, sizeof(f));
			strbuf_reset(&st.title);
			xen_section_name(t, tl, &st.title);
			strbuf_addf(&st.titles, "%s%s", st.sections++ ? ", " : "", st.title.buf);
			st.reading = !st.done && (section ? strcmp(f, want) == 0 : st.sections == 1);
			if (st.reading)
				strbuf_adds(&st.picked, st.title.buf);
			st.mode = XEN_HEAD;
			st.want_leaves = v[0];
			st.want_msrs = v[1];
			st.seen_leaves = st.seen_msrs = 0;
			st.line = l.no;
			continue;
		}
		switch (st.mode) {
		case XEN_NONE:
			if ((xen_starts(&l, "Xen reports there are maximum ") && xen_ends(&l, " MSRs")) ||
			    xen_ends(&l, " policy not supported by Xen"))
				continue;
			break;
		case XEN_HEAD:
		case XEN_CPUID:
		case XEN_MSRS:
			if (st.mode != XEN_MSRS && l.end - l.p == 6 && xen_starts(&l, "CPUID:")) {
				st.mode = XEN_CPUID;
				continue;
			}
			if (st.mode != XEN_MSRS && l.end - l.p == 5 && xen_starts(&l, "MSRs:")) {
				st.mode = XEN_MSRS;
				continue;
			}
			if (st.mode == XEN_CPUID && xen_starts(&l, "leaf "))
				continue;	/* leaf subleaf -> eax ebx ecx edx */
			if (st.mode == XEN_MSRS && xen_starts(&l, "index "))
				continue;	/* index -> value */
			if (st.mode == XEN_CPUID && xen_leaf_line(&l, v)) {
				uint32_t r[4] = { (uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4],
						  (uint32_t)v[5] };
				uint32_t sub = v[1] == XEN_NO_SUBLEAF ? 0 : (uint32_t)v[1];

				st.seen_leaves++;
				if (!st.reading)
					continue;
				if (cpuid_data_get(&c, (uint32_t)v[0], sub))
					hv_warnf(d, "%s:%u: leaf 0x%" PRIx64 " subleaf 0x%" PRIx32 " given again, the last one is used",
						 name, l.no, v[0], sub);
				if (cpuid_data_set(&c, (uint32_t)v[0], sub, r) < 0) {
					rc = hv_errorf(d, "%s:%u: more than %d leaves", name, l.no,
						       CPUID_MAX_ENTRIES);
					goto out;
				}
				continue;
			}
			if (st.mode == XEN_MSRS && xen_msr_line(&l, v)) {
				st.seen_msrs++;
				if (st.reading && cpuid_data_set_msr(&c, (uint32_t)v[0], v[1]) < 0) {
					rc = hv_errorf(d, "%s:%u: more than %d MSRs", name, l.no,
						       CPUID_MAX_ENTRIES);
					goto out;
				}
				continue;
			}
			break;
		}
		{
			size_t n = (size_t)(l.end - l.p) > 40 ? 40 : (size_t)(l.end - l.p);
			_cleanup_free_ char *q = xstrndup(l.p, n);

			for (char *ch = q; *ch; ch++)
				if ((unsigned char)*ch < 0x20 || (unsigned char)*ch >= 0x7f)
					*ch = '?';
			rc = hv_errorf(d, "%s:%u: %s, got '%s'", name, l.no,
				       st.mode == XEN_CPUID ? "expected 'LEAF:SUBLEAF -> EAX:EBX:ECX:EDX' (8 hex digits each)"
				       : st.mode == XEN_MSRS ? "expected 'INDEX -> VALUE' (8 and 16 hex digits)"
				       : st.mode == XEN_HEAD ? "expected ' CPUID:' after the policy line"
				       : "expected a 'NAME policy: N leaves, M MSRs' line", q);
			goto out;
		}
	}
	if ((rc = xen_end_section(&st, name, d)) < 0)
		goto out;
	if (!st.sections) {
		rc = hv_errorf(d, "%s: no policy found (expected `xen-cpuid -p` output)", name);
		goto out;
	}
	if (!st.done) {
		_cleanup_free_ char *q = xstrndup(section, 40);

		rc = hv_errorf(d, "%s: no policy '%s' (this file has: %s)", name, q, st.titles.buf);
		goto out;
	}
	if (!cpuid_data_get(&c, 0, 0)) {
		rc = hv_errorf(d, "%s: leaf 0x00000000 is missing from the %s policy", name,
			       st.picked.buf);
		goto out;
	}
	c.origin = xasprintf("%s (xen-cpuid %s policy)", name, st.picked.buf);
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
out:
	strbuf_release(&st.title);
	strbuf_release(&st.titles);
	strbuf_release(&st.picked);
	cpuid_data_release(&c);
	return rc;
}
