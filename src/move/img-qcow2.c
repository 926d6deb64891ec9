/* SPDX-License-Identifier: MIT */
/* qcow2 versions 2 and 3, read only (QEMU docs/interop/qcow2.txt):
 * L1 and L2 tables, zero clusters; no backing files, no encryption,
 * no compressed clusters (refused with the guest offset). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"
#include "util.h"

#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull	/* bits 9-55 */
#define QCOW2_COMPRESSED (1ull << 62)
#define QCOW2_ZERO 1ull				/* L2 bit 0, v3 */
#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
/* qemu's limits (block/qcow2.h QCOW_MAX_L1_SIZE, QCOW_MAX_REFTABLE_SIZE):
 * what qemu-img refuses to open is refused here too. */
#define QCOW2_MAX_L1 ((32u << 20) / 8)		/* entries; 32 MiB of L1 */
#define QCOW2_MAX_REFTABLE (8u << 20)		/* bytes */
#define QCOW2_L1_RESERVED 0x7f000000000001ffull	/* bits 0-8, 56-62 */

/* A run of host clusters that holds metadata, for the overlap checks. */
struct qcow2_meta {
	uint64_t first, n;	/* clusters */
	const char *what;	/* "the header", "the L1 table", ... */
	uint64_t at;		/* the offset that points at it (for the message) */
};

struct qcow2_in {
	unsigned cluster_bits;
	uint64_t cluster_size;
	uint64_t l2_entries;
	uint64_t *l1;		/* host order */
	uint32_t l1_size;
	uint64_t *l2;		/* the L2 table cached below */
	uint64_t l2_offset;	/* 0: none cached */
	struct qcow2_meta *meta;	/* sorted by first, no two overlap */
	size_t nmeta, meta_alloc;
};

#define OFF(x) ((unsigned long long)(x))

/* The metadata run holding host cluster c, or NULL. */
static const struct qcow2_meta *meta_find(const struct qcow2_in *q, uint64_t c)
{
	size_t lo = 0, hi = q->nmeta;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct qcow2_meta *m = &q->meta[mid];

		if (c < m->first)
			hi = mid;
		else if (c - m->first >= m->n)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

static void meta_add(struct qcow2_in *q, uint64_t off, uint64_t bytes,
		     const char *what, uint64_t at)
{
	if (q->nmeta == q->meta_alloc) {
		q->meta_alloc = q->meta_alloc ? 2 * q->meta_alloc : 16;
		q->meta = xrealloc(q->meta, q->meta_alloc * sizeof(*q->meta));
	}
	q->meta[q->nmeta++] = (struct qcow2_meta){
		off >> q->cluster_bits,
		(bytes + q->cluster_size - 1) >> q->cluster_bits, what, at };
}

static int meta_cmp(const void *a, const void *b)
{
	const struct qcow2_meta *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sorts the metadata runs and fails on two that share a cluster, as
 * qemu-img check does ("overlaps with active L1 table" and the like). */
static int meta_seal(struct img_in *in, struct qcow2_in *q)
{
	qsort(q->meta, q->nmeta, sizeof(*q->meta), meta_cmp);
	for (size_t i = 1; i < q->nmeta; i++) {
		const struct qcow2_meta *a = &q->meta[i - 1], *b = &q->meta[i];

		if (b->first - a->first < a->n)
			return hv_errorf(in->diags, "offset %llu: %s at %llu overlaps %s at %llu (cluster %llu holds both)",
					 OFF(b->at), b->what, OFF(b->first << q->cluster_bits),
					 a->what, OFF(a->first << q->cluster_bits), OFF(b->first));
	}
	return 0;
}

/* Checks a cluster-aligned run [off, off + bytes) pointed at from `at`
 * lies inside the file. */
static int check_run(struct img_in *in, struct qcow2_in *q, uint64_t off,
		     uint64_t bytes, const char *what, uint64_t at)
{
	if (off % q->cluster_size || off > in->file_size || in->file_size - off < bytes)
		return hv_errorf(in->diags, "offset %llu: %s at %llu (%llu bytes) is unaligned or past the end of the %llu-byte file",
				 OFF(at), what, OFF(off), OFF(bytes), OFF(in->file_size));
	return 0;
}

/* Checks L2 entry e (read at `at`) for the cluster at guest offset
 * guest: *ret_host is its data cluster, 0 for a hole or zeros. */
static int l2_entry(struct img_in *in, const struct qcow2_in *q, uint64_t e,
		    uint64_t at, uint64_t guest, uint64_t *ret_host)
{
	if (e & QCOW2_COMPRESSED)
		return hv_errorf(in->diags, "offset %llu: guest offset %llu is a compressed cluster; compressed qcow2 is not supported (qemu-img convert -O qcow2 without -c first)",
				 OFF(at), OFF(guest));
	uint64_t host = e & QCOW2_OFFSET_MASK;
	if (e & QCOW2_ZERO)
		host = 0;
	if (host && (host % q->cluster_size || host > in->file_size ||
		     in->file_size - host < q->cluster_size))
		return hv_errorf(in->diags, "offset %llu: L2 entry for guest offset %llu points to %llu, past the end or unaligned",
				 OFF(at), OFF(guest), OFF(host));
	const struct qcow2_meta *m = host ? meta_find(q, host >> q->cluster_bits) : NULL;
	if (m)
		return hv_errorf(in->diags, "offset %llu: L2 entry for guest offset %llu points to %llu, inside %s at %llu (metadata as guest data)",
				 OFF(at), OFF(guest), OFF(host), m->what,
				 OFF(m->first << q->cluster_bits));
	*ret_host = host;
	return 0;
}

/* Host offset of the cluster holding guest offset off: 0 for a hole or
 * zero cluster.  Checks every offset it hands out against the file and
 * the metadata. */
static int qcow2_lookup(struct img_in *in, uint64_t off, uint64_t *ret_host)
{
	struct qcow2_in *q = in->priv;
	uint64_t cl = off >> q->cluster_bits;
	uint64_t l1i = cl / q->l2_entries, l2i = cl % q->l2_entries;
	int rc;

	if (l1i >= q->l1_size)
		return hv_errorf(in->diags, "guest offset %llu: beyond the L1 table (%u entries)",
				 OFF(off), q->l1_size);
	uint64_t l2off = q->l1[l1i] & QCOW2_OFFSET_MASK;
	if (!l2off) {
		*ret_host = 0;
		return 0;
	}
	if (l2off != q->l2_offset) {
		size_t bytes = (size_t)q->cluster_size;
		uint8_t *raw = (uint8_t *)q->l2;

		/* Placement was checked at open. */
		rc = img_pread(in->fd, raw, bytes, l2off);
		if (rc < 0) {
			q->l2_offset = 0;
			return hv_errorf(in->diags, "offset %llu: cannot read an L2 table", OFF(l2off)), rc;
		}
		for (uint64_t i = 0; i < q->l2_entries; i++)
			q->l2[i] = img_be64(raw + 8 * i);
		q->l2_offset = l2off;
	}
	return l2_entry(in, q, q->l2[l2i], l2off + 8 * l2i, off, ret_host);
}

/*
 * Work here is proportional to the metadata, never to the virtual size:
 * an L1 entry of zero is a hole of a whole L2 table's reach, passed over
 * in one step.
 */
static int qcow2_extent(struct img_in *in, uint64_t off, uint64_t max,
			uint64_t *ret_len, bool *ret_data)
{
	struct qcow2_in *q = in->priv;
	uint64_t reach = q->cluster_size * q->l2_entries;	/* one L1 entry's */
	uint64_t end = off, host;
	bool data = false, first = true;
	int rc;

	while (end < in->size && end - off < max) {
		uint64_t l1i = end / reach, next;
		bool piece;

		if (l1i < q->l1_size && !(q->l1[l1i] & QCOW2_OFFSET_MASK)) {
			next = (l1i + 1) * reach;
			piece = false;
		} else {
			rc = qcow2_lookup(in, end, &host);
			if (rc < 0)
				return rc;
			next = ((end >> q->cluster_bits) + 1) << q->cluster_bits;
			piece = host != 0;
		}
		if (first)
			data = piece;
		else if (piece != data)
			break;
		first = false;
		end = next;
	}
	*ret_len = end - off < max ? end - off : max;
	*ret_data = data;
	return 0;
}

static int qcow2_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	struct qcow2_in *q = in->priv;
	uint8_t *p = buf;
	int rc;

	while (len) {
		uint64_t in_cl = off & (q->cluster_size - 1);
		uint64_t host;
		size_t n = (size_t)(q->cluster_size - in_cl);

		if (n > len)
			n = len;
		rc = qcow2_lookup(in, off, &host);
		if (rc < 0)
			return rc;
		if (!host) {
			memset(p, 0, n);
		} else {
			/* Coalesce clusters that follow each other on disk. */
			while (n < len) {
				uint64_t next;
				size_t more = len - n < q->cluster_size ? len - n : (size_t)q->cluster_size;

				if (qcow2_lookup(in, off + n, &next) < 0 ||
				    next != host + in_cl + n)
					break;
				n += more;
			}
			rc = img_pread(in->fd, p, n, host + in_cl);
			if (rc < 0)
				return hv_errorf(in->diags, "offset %llu: cannot read %zu bytes of cluster data",
						 OFF(host + in_cl), n), rc;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void qcow2_close(struct img_in *in)
{
	struct qcow2_in *q = in->priv;

	if (q) {
		free(q->l1);
		free(q->l2);
		free(q->meta);
		free(q);
	}
	in->priv = NULL;
}

static const struct img_in_ops qcow2_ops = {
	.extent = qcow2_extent,
	.read = qcow2_read,
	.close = qcow2_close,
};

/*
 * Reads every L2 table once, as qemu-img check does, so that a bad entry
 * fails the open rather than the copy, and so that no two entries share
 * a data cluster: what a copy reads then follows the file, never more
 * (a few MB of L2 entries pointing at one cluster would otherwise expand
 * to terabytes).  Memory: one cluster and a bit per cluster of the file
 * (the duplicate check is left out past QCOW2_MAX_SEEN bytes of bitmap).
 */
#define QCOW2_MAX_SEEN (64u << 20)
static int scan_l2(struct img_in *in, struct qcow2_in *q)
{
	uint64_t words = ((in->file_size >> q->cluster_bits) + 64) / 64;
	uint64_t *seen = words * 8 <= QCOW2_MAX_SEEN ? xcalloc((size_t)words, 8) : NULL;
	uint8_t *raw = xmalloc((size_t)q->cluster_size);
	int rc = 0;

	for (uint32_t i = 0; i < q->l1_size && rc == 0; i++) {
		uint64_t l2off = q->l1[i] & QCOW2_OFFSET_MASK;

		if (!l2off)
			continue;
		rc = img_pread(in->fd, raw, (size_t)q->cluster_size, l2off);
		if (rc < 0) {
			rc = hv_errorf(in->diags, "offset %llu: cannot read an L2 table", OFF(l2off));
			break;
		}
		for (uint64_t k = 0; k < q->l2_entries && rc == 0; k++) {
			uint64_t guest = ((uint64_t)i * q->l2_entries + k) << q->cluster_bits, host;

			if (guest >= in->size)
				break;
			rc = l2_entry(in, q, img_be64(raw + 8 * k), l2off + 8 * k, guest, &host);
			if (rc < 0 || !host || !seen)
				continue;
			uint64_t c = host >> q->cluster_bits;
			if (seen[c / 64] & (1ull << (c % 64)))
				rc = hv_errorf(in->diags, "offset %llu: L2 entry for guest offset %llu points to %llu, a cluster another entry uses too",
					       OFF(l2off + 8 * k), OFF(guest), OFF(host));
			seen[c / 64] |= 1ull << (c % 64);
		}
	}
	free(raw);
	free(seen);
	return rc;
}

/*
 * Walks the snapshot table (nsnap entries at snap_off, header offsets 60
 * and 64), each entry within the file and the table within qemu's bounds
 * (65536 snapshots, 64 MiB, 1 KiB of extra data an entry), and records
 * it and each snapshot's L1 table as metadata.  Only the active L1 is
 * read: a snapshot is the guest's past, not its disk.  The table's size
 * is that of its entries: the file may end inside its last cluster.
 */
#define QCOW2_MAX_SNAPSHOTS 65536u
#define QCOW2_MAX_SNAPSHOTS_SIZE (64u << 20)
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024u
#define QCOW2_SNAPSHOT_HEADER 40u
static int check_snapshots(struct img_in *in, struct qcow2_in *q, uint32_t nsnap,
			   uint64_t snap_off)
{
	uint64_t pos = snap_off;
	int rc;

	if (nsnap > QCOW2_MAX_SNAPSHOTS)
		return hv_errorf(in->diags, "offset 60: %u snapshots, more than qemu's %u",
				 nsnap, QCOW2_MAX_SNAPSHOTS);
	rc = check_run(in, q, snap_off, 0, "the snapshot table", 64);
	for (uint32_t i = 0; rc == 0 && i < nsnap; i++) {
		uint8_t e[QCOW2_SNAPSHOT_HEADER];

		if (pos - snap_off + QCOW2_SNAPSHOT_HEADER > QCOW2_MAX_SNAPSHOTS_SIZE ||
		    pos + QCOW2_SNAPSHOT_HEADER > in->file_size)
			return hv_errorf(in->diags, "offset %llu: snapshot %u of %u is past the end of the file or of qemu's %u-byte table",
					 OFF(pos), i, nsnap, QCOW2_MAX_SNAPSHOTS_SIZE);
		rc = img_pread(in->fd, e, sizeof(e), pos);
		if (rc < 0)
			return hv_errorf(in->diags, "offset %llu: cannot read snapshot %u", OFF(pos), i), rc;
		uint64_t l1_off = img_be64(e), l1_size = img_be32(e + 8);
		uint32_t extra = img_be32(e + 36);
		uint64_t len = QCOW2_SNAPSHOT_HEADER + (uint64_t)extra + (uint64_t)(e[12] << 8 | e[13]) + (uint64_t)(e[14] << 8 | e[15]);

		if (extra > QCOW2_MAX_SNAPSHOT_EXTRA)
			return hv_errorf(in->diags, "offset %llu: snapshot %u has %u bytes of extra data, more than qemu's %u",
					 OFF(pos + 36), i, extra, QCOW2_MAX_SNAPSHOT_EXTRA);
		/* Entries are padded to 8 bytes; the last may end the file
		 * unpadded (qemu writes it so). */
		if (pos - snap_off + len > QCOW2_MAX_SNAPSHOTS_SIZE || pos + len > in->file_size)
			return hv_errorf(in->diags, "offset %llu: snapshot %u (%llu bytes) runs past the end of the file or of qemu's %u-byte table",
					 OFF(pos), i, OFF(len), QCOW2_MAX_SNAPSHOTS_SIZE);
		if (l1_size > QCOW2_MAX_L1)
			return hv_errorf(in->diags, "offset %llu: snapshot %u has an L1 table of %llu entries, more than qemu's %u",
					 OFF(pos + 8), i, OFF(l1_size), QCOW2_MAX_L1);
		if (l1_size) {
			rc = check_run(in, q, l1_off, l1_size * 8, "a snapshot's L1 table", pos);
			if (rc == 0)
				meta_add(q, l1_off, l1_size * 8, "a snapshot's L1 table", pos);
		}
		pos += (len + 7) & ~7ull;
	}
	if (rc == 0)
		meta_add(q, snap_off, pos - snap_off, "the snapshot table", 64);
	return rc;
}

/* Reads the refcount table and records it, its blocks, the L1 table
 * and the L2 tables as metadata; fails on one outside the file or two
 * that overlap, with the offset of the pointer. */
static int qcow2_check_meta(struct img_in *in, struct qcow2_in *q,
			    const uint8_t *h, uint64_t l1_off)
{
	uint64_t rt_off = img_be64(h + 48);
	uint64_t rt_clusters = img_be32(h + 56);
	uint32_t nsnap = img_be32(h + 60);
	uint64_t snap_off = img_be64(h + 64);
	uint8_t *rt = NULL;
	int rc;

	meta_add(q, 0, q->cluster_size, "the header", 0);
	if (!rt_off || !rt_clusters)
		return hv_errorf(in->diags, "offset 48: the image has no refcount table (qemu-img refuses it)");
	if (rt_clusters * q->cluster_size > QCOW2_MAX_REFTABLE)
		return hv_errorf(in->diags, "offset 56: a refcount table of %llu clusters is larger than qemu's %u bytes",
				 OFF(rt_clusters), QCOW2_MAX_REFTABLE);
	uint64_t rt_bytes = rt_clusters * q->cluster_size;
	rc = check_run(in, q, rt_off, rt_bytes, "the refcount table", 48);
	if (rc < 0)
		return rc;
	meta_add(q, rt_off, rt_bytes, "the refcount table", 48);
	if (q->l1_size) {
		if (l1_off % q->cluster_size)
			return hv_errorf(in->diags, "offset 40: the L1 table at %llu is not cluster-aligned",
					 OFF(l1_off));
		meta_add(q, l1_off, (uint64_t)q->l1_size * 8, "the L1 table", 40);
	}
	if (nsnap) {
		rc = check_snapshots(in, q, nsnap, snap_off);
		if (rc < 0)
			return rc;
	}
	rt = xmalloc((size_t)rt_bytes);
	rc = img_pread(in->fd, rt, (size_t)rt_bytes, rt_off);
	if (rc < 0) {
		free(rt);
		return hv_errorf(in->diags, "offset %llu: cannot read the refcount table", OFF(rt_off)), rc;
	}
	for (uint64_t i = 0; i < rt_bytes / 8; i++) {
		uint64_t e = img_be64(rt + 8 * i), at = rt_off + 8 * i;

		if (e & 0x1ffull)
			rc = hv_errorf(in->diags, "offset %llu: refcount table entry %llu has reserved bits set (0x%llx)",
				       OFF(at), OFF(i), OFF(e));
		else if (e)
			rc = check_run(in, q, e, q->cluster_size, "a refcount block", at);
		if (rc < 0)
			break;
		if (e)
			meta_add(q, e, q->cluster_size, "a refcount block", at);
	}
	free(rt);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t e = q->l1[i], at = l1_off + 8ull * i;
		uint64_t l2 = e & QCOW2_OFFSET_MASK;

		if (e & QCOW2_L1_RESERVED)
			return hv_errorf(in->diags, "offset %llu: L1 entry %u has reserved bits set (0x%llx)",
					 OFF(at), i, OFF(e));
		if (!l2)
			continue;
		rc = check_run(in, q, l2, q->cluster_size, "an L2 table", at);
		if (rc < 0)
			return rc;
		meta_add(q, l2, q->cluster_size, "an L2 table", at);
	}
	rc = meta_seal(in, q);
	return rc < 0 ? rc : scan_l2(in, q);
}

int img_qcow2_open(struct img_in *in)
{
	uint8_t h[104];
	struct qcow2_in *q;
	int rc;

	rc = img_pread(in->fd, h, 72, 0);
	if (rc < 0 || memcmp(h, "QFI\xfb", 4) != 0)
		return hv_errorf(in->diags, "offset 0: not a qcow2 image (magic QFI\\xfb missing)");
	uint32_t version = img_be32(h + 4);
	if (version != 2 && version != 3)
		return hv_errorf(in->diags, "offset 4: qcow2 version %u is not supported (2 and 3 are)", version);
	if (img_be64(h + 8) != 0)
		return hv_errorf(in->diags, "offset 8: the image has a backing file; convert the chain first (qemu-img convert)");
	uint32_t cbits = img_be32(h + 20);
	if (cbits < 9 || cbits > 21)
		return hv_errorf(in->diags, "offset 20: cluster_bits %u is outside 9..21", cbits);
	if (img_be32(h + 32) != 0)
		return hv_errorf(in->diags, "offset 32: encrypted qcow2 is not supported");
	if (version == 3) {
		rc = img_pread(in->fd, h + 72, 32, 72);
		if (rc < 0)
			return hv_errorf(in->diags, "offset 72: qcow2 v3 header is truncated");
		uint64_t inc = img_be64(h + 72);
		if (inc & QCOW2_INCOMPAT_CORRUPT)
			return hv_errorf(in->diags, "offset 72: the image is marked corrupt (qemu-img check -r all)");
		if (inc & QCOW2_INCOMPAT_DATA_FILE)
			return hv_errorf(in->diags, "offset 72: external data files are not supported");
		if (inc & QCOW2_INCOMPAT_EXTL2)
			return hv_errorf(in->diags, "offset 72: extended L2 entries (subclusters) are not supported");
		inc &= ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_COMPRESSION);
		if (inc)
			return hv_errorf(in->diags, "offset 72: unknown incompatible features 0x%llx", OFF(inc));
	}
	q = xcalloc(1, sizeof(*q));
	in->priv = q;
	in->ops = &qcow2_ops;
	in->size = img_be64(h + 24);
	q->cluster_bits = cbits;
	q->cluster_size = 1ull << cbits;
	q->l2_entries = q->cluster_size / 8;
	q->l1_size = img_be32(h + 36);
	uint64_t l1_off = img_be64(h + 40);
	if (in->size > (1ull << 56))
		return hv_errorf(in->diags, "offset 24: virtual size %llu is too large", OFF(in->size));
	uint64_t need = (in->size + (q->cluster_size * q->l2_entries) - 1) /
			(q->cluster_size * q->l2_entries);
	if (q->l1_size < need || q->l1_size > QCOW2_MAX_L1)
		return hv_errorf(in->diags, "offset 36: L1 size %u does not fit a %llu-byte disk (or is over qemu's %u)",
				 q->l1_size, OFF(in->size), QCOW2_MAX_L1);
	if (l1_off > in->file_size || (in->file_size - l1_off) / 8 < q->l1_size)
		return hv_errorf(in->diags, "offset 40: L1 table at %llu runs past the end of the file",
				 OFF(l1_off));
	q->l1 = xmalloc((size_t)(q->l1_size ? q->l1_size : 1) * 8);
	q->l2 = xmalloc((size_t)q->cluster_size);
	if (q->l1_size) {
		rc = img_pread(in->fd, q->l1, (size_t)q->l1_size * 8, l1_off);
		if (rc < 0)
			return hv_errorf(in->diags, "offset %llu: cannot read the L1 table", OFF(l1_off)), rc;
		for (uint32_t i = 0; i < q->l1_size; i++)
			q->l1[i] = img_be64((uint8_t *)&q->l1[i]);
	}
	return qcow2_check_meta(in, q, h, l1_off);
}
