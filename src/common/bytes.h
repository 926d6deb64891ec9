/* SPDX-License-Identifier: MIT */
/* Bounds-checked little-endian readers for binary firmware tables. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A read-only window over untrusted bytes.  Every accessor checks the
 * offset against the length and reports failure instead of reading past
 * the end: callers test the return value, never the data.
 */
struct hv_bytes {
	const uint8_t *p;
	size_t len;
};

static inline struct hv_bytes hv_bytes_make(const void *p, size_t len)
{
	return (struct hv_bytes){ .p = p, .len = len };
}

/* True when [off, off + n) lies inside b; safe against overflow. */
static inline bool hv_bytes_has(struct hv_bytes b, size_t off, size_t n)
{
	return off <= b.len && n <= b.len - off;
}

static inline bool hv_get_u8(struct hv_bytes b, size_t off, uint8_t *ret)
{
	if (!hv_bytes_has(b, off, 1))
		return false;
	*ret = b.p[off];
	return true;
}

static inline bool hv_get_u16(struct hv_bytes b, size_t off, uint16_t *ret)
{
	if (!hv_bytes_has(b, off, 2))
		return false;
	*ret = (uint16_t)(b.p[off] | b.p[off + 1] << 8);
	return true;
}

static inline bool hv_get_u32(struct hv_bytes b, size_t off, uint32_t *ret)
{
	if (!hv_bytes_has(b, off, 4))
		return false;
	*ret = (uint32_t)b.p[off] | (uint32_t)b.p[off + 1] << 8 |
	       (uint32_t)b.p[off + 2] << 16 | (uint32_t)b.p[off + 3] << 24;
	return true;
}

static inline bool hv_get_u64(struct hv_bytes b, size_t off, uint64_t *ret)
{
	uint32_t lo, hi;

	if (!hv_get_u32(b, off, &lo) || !hv_get_u32(b, off + 4, &hi))
		return false;
	*ret = (uint64_t)hi << 32 | lo;
	return true;
}

/* A sub-window [off, off + n) of b, or false when it does not fit. */
static inline bool hv_bytes_sub(struct hv_bytes b, size_t off, size_t n,
				struct hv_bytes *ret)
{
	if (!hv_bytes_has(b, off, n))
		return false;
	*ret = hv_bytes_make(b.p + off, n);
	return true;
}
