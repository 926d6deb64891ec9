/* SPDX-License-Identifier: MIT */
/* Unit tests: cpusets, number parsing, sizes, strbuf and the JSON writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "json.h"
#include "strbuf.h"
#include "util.h"

static void test_cpuset_list(void)
{
	static const struct {
		const char *name, *in;
		int rc;
		unsigned count;
		const char *fmt;
	} cases[] = {
		{ "single", "0", 0, 1, "0" },
		{ "ranges", "0-3,8,10-11", 0, 7, "0-3,8,10-11" },
		{ "newline", "0-1\n", 0, 2, "0-1" },
		{ "empty", "", 0, 0, "" },
		{ "reversed range", "3-1", -ERANGE, 0, NULL },
		{ "too large", "0-70000", -ERANGE, 0, NULL },
		{ "garbage", "0,x", -EINVAL, 0, NULL },
		{ "dangling dash", "4-", -EINVAL, 0, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cpuset s = { 0 };
		int rc = cpuset_parse_list(&s, cases[i].in);

		if (rc != cases[i].rc)
			fprintf(stderr, "case '%s'\n", cases[i].name);
		CHECK_INT(rc, cases[i].rc);
		if (rc == 0) {
			char *f = cpuset_format(&s);

			CHECK_INT(cpuset_count(&s), cases[i].count);
			CHECK_STR(f, cases[i].fmt);
			free(f);
		}
		cpuset_release(&s);
	}
}

static void test_cpuset_mask(void)
{
	struct cpuset s = { 0 };
	char *f;

	/* sysfs masks: 32-bit words, most significant first. */
	CHECK_INT(cpuset_parse_mask(&s, "00000000,00001111\n"), 0);
	f = cpuset_format(&s);
	CHECK_STR(f, "0,4,8,12");
	free(f);
	cpuset_release(&s);
	CHECK_INT(cpuset_parse_mask(&s, "ff,00000000"), 0);
	f = cpuset_format(&s);
	CHECK_STR(f, "32-39");
	free(f);
	CHECK_INT(cpuset_next(&s, 33), 33);
	CHECK_INT(cpuset_next(&s, 40), -1);
	CHECK(cpuset_has(&s, 39) && !cpuset_has(&s, 40));
	cpuset_release(&s);
	CHECK_INT(cpuset_parse_mask(&s, "0g"), -EINVAL);
	cpuset_release(&s);
}

/* A set drawn at random in a window of CPUSET_MAX: a few CPUs, a run, or
 * nothing, added in random order (the set grows at either end). */
static void random_set(struct cpuset *s, bool *ref, unsigned *seed)
{
	unsigned lo = (unsigned)rand_r(seed) % CPUSET_MAX;
	unsigned span = 1 + (unsigned)rand_r(seed) % 300;
	unsigned n = (unsigned)rand_r(seed) % 40;

	memset(ref, 0, CPUSET_MAX * sizeof(*ref));
	for (unsigned i = 0; i < n; i++) {
		unsigned c = lo + (unsigned)rand_r(seed) % span;

		if (c < CPUSET_MAX) {
			cpuset_set(s, c);
			ref[c] = true;
		}
	}
}

/*
 * The sets hold only the words between their first and last CPU: every
 * operation is checked against a plain array of CPUSET_MAX flags, on sets
 * far apart, overlapping and empty.  The seed is printed on a failure.
 */
static void test_cpuset_sparse(void)
{
	unsigned seed0 = getenv("HVKIT_SEED") ? (unsigned)atoi(getenv("HVKIT_SEED")) :
			 (unsigned)time(NULL);
	unsigned seed = seed0;
	bool *ra = calloc(CPUSET_MAX, sizeof(bool)), *rb = calloc(CPUSET_MAX, sizeof(bool));
	int before = check_failures;

	for (int round = 0; round < 300 && check_failures == before; round++) {
		struct cpuset a = { 0 }, b = { 0 }, c = { 0 };
		bool inc = true, meet = false, eq = true;
		unsigned na = 0;
		int first = -1;

		random_set(&a, ra, &seed);
		random_set(&b, rb, &seed);
		if (round % 3 == 0) {	/* b inside a, or equal */
			cpuset_copy(&b, &a);
			memcpy(rb, ra, CPUSET_MAX * sizeof(bool));
		}
		for (unsigned i = 0; i < CPUSET_MAX; i++) {
			inc &= !rb[i] || ra[i];
			meet |= ra[i] && rb[i];
			eq &= ra[i] == rb[i];
			na += ra[i];
			if (ra[i] && first < 0)
				first = (int)i;
		}
		CHECK_INT(cpuset_count(&a), na);
		CHECK_INT(cpuset_next(&a, 0), first);
		CHECK(cpuset_includes(&a, &b, NULL) == inc);
		CHECK(cpuset_intersects(&a, &b, NULL) == meet);
		CHECK(cpuset_intersects(&b, &a, NULL) == meet);
		CHECK(cpuset_equal(&a, &b) == eq);
		CHECK(!meet || !cpuset_intersects(&a, &b, &a));
		CHECK(cpuset_includes(&a, &b, &b));
		cpuset_copy(&c, &a);
		cpuset_or(&c, &b);
		for (unsigned i = 0; i < CPUSET_MAX; i++)
			if (cpuset_has(&c, i) != (ra[i] || rb[i])) {
				CHECK_INT(i, -1);
				break;
			}
		CHECK(cpuset_includes(&c, &a, NULL) && cpuset_includes(&c, &b, NULL));
		cpuset_and(&c, &b);
		CHECK(cpuset_equal(&c, &b));
		cpuset_and(&a, &b);
		for (unsigned i = 0, k = 0; i < CPUSET_MAX; i++) {
			if (cpuset_has(&a, i) != (ra[i] && rb[i])) {
				CHECK_INT(i, -1);
				break;
			}
			k += ra[i] && rb[i];
			if (i == CPUSET_MAX - 1)
				CHECK_INT(cpuset_count(&a), k);
		}
		cpuset_release(&a);
		cpuset_release(&b);
		cpuset_release(&c);
	}
	if (check_failures != before)
		fprintf(stderr, "test_cpuset_sparse: failed with HVKIT_SEED=%u\n", seed0);
	free(ra);
	free(rb);
}

static void test_parse_u64(void)
{
	uint64_t v = 7;

	CHECK_INT(parse_u64(" 42\n", 10, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(parse_u64("8000000", 16, &v), 0);
	CHECK_INT(v, 0x8000000);
	v = 7;
	CHECK_INT(parse_u64("-1", 10, &v), -EINVAL);
	CHECK_INT(parse_u64("12abc", 10, &v), -EINVAL);
	CHECK_INT(parse_u64("", 10, &v), -EINVAL);
	CHECK_INT(parse_u64("99999999999999999999999", 10, &v), -ERANGE);
	CHECK_INT(v, 7);	/* untouched on failure */
}

static void test_hex_span(void)
{
	uint64_t v = 7;

	CHECK_INT(hex_span("0x1f", 4, 8, &v), true);
	CHECK_INT(v, 0x1f);
	CHECK_INT(hex_span("DEADbeef", 8, 8, &v), true);
	CHECK_INT(v, 0xdeadbeef);
	CHECK_INT(hex_span("0X0a;", 4, 8, &v), true);	/* only the span is read */
	CHECK_INT(v, 10);
	v = 7;
	CHECK_INT(hex_span("0x", 2, 8, &v), false);
	CHECK_INT(hex_span("", 0, 8, &v), false);
	CHECK_INT(hex_span("123456789", 9, 8, &v), false);
	CHECK_INT(hex_span("0x12g4", 6, 8, &v), false);
	CHECK_INT(hex_span("-1", 2, 8, &v), false);
	CHECK_INT(v, 7);	/* untouched on failure */
}

static void test_format_size(void)
{
	static const struct { uint64_t in; const char *out; } cases[] = {
		{ 0, "0 B" }, { 512, "512 B" }, { 32768, "32 KiB" },
		{ 1536ull << 20, "1.5 GiB" }, { 16ull << 30, "16 GiB" },
		{ 5082ull << 20, "5.0 GiB" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		format_size(buf, sizeof(buf), cases[i].in);
		CHECK_STR(buf, cases[i].out);
	}
}

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;

	CHECK_STR(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	CHECK_INT(sb.len, 3890);
	CHECK(sb.buf[sb.len] == 0);
	size_t len;
	char *s = strbuf_detach(&sb, &len);
	CHECK_INT(len, 3890);
	CHECK_STR(sb.buf, "");
	free(s);
	strbuf_release(&sb);
}

/* strbuf_add_utf8(): what cairo and DOT get, byte for byte. */
static void test_strbuf_utf8(void)
{
	static const struct { const char *in, *esc, *want; } cases[] = {
		{ "plain", NULL, "plain" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\tb\nc\x7f", NULL, "a b c " },
		{ "\xff\xfe", NULL, "??" },
		{ "\xc0\xaf", NULL, "??" },			/* overlong '/' */
		{ "\xed\xa0\x80", NULL, "???" },		/* a surrogate */
		{ "\xf4\x90\x80\x80", NULL, "????" },	/* past U+10FFFF */
		{ "\xe2\x82", NULL, "??" },			/* cut short */
		{ "say \"hi\" \\ \xc3", "\"\\", "say \\\"hi\\\" \\\\ ?" },
	};
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		strbuf_reset(&sb);
		strbuf_add_utf8(&sb, cases[i].in, cases[i].esc);
		CHECK_STR(sb.buf, cases[i].want);
	}
	strbuf_reset(&sb);
	strbuf_add_utf8(&sb, NULL, NULL);
	CHECK_INT(sb.len, 0);
	strbuf_release(&sb);
}

static void test_json(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb, false);
	json_obj_open(&j);
	json_kv_str(&j, "s", "a\"b\\c\n\x01");
	json_kv_str(&j, "skipped", NULL);
	json_kv_u64(&j, "n", 18446744073709551615ull);
	json_kv_double(&j, "d", 8.0);
	json_kv_double(&j, "e", 2.5);
	json_key(&j, "a");
	json_arr_open(&j);
	json_arr_close(&j);
	json_key(&j, "o");
	json_obj_open(&j);
	json_kv_bool(&j, "t", true);
	json_obj_close(&j);
	json_obj_close(&j);
	CHECK_STR(sb.buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":18446744073709551615,"
			  "\"d\":8.0,\"e\":2.5,\"a\":[],\"o\":{\"t\":true}}");
	strbuf_reset(&sb);
	json_init(&j, &sb, true);
	json_arr_open(&j);
	json_u64(&j, 1);
	json_null(&j);
	json_arr_close(&j);
	CHECK_STR(sb.buf, "[\n  1,\n  null\n]");
	/* JSON is UTF-8: a byte that is not becomes U+FFFD, valid text stays */
	strbuf_reset(&sb);
	json_init(&j, &sb, false);
	json_str(&j, "\xff\xc3(\xc3\xa9\xe2\x82\xac\xed\xa0\x80\xf0\x9f\x98\x80\xc0\xaf\xe2\x82");
	CHECK_STR(sb.buf, "\"\\ufffd\\ufffd(\xc3\xa9\xe2\x82\xac\\ufffd\\ufffd\\ufffd"
			  "\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffd\\ufffd\"");
	strbuf_release(&sb);
}

/* Input made printable: controls and bytes that are not UTF-8 become '.'. */
static void test_str_printable(void)
{
	char s[] = "a\x1b[31mb\x07\t\xff\xc3\xa9\xc2\x9b\x7f\xed\xa0\x80z";
	char a[] = "x\x1b\xc3\xa9\x7f y";

	CHECK_STR(str_printable(s, false), "a.[31mb...\xc3\xa9.....z");
	CHECK_STR(str_printable(a, true), "x.... y");
}

int main(void)
{
	test_cpuset_list();
	test_cpuset_mask();
	test_cpuset_sparse();
	test_parse_u64();
	test_hex_span();
	test_format_size();
	test_strbuf();
	test_strbuf_utf8();
	test_json();
	test_str_printable();
	return CHECK_DONE();
}
