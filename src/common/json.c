/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer into a strbuf (compact or pretty). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

void json_init(struct json *j, struct strbuf *out, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
	j->first[0] = true;
}

static void newline(struct json *j)
{
	if (!j->pretty)
		return;
	strbuf_addc(j->out, '\n');
	for (int i = 0; i < j->depth; i++)
		strbuf_add(j->out, "  ", 2);
}

/* Called before every value or key: separators and indentation. */
static void before_item(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		strbuf_addc(j->out, ',');
	j->first[j->depth] = false;
	if (j->depth > 0)
		newline(j);
}

static void open(struct json *j, char c)
{
	before_item(j);
	strbuf_addc(j->out, c);
	if (++j->depth >= JSON_MAX_DEPTH)
		abort();
	j->first[j->depth] = true;
}

static void json__close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		newline(j);
	strbuf_addc(j->out, c);
}

void json_obj_open(struct json *j) { open(j, '{'); }
void json_obj_close(struct json *j) { json__close(j, '}'); }
void json_arr_open(struct json *j) { open(j, '['); }
void json_arr_close(struct json *j) { json__close(j, ']'); }

static void put_string(struct strbuf *sb, const char *s)
{
	strbuf_addc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* Runs that need no escaping go in one copy. */
		const unsigned char *q = p;

		while (*q >= 0x20 && *q != 0x7f && *q != '"' && *q != '\\') {
			uint32_t cp;
			size_t n = *q < 0x80 ? 1 : utf8_seq(q, &cp);

			if (!n)
				break;
			q += n;
		}
		if (q != p) {
			strbuf_add(sb, p, (size_t)(q - p));
			p = q;
			if (!*p)
				break;
		}
		switch (*p) {
		case '"': strbuf_add(sb, "\\\"", 2); break;
		case '\\': strbuf_add(sb, "\\\\", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\t': strbuf_add(sb, "\\t", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				strbuf_addf(sb, "\\u%04x", *p);
			else if (*p >= 0x80)	/* not UTF-8: JSON must be */
				strbuf_add(sb, "\\ufffd", 6);
			else
				strbuf_addc(sb, (char)*p);
		}
	}
	strbuf_addc(sb, '"');
}

void json_key(struct json *j, const char *key)
{
	before_item(j);
	put_string(j->out, key);
	strbuf_add(j->out, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	before_item(j);
	if (s)
		put_string(j->out, s);
	else
		strbuf_adds(j->out, "null");
}

void json_u64(struct json *j, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	before_item(j);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_add(j->out, p, (size_t)(buf + sizeof(buf) - p));
}

void json_i64(struct json *j, int64_t v)
{
	before_item(j);
	strbuf_addf(j->out, "%" PRId64, v);
}

void json_double(struct json *j, double v)
{
	char buf[32];

	before_item(j);
	if (!isfinite(v)) {
		strbuf_adds(j->out, "null");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_adds(j->out, buf);
	if (!strpbrk(buf, ".eE"))
		strbuf_adds(j->out, ".0");
}

void json_bool(struct json *j, bool v)
{
	before_item(j);
	strbuf_adds(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	before_item(j);
	strbuf_adds(j->out, "null");
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	if (!s)
		return;
	json_key(j, key);
	json_str(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
