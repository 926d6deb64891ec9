/* SPDX-License-Identifier: MIT */
/* CPU topology from per-PU CPUID values (x86), and hwloc's puN dumps. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-topo.h"
#include "util.h"

#define NO_ID UINT_MAX
#define MAX_CACHES 16		/* subleaves of leaf 4 / 0x8000001D looked at */
#define MAX_LEVELS 32		/* subleaves of the extended topology leaves */

enum ctopo_vendor { V_UNKNOWN, V_INTEL, V_AMD, V_ZHAOXIN, V_HYGON };

/* What every PU is read with: PU 0's vendor, ranges and feature bits. */
struct ctopo_global {
	enum ctopo_vendor vendor;
	uint32_t max_basic, max_ext;
	bool x2apic, topoext, hybrid_bit;
	bool knl;			/* set by the first KNL/KNM PU */
	bool found_die;
};

struct ctopo_cache {
	unsigned level, sharing, id, line, ways;	/* ways UINT_MAX: full */
	enum cache_type type;
	uint64_t size;
};

struct ctopo_pu {
	unsigned os_index, apicid;
	unsigned pkg, core, node, die;	/* NO_ID when not known */
	unsigned family, model, stepping;
	char vendor[13], brand[49];
	const char *kind;		/* hybrid core kind, or NULL */
	unsigned intel_core_type;	/* leaf 0x1A eax[31:24] */
	struct ctopo_cache caches[2 * MAX_CACHES + 4];
	size_t ncaches;
};

static uint32_t reg(const struct cpuid_data *c, uint32_t leaf, uint32_t sub,
		    enum cpuid_reg r)
{
	return cpuid_data_reg(c, leaf, sub, r);
}

/* Index of the highest set bit, counting from 1; 0 for 0 (hwloc_flsl). */
static unsigned fls32(uint32_t x)
{
	return x ? 32u - (unsigned)__builtin_clz(x) : 0;
}

/* Index of the lowest set bit, counting from 1; 0 for 0 (hwloc_ffsl). */
static unsigned ffs32(uint32_t x)
{
	return (unsigned)__builtin_ffs((int)x);
}

static enum ctopo_vendor vendor_of(const struct cpuid_data *c)
{
	uint32_t b = reg(c, 0, 0, CPUID_EBX), d = reg(c, 0, 0, CPUID_EDX),
		 cx = reg(c, 0, 0, CPUID_ECX);
	char s[13];

	memcpy(s, &b, 4);
	memcpy(s + 4, &d, 4);
	memcpy(s + 8, &cx, 4);
	s[12] = 0;
	if (strcmp(s, "GenuineIntel") == 0)
		return V_INTEL;
	if (strcmp(s, "AuthenticAMD") == 0)
		return V_AMD;
	if (strcmp(s, "CentaurHauls") == 0 || strcmp(s, "  Shanghai  ") == 0)
		return V_ZHAOXIN;
	if (strcmp(s, "HygonGenuine") == 0)
		return V_HYGON;
	return V_UNKNOWN;
}

static void global_init(struct ctopo_global *g, const struct cpuid_data *c)
{
	memset(g, 0, sizeof(*g));
	g->vendor = vendor_of(c);
	g->max_basic = reg(c, 0, 0, CPUID_EAX);
	g->max_ext = reg(c, 0x80000000, 0, CPUID_EAX);
	g->x2apic = reg(c, 1, 0, CPUID_ECX) >> 21 & 1;
	if (g->max_basic >= 7)
		g->hybrid_bit = reg(c, 7, 0, CPUID_EDX) >> 15 & 1;
	if (g->vendor != V_INTEL && g->max_ext >= 0x80000001)
		g->topoext = reg(c, 0x80000001, 0, CPUID_ECX) >> 22 & 1;
}

static struct ctopo_cache *cache_add(struct ctopo_pu *p)
{
	if (p->ncaches == ARRAY_SIZE(p->caches))
		return NULL;
	struct ctopo_cache *k = &p->caches[p->ncaches++];
	memset(k, 0, sizeof(*k));
	return k;
}

/* AMD's legacy descriptors (0x80000005 ECX/EDX, 0x80000006 ECX/EDX). */
static void cache_legacy(struct ctopo_pu *p, unsigned level,
			 enum cache_type type, unsigned sharing, uint32_t v)
{
	static const unsigned ways_l2l3[16] = {
		0, 1, 2, 0, 4, 0, 8, 0, 16, 0, 32, 48, 64, 96, 128, UINT_MAX
	};
	uint64_t size = level == 1 ? (uint64_t)(v >> 24) << 10 :
			level == 2 ? (uint64_t)(v >> 16) << 10 :
				     (uint64_t)(v >> 18) << 19;
	struct ctopo_cache *k;

	if (!size || !(k = cache_add(p)))
		return;
	k->level = level;
	k->type = type;
	k->sharing = sharing;
	k->line = v & 0xff;
	k->size = size;
	if (level == 1)
		k->ways = (v >> 16 & 0xff) == 0xff ? UINT_MAX : (v >> 16 & 0xff);
	else
		k->ways = ways_l2l3[v >> 12 & 0xf];
}

/* Deterministic cache parameters: leaf 4 (Intel) or 0x8000001D (AMD). */
static void caches_deterministic(struct ctopo_pu *p, const struct ctopo_global *g,
				 const struct cpuid_data *c, uint32_t leaf)
{
	for (uint32_t s = 0; s < MAX_CACHES; s++) {
		uint32_t a = reg(c, leaf, s, CPUID_EAX), b = reg(c, leaf, s, CPUID_EBX);
		uint32_t sets = reg(c, leaf, s, CPUID_ECX);
		struct ctopo_cache *k;
		unsigned level = a >> 5 & 7;

		if (!(a & 0x1f))
			break;
		if (leaf == 4 && g->knl && level == 3)
			break;	/* KNL's L3: size 0, shared by the whole machine */
		if (level < 1 || level > 5)
			continue;	/* no cache level hwloc knows */
		if (!(k = cache_add(p)))
			break;
		k->type = (a & 0x1f) == 1 ? CACHE_DATA :
			  (a & 0x1f) == 2 ? CACHE_INSTRUCTION : CACHE_UNIFIED;
		k->level = level;
		k->sharing = (a >> 14 & 0xfff) + 1;
		k->line = (b & 0xfff) + 1;
		unsigned parts = (b >> 12 & 0x3ff) + 1, ways = (b >> 22 & 0x3ff) + 1;
		k->ways = a >> 9 & 1 ? UINT_MAX : ways;
		k->size = (uint64_t)k->line * parts * ways * ((uint64_t)sets + 1);
	}
}

/*
 * The extended topology leaf (0xB, 0x1F, 0x80000026): each subleaf is a
 * level (SMT, core, module/complex, tile/die, die) with the APIC id shift
 * to the next one; the id at a level is the APIC id bits between the
 * level's shift and the package's.  Stops at an invalid level (Intel) or
 * at one with no processors (AMD).
 */
static void read_ext_topo(struct ctopo_pu *p, struct ctopo_global *g,
			  const struct cpuid_data *c, uint32_t leaf)
{
	unsigned pkg_shift = 0, shift = 0, nlevels = 0;
	uint32_t x2apic = 0;

	for (uint32_t s = 0; s < MAX_LEVELS; s++) {
		if (!(reg(c, leaf, s, CPUID_EBX) & 0xffff) ||
		    !(reg(c, leaf, s, CPUID_ECX) & 0xff00))
			break;
		pkg_shift = reg(c, leaf, s, CPUID_EAX) & 0x1f;
		nlevels++;
	}
	if (!nlevels)
		return;
	for (uint32_t s = 0; s < nlevels; s++) {
		uint32_t a = reg(c, leaf, s, CPUID_EAX), b = reg(c, leaf, s, CPUID_EBX);
		unsigned type = reg(c, leaf, s, CPUID_ECX) >> 8 & 0xff, id = 0;

		x2apic = reg(c, leaf, s, CPUID_EDX);
		if (pkg_shift > shift)
			id = (x2apic >> shift) & (uint32_t)((1ull << (pkg_shift - shift)) - 1);
		switch (type) {
		case 1:
			if (leaf == 0x80000026 && a >> 30 & 1) {
				unsigned t = b >> 28 & 0xf;

				p->kind = t == 0 ? "performance" : t == 1 ? "efficiency" :
					  t == 2 ? "low_power" : NULL;
			}
			break;
		case 2:
			p->core = id;
			break;
		case 4:
			if (leaf == 0x80000026) {
				p->die = id;
				g->found_die = true;
			}
			break;	/* Intel: a tile */
		case 5:
			if (leaf != 0x80000026) {
				p->die = id;
				g->found_die = true;
			}
			break;
		default:
			break;	/* modules, complexes, unknown levels: no object */
		}
		shift = a & 0x1f;
	}
	p->apicid = x2apic;
	p->pkg = shift < 32 ? x2apic >> shift : 0;
}

/* The cache id that tells which PUs of a package share a cache. */
static unsigned cache_id(const struct ctopo_pu *p, const struct ctopo_global *g,
			 struct ctopo_cache *k, unsigned max_log_proc)
{
	unsigned apic = p->apicid;

	if (g->vendor == V_INTEL) {
		unsigned bits = fls32(k->sharing - 1);

		return bits >= 32 ? 0 : apic & ~((1u << bits) - 1);
	}
	if (g->vendor == V_AMD && p->family >= 0x17 && k->level == 3) {
		/* Zen L3: 8 (17h) or 16 (19h) APIC ids, fewer enabled */
		unsigned n = k->sharing;

		if (n & (n - 1))
			n = 1u << ((1 + ffs32(n)) & 31);
		return apic / n;
	}
	if (g->vendor == V_AMD && p->family == 0x10 && p->model == 9 &&
	    k->level == 3 && (k->ways == UINT_MAX || k->ways % 2 == 0) &&
	    k->sharing >= 8) {
		/* Magny-Cours: the L3 is two halves, one per internal die;
		 * APIC ids are AAAAAABBBBBB.... on 12 cores */
		if (k->sharing == 16)
			k->sharing = 12;
		k->sharing /= 2;
		k->size /= 2;
		if (k->ways != UINT_MAX)
			k->ways /= 2;
		return (apic % max_log_proc) / k->sharing + 2 * (apic / max_log_proc);
	}
	if (g->vendor == V_AMD && p->family == 0x15 &&
	    (p->model == 1 || p->model == 2) && k->level == 3 && k->sharing == 6)
		/* Bulldozer/Piledriver 12-core: the Magny-Cours layout */
		return (apic % max_log_proc) / k->sharing + 2 * (apic / max_log_proc);
	if (g->vendor == V_HYGON && p->family == 0x18 && k->level == 3 &&
	    k->sharing == 6)
		return apic / 8;	/* 6 of 8 APIC ids enabled per CCX */
	return apic / k->sharing;
}

static void trim_copy(char *dst, size_t sz, const char *src)
{
	while (*src == ' ')
		src++;
	snprintf(dst, sz, "%s", src);
	for (size_t l = strlen(dst); l && dst[l - 1] == ' '; l--)
		dst[l - 1] = 0;
}

static void look_pu(struct ctopo_pu *p, struct ctopo_global *g,
		    const struct cpuid_data *c)
{
	enum ctopo_vendor v = g->vendor;
	bool amdlike = v == V_AMD || v == V_HYGON;
	bool intellike = v == V_INTEL || v == V_ZHAOXIN;
	uint32_t a1 = reg(c, 1, 0, CPUID_EAX), b1 = reg(c, 1, 0, CPUID_EBX);
	unsigned max_log_proc = 1, log_id;

	p->pkg = p->core = p->node = p->die = NO_ID;
	p->apicid = b1 >> 24;
	if (reg(c, 1, 0, CPUID_EDX) >> 28 & 1 && (b1 >> 16 & 0xff))
		max_log_proc = 1u << fls32((b1 >> 16 & 0xff) - 1);
	p->pkg = p->apicid / max_log_proc;
	log_id = p->apicid % max_log_proc;

	/* family and model as hwloc composes them (its Zhaoxin rule too) */
	unsigned fam = a1 >> 8 & 0xf, mod = a1 >> 4 & 0xf;
	p->family = (v != V_ZHAOXIN && v != V_UNKNOWN && fam == 0xf) ?
		    fam + (a1 >> 20 & 0xff) : fam;
	p->model = ((v == V_INTEL && (fam == 6 || fam == 0xf)) ||
		    (amdlike && fam == 0xf) ||
		    (v == V_ZHAOXIN && (fam == 6 || fam == 7))) ?
		   mod + ((a1 >> 16 & 0xf) << 4) : mod;
	p->stepping = a1 & 0xf;
	if (v == V_INTEL && p->family == 6 && (p->model == 0x57 || p->model == 0x85))
		g->knl = true;

	uint32_t w[3] = { reg(c, 0, 0, CPUID_EBX), reg(c, 0, 0, CPUID_EDX),
			  reg(c, 0, 0, CPUID_ECX) };
	memcpy(p->vendor, w, 12);
	p->vendor[12] = 0;
	if (g->max_ext >= 0x80000004) {
		char brand[49];

		for (uint32_t l = 0; l < 3; l++)
			for (int r = 0; r < 4; r++) {
				uint32_t x = reg(c, 0x80000002 + l, 0, (enum cpuid_reg)r);

				memcpy(brand + 16 * l + 4 * r, &x, 4);
			}
		brand[48] = 0;
		trim_copy(p->brand, sizeof(p->brand), brand);
	}

	/* cores from leaf 4's count of cores per package */
	if (!amdlike && g->max_basic >= 4 && (reg(c, 4, 0, CPUID_EAX) & 0x1f)) {
		unsigned cores = (reg(c, 4, 0, CPUID_EAX) >> 26 & 0x3f) + 1;
		unsigned threads = max_log_proc / cores;

		if (threads)
			p->core = log_id / threads;
	}
	if (g->max_basic >= 0x1a && g->hybrid_bit) {
		p->intel_core_type = reg(c, 0x1a, 0, CPUID_EAX) >> 24;
		p->kind = p->intel_core_type == 0x40 ? "performance" :
			  p->intel_core_type == 0x20 ? "efficiency" : NULL;
	}
	if (!intellike && g->max_ext >= 0x80000008 && !g->x2apic) {
		uint32_t cx = reg(c, 0x80000008, 0, CPUID_ECX);
		unsigned bits = cx >> 12 & 0xf;
		unsigned cores = bits ? 1u << bits : (cx & 0xff) + 1;

		p->pkg = p->apicid / cores;
		p->core = p->apicid % cores;
	}
	if (!intellike && g->topoext) {
		p->apicid = reg(c, 0x8000001e, 0, CPUID_EAX);
		p->node = p->family == 0x16 ? 0 : reg(c, 0x8000001e, 0, CPUID_ECX) & 0xff;
		if (p->family > 0x16)
			p->core = reg(c, 0x8000001e, 0, CPUID_EBX) & 0xff;
		/* 15h-16h: EBX is the compute unit, cores stay 0x80000008's */
	}
	if (v == V_AMD && g->max_ext >= 0x80000026)
		read_ext_topo(p, g, c, 0x80000026);
	else if (intellike && g->max_basic >= 0x1f)
		read_ext_topo(p, g, c, 0x1f);
	else if ((intellike || v == V_AMD) && g->max_basic >= 0xb && g->x2apic)
		read_ext_topo(p, g, c, 0xb);

	if (!intellike && g->topoext) {
		caches_deterministic(p, g, c, 0x8000001d);
	} else if (!intellike && g->max_ext >= 0x80000006) {
		uint32_t cx5 = reg(c, 0x80000005, 0, CPUID_ECX),
			 dx5 = reg(c, 0x80000005, 0, CPUID_EDX),
			 cx6 = reg(c, 0x80000006, 0, CPUID_ECX),
			 dx6 = reg(c, 0x80000006, 0, CPUID_EDX);

		cache_legacy(p, 1, CACHE_DATA, 1, cx5);
		cache_legacy(p, 1, CACHE_INSTRUCTION, 1, dx5);
		if (cx6 & 0xf000)
			cache_legacy(p, 2, CACHE_UNIFIED, 1, cx6);
		if (dx6 & 0xf000)
			cache_legacy(p, 3, CACHE_UNIFIED, max_log_proc, dx6);
	}
	if (!amdlike && g->max_basic >= 4)
		caches_deterministic(p, g, c, 4);
	for (size_t i = 0; i < p->ncaches; i++)
		p->caches[i].id = cache_id(p, g, &p->caches[i], max_log_proc);
}

static const struct ctopo_cache *pu_cache(const struct ctopo_pu *p,
					  unsigned level, enum cache_type t)
{
	for (size_t i = 0; i < p->ncaches; i++)
		if (p->caches[i].level == level && p->caches[i].type == t)
			return &p->caches[i];
	return NULL;
}

struct objlist {
	struct topo_obj **v;
	size_t n, alloc;
};

static struct topo_obj *objlist_new(struct objlist *l, enum topo_type t,
				    int64_t os_index)
{
	struct topo_obj *o = topo_obj_new(t, os_index);

	l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
	l->v[l->n++] = o;
	return o;
}

/* Groups PUs by key: one object per distinct key, in first-PU order. */
typedef bool (*same_fn)(const struct ctopo_pu *a, const struct ctopo_pu *b);

static bool same_pkg(const struct ctopo_pu *a, const struct ctopo_pu *b)
{
	return a->pkg == b->pkg;
}

static bool same_die(const struct ctopo_pu *a, const struct ctopo_pu *b)
{
	return a->pkg == b->pkg && a->die == b->die;
}

static bool same_core(const struct ctopo_pu *a, const struct ctopo_pu *b)
{
	return a->pkg == b->pkg && a->node == b->node && a->core == b->core;
}

static void group_by(struct objlist *out, const struct ctopo_pu *pus, size_t n,
		     enum topo_type type, same_fn same, size_t *first_idx,
		     size_t *nfirst)
{
	bool *done = xcalloc(n ? n : 1, sizeof(*done));

	*nfirst = 0;
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		if ((type == TOPO_CORE && pus[i].core == NO_ID) ||
		    (type == TOPO_DIE && pus[i].die == NO_ID)) {
			done[i] = true;
			continue;
		}
		unsigned id = type == TOPO_PACKAGE ? pus[i].pkg :
			      type == TOPO_DIE ? pus[i].die : pus[i].core;
		struct topo_obj *o = objlist_new(out, type, id);

		for (size_t j = i; j < n; j++)
			if (!done[j] && same(&pus[i], &pus[j]) &&
			    (type != TOPO_CORE || pus[j].core != NO_ID) &&
			    (type != TOPO_DIE || pus[j].die != NO_ID)) {
				cpuset_set(&o->cpus, pus[j].os_index);
				done[j] = true;
			}
		if (first_idx)
			first_idx[(*nfirst)++] = i;
	}
	free(done);
}

int topo_cpuid_decode(const struct topo_cpuid_pu *pus, size_t n,
		      struct topo_obj ***ret, size_t *nret, struct hv_diags *d)
{
	struct ctopo_global g;
	struct ctopo_pu *p = NULL;
	struct objlist out = { 0 };
	size_t *first = NULL, nfirst = 0;
	int rc = 0;

	if (!n || reg(pus[0].c, 0, 0, CPUID_EAX) < 1)
		return hv_errorf(d, "no CPUID leaf 1: no topology to read");
	global_init(&g, pus[0].c);
	p = xcalloc(n, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		if (pus[i].os_index >= CPUSET_MAX) {
			rc = hv_errorf(d, "CPU %u: beyond %u CPUs", pus[i].os_index,
				       CPUSET_MAX);
			goto out;
		}
		p[i].os_index = pus[i].os_index;
		look_pu(&p[i], &g, pus[i].c);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (p[i].apicid == p[j].apicid) {
				rc = hv_errorf(d, "CPUs %u and %u have the same APIC id 0x%x: CPUID does not tell them apart",
					       p[i].os_index, p[j].os_index, p[i].apicid);
				goto out;
			}

	first = xcalloc(n, sizeof(*first));
	group_by(&out, p, n, TOPO_PACKAGE, same_pkg, first, &nfirst);
	for (size_t k = 0; k < nfirst; k++) {
		const struct ctopo_pu *q = &p[first[k]];
		struct topo_obj *o = out.v[k];

		snprintf(o->cpu_vendor, sizeof(o->cpu_vendor), "%s", q->vendor);
		o->cpu_family = q->family;
		o->cpu_model_num = q->model;
		o->cpu_stepping = q->stepping;
		if (q->brand[0])
			o->cpu_model = xstrdup(q->brand);
	}
	if (g.found_die) {
		size_t before = out.n, npkg = nfirst;

		group_by(&out, p, n, TOPO_DIE, same_die, NULL, &nfirst);
		if (out.n - before == npkg) {
			/* one die per package: nothing split, none shown */
			for (size_t k = before; k < out.n; k++)
				topo_obj_free(out.v[k]);
			out.n = before;
		}
	}
	group_by(&out, p, n, TOPO_CORE, same_core, first, &nfirst);
	for (size_t k = 0; k < nfirst; k++) {
		const char *kind = p[first[k]].kind;
		struct topo_obj *o = out.v[out.n - nfirst + k];

		/* Intel: an Atom core without the L3 is a low-power one */
		if (p[first[k]].intel_core_type == 0x20 && p[first[k]].family == 6) {
			size_t most = 0;

			for (size_t i = 0; i < n; i++)
				if (p[i].ncaches > most)
					most = p[i].ncaches;
			if (p[first[k]].ncaches < most)
				kind = "low_power";
		}
		if (kind)
			o->core_kind = xstrdup(kind);
	}
	for (size_t i = 0; i < n; i++) {
		struct topo_obj *o = objlist_new(&out, TOPO_PU, p[i].os_index);

		cpuset_set(&o->cpus, p[i].os_index);
		o->online = true;
	}

	/* caches: per level and type, the PUs of a package with one id */
	unsigned maxlevel = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < p[i].ncaches; k++)
			if (p[i].caches[k].level > maxlevel)
				maxlevel = p[i].caches[k].level;
	bool *done = xcalloc(n, sizeof(*done));
	for (unsigned level = maxlevel; level >= 1; level--)
		for (int t = CACHE_UNIFIED; t <= CACHE_INSTRUCTION; t++) {
			memset(done, 0, n * sizeof(*done));
			for (size_t i = 0; i < n; i++) {
				const struct ctopo_cache *k = pu_cache(&p[i], level, (enum cache_type)t);

				if (done[i] || !k)
					continue;
				struct topo_obj *o = objlist_new(&out, TOPO_CACHE, -1);
				o->level = level;
				o->cache_type = (enum cache_type)t;
				o->size_bytes = k->size;
				o->line_size = k->line;
				o->ways = k->ways;
				for (size_t j = i; j < n; j++) {
					const struct ctopo_cache *kj = pu_cache(&p[j], level, (enum cache_type)t);

					if (!done[j] && kj && p[j].pkg == p[i].pkg &&
					    kj->id == k->id) {
						cpuset_set(&o->cpus, p[j].os_index);
						done[j] = true;
					}
				}
			}
		}
	free(done);
	*ret = out.v;
	*nret = out.n;
	out.v = NULL;
out:
	free(first);
	free(p);
	return rc;
}
