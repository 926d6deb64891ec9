/* SPDX-License-Identifier: MIT */
/* CPU models (generated from models.csv), feature dependencies (deps.csv),
 * the closest model of a CPU, the policy language and its emitters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-features.h"
#include "cpuid-lvmap.h"
#include "cpuid-qemu.h"
#include "diag.h"
#include "strbuf.h"

/*
 * One QEMU model version.  name is the versioned name ("Skylake-Server-v4"),
 * base the unversioned one, alias QEMU's other name for this version
 * ("Skylake-Server-IBRS") and libvirt the libvirt 9.0 model of the same
 * definition, each NULL when absent.  stepping is -1 when unknown.  A
 * pending model is listed but its features are not in the table yet: it
 * is never chosen, and a policy cannot name it.  libvirt_features is what
 * libvirt's model of that name holds (it differs from QEMU's for a few).
 */
struct cpuid_model {
	const char *name, *base, *alias, *libvirt;
	unsigned version;
	enum cpuid_vendor vendor;
	unsigned family, model;
	int stepping;
	bool pending;
	struct cpuid_featureset features;
	struct cpuid_featureset libvirt_features;
};

extern const struct cpuid_model cpuid_models[];
extern const size_t cpuid_nmodels;

/*
 * The model a name means: a versioned name, an alias, a libvirt 9.0 name,
 * or an unversioned name (version 1, as QEMU resolves it); case-insensitive.
 * NULL when unknown.
 */
const struct cpuid_model *cpuid_model_lookup(const char *name);

/* The name `names` knows the model by: libvirt's unversioned name for
 * CPUID_NAMES_LIBVIRT (NULL when libvirt 9.0 lacks the model), else the
 * versioned QEMU name. */
const char *cpuid_model_name(const struct cpuid_model *m, enum cpuid_names names);

/* ---- dependencies ---- */

enum cpuid_dep_source { CPUID_DEP_XEN = 1, CPUID_DEP_QEMU = 2, CPUID_DEP_BOTH = 3 };

/* dependent needs `needs` (indices into cpuid_features[]). */
struct cpuid_dep {
	uint16_t needs, dependent;
	uint8_t source;
};

extern const struct cpuid_dep cpuid_deps[];
extern const size_t cpuid_ndeps;

/* Every feature that needs f, directly or through others, into *ret. */
void cpuid_deps_dependents(size_t f, struct cpuid_featureset *ret);

/*
 * The features a model can hold: those QEMU names, less those a guest's
 * OS or hypervisor decides (hypervisor, osxsave, ospke) and invtsc, which
 * migration cannot keep, and less any feature whose prerequisite (deps.csv)
 * is absent, since neither Xen nor QEMU passes it on.  Restricts *s to them.
 */
void cpuid_fset_migratable(struct cpuid_featureset *s);

/* True when a model can hold feature f (the first part of the rule above). */
bool cpuid_feature_modelable(size_t f);

/* ---- the closest model ---- */

/*
 * The closest model of a CPU: same vendor; a model of the CPU's family
 * when one fits; only models the CPU can run (every model feature
 * present); fewest added features.  Ties go to the model whose model
 * number is the CPU's, then to the later version.  When no model fits,
 * the one with the fewest edits (added plus removed) is taken and
 * minus is not empty.  model + plus - minus == the CPU's migratable
 * features.  why is a one-line reason; blocker, when not NULL, is a
 * model of the vendor richer than the choice that the CPU just misses
 * (at most 10 missing; most present, a missing one weighing four), with
 * `blocked_by` what it lacks.
 */
struct cpuid_match {
	const struct cpuid_model *model;
	struct cpuid_featureset cpu, plus, minus;
	size_t nplus, nminus, ncandidates;
	const struct cpuid_model *blocker;
	struct cpuid_featureset blocked_by;
	char why[320];
};

/* Returns 0, or -ENOENT when no model has the CPU's vendor. */
int cpuid_model_closest(const struct cpuid_data *c, struct cpuid_match *ret);
/* The same from a feature set and a signature. */
int cpuid_model_closest_fset(const struct cpuid_featureset *cpu, enum cpuid_vendor v,
			     unsigned family, unsigned model, struct cpuid_match *ret);

/* ---- several hosts ---- */

/*
 * What a host can run, for comparing with a model or policy: the host's
 * migratable features (cpuid_fset_migratable()) plus those a model cannot
 * hold but a policy may ask for (invtsc, ...), from its raw feature set.
 */
void cpuid_fset_runnable(const struct cpuid_featureset *raw, struct cpuid_featureset *ret);

/*
 * The baseline of n hosts: common is what every one of them can run (the
 * intersection of their migratable features, closed under the
 * dependencies), all their union.  match is the closest model of common
 * by cpuid_model_closest_fset()'s rules, for the family and model number
 * of the oldest host (lowest family, then fewest features), whose index
 * is limiter; model + plus - minus == common.
 */
struct cpuid_baseline {
	struct cpuid_featureset common, all;
	struct cpuid_match match;
	size_t limiter;
};

/*
 * cpus[i] is host i's features (cpuid_data_features()), sums[i] its
 * summary.  Returns 0, or -EINVAL (no hosts, hosts of different vendors)
 * or -ENOENT (no model of the vendor) with the reason added to *diags; *ret only written
 * on success.
 */
int cpuid_baseline(const struct cpuid_featureset *cpus, const struct cpuid_summary *sums,
		   size_t n, struct cpuid_baseline *ret, struct hv_diags *diags);

/*
 * Why feature f is a usual reason for one host to lack what another of
 * the same CPU has (TSX turned off by microcode, a mitigation bit only
 * newer microcode reports), or NULL.  A static string.
 */
const char *cpuid_feature_culprit(size_t f);

/* ---- policies ---- */

/*
 * A policy: `host` or a model, with edits.  result is what the guest
 * gets: base, with `on` added and `off` removed, then every feature that
 * needs a removed one removed too (also_off holds those, with dep_of[i]
 * the removed feature that took feature i away).  host is the CPU the
 * policy is for (--from or this one); for a model policy it is also what
 * Xen output is computed against.
 */
struct cpuid_policy {
	const struct cpuid_model *model;	/* NULL: host */
	struct cpuid_featureset host, base, on, off, also_off, result;
	uint16_t dep_of[CPUID_NFEATURES];
};

/*
 * Parses SPEC: MODEL or "host", then comma-separated edits "+feat",
 * "-feat", "feat=on|off" (also "feat=1|0", Xen's spelling), a feature in
 * any project's spelling.  host is the CPU's full feature set.  Returns 0,
 * or -EINVAL with the reason added to *diags: an unknown model or feature (with the
 * closest known spellings), a feature both added and removed, a feature
 * added without its prerequisite ("cannot add 'vaes': it needs 'avx2'").
 * *ret is only written on success.
 */
int cpuid_policy_parse(const char *spec, const struct cpuid_featureset *host,
		       struct cpuid_policy *ret, struct hv_diags *diags);

/*
 * What Linux's KVM can give a guest (guest-kvm.csv): the features the
 * QEMU and libvirt forms of a policy may ask for.
 */
extern const struct cpuid_featureset cpuid_guest_kvm;

/*
 * Cuts policy p to what a guest can be given, *guest: the result and the
 * edits lose every feature outside it, so that no form asks for one.
 * *cut gets the features the result loses.  A model's own features
 * outside *guest stay in base: a form removes them from the model.
 */
void cpuid_policy_cut(struct cpuid_policy *p, const struct cpuid_featureset *guest,
		      struct cpuid_featureset *cut);

enum cpuid_target { CPUID_FOR_XL, CPUID_FOR_XEND, CPUID_FOR_QEMU, CPUID_FOR_LIBVIRT };

/* "xl", "xl-xend", "qemu", "libvirt" -> enum; -1 for anything else. */
int cpuid_target_parse(const char *s);

/* What the targets themselves define, for cpuid_policy_emit(). */
struct cpuid_targets {
	const struct cpuid_lvmap *lvmap;	/* libvirt's cpu_map: needed for libvirt */
	const struct cpuid_qemu *qemu;		/* the installed QEMU; NULL: QEMU 10.2's names */
};

/*
 * Appends the policy for target t to *out, without a final newline for
 * one-line forms: `cpuid = "host,avx2=0,..."`, `cpuid = [ "0x7,0:ebx=...",
 * ... ]`, `-cpu MODEL,+f,-g`, a libvirt <cpu> element.  Features the target
 * has no name for are appended to *skipped (space-separated canonical
 * names; the caller reports them).  Returns 0, or -EINVAL with the reason added to *diags
 * when the target cannot express the policy (a model feature the host
 * lacks, for Xen; a model the installed QEMU lacks, naming the newest of
 * its models that fits; no libvirt map, or no model of the vendor in it).
 *
 * tg may be NULL for the Xen forms.  For QEMU, with tg->qemu, a feature
 * that QEMU has no property for is skipped.  The libvirt form is computed
 * with tg->lvmap, libvirt's own cpu_map: the model is the map's closest
 * to the result (cpuid_lvmap_closest()), the <feature> edits are relative
 * to the map's definition of that model, and only the map's names are
 * used, so that libvirt expands the <cpu> to exactly the result less what
 * the map cannot name.  What it cannot name is in *skipped and in an XML
 * comment of the <cpu>.
 */
int cpuid_policy_emit(const struct cpuid_policy *p, enum cpuid_target t,
		      const struct cpuid_targets *tg, struct strbuf *out, struct strbuf *skipped,
		      struct hv_diags *diags);

/*
 * The names the xl form of p writes that Xen 4.17.0's libxl does not know
 * (cpuid_feature.xen_new), space-separated into *names: such a libxl says
 * "unknown CPUID flag name" and leaves the bit as the host has it.
 */
void cpuid_policy_xl_new_names(const struct cpuid_policy *p, struct strbuf *names);

/*
 * The model of libvirt's map lv to write for a guest of exactly the
 * features *want (bits lv names): of vendor v or of none; the fewest
 * edits, a removal weighing three additions (a model feature hvkit has no
 * bit for counts as a removal), so that a model the CPU runs unchanged is
 * taken unless it needs three times the edits (Skylake-Server-v4, which
 * lacks mpx, stays a Skylake less mpx rather than Broadwell plus 16);
 * then one the CPU runs, the vendor's own model, the model of CPU family
 * `family`, the later one in the map.  NULL when lv has no candidate.
 */
const struct cpuid_lvmodel *cpuid_lvmap_closest(const struct cpuid_lvmap *lv,
						const struct cpuid_featureset *want,
						enum cpuid_vendor v, unsigned family);
