/* SPDX-License-Identifier: MIT */
/* A minimal streaming tar (ustar) writer and reader, gzip or not. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define TAR_BLOCK 512u
#define TAR_NAME_MAX 100u

/*
 * The writer appends members to fd (not taken over; a pipe is fine),
 * through zlib when gzip is set.  Members are regular files, mode 0644,
 * owner 0, with names under 100 bytes.  tar_close() writes the two zero
 * blocks that end an archive.
 */
struct tar_out;
int tar_out_open(int fd, bool gzip, struct tar_out **ret);
int tar_out_add(struct tar_out *t, const char *name, const void *data,
		size_t len, uint64_t mtime);
int tar_out_close(struct tar_out *t);	/* frees t, even on failure */
/* A member streamed in pieces: begin with its size (any size: GNU
 * base-256 past 8 GiB), then data adding up to exactly size, then end. */
int tar_out_begin(struct tar_out *t, const char *name, uint64_t size,
		  uint64_t mtime);
int tar_out_data(struct tar_out *t, const void *data, size_t len);
int tar_out_end(struct tar_out *t, uint64_t size);

/*
 * The reader walks members of the stream on fd (gzip detected by zlib).
 * tar_in_next() returns 1 with the member's name and size, 0 at the end,
 * or a negative errno with a diagnostic naming the stream offset.  The
 * member's data is then read with tar_in_read() (exactly size bytes, or
 * fewer followed by tar_in_next(), which skips the rest).
 */
struct tar_in;
struct tar_member {
	char name[TAR_NAME_MAX + 1 + 155 + 1];
	uint64_t size;
	uint64_t offset;	/* of the header, in the uncompressed stream */
	char type;
};
int tar_in_open(int fd, struct hv_diags *d, struct tar_in **ret);
int tar_in_next(struct tar_in *t, struct tar_member *ret);
/* Reads len bytes of the current member; -EIO "truncated" on short input. */
int tar_in_read(struct tar_in *t, void *buf, size_t len);
uint64_t tar_in_offset(const struct tar_in *t);
bool tar_in_gzip(const struct tar_in *t);
struct tar_in *tar_in_free(struct tar_in *t);
