/* SPDX-License-Identifier: MIT */
/* XAPI object records and their XML-RPC form. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>

#include "util.h"
#include "xmlrpc.h"
#include "xrec.h"

static struct xfield *field(struct xrec *r, const char *name, enum xv_type t)
{
	for (size_t i = 0; i < r->n; i++) {
		struct xfield *f = &r->f[i];

		if (strcmp(f->name, name) != 0)
			continue;
		if (f->type != t) {
			free(f->value);
			f->value = NULL;
		}
		f->type = t;
		return f;
	}
	r->f = xrealloc(r->f, (r->n + 1) * sizeof(*r->f));
	memset(&r->f[r->n], 0, sizeof(*r->f));
	r->f[r->n].name = xstrdup(name);
	r->f[r->n].type = t;
	return &r->f[r->n++];
}

static void set_scalar(struct xrec *r, const char *name, enum xv_type t,
		       const char *value)
{
	struct xfield *f = field(r, name, t);

	free(f->value);
	f->value = xstrdup(value ? value : "");
}

void xrec_str(struct xrec *r, const char *name, const char *value)
{
	set_scalar(r, name, XV_STR, value);
}

void xrec_int(struct xrec *r, const char *name, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	set_scalar(r, name, XV_INT, buf);
}

void xrec_bool(struct xrec *r, const char *name, bool value)
{
	set_scalar(r, name, XV_BOOL, value ? "1" : "0");
}

void xrec_map(struct xrec *r, const char *name)
{
	(void)field(r, name, XV_MAP);
}

void xrec_map_set(struct xrec *r, const char *name, const char *key,
		  const char *value)
{
	struct xfield *f = field(r, name, XV_MAP);

	for (size_t i = 0; i < f->nmap; i++)
		if (strcmp(f->map[i].key, key) == 0) {
			free(f->map[i].value);
			f->map[i].value = xstrdup(value ? value : "");
			return;
		}
	f->map = xrealloc(f->map, (f->nmap + 1) * sizeof(*f->map));
	f->map[f->nmap].key = xstrdup(key);
	f->map[f->nmap].value = xstrdup(value ? value : "");
	f->nmap++;
}

void xrec_list(struct xrec *r, const char *name)
{
	(void)field(r, name, XV_LIST);
}

void xrec_list_add(struct xrec *r, const char *name, const char *item)
{
	struct xfield *f = field(r, name, XV_LIST);

	f->list = xrealloc(f->list, (f->nlist + 1) * sizeof(*f->list));
	f->list[f->nlist++] = xstrdup(item);
}

const struct xfield *xrec_find(const struct xrec *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return &r->f[i];
	return NULL;
}

const char *xrec_get(const struct xrec *r, const char *name)
{
	const struct xfield *f = xrec_find(r, name);

	return f && f->type != XV_MAP && f->type != XV_LIST ? f->value : NULL;
}

bool xrec_get_bool(const struct xrec *r, const char *name)
{
	const char *v = xrec_get(r, name);

	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

int xrec_get_u64(const struct xrec *r, const char *name, uint64_t *ret)
{
	const char *v = xrec_get(r, name);

	if (!v)
		return -ENOENT;
	return parse_u64(v, 10, ret);
}

const char *xrec_map_get(const struct xrec *r, const char *name,
			 const char *key)
{
	const struct xfield *f = xrec_find(r, name);

	if (!f || f->type != XV_MAP)
		return NULL;
	for (size_t i = 0; i < f->nmap; i++)
		if (strcmp(f->map[i].key, key) == 0)
			return f->map[i].value;
	return NULL;
}

void xrec_release(struct xrec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct xfield *f = &r->f[i];

		free(f->name);
		free(f->value);
		for (size_t k = 0; k < f->nmap; k++) {
			free(f->map[k].key);
			free(f->map[k].value);
		}
		free(f->map);
		for (size_t k = 0; k < f->nlist; k++)
			free(f->list[k]);
		free(f->list);
	}
	free(r->f);
	r->f = NULL;
	r->n = 0;
}

void xml_escape(struct strbuf *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': strbuf_adds(o, "&lt;"); break;
		case '>': strbuf_adds(o, "&gt;"); break;
		case '&': strbuf_adds(o, "&amp;"); break;
		case '"': strbuf_adds(o, "&quot;"); break;
		case '\n': strbuf_adds(o, "&#10;"); break;
		case '\r': strbuf_adds(o, "&#13;"); break;
		case '\t': strbuf_adds(o, "&#9;"); break;
		default: strbuf_addc(o, *s); break;
		}
	}
}

void xrec_xmlrpc(const struct xrec *r, struct strbuf *o)
{
	strbuf_adds(o, "<value><struct>");
	for (size_t i = 0; i < r->n; i++) {
		const struct xfield *f = &r->f[i];

		strbuf_adds(o, "<member><name>");
		xml_escape(o, f->name);
		strbuf_adds(o, "</name><value>");
		switch (f->type) {
		case XV_STR:
		case XV_INT:
			xml_escape(o, f->value);
			break;
		case XV_BOOL:
			strbuf_addf(o, "<boolean>%s</boolean>", f->value);
			break;
		case XV_MAP:
			strbuf_adds(o, "<struct>");
			for (size_t k = 0; k < f->nmap; k++) {
				strbuf_adds(o, "<member><name>");
				xml_escape(o, f->map[k].key);
				strbuf_adds(o, "</name><value>");
				xml_escape(o, f->map[k].value);
				strbuf_adds(o, "</value></member>");
			}
			strbuf_adds(o, "</struct>");
			break;
		case XV_LIST:
			strbuf_adds(o, "<array><data>");
			for (size_t k = 0; k < f->nlist; k++) {
				strbuf_adds(o, "<value>");
				xml_escape(o, f->list[k]);
				strbuf_adds(o, "</value>");
			}
			strbuf_adds(o, "</data></array>");
			break;
		}
		strbuf_adds(o, "</value></member>");
	}
	strbuf_adds(o, "</struct></value>");
}

/* ---- reader ---- */

bool xmlrpc_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *xmlrpc_first(xmlNode *n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static char *text(xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *r = xstrdup(t ? (const char *)t : "");

	xmlFree(t);
	return r;
}

int xmlrpc_each_member(xmlNode *st, int (*fn)(void *opaque, const char *name, xmlNode *value),
		       void *opaque)
{
	for (xmlNode *m = xmlrpc_first(st ? st->children : NULL); m; m = xmlrpc_first(m->next)) {
		xmlNode *nm = NULL, *v = NULL;

		if (!xmlrpc_is(m, "member"))
			continue;
		for (xmlNode *c = xmlrpc_first(m->children); c; c = xmlrpc_first(c->next)) {
			if (xmlrpc_is(c, "name"))
				nm = c;
			else if (xmlrpc_is(c, "value"))
				v = c;
		}
		if (nm && v) {
			char *name = text(nm);
			int rc = fn(opaque, name, v);

			free(name);
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct find_ctx {
	const char *name;
	xmlNode *found;
};

static int find_member(void *opaque, const char *name, xmlNode *v)
{
	struct find_ctx *c = opaque;

	if (strcmp(name, c->name) != 0)
		return 0;
	c->found = v;
	return 1;
}

xmlNode *xmlrpc_member(xmlNode *value, const char *name)
{
	xmlNode *st = value ? xmlrpc_first(value->children) : NULL;
	struct find_ctx c = { name, NULL };

	if (!xmlrpc_is(st, "struct"))
		return NULL;
	(void)xmlrpc_each_member(st, find_member, &c);
	return c.found;
}

struct map_ctx {
	struct xrec *r;
	const char *field;
};

static int add_map_member(void *opaque, const char *name, xmlNode *v)
{
	struct map_ctx *c = opaque;
	char *t = text(v);

	xrec_map_set(c->r, c->field, name, t);
	free(t);
	return 0;
}

static int add_member(void *opaque, const char *name, xmlNode *v)
{
	struct xrec *r = opaque;
	xmlNode *inner = xmlrpc_first(v->children);

	if (xmlrpc_is(inner, "struct")) {
		struct map_ctx c = { r, name };
		xrec_map(r, name);
		(void)xmlrpc_each_member(inner, add_map_member, &c);
	} else if (xmlrpc_is(inner, "array")) {
		xmlNode *data = xmlrpc_first(inner->children);
		xrec_list(r, name);
		if (xmlrpc_is(data, "data"))
			for (xmlNode *e = xmlrpc_first(data->children); e; e = xmlrpc_first(e->next))
				if (xmlrpc_is(e, "value")) {
					char *t = text(e);
					xrec_list_add(r, name, t);
					free(t);
				}
	} else {
		char *t = text(v);
		if (xmlrpc_is(inner, "boolean"))
			xrec_bool(r, name, strcmp(t, "1") == 0);
		else
			xrec_str(r, name, t);
		free(t);
	}
	return 0;
}

int xrec_from_xmlrpc(void *value_node, struct xrec *r)
{
	xmlNode *v = value_node, *st;

	st = v ? xmlrpc_first(v->children) : NULL;
	if (!xmlrpc_is(st, "struct"))
		return -EINVAL;
	(void)xmlrpc_each_member(st, add_member, r);
	return 0;
}
