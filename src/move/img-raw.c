/* SPDX-License-Identifier: MIT */
/* Raw images: SEEK_DATA/SEEK_HOLE to find data, sparse output. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "img.h"

static int raw_extent(struct img_in *in, uint64_t off, uint64_t max,
		      uint64_t *ret_len, bool *ret_data)
{
	off_t data = lseek(in->fd, (off_t)off, SEEK_DATA);

	if (data < 0 && errno == ENXIO) {
		/* No data after off: the rest is a hole. */
		*ret_len = max;
		*ret_data = false;
		return 0;
	}
	if (data < 0) {
		/* Not supported here (pipes, some file systems): all data. */
		*ret_len = max;
		*ret_data = true;
		return 0;
	}
	if ((uint64_t)data > off) {
		uint64_t n = (uint64_t)data - off;
		*ret_len = n < max ? n : max;
		*ret_data = false;
		return 0;
	}
	off_t hole = lseek(in->fd, (off_t)off, SEEK_HOLE);
	uint64_t n = hole < 0 || (uint64_t)hole <= off ? max : (uint64_t)hole - off;
	*ret_len = n < max ? n : max;
	*ret_data = true;
	return 0;
}

static int raw_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	int rc = img_pread(in->fd, buf, len, off);

	if (rc == -EIO)
		return hv_errorf(in->diags, "offset %llu: file shrank while being read",
				 (unsigned long long)off), -EIO;
	if (rc < 0)
		return hv_errorf(in->diags, "offset %llu: read failed", (unsigned long long)off), rc;
	return 0;
}

static const struct img_in_ops raw_in_ops = {
	.extent = raw_extent,
	.read = raw_read,
};

int img_raw_open(struct img_in *in)
{
	in->ops = &raw_in_ops;
	in->size = in->file_size;
	return 0;
}

static int raw_write(struct img_out *out, uint64_t off, const void *buf,
		     size_t len)
{
	/* Holes and all-zero units stay holes: finish() sets the size. */
	if (!buf || img_is_zero(buf, len))
		return 0;
	out->written += len;
	return img_pwrite_sparse(out->fd, buf, len, off);
}

static int raw_hole(struct img_out *out, uint64_t off, uint64_t len)
{
	return 0;	/* a new file reads as zeros there */
}

static int raw_finish(struct img_out *out)
{
	if (ftruncate(out->fd, (off_t)out->size) < 0)
		return -errno;
	return 0;
}

static const struct img_out_ops raw_out_ops = {
	.write = raw_write,
	.hole = raw_hole,
	.finish = raw_finish,
};

int img_out_raw(struct img_out *out)
{
	out->ops = &raw_out_ops;
	out->format = IMG_RAW;
	out->unit = 1 << 20;
	/* A file system that cannot hold the size says so now, not after
	 * the copy (ext4: 16 TiB files at most). */
	if (out->size > INT64_MAX)
		errno = EFBIG;
	if (out->size > INT64_MAX || ftruncate(out->fd, (off_t)out->size) < 0)
		return hv_errorf(out->diags, "cannot make a file of %llu bytes: %s",
				 (unsigned long long)out->size, strerror(errno));
	return 0;
}
