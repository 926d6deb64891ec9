/* SPDX-License-Identifier: MIT */
/*
 * QEMU's QMP JSON: a CPU's "feature-words" (qom-get) or a
 * query-cpu-model-expansion reply, bare or in a transcript.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "cpuid-synth.h"
#include "json-read.h"
#include "util.h"

/* Feature names are folded into this much room (cpuid_name_fold()). */
#define QMP_FOLD_MAX 64

struct qmp {
	const char *buf;
	size_t len;
	const char *name;
	struct hv_diags *d;
	struct cj_doc doc;
};

/* "NAME:LINE:COL: ... (byte OFF)" location of an input offset. */
static void qmp_where(const struct qmp *q, size_t off, unsigned *line, unsigned *col)
{
	const char *p = q->buf, *end = q->buf + (off < q->len ? off : q->len);

	*line = 1;
	*col = 1;
	for (; p < end; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

__attribute__((format(printf, 3, 4)))
static int qmp_error(const struct qmp *q, size_t off, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned line, col;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	qmp_where(q, off, &line, &col);
	rc = hv_errorf(q->d, "%s:%u:%u: %s (byte %zu)", q->name, line, col, sb.buf, off);
	strbuf_release(&sb);
	return rc;
}

__attribute__((format(printf, 3, 4)))
static void qmp_warn(const struct qmp *q, size_t off, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	qmp_where(q, off, &line, &col);
	hv_warnf(q->d, "%s:%u:%u: %s", q->name, line, col, sb.buf);
	strbuf_release(&sb);
}

/* A member name or string for a message: at most 40 bytes, printable. */
static char *qmp_quote(const char *s)
{
	char *r = xstrndup(s, 40);

	for (char *c = r; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return r;
}

/* ---- qom-get "feature-words" ---- */

static int qmp_u32(const struct qmp *q, cj_ref el, const char *key, bool required,
		   uint32_t *ret)
{
	cj_ref v = cj_get(&q->doc, el, key);
	uint64_t n;

	if (v == CJ_NONE) {
		if (required)
			return qmp_error(q, q->doc.n[el].off, "a feature word lacks \"%s\"", key);
		*ret = 0;
		return 0;
	}
	if (!cj_uint(&q->doc, v, UINT32_MAX, &n))
		return qmp_error(q, q->doc.n[v].off, "\"%s\" is not an integer in [0, 0xffffffff]", key);
	*ret = (uint32_t)n;
	return 0;
}

static int qmp_words(const struct qmp *q, cj_ref list, struct cpuid_data *ret)
{
	static const char *const regs[4] = { "EAX", "EBX", "ECX", "EDX" };
	struct cpuid_data c = CPUID_DATA_INIT, seen = CPUID_DATA_INIT;
	const uint32_t none[3] = { 0 };
	int rc = 0;

	for (cj_ref el = q->doc.n[list].u.kids.first; el != CJ_NONE; el = q->doc.n[el].next) {
		uint32_t leaf, sub, v;
		cj_ref reg;
		int r = -1;

		if (q->doc.n[el].type != CJ_OBJ) {
			rc = qmp_error(q, q->doc.n[el].off, "a feature word is not an object");
			goto out;
		}
		if ((rc = qmp_u32(q, el, "cpuid-input-eax", true, &leaf)) < 0 ||
		    (rc = qmp_u32(q, el, "cpuid-input-ecx", false, &sub)) < 0 ||
		    (rc = qmp_u32(q, el, "features", true, &v)) < 0)
			goto out;
		reg = cj_get(&q->doc, el, "cpuid-register");
		for (int i = 0; i < 4; i++)
			if (cj_is_str(&q->doc, reg, regs[i]))
				r = i;
		if (r < 0) {
			rc = qmp_error(q, reg == CJ_NONE ? q->doc.n[el].off : q->doc.n[reg].off,
				       "\"cpuid-register\" is not \"EAX\", \"EBX\", \"ECX\" or \"EDX\"");
			goto out;
		}
		if (cpuid_data_reg(&seen, leaf, sub, (enum cpuid_reg)r)) {
			rc = qmp_error(q, q->doc.n[el].off,
				       "leaf 0x%" PRIx32 " subleaf 0x%" PRIx32 " %s given twice",
				       leaf, sub, regs[r]);
			goto out;
		}
		if (cpuid_synth_or(&seen, leaf, sub, r, 1) < 0 || cpuid_synth_or(&c, leaf, sub, r, v) < 0) {
			rc = qmp_error(q, q->doc.n[el].off, "more than %d leaves", CPUID_MAX_ENTRIES);
			goto out;
		}
	}
	if (cpuid_synth_complete(&c, none) < 0) {
		rc = qmp_error(q, q->doc.n[list].off, "more than %d leaves", CPUID_MAX_ENTRIES);
		goto out;
	}
	c.origin = xasprintf("%s (QEMU feature-words)", q->name);
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
out:
	cpuid_data_release(&seen);
	cpuid_data_release(&c);
	return rc;
}

/* ---- query-cpu-model-expansion ---- */

struct qmp_name {
	char fold[QMP_FOLD_MAX];
	size_t feature;
};

static int qmp_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qmp_name *)a)->fold, ((const struct qmp_name *)b)->fold);
}

/* QEMU's spellings of the table's features, folded and sorted. */
static struct qmp_name *qmp_names(size_t *n)
{
	struct qmp_name *v = xcalloc(cpuid_nfeatures, sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *s = cpuid_features[i].names[CPUID_NAMES_QEMU];

		if (s && cpuid_name_fold(s, v[k].fold, sizeof(v[k].fold)))
			v[k++].feature = i;
	}
	qsort(v, k, sizeof(*v), qmp_name_cmp);
	*n = k;
	return v;
}

/* The identification props: vendor, family/model/stepping, brand, maxima. */
struct qmp_ident {
	const char *vendor, *brand;
	uint64_t fms[3];
	bool has_fms;
	uint32_t min[3];
	bool kvm_hidden;
};

static int qmp_ident(const struct qmp *q, cj_ref props, struct qmp_ident *id)
{
	static const char *const fms[3] = { "family", "model", "stepping" };
	static const uint64_t fms_max[3] = { 0xff + 0x0f, 0xff, 0xf };
	static const char *const levels[3] = { "level", "xlevel", "xlevel2" };
	const struct cj_doc *doc = &q->doc;
	cj_ref v;

	memset(id, 0, sizeof(*id));
	if ((v = cj_get(doc, props, "vendor")) != CJ_NONE) {
		if (doc->n[v].type != CJ_STR || doc->n[v].u.str.len != 12)
			return qmp_error(q, doc->n[v].off, "\"vendor\" is not a string of 12 characters");
		id->vendor = cj_str(doc, v);
	}
	if ((v = cj_get(doc, props, "model-id")) != CJ_NONE) {
		if (doc->n[v].type != CJ_STR || doc->n[v].u.str.len > 48)
			return qmp_error(q, doc->n[v].off, "\"model-id\" is not a string of at most 48 bytes");
		id->brand = cj_str(doc, v);
	}
	for (int i = 0; i < 3; i++) {
		if ((v = cj_get(doc, props, fms[i])) == CJ_NONE)
			continue;
		if (!cj_uint(doc, v, fms_max[i], &id->fms[i]))
			return qmp_error(q, doc->n[v].off, "\"%s\" is not an integer in [0, %" PRIu64 "]",
					 fms[i], fms_max[i]);
		id->has_fms = true;
	}
	for (int i = 0; i < 3; i++) {
		uint64_t n;

		if ((v = cj_get(doc, props, levels[i])) == CJ_NONE)
			continue;
		if (!cj_uint(doc, v, UINT32_MAX, &n))
			return qmp_error(q, doc->n[v].off, "\"%s\" is not an integer in [0, 0xffffffff]",
					 levels[i]);
		id->min[i] = (uint32_t)n;
	}
	/* kvm=off hides KVM's leaves (and with them its features). */
	v = cj_get(doc, props, "kvm");
	id->kvm_hidden = v != CJ_NONE && doc->n[v].type == CJ_BOOL && !doc->n[v].u.b;
	return 0;
}

static int qmp_expansion(const struct qmp *q, cj_ref model, struct cpuid_data *ret)
{
	const struct cj_doc *doc = &q->doc;
	struct cpuid_data c = CPUID_DATA_INIT;
	cj_ref props = cj_get(doc, model, "props"), mname = cj_get(doc, model, "name");
	struct qmp_name *names = NULL;
	struct qmp_ident id;
	size_t nnames;
	uint32_t min[3];
	int rc;

	if ((rc = qmp_ident(q, props, &id)) < 0)
		goto out;
	names = qmp_names(&nnames);
	for (cj_ref m = doc->n[props].u.kids.first; m != CJ_NONE; m = doc->n[m].next) {
		struct qmp_name key, *hit, *last;

		if (!cpuid_name_fold(cj_key(doc, m), key.fold, sizeof(key.fold)) ||
		    !(hit = bsearch(&key, names, nnames, sizeof(*names), qmp_name_cmp)))
			continue;	/* not a feature: "pmu", "tsc-frequency", ... */
		if (doc->n[m].type != CJ_BOOL) {
			_cleanup_free_ char *k = qmp_quote(cj_key(doc, m));

			qmp_warn(q, doc->n[m].off, "feature \"%s\" is not true or false, ignoring", k);
			continue;
		}
		if (!doc->n[m].u.b)
			continue;
		/* Every bit QEMU calls so (it names two KVM bits "kvmclock"). */
		while (hit > names && strcmp(hit[-1].fold, key.fold) == 0)
			hit--;
		for (last = hit; last < names + nnames && strcmp(last->fold, key.fold) == 0; last++)
			if (cpuid_synth_feature(&c, &cpuid_features[last->feature], id.kvm_hidden) < 0)
				goto too_many;
	}
	if (id.has_fms &&
	    cpuid_synth_or(&c, 1, 0, CPUID_EAX, cpuid_synth_signature(id.fms[0], id.fms[1], id.fms[2])) < 0)
		goto too_many;
	memcpy(min, id.min, sizeof(min));
	if (id.brand && cpuid_synth_brand(&c, id.brand, min) < 0)
		goto too_many;
	if (cpuid_synth_complete(&c, min) < 0)
		goto too_many;
	if (id.vendor && cpuid_synth_vendor(&c, id.vendor) < 0)
		goto too_many;
	if (mname != CJ_NONE && doc->n[mname].type == CJ_STR) {
		_cleanup_free_ char *m = qmp_quote(cj_str(doc, mname));

		c.origin = xasprintf("%s (QEMU model expansion of %s)", q->name, m);
	} else {
		c.origin = xasprintf("%s (QEMU model expansion)", q->name);
	}
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
	rc = 0;
	goto out;
too_many:
	rc = qmp_error(q, doc->n[model].off, "more than %d leaves or MSRs", CPUID_MAX_ENTRIES);
out:
	free(names);
	cpuid_data_release(&c);
	return rc;
}

/* ---- the input: replies, a transcript ---- */

/* A list of feature words: a non-empty array whose first element has
 * "cpuid-register". */
static bool qmp_is_words(const struct cj_doc *doc, cj_ref r)
{
	return doc->n[r].type == CJ_ARR && doc->n[r].u.kids.count &&
	       cj_get(doc, doc->n[r].u.kids.first, "cpuid-register") != CJ_NONE;
}

/* {"model": {"name": ..., "props": {...}}}: the model object, or CJ_NONE. */
static cj_ref qmp_model(const struct cj_doc *doc, cj_ref r)
{
	cj_ref m = cj_get(doc, r, "model");
	cj_ref props = cj_get(doc, m, "props");

	return props != CJ_NONE && doc->n[props].type == CJ_OBJ ? m : CJ_NONE;
}

int cpuid_parse_qmp(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d)
{
	struct qmp q = { buf, len, name, d, CJ_DOC_INIT };
	cj_ref words = CJ_NONE, model = CJ_NONE, qemu_error = CJ_NONE;
	unsigned nwords = 0, nfiltered = 0;
	bool filtered_next = false;
	size_t pos = 0;
	int rc;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (!cj_at_end(buf, len, &pos)) {
		struct cj_error err;
		cj_ref v, r;

		if (cj_parse(buf, len, &pos, &q.doc, &v, &err) < 0) {
			rc = qmp_error(&q, err.off, "not valid JSON: %s", err.msg);
			goto out;
		}
		r = v;
		if (q.doc.n[v].type == CJ_OBJ) {
			cj_ref exec = cj_get(&q.doc, v, "execute");

			if (exec == CJ_NONE)
				exec = cj_get(&q.doc, v, "exec-oob");
			if (exec != CJ_NONE) {
				/* a command, in a transcript that has them */
				cj_ref prop = cj_get(&q.doc, cj_get(&q.doc, v, "arguments"), "property");

				filtered_next = cj_is_str(&q.doc, exec, "qom-get") &&
						cj_is_str(&q.doc, prop, "filtered-features");
				continue;
			}
			if (cj_get(&q.doc, v, "QMP") != CJ_NONE || cj_get(&q.doc, v, "event") != CJ_NONE)
				continue;	/* the greeting, an event */
			if (cj_get(&q.doc, v, "error") != CJ_NONE) {
				if (qemu_error == CJ_NONE)
					qemu_error = cj_get(&q.doc, cj_get(&q.doc, v, "error"), "desc");
				filtered_next = false;
				continue;
			}
			if (cj_get(&q.doc, v, "return") != CJ_NONE) {
				r = cj_get(&q.doc, v, "return");
				/* libvirt's test replies name themselves with "id" */
				if (cj_is_str(&q.doc, cj_get(&q.doc, v, "id"), "filtered-features"))
					filtered_next = true;
			}
		}
		if (qmp_is_words(&q.doc, r)) {
			if (filtered_next)
				nfiltered++;
			else if (nwords++ == 0)
				words = r;
		} else if (model == CJ_NONE) {
			model = qmp_model(&q.doc, r);
		}
		filtered_next = false;
	}
	if (words != CJ_NONE) {
		if (nwords > 1)
			qmp_warn(&q, q.doc.n[words].off,
				 "%u lists of feature words; using this first one (the others may be \"filtered-features\")",
				 nwords);
		rc = qmp_words(&q, words, ret);
	} else if (model != CJ_NONE) {
		rc = qmp_expansion(&q, model, ret);
	} else if (qemu_error != CJ_NONE && q.doc.n[qemu_error].type == CJ_STR) {
		_cleanup_free_ char *e = qmp_quote(cj_str(&q.doc, qemu_error));

		rc = hv_errorf(d, "%s: no CPU in the QMP JSON; QEMU answered an error: %s", name, e);
	} else {
		rc = hv_errorf(d, "%s: no CPU in the QMP JSON (expected a qom-get of \"feature-words\" or a query-cpu-model-expansion reply%s)",
			       name, nfiltered ? "; \"filtered-features\" is not the CPU's" : "");
	}
out:
	cj_doc_release(&q.doc);
	return rc;
}
