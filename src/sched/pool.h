/* SPDX-License-Identifier: MIT */
/* A pool of hosts sharing every guest's budget on etcd (`--state
 * etcd://...`): records, leases, fenced writes and the merge. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "etcd.h"
#include "policy.h"
#include "state.h"

/*
 * Keys under PREFIX (hvkit-sched(1) POOL):
 *   PREFIX/acct/ID   the guest's record: a one-guest state file (state.h)
 *                    whose `config` is the host that wrote it; no lease
 *   PREFIX/owner/ID  the host that charges the guest, under its lease
 *   PREFIX/host/HOST "pid N" under the lease of HOST's daemon (one each)
 * ID is the guest's name in the policy (the identity every host shares:
 * name guests by their Xen or libvirt UUID where names differ), with
 * bytes outside [A-Za-z0-9._-] as %XX.
 *
 * Each host keeps a copy of each record and `base`, the record as etcd
 * last gave it (at mod revision base_rev), kept only where it can differ
 * from the copy (struct sched_pool_base).  Usage charged here since is
 * copy - base, bucket by bucket; a record read from etcd merges as
 * remote + max(0, copy - base), so a charge is counted once whichever
 * host made it, and nothing etcd holds is ever lowered.  Every write is a
 * transaction comparing the record's mod revision with base_rev (and the
 * owner key's lease with ours for the owner), so no write is lost to
 * another.  A tick's writes go to etcd together (sched_pool_end): each
 * guest's transaction nested in one per tick (or a few: etcd bounds a
 * request's operations and bytes), judged on its own, so a compare that
 * fails loses that guest's write alone, merged and written again at the
 * next tick.  A record that this very daemon wrote (its host and pid) is
 * its copy as it was then: it becomes the base, so a write whose answer
 * never came (a timeout) is not counted twice when it did land.
 */
/*
 * The base of a guest's copy, without a whole window of it: below bucket
 * lo (absolute index, the copy's bucket size) the copy holds nothing that
 * the base does not (no charge made here since, and none can be made
 * there: lo is at most the bucket of the copy's last sample), so those
 * buckets are not kept; v[0..n) are buckets lo..lo+n-1; above them the
 * base holds nothing.  While etcd answers, n is one or two buckets (the
 * last tick's); it grows with the charges made here while etcd is away.
 * v NULL: no base known (all zero).
 */
struct sched_pool_base {
	int64_t lo;
	uint32_t n, alloc;
	uint64_t *v;		/* owned */
};

struct sched_pool_guest {
	bool owner;		/* our lease holds PREFIX/owner/ID */
	bool seen;		/* the record (or its absence) was read once */
	bool cont;		/* first look: the record continues this host's
				 * own counter (a restart), charged from it; or
				 * our lease lapsed with the record still ours */
	int64_t stale_since;	/* CLOCK_MONOTONIC ns the owner key was first
				 * seen with no live daemon behind it; 0: not */
	int64_t stale_rev;	/* its mod revision once taken as lapsed */
	bool stale_said;
	int64_t base_rev;	/* 0: no record known (or it is gone) */
	bool lost;		/* the record was deleted behind our back:
				 * base_rev 0, base kept, the copy written back */
	struct sched_pool_base base;
	char *owner_host;	/* as last read; owned, NULL: none */
	/* Writes etcd refuses for reasons of its own (too large a record; a
	 * compare that fails again with nothing changed that would explain
	 * it: no lease lost, no other write first): held back for 1, 2, 4
	 * ... 64 ticks, said once until one goes through; a new raft term
	 * (etcd restarted, perhaps with new limits) tries again at once.  The
	 * charges stay in the copy meanwhile, handed in with the next write. */
	unsigned refused;	/* in a row */
	bool refused_said;
	int64_t retry_tick;	/* no write queued before sched_pool.ticks */
	uint64_t refused_epoch;	/* sched_pool.epoch of the last refusal */
	bool cmp_failed;	/* the last write lost its compare, with: */
	int cmp_what;		/* ... what it was (pool.c), */
	int64_t cmp_rev, cmp_stale;	/* ... base_rev and stale_rev */
};

/* A write queued by sched_pool_push for sched_pool_end, in the same tick
 * (the pointers are the daemon's, stable within a tick). */
struct sched_pool_write {
	const struct sched_guest *g;
	struct sched_state_guest *sg;
	struct sched_pool_guest *pg;
	int what;
	struct etcd_txn t;
};

struct sched_pool {
	struct etcd *e;
	char *url, *host;	/* owned */
	int64_t ttl_s, lease;
	long pid;		/* ours, written in records */
	int64_t tick_ns;	/* the daemon's, written in records */
	int64_t down_since;	/* CLOCK_MONOTONIC ns; 0: etcd answers */
	bool down_said;		/* the outage was logged (after 3 s) */
	bool writes_failed;	/* the last tick's writes did not go through */
	bool up;		/* this tick's snapshot is good */
	struct etcd_reply snap;	/* every key under PREFIX, this tick */
	struct strbuf buf;
	int64_t deadline;	/* this tick's for etcd (CLOCK_MONOTONIC ns) */
	struct sched_pool_write *w;	/* this tick's writes, in order */
	size_t nw, walloc;
	size_t wmade;		/* w[0..wmade) hold a txn (kept, reset) */
	struct etcd_txn batch;	/* one request of them (kept, reset) */
	/* A request's bounds: etcd's defaults, halved each time etcd
	 * refuses one as too large (lower limits of its own). */
	size_t max_ops, max_bytes;
	int64_t ticks;		/* sched_pool_begin calls */
	uint64_t epoch;		/* etcd's raft term changed this often (an
				 * election: a restart, a new leader) */
	int64_t term;		/* its raft term at the last snapshot */
};

/*
 * Connects, takes a lease and this host's key (waiting up to the lease's
 * TTL for a dead predecessor's to lapse).  Returns 0; -EBUSY when another
 * daemon of this host holds it (*ret_holder: its pid text); other -errno
 * with a message in *d.
 */
int sched_pool_open(struct sched_pool *p, const char *url, const struct etcd_opts *o,
		    const char *host, int64_t ttl_s, char **ret_holder, struct hv_diags *d);
/* Revokes the lease (owner and host keys go with it). */
void sched_pool_close(struct sched_pool *p);
void sched_pool_guest_release(struct sched_pool_guest *pg);

/* Start of a tick: keep the lease alive (a new one if it lapsed) and read
 * every key, giving up at deadline (CLOCK_MONOTONIC ns).  False when etcd
 * could not be reached: the tick runs from the local copies. */
bool sched_pool_begin(struct sched_pool *p, int64_t deadline);

/* Merges the guest's record into its copy (sg->acct); `here`: the guest
 * runs on this host now. */
void sched_pool_pull(struct sched_pool *p, const struct sched_guest *g,
		     struct sched_state_guest *sg, struct sched_pool_guest *pg, bool here);
/* Queues this tick's write of the guest, if any: the copy back (the
 * owner), a takeover (here, no owner), a release (gone from here) or the
 * charges made here handed in.  sched_pool_end() sends it; g, sg and pg
 * must stay where they are until then. */
void sched_pool_push(struct sched_pool *p, const struct sched_guest *g,
		     struct sched_state_guest *sg, struct sched_pool_guest *pg, bool here,
		     int64_t now_ns);
/* End of a tick: sends the queued writes, as few requests as etcd takes,
 * giving up at the tick's deadline or min_deadline (CLOCK_MONOTONIC ns),
 * whichever is later. */
void sched_pool_end(struct sched_pool *p, int64_t min_deadline);

/* CPU-ns charged in the copy that etcd does not hold yet (copy - base). */
uint64_t sched_pool_unsent_ns(const struct sched_acct *copy, const struct sched_pool_guest *pg);
/* Fits the guest's copy and its base to a (changed) policy g, as
 * sched_acct_rebase() does the copy alone (a reload). */
void sched_pool_guest_refit(struct sched_pool_guest *pg, struct sched_acct *copy,
			    const struct sched_guest *g);

/*
 * `status`: every record under the pool's prefix as a state (each guest's
 * host: its owner, else the last writer; present: owned).  Returns 0, or
 * -errno with a message in *d.
 */
int sched_pool_read(const char *url, const struct etcd_opts *o, struct sched_state *ret,
		    struct hv_diags *d);
