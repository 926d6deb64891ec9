/* SPDX-License-Identifier: MIT */
/* Where caps are enforced: one small interface, one file per backend
 * (backend-cgroup.c, backend-xen.c or backend-noxen.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "policy.h"

struct sched_backend;

struct sched_backend_ops {
	const char *name;
	/* Called once per tick before any usage(): refresh shared data
	 * (Xen's domain list).  May be NULL. */
	int (*refresh)(struct sched_backend *b);
	/* Finds g's guest.  Returns 0 with *ret_h set, -ENOENT when it does
	 * not exist now (not an error: it is looked for again next tick), or
	 * another -errno with a message in d. */
	int (*open)(struct sched_backend *b, const struct sched_guest *g,
		    void **ret_h, struct hv_diags *d);
	/* Cumulative CPU time of the guest, ns, and *ret_at the
	 * CLOCK_REALTIME ns it was read at (refresh's time for a counter read
	 * there), so that usage is charged to the seconds it was used in,
	 * however late in the tick it is looked at.  -ENOENT: it went away
	 * (only then); -EAGAIN: not known this tick (refresh failed, said
	 * there); another -errno (-EIO: a counter that does not parse): not
	 * readable this tick, the guest still there.  The counter being
	 * cumulative, the next good read holds what was used meanwhile. */
	int (*usage)(struct sched_backend *b, void *h, uint64_t *ret_ns, int64_t *ret_at);
	/* cap_cp: centi-percent of one CPU, SCHED_CAP_NONE to lift it. */
	int (*set_cap)(struct sched_backend *b, void *h, uint32_t cap_cp);
	/* weight: Xen's scale (256 = default), mapped to the backend's own.
	 * Reads the value back: an error, with a message in d, when it did
	 * not take. */
	int (*set_weight)(struct sched_backend *b, void *h, unsigned weight,
			  struct hv_diags *d);
	/* Whether the guest's knobs still hold what set_cap(cap_cp) and
	 * set_weight(weight) (0: not set by us, not checked) wrote: 0 when
	 * they do, 1 when another hand changed one (what it holds now, as
	 * "FILE: VALUE", and who seems to own it in *found), -errno when it
	 * cannot be read.  May be NULL (not checked). */
	int (*check)(struct sched_backend *b, void *h, uint32_t cap_cp, unsigned weight,
		     char *found, size_t sz);
	/* The most CPU the guest can use, centi-percent of one CPU (a Xen
	 * domain: its vCPUs): what it could have used since the last tick
	 * while no cap of ours is known to be in force.  May be NULL (a
	 * cgroup: every CPU of this host). */
	uint32_t (*max_cp)(struct sched_backend *b, void *h);
	void (*close)(struct sched_backend *b, void *h);
	void (*free)(struct sched_backend *b);
};

struct sched_backend {
	const struct sched_backend_ops *ops;
};

/*
 * Linux cgroups below root (normally /sys/fs/cgroup): v1 with the cpu and
 * cpuacct controllers, or v2 where the cpu controller is enabled.  Serves
 * the cgroup:, pid: and libvirt: selectors.
 */
int sched_backend_cgroup_new(const char *root, struct sched_backend **ret,
			     struct hv_diags *d);
/* The cpu.shares (v1) or cpu.weight (v2) value for a policy weight. */
unsigned long sched_cgroup_weight_value(bool v2, unsigned weight);
/*
 * Xen through libxl: serves xen: selectors.  -ENODEV when no hypervisor
 * runs here, -ENOTSUP when hvkit was built without libxl; both with a
 * message in d.
 */
int sched_backend_xen_new(struct sched_backend **ret, struct hv_diags *d);
/*
 * libvirt's API (--backend libvirt[:URI]): serves libvirt: selectors,
 * connected to uri (NULL: libvirt's default).  libvirt0 is loaded here,
 * on first use: without it, an error naming the package.
 */
int sched_backend_libvirt_new(const char *uri, struct sched_backend **ret,
			      struct hv_diags *d);
