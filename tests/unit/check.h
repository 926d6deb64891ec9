/* SPDX-License-Identifier: MIT */
/* A tiny test harness: named checks, a failure counter, TAP-ish output. */
#pragma once

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                         \
	do {                                                                \
		check_count++;                                              \
		if (!(cond)) {                                              \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
		}                                                           \
	} while (0)

#define CHECK_INT(a, b)                                                     \
	do {                                                                \
		long long _a = (long long)(a), _b = (long long)(b);         \
		check_count++;                                              \
		if (_a != _b) {                                             \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
				__FILE__, __LINE__, #a, _a, _b);            \
		}                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *_a = (a), *_b = (b);                            \
		check_count++;                                              \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                    \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)",  \
				_b ? _b : "(null)");                        \
		}                                                           \
	} while (0)

/* Ends main(): prints a summary and returns non-zero on any failure. */
#define CHECK_DONE()                                                        \
	(printf("%d checks, %d failed\n", check_count, check_failures),     \
	 check_failures ? 1 : 0)

/* Test data directory, set by meson as -DTEST_DATA_DIR="...". */
#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

/* Reads a whole file into a malloc'd buffer; NULL on failure. */
#include <stdlib.h>
static inline unsigned char *check_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				break;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}
