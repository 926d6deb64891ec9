/* SPDX-License-Identifier: MIT */
/*
 * A small JSON reader (RFC 8259) for QMP and etcd replies: strict grammar, a
 * nesting limit, numbers kept as integers where they are, strings decoded
 * to UTF-8.  Every node is bounded by an input byte, so a document cannot
 * make us hold more than a few times its size.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-read.h"
#include "util.h"

struct cj_parser {
	const char *buf;
	size_t len, pos;
	struct cj_doc *doc;
	struct cj_error *err;
};

void cj_doc_release(struct cj_doc *doc)
{
	free(doc->n);
	doc->n = NULL;
	doc->nn = doc->an = 0;
	strbuf_release(&doc->str);
}

void cj_doc_reset(struct cj_doc *doc)
{
	doc->nn = 0;
	strbuf_reset(&doc->str);
}

__attribute__((format(printf, 3, 4)))
static int cj_fail(struct cj_parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	p->err->off = off;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* "'x'" for a printable byte, else "byte 0xNN"; "the end" past it. */
static const char *cj_what(const struct cj_parser *p, char *buf, size_t size)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "the end of the input";
	c = (unsigned char)p->buf[p->pos];
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

static void cj_skip_ws(struct cj_parser *p)
{
	while (p->pos < p->len) {
		char c = p->buf[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

bool cj_at_end(const char *buf, size_t len, size_t *pos)
{
	struct cj_parser p = { .buf = buf, .len = len, .pos = *pos };

	cj_skip_ws(&p);
	*pos = p.pos;
	return p.pos >= len;
}

static cj_ref cj_add(struct cj_parser *p, enum cj_type t)
{
	struct cj_doc *doc = p->doc;
	struct cj_node *n;

	doc->n = xgrow(doc->n, sizeof(*doc->n), doc->nn + 1, &doc->an);
	n = &doc->n[doc->nn];
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->off = p->pos;
	n->next = CJ_NONE;
	if (t == CJ_ARR || t == CJ_OBJ)
		n->u.kids.first = CJ_NONE;
	return doc->nn++;
}

static int cj_hex4(struct cj_parser *p, uint32_t *ret)
{
	uint32_t v = 0;

	if (p->len - p->pos < 4)
		return cj_fail(p, p->pos, "\\u needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = p->buf[p->pos + (size_t)i];
		uint32_t dv;

		if (c >= '0' && c <= '9')
			dv = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			dv = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			dv = (uint32_t)(c - 'A' + 10);
		else
			return cj_fail(p, p->pos, "\\u needs four hex digits");
		v = v << 4 | dv;
	}
	p->pos += 4;
	*ret = v;
	return 0;
}

static void cj_utf8(struct strbuf *sb, uint32_t cp)
{
	if (cp < 0x80) {
		strbuf_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addc(sb, (char)(0xC0 | cp >> 6));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		strbuf_addc(sb, (char)(0xE0 | cp >> 12));
		strbuf_addc(sb, (char)(0x80 | (cp >> 6 & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	} else {
		strbuf_addc(sb, (char)(0xF0 | cp >> 18));
		strbuf_addc(sb, (char)(0x80 | (cp >> 12 & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (cp >> 6 & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	}
}

/* A string at its '"', decoded into the arena: *s its offset, *n its length. */
static int cj_string(struct cj_parser *p, size_t *s, size_t *n)
{
	struct strbuf *sb = &p->doc->str;
	size_t start = p->pos;

	*s = sb->len;
	p->pos++;
	for (;;) {
		size_t run = p->pos;
		unsigned char c;

		/* plain bytes in one go */
		while (p->pos < p->len && p->buf[p->pos] != '"' && p->buf[p->pos] != '\\' &&
		       (unsigned char)p->buf[p->pos] >= 0x20)
			p->pos++;
		strbuf_add(sb, p->buf + run, p->pos - run);
		if (p->pos >= p->len)
			return cj_fail(p, start, "string not closed");
		c = (unsigned char)p->buf[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return cj_fail(p, p->pos, "control character 0x%02x in a string", c);
		/* a backslash */
		if (++p->pos >= p->len)
			return cj_fail(p, start, "string not closed");
		c = (unsigned char)p->buf[p->pos++];
		switch (c) {
		case '"': strbuf_addc(sb, '"'); break;
		case '\\': strbuf_addc(sb, '\\'); break;
		case '/': strbuf_addc(sb, '/'); break;
		case 'b': strbuf_addc(sb, '\b'); break;
		case 'f': strbuf_addc(sb, '\f'); break;
		case 'n': strbuf_addc(sb, '\n'); break;
		case 'r': strbuf_addc(sb, '\r'); break;
		case 't': strbuf_addc(sb, '\t'); break;
		case 'u': {
			size_t at = p->pos - 2;
			uint32_t cp, lo;

			if (cj_hex4(p, &cp) < 0)
				return -1;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return cj_fail(p, at, "lone low surrogate \\u%04x", cp);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->len - p->pos < 2 || p->buf[p->pos] != '\\' ||
				    p->buf[p->pos + 1] != 'u')
					return cj_fail(p, at, "high surrogate \\u%04x without its low half", cp);
				p->pos += 2;
				if (cj_hex4(p, &lo) < 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return cj_fail(p, at, "high surrogate \\u%04x without its low half", cp);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (cp == 0)
				return cj_fail(p, at, "\\u0000 in a string");
			cj_utf8(sb, cp);
			break;
		}
		default:
			return cj_fail(p, p->pos - 2, "unknown escape '\\%c'",
				       c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
	}
	p->pos++;
	*n = sb->len - *s;
	strbuf_addc(sb, 0);
	return 0;
}

static bool cj_digit(const struct cj_parser *p)
{
	return p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9';
}

static int cj_number(struct cj_parser *p, cj_ref r)
{
	struct cj_node *n = &p->doc->n[r];
	size_t start = p->pos;
	char what[16];

	n->u.num.is_int = true;
	if (p->buf[p->pos] == '-') {
		n->u.num.neg = true;
		p->pos++;
	}
	if (!cj_digit(p))
		return cj_fail(p, p->pos, "expected a digit, found %s", cj_what(p, what, sizeof(what)));
	if (p->buf[p->pos] == '0') {
		p->pos++;
		if (cj_digit(p))
			return cj_fail(p, start, "a number with a leading zero");
	} else {
		while (cj_digit(p)) {
			uint64_t dv = (uint64_t)(p->buf[p->pos] - '0');

			if (n->u.num.mag > (UINT64_MAX - dv) / 10)
				n->u.num.big = true;
			n->u.num.mag = n->u.num.mag * 10 + dv;
			p->pos++;
		}
	}
	if (p->pos < p->len && p->buf[p->pos] == '.') {
		n->u.num.is_int = false;
		p->pos++;
		if (!cj_digit(p))
			return cj_fail(p, p->pos, "expected a digit after '.', found %s",
				       cj_what(p, what, sizeof(what)));
		while (cj_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && (p->buf[p->pos] == 'e' || p->buf[p->pos] == 'E')) {
		n->u.num.is_int = false;
		p->pos++;
		if (p->pos < p->len && (p->buf[p->pos] == '+' || p->buf[p->pos] == '-'))
			p->pos++;
		if (!cj_digit(p))
			return cj_fail(p, p->pos, "expected a digit in the exponent, found %s",
				       cj_what(p, what, sizeof(what)));
		while (cj_digit(p))
			p->pos++;
	}
	return 0;
}

static int cj_literal(struct cj_parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n) != 0)
		return cj_fail(p, p->pos, "unknown word (expected true, false or null)");
	p->pos += n;
	return 0;
}

static int cj_value(struct cj_parser *p, unsigned depth, cj_ref *ret);

/* An array or object at its bracket. */
static int cj_container(struct cj_parser *p, unsigned depth, cj_ref r)
{
	bool obj = p->doc->n[r].type == CJ_OBJ;
	char close = obj ? '}' : ']', what[16];
	cj_ref last = CJ_NONE, kid;

	if (depth >= CJ_MAX_DEPTH)
		return cj_fail(p, p->pos, "nested deeper than %d", CJ_MAX_DEPTH);
	p->pos++;
	cj_skip_ws(p);
	if (p->pos < p->len && p->buf[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		size_t key = 0, keylen = 0;

		if (obj) {
			cj_skip_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != '"')
				return cj_fail(p, p->pos, "expected a member name (a string), found %s",
					       cj_what(p, what, sizeof(what)));
			if (cj_string(p, &key, &keylen) < 0)
				return -1;
			cj_skip_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != ':')
				return cj_fail(p, p->pos, "expected ':' after a member name, found %s",
					       cj_what(p, what, sizeof(what)));
			p->pos++;
		}
		if (cj_value(p, depth + 1, &kid) < 0)
			return -1;
		p->doc->n[kid].key = key;
		p->doc->n[kid].keylen = keylen;
		if (last == CJ_NONE)
			p->doc->n[r].u.kids.first = kid;
		else
			p->doc->n[last].next = kid;
		p->doc->n[r].u.kids.count++;
		last = kid;
		cj_skip_ws(p);
		if (p->pos < p->len && p->buf[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->buf[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return cj_fail(p, p->pos, "expected ',' or '%c' %s, found %s", close,
			       obj ? "after an object member" : "after an array element",
			       cj_what(p, what, sizeof(what)));
	}
}

static int cj_value(struct cj_parser *p, unsigned depth, cj_ref *ret)
{
	char what[16];
	cj_ref r;
	int rc;

	cj_skip_ws(p);
	if (p->pos >= p->len)
		return cj_fail(p, p->pos, "expected a value, found the end of the input");
	switch (p->buf[p->pos]) {
	case '{':
		r = cj_add(p, CJ_OBJ);
		rc = cj_container(p, depth, r);
		break;
	case '[':
		r = cj_add(p, CJ_ARR);
		rc = cj_container(p, depth, r);
		break;
	case '"': {
		size_t s, n;

		r = cj_add(p, CJ_STR);
		rc = cj_string(p, &s, &n);
		p->doc->n[r].u.str.s = s;
		p->doc->n[r].u.str.len = n;
		break;
	}
	case 't':
	case 'f':
		r = cj_add(p, CJ_BOOL);
		p->doc->n[r].u.b = p->buf[p->pos] == 't';
		rc = cj_literal(p, p->doc->n[r].u.b ? "true" : "false");
		break;
	case 'n':
		r = cj_add(p, CJ_NULL);
		rc = cj_literal(p, "null");
		break;
	default:
		if (p->buf[p->pos] != '-' && !cj_digit(p))
			return cj_fail(p, p->pos, "expected a value, found %s",
				       cj_what(p, what, sizeof(what)));
		r = cj_add(p, CJ_NUM);
		rc = cj_number(p, r);
		break;
	}
	if (rc < 0)
		return rc;
	*ret = r;
	return 0;
}

int cj_parse(const char *buf, size_t len, size_t *pos, struct cj_doc *doc,
	     cj_ref *ret, struct cj_error *err)
{
	struct cj_parser p = { buf, len, *pos, doc, err };

	if (cj_value(&p, 0, ret) < 0)
		return -1;
	*pos = p.pos;
	return 0;
}

cj_ref cj_get(const struct cj_doc *doc, cj_ref r, const char *key)
{
	size_t n = strlen(key);

	if (r == CJ_NONE || doc->n[r].type != CJ_OBJ)
		return CJ_NONE;
	for (cj_ref k = doc->n[r].u.kids.first; k != CJ_NONE; k = doc->n[k].next)
		if (doc->n[k].keylen == n && memcmp(cj_key(doc, k), key, n) == 0)
			return k;
	return CJ_NONE;
}

bool cj_is_str(const struct cj_doc *doc, cj_ref r, const char *s)
{
	return r != CJ_NONE && doc->n[r].type == CJ_STR &&
	       doc->n[r].u.str.len == strlen(s) && memcmp(cj_str(doc, r), s, strlen(s)) == 0;
}

bool cj_uint(const struct cj_doc *doc, cj_ref r, uint64_t max, uint64_t *ret)
{
	const struct cj_node *n = cj_node(doc, r);

	if (!n || n->type != CJ_NUM || !n->u.num.is_int || n->u.num.big ||
	    (n->u.num.neg && n->u.num.mag) || n->u.num.mag > max)
		return false;
	*ret = n->u.num.mag;
	return true;
}
