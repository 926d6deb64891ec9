/* SPDX-License-Identifier: MIT */
/* A growable string buffer (after git's strbuf). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/*
 * Invariants: buf is never NULL and always NUL-terminated; len excludes
 * the terminator.  A zero-initialised strbuf (STRBUF_INIT) is valid and
 * empty.  Allocation failure aborts: a tool that cannot grow a string has
 * nothing better to do.
 */
struct strbuf {
	char *buf;
	size_t len, alloc;
};

extern char strbuf_empty[];
#define STRBUF_INIT { .buf = strbuf_empty }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
__attribute__((format(printf, 2, 3)))
void strbuf_addf(struct strbuf *sb, const char *fmt, ...);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/*
 * Appends s as text for an output that needs valid UTF-8 (cairo's text,
 * DOT's strings): a byte that starts no valid sequence becomes '?', a
 * control character a space, and a byte found in escape gets a backslash
 * before it (escape may be NULL).  A NULL s appends nothing.
 */
void strbuf_add_utf8(struct strbuf *sb, const char *s, const char *escape);
/* Hands the buffer to the caller (free() it) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
