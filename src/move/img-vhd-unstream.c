/* SPDX-License-Identifier: MIT */
/* A dynamic VHD read front to back from a stream that is not trusted
 * (XAPI's GET /export_raw_vdi?format=vhd): footer, header, BAT, then the
 * data blocks in disk order and the closing footer, each checked as it
 * arrives, the disk handed to a writer in order, holes as holes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"
#include "util.h"
#include "vhd.h"

#define OFF(x) ((unsigned long long)(x))
/* Padding a stream may hold between its parts: vhd-tool aligns nothing,
 * other writers align blocks to 4 KiB or 1 MiB.  More is refused, so a
 * stream costs what its data costs. */
#define VHD_MAX_GAP (1u << 20)

enum { S_FOOTER, S_HEADER, S_BAT, S_BITMAP, S_DATA, S_CLOSE, S_DONE };

struct vhd_unstream {
	struct img_out *out;
	struct hv_diags *d;
	uint64_t size;		/* the virtual size expected */
	uint64_t pos;		/* stream bytes consumed */
	uint64_t vpos;		/* disk bytes handed to out */
	uint64_t len;		/* the stream's length, once the BAT is read */
	int state;
	uint64_t next;		/* stream offset where the state's part starts */
	uint8_t *buf;		/* the part being collected */
	size_t need, have;
	uint8_t footer[VHD_FOOTER_SIZE];
	uint32_t nblk, cur;	/* blocks; index into order[] */
	uint32_t *order;	/* blocks that hold data, in stream order */
	uint64_t *start;	/* their stream offsets */
	uint32_t nused;
	uint8_t bitmap[VHD_SECTOR];
	uint8_t *unit;		/* one unit of out, being filled */
	size_t ufill;
};

/* Zeros from vpos up to end: hole() for whole units between the first
 * and the last, write(NULL) else. */
static int zeros_to(struct vhd_unstream *v, uint64_t end)
{
	struct img_out *out = v->out;
	uint64_t unit = out->unit, last = (v->size - 1) / unit * unit;

	while (v->vpos < end) {
		uint64_t n = end - v->vpos < unit ? end - v->vpos : unit;
		int rc;

		if (out->ops->hole && v->vpos > 0 && v->vpos + unit <= last && end - v->vpos >= 2 * unit) {
			uint64_t stop = (end < last ? end : last) / unit * unit;
			if (stop > v->vpos) {
				rc = out->ops->hole(out, v->vpos, stop - v->vpos);
				if (rc < 0)
					return rc;
				v->vpos = stop;
				continue;
			}
		}
		rc = out->ops->write(out, v->vpos, NULL, (size_t)n);
		if (rc < 0)
			return rc;
		v->vpos += n;
	}
	return 0;
}

int vhd_unstream_new(struct img_out *out, uint64_t size, struct hv_diags *d,
		     struct vhd_unstream **ret)
{
	struct vhd_unstream *v;

	if (!out->unit || VHD_BLOCK_SIZE % out->unit || size % VHD_SECTOR || size > IMG_VHD_MAX_SIZE)
		return hv_errorf(d, "a VHD stream of %llu bytes cannot feed this writer", OFF(size));
	v = xcalloc(1, sizeof(*v));
	v->out = out;
	v->d = d;
	v->size = size;
	v->nblk = (uint32_t)((size + VHD_BLOCK_SIZE - 1) / VHD_BLOCK_SIZE);
	v->need = VHD_FOOTER_SIZE;
	v->buf = xmalloc(VHD_HEADER_SIZE);
	v->unit = xmalloc(out->unit);
	*ret = v;
	return 0;
}

uint64_t vhd_unstream_length(const struct vhd_unstream *v)
{
	return v->len;
}

static int got_footer(struct vhd_unstream *v)
{
	struct vhd_footer f;
	int rc = vhd_footer_parse(v->buf, 0, v->d, &f);

	if (rc < 0)
		return rc;
	if (f.disk_type != VHD_TYPE_DYNAMIC)
		return hv_errorf(v->d, "offset 60: disk type %u, not a dynamic VHD (3)", f.disk_type);
	if (f.current_size != v->size)
		return hv_errorf(v->d, "offset 48: a disk of %llu bytes, the VDI has %llu",
				 OFF(f.current_size), OFF(v->size));
	if (f.data_offset < VHD_FOOTER_SIZE || f.data_offset > VHD_FOOTER_SIZE + VHD_MAX_GAP)
		return hv_errorf(v->d, "offset 16: dynamic disk header at %llu, not after the footer",
				 OFF(f.data_offset));
	memcpy(v->footer, v->buf, VHD_FOOTER_SIZE);
	v->state = S_HEADER;
	v->next = f.data_offset;
	v->need = VHD_HEADER_SIZE;
	return 0;
}

static int got_header(struct vhd_unstream *v)
{
	uint64_t bat;
	uint32_t entries, bs;
	int rc = vhd_header_parse(v->buf, v->next, v->size, v->d, &bat, &entries, &bs);

	if (rc < 0)
		return rc;
	if (bs != VHD_BLOCK_SIZE)
		return hv_errorf(v->d, "offset %llu: block size %u, XAPI's is %u", OFF(v->next + 32),
				 bs, VHD_BLOCK_SIZE);
	if (bat < v->next + VHD_HEADER_SIZE || bat > v->next + VHD_HEADER_SIZE + VHD_MAX_GAP)
		return hv_errorf(v->d, "offset %llu: BAT at %llu, not after the header", OFF(v->next + 16),
				 OFF(bat));
	free(v->buf);
	v->state = S_BAT;
	v->next = bat;
	v->need = (size_t)entries * 4;
	v->buf = xmalloc(v->need ? v->need : 1);
	return 0;
}

static int got_bat(struct vhd_unstream *v)
{
	uint64_t end = v->next + (v->need + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	uint32_t entries = (uint32_t)(v->need / 4);

	v->start = xcalloc(v->nblk ? v->nblk : 1, sizeof(*v->start));
	v->order = xcalloc(v->nblk ? v->nblk : 1, sizeof(*v->order));
	for (uint32_t b = 0; b < entries; b++) {
		uint32_t s = img_be32(v->buf + 4 * (size_t)b);

		if (s == VHD_BAT_UNUSED)
			continue;
		if (b >= v->nblk)
			return hv_errorf(v->d, "offset %llu: BAT entry %u is past the disk's %u blocks",
					 OFF(v->next + 4 * (uint64_t)b), b, v->nblk);
		v->start[b] = (uint64_t)s * VHD_SECTOR;
		v->order[v->nused++] = b;
	}
	/* The stream brings the blocks in file order, the writer wants disk
	 * order: the two must agree (vhd-tool's do). */
	for (uint32_t i = 0; i < v->nused; i++) {
		uint64_t at = v->start[v->order[i]];

		if (at < end || at > end + VHD_MAX_GAP)
			return hv_errorf(v->d, "offset %llu: block %u at %llu, not %s", OFF(v->next + 4 * (uint64_t)v->order[i]),
					 v->order[i], OFF(at), at < end ? "after the BAT and the block before it"
					 : "in disk order, next to the block before it");
		end = at + VHD_SECTOR + VHD_BLOCK_SIZE;
	}
	v->len = end + VHD_FOOTER_SIZE;
	free(v->buf);
	v->buf = NULL;
	return 0;
}

/* The next part: a block's bitmap, or the closing footer. */
static void next_part(struct vhd_unstream *v)
{
	if (v->cur < v->nused) {
		v->state = S_BITMAP;
		v->next = v->start[v->order[v->cur]];
		v->need = VHD_SECTOR;
		v->buf = v->bitmap;
	} else {
		v->state = S_CLOSE;
		v->next = v->len - VHD_FOOTER_SIZE;
		v->need = VHD_FOOTER_SIZE;
		v->buf = xmalloc(VHD_FOOTER_SIZE);
	}
	v->have = 0;
}

/* Data bytes of the current block: sectors its bitmap marks absent
 * read as zeros (XAPI sets every bit; the format allows fewer). */
static int data(struct vhd_unstream *v, const uint8_t *p, size_t n)
{
	uint32_t b = v->order[v->cur];
	uint64_t boff = (uint64_t)b * VHD_BLOCK_SIZE;
	uint64_t in_block = v->pos - v->next;	/* bytes of the block so far */

	while (n) {
		size_t unit = v->out->unit;
		size_t take = unit - v->ufill < n ? unit - v->ufill : n;

		memcpy(v->unit + v->ufill, p, take);
		for (size_t k = 0; k < take;) {
			uint64_t sec = (in_block + k) / VHD_SECTOR;
			size_t upto = (size_t)((sec + 1) * VHD_SECTOR - in_block);
			if (upto > take)
				upto = take;
			if (!(v->bitmap[sec / 8] & (0x80 >> (sec % 8))))
				memset(v->unit + v->ufill + k, 0, upto - k);
			k = upto;
		}
		/* Data past the disk's end is refused as it comes, not once its
		 * unit fills: a stream cut short would hide it behind the
		 * transfer's own error. */
		if (boff + in_block + take > v->size) {
			size_t k = boff + in_block >= v->size ? 0 : (size_t)(v->size - boff - in_block);
			while (k < take && !v->unit[v->ufill + k])
				k++;
			if (k < take)
				return hv_errorf(v->d, "offset %llu: block %u holds data past the disk's end",
						 OFF(v->next + in_block + k), b);
		}
		v->ufill += take;
		in_block += take;
		p += take;
		n -= take;
		if (v->ufill < unit)
			continue;
		uint64_t at = boff + in_block - unit;
		v->ufill = 0;
		if (at >= v->size) {
			if (!img_is_zero(v->unit, unit))
				return hv_errorf(v->d, "offset %llu: block %u holds data past the disk's end",
						 OFF(v->next + in_block - unit), b);
			continue;
		}
		size_t len = v->size - at < unit ? (size_t)(v->size - at) : unit;
		if (len < unit && !img_is_zero(v->unit + len, unit - len))
			return hv_errorf(v->d, "offset %llu: block %u holds data past the disk's end",
					 OFF(v->next + in_block - unit + len), b);
		int rc = zeros_to(v, at);
		if (rc == 0)
			rc = v->out->ops->write(v->out, at, img_is_zero(v->unit, len) ? NULL : v->unit, len);
		if (rc < 0)
			return rc;
		v->vpos = at + len;
	}
	return 0;
}

int vhd_unstream_feed(void *opaque, const void *buf, size_t len)
{
	struct vhd_unstream *v = opaque;
	const uint8_t *p = buf;
	int rc = 0;

	while (len && rc == 0) {
		if (v->state == S_DONE)
			return hv_errorf(v->d, "offset %llu: bytes after the closing footer", OFF(v->pos));
		if (v->pos < v->next) {		/* padding up to the next part */
			uint64_t n = v->next - v->pos < len ? v->next - v->pos : len;
			v->pos += n;
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (v->state == S_DATA) {
			uint64_t left = v->next + VHD_BLOCK_SIZE - v->pos;
			size_t n = left < len ? (size_t)left : len;
			rc = data(v, p, n);
			v->pos += n;
			p += n;
			len -= n;
			if (rc == 0 && v->pos == v->next + VHD_BLOCK_SIZE) {
				v->cur++;
				next_part(v);
			}
			continue;
		}
		size_t n = v->need - v->have < len ? v->need - v->have : len;
		memcpy(v->buf + v->have, p, n);
		v->have += n;
		v->pos += n;
		p += n;
		len -= n;
		if (v->have < v->need)
			continue;
		v->have = 0;
		switch (v->state) {
		case S_FOOTER: rc = got_footer(v); break;
		case S_HEADER: rc = got_header(v); break;
		case S_BAT:
			rc = got_bat(v);
			if (rc == 0)
				next_part(v);
			break;
		case S_BITMAP:
			v->state = S_DATA;
			v->next = v->pos;
			v->buf = NULL;
			break;
		case S_CLOSE:
			if (memcmp(v->buf, v->footer, VHD_FOOTER_SIZE) != 0)
				rc = hv_errorf(v->d, "offset %llu: the closing footer differs from the first",
					       OFF(v->next));
			free(v->buf);
			v->buf = NULL;
			v->state = S_DONE;
			break;
		}
	}
	return rc;
}

int vhd_unstream_end(struct vhd_unstream *v)
{
	if (v->state != S_DONE)
		return hv_errorf(v->d, "offset %llu: the VHD stream ends before its closing footer",
				 OFF(v->pos));
	return zeros_to(v, v->size);
}

void vhd_unstream_free(struct vhd_unstream *v)
{
	if (!v)
		return;
	if (v->buf != v->bitmap)
		free(v->buf);
	free(v->order);
	free(v->start);
	free(v->unit);
	free(v);
}
