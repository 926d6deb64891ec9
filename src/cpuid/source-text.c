/* SPDX-License-Identifier: MIT */
/* Text dumps: `cpuid -r` output (one CPU or all) and our own dump format. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpuid-source.h"
#include "cpuid-stream.h"
#include "rootfs.h"
#include "util.h"

#define DUMP_MAGIC "# hvkit cpuid dump 1"
#define ORIGIN_KEY "# origin: "

/* One line of input, without its end of line. */
struct text__line {
	const char *p;
	size_t len;
	unsigned no;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void skip_blanks(const char **p, const char *end)
{
	while (*p < end && is_blank(**p))
		(*p)++;
}

/* The token at *p (up to a blank or the end), advancing *p past it. */
static size_t take_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p;

	while (*p < end && !is_blank(**p))
		(*p)++;
	*tok = s;
	return (size_t)(*p - s);
}

/*
 * Parses "0x" followed by 1 to maxdigits hex digits, exactly the token
 * [s, s + n); a trailing ':' is allowed when colon is set and then required
 * to be there.  Returns true and sets *ret on success.
 */
static bool parse_hex(const char *s, size_t n, unsigned maxdigits, bool colon,
		      uint64_t *ret)
{
	uint64_t v = 0;

	if (colon) {
		if (n == 0 || s[n - 1] != ':')
			return false;
		n--;
	}
	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || n - 2 > maxdigits)
		return false;
	for (size_t i = 2; i < n; i++) {
		int dv = hexdigit(s[i]);

		if (dv < 0)
			return false;
		v = v << 4 | dv;
	}
	*ret = v;
	return true;
}

/* Quotes at most 40 bytes of a token for a message, unprintables as '?'. */
static char *quote(const char *s, size_t n)
{
	char *q;

	if (n > 40)
		n = 40;
	q = xstrndup(s, n);
	for (char *c = q; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return q;
}

/* "0x00000007 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x..." (the subleaf
 * may be left out, as older cpuid versions do: "0x00000007: eax=..."). */
static int parse_leaf_line(const struct text__line *l, const char *name,
			   struct cpuid_data *c, struct hv_diags *d)
{
	static const char *const regs[4] = { "eax=", "ebx=", "ecx=", "edx=" };
	const char *p = l->p, *end = l->p + l->len, *tok;
	uint64_t leaf, sub = 0, v;
	uint32_t r[4];
	size_t n;
	int rc;

	skip_blanks(&p, end);
	n = take_token(&p, end, &tok);
	if (parse_hex(tok, n, 8, true, &leaf)) {
		/* no subleaf */
	} else if (parse_hex(tok, n, 8, false, &leaf)) {
		skip_blanks(&p, end);
		n = take_token(&p, end, &tok);
		if (!parse_hex(tok, n, 8, true, &sub)) {
			_cleanup_free_ char *q = quote(tok, n);
			return hv_errorf(d, "%s:%u: expected a subleaf such as '0x00:' after the leaf, got '%s'",
					 name, l->no, q);
		}
	} else {
		_cleanup_free_ char *q = quote(tok, n);
		return hv_errorf(d, "%s:%u: expected a leaf such as '0x00000000', got '%s'",
				 name, l->no, q);
	}
	for (int i = 0; i < 4; i++) {
		skip_blanks(&p, end);
		n = take_token(&p, end, &tok);
		if (n < 4 || memcmp(tok, regs[i], 4) != 0 ||
		    !parse_hex(tok + 4, n - 4, 8, false, &v)) {
			_cleanup_free_ char *q = quote(tok, n);
			return hv_errorf(d, "%s:%u: expected '%s0x...' (8 hex digits at most), got '%s'",
					 name, l->no, regs[i], q);
		}
		r[i] = (uint32_t)v;
	}
	skip_blanks(&p, end);
	if (p != end) {
		_cleanup_free_ char *q = quote(p, (size_t)(end - p));
		return hv_errorf(d, "%s:%u: unexpected '%s' after edx", name, l->no, q);
	}
	if (cpuid_data_get(c, (uint32_t)leaf, (uint32_t)sub))
		hv_warnf(d, "%s:%u: leaf 0x%" PRIx64 " subleaf 0x%" PRIx64 " given again, the last one is used",
			 name, l->no, leaf, sub);
	rc = cpuid_data_set(c, (uint32_t)leaf, (uint32_t)sub, r);
	if (rc < 0)
		return hv_errorf(d, "%s:%u: more than %d leaves", name, l->no,
				 CPUID_MAX_ENTRIES);
	return 0;
}

/* "msr 0x0000010a: 0x0000000000000048" (our dump format only). */
static int parse_msr_line(const struct text__line *l, const char *name,
			  struct cpuid_data *c, struct hv_diags *d)
{
	const char *p = l->p + 3, *end = l->p + l->len, *tok;
	uint64_t index, value;
	size_t n;

	skip_blanks(&p, end);
	n = take_token(&p, end, &tok);
	if (!parse_hex(tok, n, 8, true, &index)) {
		_cleanup_free_ char *q = quote(tok, n);
		return hv_errorf(d, "%s:%u: expected an MSR index such as '0x0000010a:', got '%s'",
				 name, l->no, q);
	}
	skip_blanks(&p, end);
	n = take_token(&p, end, &tok);
	if (!parse_hex(tok, n, 16, false, &value)) {
		_cleanup_free_ char *q = quote(tok, n);
		return hv_errorf(d, "%s:%u: expected an MSR value such as '0x0000000000000048', got '%s'",
				 name, l->no, q);
	}
	skip_blanks(&p, end);
	if (p != end)
		return hv_errorf(d, "%s:%u: unexpected text after the MSR value", name, l->no);
	if (cpuid_data_set_msr(c, (uint32_t)index, value) < 0)
		return hv_errorf(d, "%s:%u: more than %d MSRs", name, l->no, CPUID_MAX_ENTRIES);
	return 0;
}

/* "CPU:" (cpuid -1 -r) or "CPU 12:" (cpuid -r); true when it is one. */
static bool is_cpu_header(const struct text__line *l)
{
	const char *p = l->p, *end = l->p + l->len;

	skip_blanks(&p, end);
	if (end - p < 4 || memcmp(p, "CPU", 3) != 0)
		return false;
	p += 3;
	skip_blanks(&p, end);
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == end || *p != ':')
		return false;
	p++;
	skip_blanks(&p, end);
	return p == end;
}

int cpuid_parse_text(const char *buf, size_t len, const char *name,
		     struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	unsigned cpus = 0, lineno = 0;
	bool skipping = false, ours = false;
	const char *p = buf, *end = buf + len;
	int rc = 0;

	if (memchr(buf, 0, len)) {
		rc = hv_errorf(d, "%s: not a text file (it holds NUL bytes)", name);
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct text__line l = { p, nl ? (size_t)(nl - p) : (size_t)(end - p), ++lineno };
		const char *s = l.p, *e = l.p + l.len;

		p = nl ? nl + 1 : end;
		skip_blanks(&s, e);
		if (s == e)
			continue;
		if (*s == '#') {
			if (lineno == 1 && (size_t)(e - s) >= strlen(DUMP_MAGIC) &&
			    memcmp(s, DUMP_MAGIC, strlen(DUMP_MAGIC)) == 0)
				ours = true;
			else if (ours && (size_t)(e - s) > strlen(ORIGIN_KEY) &&
				 memcmp(s, ORIGIN_KEY, strlen(ORIGIN_KEY)) == 0 && !c.origin)
				c.origin = xstrndup(s + strlen(ORIGIN_KEY),
						    (size_t)(e - s) - strlen(ORIGIN_KEY));
			continue;
		}
		if (is_cpu_header(&l)) {
			if (++cpus > 1)
				skipping = true;
			continue;
		}
		if (skipping)
			continue;
		if (ours && e - s >= 4 && memcmp(s, "msr", 3) == 0 && is_blank(s[3]))
			rc = parse_msr_line(&l, name, &c, d);
		else
			rc = parse_leaf_line(&l, name, &c, d);
		if (rc < 0)
			goto out;
	}
	if (!c.nleaves) {
		rc = hv_errorf(d, "%s: no CPUID leaves found (expected `cpuid -r` output or an hvkit cpuid dump)",
			       name);
		goto out;
	}
	if (!cpuid_data_get(&c, 0, 0)) {
		rc = hv_errorf(d, "%s: leaf 0x00000000 is missing", name);
		goto out;
	}
	if (cpus > 1)
		hv_warnf(d, "%s: a dump of %u CPUs; using CPU 0", name, cpus);
	if (!c.origin) {
		c.origin = cpus > 1 ? xasprintf("CPU 0 of %s", name) : xstrdup(name);
	}
	*ret = c;
	return 0;
out:
	cpuid_data_release(&c);
	return rc;
}

void cpuid_dump(const struct cpuid_data *c, struct strbuf *out)
{
	strbuf_adds(out, DUMP_MAGIC "\n");
	if (c->origin && c->origin[0]) {
		strbuf_adds(out, ORIGIN_KEY);
		/* one line: an origin never spans lines in the dump */
		for (const char *s = c->origin; *s; s++)
			strbuf_addc(out, *s == '\n' || *s == '\r' ? ' ' : *s);
		strbuf_addc(out, '\n');
	}
	for (size_t i = 0; i < c->nleaves; i++) {
		const struct cpuid_leaf *l = &c->leaves[i];

		strbuf_addf(out, "   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
			    l->leaf, l->subleaf, l->r[0], l->r[1], l->r[2], l->r[3]);
	}
	for (size_t i = 0; i < c->nmsrs; i++)
		strbuf_addf(out, "msr 0x%08x: 0x%016" PRIx64 "\n", c->msrs[i].index,
			    c->msrs[i].value);
}

/* A tarball of per-PU dumps (hwloc-gather-cpuid's directory), read as
 * one CPU: PU 0. */
static int read_archive(const char *buf, size_t len, const char *name,
			struct cpuid_data *ret, struct hv_diags *d)
{
	struct hv_root *root = hv_root_new_mem();
	struct hv_diags local = HV_DIAGS_INIT;
	int rc = hv_root_load_archive_mem(root, buf, len, &local);

	/* the archive's messages do not name it */
	for (size_t k = 0; k < local.n; k++)
		if (local.v[k].level == HV_DIAG_ERROR)
			hv_errorf(d, "%s: %s", name, local.v[k].msg);
		else
			hv_warnf(d, "%s: %s", name, local.v[k].msg);
	hv_diags_release(&local);
	if (rc == 0)
		rc = cpuid_read_pus_root(root, name, ret, d);
	hv_root_free(root);
	return rc;
}

/* A directory of per-PU dumps (hwloc-gather-cpuid's), read as one CPU. */
static int read_dir(const char *path, struct cpuid_data *ret, struct hv_diags *d)
{
	struct hv_root *root = NULL;
	int rc = hv_root_open_dir(path, &root);

	if (rc < 0)
		return hv_errorf(d, "cannot open directory '%s': %s", path, strerror(-rc));
	rc = cpuid_read_pus_root(root, path, ret, d);
	hv_root_free(root);
	return rc;
}

/* Sniffs the format; section is for xen-cpuid output only (NULL: first). */
/* xen_default: the policy of `xen-cpuid -p` output to read when section
 * is NULL (NULL: the first); *ret_policy (may be NULL) says which was read,
 * NULL for another format. */
static int parse_any(const char *buf, size_t len, const char *name,
		     const char *section, const char *xen_default, const char **ret_policy,
		     struct cpuid_data *ret, struct hv_diags *d)
{
	size_t i = 0;

	/* A UTF-8 byte order mark, then blanks. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
			   buf[i] == '\n'))
		i++;
	if (cpuid_looks_like_stream(buf, len))
		return section ? hv_errorf(d, "%s: '#%s' names a policy of `xen-cpuid -p` output, and this is a saved domain",
					   name, section)
			       : cpuid_parse_stream(buf, len, name, ret, NULL, d);
	if (cpuid_looks_like_xen(buf + i, len - i)) {
		section = section ? section : xen_default;
		if (ret_policy)
			*ret_policy = section;
		return cpuid_parse_xen(buf, len, name, section, ret, d);
	}
	if (section)
		return hv_errorf(d, "%s: '#%s' names a policy of `xen-cpuid -p` output, and this is not such output",
				 name, section);
	if (hv_is_archive(buf, len))
		return read_archive(buf, len, name, ret, d);
	if (i < len && buf[i] == '<')
		return cpuid_looks_like_libvirt_cpu(buf, len) ?
			cpuid_parse_libvirt_cpu(buf, len, name, ret, d) :
			cpuid_parse_libvirt(buf, len, name, ret, d);
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return cpuid_parse_qmp(buf, len, name, ret, d);
	if (cpuid_looks_like_hwloc(buf, len))
		return cpuid_parse_hwloc(buf, len, name, ret, d);
	if (cpuid_looks_like_cpuinfo(buf, len))
		return cpuid_parse_cpuinfo(buf, len, name, ret, d);
	return cpuid_parse_text(buf, len, name, ret, d);
}

int cpuid_parse_any(const char *buf, size_t len, const char *name,
		    struct cpuid_data *ret, struct hv_diags *d)
{
	return parse_any(buf, len, name, NULL, NULL, NULL, ret, d);
}

int cpuid_read_file(const char *path, struct cpuid_data *ret,
		    struct hv_diags *d)
{
	return cpuid_read_file_xen(path, NULL, NULL, ret, d);
}

int cpuid_read_file_xen(const char *path, const char *xen_default, const char **ret_policy,
			struct cpuid_data *ret, struct hv_diags *d)
{
	_cleanup_free_ char *base = NULL;
	const char *section = NULL, *hash, *name;
	bool is_stdin;
	char *buf = NULL;
	size_t len = 0, alloc = 0;
	struct stat st;
	int fd = -1, rc;

	/* "FILE#SECTION" when FILE#SECTION itself is not there */
	hash = strrchr(path, '#');
	if (hash && hash[1] && hash > path && strcmp(path, "-") != 0 &&
	    access(path, F_OK) < 0 && errno == ENOENT) {
		base = xstrndup(path, (size_t)(hash - path));
		section = hash + 1;
		path = base;
	}
	is_stdin = strcmp(path, "-") == 0;
	name = path;	/* "-" is named "-", as every tool names it */
	const char *why = NULL;
	fd = is_stdin ? STDIN_FILENO : open_input(path, section ? 0 : INPUT_DIR, &why);
	if (fd < 0) {
		rc = fd;
		hv_errorf(d, "cannot open '%s': %s", path, why);
		goto out;
	}
	if (!is_stdin && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = read_dir(path, ret, d);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len >= CPUID_MAX_FILE) {
			rc = hv_errorf(d, "%s: larger than %u MiB, not a CPUID dump",
				       name, CPUID_MAX_FILE >> 20);
			goto out;
		}
		buf = xgrow(buf, 1, len + 65536 + 1, &alloc);
		n = read(fd, buf + len, 65536);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			hv_errorf(d, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* A saved domain is read as a stream (it may be GiB long). */
		if (len >= 64 && !section && cpuid_looks_like_stream(buf, len)) {
			rc = cpuid_read_stream_fd(fd, buf, len, name, ret, NULL, d);
			goto out;
		}
	}
	buf[len] = 0;
	rc = parse_any(buf, len, name, section, xen_default, ret_policy, ret, d);
out:
	if (fd >= 0 && !is_stdin)
		close(fd);
	free(buf);
	return rc;
}
