/* SPDX-License-Identifier: MIT */
/* Unit tests of hvkit sched: the policy parser (table of good and bad
 * files with their exact messages), the engine's edge cases, the state
 * file round trip, the cgroup backend on a tree of plain files (weights
 * read back, caps written). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "backend.h"

#include "check.h"
#include "engine.h"
#include "metrics.h"
#include "policy.h"
#include "pool.h"
#include "state.h"
#include "util.h"

#define NS 1000000000LL

static struct {
	const char *name, *text, *err;	/* err NULL: must parse */
} parse_cases[] = {
	{ "issue example", "# c\nguest web1 (xen:web1) {\n weight 512\n burst 100% for 5m per 1h, then cap 20%\n}\n"
	  "guest build (cgroup:/machine.slice/build.scope) {\n cap 150%   # x\n between 08:00-18:00 cap 50%\n}\n", NULL },
	{ "one line, ';'", "guest a (pid:1) { cap 20%; weight 3 }", NULL },
	{ "quoted selector", "guest a (\"cgroup:/m/x\\\\y\") {\ncap 1.5%\n}\n", NULL },
	{ "brace on next line", "guest a (libvirt:vm-1)\n{\ncap 12.25%\n}", NULL },
	{ "unknown statement", "guest x (cgroup:/a) {\n  wieght 5\n}\n",
	  "t.conf:2:3: expected a statement: weight, cap, burst or between, got 'wieght'" },
	{ "duration without unit", "guest x (cgroup:/a) {\n  burst 100% for 5 per 1h, then cap 20%\n}\n",
	  "t.conf:2:18: expected a duration with a unit, at most 7d (like '30s', '5m', '1h'), got '5'" },
	{ "percent without %", "guest x (xen:a) {\ncap 20\n}",
	  "t.conf:2:5: expected a percentage of one CPU from 1% to 100000% (like '20%' or '150%'), got '20'" },
	{ "cap 0%", "guest x (xen:a) {\ncap 0%\n}", "t.conf:2:5: expected a percentage" },
	{ "burst >= window", "guest x (xen:a) {\nburst 100% for 1h per 1h, then cap 20%\n}",
	  "t.conf:2:1: burst duration 3600s must be shorter than its window 3600s" },
	{ "floor >= burst", "guest x (xen:a) {\nburst 50% for 1m per 1h, then cap 50%\n}",
	  "t.conf:2:1: the cap after a burst must be lower than the burst itself" },
	{ "ramp", "guest x (xen:a) {\nburst 100% for 5m per 1h, then cap 20% over 5m\n}", NULL },
	{ "ramp longer than twice the burst", "guest x (xen:a) {\nburst 100% for 1m per 1h, then cap 20% over 3m\n}",
	  "t.conf:2:1: a ramp 'over 180s' is paid from the burst: it needs a burst of at least 90s (half the ramp), not 60s" },
	{ "ramp without duration", "guest x (xen:a) {\nburst 100% for 1m per 1h, then cap 20% over\n}",
	  "t.conf:2:44: expected a duration with a unit" },
	{ "missing comma", "guest x (xen:a) {\nburst 50% for 1m per 1h then cap 5%\n}",
	  "t.conf:2:25: expected ', then cap Q%', got 'then'" },
	{ "bad range", "guest x (xen:a) {\nbetween 8:00-18:00 cap 5%\n}", "t.conf:2:9: expected a time range" },
	{ "same from/to", "guest x (xen:a) {\nbetween 08:00-08:00 cap 5%\n}", "t.conf:2:9: expected a time range" },
	{ "bad selector kind", "guest x (kvm:a) { cap 5% }", "t.conf:1:10: unknown selector kind" },
	{ "relative cgroup", "guest x (cgroup:a/b) { cap 5% }", "t.conf:1:10: expected an absolute cgroup path" },
	{ "dotdot cgroup", "guest x (cgroup:/a/../b) { cap 5% }", "t.conf:1:10: expected an absolute cgroup path" },
	{ "pid 0", "guest x (pid:0) { cap 5% }", "t.conf:1:10: expected a process id" },
	{ "unclosed", "guest x (xen:a) {\ncap 5%\n", "t.conf:3:1: expected '}' closing guest 'x' (opened on line 1), got end of file" },
	{ "empty guest", "guest x (xen:a) {\n}\n", "t.conf:1:1: guest 'x' has no rules" },
	{ "duplicate name", "guest x (xen:a) { cap 5% }\nguest x (xen:b) { cap 5% }\n",
	  "t.conf:2:1: duplicate guest name 'x' (first on line 1)" },
	{ "duplicate selector", "guest x (xen:a) { cap 5% }\nguest y (xen:a) { cap 5% }\n",
	  "t.conf:2:1: guests 'x' (line 1) and 'y' select the same xen:a" },
	{ "duplicate cap", "guest x (xen:a) { cap 5%; cap 6% }", "t.conf:1:27: duplicate 'cap' in guest 'x'" },
	{ "two selectors", "guest x (xen:a, xen:b) { cap 5% }", "t.conf:1:15: expected ')' (one selector per guest), got ','" },
	{ "junk at top", "cap 5%\n", "t.conf:1:1: expected 'guest NAME (SELECTOR) {', got 'cap'" },
	{ "NUL byte", "guest x (xen:a) {\n\0}", "t.conf:2:1: NUL byte: not a text file" },
	{ "non-ASCII", "guest x (xen:a) {\ncap 5%\xc2\xa0\n}", "t.conf:2:7: non-ASCII byte" },
	{ "unterminated string", "guest \"x", "t.conf:1:7: unterminated quoted string" },
	{ "weight range", "guest x (xen:a) { weight 70000 }", "t.conf:1:26: expected a weight from 1 to 65535, got '70000'" },
	{ "libvirt name with a blank, quoted after the colon", "guest a (libvirt:\"my vm\") { cap 5% }", NULL },
	{ "libvirt name with a blank, whole selector quoted", "guest a (\"libvirt:my vm\") { cap 5% }", NULL },
	{ "blank in a xen name", "guest a (xen:\"my vm\") { cap 5% }",
	  "t.conf:1:14: selector with a blank or control character (blanks: libvirt names only), got 'my vm'" },
	{ "blank in a cgroup path", "guest a (\"cgroup:/a b\") { cap 5% }",
	  "t.conf:1:10: selector with a blank or control character" },
	{ "quote not glued to the colon", "guest a (libvirt: \"my vm\") { cap 5% }",
	  "t.conf:1:10: expected a domain name after 'libvirt:', got 'libvirt:'" },
	{ "empty quoted name", "guest a (libvirt:\"\") { cap 5% }",
	  "t.conf:1:18: expected a domain name after 'libvirt:', got ''" },
	{ "word after the quoted name", "guest a (libvirt:\"x\"y) { cap 5% }",
	  "t.conf:1:21: expected ')' (one selector per guest), got 'y'" },
	{ "colon and end of file", "guest a (libvirt:\"", "t.conf:1:18: unterminated quoted string" },
	{ "one name two ways", "guest a (libvirt:\"my vm\") { cap 5% }\nguest b (\"libvirt:my vm\") { cap 5% }",
	  "t.conf:2:1: guests 'a' (line 1) and 'b' select the same libvirt:my vm" },
	/* ASCII only, in quotes and comments too (hvkit-sched.conf(5)):
	 * what passes reaches logs and --metrics-file labels. */
	{ "UTF-8 in a quoted name", "guest a (libvirt:\"\xc3\xbcn\xc3\xaf\") { cap 5% }",
	  "t.conf:1:19: non-ASCII byte 0xc3" },
	{ "invalid UTF-8 in a quoted name", "guest a (libvirt:\"a\xff" "b\") { cap 5% }",
	  "t.conf:1:20: non-ASCII byte 0xff" },
	{ "right-to-left override", "guest a (libvirt:\"x\xe2\x80\xae" "y\") { cap 5% }",
	  "t.conf:1:20: non-ASCII byte 0xe2" },
	{ "non-ASCII in a comment", "# caf\xc3\xa9\nguest a (xen:a) { cap 5% }",
	  "t.conf:1:6: non-ASCII byte 0xc3" },
	{ "terminal escape in a comment", "guest a (xen:a) { cap 5% }\n# \x1b[31m\n",
	  "t.conf:2:3: control byte 0x1b" },
	{ "form feed", "guest a (xen:a) {\f cap 5% }", "t.conf:1:18: control byte 0x0c" },
	/* Escapes: \" and \\ only. */
	{ "escaped quote and backslash", "guest a (libvirt:\"a\\\"b\\\\c\") { cap 5% }", NULL },
	{ "unknown escape \\s", "guest a (libvirt:\"back\\slash\") { cap 5% }",
	  "t.conf:1:23: unknown escape in a quoted string (only \\\" and \\\\)" },
	{ "unknown escape \\t", "guest a (libvirt:\"a\\tb\") { cap 5% }", "t.conf:1:20: unknown escape" },
	{ "unknown escape \\x41", "guest a (libvirt:\"\\x41\") { cap 5% }", "t.conf:1:19: unknown escape" },
	{ "unknown escape \\u00e9", "guest a (\"libvirt:\\u00e9\") { cap 5% }", "t.conf:1:19: unknown escape" },
	{ "backslash at the end of the file", "guest a (libvirt:\"a\\", "t.conf:1:20: unknown escape" },
	{ "backslash at the end of a line", "guest a (libvirt:\"a\\\n\") { cap 5% }", "t.conf:1:20: unknown escape" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct sched_policy p;
		const char *t = parse_cases[i].text;
		size_t len = strlen(t);
		if (strcmp(parse_cases[i].name, "NUL byte") == 0)
			len = 19;
		int rc = sched_policy_parse("t.conf", t, len, &p, &d);
		if (!parse_cases[i].err) {
			if (rc != 0)
				fprintf(stderr, "case '%s': %s\n", parse_cases[i].name, d.n ? d.v[0].msg : "?");
			CHECK_INT(rc, 0);
			if (rc == 0)
				sched_policy_release(&p);
		} else {
			CHECK_INT(rc, -22);
			CHECK_INT(d.n, 1);
			if (d.n && strncmp(d.v[0].msg, parse_cases[i].err, strlen(parse_cases[i].err)) != 0) {
				fprintf(stderr, "case '%s':\n  got  %s\n  want %s\n", parse_cases[i].name,
					d.v[0].msg, parse_cases[i].err);
				check_failures++;
			}
		}
		hv_diags_release(&d);
	}

	struct hv_diags d = HV_DIAGS_INIT;
	struct sched_policy p;
	const char *ex = parse_cases[0].text;
	CHECK_INT(sched_policy_parse("x", ex, strlen(ex), &p, &d), 0);
	CHECK_INT(p.n, 2);
	CHECK_STR(p.v[0].name, "web1");
	CHECK_INT(p.v[0].kind, SCHED_SEL_XEN);
	CHECK_INT(p.v[0].weight, 512);
	CHECK_INT(p.v[0].burst.burst_cp, 10000);
	CHECK_INT(p.v[0].burst.floor_cp, 2000);
	CHECK_INT(p.v[0].burst.dur_s, 300);
	CHECK_INT(p.v[0].burst.window_s, 3600);
	CHECK_STR(p.v[1].sel, "/machine.slice/build.scope");
	CHECK_INT(p.v[1].cap_cp, 15000);
	CHECK_INT(sched_guest_plain_cap(&p.v[1], 7 * 60 + 59), 15000);
	CHECK_INT(sched_guest_plain_cap(&p.v[1], 8 * 60), 5000);
	CHECK_INT(sched_guest_plain_cap(&p.v[1], 18 * 60), 15000);
	sched_policy_release(&p);

	/* Glued, the selector is bounded as a whole. */
	struct strbuf lng = STRBUF_INIT;
	strbuf_adds(&lng, "guest n (libvirt:\"");
	for (int i = 0; i < SCHED_MAX_SELECTOR; i++)
		strbuf_addc(&lng, 'x');
	strbuf_adds(&lng, "\") { cap 5% }");
	CHECK_INT(sched_policy_parse("x", lng.buf, lng.len, &p, &d), -EINVAL);
	CHECK_INT(d.n > 0 && strstr(d.v[d.n - 1].msg, "selector longer than") != NULL, 1);
	strbuf_release(&lng);
	hv_diags_release(&d);

	const char *sp = "guest n (libvirt:\" my  vm \") { cap 5% }";
	CHECK_INT(sched_policy_parse("x", sp, strlen(sp), &p, &d), 0);
	CHECK_INT(p.v[0].kind, SCHED_SEL_LIBVIRT);
	CHECK_STR(p.v[0].sel, " my  vm ");	/* as written, blanks kept */
	sched_policy_release(&p);

	const char *wrap = "guest n (xen:n) {\ncap 20%\nbetween 22:00-06:00 cap 100%\n}";
	CHECK_INT(sched_policy_parse("x", wrap, strlen(wrap), &p, &d), 0);
	CHECK_INT(sched_guest_plain_cap(&p.v[0], 23 * 60), 10000);
	CHECK_INT(sched_guest_plain_cap(&p.v[0], 5 * 60 + 59), 10000);
	CHECK_INT(sched_guest_plain_cap(&p.v[0], 6 * 60), 2000);
	sched_policy_release(&p);
	hv_diags_release(&d);

	uint32_t v;
	CHECK_INT(sched_parse_percent("12.5%", &v), 0);
	CHECK_INT(v, 1250);
	CHECK_INT(sched_parse_percent("100000%", &v), 0);
	CHECK_INT(sched_parse_percent("100001%", &v), -22);
	CHECK_INT(sched_parse_percent("1.234%", &v), -22);
	CHECK_INT(sched_parse_duration("7d", &v), 0);
	CHECK_INT(sched_parse_duration("8d", &v), -22);
	CHECK_INT(sched_parse_duration("0s", &v), -22);
}

/* A guest "burst 100% for 3s per 20s, then cap 20%": B = 2.4 CPU-s. */
static struct sched_guest burst_guest(void)
{
	struct sched_guest g = { .name = "g", .kind = SCHED_SEL_CGROUP, .sel = "/g",
				 .has_burst = true,
				 .burst = { .burst_cp = 10000, .floor_cp = 2000,
					    .dur_s = 3, .window_s = 20 } };
	return g;
}

/* Feeds `secs` 1 s ticks of a guest that uses min(demand, cap) CPUs;
 * returns the CPU-ns used. */
static uint64_t run(struct sched_acct *a, const struct sched_guest *g, int64_t *t,
		    uint64_t *ctr, double demand, int secs)
{
	uint64_t used = 0;
	for (int i = 0; i < secs; i++) {
		struct sched_step s;
		uint32_t cap = sched_acct_step(a, g, *t, 0, *ctr, NS, &s);
		double c = cap == SCHED_CAP_NONE ? 1e9 : cap / 10000.0;
		uint64_t u = (uint64_t)((demand < c ? demand : c) * 1e9);
		*ctr += u;
		used += u;
		*t += NS;
	}
	return used;
}

static void test_engine(void)
{
	struct sched_guest g = burst_guest();
	struct sched_acct a;
	struct sched_step s;
	int64_t t = 1000 * NS;
	uint64_t ctr = 0;

	/* Idle guest: budget stays whole, cap is the burst level. */
	sched_acct_init(&a, &g);
	run(&a, &g, &t, &ctr, 0, 30);
	CHECK_INT(sched_acct_left(&a), 2400000000LL);
	CHECK_INT(a.cap_cp, 10000);

	/* Flat out: exactly 3 s at 100%, then 20%; the budget is spent to
	 * the nanosecond (the last tick's cap is Q + left / tick). */
	uint64_t used = run(&a, &g, &t, &ctr, 1.0, 3);
	CHECK_INT(used, 3 * NS);
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	CHECK_INT(s.left_ns, 0);
	CHECK_INT(s.cap_cp, 2000);
	/* Over any 20 s window: Q x 20 + B = 6.4 CPU-s, never more. */
	used = run(&a, &g, &t, &ctr, 1.0, 17);
	CHECK_INT(used, (uint64_t)(17 * 0.2 * NS));
	sched_acct_release(&a);

	/* Exactly at the limit: a guest at 60% spends B in 6 s. */
	sched_acct_init(&a, &g);
	t = 5000 * NS;
	ctr = 0;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	for (int i = 0; i < 6; i++) {
		ctr += 600000000;
		t += NS;
		sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	}
	CHECK_INT(s.left_ns, 0);
	CHECK_INT(s.cap_cp, 2000);
	/* ... and gets it back whole when those 6 s have left the window
	 * (20 whole buckets plus the current one: 21 s after each). */
	uint32_t full, any;
	sched_acct_refill(&a, t, &full, &any);
	CHECK_INT(full, 20);
	CHECK_INT(any, 15);
	/* Asked later (status reads a state saved earlier): the first second
	 * has left by then, so some budget is back now, none to wait for. */
	sched_acct_refill(&a, t + 16 * NS, &full, &any);
	CHECK_INT(full, 4);
	CHECK_INT(any, 0);
	CHECK_INT(sched_acct_left_at(&a, t + 16 * NS), 800000000);	/* 2 s out */
	for (int i = 0; i < 15; i++) {
		ctr += 200000000;
		t += NS;
		sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	}
	CHECK_INT(s.left_ns, 400000000);	/* the first second is back */
	for (int i = 0; i < 5; i++) {
		ctr += 200000000;
		t += NS;
		sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	}
	CHECK_INT(s.left_ns, 2400000000LL);
	sched_acct_release(&a);

	/* More CPUs than the cap: 4 CPUs of usage at once is charged as it
	 * is (the cgroup can't enforce faster than a tick), debt included. */
	sched_acct_init(&a, &g);
	t = 0;
	ctr = 0;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	t += NS;
	ctr += 4 * NS;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	CHECK_INT(s.excess_ns, 3800000000LL);
	CHECK_INT(s.left_ns, -1400000000LL);
	CHECK_INT(s.cap_cp, 2000);
	sched_acct_release(&a);

	/* Clock backwards: held at the last time, usage still charged. */
	sched_acct_init(&a, &g);
	t = 100 * NS;
	ctr = 0;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	ctr += NS;
	sched_acct_step(&a, &g, t - 50 * NS, 0, ctr, NS, &s);
	CHECK(s.clock_backwards);
	CHECK_INT(s.dt_ns, 0);
	CHECK_INT(s.excess_ns, NS);
	CHECK_INT(a.last_ns, t);
	/* Clock forward by a day: old charges expire, new usage is spread
	 * over the gap and only the last window's share counts. */
	ctr += 86400ull * 200000000ull + 86400ull * 100000000ull;	/* 30% avg */
	sched_acct_step(&a, &g, t + 86400 * NS, 0, ctr, NS, &s);
	CHECK_INT(s.excess_ns, 86400LL * 100000000LL);
	CHECK(sched_acct_left(&a) > 2400000000LL - 21 * 100000000LL - 1000);
	CHECK(sched_acct_left(&a) < 2400000000LL - 19 * 100000000LL);
	sched_acct_release(&a);

	/* Counter backwards (guest rebooted): the new value is the usage. */
	sched_acct_init(&a, &g);
	t = 0;
	sched_acct_step(&a, &g, t, 0, 50 * NS, NS, &s);
	sched_acct_step(&a, &g, t + NS, 0, 500000000, NS, &s);
	CHECK(s.counter_reset);
	CHECK_INT(s.usage_ns, 500000000);
	CHECK_INT(s.excess_ns, 300000000);
	sched_acct_release(&a);

	/* Predictive cap: with 0.4 CPU-s left at a 1 s tick, cap = 20% + 40%. */
	sched_acct_init(&a, &g);
	t = 0;
	ctr = 0;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	ctr += 2200000000ull;	/* 2 s at 110%... */
	t += 2 * NS;
	sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
	CHECK_INT(s.left_ns, 600000000);
	CHECK_INT(s.cap_cp, 2000 + 6000);
	sched_acct_release(&a);

	/* Plain caps and time windows, no burst. */
	struct sched_guest pg = { .name = "p", .cap_cp = 15000, .nbetween = 1,
				  .between = { { 8 * 60, 18 * 60, 5000 } } };
	sched_acct_init(&a, &pg);
	CHECK_INT(sched_acct_step(&a, &pg, 0, 9 * 60, 0, NS, NULL), 5000);
	CHECK_INT(sched_acct_step(&a, &pg, NS, 19 * 60, 0, NS, NULL), 15000);
	sched_acct_release(&a);
	/* Burst under a lower plain cap: the lower wins. */
	g.cap_cp = 5000;
	sched_acct_init(&a, &g);
	CHECK_INT(sched_acct_step(&a, &g, 0, 0, 0, NS, NULL), 5000);
	sched_acct_release(&a);
}

/* Save, parse, rebase onto a longer window: nothing refunded or charged. */
static void test_state(void)
{
	struct sched_guest g = burst_guest();
	struct sched_state st = { .tick_ns = NS, .pid = 42 }, back;
	struct hv_diags d = HV_DIAGS_INIT;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	int64_t t = 1700000000LL * NS;
	uint64_t ctr = 0;

	struct sched_state_guest *sg = sched_state_add(&st, "g", "cgroup:/g");
	sched_acct_init(&sg->acct, &g);
	run(&sg->acct, &g, &t, &ctr, 1.0, 5);
	int64_t left = sched_acct_left(&sg->acct);
	st.saved_ns = t;
	sched_state_format(&st, &a);
	CHECK_INT(sched_state_parse(a.buf, a.len, &back, &d), 0);
	sched_state_format(&back, &b);
	CHECK_STR(a.buf, b.buf);
	CHECK_INT(sched_acct_left(&back.v[0].acct), left);
	g.burst.window_s = 60;
	sched_acct_rebase(&back.v[0].acct, &g);
	CHECK_INT(back.v[0].acct.sum_ns, sg->acct.sum_ns);
	CHECK_INT(back.v[0].acct.last_counter_ns, sg->acct.last_counter_ns);


	/* A counter unreadable for ticks in a row: saved at the end of the
	 * guest line, read back; 0 is not written, and nothing else there. */
	sched_state_release(&back);
	sg->unreadable = 7;
	strbuf_reset(&a);
	sched_state_format(&st, &a);
	CHECK(strstr(a.buf, " unreadable 7\n") != NULL);
	CHECK_INT(sched_state_parse(a.buf, a.len, &back, &d), 0);
	CHECK_INT(back.v[0].unreadable, 7);
	sched_state_release(&back);
	sg->unreadable = 0;
	strbuf_reset(&a);
	sched_state_format(&st, &a);
	CHECK(strstr(a.buf, "unreadable") == NULL);
	for (int k = 0; k < 3; k++) {
		static const char *const bad[] = { " unreadable 0", " unreadable -1", " unread 7" };
		struct strbuf tx = STRBUF_INIT;
		/* the end of the guest line */
		char *nl = strchr(strstr(a.buf, "\nguest g ") + 1, '\n');
		/* With its checksum made anew: refused for the words alone. */
		strbuf_add(&tx, a.buf, (size_t)(nl - a.buf));
		strbuf_adds(&tx, bad[k]);
		strbuf_add(&tx, nl, strlen(nl) - strlen(strstr(nl, "end xxh64 ")));
		strbuf_addf(&tx, "end xxh64 %016llx\n", (unsigned long long)XXH64(tx.buf, tx.len, 0));
		hv_diags_release(&d);
		CHECK_INT(sched_state_parse(tx.buf, tx.len, &back, &d), -EINVAL);
		CHECK(d.n == 1 && strstr(d.v[0].msg, "expected 'unreadable NUMBER'"));
		strbuf_release(&tx);
	}
	hv_diags_release(&d);

	CHECK_INT(sched_state_parse("hvkit-sched-state 1\nb 1 2\n", 25, &back, &d), -22);
	CHECK_INT(sched_state_parse("x\n", 2, &back, &d), -22);
	sched_state_release(&back);

	/* Names, selectors and the config path with blanks and '%' survive. */
	struct sched_state_guest *sg2 = sched_state_add(&st, "odd name%", "cgroup:/a b/c\td");
	sched_acct_init(&sg2->acct, &g);
	st.config = strdup("/etc/my conf%.conf");
	strbuf_reset(&a);
	sched_state_format(&st, &a);
	CHECK(strstr(a.buf, "config /etc/my%20conf%25.conf\n") != NULL);
	CHECK_INT(sched_state_parse(a.buf, a.len, &back, &d), 0);
	CHECK_STR(back.config, "/etc/my conf%.conf");
	CHECK_INT(back.n, 2);
	CHECK_STR(back.v[1].name, "odd name%");
	CHECK_STR(back.v[1].selector, "cgroup:/a b/c\td");
	CHECK_INT(back.version, 2);
	sched_state_release(&back);

	/* Every truncation of the file is refused, never read as fewer guests. */
	for (size_t n = 0; n < a.len; n++) {
		struct hv_diags e = HV_DIAGS_INIT;
		int rc = sched_state_parse(a.buf, n, &back, &e);
		CHECK_INT(rc, -EINVAL);
		if (rc == 0)
			sched_state_release(&back);
		CHECK(n == 0 || (e.n == 1 && strstr(e.v[0].msg, "truncated")) || n < 20);
		hv_diags_release(&e);
	}
	/* A byte changed anywhere before the end line: a checksum mismatch. */
	char *bad = strdup(a.buf);
	char *pos = strstr(bad, "budget ") + 7;
	*pos = *pos == '9' ? '8' : '9';
	hv_diags_release(&d);
	CHECK_INT(sched_state_parse(bad, a.len, &back, &d), -EINVAL);
	CHECK(d.n == 1 && strncmp(d.v[0].msg, "damaged: checksum ", 18) == 0);
	free(bad);
	/* Version 1 (no checksum) is read as it is: migration. */
	static const char v1[] = "hvkit-sched-state 1\nsaved 5000000000 tick 1000000000 pid 7 config /x\n"
		"guest g cgroup:/g present 1 weight 0 started 1 last 5000000000 counter 3 cap 2000 "
		"rate 2000 budget 2400000000 floor 2000 burst 10000 window 20 bucket 1 head 5\n"
		"b 5 100\n";
	CHECK_INT(sched_state_parse(v1, sizeof(v1) - 1, &back, &d), 0);
	CHECK_INT(back.version, 1);
	CHECK_INT(back.n, 1);
	CHECK_INT(back.save_every_ns, 0);
	CHECK_INT(back.v[0].acct.sum_ns, 100);
	CHECK_STR(back.config, "/x");
	sched_state_release(&back);
	/* Buckets as written or refused (breaker finding 3): newest first,
	 * each once, none above 1,000 CPUs x its span.  A bucket given twice
	 * made WINDOW 2 s of a 1 s bucket; INT64_MAX made REFILL 0 s. */
	static const char *const badb[][2] = {
		{ "b 5 100\nb 5 100\n", "bucket 5 given twice" },
		{ "b 4 100\nb 5 100\n", "bucket 5 out of order" },
		{ "b 5 9223372036854775807\n", "bucket 5 holds 9223372036854775807 ns, more than 1000 CPUs x 1 s" },
		{ "b 5 1000000000001\n", "more than 1000 CPUs" },
		/* Each broken rule named (breaker 2, finding 7), and numbers
		 * only as written: no '+', no leading zero. */
		{ "b 6 100\n", "line 4: bucket after the guest's head bucket" },
		{ "b -16 100\n", "line 4: bucket older than the guest's window" },
		{ "b 5 -1\n", "line 4: bucket with a negative charge" },
		{ "b 05 100\n", "line 4: malformed bucket" },
		{ "b +5 100\n", "line 4: malformed bucket" },
		{ "b 5 +100\n", "line 4: malformed bucket" },
		{ "b 5 100 7\n", "line 4: malformed bucket" },
	};
	for (size_t i = 0; i < sizeof(badb) / sizeof(badb[0]); i++) {
		char text[600];
		int len = snprintf(text, sizeof(text), "hvkit-sched-state 1\nsaved 5000000000 tick 1000000000 pid 7 config /x\n"
				   "guest g cgroup:/g present 1 weight 0 started 1 last 5000000000 counter 3 cap 2000 "
				   "rate 2000 budget 2400000000 floor 2000 burst 10000 window 20 bucket 1 head 5\n%s",
				   badb[i][0]);
		hv_diags_release(&d);
		CHECK_INT(sched_state_parse(text, (size_t)len, &back, &d), -EINVAL);
		CHECK(d.n == 1 && strstr(d.v[0].msg, badb[i][1]));
	}
	/* A state that contradicts itself is damaged, never read (breaker 2,
	 * finding 1: each of these made the daemon drop a charge). */
#define G "guest g cgroup:/g present 1 weight 0 started 1 last 5000000000 counter 3 cap 2000 " \
	  "rate 2000 budget 2400000000 floor 2000 burst 10000 window 20 "
#define S "saved 5000000000 tick 1000000000 pid 7 config /x\n"
	static const char *const badg[][2] = {
		{ S G "bucket 2 head 2\n", "line 3: bucket 2 s, but a window of 20 s has buckets of 1 s" },
		{ S G "bucket 1 head 6\n", "line 3: head bucket 6 is after the last sample's (5)" },
		{ S G "bucket 1 head 5\n" G "bucket 1 head 5\n", "line 4: guest 'g' (cgroup:/g) given twice" },
		{ "saved 5000000000 tick 0 pid 7 config /x\n" G "bucket 1 head 5\n", "line 2: tick 0" },
		{ "saved 4000000000000000000 tick 1000000000 pid 7 config /x\n", "line 2: saved in the future" },
	};
	for (size_t i = 0; i < sizeof(badg) / sizeof(badg[0]); i++) {
		char text[900];
		int len = snprintf(text, sizeof(text), "hvkit-sched-state 1\n%s", badg[i][0]);
		hv_diags_release(&d);
		CHECK_INT(sched_state_parse(text, (size_t)len, &back, &d), -EINVAL);
		if (!(d.n == 1 && strstr(d.v[0].msg, badg[i][1])))
			fprintf(stderr, "case %zu: %s\n", i, d.n ? d.v[0].msg : "(none)");
		CHECK(d.n == 1 && strstr(d.v[0].msg, badg[i][1]));
	}
	/* A sample a little after the save (a clock stepped back by less than
	 * SCHED_STATE_SKEW_NS) is kept as it is: the engine charges it. */
	static const char skew[] = "hvkit-sched-state 1\nsaved 1000000000 tick 1000000000 pid 7 config /x\n"
		G "bucket 1 head 5\nb 5 100\n";
	hv_diags_release(&d);
	CHECK_INT(sched_state_parse(skew, sizeof(skew) - 1, &back, &d), 0);
	CHECK_INT(back.v[0].acct.sum_ns, 100);
	sched_state_release(&back);
#undef G
#undef S
	/* The bound itself is allowed: 1,000 CPUs for the whole bucket. */
	static const char edge[] = "hvkit-sched-state 1\nsaved 5000000000 tick 1000000000 pid 7 config /x\n"
		"guest g cgroup:/g present 1 weight 0 started 1 last 5000000000 counter 3 cap 2000 "
		"rate 2000 budget 2400000000 floor 2000 burst 10000 window 20 bucket 1 head 5\n"
		"b 5 1000000000000\nb 4 7\n";
	hv_diags_release(&d);
	CHECK_INT(sched_state_parse(edge, sizeof(edge) - 1, &back, &d), 0);
	sched_state_release(&back);

	sched_state_release(&st);
	strbuf_release(&a);
	strbuf_release(&b);
	hv_diags_release(&d);
}

static int write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t n = fwrite(text, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Two generations on disk: damage falls back, never to nothing silently;
 * a damaged or foreign current file never becomes the previous one. */
static void test_state_files(void)
{
	char dir[] = "/tmp/hvkit-test-state-XXXXXX";
	struct sched_guest g = burst_guest();
	struct sched_state st = { .tick_ns = NS, .pid = 42 }, back;
	struct sched_state_origin o;
	struct sched_state_file file = { 0 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char path[256], prev[300], cmd[300];

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/sched.state", dir);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_FRESH);
	sched_state_origin_release(&o);

	struct sched_state_guest *sg = sched_state_add(&st, "g", "cgroup:/g");
	sched_acct_init(&sg->acct, &g);
	st.saved_ns = 1;
	sched_state_format(&st, &a);
	CHECK_INT(sched_state_save(path, a.buf, a.len, &file), 0);
	CHECK(access(prev, F_OK) < 0);		/* nothing to keep yet */
	st.saved_ns = 2;
	sched_state_format(&st, &b);
	CHECK_INT(sched_state_save(path, b.buf, b.len, &file), 0);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_CURRENT);
	CHECK_INT(back.saved_ns, 2);
	CHECK(o.file.known && o.file.size == (off_t)b.len);
	sched_state_release(&back);
	sched_state_origin_release(&o);

	/* Truncated current: the previous generation (saved 1). */
	CHECK_INT(truncate(path, (off_t)b.len / 2), 0);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_PREVIOUS);
	CHECK_INT(back.saved_ns, 1);
	CHECK(o.damage && strstr(o.damage, "truncated"));
	sched_state_release(&back);
	sched_state_origin_release(&o);
	/* The damaged file is not ours: the next save leaves .prev alone. */
	st.saved_ns = 3;
	strbuf_reset(&b);
	sched_state_format(&st, &b);
	CHECK_INT(sched_state_save(path, b.buf, b.len, &file), 0);
	size_t len;
	unsigned char *kept = check_slurp(prev, &len);
	CHECK(kept && len == a.len && memcmp(kept, a.buf, len) == 0);
	free(kept);
	/* Our own file again: it becomes .prev at the next save. */
	st.saved_ns = 4;
	strbuf_reset(&a);
	sched_state_format(&st, &a);
	CHECK_INT(sched_state_save(path, a.buf, a.len, &file), 0);
	kept = check_slurp(prev, &len);
	CHECK(kept && len == b.len && memcmp(kept, b.buf, len) == 0);
	free(kept);

	/* Both damaged: LOST, with both reasons. */
	CHECK_INT(write_text(path, "hvkit-sched-state 2\nsaved 1 tick", 32), 0);
	CHECK_INT(write_text(prev, "junk\n", 5), 0);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_LOST);
	CHECK_INT(back.n, 0);
	CHECK(o.damage && strstr(o.damage, "truncated"));
	CHECK(o.prev_damage && strstr(o.prev_damage, "not an hvkit sched state file"));
	sched_state_origin_release(&o);
	/* Current gone, previous good: PREVIOUS. */
	CHECK_INT(write_text(prev, a.buf, a.len), 0);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_PREVIOUS);
	CHECK_STR(o.damage, "missing");
	sched_state_release(&back);
	sched_state_origin_release(&o);
	/* A directory in its place is damage, not a crash or a hang. */
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK_INT(sched_state_load(path, &back, &o), 0);
	CHECK_INT(o.gen, SCHED_STATE_PREVIOUS);
	sched_state_release(&back);
	sched_state_origin_release(&o);
	CHECK_INT(rmdir(path), 0);

	/* The lock file is never a symlink (it is truncated) nor a FIFO. */
	int fd = -1;
	long holder = -1;
	char lock[300];
	snprintf(lock, sizeof(lock), "%s.lock", path);
	CHECK_INT(symlink(prev, lock), 0);
	CHECK_INT(sched_state_lock(path, &fd, &holder), -ELOOP);
	kept = check_slurp(prev, &len);
	CHECK(kept && len == a.len);	/* the symlink's target not truncated */
	free(kept);
	CHECK_INT(unlink(lock), 0);
	CHECK_INT(mkfifo(lock, 0644), 0);
	CHECK_INT(sched_state_lock(path, &fd, &holder), -EINVAL);
	CHECK_INT(unlink(lock), 0);
	/* The lock: a second process is refused and told the owner's pid. */
	CHECK_INT(sched_state_lock(path, &fd, &holder), 0);
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		int cfd = -1;
		long h = -1;
		int rc = sched_state_lock(path, &cfd, &h);
		long h2 = -1;
		int held = sched_state_lock_holder(path, &h2);
		_exit(rc == -EBUSY && h == (long)getppid() && held == 1 && h2 == h ? 0 : 1);
	}
	int status = -1;
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	long h3 = -1;
	CHECK_INT(sched_state_lock_holder(path, &h3), 0);
	CHECK_INT(sched_state_lock_holder(prev, &h3), -ENOENT);	/* prev.lock: never locked */
	/* Released: the next one gets it. */
	child = fork();
	if (child == 0) {
		int cfd = -1;
		long h = -1;
		_exit(sched_state_lock(path, &cfd, &h) == 0 ? 0 : 1);
	}
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	sched_state_release(&st);
	strbuf_release(&a);
	strbuf_release(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

/* "then cap Q% over R": a busy guest's cap falls from P to Q over about R
 * and no window ever holds more than the budget. */
static void test_ramp(void)
{
	struct sched_guest g = { .name = "g", .kind = SCHED_SEL_CGROUP, .sel = "/g",
				 .has_burst = true,
				 .burst = { .burst_cp = 10000, .floor_cp = 2000,
					    .dur_s = 60, .window_s = 600, .ramp_s = 60 } };
	struct sched_acct a;
	int64_t t = 1700000000LL * NS;
	uint64_t ctr = 0;
	uint32_t caps[200];

	sched_acct_init(&a, &g);
	for (int i = 0; i < 200; i++) {
		struct sched_step s;
		caps[i] = sched_acct_step(&a, &g, t, 0, ctr, NS, &s);
		CHECK(s.left_ns >= 0 || i == 0);
		ctr += (uint64_t)caps[i] * (NS / 10000);
		t += NS;
	}
	/* Flat out at P for D - R/2 = 30 s, then down to Q by ~ D + R/2 = 90 s. */
	CHECK_INT(caps[28], 10000);
	CHECK(caps[45] < 10000 && caps[45] > 6000);
	CHECK(caps[60] < caps[45] && caps[60] > 2000 + 2000);
	CHECK(caps[80] < caps[60] && caps[80] > 2000);
	CHECK_INT(caps[95], 2000);
	/* Never in debt beyond a tick: the window holds at most B. */
	CHECK(sched_acct_left(&a) > -(int64_t)NS / 100);
	CHECK(a.throttled);
	CHECK(a.throttled_ns >= 60 * (uint64_t)NS && a.throttled_ns < 180 * (uint64_t)NS);
	sched_acct_release(&a);

	/* Without a ramp: a step at ~D. */
	g.burst.ramp_s = 0;
	sched_acct_init(&a, &g);
	t = 1700000000LL * NS;
	ctr = 0;
	for (int i = 0; i < 70; i++) {
		caps[i] = sched_acct_step(&a, &g, t, 0, ctr, NS, NULL);
		ctr += (uint64_t)caps[i] * (NS / 10000);
		t += NS;
	}
	CHECK_INT(caps[58], 10000);
	CHECK_INT(caps[62], 2000);
	sched_acct_release(&a);
}

/* Damage never refunds: a lost state charges a full window; an older
 * generation's gap is charged at its end (stays in the window longest). */
static void test_no_refund(void)
{
	struct sched_guest g = burst_guest();	/* B = 2.4 CPU-s per 20 s */
	struct sched_acct a, late;
	int64_t t = 1700000000LL * NS;
	uint64_t ctr = 0;

	sched_acct_init(&a, &g);
	sched_acct_spend_all(&a, t);
	CHECK_INT(sched_acct_left(&a), 0);
	CHECK_INT(sched_acct_step(&a, &g, t + NS / 2, 0, 0, NS, NULL), 2000);
	CHECK_INT(sched_acct_left_at(&a, t + 19 * NS), 0);
	CHECK_INT(sched_acct_left_at(&a, t + 21 * NS), (int64_t)a.budget_ns);
	sched_acct_release(&a);

	/* A 10 s gap with 3 CPU-s of excess: spread, 1/3 falls out of a
	 * window that ends 15 s later; charged late, none does. */
	sched_acct_init(&a, &g);
	sched_acct_init(&late, &g);
	(void)sched_acct_step(&a, &g, t, 0, ctr, NS, NULL);
	(void)sched_acct_step(&late, &g, t, 0, ctr, NS, NULL);
	late.charge_late = true;
	ctr = 5 * (uint64_t)NS;		/* 5 CPU-s in 10 s: 3 above 20% */
	(void)sched_acct_step(&a, &g, t + 10 * NS, 0, ctr, NS, NULL);
	(void)sched_acct_step(&late, &g, t + 10 * NS, 0, ctr, NS, NULL);
	CHECK_INT(a.sum_ns, 3 * (uint64_t)NS);
	CHECK_INT(late.sum_ns, 3 * (uint64_t)NS);
	CHECK(!late.charge_late);
	CHECK(sched_acct_left_at(&a, t + 25 * NS) > sched_acct_left_at(&late, t + 25 * NS));
	CHECK_INT(sched_acct_left_at(&late, t + 25 * NS), (int64_t)late.budget_ns - 3 * NS);
	sched_acct_release(&a);
	sched_acct_release(&late);

	/* Gone between ticks: the time since the last sample is charged at
	 * the last tick's rate, at most the cap; an idle guest, nothing. */
	sched_acct_init(&a, &g);
	(void)sched_acct_step(&a, &g, t, 0, 0, NS, NULL);
	(void)sched_acct_step(&a, &g, t + NS, 0, NS, NS, NULL);	/* 100% */
	uint64_t before = a.sum_ns;
	sched_acct_charge_gone(&a, t + NS + NS / 2);
	CHECK_INT(a.sum_ns - before, (uint64_t)NS / 2 * 8 / 10);	/* (100% - 20%) x 0.5 s */
	CHECK_INT(a.last_ns, t + NS + NS / 2);
	sched_acct_release(&a);
	sched_acct_init(&a, &g);
	(void)sched_acct_step(&a, &g, t, 0, 0, NS, NULL);
	(void)sched_acct_step(&a, &g, t + NS, 0, NS / 10, NS, NULL);	/* 10% */
	sched_acct_charge_gone(&a, t + 2 * NS);
	CHECK_INT(a.sum_ns, 0);
	sched_acct_release(&a);
}

/* A counter first read on this host is a baseline, and no tick charges
 * more than the guest could have used (the cap in force, or its CPUs). */
static void test_counter_bounds(void)
{
	struct sched_guest g = burst_guest();	/* 20% floor, 100% burst */
	struct sched_acct a;
	int64_t t = 1700000000LL * NS;

	/* A lifetime counter of 100 CPU-s seen after 1 s at a 100% cap:
	 * at most 1.1 CPU-s (1 s + one CFS period) of usage, 0.9 above 20%. */
	sched_acct_init(&a, &g);
	(void)sched_acct_step(&a, &g, t, 0, 0, NS, NULL);
	a.limit_cp = 10000;
	(void)sched_acct_step(&a, &g, t + NS, 0, 100 * (uint64_t)NS, NS, NULL);
	CHECK_INT(a.sum_ns, (uint64_t)NS * 11 / 10 - (uint64_t)NS / 5);
	/* A counter gone backwards (restarted) is bounded the same way. */
	(void)sched_acct_step(&a, &g, t + 2 * NS, 0, 50 * (uint64_t)NS, NS, NULL);
	CHECK_INT(a.sum_ns, 2 * ((uint64_t)NS * 11 / 10 - (uint64_t)NS / 5));
	sched_acct_release(&a);

	/* Taken over (a record of another host): the first counter read
	 * here charges nothing however large; the next tick charges what
	 * it grew by. */
	sched_acct_init(&a, &g);
	(void)sched_acct_step(&a, &g, t, 0, 7, NS, NULL);
	a.rebase_counter = true;
	(void)sched_acct_step(&a, &g, t + NS, 0, 60 * (uint64_t)NS, NS, NULL);
	CHECK_INT(a.sum_ns, 0);
	CHECK(!a.rebase_counter);
	CHECK_INT(a.last_counter_ns, 60 * (uint64_t)NS);
	CHECK_INT(a.last_ns, t + NS);
	(void)sched_acct_step(&a, &g, t + 2 * NS, 0, 60 * (uint64_t)NS + NS / 2, NS, NULL);
	CHECK_INT(a.sum_ns, (uint64_t)NS / 2 - (uint64_t)NS / 5);
	sched_acct_release(&a);

	/* First read on this host: a counter the guest could have run up
	 * since the last sample is a new domain's, charged from zero; a
	 * larger one ran before this host saw it, a baseline. */
	sched_acct_init(&a, &g);
	(void)sched_acct_step(&a, &g, t, 0, 40 * (uint64_t)NS, NS, NULL);
	a.new_counter = true;
	a.limit_cp = 10000;
	(void)sched_acct_step(&a, &g, t + NS, 0, NS / 2, NS, NULL);
	CHECK_INT(a.sum_ns, (uint64_t)NS / 2 - (uint64_t)NS / 5);
	CHECK(!a.new_counter);
	a.new_counter = true;
	(void)sched_acct_step(&a, &g, t + 2 * NS, 0, 30 * (uint64_t)NS, NS, NULL);
	CHECK_INT(a.sum_ns, (uint64_t)NS / 2 - (uint64_t)NS / 5);
	CHECK_INT(a.last_counter_ns, 30 * (uint64_t)NS);
	sched_acct_release(&a);
}

/* A cgroup tree of plain files under a temporary root. */
static void put(const char *root, const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get(const char *root, const char *rel, char *buf, size_t sz)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	buf[0] = 0;
	if ((f = fopen(p, "r"))) {
		if (!fgets(buf, (int)sz, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static void test_cgroup_backend(void)
{
	static const struct {
		bool v2;
		unsigned weight;
		unsigned long value;
	} weights[] = {
		{ false, 256, 1024 }, { false, 512, 2048 }, { false, 1, 4 },
		{ false, 65535, 262140 },
		{ true, 256, 100 }, { true, 512, 200 }, { true, 1, 1 }, { true, 65535, 10000 },
	};
	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		CHECK_INT(sched_cgroup_weight_value(weights[i].v2, weights[i].weight),
			  weights[i].value);

	for (int v2 = 0; v2 <= 1; v2++) {
		char root[] = "/tmp/hvkit-test-cg.XXXXXX", p[600], buf[128];
		struct sched_backend *b = NULL;
		struct hv_diags d = HV_DIAGS_INIT;
		struct sched_guest g = { .name = (char *)"g", .sel = (char *)"/vm", .kind = SCHED_SEL_CGROUP };
		void *h = NULL;
		uint64_t ns = 0;

		CHECK(mkdtemp(root) != NULL);
		if (v2) {
			put(root, "cgroup.controllers", "cpu\n");
			snprintf(p, sizeof(p), "%s/vm", root);
			mkdir(p, 0755);
			put(root, "vm/cpu.max", "max 100000\n");
			put(root, "vm/cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
			put(root, "vm/cpu.weight", "100\n");
		} else {
			for (const char *h1 = "cpu"; h1; h1 = strcmp(h1, "cpu") ? NULL : "cpuacct") {
				snprintf(p, sizeof(p), "%s/%s", root, h1);
				mkdir(p, 0755);
				snprintf(p, sizeof(p), "%s/%s/vm", root, h1);
				mkdir(p, 0755);
			}
			put(root, "cpu/cpu.cfs_quota_us", "-1\n");
			put(root, "cpuacct/cpuacct.usage", "0\n");
			put(root, "cpu/vm/cpu.cfs_quota_us", "-1\n");
			put(root, "cpu/vm/cpu.cfs_period_us", "100000\n");
			put(root, "cpu/vm/cpu.shares", "1024\n");
			put(root, "cpuacct/vm/cpuacct.usage", "1500000\n");
		}
		CHECK_INT(sched_backend_cgroup_new(root, &b, &d), 0);
		if (!b)
			continue;
		CHECK_INT(b->ops->open(b, &g, &h, &d), 0);
		if (h) {
			const char *wfile = v2 ? "vm/cpu.weight" : "cpu/vm/cpu.shares";
			const char *qfile = v2 ? "vm/cpu.max" : "cpu/vm/cpu.cfs_quota_us";
			int64_t before = clock_ns(CLOCK_REALTIME), at = 0;
			CHECK_INT(b->ops->usage(b, h, &ns, &at), 0);
			CHECK_INT(ns, 1500000);
			/* Stamped when read, not when the tick began. */
			CHECK(at >= before && at <= clock_ns(CLOCK_REALTIME));
			/* Empty or garbled: unreadable (-EIO), not gone; the
			 * counter read again once it is whole. */
			const char *ufile = v2 ? "vm/cpu.stat" : "cpuacct/vm/cpuacct.usage";
			static const char *const junk[] = { "", "12x\n", "user_usec 5\n", "-3\n",
							    "usage_usec 99999999999999999999\n" };
			for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++) {
				put(root, ufile, junk[k]);
				ns = 7;
				CHECK_INT(b->ops->usage(b, h, &ns, &at), -EIO);
				CHECK_INT(ns, 7);
			}
			put(root, ufile, v2 ? "usage_usec 2500\n" : "2500000\n");
			CHECK_INT(b->ops->usage(b, h, &ns, &at), 0);
			CHECK_INT(ns, 2500000);
			/* The weight is written and read back. */
			CHECK_INT(b->ops->set_weight(b, h, 512, &d), 0);
			CHECK_STR(get(root, wfile, buf, sizeof(buf)), v2 ? "200" : "2048");
			CHECK_INT(d.n, 0);
			/* Caps: 20% of one CPU over the 100 ms period. */
			CHECK_INT(b->ops->set_cap(b, h, 2000), 0);
			CHECK_STR(get(root, qfile, buf, sizeof(buf)), v2 ? "20000 100000" : "20000");
			/* A weight that does not read back is an error that says
			 * so: cpu.shares as /dev/null takes the write, reads "". */
			snprintf(p, sizeof(p), "%s/%s", root, wfile);
			unlink(p);
			CHECK_INT(symlink("/dev/null", p), 0);
			CHECK_INT(b->ops->set_weight(b, h, 300, &d), -EIO);
			CHECK(d.n == 1 && strstr(d.v[0].msg, v2 ? "weight 300 did not take: wrote 117 to "
						 "cpu.weight of '/vm', it reads back ''"
						 : "weight 300 did not take: wrote 1200 to cpu.shares of "
						 "'/vm', it reads back ''"));
			hv_diags_release(&d);
			unlink(p);
			/* Gone: cannot open the weight file. */
			CHECK(b->ops->set_weight(b, h, 300, &d) < 0 && d.n == 1 &&
			      strstr(d.v[0].msg, "cannot open"));
			/* The cgroup's directory gone: a counter that no longer
			 * reads is the guest gone (-ENOENT). */
			put(root, ufile, "");
			snprintf(p, sizeof(p), "rm -rf '%s/%s'", root, v2 ? "vm" : "cpuacct/vm");
			CHECK_INT(system(p), 0);
			CHECK_INT(b->ops->usage(b, h, &ns, &at), -ENOENT);
			b->ops->close(b, h);
		}
		b->ops->free(b);
		hv_diags_release(&d);
		snprintf(p, sizeof(p), "rm -rf '%s'", root);
		CHECK_INT(system(p), 0);
	}
}

/* A pool's base (pool.h) keeps only where it can differ from the copy:
 * what is unsent is copy - base either way, and a reload to other buckets
 * keeps every unsent charge (a reload while etcd is away). */
static void test_pool_base(void)
{
	struct sched_guest g = burst_guest();
	struct sched_acct copy;
	struct sched_pool_guest pg = { 0 };
	int64_t t = 1700000001LL * NS;	/* odd: 2 s buckets split the last 5 */
	uint64_t ctr = 0, last5 = 0;

	g.burst.dur_s = 15;
	g.burst.window_s = 100;
	sched_acct_init(&copy, &g);
	(void)run(&copy, &g, &t, &ctr, 0.5, 21);
	CHECK(copy.sum_ns > 0);
	/* Nothing known of etcd: everything is unsent. */
	CHECK_INT(sched_pool_unsent_ns(&copy, &pg), copy.sum_ns);
	/* etcd holds all but the last 5 buckets (kept from head - 4 on, as
	 * zeros): those are unsent, nothing older. */
	for (int64_t j = copy.head - 4; j <= copy.head; j++)
		last5 += copy.ring[(uint64_t)j % copy.nbuckets];
	pg.base.lo = copy.head - 4;
	pg.base.n = pg.base.alloc = 5;
	pg.base.v = xcalloc(5, sizeof(*pg.base.v));
	CHECK(last5 > 0 && last5 < copy.sum_ns);
	CHECK_INT(sched_pool_unsent_ns(&copy, &pg), last5);
	/* Reloaded to a 2 h window (2 s buckets): the same unsent. */
	uint64_t sum = copy.sum_ns;
	g.burst.window_s = 7200;
	sched_pool_guest_refit(&pg, &copy, &g);
	CHECK_INT(copy.bucket_s, 2);
	CHECK_INT(copy.sum_ns, sum);
	CHECK_INT(sched_pool_unsent_ns(&copy, &pg), last5);
	CHECK(pg.base.n <= 4);	/* still short */
	sched_pool_guest_release(&pg);
	sched_acct_release(&copy);
}

/* --metrics-file labels stay valid UTF-8 (node_exporter drops a whole
 * file that is not) whatever bytes a name holds. */
static void test_metrics_labels(void)
{
	struct sched_guest g = burst_guest();
	struct sched_state st = { .tick_ns = NS, .pid = 42 };
	struct strbuf out = STRBUF_INIT;
	int64_t t = 1700000000LL * NS;

	struct sched_state_guest *sg = sched_state_add(&st, "a\"b\\c", "libvirt:x\xffy\xe2\x80\xaez\n\x1b");
	sched_acct_init(&sg->acct, &g);
	sched_metrics_format(&st, t, t, &out);
	CHECK(strstr(out.buf, "guest=\"a\\\"b\\\\c\"") != NULL);
	CHECK(strstr(out.buf, "selector=\"libvirt:x\\\\xffy\\\\xe2\\\\x80\\\\xaez\\n\\\\x1b\"") != NULL);
	bool ascii = true;
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.buf[i] >= 0x7f || ((unsigned char)out.buf[i] < ' ' && out.buf[i] != '\n'))
			ascii = false;
	CHECK(ascii);
	if (!ascii || !strstr(out.buf, "xffy"))
		fprintf(stderr, "metrics:\n%s\n", out.buf);
	strbuf_release(&out);
	sched_state_release(&st);
}

int main(void)
{
	test_parse();
	test_engine();
	test_state();
	test_state_files();
	test_ramp();
	test_no_refund();
	test_counter_bounds();
	test_cgroup_backend();
	test_metrics_labels();
	test_pool_base();
	return CHECK_DONE();
}
