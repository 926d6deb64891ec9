/* SPDX-License-Identifier: MIT */
/* Xen's view of the machine through libxl (loaded on first use: lazy-xen.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "lazy-xen.h"
#include "util.h"
#include "xen.h"

/* libxl logs through xentoollog; library code here never prints. */
static void quiet_vmessage(struct xentoollog_logger *l, xentoollog_level level,
			   int errnoval, const char *context, const char *format,
			   va_list al)
{
	(void)l; (void)level; (void)errnoval; (void)context; (void)format;
	(void)al;
}

static void quiet_progress(struct xentoollog_logger *l, const char *context,
			   const char *doing, int percent, unsigned long done,
			   unsigned long total)
{
	(void)l; (void)context; (void)doing; (void)percent; (void)done;
	(void)total;
}

static void quiet_destroy(struct xentoollog_logger *l)
{
	(void)l;
}

static struct xentoollog_logger quiet = {
	.vmessage = quiet_vmessage,
	.progress = quiet_progress,
	.destroy = quiet_destroy,
};

/* A libxl bitmap as a CPU or node list ("0-3,8"), "-" when empty. */
static void add_bitmap(struct strbuf *sb, const libxl_bitmap *b)
{
	struct cpuset set = { 0 };

	for (uint32_t i = 0; i < b->size && i * 8 < CPUSET_MAX; i++)
		for (unsigned k = 0; k < 8; k++)
			if (b->map[i] >> k & 1)
				cpuset_set(&set, i * 8 + k);
	char *s = cpuset_format(&set);
	strbuf_adds(sb, *s ? s : "-");
	free(s);
	cpuset_release(&set);
}

int xen_collect(struct strbuf f[XEN_NFILES], struct hv_diags *d)
{
	libxl_ctx *ctx = NULL;
	libxl_cputopology *cpus = NULL;
	libxl_numainfo *nodes = NULL;
	libxl_pcitopology *pcis = NULL;
	libxl_dominfo *doms = NULL;
	int ncpus = 0, nnodes = 0, npcis = 0, ndoms = 0, rc = 0;

	if (!lazy_lib_available(&lazy_xenlight)) {
		hv_warnf(d, "running on Xen, but %s cannot be loaded (%s): showing dom0's vCPUs, not the machine",
			 lazy_xenlight.soname, lazy_xenlight.error);
		return -ENODEV;
	}
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, &quiet) != 0 || !ctx) {
		hv_warnf(d, "libxl cannot talk to Xen (not dom0, or not root?): showing dom0's vCPUs, not the machine");
		return -ENODEV;
	}
	cpus = libxl_get_cpu_topology(ctx, &ncpus);
	if (!cpus || ncpus <= 0) {
		hv_warnf(d, "libxl gave no CPU topology: showing dom0's vCPUs, not the machine");
		rc = -ENODEV;
		goto out;
	}
	for (int i = 0; i < ncpus; i++) {
		if (cpus[i].core == LIBXL_CPUTOPOLOGY_INVALID_ENTRY)
			continue;
		strbuf_addf(&f[XEN_CPUTOPO], "%d\t%u\t%u\t", i, cpus[i].socket,
			    cpus[i].core);
		if (cpus[i].node == LIBXL_CPUTOPOLOGY_INVALID_ENTRY)
			strbuf_adds(&f[XEN_CPUTOPO], "-\n");
		else
			strbuf_addf(&f[XEN_CPUTOPO], "%u\n", cpus[i].node);
	}
	nodes = libxl_get_numainfo(ctx, &nnodes);
	for (int i = 0; nodes && i < nnodes; i++) {
		if (nodes[i].size == LIBXL_NUMAINFO_INVALID_ENTRY)
			continue;
		strbuf_addf(&f[XEN_NUMAINFO], "%d\t%llu\t%llu\t", i,
			    (unsigned long long)nodes[i].size,
			    (unsigned long long)nodes[i].free);
		for (int k = 0; k < nodes[i].num_dists; k++)
			strbuf_addf(&f[XEN_NUMAINFO], "%s%u", k ? "," : "",
				    nodes[i].dists[k]);
		strbuf_adds(&f[XEN_NUMAINFO], nodes[i].num_dists ? "\n" : "-\n");
	}
	pcis = libxl_get_pci_topology(ctx, &npcis);
	for (int i = 0; pcis && i < npcis; i++) {
		strbuf_addf(&f[XEN_PCITOPO], "%04x:%02x:%02x.%x\t", pcis[i].seg,
			    pcis[i].bus, pcis[i].devfn >> 3, pcis[i].devfn & 7);
		if (pcis[i].node == LIBXL_PCITOPOLOGY_INVALID_ENTRY)
			strbuf_adds(&f[XEN_PCITOPO], "-\n");
		else
			strbuf_addf(&f[XEN_PCITOPO], "%u\n", pcis[i].node);
	}
	doms = libxl_list_domain(ctx, &ndoms);
	for (int i = 0; doms && i < ndoms; i++) {
		uint32_t domid = doms[i].domid;
		char *name = libxl_domid_to_name(ctx, domid);
		libxl_bitmap nodemap;
		int nv = 0, nr = 0, np = 0;

		/* Tabs and newlines cannot appear in a field. */
		for (char *p = name; p && *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		strbuf_addf(&f[XEN_DOMAINS], "%u\t%s\t%llu\t%llu\t", domid,
			    name && *name ? name : "-",
			    (unsigned long long)doms[i].current_memkb * 1024,
			    (unsigned long long)doms[i].max_memkb * 1024);
		free(name);
		/* The caller allocates the map libxl fills (libxl_dom.c
		 * passes nodemap->map straight to xc_domain_node_getaffinity):
		 * an unallocated one is a write to address 0. */
		libxl_bitmap_init(&nodemap);
		if (libxl_node_bitmap_alloc(ctx, &nodemap, 0) == 0 &&
		    libxl_domain_get_nodeaffinity(ctx, domid, &nodemap) == 0)
			add_bitmap(&f[XEN_DOMAINS], &nodemap);
		else
			strbuf_adds(&f[XEN_DOMAINS], "-");
		libxl_bitmap_dispose(&nodemap);
		strbuf_addc(&f[XEN_DOMAINS], '\n');

		libxl_vcpuinfo *v = libxl_list_vcpu(ctx, domid, &nv, &nr);
		for (int k = 0; v && k < nv; k++) {
			strbuf_addf(&f[XEN_VCPUS], "%u\t%u\t", domid, v[k].vcpuid);
			if (v[k].online && v[k].cpu != (uint32_t)-1)
				strbuf_addf(&f[XEN_VCPUS], "%u", v[k].cpu);
			else
				strbuf_adds(&f[XEN_VCPUS], "-");
			strbuf_addf(&f[XEN_VCPUS], "\t%d\t%d\t", v[k].online,
				    v[k].running);
			add_bitmap(&f[XEN_VCPUS], &v[k].cpumap);
			strbuf_addc(&f[XEN_VCPUS], '\t');
			add_bitmap(&f[XEN_VCPUS], &v[k].cpumap_soft);
			strbuf_addc(&f[XEN_VCPUS], '\n');
		}
		if (v)
			libxl_vcpuinfo_list_free(v, nv);

		libxl_device_pci *pd = libxl_device_pci_list(ctx, domid, &np);
		for (int k = 0; pd && k < np; k++)
			strbuf_addf(&f[XEN_PCI], "%u\t%04x:%02x:%02x.%x\n", domid,
				    (unsigned)pd[k].domain, pd[k].bus, pd[k].dev,
				    pd[k].func);
		if (pd)
			libxl_device_pci_list_free(pd, np);
	}
out:
	if (doms)
		libxl_dominfo_list_free(doms, ndoms);
	if (pcis)
		libxl_pcitopology_list_free(pcis, npcis);
	if (nodes)
		libxl_numainfo_list_free(nodes, nnodes);
	if (cpus)
		libxl_cputopology_list_free(cpus, ncpus);
	libxl_ctx_free(ctx);
	return rc;
}
