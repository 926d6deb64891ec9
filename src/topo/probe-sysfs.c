/* SPDX-License-Identifier: MIT */
/* CPUs, caches, NUMA nodes and machine identity from sysfs and procfs. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "strbuf.h"

#define SYSCPU "/sys/devices/system/cpu"
#define SYSNODE "/sys/devices/system/node"

/* Parses file path as a CPU list (list) or mask into ret; -ENOENT when
 * it cannot be read, else the parse result (warned). */
static int read_one_cpuset(struct probe_ctx *c, const char *path, bool list,
			   struct cpuset *ret)
{
	_cleanup_free_ char *s = NULL;
	int rc;

	if (!path || hv_root_read_str(c->root, path, &s) < 0)
		return -ENOENT;
	rc = list ? cpuset_parse_list(ret, s) : cpuset_parse_mask(ret, s);
	if (rc < 0) {
		hv_warnf(c->d, "%s: cannot parse CPU %s '%s', ignoring", path,
			 list ? "list" : "mask", s);
		cpuset_release(ret);	/* a parse may stop half-way */
	}
	return rc;
}

/*
 * A cpuset from its list file, else its mask.  Where both are there and
 * disagree (the kernel writes both from one bitmap: a snapshot was
 * edited), the mask wins, as hwloc reads it, and a warning says so.
 */
int probe_read_cpuset(struct probe_ctx *c, const char *list_path,
		      const char *mask_path, struct cpuset *ret)
{
	struct cpuset m = { 0 };
	int rc = read_one_cpuset(c, list_path, true, ret);

	/* A list that is missing or does not parse: the mask, as hwloc
	 * reads it (only the mask where both are there). */
	if (rc < 0)
		return mask_path ? read_one_cpuset(c, mask_path, false, ret) : rc;
	if (read_one_cpuset(c, mask_path, false, &m) < 0)
		return rc;
	if (!cpuset_equal(ret, &m)) {
		_cleanup_free_ char *a = cpuset_format(ret), *b = cpuset_format(&m);

		hv_warnf(c->d, "%s says %s but %s says %s; following the mask",
			 list_path, a, mask_path, b);
		cpuset_release(ret);
		*ret = m;
		return 0;
	}
	cpuset_release(&m);
	return 0;
}

/* Reads a signed integer attribute; returns def when absent or bad. */
static long read_long(struct probe_ctx *c, const char *path, long def)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;

	if (hv_root_read_str(c->root, path, &s) < 0)
		return def;
	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end || errno == ERANGE) {
		hv_warnf(c->d, "%s: '%s' is not a number in range, ignoring it",
			 path, s);
		return def;
	}
	return v;
}

/* Parses "32K", "1024K", "8M" (sysfs cache sizes) into bytes. */
static uint64_t parse_cache_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': return v << 10;
	case 'M': return v << 20;
	case 'G': return v << 30;
	default: return v;
	}
}

/* Per-processor "model name" (or its equivalents) from /proc/cpuinfo. */
struct cpuinfo {
	char **model;		/* indexed by processor number */
	size_t n;
	char *microcode;
	/* x86 signature of the first processor; family 0 = none */
	char vendor[16];
	unsigned family, model_num, stepping;
};

static void cpuinfo_release(struct cpuinfo *ci)
{
	for (size_t i = 0; i < ci->n; i++)
		free(ci->model[i]);
	free(ci->model);
	free(ci->microcode);
}

static void read_cpuinfo(struct probe_ctx *c, struct cpuinfo *ci)
{
	_cleanup_free_ char *data = NULL;
	long proc = -1;
	char *save = NULL;

	memset(ci, 0, sizeof(*ci));
	if (hv_root_read_max(c->root, "/proc/cpuinfo", CPUINFO_MAX,
			     &data, NULL) < 0)
		return;
	for (char *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = 0;
		char *key = strstrip(line);
		char *val = str_printable(strstrip(colon + 1), false);

		if (strcmp(key, "processor") == 0) {
			char *end;
			long v = strtol(val, &end, 10);

			proc = (end != val && !*end && v >= 0 && v < CPUSET_MAX)
				       ? v : -1;
			continue;
		}
		if (strcmp(key, "microcode") == 0 && !ci->microcode) {
			ci->microcode = xstrdup(val);
			continue;
		}
		if (strcmp(key, "vendor_id") == 0 && !ci->vendor[0]) {
			snprintf(ci->vendor, sizeof(ci->vendor), "%s", val);
			continue;
		}
		{
			unsigned *sig = strcmp(key, "cpu family") == 0 ? &ci->family :
					strcmp(key, "model") == 0 ? &ci->model_num :
					strcmp(key, "stepping") == 0 ? &ci->stepping : NULL;
			uint64_t v;

			/* "model" is a number on x86, a name elsewhere */
			if (sig) {
				if (!*sig && parse_u64(val, 10, &v) == 0 && v < 65536)
					*sig = (unsigned)v;
				continue;
			}
		}
		if (proc < 0 || !*val)
			continue;
		if (strcmp(key, "model name") == 0 || strcmp(key, "cpu model") == 0 ||
		    strcmp(key, "cpu") == 0) {
			if ((size_t)proc >= ci->n) {
				size_t nn = (size_t)proc + 1;

				ci->model = xrealloc(ci->model, nn * sizeof(char *));
				memset(ci->model + ci->n, 0,
				       (nn - ci->n) * sizeof(char *));
				ci->n = nn;
			}
			if (!ci->model[proc])
				ci->model[proc] = xstrdup(val);
		}
	}
}

/* Objects keyed by an integer tuple, each accumulating a cpuset: the
 * fallback where sysfs has ids but no sibling masks. */
struct group {
	long key[3];
	struct topo_obj *obj;
};

struct groups {
	struct group *v;
	size_t n, alloc;
};

static struct topo_obj *group_get(struct groups *g, enum topo_type type,
				  long k0, long k1, long k2, long os_index)
{
	for (size_t i = g->n; i-- > 0;)
		if (g->v[i].key[0] == k0 && g->v[i].key[1] == k1 &&
		    g->v[i].key[2] == k2)
			return g->v[i].obj;
	g->v = xgrow(g->v, sizeof(*g->v), g->n + 1, &g->alloc);
	g->v[g->n] = (struct group){ { k0, k1, k2 },
				     topo_obj_new(type, os_index) };
	return g->v[g->n++].obj;
}

/* Whether two groups sharing key[0..level) differ in key[level]. */
static bool groups_split(const struct groups *g, int level)
{
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = i + 1; j < g->n; j++) {
			bool same_parent = true;

			for (int k = 0; k < level; k++)
				if (g->v[i].key[k] != g->v[j].key[k])
					same_parent = false;
			if (same_parent && g->v[i].key[level] != g->v[j].key[level])
				return true;
		}
	return false;
}

/*
 * A sibling mask of cpu (topology/NAME_list, NAME, else the older
 * OLD_list, OLD), restricted to the PUs that exist and always holding
 * cpu itself.  Returns 0, or -ENOENT when sysfs has none of the files.
 */
static int read_topo_set(struct probe_ctx *c, int cpu, const char *name,
			 const char *old, const struct cpuset *present,
			 struct cpuset *ret)
{
	const char *names[] = { name, old };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char list[128], mask[128];

		if (!names[i])
			continue;
		snprintf(list, sizeof(list), SYSCPU "/cpu%d/topology/%s_list", cpu,
			 names[i]);
		snprintf(mask, sizeof(mask), SYSCPU "/cpu%d/topology/%s", cpu,
			 names[i]);
		if (probe_read_cpuset(c, list, mask, ret) == 0) {
			cpuset_and(ret, present);
			cpuset_set(ret, (unsigned)cpu);
			return 0;
		}
		cpuset_release(ret);
	}
	return -ENOENT;
}

/* Caches found so far, by first PU, so that each (level, type, cpuset)
 * is made once whichever PUs list it. */
struct cache_index {
	struct topo_obj ***by_first;	/* by_first[cpu]: NULL-ended vector */
	size_t *n, *alloc;
	unsigned ncpu;
	bool warned_bad;		/* a cache of no known level or type */
};

static struct topo_obj *cache_find(const struct cache_index *ix, unsigned level,
				   enum cache_type ct, const struct cpuset *set)
{
	int f = cpuset_next(set, 0);

	if (f < 0 || (unsigned)f >= ix->ncpu)
		return NULL;
	for (size_t i = 0; i < ix->n[f]; i++) {
		struct topo_obj *o = ix->by_first[f][i];

		if (o->level == level && o->cache_type == ct &&
		    cpuset_equal(&o->cpus, set))
			return o;
	}
	return NULL;
}

static void cache_remember(struct cache_index *ix, struct topo_obj *o)
{
	unsigned f = (unsigned)cpuset_next(&o->cpus, 0);

	ix->by_first[f] = xgrow(ix->by_first[f], sizeof(struct topo_obj *),
				ix->n[f] + 1, &ix->alloc[f]);
	ix->by_first[f][ix->n[f]++] = o;
}

/* Every cache/indexK of cpu, once per distinct (level, type, cpuset). */
static void read_caches(struct probe_ctx *c, int cpu, const struct cpuset *present,
			const struct cpuset *core, struct cache_index *ix,
			struct topo_obj ***objs, size_t *nobjs, size_t *aobjs)
{
	char path[96];
	char **idx = NULL;
	size_t nidx = 0;

	snprintf(path, sizeof(path), SYSCPU "/cpu%d/cache", cpu);
	if (hv_root_list(c->root, path, &idx, &nidx) < 0)
		return;
	for (size_t k = 0; k < nidx; k++) {
		char cb[160], p2[224], p3[224];
		_cleanup_free_ char *type = NULL, *size = NULL;
		struct cpuset shared = { 0 };
		enum cache_type ct;
		struct topo_obj *o;
		long level;

		if (!str_startswith(idx[k], "index"))
			continue;
		snprintf(cb, sizeof(cb), "%s/%s", path, idx[k]);
#define CATTR(name) (snprintf(p2, sizeof(p2), "%s/" name, cb), p2)
		level = read_long(c, CATTR("level"), -1);
		if (hv_root_read_str(c->root, CATTR("type"), &type) < 0)
			continue;
		if (strcmp(type, "Data") == 0)
			ct = CACHE_DATA;
		else if (strcmp(type, "Instruction") == 0)
			ct = CACHE_INSTRUCTION;
		else if (strcmp(type, "Unified") == 0)
			ct = CACHE_UNIFIED;
		else
			level = 0;
		/* Levels 1 to 5, as hwloc knows them. */
		if (level < 1 || level > 5) {
			if (!ix->warned_bad)
				hv_warnf(c->d, "%s: cache level %ld of type '%s' is none hwloc knows (levels 1-5; Data, Instruction, Unified), ignoring it",
					 cb, level, type);
			ix->warned_bad = true;
			continue;
		}
		snprintf(p3, sizeof(p3), "%s/shared_cpu_map", cb);
		/* An empty map (IA-64's L3) means the core's PUs.  The list
		 * alone is enough (hvkit's older captures kept only it;
		 * hwloc reads the map alone). */
		if (probe_read_cpuset(c, CATTR("shared_cpu_list"), p3, &shared) < 0)
			continue;
		if (cpuset_next(&shared, 0) < 0)
			cpuset_copy(&shared, core);
		cpuset_and(&shared, present);
		cpuset_set(&shared, (unsigned)cpu);
		if (cache_find(ix, (unsigned)level, ct, &shared)) {
			cpuset_release(&shared);
			continue;
		}
		o = topo_obj_new(TOPO_CACHE, -1);
		o->level = (unsigned)level;
		o->cache_type = ct;
		o->cpus = shared;
		if (hv_root_read_str(c->root, CATTR("size"), &size) == 0)
			o->size_bytes = parse_cache_size(size);
		o->line_size = (unsigned)read_long(c, CATTR("coherency_line_size"), 0);
		o->ways = (unsigned)read_long(c, CATTR("ways_of_associativity"), 0);
#undef CATTR
		cache_remember(ix, o);
		*objs = xgrow(*objs, sizeof(**objs), *nobjs + 1, aobjs);
		(*objs)[(*nobjs)++] = o;
	}
	hv_strv_free(idx, nidx);
}

/* What probe_sysfs_cpus() gathers while it walks the PUs. */
struct cpu_scan {
	struct probe_ctx *c;
	struct cpuset online, present, pcore, patom;
	bool have_online;
	struct groups pkgs, dies, cores;
	struct topo_obj **objs;		/* every object made, for the tree */
	size_t nobjs, aobjs;
	struct cache_index ix;
	long *pkgid;
	/* the package and core each PU made (by their first PU) */
	struct topo_obj **made, **made_core;
	struct cpuinfo ci;
	unsigned maxcpu;
	/* -1 undecided; 1: thread siblings with different core_id are cores
	 * of their own (AMD Bulldozer compute units), hwloc's rule */
	int thread_with_coreid;
	bool warned_pkgid, warned_core, warned_die, warned_cluster;
};

/* One PU's masks and ids, as read from its topology directory. */
struct cpu_ids {
	int cpu;
	long pkg, die, core_os, pkgkey;
	struct cpuset th, pk, di, cl;
	bool have_th, have_pk, have_di, have_cl;
};

static void scan_add(struct cpu_scan *s, struct topo_obj *o)
{
	s->objs = xgrow(s->objs, sizeof(*s->objs), s->nobjs + 1, &s->aobjs);
	s->objs[s->nobjs++] = o;
}

/* Which PUs exist: cpuN with a topology directory.  0, or -ENOENT. */
static int scan_present(struct cpu_scan *s, char **names, size_t nnames)
{
	for (size_t i = 0; i < nnames; i++) {
		uint64_t cpu;
		char path[128];

		if (!str_startswith(names[i], "cpu") ||
		    parse_u64(names[i] + 3, 10, &cpu) < 0 || cpu >= CPUSET_MAX)
			continue;
		snprintf(path, sizeof(path), SYSCPU "/%s/topology", names[i]);
		if (!hv_root_is_dir(s->c->root, path)) {
			if (s->have_online && cpuset_has(&s->online, (unsigned)cpu))
				hv_warnf(s->c->d, "%s: CPU %llu is online but has no topology directory here, leaving it out",
					 path, (unsigned long long)cpu);
			continue;
		}
		cpuset_set(&s->present, (unsigned)cpu);
		if (cpu + 1 > s->maxcpu)
			s->maxcpu = (unsigned)cpu + 1;
	}
	return cpuset_count(&s->present) ? 0 : -ENOENT;
}

/* cpu's ids and sibling masks. */
static void scan_ids(struct cpu_scan *s, int cpu, struct cpu_ids *id)
{
	struct probe_ctx *c = s->c;
	char base[96], path[160];

	*id = (struct cpu_ids){ .cpu = cpu };
	snprintf(base, sizeof(base), SYSCPU "/cpu%d/topology", cpu);
#define ATTR(name) (snprintf(path, sizeof(path), "%s/" name, base), path)
	id->pkg = read_long(c, ATTR("physical_package_id"), -1);
	id->die = read_long(c, ATTR("die_id"), -1);
	id->core_os = read_long(c, ATTR("core_id"), -1);
#undef ATTR
	s->pkgid[cpu] = id->pkg;
	id->have_pk = read_topo_set(c, cpu, "package_cpus", "core_siblings",
				    &s->present, &id->pk) == 0;
	id->have_th = read_topo_set(c, cpu, "core_cpus", "thread_siblings",
				    &s->present, &id->th) == 0;
	id->have_di = read_topo_set(c, cpu, "die_cpus", NULL, &s->present, &id->di) == 0;
	id->have_cl = read_topo_set(c, cpu, "cluster_cpus", NULL, &s->present,
				    &id->cl) == 0;
}

/* Package: the first PU of the mask makes it; named from /proc/cpuinfo. */
static void scan_package(struct cpu_scan *s, struct cpu_ids *id)
{
	int cpu = id->cpu;
	struct topo_obj *o;

	if (id->have_pk) {
		int first = cpuset_next(&id->pk, 0);

		id->pkgkey = first;
		if (first == cpu) {
			o = topo_obj_new(TOPO_PACKAGE, id->pkg);
			cpuset_copy(&o->cpus, &id->pk);
			scan_add(s, o);
			s->made[cpu] = o;
		} else if (s->pkgid[first] != id->pkg && !s->warned_pkgid) {
			hv_warnf(s->c->d, "cpu%d: physical_package_id %ld but its package siblings (cpu%d) say %ld; following the sibling masks",
				 cpu, id->pkg, first, s->pkgid[first]);
			s->warned_pkgid = true;
		}
		o = s->made[first];
	} else {
		id->pkgkey = 100000000L + id->pkg;
		o = group_get(&s->pkgs, TOPO_PACKAGE, id->pkg, 0, 0, id->pkg);
		cpuset_set(&o->cpus, (unsigned)cpu);
		cpuset_copy(&id->pk, &s->present);
	}
	if (!o)
		return;
	if (!o->cpu_model && (size_t)cpu < s->ci.n && s->ci.model[cpu])
		o->cpu_model = xstrdup(s->ci.model[cpu]);
	if (!o->cpu_family && s->ci.family) {
		memcpy(o->cpu_vendor, s->ci.vendor, sizeof(o->cpu_vendor));
		o->cpu_family = s->ci.family;
		o->cpu_model_num = s->ci.model_num;
		o->cpu_stepping = s->ci.stepping;
	}
}

/* A die's or a cluster's mask must lie within its package: warns once
 * (*warned) when it does not.  Whether it does. */
static bool within_package(struct cpu_scan *s, const struct cpu_ids *id,
			   const struct cpuset *set, const char *what, bool *warned)
{
	if (cpuset_includes(&id->pk, set, NULL))
		return true;
	if (!*warned) {
		_cleanup_free_ char *a = cpuset_format(set), *b = cpuset_format(&id->pk);

		hv_warnf(s->c->d, "cpu%d: %s_cpus %s cross its package %s; leaving that %s out",
			 id->cpu, what, a, b, what);
		*warned = true;
	}
	return false;
}

/* Die: by mask, except one equal to its package; else by id.  A die
 * never spans packages: one that says so is left out. */
static void scan_die(struct cpu_scan *s, const struct cpu_ids *id)
{
	struct topo_obj *o;

	if (id->have_di && !within_package(s, id, &id->di, "die", &s->warned_die))
		return;
	if (id->have_di) {
		/* as hwloc: not one equal to its package, nor of one PU */
		if (!cpuset_equal(&id->di, &id->pk) && cpuset_count(&id->di) > 1 &&
		    cpuset_next(&id->di, 0) == id->cpu) {
			o = topo_obj_new(TOPO_DIE, id->die);
			cpuset_copy(&o->cpus, &id->di);
			scan_add(s, o);
		}
	} else if (id->die >= 0) {
		o = group_get(&s->dies, TOPO_DIE, id->pkgkey, id->die, 0, id->die);
		cpuset_set(&o->cpus, (unsigned)id->cpu);
	}
}

/* Cluster: by mask, when it holds more than one PU and is not the
 * package (one equal to another object goes in scan_prune()). */
static void scan_cluster(struct cpu_scan *s, const struct cpu_ids *id)
{
	char path[160];
	struct topo_obj *o;

	if (!id->have_cl || !within_package(s, id, &id->cl, "cluster", &s->warned_cluster))
		return;
	if (cpuset_count(&id->cl) > 1 && !cpuset_equal(&id->cl, &id->pk) &&
	    cpuset_next(&id->cl, 0) == id->cpu) {
		snprintf(path, sizeof(path), SYSCPU "/cpu%d/topology/cluster_id", id->cpu);
		o = topo_obj_new(TOPO_CLUSTER, read_long(s->c, path, -1));
		cpuset_copy(&o->cpus, &id->cl);
		scan_add(s, o);
	}
}

/* Core: its hardware threads, never beyond its package; id->th becomes
 * the core's PUs (for the caches). */
static void scan_core(struct cpu_scan *s, struct cpu_ids *id)
{
	int cpu = id->cpu;
	struct topo_obj *o = NULL;

	if (id->have_th) {
		if (!cpuset_includes(&id->pk, &id->th, NULL) && !s->warned_core) {
			_cleanup_free_ char *a = cpuset_format(&id->th),
					    *b = cpuset_format(&id->pk);

			hv_warnf(s->c->d, "cpu%d: thread siblings %s cross its package %s; the core keeps the package's part",
				 cpu, a, b);
			s->warned_core = true;
		}
		cpuset_and(&id->th, &id->pk);
		/* hwloc's rule: only AMD's compute units (family 15h) list
		 * two cores as thread siblings. */
		if (s->thread_with_coreid < 0 &&
		    !(strcmp(s->ci.vendor, "AuthenticAMD") == 0 && s->ci.family == 0x15))
			s->thread_with_coreid = 0;
		if (s->thread_with_coreid < 0 && cpuset_count(&id->th) > 1) {
			int sib = cpuset_next(&id->th, 0);
			char path[128];

			if (sib == cpu)
				sib = cpuset_next(&id->th, (unsigned)cpu + 1);
			snprintf(path, sizeof(path), SYSCPU "/cpu%d/topology/core_id", sib);
			s->thread_with_coreid = read_long(s->c, path, -1) != id->core_os;
		}
		if (s->thread_with_coreid == 1) {
			cpuset_release(&id->th);
			cpuset_set(&id->th, (unsigned)cpu);
		}
		if (cpuset_next(&id->th, 0) == cpu) {
			o = topo_obj_new(TOPO_CORE, id->core_os);
			cpuset_copy(&o->cpus, &id->th);
			scan_add(s, o);
			s->made_core[cpu] = o;
		}
		o = s->made_core[cpuset_next(&id->th, 0)];
	} else if (id->core_os >= 0) {
		o = group_get(&s->cores, TOPO_CORE, id->pkgkey, id->die, id->core_os, id->core_os);
		cpuset_set(&o->cpus, (unsigned)cpu);
		cpuset_copy(&id->th, &o->cpus);
	} else {
		cpuset_set(&id->th, (unsigned)cpu);
	}
	if (o && !o->core_kind && cpuset_has(&s->pcore, (unsigned)cpu))
		o->core_kind = xstrdup("performance");
	else if (o && !o->core_kind && cpuset_has(&s->patom, (unsigned)cpu))
		o->core_kind = xstrdup("efficiency");
}

/* PU cpu, its package, die, cluster, core and caches. */
static void scan_cpu(struct cpu_scan *s, int cpu)
{
	struct cpu_ids id;
	struct topo_obj *o;

	scan_ids(s, cpu, &id);
	scan_package(s, &id);
	scan_die(s, &id);
	scan_cluster(s, &id);
	scan_core(s, &id);

	o = topo_obj_new(TOPO_PU, cpu);
	cpuset_set(&o->cpus, (unsigned)cpu);
	if (s->have_online) {
		o->online = cpuset_has(&s->online, (unsigned)cpu);
	} else {
		char path[128];

		snprintf(path, sizeof(path), SYSCPU "/cpu%d/online", cpu);
		o->online = read_long(s->c, path, 1) != 0;
	}
	scan_add(s, o);

	read_caches(s->c, cpu, &s->present, &id.th, &s->ix, &s->objs, &s->nobjs, &s->aobjs);
	cpuset_release(&id.th);
	cpuset_release(&id.pk);
	cpuset_release(&id.di);
	cpuset_release(&id.cl);
}

/* The objects grouped by id join the others (dies only where they split
 * a package), and a cluster that adds nothing is dropped: the number of
 * objects left at the front of s->objs. */
static size_t scan_prune(struct cpu_scan *s)
{
	bool want_dies = groups_split(&s->dies, 1);
	struct groups *all[] = { &s->pkgs, &s->dies, &s->cores };
	size_t nkeep = 0;

	for (size_t g = 0; g < ARRAY_SIZE(all); g++)
		for (size_t i = 0; i < all[g]->n; i++) {
			struct topo_obj *o = all[g]->v[i].obj;

			if (all[g] == &s->dies && !want_dies) {
				topo_obj_free(o);
				continue;
			}
			scan_add(s, o);
		}
	/* A cluster adds nothing where another object has its PUs. */
	for (size_t i = 0; i < s->nobjs; i++) {
		if (!s->objs[i] || s->objs[i]->type != TOPO_CLUSTER)
			continue;
		for (size_t k = 0; k < s->nobjs; k++)
			if (k != i && s->objs[k] && s->objs[k]->type != TOPO_CLUSTER &&
			    cpuset_equal(&s->objs[k]->cpus, &s->objs[i]->cpus)) {
				topo_obj_free(s->objs[i]);
				s->objs[i] = NULL;
				break;
			}
	}
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i])
			s->objs[nkeep++] = s->objs[i];
	return nkeep;
}

static void scan_release(struct cpu_scan *s)
{
	for (unsigned i = 0; i < s->ix.ncpu; i++)
		free(s->ix.by_first[i]);
	free(s->ix.by_first);
	free(s->ix.n);
	free(s->ix.alloc);
	free(s->pkgid);
	free(s->made);
	free(s->made_core);
	free(s->objs);
	free(s->pkgs.v);
	free(s->dies.v);
	free(s->cores.v);
	cpuset_release(&s->online);
	cpuset_release(&s->present);
	cpuset_release(&s->pcore);
	cpuset_release(&s->patom);
	cpuinfo_release(&s->ci);
}

/*
 * The CPU side, as hwloc's Linux backend reads it: the sibling masks
 * (package_cpus/core_siblings, die_cpus, cluster_cpus, core_cpus/
 * thread_siblings) make the objects, each by the first PU of its mask;
 * the ids only name them.  Where ids and masks disagree, the masks win
 * and a warning says so.  Ids group PUs only where sysfs has no masks.
 */
int probe_sysfs_cpus(struct probe_ctx *c)
{
	struct cpu_scan s = { .c = c, .thread_with_coreid = -1 };
	char **names = NULL;
	size_t nnames = 0, nkeep;
	int rc;

	rc = hv_root_list(c->root, SYSCPU, &names, &nnames);
	if (rc < 0)
		return rc;
	s.have_online = probe_read_cpuset(c, SYSCPU "/online", NULL, &s.online) == 0;
	(void)probe_read_cpuset(c, "/sys/devices/cpu_core/cpus", NULL, &s.pcore);
	(void)probe_read_cpuset(c, "/sys/devices/cpu_atom/cpus", NULL, &s.patom);
	read_cpuinfo(c, &s.ci);

	rc = scan_present(&s, names, nnames);
	if (rc < 0)
		goto out;
	s.ix.ncpu = s.maxcpu;
	s.ix.by_first = xcalloc(s.maxcpu, sizeof(*s.ix.by_first));
	s.ix.n = xcalloc(s.maxcpu, sizeof(*s.ix.n));
	s.ix.alloc = xcalloc(s.maxcpu, sizeof(*s.ix.alloc));
	s.pkgid = xcalloc(s.maxcpu, sizeof(*s.pkgid));
	s.made = xcalloc(s.maxcpu, sizeof(*s.made));
	s.made_core = xcalloc(s.maxcpu, sizeof(*s.made_core));

	for (int cpu = cpuset_next(&s.present, 0); cpu >= 0;
	     cpu = cpuset_next(&s.present, (unsigned)cpu + 1))
		scan_cpu(&s, cpu);

	nkeep = scan_prune(&s);
	(void)topo_build_cpu_tree(c->t->root, s.objs, nkeep, c->d);
	cpuset_copy(&c->t->root->cpus, &s.present);
	if (s.ci.microcode && !c->t->microcode)
		c->t->microcode = xstrdup(s.ci.microcode);
	topo_add_source(c->t, "sysfs");
	rc = 0;
out:
	scan_release(&s);
	hv_strv_free(names, nnames);
	return rc;
}

/* The "key N kB" value of a meminfo text in bytes; -EINVAL when it is
 * missing, not a number, negative or past 16 EiB (bytes would wrap). */
static int meminfo_total(const char *text, const char *key, uint64_t *ret)
{
	const char *p = strstr(text, key);
	unsigned long long kb;
	char *end;

	if (!p)
		return -EINVAL;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	kb = strtoull(p, &end, 10);
	if (errno == ERANGE || kb > UINT64_MAX / 1024)
		return -EINVAL;
	*ret = (uint64_t)kb * 1024;
	return 0;
}

static void probe_memcaches(struct probe_ctx *c, struct topo_obj *node,
			    const char *nodedir)
{
	char dir[160];
	char **names = NULL;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/memory_side_cache", nodedir);
	if (hv_root_list(c->root, dir, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char p[256];
		uint64_t v;
		struct topo_obj *o;

		if (!str_startswith(names[i], "index"))
			continue;
		o = topo_obj_new(TOPO_MEMCACHE, -1);
		o->level = (unsigned)atoi(names[i] + 5);
		snprintf(p, sizeof(p), "%s/%s/size", dir, names[i]);
		if (hv_root_read_u64(c->root, p, &v) == 0)
			o->size_bytes = v;
		snprintf(p, sizeof(p), "%s/%s/line_size", dir, names[i]);
		if (hv_root_read_u64(c->root, p, &v) == 0)
			o->line_size = (unsigned)v;
		topo_obj_add(node, o);
	}
	hv_strv_free(names, n);
}

struct node_info {
	unsigned id;
	struct topo_obj *obj;		/* NULL once the node is dropped */
	bool have_cpus;			/* a cpumap or cpulist was read */
	bool targets[2];		/* it has access0/1/targets */
	bool gpu;			/* a GPU's coherent memory */
	bool exact;			/* hangs from its locality's object */
	struct cpuset gpu_cpus;		/* then the GPU's local_cpus */
	struct cpuset locality;		/* its CPUs, else its initiators' */
};

static int cmp_node_id(const void *a, const void *b)
{
	const struct node_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* What sysfs says of a node's memory: a DAX device the kmem driver made
 * system RAM (as hwloc, which takes no other) whose target_node it is,
 * under an NVDIMM bus (NVM), a CXL region (CXL) or an "hmem"
 * platform device: EFI specific-purpose memory (SPM; HBM when HMAT
 * bandwidths say so, see memory_tiers()).  NULL when none does. */
static const char *memory_kind(struct probe_ctx *c, unsigned node)
{
	char **names = NULL;
	size_t n = 0;
	const char *kind = NULL;

	if (hv_root_list(c->root, "/sys/bus/dax/devices", &names, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n && !kind; i++) {
		char p[192];
		_cleanup_free_ char *real = NULL;

		snprintf(p, sizeof(p), "/sys/bus/dax/drivers/kmem/%s", names[i]);
		if (!hv_root_exists(c->root, p))
			continue;
		snprintf(p, sizeof(p), "/sys/bus/dax/devices/%s/target_node", names[i]);
		if (read_long(c, p, -1) != (long)node)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/dax/devices/%s", names[i]);
		if (hv_root_realpath(c->root, p, &real) < 0)
			continue;
		if (strstr(real, "/ndbus") || strstr(real, "/pmem"))
			kind = "NVM";
		else if (strstr(real, "/cxl") || strstr(real, "/region"))
			kind = "CXL";
		else if (strstr(real, "hmem"))
			kind = "SPM";
	}
	hv_strv_free(names, n);
	return kind;
}

/* A GPU whose coherent memory is a NUMA node (NVIDIA: /proc/driver/
 * nvidia/gpus/BUS/numa_status says "Node: N", as hwloc reads it). */
struct gpu_mem {
	char *bus;			/* printable PCI address */
	unsigned node;
};

/* Every GPU numa_status that names a node, in address order. */
static size_t gpu_memories(struct probe_ctx *c, struct gpu_mem **ret)
{
	char **names = NULL;
	size_t n = 0, ng = 0, ag = 0;
	struct gpu_mem *g = NULL;

	*ret = NULL;
	if (hv_root_list(c->root, "/proc/driver/nvidia/gpus", &names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *st = NULL;
		char p[192];
		const char *l;
		uint64_t id;
		char *end;

		snprintf(p, sizeof(p), "/proc/driver/nvidia/gpus/%s/numa_status", names[i]);
		if (strlen(names[i]) > 32 || hv_root_read_str(c->root, p, &st) < 0 ||
		    !(l = strstr(st, "Node:")))
			continue;
		l += strspn(l + 5, " \t") + 5;
		errno = 0;
		id = strtoull(l, &end, 10);
		if (end == l || errno || id >= CPUSET_MAX)
			continue;	/* "Node: -1": no memory node */
		g = xgrow(g, sizeof(*g), ng + 1, &ag);
		g[ng].bus = str_printable(xstrdup(names[i]), false);
		g[ng++].node = (unsigned)id;
	}
	hv_strv_free(names, n);
	*ret = g;
	return ng;
}

/*
 * Marks the nodes GPUs name as their memory (kind GPU, the GPU's address,
 * its local_cpus as locality).  A node with CPUs stays the memory of
 * those CPUs, a node several GPUs name is the first one's, a node that is
 * not there is skipped: each with a warning (hwloc moves a node with
 * CPUs to the GPU's CPUs and takes whichever GPU it reads last).
 */
static void gpu_nodes(struct probe_ctx *c, struct node_info *v, size_t nv)
{
	struct gpu_mem *g;
	size_t ng = gpu_memories(c, &g);
	size_t nmissing = 0, ncpu = 0, ntwin = 0, fm = 0, fc = 0, ft = 0;
	struct node_info *fcn = NULL, *ftn = NULL;

	for (size_t k = 0; k < ng; k++) {
		struct node_info *ni = NULL;
		char p[192];

		for (size_t i = 0; i < nv; i++)
			if (v[i].id == g[k].node && v[i].obj)
				ni = &v[i];
		if (!ni) {
			if (!nmissing++)
				fm = k;
		} else if (cpuset_next(&ni->obj->cpus, 0) >= 0) {
			if (!ncpu++) {
				fc = k;
				fcn = ni;
			}
		} else if (ni->obj->address) {
			if (!ntwin++) {
				ft = k;
				ftn = ni;
			}
		} else {
			ni->obj->address = xstrdup(g[k].bus);
			ni->obj->mem_kind = "GPU";
			ni->gpu = true;
			snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/local_cpus", g[k].bus);
			(void)probe_read_cpuset(c, NULL, p, &ni->gpu_cpus);
		}
	}
	/* One warning of each kind, naming the first GPU and how many more. */
	if (nmissing)
		hv_warnf(c->d, "/proc/driver/nvidia/gpus/%s/numa_status%s: node %u is not a NUMA node here, ignoring it",
			 g[fm].bus, nmissing > 1 ? " (and other GPUs')" : "", g[fm].node);
	if (ncpu) {
		_cleanup_free_ char *cpus = cpuset_format(&fcn->obj->cpus);

		hv_warnf(c->d, "/proc/driver/nvidia/gpus/%s/numa_status names node %u, which has CPUs %s: keeping it as their memory, not the GPU's%s",
			 g[fc].bus, g[fc].node, cpus, ncpu > 1 ? " (other GPUs name nodes with CPUs too)" : "");
	}
	if (ntwin)
		hv_warnf(c->d, "/proc/driver/nvidia/gpus/%s/numa_status names node %u, as %s's does: showing it as %s's memory%s",
			 g[ft].bus, g[ft].node, ftn->obj->address, ftn->obj->address,
			 ntwin > 1 ? " (other GPUs name a node already named too)" : "");
	for (size_t k = 0; k < ng; k++)
		free(g[k].bus);
	free(g);
}

/* A node's local bandwidth in MiB/s from HMAT as hwloc takes it: the
 * mean of read_bandwidth and write_bandwidth of access1/initiators (CPU
 * initiators), else access0; 0 when either is unknown. */
static uint64_t node_bandwidth(struct probe_ctx *c, unsigned node)
{
	char dir[96], p[128];
	uint64_t r, w;

	snprintf(dir, sizeof(dir), SYSNODE "/node%u/access1/initiators", node);
	if (!hv_root_is_dir(c->root, dir))
		snprintf(dir, sizeof(dir), SYSNODE "/node%u/access0/initiators", node);
	snprintf(p, sizeof(p), "%s/read_bandwidth", dir);
	if (hv_root_read_u64(c->root, p, &r) < 0 || !r)
		return 0;
	snprintf(p, sizeof(p), "%s/write_bandwidth", dir);
	if (hv_root_read_u64(c->root, p, &w) < 0 || !w)
		return 0;
	return r / 2 + w / 2 + (r & w & 1);
}

/* Adds to ni's locality the CPUs of the nodes listed in directory p;
 * returns whether p is a directory.  Entries naming the node itself, no
 * node here, or no node number are skipped with one warning each kind
 * (hwloc skips the first two silently and reads "node1x" as node 1). */
static bool add_nodes_of(struct probe_ctx *c, struct node_info *v, size_t nv,
			 struct node_info *ni, const char *p)
{
	static const char *const why[] = {
		"not a node name", "a node is not its own initiator",
		"no such NUMA node here",
	};
	char **names = NULL;
	size_t n = 0, nbad[3] = { 0 }, first[3] = { 0 };

	if (hv_root_list(c->root, p, &names, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		bool found = false;
		int bad = -1;

		if (!str_startswith(names[i], "node"))
			continue;	/* read_bandwidth, power, uevent */
		if (parse_u64(names[i] + 4, 10, &id) < 0)
			bad = 0;
		else if (id == ni->id)
			bad = 1;
		else {
			for (size_t k = 0; k < nv; k++)
				if (v[k].id == id && v[k].obj) {
					cpuset_or(&ni->locality, &v[k].locality);
					found = true;
				}
			if (!found)
				bad = 2;
		}
		if (bad >= 0 && !nbad[bad]++)
			first[bad] = i;
	}
	for (int k = 0; k < 3; k++) {
		_cleanup_free_ char *nm = NULL;

		if (!nbad[k])
			continue;
		nm = str_printable(xstrdup(names[first[k]]), false);
		if (nbad[k] == 1)
			hv_warnf(c->d, "%s/%s: %s, ignoring it", p, nm, why[k]);
		else
			hv_warnf(c->d, "%s/%s and %zu more: %s, ignoring them", p, nm,
				 nbad[k] - 1, why[k]);
	}
	hv_strv_free(names, n);
	return true;
}

/*
 * A CPU-less node's locality: the CPUs of its initiators, from its
 * access1 directory (CPU initiators) where there is one, else access0
 * (any initiator, generic ones included), as hwloc reads them; else from
 * the nodes that list it among their access targets.
 */
static void node_initiators(struct probe_ctx *c, struct node_info *v, size_t nv,
			    struct node_info *ni)
{
	char p[128];

	for (int a = 1; a >= 0; a--) {
		snprintf(p, sizeof(p), SYSNODE "/node%u/access%d/initiators", ni->id, a);
		if (add_nodes_of(c, v, nv, ni, p))
			break;
	}
	for (int a = 0; a < 2 && cpuset_next(&ni->locality, 0) < 0; a++)
		for (size_t k = 0; k < nv; k++) {
			if (!v[k].obj || k == (size_t)(ni - v) || !v[k].targets[a])
				continue;
			snprintf(p, sizeof(p), SYSNODE "/node%u/access%d/targets/node%u",
				 v[k].id, a, ni->id);
			if (hv_root_exists(c->root, p))
				cpuset_or(&ni->locality, &v[k].locality);
		}
}

/*
 * Else, as hwloc guesses: the nodes nearest to it in the distance
 * matrix (row i; any node, a CPU-less one by the locality found for it
 * so far), unless those are all the other nodes or no nearer than the
 * node is to itself (a matrix that says so is wrong).
 */
static void node_nearest(const unsigned *dist, struct node_info *v, size_t nv,
			 size_t i)
{
	unsigned min = UINT_MAX;
	size_t nmin = 0;

	for (size_t k = 0; k < nv; k++) {
		unsigned d = dist[i * nv + k];

		if (k == i || !v[k].obj)
			continue;
		if (d < min) {
			min = d;
			nmin = 0;
		}
		nmin += d == min;
	}
	if (min == UINT_MAX || min <= dist[i * nv + i] || nmin == nv - 1)
		return;
	for (size_t k = 0; k < nv; k++)
		if (k != i && v[k].obj && dist[i * nv + k] == min)
			cpuset_or(&v[i].locality, &v[k].locality);
}

/* Hangs node from the object whose cpuset is its locality (a group made
 * for it when none is).  A locality that takes part of an object and not
 * all of it cannot have one: the node hangs from the smallest object
 * holding it, with a warning naming what it cuts. */
static bool node_attach(struct probe_ctx *c, struct topo_obj *node,
			const struct cpuset *locality)
{
	bool exact;
	struct topo *t = c->t;
	struct cpuset off = { 0 };
	struct topo_obj *p;

	/* The kernel leaves offline CPUs out of node cpumaps; we show them. */
	topo_offline_cpus(t->root, &off);
	p = topo_node_parent(t->root, locality, &off, c->d);
	cpuset_release(&off);
	exact = p && (p != t->root || cpuset_includes(locality, &t->root->cpus, NULL) ||
		      cpuset_next(locality, 0) < 0);

	if (!p) {
		const struct topo_obj *cut = NULL;
		_cleanup_free_ char *l = cpuset_format(locality), *h = NULL, *k = NULL;

		p = topo_cpu_container(t->root, locality);
		for (size_t i = 0; i < p->nkids && !cut; i++)
			if (cpuset_intersects(&p->kids[i]->cpus, locality, NULL) &&
			    !cpuset_includes(locality, &p->kids[i]->cpus, NULL))
				cut = p->kids[i];
		h = cpuset_format(&p->cpus);
		if (cut)
			k = cpuset_format(&cut->cpus);
		hv_warnf(c->d, "NUMA node %lld: its locality, CPUs %s, takes part of the %s of CPUs %s and not all of it; it hangs from the %s of CPUs %s",
			 (long long)node->os_index, l, cut ? topo_type_name(cut->type) : "object",
			 k ? k : "?", topo_type_name(p->type), h);
	}
	topo_obj_add(p, node);
	return exact;
}

/*
 * hwloc's "buggy NUMA": nodes that list the same CPUs, or whose cpusets
 * overlap without one holding the other (on Linux a CPU is in one node),
 * or that hold far more memory than the machine has.  Returns a
 * description (in buf) or NULL.
 */
static const char *numa_lie(struct node_info *v, size_t nv, uint64_t memtotal,
			    char *buf, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < nv; i++) {
		const struct cpuset *a;

		if (!v[i].obj)
			continue;
		a = &v[i].obj->cpus;
		sum = sum + v[i].obj->memory_bytes < sum ? UINT64_MAX
							 : sum + v[i].obj->memory_bytes;
		for (size_t k = i + 1; k < nv; k++) {
			const struct cpuset *b;

			if (!v[k].obj)
				continue;
			b = &v[k].obj->cpus;
			/* Nested sets may be real (a node local to a package
			 * beside one local to its die, as hwloc's own
			 * fakeheterocpunuma test has): kept. */
			if (!cpuset_intersects(a, b, NULL) ||
			    (!cpuset_equal(a, b) && (cpuset_includes(a, b, NULL) ||
						     cpuset_includes(b, a, NULL))))
				continue;
			snprintf(buf, len, "NUMA nodes %u and %u %s", v[i].id, v[k].id,
				 cpuset_equal(a, b) ? "list the same CPUs" :
				 "overlap: each has CPUs the other lacks");
			return buf;
		}
	}
	/* Node totals run a few percent over MemTotal (memory the kernel
	 * keeps); half as much again is memory listed twice. */
	if (memtotal && sum - sum / 3 > memtotal) {
		snprintf(buf, len, "NUMA nodes list %llu MiB of memory, the machine has %llu MiB",
			 (unsigned long long)(sum >> 20),
			 (unsigned long long)(memtotal >> 20));
		return buf;
	}
	return NULL;
}

/* Appends "; what" to *notes. */
static void note_add(char **notes, const char *what)
{
	char *s = xasprintf("%s%s%s", *notes ? *notes : "", *notes ? "; " : "", what);

	free(*notes);
	*notes = s;
}

/* The distance file of node v[i] into row i; false when it has not nv
 * numbers. */
static bool read_distances(struct probe_ctx *c, const char *dir, unsigned *row,
			   size_t nv)
{
	_cleanup_free_ char *dist = NULL;
	char p[160];
	char *s, *end;
	size_t k = 0;

	snprintf(p, sizeof(p), "%s/distance", dir);
	if (hv_root_read_str(c->root, p, &dist) < 0)
		return false;
	for (s = dist; k < nv; k++) {
		unsigned long d = strtoul(s, &end, 10);

		if (end == s || d > UINT_MAX)
			break;
		row[k] = (unsigned)d;
		s = end;
	}
	if (k != nv)
		hv_warnf(c->d, "%s: %zu distances for %zu nodes, ignoring the matrix",
			 p, k, nv);
	return k == nv;
}

/*
 * The kind of every node's memory, by hwloc's rules for memory tiers:
 * DAX devices say NVM, CXL or SPM, a GPU's memory is GPU.  When every
 * SPM node has at least twice the local bandwidth (node_bandwidth()) of
 * the fastest node that nothing describes, SPM is HBM and those others
 * are DRAM.  Otherwise a node with CPUs that nothing describes is DRAM
 * (where lstopo gives no subtype) and a CPU-less one has no kind.
 */
static void memory_tiers(struct probe_ctx *c, struct node_info *v, size_t nv)
{
	uint64_t max_plain = 0, min_spm = UINT64_MAX;
	bool hbm;

	for (size_t i = 0; i < nv; i++) {
		struct topo_obj *o = v[i].obj;
		uint64_t bw;

		if (!o || v[i].gpu)
			continue;
		o->mem_kind = memory_kind(c, v[i].id);
		if (o->mem_kind && strcmp(o->mem_kind, "SPM") != 0)
			continue;
		/* hwloc knows a node's bandwidth from its own CPUs or
		 * initiators, as an object's cpuset: none for a node of
		 * unknown locality or one no object has */
		bw = cpuset_next(&v[i].locality, 0) >= 0 && v[i].exact ?
		     node_bandwidth(c, v[i].id) : 0;
		if (!o->mem_kind && bw > max_plain)
			max_plain = bw;
		else if (o->mem_kind && bw < min_spm)
			min_spm = bw;
	}
	hbm = max_plain && min_spm != UINT64_MAX && min_spm && max_plain < min_spm / 2 +
	      (min_spm & 1);
	for (size_t i = 0; i < nv; i++) {
		struct topo_obj *o = v[i].obj;

		if (!o || v[i].gpu)
			continue;
		if (!o->mem_kind && (hbm || cpuset_next(&o->cpus, 0) >= 0))
			o->mem_kind = "DRAM";
		else if (hbm && o->mem_kind && strcmp(o->mem_kind, "SPM") == 0)
			o->mem_kind = "HBM";
	}
}

/* Whether a distance matrix says nothing (every distance 0), warned. */
static bool zero_distances(struct probe_ctx *c, const unsigned *dist, size_t nv)
{
	for (size_t k = 0; k < nv * nv; k++)
		if (dist[k])
			return false;
	hv_warnf(c->d, SYSNODE "/node*/distance: every distance is 0 (none known); ignoring the matrix");
	return true;
}

/* The nodes node/online lists, else node/possible (hwloc reads online);
 * false when neither is there or parses. */
static bool list_nodes(struct probe_ctx *c, struct cpuset *ret)
{
	if (read_one_cpuset(c, SYSNODE "/online", true, ret) == 0 ||
	    read_one_cpuset(c, SYSNODE "/possible", true, ret) == 0) {
		if (cpuset_next(ret, 0) >= 0)
			return true;
		cpuset_release(ret);	/* an empty list says nothing */
	}
	return false;
}

int probe_sysfs_numa(struct probe_ctx *c)
{
	char **names = NULL;
	size_t n = 0;
	struct node_info *v = NULL;
	size_t nv = 0, nkept = 0;
	struct topo *t = c->t;
	_cleanup_free_ char *mi = NULL;
	_cleanup_free_ unsigned *dist = NULL;
	uint64_t memtotal = 0;
	char why[160];
	const char *lie;
	bool dist_ok = true;

	if (hv_root_read(c->root, "/proc/meminfo", &mi, NULL) == 0)
		(void)meminfo_total(mi, "MemTotal:", &memtotal);
	if (hv_root_list(c->root, SYSNODE, &names, &n) == 0) {
		struct cpuset listed = { 0 };
		bool have_listed = list_nodes(c, &listed);
		const char *stray = NULL;
		size_t nstray = 0;

		v = xcalloc(n ? n : 1, sizeof(*v));
		for (size_t i = 0; i < n; i++) {
			char canon[32];
			uint64_t id;

			if (!str_startswith(names[i], "node") ||
			    parse_u64(names[i] + 4, 10, &id) < 0)
				continue;
			snprintf(canon, sizeof(canon), "node%llu", (unsigned long long)id);
			if (id >= CPUSET_MAX)
				hv_warnf(c->d, SYSNODE "/%s: node number past %u, ignoring it",
					 names[i], CPUSET_MAX - 1);
			else if (strcmp(canon, names[i]) != 0 ||
				 (have_listed && !cpuset_has(&listed, (unsigned)id))) {
				if (!nstray++)
					stray = names[i];
			} else
				v[nv++].id = (unsigned)id;
		}
		/* As hwloc: only the nodes node/online lists, by their
		 * kernel names (node01 would read node1's files). */
		if (nstray)
			hv_warnf(c->d, SYSNODE ": %zu node director%s (%s%s) not named as the kernel does or not in node/online, ignoring %s",
				 nstray, nstray > 1 ? "ies" : "y", stray,
				 nstray > 1 ? ", ..." : "", nstray > 1 ? "them" : "it");
		cpuset_release(&listed);
	}
	hv_strv_free(names, n);
	/* In id order: the columns of each distance file are. */
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_node_id);
	if (!nv && !cpuset_count(&t->root->cpus)) {
		free(v);
		return -ENOENT;
	}
	if (!nv) {
		/* No NUMA support in the kernel: one node holds everything. */
		struct topo_obj *o = topo_obj_new(TOPO_NUMA, 0);

		o->memory_bytes = memtotal;
		o->mem_kind = memtotal ? "DRAM" : NULL;
		cpuset_copy(&o->cpus, &t->root->cpus);
		node_attach(c, o, &o->cpus);
		free(v);
		return 0;
	}

	/* Linux allows 1024 nodes (NODES_SHIFT 10): past that, a matrix
	 * would only cost memory. */
	if (nv > 1024) {
		hv_warnf(c->d, SYSNODE ": %zu nodes, ignoring their distances", nv);
		dist_ok = false;
	} else {
		dist = xcalloc(nv * nv, sizeof(unsigned));
	}
	for (size_t i = 0; i < nv; i++) {
		char dir[96], p[160], p2[160];
		_cleanup_free_ char *nmi = NULL;
		struct topo_obj *o = topo_obj_new(TOPO_NUMA, v[i].id);
		struct cpuset cpus = { 0 };

		v[i].obj = o;
		snprintf(dir, sizeof(dir), SYSNODE "/node%u", v[i].id);
		snprintf(p, sizeof(p), "%s/cpulist", dir);
		snprintf(p2, sizeof(p2), "%s/cpumap", dir);
		v[i].have_cpus = probe_read_cpuset(c, p, p2, &cpus) == 0;
		/* Only PUs that exist: a CPU the node lists and the machine
		 * lacks is warned about (lstopo keeps it in a Group). */
		struct cpuset gone = { 0 };

		for (int k = cpuset_next(&cpus, 0); k >= 0;
		     k = cpuset_next(&cpus, (unsigned)k + 1))
			cpuset_set(cpuset_has(&t->root->cpus, (unsigned)k) ? &o->cpus : &gone,
				   (unsigned)k);
		if (cpuset_next(&gone, 0) >= 0 && cpuset_next(&t->root->cpus, 0) >= 0) {
			_cleanup_free_ char *g = cpuset_format(&gone);

			hv_warnf(c->d, "%s: the node lists CPUs %s, which this machine does not have; leaving them out",
				 dir, g);
		}
		cpuset_release(&gone);
		cpuset_release(&cpus);
		snprintf(p, sizeof(p), "%s/meminfo", dir);
		if (hv_root_read(c->root, p, &nmi, NULL) == 0 &&
		    meminfo_total(nmi, "MemTotal:", &o->memory_bytes) < 0) {
			/* unknown, not none: no "no memory" finding on it */
			hv_warnf(c->d, "%s: no MemTotal in kB that parses, memory unknown", p);
			o->memory_unknown = true;
		}
		for (int a = 0; a < 2; a++) {
			snprintf(p, sizeof(p), "%s/access%d/targets", dir, a);
			v[i].targets[a] = hv_root_is_dir(c->root, p);
		}
		if (dist_ok && nv > 1)
			dist_ok = read_distances(c, dir, dist + i * nv, nv);
		probe_memcaches(c, o, dir);
	}

	/* Nodes that say nothing: no CPU list at all (hwloc drops those
	 * too), or neither CPUs nor memory. */
	for (size_t i = 0; i < nv; i++) {
		char what[96];

		if (v[i].have_cpus && (cpuset_next(&v[i].obj->cpus, 0) >= 0 ||
				       v[i].obj->memory_bytes ||
				       v[i].obj->memory_unknown))
			continue;
		snprintf(what, sizeof(what), "NUMA node %u has %s", v[i].id,
			 v[i].have_cpus ? "no CPUs and no memory" : "no readable cpumap or cpulist");
		hv_warnf(c->d, SYSNODE "/node%u: %s, leaving it out", v[i].id,
			 v[i].have_cpus ? "no CPUs and no memory" : "no readable cpumap or cpulist");
		note_add(&t->numa_dropped, what);
		topo_obj_free(v[i].obj);
		v[i].obj = NULL;
	}
	for (size_t i = 0; i < nv; i++)
		nkept += v[i].obj != NULL;

	lie = numa_lie(v, nv, memtotal, why, sizeof(why));
	if (lie || !nkept) {
		/* As hwloc does: one node with all the CPUs and memory. */
		struct topo_obj *o = topo_obj_new(TOPO_NUMA, 0);

		if (lie) {
			hv_warnf(c->d, "buggy NUMA information: %s; showing one node", lie);
			free(t->numa_bug);
			t->numa_bug = xstrdup(lie);
		}
		cpuset_copy(&o->cpus, &t->root->cpus);
		o->memory_bytes = memtotal;
		o->mem_kind = "DRAM";
		for (size_t i = 0; i < nv; i++) {
			if (!memtotal && v[i].obj &&
			    v[i].obj->memory_bytes > o->memory_bytes)
				o->memory_bytes = v[i].obj->memory_bytes;
			topo_obj_free(v[i].obj);
		}
		node_attach(c, o, &o->cpus);
		free(v);
		return 0;
	}
	if (dist_ok && nv > 1 && zero_distances(c, dist, nv))
		dist_ok = false;

	/* The matrix of the nodes kept, for the user. */
	if (dist_ok && nv > 1) {
		size_t r = 0;

		t->ndist = nkept;
		t->dist_nodes = xcalloc(nkept, sizeof(unsigned));
		t->dist = xcalloc(nkept * nkept, sizeof(unsigned));
		for (size_t i = 0; i < nv; i++) {
			size_t col = 0;

			if (!v[i].obj)
				continue;
			t->dist_nodes[r] = v[i].id;
			for (size_t k = 0; k < nv; k++)
				if (v[k].obj)
					t->dist[r * nkept + col++] = dist[i * nv + k];
			r++;
		}
		t->dist_source = xstrdup("sysfs");
	}

	/* Nodes with CPUs first, then memory-only ones in id order: a
	 * GPU's under the GPU's CPUs, others under their initiators, else
	 * their nearest nodes (the machine when nothing says). */
	for (size_t i = 0; i < nv; i++)
		if (v[i].obj)
			cpuset_copy(&v[i].locality, &v[i].obj->cpus);
	for (size_t i = 0; i < nv; i++)
		if (v[i].obj && cpuset_next(&v[i].obj->cpus, 0) >= 0)
			v[i].exact = node_attach(c, v[i].obj, &v[i].obj->cpus);
	gpu_nodes(c, v, nv);
	for (size_t i = 0; i < nv; i++) {
		if (!v[i].obj || cpuset_next(&v[i].obj->cpus, 0) >= 0)
			continue;
		if (v[i].gpu)
			cpuset_copy(&v[i].locality, &v[i].gpu_cpus);
		if (cpuset_next(&v[i].locality, 0) < 0)
			node_initiators(c, v, nv, &v[i]);
		if (cpuset_next(&v[i].locality, 0) < 0 && dist_ok && nv > 1)
			node_nearest(dist, v, nv, i);
		v[i].exact = node_attach(c, v[i].obj, &v[i].locality);
	}
	memory_tiers(c, v, nv);
	for (size_t i = 0; i < nv; i++) {
		cpuset_release(&v[i].locality);
		cpuset_release(&v[i].gpu_cpus);
	}
	free(v);
	return 0;
}

int probe_sysfs_machine(struct probe_ctx *c)
{
	static const struct {
		const char *file;
		size_t off;
	} attrs[] = {
		{ "sys_vendor", offsetof(struct topo_obj, vendor) },
		{ "product_name", offsetof(struct topo_obj, product) },
		{ "product_version", offsetof(struct topo_obj, version) },
		{ "board_vendor", offsetof(struct topo_obj, board_vendor) },
		{ "board_name", offsetof(struct topo_obj, board) },
		{ "bios_vendor", offsetof(struct topo_obj, bios_vendor) },
		{ "bios_version", offsetof(struct topo_obj, bios_version) },
		{ "bios_date", offsetof(struct topo_obj, bios_date) },
		{ "chassis_type", offsetof(struct topo_obj, chassis_type) },
	};
	struct topo_obj *m = c->t->root;
	bool any = false;

	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		char p[128];
		char **field = (char **)((char *)m + attrs[i].off);
		char *s = NULL;

		snprintf(p, sizeof(p), "/sys/class/dmi/id/%s", attrs[i].file);
		if (*field || hv_root_read_str(c->root, p, &s) < 0)
			continue;
		if (!*s) {
			free(s);
			continue;
		}
		*field = str_printable(s, false);
		any = true;
	}
	if (!m->hostname &&
	    hv_root_read_str(c->root, "/proc/sys/kernel/hostname",
			     &m->hostname) == 0)
		str_printable(m->hostname, false);
	return any ? 0 : -ENOENT;
}

int probe_sysfs_security(struct probe_ctx *c)
{
	char **names = NULL;
	size_t n = 0;
	struct topo *t = c->t;

	if (!t->microcode) {
		(void)hv_root_read_str(c->root, SYSCPU "/cpu0/microcode/version",
				       &t->microcode);
	}
	if (hv_root_list(c->root, SYSCPU "/vulnerabilities", &names, &n) < 0)
		return -ENOENT;
	t->vulns = xcalloc(n ? n : 1, sizeof(*t->vulns));
	for (size_t i = 0; i < n; i++) {
		char p[192];
		char *s = NULL;

		snprintf(p, sizeof(p), SYSCPU "/vulnerabilities/%s", names[i]);
		if (hv_root_read_str(c->root, p, &s) < 0)
			continue;
		struct topo_vuln *v = &t->vulns[t->nvulns++];
		v->name = xstrdup(names[i]);
		v->status = s;
		v->mitigated = str_startswith(s, "Not affected") ||
			       str_startswith(s, "Mitigation");
	}
	hv_strv_free(names, n);
	return 0;
}
