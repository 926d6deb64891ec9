/* SPDX-License-Identifier: MIT */
/* A dynamic VHD written front to back (into a tar member, a pipe): the
 * blocks that hold data are found first from the reader's extents, so
 * the BAT and the total size are known before the first byte. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img.h"
#include "util.h"
#include "model.h"
#include "vhd.h"

struct vhd_stream {
	uint8_t *alloc;		/* one byte per block: 1 holds data */
	uint32_t nblk;
	img_sink_fn sink;
	void *opaque;
	uint8_t footer[VHD_FOOTER_SIZE];
	uint8_t *bitmap, *zero;
};

/* Blocks of in that hold data, from its extents (no data is read). */
static int plan(struct img_in *in, uint64_t size, uint8_t *alloc)
{
	for (uint64_t off = 0; in && off < size;) {
		uint64_t len;
		bool data;
		int rc = in->ops->extent(in, off, size - off, &len, &data);

		if (rc < 0)
			return rc;
		if (len == 0)
			return -EIO;
		if (data)
			for (uint64_t b = off / VHD_BLOCK_SIZE; b <= (off + len - 1) / VHD_BLOCK_SIZE; b++)
				alloc[b] = 1;
		off += len;
	}
	return 0;
}

static int vs_write(struct img_out *out, uint64_t off, const void *buf, size_t len)
{
	struct vhd_stream *v = out->priv;
	uint32_t blk = (uint32_t)(off / VHD_BLOCK_SIZE);
	int rc;

	if (!v->alloc[blk]) {
		if (buf && !img_is_zero(buf, len))
			return hv_errorf(out->diags, "offset %llu: data where the extents said none (the input changed?)",
					 (unsigned long long)off);
		return 0;
	}
	rc = v->sink(v->opaque, v->bitmap, VHD_SECTOR);
	if (rc == 0)
		rc = v->sink(v->opaque, buf ? buf : v->zero, len);
	if (rc == 0 && len < VHD_BLOCK_SIZE)
		rc = v->sink(v->opaque, v->zero, VHD_BLOCK_SIZE - len);
	if (rc == 0)
		out->written += len;
	return rc;
}

static int vs_finish(struct img_out *out)
{
	struct vhd_stream *v = out->priv;

	return v->sink(v->opaque, v->footer, VHD_FOOTER_SIZE);
}

static void vs_release(struct img_out *out)
{
	struct vhd_stream *v = out->priv;

	if (v) {
		free(v->alloc);
		free(v->bitmap);
		free(v->zero);
		free(v);
	}
	out->priv = NULL;
}

static const struct img_out_ops vs_ops = {
	.write = vs_write,
	.finish = vs_finish,
	.release = vs_release,
};

int img_out_vhd_stream(struct img_out *out, struct img_in *in, img_sink_fn sink,
		       void *opaque, uint64_t *ret_file_size)
{
	struct vhd_stream *v;
	uint8_t h[VHD_HEADER_SIZE];
	uint64_t size = out->size, nalloc = 0;
	int rc;

	rc = img_vhd_size_check(size, out->diags);
	if (rc < 0)
		return rc;
	v = xcalloc(1, sizeof(*v));
	out->priv = v;
	out->ops = &vs_ops;
	out->format = IMG_VHD_DYNAMIC;
	out->unit = VHD_BLOCK_SIZE;
	v->sink = sink;
	v->opaque = opaque;
	v->nblk = (uint32_t)((size + VHD_BLOCK_SIZE - 1) / VHD_BLOCK_SIZE);
	v->alloc = xcalloc(v->nblk ? v->nblk : 1, 1);
	rc = plan(in, size, v->alloc);
	if (rc < 0)
		return rc;
	for (uint32_t b = 0; b < v->nblk; b++)
		nalloc += v->alloc[b];

	struct vhd_footer f = {
		.data_offset = VHD_FOOTER_SIZE,
		.original_size = size,
		.current_size = size,
		.geom = vhd_chs(size / VHD_SECTOR),
		.disk_type = VHD_TYPE_DYNAMIC,
	};
	time_t now = time(NULL);
	memcpy(f.creator_app, "tap", 4);
	f.timestamp = (uint32_t)((uint64_t)now > VHD_EPOCH ? (uint64_t)now - VHD_EPOCH : 0);
	mv_uuid_bytes(f.uuid);
	vhd_footer_build(v->footer, &f);

	uint64_t bat_off = VHD_FOOTER_SIZE + VHD_HEADER_SIZE;
	size_t bat_bytes = ((size_t)v->nblk * 4 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	uint64_t next = bat_off + bat_bytes;
	uint8_t *bat = xmalloc(bat_bytes ? bat_bytes : 1);
	memset(bat, 0xff, bat_bytes);
	for (uint32_t b = 0; b < v->nblk; b++)
		if (v->alloc[b]) {
			img_put_be32(bat + 4 * (size_t)b, (uint32_t)(next / VHD_SECTOR));
			next += VHD_SECTOR + VHD_BLOCK_SIZE;
		}
	vhd_header_build(h, bat_off, v->nblk, VHD_BLOCK_SIZE);
	*ret_file_size = next + VHD_FOOTER_SIZE;
	v->bitmap = xmalloc(VHD_SECTOR);
	memset(v->bitmap, 0xff, VHD_SECTOR);
	v->zero = xcalloc(1, VHD_BLOCK_SIZE);
	rc = sink(opaque, v->footer, VHD_FOOTER_SIZE);
	if (rc == 0)
		rc = sink(opaque, h, VHD_HEADER_SIZE);
	if (rc == 0)
		rc = sink(opaque, bat, bat_bytes);
	free(bat);
	(void)nalloc;
	return rc;
}

/* ---- an all-zero disk (--metadata-only) ---- */

static int zero_extent(struct img_in *in, uint64_t off, uint64_t max,
		       uint64_t *ret_len, bool *ret_data)
{
	(void)in;
	(void)off;
	*ret_len = max;
	*ret_data = false;
	return 0;
}

static int zero_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	(void)in;
	(void)off;
	memset(buf, 0, len);
	return 0;
}

static void zero_close(struct img_in *in)
{
	(void)in;
}

static const struct img_in_ops zero_ops = {
	.extent = zero_extent, .read = zero_read, .close = zero_close,
};

struct img_in *img_zero_new(uint64_t size)
{
	struct img_in *in = xcalloc(1, sizeof(*in));

	in->ops = &zero_ops;
	in->format = IMG_RAW;
	in->fd = -1;
	in->size = size;
	return in;
}

int img_vhd_stream_size(struct img_in *in, uint64_t size, uint64_t *ret)
{
	uint32_t nblk = (uint32_t)((size + VHD_BLOCK_SIZE - 1) / VHD_BLOCK_SIZE);
	uint8_t *alloc = xcalloc(nblk ? nblk : 1, 1);
	uint64_t n = 0;
	int rc = plan(in, size, alloc);

	for (uint32_t b = 0; b < nblk; b++)
		n += alloc[b];
	free(alloc);
	if (rc == 0)
		*ret = VHD_FOOTER_SIZE + VHD_HEADER_SIZE +
		       ((uint64_t)nblk * 4 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR +
		       n * (VHD_SECTOR + VHD_BLOCK_SIZE) + VHD_FOOTER_SIZE;
	return rc;
}
