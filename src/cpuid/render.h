/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid`'s renderers, by family: what one CPU says (render-cpu.c),
 * models (render-model.c), policies and baselines (render-policy.c), and
 * compare (render-compare.c); their shared pieces in render.c.  cmd.c
 * parses the options, reads the input and picks one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-decode.h"
#include "cpuid-models.h"
#include "cpuid-views.h"
#include "json.h"
#include "strbuf.h"

enum cpuid_verb {
	VERB_SUMMARY, VERB_DECODE, VERB_FEATURES, VERB_DUMP, VERB_MODELS, VERB_MODEL,
	VERB_POLICY, VERB_BASELINE, VERB_COMPARE,
};

struct cpuid_opts {
	enum cpuid_verb verb;
	const char *from;
	const char *sysroot;	/* --sysroot: the kernel's view is read under it */
	enum cpuid_view view;
	bool view_set;
	const char *output;
	const char *spec;
	int target;
	char **files;		/* baseline, compare: the hosts' dumps */
	size_t nfiles;
	unsigned long repeat;	/* hidden --repeat N: run N times, report the time */
	bool json, pretty, raw, verbose, names_set;
	enum cpuid_names names;
	const char *libvirt_map;	/* --libvirt-map DIR; NULL: installed, else built in */
	const char *qemu;		/* --qemu BINARY|none; NULL: qemu-system-x86_64 */
	const char *guest_max;		/* --guest-max FILE: what Xen gives guests */
};

/* One host of baseline or compare: its dump's path, features, signature. */
struct cpuid_host {
	const char *path;
	struct cpuid_featureset raw;
	struct cpuid_summary s;
	bool unread_msr[2];	/* cpuid_host_msrs: enumerated, no value */
};

/* The MSRs whose feature bits a host's dump may lack: 0x10a, 0xcf. */
extern const uint32_t cpuid_host_msrs[2];

/* ---- render.c: pieces every family uses ---- */

/* What a command did beyond its output, on stderr: "hvkit: note: ...". */
__attribute__((format(printf, 1, 2))) void cpuid_tell(const char *fmt, ...);
/* Whether feature i of fs is already in a list of fs by its name. */
bool cpuid_named_before(const struct cpuid_featureset *fs, size_t i, enum cpuid_names names);
/* A feature's name in `names`, or its canonical name when it has none. */
const char *cpuid_fname(size_t i, enum cpuid_names names);
/* A JSON array of the space-separated words of s. */
void cpuid_json_words(struct json *j, const char *s);

/* Which features of a set a list shows. */
enum cpuid_list {
	CPUID_LIST_ALL,		/* each in `names`, else by its canonical name */
	CPUID_LIST_NAMED,	/* those `names` has a name for */
	CPUID_LIST_UNNAMED,	/* the others, by their canonical names */
};
/* The features of fs as a JSON array of names. */
void cpuid_fset_json(struct json *j, const struct cpuid_featureset *fs,
		     enum cpuid_names names, enum cpuid_list which);
/* The features of fs (CPUID_LIST_ALL) joined by sep; `none` when empty. */
void cpuid_fset_text(struct strbuf *sb, const struct cpuid_featureset *fs,
		     enum cpuid_names names, const char *sep, const char *none);

/* ---- render-cpu.c: one CPU ---- */

/* views: the two views of this CPU, NULL for a dump. */
void cpuid_render_summary(const struct cpuid_data *c, const struct cpuid_views *views,
			  const struct cpuid_opts *o, struct strbuf *sb);
void cpuid_render_features(const struct cpuid_data *c, const struct cpuid_opts *o,
			   struct strbuf *sb);
void cpuid_render_decode(const struct cpuid_data *c, const struct cpuid_opts *o,
			 struct strbuf *sb);
void cpuid_render_dump(const struct cpuid_data *c, const struct cpuid_opts *o,
		       struct strbuf *sb);

/* ---- render-model.c: models and the closest one ---- */

void cpuid_render_models(const struct cpuid_opts *o, struct strbuf *sb);
void cpuid_render_model(const struct cpuid_data *c, const struct cpuid_opts *o,
			struct strbuf *sb);
/* The closest model's name as `names` knows it; rewrites m->plus and
 * m->minus against what that name means to the reader's tool. */
const char *cpuid_closest_named(struct cpuid_match *m, enum cpuid_names names);
/* The "closest" object of model and baseline --json. */
void cpuid_closest_json(struct json *j, const struct cpuid_match *m, const char *name,
			enum cpuid_names names);
/* The closest-model lines of model and baseline. */
void cpuid_closest_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
			enum cpuid_names names, const char *lacks_what);
/* "MODEL,+f,-g" in `names`' spelling. */
void cpuid_spec_text(struct strbuf *sb, const struct cpuid_match *m, const char *name,
		     enum cpuid_names names);

/* ---- render-policy.c: policy and baseline; return an exit status ---- */

/* host: this CPU's (or --from's) features, for host and Xen specs; vendor:
 * its vendor (--guest-max of another vendor is an error), or
 * CPUID_VENDOR_UNKNOWN when no CPU was read. */
int cpuid_render_policy(const struct cpuid_featureset *host, enum cpuid_vendor vendor,
			const struct cpuid_opts *o, struct strbuf *sb);
/* model --for TARGET: this CPU's closest model + edits as a policy. */
int cpuid_render_model_policy(const struct cpuid_data *c, const struct cpuid_opts *o,
			      struct strbuf *sb);
int cpuid_render_baseline(const struct cpuid_host *h, size_t n, const struct cpuid_opts *o,
			  struct strbuf *sb);

/* ---- render-compare.c ---- */

/* EXIT_OK when every host can run o->spec, else EXIT_FAIL. */
int cpuid_render_compare(const struct cpuid_host *h, size_t n, const struct cpuid_opts *o,
			 struct strbuf *sb);

/* ---- render-saved.c ---- */

/*
 * compare SAVED_IMAGE HOST...: reads the saved image o->spec and each host
 * of o->files (`xen-cpuid -p` output: its PV Max or HVM Max policy, by the
 * guest's type), renders per host whether the guest can be restored
 * there, and returns EXIT_OK when every host can, EXIT_FAIL when one
 * cannot or an input cannot be read (the reason logged; sb then empty).
 */
int cpuid_render_compare_saved(const struct cpuid_opts *o, struct strbuf *sb);
