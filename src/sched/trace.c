/* SPDX-License-Identifier: MIT */
/* The demand trace of `hvkit sched simulate` (trace.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "util.h"

/* Whether s starts with a plain decimal number (1, 0.5, 1e3): strtod()
 * alone takes hex (0x10), "inf" and "nan" as well. */
static bool decimal(const char *s)
{
	return isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]));
}

/* A field quoted in a message, control bytes as '.' (in place: the line
 * is given up after). */
static const char *printable(char *s)
{
	for (char *q = s; *q; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f)
			*q = '.';
	return s;
}

/* Parses "0.5" (CPUs) or "50%". */
static int parse_usage(const char *s, double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (!decimal(s) || end == s || !isfinite(v) || v < 0 || strpbrk(s, "xXpP"))
		return -EINVAL;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	while (*end == ' ' || *end == '\r')
		end++;
	if (*end || v > 1000)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* One line of f into buf, without its '\n': 1, or 0 at the end; -E2BIG
 * when longer than sz - 2 bytes, -EINVAL when it holds a NUL byte. */
static int read_line(FILE *f, char *buf, size_t sz)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			return -EINVAL;
		if (n + 2 >= sz)
			return -E2BIG;
		buf[n++] = (char)c;
	}
	buf[n] = 0;
	return c == EOF && !n ? 0 : 1;
}

int sched_trace_read(FILE *f, const char *path, const struct sched_policy *p,
		     struct sched_trace_row **ret, size_t *ret_n, struct hv_diags *d)
{
	char line[1024];
	unsigned lineno = 0;
	struct sched_trace_row *v = NULL;
	size_t n = 0, alloc = 0;

	for (;;) {
		char *fields[3], *l = line;
		int nf = 0;
		int r = read_line(f, line, sizeof(line));
		if (r == 0)
			break;
		lineno++;
		if (r < 0) {
			(void)hv_errorf(d, r == -E2BIG ? "%s:%u: line longer than %zu bytes" :
					"%s:%u: a NUL byte (not a text file?)", path, lineno,
					sizeof(line) - 2);
			goto fail;
		}
		l[strcspn(l, "\r")] = 0;
		if (*strstrip(l) == 0 || *l == '#')
			continue;
		/* Exactly three fields: a fourth (or "1,5", a decimal comma) is
		 * refused, never dropped. */
		for (char *t = l; nf < 4; nf++) {
			char *c = strchr(t, ',');
			if (nf < 3)
				fields[nf] = t;
			if (!c) {
				nf++;
				break;
			}
			*c = 0;
			t = c + 1;
		}
		for (int k = 0; k < nf && k < 3; k++)
			fields[k] = strstrip(fields[k]);
		if (lineno == 1 && nf == 3 && strcmp(fields[0], "time") == 0)
			continue;	/* header */
		char *end = NULL;
		double t = nf == 3 && decimal(fields[0]) && !strpbrk(fields[0], "xXpP")
			? strtod(fields[0], &end) : NAN;
		if (nf > 3) {
			(void)hv_errorf(d, "%s:%u: more than 3 fields (time,guest,usage; a decimal "
					"comma?)", path, lineno);
			goto fail;
		}
		if (nf != 3 || !end || end == fields[0] || *end ||
		    !isfinite(t) || t < 0 || t > 1e9) {
			(void)hv_errorf(d, "%s:%u: expected 'time,guest,usage' (seconds, a guest of "
					"the policy, CPUs or %%)", path, lineno);
			goto fail;
		}
		const struct sched_guest *g = sched_policy_find(p, fields[1]);
		if (!g) {
			(void)hv_errorf(d, "%s:%u: guest '%s' is not in the policy", path, lineno,
					printable(fields[1]));
			goto fail;
		}
		double u;
		if (parse_usage(fields[2], &u) < 0) {
			(void)hv_errorf(d, "%s:%u: bad usage '%s' (CPUs like 0.5, or 50%%)", path, lineno,
					printable(fields[2]));
			goto fail;
		}
		if (n && t < v[n - 1].t) {
			(void)hv_errorf(d, "%s:%u: time %g goes backwards (rows must be in time order)",
					path, lineno, t);
			goto fail;
		}
		if (n == SCHED_TRACE_MAX_ROWS) {
			(void)hv_errorf(d, "%s:%u: more than %d rows", path, lineno,
					SCHED_TRACE_MAX_ROWS);
			goto fail;
		}
		v = xgrow(v, sizeof(*v), n + 1, &alloc);
		v[n++] = (struct sched_trace_row){ t, (size_t)(g - p->v), u };
	}
	if (ferror(f)) {
		(void)hv_errorf(d, "%s:%u: %s", path, lineno + 1, strerror(errno ? errno : EIO));
		goto fail;
	}
	if (!n) {
		(void)hv_errorf(d, "%s: no samples", path);
		free(v);
		return -EINVAL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	free(v);
	return -EINVAL;
}
