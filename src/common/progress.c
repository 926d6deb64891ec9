/* SPDX-License-Identifier: MIT */
/* A one-line progress bar with rate and ETA, drawn only on a terminal. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

#define BAR_WIDTH 30
#define REDRAW_NS 100000000ull	/* 0.1 s */

void hv_progress_init(struct hv_progress *p, const char *label,
		      uint64_t total, bool enabled)
{
	*p = (struct hv_progress){
		.label = label,
		.total = total,
		.enabled = enabled && isatty(STDERR_FILENO),
	};
	p->start_ns = p->last_ns = (uint64_t)clock_ns(CLOCK_MONOTONIC);
}

void hv_progress_fmt_rate(char *buf, size_t sz, double bytes_per_s)
{
	char size[32];

	if (bytes_per_s < 0)
		bytes_per_s = 0;
	format_size(size, sizeof(size), (uint64_t)bytes_per_s);
	snprintf(buf, sz, "%s/s", size);
}

void hv_progress_fmt_eta(char *buf, size_t sz, double seconds)
{
	if (!(seconds >= 0) || seconds > 359999) {
		snprintf(buf, sz, "--:--");
		return;
	}
	unsigned s = (unsigned)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, sz, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, sz, "%02u:%02u", s / 60, s % 60);
}

/* A bar's line is on the terminal, not ended (see hv_progress_break_line). */
static volatile sig_atomic_t line_open;
static const int end_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

void hv_progress_break_line(void)
{
	if (line_open) {
		line_open = 0;
		(void)!write(STDERR_FILENO, "\n", 1);
	}
}

static void on_end_signal(int sig)
{
	hv_progress_break_line();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Handles the signals that end a run and nobody handles. */
static void trap_end_signals(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(end_signals); i++) {
		struct sigaction old, sa = { .sa_handler = on_end_signal };
		if (sigaction(end_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO)) {
			sigemptyset(&sa.sa_mask);
			sigaction(end_signals[i], &sa, NULL);
		}
	}
}

void hv_progress_fmt_line(char *buf, size_t sz, const struct hv_progress *p,
			  double secs, unsigned cols)
{
	char bar[BAR_WIDTH + 1], rate[32], eta[32], done[32], total[32], part[48] = "";
	double frac = p->total ? (double)p->done / (double)p->total : 1.0;

	if (frac > 1)
		frac = 1;
	double bps = secs > 0 ? (double)p->done / secs : 0;
	hv_progress_fmt_rate(rate, sizeof(rate), bps);
	hv_progress_fmt_eta(eta, sizeof(eta),
			    bps > 0 && p->total >= p->done ? (double)(p->total - p->done) / bps : -1);
	format_size(done, sizeof(done), p->done);
	format_size(total, sizeof(total), p->total);
	if (p->parts)
		snprintf(part, sizeof(part), " disk %u/%u", p->part, p->parts);
	/* Everything but the bar, to size the bar to what is left. */
	int rest = snprintf(NULL, 0, "%s%s [] %3u%% %s/%s %s ETA %s", p->label ? p->label : "",
			    part, (unsigned)(frac * 100), done, total, rate, eta);
	int width = (int)cols - 1 - rest;	/* the last column stays free: no wrap */
	if (width > BAR_WIDTH)
		width = BAR_WIDTH;
	if (width < 5) {
		/* No room for a bar: fields dropped, least needed first (the
		 * rate, the ETA, the disk count, the sizes), and what is left
		 * cut at the last column but one, so that the line never wraps. */
		const char *lb = p->label ? p->label : "";
		unsigned pct = (unsigned)(frac * 100);
		size_t max = cols > 1 ? cols - 1 : 1;
		for (int drop = 0; drop <= 4; drop++) {
			int n = drop == 0 ? snprintf(buf, sz, "%s%s %3u%% %s/%s ETA %s", lb, part, pct, done, total, eta) :
				drop == 1 ? snprintf(buf, sz, "%s%s %3u%% %s/%s", lb, part, pct, done, total) :
				drop == 2 ? snprintf(buf, sz, "%s %3u%% %s/%s", lb, pct, done, total) :
				drop == 3 ? snprintf(buf, sz, "%s %3u%%", lb, pct) :
					    snprintf(buf, sz, "%3u%%", pct);
			if (n >= 0 && (size_t)n <= max)
				return;
		}
		if (sz > max)
			buf[max] = 0;
		return;
	}
	unsigned fill = (unsigned)(frac * width);
	memset(bar, '#', fill);
	memset(bar + fill, '.', (size_t)width - fill);
	bar[width] = 0;
	snprintf(buf, sz, "%s%s [%s] %3u%% %s/%s %s ETA %s", p->label ? p->label : "", part, bar,
		 (unsigned)(frac * 100), done, total, rate, eta);
}

void hv_progress_update(struct hv_progress *p, uint64_t done)
{
	char line[256];
	struct winsize ws;
	uint64_t t;

	p->done = done;
	if (!p->enabled)
		return;
	t = (uint64_t)clock_ns(CLOCK_MONOTONIC);
	if (p->drawn && t - p->last_ns < REDRAW_NS && done < p->total)
		return;
	p->last_ns = t;
	if (!p->drawn)
		trap_end_signals();
	unsigned cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
	hv_progress_fmt_line(line, sizeof(line), p, (double)(t - p->start_ns) / 1e9, cols);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = true;
	line_open = 1;
}

void hv_progress_done(struct hv_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = false;
	line_open = 0;
}
