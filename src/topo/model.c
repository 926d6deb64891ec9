/* SPDX-License-Identifier: MIT */
/* The topology model: one tree of typed objects plus machine-wide tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *const type_names[TOPO_NTYPES] = {
	[TOPO_MACHINE] = "machine",	[TOPO_PACKAGE] = "package",
	[TOPO_DIE] = "die",		[TOPO_CLUSTER] = "cluster",
	[TOPO_GROUP] = "group",
	[TOPO_NUMA] = "numa_node",	[TOPO_MEMCACHE] = "memcache",
	[TOPO_CACHE] = "cache",		[TOPO_CORE] = "core",
	[TOPO_PU] = "pu",		[TOPO_MEMORY_MODULE] = "memory_module",
	[TOPO_PCI_BRIDGE] = "pci_bridge", [TOPO_PCI_DEVICE] = "pci_device",
	[TOPO_OS_DEVICE] = "os_device",
};

const char *topo_type_name(enum topo_type t)
{
	return t < TOPO_NTYPES ? type_names[t] : "unknown";
}

const char *topo_cache_type_name(enum cache_type t)
{
	switch (t) {
	case CACHE_DATA: return "data";
	case CACHE_INSTRUCTION: return "instruction";
	default: return "unified";
	}
}

struct topo *topo_new(void)
{
	struct topo *t = xcalloc(1, sizeof(*t));

	t->root = topo_obj_new(TOPO_MACHINE, -1);
	return t;
}

struct topo_obj *topo_obj_new(enum topo_type type, int64_t os_index)
{
	struct topo_obj *o = xcalloc(1, sizeof(*o));

	o->type = type;
	o->os_index = os_index;
	o->numa_node = -1;
	o->iommu_group = -1;
	o->online = true;
	return o;
}

void topo_obj_add(struct topo_obj *parent, struct topo_obj *child)
{
	parent->kids = xgrow(parent->kids, sizeof(*parent->kids),
			     parent->nkids + 1, &parent->akids);
	parent->kids[parent->nkids++] = child;
	child->parent = parent;
}

void topo_obj_detach(struct topo_obj *obj)
{
	struct topo_obj *p = obj->parent;

	if (!p)
		return;
	for (size_t i = 0; i < p->nkids; i++)
		if (p->kids[i] == obj) {
			memmove(p->kids + i, p->kids + i + 1,
				(p->nkids - i - 1) * sizeof(*p->kids));
			p->nkids--;
			break;
		}
	obj->parent = NULL;
}

void topo_obj_free(struct topo_obj *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nkids; i++)
		topo_obj_free(o->kids[i]);
	free(o->kids);
	cpuset_release(&o->cpus);
	char **strs[] = { &o->vendor, &o->product, &o->version, &o->board_vendor,
			  &o->board, &o->bios_vendor, &o->bios_version,
			  &o->bios_date, &o->chassis_type, &o->hostname,
			  &o->cpu_model, &o->core_kind, &o->locator, &o->bank,
			  &o->mem_type, &o->form_factor, &o->manufacturer,
			  &o->part_number, &o->serial, &o->placement,
			  &o->address, &o->vendor_name, &o->device_name,
			  &o->class_name, &o->driver, &o->port_type, &o->name,
			  &o->kind };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	free(o);
}

struct topo *topo_free(struct topo *t)
{
	if (!t)
		return NULL;
	topo_obj_free(t->root);
	free(t->dist_nodes);
	free(t->dist);
	free(t->dist_source);
	for (size_t i = 0; i < t->nacpi_domains; i++) {
		free(t->acpi_domains[i].apic_ids);
		free(t->acpi_domains[i].mem_base);
		free(t->acpi_domains[i].mem_len);
	}
	free(t->acpi_domains);
	free(t->mcfg);
	free(t->hmat);
	for (size_t i = 0; i < t->nxen_domains; i++) {
		struct topo_xen_domain *d = &t->xen_domains[i];

		free(d->name);
		free(d->node_affinity);
		for (size_t k = 0; k < d->npci; k++)
			free(d->pci[k]);
		free(d->pci);
		for (size_t k = 0; k < d->nvcpus; k++) {
			free(d->vcpus[k].hard);
			free(d->vcpus[k].soft);
		}
		free(d->vcpus);
	}
	free(t->xen_domains);
	free(t->xen_pci);
	for (size_t i = 0; i < t->nvulns; i++) {
		free(t->vulns[i].name);
		free(t->vulns[i].status);
	}
	free(t->vulns);
	free(t->microcode);
	free(t->numa_bug);
	free(t->numa_dropped);
	for (size_t i = 0; i < t->nsources; i++)
		free(t->sources[i]);
	free(t->sources);
	free(t);
	return NULL;
}

void topo_add_source(struct topo *t, const char *source)
{
	if (topo_has_source(t, source))
		return;
	t->sources = xgrow(t->sources, sizeof(char *), t->nsources + 1,
			   &t->asources);
	t->sources[t->nsources++] = xstrdup(source);
}

bool topo_has_source(const struct topo *t, const char *source)
{
	for (size_t i = 0; i < t->nsources; i++)
		if (strcmp(t->sources[i], source) == 0)
			return true;
	return false;
}

int topo_walk(struct topo_obj *obj, int (*fn)(struct topo_obj *o, void *ctx),
	      void *ctx)
{
	int rc = fn(obj, ctx);

	if (rc)
		return rc;
	for (size_t i = 0; i < obj->nkids; i++) {
		rc = topo_walk(obj->kids[i], fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

size_t topo_count(struct topo_obj *obj, enum topo_type type)
{
	size_t n = obj->type == type;

	for (size_t i = 0; i < obj->nkids; i++)
		n += topo_count(obj->kids[i], type);
	return n;
}

size_t topo_count_cache(struct topo_obj *obj, unsigned level,
			enum cache_type ct)
{
	size_t n = obj->type == TOPO_CACHE && obj->level == level &&
		   obj->cache_type == ct;

	for (size_t i = 0; i < obj->nkids; i++)
		n += topo_count_cache(obj->kids[i], level, ct);
	return n;
}

uint64_t topo_total_memory(const struct topo_obj *obj)
{
	uint64_t n = obj->type == TOPO_NUMA ? obj->memory_bytes : 0;

	for (size_t i = 0; i < obj->nkids; i++)
		n += topo_total_memory(obj->kids[i]);
	return n;
}

struct topo_obj *topo_find(struct topo_obj *obj, enum topo_type type,
			   int64_t os_index)
{
	if (obj->type == type && obj->os_index == os_index)
		return obj;
	for (size_t i = 0; i < obj->nkids; i++) {
		struct topo_obj *r = topo_find(obj->kids[i], type, os_index);

		if (r)
			return r;
	}
	return NULL;
}

/* Nesting rank of CPU-side objects with equal cpusets: parents first. */
static int cpu_rank(const struct topo_obj *o)
{
	switch (o->type) {
	case TOPO_PACKAGE: return 0;
	case TOPO_DIE: return 10;
	case TOPO_GROUP: return 20;
	case TOPO_CLUSTER: return 75;
	case TOPO_CACHE:
		return 100 - (int)(o->level > 9 ? 9 : o->level) * 10 +
		       (o->cache_type == CACHE_INSTRUCTION);
	case TOPO_CORE: return 95;
	case TOPO_PU: return 99;
	default: return 200;
	}
}

static bool is_cpu_side(const struct topo_obj *o)
{
	return o->type == TOPO_PACKAGE || o->type == TOPO_DIE ||
	       o->type == TOPO_CLUSTER || o->type == TOPO_GROUP ||
	       o->type == TOPO_CACHE || o->type == TOPO_CORE ||
	       o->type == TOPO_PU;
}

/* Sort keys computed once per object, not once per comparison. */
struct cpu_key {
	struct topo_obj *obj;
	unsigned weight;
	int rank, first;
};

static int cmp_weight_rank(const void *a, const void *b)
{
	const struct cpu_key *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->first - y->first;
}

/* "die", "L2 cache": what o is, for a message. */
static const char *obj_what(const struct topo_obj *o, char *buf, size_t len)
{
	if (o->type == TOPO_CACHE)
		snprintf(buf, len, "L%u %s cache", o->level, topo_cache_type_name(o->cache_type));
	else
		snprintf(buf, len, "%s", topo_type_name(o->type));
	return buf;
}

size_t topo_build_cpu_tree(struct topo_obj *root, struct topo_obj **objs,
			   size_t n, struct hv_diags *d)
{
	size_t dropped = 0;

	if (n > 1) {
		struct cpu_key *keys = xcalloc(n, sizeof(*keys));

		for (size_t i = 0; i < n; i++)
			keys[i] = (struct cpu_key){ objs[i], cpuset_count(&objs[i]->cpus),
						    cpu_rank(objs[i]),
						    cpuset_next(&objs[i]->cpus, 0) };
		qsort(keys, n, sizeof(*keys), cmp_weight_rank);
		for (size_t i = 0; i < n; i++)
			objs[i] = keys[i].obj;
		free(keys);
	}
	/*
	 * Largest first: every object already placed is at least as large
	 * as o, so a placed object that meets o either holds it (descend)
	 * or crosses it, and then o cannot nest anywhere: it is dropped,
	 * as hwloc drops an object whose cpuset conflicts.
	 */
	for (size_t i = 0; i < n; i++) {
		struct topo_obj *o = objs[i], *cur = root, *crossed = NULL;
		bool conflict = false;

		for (;;) {
			struct topo_obj *next = NULL;

			for (size_t k = cur->nkids; k-- > 0;) {
				struct topo_obj *c = cur->kids[k];

				if (!is_cpu_side(c) ||
				    !cpuset_intersects(&c->cpus, &o->cpus, NULL))
					continue;
				if (cpuset_includes(&c->cpus, &o->cpus, NULL)) {
					next = c;
					break;
				}
				conflict = true;
				crossed = c;
				break;
			}
			if (!next || conflict)
				break;
			cur = next;
		}
		if (conflict) {
			if (d) {
				_cleanup_free_ char *a = cpuset_format(&o->cpus);
				_cleanup_free_ char *b = cpuset_format(&crossed->cpus);
				char wa[32], wb[32];

				hv_warnf(d, "the %s of CPUs %s crosses the %s of CPUs %s (each has CPUs the other lacks); leaving the %s out",
					 obj_what(o, wa, sizeof(wa)), a,
					 obj_what(crossed, wb, sizeof(wb)), b, wa);
			}
			topo_obj_free(o);
			dropped++;
			continue;
		}
		topo_obj_add(cur, o);
	}
	return dropped;
}

/* The first non-PU CPU-side child of cur that holds set (ign aside). */
static struct topo_obj *kid_holding(const struct topo_obj *cur,
				    const struct cpuset *set,
				    const struct cpuset *ign)
{
	for (size_t k = 0; k < cur->nkids; k++) {
		struct topo_obj *c = cur->kids[k];

		if (is_cpu_side(c) && c->type != TOPO_PU &&
		    cpuset_intersects(&c->cpus, set, ign) &&
		    cpuset_includes(&c->cpus, set, ign))
			return c;
	}
	return NULL;
}

struct topo_obj *topo_cpu_container(struct topo_obj *root,
				    const struct cpuset *set)
{
	struct topo_obj *cur = root, *next;

	if (cpuset_next(set, 0) < 0)
		return root;
	while ((next = kid_holding(cur, set, NULL)))
		cur = next;
	return cur;
}

/* Whether c, a child of a node's container, is cut by set. */
static bool cut_by(const struct topo_obj *c, const struct cpuset *set,
		   const struct cpuset *ign)
{
	return is_cpu_side(c) && cpuset_intersects(&c->cpus, set, ign) &&
	       !cpuset_includes(set, &c->cpus, ign);
}

static struct topo_obj *node_parent(struct topo_obj *root,
				    const struct cpuset *set,
				    const struct cpuset *ign, const char *reason,
				    struct hv_diags *d)
{
	struct topo_obj *cur = root, *g;

	if (cpuset_next(set, 0) < 0)
		return root;
	/* Down to the highest object below the machine equal to set (ign
	 * aside), as hwloc finds a memory parent; else the smallest that
	 * holds it. */
	for (;;) {
		struct topo_obj *next = kid_holding(cur, set, ign);

		if (!next)
			break;
		if (cpuset_includes(set, &next->cpus, ign))
			return next;
		cur = next;
	}
	if (cur == root && (!cpuset_includes(&root->cpus, set, ign) ||
			    cpuset_includes(set, &root->cpus, ign)))
		return root;
	/*
	 * A group holding the children of cur inside set.  A cluster it
	 * cuts goes (its children stay), as hwloc drops a Group that
	 * conflicts with a NUMA node's; any other object cut, or one inside
	 * a cut cluster, leaves no group.
	 */
	for (size_t k = 0; k < cur->nkids; k++) {
		struct topo_obj *c = cur->kids[k];

		if (!cut_by(c, set, ign))
			continue;
		if (c->type != TOPO_CLUSTER)
			return NULL;
		for (size_t j = 0; j < c->nkids; j++)
			if (cut_by(c->kids[j], set, ign))
				return NULL;
	}
	for (size_t k = 0; k < cur->nkids;) {
		struct topo_obj *c = cur->kids[k];

		if (!cut_by(c, set, ign)) {
			k++;
			continue;
		}
		if (d) {
			_cleanup_free_ char *a = cpuset_format(&c->cpus), *b = cpuset_format(set);

			hv_warnf(d, "the cluster of CPUs %s is cut by the locality of a NUMA node, CPUs %s; leaving the cluster out, as hwloc does",
				 a, b);
		}
		while (c->nkids) {
			struct topo_obj *x = c->kids[0];

			topo_obj_detach(x);
			topo_obj_add(cur, x);
		}
		topo_obj_detach(c);
		topo_obj_free(c);
	}
	g = topo_obj_new(TOPO_GROUP, -1);
	g->reason = reason;
	cpuset_copy(&g->cpus, set);
	for (size_t k = 0; k < cur->nkids;) {
		struct topo_obj *c = cur->kids[k];

		if (is_cpu_side(c) && cpuset_intersects(&c->cpus, set, ign) &&
		    cpuset_includes(set, &c->cpus, ign)) {
			topo_obj_detach(c);
			topo_obj_add(g, c);
			cpuset_or(&g->cpus, &c->cpus);
			continue;
		}
		k++;
	}
	topo_obj_add(cur, g);
	return g;
}

struct topo_obj *topo_node_parent(struct topo_obj *root,
				  const struct cpuset *set,
				  const struct cpuset *ign,
				  struct hv_diags *d)
{
	return node_parent(root, set, ign, "numa", d);
}

static int collect_offline(struct topo_obj *o, void *ctx)
{
	if (o->type == TOPO_PU && !o->online && o->os_index >= 0)
		cpuset_set(ctx, (unsigned)o->os_index);
	return 0;
}

void topo_offline_cpus(struct topo_obj *root, struct cpuset *ret)
{
	(void)topo_walk(root, collect_offline, ret);
}

struct topo_obj *topo_locality_parent(struct topo_obj *root,
				      const struct cpuset *set,
				      const char *reason)
{
	struct cpuset off = { 0 };
	struct topo_obj *p;

	topo_offline_cpus(root, &off);
	p = node_parent(root, set, &off, reason, NULL);
	cpuset_release(&off);
	return p ? p : topo_cpu_container(root, set);
}

const struct cpuset *topo_locality(const struct topo_obj *o)
{
	const struct topo_obj *p = o->parent;

	while (p && p->parent && cpuset_next(&p->cpus, 0) < 0)
		p = p->parent;
	return p ? &p->cpus : &o->cpus;
}

static int child_class(const struct topo_obj *o)
{
	switch (o->type) {
	case TOPO_MEMCACHE: return 0;
	case TOPO_NUMA: return 1;
	case TOPO_MEMORY_MODULE: return 2;
	case TOPO_PCI_BRIDGE:
	case TOPO_PCI_DEVICE: return 4;
	case TOPO_OS_DEVICE: return 5;
	default: return 3;
	}
}

static int cmp_child(const void *a, const void *b)
{
	const struct topo_obj *x = *(struct topo_obj *const *)a;
	const struct topo_obj *y = *(struct topo_obj *const *)b;
	int cx = child_class(x), cy = child_class(y);

	if (cx != cy)
		return cx - cy;
	if (cx == 3) {
		int fx = cpuset_next(&x->cpus, 0), fy = cpuset_next(&y->cpus, 0);

		if (fx != fy)
			return fx - fy;
		return cpu_rank(x) - cpu_rank(y);
	}
	if (x->address && y->address)
		return strcmp(x->address, y->address);
	if (x->name && y->name)
		return strcmp(x->name, y->name);
	if (x->os_index != y->os_index)
		return x->os_index < y->os_index ? -1 : 1;
	return 0;
}

void topo_sort(struct topo_obj *obj)
{
	/* Stable order for equal keys: qsort is not stable, so the keys above
	 * are total for every object the probes create. */
	if (obj->nkids > 1)
		qsort(obj->kids, obj->nkids, sizeof(*obj->kids), cmp_child);
	for (size_t i = 0; i < obj->nkids; i++)
		topo_sort(obj->kids[i]);
}
