/* SPDX-License-Identifier: MIT */
/* The installed QEMU's models and feature properties (`-cpu help`), cached. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpuid-cache.h"
#include "cpuid-qemu.h"
#include "strbuf.h"
#include "run.h"
#include "util.h"

#define QEMU_MAX_OUTPUT (1u << 20)
#define QEMU_MAX_MODELS 4096
#define QEMU_TIMEOUT_MS 10000

void cpuid_qemu_release(struct cpuid_qemu *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nmodels; i++)
		free(q->models[i]);
	free(q->models);
	free(q->binary);
	free(q->version);
	memset(q, 0, sizeof(*q));
}

/* One word of a line: [start, *end), printable, 1-64 bytes. */
static bool word(const char *s, const char *lim, const char **end)
{
	const char *p = s;

	while (p < lim && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
		p++;
	*end = p;
	return p > s && p - s <= 64;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Marks in q->flags each table feature whose QEMU name (folded) is in
 * flags[] (folded, sorted). */
static void match_flags(struct cpuid_qemu *q, char **flags, size_t n)
{
	if (!n)
		return;	/* flags may be NULL: qsort and bsearch want an array */
	qsort(flags, n, sizeof(*flags), cmp_str);
	for (size_t f = 0; f < cpuid_nfeatures; f++) {
		const char *qn = cpuid_features[f].names[CPUID_NAMES_QEMU];
		char folded[80];
		char *key = folded;

		if (qn && cpuid_name_fold(qn, folded, sizeof(folded)) &&
		    bsearch(&key, flags, n, sizeof(*flags), cmp_str))
			cpuid_fset_add(&q->flags, f);
	}
}

int cpuid_qemu_parse_help(const char *buf, size_t len, const char *name, struct cpuid_qemu *q,
			  struct hv_diags *d)
{
	const char *p = buf, *lim = buf + len;
	bool in_flags = false;
	char **flags = NULL;
	size_t nflags = 0, aflags = 0;

	for (size_t i = 0; i < q->nmodels; i++)
		free(q->models[i]);
	q->nmodels = 0;
	memset(&q->flags, 0, sizeof(q->flags));
	while (p < lim) {
		const char *eol = memchr(p, '\n', (size_t)(lim - p));
		const char *e = eol ? eol : lim, *w, *we;

		if (e - p > 4 && memcmp(p, "x86 ", 4) == 0) {
			in_flags = false;
			for (w = p + 4; w < e && *w == ' '; w++)
				;
			if (word(w, e, &we) && q->nmodels < QEMU_MAX_MODELS) {
				q->models = xgrow(q->models, sizeof(*q->models), q->nmodels + 1, &q->malloc_);
				q->models[q->nmodels++] = xstrndup(w, (size_t)(we - w));
			}
		} else if (e - p >= 22 && memcmp(p, "Recognized CPUID flags", 22) == 0) {
			in_flags = true;
		} else if (in_flags && p < e && *p == ' ') {
			for (w = p; w < e; w = we) {
				char flag[65], folded[80];

				while (w < e && *w == ' ')
					w++;
				if (w == e || !word(w, e, &we)) {
					while (w < e && *w != ' ')
						w++;
					we = w;
					continue;
				}
				memcpy(flag, w, (size_t)(we - w));
				flag[we - w] = '\0';
				if (nflags < QEMU_MAX_MODELS && cpuid_name_fold(flag, folded, sizeof(folded))) {
					flags = xgrow(flags, sizeof(*flags), nflags + 1, &aflags);
					flags[nflags++] = xstrdup(folded);
				}
			}
		} else {
			in_flags = false;
		}
		p = eol ? eol + 1 : lim;
	}
	match_flags(q, flags, nflags);
	for (size_t i = 0; i < nflags; i++)
		free(flags[i]);
	free(flags);
	if (!q->nmodels)
		return hv_errorf(d, "%s: no x86 CPU model listed (not `qemu-system-x86_64 -cpu help` output)",
				 name);
	return 0;
}

bool cpuid_qemu_has_model(const struct cpuid_qemu *q, const char *name)
{
	for (size_t i = 0; i < q->nmodels; i++)
		if (strcasecmp(q->models[i], name) == 0)
			return true;
	return false;
}

int cpuid_qemu_load(const char *binary, struct cpuid_qemu *ret, struct hv_diags *d)
{
	struct cpuid_qemu q;
	struct strbuf text = STRBUF_INIT, ver = STRBUF_INIT;
	_cleanup_free_ char *cache = NULL;
	struct stat st;
	const char *v, *body;
	int rc;

	memset(&q, 0, sizeof(q));
	q.binary = run_find(binary ? binary : "qemu-system-x86_64");
	if (!q.binary || stat(q.binary, &st) < 0) {
		free(q.binary);
		return -ENOENT;
	}
	cache = cpuid_cache_path("qemu-cpu-help-%llx-%llx-%llx-%llx.txt",
				 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				 (unsigned long long)st.st_size, (unsigned long long)st.st_mtime);
	if (!cache || cpuid_cache_read(cache, QEMU_MAX_OUTPUT, &text) < 0 ||
	    strncmp(text.buf, "version ", 8) != 0) {
		char *help[] = { q.binary, "-machine", "none", "-cpu", "help", NULL };
		char *version[] = { q.binary, "--version", NULL };
		const char *at;

		strbuf_reset(&text);
		if ((rc = run_capture(help, &text, QEMU_TIMEOUT_MS, QEMU_MAX_OUTPUT, d)) < 0)
			goto out;
		(void)run_capture(version, &ver, QEMU_TIMEOUT_MS, QEMU_MAX_OUTPUT, NULL);
		/* "QEMU emulator version 7.2.22 (Debian ...)" */
		at = strstr(ver.buf, "version ");
		strbuf_reset(&ver);
		strbuf_adds(&ver, "version ");
		if (at)
			strbuf_add(&ver, at + 8, strcspn(at + 8, " \n"));
		strbuf_addc(&ver, '\n');
		strbuf_add(&ver, text.buf, text.len);
		{
			struct strbuf t = ver;

			ver = text;
			text = t;
		}
		if (cache)
			cpuid_cache_write(cache, &text);
	}
	v = text.buf + 8;
	body = strchr(v, '\n');
	q.version = xstrndup(v, body ? (size_t)(body - v) : 0);
	body = body ? body + 1 : text.buf + text.len;
	rc = cpuid_qemu_parse_help(body, text.len - (size_t)(body - text.buf), q.binary, &q, d);
out:
	strbuf_release(&text);
	strbuf_release(&ver);
	if (rc < 0) {
		cpuid_qemu_release(&q);
		return rc;
	}
	*ret = q;
	return 0;
}
