/* SPDX-License-Identifier: MIT */
/* qcow2 version 3 writer (QEMU docs/interop/qcow2.txt): 64 KiB clusters,
 * 16-bit refcounts, no backing file, compression or encryption.
 *
 * Layout, in the order it is written:
 *   cluster 0            the header: left a hole until the very end
 *   clusters 1..         data, the guest's non-zero clusters in guest order
 *   then                 one L2 table per 512 MiB region that holds data
 *   then                 the L1 table
 *   then                 the refcount table, then the refcount blocks
 *   finally              the header, at offset 0
 * Until the header is written the file starts with zeros, so a run cut
 * short never looks like a qcow2 image.
 *
 * Memory: data clusters are appended in guest order, so the host offset
 * of a guest cluster is data_start + (allocated clusters before it) *
 * cluster size.  A bitmap of allocated clusters is therefore the whole
 * map: 1 KiB per 512 MiB region that holds data (1/64 of the L2 table it
 * becomes), plus 16 bytes per L1 entry, plus one cluster of buffer at
 * finish time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img.h"
#include "util.h"

#define Q_CLUSTER_BITS 16u
#define Q_CLUSTER ((uint64_t)1 << Q_CLUSTER_BITS)
#define Q_L2_ENTRIES (Q_CLUSTER / 8)		/* 8192 */
#define Q_REGION (Q_CLUSTER * Q_L2_ENTRIES)	/* 512 MiB per L2 table */
#define Q_REFCOUNT_ORDER 4u			/* 16-bit refcounts */
#define Q_RB_ENTRIES (Q_CLUSTER * 8 / (1u << Q_REFCOUNT_ORDER))	/* 32768 */
#define Q_HEADER_LEN 104u
#define Q_COPIED (1ull << 63)			/* refcount is exactly 1 */
/* 1 PiB: an L1 table of 2M entries (16 MiB), as qemu allows and more. */
#define Q_MAX_SIZE (1ull << 50)
#define Q_BITMAP_WORDS (Q_L2_ENTRIES / 64)

struct qcow2_out {
	uint64_t l1_size;	/* entries */
	uint64_t **map;		/* per L1 entry: NULL or Q_BITMAP_WORDS words */
	uint64_t nalloc;	/* data clusters written so far */
	uint64_t next;		/* the guest offset write() expects next */
};

#define OFF(x) ((unsigned long long)(x))

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Writes guest clusters [first, first + n) from p to where they go. */
static int put_run(struct img_out *out, struct qcow2_out *q, const uint8_t *p,
		   uint64_t first, uint64_t n, size_t bytes)
{
	uint64_t host = Q_CLUSTER * (1 + q->nalloc);
	int rc = img_pwrite_sparse(out->fd, p, bytes, host);

	if (rc < 0)
		return rc;
	for (uint64_t c = first; c < first + n; c++) {
		uint64_t **m = &q->map[c / Q_L2_ENTRIES];
		uint64_t bit = c % Q_L2_ENTRIES;

		if (!*m)
			*m = xcalloc(Q_BITMAP_WORDS, sizeof(uint64_t));
		(*m)[bit / 64] |= 1ull << (bit % 64);
	}
	q->nalloc += n;
	out->written += bytes;
	return 0;
}

static int qcow2_write(struct img_out *out, uint64_t off, const void *buf,
		       size_t len)
{
	struct qcow2_out *q = out->priv;
	const uint8_t *p = buf;
	uint64_t run_first = 0, run_n = 0;
	size_t run_at = 0, run_bytes = 0;
	int rc;

	if (off != q->next || off % Q_CLUSTER || len > out->size - off)
		return hv_errorf(out->diags, "internal: qcow2 write of %zu bytes at %llu, expected one at %llu",
				 len, OFF(off), OFF(q->next));
	q->next = off + len;
	if (!buf)
		return 0;
	/* Each cluster that is not all zeros is appended; neighbours in the
	 * guest are neighbours in the file, so runs go out in one write. */
	for (size_t i = 0; i < len; i += Q_CLUSTER) {
		size_t n = len - i < Q_CLUSTER ? len - i : (size_t)Q_CLUSTER;
		uint64_t c = (off + i) / Q_CLUSTER;

		if (img_is_zero(p + i, n)) {
			if (run_n) {
				rc = put_run(out, q, p + run_at, run_first, run_n, run_bytes);
				if (rc < 0)
					return rc;
				run_n = 0;
			}
			continue;
		}
		if (!run_n) {
			run_first = c;
			run_at = i;
			run_bytes = 0;
		}
		run_n++;
		run_bytes += n;
	}
	return run_n ? put_run(out, q, p + run_at, run_first, run_n, run_bytes) : 0;
}

static void build_header(uint8_t h[Q_HEADER_LEN + 8], const struct img_out *out,
			 const struct qcow2_out *q, uint64_t l1_off,
			 uint64_t rt_off, uint64_t rt_clusters)
{
	memset(h, 0, Q_HEADER_LEN + 8);
	memcpy(h, "QFI\xfb", 4);
	img_put_be32(h + 4, 3);			/* version */
	/* 8: backing file offset, 16: its length: none */
	img_put_be32(h + 20, Q_CLUSTER_BITS);
	img_put_be64(h + 24, out->size);
	/* 32: crypt_method 0 */
	img_put_be32(h + 36, (uint32_t)q->l1_size);
	img_put_be64(h + 40, l1_off);
	img_put_be64(h + 48, rt_off);
	img_put_be32(h + 56, (uint32_t)rt_clusters);
	/* 60: no snapshots; 72, 80, 88: no feature bits */
	img_put_be32(h + 96, Q_REFCOUNT_ORDER);
	img_put_be32(h + 100, Q_HEADER_LEN);
	/* 104: the end-of-extensions marker (type 0, length 0) */
}

static int qcow2_finish(struct img_out *out)
{
	struct qcow2_out *q = out->priv;
	uint8_t *buf = NULL;
	uint64_t *l1 = NULL;
	uint64_t pos, rank = 0, l1_off, rt_off, rb_off, R = 1, T = 1, N;
	uint8_t h[Q_HEADER_LEN + 8];
	int rc = 0;

	if (q->next != out->size)
		return hv_errorf(out->diags, "internal: qcow2 finished at %llu of %llu bytes",
				 OFF(q->next), OFF(out->size));
	if (posix_memalign((void **)&buf, 4096, Q_CLUSTER) != 0)
		return -ENOMEM;
	l1 = xcalloc(q->l1_size ? q->l1_size : 1, sizeof(*l1));

	/* L2 tables, for the regions that hold data. */
	pos = Q_CLUSTER * (1 + q->nalloc);
	for (uint64_t i = 0; rc == 0 && i < q->l1_size; i++) {
		const uint64_t *m = q->map[i];

		if (!m)
			continue;
		memset(buf, 0, Q_CLUSTER);
		for (uint64_t k = 0; k < Q_L2_ENTRIES; k++) {
			if (!(m[k / 64] & (1ull << (k % 64))))
				continue;
			img_put_be64(buf + 8 * k, (Q_CLUSTER * (1 + rank)) | Q_COPIED);
			rank++;
		}
		rc = img_pwrite(out->fd, buf, Q_CLUSTER, pos);
		l1[i] = pos | Q_COPIED;
		pos += Q_CLUSTER;
	}
	if (rc == 0 && rank != q->nalloc)
		rc = hv_errorf(out->diags, "internal: %llu data clusters mapped, %llu written",
			       OFF(rank), OFF(q->nalloc));

	/* L1: entries in big-endian, in place. */
	l1_off = pos;
	for (uint64_t i = 0; i < q->l1_size; i++)
		img_put_be64((uint8_t *)&l1[i], l1[i]);
	if (rc == 0 && q->l1_size)
		rc = img_pwrite(out->fd, l1, q->l1_size * 8, l1_off);
	pos += div_up(q->l1_size * 8, Q_CLUSTER) * Q_CLUSTER;

	/* Refcounts: every cluster of the file, these included, is used
	 * once.  R blocks and T table clusters must cover M + R + T. */
	uint64_t M = pos / Q_CLUSTER;
	for (;;) {
		uint64_t r2 = div_up(M + R + T, Q_RB_ENTRIES);
		uint64_t t2 = div_up(r2 * 8, Q_CLUSTER);
		if (r2 == R && t2 == T)
			break;
		R = r2;
		T = t2;
	}
	N = M + R + T;
	rt_off = pos;
	rb_off = rt_off + T * Q_CLUSTER;
	for (uint64_t t = 0; rc == 0 && t < T; t++) {
		memset(buf, 0, Q_CLUSTER);
		for (uint64_t k = 0; k < Q_CLUSTER / 8; k++) {
			uint64_t b = t * (Q_CLUSTER / 8) + k;
			if (b < R)
				img_put_be64(buf + 8 * k, rb_off + b * Q_CLUSTER);
		}
		rc = img_pwrite(out->fd, buf, Q_CLUSTER, rt_off + t * Q_CLUSTER);
	}
	for (uint64_t k = 0; k < Q_RB_ENTRIES; k++)
		img_put_be16(buf + 2 * k, 1);
	for (uint64_t b = 0; rc == 0 && b < R; b++) {
		uint64_t first = b * Q_RB_ENTRIES;
		if (N - first < Q_RB_ENTRIES)
			memset(buf + 2 * (N - first), 0, 2 * (Q_RB_ENTRIES - (N - first)));
		rc = img_pwrite(out->fd, buf, Q_CLUSTER, rb_off + b * Q_CLUSTER);
	}
	if (rc == 0 && ftruncate(out->fd, (off_t)(N * Q_CLUSTER)) < 0)
		rc = -errno;

	/* Last, the header that makes it an image. */
	build_header(h, out, q, l1_off, rt_off, T);
	if (rc == 0)
		rc = img_pwrite(out->fd, h, sizeof(h), 0);
	free(l1);
	free(buf);
	return rc;
}

static void qcow2_release(struct img_out *out)
{
	struct qcow2_out *q = out->priv;

	if (q) {
		for (uint64_t i = 0; i < q->l1_size; i++)
			free(q->map[i]);
		free(q->map);
		free(q);
	}
	out->priv = NULL;
}

static int qcow2_hole(struct img_out *out, uint64_t off, uint64_t len)
{
	struct qcow2_out *q = out->priv;

	if (off != q->next || off % Q_CLUSTER || len > out->size - off)
		return hv_errorf(out->diags, "internal: qcow2 hole of %llu bytes at %llu, expected one at %llu",
				 OFF(len), OFF(off), OFF(q->next));
	q->next = off + len;	/* unallocated clusters read as zeros */
	return 0;
}

static const struct img_out_ops qcow2_out_ops = {
	.write = qcow2_write,
	.hole = qcow2_hole,
	.finish = qcow2_finish,
	.release = qcow2_release,
};

int img_out_qcow2(struct img_out *out)
{
	struct qcow2_out *q;

	/* qemu keeps the size in 512-byte sectors and would drop a tail. */
	if (out->size % 512)
		return hv_errorf(out->diags, "qemu reads qcow2 in whole 512-byte sectors; %llu bytes is not a multiple of 512 (pad the image first)",
				 OFF(out->size));
	if (out->size > Q_MAX_SIZE)
		return hv_errorf(out->diags, "%llu bytes is more than the %llu this qcow2 writer handles",
				 OFF(out->size), OFF(Q_MAX_SIZE));
	q = xcalloc(1, sizeof(*q));
	q->l1_size = div_up(out->size, Q_REGION);
	q->map = xcalloc(q->l1_size ? q->l1_size : 1, sizeof(*q->map));
	out->priv = q;
	out->ops = &qcow2_out_ops;
	out->format = IMG_QCOW2;
	out->unit = 1u << 20;	/* 16 clusters; XVA input needs 1 MiB units */
	return 0;
}
