/* SPDX-License-Identifier: MIT */
/* A policy for its target: xl.cfg (libxl and xend forms), QEMU -cpu,
 * libvirt <cpu>.  Library code: appends to a strbuf, never prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpuid-models.h"
#include "util.h"

static void skip(struct strbuf *skipped, size_t f)
{
	if (skipped)
		strbuf_addf(skipped, "%s%s", skipped->len ? " " : "", cpuid_features[f].name);
}

/*
 * The bits a Xen policy forces: *set0 cleared, *set1 set, on top of the
 * host's own policy.  For `host,...` the explicit edits and what the
 * removals took with them; for a model, the host's features a model can
 * hold that the policy lacks (Xen has no models: a model is the host less
 * what the model does not have).
 */
static int xen_edits(const struct cpuid_policy *p, struct cpuid_featureset *set0,
		     struct cpuid_featureset *set1, struct hv_diags *diags)
{
	memset(set0, 0, sizeof(*set0));
	memset(set1, 0, sizeof(*set1));
	if (!p->model) {
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			set0->w[w] = p->off.w[w] | p->also_off.w[w];
			set1->w[w] = p->on.w[w];
		}
		return 0;
	}
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		if (cpuid_fset_has(&p->result, f) && !cpuid_fset_has(&p->host, f))
			return hv_errorf(diags, "this host lacks '%s', which the policy needs: "
				    "Xen cannot give a guest what the host does not have",
				    cpuid_features[f].name);
		if (cpuid_fset_has(&p->host, f) && cpuid_feature_modelable(f) &&
		    !cpuid_fset_has(&p->result, f))
			cpuid_fset_add(set0, f);
	}
	return 0;
}

/* Leaves whose subleaf is part of the address (libxl's table and the SDM). */
static bool leaf_has_subleaf(uint32_t leaf)
{
	static const uint32_t with[] = { 0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17,
		0x18, 0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24, 0x8000001d, 0x80000020,
		0x80000026 };

	for (size_t i = 0; i < ARRAY_SIZE(with); i++)
		if (with[i] == leaf)
			return true;
	return false;
}

static void emit_xl(const struct cpuid_featureset *set0, const struct cpuid_featureset *set1,
		    struct strbuf *out, struct strbuf *skipped)
{
	strbuf_adds(out, "cpuid = \"host");
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		bool z = cpuid_fset_has(set0, f), o = cpuid_fset_has(set1, f);
		const char *n = cpuid_features[f].names[CPUID_NAMES_XEN];

		if (!z && !o)
			continue;
		if (!n) {
			skip(skipped, f);
			continue;
		}
		strbuf_addf(out, ",%s=%c", n, o ? '1' : '0');
	}
	strbuf_adds(out, "\"");
}

static void emit_xend(const struct cpuid_featureset *set0, const struct cpuid_featureset *set1,
		      struct strbuf *out, struct strbuf *skipped)
{
	static const char regs[] = "abcd";
	size_t nent = 0;

	strbuf_adds(out, "cpuid = [");
	/* cpuid_features[] is sorted by (kind, leaf, subleaf, reg, bit): one
	 * string per (leaf, subleaf), one 32-character mask per register. */
	for (size_t f = 0; f < cpuid_nfeatures;) {
		const struct cpuid_feature *a = &cpuid_features[f];
		char mask[4][33];
		bool used[4] = { false };
		size_t g = f;

		if (a->kind != CPUID_FEAT_CPUID) {
			if (cpuid_fset_has(set0, f) || cpuid_fset_has(set1, f))
				skip(skipped, f);
			f++;
			continue;
		}
		for (int r = 0; r < 4; r++) {
			memset(mask[r], 'x', 32);
			mask[r][32] = '\0';
		}
		for (; g < cpuid_nfeatures && cpuid_features[g].kind == a->kind &&
		       cpuid_features[g].leaf == a->leaf && cpuid_features[g].subleaf == a->subleaf; g++) {
			const struct cpuid_feature *b = &cpuid_features[g];
			bool z = cpuid_fset_has(set0, g), o = cpuid_fset_has(set1, g);

			if (!z && !o)
				continue;
			mask[b->reg][31 - b->bit] = o ? '1' : '0';
			used[b->reg] = true;
		}
		if (used[0] || used[1] || used[2] || used[3]) {
			bool first = true;

			strbuf_addf(out, "%s \"0x%x", nent++ ? "," : "", a->leaf);
			if (leaf_has_subleaf(a->leaf))
				strbuf_addf(out, ",%u", a->subleaf);
			strbuf_addc(out, ':');
			for (int r = 0; r < 4; r++) {
				if (!used[r])
					continue;
				strbuf_addf(out, "%se%cx=%s", first ? "" : ",", regs[r], mask[r]);
				first = false;
			}
			strbuf_addc(out, '"');
		}
		f = g;
	}
	strbuf_adds(out, nent ? " ]" : "]");
}

static int emit_qemu(const struct cpuid_policy *p, const struct cpuid_qemu *q,
		     struct strbuf *out, struct strbuf *skipped, struct hv_diags *diags)
{
	if (q && p->model && !cpuid_qemu_has_model(q, p->model->name)) {
		const struct cpuid_model *m = cpuid_qemu_best_model(q, &p->result, p->model->vendor, true);

		if (m)
			return hv_errorf(diags, "QEMU %s (%s) has no CPU model '%s'; the newest of its models "
				    "that fits is '%s'", q->version, q->binary, p->model->name, m->name);
		return hv_errorf(diags, "QEMU %s (%s) has no CPU model '%s', nor any %s model that fits",
			    q->version, q->binary, p->model->name, cpuid_vendor_name(p->model->vendor));
	}
	strbuf_addf(out, "-cpu %s", p->model ? p->model->name : "host");
	for (int pass = 0; pass < 2; pass++) {
		for (size_t f = 0; f < cpuid_nfeatures; f++) {
			const char *n = cpuid_features[f].names[CPUID_NAMES_QEMU];
			bool add, del;

			if (p->model) {
				add = cpuid_fset_has(&p->result, f) && !cpuid_fset_has(&p->base, f);
				del = !cpuid_fset_has(&p->result, f) && cpuid_fset_has(&p->base, f);
			} else {
				add = cpuid_fset_has(&p->on, f);
				del = cpuid_fset_has(&p->off, f) || cpuid_fset_has(&p->also_off, f);
			}
			if (pass == 0 ? !add : !del)
				continue;
			/* A property this QEMU lacks is refused by it: for a removal
			 * it has nothing to remove (it never sets the bit). */
			if (q && !cpuid_fset_has(&q->flags, f)) {
				if (pass == 0)
					skip(skipped, f);
				continue;
			}
			if (!n) {
				skip(skipped, f);
				continue;
			}
			strbuf_addf(out, ",%c%s", pass == 0 ? '+' : '-', n);
		}
	}
	return 0;
}

/* Is candidate a (r removals, cost c) better than b (NULL: anything is)?
 * Lowest cost first (an addition 1, a removal 3: a model the CPU runs
 * unchanged wins unless it needs three times the edits), then runnable,
 * then the vendor's own model over a generic one, then the CPU's family,
 * then the later one in the map. */
static bool lv_better(const struct cpuid_lvmodel *a, size_t ra, size_t ca,
		      const struct cpuid_lvmodel *b, size_t rb, size_t cb,
		      enum cpuid_vendor v, unsigned family)
{
	if (!b)
		return true;
	if (ca != cb)
		return ca < cb;
	if ((ra == 0) != (rb == 0))
		return ra == 0;
	if ((a->vendor == v) != (b->vendor == v))
		return a->vendor == v;
	if ((a->family == family) != (b->family == family))
		return a->family == family;
	return true;	/* later in the map: newer */
}

const struct cpuid_lvmodel *cpuid_lvmap_closest(const struct cpuid_lvmap *lv,
						const struct cpuid_featureset *want,
						enum cpuid_vendor v, unsigned family)
{
	const struct cpuid_lvmodel *best = NULL;
	size_t br = 0, be = 0;

	for (size_t i = 0; i < lv->nmodels; i++) {
		const struct cpuid_lvmodel *m = &lv->models[i];
		size_t r = 0, e;

		if (m->vendor != v && m->vendor != CPUID_VENDOR_UNKNOWN)
			continue;
		e = 0;
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			r += (size_t)__builtin_popcountll(m->features.w[w] & ~want->w[w]);
			e += (size_t)__builtin_popcountll(want->w[w] & ~m->features.w[w]);
		}
		/* each feature hvkit cannot see is disabled: a removal */
		for (const char *u = m->unknown; *u; u++)
			if (u == m->unknown || u[-1] == ' ')
				r++;
		e += 3 * r;
		if (lv_better(m, r, e, best, br, be, v, family)) {
			best = m;
			br = r;
			be = e;
		}
	}
	return best;
}

/* An XML comment's text may not hold "--": spelled "- -" there. */
static void xml_comment_text(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		strbuf_addc(out, *s);
		if (*s == '-' && (s[1] == '-' || s[1] == '\0'))
			strbuf_addc(out, ' ');
	}
}

static int emit_libvirt(const struct cpuid_policy *p, const struct cpuid_lvmap *lv,
			struct strbuf *out, struct strbuf *skipped, struct hv_diags *diags)
{
	const struct cpuid_lvmodel *m = NULL;
	struct cpuid_featureset want, add, del, lost;
	struct strbuf lostnames = STRBUF_INIT;

	if (!lv)
		return hv_errorf(diags, "no libvirt cpu_map to compute the <cpu> with");
	memset(&lost, 0, sizeof(lost));
	if (p->model) {
		/* The guest gets exactly `want`: what libvirt can name. */
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			want.w[w] = p->result.w[w] & lv->known.w[w];
			lost.w[w] = p->result.w[w] & ~lv->known.w[w];
		}
		m = cpuid_lvmap_closest(lv, &want, p->model->vendor, p->model->family);
		if (!m)
			return hv_errorf(diags, "libvirt's cpu_map (%s) has no %s model", lv->source,
				    cpuid_vendor_name(p->model->vendor));
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			add.w[w] = want.w[w] & ~m->features.w[w];
			del.w[w] = m->features.w[w] & ~want.w[w];
		}
	} else {
		/* host-passthrough: the host's features, with the edits libvirt
		 * can name; an edit it cannot name is not made. */
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			add.w[w] = p->on.w[w] & lv->known.w[w];
			del.w[w] = (p->off.w[w] | p->also_off.w[w]) & lv->known.w[w];
			lost.w[w] = (p->on.w[w] | p->off.w[w] | p->also_off.w[w]) & ~lv->known.w[w];
		}
	}
	for (size_t f = 0; f < cpuid_nfeatures; f++)
		if (cpuid_fset_has(&lost, f)) {
			skip(skipped, f);
			strbuf_addf(&lostnames, "%s%s", lostnames.len ? " " : "", cpuid_features[f].name);
		}
	strbuf_adds(out, m ? "<cpu mode='custom' match='exact'>\n" : "<cpu mode='host-passthrough'>\n");
	if (lostnames.len) {
		strbuf_adds(out, "  <!-- libvirt's cpu_map (");
		xml_comment_text(out, lv->source);
		strbuf_adds(out, ") has no name for: ");
		xml_comment_text(out, lostnames.buf);
		strbuf_adds(out, m ? "; a guest of this <cpu> lacks them -->\n" :
			    "; left as the host has them -->\n");
	}
	strbuf_release(&lostnames);
	if (m)
		strbuf_addf(out, "  <model fallback='forbid'>%s</model>\n", m->name);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t f = 0; f < cpuid_nfeatures; f++)
			if (cpuid_fset_has(pass == 0 ? &add : &del, f))
				strbuf_addf(out, "  <feature policy='%s' name='%s'/>\n",
					    pass == 0 ? "require" : "disable", lv->names[f]);
		/* the model's features hvkit has no bit for: not asked for */
		if (pass == 1 && m)
			for (const char *u = m->unknown; *u;) {
				size_t n = strcspn(u, " ");

				strbuf_addf(out, "  <feature policy='disable' name='%.*s'/>\n", (int)n, u);
				u += n + (u[n] == ' ');
			}
	}
	strbuf_adds(out, "</cpu>");
	return 0;
}

void cpuid_policy_xl_new_names(const struct cpuid_policy *p, struct strbuf *names)
{
	struct cpuid_featureset set0, set1;
	if (xen_edits(p, &set0, &set1, NULL) < 0)
		return;
	for (size_t f = 0; f < cpuid_nfeatures; f++)
		if ((cpuid_fset_has(&set0, f) || cpuid_fset_has(&set1, f)) &&
		    cpuid_features[f].xen_new && cpuid_features[f].names[CPUID_NAMES_XEN])
			strbuf_addf(names, "%s%s", names->len ? " " : "",
				    cpuid_features[f].names[CPUID_NAMES_XEN]);
}

int cpuid_policy_emit(const struct cpuid_policy *p, enum cpuid_target t,
		      const struct cpuid_targets *tg, struct strbuf *out, struct strbuf *skipped,
		      struct hv_diags *diags)
{
	struct cpuid_featureset set0, set1;
	int rc;

	switch (t) {
	case CPUID_FOR_XL:
	case CPUID_FOR_XEND:
		rc = xen_edits(p, &set0, &set1, diags);
		if (rc < 0)
			return rc;
		if (t == CPUID_FOR_XL)
			emit_xl(&set0, &set1, out, skipped);
		else
			emit_xend(&set0, &set1, out, skipped);
		return 0;
	case CPUID_FOR_QEMU:
		return emit_qemu(p, tg ? tg->qemu : NULL, out, skipped, diags);
	case CPUID_FOR_LIBVIRT:
		return emit_libvirt(p, tg ? tg->lvmap : NULL, out, skipped, diags);
	}
	return hv_errorf(diags, "unknown target");
}
