/* SPDX-License-Identifier: MIT */
/* `topo check`: NUMA placement (devices and memory on nodes, distances)
 * and memory population from SMBIOS (balance, mixed modules, ECC). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

/* ---- placement ---- */

static void check_host_bridge(const struct topo *t, const struct topo_obj *hb,
			      struct check_report *r)
{
	const struct topo_obj **devs, *node;
	size_t n = check__collect(hb, TOPO_PCI_DEVICE, &devs);
	struct strbuf names = STRBUF_INIT;
	int nodeid = hb->numa_node;
	size_t named = 0;
	bool nocpu, nomem;
	struct finding *f;

	for (size_t i = 0; i < n && nodeid < 0; i++)
		nodeid = devs[i]->numa_node;
	node = nodeid >= 0 ? topo_find(t->root, TOPO_NUMA, nodeid) : NULL;
	if (!node || !n)
		goto out;
	nocpu = !cpuset_count(&node->cpus);
	nomem = !node->memory_bytes && !node->memory_unknown;
	if (!nocpu && !nomem)
		goto out;
	for (size_t i = 0; i < n && named < 4; i++) {
		const char *l = check__pci_label(devs[i]);

		if (l != devs[i]->address) {
			strbuf_addf(&names, "%s%s", named ? ", " : "", l);
			named++;
		}
	}
	f = check__add(r, CHECK_WARNING, nocpu ? "pci_numa_no_cpus" : "pci_numa_no_memory",
		       hb->address,
		       "%zu PCI device(s)%s%s%s sit on NUMA node %d, which has no %s: their DMA and interrupts cross the interconnect",
		       n, named ? " (" : "", names.buf, named ? ")" : "", nodeid,
		       nocpu && nomem ? "CPUs and no memory" : nocpu ? "CPUs" : "memory");
	check__num(f, "node", nodeid);
	check__num(f, "devices", (double)n);
out:
	strbuf_release(&names);
	free(devs);
}

void check_placement(const struct topo *t, struct check_report *r)
{
	const struct topo_obj **v;
	size_t n;

	if (t->numa_bug)
		(void)check__add(r, CHECK_WARNING, "numa_buggy", "numa",
				 "the firmware's NUMA information is buggy (%s): shown as one node, as hwloc does; which CPUs are near which memory is unknown",
				 t->numa_bug);
	/* One finding per "NUMA node N has ..." note, named "node N". */
	for (const char *p = t->numa_dropped; p && *p;) {
		const char *end = strstr(p, "; ");
		int len = end ? (int)(end - p) : (int)strlen(p);
		unsigned id;
		char name[32] = "numa";

		if (sscanf(p, "NUMA node %u", &id) == 1)
			snprintf(name, sizeof(name), "node %u", id);
		(void)check__add(r, CHECK_WARNING, "numa_node_dropped", name,
				 "a NUMA node that sysfs lists but says nothing of is left out (%.*s)",
				 len, p);
		p = end ? end + 2 : NULL;
	}
	n = check__collect(t->root, TOPO_NUMA, &v);
	for (size_t i = 0; i < n; i++) {
		unsigned ncpu = cpuset_count(&v[i]->cpus);
		char name[32];
		struct finding *f;

		if (!ncpu || v[i]->memory_bytes || v[i]->memory_unknown)
			continue;
		snprintf(name, sizeof(name), "node %lld", (long long)v[i]->os_index);
		f = check__add(r, CHECK_WARNING, "numa_no_memory", name,
			       "NUMA node %lld has %u CPU(s) but no memory: every access they make is remote",
			       (long long)v[i]->os_index, ncpu);
		check__num(f, "node", (double)v[i]->os_index);
		check__num(f, "cpus", ncpu);
	}
	free(v);

	n = check__collect(t->root, TOPO_PCI_BRIDGE, &v);
	for (size_t i = 0; i < n; i++)
		if (v[i]->host_bridge)
			check_host_bridge(t, v[i], r);
	free(v);

	for (size_t i = 0; i < t->ndist; i++)
		for (size_t j = i + 1; j < t->ndist; j++) {
			unsigned a = t->dist[i * t->ndist + j], b = t->dist[j * t->ndist + i];
			char name[48];
			struct finding *f;

			if (a == b)
				continue;
			snprintf(name, sizeof(name), "nodes %u-%u", t->dist_nodes[i],
				 t->dist_nodes[j]);
			f = check__add(r, CHECK_WARNING, "numa_distance_asymmetric", name,
				       "distance from node %u to %u is %u but from %u to %u is %u (%s)",
				       t->dist_nodes[i], t->dist_nodes[j], a, t->dist_nodes[j],
				       t->dist_nodes[i], b,
				       t->dist_source ? t->dist_source : "distance table");
			check__num(f, "forward", a);
			check__num(f, "backward", b);
		}
}

/* ---- memory population ---- */

/*
 * The channel letter of a slot from its locator: "DIMM_A1", "CPU1_DIMM_B2",
 * "P1-DIMMC1", "DIMM A1" or "ChannelA-DIMM0".  0 when there is none.
 */
static char channel_of(const char *loc)
{
	const char *p = loc ? strstr(loc, "Channel") : NULL;
	const char *tok;
	size_t len;

	if (p && isupper((unsigned char)p[7]))
		return p[7];
	if (!loc)
		return 0;
	/* the last token after '_', '-' or ' ' */
	tok = loc;
	for (const char *q = loc; *q; q++)
		if (*q == '_' || *q == '-' || *q == ' ')
			tok = q + 1;
	if (strncmp(tok, "DIMM", 4) == 0)
		tok += 4;
	len = strlen(tok);
	if (len < 2 || len > 4 || !isupper((unsigned char)tok[0]))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!isdigit((unsigned char)tok[i]))
			return 0;
	return tok[0];
}

struct slots {
	const struct topo_obj *owner;	/* NUMA node, package or machine */
	const struct topo_obj **v;
	size_t n, alloc;
	size_t populated;
	uint64_t bytes;
};

static void owner_name(const struct topo_obj *o, char *buf, size_t sz)
{
	if (o->type == TOPO_NUMA)
		snprintf(buf, sz, "node %lld", (long long)o->os_index);
	else if (o->type == TOPO_PACKAGE)
		snprintf(buf, sz, "package %lld", (long long)o->os_index);
	else
		snprintf(buf, sz, "machine");
}

static void check_channels(const struct slots *g, struct check_report *r)
{
	unsigned count[26] = { 0 };
	bool seen[26] = { false };
	unsigned nletters = 0, lo = ~0u, hi = 0;
	struct strbuf sb = STRBUF_INIT;
	char name[32];
	struct finding *f;

	for (size_t i = 0; i < g->n; i++) {
		char c = channel_of(g->v[i]->locator);

		if (!c || c < 'A' || c > 'Z')
			return;		/* not every slot named: no inference */
		if (!seen[c - 'A'])
			nletters++;
		seen[c - 'A'] = true;
		if (g->v[i]->size_bytes)
			count[c - 'A']++;
	}
	/* One letter for the whole node is a socket ("DIMM_A1".."A12" on
	 * socket A), not a channel. */
	if (nletters < 2 || !g->populated)
		return;
	for (int c = 0; c < 26; c++) {
		if (!seen[c])
			continue;
		lo = count[c] < lo ? count[c] : lo;
		hi = count[c] > hi ? count[c] : hi;
		strbuf_addf(&sb, "%s%c:%u", sb.len ? " " : "", 'A' + c, count[c]);
	}
	if (lo == hi)
		goto out;
	owner_name(g->owner, name, sizeof(name));
	f = check__add(r, CHECK_WARNING, "memory_channels_unbalanced", name,
		       "%s: DIMMs per channel %s: bandwidth is limited by the emptiest channel",
		       name, sb.buf);
	check__num(f, "channels", nletters);
	check__num(f, "min_per_channel", lo);
	check__num(f, "max_per_channel", hi);
out:
	strbuf_release(&sb);
}

static void check_groups(struct slots *g, size_t ng, struct check_report *r)
{
	size_t with = 0, first = SIZE_MAX;
	bool uneven = false;
	struct strbuf sb = STRBUF_INIT;
	struct finding *f;

	for (size_t i = 0; i < ng; i++)
		check_channels(&g[i], r);
	for (size_t i = 0; i < ng; i++) {
		if (g[i].owner->type == TOPO_MACHINE)
			continue;
		with++;
		if (first == SIZE_MAX)
			first = i;
		else if (g[i].populated != g[first].populated ||
			 g[i].bytes != g[first].bytes)
			uneven = true;
	}
	if (with < 2 || !uneven)
		return;
	for (size_t i = 0; i < ng; i++) {
		char name[32], size[32];

		if (g[i].owner->type == TOPO_MACHINE)
			continue;
		owner_name(g[i].owner, name, sizeof(name));
		format_size(size, sizeof(size), g[i].bytes);
		strbuf_addf(&sb, "%s%s: %zu of %zu slots (%s)", sb.len ? ", " : "",
			    name, g[i].populated, g[i].n, size);
	}
	f = check__add(r, CHECK_WARNING, "memory_nodes_unbalanced", "memory",
		       "memory is populated unevenly across sockets: %s", sb.buf);
	check__num(f, "groups", (double)with);
	strbuf_release(&sb);
}

/* Distinct values of one field over the populated modules. */
struct tally {
	uint64_t val[16];
	unsigned count[16];
	size_t n;
};

static void tally_add(struct tally *t, uint64_t v)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->val[i] == v) {
			t->count[i]++;
			return;
		}
	if (t->n < ARRAY_SIZE(t->val)) {
		t->val[t->n] = v;
		t->count[t->n++] = 1;
	}
}

static bool server_chassis(const char *type)
{
	/* SMBIOS 3.x 7.4.1: Main Server Chassis, Rack Mount Chassis,
	 * Multi-system chassis, Blade, Blade Enclosure. */
	static const unsigned servers[] = { 17, 23, 25, 28, 29 };
	uint64_t v;

	if (!type || parse_u64(type, 10, &v) < 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(servers); i++)
		if (v == servers[i])
			return true;
	return false;
}

void check_memory(const struct topo *t, struct check_report *r)
{
	const struct topo_obj **v;
	size_t n = check__collect(t->root, TOPO_MEMORY_MODULE, &v);
	struct slots *g = NULL;
	size_t ng = 0, ag = 0, noecc = 0, pop = 0;
	struct tally sizes = { 0 }, speeds = { 0 }, conf = { 0 };
	const struct topo_obj *first_slow = NULL, *first_noecc = NULL;
	size_t nslow = 0;
	struct strbuf sb = STRBUF_INIT;
	struct finding *f;

	for (size_t i = 0; i < n; i++) {
		const struct topo_obj *m = v[i], *owner = m->parent;
		size_t k;

		while (owner && owner->type != TOPO_NUMA &&
		       owner->type != TOPO_PACKAGE && owner->type != TOPO_MACHINE)
			owner = owner->parent;
		if (!owner)
			continue;
		for (k = 0; k < ng && g[k].owner != owner; k++)
			;
		if (k == ng) {
			g = xgrow(g, sizeof(*g), ng + 1, &ag);
			memset(&g[ng++], 0, sizeof(*g));
			g[k].owner = owner;
		}
		g[k].v = xgrow(g[k].v, sizeof(*g[k].v), g[k].n + 1, &g[k].alloc);
		g[k].v[g[k].n++] = m;
		if (!m->size_bytes)
			continue;
		pop++;
		g[k].populated++;
		g[k].bytes += m->size_bytes;
		tally_add(&sizes, m->size_bytes);
		if (m->speed_mts)
			tally_add(&speeds, m->speed_mts);
		if (m->configured_speed_mts)
			tally_add(&conf, m->configured_speed_mts);
		if (m->speed_mts && m->configured_speed_mts &&
		    m->configured_speed_mts < m->speed_mts && !nslow++)
			first_slow = m;
		if (!m->ecc && !noecc++)
			first_noecc = m;
	}
	check_groups(g, ng, r);

	if (sizes.n > 1) {
		for (size_t i = 0; i < sizes.n; i++) {
			char size[32];

			format_size(size, sizeof(size), sizes.val[i]);
			strbuf_addf(&sb, "%s%u x %s", i ? ", " : "", sizes.count[i], size);
		}
		f = check__add(r, CHECK_WARNING, "memory_mixed_sizes", "memory",
			       "DIMMs of different sizes (%s): channels interleave unevenly",
			       sb.buf);
		check__num(f, "sizes", (double)sizes.n);
		strbuf_reset(&sb);
	}
	for (int pass = 0; pass < 2; pass++) {
		struct tally *tl = pass ? &conf : &speeds;

		if (tl->n < 2)
			continue;
		for (size_t i = 0; i < tl->n; i++)
			strbuf_addf(&sb, "%s%u x %llu MT/s", i ? ", " : "", tl->count[i],
				    (unsigned long long)tl->val[i]);
		f = check__add(r, CHECK_WARNING, "memory_mixed_speeds", "memory",
			       "DIMMs %s at different speeds (%s): all run at the slowest",
			       pass ? "configured" : "rated", sb.buf);
		check__num(f, "speeds", (double)tl->n);
		strbuf_reset(&sb);
	}
	if (nslow) {
		f = check__add(r, CHECK_WARNING, "memory_speed_below_rated",
			       first_slow->locator ? first_slow->locator : "memory",
			       "%zu DIMM(s) run below their rated speed (%s: %u of %u MT/s)",
			       nslow, first_slow->locator ? first_slow->locator : "first",
			       first_slow->configured_speed_mts, first_slow->speed_mts);
		check__num(f, "modules", (double)nslow);
		check__num(f, "configured_mts", first_slow->configured_speed_mts);
		check__num(f, "rated_mts", first_slow->speed_mts);
	}
	if (noecc && server_chassis(t->root->chassis_type)) {
		f = check__add(r, CHECK_WARNING, "memory_no_ecc",
			       first_noecc->locator ? first_noecc->locator : "memory",
			       "%zu of %zu DIMM(s) without ECC in a server (SMBIOS chassis type %s)",
			       noecc, pop, t->root->chassis_type);
		check__num(f, "modules", (double)noecc);
	}
	strbuf_release(&sb);
	for (size_t i = 0; i < ng; i++)
		free(g[i].v);
	free(g);
	free(v);
}
