/* SPDX-License-Identifier: MIT */
/* libvirt's own CPU map (the XML files of cpu_map/): feature names, models. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-decode.h"
#include "cpuid-features.h"
#include "diag.h"

/*
 * libvirt expands a model name with its own cpu_map, not with QEMU's
 * definitions, and refuses a feature name that map does not know
 * ("Unknown CPU feature").  The libvirt <cpu> is therefore computed from
 * the map itself: the installed one (/usr/share/libvirt/cpu_map, Debian
 * package libvirt0), another one (--libvirt-map DIR), or the copy of
 * Debian 12's libvirt 9.0 map built into hvkit (src/cpuid/libvirt-cpu_map).
 *
 * Features are matched to hvkit's table by their bit (CPUID leaf,
 * subleaf, register, bit; MSR index and bit), never by name.  A map
 * feature whose bit hvkit's table lacks is kept by name only (unknown[]
 * of the models that hold it): hvkit cannot tell whether a CPU has it.
 */

/* One model of the map.  features: the bits hvkit knows; unknown: names
 * of the model's features whose bits hvkit's table lacks (space-separated,
 * "" when none).  vendor is CPUID_VENDOR_UNKNOWN for a model that names
 * none (qemu64, kvm64, ...: any vendor's CPU runs it). */
struct cpuid_lvmodel {
	char *name;
	enum cpuid_vendor vendor;
	unsigned family, model;	/* first <signature>; 0 when none */
	struct cpuid_featureset features;
	char *unknown;
};

/* A name the map defines: a feature ('F'; value: its index in
 * cpuid_features[], -1 for a bit hvkit's table lacks or several bits) or
 * a vendor ('V'; value: enum cpuid_vendor). */
struct cpuid_lvdef {
	char kind;
	char *name;		/* owned; names[] below points here */
	int value;
};

struct cpuid_lvmap {
	char *source;		/* the directory read, or "built-in libvirt 9.0 (Debian 12)" */
	const char *names[CPUID_NFEATURES];	/* the map's name of each bit, or NULL */
	struct cpuid_featureset known;		/* bits with a name in the map */
	struct cpuid_lvmodel *models;		/* in the map's order (index.xml) */
	size_t nmodels, alloc;
	struct cpuid_lvdef *defs;		/* every feature and vendor defined */
	size_t ndefs, dalloc;
	uint16_t *hash;				/* defs[] by kind and name (lvmap.c) */
	bool builtin;
};

#define CPUID_LVMAP_DEFAULT_DIR "/usr/share/libvirt/cpu_map"
#define CPUID_LVMAP_BUILTIN_NAME "built-in libvirt 9.0 (Debian 12)"

/*
 * Loads a map: dir's index.xml and the x86 files it includes (each a
 * plain file name in dir, at most 1 MiB, at most 1024 of them).  dir NULL
 * means the installed map when CPUID_LVMAP_DEFAULT_DIR has an index.xml,
 * else the built-in copy; dir "builtin" means the built-in copy.
 * Returns 0 with *ret filled (release it with cpuid_lvmap_release()), or a
 * negative errno with the reason, "FILE:LINE: reason", as the last error
 * in d.  Needs libxml2 (loaded on first use) unless the map is cached.
 */
int cpuid_lvmap_load(const char *dir, struct cpuid_lvmap *ret, struct hv_diags *d);

/*
 * Adds one map document (buf, len; named `name` in messages) to *m: a
 * <cpus> of <feature> definitions or <model>s (a model may name an earlier
 * one to start from: <model name='Parent'/>).  The fuzz target's entry.
 * Returns 0 or a negative errno (the reason in d); *m may hold part of
 * the document then.
 */
int cpuid_lvmap_add(struct cpuid_lvmap *m, const char *buf, size_t len, const char *name,
		    struct hv_diags *d);

/*
 * Adds a cache entry of a parsed map (what cpuid_lvmap_load() writes to
 * $XDG_CACHE_HOME/hvkit/libvirt-map-KEY.txt, KEY a hash of hvkit's feature
 * table and of the map's files' identities, so that later runs need no
 * libxml2) to an empty *m.  Returns 0, or -EINVAL for anything that is not
 * exactly such an entry (the caller then reads the XML); *m may hold part
 * of it then.  The fuzz target's entry.
 */
int cpuid_lvmap_read_cache(const char *buf, size_t len, struct cpuid_lvmap *m);

/* The model of that name (case-sensitive, as libvirt), or NULL. */
const struct cpuid_lvmodel *cpuid_lvmap_model(const struct cpuid_lvmap *m, const char *name);

/* The definition of a feature ('F') or vendor ('V') name, or NULL. */
const struct cpuid_lvdef *cpuid_lvmap_def(const struct cpuid_lvmap *m, char kind, const char *name);

void cpuid_lvmap_release(struct cpuid_lvmap *m);

/* The built-in copy: file names and contents (generated, gen-cpuid-lvmap.py). */
struct cpuid_lvmap_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct cpuid_lvmap_file cpuid_lvmap_builtin[];
extern const size_t cpuid_lvmap_nbuiltin;
