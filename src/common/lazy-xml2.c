/* SPDX-License-Identifier: MIT */
/* libxml2, loaded on first use (libvirt CPU XML, OVF); see lazy.h. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlstring.h>

#include "lazy.h"

/* xmlFree is a variable holding libxml2's deallocator: ours forwards to
 * libxml2's own, loaded by then (only libxml2 hands out memory for it to
 * free). */
static xmlFreeFunc *LAZY_FN(xml2, xmlFree);

static void lazy_xml_free(void *p)
{
	if (!LAZY_FN(xml2, xmlFree))
		lazy_unloaded("xmlFree");
	(*LAZY_FN(xml2, xmlFree))(p);
}

xmlFreeFunc xmlFree = lazy_xml_free;

/* Lines below: scripts/gen-lazy.py xml2 /usr/include/libxml2/libxml/parser.h \
 *   .../tree.h .../xmlerror.h .../xmlmemory.h .../xmlstring.h -- \
 *   xmlCtxtGetLastError ... (as below) -- xmlFree */
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
LAZY_SYMS(xml2) = {
	LAZY_SYM(xml2, xmlCtxtGetLastError),
	LAZY_SYM(xml2, xmlCtxtReadMemory),
	LAZY_SYM(xml2, xmlDocGetRootElement),
	LAZY_SYM(xml2, xmlFreeDoc),
	LAZY_SYM(xml2, xmlFreeParserCtxt),
	LAZY_SYM(xml2, xmlGetLastError),
	LAZY_SYM(xml2, xmlSetGenericErrorFunc),
	LAZY_SYM(xml2, xmlGetLineNo),
	LAZY_SYM(xml2, xmlGetProp),
	LAZY_SYM(xml2, xmlNewParserCtxt),
	LAZY_SYM(xml2, xmlNodeGetContent),
	LAZY_SYM(xml2, xmlReadMemory),
	LAZY_SYM(xml2, xmlStrcmp),
	LAZY_SYM(xml2, xmlFree),
};

static LAZY_LIB(xml2, "libxml2.so.2", "libxml2");
LAZY_LOAD(xml2, xml2)
