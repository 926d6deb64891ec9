/* SPDX-License-Identifier: MIT */
/* A small JSON reader (QMP, etcd replies): a whole document as a tree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Nodes are referred to by index; CJ_NONE is "no such node". */
typedef size_t cj_ref;
#define CJ_NONE ((cj_ref)-1)
/* Deeper nesting is refused (QMP replies are four levels deep). */
#define CJ_MAX_DEPTH 64

enum cj_type { CJ_NULL, CJ_BOOL, CJ_NUM, CJ_STR, CJ_ARR, CJ_OBJ };

struct cj_node {
	enum cj_type type;
	size_t off;		/* byte offset of the value in the input */
	size_t key;		/* object member: its key in the string arena */
	size_t keylen;
	cj_ref next;		/* next element or member of the parent */
	union {
		bool b;
		struct {	/* CJ_NUM */
			bool is_int;	/* no fraction, no exponent */
			bool neg;
			bool big;	/* magnitude above UINT64_MAX */
			uint64_t mag;
		} num;
		struct {	/* CJ_STR: decoded, NUL-terminated, in the arena */
			size_t s, len;
		} str;
		struct {	/* CJ_ARR, CJ_OBJ */
			cj_ref first;
			size_t count;
		} kids;
	} u;
};

/*
 * Values read from one input; node and string storage is owned.
 * Lifecycle: CJ_DOC_INIT, cj_parse() any number of times (each value is
 * added), cj_doc_release().
 */
struct cj_doc {
	struct cj_node *n;
	size_t nn, an;
	struct strbuf str;	/* decoded strings, each NUL-terminated */
};
#define CJ_DOC_INIT { .str = STRBUF_INIT }

void cj_doc_release(struct cj_doc *doc);
/* Empties doc for the next cj_parse, keeping its memory. */
void cj_doc_reset(struct cj_doc *doc);

/* Why a parse failed: where, and what was expected (no file name). */
struct cj_error {
	size_t off;
	char msg[96];
};

/*
 * Parses one JSON value at buf[*pos] (blanks before it skipped), adds it
 * to doc and sets *ret to its root; *pos moves past it.  Returns 0, or -1
 * with *err set (doc then holds a partial tree: release it).
 */
int cj_parse(const char *buf, size_t len, size_t *pos, struct cj_doc *doc,
	     cj_ref *ret, struct cj_error *err);

/* True when only JSON blanks remain at buf[pos]; sets *pos past them. */
bool cj_at_end(const char *buf, size_t len, size_t *pos);

static inline const struct cj_node *cj_node(const struct cj_doc *doc, cj_ref r)
{
	return r == CJ_NONE ? NULL : &doc->n[r];
}

static inline const char *cj_str(const struct cj_doc *doc, cj_ref r)
{
	return doc->str.buf + doc->n[r].u.str.s;
}

static inline const char *cj_key(const struct cj_doc *doc, cj_ref r)
{
	return doc->str.buf + doc->n[r].key;
}

/* The first member named key of object r, or CJ_NONE (also when r is not
 * an object). */
cj_ref cj_get(const struct cj_doc *doc, cj_ref r, const char *key);

/* True when r is a string equal to s. */
bool cj_is_str(const struct cj_doc *doc, cj_ref r, const char *s);

/* An integer in [0, max]: true and *ret set, else false. */
bool cj_uint(const struct cj_doc *doc, cj_ref r, uint64_t max, uint64_t *ret);
