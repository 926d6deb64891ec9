/* SPDX-License-Identifier: MIT */
/*
 * libvirt's CPU data XML: <cpudata arch='x86'> with <cpuid> and <msr>,
 * read by a small dedicated reader of just that shape.
 *
 * Loading libxml2 cost more than the rest of a two-host baseline, and the
 * format is tiny and regular (libvirt's tests/cputestdata and
 * `virsh capabilities`-style dumps).  The reader accepts the XML 1.0
 * subset such documents use: an optional XML declaration, comments and
 * processing instructions, elements with single- or double-quoted
 * attributes, the five predefined entities and character references, and
 * CDATA sections (skipped).  A DOCTYPE, an undefined entity or anything
 * not well-formed is an error naming the line.  What it reads is what the
 * libxml2 reader (source-libvirt-xml2.c, kept as the judge in tests and
 * fuzzing) reads: unknown elements under <cpudata> are skipped with a
 * warning, text is ignored, unknown attributes are ignored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "util.h"

/* libxml2's default nesting limit: deeper documents are refused. */
#define LV_MAX_DEPTH 256
/* Attributes of one element: cpuid has six, msr three. */
#define LV_MAX_ATTRS 32

struct lv_attr {
	const char *name;
	size_t nlen;
	const char *val;	/* raw, or owned (below) when it had to be decoded */
	size_t vlen;
	char *owned;
};

struct lv_elem {
	const char *name;
	size_t nlen;
	const char *at;		/* its '<', for syntax errors */
	const char *tag_end;	/* its start tag's '>' (or "/>"): where libxml2,
				 * and so our messages, place the element */
	struct lv_attr a[LV_MAX_ATTRS];
	size_t na;
	bool empty;		/* <x/> */
};

struct lv {
	const char *buf, *p, *end;
	const char *name;
	struct hv_diags *d;
	/* the line of line_at, advanced as messages need line numbers */
	const char *line_at;
	unsigned line;
};

static unsigned lv_line(struct lv *x, const char *pos)
{
	if (pos < x->line_at) {	/* an earlier position: count again */
		x->line_at = x->buf;
		x->line = 1;
	}
	while (x->line_at < pos) {
		const char *nl = memchr(x->line_at, '\n', (size_t)(pos - x->line_at));

		if (!nl) {
			x->line_at = pos;
			break;
		}
		x->line++;
		x->line_at = nl + 1;
	}
	return x->line;
}

/* Copy of at most 40 bytes for a message, unprintables as '?'. */
static char *lv_quote(const char *s, size_t n)
{
	char *q;

	if (n > 40)
		n = 40;
	q = xstrndup(s, n);
	for (char *c = q; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return q;
}

__attribute__((format(printf, 3, 4)))
static int lv_syntax(struct lv *x, const char *pos, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	rc = hv_errorf(x->d, "%s:%u: not well-formed XML: %s", x->name,
		       lv_line(x, pos), sb.buf);
	strbuf_release(&sb);
	return rc;
}

/* The input ended inside something that began at start: reported at the
 * end (as libxml2 did), naming where it began. */
static int lv_eof(struct lv *x, const char *start, const char *what)
{
	unsigned line = lv_line(x, start);

	return lv_syntax(x, x->end, "the input ends inside %s begun on line %u", what, line);
}

/*
 * The document is UTF-8 holding only XML characters: tab, LF, CR, and
 * from U+0020 on, less surrogates, U+FFFE and U+FFFF.  Returns 0 or an
 * error at the first offending byte.
 */
static int lv_check_chars(struct lv *x)
{
	const unsigned char *p = (const unsigned char *)x->buf;
	const unsigned char *end = (const unsigned char *)x->end;

	while (p < end) {
		uint32_t cp;
		int n;

		if (*p >= 0x20 && *p < 0x80) {
			p++;
			continue;
		}
		if (*p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (*p < 0x20)
			return lv_syntax(x, (const char *)p, "control character 0x%02x", *p);
		if (*p >= 0xC2 && *p <= 0xDF) {
			cp = *p & 0x1F;
			n = 1;
		} else if (*p >= 0xE0 && *p <= 0xEF) {
			cp = *p & 0x0F;
			n = 2;
		} else if (*p >= 0xF0 && *p <= 0xF4) {
			cp = *p & 0x07;
			n = 3;
		} else {
			return lv_syntax(x, (const char *)p, "not UTF-8 (byte 0x%02x)", *p);
		}
		if (end - p <= n)
			return lv_syntax(x, (const char *)p, "not UTF-8 (cut short)");
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return lv_syntax(x, (const char *)p, "not UTF-8 (byte 0x%02x)", p[i]);
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
			return lv_syntax(x, (const char *)p, "not an XML character (U+%04X)", cp);
		p += n + 1;
	}
	return 0;
}

static bool lv_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void lv_skip_space(struct lv *x)
{
	while (x->p < x->end && lv_space(*x->p))
		x->p++;
}

/* Names are ASCII without namespaces here, as libvirt's are: XML's rules
 * for the rest, and namespace prefixes, are refused rather than guessed. */
static bool lv_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool lv_name_char(unsigned char c)
{
	return lv_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool lv_at(const struct lv *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* A name at x->p; false (nothing consumed) when there is none. */
static bool lv_take_name(struct lv *x, const char **ret, size_t *len)
{
	const char *s = x->p;

	if (s >= x->end || !lv_name_start((unsigned char)*s))
		return false;
	while (x->p < x->end && lv_name_char((unsigned char)*x->p))
		x->p++;
	if (x->p < x->end && *x->p == ':') {
		x->p = s;
		return false;	/* a namespace prefix */
	}
	*ret = s;
	*len = (size_t)(x->p - s);
	return true;
}

/* Skips past the terminator after x->p ("-->", "?>", "]]>"). */
static int lv_skip_until(struct lv *x, const char *start, const char *term,
			 const char *what)
{
	size_t n = strlen(term);
	const char *s = x->p;

	while ((size_t)(x->end - s) >= n &&
	       (s = memchr(s, term[0], (size_t)(x->end - s) - n + 1)) != NULL) {
		if (memcmp(s, term, n) == 0) {
			x->p = s + n;
			return 0;
		}
		s++;
	}
	return lv_eof(x, start, what);
}

/* A comment's text, at what follows "<!--": "--" may only end it. */
static int lv_comment(struct lv *x, const char *start)
{
	const char *s = x->p;

	while ((s = memchr(s, '-', (size_t)(x->end - s))) != NULL && x->end - s >= 2) {
		if (s[1] != '-') {
			s++;
			continue;
		}
		if (x->end - s < 3 || s[2] != '>')
			return lv_syntax(x, s, "'--' inside a comment");
		x->p = s + 3;
		return 0;
	}
	return lv_eof(x, start, "a comment");
}

/*
 * At '&': checks one entity or character reference and appends what it
 * stands for to out (when out is not NULL).
 */
static int lv_reference(struct lv *x, struct strbuf *out)
{
	static const struct { const char *ref; char c; } named[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char *start = x->p;
	uint32_t cp = 0;
	bool hex;
	size_t digits = 0;

	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (lv_at(x, named[i].ref)) {
			x->p += strlen(named[i].ref);
			if (out)
				strbuf_addc(out, named[i].c);
			return 0;
		}
	if (!lv_at(x, "&#")) {
		const char *n;
		size_t nl;
		_cleanup_free_ char *q = NULL;

		x->p++;
		if (!lv_take_name(x, &n, &nl))
			return lv_syntax(x, start, "'&' not followed by a reference");
		q = lv_quote(n, nl);
		return lv_syntax(x, start, "entity '%s' not defined", q);
	}
	x->p += 2;
	hex = x->p < x->end && *x->p == 'x';
	if (hex)
		x->p++;
	for (; x->p < x->end && *x->p != ';'; x->p++, digits++) {
		char c = *x->p;
		unsigned dv;

		if (c >= '0' && c <= '9')
			dv = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			dv = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			dv = (unsigned)(c - 'A' + 10);
		else
			return lv_syntax(x, start, "bad character reference");
		if (cp > 0x10FFFF)
			return lv_syntax(x, start, "character reference out of range");
		cp = cp * (hex ? 16 : 10) + dv;
	}
	if (x->p >= x->end || !digits || cp > 0x10FFFF || cp == 0 ||
	    (cp < 0x20 && cp != 9 && cp != 10 && cp != 13) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
		return lv_syntax(x, start, "bad character reference");
	x->p++;
	if (out) {
		/* UTF-8, as libxml2 hands it over */
		if (cp < 0x80) {
			strbuf_addc(out, (char)cp);
		} else if (cp < 0x800) {
			strbuf_addc(out, (char)(0xC0 | cp >> 6));
			strbuf_addc(out, (char)(0x80 | (cp & 0x3F)));
		} else if (cp < 0x10000) {
			strbuf_addc(out, (char)(0xE0 | cp >> 12));
			strbuf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
			strbuf_addc(out, (char)(0x80 | (cp & 0x3F)));
		} else {
			strbuf_addc(out, (char)(0xF0 | cp >> 18));
			strbuf_addc(out, (char)(0x80 | (cp >> 12 & 0x3F)));
			strbuf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
			strbuf_addc(out, (char)(0x80 | (cp & 0x3F)));
		}
	}
	return 0;
}

static void lv_elem_release(struct lv_elem *e)
{
	for (size_t i = 0; i < e->na; i++)
		free(e->a[i].owned);
	e->na = 0;
}

/*
 * One attribute value at the opening quote.  The raw bytes are used as
 * they are unless they hold a reference or a blank that XML normalises
 * to a space (tab, CR, LF); then a decoded copy is made.
 */
static int lv_attr_value(struct lv *x, struct lv_attr *a)
{
	const char quote = *x->p, *start = x->p, *s;
	bool plain = true;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	s = ++x->p;
	while (x->p < x->end && *x->p != quote) {
		char c = *x->p;

		if (c == '<')
			return lv_syntax(x, x->p, "'<' in an attribute value");
		if (c == '&' || c == '\t' || c == '\n' || c == '\r')
			plain = false;
		x->p++;
	}
	if (x->p >= x->end)
		return lv_eof(x, start, "an attribute value");
	if (plain) {
		a->val = s;
		a->vlen = (size_t)(x->p - s);
		x->p++;
		return 0;
	}
	x->p = s;
	while (*x->p != quote) {
		char c = *x->p;

		if (c == '&') {
			if ((rc = lv_reference(x, &sb)) < 0) {
				strbuf_release(&sb);
				return rc;
			}
			continue;
		}
		if (c == '\r' && x->p + 1 < x->end && x->p[1] == '\n')
			x->p++;	/* end-of-line handling: CR LF is one LF */
		strbuf_addc(&sb, lv_space(c) ? ' ' : c);
		x->p++;
	}
	x->p++;
	a->owned = strbuf_detach(&sb, &a->vlen);
	a->val = a->owned;
	return 0;
}

/* A start tag at '<' (x->p): name, attributes, '>' or '/>'. */
static int lv_start_tag(struct lv *x, struct lv_elem *e)
{
	int rc;

	e->at = x->p;
	e->na = 0;
	x->p++;
	if (!lv_take_name(x, &e->name, &e->nlen))
		return lv_syntax(x, e->at, x->p < x->end && lv_name_start((unsigned char)*x->p)
				 ? "namespace prefixes are not supported in CPU data"
				 : "expected an element name after '<'");
	for (;;) {
		const char *before = x->p;
		struct lv_attr *a;

		lv_skip_space(x);
		if (x->p >= x->end)
			return lv_eof(x, e->at, "a start tag");
		if (*x->p == '>') {
			e->tag_end = x->p++;
			e->empty = false;
			return 0;
		}
		if (lv_at(x, "/>")) {
			e->tag_end = x->p;
			x->p += 2;
			e->empty = true;
			return 0;
		}
		if (x->p == before)
			return lv_syntax(x, x->p, "expected a blank, '>' or '/>' in a start tag");
		if (e->na >= LV_MAX_ATTRS)
			return lv_syntax(x, e->at, "more than %d attributes", LV_MAX_ATTRS);
		a = &e->a[e->na];
		memset(a, 0, sizeof(*a));
		if (*x->p == '<')
			return lv_syntax(x, e->at, "<%.*s> not closed before the next '<'",
					 (int)(e->nlen > 40 ? 40 : e->nlen), e->name);
		if (!lv_take_name(x, &a->name, &a->nlen))
			return lv_syntax(x, x->p, lv_name_start((unsigned char)*x->p)
					 ? "namespace prefixes are not supported in CPU data"
					 : "expected an attribute name");
		for (size_t i = 0; i < e->na; i++)
			if (e->a[i].nlen == a->nlen && memcmp(e->a[i].name, a->name, a->nlen) == 0) {
				_cleanup_free_ char *q = lv_quote(a->name, a->nlen);
				return lv_syntax(x, a->name, "attribute '%s' given twice", q);
			}
		lv_skip_space(x);
		if (x->p >= x->end || *x->p != '=')
			return lv_syntax(x, x->p, "expected '=' after an attribute name");
		x->p++;
		lv_skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return lv_syntax(x, x->p, "expected a quoted attribute value");
		e->na++;	/* counted now so that lv_elem_release() frees it */
		if ((rc = lv_attr_value(x, a)) < 0)
			return rc;
	}
}

static bool lv_is_lit(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A processing instruction at "<?": a target name (not "xml": the
 * declaration is only allowed first), then nothing or a blank and text. */
static int lv_pi(struct lv *x)
{
	const char *start = x->p, *n;
	size_t nl;

	x->p += 2;
	if (!lv_take_name(x, &n, &nl))
		return lv_syntax(x, start, "a processing instruction without a target name");
	if (nl == 3 && (n[0] | 0x20) == 'x' && (n[1] | 0x20) == 'm' && (n[2] | 0x20) == 'l')
		return lv_syntax(x, start, "an XML declaration is only allowed at the start");
	if (!lv_at(x, "?>") && (x->p >= x->end || !lv_space(*x->p)))
		return lv_syntax(x, x->p, "expected a blank or '?>' after the target name");
	return lv_skip_until(x, start, "?>", "a processing instruction");
}

/* One pseudo-attribute of the XML declaration: S name Eq quoted value. */
static bool lv_decl_attr(struct lv *x, const char *name, const char **val, size_t *len)
{
	const char *save = x->p, *n;
	size_t nl;
	char q;

	lv_skip_space(x);
	if (x->p == save || !lv_take_name(x, &n, &nl) || nl != strlen(name) ||
	    memcmp(n, name, nl) != 0)
		goto no;
	lv_skip_space(x);
	if (x->p >= x->end || *x->p != '=')
		goto no;
	x->p++;
	lv_skip_space(x);
	if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
		goto no;
	q = *x->p++;
	*val = x->p;
	while (x->p < x->end && *x->p != q && *x->p != '<' && *x->p != '>')
		x->p++;
	if (x->p >= x->end || *x->p != q)
		goto no;
	*len = (size_t)(x->p - *val);
	x->p++;
	return true;
no:
	x->p = save;
	return false;
}

static bool lv_ieq(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != lit[i])
			return false;
	return true;
}

/*
 * The XML declaration at the very start, when there is one:
 * <?xml version="1.N" [encoding="UTF-8"] [standalone="yes|no"] ?>.
 * Only UTF-8 (and its subset ASCII) is read; another encoding is refused.
 */
static int lv_xmldecl(struct lv *x)
{
	const char *start = x->p, *v;
	size_t n;

	if (!lv_at(x, "<?xml") || x->end - x->p < 6 || !lv_space(x->p[5]))
		return 0;
	x->p += 5;
	if (!lv_decl_attr(x, "version", &v, &n) || n < 3 || v[0] != '1' || v[1] != '.')
		return lv_syntax(x, start, "the XML declaration needs version=\"1.x\"");
	for (size_t i = 2; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return lv_syntax(x, start, "the XML declaration needs version=\"1.x\"");
	if (lv_decl_attr(x, "encoding", &v, &n) &&
	    !lv_ieq(v, n, "utf-8") && !lv_ieq(v, n, "utf8") && !lv_ieq(v, n, "us-ascii") &&
	    !lv_ieq(v, n, "ascii"))
		return lv_syntax(x, start, "only UTF-8 is read, not encoding=\"%.*s\"",
				 (int)(n > 20 ? 20 : n), v);
	if (lv_decl_attr(x, "standalone", &v, &n) && !lv_is_lit(v, n, "yes") &&
	    !lv_is_lit(v, n, "no"))
		return lv_syntax(x, start, "standalone must be \"yes\" or \"no\"");
	lv_skip_space(x);
	if (!lv_at(x, "?>"))
		return lv_syntax(x, start, "the XML declaration is not closed by '?>'");
	x->p += 2;
	return 0;
}

/* Comments, PIs, CDATA and text between tags; stops at a tag or the end. */
static int lv_misc(struct lv *x, bool in_element)
{
	int rc;

	while (x->p < x->end) {
		const char *start = x->p;
		char c = *x->p;

		if (lv_space(c)) {
			x->p++;
		} else if (c == '<') {
			if (lv_at(x, "<!--")) {
				x->p += 4;
				rc = lv_comment(x, start);
			} else if (lv_at(x, "<?")) {
				rc = lv_pi(x);
			} else if (in_element && lv_at(x, "<![CDATA[")) {
				x->p += 9;
				rc = lv_skip_until(x, start, "]]>", "a CDATA section");
			} else if (lv_at(x, "<!")) {
				rc = lv_syntax(x, start, in_element ? "unexpected '<!'"
					: "a DOCTYPE or '<!' declaration is not supported in CPU data");
			} else {
				return 0;	/* a tag */
			}
			if (rc < 0)
				return rc;
		} else if (!in_element) {
			return lv_syntax(x, start, "text outside the root element");
		} else if (c == '&') {
			if ((rc = lv_reference(x, NULL)) < 0)
				return rc;
		} else if (c == ']' && lv_at(x, "]]>")) {
			return lv_syntax(x, start, "']]>' in text");
		} else {
			x->p++;	/* text is ignored, as the libxml2 reader did */
		}
	}
	return 0;
}

/* An end tag </name> for e at x->p. */
static int lv_end_tag(struct lv *x, const struct lv_elem *e)
{
	const char *start = x->p, *n;
	size_t nl;

	_cleanup_free_ char *q = lv_quote(e->name, e->nlen);

	if (!lv_at(x, "</")) {
		_cleanup_free_ char *what = xasprintf("<%s>", q);

		return lv_eof(x, e->at, what);
	}
	x->p += 2;
	if (!lv_take_name(x, &n, &nl) || nl != e->nlen || memcmp(n, e->name, nl) != 0)
		return lv_syntax(x, start, "expected </%s>", q);
	lv_skip_space(x);
	if (x->p >= x->end || *x->p != '>')
		return lv_syntax(x, start, "expected '>' to end </%s", q);
	x->p++;
	return 0;
}

/* The content and end tag of an element whose start tag was read; the
 * content is checked and dropped. */
static int lv_skip_content(struct lv *x, const struct lv_elem *e, unsigned depth)
{
	struct lv_elem child = { 0 };
	int rc;

	if (e->empty)
		return 0;
	for (;;) {
		if ((rc = lv_misc(x, true)) < 0)
			return rc;
		if (x->p >= x->end || lv_at(x, "</"))
			return lv_end_tag(x, e);
		if (depth + 1 >= LV_MAX_DEPTH)
			return lv_syntax(x, x->p, "elements nested deeper than %d", LV_MAX_DEPTH);
		rc = lv_start_tag(x, &child);
		if (rc == 0)
			rc = lv_skip_content(x, &child, depth + 1);
		lv_elem_release(&child);
		if (rc < 0)
			return rc;
	}
}

static const struct lv_attr *lv_get(const struct lv_elem *e, const char *name)
{
	for (size_t i = 0; i < e->na; i++)
		if (lv_is_lit(e->a[i].name, e->a[i].nlen, name))
			return &e->a[i];
	return NULL;
}

/*
 * Attribute attr of e as a hex number ("0x1f" or "1f", as libvirt writes
 * and reads them) of at most maxdigits digits; absent reads as 0 unless
 * required.
 */
static int lv_hex(struct lv *x, const struct lv_elem *e, const char *attr,
		  unsigned maxdigits, bool required, uint64_t *ret)
{
	const struct lv_attr *a = lv_get(e, attr);
	uint64_t n = 0;

	if (!a) {
		if (required)
			return hv_errorf(x->d, "%s:%u: <%.*s> lacks the %s attribute", x->name,
					 lv_line(x, e->tag_end), (int)e->nlen, e->name, attr);
		*ret = 0;
		return 0;
	}
	if (!hex_span(a->val, a->vlen, maxdigits, &n)) {
		_cleanup_free_ char *q = lv_quote(a->val, a->vlen);

		return hv_errorf(x->d, "%s:%u: <%.*s %s='%s'>: not a hex number of at most %u digits",
				 x->name, lv_line(x, e->tag_end), (int)e->nlen, e->name, attr, q,
				 maxdigits);
	}
	*ret = n;
	return 0;
}

static int lv_cpuid(struct lv *x, const struct lv_elem *e, struct cpuid_data *c)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	uint64_t leaf, sub, v;
	uint32_t r[4];
	int rc;

	if ((rc = lv_hex(x, e, "eax_in", 8, true, &leaf)) < 0 ||
	    (rc = lv_hex(x, e, "ecx_in", 8, false, &sub)) < 0)
		return rc;
	for (int i = 0; i < 4; i++) {
		if ((rc = lv_hex(x, e, regs[i], 8, false, &v)) < 0)
			return rc;
		r[i] = (uint32_t)v;
	}
	if (cpuid_data_get(c, (uint32_t)leaf, (uint32_t)sub))
		hv_warnf(x->d, "%s:%u: leaf 0x%" PRIx64 " subleaf 0x%" PRIx64 " given again, the last one is used",
			 x->name, lv_line(x, e->tag_end), leaf, sub);
	if (cpuid_data_set(c, (uint32_t)leaf, (uint32_t)sub, r) < 0)
		return hv_errorf(x->d, "%s:%u: more than %d leaves", x->name,
				 lv_line(x, e->tag_end), CPUID_MAX_ENTRIES);
	return 0;
}

static int lv_msr(struct lv *x, const struct lv_elem *e, struct cpuid_data *c)
{
	uint64_t index, lo, hi;
	int rc;

	if ((rc = lv_hex(x, e, "index", 8, true, &index)) < 0 ||
	    (rc = lv_hex(x, e, "eax", 8, false, &lo)) < 0 ||
	    (rc = lv_hex(x, e, "edx", 8, false, &hi)) < 0)
		return rc;
	if (cpuid_data_set_msr(c, (uint32_t)index, hi << 32 | lo) < 0)
		return hv_errorf(x->d, "%s:%u: more than %d MSRs", x->name,
				 lv_line(x, e->tag_end), CPUID_MAX_ENTRIES);
	return 0;
}

/* The children of <cpudata>, then its end tag. */
static int lv_cpudata(struct lv *x, const struct lv_elem *root, struct cpuid_data *c)
{
	struct lv_elem e = { 0 };
	int rc;

	if (root->empty)
		return 0;
	for (;;) {
		if ((rc = lv_misc(x, true)) < 0)
			return rc;
		if (x->p >= x->end || lv_at(x, "</"))
			return lv_end_tag(x, root);
		rc = lv_start_tag(x, &e);
		if (rc == 0 && lv_is_lit(e.name, e.nlen, "cpuid")) {
			rc = lv_cpuid(x, &e, c);
		} else if (rc == 0 && lv_is_lit(e.name, e.nlen, "msr")) {
			rc = lv_msr(x, &e, c);
		} else if (rc == 0) {
			_cleanup_free_ char *q = lv_quote(e.name, e.nlen);

			hv_warnf(x->d, "%s:%u: unknown element <%s>, ignoring", x->name,
				 lv_line(x, e.tag_end), q);
		}
		/* What an element holds is checked and dropped, as before. */
		if (rc == 0)
			rc = lv_skip_content(x, &e, 1);
		lv_elem_release(&e);
		if (rc < 0)
			return rc;
	}
}

int cpuid_parse_libvirt(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct lv x = { buf, buf, buf + len, name, d, buf, 1 };
	struct lv_elem root = { 0 };
	const struct lv_attr *arch;
	int rc;

	if (memchr(buf, 0, len)) {
		rc = hv_errorf(d, "%s: not an XML text file (it holds NUL bytes)", name);
		goto out;
	}
	if ((rc = lv_check_chars(&x)) < 0)
		goto out;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		x.p += 3;
	if ((rc = lv_xmldecl(&x)) < 0 || (rc = lv_misc(&x, false)) < 0)
		goto out;
	if (x.p >= x.end) {
		rc = lv_syntax(&x, x.p, "no root element");
		goto out;
	}
	if ((rc = lv_start_tag(&x, &root)) < 0)
		goto out;
	if (!lv_is_lit(root.name, root.nlen, "cpudata")) {
		_cleanup_free_ char *q = lv_quote(root.name, root.nlen);

		rc = hv_errorf(d, "%s:%u: expected a libvirt <cpudata> document, found <%s>",
			       name, lv_line(&x, root.tag_end), q);
		goto out;
	}
	arch = lv_get(&root, "arch");
	if (arch && !lv_is_lit(arch->val, arch->vlen, "x86")) {
		_cleanup_free_ char *q = lv_quote(arch->val, arch->vlen);

		rc = hv_errorf(d, "%s:%u: <cpudata arch='%.20s'>: only x86 is supported",
			       name, lv_line(&x, root.tag_end), q);
		goto out;
	}
	if ((rc = lv_cpudata(&x, &root, &c)) < 0)
		goto out;
	if ((rc = lv_misc(&x, false)) < 0)
		goto out;
	if (x.p < x.end) {
		rc = lv_syntax(&x, x.p, "more than one root element");
		goto out;
	}
	if (!cpuid_data_get(&c, 0, 0)) {
		rc = hv_errorf(d, c.nleaves ? "%s: leaf 0x00000000 is missing"
				: "%s: no <cpuid> elements", name);
		goto out;
	}
	c.origin = xstrdup(name);
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
out:
	lv_elem_release(&root);
	cpuid_data_release(&c);
	return rc;
}
