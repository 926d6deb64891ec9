/* SPDX-License-Identifier: MIT */
/* `topo where`: finds a device or NUMA node by name and works out its
 * locality, its path to the CPUs and its IOMMU group (where.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcie.h"
#include "where.h"

/* How many known names an error message lists before "... N more". */
#define WHERE_KNOWN_MAX 16

void where_release(struct where *w)
{
	cpuset_release(&w->cpus);
	free(w->nodes);
	free(w->hops);
	free(w->group);
	free(w->io);
	*w = (struct where)WHERE_INIT;
}

static bool is_io(const struct topo_obj *o)
{
	return o->type == TOPO_PCI_BRIDGE || o->type == TOPO_PCI_DEVICE ||
	       o->type == TOPO_OS_DEVICE;
}

static bool is_pci_fn(const struct topo_obj *o)
{
	return (o->type == TOPO_PCI_DEVICE || o->type == TOPO_PCI_BRIDGE) &&
	       !o->host_bridge && o->address;
}

/* A list of objects collected by a walk. */
struct objv {
	const struct topo_obj **v;
	size_t n, alloc;
};

static void objv_add(struct objv *l, const struct topo_obj *o)
{
	l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
	l->v[l->n++] = o;
}

/* qsort() wants a non-NULL array even when it is empty. */
static void objv_sort(struct objv *l, int (*cmp)(const void *, const void *))
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp);
}

static int collect_type(struct topo_obj *o, void *ctx)
{
	struct { struct objv l; enum topo_type type; } *c = ctx;

	if (o->type == c->type)
		objv_add(&c->l, o);
	return 0;
}

static struct objv collect(const struct topo *t, enum topo_type type)
{
	struct { struct objv l; enum topo_type type; } c = { { 0 }, type };

	(void)topo_walk(t->root, collect_type, &c);
	return c.l;
}

/* ---- what the user named ---- */

/* Parses a hex field of at most maxd digits ending at a char in end (at
 * the end of s when end is ""); returns where it ends, NULL if it is not. */
static const char *hexfield(const char *s, unsigned maxd, const char *end,
			    unsigned long *ret)
{
	unsigned long v = 0;
	unsigned n = 0;

	while (hexdigit((unsigned char)*s) >= 0 && n < maxd) {
		v = v * 16 + (unsigned long)hexdigit((unsigned char)*s);
		s++;
		n++;
	}
	/* end "" asks for the end of the string; strchr would also match
	 * the terminator of any other end */
	if (!n || (*end ? !*s || !strchr(end, *s) : *s != 0))
		return NULL;
	*ret = v;
	return s;
}

/*
 * "dddd:bb:dd.f" or "bb:dd.f" (domain -1: any); host bridges "dddd:bb".
 * Fills the canonical spelling (domain 0 when not given) and whether it
 * names a function (false: a host bridge).
 */
static bool parse_pci(const char *s, long *dom, unsigned *bus, unsigned *dev,
		      unsigned *fn, bool *func)
{
	unsigned long a, b, c, f;
	const char *p;

	if (!(p = hexfield(s, 8, ":", &a)) || !(p = hexfield(p + 1, 2, ":.", &b)))
		return false;
	if (*p == '.') {		/* bb:dd.f */
		if (!(p = hexfield(p + 1, 1, "", &f)) || a > 0xff || b > 0x1f || f > 7)
			return false;
		*dom = -1, *bus = (unsigned)a, *dev = (unsigned)b, *fn = (unsigned)f;
		*func = true;
		return true;
	}
	if (!(p = hexfield(p + 1, 2, ".", &c)) || !(p = hexfield(p + 1, 1, "", &f)))
		return false;
	if (b > 0xff || c > 0x1f || f > 7)
		return false;
	*dom = (long)a, *bus = (unsigned)b, *dev = (unsigned)c, *fn = (unsigned)f;
	*func = true;
	return true;
}

static bool parse_hostbridge(const char *s, unsigned long *dom, unsigned long *bus)
{
	const char *p = hexfield(s, 8, ":", dom);

	return p && hexfield(p + 1, 2, "", bus) && *bus <= 0xff;
}

/* "node1", "node:1", "numa1", "numa:1", "numanode:1" (any case). */
static bool parse_node(const char *s, uint64_t *ret)
{
	static const char *const pre[] = { "numanode", "node", "numa" };

	for (size_t i = 0; i < ARRAY_SIZE(pre); i++) {
		size_t n = strlen(pre[i]);

		if (strncasecmp(s, pre[i], n) != 0)
			continue;
		s += n;
		if (*s == ':')
			s++;
		return isdigit((unsigned char)*s) && parse_u64(s, 10, ret) == 0 &&
		       *ret < (1u << 20);
	}
	return false;
}

/* "known: eth0, eth1, ... (N more)" from a list of labels. */
static void add_known(struct strbuf *sb, struct objv *l, bool addresses)
{
	size_t shown = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct topo_obj *o = l->v[i];

		if (shown == WHERE_KNOWN_MAX) {
			strbuf_addf(sb, ", ... (%zu more)", l->n - i);
			return;
		}
		if (addresses)
			strbuf_addf(sb, "%s%s", shown ? ", " : "", o->address);
		else if (o->type == TOPO_NUMA)
			strbuf_addf(sb, "%snode%lld", shown ? ", " : "",
				    (long long)o->os_index);
		else
			strbuf_addf(sb, "%s%s", shown ? ", " : "", o->name);
		shown++;
	}
}

/* Adds "HEAD; known: a, b, ..." (none when nothing is) to d, releases
 * head; returns -ENOENT. */
static int no_such(struct hv_diags *d, struct strbuf *head, struct objv *known,
		   bool addresses, const char *none)
{
	strbuf_adds(head, "; known: ");
	if (known->n)
		add_known(head, known, addresses);
	else
		strbuf_adds(head, none);
	hv_errorf(d, "%s", head->buf);
	strbuf_release(head);
	return -ENOENT;
}

/* find_os's search by shown name ends at an exact hit or a second one. */
static bool hits_done(const struct topo_obj *found, size_t hits)
{
	return hits > 1 || (found && !hits);
}

static int find_os(const struct topo *t, const char *name,
		   const struct topo_obj **ret)
{
	struct objv l = collect(t, TOPO_OS_DEVICE);

	for (size_t i = 0; i < l.n && !*ret; i++)
		if (l.v[i]->name && strcmp(l.v[i]->name, name) == 0)
			*ret = l.v[i];
	/* a name with control bytes, as the output shows it ('.' for each),
	 * when only one device shows so */
	for (size_t i = 0, hits = 0; i < l.n && !hits_done(*ret, hits); i++) {
		char *shown;

		if (!l.v[i]->name)
			continue;
		shown = str_printable(xstrdup(l.v[i]->name), false);
		if (strcmp(shown, l.v[i]->name) != 0 && strcmp(shown, name) == 0) {
			hits++;
			*ret = hits == 1 ? l.v[i] : NULL;
		}
		free(shown);
	}
	free(l.v);
	return *ret ? 0 : -ENOENT;
}

/* The objects a PCI address may name: functions and host bridges. */
static struct objv collect_pci(const struct topo *t)
{
	struct objv a = collect(t, TOPO_PCI_BRIDGE), b = collect(t, TOPO_PCI_DEVICE);

	for (size_t i = 0; i < b.n; i++)
		objv_add(&a, b.v[i]);
	free(b.v);
	return a;
}

static int by_address(const void *x, const void *y)
{
	const struct topo_obj *const *a = x, *const *b = y;

	return strcmp((*a)->address ? (*a)->address : "",
		      (*b)->address ? (*b)->address : "");
}

/* 0 found, 1 when what is no PCI address, else a negative errno with a
 * message in d. */
static int find_pci(const struct topo *t, const char *what,
		    const struct topo_obj **ret, struct hv_diags *d)
{
	struct objv l = collect_pci(t), hits = { 0 };
	unsigned bus, dev, fn;
	unsigned long hd, hb;
	long dom;
	bool func;
	int rc = -ENOENT;

	objv_sort(&l, by_address);
	if (parse_pci(what, &dom, &bus, &dev, &fn, &func)) {
		for (size_t i = 0; i < l.n; i++) {
			unsigned long od;
			unsigned ob, odev, ofn;
			char tail;

			if (!is_pci_fn(l.v[i]) ||
			    sscanf(l.v[i]->address, "%lx:%x:%x.%x%c", &od, &ob,
				   &odev, &ofn, &tail) != 4)
				continue;
			if ((dom < 0 || (unsigned long)dom == od) && ob == bus &&
			    odev == dev && ofn == fn)
				objv_add(&hits, l.v[i]);
		}
	} else if (parse_hostbridge(what, &hd, &hb)) {
		for (size_t i = 0; i < l.n; i++) {
			unsigned long od, ob;

			if (l.v[i]->host_bridge && l.v[i]->address &&
			    parse_hostbridge(l.v[i]->address, &od, &ob) &&
			    od == hd && ob == hb)
				objv_add(&hits, l.v[i]);
		}
	} else {
		rc = 1;		/* not an address: the caller says what is known */
		goto out;
	}
	if (hits.n == 1) {
		*ret = hits.v[0];
		rc = 0;
	} else if (hits.n > 1) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "'%s' is in more than one PCI domain: ", what);
		add_known(&sb, &hits, true);
		strbuf_adds(&sb, "; give the domain");
		hv_errorf(d, "%s", sb.buf);
		strbuf_release(&sb);
		rc = -EINVAL;
	} else {
		struct strbuf sb = STRBUF_INIT;
		struct objv fns = { 0 };

		for (size_t i = 0; i < l.n; i++)
			if (is_pci_fn(l.v[i]) || l.v[i]->host_bridge)
				objv_add(&fns, l.v[i]);
		strbuf_addf(&sb, "no PCI device '%s'", what);
		rc = no_such(d, &sb, &fns, true, "none (the input has no PCI devices)");
		free(fns.v);
	}
out:
	free(hits.v);
	free(l.v);
	return rc;
}

static int by_os_index(const void *x, const void *y)
{
	const struct topo_obj *const *a = x, *const *b = y;

	return ((*a)->os_index > (*b)->os_index) - ((*a)->os_index < (*b)->os_index);
}

static int by_name(const void *x, const void *y)
{
	const struct topo_obj *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/* The message for a name that matches nothing: every known name. */
static int unknown(const struct topo *t, const char *what, struct hv_diags *d)
{
	struct objv os = collect(t, TOPO_OS_DEVICE), named = { 0 };
	struct objv nodes = collect(t, TOPO_NUMA);
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < os.n; i++)
		if (os.v[i]->name)
			objv_add(&named, os.v[i]);
	objv_sort(&named, by_name);
	objv_sort(&nodes, by_os_index);
	strbuf_addf(&sb, "no device '%s'; known: ", what);
	if (named.n)
		add_known(&sb, &named, false);
	if (nodes.n) {
		strbuf_adds(&sb, named.n ? "; NUMA nodes " : "NUMA nodes ");
		add_known(&sb, &nodes, false);
	}
	if (!named.n && !nodes.n)
		strbuf_adds(&sb, "no named devices or NUMA nodes");
	strbuf_adds(&sb, "; or a PCI address such as 0000:3b:00.0");
	hv_errorf(d, "%s", sb.buf);
	strbuf_release(&sb);
	free(os.v);
	free(named.v);
	free(nodes.v);
	return -ENOENT;
}

static int resolve(const struct topo *t, const char *what,
		   const struct topo_obj **ret, struct hv_diags *d)
{
	const char *name = what;
	uint64_t node;
	int rc;

	if (str_startswith(name, "/dev/"))
		name += 5;
	else if (str_startswith(name, "os="))
		name += 3;
	if (*name && find_os(t, name, ret) == 0)
		return 0;
	name = str_startswith(what, "pci=") ? what + 4 : what;
	rc = find_pci(t, name, ret, d);
	if (rc <= 0)
		return rc;
	if (parse_node(what, &node)) {
		struct objv nodes = collect(t, TOPO_NUMA);
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < nodes.n && !*ret; i++)
			if (nodes.v[i]->os_index == (int64_t)node)
				*ret = nodes.v[i];
		if (!*ret) {
			objv_sort(&nodes, by_os_index);
			strbuf_addf(&sb, "no NUMA node %llu", (unsigned long long)node);
			(void)no_such(d, &sb, &nodes, false,
				      "none (the input has no NUMA nodes)");
		}
		free(nodes.v);
		return *ret ? 0 : -ENOENT;
	}
	return unknown(t, what, d);
}

/* ---- the answers ---- */

/* The function that check judges o's link at: o, or function 0 of its
 * device when o shares that link. */
static const struct topo_obj *link_owner(const struct topo_obj *o)
{
	size_t len = o->address ? strlen(o->address) : 0;

	if (!o->parent || !len || !pcie_shares_link(o))
		return o;
	for (size_t i = 0; i < o->parent->nkids; i++) {
		const struct topo_obj *s = o->parent->kids[i];

		if (s->address && strlen(s->address) == len &&
		    strncmp(s->address, o->address, len - 1) == 0 &&
		    s->address[len - 1] == '0')
			return s;
	}
	return o;
}

/* Whether hop h is narrower than best (NULL: none yet).  A link with an
 * unknown speed still has lanes: it is compared by lanes then, so a
 * degraded "? x4" is named rather than dropped. */
static bool narrower(const struct where_hop *h, const struct where_hop *best)
{
	if (!h->link || !h->sta.width)
		return false;
	if (!best)
		return true;
	if (h->sta_gbps > 0 && best->sta_gbps > 0)
		return h->sta_gbps < best->sta_gbps;
	return h->sta.width < best->sta.width;
}

static void fill_path(struct where *w)
{
	size_t alloc = 0;

	for (const struct topo_obj *p = w->pci; p && (p->type == TOPO_PCI_BRIDGE ||
						     p->type == TOPO_PCI_DEVICE);
	     p = p->parent) {
		struct where_hop h = { .obj = p };

		if (!p->host_bridge && p->has_link && !pcie_upstream_end(p)) {
			h.link = true;
			h.sta = p->link_sta;
			h.cap = pcie_link_expected(p, pcie_partner(p));
			h.sta_gbps = pcie_link_gbps(h.sta.speed_gts, h.sta.width, p->link_flit);
			h.cap_gbps = pcie_link_gbps(h.cap.speed_gts, h.cap.width, p->link_flit);
			/* check's rule, which judges a shared link at its
			 * function 0 */
			h.degraded = pcie_link_degraded(link_owner(p), NULL);
			w->degraded |= h.degraded;
		}
		w->hops = xgrow(w->hops, sizeof(*w->hops), w->nhops + 1, &alloc);
		w->hops[w->nhops] = h;
		if (narrower(&h, w->narrowest < 0 ? NULL : &w->hops[w->narrowest]))
			w->narrowest = (long)w->nhops;
		w->nhops++;
	}
}

static void fill_group(const struct topo *t, struct where *w)
{
	struct objv all, g = { 0 };

	if (w->pci && w->pci->iommu_group == TOPO_IOMMU_BAD)
		w->iommu_group = TOPO_IOMMU_BAD;
	if (!w->pci || w->pci->iommu_group < 0)
		return;
	w->iommu_group = w->pci->iommu_group;
	all = collect_pci(t);
	for (size_t i = 0; i < all.n; i++)
		if (is_pci_fn(all.v[i]) && all.v[i]->iommu_group == w->iommu_group)
			objv_add(&g, all.v[i]);
	free(all.v);
	objv_sort(&g, by_address);
	w->group = g.v;
	w->ngroup = g.n;
}

static bool subset(const struct cpuset *small, const struct cpuset *big)
{
	for (int c = cpuset_next(small, 0); c >= 0; c = cpuset_next(small, (unsigned)c + 1))
		if (!cpuset_has(big, (unsigned)c))
			return false;
	return true;
}

/* cpus minus the offline PUs of t. */
static void online_only(const struct topo *t, const struct cpuset *src,
			struct cpuset *ret)
{
	struct cpuset off = { 0 };

	topo_offline_cpus(t->root, &off);
	for (int c = cpuset_next(src, 0); c >= 0; c = cpuset_next(src, (unsigned)c + 1))
		if (!cpuset_has(&off, (unsigned)c))
			cpuset_set(ret, (unsigned)c);
	cpuset_release(&off);
}

static int collect_io(struct topo_obj *o, void *ctx)
{
	if (o->type == TOPO_PCI_DEVICE || (o->type == TOPO_OS_DEVICE && o->name))
		objv_add(ctx, o);
	return 0;
}

static void fill_locality(const struct topo *t, struct where *w)
{
	const struct topo_obj *o = w->obj;
	struct objv nodes = collect(t, TOPO_NUMA), local = { 0 };

	if (o->type == TOPO_NUMA) {
		w->node = o;
		online_only(t, topo_locality(o), &w->cpus);
		for (const struct topo_obj *p = o->parent; p && !w->locality; p = p->parent)
			if (cpuset_next(&p->cpus, 0) >= 0 || !p->parent)
				w->locality = p;
		struct objv io = { 0 };
		for (size_t i = 0; i < o->nkids; i++)
			(void)topo_walk(o->kids[i], collect_io, &io);
		w->io = io.v;
		w->nio = io.n;
	} else {
		const struct topo_obj *p = o->parent;

		while (p && is_io(p))
			p = p->parent;
		if (p && p->type == TOPO_NUMA) {
			w->node = p;
			p = p->parent;
		}
		/* a CPU-less container (a memory-side cache) says nothing */
		while (p && p->parent && cpuset_next(&p->cpus, 0) < 0)
			p = p->parent;
		w->locality = p ? p : t->root;
		online_only(t, &w->locality->cpus, &w->cpus);
	}
	/* hwloc-calc's "local memory" (flags smaller,larger): nodes whose
	 * locality is within ours or holds it */
	objv_sort(&nodes, by_os_index);
	for (size_t i = 0; i < nodes.n; i++) {
		struct cpuset loc = { 0 };

		online_only(t, topo_locality(nodes.v[i]), &loc);
		if (cpuset_next(&w->cpus, 0) >= 0 &&
		    (subset(&loc, &w->cpus) || subset(&w->cpus, &loc)))
			objv_add(&local, nodes.v[i]);
		cpuset_release(&loc);
	}
	free(nodes.v);
	w->nodes = local.v;
	w->nnodes = local.n;
}

int topo_where(const struct topo *t, const char *what, struct where *ret,
	       struct hv_diags *d)
{
	const struct topo_obj *o = NULL;
	int rc = resolve(t, what, &o, d);

	if (rc < 0)
		return rc;
	ret->obj = o;
	ret->xen = t->xen;
	if (is_pci_fn(o) || (o->type == TOPO_PCI_BRIDGE && o->host_bridge))
		ret->pci = o;
	else if (o->type == TOPO_OS_DEVICE && o->parent &&
		 (o->parent->type == TOPO_PCI_DEVICE || o->parent->type == TOPO_PCI_BRIDGE))
		ret->pci = o->parent;
	fill_locality(t, ret);
	fill_path(ret);
	fill_group(t, ret);
	return 0;
}

void where_cpu_mask(const struct cpuset *s, struct strbuf *out)
{
	int last = -1;

	for (int c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, (unsigned)c + 1))
		last = c;
	if (last < 0) {
		strbuf_adds(out, "0x0");
		return;
	}
	for (int w = last / 32; w >= 0; w--) {
		uint32_t v = 0;

		for (unsigned b = 0; b < 32; b++)
			if (cpuset_has(s, (unsigned)w * 32 + b))
				v |= 1u << b;
		strbuf_addf(out, "%s0x%08x", w == last / 32 ? "" : ",", v);
	}
}
