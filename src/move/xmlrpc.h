/* SPDX-License-Identifier: MIT */
/* Walking XML-RPC values read with libxml2 (ova.xml, XenAPI responses);
 * in xrec.c.  Each accepts a NULL node. */
#pragma once

#include <stdbool.h>
#include <libxml/tree.h>

/* Whether n is the element called name. */
bool xmlrpc_is(const xmlNode *n, const char *name);
/* The first element from n on (n itself, or a later sibling), or NULL. */
xmlNode *xmlrpc_first(xmlNode *n);
/* Calls fn(opaque, name, value) for each <member> of the <struct> st in
 * order until fn returns non-zero; returns that, else 0. */
int xmlrpc_each_member(xmlNode *st, int (*fn)(void *opaque, const char *name, xmlNode *value),
		       void *opaque);
/* In a <value><struct>: the <value> of member name, or NULL. */
xmlNode *xmlrpc_member(xmlNode *value, const char *name);
