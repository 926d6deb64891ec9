/* SPDX-License-Identifier: MIT */
/* CPU topology and caches from per-PU CPUID (x86), where sysfs lacks them. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-topo.h"
#include "cpuid/cpuid-source.h"
#include "probe.h"
#include "strbuf.h"

/* Where the per-PU dumps sit in a root: ours ("cpuN", our dump format),
 * and hwloc-gather-cpuid's ("puN") below it or at the top of a tarball. */
#define CPUID_DIR "/hvkit/cpuid"

struct pu_dumps {
	struct topo_cpuid_pu *pu;
	struct cpuid_data *data;
	size_t n, alloc;
};

static void pu_dumps_release(struct pu_dumps *p)
{
	for (size_t i = 0; i < p->n; i++)
		cpuid_data_release(&p->data[i]);
	free(p->data);
	free(p->pu);
	memset(p, 0, sizeof(*p));
}

static struct cpuid_data *pu_dumps_add(struct pu_dumps *p, unsigned os_index)
{
	size_t a = p->alloc;

	p->data = xgrow(p->data, sizeof(*p->data), p->n + 1, &a);
	p->pu = xgrow(p->pu, sizeof(*p->pu), p->n + 1, &p->alloc);
	p->pu[p->n].os_index = os_index;
	cpuid_data_init(&p->data[p->n]);
	return &p->data[p->n++];
}

/* Reads "cpuN" and "puN" files of dir; 0 when at least one was read. */
static int read_dumps(struct probe_ctx *c, const char *dir, struct pu_dumps *out)
{
	struct cpuid_pus p = { 0 };
	int rc = cpuid_read_pus(c->root, dir, NULL, &p, c->d);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < p.n; i++) {
		*pu_dumps_add(out, p.cpu[i]) = p.data[i];
		p.data[i] = (struct cpuid_data)CPUID_DATA_INIT;
	}
	cpuid_pus_release(&p);
	return 0;
}

/*
 * This machine: CPUID executed on each CPU of want in turn, pinned there
 * with sched_setaffinity() (what hwloc's x86 backend does; /dev/cpu/N/cpuid
 * answers with the kernel's view, which a hypervisor may make differ).
 * CPUs this thread may not run on are left out.  Each dump is recorded
 * as CPUID_DIR/cpuN when capturing.
 */
static int read_live(struct probe_ctx *c, const struct cpuset *want,
		     struct pu_dumps *out)
{
	int last = -1;

	for (int cpu = cpuset_next(want, 0); cpu >= 0;
	     cpu = cpuset_next(want, (unsigned)cpu + 1))
		last = cpu;
	if (last < 0)
		return -ENOENT;
	size_t setsz = CPU_ALLOC_SIZE(last + 1);
	cpu_set_t *one = CPU_ALLOC(last + 1);
	size_t origsz = CPU_ALLOC_SIZE(CPUSET_MAX);
	cpu_set_t *saved = CPU_ALLOC(CPUSET_MAX);
	int rc = 0;

	if (!one || !saved || sched_getaffinity(0, origsz, saved) < 0) {
		rc = -errno;
		goto out;
	}
	for (int cpu = cpuset_next(want, 0); cpu >= 0;
	     cpu = cpuset_next(want, (unsigned)cpu + 1)) {
		struct cpuid_data data = CPUID_DATA_INIT;
		struct strbuf sb = STRBUF_INIT;
		char path[64];

		if (!CPU_ISSET_S((size_t)cpu, origsz, saved))
			continue;	/* not ours to run on */
		CPU_ZERO_S(setsz, one);
		CPU_SET_S((size_t)cpu, setsz, one);
		if (sched_setaffinity(0, setsz, one) < 0)
			continue;
		rc = cpuid_read_host(&data, NULL);
		if (rc == -EOPNOTSUPP)
			break;	/* not x86 */
		if (rc < 0)
			continue;
		cpuid_dump(&data, &sb);
		snprintf(path, sizeof(path), CPUID_DIR "/cpu%d", cpu);
		(void)hv_root_record_add(c->root, path, sb.buf, sb.len);
		strbuf_release(&sb);
		*pu_dumps_add(out, (unsigned)cpu) = data;
	}
	if (sched_setaffinity(0, origsz, saved) < 0)
		hv_warnf(c->d, "cannot restore this thread's CPU affinity: %s",
			 strerror(errno));
	rc = out->n ? 0 : rc < 0 ? rc : -ENOENT;
out:
	if (one)
		CPU_FREE(one);
	if (saved)
		CPU_FREE(saved);
	return rc;
}

struct have {
	size_t pus, caches, cores, packages;
	struct cpuset cpus;
};

static int count_have(struct topo_obj *o, void *ctx)
{
	struct have *h = ctx;

	switch (o->type) {
	case TOPO_PU:
		h->pus++;
		cpuset_or(&h->cpus, &o->cpus);
		break;
	case TOPO_CACHE: h->caches++; break;
	case TOPO_CORE: h->cores++; break;
	case TOPO_PACKAGE: h->packages++; break;
	default: break;
	}
	return 0;
}

/* Detaches every descendant of o into l (children before their parent's
 * next sibling; order does not matter to topo_build_cpu_tree()). */
static void flatten(struct topo_obj *o, struct topo_obj ***l, size_t *n,
		    size_t *alloc)
{
	for (size_t i = 0; i < o->nkids; i++) {
		struct topo_obj *k = o->kids[i];

		flatten(k, l, n, alloc);
		k->parent = NULL;
		*l = xgrow(*l, sizeof(**l), *n + 1, alloc);
		(*l)[(*n)++] = k;
	}
	o->nkids = 0;
}

static bool keep_cpu_side(enum topo_type t)
{
	return t == TOPO_PACKAGE || t == TOPO_DIE || t == TOPO_CLUSTER ||
	       t == TOPO_CACHE || t == TOPO_CORE || t == TOPO_PU;
}

int probe_cpuid(struct probe_ctx *c)
{
	struct have h = { 0 };
	struct pu_dumps dumps = { 0 };
	struct topo_obj **objs = NULL, **all = NULL;
	size_t nobjs = 0, nall = 0, aall = 0;
	struct hv_diags local = HV_DIAGS_INIT;
	int rc;

	(void)topo_walk(c->t->root, count_have, &h);
	bool want_all = !h.pus;
	bool want_caches = !h.caches, want_cores = !h.cores,
	     want_packages = !h.packages;
	if (!want_all && !want_caches && !want_cores && !want_packages) {
		rc = -ENOENT;	/* sysfs told everything CPUID would */
		goto out;
	}

	if (read_dumps(c, CPUID_DIR, &dumps) < 0 &&
	    !((hv_root_exists(c->root, "/hwloc-cpuid-info") ||
	       hv_root_exists(c->root, "/pu0")) &&
	      read_dumps(c, "/", &dumps) == 0)) {
		struct cpuset want = { 0 };

		if (!hv_root_is_live(c->root)) {
			rc = -ENOENT;
			goto out;
		}
		if (want_all) {
			cpu_set_t *s = CPU_ALLOC(CPUSET_MAX);
			size_t sz = CPU_ALLOC_SIZE(CPUSET_MAX);

			if (s && sched_getaffinity(0, sz, s) == 0)
				for (unsigned i = 0; i < CPUSET_MAX; i++)
					if (CPU_ISSET_S(i, sz, s))
						cpuset_set(&want, i);
			if (s)
				CPU_FREE(s);
		} else {
			cpuset_copy(&want, &h.cpus);
		}
		rc = read_live(c, &want, &dumps);
		cpuset_release(&want);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < dumps.n; i++)
		dumps.pu[i].c = &dumps.data[i];
	rc = topo_cpuid_decode(dumps.pu, dumps.n, &objs, &nobjs, &local);
	for (size_t k = 0; k < local.n; k++)
		hv_warnf(c->d, "CPUID: %s%s", local.v[k].msg,
			 local.v[k].level == HV_DIAG_ERROR ? ", ignoring CPUID" : "");
	if (rc < 0)
		goto out;

	/* What sysfs lacked, on the PUs it has. */
	flatten(c->t->root, &all, &nall, &aall);
	for (size_t i = 0; i < nobjs; i++) {
		struct topo_obj *o = objs[i];
		bool keep = want_all ||
			    (o->type == TOPO_CACHE && want_caches) ||
			    (o->type == TOPO_CORE && want_cores) ||
			    (o->type == TOPO_PACKAGE && want_packages);

		if (keep && !want_all) {
			struct cpuset in = { 0 };

			for (int cpu = cpuset_next(&o->cpus, 0); cpu >= 0;
			     cpu = cpuset_next(&o->cpus, (unsigned)cpu + 1))
				if (cpuset_has(&h.cpus, (unsigned)cpu))
					cpuset_set(&in, (unsigned)cpu);
			cpuset_release(&o->cpus);
			o->cpus = in;
			keep = cpuset_count(&in) > 0;
		}
		if (!keep) {
			topo_obj_free(o);
			continue;
		}
		if (want_all)
			cpuset_or(&c->t->root->cpus, &o->cpus);
		all = xgrow(all, sizeof(*all), nall + 1, &aall);
		all[nall++] = o;
	}
	size_t ncpu = 0;
	for (size_t i = 0; i < nall; i++)
		if (keep_cpu_side(all[i]->type))
			all[ncpu++] = all[i];
		else
			topo_obj_add(c->t->root, all[i]);
	topo_build_cpu_tree(c->t->root, all, ncpu, c->d);
	topo_add_source(c->t, "cpuid");
	rc = 0;
out:
	free(objs);
	free(all);
	hv_diags_release(&local);
	pu_dumps_release(&dumps);
	cpuset_release(&h.cpus);
	return rc;
}
