/* SPDX-License-Identifier: MIT */
/* The budget engine (semantics: engine.h and hvkit-sched.conf(5)). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util.h"

#define NS 1000000000LL
#define MAX_BUCKETS 4096u

typedef unsigned __int128 u128;


uint32_t sched_bucket_s(uint32_t window_s)
{
	return (window_s + MAX_BUCKETS - 1) / MAX_BUCKETS;
}

static void setup(struct sched_acct *a, const struct sched_guest *g)
{
	a->budget_ns = 0;
	a->floor_cp = a->burst_cp = 0;
	a->window_s = a->bucket_s = a->nbuckets = a->ramp_s = 0;
	a->ring = NULL;
	a->sum_ns = 0;
	if (!g->has_burst)
		return;
	const struct sched_burst *b = &g->burst;
	a->floor_cp = b->floor_cp;
	a->burst_cp = b->burst_cp;
	a->window_s = b->window_s;
	a->ramp_s = b->ramp_s;
	a->budget_ns = (uint64_t)(b->burst_cp - b->floor_cp) * b->dur_s *
		       (uint64_t)(NS / SCHED_CP_PER_CPU);
	a->bucket_s = sched_bucket_s(b->window_s);
	a->nbuckets = b->window_s / a->bucket_s + 1;
	a->ring = xcalloc(a->nbuckets, sizeof(*a->ring));
}

void sched_acct_init(struct sched_acct *a, const struct sched_guest *g)
{
	memset(a, 0, sizeof(*a));
	setup(a, g);
}

void sched_acct_release(struct sched_acct *a)
{
	free(a->ring);
	a->ring = NULL;
}

void sched_acct_rebase(struct sched_acct *a, const struct sched_guest *g)
{
	struct sched_acct old = *a;

	setup(a, g);
	if (a->nbuckets && old.nbuckets && old.started) {
		int64_t bn = (int64_t)a->bucket_s * NS;
		a->head = sched_floordiv(old.last_ns, bn);
		for (uint32_t k = 0; k < old.nbuckets; k++) {
			int64_t j = old.head - (int64_t)k;
			uint64_t v = old.ring[(uint64_t)j % old.nbuckets];
			if (!v)
				continue;
			int64_t nj = sched_floordiv(j * (int64_t)old.bucket_s, a->bucket_s);
			if (nj > a->head || nj <= a->head - (int64_t)a->nbuckets)
				continue;
			a->ring[(uint64_t)nj % a->nbuckets] += v;
			a->sum_ns += v;
		}
	} else if (a->nbuckets) {
		a->head = sched_floordiv(old.last_ns, (int64_t)a->bucket_s * NS);
	}
	free(old.ring);
}

/* Moves the newest bucket to idx, expiring what leaves the window. */
static void advance(struct sched_acct *a, int64_t idx)
{
	if (idx <= a->head)
		return;
	if ((uint64_t)(idx - a->head) >= a->nbuckets) {
		memset(a->ring, 0, a->nbuckets * sizeof(*a->ring));
		a->sum_ns = 0;
	} else {
		for (int64_t j = a->head + 1; j <= idx; j++) {
			uint64_t *slot = &a->ring[(uint64_t)j % a->nbuckets];
			a->sum_ns -= *slot;
			*slot = 0;
		}
	}
	a->head = idx;
}

/* Charges e over (from, to], spread evenly; what falls before the oldest
 * live bucket is outside the window and dropped. */
static void charge(struct sched_acct *a, uint64_t e, int64_t from, int64_t to)
{
	int64_t bn = (int64_t)a->bucket_s * NS;
	int64_t oldest = (a->head - (int64_t)a->nbuckets + 1) * bn;
	int64_t start = from > oldest ? from : oldest;

	if (!e)
		return;
	if (to <= from || sched_floordiv(from, bn) == a->head) {
		a->ring[(uint64_t)a->head % a->nbuckets] += e;
		a->sum_ns += e;
		return;
	}
	if (start >= to)
		return;
	uint64_t in = (uint64_t)((u128)e * (uint64_t)(to - start) / (uint64_t)(to - from));
	uint64_t given = 0;
	for (int64_t j = sched_floordiv(start, bn); j <= a->head; j++) {
		int64_t lo = j * bn > start ? j * bn : start;
		int64_t hi = (j + 1) * bn < to ? (j + 1) * bn : to;
		uint64_t part = j == a->head ? in - given
			: (uint64_t)((u128)e * (uint64_t)(hi - lo) / (uint64_t)(to - from));
		if (part > in - given)
			part = in - given;
		a->ring[(uint64_t)j % a->nbuckets] += part;
		given += part;
	}
	a->sum_ns += in;
}

int64_t sched_acct_left(const struct sched_acct *a)
{
	return (int64_t)a->budget_ns - (int64_t)a->sum_ns;
}

int64_t sched_acct_left_at(const struct sched_acct *a, int64_t now_ns)
{
	if (!a->nbuckets)
		return 0;
	int64_t idx = sched_floordiv(now_ns, (int64_t)a->bucket_s * NS);
	int64_t n = a->nbuckets;
	uint64_t sum = a->sum_ns;
	/* Bucket j is out of the window once the head reaches j + n: those
	 * in (head - n, min(idx - n, head)], none when idx is the head. */
	for (int64_t j = a->head - n + 1; j <= idx - n && j <= a->head; j++)
		sum -= a->ring[(uint64_t)j % a->nbuckets];
	return (int64_t)a->budget_ns - (int64_t)sum;
}

void sched_acct_spend_all(struct sched_acct *a, int64_t now_ns)
{
	if (!a->nbuckets || a->started)
		return;
	memset(a->ring, 0, a->nbuckets * sizeof(*a->ring));
	a->head = sched_floordiv(now_ns, (int64_t)a->bucket_s * NS);
	a->ring[(uint64_t)a->head % a->nbuckets] = a->budget_ns;
	a->sum_ns = a->budget_ns;
	a->last_ns = now_ns;
}

/* The ramp's cap above Q with left_ns of budget: the largest x <= delta
 * (cp) with x^2 <= 2 L delta / R, in ns and cp: x^2 * 1e5 * R <= 2 L delta. */
static uint32_t ramp_extra(uint64_t left_ns, uint32_t delta, uint32_t ramp_s)
{
	u128 rhs = (u128)2 * left_ns * delta;
	uint32_t lo = 0, hi = delta;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if ((u128)mid * mid * 100000u * ramp_s <= rhs)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static uint32_t min_cap(uint32_t x, uint32_t y)
{
	if (x == SCHED_CAP_NONE)
		return y;
	if (y == SCHED_CAP_NONE)
		return x;
	return x < y ? x : y;
}

uint32_t sched_acct_step(struct sched_acct *a, const struct sched_guest *g,
			 int64_t now_ns, int minute_of_day, uint64_t counter_ns,
			 int64_t tick_ns, struct sched_step *out)
{
	struct sched_step s = { 0 };
	uint32_t cap;

	if (!a->started) {
		a->rebase_counter = false;
		a->new_counter = false;
		a->started = true;
		a->last_ns = now_ns;
		a->last_counter_ns = counter_ns;
		if (a->nbuckets)
			a->head = sched_floordiv(now_ns, (int64_t)a->bucket_s * NS);
	} else {
		int64_t t = now_ns;
		if (t < a->last_ns) {
			s.clock_backwards = true;
			t = a->last_ns;
		}
		s.dt_ns = t - a->last_ns;
		u128 lim = (u128)a->limit_cp * (uint64_t)(s.dt_ns + SCHED_LIMIT_SLACK_NS) /
			   SCHED_CP_PER_CPU;
		if (a->rebase_counter) {
			s.usage_ns = 0;
		} else if (a->new_counter) {
			s.usage_ns = a->limit_cp && counter_ns > lim ? 0 : counter_ns;
		} else if (counter_ns >= a->last_counter_ns) {
			s.usage_ns = counter_ns - a->last_counter_ns;
		} else {
			s.counter_reset = true;
			s.usage_ns = counter_ns;
		}
		if (a->limit_cp && s.dt_ns > 0 && s.usage_ns > lim)
			s.usage_ns = (uint64_t)lim;
		a->rebase_counter = false;
		a->new_counter = false;
		a->last_counter_ns = counter_ns;
		if (s.dt_ns > 0)
			a->rate_cp = (uint32_t)((u128)s.usage_ns * SCHED_CP_PER_CPU /
						(uint64_t)s.dt_ns > SCHED_CAP_MAX_CP
						? SCHED_CAP_MAX_CP
						: (u128)s.usage_ns * SCHED_CP_PER_CPU / (uint64_t)s.dt_ns);
		if (a->nbuckets) {
			uint64_t allowed = (uint64_t)((u128)a->floor_cp * (uint64_t)s.dt_ns /
						      SCHED_CP_PER_CPU);
			s.excess_ns = s.usage_ns > allowed ? s.usage_ns - allowed : 0;
			advance(a, sched_floordiv(t, (int64_t)a->bucket_s * NS));
			if (a->charge_late)
				charge(a, s.excess_ns, t, t);
			else
				charge(a, s.excess_ns, a->last_ns, t);
		}
		if (a->throttled && s.dt_ns > 0)
			a->throttled_ns += (uint64_t)s.dt_ns;
		a->charge_late = false;
		a->last_ns = t;
	}

	cap = sched_guest_plain_cap(g, minute_of_day);
	a->throttled = false;
	if (a->nbuckets) {
		int64_t left = sched_acct_left(a);
		uint32_t bc = a->floor_cp;
		if (left > 0) {
			int64_t tick = tick_ns > 0 ? tick_ns : NS;
			u128 extra = (u128)(uint64_t)left * SCHED_CP_PER_CPU / (uint64_t)tick;
			bc = extra >= a->burst_cp - a->floor_cp ? a->burst_cp
				: a->floor_cp + (uint32_t)extra;
			if (a->ramp_s) {
				uint32_t r = ramp_extra((uint64_t)left, a->burst_cp - a->floor_cp,
							a->ramp_s);
				if (a->floor_cp + r < bc)
					bc = a->floor_cp + r;
			}
		}
		a->throttled = bc < a->burst_cp && (cap == SCHED_CAP_NONE || bc < cap);
		cap = min_cap(cap, bc);
		s.left_ns = left;
	}
	a->cap_cp = cap;
	s.cap_cp = cap;
	if (out)
		*out = s;
	return cap;
}

void sched_acct_charge_gone(struct sched_acct *a, int64_t now_ns)
{
	uint32_t rate = a->rate_cp;

	if (!a->started || now_ns <= a->last_ns)
		return;
	if (a->nbuckets) {
		if (a->cap_cp != SCHED_CAP_NONE && rate > a->cap_cp)
			rate = a->cap_cp;
		if (rate > a->floor_cp) {
			uint64_t dt = (uint64_t)(now_ns - a->last_ns);
			uint64_t e = (uint64_t)((u128)(rate - a->floor_cp) * dt / SCHED_CP_PER_CPU);
			advance(a, sched_floordiv(now_ns, (int64_t)a->bucket_s * NS));
			charge(a, e, a->last_ns, now_ns);
		}
	}
	a->last_ns = now_ns;
}

void sched_acct_refill(const struct sched_acct *a, int64_t now_ns,
		       uint32_t *full_s, uint32_t *any_s)
{
	int64_t bs = a->bucket_s;
	int64_t now_s = sched_floordiv(now_ns, NS);
	int64_t left = sched_acct_left(a);
	int64_t full = 0, any = 0;

	/* Bucket j leaves the window when the head reaches j + n. */
	if (a->nbuckets && a->sum_ns) {
		/* Whole when the newest charge leaves: found from the head. */
		for (uint32_t k = 0; k < a->nbuckets; k++) {
			int64_t j = a->head - (int64_t)k;
			if (a->ring[(uint64_t)j % a->nbuckets]) {
				full = (j + (int64_t)a->nbuckets) * bs - now_s;
				break;
			}
		}
	}
	if (a->nbuckets && a->sum_ns && left <= 0) {
		/* Some back when enough of the oldest charges have left. */
		uint64_t sum = a->sum_ns;
		for (uint32_t k = a->nbuckets; k-- > 0;) {
			int64_t j = a->head - (int64_t)k;
			uint64_t v = a->ring[(uint64_t)j % a->nbuckets];
			if (!v)
				continue;
			sum -= v;
			if ((int64_t)a->budget_ns - (int64_t)sum > 0) {
				any = (j + (int64_t)a->nbuckets) * bs - now_s;
				break;
			}
		}
	}
	*full_s = (uint32_t)(full > 0 ? full : 0);
	*any_s = (uint32_t)(any > 0 ? any : 0);
}
