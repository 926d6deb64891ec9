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
#define QCOW2_MAX_L1 (32u << 20)	/* entries; 256 MiB of L1 */

struct qcow2_in {
	unsigned cluster_bits;
	uint64_t cluster_size;
	uint64_t l2_entries;
	uint64_t *l1;		/* host order */
	uint32_t l1_size;
	uint64_t *l2;		/* the L2 table cached below */
	uint64_t l2_offset;	/* 0: none cached */
};

#define OFF(x) ((unsigned long long)(x))

/* Host offset of the cluster holding guest offset off: 0 for a hole or
 * zero cluster.  Checks every offset it hands out against the file. */
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
		uint8_t *raw;

		if (l2off % q->cluster_size || l2off > in->file_size ||
		    in->file_size - l2off < bytes)
			return hv_errorf(in->diags, "L1 entry %llu: L2 table at offset %llu is unaligned or past the end",
					 OFF(l1i), OFF(l2off));
		raw = (uint8_t *)q->l2;
		rc = img_pread(in->fd, raw, bytes, l2off);
		if (rc < 0) {
			q->l2_offset = 0;
			return hv_errorf(in->diags, "offset %llu: cannot read an L2 table", OFF(l2off)), rc;
		}
		for (uint64_t i = 0; i < q->l2_entries; i++)
			q->l2[i] = img_be64(raw + 8 * i);
		q->l2_offset = l2off;
	}
	uint64_t e = q->l2[l2i];
	if (e & QCOW2_COMPRESSED)
		return hv_errorf(in->diags, "offset %llu: guest offset %llu is a compressed cluster; compressed qcow2 is not supported (qemu-img convert -O qcow2 without -c first)",
				 OFF(l2off + 8 * l2i), OFF(off));
	uint64_t host = e & QCOW2_OFFSET_MASK;
	if (e & QCOW2_ZERO)
		host = 0;
	if (host && (host % q->cluster_size || host > in->file_size ||
		     in->file_size - host < q->cluster_size))
		return hv_errorf(in->diags, "offset %llu: L2 entry for guest offset %llu points to %llu, past the end or unaligned",
				 OFF(l2off + 8 * l2i), OFF(off), OFF(host));
	*ret_host = host;
	return 0;
}

static int qcow2_extent(struct img_in *in, uint64_t off, uint64_t max,
			uint64_t *ret_len, bool *ret_data)
{
	struct qcow2_in *q = in->priv;
	uint64_t host, end;
	bool data;
	int rc;

	rc = qcow2_lookup(in, off, &host);
	if (rc < 0)
		return rc;
	data = host != 0;
	end = ((off >> q->cluster_bits) + 1) << q->cluster_bits;
	while (end < in->size && end - off < max) {
		rc = qcow2_lookup(in, end, &host);
		if (rc < 0)
			return rc;
		if ((host != 0) != data)
			break;
		end += q->cluster_size;
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
		free(q);
	}
	in->priv = NULL;
}

static const struct img_in_ops qcow2_ops = {
	.extent = qcow2_extent,
	.read = qcow2_read,
	.close = qcow2_close,
};

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
		return hv_errorf(in->diags, "offset 36: L1 size %u does not fit a %llu-byte disk",
				 q->l1_size, OFF(in->size));
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
	return 0;
}
