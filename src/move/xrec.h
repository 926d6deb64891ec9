/* SPDX-License-Identifier: MIT */
/* XAPI object records (VM, VBD, VDI, VIF, network): named fields that
 * are strings, ints, bools, string maps or lists, as XML-RPC carries
 * them.  ova.xml, OVF and the XenAPI client all go through these. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "strbuf.h"

enum xv_type { XV_STR, XV_INT, XV_BOOL, XV_MAP, XV_LIST };

struct xfield {
	char *name;		/* owned */
	enum xv_type type;
	char *value;		/* scalars: the text ("1"/"0" for bools) */
	struct mv_kv *map;	/* XV_MAP */
	size_t nmap;
	char **list;		/* XV_LIST: scalar items (refs) */
	size_t nlist;
};

struct xrec {
	struct xfield *f;
	size_t n;
};

#define XREC_INIT { 0 }

/* Setters replace a field of the same name (maps: the same key). */
void xrec_str(struct xrec *r, const char *name, const char *value);
void xrec_int(struct xrec *r, const char *name, int64_t value);
void xrec_bool(struct xrec *r, const char *name, bool value);
/* Creates an empty map or list field when missing. */
void xrec_map(struct xrec *r, const char *name);
void xrec_map_set(struct xrec *r, const char *name, const char *key,
		  const char *value);
void xrec_list(struct xrec *r, const char *name);
void xrec_list_add(struct xrec *r, const char *name, const char *item);

const struct xfield *xrec_find(const struct xrec *r, const char *name);
/* A scalar's text, or NULL when missing or not a scalar. */
const char *xrec_get(const struct xrec *r, const char *name);
bool xrec_get_bool(const struct xrec *r, const char *name);
/* 0 and *ret set when the field is a decimal integer; -ENOENT missing,
 * -EINVAL not a number. */
int xrec_get_u64(const struct xrec *r, const char *name, uint64_t *ret);
const char *xrec_map_get(const struct xrec *r, const char *name,
			 const char *key);
void xrec_release(struct xrec *r);

/* Escapes s for XML text and attribute values. */
void xml_escape(struct strbuf *o, const char *s);
/* r as an XML-RPC <value><struct>...</struct></value>: strings and ints
 * as bare text (XAPI sends int64 as strings), bools as <boolean>. */
void xrec_xmlrpc(const struct xrec *r, struct strbuf *o);

/* Fills r from an XML-RPC <value> holding a <struct> (libxml2 node,
 * passed as void * so that callers need no libxml2 headers).  Nested
 * structs become maps (one level), arrays lists.  -EINVAL when the node
 * is not a struct. */
int xrec_from_xmlrpc(void *value_node, struct xrec *r);
