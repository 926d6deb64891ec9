/* SPDX-License-Identifier: MIT */
/* The budget engine: pure and deterministic (no I/O; time is passed in). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/*
 * Semantics of "burst P% for D per W, then cap Q%" (hvkit-sched.conf(5)):
 *
 * An exact sliding window, not a token bucket.  The budget is the CPU
 * time a guest may use *above* Q in any W: B = (P - Q) x D.  Each tick the
 * guest is charged its excess, max(0, usage - Q x elapsed), into
 * one-second buckets (wider, ceil(W / 4096) s, for windows over 4096 s).
 * The window is the last W / bucket whole buckets plus the current partial
 * one, so no real interval of W seconds ever holds more than B of excess;
 * a bucket's charge comes back whole when it leaves the window (up to one
 * bucket later than an ideal continuous window).
 *
 * The cap for the next tick is min(plain cap, burst cap) where the burst
 * cap is Q + left / tick, clamped to [Q, P]: the guest can never overrun
 * its budget by more than the tick's lateness, and the cap reaches Q at
 * the moment the budget is spent, not a tick later.
 *
 * "then cap Q% over R" (a ramp) lowers the cap gradually instead: with
 * L of the budget left the burst cap is also at most
 * Q + sqrt(2 L (P - Q) / R), the cap at which a guest running flat out
 * reaches Q in the time its budget lasts, falling linearly from P to Q
 * over R.  The ramp is paid from the same budget B (it costs
 * (P - Q) x R / 2 of it; the parser asks for R <= 2 D), so the bound
 * above is unchanged; a busy guest runs at P for D - R / 2, then ramps.
 *
 * "Throttled" is a decision where the burst rule holds the cap below P
 * and below any plain cap; throttled_ns sums the time from such a decision
 * to the next (the guest's time at the reduced cap).
 *
 * Edge cases: a clock that goes backwards is held at the last time seen
 * (usage is still charged, nothing is refunded); a clock that jumps
 * forward spreads the usage evenly over the gap, and what falls outside
 * the window is forgotten, like any old usage; a counter that goes
 * backwards (guest rebooted, cgroup recreated) is taken to have restarted
 * from zero, so the new value is the usage since the reset.  With
 * charge_late set (state restored from an older generation), the next
 * tick's excess is charged at its end, in the newest bucket: it stays in
 * the window longest, so this can only charge more, never refund.
 * A tick's usage is never taken as more than limit_cp x (elapsed + one
 * CFS period, SCHED_LIMIT_SLACK_NS), what the guest could have used: a
 * counter first read on a host that did not see it grow (a takeover, a
 * recreated cgroup) charges no more than that.
 */
#define SCHED_LIMIT_SLACK_NS 100000000LL
/* a / b rounded towards minus infinity (b > 0): a time's bucket. */
static inline int64_t sched_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
/* The bucket size, in seconds, of a window of window_s seconds (> 0). */
uint32_t sched_bucket_s(uint32_t window_s);
struct sched_acct {
	/* From the policy (and saved with the state). */
	uint64_t budget_ns;	/* B, CPU-ns; 0 without a burst rule */
	uint32_t floor_cp, burst_cp;
	uint32_t window_s, bucket_s, nbuckets;
	uint32_t ramp_s;	/* "then cap Q% over R": R, 0 for a step */
	/* Running state. */
	uint64_t *ring;		/* excess CPU-ns per bucket; owned */
	int64_t head;		/* absolute index (time / bucket) of the newest */
	uint64_t sum_ns;	/* sum of ring */
	bool started;		/* a counter has been seen */
	int64_t last_ns;	/* engine time of the last sample */
	uint64_t last_counter_ns;
	uint32_t cap_cp;	/* last decision (SCHED_CAP_NONE: none) */
	uint32_t rate_cp;	/* usage over the last tick, cp */
	bool throttled;		/* the burst rule holds the cap below P */
	uint64_t throttled_ns;	/* engine time spent throttled, cumulative */
	bool charge_late;	/* not saved: charge the next tick's excess at
				 * its end instead of spreading it (see
				 * sched_acct_step) */
	bool rebase_counter;	/* not saved: the next counter is a baseline
				 * (time passes, nothing is charged) */
	bool new_counter;	/* not saved: the next counter is the first
				 * read on this host: counted from zero (a new
				 * domain or cgroup) when the guest could have
				 * used it all since the last sample (limit_cp),
				 * else a baseline (it ran before: charged
				 * elsewhere, or before any daemon) */
	uint32_t limit_cp;	/* not saved: the most the guest can use over
				 * the next tick (the cap in force, or its
				 * CPUs); 0: unknown */
};

struct sched_step {
	uint64_t usage_ns;	/* CPU time charged this tick */
	uint64_t excess_ns;	/* ... of which above Q */
	int64_t dt_ns;		/* engine time elapsed */
	uint32_t cap_cp;	/* cap to apply now (SCHED_CAP_NONE: none) */
	int64_t left_ns;	/* budget left; negative: in debt */
	bool counter_reset;
	bool clock_backwards;
};

/* Sets up a fresh account for g (no usage yet). */
void sched_acct_init(struct sched_acct *a, const struct sched_guest *g);
void sched_acct_release(struct sched_acct *a);
/*
 * Re-creates *a for a (possibly changed) policy g, keeping the counters,
 * the time and every charge that still falls inside the new window.  Used
 * on reload and when state is restored: neither refunds nor charges.
 */
void sched_acct_rebase(struct sched_acct *a, const struct sched_guest *g);

/*
 * One tick: the guest's cumulative CPU time was counter_ns at now_ns
 * (wall-clock ns; minute_of_day is the local time for `between`).
 * tick_ns is the expected time to the next call.  Fills *out; returns the
 * cap to apply.
 */
uint32_t sched_acct_step(struct sched_acct *a, const struct sched_guest *g,
			 int64_t now_ns, int minute_of_day, uint64_t counter_ns,
			 int64_t tick_ns, struct sched_step *out);

/* Budget left at the account's last time (B - window excess). */
int64_t sched_acct_left(const struct sched_acct *a);
/* Budget left at now_ns: what has left the window since the account's
 * last time is no longer counted (the account is not changed). */
int64_t sched_acct_left_at(const struct sched_acct *a, int64_t now_ns);
/*
 * Charges the whole budget at now_ns, as if the guest had just spent it:
 * what the daemon does when its state is lost to damage, so that damage
 * never refunds.  The account must not have started.
 */
void sched_acct_spend_all(struct sched_acct *a, int64_t now_ns);
/*
 * The guest was found gone at now_ns, its counter no longer readable:
 * charges the time since the last sample at the last tick's rate (at most
 * the cap in force), as the best estimate of what it used before it went
 * (a migrated domain, a removed cgroup), rather than nothing.
 */
void sched_acct_charge_gone(struct sched_acct *a, int64_t now_ns);
/* Seconds from now_ns until the budget is whole again (full_s) and until
 * any budget is back (any_s, 0 when some is left). */
void sched_acct_refill(const struct sched_acct *a, int64_t now_ns,
		       uint32_t *full_s, uint32_t *any_s);
