/* SPDX-License-Identifier: MIT */
/* `hvkit sched simulate CONF TRACE`: the daemon's engine on a CSV trace of
 * demand (time,guest,usage), as a table and an SVG plot. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "cli.h"
#include "json.h"
#include "log.h"
#include "sched.h"
#include "strbuf.h"
#include "trace.h"
#include "util.h"

#define NS 1000000000LL
#define MAX_SIM_STEPS 2000000

struct sample {
	double t, demand, used, cap, left;	/* cap < 0: none; left in CPU-s */
};

/* Reads the trace at path (or '-', stdin): its rows, or a message. */
static int load_trace(const char *path, const struct sched_policy *p,
		      struct sched_trace_row **ret, size_t *ret_n)
{
	struct hv_diags d = HV_DIAGS_INIT;
	const char *why = NULL;
	int fd = open_input(path, 0, &why);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	int rc;

	if (!f) {
		int e = fd < 0 ? -fd : errno;

		if (fd >= 0)
			close(fd);
		log_error("cannot read '%s': %s", path, why ? why : strerror(e));
		return -e;
	}
	rc = sched_trace_read(f, path, p, ret, ret_n, &d);
	fclose(f);
	(void)log_diags(NULL, &d);
	hv_diags_release(&d);
	return rc;
}

static void svg_polyline(struct strbuf *sb, const struct sample *s, size_t n,
			 int which, double x0, double y0, double w, double h,
			 double tmin, double tmax, double ymax, const char *style)
{
	strbuf_addf(sb, "<polyline fill=\"none\" %s points=\"", style);
	for (size_t i = 0; i < n; i++) {
		double v = which == 0 ? s[i].used : which == 1 ? s[i].cap : s[i].left;
		if (v < 0)
			v = ymax;
		double x = x0 + (s[i].t - tmin) / (tmax - tmin) * w;
		double y = y0 + h - (v > ymax ? ymax : v) / ymax * h;
		strbuf_addf(sb, "%.1f,%.1f ", x, y);
		if (i + 1 < n) {	/* steps: hold the value until the next sample */
			double x2 = x0 + (s[i + 1].t - tmin) / (tmax - tmin) * w;
			strbuf_addf(sb, "%.1f,%.1f ", x2, y);
		}
	}
	strbuf_adds(sb, "\"/>\n");
}

/* One panel per guest: usage and cap in CPUs (left axis), budget left in
 * CPU-seconds (right axis). */
static void draw_svg(struct strbuf *sb, const struct sched_policy *p,
		     struct sample **smp, const size_t *ns, const bool *used)
{
	const double W = 900, PH = 220, L = 60, R = 70, T = 30;
	size_t panels = 0;

	for (size_t gi = 0; gi < p->n; gi++)
		panels += used[gi];
	double H = T + panels * (PH + 40) + 10;
	strbuf_addf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		    "font-family=\"sans-serif\" font-size=\"12\">\n"
		    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		    "<text x=\"%.0f\" y=\"18\">hvkit sched simulate: "
		    "<tspan fill=\"#1f77b4\">usage</tspan>, <tspan fill=\"#d62728\">cap</tspan> "
		    "(CPUs, left axis), <tspan fill=\"#2ca02c\">budget left</tspan> (CPU-s, right axis)</text>\n",
		    W, H, L);
	double y0 = T;
	for (size_t gi = 0; gi < p->n; gi++) {
		if (!used[gi])
			continue;
		const struct sample *s = smp[gi];
		size_t n = ns[gi];
		double tmin = s[0].t, tmax = s[n - 1].t > tmin ? s[n - 1].t : tmin + 1;
		double ymax = 0.01, bmax = 0.01;
		for (size_t i = 0; i < n; i++) {
			ymax = fmax(ymax, fmax(s[i].demand, fmax(s[i].used, s[i].cap)));
			bmax = fmax(bmax, s[i].left);
		}
		ymax *= 1.1;
		double w = W - L - R, h = PH;
		strbuf_addf(sb, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">%s</text>\n",
			    L, y0 + 12, p->v[gi].name);
		y0 += 20;
		strbuf_addf(sb, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
			    "fill=\"none\" stroke=\"#888\"/>\n", L, y0, w, h);
		for (int k = 0; k <= 4; k++) {
			double yy = y0 + h - k * h / 4;
			strbuf_addf(sb, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.2f</text>\n",
				    L - 4, yy + 4, ymax * k / 4);
			strbuf_addf(sb, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#2ca02c\">%.1f</text>\n",
				    L + w + 4, yy + 4, bmax * k / 4);
			strbuf_addf(sb, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.0fs</text>\n",
				    L + k * w / 4, y0 + h + 14, tmin + (tmax - tmin) * k / 4);
		}
		svg_polyline(sb, s, n, 0, L, y0, w, h, tmin, tmax, ymax,
			     "stroke=\"#1f77b4\" stroke-width=\"2\"");
		svg_polyline(sb, s, n, 1, L, y0, w, h, tmin, tmax, ymax,
			     "stroke=\"#d62728\" stroke-dasharray=\"6,3\"");
		svg_polyline(sb, s, n, 2, L, y0, w, h, tmin, tmax, bmax,
			     "stroke=\"#2ca02c\"");
		y0 += h + 20;
	}
	strbuf_adds(sb, "</svg>\n");
}

/* --summary: per guest, what the rows of the table add up to. */
struct total {
	size_t ticks;
	double demand, used;	/* CPU-seconds */
	double capped_s;	/* seconds the cap held it below its demand */
	unsigned bursts;	/* runs of ticks above the floor */
	bool in_burst;
};

static void add_total(struct total *t, const struct sched_guest *g, double tick,
		      double demand, double used)
{
	t->ticks++;
	t->demand += demand * tick;
	t->used += used * tick;
	if (used < demand)
		t->capped_s += tick;
	/* A burst: a run of ticks in which a guest with a burst rule used
	 * more than its floor (the rule's "then cap"). */
	bool above = g->has_burst && used > g->burst.floor_cp / 10000.0 + 1e-9;
	if (above && !t->in_burst)
		t->bursts++;
	t->in_burst = above;
}

static void format_summary(struct strbuf *sb, const struct sched_policy *p,
			   const struct total *tot, const bool *used)
{
	strbuf_addf(sb, "%-16s %8s %12s %12s %10s %7s\n", "GUEST", "TICKS", "DEMAND_CPU_S",
		    "USED_CPU_S", "CAPPED_S", "BURSTS");
	for (size_t gi = 0; gi < p->n; gi++) {
		char bursts[16] = "-";
		if (!used[gi])
			continue;
		if (p->v[gi].has_burst)
			snprintf(bursts, sizeof(bursts), "%u", tot[gi].bursts);
		strbuf_addf(sb, "%-16s %8zu %12.3f %12.3f %10.3f %7s\n", p->v[gi].name,
			    tot[gi].ticks, tot[gi].demand, tot[gi].used, tot[gi].capped_s, bursts);
	}
}

/* --json: per guest its totals and (without --summary) every tick's
 * sample; a cap or budget a guest has none of is null. */
static void format_json(struct strbuf *sb, bool pretty, double tick, const struct sched_policy *p,
			const struct total *tot, const bool *used, struct sample *const *smp,
			const size_t *ns, const struct sched_acct *acct, bool summary)
{
	struct json j;

	json_init(&j, sb, pretty);
	json_obj_open(&j);
	json_kv_double(&j, "tick_s", tick);
	json_key(&j, "guests");
	json_arr_open(&j);
	for (size_t gi = 0; gi < p->n; gi++) {
		if (!used[gi])
			continue;
		json_obj_open(&j);
		json_kv_str(&j, "name", p->v[gi].name);
		json_kv_u64(&j, "ticks", tot[gi].ticks);
		json_kv_double(&j, "demand_cpu_s", tot[gi].demand);
		json_kv_double(&j, "used_cpu_s", tot[gi].used);
		json_kv_double(&j, "capped_s", tot[gi].capped_s);
		json_key(&j, "bursts");
		if (p->v[gi].has_burst)
			json_u64(&j, tot[gi].bursts);
		else
			json_null(&j);
		if (!summary) {
			json_key(&j, "samples");
			json_arr_open(&j);
			for (size_t k = 0; k < ns[gi]; k++) {
				const struct sample *x = &smp[gi][k];

				json_obj_open(&j);
				json_kv_double(&j, "time", x->t);
				json_kv_double(&j, "demand", x->demand);
				json_kv_double(&j, "used", x->used);
				json_key(&j, "cap");
				if (x->cap < 0)
					json_null(&j);
				else
					json_double(&j, x->cap);
				json_key(&j, "left_cpu_s");
				if (acct[gi].nbuckets)
					json_double(&j, x->left);
				else
					json_null(&j);
				json_obj_close(&j);
			}
			json_arr_close(&j);
		}
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	strbuf_addc(sb, '\n');
}

int sched_cmd_simulate(int argc, char **argv, struct hv_global *g)
{
	static const struct option opts[] = {
		{ "tick", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "summary", no_argument, NULL, 's' },
		{ "json", optional_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out_svg = NULL;
	bool summary = false, json = g->json, pretty = g->json_pretty;
	int64_t tick_ns = NS;
	struct sched_policy p = { 0 };
	struct sched_trace_row *rows = NULL;
	size_t nrows = 0;
	int c, rc = EXIT_FAIL;

	struct hv_getopt gs = HV_GETOPT_INIT("sched simulate", NULL);

	while ((c = hv_getopt(&gs, argc, argv, ":o:vh", opts)) != -1) {
		switch (c) {
		case 't':
			if (sched_parse_tick(optarg, &tick_ns) < 0) {
				log_error("bad --tick '%s' (like 1s or 500ms; 10ms to 1h)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': out_svg = optarg; break;
		case 's': summary = true; break;
		case 'j':
			if (hv_json_opt(optarg, &json, &pretty))
				return EXIT_USAGE;
			break;
		case 'v': log_verbosity++; break;
		case 'h': hv_verb_usage(g); return EXIT_OK;
		default: return hv_opt_error_in("sched", c, argv, opts);
		}
	}
	if (optind + 2 != argc) {
		log_error("'sched simulate' takes CONF and TRACE (see 'hvkit sched --help')");
		return EXIT_USAGE;
	}
	if (hv_one_stdin("sched simulate", (const char *const *)argv + optind, 2))
		return EXIT_USAGE;
	if (out_svg && strcmp(out_svg, "-") == 0 && json) {
		log_error("'sched simulate': -o - and --json both want standard output");
		return EXIT_USAGE;
	}
	/* where the plot goes, before CONF and TRACE are read */
	if (out_svg && strcmp(out_svg, "-") != 0) {
		_cleanup_free_ char *real = NULL;

		if (output_target(out_svg, &real) < 0)
			return EXIT_FAIL;
	}
	if (sched_load_policy(argv[optind], &p) < 0)
		return EXIT_FAIL;
	if (load_trace(argv[optind + 1], &p, &rows, &nrows) < 0)
		goto out;

	double tick = (double)tick_ns / 1e9;
	double t0 = rows[0].t, tend = rows[nrows - 1].t + tick;
	size_t steps = (size_t)ceil((tend - t0) / tick);
	if (steps > MAX_SIM_STEPS) {
		log_error("trace spans %zu ticks (more than %d): use a longer --tick", steps, MAX_SIM_STEPS);
		goto out;
	}
	struct sched_acct *acct = xcalloc(p.n, sizeof(*acct));
	double *demand = xcalloc(p.n, sizeof(*demand));
	uint64_t *counter = xcalloc(p.n, sizeof(*counter));
	bool *used = xcalloc(p.n, sizeof(*used));
	struct sample **smp = xcalloc(p.n, sizeof(*smp));
	size_t *ns = xcalloc(p.n, sizeof(*ns));
	struct total *tot = xcalloc(p.n, sizeof(*tot));
	for (size_t i = 0; i < nrows; i++)
		used[rows[i].guest] = true;
	for (size_t gi = 0; gi < p.n; gi++) {
		sched_acct_init(&acct[gi], &p.v[gi]);
		if (used[gi])
			smp[gi] = xcalloc(steps + 1, sizeof(**smp));
	}

	struct strbuf tab = STRBUF_INIT;
	if (!summary && !json)
		strbuf_addf(&tab, "%9s %-16s %7s %7s %7s %10s\n", "TIME", "GUEST", "DEMAND", "USED",
			    "CAP", "LEFT");
	size_t r = 0;
	for (size_t k = 0; k <= steps; k++) {
		double t = t0 + (double)k * tick;
		int64_t now = (int64_t)llround(t * 1e9);
		int minute = (int)fmod(floor(t / 60), 1440);
		while (r < nrows && rows[r].t <= t + 1e-9) {
			demand[rows[r].guest] = rows[r].cpus;
			r++;
		}
		for (size_t gi = 0; gi < p.n; gi++) {
			if (!used[gi])
				continue;
			struct sched_step s;
			uint32_t cap = sched_acct_step(&acct[gi], &p.v[gi], now, minute,
						       counter[gi], tick_ns, &s);
			double capc = cap == SCHED_CAP_NONE ? -1 : cap / 10000.0;
			double u = demand[gi];
			if (capc >= 0 && u > capc)
				u = capc;
			counter[gi] += (uint64_t)llround(u * (double)tick_ns);
			double left = acct[gi].nbuckets ? (double)s.left_ns / 1e9 : 0;
			smp[gi][ns[gi]++] = (struct sample){ t, demand[gi], u, capc, left };
			add_total(&tot[gi], &p.v[gi], tick, demand[gi], u);
			if (summary || json)
				continue;
			char capbuf[32], leftbuf[32];
			if (capc < 0)
				snprintf(capbuf, sizeof(capbuf), "none");
			else
				snprintf(capbuf, sizeof(capbuf), "%.2f", capc);
			if (acct[gi].nbuckets)
				snprintf(leftbuf, sizeof(leftbuf), "%.3f", left);
			else
				snprintf(leftbuf, sizeof(leftbuf), "-");
			strbuf_addf(&tab, "%9.2f %-16s %7.2f %7.2f %7s %10s\n", t, p.v[gi].name,
				    demand[gi], u, capbuf, leftbuf);
		}
	}
	if (json)
		format_json(&tab, pretty, tick, &p, tot, used, smp, ns, acct, summary);
	else if (summary)
		format_summary(&tab, &p, tot, used);
	/* The plot first: when -o cannot be written, nothing is printed. */
	rc = EXIT_OK;
	if (out_svg) {
		struct strbuf svg = STRBUF_INIT;
		draw_svg(&svg, &p, smp, ns, used);
		rc = write_output(out_svg, svg.buf, svg.len) < 0 ? EXIT_FAIL : EXIT_OK;
		strbuf_release(&svg);
	}
	/* -o -: the plot is what goes to stdout, alone */
	if (rc == EXIT_OK && !(out_svg && strcmp(out_svg, "-") == 0))
		rc = write_output(NULL, tab.buf, tab.len) < 0 ? EXIT_FAIL : EXIT_OK;
	strbuf_release(&tab);
	for (size_t gi = 0; gi < p.n; gi++) {
		sched_acct_release(&acct[gi]);
		free(smp[gi]);
	}
	free(acct);
	free(demand);
	free(counter);
	free(used);
	free(smp);
	free(ns);
	free(tot);
out:
	free(rows);
	sched_policy_release(&p);
	return rc;
}
