/* SPDX-License-Identifier: MIT */
/*
 * A stand-in libxenlight.so.4.17 for tests/e2e/sched/0660-xen-fake.py:
 * the calls hvkit sched's Xen backend makes, against domains that exist
 * only here, counted.  Loaded by hvkit's lazy loader through
 * LD_LIBRARY_PATH (it dlopens the soname).  Built from libxl's own
 * headers, so the types are Xen 4.17's.
 *
 * FAKE_XL_DIR names a directory:
 *   doms     "N [S]": domains d0 .. dN-1 (domids 1 .. N), 1 vCPU, credit2,
 *            each using half a CPU since the library was loaded, after S
 *            seconds of CPU time used before (0: none);
 *   xl-set   "NAME CAP" written by the test as an admin's
 *            `xl sched-credit2 -d NAME -c CAP` would: applied (and the
 *            file removed) at the next libxl_domain_sched_params_get;
 *   calls    written at exit: "list L name M get G set S" and one
 *            "NAME cap C weight W" line per domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxl.h>
#include <libxl_utils.h>

static int ndoms = -1;
static uint64_t start_ns;	/* CPU time each domain used before */
static libxl_domain_sched_params *params;
static unsigned long n_list, n_name, n_get, n_set;
static struct timespec t0;
static char dir[4096];

static void load(void)
{
	const char *d = getenv("FAKE_XL_DIR");
	char p[4200];
	FILE *f;

	if (ndoms >= 0)
		return;
	snprintf(dir, sizeof(dir), "%s", d ? d : ".");
	snprintf(p, sizeof(p), "%s/doms", dir);
	ndoms = 0;
	if ((f = fopen(p, "r"))) {
		unsigned start_s = 0;
		if (fscanf(f, "%d %u", &ndoms, &start_s) < 1 || ndoms < 0 || ndoms > 100000)
			ndoms = 0;
		start_ns = start_s < 1000000 ? start_s * 1000000000ull : 0;
		fclose(f);
	}
	params = calloc(ndoms ? ndoms : 1, sizeof(*params));
	for (int i = 0; i < ndoms; i++) {
		params[i].sched = LIBXL_SCHEDULER_CREDIT2;
		params[i].weight = 256;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static void __attribute__((destructor)) report(void)
{
	char p[4200];
	FILE *f;

	if (ndoms < 0)
		return;
	snprintf(p, sizeof(p), "%s/calls", dir);
	if (!(f = fopen(p, "w")))
		return;
	fprintf(f, "list %lu name %lu get %lu set %lu\n", n_list, n_name, n_get, n_set);
	for (int i = 0; i < ndoms; i++)
		fprintf(f, "d%d cap %d weight %d\n", i, params[i].cap, params[i].weight);
	fclose(f);
}

int libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags, xentoollog_logger *lg)
{
	(void)version;
	(void)flags;
	(void)lg;
	load();
	*pctx = (libxl_ctx *)&ndoms;	/* opaque to the caller */
	return 0;
}

int libxl_ctx_free(libxl_ctx *ctx)
{
	(void)ctx;
	return 0;
}

libxl_dominfo *libxl_list_domain(libxl_ctx *ctx, int *nb)
{
	struct timespec now;
	libxl_dominfo *v = calloc(ndoms + 1, sizeof(*v));

	(void)ctx;
	n_list++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t ns = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000ull + now.tv_nsec - t0.tv_nsec;
	v[0].domid = 0;		/* dom0 */
	for (int i = 0; i < ndoms; i++) {
		v[i + 1].domid = (uint32_t)i + 1;
		v[i + 1].cpu_time = start_ns + ns / 2;
		v[i + 1].vcpu_online = 1;
	}
	*nb = ndoms + 1;
	return v;
}

void libxl_dominfo_list_free(libxl_dominfo *list, int nb)
{
	(void)nb;
	free(list);
}

int libxl_name_to_domid(libxl_ctx *ctx, const char *name, uint32_t *domid)
{
	char *end;
	long i;

	(void)ctx;
	n_name++;
	if (name[0] != 'd')
		return ERROR_INVAL;
	i = strtol(name + 1, &end, 10);
	if (*end || i < 0 || i >= ndoms)
		return ERROR_INVAL;
	*domid = (uint32_t)i + 1;
	return 0;
}

void libxl_domain_sched_params_init(libxl_domain_sched_params *p)
{
	memset(p, 0, sizeof(*p));
}

void libxl_domain_sched_params_dispose(libxl_domain_sched_params *p)
{
	(void)p;
}

/* An admin's xl sched-credit2 -c, when the test asked for one. */
static void admin(void)
{
	char p[4200], name[64];
	int cap;
	FILE *f;

	snprintf(p, sizeof(p), "%s/xl-set", dir);
	if (!(f = fopen(p, "r")))
		return;
	if (fscanf(f, "%63s %d", name, &cap) == 2 && name[0] == 'd') {
		int i = atoi(name + 1);
		if (i >= 0 && i < ndoms)
			params[i].cap = cap;
	}
	fclose(f);
	remove(p);
}

int libxl_domain_sched_params_get(libxl_ctx *ctx, uint32_t domid, libxl_domain_sched_params *p)
{
	(void)ctx;
	n_get++;
	admin();
	if (domid < 1 || domid > (uint32_t)ndoms)
		return ERROR_INVAL;
	*p = params[domid - 1];
	return 0;
}

int libxl_domain_sched_params_set(libxl_ctx *ctx, uint32_t domid,
				  const libxl_domain_sched_params *p)
{
	(void)ctx;
	n_set++;
	if (domid < 1 || domid > (uint32_t)ndoms)
		return ERROR_INVAL;
	params[domid - 1].cap = p->cap;
	params[domid - 1].weight = p->weight;
	return 0;
}

/* The rest of what hvkit's lazy loader resolves in libxenlight (every
 * symbol of its table, src/common/lazy-xen.c): present, so that the
 * stand-in loads, and failing, since sched's Xen backend never calls them
 * (topo's Xen view and move's xl.cfg disks do). */
void libxl_device_disk_init(libxl_device_disk *d) { memset(d, 0, sizeof(*d)); }
void libxl_device_disk_dispose(libxl_device_disk *d) { (void)d; }
void libxl_bitmap_init(libxl_bitmap *b) { memset(b, 0, sizeof(*b)); }
void libxl_bitmap_dispose(libxl_bitmap *b) { (void)b; }
int libxl_node_bitmap_alloc(libxl_ctx *c, libxl_bitmap *b, int n) { (void)c; (void)b; (void)n; return ERROR_FAIL; }
libxl_cputopology *libxl_get_cpu_topology(libxl_ctx *c, int *n) { (void)c; *n = 0; return NULL; }
void libxl_cputopology_list_free(libxl_cputopology *l, int n) { (void)l; (void)n; }
libxl_numainfo *libxl_get_numainfo(libxl_ctx *c, int *n) { (void)c; *n = 0; return NULL; }
void libxl_numainfo_list_free(libxl_numainfo *l, int n) { (void)l; (void)n; }
libxl_pcitopology *libxl_get_pci_topology(libxl_ctx *c, int *n) { (void)c; *n = 0; return NULL; }
void libxl_pcitopology_list_free(libxl_pcitopology *l, int n) { (void)l; (void)n; }
libxl_device_pci *libxl_device_pci_list(libxl_ctx *c, uint32_t dom, int *n) { (void)c; (void)dom; *n = 0; return NULL; }
void libxl_device_pci_list_free(libxl_device_pci *l, int n) { (void)l; (void)n; }
int libxl_domain_get_nodeaffinity(libxl_ctx *c, uint32_t dom, libxl_bitmap *b) { (void)c; (void)dom; (void)b; return ERROR_FAIL; }
char *libxl_domid_to_name(libxl_ctx *c, uint32_t dom) { (void)c; (void)dom; return NULL; }
libxl_vcpuinfo *libxl_list_vcpu(libxl_ctx *c, uint32_t dom, int *nb, int *nr) { (void)c; (void)dom; *nb = *nr = 0; return NULL; }
void libxl_vcpuinfo_list_free(libxl_vcpuinfo *l, int n) { (void)l; (void)n; }
