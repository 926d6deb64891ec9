/* SPDX-License-Identifier: MIT */
/* Machine identity and memory modules (DIMMs) from SMBIOS, placed on nodes. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "smbios.h"
#include "strbuf.h"

#define DMI_TABLES "/sys/firmware/dmi/tables/"
#define DMI_ENTRIES "/sys/firmware/dmi/entries"

/* Reads the structure table: the tables pair, or per-entry raw files. */
static int read_smbios(struct probe_ctx *c, struct smbios_info *info)
{
	char *ep = NULL, *tbl = NULL;
	size_t eplen = 0, tlen = 0;
	int rc;

	if (hv_root_read(c->root, DMI_TABLES "DMI", &tbl, &tlen) == 0) {
		struct smbios_ep e = { 0 };
		unsigned hint = 0;

		if (hv_root_read(c->root, DMI_TABLES "smbios_entry_point", &ep,
				 &eplen) == 0 &&
		    smbios_parse_entry_point((uint8_t *)ep, eplen, &e, c->d) == 0)
			hint = e.major * 0x100 + e.minor;
		rc = smbios_parse_table((uint8_t *)tbl, tlen, hint, info, c->d);
		if (rc == 0 && hint) {
			info->ep = e;
			info->have_ep = true;
		}
		free(ep);
		free(tbl);
		return rc;
	}

	char **names = NULL;
	size_t n = 0;
	struct strbuf all = STRBUF_INIT;

	rc = hv_root_list(c->root, DMI_ENTRIES, &names, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char p[160];
		char *raw = NULL;
		size_t len = 0;

		snprintf(p, sizeof(p), DMI_ENTRIES "/%s/raw", names[i]);
		if (hv_root_read(c->root, p, &raw, &len) == 0) {
			strbuf_add(&all, raw, len);
			free(raw);
		}
	}
	hv_strv_free(names, n);
	rc = all.len ? smbios_parse_table((uint8_t *)all.buf, all.len, 0, info,
					  c->d)
		     : -ENOENT;
	strbuf_release(&all);
	return rc;
}

static void set_if_empty(char **field, const char *value)
{
	if (!*field && value && *value)
		*field = xstrdup(value);
}

/* The NUMA node holding a physical address, from sysfs memory blocks or
 * the SRAT; -1 when unknown. */
struct blockmap {
	uint64_t block_size;
	struct { uint64_t block; int node; } *v;
	size_t n, alloc;
};

static void load_blockmap(struct probe_ctx *c, struct blockmap *bm)
{
	uint64_t bs;
	char **nodes = NULL;
	size_t nn = 0;

	memset(bm, 0, sizeof(*bm));
	{
		_cleanup_free_ char *s = NULL;

		/* Hex without a 0x prefix. */
		if (hv_root_read_str(c->root,
				     "/sys/devices/system/memory/block_size_bytes",
				     &s) < 0 || parse_u64(s, 16, &bs) < 0)
			return;
	}
	if (!bs)
		return;
	bm->block_size = bs;
	if (hv_root_list(c->root, "/sys/devices/system/node", &nodes, &nn) < 0)
		return;
	for (size_t i = 0; i < nn; i++) {
		char dir[96];
		char **ents = NULL;
		size_t ne = 0;
		uint64_t node;

		if (!str_startswith(nodes[i], "node") ||
		    parse_u64(nodes[i] + 4, 10, &node) < 0)
			continue;
		snprintf(dir, sizeof(dir), "/sys/devices/system/node/%s", nodes[i]);
		if (hv_root_list(c->root, dir, &ents, &ne) < 0)
			continue;
		for (size_t k = 0; k < ne; k++) {
			uint64_t blk;

			if (!str_startswith(ents[k], "memory") ||
			    parse_u64(ents[k] + 6, 10, &blk) < 0)
				continue;
			bm->v = xgrow(bm->v, sizeof(*bm->v), bm->n + 1, &bm->alloc);
			bm->v[bm->n].block = blk;
			bm->v[bm->n++].node = (int)node;
		}
		hv_strv_free(ents, ne);
	}
	hv_strv_free(nodes, nn);
}

static int node_of_address(const struct topo *t, const struct blockmap *bm,
			   uint64_t addr)
{
	if (bm->block_size)
		for (size_t i = 0; i < bm->n; i++)
			if (addr / bm->block_size == bm->v[i].block)
				return bm->v[i].node;
	for (size_t d = 0; d < t->nacpi_domains; d++)
		for (size_t k = 0; k < t->acpi_domains[d].nmem; k++) {
			uint64_t b = t->acpi_domains[d].mem_base[k];

			if (addr >= b && addr - b < t->acpi_domains[d].mem_len[k])
				return (int)t->acpi_domains[d].domain;
		}
	return -1;
}

/* Socket number (0-based) a slot name points at, or -1. */
static int socket_from_locator(const char *loc, size_t npackages)
{
	static const char *const keys[] = { "CPU", "PROC", "SOCKET", "P" };
	char up[64];
	size_t n = 0;

	if (!loc)
		return -1;
	for (; loc[n] && n < sizeof(up) - 1; n++)
		up[n] = (char)toupper((unsigned char)loc[n]);
	up[n] = 0;
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const char *p = up;

		while ((p = strstr(p, keys[k]))) {
			const char *q = p + strlen(keys[k]);
			bool word_start = p == up || !isalpha((unsigned char)p[-1]);

			while (*q == ' ' || *q == '_')
				q++;
			if (word_start && isdigit((unsigned char)*q)) {
				int v = atoi(q);

				if (v >= 1 && (size_t)v <= npackages)
					return v - 1;
			}
			p += strlen(keys[k]);
		}
	}
	/* Dell: DIMM_A1 on the first socket, DIMM_B1 on the second. */
	if (npackages > 1 && str_startswith(up, "DIMM_") && isalpha((unsigned char)up[5]) &&
	    isdigit((unsigned char)up[6])) {
		size_t s = (size_t)(up[5] - 'A');

		if (s < npackages)
			return (int)s;
	}
	return -1;
}

/* The NUMA node object for a package index, via its PUs. */
static struct topo_obj *node_of_package(struct topo *t, int pkg_index)
{
	struct topo_obj *pkg = topo_find(t->root, TOPO_PACKAGE, pkg_index);
	int cpu;

	if (!pkg || (cpu = cpuset_next(&pkg->cpus, 0)) < 0)
		return NULL;
	size_t stack_n = 0, stack_a = 0;
	struct topo_obj **stack = NULL;
	struct topo_obj *found = NULL;

	stack = xgrow(stack, sizeof(*stack), 1, &stack_a);
	stack[stack_n++] = t->root;
	while (stack_n && !found) {
		struct topo_obj *o = stack[--stack_n];

		if (o->type == TOPO_NUMA && cpuset_has(&o->cpus, (unsigned)cpu))
			found = o;
		for (size_t i = 0; i < o->nkids; i++) {
			stack = xgrow(stack, sizeof(*stack), stack_n + 1, &stack_a);
			stack[stack_n++] = o->kids[i];
		}
	}
	free(stack);
	return found;
}

static struct topo_obj *only_node(struct topo_obj *o)
{
	if (o->type == TOPO_NUMA)
		return o;
	for (size_t i = 0; i < o->nkids; i++) {
		struct topo_obj *r = only_node(o->kids[i]);

		if (r)
			return r;
	}
	return NULL;
}

int probe_smbios(struct probe_ctx *c)
{
	struct smbios_info info = { 0 };
	struct topo *t = c->t;
	struct topo_obj *m = t->root;
	struct blockmap bm;
	int rc = read_smbios(c, &info);

	if (rc < 0)
		return rc;
	if (!c->keep_serials)
		smbios_info_drop_serials(&info);
	topo_add_source(t, "smbios");
	set_if_empty(&m->vendor, info.sys_vendor);
	set_if_empty(&m->product, info.sys_product);
	set_if_empty(&m->version, info.sys_version);
	set_if_empty(&m->board_vendor, info.board_vendor);
	set_if_empty(&m->board, info.board_product);
	set_if_empty(&m->bios_vendor, info.bios_vendor);
	set_if_empty(&m->bios_version, info.bios_version);
	set_if_empty(&m->bios_date, info.bios_date);

	/* Firmware-only input: the sockets are all we know of the CPUs. */
	if (!topo_count(m, TOPO_PACKAGE) && !topo_count(m, TOPO_PU))
		for (size_t i = 0; i < info.nprocs; i++) {
			struct topo_obj *p;

			if (!info.procs[i].populated)
				continue;
			p = topo_obj_new(TOPO_PACKAGE, (int64_t)i);
			if (info.procs[i].version)
				p->cpu_model = xstrdup(info.procs[i].version);
			topo_obj_add(m, p);
		}

	load_blockmap(c, &bm);
	size_t npkg = topo_count(m, TOPO_PACKAGE);
	size_t nnodes = topo_count(m, TOPO_NUMA);
	struct topo_obj **placed = xcalloc(info.ndevs ? info.ndevs : 1,
					   sizeof(*placed));

	for (size_t i = 0; i < info.ndevs; i++) {
		const struct smbios_memdev *dv = &info.devs[i];
		struct topo_obj *o = topo_obj_new(TOPO_MEMORY_MODULE, (int64_t)i);
		struct topo_obj *parent = NULL;
		const char *how = NULL;

		o->locator = dv->locator ? xstrdup(dv->locator) : NULL;
		o->bank = dv->bank ? xstrdup(dv->bank) : NULL;
		o->size_bytes = dv->size_bytes == UINT64_MAX ? 0 : dv->size_bytes;
		o->mem_type = dv->type ? xstrdup(dv->type) : NULL;
		o->form_factor = dv->form_factor ? xstrdup(dv->form_factor) : NULL;
		o->manufacturer = dv->manufacturer ? xstrdup(dv->manufacturer) : NULL;
		o->part_number = dv->part_number ? xstrdup(dv->part_number) : NULL;
		o->serial = dv->serial ? xstrdup(dv->serial) : NULL;
		o->speed_mts = dv->speed_mts;
		o->configured_speed_mts = dv->configured_speed_mts;
		o->rank = dv->rank;
		o->total_width = dv->total_width;
		o->data_width = dv->data_width;
		o->ecc = dv->ecc;

		/* 1. The address range the module is mapped at (type 20). */
		for (size_t k = 0; k < info.ndmaps && !parent; k++) {
			if (info.dmaps[k].device_handle != dv->handle)
				continue;
			int node = node_of_address(t, &bm, info.dmaps[k].start);
			if (node >= 0 &&
			    (parent = topo_find(m, TOPO_NUMA, node)))
				how = "address";
		}
		/* 2. The slot name ("CPU2_DIMM_A1", "P1-DIMMA1"). */
		if (!parent && nnodes > 1) {
			int s = socket_from_locator(dv->locator, npkg);

			if (s < 0)
				s = socket_from_locator(dv->bank, npkg);
			if (s >= 0 && (parent = node_of_package(t, s)))
				how = "locator";
		}
		/* 3. A machine with one node. */
		if (!parent && nnodes == 1 && (parent = only_node(m)))
			how = "single-node";
		placed[i] = parent;
		o->placement = xstrdup(how ? how : "unknown");
		topo_obj_add(parent ? parent : m, o);
	}
	/* 4. Slots of the same memory array as a placed module. */
	for (size_t i = 0; i < info.ndevs; i++) {
		if (placed[i])
			continue;
		for (size_t k = 0; k < info.ndevs; k++)
			if (placed[k] && info.devs[k].array_handle ==
						 info.devs[i].array_handle &&
			    info.devs[i].array_handle != 0xffff) {
				struct topo_obj *o = NULL;

				for (size_t q = 0; q < m->nkids; q++)
					if (m->kids[q]->type == TOPO_MEMORY_MODULE &&
					    m->kids[q]->os_index == (int64_t)i)
						o = m->kids[q];
				if (!o)
					break;
				topo_obj_detach(o);
				free(o->placement);
				o->placement = xstrdup("array");
				topo_obj_add(placed[k], o);
				break;
			}
	}
	free(placed);
	free(bm.v);
	smbios_info_release(&info);
	return 0;
}
