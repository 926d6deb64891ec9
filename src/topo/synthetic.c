/* SPDX-License-Identifier: MIT */
/* Synthetic machines: a struct topo from "pack:16 core:128 pu:2 pci:300". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "synthetic.h"

#define MAX_PUS CPUSET_MAX
#define MAX_PCI 4096
#define MAX_NUMA_NODES 1024	/* Linux MAX_NUMNODES (NODES_SHIFT 10) */

struct spec {
	uint64_t pack, numa, l3, core, pu, mem, dimm_used, dimm_slots, pci, sw;
};

/* One row per token: the name, where it goes, its bounds. */
static const struct token {
	const char *name;
	size_t off;
	uint64_t min, max;
	bool size;		/* SIZE with a K/M/G/T suffix */
} tokens[] = {
	{ "pack", offsetof(struct spec, pack), 1, 1024, false },
	{ "numa", offsetof(struct spec, numa), 1, 64, false },
	{ "l3", offsetof(struct spec, l3), 1, 256, false },
	{ "core", offsetof(struct spec, core), 1, 4096, false },
	{ "pu", offsetof(struct spec, pu), 1, 16, false },
	{ "mem", offsetof(struct spec, mem), 1 << 20, 1ull << 50, true },
	{ "dimm", offsetof(struct spec, dimm_slots), 0, 64, false },
	{ "pci", offsetof(struct spec, pci), 0, MAX_PCI, false },
	{ "switch", offsetof(struct spec, sw), 0, 32, false },
};

static int parse_value(const struct token *tk, const char *s, uint64_t *ret)
{
	char *end;
	uint64_t v, mul = 1;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (tk->size && *end) {
		const char *units = "KMGT";
		const char *u = strchr(units, *end & ~0x20);

		if (!u || !*u)
			return -EINVAL;
		mul = 1ull << (10 * (u - units + 1));
		end++;
		if ((*end & ~0x20) == 'I')	/* "GiB", "GB", "G" */
			end++;
		if ((*end & ~0x20) == 'B')
			end++;
	}
	if (*end || v > tk->max / mul || v * mul < tk->min)
		return -EINVAL;
	*ret = v * mul;
	return 0;
}

static int parse_spec(const char *spec, struct spec *sp, struct hv_diags *d)
{
	char *copy = xstrdup(spec), *save = NULL, *tok;
	bool seen[ARRAY_SIZE(tokens)] = { false };
	int rc = 0;

	*sp = (struct spec){ .pack = 1, .numa = 1, .l3 = 1, .core = 1, .pu = 1,
			     .mem = 64ull << 30, .dimm_slots = 8, .sw = 8 };
	sp->dimm_used = UINT64_MAX;
	for (tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *colon = strchr(tok, ':');
		const struct token *tk = NULL;

		if (colon)
			*colon = 0;
		for (size_t i = 0; i < ARRAY_SIZE(tokens) && !tk; i++)
			if (strcmp(tokens[i].name, tok) == 0)
				tk = &tokens[i];
		if (!tk || !colon) {
			if (colon)
				*colon = ':';
			rc = hv_errorf(d, "'%s': expected NAME:COUNT with NAME one of "
				       "pack, numa, l3, core, pu, mem, dimm, pci, switch",
				       tok);
			break;
		}
		if (seen[tk - tokens]) {
			rc = hv_errorf(d, "'%s' given twice", tk->name);
			break;
		}
		seen[tk - tokens] = true;
		char *val = colon + 1, *slash = NULL;
		uint64_t used = 0;
		if (tk->off == offsetof(struct spec, dimm_slots) &&
		    (slash = strchr(val, '/'))) {
			*slash = 0;
			if (parse_value(tk, val, &used) < 0)
				slash = val;	/* reported below */
			val = slash + 1;
		}
		uint64_t *dst = (uint64_t *)((char *)sp + tk->off);
		if (slash == colon + 1 || parse_value(tk, val, dst) < 0 ||
		    (slash && used > *dst)) {
			if (slash)
				*slash = '/';
			rc = hv_errorf(d, "'%s:%s': %s must be %s from %llu to %llu%s",
				       tk->name, colon + 1, tk->name,
				       tk->size ? "a size" : "a count",
				       (unsigned long long)tk->min,
				       (unsigned long long)tk->max,
				       slash ? " (populated/slots, populated <= slots)" : "");
			break;
		}
		if (slash)
			sp->dimm_used = used;
	}
	if (sp->dimm_used == UINT64_MAX)
		sp->dimm_used = sp->dimm_slots;
	if (!rc) {
		uint64_t pus = sp->pack;

		pus *= sp->numa;
		pus *= sp->l3;
		pus *= sp->core;	/* each factor <= 4096: no overflow */
		if (pus > MAX_PUS / sp->pu) {
			rc = hv_errorf(d, "'%s': more than %d PUs", spec, MAX_PUS);
		} else if (sp->pack * sp->numa > MAX_NUMA_NODES) {
			/* The distance matrix is nodes squared. */
			rc = hv_errorf(d, "'numa:%llu': pack x numa is %llu NUMA "
				       "nodes, at most %d (Linux MAX_NUMNODES)",
				       (unsigned long long)sp->numa,
				       (unsigned long long)(sp->pack * sp->numa),
				       MAX_NUMA_NODES);
		}
	}
	free(copy);
	return rc;
}

/* ---- building ---- */

struct builder {
	const struct spec *sp;
	struct topo *t;
	unsigned next_pu, next_core, next_cache, next_node, next_die;
	unsigned next_nvme, next_net, next_gpu;
	int err_bus;		/* domain that ran out of bus numbers, or -1 */
};

static struct topo_obj *add(struct topo_obj *parent, enum topo_type type,
			    int64_t idx)
{
	struct topo_obj *o = topo_obj_new(type, idx);

	topo_obj_add(parent, o);
	return o;
}

static struct topo_obj *add_cache(struct topo_obj *parent, unsigned level,
				  enum cache_type ct, uint64_t size, unsigned ways)
{
	struct topo_obj *o = add(parent, TOPO_CACHE, -1);

	o->level = level;
	o->cache_type = ct;
	o->size_bytes = size;
	o->line_size = 64;
	o->ways = ways;
	return o;
}

/* Marks PU cpu in obj and every ancestor. */
static void mark_cpu(struct topo_obj *o, unsigned cpu)
{
	for (; o; o = o->parent)
		cpuset_set(&o->cpus, cpu);
}

static void build_l3(struct builder *b, struct topo_obj *parent)
{
	const struct spec *sp = b->sp;
	struct topo_obj *l3 = add_cache(parent, 3, CACHE_UNIFIED,
					sp->core * (2ull << 20), 16);

	for (uint64_t c = 0; c < sp->core; c++) {
		struct topo_obj *l2 = add_cache(l3, 2, CACHE_UNIFIED, 1 << 20, 16);
		struct topo_obj *l1d = add_cache(l2, 1, CACHE_DATA, 48 << 10, 12);
		struct topo_obj *l1i = add_cache(l1d, 1, CACHE_INSTRUCTION,
						 32 << 10, 8);
		struct topo_obj *core = add(l1i, TOPO_CORE, b->next_core++);

		for (uint64_t p = 0; p < sp->pu; p++) {
			struct topo_obj *pu = add(core, TOPO_PU, b->next_pu);

			pu->online = true;
			mark_cpu(pu, b->next_pu++);
		}
	}
}

static void build_dimms(struct builder *b, struct topo_obj *node)
{
	const struct spec *sp = b->sp;
	uint64_t each = sp->dimm_used ? sp->mem / sp->dimm_used : 0;
	size_t chans = (sp->dimm_slots + 1) / 2;

	for (uint64_t i = 0; i < sp->dimm_slots; i++) {
		struct topo_obj *m = add(node, TOPO_MEMORY_MODULE, -1);
		/* Slot i is channel i % chans, position i / chans: the
		 * first slot of every channel fills first. */
		m->locator = xasprintf("N%u_%c%u", (unsigned)node->os_index,
				       (char)('A' + i % chans % 26),
				       (unsigned)(i / chans + 1));
		m->bank = xasprintf("Node %u Channel %c", (unsigned)node->os_index,
				    (char)('A' + i % chans % 26));
		m->form_factor = xstrdup("DIMM");
		if (i >= sp->dimm_used)
			continue;
		m->size_bytes = each;
		m->mem_type = xstrdup("DDR5");
		m->speed_mts = 4800;
		m->configured_speed_mts = 4800;
		m->rank = 2;
		m->total_width = 72;
		m->data_width = 64;
		m->ecc = true;
		m->manufacturer = xstrdup("Synthetic");
		m->part_number = xasprintf("SYN-%lluG", (unsigned long long)(each >> 30));
	}
}

/* The kinds of endpoint, in the order they repeat. */
static const struct devkind {
	uint16_t vendor, device;
	uint32_t class_id;
	const char *vendor_name, *device_name, *os_kind;
	unsigned lanes;
} devkinds[] = {
	{ 0x144d, 0xa80a, 0x010802, "Samsung Electronics Co Ltd",
	  "NVMe SSD Controller PM9A3", "block", 4 },
	{ 0x15b3, 0x101d, 0x020000, "Mellanox Technologies",
	  "MT2892 Family [ConnectX-6 Dx]", "net", 16 },
	{ 0x144d, 0xa80a, 0x010802, "Samsung Electronics Co Ltd",
	  "NVMe SSD Controller PM9A3", "block", 4 },
	{ 0x10de, 0x20b5, 0x030200, "NVIDIA Corporation",
	  "GA100 [A100 PCIe 80GB]", "gpu", 16 },
};

static struct topo_obj *add_pci(struct topo_obj *parent, enum topo_type type,
				unsigned dom, unsigned bus, unsigned dev,
				unsigned lanes, int node)
{
	struct topo_obj *o = add(parent, type, -1);

	o->address = xasprintf("%04x:%02x:%02x.0", dom, bus, dev);
	o->numa_node = node;
	o->has_link = true;
	o->link_cap = (struct topo_link){ 16, lanes };
	o->link_sta = o->link_cap;
	if (type == TOPO_PCI_BRIDGE) {
		o->vendor_id = 0x1000;
		o->device_id = 0xc010;
		o->class_id = 0x060400;
		o->vendor_name = xstrdup("Synthetic");
		o->device_name = xstrdup(parent->host_bridge ? "PCIe Root Port"
							     : "PCIe Switch Port");
		o->port_type = xstrdup(parent->host_bridge ? "Root Port"
					: "Downstream Port");
	}
	return o;
}

static void add_endpoint(struct builder *b, struct topo_obj *port,
			 unsigned dom, unsigned bus, unsigned idx, int node)
{
	const struct devkind *k = &devkinds[idx % ARRAY_SIZE(devkinds)];
	struct topo_obj *d = add_pci(port, TOPO_PCI_DEVICE, dom, bus, 0,
				     k->lanes, node);
	struct topo_obj *os = add(d, TOPO_OS_DEVICE, -1);

	d->vendor_id = k->vendor;
	d->device_id = k->device;
	d->class_id = k->class_id;
	d->vendor_name = xstrdup(k->vendor_name);
	d->device_name = xstrdup(k->device_name);
	d->port_type = xstrdup("Endpoint");
	/* Every 37th link trained narrower than it can: a degraded link. */
	if (idx % 37 == 36)
		d->link_sta.width = k->lanes / 2;
	os->kind = xstrdup(k->os_kind);
	if (strcmp(k->os_kind, "block") == 0)
		os->name = xasprintf("nvme%un1", b->next_nvme++);
	else if (strcmp(k->os_kind, "net") == 0)
		os->name = xasprintf("ens%u", b->next_net++);
	else
		os->name = xasprintf("card%u", b->next_gpu++);
}

/* The PCI tree of one node: ndev endpoints, global numbers from first. */
static void build_pci(struct builder *b, struct topo_obj *node, unsigned ndev,
		      unsigned first)
{
	unsigned dom = (unsigned)node->os_index, bus = 0, slot = 1;
	unsigned per = b->sp->sw ? (unsigned)b->sp->sw : 1;
	struct topo_obj *hb = add(node, TOPO_PCI_BRIDGE, -1);

	hb->host_bridge = true;
	hb->numa_node = (int)dom;
	hb->address = xasprintf("%04x:00", dom);
	for (unsigned i = 0; i < ndev; i += per, slot++) {
		unsigned n = ndev - i < per ? ndev - i : per;
		struct topo_obj *rp = add_pci(hb, TOPO_PCI_BRIDGE, dom, 0, slot,
					      16, (int)dom);

		if (bus + 2 + n > 255) {
			b->err_bus = (int)dom;
			return;
		}
		rp->secondary_bus = (uint8_t)++bus;
		if (!b->sp->sw) {
			rp->subordinate_bus = (uint8_t)bus;
			rp->link_cap.width = devkinds[(first + i) % ARRAY_SIZE(devkinds)].lanes;
			rp->link_sta = rp->link_cap;
			add_endpoint(b, rp, dom, bus, first + i, (int)dom);
			continue;
		}
		struct topo_obj *up = add_pci(rp, TOPO_PCI_BRIDGE, dom, bus, 0,
					      16, (int)dom);
		free(up->device_name);
		free(up->port_type);
		up->device_name = xstrdup("PCIe Switch Upstream Port");
		up->port_type = xstrdup("Upstream Port");
		up->secondary_bus = (uint8_t)++bus;
		unsigned sbus = bus;
		for (unsigned k = 0; k < n; k++) {
			unsigned lanes = devkinds[(first + i + k) % ARRAY_SIZE(devkinds)].lanes;
			struct topo_obj *dp = add_pci(up, TOPO_PCI_BRIDGE, dom,
						      sbus, k, lanes, (int)dom);

			dp->secondary_bus = dp->subordinate_bus = (uint8_t)++bus;
			add_endpoint(b, dp, dom, bus, first + i + k, (int)dom);
		}
		rp->subordinate_bus = up->subordinate_bus = (uint8_t)bus;
	}
}

static void build_node(struct builder *b, struct topo_obj *parent,
		       unsigned pack)
{
	const struct spec *sp = b->sp;
	unsigned id = b->next_node++;
	struct topo_obj *node = add(parent, TOPO_NUMA, id);
	unsigned nodes = (unsigned)(sp->pack * sp->numa);
	/* Endpoints shared evenly over the nodes, in node order. */
	unsigned ndev = (unsigned)(sp->pci / nodes + (id < sp->pci % nodes));

	(void)pack;
	node->memory_bytes = sp->mem;
	for (uint64_t i = 0; i < sp->l3; i++)
		build_l3(b, parent);
	cpuset_copy(&node->cpus, &parent->cpus);
	build_dimms(b, node);
	if (ndev) {
		unsigned first = 0;

		/* The number of this node's first endpoint. */
		for (unsigned k = 0; k < id; k++)
			first += (unsigned)(sp->pci / nodes + (k < sp->pci % nodes));
		build_pci(b, node, ndev, first);
	}
}

static void build_distances(struct topo *t, const struct spec *sp)
{
	size_t n = (size_t)(sp->pack * sp->numa);

	t->ndist = n;
	t->dist_nodes = xcalloc(n, sizeof(*t->dist_nodes));
	t->dist = xcalloc(n * n, sizeof(*t->dist));
	for (size_t i = 0; i < n; i++) {
		t->dist_nodes[i] = (unsigned)i;
		for (size_t j = 0; j < n; j++)
			t->dist[i * n + j] = i == j ? 10
				: i / sp->numa == j / sp->numa ? 12 : 32;
	}
	t->dist_source = xstrdup("synthetic");
}

int synthetic_build(const char *spec, struct topo **ret_t, struct hv_diags *d)
{
	struct spec sp;
	struct builder b = { .sp = &sp, .err_bus = -1 };
	struct strbuf name = STRBUF_INIT;
	int rc = parse_spec(spec, &sp, d);

	if (rc < 0)
		return rc;
	b.t = topo_new();
	struct topo_obj *m = b.t->root;
	m->vendor = xstrdup("hvkit");
	m->hostname = xstrdup("synthetic");
	strbuf_addf(&name, "synthetic pack:%llu", (unsigned long long)sp.pack);
	if (sp.numa > 1)
		strbuf_addf(&name, " numa:%llu", (unsigned long long)sp.numa);
	if (sp.l3 > 1)
		strbuf_addf(&name, " l3:%llu", (unsigned long long)sp.l3);
	strbuf_addf(&name, " core:%llu pu:%llu", (unsigned long long)sp.core,
		    (unsigned long long)sp.pu);
	if (sp.pci)
		strbuf_addf(&name, " pci:%llu", (unsigned long long)sp.pci);
	m->product = strbuf_detach(&name, NULL);

	for (uint64_t p = 0; p < sp.pack; p++) {
		struct topo_obj *pkg = add(m, TOPO_PACKAGE, (int64_t)p);

		pkg->cpu_model = xasprintf("hvkit Synthetic CPU, %llu cores",
					   (unsigned long long)(sp.numa * sp.l3 * sp.core));
		for (uint64_t n = 0; n < sp.numa; n++) {
			struct topo_obj *parent = pkg;

			if (sp.numa > 1)
				parent = add(pkg, TOPO_DIE, b.next_die++);
			build_node(&b, parent, (unsigned)p);
		}
	}
	build_distances(b.t, &sp);
	/* The builder adds every object in topo_sort()'s order (the unit test
	 * test-layout checks that sorting changes nothing), so no sort: it
	 * was a fifth of drawing the 4096-PU machine. */
	topo_add_source(b.t, "synthetic");
	if (b.err_bus >= 0) {
		topo_free(b.t);
		return hv_errorf(d, "'%s': PCI domain %04x needs more than 256 bus "
				 "numbers; use fewer pci: devices per NUMA node",
				 spec, (unsigned)b.err_bus);
	}
	*ret_t = b.t;
	return 0;
}
