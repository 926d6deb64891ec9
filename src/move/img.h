/* SPDX-License-Identifier: MIT */
/* Disk images: one reader and one writer interface over every format. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum img_format {
	IMG_RAW,
	IMG_VHD_FIXED,
	IMG_VHD_DYNAMIC,
	IMG_QCOW2,
	IMG_XVA,
	/* Read only. */
	IMG_VMDK,		/* sparse, streamOptimized, or a descriptor */
	IMG_VHDX,
	/* Recognised by their magic so as never to be taken for raw, and
	 * refused by name. */
	IMG_VDI,
	IMG_QED,
	IMG_QCOW1,
	IMG_LUKS,
	IMG_ISO,
	IMG_PARALLELS,
	IMG_BOCHS,
	IMG_CLOOP,
	IMG_DMG,
	IMG_UNKNOWN,
};

/* "raw", "vhd-fixed", "vhd" (dynamic), "qcow2", "xva", "vmdk", "vhdx",
 * "vdi", "qed", "qcow", "luks", "iso". */
const char *img_format_name(enum img_format f);
/* Parses a --to/--disk-format name (raw, vhd, vhd-fixed, qcow2, xva);
 * "vpc" is accepted for "vhd".  -EINVAL else. */
int img_format_parse(const char *s, enum img_format *ret);
/* The same for --from, where vmdk and vhdx are also read. */
int img_format_parse_input(const char *s, enum img_format *ret);
/* "a VMware VMDK image", "an ISO 9660 CD/DVD image", ... */
const char *img_format_what(enum img_format f);

/*
 * A reader presents a disk as `size` bytes of guest data.  Library code:
 * errors are negative errnos with one line in `diags` that names the byte
 * offset in the file ("offset 1536: BAT entry 3 points past the end");
 * the caller prefixes the file name.
 *
 * extent() describes the run starting at `off` (at most `max` bytes):
 * *ret_data false means the run reads as zeros and need not be read.  A
 * data run may still hold zeros.  read() fills buf with guest bytes
 * [off, off + len), zeros included, and fails on short input.
 */
struct img_in;
struct img_in_ops {
	int (*extent)(struct img_in *in, uint64_t off, uint64_t max,
		      uint64_t *ret_len, bool *ret_data);
	int (*read)(struct img_in *in, void *buf, size_t len, uint64_t off);
	void (*close)(struct img_in *in);
};

struct img_in {
	const struct img_in_ops *ops;
	enum img_format format;
	int fd;			/* owned by the caller of img_open */
	uint64_t size;		/* virtual size in bytes */
	uint64_t file_size;
	int dir_fd;		/* borrowed: see img_open_dir; -1: none */
	struct hv_diags *diags;	/* borrowed */
	void *priv;		/* the format's state, freed by close() */
};

/* Probes the format from the bytes (qcow2 magic, VHD footer cookie, tar
 * with ova.xml, the magic of every common image format), falling back
 * to raw only when none matches. */
enum img_format img_probe(int fd);

/*
 * Opens a disk image on fd (not taken over) as `format` (IMG_UNKNOWN
 * probes).  XVA is not a disk reader: see xva.h.  On success *ret is a
 * malloc'd reader for img_in_free().
 */
int img_open(int fd, enum img_format format, struct hv_diags *diags,
	     struct img_in **ret);
struct img_in *img_in_free(struct img_in *in);

/*
 * img_open with the directory of the image (an fd, not taken over; -1:
 * none) where a VMDK descriptor's extent files are looked up (plain names
 * only, no symbolic links).
 */
int img_open_dir(int fd, int dir_fd, enum img_format format,
		 struct hv_diags *diags, struct img_in **ret);

/* The format openers behind img_open (also the fuzz targets' entries). */
int img_raw_open(struct img_in *in);
int img_vhd_open(struct img_in *in);
int img_qcow2_open(struct img_in *in);
int img_vmdk_open(struct img_in *in);
int img_vhdx_open(struct img_in *in);

/*
 * A writer receives the disk in order, one unit of `unit` bytes at a time
 * (the last may be shorter); buf NULL means the unit is all zeros.  The
 * writer skips what it may (holes, all-zero blocks) and finish() writes
 * trailers.  Writers own nothing of the caller's; abort() releases.
 */
struct img_out;
struct img_out_ops {
	int (*write)(struct img_out *out, uint64_t off, const void *buf,
		     size_t len);
	/* Optional: whole units [off, off + len) that are holes, in one
	 * call, never the first unit nor the last (both go to write()), so
	 * that a long hole costs one call, not one per unit.  Without it,
	 * img_copy hands each unit to write() with buf NULL. */
	int (*hole)(struct img_out *out, uint64_t off, uint64_t len);
	int (*finish)(struct img_out *out);
	void (*release)(struct img_out *out);
};

struct img_out {
	const struct img_out_ops *ops;
	enum img_format format;
	int fd;			/* borrowed: a regular file, seekable */
	uint64_t size;		/* the virtual size to record */
	size_t unit;		/* preferred write size, a power of two */
	uint64_t written;	/* bytes of the file that are data */
	struct hv_diags *diags;
	void *priv;
};

/*
 * A dynamic VHD written in order through sink (a tar member, a pipe):
 * reads in's extents first to lay out the blocks, then *ret_file_size
 * is the VHD's exact length, and its footer, header and BAT have gone
 * to sink.  Feed it with img_copy(in, out) and out->ops->finish().
 */
typedef int (*img_sink_fn)(void *opaque, const void *buf, size_t len);
int img_out_vhd_stream(struct img_out *out, struct img_in *in, img_sink_fn sink,
		       void *opaque, uint64_t *ret_file_size);

/* The length img_out_vhd_stream() will write for in (size bytes). */
int img_vhd_stream_size(struct img_in *in, uint64_t size, uint64_t *ret);

/*
 * The reverse, for a stream that is not trusted (XAPI's export_raw_vdi
 * ?format=vhd): vhd_unstream_feed() (an img_sink_fn) takes the bytes in
 * pieces of any size and hands the disk of size bytes to out in order
 * (out opened, its unit dividing 2 MiB), holes as holes; the blocks must
 * come in disk order.  vhd_unstream_end() checks that the stream was
 * whole and writes the trailing holes (not out's finish()).  Errors:
 * -EINVAL with a diagnostic naming the stream offset, or out's.
 * vhd_unstream_length(): the stream's length once its BAT is read (for
 * a progress bar), 0 before.
 */
struct vhd_unstream;
int vhd_unstream_new(struct img_out *out, uint64_t size, struct hv_diags *d,
		     struct vhd_unstream **ret);
int vhd_unstream_feed(void *opaque, const void *buf, size_t len);
int vhd_unstream_end(struct vhd_unstream *v);
uint64_t vhd_unstream_length(const struct vhd_unstream *v);
void vhd_unstream_free(struct vhd_unstream *v);

/* A reader of size zero bytes (disks of --metadata-only); img_in_free. */
struct img_in *img_zero_new(uint64_t size);

/* VHD and qcow2 writers need size % 512 == 0 (-EINVAL with a diagnostic
 * else).  qcow2: version 3, 64 KiB clusters, all-zero clusters left
 * unallocated, metadata and then the header written by finish(). */
int img_out_raw(struct img_out *out);
/* The largest VHD: 0xff000000 sectors, 2040 GiB (qemu's VHD_MAX_SECTORS;
 * qemu-img will not open a larger one, nor will XAPI's blktap). */
#define IMG_VHD_MAX_SIZE (0xff000000ull * 512)
/* 0 when a VHD can hold size bytes (whole sectors, at most the maximum);
 * else an error in d.  Checked before anything is written. */
int img_vhd_size_check(uint64_t size, struct hv_diags *d);
int img_out_vhd(struct img_out *out, bool dynamic);
int img_out_qcow2(struct img_out *out);
void img_out_release(struct img_out *out);

/* Called by img_copy after each unit with the bytes done so far. */
typedef void (*img_progress_fn)(void *opaque, uint64_t done);

/*
 * Streams in into out, unit by unit, reading only data extents and
 * handing holes to the writer as NULL.  Memory: one unit.  Does not call
 * out->finish().
 */
int img_copy(struct img_in *in, struct img_out *out,
	     img_progress_fn progress, void *opaque);

/*
 * Sorts starts[0..n) and returns the first i > 0 where runs of len bytes
 * starting there overlap (starts[i] - starts[i - 1] < len), or 0 when
 * none do.  For the readers' checks that no two table entries share
 * file space: then what a copy reads follows the file, never more.
 */
size_t img_first_overlap(uint64_t *starts, size_t n, uint64_t len);

/* True when all len bytes are zero (fast path for aligned buffers). */
bool img_is_zero(const void *buf, size_t len);

/* pread/pwrite loops: -EIO on a short read (end of file), -errno else. */
int img_pread(int fd, void *buf, size_t len, uint64_t off);
int img_pwrite(int fd, const void *buf, size_t len, uint64_t off);

/* Writes only the IMG_SPARSE_GRAIN pieces of buf that are not all zero,
 * leaving holes (for new regions of a file, which read as zeros). */
#define IMG_SPARSE_GRAIN 4096u
int img_pwrite_sparse(int fd, const void *buf, size_t len, uint64_t off);

/* Big-endian helpers shared by VHD and qcow2. */
static inline uint32_t img_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t img_be64(const uint8_t *p)
{
	return (uint64_t)img_be32(p) << 32 | img_be32(p + 4);
}

/* Little-endian ones, for VMDK and VHDX. */
static inline uint32_t img_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t img_le64(const uint8_t *p)
{
	return img_le32(p) | (uint64_t)img_le32(p + 4) << 32;
}

static inline void img_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void img_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void img_put_be64(uint8_t *p, uint64_t v)
{
	img_put_be32(p, (uint32_t)(v >> 32));
	img_put_be32(p + 4, (uint32_t)v);
}
