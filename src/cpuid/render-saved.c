/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid compare SAVED_IMAGE HOST...`: can this saved guest be
 * restored on each host?  Reads the inputs, renders text or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuid-source.h"
#include "cpuid-stream.h"
#include "json.h"
#include "log.h"
#include "render.h"
#include "util.h"

static const char *const reg_names[] = { "eax", "ebx", "ecx", "edx" };

static void bit_name(const struct cpuid_restore_bit *b, struct strbuf *sb)
{
	strbuf_addf(sb, "0x%x.%u %s bit %u", b->leaf, b->subleaf, reg_names[b->reg & 3], b->bit);
}

int cpuid_render_compare_saved(const struct cpuid_opts *o, struct strbuf *sb)
{
	const char *image = o->spec;
	char *const *hosts = o->files;
	size_t n = o->nfiles;
	struct cpuid_data guest = CPUID_DATA_INIT;
	struct cpuid_stream_info info;
	struct cpuid_featureset gf;
	struct hv_diags d = HV_DIAGS_INIT;
	struct json j;
	size_t cannot = 0;
	const char *section;
	int rc = EXIT_FAIL;

	if (cpuid_read_saved(image, &guest, &info, &d) < 0) {
		(void)log_diags(NULL, &d);
		goto out;
	}
	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	section = info.domain_type == CPUID_STREAM_PV ? "pv-max" : "hvm-max";
	cpuid_data_features(&guest, &gf);
	if (o->json) {
		char ver[32];

		snprintf(ver, sizeof(ver), "%u.%u", info.xen_major, info.xen_minor);
		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "image", image);
		json_kv_str(&j, "domain_type", cpuid_stream_domain_name(info.domain_type));
		json_kv_str(&j, "xen", ver);
		json_key(&j, "features");
		cpuid_fset_json(&j, &gf, o->names, CPUID_LIST_ALL);
		json_key(&j, "hosts");
		json_arr_open(&j);
	} else {
		strbuf_addf(sb, "saved guest: %s (Xen %u.%u %s guest, %zu features)\n", image,
			    info.xen_major, info.xen_minor, cpuid_stream_domain_name(info.domain_type),
			    cpuid_fset_count(&gf));
	}
	for (size_t i = 0; i < n; i++) {
		struct cpuid_data host = CPUID_DATA_INIT;
		struct cpuid_restore r;
		const char *policy = NULL;
		bool ok;
		int hr;

		/* A Xen host: what Xen can give a guest of this type. */
		hr = cpuid_read_file_xen(hosts[i], section, &policy, &host, &d);
		(void)log_diags(NULL, &d);
		if (hr < 0) {	/* its error is above; the other hosts still get theirs */
			cannot++;
			if (o->json) {
				json_obj_open(&j);
				json_kv_str(&j, "host", hosts[i]);
				json_kv_bool(&j, "restorable", false);
				json_kv_str(&j, "error", d.n ? d.v[d.n - 1].msg : "cannot read it");
				json_obj_close(&j);
			} else {
				strbuf_addf(sb, "host %s: cannot read it (see the error)\n", hosts[i]);
			}
			hv_diags_release(&d);
			continue;
		}
		hv_diags_release(&d);
		ok = cpuid_restore_check(&guest, &host, &r);
		if (info.refused[0]) {	/* Xen fails before its audit */
			snprintf(r.refused, sizeof(r.refused), "%s", info.refused);
			ok = false;
		}
		cpuid_data_release(&host);
		cannot += !ok;
		if (o->json) {
			json_obj_open(&j);
			json_kv_str(&j, "host", hosts[i]);
			json_kv_str(&j, "policy", policy);
			json_kv_bool(&j, "restorable", ok);
			json_kv_str(&j, "xen_refuses", r.refused[0] ? r.refused : NULL);
			json_kv_bool(&j, "features_only", r.audit_skipped);
			json_key(&j, "missing");
			cpuid_fset_json(&j, &r.missing, o->names, CPUID_LIST_ALL);
			json_key(&j, "missing_bits");
			json_arr_open(&j);
			for (size_t b = 0; b < r.nbits; b++) {
				struct strbuf s = STRBUF_INIT;

				bit_name(&r.bits[b], &s);
				json_str(&j, s.buf);
				strbuf_release(&s);
			}
			json_arr_close(&j);
			json_obj_close(&j);
			continue;
		}
		strbuf_addf(sb, "host %s", hosts[i]);
		if (policy)
			strbuf_addf(sb, " (Xen %s policy)", policy);
		strbuf_adds(sb, ": ");
		if (ok) {
			strbuf_adds(sb, r.audit_skipped ? "restorable as far as features go (the host is a feature list: "
							  "Xen's audit of maximum leaves and MSRs not done)\n" : "restorable\n");
			continue;
		}
		strbuf_adds(sb, "not restorable");
		if (r.refused[0])
			strbuf_addf(sb, ": Xen refuses it (%s)", r.refused);
		if (cpuid_fset_count(&r.missing) || r.nbits) {
			strbuf_adds(sb, r.refused[0] ? "; missing " : ": missing ");
			cpuid_fset_text(sb, &r.missing, o->names, ", ", "");
			for (size_t b = 0; b < r.nbits; b++) {
				strbuf_adds(sb, b || cpuid_fset_count(&r.missing) ? ", " : "");
				bit_name(&r.bits[b], sb);
			}
			strbuf_addc(sb, '\n');
			if (!r.refused[0])
				strbuf_adds(sb, "  (Xen 4.17 restores it with those masked, under a guest that saw them)\n");
			if (r.audit_skipped)
				strbuf_adds(sb, "  (the host is a feature list: Xen's audit of maximum leaves and MSRs not done)\n");
		} else {
			strbuf_addc(sb, '\n');
		}
	}
	if (o->json) {
		json_arr_close(&j);
		json_kv_bool(&j, "all_restorable", cannot == 0);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	} else {
		strbuf_addf(sb, "%zu of %zu hosts can restore it\n", n - cannot, n);
	}
	rc = cannot ? EXIT_FAIL : EXIT_OK;
out:
	hv_diags_release(&d);
	cpuid_data_release(&guest);
	return rc;
}
