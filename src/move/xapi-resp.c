/* SPDX-License-Identifier: MIT */
/* XenAPI XML-RPC responses, read with libxml2. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lazy.h"
#include "strbuf.h"
#include "util.h"
#include "xapi-client.h"
#include "xmlrpc.h"

/* Status is not Success: the ErrorDescription list, one line. */
static int call_failed(const struct xrec *top, const char *where, struct hv_diags *d)
{
	const struct xfield *e = xrec_find(top, "ErrorDescription");
	struct strbuf msg = STRBUF_INIT;
	int rc;

	for (size_t i = 0; e && e->type == XV_LIST && i < e->nlist; i++)
		strbuf_addf(&msg, "%s%s", i ? " " : "", e->list[i]);
	rc = hv_errorf(d, "%s failed: %s", where, msg.len ? msg.buf : "no error description");
	strbuf_release(&msg);
	return rc;
}

int xapi_parse_response(const char *buf, size_t len, const char *where,
			struct hv_diags *d, char **ret_str, struct xrec *ret_rec)
{
	struct xrec top = XREC_INIT;
	xmlDoc *doc = NULL;
	int rc = 0;

	if (len > INT32_MAX)
		return hv_errorf(d, "%s: a response of %zu bytes", where, len);
	if ((rc = lazy_xml2_load(d)) < 0)
		return rc;
	doc = xmlReadMemory(buf, (int)len, "response", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *n = doc ? xmlDocGetRootElement(doc) : NULL;
	/* methodResponse/params/param/value/struct {Status, Value|ErrorDescription} */
	n = xmlrpc_is(n, "methodResponse") ? xmlrpc_first(n->children) : NULL;
	n = xmlrpc_is(n, "params") ? xmlrpc_first(n->children) : NULL;
	n = xmlrpc_is(n, "param") ? xmlrpc_first(n->children) : NULL;
	if (!xmlrpc_is(n, "value") || xrec_from_xmlrpc(n, &top) < 0) {
		rc = hv_errorf(d, "%s: the response is not an XML-RPC struct", where);
		goto out;
	}
	const char *status = xrec_get(&top, "Status");
	if (!status || strcmp(status, "Success") != 0) {
		rc = call_failed(&top, where, d);
		goto out;
	}
	/* The (first) Value member again, now as what the caller wants. */
	xmlNode *st = xmlrpc_first(n->children);
	bool seen = false;
	for (xmlNode *m = st ? xmlrpc_first(st->children) : NULL; m && !seen; m = xmlrpc_first(m->next)) {
		xmlNode *nm = xmlrpc_first(m->children), *v = nm ? xmlrpc_first(nm->next) : NULL;
		xmlChar *t = nm ? xmlNodeGetContent(nm) : NULL;
		bool value = t && strcmp((const char *)t, "Value") == 0;
		xmlFree(t);
		if (!value || !v)
			continue;
		seen = true;
		xmlNode *inner = xmlrpc_first(v->children);
		if (ret_rec && xmlrpc_is(inner, "array")) {
			xmlNode *data = xmlrpc_first(inner->children);
			xrec_list(ret_rec, "items");
			for (xmlNode *e = data ? xmlrpc_first(data->children) : NULL; e; e = xmlrpc_first(e->next)) {
				xmlChar *s = xmlNodeGetContent(e);
				xrec_list_add(ret_rec, "items", s ? (const char *)s : "");
				xmlFree(s);
			}
		} else if (ret_rec && xrec_from_xmlrpc(v, ret_rec) < 0) {
			rc = hv_errorf(d, "%s: Value is not a record", where);
		}
		if (ret_str && (xmlrpc_is(inner, "array") || xmlrpc_is(inner, "struct"))) {
			rc = hv_errorf(d, "%s: Value is a%s, not a single value", where,
				       xmlrpc_is(inner, "array") ? "n array" : " struct");
		} else if (ret_str) {
			xmlChar *s = xmlNodeGetContent(v);
			*ret_str = xstrdup(s ? (const char *)s : "");
			xmlFree(s);
		}
	}
	if (!seen && (ret_str || ret_rec))
		rc = hv_errorf(d, "%s: the response has Status Success but no Value", where);
out:
	xrec_release(&top);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}
