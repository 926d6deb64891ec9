/* SPDX-License-Identifier: MIT */
/* The pool on etcd (pool.h): what each tick reads and writes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "util.h"

#define NS 1000000000LL

/* PREFIX + kind + "/" + id with bytes outside [A-Za-z0-9._-] as %XX. */
static char *key_of(const struct sched_pool *p, const char *prefix, const char *kind,
		    const char *id)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s%s/", p ? etcd_prefix(p->e) : prefix, kind);
	for (const unsigned char *s = (const unsigned char *)id; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-')
			strbuf_addc(&sb, (char)*s);
		else
			strbuf_addf(&sb, "%%%02X", *s);
	}
	return strbuf_detach(&sb, NULL);
}

static int kv_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : alen < blen ? -1 : alen > blen;
}

static int kv_order(const void *a, const void *b)
{
	const struct etcd_kv *x = a, *y = b;

	return kv_cmp(x->key, x->keylen, y->key, y->keylen);
}

/* In key order, as etcd sends them and as find_kv needs them: a reply is
 * untrusted, so sorted here (nearly free when it already is). */
static void sort_kvs(struct etcd_reply *r)
{
	for (size_t i = 1; i < r->n; i++)
		if (kv_order(&r->kvs[i - 1], &r->kvs[i]) > 0) {
			qsort(r->kvs, r->n, sizeof(*r->kvs), kv_order);
			return;
		}
}

/* A key of a sorted reply (sort_kvs); one of them when given twice. */
static const struct etcd_kv *find_kv(const struct etcd_reply *r, const char *key)
{
	size_t lo = 0, hi = r->n, len = strlen(key);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = kv_cmp(r->kvs[mid].key, r->kvs[mid].keylen, key, len);
		if (!c)
			return &r->kvs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A printable copy of a value read from etcd, for messages. */
static char *printable(const char *s, size_t len)
{
	char *o = xstrndup(s, len > 64 ? 64 : len);
	for (char *q = o; *q; q++)
		if ((unsigned char)*q < ' ' || (unsigned char)*q >= 0x7f)
			*q = '.';
	return o;
}

/* Charge of absolute bucket j (0 outside the window ending at head). */
static uint64_t slot(const struct sched_acct *a, int64_t j)
{
	if (!a->nbuckets || !a->ring || j > a->head || j <= a->head - (int64_t)a->nbuckets)
		return 0;
	return a->ring[(uint64_t)j % a->nbuckets];
}

/* Charge of bucket j in the base of copy (struct sched_pool_base). */
static uint64_t base_slot(const struct sched_pool_base *b, const struct sched_acct *copy, int64_t j)
{
	if (!b->v)
		return 0;
	if (j < b->lo)
		return slot(copy, j);
	return j - b->lo < (int64_t)b->n ? b->v[j - b->lo] : 0;
}

/* What the copy holds in bucket j beyond its base: charged here, not yet
 * in etcd. */
static uint64_t unsent(const struct sched_acct *copy, const struct sched_pool_base *b, int64_t j)
{
	uint64_t c = slot(copy, j), x = base_slot(b, copy, j);

	return c > x ? c - x : 0;
}

/* The oldest bucket of the copy's window where it may hold more than its
 * base. */
static int64_t first_unsent(const struct sched_acct *copy, const struct sched_pool_base *b)
{
	int64_t oldest = copy->head - (int64_t)copy->nbuckets + 1;

	return b->v && b->lo > oldest ? b->lo : oldest;
}

/*
 * base := src (fitted to the copy's policy), kept as little as the copy
 * allows: from the oldest bucket where the copy holds more than src, or
 * where a charge can still be made (the bucket of its last sample, and
 * its head), up to the newest bucket of either.  same: src is the copy
 * itself (a write etcd did), which needs no comparing.  O(the buckets
 * kept), and O(a window) when !same.
 */
static void base_set(struct sched_pool_base *b, const struct sched_acct *copy,
		     const struct sched_acct *src, bool same)
{
	uint32_t nb = copy->nbuckets;

	if (!nb) {
		b->n = 0;	/* nothing to keep; known (all zero) */
		b->lo = 0;
		if (!b->v)
			b->v = xcalloc(1, sizeof(*b->v));
		return;
	}
	int64_t hi = copy->head > src->head ? copy->head : src->head;
	int64_t lo = copy->head;
	if (copy->started) {
		int64_t last = sched_floordiv(copy->last_ns, (int64_t)copy->bucket_s * NS);
		lo = last < lo ? last : lo;
	} else {
		/* Its first sample sets the head where it is read, maybe
		 * before this one (engine.c): all of it (rare: a record
		 * never sampled). */
		lo = INT64_MIN;
	}
	for (int64_t j = hi - (int64_t)nb + 1; !same && copy->started && j < lo; j++)
		if (slot(copy, j) > slot(src, j)) {
			lo = j;
			break;
		}
	if (lo < hi - (int64_t)nb + 1)
		lo = hi - (int64_t)nb + 1;	/* older ones have left every window */
	uint32_t n = (uint32_t)(hi - lo + 1);
	if (n > b->alloc || (b->alloc > 64 && n < b->alloc / 4)) {
		/* Grown by an outage, given back once it is handed in. */
		free(b->v);
		b->alloc = n > 4 ? n : 4;
		b->v = xmalloc(b->alloc * sizeof(*b->v));
	}
	b->lo = lo;
	b->n = n;
	for (uint32_t k = 0; k < n; k++)
		b->v[k] = slot(src, lo + (int64_t)k);
}

/* Whether the copy holds charges the base does not. */
static bool pending(const struct sched_acct *copy, const struct sched_pool_base *base)
{
	for (int64_t j = first_unsent(copy, base); j <= copy->head && copy->nbuckets; j++)
		if (unsent(copy, base, j))
			return true;
	return false;
}

uint64_t sched_pool_unsent_ns(const struct sched_acct *copy, const struct sched_pool_guest *pg)
{
	uint64_t sum = 0;

	for (int64_t j = first_unsent(copy, &pg->base); j <= copy->head && copy->nbuckets; j++)
		sum += unsent(copy, &pg->base, j);
	return sum;
}

/* copy := remote + max(0, copy - base), bucket by bucket (all three fitted
 * to the same policy). */
static void merge(struct sched_acct *copy, const struct sched_acct *remote,
		  const struct sched_pool_base *base)
{
	uint32_t n = copy->nbuckets;
	int64_t h = copy->head > remote->head ? copy->head : remote->head;

	if (!n)
		return;
	uint64_t *ring = xcalloc(n, sizeof(*ring));
	uint64_t sum = 0;
	for (int64_t j = h - (int64_t)n + 1; j <= h; j++) {
		uint64_t v = slot(remote, j) + unsent(copy, base, j);
		ring[(uint64_t)j % n] = v;
		sum += v;
	}
	free(copy->ring);
	copy->ring = ring;
	copy->sum_ns = sum;
	copy->head = h;
}

void sched_pool_guest_refit(struct sched_pool_guest *pg, struct sched_acct *copy,
			    const struct sched_guest *g)
{
	struct sched_acct full = *copy;

	if (!pg->base.v) {
		sched_acct_rebase(copy, g);
		return;
	}
	/* The whole base, refitted beside the copy, then kept short again. */
	full.ring = copy->nbuckets ? xcalloc(copy->nbuckets, sizeof(*full.ring)) : NULL;
	for (int64_t j = copy->head - (int64_t)copy->nbuckets + 1; j <= copy->head && full.ring; j++)
		full.ring[(uint64_t)j % copy->nbuckets] = base_slot(&pg->base, copy, j);
	sched_acct_rebase(&full, g);
	sched_acct_rebase(copy, g);
	base_set(&pg->base, copy, &full, false);
	sched_acct_release(&full);
}

/* Whether an owner key has a live daemon behind it: a live daemon's
 * owner keys and its host key share its lease (pool.h).  A key without a
 * lease (a snapshot restore, a hand-made put) or whose host has no key
 * under that lease holds the guest for nobody. */
static bool owner_live(const struct etcd_reply *snap, const char *prefix, const struct etcd_kv *own)
{
	if (!own->lease || memchr(own->value, 0, own->vlen))
		return false;
	_cleanup_free_ char *hkey = key_of(NULL, prefix, "host", own->value);
	const struct etcd_kv *h = find_kv(snap, hkey);
	return h && h->lease == own->lease;
}

void sched_pool_guest_release(struct sched_pool_guest *pg)
{
	free(pg->base.v);
	free(pg->owner_host);
	memset(pg, 0, sizeof(*pg));
}

static int take_host_key(struct sched_pool *p, char **ret_holder, struct hv_diags *d)
{
	_cleanup_free_ char *key = key_of(p, NULL, "host", p->host);
	_cleanup_free_ char *val = xasprintf("pid %ld", (long)getpid());
	int64_t until = clock_ns(CLOCK_MONOTONIC) + (p->ttl_s + 2) * NS;
	int said = 0;
	int rc;

	for (;;) {
		struct etcd_txn t = ETCD_TXN_INIT;
		struct etcd_reply r = { 0 };
		bool ok = false;
		int64_t rev;
		etcd_txn_cmp_absent(&t, key);
		etcd_txn_put(&t, key, val, strlen(val), p->lease);
		rc = etcd_txn_commit(p->e, &t, &ok, &rev, d);
		etcd_txn_release(&t);
		if (rc < 0 || ok)
			return rc;
		if ((rc = etcd_range_prefix(p->e, key, &r, d)) < 0)
			return rc;
		free(*ret_holder);
		*ret_holder = r.n ? printable(r.kvs[0].value, r.kvs[0].vlen) : NULL;
		int64_t hold = r.n ? r.kvs[0].lease : 0, left = 0;
		etcd_reply_release(&r);
		/* A dead daemon's lease lapses within its own TTL, which an
		 * etcd restart renews: its time left (once: a live holder's
		 * is renewed for ever), an hour at most, and 2 s more. */
		struct hv_diags td = HV_DIAGS_INIT;
		if (*ret_holder && !said && p->ttl_s && hold &&
		    etcd_lease_ttl(p->e, hold, &left, &td) == 0) {
			left = left < 3600 ? left : 3600;
			int64_t u = clock_ns(CLOCK_MONOTONIC) + (left + 2) * NS;
			until = u > until ? u : until;
		}
		hv_diags_release(&td);	/* not answered: the fixed wait stands */
		if (clock_ns(CLOCK_MONOTONIC) > until)
			return -EBUSY;
		if (*ret_holder && !said++)
			log_info("pool '%s': host '%s' is held by %s; waiting up to %.0f s for its "
				 "lease", p->url, p->host, *ret_holder,
				 (double)(until - clock_ns(CLOCK_MONOTONIC)) / 1e9);
		sleep(1);
		/* Ours must outlive the wait (it may be longer than our TTL). */
		int64_t ttl = 0;
		if (p->ttl_s && (rc = etcd_lease_keepalive(p->e, p->lease, &ttl, d)) < 0)
			return rc;
		if (p->ttl_s && !ttl && (rc = etcd_lease_grant(p->e, p->ttl_s, &p->lease, d)) < 0)
			return rc;
	}
}

int sched_pool_open(struct sched_pool *p, const char *url, const struct etcd_opts *o,
		    const char *host, int64_t ttl_s, char **ret_holder, struct hv_diags *d)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->buf = (struct strbuf)STRBUF_INIT;
	p->batch = (struct etcd_txn)ETCD_TXN_INIT;
	if ((rc = etcd_new(url, o, &p->e, d)) < 0)
		return rc;
	p->url = xstrdup(url);
	p->host = xstrdup(host);
	p->ttl_s = ttl_s;
	p->pid = (long)getpid();
	p->max_ops = ETCD_DEFAULT_MAX_TXN_OPS;
	p->max_bytes = ETCD_DEFAULT_MAX_REQUEST_BYTES;
	*ret_holder = NULL;
	rc = etcd_lease_grant(p->e, ttl_s, &p->lease, d);
	if (rc == -ETIMEDOUT || rc == -ECONNREFUSED) {
		/* Not answering yet (a booting or loaded host, a cut): run, every
		 * guest held at its floor, and take the lease and this host's
		 * key when it answers (sched_pool_begin).  Exiting would leave
		 * each guest at whatever cap it had, a burst included. */
		log_warn("pool '%s': %s; every guest held at its floor until etcd answers",
			 url, d->n ? d->v[d->n - 1].msg : "etcd does not answer");
		hv_diags_release(d);
		p->lease = 0;
		p->down_since = clock_ns(CLOCK_MONOTONIC);
		p->down_said = true;
		return 0;
	}
	if (rc < 0)
		return rc;
	return take_host_key(p, ret_holder, d);
}

/* A new lease and this host's key, without waiting (inside a tick).
 * Another live daemon of this host holding the key is said, not fatal. */
static int retake(struct sched_pool *p, struct hv_diags *d)
{
	int rc = etcd_lease_grant(p->e, p->ttl_s, &p->lease, d);

	if (rc == 0) {
		char *holder = NULL;
		int64_t keep = p->ttl_s;
		p->ttl_s = 0;	/* no waiting inside a tick */
		rc = take_host_key(p, &holder, d);
		p->ttl_s = keep;
		if (rc == -EBUSY) {
			log_error("pool '%s': host '%s' now held by %s", p->url, p->host,
				  holder ? holder : "another daemon");
			rc = 0;
		}
		free(holder);
	}
	return rc;
}

/* Empties the queue; the memory stays for the next tick's. */
static void drop_writes(struct sched_pool *p)
{
	p->nw = 0;
}

void sched_pool_close(struct sched_pool *p)
{
	struct hv_diags d = HV_DIAGS_INIT;

	if (p->e && p->lease) {
		etcd_set_deadline(p->e, clock_ns(CLOCK_MONOTONIC) + 2 * NS);
		if (etcd_lease_revoke(p->e, p->lease, &d) < 0)
			(void)log_diags("pool", &d);
	}
	hv_diags_release(&d);
	for (size_t i = 0; i < p->wmade; i++)
		etcd_txn_release(&p->w[i].t);
	free(p->w);
	etcd_txn_release(&p->batch);
	etcd_reply_release(&p->snap);
	etcd_free(p->e);
	free(p->url);
	free(p->host);
	strbuf_release(&p->buf);
	memset(p, 0, sizeof(*p));
}

/* A blip shorter than this (a leader election) is not worth a line: the
 * tick runs from the local copies all the same. */
#define DOWN_SAY_NS (3 * NS)

static void went_down(struct sched_pool *p, struct hv_diags *d)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!p->down_since)
		p->down_since = now;
	if (!p->down_said && now - p->down_since >= DOWN_SAY_NS) {
		(void)log_diags(p->url, d);
		log_warn("pool '%s': etcd unreachable for %.1f s; enforcing from this host's copy "
			 "(owned guests keep their budget, others stay at their floor)", p->url,
			 (double)(now - p->down_since) / 1e9);
		p->down_said = true;
	}
	p->up = false;
}

static void came_back(struct sched_pool *p)
{
	if (p->down_said)
		log_info("pool '%s': etcd back after %.1f s (via %s); merging", p->url,
			 (double)(clock_ns(CLOCK_MONOTONIC) - p->down_since) / 1e9, etcd_endpoint(p->e));
	p->down_since = 0;
	p->down_said = false;
}

bool sched_pool_begin(struct sched_pool *p, int64_t deadline)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int64_t ttl = 0;
	int rc;

	etcd_reply_release(&p->snap);
	drop_writes(p);
	p->ticks++;
	p->deadline = deadline;
	etcd_set_deadline(p->e, deadline);
	if (!p->lease) {
		rc = retake(p, &d);	/* none yet: etcd did not answer at start */
	} else {
		rc = etcd_lease_keepalive(p->e, p->lease, &ttl, &d);
		if (rc == 0 && ttl == 0) {
			/* Lapsed (we were cut off longer than its TTL): the owner
			 * keys went with it; a new lease, and guests are taken
			 * over again. */
			log_warn("pool '%s': our lease lapsed; taking a new one", p->url);
			rc = retake(p, &d);
		}
	}
	if (rc == 0)
		rc = etcd_range_prefix(p->e, etcd_prefix(p->e), &p->snap, &d);
	if (rc == 0) {
		sort_kvs(&p->snap);
		/* An election (etcd restarted, maybe with other limits):
		 * refused writes are tried again. */
		if (p->snap.raft_term != p->term) {
			if (p->term && log_verbosity > 0)
				log_info("pool '%s': etcd's raft term %" PRId64 " (was %" PRId64 "): an "
					 "election", p->url, p->snap.raft_term, p->term);
			p->epoch++;
		}
		p->term = p->snap.raft_term;
	}
	if (rc < 0) {
		went_down(p, &d);
	} else {
		/* Reads alone do not make it back while the writes fail. */
		if (!p->writes_failed)
			came_back(p);
		p->up = true;
	}
	hv_diags_release(&d);
	return p->up;
}

/* Parses a record (untrusted) into *ret fitted to g; false when damaged,
 * with the reason in why. */
static bool parse_record(const struct etcd_kv *kv, const struct sched_guest *g,
			 struct sched_state *ret, char *why, size_t whysz)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct sched_state st;

	if (sched_state_parse(kv->value, kv->vlen, &st, &d) < 0) {
		snprintf(why, whysz, "%s", d.n ? d.v[0].msg : "damaged");
		hv_diags_release(&d);
		return false;
	}
	hv_diags_release(&d);
	if (st.n != 1 || strcmp(st.v[0].name, g->name)) {
		if (st.n != 1)
			snprintf(why, whysz, "holds %zu guests' records, not one of guest '%s'",
				 st.n, g->name);
		else
			snprintf(why, whysz, "holds guest '%s''s record, not guest '%s''s",
				 st.v[0].name, g->name);
		sched_state_release(&st);
		return false;
	}
	sched_acct_rebase(&st.v[0].acct, g);
	*ret = st;
	return true;
}

/* A lapse with the record still ours (revision rev): the next counter
 * read continues from our last one (pg->cont), taken over again in the
 * write fenced on that revision. */
static void resume(const struct sched_guest *g, struct sched_pool_guest *pg, int64_t rev)
{
	pg->cont = true;
	log_info("%s: our lease lapsed with record revision %" PRId64 " still ours (no other "
		 "host wrote it): what it used since our last read is charged here", g->name, rev);
}

void sched_pool_pull(struct sched_pool *p, const struct sched_guest *g,
		     struct sched_state_guest *sg, struct sched_pool_guest *pg, bool here)
{
	if (!p->up)
		return;
	_cleanup_free_ char *akey = key_of(p, NULL, "acct", g->name);
	_cleanup_free_ char *okey = key_of(p, NULL, "owner", g->name);
	const struct etcd_kv *rec = find_kv(&p->snap, akey);
	const struct etcd_kv *own = find_kv(&p->snap, okey);

	bool was = pg->owner;
	pg->owner = own && p->lease && own->lease == p->lease;
	/* Our owner key went with our lease (a lapse: this daemon stopped
	 * or cut off past its TTL) and nobody took the guest meanwhile: the
	 * record is still the one we wrote last (its revision, or our host
	 * and pid in it), so nothing since our last counter read was
	 * charged anywhere: charged here at the retake (hvkit-sched(1)). */
	bool lapsed = here && was && !own;
	free(pg->owner_host);
	pg->owner_host = own ? printable(own->value, own->vlen) : NULL;
	if (was && !pg->owner)
		log_warn("%s: no longer charged here: %s; held at its floor", g->name,
			 own ? "the pool's owner key now names another lease" : "the pool's owner key is gone");
	pg->stale_rev = 0;
	if (own && !pg->owner && !owner_live(&p->snap, etcd_prefix(p->e), own)) {
		/* A leftover key: lapsed once it has been so for a lease's
		 * TTL (a live owner's keys never look like this). */
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		if (!pg->stale_since)
			pg->stale_since = now;
		if (now - pg->stale_since >= p->ttl_s * NS) {
			if (!pg->stale_said)
				log_warn("%s: owner key '%s' (host '%s') has %s; taken as lapsed",
					 g->name, okey, pg->owner_host,
					 own->lease ? "no live daemon behind it" : "no lease");
			pg->stale_said = true;
			pg->stale_rev = own->mod_rev;
			free(pg->owner_host);
			pg->owner_host = NULL;
		}
	} else {
		pg->stale_since = 0;
		pg->stale_said = false;
	}
	free(sg->host);
	sg->host = pg->owner_host ? xstrdup(pg->owner_host) : NULL;
	if (!rec) {
		if (pg->base_rev) {
			/* Deleted behind our back (by hand, a cleanup): the copy
			 * holds every charge it held, written back (fenced on
			 * absence) by the owner, or by whoever charged it since.
			 * The base stays: what was already in it is not ours to
			 * hand in twice. */
			log_warn("%s: pool record '%s' (revision %" PRId64 ") is gone from etcd; %s",
				 g->name, akey, pg->base_rev,
				 pg->owner ? "writing this host's copy back"
				 : "this host's copy stands for it");
			pg->base_rev = 0;
			pg->lost = true;
		} else if (own && !pg->seen && !pg->owner) {
			/* An owner key says the guest was charged: no record is
			 * not a fresh budget (a takeover or a restart would be a
			 * refund). */
			log_warn("%s: pool record '%s' is missing although owner key '%s' names "
				 "host '%s'; charging a full window", g->name, akey, okey,
				 pg->owner_host ? pg->owner_host : "?");
			sched_acct_spend_all(&sg->acct, clock_ns(CLOCK_REALTIME));
			sg->acct.started = false;
			pg->lost = true;
		}
		pg->seen = true;
		return;
	}
	pg->lost = false;
	if (rec->mod_rev == pg->base_rev) {
		if (lapsed)
			resume(g, pg, rec->mod_rev);
		return;
	}
	struct sched_state st;
	char why[256];
	if (!parse_record(rec, g, &st, why, sizeof(why))) {
		/* Damage never refunds: the remote side counts as spent. */
		log_warn("%s: pool record '%s' (revision %" PRId64 "): %s; "
			 "charging a full window", g->name, akey, rec->mod_rev, why);
		memset(&st, 0, sizeof(st));
		struct sched_state_guest *x = sched_state_add(&st, g->name, "-");
		sched_acct_init(&x->acct, g);
		sched_acct_spend_all(&x->acct, clock_ns(CLOCK_REALTIME));
		x->acct.started = false;
	}
	const struct sched_acct *r = &st.v[0].acct;
	bool mine = st.config && !strcmp(st.config, p->host);
	bool cont = mine && st.v[0].present;	/* our own counter, still valid */
	/* Written by this very daemon (a write whose answer was lost): our
	 * copy as it was then, with nothing of another host's since
	 * (pool.h), so the base; else its charges would count twice. */
	if (mine && st.pid == p->pid) {
		base_set(&pg->base, &sg->acct, r, false);
		if (lapsed)
			resume(g, pg, rec->mod_rev);
	}
	/* Every charge etcd holds, plus what was charged here and not yet
	 * handed in. */
	merge(&sg->acct, r, &pg->base);
	if ((!here || !pg->seen) && r->started) {
		/* Not running here (or a first look): the record is the
		 * guest's state. */
		sg->acct.started = true;
		sg->acct.last_ns = r->last_ns;
		sg->acct.last_counter_ns = r->last_counter_ns;
		/* Another host's counter means nothing here: the first one
		 * read here is a baseline (daemon.c), unless it is ours. */
		pg->cont = here && !pg->seen && cont;
		sg->acct.cap_cp = r->cap_cp;
		sg->acct.rate_cp = r->rate_cp;
		sg->acct.throttled = r->throttled;
		sg->acct.throttled_ns = r->throttled_ns;
		if (!here)
			sg->present = cont;
	}
	base_set(&pg->base, &sg->acct, r, false);
	pg->base_rev = rec->mod_rev;
	pg->seen = true;
	sched_state_release(&st);
}

static void format_record(struct sched_pool *p, const struct sched_guest *g,
			  const struct sched_state_guest *sg, bool here, int64_t now)
{
	struct sched_state st = { .saved_ns = now, .pid = p->pid, .tick_ns = p->tick_ns };
	struct sched_state_guest *x = sched_state_add(&st, g->name, sg->selector);

	st.config = xstrdup(p->host);
	x->present = here;
	x->weight = sg->weight;
	x->unreadable = here ? sg->unreadable : 0;
	x->acct = sg->acct;	/* lent for the formatting */
	strbuf_reset(&p->buf);
	sched_state_format(&st, &p->buf);
	x->acct.ring = NULL;
	sched_state_release(&st);
}

enum pool_write { WRITE, TAKE, RELEASE, HAND_IN };

/* etcd refused g's write for a reason of its own (why): held back for
 * 1, 2, 4 ... 64 ticks (pool.h), said once until a write goes through. */
static void refused(struct sched_pool *p, const struct sched_guest *g,
		    struct sched_pool_guest *pg, const char *why)
{
	unsigned shift = pg->refused < 6 ? pg->refused : 6;
	int64_t hold = (int64_t)1 << shift;

	pg->refused++;
	pg->refused_epoch = p->epoch;
	pg->retry_tick = p->ticks + hold;
	if (pg->refused_said)
		return;
	log_warn("%s: etcd refuses its record (%s): not shared with the pool, its charges kept "
		 "here; tried again after 1, 2, 4 ... up to 64 ticks (said once)", g->name, why);
	pg->refused_said = true;
}

void sched_pool_push(struct sched_pool *p, const struct sched_guest *g,
		     struct sched_state_guest *sg, struct sched_pool_guest *pg, bool here,
		     int64_t now)
{
	enum pool_write what;

	if (!p->up || !pg->seen)
		return;
	if (here && pg->owner)
		what = WRITE;
	else if (here && !pg->owner_host)
		what = TAKE;
	else if (!here && pg->owner)
		what = RELEASE;
	else if (!here && sg->acct.started &&
		 ((!pg->base_rev && !pg->lost) || pending(&sg->acct, &pg->base)))
		what = HAND_IN;
	else
		return;
	if (what == HAND_IN && !pg->base_rev && !sg->acct.sum_ns)
		return;		/* nothing charged here, nothing to say */
	if (pg->cmp_failed) {
		/* Lost its compare last time: a race when something moved
		 * since (another write, an owner key), else etcd's own. */
		pg->cmp_failed = false;
		if ((int)what == pg->cmp_what && pg->base_rev == pg->cmp_rev && pg->stale_rev == pg->cmp_stale)
			refused(p, g, pg, "its compare fails again with nothing changed");
	}
	if (pg->refused && pg->refused_epoch != p->epoch)
		pg->retry_tick = 0;	/* etcd came back: perhaps another one */
	if (pg->retry_tick > p->ticks)
		return;		/* held back (refused) */
	_cleanup_free_ char *akey = key_of(p, NULL, "acct", g->name);
	_cleanup_free_ char *okey = key_of(p, NULL, "owner", g->name);
	p->w = xgrow(p->w, sizeof(*p->w), p->nw + 1, &p->walloc);
	struct sched_pool_write *w = &p->w[p->nw];
	if (p->nw++ < p->wmade) {
		etcd_txn_reset(&w->t);
	} else {
		w->t = (struct etcd_txn)ETCD_TXN_INIT;
		p->wmade++;
	}
	w->g = g;
	w->sg = sg;
	w->pg = pg;
	w->what = what;
	format_record(p, g, sg, here && what != RELEASE, now);
	etcd_txn_cmp_mod(&w->t, akey, pg->base_rev);
	if (what == WRITE || what == RELEASE)
		etcd_txn_cmp_lease(&w->t, okey, p->lease);
	if (what == TAKE) {
		if (pg->stale_rev)
			etcd_txn_cmp_mod(&w->t, okey, pg->stale_rev);
		else
			etcd_txn_cmp_absent(&w->t, okey);
		etcd_txn_put(&w->t, okey, p->host, strlen(p->host), p->lease);
	}
	etcd_txn_put(&w->t, akey, p->buf.buf, p->buf.len, 0);
	if (what == RELEASE)
		etcd_txn_del(&w->t, okey);
}

/* A queued write etcd did (at revision rev). */
static void written(struct sched_pool *p, struct sched_pool_write *w, int64_t rev)
{
	struct sched_pool_guest *pg = w->pg;

	base_set(&pg->base, &w->sg->acct, &w->sg->acct, true);
	pg->base_rev = rev;
	if (pg->refused_said)
		log_info("%s: etcd takes its record again, after %u refusal%s", w->g->name,
			 pg->refused, pg->refused == 1 ? "" : "s");
	pg->refused = 0;
	pg->refused_said = false;
	pg->retry_tick = 0;
	if (w->what == TAKE) {
		int64_t left = sched_acct_left(&w->sg->acct);
		pg->owner = true;
		pg->stale_since = 0;
		pg->stale_said = false;
		log_info("%s: charged here now (pool '%s'), budget left %.3f s%s", w->g->name,
			 p->url, (double)(left > 0 ? left : 0) / 1e9, left > 0 ? "" : " (spent)");
	} else if (w->what == RELEASE) {
		pg->owner = false;
		log_info("%s: gone from here; released to the pool", w->g->name);
	}
}

void sched_pool_end(struct sched_pool *p, int64_t min_deadline)
{
	bool *each = NULL, failed = false, began = p->up;

	if (p->up && p->nw)
		etcd_set_deadline(p->e, p->deadline > min_deadline ? p->deadline : min_deadline);
	for (size_t i = 0; p->up && i < p->nw;) {
		struct etcd_txn *t = &p->batch;
		struct hv_diags d = HV_DIAGS_INIT;
		size_t j = i;
		int64_t rev = 0;

		etcd_txn_reset(t);
		/* As many as fit (one at least). */
		for (; j < p->nw; j++) {
			const struct etcd_txn *x = &p->w[j].t;
			size_t xo = etcd_txn_ops(x);
			size_t ops = t->nok + 1 + (xo > t->nested_ops ? xo : t->nested_ops);
			/* 64: the nesting's own bytes, and the body's */
			if (j > i && (ops > p->max_ops ||
				      etcd_txn_bytes(t) + etcd_txn_bytes(x) + 64 > p->max_bytes))
				break;
			etcd_txn_nest(t, x);
		}
		each = xrealloc(each, (j - i) * sizeof(*each));
		int rc = etcd_txn_commit_nested(p->e, t, j - i, each, &rev, &d);
		size_t ops = etcd_txn_ops(t), bytes = etcd_txn_bytes(t);
		if (rc == -E2BIG && j - i > 1) {
			/* Lower limits than etcd's defaults: fewer at a time. */
			p->max_ops = ops / 2;
			p->max_bytes = bytes / 2;
			log_info("pool '%s': etcd refuses %zu guests' writes in one request (%zu "
				 "operations, %zu bytes) as too large; sending fewer at a time", p->url,
				 j - i, ops, bytes);
			hv_diags_release(&d);
			continue;
		}
		if (rc == -E2BIG) {
			/* This one record alone: etcd's --max-request-bytes is
			 * below it.  The others go on. */
			char why[160];
			snprintf(why, sizeof(why), "%zu bytes, too large: raise etcd's "
				 "--max-request-bytes", bytes);
			refused(p, p->w[i].g, p->w[i].pg, why);
			hv_diags_release(&d);
			i = j;
			continue;
		}
		if (rc < 0) {
			went_down(p, &d);
			hv_diags_release(&d);
			failed = true;
			break;
		}
		hv_diags_release(&d);
		/* A compare that failed: another write came first, merged at
		 * the next tick (judged then: sched_pool_push). */
		for (size_t k = i; k < j; k++) {
			struct sched_pool_guest *pg = p->w[k].pg;
			if (each[k - i]) {
				written(p, &p->w[k], rev);
				continue;
			}
			pg->cmp_failed = true;
			pg->cmp_what = p->w[k].what;
			pg->cmp_rev = pg->base_rev;
			pg->cmp_stale = pg->stale_rev;
		}
		i = j;
	}
	free(each);
	drop_writes(p);
	if (!began)
		return;		/* not read this tick: nothing known */
	p->writes_failed = failed;
	if (!failed)
		came_back(p);
}

int sched_pool_read(const char *url, const struct etcd_opts *o, struct sched_state *ret,
		    struct hv_diags *d)
{
	struct etcd *e;
	struct etcd_reply r = { 0 };
	struct sched_state out = { 0 };
	int rc;

	if ((rc = etcd_new(url, o, &e, d)) < 0)
		return rc;
	etcd_set_deadline(e, clock_ns(CLOCK_MONOTONIC) + 10 * NS);
	if ((rc = etcd_range_prefix(e, etcd_prefix(e), &r, d)) < 0) {
		etcd_free(e);
		return rc;
	}
	sort_kvs(&r);
	_cleanup_free_ char *apfx = xasprintf("%sacct/", etcd_prefix(e));
	for (size_t i = 0; i < r.n; i++) {
		const struct etcd_kv *kv = &r.kvs[i];
		struct sched_state st;
		struct hv_diags pd = HV_DIAGS_INIT;
		if (strncmp(kv->key, apfx, strlen(apfx)))
			continue;
		int prc = sched_state_parse(kv->value, kv->vlen, &st, &pd);
		if (prc < 0 || st.n != 1) {
			_cleanup_free_ char *k = printable(kv->key, kv->keylen);
			(void)hv_warnf(d, "pool record '%s': %s", k,
				       prc < 0 && pd.n ? pd.v[0].msg : "not one guest");
			hv_diags_release(&pd);
			if (prc == 0)
				sched_state_release(&st);
			continue;
		}
		hv_diags_release(&pd);
		/* The key names the guest (as the daemon reads it), not the
		 * record's own word for it. */
		_cleanup_free_ char *want = key_of(NULL, etcd_prefix(e), "acct", st.v[0].name);
		if (strlen(want) != kv->keylen || memcmp(want, kv->key, kv->keylen)) {
			_cleanup_free_ char *k = printable(kv->key, kv->keylen);
			_cleanup_free_ char *id = printable(kv->key + strlen(apfx),
							   kv->keylen - strlen(apfx));
			(void)hv_warnf(d, "pool record '%s': holds guest '%s''s record, not guest "
				       "'%s''s (as the key names it)", k, st.v[0].name, id);
			sched_state_release(&st);
			continue;
		}
		struct sched_state_guest *x = sched_state_add(&out, st.v[0].name, st.v[0].selector);
		x->weight = st.v[0].weight;
		x->acct = st.v[0].acct;
		st.v[0].acct.ring = NULL;
		_cleanup_free_ char *okey = key_of(NULL, etcd_prefix(e), "owner", x->name);
		const struct etcd_kv *own = find_kv(&r, okey);
		x->present = own && owner_live(&r, etcd_prefix(e), own);
		/* as its owner last read it; nobody's reading now counts none */
		x->unreadable = x->present ? st.v[0].unreadable : 0;
		x->host = own ? printable(own->value, own->vlen) : st.config ? xstrdup(st.config) : NULL;
		if (st.saved_ns > out.saved_ns)
			out.saved_ns = st.saved_ns;
		if (!out.tick_ns)
			out.tick_ns = st.tick_ns;
		sched_state_release(&st);
	}
	etcd_reply_release(&r);
	etcd_free(e);
	out.config = xstrdup(url);
	*ret = out;
	return 0;
}
