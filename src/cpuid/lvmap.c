/* SPDX-License-Identifier: MIT */
/* libvirt's cpu_map read with libxml2: feature bits, vendors and models. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cpuid-cache.h"
#include "cpuid-lvmap.h"
#include "lazy.h"
#include "strbuf.h"
#include "util.h"

#define LVMAP_MAX_FILE (1u << 20)
#define LVMAP_MAX_FILES 1024
#define LVMAP_MAX_ITEMS 4096	/* features + models + vendors */

/* defs[] is found through an open-addressing table of indices + 1
 * (LVMAP_HASH slots, more than twice LVMAP_MAX_ITEMS). */
#define LVMAP_HASH 8192

static size_t def_hash(char kind, const char *name)
{
	uint32_t h = 2166136261u ^ (unsigned char)kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % LVMAP_HASH;
}

static const struct cpuid_lvdef *def_find(const struct cpuid_lvmap *m, char kind, const char *name)
{
	if (!m->hash)
		return NULL;
	for (size_t h = def_hash(kind, name); m->hash[h]; h = (h + 1) % LVMAP_HASH) {
		const struct cpuid_lvdef *e = &m->defs[m->hash[h] - 1];

		if (e->kind == kind && strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

/* Callers keep ndefs below LVMAP_MAX_ITEMS, so the table never fills. */
static const struct cpuid_lvdef *def_add(struct cpuid_lvmap *m, char kind, const char *name, int value)
{
	size_t h = def_hash(kind, name);

	if (!m->hash)
		m->hash = xcalloc(LVMAP_HASH, sizeof(*m->hash));
	m->defs = xgrow(m->defs, sizeof(*m->defs), m->ndefs + 1, &m->dalloc);
	m->defs[m->ndefs] = (struct cpuid_lvdef){ kind, xstrdup(name), value };
	while (m->hash[h])
		h = (h + 1) % LVMAP_HASH;
	m->hash[h] = (uint16_t)(m->ndefs + 1);
	return &m->defs[m->ndefs++];
}

/* A printable copy of at most 40 bytes of s, for messages. */
static char *shown(const char *s)
{
	char *q = xstrndup(s ? s : "", 40);

	for (char *c = q; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return q;
}

/* Attribute attr of e as a hex number ("0x1f" or "1f", at most 64 bits);
 * *present says whether it was there. */
static int hex_attr(xmlNode *e, const char *attr, const char *name, uint64_t *ret,
		    bool *present, struct hv_diags *d)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)attr);
	int rc = 0;

	*present = v != NULL;
	*ret = 0;
	if (!v)
		return 0;
	/* strtoull would also take "+1f" and leading blanks: not here */
	if (!isxdigit(v[0]) || parse_u64((const char *)v, 16, ret) < 0) {
		char *q = shown((const char *)v);

		rc = hv_errorf(d, "%s:%ld: <%s %s='%s'>: not a hex number", name,
			       xmlGetLineNo(e), (const char *)e->name, attr, q);
		free(q);
	}
	xmlFree(v);
	return rc;
}

/* The feature of a (kind, leaf, subleaf, reg, bit), or -1. */
static int table_index(uint8_t kind, uint32_t leaf, uint32_t subleaf, uint8_t reg, uint8_t bit)
{
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		if (f->kind == kind && f->leaf == leaf && f->subleaf == subleaf &&
		    f->reg == reg && f->bit == bit)
			return (int)i;
	}
	return -1;
}

static bool is_elem(const xmlNode *e, const char *tag)
{
	return e->type == XML_ELEMENT_NODE && xmlStrcmp(e->name, (const xmlChar *)tag) == 0;
}

/* The name attribute of e, required and 1-64 printable characters. */
/* A name hvkit writes into XML as it is: 1-64 printable characters, no
 * quotes, '<', '>', '&' or ','. */
static bool valid_name(const char *v, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f || strchr("'<&\">,", v[i]))
			return false;
	return true;
}

static int name_attr(xmlNode *e, const char *name, char **ret, struct hv_diags *d)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)"name");

	if (!v || !valid_name((const char *)v, strlen((const char *)v))) {
		char *q = shown((const char *)v);
		int rc = hv_errorf(d, "%s:%ld: <%s name='%s'>: a name of 1 to 64 printable "
				   "characters is needed", name, xmlGetLineNo(e),
				   (const char *)e->name, q);

		free(q);
		xmlFree(v);
		return rc;
	}
	*ret = xstrdup((const char *)v);
	xmlFree(v);
	return 0;
}

/* <feature name='X'><cpuid eax_in= ecx_in= e?x=/> | <msr index= eax= edx=/></feature> */
static int read_feature(struct cpuid_lvmap *m, xmlNode *e, const char *name, struct hv_diags *d)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	_cleanup_free_ char *fname = NULL;
	const struct cpuid_lvdef *def;
	int rc, index = -1;
	unsigned bits = 0;

	if ((rc = name_attr(e, name, &fname, d)) < 0)
		return rc;
	if (def_find(m, 'F', fname))
		return hv_errorf(d, "%s:%ld: feature '%s' defined twice", name, xmlGetLineNo(e), fname);
	for (xmlNode *c = e->children; c; c = c->next) {
		uint64_t leaf, sub, v[4] = { 0 };
		bool have, dummy;
		uint8_t kind;

		if (is_elem(c, "cpuid")) {
			kind = CPUID_FEAT_CPUID;
			if ((rc = hex_attr(c, "eax_in", name, &leaf, &have, d)) < 0 ||
			    (rc = hex_attr(c, "ecx_in", name, &sub, &dummy, d)) < 0)
				return rc;
			if (!have || leaf > UINT32_MAX || sub > UINT32_MAX)
				return hv_errorf(d, "%s:%ld: <cpuid> of feature '%s' needs a 32-bit eax_in",
						 name, xmlGetLineNo(c), fname);
			for (int r = 0; r < 4; r++)
				if ((rc = hex_attr(c, regs[r], name, &v[r], &dummy, d)) < 0)
					return rc;
		} else if (is_elem(c, "msr")) {
			uint64_t lo, hi;

			kind = CPUID_FEAT_MSR;
			sub = 0;
			if ((rc = hex_attr(c, "index", name, &leaf, &have, d)) < 0 ||
			    (rc = hex_attr(c, "eax", name, &lo, &dummy, d)) < 0 ||
			    (rc = hex_attr(c, "edx", name, &hi, &dummy, d)) < 0)
				return rc;
			if (!have || leaf > UINT32_MAX || lo > UINT32_MAX || hi > UINT32_MAX)
				return hv_errorf(d, "%s:%ld: <msr> of feature '%s' needs a 32-bit index",
						 name, xmlGetLineNo(c), fname);
			v[0] = hi << 32 | lo;	/* one 64-bit "register" */
		} else {
			continue;	/* <alias>: other projects' spellings */
		}
		for (int r = 0; r < 4; r++) {
			unsigned width = kind == CPUID_FEAT_MSR ? 64 : 32;

			if (v[r] > UINT32_MAX && kind == CPUID_FEAT_CPUID)
				return hv_errorf(d, "%s:%ld: feature '%s': %s wider than 32 bits", name,
						 xmlGetLineNo(c), fname, regs[r]);
			for (unsigned b = 0; b < width; b++)
				if (v[r] >> b & 1) {
					bits++;
					index = table_index(kind, (uint32_t)leaf, (uint32_t)sub,
							    (uint8_t)r, (uint8_t)b);
				}
		}
	}
	if (bits == 0)
		return hv_errorf(d, "%s:%ld: feature '%s' has no CPUID or MSR bit", name,
				 xmlGetLineNo(e), fname);
	/* A feature of several bits is not one of hvkit's: kept by name. */
	if (bits > 1)
		index = -1;
	def = def_add(m, 'F', fname, index);
	if (index >= 0 && !m->names[index]) {
		m->names[index] = def->name;
		cpuid_fset_add(&m->known, (size_t)index);
	}
	return 0;
}

/* <vendor name='Intel' string='GenuineIntel'/> */
static int read_vendor(struct cpuid_lvmap *m, xmlNode *e, const char *name, struct hv_diags *d)
{
	_cleanup_free_ char *vname = NULL;
	xmlChar *s;
	enum cpuid_vendor v;
	int rc;

	if ((rc = name_attr(e, name, &vname, d)) < 0)
		return rc;
	s = xmlGetProp(e, (const xmlChar *)"string");
	if (!s || strlen((const char *)s) != 12) {
		char *q = shown((const char *)s);

		rc = hv_errorf(d, "%s:%ld: vendor '%s': string='%s' is not 12 characters", name,
			       xmlGetLineNo(e), vname, q);
		free(q);
		xmlFree(s);
		return rc;
	}
	v = cpuid_vendor_from_id((const char *)s);
	xmlFree(s);
	if (def_find(m, 'V', vname))
		return hv_errorf(d, "%s:%ld: vendor '%s' defined twice", name, xmlGetLineNo(e), vname);
	/* A vendor hvkit does not know: its models are never chosen. */
	def_add(m, 'V', vname, (int)v);
	return 0;
}

static void add_unknown(struct cpuid_lvmodel *mo, const char *fname)
{
	char *u = xasprintf("%s%s%s", mo->unknown, *mo->unknown ? " " : "", fname);

	free(mo->unknown);
	mo->unknown = u;
}

static unsigned uint_attr(xmlNode *e, const char *attr)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)attr);
	uint64_t n = 0;

	/* A bad number is no signature: it only breaks ties. */
	if (v && parse_u64((const char *)v, 10, &n) < 0)
		n = 0;
	xmlFree(v);
	return n > 4096 ? 0 : (unsigned)n;
}

/* <model name='X'> [<model name='Parent'/>] <vendor name=/> <signature/>
 * <feature name=/>... </model> */
static int read_model(struct cpuid_lvmap *m, xmlNode *e, const char *name, struct hv_diags *d)
{
	struct cpuid_lvmodel mo;
	bool signed_ = false;
	int rc;

	memset(&mo, 0, sizeof(mo));
	if ((rc = name_attr(e, name, &mo.name, d)) < 0)
		return rc;
	mo.unknown = xstrdup("");
	if (cpuid_lvmap_model(m, mo.name)) {
		rc = hv_errorf(d, "%s:%ld: model '%s' defined twice", name, xmlGetLineNo(e), mo.name);
		goto fail;
	}
	for (xmlNode *c = e->children; c; c = c->next) {
		_cleanup_free_ char *n = NULL;

		if (is_elem(c, "signature")) {
			if (!signed_) {
				mo.family = uint_attr(c, "family");
				mo.model = uint_attr(c, "model");
				signed_ = true;
			}
			continue;
		}
		if (!is_elem(c, "model") && !is_elem(c, "vendor") && !is_elem(c, "feature"))
			continue;	/* <decode>, text, comments */
		if ((rc = name_attr(c, name, &n, d)) < 0)
			goto fail;
		if (is_elem(c, "model")) {
			const struct cpuid_lvmodel *p = cpuid_lvmap_model(m, n);

			if (!p) {
				rc = hv_errorf(d, "%s:%ld: model '%s' starts from '%s', which is not "
					       "defined before it", name, xmlGetLineNo(c), mo.name, n);
				goto fail;
			}
			mo.features = p->features;
			mo.vendor = p->vendor;
			free(mo.unknown);
			mo.unknown = xstrdup(p->unknown);
		} else if (is_elem(c, "vendor")) {
			const struct cpuid_lvdef *v = def_find(m, 'V', n);

			if (!v) {
				rc = hv_errorf(d, "%s:%ld: model '%s': unknown vendor '%s'", name,
					       xmlGetLineNo(c), mo.name, n);
				goto fail;
			}
			mo.vendor = (enum cpuid_vendor)v->value;
			if (mo.vendor == CPUID_VENDOR_UNKNOWN)
				mo.vendor = (enum cpuid_vendor)-1;	/* never chosen */
		} else {
			const struct cpuid_lvdef *f = def_find(m, 'F', n);
			xmlChar *removed = xmlGetProp(c, (const xmlChar *)"removed");
			bool gone = removed && xmlStrcmp(removed, (const xmlChar *)"yes") == 0;

			xmlFree(removed);
			if (!f) {
				rc = hv_errorf(d, "%s:%ld: model '%s': unknown feature '%s'", name,
					       xmlGetLineNo(c), mo.name, n);
				goto fail;
			}
			/* removed='yes': QEMU dropped it from the model; libvirt keeps
			 * the name for old domains but the model does not have it */
			if (gone)
				continue;
			if (f->value >= 0)
				cpuid_fset_add(&mo.features, (size_t)f->value);
			else
				add_unknown(&mo, n);
		}
	}
	m->models = xgrow(m->models, sizeof(*m->models), m->nmodels + 1, &m->alloc);
	m->models[m->nmodels++] = mo;
	return 0;
fail:
	free(mo.name);
	free(mo.unknown);
	return rc;
}

/* Parses buf into a document whose root is <cpus>; NULL on error. */
static xmlDoc *read_doc(const char *buf, size_t len, const char *name, xmlNode **root,
			struct hv_diags *d)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > LVMAP_MAX_FILE) {
		hv_errorf(d, "%s: larger than %u bytes", name, LVMAP_MAX_FILE);
		return NULL;
	}
	if (lazy_xml2_load(d) < 0)
		return NULL;
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		hv_errorf(d, "%s: cannot set up the XML parser", name);
		return NULL;
	}
	/* Data only: no network, no entity substitution, no DTD. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *err = xmlCtxtGetLastError(ctxt);
		char *msg = xstrdup(err && err->message ? err->message : "not well-formed");

		hv_errorf(d, "%s:%d: not well-formed XML: %s", name, err ? err->line : 0,
			  strstrip(msg));
		free(msg);
		xmlFreeParserCtxt(ctxt);
		return NULL;
	}
	xmlFreeParserCtxt(ctxt);
	*root = xmlDocGetRootElement(doc);
	if (!*root || xmlStrcmp((*root)->name, (const xmlChar *)"cpus") != 0) {
		hv_errorf(d, "%s:%ld: expected libvirt's <cpus>, found <%s>", name,
			  *root ? xmlGetLineNo(*root) : 0L, *root ? (const char *)(*root)->name : "");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

int cpuid_lvmap_add(struct cpuid_lvmap *m, const char *buf, size_t len, const char *name,
		    struct hv_diags *d)
{
	xmlNode *root = NULL;
	xmlDoc *doc = read_doc(buf, len, name, &root, d);
	int rc = 0;

	if (!doc)
		return -EINVAL;
	for (xmlNode *e = root->children; e && rc == 0; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (m->ndefs + m->nmodels >= LVMAP_MAX_ITEMS)
			rc = hv_errorf(d, "%s:%ld: more than %u features, vendors and models", name,
				       xmlGetLineNo(e), LVMAP_MAX_ITEMS);
		else if (is_elem(e, "feature"))
			rc = read_feature(m, e, name, d);
		else if (is_elem(e, "model"))
			rc = read_model(m, e, name, d);
		else if (is_elem(e, "vendor"))
			rc = read_vendor(m, e, name, d);
		/* anything else (<arch>, <include>: index.xml's) is not ours here */
	}
	xmlFreeDoc(doc);
	return rc;
}

const struct cpuid_lvmodel *cpuid_lvmap_model(const struct cpuid_lvmap *m, const char *name)
{
	for (size_t i = 0; i < m->nmodels; i++)
		if (strcmp(m->models[i].name, name) == 0)
			return &m->models[i];
	return NULL;
}

const struct cpuid_lvdef *cpuid_lvmap_def(const struct cpuid_lvmap *m, char kind, const char *name)
{
	return def_find(m, kind, name);
}

void cpuid_lvmap_release(struct cpuid_lvmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nmodels; i++) {
		free(m->models[i].name);
		free(m->models[i].unknown);
	}
	free(m->models);
	for (size_t i = 0; i < m->ndefs; i++)
		free(m->defs[i].name);
	free(m->defs);
	free(m->hash);
	free(m->source);
	memset(m, 0, sizeof(*m));
}

/* A file of the map: from dir (a regular file, at most LVMAP_MAX_FILE
 * bytes) or, dir NULL, from the built-in copy.  *ret is malloc'd. */
static int map_file(const char *dir, const char *file, char **ret, size_t *len,
		    struct hv_diags *d)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd;

	if (!dir) {
		for (size_t i = 0; i < cpuid_lvmap_nbuiltin; i++)
			if (strcmp(cpuid_lvmap_builtin[i].name, file) == 0) {
				*ret = xmalloc(cpuid_lvmap_builtin[i].len + 1);
				memcpy(*ret, cpuid_lvmap_builtin[i].data, cpuid_lvmap_builtin[i].len);
				*len = cpuid_lvmap_builtin[i].len;
				return 0;
			}
		return hv_errorf(d, "%s: no '%s' in it", CPUID_LVMAP_BUILTIN_NAME, file);
	}
	path = xasprintf("%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hv_errorf(d, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)LVMAP_MAX_FILE) {
		close(fd);
		return hv_errorf(d, "'%s': not a regular file of at most %u bytes", path,
				 LVMAP_MAX_FILE);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	*ret = buf;
	*len = got;
	return 0;
}

/* A file name index.xml may include: a plain name in the map's folder. */
static bool plain_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

/* ---- the parsed map, cached (loading libxml2 costs more than a baseline) ---- */

#define LVMAP_CACHE_MAGIC "hvkit-lvmap 1\n"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The cache entry of the map in dir (NULL: the built-in one), keyed by
 * hvkit's feature table and the identity of each x86 file of the map. */
static char *cache_path(const char *dir)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];
		uint32_t v[5] = { f->kind, f->leaf, f->subleaf, f->reg, f->bit };

		h = fnv(fnv(h, f->name, strlen(f->name) + 1), v, sizeof(v));
	}
	if (!dir) {
		for (size_t i = 0; i < cpuid_lvmap_nbuiltin; i++)
			h = fnv(fnv(h, cpuid_lvmap_builtin[i].name, strlen(cpuid_lvmap_builtin[i].name)),
				cpuid_lvmap_builtin[i].data, cpuid_lvmap_builtin[i].len);
	} else {
		DIR *dp = opendir(dir);
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, alloc = 0;

		if (!dp)
			return NULL;
		while ((de = readdir(dp)) && n < LVMAP_MAX_FILES)
			if (strcmp(de->d_name, "index.xml") == 0 ||
			    (str_startswith(de->d_name, "x86_") && str_endswith(de->d_name, ".xml"))) {
				names = xgrow(names, sizeof(*names), n + 1, &alloc);
				names[n++] = xstrdup(de->d_name);
			}
		closedir(dp);
		qsort(names, n, sizeof(*names), cmp_str);
		h = fnv(h, dir, strlen(dir) + 1);
		for (size_t i = 0; i < n; i++) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			struct stat st;
			uint64_t v[6] = { 0 };

			if (stat(p, &st) == 0) {
				v[0] = st.st_dev;
				v[1] = st.st_ino;
				v[2] = (uint64_t)st.st_size;
				v[3] = (uint64_t)st.st_mtim.tv_sec;
				v[4] = (uint64_t)st.st_mtim.tv_nsec;
				v[5] = (uint64_t)st.st_ctim.tv_sec;
			}
			h = fnv(fnv(h, names[i], strlen(names[i]) + 1), v, sizeof(v));
			free(p);
			free(names[i]);
		}
		free(names);
	}
	return cpuid_cache_path("libvirt-map-%016llx.txt", (unsigned long long)h);
}

/* The map as cpuid_lvmap_read_cache() reads it. */
static void cache_format(const struct cpuid_lvmap *m, struct strbuf *sb)
{
	strbuf_adds(sb, LVMAP_CACHE_MAGIC);
	for (size_t i = 0; i < m->ndefs; i++)
		strbuf_addf(sb, "%c %s %d\n", m->defs[i].kind, m->defs[i].name, m->defs[i].value);
	for (size_t i = 0; i < m->nmodels; i++) {
		const struct cpuid_lvmodel *mo = &m->models[i];

		strbuf_addf(sb, "M %s %d %u %u ", mo->name, (int)mo->vendor, mo->family, mo->model);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			strbuf_addf(sb, "%s%llx", w ? "," : "", (unsigned long long)mo->features.w[w]);
		strbuf_adds(sb, " ");
		if (!*mo->unknown)
			strbuf_adds(sb, "-");
		for (const char *u = mo->unknown; *u; u++)
			strbuf_addc(sb, *u == ' ' ? ',' : *u);
		strbuf_addc(sb, '\n');
	}
}

/* One space-separated field of a cache line: [*p, end of field). */
static bool field(const char **p, const char *eol, const char **start, size_t *len)
{
	const char *q = *p;

	if (q >= eol)
		return false;
	*start = q;
	while (q < eol && *q != ' ')
		q++;
	*len = (size_t)(q - *start);
	*p = q < eol ? q + 1 : q;
	return *len > 0;
}

static bool num_field(const char **p, const char *eol, int base, long long lo, long long hi,
		      long long *ret)
{
	const char *f;
	size_t n;
	char buf[32], *end;

	if (!field(p, eol, &f, &n) || n >= sizeof(buf))
		return false;
	memcpy(buf, f, n);
	buf[n] = '\0';
	errno = 0;
	*ret = strtoll(buf, &end, base);
	return !errno && *end == '\0' && end != buf && buf[0] != '+' && buf[0] != ' ' &&
	       *ret >= lo && *ret <= hi;
}

int cpuid_lvmap_read_cache(const char *buf, size_t len, struct cpuid_lvmap *m)
{
	const char *p = buf, *lim = buf + len;

	if (len < sizeof(LVMAP_CACHE_MAGIC) - 1 ||
	    memcmp(buf, LVMAP_CACHE_MAGIC, sizeof(LVMAP_CACHE_MAGIC) - 1) != 0)
		return -EINVAL;
	p += sizeof(LVMAP_CACHE_MAGIC) - 1;
	while (p < lim) {
		const char *eol = memchr(p, '\n', (size_t)(lim - p)), *f;
		size_t n;
		char kind, name[65];
		long long v;

		if (!eol || eol - p < 3 || p[1] != ' ' || m->ndefs + m->nmodels >= LVMAP_MAX_ITEMS)
			return -EINVAL;
		kind = *p;
		p += 2;
		if (!field(&p, eol, &f, &n) || !valid_name(f, n))
			return -EINVAL;
		memcpy(name, f, n);
		name[n] = '\0';
		if (kind == 'F' || kind == 'V') {
			const struct cpuid_lvdef *def;

			if (def_find(m, kind, name) ||
			    !num_field(&p, eol, 10, -1, kind == 'F' ? (long long)cpuid_nfeatures - 1 :
				       CPUID_VENDOR_ZHAOXIN, &v) || p != eol)
				return -EINVAL;
			def = def_add(m, kind, name, (int)v);
			if (kind == 'F' && v >= 0 && !m->names[v]) {
				m->names[v] = def->name;
				cpuid_fset_add(&m->known, (size_t)v);
			}
		} else if (kind == 'M') {
			struct cpuid_lvmodel mo;
			long long vendor, fam, mod;

			memset(&mo, 0, sizeof(mo));
			if (cpuid_lvmap_model(m, name) ||
			    !num_field(&p, eol, 10, -1, CPUID_VENDOR_ZHAOXIN, &vendor) ||
			    !num_field(&p, eol, 10, 0, 4096, &fam) || !num_field(&p, eol, 10, 0, 4096, &mod))
				return -EINVAL;
			for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
				const char *q = p;
				unsigned long long word;
				char *end;

				while (p < eol && *p != ',' && *p != ' ')
					p++;
				if (p == q || p - q > 16 || p == eol || *p != (w + 1 < CPUID_FSET_WORDS ? ',' : ' '))
					return -EINVAL;
				errno = 0;
				word = strtoull(q, &end, 16);
				if (errno || end != p || *q == '-' || *q == '+' || *q == ' ')
					return -EINVAL;
				mo.features.w[w] = word;
				p++;
				/* only bits the map names */
				if (word & ~m->known.w[w])
					return -EINVAL;
			}
			if (!field(&p, eol, &f, &n) || p != eol)
				return -EINVAL;
			if (!(n == 1 && *f == '-'))
				for (const char *u = f; u < f + n;) {
					size_t k = strcspn(u, ",\n");

					if (k > (size_t)(f + n - u))
						k = (size_t)(f + n - u);
					if (!valid_name(u, k))
						return -EINVAL;
					u += k + 1;
				}
			mo.name = xstrdup(name);
			mo.vendor = (enum cpuid_vendor)vendor;
			mo.family = (unsigned)fam;
			mo.model = (unsigned)mod;
			mo.unknown = n == 1 && *f == '-' ? xstrdup("") : xstrndup(f, n);
			for (char *c = mo.unknown; *c; c++)
				if (*c == ',')
					*c = ' ';
			m->models = xgrow(m->models, sizeof(*m->models), m->nmodels + 1, &m->alloc);
			m->models[m->nmodels++] = mo;
		} else {
			return -EINVAL;
		}
		p = eol + 1;
	}
	return m->nmodels ? 0 : -EINVAL;
}

int cpuid_lvmap_load(const char *dir, struct cpuid_lvmap *ret, struct hv_diags *d)
{
	struct cpuid_lvmap m;
	_cleanup_free_ char *buf = NULL, *index_name = NULL, *cache = NULL;
	struct strbuf cached = STRBUF_INIT;
	xmlDoc *doc = NULL;
	xmlNode *root = NULL;
	size_t len = 0, nfiles = 0;
	struct stat st;
	int rc;

	memset(&m, 0, sizeof(m));
	if (!dir) {
		_cleanup_free_ char *p = xasprintf("%s/index.xml", CPUID_LVMAP_DEFAULT_DIR);

		if (stat(p, &st) == 0)
			dir = CPUID_LVMAP_DEFAULT_DIR;
	} else if (strcmp(dir, "builtin") == 0) {
		dir = NULL;
	}
	cache = cache_path(dir);
	if (cache && cpuid_cache_read(cache, 4 * LVMAP_MAX_FILE, &cached) == 0 &&
	    cpuid_lvmap_read_cache(cached.buf, cached.len, &m) == 0) {
		rc = 0;
		goto done;
	}
	cpuid_lvmap_release(&m);
	index_name = xasprintf("%s/index.xml", dir ? dir : CPUID_LVMAP_BUILTIN_NAME);
	if ((rc = map_file(dir, "index.xml", &buf, &len, d)) < 0)
		goto out;
	doc = read_doc(buf, len, index_name, &root, d);
	if (!doc) {
		rc = -EINVAL;
		goto out;
	}
	rc = -ENOENT;
	for (xmlNode *a = root->children; a; a = a->next) {
		xmlChar *arch;
		bool x86;

		if (!is_elem(a, "arch"))
			continue;
		arch = xmlGetProp(a, (const xmlChar *)"name");
		x86 = arch && xmlStrcmp(arch, (const xmlChar *)"x86") == 0;
		xmlFree(arch);
		if (!x86)
			continue;
		rc = 0;
		for (xmlNode *inc = a->children; inc && rc == 0; inc = inc->next) {
			_cleanup_free_ char *fbuf = NULL, *fname = NULL;
			xmlChar *f;
			size_t flen = 0;

			if (!is_elem(inc, "include"))
				continue;
			f = xmlGetProp(inc, (const xmlChar *)"filename");
			if (!f || !plain_name((const char *)f) || ++nfiles > LVMAP_MAX_FILES) {
				char *q = shown((const char *)f);

				rc = hv_errorf(d, "%s:%ld: <include filename='%s'>: not a plain file "
					       "name of this folder (or more than %u files)", index_name,
					       xmlGetLineNo(inc), q, LVMAP_MAX_FILES);
				free(q);
				xmlFree(f);
				break;
			}
			fname = xasprintf("%s/%s", dir ? dir : CPUID_LVMAP_BUILTIN_NAME, (const char *)f);
			rc = map_file(dir, (const char *)f, &fbuf, &flen, d);
			xmlFree(f);
			if (rc == 0)
				rc = cpuid_lvmap_add(&m, fbuf, flen, fname, d);
		}
		break;
	}
	if (rc == -ENOENT)
		hv_errorf(d, "%s: no <arch name='x86'>", index_name);
	if (rc == 0 && !m.nmodels) {
		hv_errorf(d, "%s: no x86 models", index_name);
		rc = -ENOENT;
	}
	if (rc == 0 && cache) {
		strbuf_reset(&cached);
		cache_format(&m, &cached);
		cpuid_cache_write(cache, &cached);
	}
done:
	if (rc == 0) {
		m.builtin = !dir;
		m.source = xstrdup(dir ? dir : CPUID_LVMAP_BUILTIN_NAME);
	}
out:
	strbuf_release(&cached);
	if (doc)
		xmlFreeDoc(doc);
	if (rc < 0) {
		cpuid_lvmap_release(&m);
		return rc;
	}
	*ret = m;
	return 0;
}
