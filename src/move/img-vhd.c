/* SPDX-License-Identifier: MIT */
/* VHD fixed and dynamic: reader (checked footer, header, BAT, sector
 * bitmaps) and streaming writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "img.h"
#include "util.h"
#include "vhd.h"

/* Creator application "tap\0", as XenServer's blktap/vhd-util write it:
 * qemu (block/vpc.c) takes the size from current_size, not from the CHS
 * geometry, only for "tap\0", "CTXS", "win ", "d2v " and "qem2".  With
 * any other creator a size that CHS cannot express exactly would shrink. */
#define VHD_CREATOR_APP "tap"
#define VHD_CREATOR_VERSION 0x00010000u
#define VHD_CREATOR_HOST 0x5769326bu	/* "Wi2k", as qemu and Hyper-V */
/* Refuse BATs that would make us allocate absurdly (64 TiB of 2 MiB). */
#define VHD_MAX_BAT_ENTRIES (32u << 20)

struct vhd_geometry vhd_chs(uint64_t total)
{
	uint64_t spt, heads, cth;

	if (total > VHD_MAX_CHS_SECTORS)
		total = VHD_MAX_CHS_SECTORS;
	if (total >= 65535ull * 16 * 63) {
		spt = 255;
		heads = 16;
		cth = total / spt;
	} else {
		spt = 17;
		cth = total / spt;
		heads = (cth + 1023) / 1024;
		if (heads < 4)
			heads = 4;
		if (cth >= heads * 1024 || heads > 16) {
			spt = 31;
			heads = 16;
			cth = total / spt;
		}
		if (cth >= heads * 1024) {
			spt = 63;
			heads = 16;
			cth = total / spt;
		}
	}
	return (struct vhd_geometry){
		.cylinders = (uint16_t)(cth / heads),
		.heads = (uint8_t)heads,
		.sectors = (uint8_t)spt,
	};
}

uint32_t vhd_checksum(const uint8_t *p, size_t len, size_t csum_off)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		if (i < csum_off || i >= csum_off + 4)
			sum += p[i];
	return ~sum;
}

void vhd_footer_build(uint8_t o[VHD_FOOTER_SIZE], const struct vhd_footer *f)
{
	memset(o, 0, VHD_FOOTER_SIZE);
	memcpy(o, "conectix", 8);
	img_put_be32(o + 8, 2);			/* features: reserved bit */
	img_put_be32(o + 12, 0x00010000);	/* file format version */
	img_put_be64(o + 16, f->data_offset);
	img_put_be32(o + 24, f->timestamp);
	memcpy(o + 28, f->creator_app, 4);
	img_put_be32(o + 32, VHD_CREATOR_VERSION);
	img_put_be32(o + 36, VHD_CREATOR_HOST);
	img_put_be64(o + 40, f->original_size);
	img_put_be64(o + 48, f->current_size);
	img_put_be16(o + 56, f->geom.cylinders);
	o[58] = f->geom.heads;
	o[59] = f->geom.sectors;
	img_put_be32(o + 60, f->disk_type);
	memcpy(o + 68, f->uuid, 16);
	img_put_be32(o + 64, vhd_checksum(o, VHD_FOOTER_SIZE, 64));
}

int vhd_footer_parse(const uint8_t p[VHD_FOOTER_SIZE], uint64_t where,
		     struct hv_diags *d, struct vhd_footer *ret)
{
	struct vhd_footer f = { 0 };

	if (memcmp(p, "conectix", 8) != 0)
		return hv_errorf(d, "offset %llu: no VHD footer (cookie 'conectix' missing)",
				 (unsigned long long)where);
	f.checksum = img_be32(p + 64);
	uint32_t want = vhd_checksum(p, VHD_FOOTER_SIZE, 64);
	if (f.checksum != want)
		return hv_errorf(d, "offset %llu: VHD footer checksum is 0x%08x, computed 0x%08x",
				 (unsigned long long)where, f.checksum, want);
	f.data_offset = img_be64(p + 16);
	f.timestamp = img_be32(p + 24);
	memcpy(f.creator_app, p + 28, 4);
	f.original_size = img_be64(p + 40);
	f.current_size = img_be64(p + 48);
	f.geom.cylinders = (uint16_t)(p[56] << 8 | p[57]);
	f.geom.heads = p[58];
	f.geom.sectors = p[59];
	f.disk_type = img_be32(p + 60);
	memcpy(f.uuid, p + 68, 16);
	*ret = f;
	return 0;
}

void vhd_header_build(uint8_t o[VHD_HEADER_SIZE], uint64_t bat_offset,
		      uint32_t max_entries, uint32_t block_size)
{
	memset(o, 0, VHD_HEADER_SIZE);
	memcpy(o, "cxsparse", 8);
	img_put_be64(o + 8, UINT64_MAX);	/* data offset: unused */
	img_put_be64(o + 16, bat_offset);
	img_put_be32(o + 24, 0x00010000);
	img_put_be32(o + 28, max_entries);
	img_put_be32(o + 32, block_size);
	img_put_be32(o + 36, vhd_checksum(o, VHD_HEADER_SIZE, 36));
}

/* ---- reader ---- */

struct vhd_in {
	struct vhd_footer footer;
	uint32_t *bat;		/* sector numbers, host order */
	uint32_t nbat;
	uint32_t block_size;
	uint32_t bitmap_size;	/* bytes, rounded up to a sector */
	uint8_t *bitmap;	/* of the block cached below */
	uint32_t bitmap_block;	/* UINT32_MAX: none cached */
};

static int vhd_fixed_extent(struct img_in *in, uint64_t off, uint64_t max,
			    uint64_t *ret_len, bool *ret_data)
{
	/* The data area is a raw image: reuse its hole detection. */
	off_t data = lseek(in->fd, (off_t)off, SEEK_DATA);
	uint64_t n = max;

	*ret_data = true;
	if (data >= 0 && (uint64_t)data > off) {
		n = (uint64_t)data - off;
		*ret_data = false;
	} else if (data >= 0) {
		off_t hole = lseek(in->fd, (off_t)off, SEEK_HOLE);
		if (hole > 0 && (uint64_t)hole > off)
			n = (uint64_t)hole - off;
	}
	*ret_len = n < max ? n : max;
	return 0;
}

static int vhd_fixed_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	int rc = img_pread(in->fd, buf, len, off);

	if (rc < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read %zu bytes of VHD data",
				 (unsigned long long)off, len), rc == -EIO ? -EIO : rc;
	return 0;
}

static int vhd_dyn_extent(struct img_in *in, uint64_t off, uint64_t max,
			  uint64_t *ret_len, bool *ret_data)
{
	struct vhd_in *v = in->priv;
	uint64_t bs = v->block_size;
	uint64_t blk = off / bs;
	bool data = v->bat[blk] != VHD_BAT_UNUSED;
	uint64_t end = (blk + 1) * bs;

	/* Merge following blocks of the same kind. */
	while (end < in->size && end - off < max &&
	       (v->bat[end / bs] != VHD_BAT_UNUSED) == data)
		end += bs;
	uint64_t n = end - off;
	*ret_len = n < max ? n : max;
	*ret_data = data;
	return 0;
}

static int vhd_load_bitmap(struct img_in *in, uint32_t blk)
{
	struct vhd_in *v = in->priv;
	uint64_t where = (uint64_t)v->bat[blk] * VHD_SECTOR;
	int rc;

	if (v->bitmap_block == blk)
		return 0;
	rc = img_pread(in->fd, v->bitmap, v->bitmap_size, where);
	if (rc < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read the sector bitmap of block %u",
				 (unsigned long long)where, blk), rc;
	v->bitmap_block = blk;
	return 0;
}

static int vhd_dyn_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	struct vhd_in *v = in->priv;
	uint8_t *p = buf;
	int rc;

	while (len) {
		uint32_t blk = (uint32_t)(off / v->block_size);
		uint64_t in_blk = off % v->block_size;
		size_t n = v->block_size - in_blk;

		if (n > len)
			n = len;
		if (v->bat[blk] == VHD_BAT_UNUSED) {
			memset(p, 0, n);
		} else {
			uint64_t data = (uint64_t)v->bat[blk] * VHD_SECTOR +
					v->bitmap_size + in_blk;

			rc = img_pread(in->fd, p, n, data);
			if (rc < 0)
				return hv_errorf(in->diags, "offset %llu: cannot read block %u (%zu bytes)",
						 (unsigned long long)data, blk, n), rc;
			/* Sectors whose bitmap bit is clear read as zeros. */
			rc = vhd_load_bitmap(in, blk);
			if (rc < 0)
				return rc;
			for (size_t done = 0; done < n;) {
				uint64_t s = (in_blk + done) / VHD_SECTOR;
				size_t sn = VHD_SECTOR - (in_blk + done) % VHD_SECTOR;

				if (sn > n - done)
					sn = n - done;
				if (!(v->bitmap[s / 8] & (0x80 >> (s % 8))))
					memset(p + done, 0, sn);
				done += sn;
			}
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void vhd_close(struct img_in *in)
{
	struct vhd_in *v = in->priv;

	if (v) {
		free(v->bat);
		free(v->bitmap);
		free(v);
	}
	in->priv = NULL;
}

static const struct img_in_ops vhd_fixed_ops = {
	.extent = vhd_fixed_extent,
	.read = vhd_fixed_read,
	.close = vhd_close,
};

static const struct img_in_ops vhd_dyn_ops = {
	.extent = vhd_dyn_extent,
	.read = vhd_dyn_read,
	.close = vhd_close,
};

#define OFF(x) ((unsigned long long)(x))

int vhd_header_parse(const uint8_t h[VHD_HEADER_SIZE], uint64_t where, uint64_t size,
		     struct hv_diags *d, uint64_t *ret_bat, uint32_t *ret_entries,
		     uint32_t *ret_block)
{
	if (memcmp(h, "cxsparse", 8) != 0)
		return hv_errorf(d, "offset %llu: no dynamic disk header (cookie 'cxsparse' missing)",
				 OFF(where));
	uint32_t csum = img_be32(h + 36), want = vhd_checksum(h, VHD_HEADER_SIZE, 36);
	if (csum != want)
		return hv_errorf(d, "offset %llu: dynamic disk header checksum is 0x%08x, computed 0x%08x",
				 OFF(where + 36), csum, want);
	uint32_t entries = img_be32(h + 28);
	uint32_t bs = img_be32(h + 32);
	if (bs < VHD_SECTOR || (bs & (bs - 1)) != 0 || bs > (256u << 20))
		return hv_errorf(d, "offset %llu: block size %u is not a power of two from 512 bytes to 256 MiB",
				 OFF(where + 32), bs);
	if (entries > VHD_MAX_BAT_ENTRIES)
		return hv_errorf(d, "offset %llu: %u BAT entries is more than the %u we accept",
				 OFF(where + 28), entries, VHD_MAX_BAT_ENTRIES);
	if ((size + bs - 1) / bs > entries)
		return hv_errorf(d, "offset %llu: %u BAT entries cannot hold a %llu-byte disk in %u-byte blocks",
				 OFF(where + 28), entries, OFF(size), bs);
	*ret_bat = img_be64(h + 16);
	*ret_entries = entries;
	*ret_block = bs;
	return 0;
}

static int vhd_open_dynamic(struct img_in *in, struct vhd_in *v)
{
	uint8_t h[VHD_HEADER_SIZE];
	uint64_t hoff = v->footer.data_offset;
	uint64_t data_end = in->file_size - VHD_FOOTER_SIZE;
	int rc;

	if (hoff > data_end || data_end - hoff < VHD_HEADER_SIZE)
		return hv_errorf(in->diags, "offset 16: footer points to a dynamic disk header at %llu, past the end",
				 OFF(hoff));
	rc = img_pread(in->fd, h, sizeof(h), hoff);
	if (rc < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read the dynamic disk header", OFF(hoff)), rc;
	uint64_t bat_off;
	uint32_t entries, bs;
	rc = vhd_header_parse(h, hoff, in->size, in->diags, &bat_off, &entries, &bs);
	if (rc < 0)
		return rc;
	uint64_t need = (in->size + bs - 1) / bs;
	if (bat_off > data_end || (data_end - bat_off) / 4 < entries)
		return hv_errorf(in->diags, "offset %llu: BAT at %llu with %u entries runs past the end of the file",
				 OFF(hoff + 16), OFF(bat_off), entries);

	v->block_size = bs;
	v->nbat = (uint32_t)need;
	v->bitmap_size = ((bs / VHD_SECTOR / 8) + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	v->bitmap = xmalloc(v->bitmap_size);
	v->bitmap_block = UINT32_MAX;
	v->bat = xmalloc((size_t)(need ? need : 1) * 4);
	uint8_t *raw = xmalloc((size_t)(need ? need : 1) * 4);
	rc = need ? img_pread(in->fd, raw, (size_t)need * 4, bat_off) : 0;
	if (rc < 0) {
		free(raw);
		return hv_errorf(in->diags, "offset %llu: cannot read the BAT", OFF(bat_off)), rc;
	}
	for (uint32_t i = 0; i < need; i++) {
		uint32_t s = img_be32(raw + 4 * (size_t)i);

		v->bat[i] = s;
		if (s == VHD_BAT_UNUSED)
			continue;
		uint64_t start = (uint64_t)s * VHD_SECTOR;
		if (start > data_end || data_end - start < (uint64_t)v->bitmap_size + bs) {
			free(raw);
			return hv_errorf(in->diags, "offset %llu: BAT entry %u points past the end of the file (sector %u, block ends at %llu, data ends at %llu)",
					 OFF(bat_off + 4 * (uint64_t)i), i, s,
					 OFF(start + v->bitmap_size + bs), OFF(data_end));
		}
	}
	free(raw);
	in->ops = &vhd_dyn_ops;
	in->format = IMG_VHD_DYNAMIC;
	/* No two BAT entries may share a block: a few MB of BAT pointing
	 * at one block would read as terabytes. */
	uint64_t *starts = xmalloc((size_t)(need ? need : 1) * 8);
	size_t n = 0, dup;
	for (uint32_t i = 0; i < need; i++)
		if (v->bat[i] != VHD_BAT_UNUSED)
			starts[n++] = (uint64_t)v->bat[i] * VHD_SECTOR;
	dup = img_first_overlap(starts, n, (uint64_t)v->bitmap_size + bs);
	if (dup)
		rc = hv_errorf(in->diags, "offset %llu: BAT entries point at blocks at %llu and %llu that overlap",
			       OFF(bat_off), OFF(starts[dup - 1]), OFF(starts[dup]));
	free(starts);
	return rc;
}

int img_vhd_open(struct img_in *in)
{
	uint8_t f[VHD_FOOTER_SIZE];
	struct vhd_in *v;
	int rc;

	if (in->file_size < VHD_FOOTER_SIZE)
		return hv_errorf(in->diags, "offset 0: %llu bytes is too short for a VHD (footer is 512)",
				 OFF(in->file_size));
	uint64_t foot = in->file_size - VHD_FOOTER_SIZE;
	rc = img_pread(in->fd, f, sizeof(f), foot);
	if (rc < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read the VHD footer", OFF(foot)), rc;
	v = xcalloc(1, sizeof(*v));
	in->priv = v;
	in->ops = &vhd_fixed_ops;	/* for close() on failure */
	rc = vhd_footer_parse(f, foot, NULL, &v->footer);
	if (rc < 0) {
		/* A truncated dynamic VHD keeps its footer copy at 0. */
		uint8_t c[VHD_FOOTER_SIZE];
		struct vhd_footer head;
		if (memcmp(f, "conectix", 8) != 0 &&
		    img_pread(in->fd, c, sizeof(c), 0) == 0 &&
		    vhd_footer_parse(c, 0, NULL, &head) == 0 &&
		    head.disk_type == VHD_TYPE_DYNAMIC)
			return hv_errorf(in->diags, "offset %llu: the file ends without its VHD footer (truncated?)",
					 OFF(in->file_size));
		return vhd_footer_parse(f, foot, in->diags, &v->footer);
	}
	in->size = v->footer.current_size;
	if (in->size % VHD_SECTOR)
		return hv_errorf(in->diags, "offset %llu: current size %llu is not a multiple of 512",
				 OFF(foot + 48), OFF(in->size));
	switch (v->footer.disk_type) {
	case VHD_TYPE_FIXED:
		if (in->size != foot)
			return hv_errorf(in->diags, "offset %llu: fixed VHD footer says %llu bytes of data, the file holds %llu",
					 OFF(foot + 48), OFF(in->size), OFF(foot));
		in->format = IMG_VHD_FIXED;
		return 0;
	case VHD_TYPE_DYNAMIC:
		return vhd_open_dynamic(in, v);
	case VHD_TYPE_DIFF:
		return hv_errorf(in->diags, "offset %llu: differencing VHDs are not supported (convert the chain with its parent first)",
				 OFF(foot + 60));
	default:
		return hv_errorf(in->diags, "offset %llu: unknown VHD disk type %u",
				 OFF(foot + 60), v->footer.disk_type);
	}
}

/* ---- writer ---- */

struct vhd_out {
	bool dynamic;
	uint32_t *bat;		/* sector numbers, host order */
	uint32_t nbat;
	uint64_t bat_off;
	uint64_t next;		/* where the next block goes */
	uint8_t footer[VHD_FOOTER_SIZE];
	uint8_t *bitmap;	/* all ones: every sector present */
};

static void vhd_make_footer(struct img_out *out, struct vhd_out *v)
{
	struct vhd_footer f = {
		.data_offset = v->dynamic ? VHD_FOOTER_SIZE : UINT64_MAX,
		.original_size = out->size,
		.current_size = out->size,
		.geom = vhd_chs(out->size / VHD_SECTOR),
		.disk_type = v->dynamic ? VHD_TYPE_DYNAMIC : VHD_TYPE_FIXED,
	};
	time_t now = time(NULL);
	FILE *u;

	memcpy(f.creator_app, VHD_CREATOR_APP, 4);
	f.timestamp = (uint32_t)((uint64_t)now > VHD_EPOCH ? (uint64_t)now - VHD_EPOCH : 0);
	u = fopen("/dev/urandom", "rb");
	if (!u || fread(f.uuid, 1, 16, u) != 16) {
		for (int i = 0; i < 16; i++)
			f.uuid[i] = (uint8_t)(rand() >> 7);
	}
	if (u)
		fclose(u);
	f.uuid[6] = (f.uuid[6] & 0x0f) | 0x40;	/* a version 4 UUID */
	f.uuid[8] = (f.uuid[8] & 0x3f) | 0x80;
	vhd_footer_build(v->footer, &f);
}

static int vhd_write(struct img_out *out, uint64_t off, const void *buf,
		     size_t len)
{
	struct vhd_out *v = out->priv;
	int rc;

	if (!v->dynamic) {
		if (!buf || img_is_zero(buf, len))
			return 0;	/* the file is sparse there */
		out->written += len;
		return img_pwrite_sparse(out->fd, buf, len, off);
	}
	/* Dynamic: one unit is one block; all-zero blocks stay unallocated. */
	if (!buf || img_is_zero(buf, len))
		return 0;
	uint32_t blk = (uint32_t)(off / VHD_BLOCK_SIZE);
	uint64_t pos = v->next;
	if (pos / VHD_SECTOR > UINT32_MAX - 1)
		return hv_errorf(out->diags, "the VHD would exceed the 2 TiB that 32-bit BAT sectors address");
	rc = img_pwrite(out->fd, v->bitmap, VHD_SECTOR, pos);
	if (rc == 0)
		rc = img_pwrite_sparse(out->fd, buf, len, pos + VHD_SECTOR);
	if (rc < 0)
		return rc;
	/* A short last block is padded to the full block size by the
	 * footer write position below (the gap reads as zeros). */
	v->bat[blk] = (uint32_t)(pos / VHD_SECTOR);
	v->next = pos + VHD_SECTOR + VHD_BLOCK_SIZE;
	out->written += len;
	return 0;
}

static int vhd_finish(struct img_out *out)
{
	struct vhd_out *v = out->priv;
	int rc;

	if (!v->dynamic) {
		rc = img_pwrite(out->fd, v->footer, VHD_FOOTER_SIZE, out->size);
		return rc;
	}
	/* BAT, padded to a sector with unused entries, then the footer. */
	size_t bat_bytes = ((size_t)v->nbat * 4 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	uint8_t *raw = xmalloc(bat_bytes ? bat_bytes : 1);
	memset(raw, 0xff, bat_bytes);
	for (uint32_t i = 0; i < v->nbat; i++)
		img_put_be32(raw + 4 * (size_t)i, v->bat[i]);
	rc = img_pwrite(out->fd, raw, bat_bytes, v->bat_off);
	free(raw);
	if (rc == 0)
		rc = img_pwrite(out->fd, v->footer, VHD_FOOTER_SIZE, v->next);
	if (rc == 0 && ftruncate(out->fd, (off_t)(v->next + VHD_FOOTER_SIZE)) < 0)
		rc = -errno;
	return rc;
}

static void vhd_release(struct img_out *out)
{
	struct vhd_out *v = out->priv;

	if (v) {
		free(v->bat);
		free(v->bitmap);
		free(v);
	}
	out->priv = NULL;
}

static int vhd_hole(struct img_out *out, uint64_t off, uint64_t len)
{
	return 0;	/* sparse (fixed) or unallocated blocks (dynamic) */
}

static const struct img_out_ops vhd_out_ops = {
	.write = vhd_write,
	.hole = vhd_hole,
	.finish = vhd_finish,
	.release = vhd_release,
};

int img_vhd_size_check(uint64_t size, struct hv_diags *d)
{
	if (size % VHD_SECTOR)
		return hv_errorf(d, "a VHD holds whole 512-byte sectors; %llu bytes is not a multiple of 512 (pad the image first)",
				 OFF(size));
	if (size > IMG_VHD_MAX_SIZE)
		return hv_errorf(d, "a disk of %llu bytes is too large for a VHD (at most 2040 GiB, %llu bytes: qemu's and XAPI's limit); use qcow2 or raw",
				 OFF(size), OFF(IMG_VHD_MAX_SIZE));
	return 0;
}

int img_out_vhd(struct img_out *out, bool dynamic)
{
	struct vhd_out *v;
	uint8_t h[VHD_HEADER_SIZE];
	int rc;

	rc = img_vhd_size_check(out->size, out->diags);
	if (rc < 0)
		return rc;
	v = xcalloc(1, sizeof(*v));
	out->priv = v;
	out->ops = &vhd_out_ops;
	out->format = dynamic ? IMG_VHD_DYNAMIC : IMG_VHD_FIXED;
	out->unit = dynamic ? VHD_BLOCK_SIZE : 1u << 20;
	v->dynamic = dynamic;
	vhd_make_footer(out, v);
	if (!dynamic)
		return 0;

	v->nbat = (uint32_t)((out->size + VHD_BLOCK_SIZE - 1) / VHD_BLOCK_SIZE);
	v->bat = xmalloc((size_t)(v->nbat ? v->nbat : 1) * 4);
	memset(v->bat, 0xff, (size_t)v->nbat * 4);
	v->bitmap = xmalloc(VHD_SECTOR);
	memset(v->bitmap, 0xff, VHD_SECTOR);
	v->bat_off = VHD_FOOTER_SIZE + VHD_HEADER_SIZE;
	size_t bat_bytes = ((size_t)v->nbat * 4 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	v->next = v->bat_off + bat_bytes;
	vhd_header_build(h, v->bat_off, v->nbat, VHD_BLOCK_SIZE);
	rc = img_pwrite(out->fd, v->footer, VHD_FOOTER_SIZE, 0);
	if (rc == 0)
		rc = img_pwrite(out->fd, h, VHD_HEADER_SIZE, VHD_FOOTER_SIZE);
	return rc;
}
