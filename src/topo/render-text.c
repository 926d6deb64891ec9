/* SPDX-License-Identifier: MIT */
/* The text tree: one object per line, identical siblings collapsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iofilter.h"
#include "pcie.h"
#include "render.h"

/* Widest NUMA distance matrix the text output prints (5 columns each). */
#define TEXT_MAX_DIST 32

#define C_RESET "\033[0m"
#define C_TYPE "\033[1m"
#define C_DIM "\033[2m"
#define C_WARN "\033[33m"
#define C_BAD "\033[31m"

const char *render_pcie_gen(double gts)
{
	static const struct { double gts; const char *gen; } gens[] = {
		{ 2.5, "Gen1" }, { 5, "Gen2" }, { 8, "Gen3" }, { 16, "Gen4" },
		{ 32, "Gen5" }, { 64, "Gen6" }, { 128, "Gen7" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(gens); i++)
		if (gts == gens[i].gts)
			return gens[i].gen;
	return NULL;
}

void render_pcie_link(const struct topo_link *l, struct strbuf *out)
{
	const char *gen = render_pcie_gen(l->speed_gts);

	if (gen)
		strbuf_adds(out, gen);
	else if (l->speed_gts > 0)
		strbuf_addf(out, "%g GT/s", l->speed_gts);
	else
		strbuf_adds(out, "?");
	strbuf_addf(out, " x%u", l->width);
}

/* "Gen3 x8 7.9 GB/s": generation, width and bandwidth per direction, the
 * same arithmetic `topo check` uses (pcie.h). */
static void add_link(struct strbuf *out, const char *what,
		     const struct topo_link *l, bool flit)
{
	strbuf_adds(out, what);
	render_pcie_link(l, out);
	double gbps = pcie_link_gbps(l->speed_gts, l->width, flit);
	if (gbps > 0)
		strbuf_addf(out, " %.1f GB/s", gbps);
}

static void add_size(struct strbuf *out, uint64_t bytes)
{
	char buf[32];

	format_size(buf, sizeof(buf), bytes);
	strbuf_adds(out, buf);
}

static void add_idx(struct strbuf *out, const struct topo_obj *o)
{
	if (o->os_index >= 0)
		strbuf_addf(out, " P#%lld", (long long)o->os_index);
}

static void label_raw(const struct topo_obj *o, bool verbose, struct strbuf *out)
{
	switch (o->type) {
	case TOPO_MACHINE:
		strbuf_adds(out, "Machine");
		if (o->vendor || o->product)
			strbuf_addf(out, " %s%s%s", o->vendor ? o->vendor : "",
				    o->vendor && o->product ? " " : "",
				    o->product ? o->product : "");
		if (o->board)
			strbuf_addf(out, ", board %s", o->board);
		if (o->bios_version)
			strbuf_addf(out, ", BIOS %s%s%s", o->bios_version,
				    o->bios_date ? " " : "",
				    o->bios_date ? o->bios_date : "");
		break;
	case TOPO_PACKAGE:
		strbuf_adds(out, "Package");
		add_idx(out, o);
		if (o->cpu_model)
			strbuf_addf(out, " %s", o->cpu_model);
		break;
	case TOPO_DIE:
		strbuf_adds(out, "Die");
		add_idx(out, o);
		break;
	case TOPO_CLUSTER:
		strbuf_adds(out, "Cluster");
		add_idx(out, o);
		break;
	case TOPO_GROUP:
		strbuf_adds(out, "Group");
		if (o->reason && strcmp(o->reason, "numa") == 0)
			strbuf_adds(out, " (NUMA locality)");
		else if (o->reason)
			strbuf_addf(out, " (%s)", o->reason);
		break;
	case TOPO_NUMA:
		strbuf_adds(out, "NUMANode");
		add_idx(out, o);
		strbuf_addc(out, ' ');
		add_size(out, o->memory_bytes);
		/* DRAM is what a node is unless said otherwise (JSON has it) */
		if (o->mem_kind && strcmp(o->mem_kind, "DRAM") != 0)
			strbuf_addf(out, " %s", o->mem_kind);
		if (!cpuset_count(&o->cpus))
			strbuf_adds(out, " (no CPUs)");
		break;
	case TOPO_MEMCACHE:
		strbuf_addf(out, "MemCache L%u ", o->level);
		add_size(out, o->size_bytes);
		break;
	case TOPO_CACHE:
		strbuf_addf(out, "L%u%s ", o->level,
			    o->cache_type == CACHE_DATA ? "d"
			    : o->cache_type == CACHE_INSTRUCTION ? "i" : "");
		add_size(out, o->size_bytes);
		if (verbose) {
			if (o->line_size)
				strbuf_addf(out, ", %u B line", o->line_size);
			if (o->ways)
				strbuf_addf(out, ", %u-way", o->ways);
		}
		break;
	case TOPO_CORE:
		strbuf_adds(out, "Core");
		add_idx(out, o);
		if (o->core_kind)
			strbuf_addf(out, " (%s)", o->core_kind);
		break;
	case TOPO_PU:
		strbuf_adds(out, "PU");
		add_idx(out, o);
		if (!o->online)
			strbuf_adds(out, " (offline)");
		break;
	case TOPO_MEMORY_MODULE:
		strbuf_addf(out, "Memory %s", o->locator ? o->locator : "?");
		if (o->bank && verbose)
			strbuf_addf(out, " (%s)", o->bank);
		if (!o->size_bytes) {
			strbuf_adds(out, " empty");
			break;
		}
		strbuf_addc(out, ' ');
		add_size(out, o->size_bytes);
		if (o->mem_type)
			strbuf_addf(out, " %s", o->mem_type);
		if (o->configured_speed_mts && o->speed_mts &&
		    o->configured_speed_mts != o->speed_mts)
			strbuf_addf(out, " %u MT/s (rated %u)",
				    o->configured_speed_mts, o->speed_mts);
		else if (o->speed_mts || o->configured_speed_mts)
			strbuf_addf(out, " %u MT/s",
				    o->configured_speed_mts ? o->configured_speed_mts
							    : o->speed_mts);
		if (o->ecc)
			strbuf_adds(out, " ECC");
		if (verbose) {
			if (o->rank)
				strbuf_addf(out, " rank %u", o->rank);
			if (o->manufacturer)
				strbuf_addf(out, " %s", o->manufacturer);
			if (o->part_number)
				strbuf_addf(out, " %s", o->part_number);
		}
		break;
	case TOPO_PCI_BRIDGE:
	case TOPO_PCI_DEVICE:
		if (o->host_bridge) {
			strbuf_addf(out, "HostBridge %s", o->address);
			break;
		}
		strbuf_addf(out, "%s %s", o->type == TOPO_PCI_BRIDGE
						  ? "PCIBridge" : "PCI",
			    o->address ? o->address : "?");
		if (o->device_name || o->vendor_name)
			strbuf_addf(out, " %s%s%s",
				    o->vendor_name ? o->vendor_name : "",
				    o->vendor_name && o->device_name ? " " : "",
				    o->device_name ? o->device_name : "");
		else
			strbuf_addf(out, " [%04x:%04x]", o->vendor_id,
				    o->device_id);
		if (o->has_link && o->link_sta.width) {
			strbuf_adds(out, " (");
			add_link(out, "", &o->link_sta, o->link_flit);
			if (o->link_cap.width &&
			    (o->link_cap.width != o->link_sta.width ||
			     o->link_cap.speed_gts != o->link_sta.speed_gts))
				add_link(out, ", capable ", &o->link_cap, o->link_flit);
			strbuf_adds(out, ")");
		}
		if (verbose && o->driver)
			strbuf_addf(out, " driver %s", o->driver);
		if (o->has_sriov && o->sriov_total_vfs)
			strbuf_addf(out, " SR-IOV %u/%u VFs", o->sriov_num_vfs,
				    o->sriov_total_vfs);
		break;
	case TOPO_OS_DEVICE:
		strbuf_addf(out, "%s %s", o->kind ? o->kind : "dev",
			    o->name ? o->name : "?");
		break;
	default:
		strbuf_adds(out, topo_type_name(o->type));
	}
}

/* Names and strings come from input (cpuinfo, DMI, dumps): made printable. */
void render_label(const struct topo_obj *o, bool verbose, struct strbuf *out)
{
	size_t mark = out->len;

	label_raw(o, verbose, out);
	out->len = mark + strlen(str_printable(out->buf + mark, false));
}

/* A structural hash: equal for siblings that differ only in numbering. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t shape(const struct topo_obj *o)
{
	uint64_t h = mix(0, o->type);

	h = mix(h, o->level);
	h = mix(h, o->cache_type);
	h = mix(h, o->size_bytes);
	h = mix(h, o->memory_bytes);
	h = mix(h, o->online);
	h = mix(h, str_hash(o->cpu_model));
	h = mix(h, str_hash(o->core_kind));
	/* I/O and memory modules are individuals: never collapse them. */
	if (o->type >= TOPO_MEMORY_MODULE || o->type == TOPO_NUMA)
		h = mix(h, (uint64_t)(uintptr_t)o);
	for (size_t i = 0; i < o->nkids; i++)
		h = mix(h, shape(o->kids[i]));
	return mix(h, o->nkids);
}

struct text_ctx {
	const struct render_opts *o;
	struct strbuf *out;
};

/* CPU-side objects that can share a line ("L2 1 MiB + Core P#0"). */
static bool chainable(const struct topo_obj *o)
{
	return o->type == TOPO_PACKAGE || o->type == TOPO_DIE ||
	       o->type == TOPO_CLUSTER || o->type == TOPO_GROUP ||
	       o->type == TOPO_CACHE || o->type == TOPO_CORE ||
	       o->type == TOPO_PU;
}

#define CHAIN_MAX 16

/* The object and its only children down a single-child CPU chain. */
static size_t chain_of(const struct topo_obj *o, bool verbose,
		       const struct topo_obj **chain)
{
	size_t n = 0;

	chain[n++] = o;
	while (!verbose && n < CHAIN_MAX && chainable(o) && o->nkids == 1 &&
	       chainable(o->kids[0])) {
		o = o->kids[0];
		chain[n++] = o;
	}
	return n;
}

/* Writes a label, its " P#n" widened to the range of the whole group. */
static void add_label(struct text_ctx *c, const struct topo_obj *o,
		      const char *indices)
{
	size_t mark = c->out->len;
	char single[32];
	char *p;

	render_label(o, c->o->verbose, c->out);
	if (!indices || o->os_index < 0)
		return;
	snprintf(single, sizeof(single), " P#%lld", (long long)o->os_index);
	p = strstr(c->out->buf + mark, single);
	if (!p)
		return;
	struct strbuf rest = STRBUF_INIT;
	strbuf_adds(&rest, p + strlen(single));
	c->out->len = (size_t)(p - c->out->buf);
	strbuf_addf(c->out, " P#%s", indices);
	strbuf_add(c->out, rest.buf, rest.len);
	strbuf_release(&rest);
}

/* What the default I/O filter hides below o: a line per bus. */
static void text_folds(struct text_ctx *c, const struct topo_obj *o, int depth)
{
	struct io_fold *f = NULL;
	size_t n = io_folds(o, &f);

	for (size_t i = 0; i < n; i++) {
		for (int d = 0; d < depth; d++)
			strbuf_adds(c->out, "  ");
		if (c->o->color)
			strbuf_adds(c->out, C_DIM);
		strbuf_adds(c->out, "... ");
		io_fold_label(o, &f[i], c->out);
		strbuf_adds(c->out, " (--io all)");
		if (c->o->color)
			strbuf_adds(c->out, C_RESET);
		strbuf_addc(c->out, '\n');
	}
	free(f);
}

/*
 * Prints a run of `count` structurally identical siblings as one line:
 * "4 x L2 1 MiB + L1d 32 KiB + Core P#0-3 + PU P#0-3", each position of the
 * chain with the indices of all the group's members, then the subtree of
 * the first member below the chain.
 */
static void text_group(struct text_ctx *c, struct topo_obj *const *group,
		       size_t count, int depth)
{
	const struct topo_obj *chain[CHAIN_MAX];
	size_t n = chain_of(group[0], c->o->verbose, chain);

	for (int i = 0; i < depth; i++)
		strbuf_adds(c->out, "  ");
	if (count > 1)
		strbuf_addf(c->out, "%zu x ", count);
	for (size_t pos = 0; pos < n; pos++) {
		const struct topo_obj *o = chain[pos];
		char *indices = NULL;

		if (count > 1 && o->os_index >= 0) {
			struct cpuset set = { 0 };
			bool ok = true;

			for (size_t m = 0; m < count && ok; m++) {
				const struct topo_obj *mc[CHAIN_MAX];

				if (chain_of(group[m], c->o->verbose, mc) != n ||
				    mc[pos]->os_index < 0 || mc[pos]->os_index >= CPUSET_MAX)
					ok = false;
				else
					cpuset_set(&set, (unsigned)mc[pos]->os_index);
			}
			if (ok)
				indices = cpuset_format(&set);
			cpuset_release(&set);
		}
		if (pos)
			strbuf_adds(c->out, " + ");
		/* Red: the link `topo check` reports (pcie.h). */
		if (c->o->color)
			strbuf_adds(c->out, pcie_link_degraded(o, NULL) ? C_BAD
					    : o->type == TOPO_PU || o->type == TOPO_CORE
					    ? C_DIM : C_TYPE);
		add_label(c, o, indices);
		if (c->o->color)
			strbuf_adds(c->out, C_RESET);
		free(indices);
	}
	strbuf_addc(c->out, '\n');

	const struct topo_obj *last = chain[n - 1];
	bool io_all = c->o->verbose || c->o->io_all;
	struct topo_obj **kids = xmalloc((last->nkids + 1) * sizeof(*kids));
	size_t nkids = 0;

	for (size_t i = 0; i < last->nkids; i++)
		if (io_all || io_shown(last->kids[i]))
			kids[nkids++] = last->kids[i];
	for (size_t i = 0; i < nkids;) {
		size_t j = i + 1;

		if (!c->o->verbose) {
			uint64_t s = shape(kids[i]);

			while (j < nkids && shape(kids[j]) == s)
				j++;
		}
		text_group(c, kids + i, j - i, depth + 1);
		i = j;
	}
	free(kids);
	if (!io_all)
		text_folds(c, last, depth + 1);
}

/*
 * Xen domains over the physical machine: where each domain's vCPUs run
 * now, what they may run on, where its memory is, what it owns.
 */
static void render_xen_domains(const struct topo *t,
			       const struct render_opts *o, struct strbuf *out)
{
	strbuf_addf(out, "Xen domains (%zu), as the hypervisor places them:\n",
		    t->nxen_domains);
	for (size_t i = 0; i < t->nxen_domains; i++) {
		const struct topo_xen_domain *d = &t->xen_domains[i];
		struct cpuset on = { 0 };
		char mem[32];
		unsigned online = 0;

		for (size_t k = 0; k < d->nvcpus; k++) {
			online += d->vcpus[k].online;
			if (d->vcpus[k].cpu >= 0 && d->vcpus[k].cpu < CPUSET_MAX)
				cpuset_set(&on, (unsigned)d->vcpus[k].cpu);
		}
		char *cpus = cpuset_format(&on);
		format_size(mem, sizeof(mem), d->memory_bytes);
		strbuf_addf(out, "  %s (domid %u): %u of %zu vCPUs online, on PU %s; %s",
			    d->name ? d->name : "?", d->domid, online, d->nvcpus,
			    *cpus ? cpus : "none", mem);
		free(cpus);
		cpuset_release(&on);
		if (d->node_affinity)
			strbuf_addf(out, ", memory on node %s", d->node_affinity);
		for (size_t k = 0; k < d->npci; k++)
			strbuf_addf(out, "%s%s", k ? ", " : "; PCI ", d->pci[k]);
		strbuf_addc(out, '\n');
		for (size_t k = 0; o->verbose && k < d->nvcpus; k++) {
			const struct topo_xen_vcpu *v = &d->vcpus[k];

			strbuf_addf(out, "    vCPU %u: ", v->vcpu);
			if (v->cpu >= 0)
				strbuf_addf(out, "PU %d%s", v->cpu,
					    v->running ? " (running)" : "");
			else
				strbuf_adds(out, v->online ? "not placed" : "offline");
			strbuf_addf(out, ", affinity %s, soft %s\n",
				    v->hard ? v->hard : "-", v->soft ? v->soft : "-");
		}
	}
}

void render_summary(const struct topo_obj *root, struct strbuf *out)
{
	struct topo_obj *m = (struct topo_obj *)root;
	size_t pus = topo_count(m, TOPO_PU), nodes = topo_count(m, TOPO_NUMA);
	size_t dimms = topo_count(m, TOPO_MEMORY_MODULE);
	size_t pci = topo_count(m, TOPO_PCI_DEVICE), mark = out->len;
	char buf[32];

	/* Only what the inputs told: a lone lspci dump knows no CPUs. */
	if (pus || topo_count(m, TOPO_PACKAGE))
		strbuf_addf(out, "%zu package(s), %zu core(s), %zu PU(s), ",
			    topo_count(m, TOPO_PACKAGE), topo_count(m, TOPO_CORE),
			    pus);
	if (nodes) {
		format_size(buf, sizeof(buf), topo_total_memory(m));
		strbuf_addf(out, "%zu NUMA node(s), %s memory, ", nodes, buf);
	}
	if (dimms)
		strbuf_addf(out, "%zu memory slot(s), ", dimms);
	if (pci)
		strbuf_addf(out, "%zu PCI device(s), ", pci);
	if (out->len == mark)
		strbuf_adds(out, "nothing known, ");
	out->len -= 2;
	out->buf[out->len] = 0;
}

void render_text(const struct topo *t, const struct render_opts *o,
		 struct strbuf *out)
{
	struct text_ctx c = { .o = o, .out = out };

	text_group(&c, &t->root, 1, 0);
	strbuf_adds(out, "Summary: ");
	render_summary(t->root, out);
	strbuf_addc(out, '\n');
	if (t->ndist > TEXT_MAX_DIST) {
		/* A matrix wider than a screen is no use as text. */
		strbuf_addf(out, "NUMA distances (%s): %zux%zu, omitted; "
			    "--json shows them\n",
			    t->dist_source ? t->dist_source : "?", t->ndist, t->ndist);
	} else if (t->ndist > 1) {
		strbuf_addf(out, "NUMA distances (%s):\n",
			    t->dist_source ? t->dist_source : "?");
		strbuf_adds(out, "  node");
		for (size_t j = 0; j < t->ndist; j++)
			strbuf_addf(out, " %4u", t->dist_nodes[j]);
		strbuf_addc(out, '\n');
		for (size_t i = 0; i < t->ndist; i++) {
			strbuf_addf(out, "  %4u", t->dist_nodes[i]);
			for (size_t j = 0; j < t->ndist; j++)
				strbuf_addf(out, " %4u", t->dist[i * t->ndist + j]);
			strbuf_addc(out, '\n');
		}
	}
	if (t->xen)
		render_xen_domains(t, o, out);
	if (t->microcode && t->microcode[strspn(t->microcode, " \t\n")])
		strbuf_addf(out, "Microcode: %s\n", t->microcode);
	size_t bad = 0;
	for (size_t i = 0; i < t->nvulns; i++)
		bad += !t->vulns[i].mitigated;
	if (t->nvulns) {
		strbuf_addf(out, "CPU vulnerabilities: %zu listed, %zu not mitigated\n",
			    t->nvulns, bad);
		for (size_t i = 0; i < t->nvulns; i++)
			if (!t->vulns[i].mitigated || o->verbose)
				strbuf_addf(out, "  %s%s: %s%s\n",
					    o->color && !t->vulns[i].mitigated ? C_WARN : "",
					    t->vulns[i].name, t->vulns[i].status,
					    o->color && !t->vulns[i].mitigated ? C_RESET : "");
	}
}
