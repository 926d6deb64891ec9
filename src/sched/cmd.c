/* SPDX-License-Identifier: MIT */
/* `hvkit sched`: subcommand dispatch, `check` and `status`.  `run` is in
 * daemon.c, `simulate` in simulate.c. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "hvkit.h"
#include "json.h"
#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "sched.h"
#include "state.h"
#include "strbuf.h"
#include "util.h"

void sched_usage(FILE *f)
{
	fputs("usage: hvkit sched check CONF [--json[=pretty]] [-v]\n"
	      "       hvkit sched run CONF [--tick 1s] [--state FILE|etcd://H:P[,H:P]/PREFIX]\n"
	      "                 [--save-every 10s] [--cgroup-root DIR]\n"
	      "                 [--backend cgroup|libvirt[:URI]]\n"
	      "                 [--metrics-file FILE [--metrics-every T]] [--ticks N] [-v]\n"
	      "                 [--foreign ours|theirs] [--knob-every 5s]\n"
	      "                 [--host-id NAME] [--lease-ttl 10s] [--etcd-cacert FILE]\n"
	      "                 [--etcd-cert FILE] [--etcd-key FILE]\n"
	      "       hvkit sched status [--state FILE|etcd://...] [--json | --prometheus]\n"
	      "                 [--etcd-cacert FILE] [--etcd-cert FILE] [--etcd-key FILE] [-v]\n"
	      "       hvkit sched simulate CONF TRACE [-o plot.svg] [--tick 1s] [--summary]\n"
	      "                 [--json[=pretty]] [-v]\n"
	      "\n"
	      "CPU budgets for Xen domains, libvirt guests and cgroups: weights,\n"
	      "caps, time-of-day caps and bursts (\"100% for 5m per 1h, then cap\n"
	      "20%\").  The policy language is hvkit-sched.conf(5).\n"
	      "\n"
	      "  check     validate CONF; errors as file:line:col: reason\n"
	      "  run       the daemon: each tick read every guest's CPU time, update\n"
	      "            its budget, set caps that changed; SIGHUP reloads CONF\n"
	      "            (a bad one is logged and the running policy kept),\n"
	      "            SIGTERM saves the state and exits; the state is saved on\n"
	      "            changes, every --save-every and on SIGUSR1; with\n"
	      "            --metrics-file it rewrites FILE each tick (or every\n"
	      "            --metrics-every) for node_exporter's textfile collector;\n"
	      "            every --knob-every it checks that caps and weights still\n"
	      "            hold what it wrote: another hand's change is logged and\n"
	      "            written over (--foreign ours) or left, the guest then\n"
	      "            unmanaged until SIGHUP (--foreign theirs);\n"
	      "            --state etcd://... shares every guest's budget with the\n"
	      "            other hosts of a pool (one etcd v3 cluster; --host-id\n"
	      "            names this host, default its host name; --lease-ttl: how\n"
	      "            soon another host may take over a guest from a dead one,\n"
	      "            default 10 s or three ticks, at least two ticks);\n"
	      "            libvirt: guests are policed through their cgroups, or\n"
	      "            with --backend libvirt[:URI] through libvirt's API\n"
	      "            (vcpu_quota, cpu_shares; one domain-stats call a tick)\n"
	      "  status    each guest's usage, budget left, cap and refill time,\n"
	      "            from the daemon's state file (default " SCHED_DEFAULT_STATE ")\n"
	      "            or the whole pool from etcd, with each guest's HOST;\n"
	      "            --prometheus prints the metrics of --metrics-file\n"
	      "  simulate  run the same engine on a CSV trace (time,guest,usage);\n"
	      "            print a table (--summary: per guest CPU used, time\n"
	      "            capped, bursts granted), and with -o draw usage, cap\n"
	      "            and budget\n"
	      "\n"
	      "  -h, --help         this text; after a verb, that verb's\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.  See hvkit-sched(1).\n",
	      f);
}

static int cmd_check(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "json", optional_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sched_policy p;
	bool json = g->json, pretty = g->json_pretty;
	int c;

	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		if (c == 'v') {
			log_verbosity++;
			continue;
		}
		if (c == 'j') {
			if (hv_json_opt(optarg, &json, &pretty))
				return EXIT_USAGE;
			continue;
		}
		if (c != 'h')
			return hv_opt_error_in("sched", c, argv, opts);
		hv_verb_usage(g);
		return EXIT_OK;
	}
	if (argc - optind != 1) {
		log_error("'sched check' takes one file: hvkit sched check CONF");
		return EXIT_USAGE;
	}
	if (sched_load_policy(argv[optind], &p) < 0)
		return EXIT_FAIL;
	struct strbuf sb = STRBUF_INIT;
	if (json) {
		/* the guests the policy names; an error is on stderr, as text */
		struct json j;

		json_init(&j, &sb, pretty);
		json_obj_open(&j);
		json_kv_str(&j, "file", argv[optind]);
		json_key(&j, "guests");
		json_arr_open(&j);
		for (size_t i = 0; i < p.n; i++)
			json_str(&j, p.v[i].name);
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(&sb, '\n');
	} else {
		strbuf_addf(&sb, "%s: ok, %zu guest%s\n", argv[optind], p.n, p.n == 1 ? "" : "s");
	}
	c = write_output(NULL, sb.buf, sb.len) < 0 ? EXIT_FAIL : EXIT_OK;
	strbuf_release(&sb);
	sched_policy_release(&p);
	return c;
}

static void cap_text(char *buf, size_t sz, uint32_t cp)
{
	if (cp == SCHED_CAP_NONE)
		snprintf(buf, sz, "none");
	else
		sched_cp_format(buf, sz, cp);
}

/* A table cell: as is, or in double quotes (the conf's own spelling,
 * \xNN for what is not printable ASCII) where a blank, quote, backslash
 * or other byte would break the columns or the terminal. */
static char *table_cell(const char *s)
{
	const char *q;

	for (q = s; *q && *q > ' ' && *q < 0x7f && *q != '"' && *q != '\\'; q++)
		;
	if (*s && !*q)
		return xstrdup(s);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '"');
	for (q = s; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if (c == '"' || c == '\\')
			strbuf_addf(&sb, "\\%c", c);
		else if (c < ' ' || c >= 0x7f)
			strbuf_addf(&sb, "\\x%02x", c);
		else
			strbuf_addc(&sb, (char)c);
	}
	strbuf_addc(&sb, '"');
	return strbuf_detach(&sb, NULL);
}

static int cmd_status(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", optional_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "etcd-cacert", required_argument, NULL, 'A' },
		{ "etcd-cert", required_argument, NULL, 'c' },
		{ "etcd-key", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct etcd_opts eo = { 0 };
	const char *path = SCHED_DEFAULT_STATE;
	bool json = g->json, pretty = g->json_pretty, prom = false;
	struct sched_state st;
	struct sched_state_origin o;
	int c, rc;

	struct hv_getopt gs = HV_GETOPT_INIT("sched status", NULL);

	while ((c = hv_getopt(&gs, argc, argv, ":vh", opts)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'j':
			if (hv_json_opt(optarg, &json, &pretty))
				return EXIT_USAGE;
			break;
		case 'P': prom = true; break;
		case 'A': eo.cacert = optarg; break;
		case 'c': eo.cert = optarg; break;
		case 'k': eo.key = optarg; break;
		case 'v': log_verbosity++; break;
		case 'h': hv_verb_usage(g); return EXIT_OK;
		default: return hv_opt_error_in("sched", c, argv, opts);
		}
	}
	if (optind != argc) {
		log_error("'sched status' takes no arguments");
		return EXIT_USAGE;
	}
	/* the daemon's state is a file it renames over, never standard input */
	if (strcmp(path, "-") == 0)
		return hv_args_error("sched status", "--state cannot be '-': give a file's path");
	if (!*path)
		return hv_args_error("sched status", "--state needs a file name, not ''");
	if (prom && json) {
		log_error("'sched status': --json and --prometheus exclude each other");
		return EXIT_USAGE;
	}
	bool pooled = !strncmp(path, "etcd://", 7);
	if (!pooled && (eo.cacert || eo.cert || eo.key)) {
		log_error("--etcd-* go with --state etcd://...");
		return EXIT_USAGE;
	}
	if (pooled) {
		/* The whole pool, from any host. */
		struct hv_diags d = HV_DIAGS_INIT;
		rc = sched_pool_read(path, &eo, &st, &d);
		(void)log_diags(path, &d);
		hv_diags_release(&d);
		if (rc < 0)
			return EXIT_FAIL;
		o = (struct sched_state_origin){ .gen = SCHED_STATE_CURRENT };
	} else {
		/* No daemon writes a state there (run refuses it): not read. */
		const char *unfit = sched_output_unfit(path);
		if (unfit) {
			log_error("cannot read state '%s': it is %s", path, unfit);
			return EXIT_FAIL;
		}
		/* Read exactly as the daemon reads it at start (sched_state_load). */
		(void)sched_state_load(path, &st, &o);
	}
	_cleanup_free_ char *prev = sched_state_prev_path(path);
	switch (o.gen) {
	case SCHED_STATE_FRESH:
		log_error("cannot read state '%s': %s (is 'hvkit sched run' running?)", path,
			  strerror(ENOENT));
		sched_state_origin_release(&o);
		return EXIT_FAIL;
	case SCHED_STATE_LOST:
		log_error("state '%s': %s; and '%s': %s; a daemon started on it charges "
			  "every guest a full window", path, o.damage, prev, o.prev_damage);
		sched_state_origin_release(&o);
		return EXIT_FAIL;
	case SCHED_STATE_PREVIOUS:
		log_warn("state '%s': %s; showing the previous generation '%s', as the "
			 "daemon would use it", path, o.damage, prev);
		break;
	case SCHED_STATE_CURRENT:
		break;
	}
	sched_state_origin_release(&o);
	int64_t now = clock_ns(CLOCK_REALTIME);
	if (pooled && !st.saved_ns)
		st.saved_ns = now;	/* an empty pool: nothing saved, nothing old */
	double age = (double)(now - st.saved_ns) / 1e9;
	/* The daemon saves on changes and at least every save-every (not
	 * recorded by version 1: assume the default 10 s). */
	double every = (double)(st.save_every_ns ? st.save_every_ns : 10000000000LL) / 1e9;
	long holder = 0;
	int held = pooled ? 2 : sched_state_lock_holder(path, &holder);
	if (pooled)
		;	/* each record has its owner (HOST) */
	else if (held == 0 || held == -ENOENT)
		log_warn("no daemon runs on state '%s' (its lock is free): numbers as of %.0f s ago",
			 path, age);
	else if (st.tick_ns > 0 && age > every + 2.0 * (double)st.tick_ns / 1e9 + 1)
		log_warn("state '%s' was saved %.0f s ago: is the daemon (pid %ld) stuck?",
			 path, age, held == 1 && holder ? holder : st.pid);

	struct strbuf out = STRBUF_INIT;
	struct json j;
	int wn = 16, ws = 28, wh = pooled ? 8 : 0;
	if (prom) {
		/* The numbers are as of the save; budgets left as of now. */
		sched_metrics_format(&st, now, st.saved_ns, &out);
		rc = write_output(NULL, out.buf, out.len);
		strbuf_release(&out);
		sched_state_release(&st);
		return rc < 0 ? EXIT_FAIL : EXIT_OK;
	}
	if (json) {
		json_init(&j, &out, pretty);
		json_obj_open(&j);
		json_kv_double(&j, "saved_age_s", age);
		json_kv_double(&j, "tick_s", (double)st.tick_ns / 1e9);
		json_kv_i64(&j, "pid", st.pid);
		json_kv_str(&j, "config", st.config);
		json_key(&j, "guests");
		json_arr_open(&j);
	} else {
		/* Columns as wide as the longest name and selector. */
		for (size_t i = 0; i < st.n; i++) {
			_cleanup_free_ char *cell = table_cell(st.v[i].selector);
			size_t a = strlen(st.v[i].name), b = strlen(cell);
			wn = a > (size_t)wn ? (int)a : wn;
			ws = b > (size_t)ws ? (int)b : ws;
			if (pooled && st.v[i].host && strlen(st.v[i].host) > (size_t)wh)
				wh = (int)strlen(st.v[i].host);
		}
		strbuf_addf(&out, "%-*s %-*s ", wn, "GUEST", ws, "SELECTOR");
		if (pooled)
			strbuf_addf(&out, "%-*s ", wh, "HOST");
		strbuf_addf(&out, "%-7s %7s %9s %9s %9s %7s %8s\n", "PRESENT", "USAGE", "WINDOW",
			    "BUDGET", "LEFT", "CAP", "REFILL");
	}
	for (size_t i = 0; i < st.n; i++) {
		const struct sched_state_guest *sg = &st.v[i];
		const struct sched_acct *a = &sg->acct;
		uint32_t full = 0, any = 0;
		char cap[32], rate[32];
		sched_acct_refill(a, now, &full, &any);
		/* As of now, not of the save: what left the window since is back.
		 * A spent budget is 0 left (not in debt) until it refills. */
		int64_t left_ns = a->nbuckets ? sched_acct_left_at(a, now) : 0;
		double left = left_ns > 0 ? (double)left_ns / 1e9 : 0;
		cap_text(cap, sizeof(cap), a->cap_cp);
		sched_cp_format(rate, sizeof(rate), a->rate_cp);
		bool unread = sg->present && sg->unreadable >= SCHED_UNREADABLE_SAY;
		const char *present = unread ? "unread" : sg->present ? "yes" : "no";
		if (unread && !json)
			log_warn("%s: its CPU time could not be read for the last %u ticks: USAGE and "
				 "LEFT are as of the last good read (what it uses meanwhile is charged "
				 "at the next)", sg->name, sg->unreadable);
		if (json) {
			json_obj_open(&j);
			json_kv_str(&j, "name", sg->name);
			json_kv_str(&j, "selector", sg->selector);
			json_kv_bool(&j, "present", sg->present);
			json_kv_u64(&j, "unreadable_ticks", sg->unreadable);
			if (pooled)
				json_kv_str(&j, "host", sg->host);
			json_kv_double(&j, "usage_cpus", a->rate_cp / 10000.0);
			if (a->cap_cp == SCHED_CAP_NONE) {
				json_key(&j, "cap_cpus");
				json_null(&j);
			} else {
				json_kv_double(&j, "cap_cpus", a->cap_cp / 10000.0);
			}
			if (a->nbuckets) {
				json_kv_u64(&j, "window_s", a->window_s);
				json_kv_double(&j, "window_excess_cpu_s",
					       (double)((int64_t)a->budget_ns - left_ns) / 1e9);
				json_kv_double(&j, "budget_cpu_s", (double)a->budget_ns / 1e9);
				json_kv_double(&j, "budget_left_cpu_s", left);
				json_kv_double(&j, "floor_cpus", a->floor_cp / 10000.0);
				json_kv_double(&j, "burst_cpus", a->burst_cp / 10000.0);
				json_kv_u64(&j, "refill_full_s", full);
				json_kv_u64(&j, "refill_any_s", any);
				json_kv_bool(&j, "throttled", a->throttled);
				json_kv_double(&j, "throttled_s", (double)a->throttled_ns / 1e9);
			}
			json_obj_close(&j);
		} else {
			_cleanup_free_ char *cell = table_cell(sg->selector);
			strbuf_addf(&out, "%-*s %-*s ", wn, sg->name, ws, cell);
			if (pooled)
				strbuf_addf(&out, "%-*s ", wh, sg->host ? sg->host : "-");
		}
		if (json) {
		} else if (a->nbuckets) {
			/* REFILL: until some budget is back when it is spent, else
			 * until it is whole; "-" when it is whole. */
			char refill[32];
			uint32_t r = left_ns > 0 ? full : any;
			snprintf(refill, sizeof(refill), "%us", r);
			strbuf_addf(&out, "%-7s %7s %8.1fs %8.1fs %8.1fs %7s %8s\n",
				    present, rate,
				    (double)((int64_t)a->budget_ns - left_ns) / 1e9,
				    (double)a->budget_ns / 1e9, left, cap,
				    r || left_ns <= 0 ? refill : "-");
		} else {
			strbuf_addf(&out, "%-7s %7s %9s %9s %9s %7s %8s\n",
				    present, rate,
				    "-", "-", "-", cap, "-");
		}
	}
	if (json) {
		json_arr_close(&j);
		json_obj_close(&j);
		strbuf_addc(&out, '\n');
	}
	rc = write_output(NULL, out.buf, out.len);
	strbuf_release(&out);
	sched_state_release(&st);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static const struct hv_cmd sched_cmds[] = {
	{ "check", cmd_check, 0, "validate a policy file", NULL },
	{ "run", sched_cmd_run, HV_CMD_NO_JSON, "the daemon: keep guests within their budgets", NULL },
	{ "status", cmd_status, 0, "each guest's usage, budget and cap", NULL },
	{ "simulate", sched_cmd_simulate, 0, "run a policy on a CSV trace", NULL },
};

int cmd_sched(int argc, char **argv, struct hv_global *g)
{
	static const struct hv_tool tool = {
		.name = "sched", .cmds = sched_cmds, .ncmds = ARRAY_SIZE(sched_cmds), .usage = sched_usage,
	};

	return hv_dispatch(&tool, argc - 1, argv + 1, g);
}
