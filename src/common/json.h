/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer into a strbuf (compact or pretty). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

#define JSON_MAX_DEPTH 64

/*
 * The writer inserts commas, colons and (when pretty) newlines and
 * indentation itself; callers only say what comes next.  Nesting deeper
 * than JSON_MAX_DEPTH is a programming error and aborts.
 */
struct json {
	struct strbuf *out;
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, struct strbuf *out, bool pretty);
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);	/* NULL writes null */
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);	/* shortest round-trip form */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value in one call; kv_str skips the pair when s is NULL. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, bool v);
