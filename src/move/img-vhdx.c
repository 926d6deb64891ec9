/* SPDX-License-Identifier: MIT */
/* Hyper-V VHDX, read only ([MS-VHDX] 2.0; qemu's block/vhdx.c is the
 * judge): dynamic and fixed disks.  The current header of the two (CRC-32C
 * checked, the higher sequence number), a region table, the metadata
 * items that say the block and sector sizes and the virtual size, and the
 * BAT, whose payload entries are interleaved with sector bitmap entries
 * every chunk ratio.  Differencing disks and a log left to replay are
 * refused by name.  Memory: the BAT (inside the file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"
#include "util.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define VHDX_HEADER1 (64 * KiB)
#define VHDX_HEADER2 (128 * KiB)
#define VHDX_HEADER_LEN (4 * KiB)
#define VHDX_REGION1 (192 * KiB)
#define VHDX_REGION2 (256 * KiB)
#define VHDX_REGION_LEN (64 * KiB)
#define VHDX_MAX_ENTRIES 2047u
#define VHDX_MAX_SIZE (64ull << 40)	/* 64 TiB, as the format says */

/* BAT entry states */
#define PAYLOAD_NOT_PRESENT 0
#define PAYLOAD_UNDEFINED 1
#define PAYLOAD_ZERO 2
#define PAYLOAD_UNMAPPED 3
#define PAYLOAD_FULLY_PRESENT 6
#define PAYLOAD_PARTIALLY_PRESENT 7

#define GUID_BAT "2DC27766-F623-4200-9D64-115E9BFD4A08"
#define GUID_METADATA "8B7CA206-4790-4B9A-B8FE-575F050F886E"
#define GUID_FILE_PARAMS "CAA16737-FA36-4D43-B3B6-33F0AA44E76B"
#define GUID_DISK_SIZE "2FA54224-CD1B-4876-B211-5DBED83BF4B8"
#define GUID_LOGICAL_SECTOR "8141BF1D-A96F-4709-BA47-F233A8FAAB5F"
/* Required items that do not change how the data reads. */
#define GUID_PHYSICAL_SECTOR "CDA348C7-445D-4471-9CC9-E9885251C556"
#define GUID_PAGE83 "BECA12AB-B2E6-4523-93EF-C309E000C746"

#define OFF(x) ((unsigned long long)(x))

struct vhdx_in {
	uint64_t block;		/* bytes */
	uint64_t nblocks;	/* payload blocks */
	uint64_t chunk;		/* payload blocks per sector bitmap block */
	uint64_t bat_off;
	uint64_t *bat;		/* host order, every entry of the region */
	uint64_t nbat;
	uint64_t meta_off, meta_len, bat_len;
};

/* CRC-32C (Castagnoli, reflected 0x82f63b78), as VHDX checksums are. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? (v >> 1) ^ 0x82f63b78u : v >> 1;
			table[i] = v;
		}
	}
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* The checksum at p + 4 over len bytes, counted as zero. */
static bool sum_ok(uint8_t *p, size_t len)
{
	uint32_t want = img_le32(p + 4);

	memset(p + 4, 0, 4);
	return crc32c(p, len) == want;
}

/* p holds the GUID g ("XXXXXXXX-XXXX-..."), its first three fields
 * little-endian as on disk. */
static bool guid_is(const uint8_t *p, const char *g)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t b[16];
	int n = 0;

	for (const char *s = g; *s && n < 16; s++) {
		if (*s == '-')
			continue;
		b[n++] = (uint8_t)(hexdigit(s[0]) << 4 | hexdigit(s[1]));
		s++;
	}
	for (int i = 0; i < 16; i++)
		if (p[i] != b[order[i]])
			return false;
	return true;
}

static bool zero16(const uint8_t *p)
{
	for (int i = 0; i < 16; i++)
		if (p[i])
			return false;
	return true;
}

/* The current header into h, *ret_at where it was read. */
static int read_header(struct img_in *in, uint8_t *h, uint64_t *ret_at)
{
	uint8_t h2[VHDX_HEADER_LEN];
	bool ok1 = img_pread(in->fd, h, VHDX_HEADER_LEN, VHDX_HEADER1) == 0 &&
		   memcmp(h, "head", 4) == 0 && sum_ok(h, VHDX_HEADER_LEN);
	bool ok2 = img_pread(in->fd, h2, VHDX_HEADER_LEN, VHDX_HEADER2) == 0 &&
		   memcmp(h2, "head", 4) == 0 && sum_ok(h2, VHDX_HEADER_LEN);

	if (!ok1 && !ok2)
		return hv_errorf(in->diags, "offset %llu: no valid VHDX header (signature or CRC-32C) here nor at %llu",
				 OFF(VHDX_HEADER1), OFF(VHDX_HEADER2));
	*ret_at = VHDX_HEADER1;
	if (ok2 && (!ok1 || img_le64(h2 + 8) > img_le64(h + 8))) {
		memcpy(h, h2, VHDX_HEADER_LEN);
		*ret_at = VHDX_HEADER2;
	}
	return 0;
}

/* Finds the BAT and metadata regions in the (first valid) region table. */
static int read_regions(struct img_in *in, uint64_t *bat_off, uint64_t *bat_len,
			uint64_t *meta_off, uint64_t *meta_len)
{
	uint8_t *r = xmalloc(VHDX_REGION_LEN);
	uint64_t at = VHDX_REGION1;
	int rc = 0;

	if (img_pread(in->fd, r, VHDX_REGION_LEN, at) < 0 || memcmp(r, "regi", 4) != 0 ||
	    !sum_ok(r, VHDX_REGION_LEN)) {
		at = VHDX_REGION2;
		if (img_pread(in->fd, r, VHDX_REGION_LEN, at) < 0 || memcmp(r, "regi", 4) != 0 ||
		    !sum_ok(r, VHDX_REGION_LEN)) {
			free(r);
			return hv_errorf(in->diags, "offset %llu: no valid VHDX region table (signature or CRC-32C) here nor at %llu",
					 OFF(VHDX_REGION1), OFF(VHDX_REGION2));
		}
	}
	uint32_t n = img_le32(r + 8);
	if (n > VHDX_MAX_ENTRIES)
		rc = hv_errorf(in->diags, "offset %llu: %u region entries (at most %u)", OFF(at + 8), n,
			       VHDX_MAX_ENTRIES);
	*bat_len = *meta_len = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const uint8_t *e = r + 16 + 32 * i;
		uint64_t off = img_le64(e + 16), len = img_le32(e + 24), eat = at + 16 + 32 * i;
		bool bat = guid_is(e, GUID_BAT), meta = guid_is(e, GUID_METADATA);

		if (!bat && !meta) {
			if (img_le32(e + 28) & 1)
				rc = hv_errorf(in->diags, "offset %llu: a required region of a kind not known here",
					       OFF(eat));
			continue;
		}
		if ((bat && *bat_len) || (meta && *meta_len))
			rc = hv_errorf(in->diags, "offset %llu: a second %s region", OFF(eat), bat ? "BAT" : "metadata");
		else if (!len || off % MiB || off < MiB || off > in->file_size || in->file_size - off < len)
			rc = hv_errorf(in->diags, "offset %llu: the %s region at %llu (%llu bytes) is misplaced or past the end",
				       OFF(eat), bat ? "BAT" : "metadata", OFF(off), OFF(len));
		else if (bat) {
			*bat_off = off;
			*bat_len = len;
		} else {
			*meta_off = off;
			*meta_len = len;
		}
	}
	free(r);
	if (rc == 0 && (!*bat_len || !*meta_len))
		rc = hv_errorf(in->diags, "offset %llu: the region table lacks the %s region", OFF(at),
			       *bat_len ? "metadata" : "BAT");
	return rc;
}

/* Reads the metadata items the reader needs. */
static int read_metadata(struct img_in *in, uint64_t off, uint64_t len,
			 uint32_t *block, uint32_t *sector, uint64_t *size)
{
	uint8_t t[32 + 32 * VHDX_MAX_ENTRIES];
	bool have[3] = { false, false, false };
	uint8_t item[8];
	int rc;

	if (len < 64 * KiB || img_pread(in->fd, t, 32, off) < 0 || memcmp(t, "metadata", 8) != 0)
		return hv_errorf(in->diags, "offset %llu: no VHDX metadata table", OFF(off));
	uint32_t n = (uint32_t)t[10] | (uint32_t)t[11] << 8;
	if (n > VHDX_MAX_ENTRIES)
		return hv_errorf(in->diags, "offset %llu: %u metadata entries (at most %u)", OFF(off + 10), n,
				 VHDX_MAX_ENTRIES);
	if (n && img_pread(in->fd, t + 32, 32 * (size_t)n, off + 32) < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read the metadata table", OFF(off + 32));
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = t + 32 + 32 * i;
		uint64_t eat = off + 32 + 32 * i, ioff = img_le32(e + 16), ilen = img_le32(e + 20);
		int which = guid_is(e, GUID_FILE_PARAMS) ? 0 : guid_is(e, GUID_DISK_SIZE) ? 1 :
			    guid_is(e, GUID_LOGICAL_SECTOR) ? 2 : -1;

		if (which < 0) {
			if ((img_le32(e + 24) & 4) && !guid_is(e, GUID_PHYSICAL_SECTOR) &&
			    !guid_is(e, GUID_PAGE83))
				return hv_errorf(in->diags, "offset %llu: a required metadata item not known here (a parent locator: differencing disks are not read)",
						 OFF(eat));
			continue;
		}
		size_t want = which == 2 ? 4 : 8;
		if (have[which] || ilen < want || ioff < 64 * KiB || ioff > len || len - ioff < ilen)
			return hv_errorf(in->diags, "offset %llu: metadata item misplaced or repeated", OFF(eat));
		rc = img_pread(in->fd, item, want, off + ioff);
		if (rc < 0)
			return hv_errorf(in->diags, "offset %llu: cannot read a metadata item", OFF(off + ioff)), rc;
		have[which] = true;
		if (which == 0) {
			*block = img_le32(item);
			if (img_le32(item + 4) & 2)
				return hv_errorf(in->diags, "offset %llu: a differencing VHDX (HasParent); convert the chain first (qemu-img convert)",
						 OFF(off + ioff + 4));
		} else if (which == 1) {
			*size = img_le64(item);
		} else {
			*sector = img_le32(item);
		}
	}
	if (!have[0] || !have[1] || !have[2])
		return hv_errorf(in->diags, "offset %llu: the metadata lacks the %s", OFF(off),
				 !have[0] ? "file parameters" : !have[1] ? "virtual disk size" : "logical sector size");
	return 0;
}

/* The BAT entry of payload block b, checked; *ret_host 0 for zeros. */
static int vhdx_lookup(struct img_in *in, uint64_t b, uint64_t *ret_host)
{
	struct vhdx_in *x = in->priv;
	uint64_t i = b + b / x->chunk, e = x->bat[i], at = x->bat_off + 8 * i;
	uint64_t host = (e >> 20) * MiB;

	switch (e & 7) {
	case PAYLOAD_NOT_PRESENT:
	case PAYLOAD_UNDEFINED:
	case PAYLOAD_ZERO:
	case PAYLOAD_UNMAPPED:
		*ret_host = 0;
		return 0;
	case PAYLOAD_FULLY_PRESENT: {
		uint64_t need = in->size - b * x->block < x->block ? in->size - b * x->block : x->block;

		if (host < 2 * MiB || host > in->file_size || in->file_size - host < need ||
		    (host < x->bat_off + x->bat_len && host + need > x->bat_off) ||
		    (host < x->meta_off + x->meta_len && host + need > x->meta_off))
			return hv_errorf(in->diags, "offset %llu: BAT entry for block %llu points to %llu, inside the headers, the BAT or the metadata, or past the end",
					 OFF(at), OFF(b), OFF(host));
		*ret_host = host;
		return 0;
	}
	case PAYLOAD_PARTIALLY_PRESENT:
		return hv_errorf(in->diags, "offset %llu: block %llu is partially present (a differencing disk's state)",
				 OFF(at), OFF(b));
	}
	return hv_errorf(in->diags, "offset %llu: BAT entry for block %llu has state %u, not defined",
			 OFF(at), OFF(b), (unsigned)(e & 7));
}

/* No two payload blocks may share file space: what is read then follows
 * the file, not the virtual size. */
static int blocks_distinct(struct img_in *in, struct vhdx_in *x)
{
	uint64_t *s = xmalloc(x->nblocks ? (size_t)x->nblocks * 8 : 8);
	size_t n = 0, i;
	int rc = 0;

	for (uint64_t b = 0; b < x->nblocks; b++) {
		uint64_t e = x->bat[b + b / x->chunk];

		if ((e & 7) == PAYLOAD_FULLY_PRESENT)
			s[n++] = (e >> 20) * MiB;
	}
	if ((i = img_first_overlap(s, n, x->block)))
		rc = hv_errorf(in->diags, "offset %llu: payload blocks at %llu and %llu overlap",
			       OFF(x->bat_off), OFF(s[i - 1]), OFF(s[i]));
	free(s);
	return rc;
}

static int vhdx_extent(struct img_in *in, uint64_t off, uint64_t max,
		       uint64_t *ret_len, bool *ret_data)
{
	struct vhdx_in *x = in->priv;
	uint64_t host, end = off;
	bool data = false, first = true;
	int rc;

	while (end < in->size && end - off < max) {
		rc = vhdx_lookup(in, end / x->block, &host);
		if (rc < 0)
			return rc;
		if (first)
			data = host != 0;
		else if ((host != 0) != data)
			break;
		first = false;
		end = (end / x->block + 1) * x->block;
	}
	*ret_len = end - off < max ? end - off : max;
	*ret_data = data;
	return 0;
}

static int vhdx_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	struct vhdx_in *x = in->priv;
	uint8_t *p = buf;
	int rc;

	while (len) {
		uint64_t in_b = off % x->block, host;
		size_t n = x->block - in_b < len ? (size_t)(x->block - in_b) : len;

		rc = vhdx_lookup(in, off / x->block, &host);
		if (rc < 0)
			return rc;
		if (!host)
			memset(p, 0, n);
		else if ((rc = img_pread(in->fd, p, n, host + in_b)) < 0)
			return hv_errorf(in->diags, "offset %llu: cannot read %zu bytes of block data",
					 OFF(host + in_b), n), rc;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void vhdx_close(struct img_in *in)
{
	struct vhdx_in *x = in->priv;

	if (x) {
		free(x->bat);
		free(x);
	}
	in->priv = NULL;
}

static const struct img_in_ops vhdx_ops = {
	.extent = vhdx_extent,
	.read = vhdx_read,
	.close = vhdx_close,
};

int img_vhdx_open(struct img_in *in)
{
	uint8_t sig[8], h[VHDX_HEADER_LEN];
	uint64_t bat_off = 0, bat_len = 0, meta_off = 0, meta_len = 0, size = 0, hat = VHDX_HEADER1;
	uint32_t block = 0, sector = 0;
	struct vhdx_in *x;
	int rc;

	if (img_pread(in->fd, sig, 8, 0) < 0 || memcmp(sig, "vhdxfile", 8) != 0)
		return hv_errorf(in->diags, "offset 0: not a VHDX image (vhdxfile missing)");
	rc = read_header(in, h, &hat);
	if (rc < 0)
		return rc;
	if ((h[66] | h[67] << 8) != 1)
		return hv_errorf(in->diags, "offset %llu: VHDX version %u is not supported (1 is)",
				 OFF(hat + 66), h[66] | h[67] << 8);
	if (!zero16(h + 48))
		return hv_errorf(in->diags, "offset %llu: the VHDX has a log to replay (not closed cleanly); let qemu-img check -r all or Hyper-V replay it first",
				 OFF(hat + 48));
	rc = read_regions(in, &bat_off, &bat_len, &meta_off, &meta_len);
	if (rc < 0)
		return rc;
	rc = read_metadata(in, meta_off, meta_len, &block, &sector, &size);
	if (rc < 0)
		return rc;
	if (block < MiB || block > 256 * MiB || (block & (block - 1)))
		return hv_errorf(in->diags, "offset %llu: block size %u is not a power of two from 1 to 256 MiB",
				 OFF(meta_off), block);
	if (sector != 512 && sector != 4096)
		return hv_errorf(in->diags, "offset %llu: logical sector size %u (512 or 4096)", OFF(meta_off), sector);
	if (size > VHDX_MAX_SIZE || size % sector)
		return hv_errorf(in->diags, "offset %llu: virtual size %llu is over 64 TiB or not whole sectors",
				 OFF(meta_off), OFF(size));
	x = xcalloc(1, sizeof(*x));
	in->priv = x;
	in->ops = &vhdx_ops;
	in->size = size;
	x->block = block;
	x->chunk = ((1ull << 23) * sector) / block;
	x->nblocks = (size + block - 1) / block;
	x->bat_off = bat_off;
	uint64_t need = x->nblocks ? x->nblocks + (x->nblocks - 1) / x->chunk : 0;
	if (need > bat_len / 8)
		return hv_errorf(in->diags, "offset %llu: a BAT of %llu bytes, %llu entries needed",
				 OFF(bat_off), OFF(bat_len), OFF(need));
	x->nbat = need;
	x->bat = xmalloc(need ? (size_t)need * 8 : 8);
	if (need && img_pread(in->fd, x->bat, (size_t)need * 8, bat_off) < 0)
		return hv_errorf(in->diags, "offset %llu: cannot read the BAT", OFF(bat_off));
	for (uint64_t i = 0; i < need; i++)
		x->bat[i] = img_le64((uint8_t *)&x->bat[i]);
	x->meta_off = meta_off;
	x->meta_len = meta_len;
	x->bat_len = bat_len;
	return blocks_distinct(in, x);
}
