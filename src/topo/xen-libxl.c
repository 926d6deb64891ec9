/* SPDX-License-Identifier: MIT */
/* Xen's view of the machine through libxl, loaded when first needed. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "util.h"
#include "xen.h"

#ifndef HV_LIBXL_SONAME
#define HV_LIBXL_SONAME "libxenlight.so.4.17"
#endif

/*
 * libxenlight brings libxenctrl, libxenstore, libyajl and more: loading
 * them in every hvkit run would cost more than a small machine takes to
 * probe, and most runs are not in dom0.  So the functions used here are
 * defined below, each resolved on first use.  The prototypes are libxl's
 * own (scripts/gen-lazy.py), checked by the compiler against its header.
 * Unlike the libarchive wrapper, a missing library is not fatal: the
 * caller learns it from lazy_open() first.
 */
static void *lazy_lib;
static const char *lazy_error;

static int lazy_open(void)
{
	if (!lazy_lib) {
		lazy_lib = dlopen(HV_LIBXL_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!lazy_lib) {
			lazy_error = dlerror();
			return -ENOENT;
		}
	}
	return 0;
}

static void *lazy_sym(const char *name)
{
	void *p = lazy_lib ? dlsym(lazy_lib, name) : NULL;

	if (!p) {
		fprintf(stderr, "hvkit: error: %s has no %s\n", HV_LIBXL_SONAME, name);
		exit(1);
	}
	return p;
}

#define LAZY(ret, name, params, args)                                      \
	ret name params                                                     \
	{                                                                   \
		static ret (*fn) params;                                    \
		if (!fn)                                                    \
			fn = (ret (*) params)lazy_sym(#name);               \
		return fn args;                                             \
	}

LAZY(int, libxl_ctx_alloc, (libxl_ctx ** a0, int a1, unsigned a2, xentoollog_logger * a3), (a0, a1, a2, a3))
LAZY(int, libxl_ctx_free, (libxl_ctx * a0), (a0))
LAZY(libxl_cputopology *, libxl_get_cpu_topology, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY(void, libxl_cputopology_list_free, (libxl_cputopology * a0, int a1), (a0, a1))
LAZY(libxl_numainfo *, libxl_get_numainfo, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY(void, libxl_numainfo_list_free, (libxl_numainfo * a0, int a1), (a0, a1))
LAZY(libxl_pcitopology *, libxl_get_pci_topology, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY(void, libxl_pcitopology_list_free, (libxl_pcitopology * a0, int a1), (a0, a1))
LAZY(libxl_dominfo *, libxl_list_domain, (libxl_ctx* a0, int * a1), (a0, a1))
LAZY(void, libxl_dominfo_list_free, (libxl_dominfo * a0, int a1), (a0, a1))
LAZY(libxl_vcpuinfo *, libxl_list_vcpu, (libxl_ctx * a0, uint32_t a1, int * a2, int * a3), (a0, a1, a2, a3))
LAZY(void, libxl_vcpuinfo_list_free, (libxl_vcpuinfo * a0, int a1), (a0, a1))
LAZY(char *, libxl_domid_to_name, (libxl_ctx * a0, uint32_t a1), (a0, a1))
LAZY(libxl_device_pci *, libxl_device_pci_list, (libxl_ctx * a0, uint32_t a1, int * a2), (a0, a1, a2))
LAZY(void, libxl_device_pci_list_free, (libxl_device_pci* a0, int a1), (a0, a1))
LAZY(int, libxl_domain_get_nodeaffinity, (libxl_ctx * a0, uint32_t a1, libxl_bitmap * a2), (a0, a1, a2))
LAZY(void, libxl_bitmap_init, (libxl_bitmap * a0), (a0))
LAZY(void, libxl_bitmap_dispose, (libxl_bitmap * a0), (a0))

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

	if (lazy_open() < 0) {
		hv_warnf(d, "running on Xen, but %s cannot be loaded (%s): showing dom0's vCPUs, not the machine",
			 HV_LIBXL_SONAME, lazy_error ? lazy_error : "?");
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
		libxl_bitmap_init(&nodemap);
		if (libxl_domain_get_nodeaffinity(ctx, domid, &nodemap) == 0)
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
