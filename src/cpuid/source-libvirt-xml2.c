/* SPDX-License-Identifier: MIT */
/*
 * libvirt's CPU data XML read with libxml2: the reference reader that
 * source-libvirt.c replaced (loading libxml2 cost more than the rest of a
 * baseline).  Kept for the tests and the fuzz target, which check that
 * both readers agree; hvkit itself does not call it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cpuid-source.h"
#include "lazy.h"
#include "util.h"

/*
 * Reads attribute attr of element e as a hex number ("0x1f" or "1f", as
 * libvirt writes and reads them) of at most maxdigits digits.  Returns 0,
 * or an error naming the element's line.
 */
static int hex_attr(xmlNode *e, const char *attr, unsigned maxdigits,
		    bool required, const char *name, uint64_t *ret,
		    struct hv_diags *d)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)attr);
	const char *s = (const char *)v;
	uint64_t n = 0;
	int rc = 0;

	if (!v) {
		if (required)
			return hv_errorf(d, "%s:%ld: <%s> lacks the %s attribute", name,
					 xmlGetLineNo(e), (const char *)e->name, attr);
		*ret = 0;
		return 0;
	}
	if (!hex_span(s, strlen(s), maxdigits, &n)) {
		char *q = xstrndup((const char *)v, 40);

		for (char *c = q; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		rc = hv_errorf(d, "%s:%ld: <%s %s='%s'>: not a hex number of at most %u digits",
			       name, xmlGetLineNo(e), (const char *)e->name, attr, q,
			       maxdigits);
		free(q);
	} else {
		*ret = n;
	}
	xmlFree(v);
	return rc;
}

static int read_cpuid(xmlNode *e, const char *name, struct cpuid_data *c,
		      struct hv_diags *d)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	uint64_t leaf, sub, v;
	uint32_t r[4];
	int rc;

	if ((rc = hex_attr(e, "eax_in", 8, true, name, &leaf, d)) < 0 ||
	    (rc = hex_attr(e, "ecx_in", 8, false, name, &sub, d)) < 0)
		return rc;
	for (int i = 0; i < 4; i++) {
		if ((rc = hex_attr(e, regs[i], 8, false, name, &v, d)) < 0)
			return rc;
		r[i] = (uint32_t)v;
	}
	if (cpuid_data_get(c, (uint32_t)leaf, (uint32_t)sub))
		hv_warnf(d, "%s:%ld: leaf 0x%" PRIx64 " subleaf 0x%" PRIx64 " given again, the last one is used",
			 name, xmlGetLineNo(e), leaf, sub);
	if (cpuid_data_set(c, (uint32_t)leaf, (uint32_t)sub, r) < 0)
		return hv_errorf(d, "%s:%ld: more than %d leaves", name,
				 xmlGetLineNo(e), CPUID_MAX_ENTRIES);
	return 0;
}

static int read_msr(xmlNode *e, const char *name, struct cpuid_data *c,
		    struct hv_diags *d)
{
	uint64_t index, lo, hi;
	int rc;

	if ((rc = hex_attr(e, "index", 8, true, name, &index, d)) < 0 ||
	    (rc = hex_attr(e, "eax", 8, false, name, &lo, d)) < 0 ||
	    (rc = hex_attr(e, "edx", 8, false, name, &hi, d)) < 0)
		return rc;
	if (cpuid_data_set_msr(c, (uint32_t)index, hi << 32 | lo) < 0)
		return hv_errorf(d, "%s:%ld: more than %d MSRs", name,
				 xmlGetLineNo(e), CPUID_MAX_ENTRIES);
	return 0;
}

int cpuid_parse_libvirt_xml2(const char *buf, size_t len, const char *name,
			      struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root;
	xmlChar *arch = NULL;
	int rc = 0;

	if (len > INT_MAX) {
		rc = hv_errorf(d, "%s: too large", name);
		goto out;
	}
	if ((rc = lazy_xml2_load(d)) < 0)
		goto out;
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		rc = hv_errorf(d, "%s: cannot set up the XML parser", name);
		goto out;
	}
	/* No network, no entity substitution, no DTD loading: the file is
	 * data, and libxml2 keeps quiet (we report its last error). */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *err = xmlCtxtGetLastError(ctxt);
		char *msg = xstrdup(err && err->message ? err->message : "not well-formed");

		rc = hv_errorf(d, "%s:%d: not well-formed XML: %s", name,
			       err ? err->line : 0, strstrip(msg));
		free(msg);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, (const xmlChar *)"cpudata") != 0) {
		rc = hv_errorf(d, "%s:%ld: expected a libvirt <cpudata> document, found <%s>",
			       name, root ? xmlGetLineNo(root) : 0L,
			       root ? (const char *)root->name : "");
		goto out;
	}
	arch = xmlGetProp(root, (const xmlChar *)"arch");
	if (arch && xmlStrcmp(arch, (const xmlChar *)"x86") != 0) {
		rc = hv_errorf(d, "%s:%ld: <cpudata arch='%.20s'>: only x86 is supported",
			       name, xmlGetLineNo(root), (const char *)arch);
		goto out;
	}
	for (xmlNode *e = root->children; e; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(e->name, (const xmlChar *)"cpuid") == 0)
			rc = read_cpuid(e, name, &c, d);
		else if (xmlStrcmp(e->name, (const xmlChar *)"msr") == 0)
			rc = read_msr(e, name, &c, d);
		else
			hv_warnf(d, "%s:%ld: unknown element <%.40s>, ignoring", name,
				 xmlGetLineNo(e), (const char *)e->name);
		if (rc < 0)
			goto out;
	}
	if (!cpuid_data_get(&c, 0, 0)) {
		rc = hv_errorf(d, c.nleaves ? "%s: leaf 0x00000000 is missing"
				: "%s: no <cpuid> elements", name);
		goto out;
	}
	c.origin = xstrdup(name);
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
out:
	xmlFree(arch);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	cpuid_data_release(&c);
	return rc;
}
