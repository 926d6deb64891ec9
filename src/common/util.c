/* SPDX-License-Identifier: MIT */
/* Small helpers: checked allocation, string and number parsing, sizes. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"

static void oom(void)
{
	/* One line and exit 1, never a core dump; _exit: flushing stdout
	 * here would write partial output. */
	fputs("hvkit: out of memory\n", stderr);
	_exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xgrow(void *v, size_t sz, size_t need, size_t *alloc)
{
	if (need <= *alloc)
		return v;
	size_t na = *alloc ? *alloc * 2 : 8;
	while (na < need)
		na *= 2;
	v = xrealloc(v, na * sz);
	*alloc = na;
	return v;
}

char *xstrdup(const char *s)
{
	char *r = strdup(s);

	if (!r)
		oom();
	return r;
}

char *xstrndup(const char *s, size_t n)
{
	char *r = strndup(s, n);

	if (!r)
		oom();
	return r;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	if (vasprintf(&r, fmt, ap) < 0)
		oom();
	va_end(ap);
	return r;
}

char *strstrip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

bool str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

char *str_printable(char *s, bool ascii_only)
{
	unsigned char *r = (unsigned char *)s, *w = r;

	while (*r) {
		uint32_t cp;
		size_t n = ascii_only ? (*r < 0x80) : utf8_seq(r, &cp);

		if (ascii_only)
			cp = *r;
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			*w++ = '.';
			r += n ? n : 1;
			continue;
		}
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = 0;
	return s;
}

int parse_u64(const char *s, int base, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno)
		return -errno;
	while (isspace((unsigned char)*end))
		end++;
	if (*end || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

void cpuset_set(struct cpuset *set, unsigned cpu)
{
	size_t w = cpu / 64;

	if (cpu >= CPUSET_MAX)
		return;
	if (!set->nwords) {
		set->bits = xrealloc(set->bits, sizeof(uint64_t));
		set->bits[0] = 0;
		set->first = w;
		set->nwords = 1;
	} else if (w < set->first) {
		size_t grow = set->first - w;

		set->bits = xrealloc(set->bits,
				     (set->nwords + grow) * sizeof(uint64_t));
		memmove(set->bits + grow, set->bits,
			set->nwords * sizeof(uint64_t));
		memset(set->bits, 0, grow * sizeof(uint64_t));
		set->first = w;
		set->nwords += grow;
	} else if (w - set->first >= set->nwords) {
		size_t n = w - set->first + 1;

		set->bits = xrealloc(set->bits, n * sizeof(uint64_t));
		memset(set->bits + set->nwords, 0,
		       (n - set->nwords) * sizeof(uint64_t));
		set->nwords = n;
	}
	set->bits[w - set->first] |= 1ULL << (cpu % 64);
}

bool cpuset_has(const struct cpuset *set, unsigned cpu)
{
	return cpuset_word(set, cpu / 64) >> (cpu % 64) & 1;
}

unsigned cpuset_count(const struct cpuset *set)
{
	unsigned n = 0;

	for (size_t i = 0; i < set->nwords; i++)
		n += (unsigned)__builtin_popcountll(set->bits[i]);
	return n;
}

int cpuset_next(const struct cpuset *set, unsigned from)
{
	size_t w = from / 64;

	if (w < set->first) {
		w = set->first;
		from = 0;
	}
	for (; w - set->first < set->nwords; w++) {
		uint64_t b = set->bits[w - set->first];

		if (w == from / 64)
			b &= ~0ULL << (from % 64);
		if (b)
			return (int)(w * 64 + (size_t)__builtin_ctzll(b));
	}
	return -1;
}

/* The word range [*lo, *hi) that holds a or b. */
static void word_span(const struct cpuset *a, const struct cpuset *b,
		      size_t *lo, size_t *hi)
{
	size_t ea = a->first + a->nwords, eb = b->first + b->nwords;

	*lo = !a->nwords ? b->first : !b->nwords ? a->first :
	      a->first < b->first ? a->first : b->first;
	*hi = ea > eb ? ea : eb;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	size_t lo, hi;

	word_span(a, b, &lo, &hi);
	for (size_t w = lo; w < hi; w++)
		if (cpuset_word(a, w) != cpuset_word(b, w))
			return false;
	return true;
}

void cpuset_copy(struct cpuset *dst, const struct cpuset *src)
{
	cpuset_release(dst);
	if (!src->nwords)
		return;
	dst->bits = xmalloc(src->nwords * sizeof(uint64_t));
	memcpy(dst->bits, src->bits, src->nwords * sizeof(uint64_t));
	dst->nwords = src->nwords;
	dst->first = src->first;
}

void cpuset_or(struct cpuset *dst, const struct cpuset *src)
{
	size_t lo = src->first, hi = src->first + src->nwords;

	/* Only the words that hold a bit count: src may carry zeros. */
	while (hi > lo && !src->bits[hi - 1 - src->first])
		hi--;
	while (lo < hi && !src->bits[lo - src->first])
		lo++;
	if (lo == hi)
		return;
	/* Grow dst to cover [lo, hi) at once, then OR a word at a time. */
	cpuset_set(dst, (unsigned)(lo * 64 +
				   (size_t)__builtin_ctzll(src->bits[lo - src->first])));
	cpuset_set(dst, (unsigned)((hi - 1) * 64 + 63 -
				   (size_t)__builtin_clzll(src->bits[hi - 1 - src->first])));
	for (size_t w = lo; w < hi; w++)
		dst->bits[w - dst->first] |= src->bits[w - src->first];
}

void cpuset_and(struct cpuset *dst, const struct cpuset *src)
{
	for (size_t i = 0; i < dst->nwords; i++)
		dst->bits[i] &= cpuset_word(src, dst->first + i);
}

bool cpuset_includes(const struct cpuset *big, const struct cpuset *small,
		     const struct cpuset *ign)
{
	for (size_t i = 0; i < small->nwords; i++) {
		size_t w = small->first + i;
		uint64_t g = ign ? cpuset_word(ign, w) : 0;

		if (small->bits[i] & ~cpuset_word(big, w) & ~g)
			return false;
	}
	return true;
}

bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b,
		       const struct cpuset *ign)
{
	for (size_t i = 0; i < a->nwords; i++) {
		size_t w = a->first + i;
		uint64_t g = ign ? cpuset_word(ign, w) : 0;

		if (a->bits[i] & cpuset_word(b, w) & ~g)
			return true;
	}
	return false;
}

void cpuset_release(struct cpuset *set)
{
	free(set->bits);
	set->bits = NULL;
	set->nwords = 0;
	set->first = 0;
}

int cpuset_parse_list(struct cpuset *set, const char *s)
{
	const char *p = s;

	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p)) {
		char *end;
		unsigned long a, b;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (b < a || b >= CPUSET_MAX)
			return -ERANGE;
		for (unsigned long c = a; c <= b; c++)
			cpuset_set(set, (unsigned)c);
		if (*p == ',')
			p++;
		else if (*p && !isspace((unsigned char)*p))
			return -EINVAL;
	}
	return 0;
}

int cpuset_parse_mask(struct cpuset *set, const char *s)
{
	size_t n = strlen(s);
	unsigned bit = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n) {
		char c = s[--n];
		int v;

		if (c == ',')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else if (isspace((unsigned char)c) && !n)
			break;
		else
			return -EINVAL;
		if (v && bit + 4 > CPUSET_MAX)
			return -ERANGE;
		for (int i = 0; i < 4; i++)
			if (v >> i & 1)
				cpuset_set(set, bit + (unsigned)i);
		bit += 4;
	}
	return 0;
}

/* Decimal digits of v into buf (not terminated); returns their count. */
static size_t format_uint(char *buf, unsigned v)
{
	char tmp[12];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

char *cpuset_format(const struct cpuset *set)
{
	struct strbuf sb = STRBUF_INIT;
	int c = cpuset_next(set, 0);

	while (c >= 0) {
		int e = c;

		while (cpuset_has(set, (unsigned)e + 1))
			e++;
		char num[16];

		if (sb.len)
			strbuf_addc(&sb, ',');
		strbuf_add(&sb, num, format_uint(num, (unsigned)c));
		if (e > c) {
			strbuf_addc(&sb, '-');
			strbuf_add(&sb, num, format_uint(num, (unsigned)e));
		}
		c = cpuset_next(set, (unsigned)e + 1);
	}
	return strbuf_detach(&sb, NULL);
}

void format_size(char *buf, size_t sz, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	unsigned u = 0;
	double v = (double)bytes;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v == (double)(uint64_t)v)
		snprintf(buf, sz, "%.0f %s", v, units[u]);
	else
		snprintf(buf, sz, "%.1f %s", v, units[u]);
}

const char *file_not_regular(mode_t mode)
{
	return S_ISREG(mode) ? NULL :
	       S_ISLNK(mode) ? "a symbolic link" :
	       S_ISDIR(mode) ? "a directory, not a regular file" :
	       S_ISFIFO(mode) ? "a FIFO, not a regular file" :
	       S_ISSOCK(mode) ? "a socket, not a regular file" :
	       S_ISCHR(mode) ? "a character device, not a regular file" :
	       S_ISBLK(mode) ? "a block device, not a regular file" :
	       "not a regular file";
}

/* path with its directory resolved (realpath), the last name kept;
 * path itself when its directory cannot be resolved. */
static char *dir_resolved(const char *path)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
					 : xstrdup(".");
	_cleanup_free_ char *real = realpath(dir, NULL);

	return real ? xasprintf("%s/%s", real, slash ? slash + 1 : path) : xstrdup(path);
}

bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	_cleanup_free_ char *ra = dir_resolved(a);
	_cleanup_free_ char *rb = dir_resolved(b);

	return strcmp(ra, rb) == 0;
}

int open_input(const char *path, unsigned allow, const char **ret_why)
{
	struct stat st;
	int fd, e;

	if (strcmp(path, "-") == 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	/* /dev/null reads as an empty file and never blocks. */
	bool null = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
	/* A pipe with no name (/dev/fd/63 of bash's <(...)) has a writer:
	 * pipefs, where a FIFO node lives on the filesystem holding it. */
	struct statfs sf;
	bool pipe = (allow & INPUT_PIPE) && S_ISFIFO(st.st_mode) && fstatfs(fd, &sf) == 0 &&
		    sf.f_type == 0x50495045;	/* PIPEFS_MAGIC */
	if (strcmp(path, "-") == 0 || S_ISREG(st.st_mode) || null || pipe ||
	    (S_ISDIR(st.st_mode) && (allow & INPUT_DIR)) ||
	    (S_ISBLK(st.st_mode) && (allow & INPUT_BLOCK))) {
		int fl = fcntl(fd, F_GETFL);

		if (strcmp(path, "-") == 0 || (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0))
			return fd;
		goto fail;
	}
	close(fd);
	*ret_why = file_not_regular(st.st_mode);
	return -EINVAL;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (e == ENXIO && stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		*ret_why = file_not_regular(st.st_mode);	/* open() says "No such device or address" */
		return -EINVAL;
	}
	*ret_why = strerror(e);
	return -e;
}

int copy_all(int in, int out)
{
	static char buf[1 << 16];

	for (off_t at = 0;;) {
		ssize_t n = pread(in, buf, sizeof(buf), at);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		if ((rc = write_all(out, buf, (size_t)n)) < 0)
			return rc;
		at += n;
	}
}

int tmpfile_unnamed(const char **ret_dir)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	*ret_dir = dir;
	if (fd < 0)
		return -errno;
	/* Never on 0, 1 or 2: with standard output closed the spool would be
	 * fd 1 and copying it "to standard output" would grow it forever. */
	if (fd <= STDERR_FILENO) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		int e = errno;

		close(fd);
		return high < 0 ? -e : high;
	}
	return fd;
}

int stdout_usable(void)
{
	struct stat st;

	return fstat(STDOUT_FILENO, &st) < 0 ? -errno : 0;
}

int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

bool hex_span(const char *s, size_t n, unsigned maxdigits, uint64_t *ret)
{
	uint64_t v = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > maxdigits)
		return false;
	for (size_t i = 0; i < n; i++) {
		int dv = hexdigit((unsigned char)s[i]);

		if (dv < 0)
			return false;
		v = v << 4 | (uint64_t)dv;
	}
	*ret = v;
	return true;
}
