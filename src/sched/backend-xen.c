/* SPDX-License-Identifier: MIT */
/* Xen backend through libxl: domain CPU time from libxl_list_domain(), the
 * credit/credit2 cap and weight through libxl_domain_sched_params_*(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "backend.h"
#include "lazy-xen.h"
#include "util.h"

struct xen_backend {
	struct sched_backend b;
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *lg;
	libxl_dominfo *list;
	int nlist;
	int64_t listed_at;	/* CLOCK_REALTIME ns of this tick's list */
};

struct xen_guest {
	char *name;
	uint32_t domid;
	int hint;		/* where it was in the list last tick */
};

static struct xen_backend *xb(struct sched_backend *b)
{
	return (struct xen_backend *)b;
}

static int xen_refresh(struct sched_backend *b)
{
	struct xen_backend *x = xb(b);
	int n = 0;

	if (x->list)
		libxl_dominfo_list_free(x->list, x->nlist);
	x->list = libxl_list_domain(x->ctx, &n);
	x->listed_at = clock_ns(CLOCK_REALTIME);
	x->nlist = x->list ? n : 0;
	return x->list ? 0 : -EIO;
}

/* domid's entry in this tick's list; *hint (may be NULL) is where to look
 * first and is updated, so that a tick costs one look per guest, not a
 * scan of the list (1,000 domains: a million compares). */
static const libxl_dominfo *find_dom(struct xen_backend *x, uint32_t domid, int *hint)
{
	if (hint && *hint >= 0 && *hint < x->nlist && x->list[*hint].domid == domid)
		return &x->list[*hint];
	for (int i = 0; i < x->nlist; i++)
		if (x->list[i].domid == domid) {
			if (hint)
				*hint = i;
			return &x->list[i];
		}
	return NULL;
}

static int xen_open(struct sched_backend *b, const struct sched_guest *g,
		    void **ret_h, struct hv_diags *d)
{
	uint32_t domid;

	(void)d;
	if (libxl_name_to_domid(xb(b)->ctx, g->sel, &domid) != 0)
		return -ENOENT;
	struct xen_guest *h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(g->sel);
	h->domid = domid;
	*ret_h = h;
	return 0;
}

static int xen_usage(struct sched_backend *b, void *hv, uint64_t *ret_ns, int64_t *ret_at)
{
	struct xen_guest *h = hv;
	const libxl_dominfo *di = find_dom(xb(b), h->domid, &h->hint);

	if (!xb(b)->list)
		return -EAGAIN;		/* this tick's list failed */
	if (!di) {
		/* Rebooted under a new domid?  Names are what we select by. */
		uint32_t domid;
		if (libxl_name_to_domid(xb(b)->ctx, h->name, &domid) != 0 ||
		    !(di = find_dom(xb(b), domid, &h->hint)))
			return -ENOENT;
		h->domid = domid;
	}
	*ret_ns = di->cpu_time;
	*ret_at = xb(b)->listed_at;
	return 0;
}

/* Reads, edits and writes the domain's scheduling parameters (cap or
 * weight: -1 leaves it), then reads them back: Xen clamps and libxl can
 * ignore, so a set that did not take is an error with a message in d
 * (may be NULL). */
static int xen_sched_edit(struct xen_backend *x, struct xen_guest *h,
			  int cap, int weight, struct hv_diags *d)
{
	libxl_domain_sched_params sp, back;
	int rc = 0;

	libxl_domain_sched_params_init(&sp);
	libxl_domain_sched_params_init(&back);
	if (libxl_domain_sched_params_get(x->ctx, h->domid, &sp) != 0) {
		rc = -EIO;
		goto out;
	}
	if (sp.sched != LIBXL_SCHEDULER_CREDIT && sp.sched != LIBXL_SCHEDULER_CREDIT2) {
		rc = -EOPNOTSUPP;	/* only credit and credit2 have caps */
		goto out;
	}
	if (cap >= 0)
		sp.cap = cap;
	if (weight > 0)
		sp.weight = weight;
	if (libxl_domain_sched_params_set(x->ctx, h->domid, &sp) != 0 ||
	    libxl_domain_sched_params_get(x->ctx, h->domid, &back) != 0) {
		rc = -EIO;
		goto out;
	}
	if ((cap >= 0 && back.cap != cap) || (weight > 0 && back.weight != weight)) {
		rc = -EIO;
		if (d)
			hv_errorf(d, "domain %s: set cap %d weight %d did not take: Xen reads "
				  "back cap %d weight %d", h->name, cap, weight, back.cap, back.weight);
	}
out:
	libxl_domain_sched_params_dispose(&back);
	libxl_domain_sched_params_dispose(&sp);
	return rc;
}

/* Xen's cap for cap_cp: percent of one pCPU, 0 = no cap, at most 100 x
 * vCPUs. */
static int xen_cap_value(struct xen_backend *x, struct xen_guest *h, uint32_t cap_cp)
{
	const libxl_dominfo *di = find_dom(x, h->domid, &h->hint);
	unsigned vcpus = di && di->vcpu_online ? di->vcpu_online : 1;
	int cap = cap_cp == SCHED_CAP_NONE ? 0
		: (int)((cap_cp + SCHED_CP_PER_CPU / 100 - 1) / (SCHED_CP_PER_CPU / 100));

	return cap >= (int)(100 * vcpus) ? 0 : cap;
}

static int xen_set_cap(struct sched_backend *b, void *hv, uint32_t cap_cp)
{
	return xen_sched_edit(xb(b), hv, xen_cap_value(xb(b), hv, cap_cp), -1, NULL);
}

/* Another hand on the knob (hvkit-sched(1) FOREIGN CHANGES): the cap and
 * weight Xen holds now against what we wrote. */
static int xen_check(struct sched_backend *b, void *hv, uint32_t cap_cp, unsigned weight,
		     char *found, size_t sz)
{
	struct xen_guest *h = hv;
	libxl_domain_sched_params sp;
	int cap = xen_cap_value(xb(b), h, cap_cp), rc = 0;

	libxl_domain_sched_params_init(&sp);
	if (libxl_domain_sched_params_get(xb(b)->ctx, h->domid, &sp) != 0) {
		rc = -EIO;
	} else if (sp.cap != cap || (weight && sp.weight != (int)weight)) {
		const char *xl = sp.sched == LIBXL_SCHEDULER_CREDIT ? "sched-credit" : "sched-credit2";
		char w[32] = "";
		if (weight)
			snprintf(w, sizeof(w), " weight %u", weight);
		snprintf(found, sz, "domain %s: Xen reads cap %d weight %d (we wrote cap %d%s); "
			 "by an admin's xl %s -c/-w or another toolstack?", h->name, sp.cap,
			 sp.weight, cap, w, xl);
		rc = 1;
	}
	libxl_domain_sched_params_dispose(&sp);
	return rc;
}

static int xen_set_weight(struct sched_backend *b, void *hv, unsigned weight,
			  struct hv_diags *d)
{
	return xen_sched_edit(xb(b), hv, -1, (int)weight, d);
}

/* Its vCPUs, each a whole pCPU at most (0 when not in this tick's list). */
static uint32_t xen_max_cp(struct sched_backend *b, void *hv)
{
	struct xen_guest *h = hv;
	const libxl_dominfo *di = find_dom(xb(b), h->domid, &h->hint);
	uint64_t vcpus = di ? (uint64_t)di->vcpu_max_id + 1 : 0;

	if (di && di->vcpu_online > vcpus)
		vcpus = di->vcpu_online;
	return vcpus > SCHED_CAP_MAX_CP / SCHED_CP_PER_CPU ? SCHED_CAP_MAX_CP
		: (uint32_t)vcpus * SCHED_CP_PER_CPU;
}

static void xen_close(struct sched_backend *b, void *hv)
{
	struct xen_guest *h = hv;

	(void)b;
	if (h)
		free(h->name);
	free(h);
}

static void xen_free(struct sched_backend *b)
{
	struct xen_backend *x = xb(b);

	if (!x)
		return;
	if (x->list)
		libxl_dominfo_list_free(x->list, x->nlist);
	if (x->ctx)
		libxl_ctx_free(x->ctx);
	if (x->lg)
		xtl_logger_destroy((xentoollog_logger *)x->lg);
	free(x);
}

static const struct sched_backend_ops xen_ops = {
	.name = "xen",
	.refresh = xen_refresh,
	.open = xen_open,
	.usage = xen_usage,
	.set_cap = xen_set_cap,
	.set_weight = xen_set_weight,
	.check = xen_check,
	.max_cp = xen_max_cp,
	.close = xen_close,
	.free = xen_free,
};

int sched_backend_xen_new(struct sched_backend **ret, struct hv_diags *d)
{
	struct xen_backend *x;
	int rc;

	if (access("/dev/xen/privcmd", F_OK) != 0 && access("/proc/xen/privcmd", F_OK) != 0) {
		hv_errorf(d, "no Xen hypervisor is running here (no /dev/xen/privcmd): "
			  "xen: guests can only be policed from a Xen dom0");
		return -ENODEV;
	}
	if ((rc = lazy_xenlight_load(d)) < 0 || (rc = lazy_xtl_load(d)) < 0)
		return rc;
	x = xcalloc(1, sizeof(*x));
	x->b.ops = &xen_ops;
	x->lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (!x->lg || libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0,
				      (xentoollog_logger *)x->lg) != 0 ||
	    xen_refresh(&x->b) < 0) {
		xen_free(&x->b);
		hv_errorf(d, "cannot talk to the Xen hypervisor through libxl "
			  "(is this a Xen dom0, and are we root?)");
		return -ENODEV;
	}
	*ret = &x->b;
	return 0;
}
