/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid policy` and `baseline`: a policy in the xl, xend, QEMU and
 * libvirt forms, each in its target's own terms and cut to what the
 * target gives a guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cpuid-source.h"
#include "log.h"
#include "render.h"
#include "util.h"

static const enum cpuid_names target_names[] = {
	[CPUID_FOR_XL] = CPUID_NAMES_XEN, [CPUID_FOR_XEND] = CPUID_NAMES_XEN,
	[CPUID_FOR_QEMU] = CPUID_NAMES_QEMU, [CPUID_FOR_LIBVIRT] = CPUID_NAMES_LIBVIRT,
};

static const char *const target_keys[] = {
	[CPUID_FOR_XL] = "xl", [CPUID_FOR_XEND] = "xl-xend",
	[CPUID_FOR_QEMU] = "qemu", [CPUID_FOR_LIBVIRT] = "libvirt",
};

/* Loads libvirt's cpu_map for the libvirt form; an exit status. */
static int load_lvmap(const struct cpuid_opts *o, struct cpuid_lvmap *ret)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int rc = cpuid_lvmap_load(o->libvirt_map, ret, &d);

	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* Asks the installed QEMU (o->qemu, else qemu-system-x86_64) for its
 * models and properties; false when there is none or it cannot say (a
 * warning then: the QEMU form is written unchecked). */
static bool load_qemu(const struct cpuid_opts *o, struct cpuid_qemu *ret)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int rc;

	if (o->qemu && strcmp(o->qemu, "none") == 0)
		return false;
	rc = cpuid_qemu_load(o->qemu, ret, &d);
	if (rc == -ENOENT && o->qemu)
		log_warn("no QEMU binary '%s'; the QEMU form is not checked against one", o->qemu);
	else if (rc < 0 && rc != -ENOENT)
		(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc == 0;
}

/* "qemu": {"binary", "version"}: which QEMU the QEMU form was checked with. */
static void qemu_json(struct json *j, const struct cpuid_qemu *q)
{
	json_key(j, "qemu");
	json_obj_open(j);
	json_kv_str(j, "binary", q->binary);
	json_kv_str(j, "version", q->version);
	json_obj_close(j);
}

/* "libvirt's cpu_map (DIR) has no name for: a b; left out" and the like. */
static void warn_skipped(enum cpuid_target t, const struct cpuid_targets *tg, const char *skipped)
{
	if (t == CPUID_FOR_LIBVIRT)
		log_warn("libvirt's cpu_map (%s) has no name for: %s; left out", tg->lvmap->source, skipped);
	else if (t == CPUID_FOR_QEMU && tg->qemu)
		log_warn("QEMU %s (%s) has no property for: %s; left out", tg->qemu->version,
			 tg->qemu->binary, skipped);
	else if (t == CPUID_FOR_XEND)
		log_warn("the xend form (CPUID leaves only) has no name for: %s; left out", skipped);
	else
		log_warn("%s has no name for: %s; left out",
			 cpuid_names_str(target_names[t]), skipped);
}

/* The QEMU and libvirt forms are for KVM guests: cut to what KVM gives. */
static bool kvm_form(int t)
{
	return t == CPUID_FOR_QEMU || t == CPUID_FOR_LIBVIRT;
}

/* Who a form's cut features are not given to: "KVM guests", or Xen's
 * guests with the set --guest-max names. */
static const char *cut_whom(int t, const struct cpuid_opts *o, char *buf, size_t size)
{
	int n;

	if (kvm_form(t))
		return "KVM guests";
	n = snprintf(buf, size, "Xen guests (--guest-max %s)", o->guest_max ? o->guest_max : "?");
	/* a file name is shown on one line, as text */
	for (int i = 0; i < n && (size_t)i < size; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* "not given to KVM guests: monitor ds ...", one line on stderr. */
static void tell_cut(int t, const struct cpuid_featureset *cut, enum cpuid_names names,
		     const struct cpuid_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	char whom[512];

	if (cpuid_fset_count(cut)) {
		cpuid_fset_text(&sb, cut, names, " ", "");
		cpuid_tell("not given to %s: %s", cut_whom(t, o, whom, sizeof(whom)), sb.buf);
	}
	strbuf_release(&sb);
}

/* The xl comment line that names what the Xen forms leave out. */
static void xl_cut_comment(struct strbuf *sb, const struct cpuid_featureset *cut,
			   enum cpuid_names names, const struct cpuid_opts *o)
{
	char whom[512];

	if (!cpuid_fset_count(cut))
		return;
	strbuf_addf(sb, "# not given to %s: ", cut_whom(CPUID_FOR_XL, o, whom, sizeof(whom)));
	cpuid_fset_text(sb, cut, names, " ", "");
	strbuf_addc(sb, '\n');
}

/*
 * The xl names of p that Xen 4.17.0's libxl does not know, into *names;
 * when there are some and the output is text, a warning on stderr and an
 * xl comment line in *sb.
 */
static void xl_new_names(const struct cpuid_policy *p, const struct cpuid_opts *o,
			 struct strbuf *names, struct strbuf *sb)
{
	static const char why[] = "only a libxl with Xen's cpufeatureset.h names knows (Xen 4.18+, "
				  "or a 4.17 update that has them, as Debian 12's); Xen 4.17.0's xl "
				  "says \"unknown CPUID flag name\" and leaves these as the host has them";

	cpuid_policy_xl_new_names(p, names);
	if (!names->len || o->json)
		return;
	log_warn("the xl line names %s, which %s", names->buf, why);
	strbuf_addf(sb, "# %s: %s\n", names->buf, why);
}

/*
 * What Xen gives its guests at most (--guest-max FILE: `xen-cpuid -p`
 * output and its PV Max or HVM Max policy, FILE#pv-max; any input hvkit
 * reads), into *ret; an exit status (the reason logged).
 */
static int load_guest_max(const struct cpuid_opts *o, enum cpuid_vendor vendor,
			  struct cpuid_featureset *ret)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_summary s;
	int rc = cpuid_read_file(o->guest_max, &c, &d);

	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	if (rc < 0)
		return EXIT_FAIL;
	cpuid_summarize(&c, &s);
	if (vendor != CPUID_VENDOR_UNKNOWN && s.vendor != CPUID_VENDOR_UNKNOWN && s.vendor != vendor) {
		log_error("--guest-max %s: the policy is of vendor %s, the host of vendor %s: "
			  "give the Max policy of this host's Xen", o->guest_max,
			  cpuid_vendor_name(s.vendor), cpuid_vendor_name(vendor));
		cpuid_data_release(&c);
		return EXIT_FAIL;
	}
	if (c.origin && strstr(c.origin, "xen-cpuid") && !strstr(c.origin, "max policy"))
		log_warn("--guest-max %s is %s, not a Max policy (FILE#pv-max or FILE#hvm-max); "
			 "using it as what Xen gives guests", o->guest_max, c.origin);
	cpuid_data_features(&c, ret);
	cpuid_data_release(&c);
	return EXIT_OK;
}

/* Cuts p to what Xen gives guests (xmax): the host as guests see it is
 * within it too, so the Xen forms never remove what no guest gets. */
static void xen_cut(struct cpuid_policy *p, const struct cpuid_featureset *xmax,
		    struct cpuid_featureset *cut)
{
	cpuid_policy_cut(p, xmax, cut);
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		p->host.w[w] &= xmax->w[w];
}

/* What Xen can give: *xmax less what needs a feature it lacks (Xen drops
 * avx512dq with avx512f); a Max policy of Xen's own is closed already. */
static void xen_closed(struct cpuid_featureset *xmax)
{
	struct cpuid_featureset lacks = *xmax;

	for (size_t f = 0; f < cpuid_nfeatures; f++)
		if (!cpuid_fset_has(&lacks, f)) {
			struct cpuid_featureset dep;

			memset(&dep, 0, sizeof(dep));
			cpuid_deps_dependents(f, &dep);
			for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
				xmax->w[w] &= ~dep.w[w];
		}
}

/* A model policy cut to what Xen gives: the guest is not that model. */
static void tell_model_cut(const struct cpuid_policy *p, const struct cpuid_featureset *cut,
			   enum cpuid_names names, const struct cpuid_opts *o)
{
	struct cpuid_featureset mc;
	struct strbuf sb = STRBUF_INIT;

	if (!p->model)
		return;
	for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
		mc.w[w] = cut->w[w] & p->model->features.w[w];
	if (!cpuid_fset_count(&mc))
		return;
	cpuid_fset_text(&sb, &mc, names, " ", "");
	log_warn("the guest is no %s: Xen gives guests none of %s (--guest-max %s), which the model has",
		 p->model->name, sb.buf, o->guest_max);
	strbuf_release(&sb);
}

/* 1: the spec is wrong. */
int cpuid_render_policy(const struct cpuid_featureset *host, enum cpuid_vendor vendor,
			const struct cpuid_opts *o, struct strbuf *sb)
{
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct strbuf line = STRBUF_INIT, skipped = STRBUF_INIT, note = STRBUF_INIT;
	struct strbuf newer = STRBUF_INIT;
	enum cpuid_names names = target_names[o->target];
	struct cpuid_lvmap lv;
	struct cpuid_qemu qemu;
	struct cpuid_targets tg = { NULL, NULL };
	struct cpuid_featureset cut;
	struct hv_diags err = HV_DIAGS_INIT;
	int rc = EXIT_OK;

	memset(&lv, 0, sizeof(lv));
	memset(&qemu, 0, sizeof(qemu));
	if (o->target == CPUID_FOR_LIBVIRT) {
		if ((rc = load_lvmap(o, &lv)) != EXIT_OK)
			goto out;
		tg.lvmap = &lv;
	}
	if (o->target == CPUID_FOR_QEMU && load_qemu(o, &qemu))
		tg.qemu = &qemu;
	if (cpuid_policy_parse(o->spec, host, p, &err) < 0) {
		(void)log_diags(NULL, &err);
		rc = EXIT_FAIL;
		goto out;
	}
	memset(&cut, 0, sizeof(cut));
	if (kvm_form(o->target)) {
		cpuid_policy_cut(p, &cpuid_guest_kvm, &cut);
	} else if (o->guest_max) {
		struct cpuid_featureset xmax;

		if ((rc = load_guest_max(o, vendor, &xmax)) != EXIT_OK)
			goto out;
		xen_closed(&xmax);
		xen_cut(p, &xmax, &cut);
	}
	if (cpuid_policy_emit(p, (enum cpuid_target)o->target, &tg, &line, &skipped, &err) < 0) {
		(void)log_diags(NULL, &err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (!o->json && o->guest_max && !kvm_form(o->target))
		tell_model_cut(p, &cut, names, o);
	if (!o->json)
		tell_cut(o->target, &cut, names, o);
	/* "-avx2 also removes vaes, vpclmulqdq (they need avx2)", one line per
	 * removed feature that took others with it. */
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		size_t n = 0;

		if (!cpuid_fset_has(&p->off, f))
			continue;
		strbuf_reset(&note);
		for (size_t i = 0; i < cpuid_nfeatures; i++)
			if (cpuid_fset_has(&p->also_off, i) && p->dep_of[i] == f)
				strbuf_addf(&note, "%s%s", n++ ? ", " : "", cpuid_fname(i, names));
		if (n && !o->json)
			cpuid_tell("-%s also removes %s (%s %s)", cpuid_fname(f, names), note.buf,
				 n > 1 ? "they need" : "it needs", cpuid_fname(f, names));
	}
	if (skipped.len && !o->json)
		warn_skipped((enum cpuid_target)o->target, &tg, skipped.buf);
	if (o->target == CPUID_FOR_XL)
		xl_new_names(p, o, &newer, sb);
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", o->spec);
		json_kv_str(&j, "for", target_keys[o->target]);
		json_kv_str(&j, "model", p->model ? p->model->name : "host");
		if (o->target == CPUID_FOR_LIBVIRT)
			json_kv_str(&j, "libvirt_map", lv.source);
		if (tg.qemu)
			qemu_json(&j, tg.qemu);
		json_kv_str(&j, "output", line.buf);
		if (o->guest_max)
			json_kv_str(&j, "guest_max", o->guest_max);
		json_key(&j, "features");
		cpuid_fset_json(&j, &p->result, names, CPUID_LIST_ALL);
		json_key(&j, "also_removed");
		json_arr_open(&j);
		for (size_t i = 0; i < cpuid_nfeatures; i++) {
			if (!cpuid_fset_has(&p->also_off, i))
				continue;
			json_obj_open(&j);
			json_kv_str(&j, "name", cpuid_fname(i, names));
			json_kv_str(&j, "needs", cpuid_fname(p->dep_of[i], names));
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_key(&j, "skipped");
		cpuid_json_words(&j, skipped.buf);
		json_key(&j, "not_guest_visible");
		cpuid_fset_json(&j, &cut, names, CPUID_LIST_ALL);
		if (o->target == CPUID_FOR_XL) {
			json_key(&j, "xl_newer_names");
			cpuid_json_words(&j, newer.buf);
		}
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
	} else {
		if (!kvm_form(o->target))
			xl_cut_comment(sb, &cut, names, o);
		strbuf_addf(sb, "%s\n", line.buf);
	}
out:
	hv_diags_release(&err);
	strbuf_release(&newer);
	strbuf_release(&line);
	strbuf_release(&skipped);
	strbuf_release(&note);
	cpuid_lvmap_release(&lv);
	cpuid_qemu_release(&qemu);
	free(p);
	return rc;
}

/* The Xen forms edit each host's own policy: what they cannot name, they
 * cannot remove (the QEMU and libvirt forms then leave a feature out). */
static bool xen_form(int t)
{
	return t == CPUID_FOR_XL || t == CPUID_FOR_XEND;
}

int cpuid_render_baseline(const struct cpuid_host *h, size_t n, const struct cpuid_opts *o,
			   struct strbuf *sb)
{
	struct cpuid_baseline *b = xmalloc(sizeof(*b));
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct cpuid_featureset *raw = xcalloc(n, sizeof(*raw));
	struct cpuid_summary *sums = xcalloc(n, sizeof(*sums));
	struct strbuf spec = STRBUF_INIT, form[4], skipped[4], newer = STRBUF_INIT;
	struct cpuid_match named;
	struct hv_diags err = HV_DIAGS_INIT;
	struct cpuid_lvmap lv;
	struct cpuid_qemu qemu;
	struct cpuid_targets tg = { NULL, NULL };
	struct cpuid_policy *pq = NULL, *pk = xmalloc(sizeof(*pk));
	struct cpuid_policy *px = xmalloc(sizeof(*px));
	struct cpuid_featureset cut, cutx;
	bool want_lv = o->target < 0 || o->target == CPUID_FOR_LIBVIRT;
	const char *name;
	int rc = EXIT_FAIL;

	memset(&lv, 0, sizeof(lv));
	memset(&qemu, 0, sizeof(qemu));

	for (int t = 0; t < 4; t++) {
		strbuf_init(&form[t]);
		strbuf_init(&skipped[t]);
	}
	for (size_t i = 0; i < n; i++) {
		raw[i] = h[i].raw;
		sums[i] = h[i].s;
	}
	if (cpuid_baseline(raw, sums, n, b, &err) < 0) {
		(void)log_diags(NULL, &err);
		goto out;
	}
	/* The policy, in canonical names; Xen's forms remove from each host
	 * (any of them) what the baseline lacks. */
	cpuid_spec_text(&spec, &b->match, b->match.model->name, CPUID_NAMES_ANY);
	if (cpuid_policy_parse(spec.buf, &b->all, p, &err) < 0) {
		_cleanup_free_ char *what = xasprintf("baseline policy '%s'", spec.buf);

		(void)log_diags(what, &err);
		goto out;
	}
	if (memcmp(&p->result, &b->common, sizeof(p->result)) != 0) {
		log_error("baseline policy '%s' does not give the common features (a bug)", spec.buf);
		goto out;
	}
	/* The QEMU and libvirt forms: what KVM gives a guest. */
	*pk = *p;
	cpuid_policy_cut(pk, &cpuid_guest_kvm, &cut);
	/* The Xen forms: what --guest-max gives Xen's guests. */
	*px = *p;
	memset(&cutx, 0, sizeof(cutx));
	if (o->guest_max) {
		struct cpuid_featureset xmax;

		if (load_guest_max(o, h[0].s.vendor, &xmax) != EXIT_OK)
			goto out;
		/* One Max policy shows what one host's Xen gives: the others'
		 * may give more, so what any host has and the baseline lacks is
		 * still removed (the host side is not cut). */
		xen_closed(&xmax);
		cpuid_policy_cut(px, &xmax, &cutx);
	}
	if (want_lv) {
		if (load_lvmap(o, &lv) != EXIT_OK)
			goto out;
		tg.lvmap = &lv;
	}
	if ((o->target < 0 || o->target == CPUID_FOR_QEMU) && load_qemu(o, &qemu)) {
		tg.qemu = &qemu;
		/* The installed QEMU may lack the model (it is older than hvkit's
		 * table): its own model that fits best (else the closest), plus
		 * the difference. */
		if (!cpuid_qemu_has_model(&qemu, pk->model->name)) {
			const struct cpuid_model *m =
				cpuid_qemu_best_model(&qemu, &pk->result, pk->model->vendor, false);

			if (m) {
				pq = xmalloc(sizeof(*pq));
				*pq = *pk;
				pq->model = m;
				pq->base = m->features;
			}
		}
	}
	for (int t = 0; t < 4; t++)
		if ((t != CPUID_FOR_LIBVIRT || want_lv) &&
		    cpuid_policy_emit(t == CPUID_FOR_QEMU && pq ? pq : kvm_form(t) ? pk : px,
				      (enum cpuid_target)t, &tg,
				      &form[t], &skipped[t], &err) < 0) {
			(void)log_diags(NULL, &err);
			goto out;
		}
	if (o->target != CPUID_FOR_XL || o->json)
		cpuid_policy_xl_new_names(px, &newer);
	named = b->match;
	name = cpuid_closest_named(&named, o->names);
	strbuf_reset(&spec);
	cpuid_spec_text(&spec, &named, name, o->names);
	if (o->target >= 0 && !o->json) {
		if (skipped[o->target].len && xen_form(o->target))
			log_warn("%s cannot remove: %s; a guest on a host that has them sees them: "
				 "not migration-safe in this form", target_keys[o->target],
				 skipped[o->target].buf);
		else if (skipped[o->target].len)
			warn_skipped((enum cpuid_target)o->target, &tg, skipped[o->target].buf);
		tell_cut(o->target, kvm_form(o->target) ? &cut : &cutx, target_names[o->target], o);
		if (o->target == CPUID_FOR_XL)
			xl_new_names(px, o, &newer, sb);
		if (xen_form(o->target))
			xl_cut_comment(sb, &cutx, target_names[o->target], o);
		strbuf_addf(sb, "%s\n", form[o->target].buf);
		rc = EXIT_OK;
		goto out;
	}
	if (o->json) {
		struct json j;

		json_init(&j, sb, o->pretty);
		json_obj_open(&j);
		json_kv_str(&j, "spec", spec.buf);
		json_key(&j, "closest");
		cpuid_closest_json(&j, &named, name, o->names);
		json_key(&j, "features");
		cpuid_fset_json(&j, &b->common, o->names, CPUID_LIST_ALL);
		json_key(&j, "hosts");
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			struct cpuid_featureset m = h[i].raw, lacks;

			cpuid_fset_migratable(&m);
			for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
				lacks.w[w] = b->all.w[w] & ~m.w[w];
			json_obj_open(&j);
			json_kv_str(&j, "host", h[i].path);
			json_kv_str(&j, "vendor", cpuid_vendor_name(h[i].s.vendor));
			json_kv_u64(&j, "family", h[i].s.family);
			json_kv_u64(&j, "model", h[i].s.model);
			json_kv_u64(&j, "stepping", h[i].s.stepping);
			json_key(&j, "lacks");
			cpuid_fset_json(&j, &lacks, o->names, CPUID_LIST_ALL);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_key(&j, "policies");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++)
			json_kv_str(&j, target_keys[t], form[t].buf);
		json_obj_close(&j);
		if (want_lv)
			json_kv_str(&j, "libvirt_map", lv.source);
		if (o->guest_max)
			json_kv_str(&j, "guest_max", o->guest_max);
		if (tg.qemu)
			qemu_json(&j, tg.qemu);
		json_key(&j, "skipped");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++) {
			json_key(&j, target_keys[t]);
			cpuid_json_words(&j, skipped[t].buf);
		}
		json_obj_close(&j);
		json_key(&j, "xl_newer_names");
		cpuid_json_words(&j, newer.buf);
		/* what the form leaves out because the target's guests never get it */
		json_key(&j, "not_guest_visible");
		json_obj_open(&j);
		for (int t = 0; t < 4; t++) {
			struct cpuid_featureset none;

			memset(&none, 0, sizeof(none));
			json_key(&j, target_keys[t]);
			cpuid_fset_json(&j, kvm_form(t) ? &cut : o->guest_max ? &cutx : &none, o->names,
					CPUID_LIST_ALL);
		}
		json_obj_close(&j);
		json_obj_close(&j);
		strbuf_addc(sb, '\n');
		rc = EXIT_OK;
		goto out;
	}
	strbuf_addf(sb, "hosts:     %zu, %s family %u; every one can run %zu features\n", n,
		    cpuid_vendor_name(h[0].s.vendor), h[b->limiter].s.family,
		    cpuid_fset_count(&b->common));
	for (size_t i = 0; i < n; i++) {
		struct cpuid_featureset m = h[i].raw, lacks;

		cpuid_fset_migratable(&m);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
			lacks.w[w] = b->all.w[w] & ~m.w[w];
		strbuf_addf(sb, "  %s: model %u stepping %u%s%s, lacks ", h[i].path,
			    h[i].s.model, h[i].s.stepping, h[i].s.uarch ? ", " : "",
			    h[i].s.uarch ? h[i].s.uarch : "");
		cpuid_fset_text(sb, &lacks, o->names, " ", "nothing the others have");
		strbuf_addc(sb, '\n');
	}
	cpuid_closest_text(sb, &named, name, o->names, "some host lacks");
	for (int t = 0; t < 4; t++) {
		if (t == CPUID_FOR_LIBVIRT)
			strbuf_addf(sb, "libvirt:\n%s\n", form[t].buf);
		else
			strbuf_addf(sb, "%-10s %s\n", t == CPUID_FOR_XL ? "xl:" :
				    t == CPUID_FOR_XEND ? "xl-xend:" : "qemu:", form[t].buf);
		if (skipped[t].len)
			strbuf_addf(sb, xen_form(t) ? "  (%s cannot remove: %s; a guest on a host that has "
				    "them sees them: not migration-safe in this form)\n" :
				    "  (%s has no name for: %s; the guest lacks them)\n",
				    target_keys[t], skipped[t].buf);
		if (t == CPUID_FOR_XL && newer.len)
			strbuf_addf(sb, "  (Xen 4.17.0's libxl does not know: %s; it leaves them as the "
				    "host has them: needs Xen 4.18+ or a 4.17 update with its "
				    "cpufeatureset.h names)\n", newer.buf);
		if (cpuid_fset_count(kvm_form(t) ? &cut : &cutx)) {
			char whom[512];

			strbuf_addf(sb, "  (not given to %s: ", cut_whom(t, o, whom, sizeof(whom)));
			cpuid_fset_text(sb, kvm_form(t) ? &cut : &cutx, o->names, " ", "");
			strbuf_adds(sb, ")\n");
		}
	}
	rc = EXIT_OK;
out:
	hv_diags_release(&err);
	for (int t = 0; t < 4; t++) {
		strbuf_release(&form[t]);
		strbuf_release(&skipped[t]);
	}
	strbuf_release(&spec);
	strbuf_release(&newer);
	cpuid_lvmap_release(&lv);
	cpuid_qemu_release(&qemu);
	free(pq);
	free(pk);
	free(px);
	free(raw);
	free(sums);
	free(p);
	free(b);
	return rc;
}

int cpuid_render_model_policy(const struct cpuid_data *c, const struct cpuid_opts *o,
			      struct strbuf *sb)
{
	struct cpuid_opts po = *o;
	struct cpuid_featureset host;
	struct strbuf spec = STRBUF_INIT;
	struct cpuid_match m;
	struct cpuid_summary s;
	int rc;

	cpuid_summarize(c, &s);
	if (cpuid_model_closest(c, &m) < 0) {
		log_error("no model of vendor %s in the table", cpuid_vendor_name(s.vendor));
		return EXIT_FAIL;
	}
	/* closest + plus - minus, in canonical names: this CPU as a policy */
	cpuid_spec_text(&spec, &m, m.model->name, CPUID_NAMES_ANY);
	cpuid_data_features(c, &host);
	po.spec = spec.buf;
	rc = cpuid_render_policy(&host, s.vendor, &po, sb);
	strbuf_release(&spec);
	return rc;
}
