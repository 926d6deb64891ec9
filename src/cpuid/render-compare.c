/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid compare`: per host, whether it can run a model or policy
 * and which features stop it, with the usual reasons. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "render.h"
#include "util.h"

/* Why feature f may be missing on h: an MSR of unknown value, or the
 * usual culprit of the feature (NULL when none is known). */
static const char *missing_why(const struct cpuid_host *h, size_t f, enum cpuid_names names,
			       char *buf, size_t size)
{
	const struct cpuid_feature *ft = &cpuid_features[f];

	/* The CPU has it, but not what it needs: Xen and QEMU drop it too. */
	if (cpuid_fset_has(&h->raw, f))
		for (size_t i = 0; i < cpuid_ndeps; i++)
			if (cpuid_deps[i].dependent == f && !cpuid_fset_has(&h->raw, cpuid_deps[i].needs)) {
				snprintf(buf, size, "present, but it needs %s, which this host lacks",
					 cpuid_fname(cpuid_deps[i].needs, names));
				return buf;
			}

	for (size_t i = 0; i < ARRAY_SIZE(cpuid_host_msrs); i++)
		if (ft->kind == CPUID_FEAT_MSR && ft->leaf == cpuid_host_msrs[i] && h->unread_msr[i]) {
			snprintf(buf, size, "not known: CPUID says MSR 0x%x (%s) exists but this data has no value for it "
				 "(dump it as root after 'modprobe msr'; a hypervisor may refuse the read)",
				 cpuid_host_msrs[i], cpuid_msr_name(cpuid_host_msrs[i]));
			return buf;
		}
	return cpuid_feature_culprit(f);
}

/* Returns EXIT_OK when every host can run the policy, else EXIT_FAIL. */
int cpuid_render_compare(const struct cpuid_host *h, size_t n, const struct cpuid_opts *o,
			  struct strbuf *sb)
{
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct hv_diags err = HV_DIAGS_INIT;
	struct json j;
	size_t cannot = 0;
	int rc = EXIT_FAIL;

	if (cpuid_policy_parse(o->spec, &h[0].raw, p, &err) < 0) {
		(void)log_diags(NULL, &err);
		goto out;
	}
	if (o->json) {
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", o->spec);
		json_kv_str(&j, "model", p->model->name);
		json_key(&j, "features");
		cpuid_fset_json(&j, &p->result, o->names, CPUID_LIST_ALL);
		json_key(&j, "hosts");
		json_arr_open(&j);
	} else {
		strbuf_addf(sb, "policy: %s (%s, %zu features)\n", o->spec, p->model->name,
			    cpuid_fset_count(&p->result));
	}
	for (size_t i = 0; i < n; i++) {
		struct cpuid_featureset have, missing;
		bool vendor_ok = h[i].s.vendor == p->model->vendor;
		size_t nmiss;

		cpuid_fset_runnable(&h[i].raw, &have);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			missing.w[w] = p->result.w[w] & ~have.w[w];
		nmiss = cpuid_fset_count(&missing);
		if (nmiss || !vendor_ok)
			cannot++;
		if (o->json) {
			json_obj_open(&j);
			json_kv_str(&j, "host", h[i].path);
			json_kv_str(&j, "vendor", cpuid_vendor_name(h[i].s.vendor));
			json_kv_bool(&j, "runs", !nmiss && vendor_ok);
			json_kv_bool(&j, "vendor_matches", vendor_ok);
			json_key(&j, "missing");
			cpuid_fset_json(&j, &missing, o->names, CPUID_LIST_ALL);
			json_key(&j, "culprits");
			json_arr_open(&j);
			for (size_t f = 0; f < cpuid_nfeatures; f++) {
				char buf[256];
				const char *why = missing_why(&h[i], f, o->names, buf, sizeof(buf));
				if (cpuid_fset_has(&missing, f) && why) {
					json_obj_open(&j);
					json_kv_str(&j, "feature", cpuid_fname(f, o->names));
					json_kv_str(&j, "why", why);
					json_obj_close(&j);
				}
			}
			json_arr_close(&j);
			json_obj_close(&j);
			continue;
		}
		strbuf_addf(sb, "host %s: ", h[i].path);
		if (!nmiss && vendor_ok) {
			strbuf_adds(sb, "can run it\n");
			continue;
		}
		if (!vendor_ok)
			strbuf_addf(sb, "a %s CPU, the model is %s's%s", cpuid_vendor_name(h[i].s.vendor),
				    cpuid_vendor_name(p->model->vendor), nmiss ? "; " : "\n");
		if (nmiss) {
			strbuf_adds(sb, "missing ");
			cpuid_fset_text(sb, &missing, o->names, ", ", "");
			strbuf_addc(sb, '\n');
		}
		for (size_t f = 0; f < cpuid_nfeatures; f++) {
			char buf[256];
			const char *why = missing_why(&h[i], f, o->names, buf, sizeof(buf));
			if (cpuid_fset_has(&missing, f) && why)
				strbuf_addf(sb, "  %s: %s\n", cpuid_fname(f, o->names), why);
		}
	}
	if (o->json) {
		json_arr_close(&j);
		json_kv_bool(&j, "all_run", cannot == 0);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	} else {
		strbuf_addf(sb, "%zu of %zu hosts can run it\n", n - cannot, n);
	}
	rc = cannot ? EXIT_FAIL : EXIT_OK;
out:
	hv_diags_release(&err);
	free(p);
	return rc;
}
