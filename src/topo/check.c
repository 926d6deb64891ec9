/* SPDX-License-Identifier: MIT */
/* `topo check`: the findings list, its order and its two renderings. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "pcie.h"
#include "render.h"
#include "util.h"

static const char *const severity_names[] = {
	[CHECK_INFO] = "info", [CHECK_WARNING] = "warning",
	[CHECK_ERROR] = "error",
};

const char *check_severity_name(enum check_severity s)
{
	return (size_t)s < ARRAY_SIZE(severity_names) ? severity_names[s] : "?";
}

int check_severity_parse(const char *s, int *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(severity_names); i++)
		if (strcmp(s, severity_names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	if (strcmp(s, "none") == 0) {
		*ret = CHECK_ERROR + 1;
		return 0;
	}
	return -EINVAL;
}

void check_report_release(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].object);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

struct finding *check__add(struct check_report *r, enum check_severity s,
			   const char *kind, const char *object,
			   const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct finding *f;
	va_list ap;

	r->v = xgrow(r->v, sizeof(*r->v), r->n + 1, &r->alloc);
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->severity = s;
	f->kind = kind;
	f->object = xstrdup(object ? object : "machine");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	f->message = strbuf_detach(&sb, NULL);
	return f;
}

void check__num(struct finding *f, const char *key, double v)
{
	if (f->nnums < CHECK_MAX_NUMS)
		f->nums[f->nnums++] = (struct check_num){ key, v };
}

const char *check__pci_label(const struct topo_obj *obj)
{
	for (size_t i = 0; i < obj->nkids; i++)
		if (obj->kids[i]->type == TOPO_OS_DEVICE && obj->kids[i]->name)
			return obj->kids[i]->name;
	return obj->address ? obj->address : "?";
}

void check__link_str(const struct topo_link *l, struct strbuf *out)
{
	render_pcie_link(l, out);
}

struct collect {
	enum topo_type type;
	const struct topo_obj **v;
	size_t n, alloc;
};

static int collect_one(struct topo_obj *o, void *ctx)
{
	struct collect *c = ctx;

	if (o->type == c->type) {
		c->v = xgrow(c->v, sizeof(*c->v), c->n + 1, &c->alloc);
		c->v[c->n++] = o;
	}
	return 0;
}

size_t check__collect(const struct topo_obj *root, enum topo_type type,
		      const struct topo_obj ***ret)
{
	struct collect c = { .type = type };

	/* topo_walk takes a mutable tree; nothing here writes to it. */
	if (root)
		(void)topo_walk((struct topo_obj *)root, collect_one, &c);
	*ret = c.v;
	return c.n;
}

/* Stable: most severe first, the checks' own order within a severity. */
static void sort_report(struct check_report *r, size_t from)
{
	for (size_t i = from + 1; i < r->n; i++) {
		struct finding f = r->v[i];
		size_t j = i;

		while (j > from && r->v[j - 1].severity < f.severity) {
			r->v[j] = r->v[j - 1];
			j--;
		}
		r->v[j] = f;
	}
}

void topo_check(const struct topo *t, struct check_report *r)
{
	size_t from = r->n;

	check_pcie(t, r);
	check_placement(t, r);
	check_memory(t, r);
	check_cpu(t, r);
	sort_report(r, from);
}

int check_worst(const struct check_report *r)
{
	int worst = -1;

	for (size_t i = 0; i < r->n; i++)
		if ((int)r->v[i].severity > worst)
			worst = (int)r->v[i].severity;
	return worst;
}

void check_render_text(const struct check_report *r, struct strbuf *out)
{
	size_t count[3] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->v[i];

		size_t olen = strlen(f->object);

		count[f->severity]++;
		/* "error    0000:02:00.0  eth0: Gen3 x8 running at ..."; the
		 * object once when the message starts with it. */
		strbuf_addf(out, "%-8s ", check_severity_name(f->severity));
		if (strncmp(f->message, f->object, olen) != 0 || (f->message[olen] != ':' && f->message[olen] != ' '))
			strbuf_addf(out, "%s  ", f->object);
		strbuf_addf(out, "%s [%s]\n", f->message, f->kind);
		if (f->citation)
			strbuf_addf(out, "         see %s\n", f->citation);
	}
	if (!r->n)
		strbuf_adds(out, "no findings\n");
	else
		strbuf_addf(out, "%zu finding(s): %zu error(s), %zu warning(s), %zu info\n",
			    r->n, count[CHECK_ERROR], count[CHECK_WARNING],
			    count[CHECK_INFO]);
}

static void finding_json(struct json *j, const struct finding *f, bool severity)
{
	json_obj_open(j);
	if (severity)
		json_kv_str(j, "severity", check_severity_name(f->severity));
	json_kv_str(j, "kind", f->kind);
	json_kv_str(j, "object", f->object);
	json_kv_str(j, "message", f->message);
	for (size_t k = 0; k < f->nnums; k++)
		json_kv_double(j, f->nums[k].key, f->nums[k].v);
	json_kv_str(j, "citation", f->citation);
	json_obj_close(j);
}

void check__link_json(struct json *j, const char *key, const struct topo_link *l,
		      bool flit)
{
	json_key(j, key);
	json_obj_open(j);
	json_kv_double(j, "speed_gts", l->speed_gts);
	json_kv_u64(j, "width", l->width);
	json_kv_double(j, "gbps", pcie_link_gbps(l->speed_gts, l->width, flit));
	json_obj_close(j);
}

static void links_json(struct json *j, const struct topo *t)
{
	static const enum topo_type types[] = { TOPO_PCI_BRIDGE, TOPO_PCI_DEVICE };

	json_key(j, "links");
	json_arr_open(j);
	for (size_t k = 0; k < ARRAY_SIZE(types); k++) {
		const struct topo_obj **v;
		size_t n = check__collect(t->root, types[k], &v);

		for (size_t i = 0; i < n; i++) {
			if (!v[i]->has_link || !v[i]->address)
				continue;
			json_obj_open(j);
			json_kv_str(j, "object", v[i]->address);
			json_kv_str(j, "port_type", v[i]->port_type);
			check__link_json(j, "cap", &v[i]->link_cap, v[i]->link_flit);
			check__link_json(j, "sta", &v[i]->link_sta, v[i]->link_flit);
			json_kv_bool(j, "flit", v[i]->link_flit);
			json_obj_close(j);
		}
		free(v);
	}
	json_arr_close(j);
}

void check_render_json(const struct check_report *r, const struct topo *t,
		       bool pretty, struct strbuf *out)
{
	struct json j;

	json_init(&j, out, pretty);
	json_obj_open(&j);
	json_key(&j, "findings");
	json_arr_open(&j);
	for (size_t i = 0; i < r->n; i++)
		finding_json(&j, &r->v[i], true);
	json_arr_close(&j);
	if (t)
		links_json(&j, t);
	json_obj_close(&j);
	strbuf_addc(out, '\n');
}

void diff_render_text(const struct check_report *r, struct strbuf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->v[i];
		size_t olen = strlen(f->object);

		if (strncmp(f->message, f->object, olen) != 0 || (f->message[olen] != ':' && f->message[olen] != ' '))
			strbuf_addf(out, "%s: ", f->object);
		strbuf_addf(out, "%s [%s]\n", f->message, f->kind);
	}
	if (!r->n)
		strbuf_adds(out, "no differences\n");
}

void diff_render_json(const struct check_report *r, bool pretty,
		      struct strbuf *out)
{
	struct json j;

	json_init(&j, out, pretty);
	json_obj_open(&j);
	json_key(&j, "differences");
	json_arr_open(&j);
	for (size_t i = 0; i < r->n; i++)
		finding_json(&j, &r->v[i], false);
	json_arr_close(&j);
	json_obj_close(&j);
	strbuf_addc(out, '\n');
}
