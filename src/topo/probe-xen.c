/* SPDX-License-Identifier: MIT */
/* The machine as Xen sees it: physical CPUs, NUMA nodes, domains. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "strbuf.h"
#include "xen.h"

const char *const xen_file_names[XEN_NFILES] = {
	[XEN_CPUTOPO] = "cputopo", [XEN_NUMAINFO] = "numainfo",
	[XEN_PCITOPO] = "pcitopo", [XEN_DOMAINS] = "domains",
	[XEN_VCPUS] = "vcpus", [XEN_PCI] = "pci",
};

#define MAX_FIELDS 8

/* Splits a line at tabs in place; returns the number of fields. */
static size_t split(char *line, char **f)
{
	size_t n = 0;

	while (n < MAX_FIELDS) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

/* A non-negative integer field; -1 for "-" or anything else. */
static long num(const char *s)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) < 0 || v > 0x7fffffff)
		return -1;
	return (long)v;
}

/* Calls fn for each line of a file's text, with its fields. */
static void each_line(struct probe_ctx *c, enum xen_file which, char *text,
		      size_t want,
		      void (*fn)(struct probe_ctx *c, char **f, void *ctx),
		      void *ctx)
{
	char *save = NULL;
	unsigned lineno = 0;

	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_FIELDS];

		lineno++;
		if (split(line, f) < want) {
			hv_warnf(c->d, "%s/%s:%u: %zu fields expected, ignoring the line",
				 XEN_DIR, xen_file_names[which], lineno, want);
			continue;
		}
		fn(c, f, ctx);
	}
}

struct cpu_build {
	struct topo_obj **objs;
	size_t n, alloc;
	struct topo_obj **pkgs, **cores;	/* linear lookups: few hundred */
	long *pkg_keys, *core_keys;
	size_t npkgs, apkgs, ncores, acores;
	int *node_of;				/* per CPU, -1 unknown */
	size_t nnode_of;
	char *model;
};

static struct topo_obj *keyed(struct topo_obj ***objs, long **keys, size_t *n,
			      size_t *alloc, long key, enum topo_type type,
			      long os_index)
{
	for (size_t i = 0; i < *n; i++)
		if ((*keys)[i] == key)
			return (*objs)[i];
	size_t a = *alloc;
	*objs = xgrow(*objs, sizeof(**objs), *n + 1, &a);
	*keys = xgrow(*keys, sizeof(**keys), *n + 1, alloc);
	(*objs)[*n] = topo_obj_new(type, os_index);
	(*keys)[*n] = key;
	return (*objs)[(*n)++];
}

static void cpu_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct cpu_build *b = ctx;
	long cpu = num(f[0]), sock = num(f[1]), core = num(f[2]), node = num(f[3]);
	struct topo_obj *o;

	if (cpu < 0 || cpu >= CPUSET_MAX || sock < 0 || core < 0) {
		hv_warnf(c->d, "%s/cputopo: bad CPU line '%s', ignoring", XEN_DIR, f[0]);
		return;
	}
	o = keyed(&b->pkgs, &b->pkg_keys, &b->npkgs, &b->apkgs, sock,
		  TOPO_PACKAGE, sock);
	cpuset_set(&o->cpus, (unsigned)cpu);
	if (!o->cpu_model && b->model)
		o->cpu_model = xstrdup(b->model);
	o = keyed(&b->cores, &b->core_keys, &b->ncores, &b->acores,
		  sock * 100000 + core, TOPO_CORE, core);
	cpuset_set(&o->cpus, (unsigned)cpu);
	o = topo_obj_new(TOPO_PU, cpu);
	cpuset_set(&o->cpus, (unsigned)cpu);
	b->objs = xgrow(b->objs, sizeof(*b->objs), b->n + 1, &b->alloc);
	b->objs[b->n++] = o;
	cpuset_set(&c->t->root->cpus, (unsigned)cpu);
	if ((size_t)cpu >= b->nnode_of) {
		size_t nn = (size_t)cpu + 1;

		b->node_of = xrealloc(b->node_of, nn * sizeof(int));
		for (size_t i = b->nnode_of; i < nn; i++)
			b->node_of[i] = -1;
		b->nnode_of = nn;
	}
	b->node_of[cpu] = (int)node;
}

struct node_build {
	struct cpu_build *cpus;
	unsigned *ids;
	char **dists;
	size_t n, alloc;
};

static void node_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct node_build *nb = ctx;
	long node = num(f[0]);
	uint64_t size = 0;
	struct topo_obj *o;

	if (node < 0 || node >= 65536) {
		hv_warnf(c->d, "%s/numainfo: bad node '%s', ignoring", XEN_DIR, f[0]);
		return;
	}
	o = topo_obj_new(TOPO_NUMA, node);
	if (parse_u64(f[1], 10, &size) == 0)
		o->memory_bytes = size;
	for (size_t cpu = 0; cpu < nb->cpus->nnode_of; cpu++)
		if (nb->cpus->node_of[cpu] == node)
			cpuset_set(&o->cpus, (unsigned)cpu);
	{
		struct topo_obj *p = topo_node_parent(c->t->root, &o->cpus, NULL, c->d);

		topo_obj_add(p ? p : topo_cpu_container(c->t->root, &o->cpus), o);
	}
	size_t a = nb->alloc;
	nb->ids = xgrow(nb->ids, sizeof(unsigned), nb->n + 1, &a);
	nb->dists = xgrow(nb->dists, sizeof(char *), nb->n + 1, &nb->alloc);
	nb->ids[nb->n] = (unsigned)node;
	nb->dists[nb->n++] = f[3];
}

/* Distances: each node's row, in numainfo order; all rows or none. */
static void build_distances(struct probe_ctx *c, struct node_build *nb)
{
	struct topo *t = c->t;
	size_t n = nb->n;
	unsigned *m = xcalloc(n ? n * n : 1, sizeof(unsigned));

	for (size_t r = 0; r < n; r++) {
		char *s = nb->dists[r], *end;
		size_t k = 0;

		for (; k < n; k++) {
			unsigned long v = strtoul(s, &end, 10);

			if (end == s)
				break;
			m[r * n + k] = (unsigned)v;
			s = *end == ',' ? end + 1 : end;
		}
		if (k != n) {
			hv_warnf(c->d, "%s/numainfo: node %u has %zu distances for %zu nodes, ignoring the matrix",
				 XEN_DIR, nb->ids[r], k, n);
			free(m);
			return;
		}
	}
	free(t->dist);
	free(t->dist_nodes);
	free(t->dist_source);
	t->dist = m;
	t->ndist = n;
	t->dist_nodes = xcalloc(n ? n : 1, sizeof(unsigned));
	memcpy(t->dist_nodes, nb->ids, n * sizeof(unsigned));
	t->dist_source = xstrdup("xen");
}

static void pcitopo_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct topo *t = c->t;
	long node = num(f[1]);

	(void)ctx;
	if (strlen(f[0]) >= sizeof(t->xen_pci[0].address) || node < 0)
		return;
	t->xen_pci = xgrow(t->xen_pci, sizeof(*t->xen_pci), t->nxen_pci + 1,
			   &t->axen_pci);
	snprintf(t->xen_pci[t->nxen_pci].address,
		 sizeof(t->xen_pci[0].address), "%s", f[0]);
	t->xen_pci[t->nxen_pci++].node = (int)node;
}

static struct topo_xen_domain *domain_of(struct topo *t, long domid)
{
	for (size_t i = 0; i < t->nxen_domains; i++)
		if (t->xen_domains[i].domid == (unsigned)domid)
			return &t->xen_domains[i];
	return NULL;
}

static char *field_or_null(const char *s)
{
	return strcmp(s, "-") ? xstrdup(s) : NULL;
}

static void domain_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct topo *t = c->t;
	long domid = num(f[0]);
	struct topo_xen_domain *d;

	(void)ctx;
	if (domid < 0 || domain_of(t, domid)) {
		hv_warnf(c->d, "%s/domains: bad or repeated domain '%s', ignoring",
			 XEN_DIR, f[0]);
		return;
	}
	t->xen_domains = xgrow(t->xen_domains, sizeof(*t->xen_domains),
			       t->nxen_domains + 1, &t->axen_domains);
	d = &t->xen_domains[t->nxen_domains++];
	memset(d, 0, sizeof(*d));
	d->domid = (unsigned)domid;
	d->name = field_or_null(f[1]);
	(void)parse_u64(f[2], 10, &d->memory_bytes);
	(void)parse_u64(f[3], 10, &d->max_memory_bytes);
	d->node_affinity = field_or_null(f[4]);
}

static void vcpu_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct topo_xen_domain *d = domain_of(c->t, num(f[0]));
	struct topo_xen_vcpu *v;

	(void)ctx;
	if (!d || num(f[1]) < 0) {
		hv_warnf(c->d, "%s/vcpus: vCPU of unknown domain '%s', ignoring",
			 XEN_DIR, f[0]);
		return;
	}
	d->vcpus = xgrow(d->vcpus, sizeof(*d->vcpus), d->nvcpus + 1, &d->avcpus);
	v = &d->vcpus[d->nvcpus++];
	v->vcpu = (unsigned)num(f[1]);
	v->cpu = (int)num(f[2]);
	v->online = strcmp(f[3], "1") == 0;
	v->running = strcmp(f[4], "1") == 0;
	v->hard = field_or_null(f[5]);
	v->soft = field_or_null(f[6]);
}

static void pci_line(struct probe_ctx *c, char **f, void *ctx)
{
	struct topo_xen_domain *d = domain_of(c->t, num(f[0]));

	(void)ctx;
	if (!d)
		return;
	d->pci = xgrow(d->pci, sizeof(char *), d->npci + 1, &d->apci);
	d->pci[d->npci++] = xstrdup(f[1]);
}

/* In dom0: /proc/xen/capabilities says "control_d". */
static bool in_dom0(struct probe_ctx *c)
{
	_cleanup_free_ char *cap = NULL;

	return hv_root_read_str(c->root, "/proc/xen/capabilities", &cap) == 0 &&
	       strstr(cap, "control_d");
}

static char *cpuinfo_model(struct probe_ctx *c)
{
	_cleanup_free_ char *ci = NULL;
	char *p, *e;

	if (hv_root_read_max(c->root, "/proc/cpuinfo", CPUINFO_MAX,
			     &ci, NULL) < 0 ||
	    !(p = strstr(ci, "model name")) || !(p = strchr(p, ':')))
		return NULL;
	p++;
	e = strchrnul(p, '\n');
	*e = 0;
	return str_printable(xstrdup(strstrip(p)), false);
}

int probe_xen(struct probe_ctx *c)
{
	char *text[XEN_NFILES] = { 0 };
	struct cpu_build b = { 0 };
	struct node_build nb = { .cpus = &b };
	int rc = 0;

	if (c->live) {
		struct strbuf f[XEN_NFILES];

		if (!in_dom0(c))
			return -ENOENT;
		for (int i = 0; i < XEN_NFILES; i++)
			strbuf_init(&f[i]);
		rc = xen_collect(f, c->d);
		for (int i = 0; i < XEN_NFILES; i++) {
			char path[64];

			snprintf(path, sizeof(path), XEN_DIR "/%s", xen_file_names[i]);
			if (rc == 0)
				(void)hv_root_record_add(c->root, path, f[i].buf, f[i].len);
			text[i] = strbuf_detach(&f[i], NULL);
		}
		if (rc < 0)
			goto out;
	} else {
		for (int i = 0; i < XEN_NFILES; i++) {
			char path[64];

			snprintf(path, sizeof(path), XEN_DIR "/%s", xen_file_names[i]);
			if (hv_root_read(c->root, path, &text[i], NULL) < 0)
				text[i] = xstrdup("");
		}
		if (!*text[XEN_CPUTOPO]) {
			rc = -ENOENT;
			goto out;
		}
	}

	b.model = cpuinfo_model(c);
	each_line(c, XEN_CPUTOPO, text[XEN_CPUTOPO], 4, cpu_line, &b);
	if (!b.n) {
		hv_warnf(c->d, "%s/cputopo: no CPUs", XEN_DIR);
		rc = -ENOENT;
		goto out;
	}
	size_t nobjs = b.n + b.npkgs + b.ncores;
	struct topo_obj **objs = xcalloc(nobjs, sizeof(*objs));
	memcpy(objs, b.objs, b.n * sizeof(*objs));
	memcpy(objs + b.n, b.pkgs, b.npkgs * sizeof(*objs));
	memcpy(objs + b.n + b.npkgs, b.cores, b.ncores * sizeof(*objs));
	topo_build_cpu_tree(c->t->root, objs, nobjs, c->d);
	free(objs);
	each_line(c, XEN_NUMAINFO, text[XEN_NUMAINFO], 4, node_line, &nb);
	if (nb.n)
		build_distances(c, &nb);
	each_line(c, XEN_PCITOPO, text[XEN_PCITOPO], 2, pcitopo_line, NULL);
	each_line(c, XEN_DOMAINS, text[XEN_DOMAINS], 5, domain_line, NULL);
	each_line(c, XEN_VCPUS, text[XEN_VCPUS], 7, vcpu_line, NULL);
	each_line(c, XEN_PCI, text[XEN_PCI], 2, pci_line, NULL);
	c->t->xen = true;
	topo_add_source(c->t, "xen");
out:
	for (int i = 0; i < XEN_NFILES; i++)
		free(text[i]);
	free(b.objs);
	free(b.pkgs);
	free(b.cores);
	free(b.pkg_keys);
	free(b.core_keys);
	free(b.node_of);
	free(b.model);
	free(nb.ids);
	free(nb.dists);
	return rc;
}
