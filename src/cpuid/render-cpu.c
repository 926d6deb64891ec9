/* SPDX-License-Identifier: MIT */
/* What one CPU says: the summary (with the two views of a live CPU),
 * features, decode and dump. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "render.h"

/* Xen's version from its leaves ("4.17"), when the hypervisor is Xen. */
static bool xen_version(const struct cpuid_data *c, char ver[24])
{
	for (uint32_t base = 0x40000000; base <= 0x40000100; base += 0x100) {
		const struct cpuid_leaf *h = cpuid_data_get(c, base, 0);
		const struct cpuid_leaf *v = cpuid_data_get(c, base + 1, 0);

		if (h && v && h->r[1] == 0x566e6558 && h->r[2] == 0x65584d4d &&
		    h->r[3] == 0x4d4d566e) {	/* "XenVMMXenVMM" */
			snprintf(ver, 24, "%u.%u", v->r[0] >> 16, v->r[0] & 0xffff);
			return true;
		}
	}
	return false;
}

static const char *view_name(enum cpuid_view v)
{
	return v == CPUID_VIEW_KERNEL ? "kernel" : "user";
}

/* The two views of a live CPU (NULL for a dump), in JSON. */
static void views_json(struct json *j, const struct cpuid_views *v, const struct cpuid_opts *o)
{
	json_key(j, "views");
	if (!v) {
		json_str(j, NULL);
		return;
	}
	json_obj_open(j);
	json_kv_str(j, "shown", view_name(o->view));
	json_kv_str(j, "kernel_source", v->kernel_source);
	json_kv_str(j, "device_error", v->device_error);
	json_key(j, "agree");
	if (v->kernel_source)
		json_bool(j, !cpuid_views_differ(v));
	else
		json_str(j, NULL);
	json_key(j, "differences");
	json_arr_open(j);
	for (size_t i = 0; i < v->ndiffs; i++) {
		json_obj_open(j);
		json_kv_str(j, "what", v->diffs[i].what);
		json_kv_str(j, "user", v->diffs[i].user);
		json_kv_str(j, "kernel", v->diffs[i].kernel);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "user_only");
	cpuid_fset_json(j, &v->user_only, o->names, CPUID_LIST_NAMED);
	json_key(j, "kernel_only");
	cpuid_fset_json(j, &v->kernel_only, o->names, CPUID_LIST_NAMED);
	json_obj_close(j);
}

static void views_text(const struct cpuid_views *v, const struct cpuid_opts *o, struct strbuf *sb)
{
	char *what;

	if (!v->kernel_source) {
		strbuf_addf(sb, "views:       user space only (the kernel's view not read: %s; no /proc/cpuinfo)\n",
			    v->device_error ? v->device_error : "?");
		return;
	}
	if (!cpuid_views_differ(v)) {
		strbuf_addf(sb, "views:       user space and the kernel (%s) agree\n", v->kernel_source);
		return;
	}
	what = cpuid_views_what(v);
	strbuf_addf(sb, "views:       user space and the kernel (%s) DIFFER: %s; shown: %s (--view %s for the other)\n",
		    v->kernel_source, what, o->view == CPUID_VIEW_KERNEL ? "the kernel's" : "user space's",
		    o->view == CPUID_VIEW_KERNEL ? "user" : "kernel");
	free(what);
	for (size_t i = 0; i < v->ndiffs; i++)
		strbuf_addf(sb, "             %s: user space '%s', kernel '%s'\n", v->diffs[i].what,
			    v->diffs[i].user, v->diffs[i].kernel);
	if (cpuid_fset_count(&v->user_only)) {
		strbuf_adds(sb, "             only user space sees: ");
		cpuid_fset_text(sb, &v->user_only, o->names, " ", "");
		strbuf_addc(sb, '\n');
	}
	if (cpuid_fset_count(&v->kernel_only)) {
		strbuf_adds(sb, "             only the kernel sees: ");
		cpuid_fset_text(sb, &v->kernel_only, o->names, " ", "");
		strbuf_addc(sb, '\n');
	}
}

void cpuid_render_summary(const struct cpuid_data *c, const struct cpuid_views *views,
			   const struct cpuid_opts *o, struct strbuf *sb)
{
	struct cpuid_summary s;
	struct cpuid_featureset fs;
	char ver[24];

	cpuid_summarize(c, &s);
	cpuid_data_features(c, &fs);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "vendor", cpuid_vendor_name(s.vendor));
		json_kv_str(&j, "vendor_id", s.vendor_id);
		json_kv_u64(&j, "family", s.family);
		json_kv_u64(&j, "model", s.model);
		json_kv_u64(&j, "stepping", s.stepping);
		json_key(&j, "uarch");
		json_str(&j, s.uarch);
		json_key(&j, "brand");
		json_str(&j, s.brand[0] ? s.brand : NULL);
		json_kv_u64(&j, "feature_count", s.nfeatures);
		json_key(&j, "hypervisor");
		json_obj_open(&j);
		json_kv_bool(&j, "present", s.hypervisor_bit || s.hypervisor[0]);
		json_key(&j, "signature");
		json_str(&j, s.hypervisor[0] ? s.hypervisor : NULL);
		json_key(&j, "xen_version");
		json_str(&j, xen_version(c, ver) ? ver : NULL);
		json_obj_close(&j);
		json_key(&j, "msrs_unread");
		json_arr_open(&j);
		for (uint32_t m = 0; m < 0x200; m++)
			if (cpuid_data_msr_unread(c, m)) {
				char idx[16];
				snprintf(idx, sizeof(idx), "0x%x", m);
				json_str(&j, idx);
			}
		json_arr_close(&j);
		views_json(&j, views, o);
		if (o->verbose) {
			json_key(&j, "features");
			cpuid_fset_json(&j, &fs, o->names, CPUID_LIST_NAMED);
		}
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	strbuf_addf(sb, "source:      %s\n", c->origin ? c->origin : "?");
	strbuf_addf(sb, "vendor:      %s (%s)\n", cpuid_vendor_name(s.vendor),
		    s.vendor_id[0] ? s.vendor_id : "no vendor id");
	strbuf_addf(sb, "signature:   family %u (0x%x), model %u (0x%x), stepping %u\n",
		    s.family, s.family, s.model, s.model, s.stepping);
	strbuf_addf(sb, "uarch:       %s\n", s.uarch ? s.uarch : "unknown");
	strbuf_addf(sb, "brand:       %s\n", s.brand[0] ? s.brand : "(none)");
	strbuf_addf(sb, "features:    %zu known ('hvkit cpuid features' lists them)\n",
		    s.nfeatures);
	if (s.hypervisor[0] && xen_version(c, ver))
		strbuf_addf(sb, "hypervisor:  %s (Xen %s)%s\n", s.hypervisor, ver,
			    c->origin && strstr(c->origin, "Xen PV") ? ", in a PV domain" : "");
	else if (s.hypervisor[0])
		strbuf_addf(sb, "hypervisor:  %s\n", s.hypervisor);
	else
		strbuf_addf(sb, "hypervisor:  %s\n",
			    s.hypervisor_bit ? "yes (no signature)" : "none");
	for (uint32_t m = 0; m < 0x200; m++)
		if (cpuid_data_msr_unread(c, m))
			strbuf_addf(sb, "msr:         0x%x %s: enumerated, not read, so its feature bits are unknown%s\n",
				    m, cpuid_msr_name(m),
				    !o->from ?
				    " (needs root, 'modprobe msr'; a hypervisor may refuse)" :
				    " (the data has no value for it)");
	if (views)
		views_text(views, o, sb);
	if (o->verbose) {
		strbuf_adds(sb, cpuid_fset_count(&fs) ? "feature list: " : "feature list:");
		cpuid_fset_text(sb, &fs, o->names, " ", "");
		strbuf_addc(sb, '\n');
	}
}

void cpuid_render_features(const struct cpuid_data *c, const struct cpuid_opts *o,
			    struct strbuf *sb)
{
	struct cpuid_featureset fs;

	cpuid_data_features(c, &fs);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "names", cpuid_names_str(o->names));
		json_key(&j, "features");
		cpuid_fset_json(&j, &fs, o->names, CPUID_LIST_NAMED);
		json_key(&j, "other");
		cpuid_fset_json(&j, &fs, o->names, CPUID_LIST_UNNAMED);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		return;
	}
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const char *n = cpuid_feature_name(&cpuid_features[i], o->names);

		if (cpuid_fset_has(&fs, i) && n && !cpuid_named_before(&fs, i, o->names))
			strbuf_addf(sb, "%s\n", n);
	}
	if (o->verbose)
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (cpuid_fset_has(&fs, i) &&
			    !cpuid_feature_name(&cpuid_features[i], o->names))
				strbuf_addf(sb, "%s (no %s name)\n", cpuid_features[i].name,
					    cpuid_names_str(o->names));
}

/* Whether a section's subleaf is worth showing: others of its leaf exist. */
static bool has_subleaves(const struct cpuid_report *r, size_t i)
{
	return r->v[i].subleaf != 0 ||
	       (i + 1 < r->n && r->v[i + 1].leaf == r->v[i].leaf);
}

void cpuid_render_decode(const struct cpuid_data *c, const struct cpuid_opts *o,
			  struct strbuf *sb)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	struct cpuid_report r = CPUID_REPORT_INIT;
	struct json j;

	cpuid_decode(c, o->names, &r);
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "origin", c->origin);
		json_kv_str(&j, "names", cpuid_names_str(o->names));
		json_key(&j, "leaves");
		json_arr_open(&j);
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct cpuid_section *s = &r.v[i];

		if (!s->nfields && !o->raw)
			continue;
		if (o->json) {
			json_obj_open(&j);
			json_kv_u64(&j, "leaf", s->leaf);
			json_kv_u64(&j, "subleaf", s->subleaf);
			json_key(&j, "name");
			json_str(&j, s->title);
			json_key(&j, "fields");
			json_obj_open(&j);
		} else {
			strbuf_addf(sb, "%sleaf 0x%08x", i ? "\n" : "", s->leaf);
			if (has_subleaves(&r, i))
				strbuf_addf(sb, " subleaf %u", s->subleaf);
			if (s->title)
				strbuf_addf(sb, " (%s)", s->title);
			strbuf_addc(sb, '\n');
		}
		for (size_t k = 0; k < s->nfields; k++) {
			const struct cpuid_field *f = &s->fields[k];

			if (o->json) {
				json_key(&j, f->key);
				switch (f->type) {
				case CPUID_FIELD_UINT:
				case CPUID_FIELD_HEX:
					json_u64(&j, f->u);
					break;
				case CPUID_FIELD_BOOL:
					json_bool(&j, f->u != 0);
					break;
				case CPUID_FIELD_STR:
					json_str(&j, f->s);
					break;
				case CPUID_FIELD_LIST:
					cpuid_json_words(&j, f->s);
					break;
				}
				continue;
			}
			strbuf_addf(sb, "  %-28s ", f->key);
			switch (f->type) {
			case CPUID_FIELD_UINT:
				strbuf_addf(sb, "%" PRIu64 "\n", f->u);
				break;
			case CPUID_FIELD_HEX:
				strbuf_addf(sb, "0x%" PRIx64 "\n", f->u);
				break;
			case CPUID_FIELD_BOOL:
				strbuf_adds(sb, f->u ? "yes\n" : "no\n");
				break;
			case CPUID_FIELD_STR:
			case CPUID_FIELD_LIST:
				strbuf_addf(sb, "%s\n", f->s);
				break;
			}
		}
		if (o->json) {
			json_obj_close(&j);
			if (o->raw) {
				json_key(&j, "raw");
				json_obj_open(&j);
				for (int k = 0; k < 4; k++)
					json_kv_u64(&j, regs[k], s->r[k]);
				json_obj_close(&j);
			}
			json_obj_close(&j);
		} else if (o->raw) {
			strbuf_addf(sb, "  %-28s eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
				    "raw", s->r[0], s->r[1], s->r[2], s->r[3]);
		}
	}
	if (o->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	}
	cpuid_report_release(&r);
}

void cpuid_render_dump(const struct cpuid_data *c, const struct cpuid_opts *o,
			struct strbuf *sb)
{
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	struct json j;

	if (!o->json) {
		cpuid_dump(c, sb);
		return;
	}
	json_init(&j, sb, o->pretty);
	json_obj_open(&j);
	json_kv_str(&j, "origin", c->origin);
	json_key(&j, "leaves");
	json_arr_open(&j);
	for (size_t i = 0; i < c->nleaves; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "leaf", c->leaves[i].leaf);
		json_kv_u64(&j, "subleaf", c->leaves[i].subleaf);
		for (int k = 0; k < 4; k++)
			json_kv_u64(&j, regs[k], c->leaves[i].r[k]);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "msrs");
	json_arr_open(&j);
	for (size_t i = 0; i < c->nmsrs; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "index", c->msrs[i].index);
		json_kv_u64(&j, "value", c->msrs[i].value);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	strbuf_addc(sb, '\n');
}
