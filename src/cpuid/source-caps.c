/* SPDX-License-Identifier: MIT */
/*
 * libvirt's own description of a CPU: the host <cpu> of `virsh
 * capabilities`, the host-model <mode> of `virsh domcapabilities`, or a
 * bare <cpu> (model, vendor, features with or without policies).  libvirt
 * names a model and features; the model is expanded with libvirt's
 * cpu_map (cpuid-lvmap.h), so the result is a feature set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cpuid-decode.h"
#include "cpuid-lvmap.h"
#include "cpuid-source.h"
#include "cpuid-synth.h"
#include "lazy.h"
#include "strbuf.h"
#include "util.h"

static const char *caps_map_dir;

void cpuid_source_set_libvirt_map(const char *dir)
{
	caps_map_dir = dir;
}

/* The name of the root element of an XML document, skipping the
 * declaration, comments and a DOCTYPE; false when there is none. */
static bool root_name(const char *buf, size_t len, char out[32])
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= end || *p != '<')
			return false;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			const char *c = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);

			if (!c)
				return false;
			p = c + 3;
		} else if (end - p >= 10 && memcmp(p, "<!DOCTYPE", 9) == 0) {
			/* the root it declares (its internal subset may hold '>') */
			p += 9;
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
				p++;
			p--;
			goto name;
		} else if (end - p >= 2 && (p[1] == '?' || p[1] == '!')) {
			const char *c = memchr(p, '>', (size_t)(end - p));

			if (!c)
				return false;
			p = c + 1;
		} else {
			size_t n;
name:
			n = 0;
			p++;
			while (p + n < end && n < 31 && p[n] != ' ' && p[n] != '>' && p[n] != '/' &&
			       p[n] != '\t' && p[n] != '\r' && p[n] != '\n')
				n++;
			memcpy(out, p, n);
			out[n] = 0;
			return n > 0;
		}
	}
	return false;
}

bool cpuid_looks_like_libvirt_cpu(const char *buf, size_t len)
{
	char root[32];

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3, len -= 3;
	return root_name(buf, len, root) &&
	       (strcmp(root, "capabilities") == 0 || strcmp(root, "domainCapabilities") == 0 ||
		strcmp(root, "cpu") == 0);
}

static bool is_elem(const xmlNode *e, const char *tag)
{
	return e->type == XML_ELEMENT_NODE && xmlStrcmp(e->name, (const xmlChar *)tag) == 0;
}

static xmlNode *child(const xmlNode *e, const char *tag)
{
	for (xmlNode *c = e->children; c; c = c->next)
		if (is_elem(c, tag))
			return c;
	return NULL;
}

/* An attribute or text shown in a message: at most 40 bytes, printable. */
static char *shown(const char *s)
{
	char *q = xstrndup(s ? s : "", 40);

	for (char *c = q; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return q;
}

/* The trimmed text of e (owned), "" when empty. */
static char *text(const xmlNode *e)
{
	xmlChar *t = xmlNodeGetContent(e);
	char *s = xstrdup(t ? (const char *)t : ""), *trimmed = strstrip(s);

	xmlFree(t);
	memmove(s, trimmed, strlen(trimmed) + 1);
	return s;
}

/* Reads attr of e as a decimal number in [0, max]; absent: *ret unchanged. */
static int uint_attr(const xmlNode *e, const char *attr, unsigned long max, const char *name,
		     unsigned long *ret, struct hv_diags *d)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)attr);
	char *end = NULL;
	unsigned long n;
	int rc = 0;

	if (!v)
		return 0;
	errno = 0;
	n = strtoul((const char *)v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno || n > max) {
		char *q = shown((const char *)v);

		rc = hv_errorf(d, "%s:%ld: <%s %s='%s'> is not a number in [0, %lu]", name,
			       xmlGetLineNo(e), (const char *)e->name, attr, q, max);
		free(q);
	} else {
		*ret = n;
	}
	xmlFree(v);
	return rc;
}

/* Finds the <cpu> (or host-model <mode>) that describes the CPU. */
static int find_cpu(xmlNode *root, const char *name, xmlNode **ret, const char **what,
		    struct hv_diags *d)
{
	if (is_elem(root, "capabilities")) {
		xmlNode *h = child(root, "host"), *c = h ? child(h, "cpu") : NULL;

		*what = "host CPU of virsh capabilities";
		if (!c)
			return hv_errorf(d, "%s:%ld: <capabilities> has no <host><cpu>", name,
					 xmlGetLineNo(root));
		*ret = c;
		return 0;
	}
	if (is_elem(root, "domainCapabilities")) {
		xmlNode *c = child(root, "cpu");

		*what = "host-model CPU of virsh domcapabilities";
		for (xmlNode *m = c ? c->children : NULL; m; m = m->next) {
			xmlChar *mn, *sup;
			bool host_model, no;

			if (!is_elem(m, "mode"))
				continue;
			mn = xmlGetProp(m, (const xmlChar *)"name");
			sup = xmlGetProp(m, (const xmlChar *)"supported");
			host_model = mn && strcmp((const char *)mn, "host-model") == 0;
			no = sup && strcmp((const char *)sup, "yes") != 0;
			xmlFree(mn);
			xmlFree(sup);
			if (!host_model)
				continue;
			if (no)
				return hv_errorf(d, "%s:%ld: <mode name='host-model'> is not supported "
						 "(supported='no'): it describes no CPU", name, xmlGetLineNo(m));
			*ret = m;
			return 0;
		}
		return hv_errorf(d, "%s:%ld: <domainCapabilities> has no <cpu><mode name='host-model'>",
				 name, xmlGetLineNo(root));
	}
	*what = "libvirt <cpu>";
	*ret = root;
	return 0;
}

/* A warning lists this many names at most, then "and N more". */
#define LISTED_MAX 32

static void add_listed(struct strbuf *sb, size_t *n, const char *name)
{
	if ((*n)++ < LISTED_MAX)
		strbuf_addf(sb, " %s", name);
}

/* Adds (or removes) the features of <feature name= policy=> elements of
 * cpu; names the map does not know, or whose bit hvkit lacks, go to
 * unknown and nobit. */
static int read_features(const xmlNode *cpu, const struct cpuid_lvmap *lv, const char *name,
			 struct cpuid_featureset *plus, struct cpuid_featureset *minus,
			 struct strbuf *unknown, struct strbuf *nobit, struct hv_diags *d)
{
	size_t nunknown = 0, nnobit = 0;
	int ret = 0;

	for (xmlNode *f = cpu->children; f; f = f->next) {
		xmlChar *fn, *pol;
		const struct cpuid_lvdef *def;
		bool off = false;
		int rc = 0;

		if (!is_elem(f, "feature"))
			continue;
		fn = xmlGetProp(f, (const xmlChar *)"name");
		pol = xmlGetProp(f, (const xmlChar *)"policy");
		if (!fn || !fn[0]) {
			rc = hv_errorf(d, "%s:%ld: <feature> lacks a name", name, xmlGetLineNo(f));
		} else if (pol && strcmp((const char *)pol, "require") != 0 &&
			   strcmp((const char *)pol, "force") != 0 &&
			   strcmp((const char *)pol, "optional") != 0 &&
			   !(off = strcmp((const char *)pol, "disable") == 0 ||
				   strcmp((const char *)pol, "forbid") == 0)) {
			char *q = shown((const char *)pol), *fq = shown((const char *)fn);

			rc = hv_errorf(d, "%s:%ld: feature '%s': policy='%s' is none of require, "
				       "force, optional, disable, forbid", name, xmlGetLineNo(f), fq, q);
			free(q);
			free(fq);
		} else if (!(def = cpuid_lvmap_def(lv, 'F', (const char *)fn))) {
			char *q = shown((const char *)fn);

			add_listed(unknown, &nunknown, q);
			free(q);
		} else if (def->value < 0) {
			add_listed(nobit, &nnobit, def->name);
		} else {
			cpuid_fset_add(off ? minus : plus, (size_t)def->value);
		}
		xmlFree(fn);
		xmlFree(pol);
		if (rc < 0) {
			ret = rc;
			break;
		}
	}
	if (nunknown > LISTED_MAX)
		strbuf_addf(unknown, " and %zu more", nunknown - LISTED_MAX);
	if (nnobit > LISTED_MAX)
		strbuf_addf(nobit, " and %zu more", nnobit - LISTED_MAX);
	return ret;
}

int cpuid_parse_libvirt_cpu(const char *buf, size_t len, const char *name,
			    struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_lvmap lv;
	struct cpuid_data c = CPUID_DATA_INIT;
	struct cpuid_featureset fs, plus, minus;
	struct strbuf unknown = STRBUF_INIT, nobit = STRBUF_INIT;
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root, *cpu = NULL, *e;
	const struct cpuid_lvmodel *model = NULL;
	enum cpuid_vendor vendor = CPUID_VENDOR_UNKNOWN;
	_cleanup_free_ char *mname = NULL;
	const char *what = NULL, *vid;
	unsigned long fms[3] = { 0 };
	bool has_fms = false;
	uint32_t min[3] = { 0 };
	int rc;

	memset(&lv, 0, sizeof(lv));
	memset(&plus, 0, sizeof(plus));
	memset(&minus, 0, sizeof(minus));
	if (len > CPUID_MAX_FILE || len > INT32_MAX)
		return hv_errorf(d, "%s: larger than %u MiB", name, CPUID_MAX_FILE >> 20);
	if ((rc = lazy_xml2_load(d)) < 0)
		return rc;
	if (!(ctxt = xmlNewParserCtxt()))
		return hv_errorf(d, "%s: cannot set up the XML parser", name);
	/* Data only: no network, no entity substitution, no DTD. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *err = xmlCtxtGetLastError(ctxt);
		char *msg = xstrdup(err && err->message ? err->message : "not well-formed");

		rc = hv_errorf(d, "%s:%d: not well-formed XML: %s", name, err ? err->line : 0,
			       strstrip(msg));
		free(msg);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		rc = hv_errorf(d, "%s: no root element", name);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		/* libvirt writes none; entities could make a small file huge */
		const char *dt = memmem(buf, len, "<!DOCTYPE", 9);
		unsigned line = 1;

		for (const char *q = buf; dt && q < dt; q++)
			line += *q == '\n';
		rc = hv_errorf(d, "%s:%u: a DOCTYPE is not supported in libvirt's <cpu>", name, line);
		goto out;
	}
	if ((rc = find_cpu(root, name, &cpu, &what, d)) < 0)
		goto out;
	if ((e = child(cpu, "arch"))) {
		_cleanup_free_ char *a = text(e);

		if (strcmp(a, "x86_64") != 0 && strcmp(a, "i686") != 0) {
			char *q = shown(a);

			rc = hv_errorf(d, "%s:%ld: <arch> '%s' is not x86 (x86_64 or i686)", name,
				       xmlGetLineNo(e), q);
			free(q);
			goto out;
		}
	}
	if ((rc = cpuid_lvmap_load(caps_map_dir, &lv, d)) < 0)
		goto out;
	if ((e = child(cpu, "model"))) {
		mname = text(e);
		if (!(model = cpuid_lvmap_model(&lv, mname))) {
			char *q = shown(mname);

			rc = hv_errorf(d, "%s:%ld: model '%s' is not in libvirt's cpu_map (%s); "
				       "--libvirt-map DIR reads another", name, xmlGetLineNo(e), q, lv.source);
			free(q);
			goto out;
		}
		vendor = model->vendor;
		if (model->family) {
			fms[0] = model->family;
			fms[1] = model->model;
			has_fms = true;
		}
	}
	if ((e = child(cpu, "vendor"))) {
		_cleanup_free_ char *v = text(e);
		const struct cpuid_lvdef *def = cpuid_lvmap_def(&lv, 'V', v);

		if (!def) {
			char *q = shown(v);

			rc = hv_errorf(d, "%s:%ld: vendor '%s' is not in libvirt's cpu_map (%s)", name,
				       xmlGetLineNo(e), q, lv.source);
			free(q);
			goto out;
		}
		vendor = (enum cpuid_vendor)def->value;
	}
	if ((e = child(cpu, "signature"))) {
		static const char *const attrs[3] = { "family", "model", "stepping" };
		static const unsigned long maxima[3] = { 0xff + 0x0f, 0xff, 0x0f };

		fms[2] = 0;
		for (int i = 0; i < 3; i++)
			if ((rc = uint_attr(e, attrs[i], maxima[i], name, &fms[i], d)) < 0)
				goto out;
		has_fms = true;
	}
	if ((rc = read_features(cpu, &lv, name, &plus, &minus, &unknown, &nobit, d)) < 0)
		goto out;
	if (!model && !cpuid_fset_count(&plus)) {
		rc = hv_errorf(d, "%s:%ld: the %s names no model and no feature: nothing to read",
			       name, xmlGetLineNo(cpu), what);
		goto out;
	}
	if (unknown.len)
		hv_warnf(d, "%s: not in libvirt's cpu_map (%s), ignoring:%s", name, lv.source, unknown.buf);
	if (nobit.len)
		hv_warnf(d, "%s: no bit in hvkit's feature table, ignoring:%s", name, nobit.buf);
	memset(&fs, 0, sizeof(fs));
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		fs.w[w] = ((model ? model->features.w[w] : 0) | plus.w[w]) & ~minus.w[w];
	rc = -E2BIG;
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&fs, i) && cpuid_synth_feature(&c, &cpuid_features[i], false) < 0)
			goto too_many;
	if (has_fms &&
	    cpuid_synth_or(&c, 1, 0, CPUID_EAX, cpuid_synth_signature(fms[0], fms[1], fms[2])) < 0)
		goto too_many;
	if (cpuid_synth_complete(&c, min) < 0)
		goto too_many;
	if ((vid = cpuid_vendor_id(vendor)) && cpuid_synth_vendor(&c, vid) < 0)
		goto too_many;
	if (model)
		c.origin = xasprintf("%s (features only: the %s, %s + %zu - %zu features in libvirt's "
				     "cpu_map, %s)", name, what, model->name, cpuid_fset_count(&plus),
				     cpuid_fset_count(&minus), lv.source);
	else
		c.origin = xasprintf("%s (features only: the %s, %zu features)", name, what,
				     cpuid_fset_count(&plus));
	c.features_only = true;
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
	rc = 0;
	goto out;
too_many:
	rc = hv_errorf(d, "%s: more than %d leaves or MSRs", name, CPUID_MAX_ENTRIES);
out:
	strbuf_release(&unknown);
	strbuf_release(&nobit);
	cpuid_data_release(&c);
	cpuid_lvmap_release(&lv);
	if (doc)
		xmlFreeDoc(doc);
	if (ctxt)
		xmlFreeParserCtxt(ctxt);
	return rc;
}
