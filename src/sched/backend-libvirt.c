/* SPDX-License-Identifier: MIT */
/*
 * libvirt backend (--backend libvirt[:URI]): serves libvirt: selectors
 * through libvirt's API instead of the cgroups libvirt owns.  Every
 * guest's CPU time comes from ONE virConnectGetAllDomainStats() call per
 * tick; caps and weights go through virDomainSetSchedulerParameters()
 * and are read back with virDomainGetSchedulerParameters() (the live
 * values of a running domain):
 *   scheduler "posix" (QEMU, LXC): vcpu_period/vcpu_quota (the cap split
 *     over the vCPUs: each vCPU gets cap/N, so the guest's total is the
 *     cap) and cpu_shares (the weight on cgroup v1's scale);
 *   scheduler "credit"/"credit2" (libxl): cap (percent) and weight.
 * Other schedulers (the test driver's "fair") have no cap: refused.
 *
 * Every call is bounded: a libvirtd that stops answering (SIGSTOPped,
 * frozen cgroup, black-holed peer) would otherwise block the daemon in
 * libvirt's poll() for ever, deaf to SIGTERM.  libvirt's keepalive
 * (virConnectSetKeepAlive, which needs its event loop: one thread runs
 * it) closes such a connection after LV_KA_INTERVAL x (LV_KA_COUNT + 1)
 * seconds, failing the call in flight and every later one at once; a
 * connection is opened (whose handshake keepalive does not cover) in a
 * thread of its own that the daemon waits for LV_OPEN_S at start and
 * LV_REOPEN_WAIT_MS per tick after, never longer.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <libxml/xmlerror.h>

#include "backend.h"
#include "lazy-libvirt.h"
#include "log.h"
#include "util.h"

#define LV_PERIOD_US 100000ull		/* vcpu_period we write */
#define LV_MIN_QUOTA_US 1000ll		/* the kernel's smallest quota */
#define LV_PARAMS_MAX 64		/* more than any driver gives */
#define LV_KA_INTERVAL 1		/* keepalive: a ping after 1 s of silence, */
#define LV_KA_COUNT 2u			/* dead after 2 unanswered: 3 s */
#define LV_OPEN_S 10			/* the first connection's handshake */
#define LV_REOPEN_WAIT_MS 500		/* per tick, for a connection again */

/* A virConnectOpen() in a thread of its own: whoever drops the last
 * reference (the waiter giving up, or the thread when done) frees it. */
struct lv_opener {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	bool done;
	char *uri;			/* NULL: libvirt's default */
	virConnectPtr conn;		/* NULL: failed (err says why) */
	char err[512];
};

struct lv_backend {
	struct sched_backend b;
	virConnectPtr conn;
	char *uri;			/* as said in messages */
	char *uri_arg;			/* as given: NULL for libvirt's default */
	unsigned gen;			/* connections opened: 1 at first */
	virDomainStatsRecordPtr *stats;	/* this tick's, NULL-terminated */
	int nstats;
	bool stale;			/* this tick's fetch failed */
	int64_t fetched_at;		/* CLOCK_REALTIME ns of this tick's stats */
	bool said_no_cputime;
	bool no_allstats;		/* the driver has no GetAllDomainStats */
	bool lxc;			/* the LXC driver (vcpu_quota: the whole guest) */
	struct lv_opener *opening;	/* a connection being opened again */
	char why[512];			/* why the last refresh failed */
};

/* Which knob holds a posix domain's cap (see the top of this file). */
enum lv_knob { KNOB_NONE, KNOB_GLOBAL, KNOB_WHOLE, KNOB_PER_VCPU, KNOB_CREDIT };

struct lv_guest {
	char *name;
	virDomainPtr dom;
	char *sched;			/* "posix", "credit", ... */
	enum lv_knob knob;
	int nparams;
	unsigned vcpus;
	int hint;			/* its index in stats last tick */
	unsigned gen;			/* the connection dom belongs to */
	char uuid[VIR_UUID_STRING_BUFLEN];	/* the domain found: a new one of
					 * the same name is another guest */
};

static const char *const knob_desc[] = {
	[KNOB_NONE] = "none (its scheduler has no cap)",
	[KNOB_GLOBAL] = "global_period/global_quota (the domain's cgroup: all its threads together)",
	[KNOB_WHOLE] = "vcpu_period/vcpu_quota (LXC: the container's cgroup, the whole guest)",
	[KNOB_PER_VCPU] = "vcpu_period/vcpu_quota per vCPU (no global_quota here: the cap split over "
		"the vCPUs, the emulator not capped)",
	[KNOB_CREDIT] = "the credit scheduler's cap",
};

static int pick_knob(struct lv_backend *l, struct lv_guest *h, struct hv_diags *d);
static void lv_close(struct sched_backend *b, void *hv);
static bool same_domain(const struct lv_guest *h, virDomainPtr dom);
static bool param_value(const virTypedParameter *p, int n, const char *name, long long *v);

static struct lv_backend *lb(struct sched_backend *b)
{
	return (struct lv_backend *)b;
}

static void quiet(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;			/* reported where the call failed */
}

/* The last libvirt error's message: valid until the next libvirt call. */
static const char *lv_err(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

/* lv_err() into buf, on one line: libvirt's XML errors add the line
 * in error and a caret under it on lines of their own, "(null)" and
 * "^" where it has none: such lines are dropped, others joined. */
static void lv_errcpy(char *buf, size_t sz)
{
	const char *m = lv_err();
	size_t n = 0;

	buf[0] = 0;
	while (*m && n + 1 < sz) {
		size_t len = strcspn(m, "\r\n");
		bool junk = (len == 6 && !strncmp(m, "(null)", 6)) || strspn(m, " \t^") >= len;
		if (!junk)
			n += (size_t)snprintf(buf + n, sz - n, "%s%.*s", n ? " " : "", (int)len, m);
		m += len;
		m += strspn(m, "\r\n");
	}
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
}

static int lv_err_code(void)
{
	virErrorPtr e = virGetLastError();

	return e ? e->code : VIR_ERR_OK;
}

/* libxml2's own warnings (the test driver's "I/O warning : failed to
 * load external entity" for a missing node file) are printed before
 * libvirt reports the error hvkit says in one line: not printed. */
static void xml_quiet(void *ud, const char *fmt, ...)
{
	(void)ud;
	(void)fmt;
}

/* This tick's stats of every running domain: one call.  0 or -EIO.  A
 * driver without the call (LXC) is read per guest (lv_usage). */
static int fetch(struct lv_backend *l)
{
	if (l->stats)
		virDomainStatsRecordListFree(l->stats);
	l->stats = NULL;
	l->nstats = 0;
	l->fetched_at = clock_ns(CLOCK_REALTIME);
	if (l->no_allstats)
		return 0;
	int n = virConnectGetAllDomainStats(l->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL,
					    &l->stats, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
	l->stale = n < 0;
	if (n < 0) {
		l->stats = NULL;
		if (lv_err_code() == VIR_ERR_NO_SUPPORT) {
			l->no_allstats = true;
			l->stale = false;
			return 0;
		}
		return -EIO;
	}
	l->nstats = n;
	return 0;
}

static void opener_put(struct lv_opener *o)
{
	pthread_mutex_lock(&o->mu);
	bool last = --o->refs == 0;
	pthread_mutex_unlock(&o->mu);
	if (!last)
		return;
	if (o->conn)
		virConnectClose(o->conn);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o->uri);
	free(o);
}

static void *opener_run(void *arg)
{
	struct lv_opener *o = arg;
	/* libvirt0 needs libxml2: loaded with it.  Its warnings (the test
	 * driver's "I/O warning : failed to load external entity" for a
	 * missing file) come before libvirt's error, said in one line. */
	bool xml = lazy_xml2_load(NULL) == 0;

	if (xml)
		xmlSetGenericErrorFunc(NULL, xml_quiet);	/* per thread */
	virConnectPtr c = virConnectOpen(o->uri);
	pthread_mutex_lock(&o->mu);
	o->conn = c;
	if (!c)
		lv_errcpy(o->err, sizeof(o->err));	/* libvirt's errors are per thread */
	o->done = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	opener_put(o);
	return NULL;
}

/* Threads hvkit starts take no signal: SIGTERM, SIGHUP... wake the
 * daemon's main thread. */
static int start_thread(void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	pthread_attr_t at;
	pthread_t t;

	sigfillset(&all);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&t, &at, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return -rc;
}

static struct lv_opener *opener_start(const char *uri)
{
	struct lv_opener *o = xcalloc(1, sizeof(*o));

	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->uri = uri ? xstrdup(uri) : NULL;
	o->refs = 2;
	if (start_thread(opener_run, o) < 0) {
		o->refs = 1;
		o->done = true;
		snprintf(o->err, sizeof(o->err), "cannot start a thread");
	}
	return o;
}

/* Waits up to ms for o; true when it is done. */
static bool opener_wait(struct lv_opener *o, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&o->mu);
	while (!o->done && pthread_cond_timedwait(&o->cv, &o->mu, &ts) == 0)
		;
	bool done = o->done;
	pthread_mutex_unlock(&o->mu);
	return done;
}

/* The connection o opened (taken from it), or NULL with why in err. */
static virConnectPtr opener_take(struct lv_opener *o, char *err, size_t sz)
{
	pthread_mutex_lock(&o->mu);
	virConnectPtr c = o->conn;
	o->conn = NULL;
	if (!c)
		snprintf(err, sz, "%s", o->err);
	pthread_mutex_unlock(&o->mu);
	return c;
}

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			sleep(1);
	return NULL;
}

/* libvirt's event loop, once per process: keepalive's timers run in it. */
static bool event_loop_start(void)
{
	static int started;		/* 1 running, -1 failed */

	if (!started)
		started = virEventRegisterDefaultImpl() == 0 && start_thread(event_loop, NULL) == 0 ? 1 : -1;
	return started > 0;
}

/* Keepalive on c: a libvirtd that stops answering closes it (see the
 * top).  Local drivers (test:///) have none and cannot hang. */
static void keepalive(virConnectPtr c)
{
	if (event_loop_start())
		(void)virConnectSetKeepAlive(c, LV_KA_INTERVAL, LV_KA_COUNT);
}

/* libvirtd closed the connection (restarted, stopped, or keepalive gave
 * up on it): opened again in the background, and the guests' domains
 * looked up again on it (relink).  0 or -EIO with why in l->why. */
static int reconnect(struct lv_backend *l)
{
	if (!l->opening && virConnectIsAlive(l->conn) != 0)
		return 0;
	if (!l->opening)
		l->opening = opener_start(l->uri_arg);
	if (!opener_wait(l->opening, LV_REOPEN_WAIT_MS)) {
		snprintf(l->why, sizeof(l->why), "the connection is closed and libvirtd does not "
			 "answer a new one");
		return -EIO;
	}
	virConnectPtr c = opener_take(l->opening, l->why, sizeof(l->why));
	opener_put(l->opening);
	l->opening = NULL;
	if (!c)
		return -EIO;
	keepalive(c);
	virConnectClose(l->conn);
	l->conn = c;
	l->gen++;
	log_info("libvirt '%s': connected again", l->uri);
	return 0;
}

/* h's domain on this connection.  0, -ENOENT (not there any more) or
 * -EAGAIN (libvirt not reachable now). */
static int relink(struct lv_backend *l, struct lv_guest *h)
{
	if (h->gen == l->gen)
		return 0;
	virDomainPtr dom = virDomainLookupByName(l->conn, h->name);
	if (!dom)
		return lv_err_code() == VIR_ERR_NO_DOMAIN ? -ENOENT : -EAGAIN;
	if (!same_domain(h, dom)) {
		virDomainFree(dom);
		return -ENOENT;		/* another domain of its name now */
	}
	virDomainFree(h->dom);
	h->dom = dom;
	h->gen = l->gen;
	h->hint = -1;
	return 0;
}

static int lv_refresh(struct sched_backend *b)
{
	struct lv_backend *l = lb(b);

	bool was = l->stale;

	int rc = reconnect(l);

	if (rc == 0 && (rc = fetch(l)) < 0)
		lv_errcpy(l->why, sizeof(l->why));
	if (rc < 0) {
		l->stale = true;
		if (!was)
			log_warn("libvirt '%s': cannot read domain stats: %s; guests are not charged "
				 "and keep their caps until it can (said once)", l->uri, l->why);
		return -EIO;
	}
	l->stale = false;
	if (was)
		log_info("libvirt '%s': domain stats read again", l->uri);
	return 0;
}

static int lv_open(struct sched_backend *b, const struct sched_guest *g,
		   void **ret_h, struct hv_diags *d)
{
	struct lv_backend *l = lb(b);
	virDomainInfo info;

	if (l->stale)
		return -EAGAIN;		/* libvirt not reachable now: said once */
	virDomainPtr dom = virDomainLookupByName(l->conn, g->sel);
	if (!dom) {
		virErrorPtr e = virGetLastError();
		if (e && e->code == VIR_ERR_NO_DOMAIN)
			return -ENOENT;
		hv_errorf(d, "libvirt '%s': cannot look up domain '%s': %s", l->uri, g->sel, lv_err());
		return -EIO;
	}
	if (virDomainGetInfo(dom, &info) < 0 || info.state == VIR_DOMAIN_SHUTOFF ||
	    info.state == VIR_DOMAIN_CRASHED) {
		virDomainFree(dom);
		return -ENOENT;		/* defined, not running */
	}
	int np = 0;
	char *sched = virDomainGetSchedulerType(dom, &np);
	if (!sched) {
		hv_errorf(d, "libvirt '%s': domain '%s': no scheduler parameters: %s", l->uri,
			  g->sel, lv_err());
		virDomainFree(dom);
		return -EIO;
	}
	struct lv_guest *h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(g->sel);
	h->dom = dom;
	h->sched = sched;
	h->nparams = np < 0 ? 0 : np > LV_PARAMS_MAX ? LV_PARAMS_MAX : np;
	h->vcpus = info.nrVirtCpu ? info.nrVirtCpu : 1;
	h->hint = -1;
	h->gen = l->gen;
	if (virDomainGetUUIDString(dom, h->uuid) < 0)
		h->uuid[0] = 0;
	int rc = pick_knob(l, h, d);
	if (rc < 0) {
		lv_close(b, h);
		return rc;
	}
	log_info("%s: cap through %s", g->name, knob_desc[h->knob]);
	*ret_h = h;
	return 0;
}

/* Whether dom is the domain h was opened on, not another one made
 * under its name since (destroyed and defined again between ticks). */
static bool same_domain(const struct lv_guest *h, virDomainPtr dom)
{
	char u[VIR_UUID_STRING_BUFLEN];

	return !h->uuid[0] || virDomainGetUUIDString(dom, u) < 0 || !strcmp(u, h->uuid);
}

static virDomainStatsRecordPtr find_rec(struct lv_backend *l, struct lv_guest *h)
{
	if (h->hint >= 0 && h->hint < l->nstats &&
	    !strcmp(virDomainGetName(l->stats[h->hint]->dom), h->name))
		return l->stats[h->hint];
	for (int i = 0; i < l->nstats; i++)
		if (!strcmp(virDomainGetName(l->stats[i]->dom), h->name)) {
			h->hint = i;
			return l->stats[i];
		}
	return NULL;
}

static int lv_usage(struct sched_backend *b, void *hv, uint64_t *ret_ns, int64_t *ret_at)
{
	struct lv_backend *l = lb(b);
	struct lv_guest *h = hv;
	unsigned long long ns;
	int rc = l->stale ? -EAGAIN : relink(l, h);

	if (rc < 0)
		return rc;
	if (!l->no_allstats) {
		virDomainStatsRecordPtr r = find_rec(l, h);
		if (!r || !same_domain(h, r->dom))
			return -ENOENT;		/* not running, or another of its name */
		if (virTypedParamsGetULLong(r->params, r->nparams, "cpu.time", &ns) == 1) {
			*ret_ns = ns;
			*ret_at = l->fetched_at;
			return 0;
		}
	}
	/* A driver without the stats call (LXC) or without cpu.time in them
	 * (the test driver): the domain's own info, one call per guest. */
	virDomainInfo info;
	if (!l->said_no_cputime) {
		log_info("libvirt '%s': %s: reading each domain's virDomainGetInfo() instead",
			 l->uri, l->no_allstats ? "the driver has no virConnectGetAllDomainStats"
			 : "no cpu.time in the domain stats");
		l->said_no_cputime = true;
	}
	if (virDomainGetInfo(h->dom, &info) < 0)
		return lv_err_code() == VIR_ERR_NO_DOMAIN ? -ENOENT : -EAGAIN;
	if (info.state == VIR_DOMAIN_SHUTOFF || info.state == VIR_DOMAIN_CRASHED)
		return -ENOENT;
	*ret_ns = info.cpuTime;
	*ret_at = clock_ns(CLOCK_REALTIME);
	return 0;
}

static bool is_posix(const struct lv_guest *h)
{
	return !strcmp(h->sched, "posix");
}

static bool is_credit(const struct lv_guest *h)
{
	return !strcmp(h->sched, "credit") || !strcmp(h->sched, "credit2");
}

/* The live scheduler parameters; *n set.  0 or -EIO. */
static int get_params(struct lv_guest *h, virTypedParameter *p, int *n)
{
	*n = h->nparams;
	memset(p, 0, sizeof(*p) * LV_PARAMS_MAX);
	return virDomainGetSchedulerParameters(h->dom, p, n) < 0
		? -EIO : 0;
}



/* Which knob holds h's cap: the one that caps the whole guest at one
 * value, where the domain has one.  0 or -EIO with a message in d. */
static int pick_knob(struct lv_backend *l, struct lv_guest *h, struct hv_diags *d)
{
	virTypedParameter p[LV_PARAMS_MAX];
	long long v;
	int n;

	if (is_credit(h)) {
		h->knob = KNOB_CREDIT;
		return 0;
	}
	if (!is_posix(h)) {
		h->knob = KNOB_NONE;
		return 0;
	}
	if (get_params(h, p, &n) < 0) {
		hv_errorf(d, "libvirt '%s': domain '%s': cannot read its scheduler parameters: %s",
			  l->uri, h->name, lv_err());
		return -EIO;
	}
	h->knob = param_value(p, n, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA, &v) ? KNOB_GLOBAL
		: l->lxc ? KNOB_WHOLE : KNOB_PER_VCPU;
	return 0;
}

/* The value of field `name` as a signed number; false when absent. */
static bool param_value(const virTypedParameter *p, int n, const char *name, long long *v)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].field, name))
			continue;
		switch (p[i].type) {
		case VIR_TYPED_PARAM_INT: *v = p[i].value.i; return true;
		case VIR_TYPED_PARAM_UINT: *v = p[i].value.ui; return true;
		case VIR_TYPED_PARAM_LLONG: *v = p[i].value.l; return true;
		case VIR_TYPED_PARAM_ULLONG:
			*v = p[i].value.ul > (unsigned long long)INT64_MAX ? INT64_MAX
				: (long long)p[i].value.ul;
			return true;
		default: return false;
		}
	}
	return false;
}

static void set_param(virTypedParameter *p, const char *name, int type, long long v)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->field, sizeof(p->field), "%s", name);
	p->type = type;
	if (type == VIR_TYPED_PARAM_UINT)
		p->value.ui = (unsigned)v;
	else if (type == VIR_TYPED_PARAM_LLONG)
		p->value.l = v;
	else
		p->value.ul = (unsigned long long)v;
}

/* What the cap knob must hold for cap_cp: (field, value) pairs in p. */
static int cap_params(const struct lv_guest *h, uint32_t cap_cp, virTypedParameter *p)
{
	if (h->knob == KNOB_GLOBAL || h->knob == KNOB_WHOLE || h->knob == KNOB_PER_VCPU) {
		bool global = h->knob == KNOB_GLOBAL;
		long long q = -1;	/* libvirt: no quota */
		if (cap_cp != SCHED_CAP_NONE) {
			unsigned long long total = (unsigned long long)cap_cp * LV_PERIOD_US / SCHED_CP_PER_CPU;
			q = (long long)(h->knob == KNOB_PER_VCPU ? (total + h->vcpus - 1) / h->vcpus : total);
			if (q < LV_MIN_QUOTA_US)
				q = LV_MIN_QUOTA_US;
		}
		set_param(&p[0], global ? VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD : VIR_DOMAIN_SCHEDULER_VCPU_PERIOD,
			  VIR_TYPED_PARAM_ULLONG, LV_PERIOD_US);
		set_param(&p[1], global ? VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA : VIR_DOMAIN_SCHEDULER_VCPU_QUOTA,
			  VIR_TYPED_PARAM_LLONG, q);
		return 2;
	}
	if (h->knob == KNOB_CREDIT) {
		/* Xen: percent of one pCPU, 0 = none, at most 100 x vCPUs. */
		unsigned cap = cap_cp == SCHED_CAP_NONE ? 0
			: (cap_cp + SCHED_CP_PER_CPU / 100 - 1) / (SCHED_CP_PER_CPU / 100);
		if (cap >= 100 * h->vcpus)
			cap = 0;
		set_param(&p[0], VIR_DOMAIN_SCHEDULER_CAP, VIR_TYPED_PARAM_UINT, cap);
		return 1;
	}
	return -EOPNOTSUPP;
}

static int weight_param(const struct lv_guest *h, unsigned weight, virTypedParameter *p)
{
	if (is_posix(h))
		set_param(p, VIR_DOMAIN_SCHEDULER_CPU_SHARES, VIR_TYPED_PARAM_ULLONG,
			  (long long)sched_cgroup_weight_value(false, weight));
	else
		/* credit, credit2 and the test driver's "fair": a weight. */
		set_param(p, VIR_DOMAIN_SCHEDULER_WEIGHT, VIR_TYPED_PARAM_UINT, weight);
	return 1;
}

static long long want_value(const virTypedParameter *p)
{
	return p->type == VIR_TYPED_PARAM_UINT ? (long long)p->value.ui
		: p->type == VIR_TYPED_PARAM_LLONG ? p->value.l : (long long)p->value.ul;
}

/* Whether the live parameters hold p[0..n): 0, 1 (what differs in found)
 * or -EIO.  A negative vcpu_quota and the kernel's "no quota" (libvirt
 * reads it as 17592186044415 or -1) are the same. */
static int holds(struct lv_guest *h, const virTypedParameter *want, int n, char *found, size_t sz)
{
	virTypedParameter p[LV_PARAMS_MAX];
	int np;

	if (get_params(h, p, &np) < 0)
		return -EIO;
	for (int i = 0; i < n; i++) {
		long long w = want_value(&want[i]), v;
		if (!param_value(p, np, want[i].field, &v)) {
			snprintf(found, sz, "domain %s: libvirt gives no %s", h->name, want[i].field);
			return 1;
		}
		if ((!strcmp(want[i].field, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA) ||
		     !strcmp(want[i].field, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA)) && w < 0 &&
		    (v < 0 || v >= 17592186044415ll))
			continue;
		if (v != w) {
			snprintf(found, sz, "domain %s: %s reads %lld (we wrote %lld)", h->name,
				 want[i].field, v, w);
			return 1;
		}
	}
	return 0;
}

static int set_params(struct lv_guest *h, virTypedParameter *p, int n, struct hv_diags *d)
{
	char found[256];

	if (virDomainSetSchedulerParameters(h->dom, p, n) < 0) {
		if (d)
			hv_errorf(d, "domain %s: cannot set %s: %s", h->name, p[n - 1].field, lv_err());
		return -EIO;
	}
	int k = holds(h, p, n, found, sizeof(found));
	if (k != 0) {
		if (d && k > 0)
			hv_errorf(d, "%s: it did not take", found);
		else if (d)
			hv_errorf(d, "domain %s: cannot read back %s: %s", h->name, p[n - 1].field, lv_err());
		return -EIO;
	}
	return 0;
}

static int lv_set_cap(struct sched_backend *b, void *hv, uint32_t cap_cp)
{
	struct lv_guest *h = hv;
	virTypedParameter p[2];
	int n = cap_params(h, cap_cp, p);

	(void)b;
	return n < 0 ? n : set_params(h, p, n, NULL);
}

static int lv_set_weight(struct sched_backend *b, void *hv, unsigned weight, struct hv_diags *d)
{
	struct lv_guest *h = hv;
	virTypedParameter p[1];

	(void)b;
	return set_params(h, p, weight_param(h, weight, p), d);
}

static int lv_check(struct sched_backend *b, void *hv, uint32_t cap_cp, unsigned weight,
		    char *found, size_t sz)
{
	struct lv_guest *h = hv;
	virTypedParameter p[3];
	int n = cap_params(h, cap_cp, p);
	size_t len;

	(void)b;
	if (n < 0)
		n = 0;
	if (weight)
		n += weight_param(h, weight, &p[n]);
	if (!n)
		return 0;
	int k = holds(h, p, n, found, sz);
	if (k == 1 && (len = strlen(found)) < sz)
		snprintf(found + len, sz - len, "; by libvirt's <cputune> or virsh schedinfo?");
	return k;
}

static void lv_close(struct sched_backend *b, void *hv)
{
	struct lv_guest *h = hv;

	(void)b;
	if (!h)
		return;
	if (h->dom)
		virDomainFree(h->dom);
	free(h->sched);
	free(h->name);
	free(h);
}

static void lv_free(struct sched_backend *b)
{
	struct lv_backend *l = lb(b);

	if (!l)
		return;
	if (l->stats)
		virDomainStatsRecordListFree(l->stats);
	if (l->opening)
		opener_put(l->opening);
	if (l->conn)
		virConnectClose(l->conn);
	free(l->uri);
	free(l->uri_arg);
	free(l);
}

static const struct sched_backend_ops lv_ops = {
	.name = "libvirt",
	.refresh = lv_refresh,
	.open = lv_open,
	.usage = lv_usage,
	.set_cap = lv_set_cap,
	.set_weight = lv_set_weight,
	.check = lv_check,
	.close = lv_close,
	.free = lv_free,
};

int sched_backend_libvirt_new(const char *uri, struct sched_backend **ret, struct hv_diags *d)
{
	int rc = lazy_lib_load(&lazy_libvirt, d);	/* the one wording, lazy.c */

	if (rc < 0)
		return rc;
	virSetErrorFunc(NULL, quiet);
	/* libvirt's RPC client writes to libvirtd's socket without
	 * MSG_NOSIGNAL: a libvirtd that restarts killed the daemon by
	 * SIGPIPE, silently.  Ignored: the call fails, the tick says so and
	 * the next one connects again (reconnect). */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ign, NULL);
	struct lv_backend *l = xcalloc(1, sizeof(*l));
	l->b.ops = &lv_ops;
	l->uri = xstrdup(uri ? uri : "(default)");
	l->uri_arg = uri ? xstrdup(uri) : NULL;
	l->gen = 1;
	/* Before the connection: keepalive needs the event loop. */
	(void)event_loop_start();
	struct lv_opener *o = opener_start(uri);
	if (!opener_wait(o, LV_OPEN_S * 1000L)) {
		hv_errorf(d, "--backend libvirt: cannot connect to '%s': no answer in %d s "
			  "(libvirtd stopped or hung?)", l->uri, LV_OPEN_S);
		opener_put(o);		/* the thread frees it when libvirt returns */
		lv_free(&l->b);
		return -ETIMEDOUT;
	}
	char err[512];
	l->conn = opener_take(o, err, sizeof(err));
	opener_put(o);
	if (!l->conn) {
		hv_errorf(d, "--backend libvirt: cannot connect to '%s': %s", l->uri, err);
		lv_free(&l->b);
		return -ECONNREFUSED;
	}
	keepalive(l->conn);
	const char *type = virConnectGetType(l->conn);
	_cleanup_free_ char *driver = xstrdup(type ? type : "?");
	if (fetch(l) < 0) {
		lv_errcpy(err, sizeof(err));
		hv_errorf(d, "--backend libvirt: '%s' (driver %s) gives no domain stats: %s", l->uri,
			  driver, err);
		lv_free(&l->b);
		return -EIO;
	}
	l->lxc = !strcmp(driver, "LXC");
	*ret = &l->b;
	return 0;
}
