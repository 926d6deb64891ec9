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

int probe_read_cpuset(struct probe_ctx *c, const char *list_path,
		      const char *mask_path, struct cpuset *ret)
{
	_cleanup_free_ char *s = NULL;
	int rc;

	if (list_path && hv_root_read_str(c->root, list_path, &s) == 0) {
		rc = cpuset_parse_list(ret, s);
		if (rc < 0)
			hv_warnf(c->d, "%s: cannot parse CPU list '%s', ignoring",
				 list_path, s);
		return rc;
	}
	if (mask_path && hv_root_read_str(c->root, mask_path, &s) == 0) {
		rc = cpuset_parse_mask(ret, s);
		if (rc < 0)
			hv_warnf(c->d, "%s: cannot parse CPU mask '%s', ignoring",
				 mask_path, s);
		return rc;
	}
	return -ENOENT;
}

/* Reads a signed integer attribute; returns def when absent or bad. */
static long read_long(struct probe_ctx *c, const char *path, long def)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;

	if (hv_root_read_str(c->root, path, &s) < 0)
		return def;
	v = strtol(s, &end, 0);
	return (end == s || *end) ? def : v;
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
	if (hv_root_read(c->root, "/proc/cpuinfo", &data, NULL) < 0)
		return;
	for (char *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = 0;
		char *key = strstrip(line), *val = strstrip(colon + 1);

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

/* Objects keyed by an integer tuple, each accumulating a cpuset. */
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

/* Number of distinct key[level] values among groups sharing key[0..level). */
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

struct cache_owner {
	unsigned level;
	enum cache_type type;
	struct topo_obj **by_cpu;	/* cache that holds each PU */
};

int probe_sysfs_cpus(struct probe_ctx *c)
{
	char **names = NULL;
	size_t nnames = 0;
	struct cpuset online = { 0 }, present = { 0 }, pcore = { 0 },
		      patom = { 0 };
	bool have_online;
	struct groups pkgs = { 0 }, dies = { 0 }, clusters = { 0 },
		      cores = { 0 };
	struct topo_obj **objs = NULL;
	size_t nobjs = 0, aobjs = 0;
	struct cache_owner *owners = NULL;
	size_t nowners = 0, aowners = 0;
	struct cpuinfo ci;
	unsigned maxcpu = 0;
	int rc;

	rc = hv_root_list(c->root, SYSCPU, &names, &nnames);
	if (rc < 0)
		return rc;
	have_online = probe_read_cpuset(c, SYSCPU "/online", NULL, &online) == 0;
	(void)probe_read_cpuset(c, "/sys/devices/cpu_core/cpus", NULL, &pcore);
	(void)probe_read_cpuset(c, "/sys/devices/cpu_atom/cpus", NULL, &patom);
	read_cpuinfo(c, &ci);

	/* Which PUs exist: cpuN with a topology directory. */
	for (size_t i = 0; i < nnames; i++) {
		uint64_t cpu;
		char path[128];

		if (!str_startswith(names[i], "cpu") ||
		    parse_u64(names[i] + 3, 10, &cpu) < 0 || cpu >= CPUSET_MAX)
			continue;
		snprintf(path, sizeof(path), SYSCPU "/%s/topology", names[i]);
		if (!hv_root_is_dir(c->root, path))
			continue;
		cpuset_set(&present, (unsigned)cpu);
		if (cpu + 1 > maxcpu)
			maxcpu = (unsigned)cpu + 1;
	}
	if (!cpuset_count(&present)) {
		rc = -ENOENT;
		goto out;
	}

	int first_cpu = cpuset_next(&present, 0);
	bool has_die = true, has_cluster = true;
	/* What each cache/indexK was on the CPUs seen so far. */
	struct { long level; enum cache_type ct; } idx_kind[16];
	for (size_t k = 0; k < ARRAY_SIZE(idx_kind); k++)
		idx_kind[k].level = -1;

	for (int cpu = first_cpu; cpu >= 0;
	     cpu = cpuset_next(&present, (unsigned)cpu + 1)) {
		char base[96], path[160];
		long pkg, die, cluster, core, core_os;
		struct topo_obj *o;

		snprintf(base, sizeof(base), SYSCPU "/cpu%d/topology", cpu);
#define ATTR(name) (snprintf(path, sizeof(path), "%s/" name, base), path)
		pkg = read_long(c, ATTR("physical_package_id"), -1);
		if (pkg < 0) {
			/* No id (some ARM and virtual machines): the first
			 * CPU of the package mask names the package. */
			struct cpuset m = { 0 };

			char mask[160];

			snprintf(mask, sizeof(mask), "%s/core_siblings", base);
			if (probe_read_cpuset(c, ATTR("package_cpus_list"),
					      NULL, &m) == 0 ||
			    probe_read_cpuset(c, ATTR("core_siblings_list"),
					      mask, &m) == 0)
				pkg = 100000 + cpuset_next(&m, 0);
			else
				pkg = 100000;
			cpuset_release(&m);
		}
		/* Kernels before 5.x have neither file; one CPU tells. */
		die = has_die ? read_long(c, ATTR("die_id"), 0) : 0;
		cluster = has_cluster ? read_long(c, ATTR("cluster_id"), -1) : -1;
		if (cpu == first_cpu) {
			has_die = hv_root_exists(c->root, ATTR("die_id"));
			has_cluster = hv_root_exists(c->root, ATTR("cluster_id"));
		}
		/* A core is its set of hardware threads: core_id alone
		 * repeats across dies, nodes and books on some machines. */
		{
			struct cpuset th = { 0 };
			char mask[160];

			snprintf(mask, sizeof(mask), "%s/thread_siblings", base);
			if (probe_read_cpuset(c, ATTR("thread_siblings_list"), mask,
					      &th) == 0 && cpuset_next(&th, 0) >= 0)
				core = cpuset_next(&th, 0);
			else if ((core = read_long(c, ATTR("core_id"), -1)) >= 0)
				core += 1000000;
			cpuset_release(&th);
		}
		core_os = read_long(c, ATTR("core_id"), -1);
#undef ATTR
		o = group_get(&pkgs, TOPO_PACKAGE, pkg, 0, 0,
			      pkg >= 100000 ? -1 : pkg);
		cpuset_set(&o->cpus, (unsigned)cpu);
		if (!o->cpu_model && (size_t)cpu < ci.n && ci.model[cpu])
			o->cpu_model = xstrdup(ci.model[cpu]);
		if (!o->cpu_family && ci.family) {
			memcpy(o->cpu_vendor, ci.vendor, sizeof(o->cpu_vendor));
			o->cpu_family = ci.family;
			o->cpu_model_num = ci.model_num;
			o->cpu_stepping = ci.stepping;
		}
		o = group_get(&dies, TOPO_DIE, pkg, die, 0, die);
		cpuset_set(&o->cpus, (unsigned)cpu);
		o = group_get(&clusters, TOPO_CLUSTER, pkg, die, cluster, cluster);
		cpuset_set(&o->cpus, (unsigned)cpu);
		if (core < 0)
			goto no_core;
		o = group_get(&cores, TOPO_CORE, pkg, die, core, core_os);
		cpuset_set(&o->cpus, (unsigned)cpu);
		if (!o->core_kind && cpuset_has(&pcore, (unsigned)cpu))
			o->core_kind = xstrdup("performance");
		else if (!o->core_kind && cpuset_has(&patom, (unsigned)cpu))
			o->core_kind = xstrdup("efficiency");
no_core:

		o = topo_obj_new(TOPO_PU, cpu);
		cpuset_set(&o->cpus, (unsigned)cpu);
		if (have_online)
			o->online = cpuset_has(&online, (unsigned)cpu);
		else {
			snprintf(path, sizeof(path), SYSCPU "/cpu%d/online", cpu);
			o->online = read_long(c, path, 1) != 0;
		}
		objs = xgrow(objs, sizeof(*objs), nobjs + 1, &aobjs);
		objs[nobjs++] = o;

		/* Caches seen from this PU. */
		char **idx = NULL;
		size_t nidx = 0;
		snprintf(path, sizeof(path), SYSCPU "/cpu%d/cache", cpu);
		if (hv_root_list(c->root, path, &idx, &nidx) < 0)
			continue;
		for (size_t k = 0; k < nidx; k++) {
			char cb[256], p2[320];
			_cleanup_free_ char *type = NULL, *size = NULL;
			struct cpuset shared = { 0 };
			enum cache_type ct;
			long level;

			if (!str_startswith(idx[k], "index"))
				continue;
			snprintf(cb, sizeof(cb), "%s/%s", path, idx[k]);
#define CATTR(name) (snprintf(p2, sizeof(p2), "%s/" name, cb), p2)
			/*
			 * indexK is the same kind of cache on every CPU (the
			 * order of CPUID leaf 4): when an earlier CPU's cache
			 * of that kind already holds this CPU, nothing of it
			 * needs reading again.  Otherwise read it for real.
			 */
			unsigned long kidx = strtoul(idx[k] + 5, NULL, 10);
			if (kidx < ARRAY_SIZE(idx_kind) && idx_kind[kidx].level > 0) {
				bool covered = false;

				for (size_t w = 0; w < nowners; w++)
					if (owners[w].level == (unsigned)idx_kind[kidx].level &&
					    owners[w].type == idx_kind[kidx].ct &&
					    owners[w].by_cpu[cpu])
						covered = true;
				if (covered)
					continue;
			}
			level = read_long(c, CATTR("level"), -1);
			if (level < 1 || level > 9 ||
			    hv_root_read_str(c->root, CATTR("type"), &type) < 0)
				continue;
			if (strcmp(type, "Data") == 0)
				ct = CACHE_DATA;
			else if (strcmp(type, "Instruction") == 0)
				ct = CACHE_INSTRUCTION;
			else
				ct = CACHE_UNIFIED;
			if (kidx < ARRAY_SIZE(idx_kind)) {
				idx_kind[kidx].level = level;
				idx_kind[kidx].ct = ct;
			}
			struct cache_owner *ow = NULL;
			for (size_t w = 0; w < nowners; w++)
				if (owners[w].level == (unsigned)level &&
				    owners[w].type == ct)
					ow = &owners[w];
			if (!ow) {
				owners = xgrow(owners, sizeof(*owners), nowners + 1,
					       &aowners);
				ow = &owners[nowners++];
				ow->level = (unsigned)level;
				ow->type = ct;
				ow->by_cpu = xcalloc(maxcpu, sizeof(struct topo_obj *));
			}
			if (ow->by_cpu[cpu])
				continue;	/* already seen from a sibling */
			char p3[320];
			snprintf(p3, sizeof(p3), "%s/shared_cpu_map", cb);
			if (probe_read_cpuset(c, CATTR("shared_cpu_list"), p3,
					      &shared) < 0)
				cpuset_set(&shared, (unsigned)cpu);
			cpuset_set(&shared, (unsigned)cpu);
			o = topo_obj_new(TOPO_CACHE, -1);
			o->level = (unsigned)level;
			o->cache_type = ct;
			if (hv_root_read_str(c->root, CATTR("size"), &size) == 0)
				o->size_bytes = parse_cache_size(size);
			o->line_size = (unsigned)read_long(
				c, CATTR("coherency_line_size"), 0);
			o->ways = (unsigned)read_long(
				c, CATTR("ways_of_associativity"), 0);
#undef CATTR
			for (int s = cpuset_next(&shared, 0); s >= 0;
			     s = cpuset_next(&shared, (unsigned)s + 1))
				if (cpuset_has(&present, (unsigned)s)) {
					cpuset_set(&o->cpus, (unsigned)s);
					if (!ow->by_cpu[s])
						ow->by_cpu[s] = o;
				}
			cpuset_release(&shared);
			objs = xgrow(objs, sizeof(*objs), nobjs + 1, &aobjs);
			objs[nobjs++] = o;
		}
		hv_strv_free(idx, nidx);
	}

	/* Dies and clusters only where they split something. */
	bool want_dies = groups_split(&dies, 1);
	bool want_clusters = groups_split(&clusters, 2);
	struct groups *all[] = { &pkgs, &dies, &clusters, &cores };
	for (size_t g = 0; g < ARRAY_SIZE(all); g++)
		for (size_t i = 0; i < all[g]->n; i++) {
			struct topo_obj *o = all[g]->v[i].obj;
			bool keep = true;

			if (all[g] == &dies)
				keep = want_dies;
			if (all[g] == &clusters) {
				keep = want_clusters && all[g]->v[i].key[2] >= 0;
				/* A cluster of one core adds nothing. */
				for (size_t k = 0; keep && k < cores.n; k++)
					if (cpuset_equal(&cores.v[k].obj->cpus,
							 &o->cpus))
						keep = false;
			}
			if (!keep) {
				topo_obj_free(o);
				continue;
			}
			objs = xgrow(objs, sizeof(*objs), nobjs + 1, &aobjs);
			objs[nobjs++] = o;
		}
	topo_build_cpu_tree(c->t->root, objs, nobjs);
	cpuset_copy(&c->t->root->cpus, &present);
	if (ci.microcode && !c->t->microcode)
		c->t->microcode = xstrdup(ci.microcode);
	topo_add_source(c->t, "sysfs");
	rc = 0;
out:
	for (size_t w = 0; w < nowners; w++)
		free(owners[w].by_cpu);
	free(owners);
	free(objs);
	free(pkgs.v);
	free(dies.v);
	free(clusters.v);
	free(cores.v);
	cpuset_release(&online);
	cpuset_release(&present);
	cpuset_release(&pcore);
	cpuset_release(&patom);
	cpuinfo_release(&ci);
	hv_strv_free(names, nnames);
	return rc;
}

static uint64_t meminfo_total(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	unsigned long long kb;

	if (!p || sscanf(p + strlen(key), " %llu", &kb) != 1)
		return 0;
	return (uint64_t)kb * 1024;
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

int probe_sysfs_numa(struct probe_ctx *c)
{
	char **names = NULL;
	size_t n = 0;
	unsigned *ids = NULL;
	size_t nids = 0;
	struct topo *t = c->t;

	if (hv_root_list(c->root, SYSNODE, &names, &n) == 0) {
		ids = xcalloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++) {
			uint64_t v;

			if (str_startswith(names[i], "node") &&
			    parse_u64(names[i] + 4, 10, &v) == 0 && v < CPUSET_MAX)
				ids[nids++] = (unsigned)v;
		}
	}
	if (!nids && !cpuset_count(&t->root->cpus)) {
		hv_strv_free(names, n);
		free(ids);
		return -ENOENT;
	}
	if (!nids) {
		/* No NUMA support in the kernel: one node holds everything. */
		_cleanup_free_ char *mi = NULL;
		struct topo_obj *o = topo_obj_new(TOPO_NUMA, 0);

		if (hv_root_read(c->root, "/proc/meminfo", &mi, NULL) == 0)
			o->memory_bytes = meminfo_total(mi, "MemTotal:");
		cpuset_copy(&o->cpus, &t->root->cpus);
		topo_obj_add(topo_node_parent(t->root, &o->cpus), o);
		hv_strv_free(names, n);
		free(ids);
		return 0;
	}

	t->ndist = nids;
	t->dist_nodes = xcalloc(nids, sizeof(unsigned));
	t->dist = xcalloc(nids * nids, sizeof(unsigned));
	bool dist_ok = true;
	for (size_t i = 0; i < nids; i++) {
		char dir[96], p[160];
		_cleanup_free_ char *mi = NULL, *dist = NULL;
		struct topo_obj *o = topo_obj_new(TOPO_NUMA, ids[i]);
		struct cpuset cpus = { 0 };

		snprintf(dir, sizeof(dir), SYSNODE "/node%u", ids[i]);
		t->dist_nodes[i] = ids[i];
		snprintf(p, sizeof(p), "%s/cpulist", dir);
		char p2[160];
		snprintf(p2, sizeof(p2), "%s/cpumap", dir);
		(void)probe_read_cpuset(c, p, p2, &cpus);
		/* Only PUs that exist (offline ones are not in the tree). */
		for (int k = cpuset_next(&cpus, 0); k >= 0;
		     k = cpuset_next(&cpus, (unsigned)k + 1))
			if (cpuset_has(&t->root->cpus, (unsigned)k))
				cpuset_set(&o->cpus, (unsigned)k);
		cpuset_release(&cpus);
		snprintf(p, sizeof(p), "%s/meminfo", dir);
		if (hv_root_read(c->root, p, &mi, NULL) == 0)
			o->memory_bytes = meminfo_total(mi, "MemTotal:");
		snprintf(p, sizeof(p), "%s/distance", dir);
		if (hv_root_read_str(c->root, p, &dist) == 0) {
			char *s = dist, *end;
			size_t k = 0;

			for (; k < nids; k++) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s)
					break;
				t->dist[i * nids + k] = (unsigned)v;
				s = end;
			}
			if (k != nids) {
				hv_warnf(c->d, "%s: %zu distances for %zu nodes, ignoring the matrix",
					 p, k, nids);
				dist_ok = false;
			}
		} else {
			dist_ok = false;
		}
		probe_memcaches(c, o, dir);
		topo_obj_add(topo_node_parent(t->root, &o->cpus), o);
	}
	if (dist_ok) {
		t->dist_source = xstrdup("sysfs");
	} else {
		free(t->dist);
		free(t->dist_nodes);
		t->dist = NULL;
		t->dist_nodes = NULL;
		t->ndist = 0;
	}
	hv_strv_free(names, n);
	free(ids);
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
		*field = s;
		any = true;
	}
	if (!m->hostname)
		(void)hv_root_read_str(c->root, "/proc/sys/kernel/hostname",
				       &m->hostname);
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
