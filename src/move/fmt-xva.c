/* SPDX-License-Identifier: MIT */
/* XVA: chunks with checksums (writer and verifying reader), ova.xml. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nettle/sha1.h>
#include <xxhash.h>

#include "util.h"
#include "xva.h"

#define OFF(x) ((unsigned long long)(x))

void xva_xxh64_hex(const void *p, size_t len, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)XXH64(p, len, 0));
}

void xva_sha1_hex(const void *p, size_t len, char out[41])
{
	struct sha1_ctx c;
	uint8_t dig[SHA1_DIGEST_SIZE];

	sha1_init(&c);
	sha1_update(&c, len, p);
	sha1_digest(&c, sizeof(dig), dig);
	for (size_t i = 0; i < sizeof(dig); i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

/* ---- writer ---- */

struct xva_out {
	struct tar_out *t;
	const char *ref;
	enum xva_sums sums;
	uint64_t mtime;
};

static int xva_write(struct img_out *out, uint64_t off, const void *buf,
		     size_t len)
{
	static const uint8_t zero_chunk[XVA_CHUNK];
	struct xva_out *x = out->priv;
	uint64_t idx = off / XVA_CHUNK;
	bool last = off + len >= out->size;
	char name[TAR_NAME_MAX], sum[41];
	int rc;

	if ((!buf || img_is_zero(buf, len)) && idx != 0 && !last)
		return 0;
	if (!buf)
		buf = zero_chunk;
	snprintf(name, sizeof(name), "%s/%08" PRIu64, x->ref, idx);
	rc = tar_out_add(x->t, name, buf, len, x->mtime);
	if (rc == 0 && (x->sums & XVA_SUM_XXHASH)) {
		xva_xxh64_hex(buf, len, sum);
		snprintf(name, sizeof(name), "%s/%08" PRIu64 ".xxhash", x->ref, idx);
		rc = tar_out_add(x->t, name, sum, strlen(sum), x->mtime);
	}
	if (rc == 0 && (x->sums & XVA_SUM_SHA1)) {
		xva_sha1_hex(buf, len, sum);
		snprintf(name, sizeof(name), "%s/%08" PRIu64 ".checksum", x->ref, idx);
		rc = tar_out_add(x->t, name, sum, strlen(sum), x->mtime);
	}
	if (rc == 0)
		out->written += len;
	return rc;
}

static int xva_finish(struct img_out *out)
{
	(void)out;
	return 0;
}

static void xva_release(struct img_out *out)
{
	free(out->priv);
	out->priv = NULL;
}

/* Chunks of zeros other than the first and the last are left out. */
static int xva_hole(struct img_out *out, uint64_t off, uint64_t len)
{
	return 0;
}

static const struct img_out_ops xva_out_ops = {
	.write = xva_write,
	.hole = xva_hole,
	.finish = xva_finish,
	.release = xva_release,
};

int img_out_xva(struct img_out *out, struct tar_out *t, const char *ref,
		enum xva_sums sums)
{
	struct xva_out *x = xcalloc(1, sizeof(*x));

	x->t = t;
	x->ref = ref;
	x->sums = sums;
	x->mtime = (uint64_t)time(NULL);
	out->priv = x;
	out->ops = &xva_out_ops;
	out->format = IMG_XVA;
	out->unit = XVA_CHUNK;
	return 0;
}

/* ---- reader ---- */

struct xva_in {
	struct tar_in *t;
	struct hv_diags *d;
	uint8_t *chunk;
};

int xva_in_open(int fd, struct hv_diags *d, struct mv_vm *vm,
		struct xva_in **ret)
{
	struct xva_in *x = xcalloc(1, sizeof(*x));
	struct tar_member m;
	char *xml = NULL;
	int rc;

	x->d = d;
	rc = tar_in_open(fd, d, &x->t);
	if (rc < 0)
		goto fail;
	rc = tar_in_next(x->t, &m);
	if (rc == 0)
		rc = hv_errorf(d, "offset 0: empty archive, no ova.xml");
	if (rc < 0)
		goto fail;
	if (strcmp(m.name, "ova.xml") != 0) {
		rc = hv_errorf(d, "offset %llu: first member is '%s', not ova.xml (not an XVA?)",
			       OFF(m.offset), m.name);
		goto fail;
	}
	if (m.size > XVA_OVA_MAX) {
		rc = hv_errorf(d, "offset %llu: ova.xml of %llu bytes is larger than the %u we accept",
			       OFF(m.offset), OFF(m.size), XVA_OVA_MAX);
		goto fail;
	}
	xml = xmalloc((size_t)m.size + 1);
	rc = tar_in_read(x->t, xml, (size_t)m.size);
	if (rc < 0)
		goto fail;
	xml[m.size] = 0;
	rc = xva_ova_parse(xml, (size_t)m.size, vm, d);
	if (rc < 0)
		goto fail;
	free(xml);
	x->chunk = xmalloc(XVA_CHUNK);
	*ret = x;
	return 0;
fail:
	free(xml);
	xva_in_free(x);
	return rc;
}

struct xva_in *xva_in_free(struct xva_in *x)
{
	if (x) {
		tar_in_free(x->t);
		free(x->chunk);
		free(x);
	}
	return NULL;
}

/* The unit being assembled for the writer from 1 MiB chunks. */
struct assembly {
	struct img_out *out;
	uint8_t *buf;
	uint64_t off;		/* of the unit */
	bool data;
	uint64_t size;
	img_progress_fn progress;
	void *opaque;
};

/* Hands units before `upto` to the writer (holes as NULL). */
static int flush_until(struct assembly *a, uint64_t upto)
{
	int rc;

	while (a->off < a->size && a->off + a->out->unit <= upto) {
		size_t len = a->size - a->off < a->out->unit ? (size_t)(a->size - a->off) : a->out->unit;

		rc = a->out->ops->write(a->out, a->off, a->data ? a->buf : NULL, len);
		if (rc < 0)
			return rc;
		if (a->data)
			memset(a->buf, 0, a->out->unit);
		a->data = false;
		a->off += a->out->unit;
		if (a->progress)
			a->progress(a->opaque, a->off < a->size ? a->off : a->size);
	}
	return 0;
}

static bool parse_chunk_name(const char *name, const char *ref, uint64_t *idx,
			     const char **suffix)
{
	size_t rl = strlen(ref);
	uint64_t v = 0;
	const char *p;

	if (strncmp(name, ref, rl) != 0 || name[rl] != '/')
		return false;
	p = name + rl + 1;
	for (int i = 0; i < 8; i++, p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*idx = v;
	*suffix = p;
	return true;
}

/* Whether name is REF/NNNNNNNN, .checksum or .xxhash, for a REF of
 * one path component (another disk's chunk). */
static bool chunk_like(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t i;

	if (!slash || slash == name || strncmp(name, "Ref:", 4) || strchr(slash + 1, '/'))
		return false;
	for (i = 1; i <= 8; i++)
		if (slash[i] < '0' || slash[i] > '9')
			return false;
	return !slash[9] || !strcmp(slash + 9, ".checksum") || !strcmp(slash + 9, ".xxhash");
}

/* One disk of xva_in_copy_all(): where its chunks go. */
struct xva_copy {
	struct xva_disk_job *job;
	struct assembly a;
	uint64_t next_idx, nchunks;
};

/* The disk whose chunk directory name is in, or NULL. */
static struct xva_copy *chunk_owner(struct xva_copy *c, size_t n, const char *name,
				    uint64_t *idx, const char **sfx)
{
	for (size_t i = 0; i < n; i++)
		if (parse_chunk_name(name, c[i].job->ref, idx, sfx))
			return &c[i];
	return NULL;
}

int xva_in_copy_all(struct xva_in *x, struct xva_disk_job *jobs, size_t n)
{
	struct xva_copy *c = xcalloc(n ? n : 1, sizeof(*c));
	struct xva_copy *pend = NULL;	/* the last chunk read: its checksums may follow */
	bool verified = false;		/* ... and one of them matched */
	struct tar_member m;
	uint64_t pend_idx = 0;
	size_t pend_len = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct img_out *out = jobs[i].out;

		jobs[i].unverified = 0;
		c[i].job = &jobs[i];
		c[i].a = (struct assembly){ .out = out, .size = jobs[i].size,
					    .progress = jobs[i].progress,
					    .opaque = jobs[i].opaque };
		c[i].nchunks = (jobs[i].size + XVA_CHUNK - 1) / XVA_CHUNK;
		if (!jobs[i].ref || !*jobs[i].ref)
			rc = hv_errorf(x->d, "ova.xml: a disk has no reference to its chunks");
		else if (out->unit % XVA_CHUNK)
			rc = hv_errorf(x->d, "internal: writer unit %zu is not a multiple of 1 MiB", out->unit);
		else if (posix_memalign((void **)&c[i].a.buf, 4096, out->unit) != 0)
			rc = -ENOMEM;
		else
			memset(c[i].a.buf, 0, out->unit);
	}
	while (rc == 0 && (rc = tar_in_next(x->t, &m)) > 0) {
		struct xva_copy *d;
		uint64_t idx;
		const char *sfx;

		rc = 0;
		d = chunk_owner(c, n, m.name, &idx, &sfx);
		if (!d) {
			/* A disk not asked for: skipped.  Anything else an
			 * XVA does not hold is refused, never skipped (a
			 * chunk under another spelling would read as zeros). */
			if (!chunk_like(m.name))
				rc = hv_errorf(x->d, "offset %llu: member '%s' is not a chunk of the form 'Ref:N/NNNNNNNN[.checksum|.xxhash]'",
					       OFF(m.offset), m.name);
			if (rc < 0)
				break;
			continue;
		}
		if (*sfx == 0) {
			if (pend && !verified)
				pend->job->unverified++;
			if (idx < d->next_idx) {
				rc = hv_errorf(x->d, "offset %llu: chunk '%s' is out of order (after %08llu)",
					       OFF(m.offset), m.name, OFF(d->next_idx - 1));
				break;
			}
			if (idx >= d->nchunks) {
				rc = hv_errorf(x->d, "offset %llu: chunk '%s' lies past the disk's %llu bytes",
					       OFF(m.offset), m.name, OFF(d->job->size));
				break;
			}
			uint64_t pos = idx * XVA_CHUNK;
			size_t want = d->job->size - pos < XVA_CHUNK ? (size_t)(d->job->size - pos) : XVA_CHUNK;
			if (m.size != want && !(m.size == XVA_CHUNK && want < XVA_CHUNK)) {
				rc = hv_errorf(x->d, "offset %llu: chunk '%s' holds %llu bytes, expected %zu",
					       OFF(m.offset), m.name, OFF(m.size), want);
				break;
			}
			rc = flush_until(&d->a, pos);
			if (rc < 0)
				break;
			/* A full last chunk past the size (xva-img pads):
			 * checksum over all of it, keep only `want`. */
			rc = tar_in_read(x->t, x->chunk, (size_t)m.size);
			if (rc < 0)
				break;
			memcpy(d->a.buf + (pos - d->a.off), x->chunk, want);
			d->a.data = true;
			pend = d;
			verified = false;
			pend_idx = idx;
			pend_len = (size_t)m.size;
			d->next_idx = idx + 1;
			continue;
		}
		bool xx = strcmp(sfx, ".xxhash") == 0, sha = strcmp(sfx, ".checksum") == 0;
		if (!xx && !sha) {
			rc = hv_errorf(x->d, "offset %llu: member '%s' is neither a chunk nor its checksum",
				       OFF(m.offset), m.name);
			break;
		}
		if (pend != d || idx != pend_idx) {
			rc = hv_errorf(x->d, "offset %llu: checksum '%s' without its chunk",
				       OFF(m.offset), m.name);
			break;
		}
		char got[64] = { 0 }, want[41];
		if (m.size >= sizeof(got)) {
			rc = hv_errorf(x->d, "offset %llu: checksum member '%s' is %llu bytes long",
				       OFF(m.offset), m.name, OFF(m.size));
			break;
		}
		rc = tar_in_read(x->t, got, (size_t)m.size);
		if (rc < 0)
			break;
		if (xx)
			xva_xxh64_hex(x->chunk, pend_len, want);
		else
			xva_sha1_hex(x->chunk, pend_len, want);
		if (strcasecmp(strstrip(got), want) != 0) {
			rc = hv_errorf(x->d, "offset %llu: %s checksum mismatch for chunk '%s/%08llu': archive says %s, data hashes to %s",
				       OFF(m.offset), xx ? "XXH64" : "SHA-1", d->job->ref,
				       OFF(idx), got, want);
			break;
		}
		/* Both kinds may follow one chunk: it stays pending. */
		verified = true;
	}
	if (rc == 0 && pend && !verified)
		pend->job->unverified++;
	/* XAPI always writes a disk's first and last chunk, whatever they
	 * hold, so that the last one marks the disk's end: an archive
	 * without it was cut short, and its missing chunks are not zeros. */
	for (size_t i = 0; i < n && rc == 0; i++)
		if (c[i].nchunks && c[i].next_idx != c[i].nchunks)
			rc = hv_errorf(x->d, "offset %llu: disk '%s' ends without its last chunk '%s/%08llu' (a truncated archive?)",
				       OFF(tar_in_offset(x->t)), c[i].job->ref, c[i].job->ref,
				       OFF(c[i].nchunks - 1));
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = flush_until(&c[i].a, UINT64_MAX);
		free(c[i].a.buf);
	}
	free(c);
	return rc;
}

int xva_in_copy(struct xva_in *x, const char *ref, uint64_t size,
		struct img_out *out, img_progress_fn progress, void *opaque,
		uint64_t *ret_unverified)
{
	struct xva_disk_job job = { .ref = ref, .size = size, .out = out,
				    .progress = progress, .opaque = opaque };
	int rc = xva_in_copy_all(x, &job, 1);

	if (rc == 0 && ret_unverified)
		*ret_unverified = job.unverified;
	return rc;
}
