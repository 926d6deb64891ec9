/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid models` and `model`: the model table, and the closest model
 * of a CPU as model + plus - minus (baseline shows it too). */
#include <stdio.h>

#include "log.h"
#include "render.h"

static const char *vendor_key(enum cpuid_vendor v)
{
	return cpuid_vendor_name(v);
}

void cpuid_render_models(const struct cpuid_opts *o, struct strbuf *sb)
{
	struct json j;

	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_key(&j, "models");
		json_arr_open(&j);
	} else {
		strbuf_addf(sb, "%-26s %-26s %-26s %-6s %-10s %s\n", "MODEL", "ALIAS",
			    "LIBVIRT 9.0", "VENDOR", "FAM/MOD/ST", "FEATURES");
	}
	for (size_t i = 0; i < cpuid_nmodels; i++) {
		const struct cpuid_model *m = &cpuid_models[i];

		if (o->json) {
			json_obj_open(&j);
			json_kv_str(&j, "name", m->name);
			json_kv_str(&j, "base", m->base);
			json_kv_u64(&j, "version", m->version);
			json_key(&j, "alias");
			json_str(&j, m->alias);
			json_key(&j, "libvirt");
			json_str(&j, m->libvirt);
			json_kv_str(&j, "vendor", vendor_key(m->vendor));
			json_kv_u64(&j, "family", m->family);
			json_kv_u64(&j, "model", m->model);
			json_key(&j, "stepping");
			if (m->stepping < 0)
				json_null(&j);
			else
				json_u64(&j, (uint64_t)m->stepping);
			json_kv_bool(&j, "pending", m->pending);
			json_key(&j, "features");
			cpuid_fset_json(&j, o->names == CPUID_NAMES_LIBVIRT ? &m->libvirt_features :
				  &m->features, o->names, CPUID_LIST_ALL);
			json_obj_close(&j);
			continue;
		}
		strbuf_addf(sb, "%-26s %-26s %-26s %-6s %u/%u/", m->name, m->alias ? m->alias : "-",
			    m->libvirt ? m->libvirt : "-", vendor_key(m->vendor), m->family, m->model);
		if (m->stepping < 0)
			strbuf_adds(sb, "?    ");
		else
			strbuf_addf(sb, "%-4d ", m->stepping);
		if (m->pending)
			strbuf_adds(sb, "(features not in the table yet)\n");
		else
			strbuf_addf(sb, "%zu\n", cpuid_fset_count(&m->features));
	}
	if (o->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	}
}

/*
 * The closest model as `names` knows it: returns its name and rewrites
 * m->plus and m->minus against what that name means to the reader's tool
 * (libvirt's model of a name may hold other features than QEMU's).
 */
const char *cpuid_closest_named(struct cpuid_match *m, enum cpuid_names names)
{
	const struct cpuid_featureset *mf = &m->model->features;
	const char *name = cpuid_model_name(m->model, names);

	if (names == CPUID_NAMES_LIBVIRT && name)
		mf = &m->model->libvirt_features;
	if (!name)
		name = m->model->name;
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
		m->plus.w[w] = m->cpu.w[w] & ~mf->w[w];
		m->minus.w[w] = mf->w[w] & ~m->cpu.w[w];
	}
	return name;
}

/* The "closest" object of model and baseline --json. */
void cpuid_closest_json(struct json *j, const struct cpuid_match *m, const char *name,
			 enum cpuid_names names)
{
	json_obj_open(j);
	json_kv_str(j, "name", name);
	json_kv_str(j, "qemu_name", m->model->name);
	json_key(j, "libvirt_name");
	json_str(j, m->model->libvirt);
	json_key(j, "plus");
	cpuid_fset_json(j, &m->plus, names, CPUID_LIST_ALL);
	json_key(j, "minus");
	cpuid_fset_json(j, &m->minus, names, CPUID_LIST_ALL);
	json_kv_str(j, "why", m->why);
	json_key(j, "near_miss");
	if (m->blocker) {
		json_obj_open(j);
		json_kv_str(j, "name", m->blocker->name);
		json_key(j, "missing");
		cpuid_fset_json(j, &m->blocked_by, names, CPUID_LIST_ALL);
		json_obj_close(j);
	} else {
		json_null(j);
	}
	json_obj_close(j);
}

/* "MODEL,+f,-g" in `names`' spelling. */
void cpuid_spec_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
		      enum cpuid_names names)
{
	strbuf_adds(sb, name);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&m->plus, i) && !cpuid_named_before(&m->plus, i, names))
			strbuf_addf(sb, ",+%s", cpuid_fname(i, names));
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(&m->minus, i) && !cpuid_named_before(&m->minus, i, names))
			strbuf_addf(sb, ",-%s", cpuid_fname(i, names));
}

/* The closest-model lines of model and baseline. */
void cpuid_closest_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
			 enum cpuid_names names, const char *lacks_what)
{
	strbuf_addf(sb, "closest:   %s", name);
	if (m->model->alias && names != CPUID_NAMES_LIBVIRT)
		strbuf_addf(sb, " (alias %s)", m->model->alias);
	if (m->model->libvirt && names != CPUID_NAMES_LIBVIRT)
		strbuf_addf(sb, " (libvirt 9.0: %s)", m->model->libvirt);
	strbuf_adds(sb, "\nplus:      ");
	cpuid_fset_text(sb, &m->plus, names, " ", "(none)");
	strbuf_adds(sb, "\nminus:     ");
	cpuid_fset_text(sb, &m->minus, names, " ", "(none)");
	strbuf_addf(sb, "\nwhy:       %s\n", m->why);
	if (m->blocker) {
		strbuf_addf(sb, "near miss: %s needs ", m->blocker->name);
		cpuid_fset_text(sb, &m->blocked_by, names, ", ", "");
		strbuf_addf(sb, ", which %s\n", lacks_what);
	}
	strbuf_adds(sb, "spec:      ");
	cpuid_spec_text(sb, m, name, names);
	strbuf_addc(sb, '\n');
}

void cpuid_render_model(const struct cpuid_data *c, const struct cpuid_opts *o,
			 struct strbuf *sb)
{
	struct cpuid_summary s;
	struct cpuid_match m;
	const char *name;
	struct json j;

	cpuid_summarize(c, &s);
	if (cpuid_model_closest(c, &m) < 0) {
		log_error("no model of vendor %s in the table", cpuid_vendor_name(s.vendor));
		return;
	}
	name = cpuid_closest_named(&m, o->names);
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "vendor", cpuid_vendor_name(s.vendor));
		json_kv_u64(&j, "family", s.family);
		json_kv_u64(&j, "model", s.model);
		json_kv_u64(&j, "stepping", s.stepping);
		json_key(&j, "closest");
		cpuid_closest_json(&j, &m, name, o->names);
		json_key(&j, "features");
		cpuid_fset_json(&j, &m.cpu, o->names, CPUID_LIST_ALL);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	strbuf_addf(sb, "cpu:       %s family %u model %u stepping %u%s%s\n",
		    cpuid_vendor_name(s.vendor), s.family, s.model, s.stepping,
		    s.uarch ? ", " : "", s.uarch ? s.uarch : "");
	cpuid_closest_text(sb, &m, name, o->names, "this CPU lacks");
}
