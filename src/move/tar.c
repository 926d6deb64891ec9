/* SPDX-License-Identifier: MIT */
/* A minimal streaming tar (ustar) writer and reader, gzip or not. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tar.h"
#include "util.h"

struct tar_out {
	int fd;
	gzFile gz;
	int err;
};

static int out_write(struct tar_out *t, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (t->err)
		return t->err;
	if (t->gz) {
		while (len) {
			unsigned n = len > (1u << 30) ? 1u << 30 : (unsigned)len;
			if (gzwrite(t->gz, b, n) != (int)n)
				return t->err = -EIO;
			b += n;
			len -= n;
		}
		return 0;
	}
	while (len) {
		ssize_t n = write(t->fd, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return t->err = -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int tar_out_open(int fd, bool gzip, struct tar_out **ret)
{
	struct tar_out *t = xcalloc(1, sizeof(*t));

	t->fd = fd;
	if (gzip) {
		int dfd = dup(fd);
		if (dfd < 0 || !(t->gz = gzdopen(dfd, "wb6"))) {
			if (dfd >= 0)
				close(dfd);
			free(t);
			return -ENOMEM;
		}
		(void)gzbuffer(t->gz, 1 << 20);
	}
	*ret = t;
	return 0;
}

static void octal(char *f, size_t width, uint64_t v)
{
	/* width - 1 digits and a NUL, as GNU and POSIX tar write them. */
	snprintf(f, width, "%0*llo", (int)(width - 1), (unsigned long long)v);
}

int tar_out_begin(struct tar_out *t, const char *name, uint64_t size,
		  uint64_t mtime)
{
	uint8_t h[TAR_BLOCK] = { 0 };
	unsigned sum = 0;

	if (strlen(name) >= TAR_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	if (size < (1ull << 33)) {
		octal((char *)h + 124, 12, size);
	} else {
		/* GNU base-256: a high bit, then the size big-endian. */
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (uint8_t)(size >> (8 * i));
	}
	octal((char *)h + 136, 12, mtime);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return out_write(t, h, sizeof(h));
}

int tar_out_data(struct tar_out *t, const void *data, size_t len)
{
	return len ? out_write(t, data, len) : 0;
}

int tar_out_end(struct tar_out *t, uint64_t size)
{
	static const uint8_t zeros[TAR_BLOCK];

	return size % TAR_BLOCK ? out_write(t, zeros, TAR_BLOCK - size % TAR_BLOCK) : 0;
}

int tar_out_add(struct tar_out *t, const char *name, const void *data,
		size_t len, uint64_t mtime)
{
	int rc = tar_out_begin(t, name, len, mtime);

	if (rc == 0)
		rc = tar_out_data(t, data, len);
	if (rc == 0)
		rc = tar_out_end(t, len);
	return rc;
}

int tar_out_close(struct tar_out *t)
{
	static const uint8_t zeros[2 * TAR_BLOCK];
	int rc = out_write(t, zeros, sizeof(zeros));

	if (t->gz && gzclose(t->gz) != Z_OK && rc == 0)
		rc = -EIO;
	free(t);
	return rc;
}

/* ---- reader ---- */

struct tar_in {
	gzFile gz;
	struct hv_diags *d;
	uint64_t off;		/* bytes consumed from the stream */
	uint64_t left;		/* of the current member's data */
	uint64_t pad;		/* after it, to the next block */
	bool gzip;
	char member[TAR_NAME_MAX + 1 + 155 + 1];
};

int tar_in_open(int fd, struct hv_diags *d, struct tar_in **ret)
{
	struct tar_in *t;
	int dfd = dup(fd);

	if (dfd < 0)
		return -errno;
	t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->gz = gzdopen(dfd, "rb");
	if (!t->gz) {
		close(dfd);
		free(t);
		return -ENOMEM;
	}
	(void)gzbuffer(t->gz, 1 << 20);
	*ret = t;
	return 0;
}

struct tar_in *tar_in_free(struct tar_in *t)
{
	if (t) {
		gzclose(t->gz);
		free(t);
	}
	return NULL;
}

uint64_t tar_in_offset(const struct tar_in *t)
{
	return t->off;
}

bool tar_in_gzip(const struct tar_in *t)
{
	return t->gzip;
}

/* Reads exactly len bytes; returns the count read (short at the end). */
static int raw_read(struct tar_in *t, void *buf, size_t len, size_t *got)
{
	uint8_t *p = buf;

	*got = 0;
	while (len) {
		unsigned n = len > (1u << 30) ? 1u << 30 : (unsigned)len;
		int r = gzread(t->gz, p, n);
		if (r < 0) {
			int zerr;
			const char *msg = gzerror(t->gz, &zerr);
			return hv_errorf(t->d, "offset %llu: %s", (unsigned long long)(t->off + *got),
					 zerr == Z_ERRNO ? strerror(errno) : msg);
		}
		if (r == 0) {
			/* zlib reports a gzip stream cut short (no end, no
			 * CRC and length) as the end plus Z_BUF_ERROR. */
			int zerr;
			const char *msg = gzerror(t->gz, &zerr);
			if (zerr == Z_BUF_ERROR)
				return hv_errorf(t->d, "offset %llu: the gzip stream is truncated (%s)",
						 (unsigned long long)(t->off + *got), msg);
			break;
		}
		p += r;
		*got += (size_t)r;
		len -= (size_t)r;
	}
	t->off += *got;
	if (*got && t->off == *got)
		t->gzip = gzdirect(t->gz) == 0;
	return 0;
}

static int skip(struct tar_in *t, uint64_t n, bool *eof)
{
	uint8_t buf[65536];

	while (n) {
		size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf), got;
		int rc = raw_read(t, buf, want, &got);
		if (rc < 0)
			return rc;
		if (got < want) {
			*eof = true;
			return 0;
		}
		n -= got;
	}
	return 0;
}

static bool parse_num(const uint8_t *f, size_t width, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		/* GNU base-256: big-endian, first byte's top bit set. */
		for (i = 1; i < width; i++) {
			if (v >> 56)
				return false;
			v = v << 8 | f[i];
		}
		*ret = v;
		return true;
	}
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (i < width && f[i] != 0 && f[i] != ' ')
		return false;
	*ret = v;
	return true;
}

static bool is_zero_block(const uint8_t *h)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* At the first zero block (at hoff): the end of the archive is two of
 * them, as POSIX and every XVA writer put it; a gzip stream must then
 * end properly (its CRC and length), whatever zero padding follows. */
static int end_of_archive(struct tar_in *t, uint64_t hoff)
{
	uint8_t h[TAR_BLOCK];
	size_t got;
	int rc = raw_read(t, h, sizeof(h), &got);

	if (rc < 0)
		return rc;
	if (got < sizeof(h))
		return hv_errorf(t->d, "offset %llu: the archive ends after one of its two end-of-archive blocks (truncated?)",
				 (unsigned long long)hoff);
	if (!is_zero_block(h))
		return hv_errorf(t->d, "offset %llu: a member follows a zero block (a damaged or truncated archive?)",
				 (unsigned long long)(hoff + TAR_BLOCK));
	while (t->gzip) {
		rc = raw_read(t, h, sizeof(h), &got);
		if (rc < 0)
			return rc;
		if (got == 0)
			break;
	}
	return 0;
}

/* A member that is not a regular file, its header just read: 0 to skip
 * it (a directory; a pax header whose records rename or resize nothing),
 * else an error naming it.  A pax 'path', 'linkpath' or 'size' record is
 * refused, never ignored: tar would honour it, and the names read here
 * would then not be the names tar extracts. */
static int special_member(struct tar_in *t, const struct tar_member *m)
{
	char buf[65536];
	int rc;

	switch (m->type) {
	case '5':
		return 0;
	case 'x':
	case 'g':
		if (m->size >= sizeof(buf))
			return hv_errorf(t->d, "offset %llu: pax header of %llu bytes is larger than the %zu we accept",
					 (unsigned long long)m->offset, (unsigned long long)m->size,
					 sizeof(buf) - 1);
		rc = tar_in_read(t, buf, (size_t)m->size);
		if (rc < 0)
			return rc;
		buf[m->size] = 0;
		for (char *p = buf; p < buf + m->size;) {
			char *end, *key = NULL;
			unsigned long len = strtoul(p, &end, 10);
			if (end == p || *end != ' ' || len == 0 || len > (size_t)(buf + m->size - p))
				return hv_errorf(t->d, "offset %llu: malformed pax header record", (unsigned long long)m->offset);
			key = end + 1;
			size_t kl = strcspn(key, "=");
			if ((kl == 4 && !strncmp(key, "path", 4)) || (kl == 8 && !strncmp(key, "linkpath", 8)) ||
			    (kl == 4 && !strncmp(key, "size", 4)))
				return hv_errorf(t->d, "offset %llu: pax header sets the %.*s of the next member; not supported",
						 (unsigned long long)m->offset, (int)kl, key);
			p += len;
		}
		return 0;
	case 'L':
	case 'K':
		return hv_errorf(t->d, "offset %llu: GNU long-name member (names of 100 bytes or more are not supported)",
				 (unsigned long long)m->offset);
	default:
		return hv_errorf(t->d, "offset %llu: member '%s' is not a regular file (tar type '%c')",
				 (unsigned long long)m->offset, m->name,
				 m->type >= 0x20 && m->type < 0x7f ? m->type : '?');
	}
}

int tar_in_next(struct tar_in *t, struct tar_member *ret)
{
	uint8_t h[TAR_BLOCK];
	bool eof = false;
	size_t got;
	int rc;

	for (;;) {
		rc = skip(t, t->left + t->pad, &eof);
		if (rc < 0)
			return rc;
		if (eof)
			return hv_errorf(t->d, "offset %llu: truncated tar member '%s'",
					 (unsigned long long)t->off, t->member);
		t->left = t->pad = 0;
		uint64_t hoff = t->off;
		rc = raw_read(t, h, sizeof(h), &got);
		if (rc < 0)
			return rc;
		if (got == 0)
			return hv_errorf(t->d, "offset %llu: the archive ends without its end-of-archive blocks (truncated?)",
					 (unsigned long long)hoff);
		if (got < sizeof(h))
			return hv_errorf(t->d, "offset %llu: truncated tar header", (unsigned long long)hoff);
		if (is_zero_block(h))
			return end_of_archive(t, hoff);
		unsigned sum = 0;
		uint64_t want;
		for (size_t i = 0; i < sizeof(h); i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		if (!parse_num(h + 148, 8, &want) || want != sum)
			return hv_errorf(t->d, "offset %llu: bad tar header checksum (not a tar archive?)",
					 (unsigned long long)hoff);
		struct tar_member m = { .offset = hoff, .type = (char)h[156] };
		if (!parse_num(h + 124, 12, &m.size))
			return hv_errorf(t->d, "offset %llu: bad size in tar header", (unsigned long long)hoff);
		if (memcmp(h + 257, "ustar", 5) == 0 && h[345])
			snprintf(m.name, sizeof(m.name), "%.155s/%.100s", (char *)h + 345, (char *)h);
		else
			snprintf(m.name, sizeof(m.name), "%.100s", (char *)h);
		memcpy(t->member, m.name, sizeof(m.name));
		t->left = m.size;
		t->pad = (TAR_BLOCK - m.size % TAR_BLOCK) % TAR_BLOCK;
		if (m.type == '0' || m.type == 0 || m.type == '7') {
			*ret = m;
			return 1;
		}
		rc = special_member(t, &m);
		if (rc < 0)
			return rc;
		/* A directory, or a pax header that renames nothing:
		 * skipped (its data read or skipped). */
	}
}

int tar_in_read(struct tar_in *t, void *buf, size_t len)
{
	size_t got;
	int rc;

	if (len > t->left)
		return hv_errorf(t->d, "offset %llu: read past the end of member '%s'",
				 (unsigned long long)t->off, t->member);
	rc = raw_read(t, buf, len, &got);
	if (rc < 0)
		return rc;
	t->left -= got;
	if (got < len)
		return hv_errorf(t->d, "offset %llu: truncated tar member '%s' (%llu bytes missing)",
				 (unsigned long long)t->off, t->member,
				 (unsigned long long)(len - got + t->left)), -EIO;
	return 0;
}
