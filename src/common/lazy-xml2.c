/* SPDX-License-Identifier: MIT */
/* libxml2, loaded on first use (libvirt CPU XML, OVF); see lazy.h. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "lazy.h"

static LAZY_LIB(xml2, "libxml2.so.2", "libxml2");
LAZY_LOAD(xml2, xml2)

/* xmlFree is a variable holding libxml2's deallocator: ours forwards to
 * libxml2's own, which is loaded by then (only libxml2 hands out memory
 * for it to free).  Lines below: scripts/gen-lazy.py. */
static void lazy_xml_free(void *p)
{
	xmlFreeFunc *real = lazy_lib_sym(&xml2, "xmlFree");

	(*real)(p);
}

xmlFreeFunc xmlFree = lazy_xml_free;

LAZY_IN(xml2, xmlErrorPtr, xmlCtxtGetLastError, (void * a0), (a0))
LAZY_IN(xml2, xmlDocPtr, xmlCtxtReadMemory, (xmlParserCtxtPtr a0, const char * a1, int a2, const char * a3, const char * a4, int a5), (a0, a1, a2, a3, a4, a5))
LAZY_IN(xml2, xmlNodePtr, xmlDocGetRootElement, (const xmlDoc * a0), (a0))
LAZY_IN(xml2, void, xmlFreeDoc, (xmlDocPtr a0), (a0))
LAZY_IN(xml2, void, xmlFreeParserCtxt, (xmlParserCtxtPtr a0), (a0))
LAZY_IN(xml2, xmlErrorPtr, xmlGetLastError, (void), ())
LAZY_IN(xml2, void, xmlSetGenericErrorFunc, (void * a0, xmlGenericErrorFunc a1), (a0, a1))
LAZY_IN(xml2, long, xmlGetLineNo, (const xmlNode * a0), (a0))
LAZY_IN(xml2, xmlChar *, xmlGetProp, (const xmlNode * a0, const xmlChar * a1), (a0, a1))
LAZY_IN(xml2, xmlParserCtxtPtr, xmlNewParserCtxt, (void), ())
LAZY_IN(xml2, xmlChar *, xmlNodeGetContent, (const xmlNode * a0), (a0))
LAZY_IN(xml2, xmlDocPtr, xmlReadMemory, (const char * a0, int a1, const char * a2, const char * a3, int a4), (a0, a1, a2, a3, a4))
LAZY_IN(xml2, int, xmlStrcmp, (const xmlChar * a0, const xmlChar * a1), (a0, a1))
