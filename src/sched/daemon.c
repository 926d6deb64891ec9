/* SPDX-License-Identifier: MIT */
/* `hvkit sched run`: the daemon loop.  Each tick: read every guest's CPU
 * time, step its account, write caps that changed.  The state is saved when
 * something a restart must know changed (a cap, a guest found or gone, a
 * reload), every --save-every otherwise, on SIGUSR1 and on exit.
 *
 * What a crash between two saves costs: nothing is lost from the CPU
 * counters (they are cumulative: the restarted daemon charges everything
 * used since the saved counter), only how that usage was spread in time.
 * It is charged as if spread evenly over the gap, which can only refund:
 * by at most Q x (time since the last save) of excess per guest, e.g.
 * 20% x 10 s = 2 CPU-s with the default --save-every 10s.  A guest whose
 * counter restarted (rebooted) in that gap loses the usage before the
 * restart.
 *
 * Damage never refunds: the state is checksummed and the previous
 * generation kept (state.h).  A damaged file falls back to the previous
 * generation, and the usage since then (from the cumulative counters) is
 * charged at the restart, in the newest bucket, not spread back in time;
 * with no good generation at all, every guest is charged a full window.
 * One daemon per state file: a lock on STATE.lock. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "engine.h"
#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "sched.h"
#include "state.h"
#include "strbuf.h"
#include "util.h"

#define NS 1000000000LL

static volatile sig_atomic_t got_hup, got_term, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

/* What the daemon keeps per guest besides its account (in st.v[i]). */
struct live {
	struct sched_backend *be;	/* not owned */
	void *h;			/* backend handle, NULL when absent */
	bool cap_known;			/* applied_cap is what the guest has */
	uint32_t applied_cap;
	unsigned applied_weight;
	bool warned;			/* open error logged once */
	bool no_cap_said;		/* set_cap's -EOPNOTSUPP logged once */
	int64_t absent_since;		/* 0 when present */
	bool reappeared;		/* counter restarts from zero */
	bool weight_ok;			/* applied_weight read back as written */
	bool unmanaged;			/* --foreign theirs: another hand owns it */
	bool first_read;		/* its counter not yet read since found */
	bool said_absent;		/* "not running" said since found */
	bool unreadable_said;		/* its counter's first failed read said */
	struct sched_pool_guest pool;	/* --state etcd://: the guest's record */
};

struct daemon {
	const char *conf, *state_path, *cgroup_root;
	const char *metrics_path;	/* NULL: none */
	struct strbuf metrics_buf;
	bool metrics_failed;		/* logged once until it works again */
	int64_t metrics_every_ns;	/* 0: every tick */
	int64_t metrics_mono;		/* CLOCK_MONOTONIC of the last write */
	struct sched_state_file file;	/* the state file we wrote last */
	int64_t tick_ns;
	int64_t save_every_ns;		/* at least this often */
	int64_t saved_mono;		/* CLOCK_MONOTONIC of the last save */
	bool dirty;			/* a restart must see this tick */
	struct strbuf save_buf;		/* reused by every save */
	long max_ticks;
	struct sched_policy pol;
	struct sched_state st;		/* parallel to pol.v */
	struct live *live;
	struct sched_backend *cg, *xen, *lv;
	bool use_lv;			/* --backend libvirt: libvirt: guests */
	const char *lv_uri;		/* its URI; NULL: libvirt's default */
	bool theirs;			/* --foreign theirs */
	int64_t knob_every_ns;		/* --knob-every; 0: never */
	int64_t knob_mono;		/* CLOCK_MONOTONIC of the last check */
	bool pooled;			/* --state etcd://... */
	uint32_t host_cp;		/* this host's online CPUs, cp */
	struct sched_pool pool;
};

static char *selector_of(const struct sched_guest *g)
{
	return xasprintf("%s:%s", sched_sel_kind_name(g->kind), g->sel);
}

static int open_backends(struct daemon *dm, const struct sched_policy *p)
{
	struct hv_diags d = HV_DIAGS_INIT;
	bool want_xen = false, want_cg = false, want_lv = false;
	int rc = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].kind == SCHED_SEL_XEN)
			want_xen = true;
		else if (p->v[i].kind == SCHED_SEL_LIBVIRT && dm->use_lv)
			want_lv = true;
		else
			want_cg = true;
	}
	if (want_cg && !dm->cg)
		rc = sched_backend_cgroup_new(dm->cgroup_root, &dm->cg, &d);
	if (rc == 0 && want_xen && !dm->xen)
		rc = sched_backend_xen_new(&dm->xen, &d);
	if (rc == 0 && want_lv && !dm->lv)
		rc = sched_backend_libvirt_new(dm->lv_uri, &dm->lv, &d);
	(void)log_diags(rc < 0 && want_xen && !dm->xen ? "xen" : NULL, &d);
	hv_diags_release(&d);
	return rc;
}

static void close_live(struct live *l)
{
	if (l->h)
		l->be->ops->close(l->be, l->h);
	l->h = NULL;
}

/* A guest that left the policy (SIGHUP): nothing would ever lift the
 * cap we set, so it is lifted now (hvkit-sched(1) SIGNALS). */
static void lift_cap(struct live *l, const char *name)
{
	char a[32];

	if (!l->h || l->unmanaged || l->no_cap_said ||
	    (l->cap_known && l->applied_cap == SCHED_CAP_NONE))
		return;		/* none of ours to lift */
	int rc = l->be->ops->set_cap(l->be, l->h, SCHED_CAP_NONE);
	if (rc < 0)
		log_warn("%s: left the policy; cannot lift its cap%s%s: %s", name,
			 l->cap_known ? " of " : "",
			 l->cap_known ? sched_cp_format(a, sizeof(a), l->applied_cap) : "", strerror(-rc));
	else
		log_info("%s: left the policy; cap %s lifted", name,
			 l->cap_known ? sched_cp_format(a, sizeof(a), l->applied_cap) : "(not known)");
}

/*
 * Builds the guest table of policy p, taking each guest's account from
 * `old` (the previous table or the saved state) when name and selector
 * match, re-fitted to the new rules; accounts of guests no longer in the
 * policy are dropped.  Takes ownership of p.
 */
static void install_policy(struct daemon *dm, struct sched_policy *p,
			   struct sched_state *old, struct live *old_live)
{
	struct sched_state st = { 0 };
	struct live *live = xcalloc(p->n ? p->n : 1, sizeof(*live));

	for (size_t i = 0; i < p->n; i++) {
		const struct sched_guest *g = &p->v[i];
		_cleanup_free_ char *sel = selector_of(g);
		struct sched_state_guest *sg = sched_state_add(&st, g->name, sel);
		struct sched_state_guest *prev = old ? sched_state_find(old, g->name, sel) : NULL;
		live[i].be = g->kind == SCHED_SEL_XEN ? dm->xen
			: g->kind == SCHED_SEL_LIBVIRT && dm->use_lv ? dm->lv : dm->cg;
		if (prev) {
			size_t k = (size_t)(prev - old->v);
			sg->acct = prev->acct;
			prev->acct.ring = NULL;
			sg->present = prev->present;
			sg->unreadable = prev->unreadable;
			if (old_live) {
				live[i] = old_live[k];
				if (live[i].unmanaged) {
					/* A reload manages it again: ours written anew. */
					live[i].unmanaged = false;
					live[i].cap_known = false;
					live[i].applied_weight = 0;
				}
				old_live[k].h = NULL;
				memset(&old_live[k].pool, 0, sizeof(old_live[k].pool));
				/* The copy and its pool base (none: the copy alone). */
				sched_pool_guest_refit(&live[i].pool, &sg->acct, g);
			} else {
				sched_acct_rebase(&sg->acct, g);
				/* From a saved state: the cap the daemon set is
				 * still in force, but say so again to be sure. */
				live[i].applied_cap = sg->acct.cap_cp;
			}
		} else {
			sched_acct_init(&sg->acct, g);
		}
	}
	if (old_live)
		for (size_t k = 0; k < old->n; k++) {
			lift_cap(&old_live[k], old->v[k].name);
			close_live(&old_live[k]);
			sched_pool_guest_release(&old_live[k].pool);
		}
	free(old_live);
	if (old)
		sched_state_release(old);
	sched_policy_release(&dm->pol);
	dm->pol = *p;
	memset(p, 0, sizeof(*p));
	st.config = xstrdup(dm->conf);
	st.tick_ns = dm->tick_ns;
	st.save_every_ns = dm->save_every_ns;
	st.pid = (long)getpid();
	dm->st = st;
	dm->live = live;
}

/*
 * Reads the saved state (sched_state_load()); says in one line what was
 * used.  Returns the generation so that the caller can charge for it.
 */
static enum sched_state_gen load_state(struct daemon *dm, struct sched_state *ret)
{
	struct sched_state_origin o;
	_cleanup_free_ char *prev = sched_state_prev_path(dm->state_path);

	(void)sched_state_load(dm->state_path, ret, &o);
	switch (o.gen) {
	case SCHED_STATE_FRESH:
		break;
	case SCHED_STATE_CURRENT:
		log_info("state '%s': %zu guest%s restored%s", dm->state_path, ret->n,
			 ret->n == 1 ? "" : "s",
			 ret->version == 1 ? " (version 1, without checksum: rewritten as version 2)" : "");
		dm->file = o.file;
		break;
	case SCHED_STATE_PREVIOUS:
		log_warn("state '%s': %s; using the previous generation '%s' (saved %.0f s ago): "
			 "usage since then is charged now from the CPU counters, nothing refunded",
			 dm->state_path, o.damage, prev,
			 (double)(clock_ns(CLOCK_REALTIME) - ret->saved_ns) / 1e9);
		break;
	case SCHED_STATE_LOST:
		log_warn("state '%s': %s; and '%s': %s; charging every guest a full window "
			 "(budgets refill from now), not refunding", dm->state_path, o.damage,
			 prev, o.prev_damage);
		break;
	}
	enum sched_state_gen gen = o.gen;
	sched_state_origin_release(&o);
	return gen;
}

static int save_state(struct daemon *dm, int64_t now)
{
	int rc;

	if (dm->pooled) {
		dm->dirty = false;	/* the pool's records are written each tick */
		return 0;
	}
	dm->st.saved_ns = now;
	strbuf_reset(&dm->save_buf);
	sched_state_format(&dm->st, &dm->save_buf);
	rc = sched_state_save(dm->state_path, dm->save_buf.buf, dm->save_buf.len, &dm->file);
	dm->saved_mono = clock_ns(CLOCK_MONOTONIC);
	if (rc == 0)
		dm->dirty = false;
	else
		log_error("cannot write state '%s': %s", dm->state_path, strerror(-rc));
	return rc;
}

/* Rewrites --metrics-file (atomically: node_exporter may read it now). */
static void write_metrics(struct daemon *dm, int64_t now)
{
	int rc;

	strbuf_reset(&dm->metrics_buf);
	sched_metrics_format(&dm->st, now, now, &dm->metrics_buf);
	rc = sched_metrics_write(dm->metrics_path, dm->metrics_buf.buf, dm->metrics_buf.len);
	if (rc < 0 && !dm->metrics_failed)
		log_warn("cannot write metrics '%s': %s (said once)", dm->metrics_path, strerror(-rc));
	else if (rc == 0 && dm->metrics_failed)
		log_info("metrics '%s' written again", dm->metrics_path);
	dm->metrics_failed = rc < 0;
}

/* Exiting while etcd is away (or took none of the last tick's writes):
 * the charges made meanwhile are tried for up to the lease's TTL (5 s at
 * most), then said in one warning when they still are not in etcd. */
static void pool_hand_in(struct daemon *dm)
{
	struct sched_pool *p = &dm->pool;
	int64_t start = clock_ns(CLOCK_MONOTONIC), away = p->down_since;
	int64_t until = start + (p->ttl_s < 5 ? (p->ttl_s > 0 ? p->ttl_s : 1) : 5) * NS;

	if (!p->down_since && !p->writes_failed)
		return;
	for (;;) {
		int64_t mono = clock_ns(CLOCK_MONOTONIC);
		if (mono >= until)
			break;
		if (sched_pool_begin(p, mono + NS < until ? mono + NS : until)) {
			int64_t now = clock_ns(CLOCK_REALTIME);
			for (size_t i = 0; i < dm->pol.n; i++) {
				bool here = dm->live[i].be && dm->live[i].h;
				if (!dm->live[i].be)
					continue;
				sched_pool_pull(p, &dm->pol.v[i], &dm->st.v[i], &dm->live[i].pool, here);
				sched_pool_push(p, &dm->pol.v[i], &dm->st.v[i], &dm->live[i].pool, here,
						now);
			}
			sched_pool_end(p, 0);
			if (p->up && !p->writes_failed) {
				log_info("pool '%s': the charges made while etcd was away are handed in",
					 p->url);
				return;
			}
		}
		struct timespec ts = { .tv_nsec = 200000000 };
		nanosleep(&ts, NULL);
	}
	uint64_t unsent = 0;
	size_t n = 0;
	for (size_t i = 0; i < dm->pol.n; i++) {
		uint64_t u = sched_pool_unsent_ns(&dm->st.v[i].acct, &dm->live[i].pool);
		unsent += u;
		n += u > 0;
	}
	log_warn("pool '%s': etcd still away after %.1f s more; %.3f CPU-s charged here (%zu "
		 "guest%s) since it went away %.1f s ago are not handed in: a restart or takeover "
		 "does not count them", p->url, (double)(clock_ns(CLOCK_MONOTONIC) - start) / 1e9,
		 (double)unsent / 1e9, n, n == 1 ? "" : "s",
		 away ? (double)(clock_ns(CLOCK_MONOTONIC) - away) / 1e9 : 0.0);
}

static void reload(struct daemon *dm)
{
	struct sched_policy p;

	/* standard input was read to its end at start: a reload would read
	 * nothing and drop every guest */
	if (strcmp(dm->conf, "-") == 0) {
		log_warn("SIGHUP: '-' (standard input) cannot be reloaded; keeping the policy read at start");
		return;
	}
	log_info("SIGHUP: reloading '%s'", dm->conf);
	if (sched_load_policy(dm->conf, &p) < 0) {
		log_error("reload of '%s' failed, keeping the running policy", dm->conf);
		return;
	}
	if (open_backends(dm, &p) < 0) {
		log_error("reload of '%s' failed, keeping the running policy", dm->conf);
		sched_policy_release(&p);
		return;
	}
	struct sched_state old = dm->st;
	install_policy(dm, &p, &old, dm->live);
	dm->dirty = true;
	log_info("'%s' reloaded: %zu guest%s", dm->conf, dm->pol.n, dm->pol.n == 1 ? "" : "s");
}

/*
 * g's CPU time could not be read this tick (rc: backend.h), though it is
 * still there: the guest, its cap and its account stay as they are.  The
 * counter is cumulative, so the next good read charges what it used
 * meanwhile, spread over the time since the last one: nothing is lost.
 * Said once per guest (-EAGAIN: its backend said why); counted in
 * sg->unreadable for status and the metrics.
 */
static void counter_unreadable(struct daemon *dm, const struct sched_guest *g,
			       struct sched_state_guest *sg, struct live *l, int rc)
{
	if (sg->unreadable < UINT32_MAX)
		sg->unreadable++;
	sg->present = true;	/* there, its counter open */
	l->absent_since = 0;
	if (rc != -EAGAIN && !l->unreadable_said) {
		log_warn("%s: cannot read its CPU time: %s; kept with its cap, what it uses "
			 "meanwhile is charged at the next good read (said once; 'sched status' "
			 "shows it from %d ticks in a row)", g->name,
			 rc == -EIO ? "no counter in what was read (empty or garbled)" : strerror(-rc),
			 SCHED_UNREADABLE_SAY);
		l->unreadable_said = true;
	}
	if (sg->unreadable == SCHED_UNREADABLE_SAY)
		dm->dirty = true;	/* status shows it from now */
}

static void tick(struct daemon *dm)
{
	int64_t now = clock_ns(CLOCK_REALTIME);
	time_t secs = (time_t)(now / NS);
	struct tm tm;
	int minute = 0;

	if (localtime_r(&secs, &tm))
		minute = tm.tm_hour * 60 + tm.tm_min;
	if (dm->cg && dm->cg->ops->refresh)
		(void)dm->cg->ops->refresh(dm->cg);
	if (dm->xen && dm->xen->ops->refresh && dm->xen->ops->refresh(dm->xen) < 0)
		log_warn("cannot list Xen domains this tick");
	if (dm->lv)
		(void)dm->lv->ops->refresh(dm->lv);	/* says why itself */
	/* etcd gets at most half a tick; past it, this tick runs from the
	 * local copies. */
	if (dm->pooled)
		(void)sched_pool_begin(&dm->pool, clock_ns(CLOCK_MONOTONIC) + dm->tick_ns / 2);
	bool knobs = dm->knob_every_ns && clock_ns(CLOCK_MONOTONIC) - dm->knob_mono >= dm->knob_every_ns;
	if (knobs)
		dm->knob_mono = clock_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < dm->pol.n; i++) {
		const struct sched_guest *g = &dm->pol.v[i];
		struct sched_state_guest *sg = &dm->st.v[i];
		struct live *l = &dm->live[i];
		struct sched_step s;
		uint64_t counter;
		int64_t at = now;	/* when counter was read */
		int rc = 0;

		if (!l->be)
			continue;
		bool gone = false;
	again:
		if (!l->h) {
			struct hv_diags d = HV_DIAGS_INIT;
			rc = l->be->ops->open(l->be, g, &l->h, &d);
			if (rc < 0 && rc != -ENOENT && rc != -EAGAIN && !l->warned) {
				(void)log_diags(g->name, &d);
				l->warned = true;
			}
			hv_diags_release(&d);
			if (rc == -ENOENT && !l->said_absent) {
				/* A typo and a stopped guest look alike: said once. */
				_cleanup_free_ char *sel = selector_of(g);
				log_info("%s: no %s running (yet)", g->name, sel);
				l->said_absent = true;
			}
			if (rc == 0) {
				log_info("%s: found", g->name);
				l->first_read = true;
				dm->dirty = true;
				l->warned = false;
				l->said_absent = false;
				if (!sg->present && sg->acct.started)
					l->reappeared = true;
				l->cap_known = false;
				l->applied_weight = 0;
			}
		}
		if (l->h)
			rc = l->be->ops->usage(l->be, l->h, &counter, &at);
		if (l->h && rc < 0 && rc != -ENOENT) {
			counter_unreadable(dm, g, sg, l, rc);
			/* A guest charged here keeps its record written (the
			 * count in it: `status` of the pool says so), as a tick
			 * that charged nothing; one never read here is not
			 * taken over. */
			if (dm->pooled && l->pool.owner) {
				sched_pool_pull(&dm->pool, g, sg, &l->pool, true);
				sched_pool_push(&dm->pool, g, sg, &l->pool, true, now);
			}
			continue;	/* not read this tick: the next delta holds it */
		}
		if (l->h && rc == 0 && sg->unreadable) {
			if (log_verbosity > 0)
				log_info("%s: CPU time read again after %u tick%s; what it used "
					 "meanwhile is charged now", g->name, sg->unreadable,
					 sg->unreadable == 1 ? "" : "s");
			if (sg->unreadable >= SCHED_UNREADABLE_SAY)
				dm->dirty = true;
			sg->unreadable = 0;
		}
		if (!l->h || rc < 0) {
			if (l->h) {
				/* What it used since the last tick is charged at the
				 * last tick's rate: nothing left to read. */
				sched_acct_charge_gone(&sg->acct, now);
				log_info("%s: gone", g->name);
				close_live(l);
				dm->dirty = true;
				if (sg->present || !l->absent_since)
					l->absent_since = now;
				sg->present = false;
				/* Another of its name may run already (destroyed
				 * and made again between two ticks): capped now,
				 * not a tick later. */
				l->said_absent = true;	/* "gone" says it */
				if (!gone) {
					gone = true;
					goto again;
				}
			}
			if (sg->present || !l->absent_since)
				l->absent_since = now;
			sg->present = false;
			sg->unreadable = 0;
			if (dm->pooled) {
				/* The record is the guest's state (wherever it runs). */
				sched_pool_pull(&dm->pool, g, sg, &l->pool, false);
				sched_pool_push(&dm->pool, g, sg, &l->pool, false, now);
				continue;
			}
			/* Forgotten once absent for a whole window: by then every
			 * charge has expired, so forgetting changes nothing. */
			if (sg->acct.started &&
			    now - l->absent_since > (int64_t)(sg->acct.window_s ? sg->acct.window_s : 1) * NS) {
				sched_acct_release(&sg->acct);
				sched_acct_init(&sg->acct, g);
				l->reappeared = false;
			}
			continue;
		}
		if (dm->pooled)
			sched_pool_pull(&dm->pool, g, sg, &l->pool, true);
		sg->present = true;
		l->absent_since = 0;
		if (l->reappeared) {
			sg->acct.last_counter_ns = 0;	/* a new guest under the old name */
			l->reappeared = false;
		}
		if (knobs && l->cap_known && !l->unmanaged && l->be->ops->check) {
			/* Another hand on the knob (hvkit-sched(1) FOREIGN
			 * CHANGES): never a silent tug of war. */
			char found[512];
			int k = l->be->ops->check(l->be, l->h, l->applied_cap,
						  l->weight_ok && l->applied_weight == g->weight ? g->weight : 0,
						  found, sizeof(found));
			if (k == 1 && dm->theirs) {
				log_warn("%s: changed behind our back: %s; theirs wins (--foreign theirs): "
					 "unmanaged from now on (usage still charged) until SIGHUP",
					 g->name, found);
				l->unmanaged = true;
				dm->dirty = true;
			} else if (k == 1) {
				log_warn("%s: changed behind our back: %s; ours wins: written again "
					 "(--foreign theirs leaves it to them)", g->name, found);
				l->cap_known = false;
				l->applied_weight = 0;
			}
		}
		if (g->weight && l->applied_weight != g->weight && !l->unmanaged) {
			struct hv_diags d = HV_DIAGS_INIT;
			rc = l->be->ops->set_weight(l->be, l->h, g->weight, &d);
			l->weight_ok = rc == 0;
			if (rc < 0) {
				(void)log_diags(g->name, &d);
				if (!d.n)
					log_warn("%s: cannot set weight %u: %s", g->name,
						 g->weight, strerror(-rc));
			}
			hv_diags_release(&d);
			l->applied_weight = g->weight;
			sg->weight = g->weight;
			dm->dirty = true;
		}
		/* What the guest could have used since the last tick: the cap
		 * we applied, else what it can use at all: a Xen domain its
		 * vCPUs, a cgroup every CPU of this host (so that a first read
		 * in a pool tells a guest that ran before from one that moved). */
		uint32_t most = l->be->ops->max_cp ? l->be->ops->max_cp(l->be, l->h)
			: l->be == dm->cg || l->be == dm->lv ? dm->host_cp : 0;
		sg->acct.limit_cp = l->cap_known && !l->unmanaged && l->applied_cap != SCHED_CAP_NONE
			? l->applied_cap : most;
		if (dm->pooled && l->first_read && !l->pool.cont)
			sg->acct.new_counter = true;	/* first read on this host */
		else if (dm->pooled && !l->pool.owner && !l->pool.cont)
			sg->acct.rebase_counter = true;	/* charged by its owner, not here */
		l->pool.cont = false;
		l->first_read = false;
		uint32_t cap = sched_acct_step(&sg->acct, g, at, minute, counter, dm->tick_ns, &s);
		if (s.counter_reset)
			log_info("%s: CPU counter went backwards (guest restarted?)", g->name);
		if (s.clock_backwards)
			log_warn("%s: clock went backwards; charging at the last time seen", g->name);
		if (dm->pooled && !l->pool.owner && sg->acct.nbuckets) {
			/* Charged by another host (or not yet taken over): no
			 * burst here, so that one guest never bursts twice. */
			cap = cap == SCHED_CAP_NONE || cap > sg->acct.floor_cp ? sg->acct.floor_cp : cap;
			sg->acct.cap_cp = cap;
		}
		if (!l->unmanaged && (!l->cap_known || cap != l->applied_cap)) {
			char a[32], b[32];
			rc = l->be->ops->set_cap(l->be, l->h, cap);
			if (rc == -EOPNOTSUPP) {
				if (!l->no_cap_said)
					log_warn("%s: cannot set cap: its scheduler has none (said once)",
						 g->name);
				l->no_cap_said = true;
				l->cap_known = false;
				sg->acct.cap_cp = SCHED_CAP_NONE;	/* none in force: status "-", no metric */
			} else if (rc < 0) {
				log_warn("%s: cannot set cap: %s", g->name, strerror(-rc));
				l->cap_known = false;
				sg->acct.cap_cp = SCHED_CAP_NONE;	/* not known to be in force */
			} else {
				if (log_verbosity > 0) {
					char why[64] = "";
					if (sg->acct.nbuckets && s.left_ns > 0)
						snprintf(why, sizeof(why), " (budget left %.3f s)",
							 (double)s.left_ns / 1e9);
					else if (sg->acct.nbuckets)
						snprintf(why, sizeof(why), " (budget spent)");
					log_info("%s: cap %s -> %s%s", g->name,
						 l->cap_known ? (l->applied_cap ? sched_cp_format(a, sizeof(a), l->applied_cap) : "none") : "?",
						 cap ? sched_cp_format(b, sizeof(b), cap) : "none", why);
				}
				l->cap_known = true;
				l->applied_cap = cap;
				dm->dirty = true;
			}
		}
		if (dm->pooled)
			sched_pool_push(&dm->pool, g, sg, &l->pool, true, now);
	}
	/* The tick's writes, together: at least a quarter tick for them. */
	if (dm->pooled)
		sched_pool_end(&dm->pool, clock_ns(CLOCK_MONOTONIC) + dm->tick_ns / 4);
	if (dm->dirty || clock_ns(CLOCK_MONOTONIC) - dm->saved_mono >= dm->save_every_ns)
		(void)save_state(dm, now);
	if (dm->metrics_path && (!dm->metrics_mono || clock_ns(CLOCK_MONOTONIC) - dm->metrics_mono >=
				 dm->metrics_every_ns)) {
		write_metrics(dm, now);
		dm->metrics_mono = clock_ns(CLOCK_MONOTONIC);
	}
}

/* Each write renames a new file over STATE and --metrics-file
 * (sched_state_save, sched_metrics_write): a link would be replaced, not
 * followed, a device node or FIFO replaced by a regular file.  Checked
 * before anything (STATE.lock) is created; one line, true if refused. */
static bool output_refused(const char *path, const char *what, const char *opt)
{
	const char *unfit = sched_output_unfit(path);

	if (unfit)
		log_error("%s '%s' is %s: give %s as %s (each write replaces it by renaming "
			  "a new file over it)", what, path, unfit,
			  !strcmp(unfit, "a symbolic link") ? "its target" : "a regular file's path",
			  opt);
	/* made beside it: a directory where a file can be made, known
	 * before the daemon starts (not at its first write) */
	return unfit != NULL || output_file_name(path) < 0 || output_dir_check(path, path) < 0;
}

int sched_cmd_run(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "tick", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "save-every", required_argument, NULL, 'S' },
		{ "cgroup-root", required_argument, NULL, 'C' },
		{ "backend", required_argument, NULL, 'B' },
		{ "metrics-file", required_argument, NULL, 'M' },
		{ "metrics-every", required_argument, NULL, 'E' },
		{ "ticks", required_argument, NULL, 'n' },
		{ "foreign", required_argument, NULL, 'F' },
		{ "knob-every", required_argument, NULL, 'K' },
		{ "host-id", required_argument, NULL, 'H' },
		{ "lease-ttl", required_argument, NULL, 'L' },
		{ "etcd-cacert", required_argument, NULL, 'A' },
		{ "etcd-cert", required_argument, NULL, 'c' },
		{ "etcd-key", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct daemon dm = { .state_path = SCHED_DEFAULT_STATE,
			     .cgroup_root = "/sys/fs/cgroup", .tick_ns = NS, .max_ticks = -1,
			     .save_every_ns = 10 * NS, .save_buf = STRBUF_INIT,
			     .knob_every_ns = 5 * NS,
			     .metrics_buf = STRBUF_INIT };
	struct sched_policy p;
	struct sched_state saved;
	int c, rc = EXIT_OK, lock_fd = -1;
	long holder = 0;
	struct etcd_opts eo = { 0 };
	char hostname[256] = "";
	const char *host_id = NULL;
	int64_t lease_ttl = 0;	/* 0: the default, 10 s or three ticks */

	(void)g;
	struct hv_getopt gs = HV_GETOPT_INIT("sched run", NULL);

	while ((c = hv_getopt(&gs, argc, argv, ":vh", opts)) != -1) {
		switch (c) {
		case 't':
			if (sched_parse_tick(optarg, &dm.tick_ns) < 0) {
				log_error("bad --tick '%s' (like 1s or 500ms; 10ms to 1h)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's': dm.state_path = optarg; break;
		case 'S':
			if (sched_parse_tick(optarg, &dm.save_every_ns) < 0) {
				log_error("bad --save-every '%s' (like 10s, 1m or 1h; 10ms to 1h)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C': dm.cgroup_root = optarg; break;
		case 'B':
			if (!strcmp(optarg, "cgroup")) {
				dm.use_lv = false;
			} else if (!strcmp(optarg, "libvirt")) {
				dm.use_lv = true;
				dm.lv_uri = NULL;
			} else if (!strncmp(optarg, "libvirt:", 8) && optarg[8] &&
				   !strpbrk(optarg, " \t\n")) {
				dm.use_lv = true;
				dm.lv_uri = optarg + 8;
			} else {
				log_error("bad --backend '%s' (cgroup, libvirt or libvirt:URI)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'M': dm.metrics_path = optarg; break;
		case 'E':
			if (sched_parse_tick(optarg, &dm.metrics_every_ns) < 0) {
				log_error("bad --metrics-every '%s' (like 15s or 1m; 10ms to 1h)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n': {
			uint64_t n;
			if (parse_u64(optarg, 10, &n) < 0 || n == 0 || n > 1000000000) {
				log_error("bad --ticks '%s'", optarg);
				return EXIT_USAGE;
			}
			dm.max_ticks = (long)n;
			break;
		}
		case 'F':
			if (strcmp(optarg, "ours") && strcmp(optarg, "theirs")) {
				log_error("bad --foreign '%s' (ours or theirs)", optarg);
				return EXIT_USAGE;
			}
			dm.theirs = !strcmp(optarg, "theirs");
			break;
		case 'K':
			if (!strcmp(optarg, "0")) {
				dm.knob_every_ns = 0;
			} else if (sched_parse_tick(optarg, &dm.knob_every_ns) < 0) {
				log_error("bad --knob-every '%s' (like 5s; 10ms to 1h, 0: never)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			if (!*optarg || strlen(optarg) > 200 || strpbrk(optarg, " \t\n/")) {
				log_error("bad --host-id '%s' (1 to 200 bytes, no blank or '/')", optarg);
				return EXIT_USAGE;
			}
			host_id = optarg;
			break;
		case 'L':
			if (sched_parse_tick(optarg, &lease_ttl) < 0 || lease_ttl < 2 * NS) {
				log_error("bad --lease-ttl '%s' (like 10s; 2s to 1h)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'A': eo.cacert = optarg; break;
		case 'c': eo.cert = optarg; break;
		case 'k': eo.key = optarg; break;
		case 'v':
			log_verbosity++;
			break;
		case 'h': hv_verb_usage(g); return EXIT_OK;
		default: return hv_opt_error_in("sched run", c, argv, opts);
		}
	}
	if (optind + 1 != argc) {
		log_error("'sched run' takes one file: hvkit sched run CONF [options]");
		return EXIT_USAGE;
	}
	dm.conf = argv[optind];
	/* outputs that cannot be standard output (hvkit(1): exit 2) */
	if (strcmp(dm.state_path, "-") == 0 ||
	    (dm.metrics_path && strcmp(dm.metrics_path, "-") == 0))
		return hv_args_error("sched run", "%s cannot be '-': give a file's path",
				     strcmp(dm.state_path, "-") == 0 ? "--state" : "--metrics-file");
	if (!*dm.state_path || (dm.metrics_path && !*dm.metrics_path))
		return hv_args_error("sched run", "%s needs a file name, not ''",
				     !*dm.state_path ? "--state" : "--metrics-file");
	dm.pooled = !strncmp(dm.state_path, "etcd://", 7);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	dm.host_cp = ncpu > 0 && ncpu <= 1000 ? (uint32_t)ncpu * SCHED_CP_PER_CPU : 0;
	if (!dm.pooled && (host_id || eo.cacert || eo.cert || eo.key)) {
		log_error("--host-id and --etcd-* go with --state etcd://...");
		return EXIT_USAGE;
	}
	/* Each write renames a new file over them (sched_metrics_write,
	 * sched_state_save): a link would be replaced, not followed, and a
	 * device node or FIFO replaced by a regular file.  Refused before
	 * anything (STATE.lock) is created. */
	/* One file for two jobs: each write would replace the other's (a
	 * --state naming CONF replaced the policy with a state). */
	const char *files[][2] = { { dm.conf, "CONF" },
				   { dm.pooled ? NULL : dm.state_path, "--state" },
				   { dm.metrics_path, "--metrics-file" } };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(files); j++)
			if (files[i][0] && files[j][0] && same_file(files[i][0], files[j][0])) {
				log_error("%s '%s' and %s '%s' are one file; each needs its own",
					  files[i][1], files[i][0], files[j][1], files[j][0]);
				return EXIT_USAGE;
			}
	if ((dm.metrics_path && output_refused(dm.metrics_path, "metrics file", "--metrics-file")) ||
	    (!dm.pooled && output_refused(dm.state_path, "state", "--state")))
		return EXIT_FAIL;
	/* The lease is kept alive once a tick, and a keepalive may wait up
	 * to half a tick for etcd: two keepalives can be 1.5 ticks apart, so
	 * a lease of two ticks or less lapses between them (every tick, at
	 * a TTL under one tick), its guests dropped and taken over again. */
	if (dm.pooled && lease_ttl && lease_ttl < 2 * dm.tick_ns) {
		log_error("bad --lease-ttl: %.6g s is shorter than two ticks (%.6g s at a %.6g s "
			  "tick): kept alive once a tick, it would lapse between keepalives",
			  (double)lease_ttl / 1e9, 2 * (double)dm.tick_ns / 1e9, (double)dm.tick_ns / 1e9);
		return EXIT_USAGE;
	}
	if (!lease_ttl)
		lease_ttl = 3 * dm.tick_ns > 10 * NS ? 3 * dm.tick_ns : 10 * NS;
	/* CONF is read before STATE.lock is made: a bad CONF leaves none. */
	if (sched_load_policy(dm.conf, &p) < 0)
		return EXIT_FAIL;
	if (dm.pooled) {
		struct hv_diags d = HV_DIAGS_INIT;
		char *who = NULL;
		if (!host_id) {
			if (gethostname(hostname, sizeof(hostname) - 1) < 0 || !hostname[0]) {
				log_error("no host name: give --host-id");
				sched_policy_release(&p);
				return EXIT_USAGE;
			}
			host_id = hostname;
		}
		rc = sched_pool_open(&dm.pool, dm.state_path, &eo, host_id,
				     (lease_ttl + NS - 1) / NS, &who, &d);
		(void)log_diags(dm.state_path, &d);
		hv_diags_release(&d);
		if (rc < 0) {
			if (rc == -EBUSY)
				log_error("pool '%s': host '%s' is in use by another 'hvkit sched run' (%s)",
					  dm.state_path, host_id, who ? who : "pid not known");
			free(who);
			if (rc == -EBUSY)
				dm.pool.lease = 0;	/* it lapsed while we waited: nothing to revoke */
			sched_pool_close(&dm.pool);
			sched_policy_release(&p);
			return EXIT_FAIL;
		}
		free(who);
		dm.pool.tick_ns = dm.tick_ns;
	} else if ((rc = sched_state_lock(dm.state_path, &lock_fd, &holder)) < 0) {
		_cleanup_free_ char *lpath = sched_state_lock_path(dm.state_path);
		if (rc == -EBUSY && holder)
			log_error("state '%s' is in use by another 'hvkit sched run' (pid %ld)",
				  dm.state_path, holder);
		else if (rc == -EBUSY)
			log_error("state '%s' is in use by another 'hvkit sched run' (pid not known: "
				  "another pid namespace?)", dm.state_path);
		else
			log_error("cannot lock state '%s': %s", lpath, strerror(-rc));
		sched_policy_release(&p);
		return EXIT_FAIL;
	}
	rc = EXIT_OK;
	if (open_backends(&dm, &p) < 0) {
		sched_policy_release(&p);
		rc = EXIT_FAIL;
		goto out;
	}
	/* One open cpu usage file and one quota file per cgroup guest. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* In a pool the records are read at each tick (pool.h). */
	enum sched_state_gen gen = dm.pooled ? SCHED_STATE_FRESH : load_state(&dm, &saved);
	install_policy(&dm, &p, dm.pooled ? NULL : &saved, NULL);
	if (gen == SCHED_STATE_PREVIOUS || gen == SCHED_STATE_LOST) {
		int64_t now = clock_ns(CLOCK_REALTIME);
		for (size_t i = 0; i < dm.st.n; i++) {
			struct sched_acct *a = &dm.st.v[i].acct;
			if (gen == SCHED_STATE_LOST)
				sched_acct_spend_all(a, now);
			else if (a->started)
				a->charge_late = true;
		}
		dm.dirty = true;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	log_info("policing %zu guest%s every %.3f s; state in '%s'", dm.pol.n,
		 dm.pol.n == 1 ? "" : "s", (double)dm.tick_ns / 1e9, dm.state_path);

	int64_t next = clock_ns(CLOCK_MONOTONIC);
	for (long n = 0; !got_term && (dm.max_ticks < 0 || n < dm.max_ticks); n++) {
		if (got_hup) {
			got_hup = 0;
			reload(&dm);
		}
		tick(&dm);
		next += dm.tick_ns;
		int64_t mono = clock_ns(CLOCK_MONOTONIC);
		if (next < mono)
			next = mono;	/* we fell behind: don't try to catch up */
		struct timespec ts = { .tv_sec = next / NS, .tv_nsec = next % NS };
		while (!got_term && !got_hup) {
			if (got_usr1) {
				/* A save now, for `sched status`: no early tick. */
				got_usr1 = 0;
				(void)save_state(&dm, clock_ns(CLOCK_REALTIME));
			}
			if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != EINTR)
				break;
		}
	}
	if (got_term)
		log_info("exiting on signal; caps stay as they are");
	else
		log_info("stopping after %ld ticks; caps stay as they are", dm.max_ticks);
	if (save_state(&dm, clock_ns(CLOCK_REALTIME)) < 0)
		rc = EXIT_FAIL;
	if (dm.pooled)
		pool_hand_in(&dm);
out:
	for (size_t i = 0; dm.live && i < dm.st.n; i++) {
		close_live(&dm.live[i]);
		sched_pool_guest_release(&dm.live[i].pool);
	}
	if (dm.pooled)
		sched_pool_close(&dm.pool);
	free(dm.live);
	sched_state_release(&dm.st);
	sched_policy_release(&dm.pol);
	strbuf_release(&dm.save_buf);
	strbuf_release(&dm.metrics_buf);
	if (lock_fd >= 0)
		close(lock_fd);
	if (dm.cg)
		dm.cg->ops->free(dm.cg);
	if (dm.xen)
		dm.xen->ops->free(dm.xen);
	if (dm.lv)
		dm.lv->ops->free(dm.lv);
	return rc;
}
