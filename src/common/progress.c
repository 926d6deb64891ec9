/* SPDX-License-Identifier: MIT */
/* A one-line progress bar with rate and ETA, drawn only on a terminal. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

#define BAR_WIDTH 30
#define REDRAW_NS 100000000ull	/* 0.1 s */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hv_progress_init(struct hv_progress *p, const char *label,
		      uint64_t total, bool enabled)
{
	*p = (struct hv_progress){
		.label = label,
		.total = total,
		.enabled = enabled && isatty(STDERR_FILENO),
	};
	p->start_ns = p->last_ns = now_ns();
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

void hv_progress_update(struct hv_progress *p, uint64_t done)
{
	char bar[BAR_WIDTH + 1], rate[32], eta[32];
	uint64_t t;

	p->done = done;
	if (!p->enabled)
		return;
	t = now_ns();
	if (p->drawn && t - p->last_ns < REDRAW_NS && done < p->total)
		return;
	p->last_ns = t;

	double frac = p->total ? (double)done / (double)p->total : 1.0;
	if (frac > 1)
		frac = 1;
	unsigned fill = (unsigned)(frac * BAR_WIDTH);
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = 0;

	double secs = (double)(t - p->start_ns) / 1e9;
	double bps = secs > 0 ? (double)done / secs : 0;
	hv_progress_fmt_rate(rate, sizeof(rate), bps);
	hv_progress_fmt_eta(eta, sizeof(eta),
			    bps > 0 ? (double)(p->total - done) / bps : -1);
	fprintf(stderr, "\r%s [%s] %3u%% %s ETA %s\033[K",
		p->label ? p->label : "", bar, (unsigned)(frac * 100), rate, eta);
	fflush(stderr);
	p->drawn = true;
}

void hv_progress_done(struct hv_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = false;
}
