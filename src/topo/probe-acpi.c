/* SPDX-License-Identifier: MIT */
/* NUMA facts from ACPI tables: SRAT, SLIT, MCFG and MADT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "probe.h"

#define TABLES "/sys/firmware/acpi/tables/"

static struct topo_acpi_domain *domain_get(struct topo *t, uint32_t dom)
{
	for (size_t i = 0; i < t->nacpi_domains; i++)
		if (t->acpi_domains[i].domain == dom)
			return &t->acpi_domains[i];
	t->acpi_domains = xgrow(t->acpi_domains, sizeof(*t->acpi_domains),
				t->nacpi_domains + 1, &t->aacpi_domains);
	struct topo_acpi_domain *d = &t->acpi_domains[t->nacpi_domains++];
	memset(d, 0, sizeof(*d));
	d->domain = dom;
	return d;
}

static int cmp_domain(const void *a, const void *b)
{
	const struct topo_acpi_domain *x = a, *y = b;

	return x->domain < y->domain ? -1 : x->domain > y->domain;
}

/* With no sysfs CPUs, the firmware's view becomes the topology: one NUMA
 * node per proximity domain, PUs numbered in MADT order as Linux does. */
static void build_from_acpi(struct probe_ctx *c, const struct acpi_madt *madt,
			    const struct acpi_srat *srat)
{
	struct topo *t = c->t;
	unsigned next = 0;

	for (size_t i = 0; i < t->nacpi_domains; i++) {
		struct topo_obj *n = topo_obj_new(TOPO_NUMA, t->acpi_domains[i].domain);

		for (size_t k = 0; k < t->acpi_domains[i].nmem; k++)
			n->memory_bytes += t->acpi_domains[i].mem_len[k];
		topo_obj_add(t->root, n);
	}
	size_t ncpu = madt && madt->ncpus ? madt->ncpus : (srat ? srat->ncpus : 0);
	for (size_t i = 0; i < ncpu; i++) {
		uint32_t apic;
		bool enabled;

		if (madt && madt->ncpus) {
			apic = madt->cpus[i].apic_id;
			enabled = madt->cpus[i].enabled;
		} else {
			apic = srat->cpus[i].apic_id;
			enabled = srat->cpus[i].enabled;
		}
		if (!enabled)
			continue;
		struct topo_obj *pu = topo_obj_new(TOPO_PU, next);
		struct topo_obj *parent = t->root;

		cpuset_set(&pu->cpus, next);
		cpuset_set(&t->root->cpus, next);
		for (size_t d = 0; d < t->nacpi_domains; d++)
			for (size_t k = 0; k < t->acpi_domains[d].napic; k++)
				if (t->acpi_domains[d].apic_ids[k] == apic) {
					struct topo_obj *n = topo_find(
						t->root, TOPO_NUMA,
						t->acpi_domains[d].domain);

					if (n) {
						parent = n;
						cpuset_set(&n->cpus, next);
					}
				}
		topo_obj_add(parent, pu);
		next++;
	}
}

int probe_acpi(struct probe_ctx *c)
{
	struct topo *t = c->t;
	char *data = NULL;
	size_t len = 0;
	struct acpi_srat srat = { 0 };
	struct acpi_madt madt = { 0 };
	bool have_srat = false, any = false;

	if (hv_root_read(c->root, TABLES "MCFG", &data, &len) == 0) {
		struct acpi_mcfg m = { 0 };

		if (acpi_parse_mcfg((uint8_t *)data, len, &m, c->d) == 0) {
			t->mcfg = xcalloc(m.n ? m.n : 1, sizeof(*t->mcfg));
			for (size_t i = 0; i < m.n; i++)
				t->mcfg[i] = (struct topo_acpi_mcfg){
					m.v[i].base, m.v[i].segment,
					m.v[i].bus_start, m.v[i].bus_end };
			t->nmcfg = m.n;
			acpi_mcfg_release(&m);
			any = true;
		}
		free(data);
	}
	if (hv_root_read(c->root, TABLES "APIC", &data, &len) == 0) {
		if (acpi_parse_madt((uint8_t *)data, len, &madt, c->d) == 0) {
			t->have_madt = true;
			t->madt_cpus = (unsigned)madt.ncpus;
			for (size_t i = 0; i < madt.ncpus; i++)
				t->madt_enabled += madt.cpus[i].enabled;
			any = true;
		}
		free(data);
	}
	if (hv_root_read(c->root, TABLES "SRAT", &data, &len) == 0) {
		if (acpi_parse_srat((uint8_t *)data, len, &srat, c->d) == 0) {
			have_srat = true;
			any = true;
			for (size_t i = 0; i < srat.ncpus; i++) {
				struct topo_acpi_domain *d;

				if (!srat.cpus[i].enabled)
					continue;
				d = domain_get(t, srat.cpus[i].domain);
				d->apic_ids = xgrow(d->apic_ids, sizeof(uint32_t),
						    d->napic + 1, &d->aapic);
				d->apic_ids[d->napic++] = srat.cpus[i].apic_id;
			}
			for (size_t i = 0; i < srat.nmems; i++) {
				struct topo_acpi_domain *d;
				size_t cap;

				if (!srat.mems[i].enabled || !srat.mems[i].length)
					continue;
				d = domain_get(t, srat.mems[i].domain);
				cap = d->amem;
				d->mem_base = xgrow(d->mem_base, sizeof(uint64_t),
						    d->nmem + 1, &cap);
				d->mem_len = xgrow(d->mem_len, sizeof(uint64_t),
						   d->nmem + 1, &d->amem);
				d->mem_base[d->nmem] = srat.mems[i].base;
				d->mem_len[d->nmem++] = srat.mems[i].length;
			}
			if (t->nacpi_domains > 1)
				qsort(t->acpi_domains, t->nacpi_domains,
				      sizeof(*t->acpi_domains), cmp_domain);
		}
		free(data);
	}
	if (hv_root_read(c->root, TABLES "SLIT", &data, &len) == 0) {
		struct acpi_slit s = { 0 };

		if (acpi_parse_slit((uint8_t *)data, len, &s, c->d) == 0) {
			any = true;
			if (!t->ndist && s.n) {
				t->ndist = (size_t)s.n;
				t->dist_nodes = xcalloc(s.n, sizeof(unsigned));
				t->dist = xcalloc(s.n * s.n, sizeof(unsigned));
				for (size_t i = 0; i < s.n; i++)
					t->dist_nodes[i] = (unsigned)i;
				for (size_t i = 0; i < s.n * s.n; i++)
					t->dist[i] = s.m[i];
				t->dist_source = xstrdup("acpi-slit");
			}
			acpi_slit_release(&s);
		}
		free(data);
	}
	if (hv_root_read(c->root, TABLES "HMAT", &data, &len) == 0) {
		static const char *const attrs[] = {
			[ACPI_HMAT_ACCESS_LATENCY] = "access_latency_ns",
			[ACPI_HMAT_READ_LATENCY] = "read_latency_ns",
			[ACPI_HMAT_WRITE_LATENCY] = "write_latency_ns",
			[ACPI_HMAT_ACCESS_BANDWIDTH] = "access_bandwidth_mbs",
			[ACPI_HMAT_READ_BANDWIDTH] = "read_bandwidth_mbs",
			[ACPI_HMAT_WRITE_BANDWIDTH] = "write_bandwidth_mbs",
		};
		struct acpi_hmat h = { 0 };

		if (acpi_parse_hmat((uint8_t *)data, len, &h, c->d) == 0) {
			any = true;
			t->hmat = xcalloc(h.nlb ? h.nlb : 1, sizeof(*t->hmat));
			for (size_t i = 0; i < h.nlb; i++) {
				/* Memory-level entries only; cache levels are
				 * the memcaches' business. */
				if (h.lb[i].hierarchy != 0 ||
				    h.lb[i].data_type >= ARRAY_SIZE(attrs))
					continue;
				t->hmat[t->nhmat++] = (struct topo_hmat){
					h.lb[i].initiator, h.lb[i].target,
					attrs[h.lb[i].data_type], h.lb[i].value };
			}
			acpi_hmat_release(&h);
		}
		free(data);
	}
	if (any)
		topo_add_source(t, "acpi");
	if (!topo_count(t->root, TOPO_PU) && !topo_count(t->root, TOPO_NUMA) &&
	    (have_srat || madt.ncpus))
		build_from_acpi(c, &madt, have_srat ? &srat : NULL);
	acpi_srat_release(&srat);
	acpi_madt_release(&madt);
	return any ? 0 : -ENOENT;
}
