/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Xen saved-image reader (source-stream.c) and the
 * restore check (restore.c), on the head of a real `xl save` image made in
 * the Xen box (tests/data/cpuid/xen-save/): every layer, every cut, every
 * lying length, a 4 GiB page-data record in a sparse file and 8 MiB of it
 * through a pipe (skipped, not kept), and the errors exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cpuid-stream.h"
#include "util.h"

#define IMAGE TEST_DATA_DIR "/cpuid/xen-save/pv-avx2-off.head"

static uint8_t *img;
static size_t img_len;
/* Offsets in img: libxl's header, libxc's image header, its first record. */
static size_t libxl_at, libxc_at, rec_at;
/* libxc's records: offsets of their headers, up to STATIC_DATA_END. */
static size_t recs[16], nrecs;

static const char *last_msg(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Finds the layers of the image (as the spec lays them out: a walker of
 * its own, so that the reader is not checked against itself). */
static void walk(void)
{
	size_t o = 48 + le32(img + 44);

	libxl_at = o;
	o += 16;
	while (le32(img + o) != 1)	/* LIBXC_CONTEXT */
		o += 8 + ((le32(img + o + 4) + 7) & ~7u);
	libxc_at = o + 8;
	rec_at = o = libxc_at + 24 + 16;
	while (o + 8 <= img_len && nrecs < 16) {
		recs[nrecs++] = o;
		if (le32(img + o) == 0x10)
			break;
		o += 8 + ((le32(img + o + 4) + 7) & ~7u);
	}
}

static int parse(const uint8_t *buf, size_t len, struct cpuid_data *c,
		 struct cpuid_stream_info *info, struct hv_diags *d)
{
	cpuid_data_release(c);
	hv_diags_release(d);
	return cpuid_parse_stream(buf, len, "t", c, info, d);
}

static void test_real(void)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct cpuid_stream_info info;
	struct hv_diags d = HV_DIAGS_INIT;
	size_t cpuid_len = 0;

	for (size_t i = 0; i < nrecs; i++)
		if (le32(img + recs[i]) == 0x11)
			cpuid_len = le32(img + recs[i] + 4);
	CHECK(nrecs >= 3);
	CHECK_INT(parse(img, img_len, &c, &info, &d), 0);
	CHECK(info.xl && info.libxl);
	CHECK_INT(info.libxc_version, 3);
	CHECK_INT(info.domain_type, CPUID_STREAM_PV);
	CHECK_INT(info.xen_major, 4);
	CHECK_INT(info.xen_minor, 17);
	/* Read up to STATIC_DATA_END (a later policy record would replace). */
	CHECK_INT(info.stop, recs[nrecs - 1] + 8);
	CHECK_INT(le32(img + recs[nrecs - 1]), 0x10);
	CHECK_STR(info.refused, "");
	CHECK_INT(c.nleaves, cpuid_len / 24);
	CHECK(cpuid_data_get(&c, 0, 0) && cpuid_data_get(&c, 7, 0));
	CHECK(c.nmsrs >= 1);
	CHECK_STR(c.origin, "t (Xen 4.17 PV guest, saved)");
	CHECK_INT(d.n, 0);
	/* Any layer may start the input: libxl's stream, libxc's alone. */
	{
		struct cpuid_data c2 = CPUID_DATA_INIT;

		CHECK_INT(parse(img + libxl_at, img_len - libxl_at, &c2, &info, &d), 0);
		CHECK(!info.xl && info.libxl && cpuid_data_equal(&c, &c2));
		CHECK_INT(parse(img + libxc_at, img_len - libxc_at, &c2, &info, &d), 0);
		CHECK(!info.xl && !info.libxl && cpuid_data_equal(&c, &c2));
		cpuid_data_release(&c2);
	}
	/* The policy restores onto itself. */
	{
		struct cpuid_restore r;

		CHECK(cpuid_restore_check(&c, &c, &r));
	}
	cpuid_data_release(&c);
	hv_diags_release(&d);
}

/* Every cut of the image before the end of its policies fails, naming an
 * offset; every later cut reads the whole policy. */
static void test_cuts(void)
{
	struct cpuid_data c = CPUID_DATA_INIT, full = CPUID_DATA_INIT;
	struct cpuid_stream_info info;
	struct hv_diags d = HV_DIAGS_INIT;
	size_t bad = 0;

	CHECK_INT(parse(img, img_len, &full, &info, &d), 0);
	for (size_t k = 0; k < img_len; k++) {
		int rc = parse(img, k, &c, NULL, &d);
		const char *m = last_msg(&d);

		if (k >= info.stop ? rc != 0 || !cpuid_data_equal(&c, &full)
				   : rc >= 0 || c.nleaves || strncmp(m, "t: ", 3) != 0 ||
				     !strstr(m, "offset ") || strchr(m, '\n')) {
			if (!bad++)
				fprintf(stderr, "cut at %zu: rc %d, '%s'\n", k, rc, m);
		}
	}
	CHECK_INT(bad, 0);
	cpuid_data_release(&c);
	cpuid_data_release(&full);
	hv_diags_release(&d);
}

/* Lengths that lie: never a read past the end, never a huge allocation. */
static void test_lengths(void)
{
	static const uint32_t lies[] = { 0xffffffff, 0xfffffff8, 0xfffffff0, 0x7fffffff, 1, 7, 23 };
	struct cpuid_data c = CPUID_DATA_INIT, full = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	uint8_t *buf = xmalloc(img_len);

	CHECK_INT(parse(img, img_len, &full, NULL, &d), 0);
	for (size_t i = 0; i < nrecs; i++) {
		uint32_t type = le32(img + recs[i]);

		for (size_t k = 0; k < ARRAY_SIZE(lies); k++) {
			int rc;

			memcpy(buf, img, img_len);
			put32(buf + recs[i] + 4, lies[k]);
			rc = parse(buf, img_len, &c, NULL, &d);
			/* STATIC_DATA_END's body is never read; a record
			 * other than a policy padded to its old size is
			 * read the same. */
			if (rc == 0 && cpuid_data_equal(&c, &full) &&
			    (type == 0x10 || (type != 0x11 && type != 0x12 &&
					      ((lies[k] + 7) & ~7u) == ((le32(img + recs[i] + 4) + 7) & ~7u))))
				continue;
			if (rc >= 0) {
				fprintf(stderr, "record 0x%x at %zu with length 0x%x was accepted\n", type,
					recs[i], lies[k]);
				CHECK(rc < 0);
			}
			CHECK(strstr(last_msg(&d), "t: offset ") == last_msg(&d));
		}
	}
	/* Exactly: a body past the end; a policy of a bad size or too many leaves. */
	for (size_t i = 0; i < nrecs; i++) {
		uint32_t type = le32(img + recs[i]);
		char want[160];

		memcpy(buf, img, img_len);
		if (type == 0x2) {
			put32(buf + recs[i] + 4, 0xfffffff8);
			CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
			snprintf(want, sizeof(want), "t: offset %zu: a libxc record of 4294967288 bytes runs past the end of the input (%zu bytes there)",
				 recs[i], img_len - recs[i] - 8);
			CHECK_STR(last_msg(&d), want);
		} else if (type == 0x11) {
			put32(buf + recs[i] + 4, 0xfffffff0);
			CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
			snprintf(want, sizeof(want), "t: offset %zu: X86_CPUID_POLICY record of 178956970 leaves, more than 4096", recs[i]);
			CHECK_STR(last_msg(&d), want);
			put32(buf + recs[i] + 4, 25);
			CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
			snprintf(want, sizeof(want), "t: offset %zu: X86_CPUID_POLICY record of 25 bytes, not a multiple of 24", recs[i]);
			CHECK_STR(last_msg(&d), want);
		} else if (type == 0x12) {
			put32(buf + recs[i] + 4, 20);
			CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
			snprintf(want, sizeof(want), "t: offset %zu: X86_MSR_POLICY record of 20 bytes, not a multiple of 16", recs[i]);
			CHECK_STR(last_msg(&d), want);
		}
	}
	free(buf);
	cpuid_data_release(&c);
	cpuid_data_release(&full);
	hv_diags_release(&d);
}

/* Headers the reader refuses, with the reason. */
static void test_headers(void)
{
	static const struct {
		int where;	/* 0 xl, 1 libxl, 2 libxc */
		size_t off;
		uint32_t v;	/* written little-endian, or big-endian for libxl/libxc headers */
		const char *want;
	} cases[] = {
		{ 0, 32, 0x11223344, "t: offset 32: xl's byte order mark is 0x11223344, not 0x01020304" },
		{ 0, 36, 1, "t: offset 36: a legacy image (xl of Xen before 4.6, no stream v2 flag): it carries no CPUID policy" },
		{ 0, 36, 7, "t: offset 36: xl's header has mandatory flags 0x7 this reader does not know (a newer xl's image?)" },
		{ 1, 8, 3, "libxl stream version 3, this reader knows 2" },
		{ 1, 12, 2, "a legacy libxc stream (converted from Xen before 4.6): it carries no CPUID policy" },
		{ 2, 12, 2, "libxc stream version 2 (Xen 4.6 to 4.13): CPUID policies are saved from version 3 (Xen 4.14) on" },
		{ 2, 12, 4, "libxc stream version 4, this reader knows 2 and 3" },
		{ 2, 24, 4, "domain type 4 is not an x86 guest (1 PV, 2 HVM, 3 PVH): no CPUID policy" },
	};
	struct cpuid_data c = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	uint8_t *buf = xmalloc(img_len);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t base = cases[i].where == 0 ? 0 : cases[i].where == 1 ? libxl_at : libxc_at;
		uint8_t *p = buf + base + cases[i].off;

		memcpy(buf, img, img_len);
		if (cases[i].where == 0 || cases[i].off == 24)
			put32(p, cases[i].v);
		else
			put32(p, __builtin_bswap32(cases[i].v));
		CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
		if (!strstr(last_msg(&d), cases[i].want)) {
			fprintf(stderr, "case %zu: '%s'\n", i, last_msg(&d));
			CHECK(!"message");
		}
	}
	/* Not a stream at all; a stream without a policy record. */
	CHECK(parse((const uint8_t *)"hello", 5, &c, NULL, &d) == -EMEDIUMTYPE);
	CHECK_STR(last_msg(&d), "t: not a Xen saved image or migration stream (no xl, libxl or libxc header at offset 0)");
	memcpy(buf, img, img_len);
	put32(buf + recs[0], 0x10);	/* STATIC_DATA_END first */
	CHECK(parse(buf, img_len, &c, NULL, &d) < 0);
	{
		char want[120];

		snprintf(want, sizeof(want), "t: offset %zu: no X86_CPUID_POLICY record before STATIC_DATA_END", recs[0]);
		CHECK_STR(last_msg(&d), want);
	}
	free(buf);
	cpuid_data_release(&c);
	hv_diags_release(&d);
}

/* The image with a PAGE_DATA record of `pages` bytes before its first
 * libxc record: head and tail, the page data left to the writer. */
static void split(uint32_t pages, uint8_t rec[8])
{
	put32(rec, 1);	/* PAGE_DATA */
	put32(rec + 4, pages);
}

/* A 4 GiB page-data record in a sparse file is skipped by seeking. */
static void test_sparse(void)
{
	char path[] = "/tmp/hvkit-test-stream-XXXXXX";
	struct cpuid_data c = CPUID_DATA_INIT, want = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	uint32_t pages = 0xfffffff8;
	uint8_t rec[8];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	split(pages, rec);
	CHECK(write(fd, img, rec_at) == (ssize_t)rec_at);
	CHECK(write(fd, rec, 8) == 8);
	CHECK(lseek(fd, pages, SEEK_CUR) > 0);
	CHECK(write(fd, img + rec_at, img_len - rec_at) == (ssize_t)(img_len - rec_at));
	close(fd);
	CHECK_INT(parse(img, img_len, &want, NULL, &d), 0);
	CHECK_INT(cpuid_read_saved(path, &c, NULL, &d), 0);
	CHECK(cpuid_data_equal(&c, &want));
	/* The same file cut inside the page data. */
	CHECK_INT(truncate(path, (off_t)(rec_at + 8 + 4096)), 0);
	cpuid_data_release(&c);
	CHECK(cpuid_read_saved(path, &c, NULL, &d) < 0);
	{
		char msg[200];

		snprintf(msg, sizeof(msg), "%s: offset %zu: a libxc record of 4294967288 bytes runs past the end of the input (4096 bytes there)",
			 path, rec_at);
		CHECK_STR(last_msg(&d), msg);
	}
	unlink(path);
	cpuid_data_release(&c);
	cpuid_data_release(&want);
	hv_diags_release(&d);
}

/* 8 MiB of page data through a pipe: read and dropped, not kept. */
static void test_pipe(void)
{
	struct cpuid_data c = CPUID_DATA_INIT, want = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	uint32_t pages = 8u << 20;
	uint8_t rec[8];
	int p[2], st = 0;
	pid_t pid;

	CHECK_INT(pipe(p), 0);
	split(pages, rec);
	pid = fork();
	if (pid == 0) {
		static uint8_t zero[65536];
		bool ok = true;

		close(p[0]);
		ok = ok && write_all(p[1], (const char *)img, rec_at) == 0 &&
		     write_all(p[1], (const char *)rec, 8) == 0;
		for (uint32_t n = 0; ok && n < pages; n += sizeof(zero))
			ok = write_all(p[1], (const char *)zero, sizeof(zero)) == 0;
		ok = ok && write_all(p[1], (const char *)img + rec_at, img_len - rec_at) == 0;
		_exit(ok ? 0 : 1);
	}
	close(p[1]);
	CHECK_INT(parse(img, img_len, &want, NULL, &d), 0);
	CHECK_INT(cpuid_read_stream_fd(p[0], NULL, 0, "pipe", &c, NULL, &d), 0);
	CHECK(cpuid_data_equal(&c, &want));
	close(p[0]);
	waitpid(pid, &st, 0);
	cpuid_data_release(&c);
	cpuid_data_release(&want);
	hv_diags_release(&d);
}

/* The restore check against hosts made from the guest's own policy. */
static void test_restore(void)
{
	struct cpuid_data g = CPUID_DATA_INIT, h = CPUID_DATA_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_restore r;
	const struct cpuid_leaf *l;
	int avx = cpuid_feature_lookup("avx", CPUID_NAMES_ANY);
	uint32_t regs[4];

	CHECK_INT(parse(img, img_len, &g, NULL, &d), 0);
	CHECK_INT(parse(img, img_len, &h, NULL, &d), 0);
	/* A host without avx: missing exactly avx. */
	l = cpuid_data_get(&h, 1, 0);
	memcpy(regs, l->r, sizeof(regs));
	CHECK(regs[CPUID_ECX] >> 28 & 1);
	regs[CPUID_ECX] &= ~(1u << 28);
	cpuid_data_set(&h, 1, 0, regs);
	CHECK(!cpuid_restore_check(&g, &h, &r));
	CHECK_STR(r.refused, "");
	CHECK_INT(cpuid_fset_count(&r.missing), 1);
	CHECK(avx >= 0 && cpuid_fset_has(&r.missing, (size_t)avx));
	CHECK_INT(r.nbits, 0);
	/* A lower maximum basic leaf: Xen's audit refuses. */
	CHECK_INT(parse(img, img_len, &h, NULL, &d), 0);
	l = cpuid_data_get(&h, 0, 0);
	memcpy(regs, l->r, sizeof(regs));
	regs[CPUID_EAX] = 1;
	cpuid_data_set(&h, 0, 0, regs);
	CHECK(!cpuid_restore_check(&g, &h, &r));
	CHECK(strstr(r.refused, "the guest's maximum basic leaf 0x") == r.refused);
	/* The AMD copies of leaf 1 edx in 0x80000001 edx are no features. */
	CHECK_INT(parse(img, img_len, &h, NULL, &d), 0);
	l = cpuid_data_get(&h, 0x80000001, 0);
	if (l) {
		memcpy(regs, l->r, sizeof(regs));
		regs[CPUID_EDX] &= ~0x0183f3ffu;
		cpuid_data_set(&h, 0x80000001, 0, regs);
		CHECK(cpuid_restore_check(&g, &h, &r));
	}
	cpuid_data_release(&g);
	cpuid_data_release(&h);
	hv_diags_release(&d);
}

/* The offset of the first record of this type in img, or 0. */
static size_t rec_of(uint32_t type)
{
	for (size_t i = 0; i < nrecs; i++)
		if (le32(img + recs[i]) == type)
			return recs[i];
	return 0;
}

/* img with the 32-bit word at `at` set to v: what Xen 4.17 says of it
 * ("" when it loads it); the policy is read either way. */
static const char *edited(size_t at, uint32_t v, struct cpuid_data *c)
{
	static struct cpuid_stream_info info;
	struct hv_diags d = HV_DIAGS_INIT;
	uint8_t *buf = xmalloc(img_len);
	int rc;

	memcpy(buf, img, img_len);
	put32(buf + at, v);
	rc = parse(buf, img_len, c, &info, &d);
	hv_diags_release(&d);
	free(buf);
	if (rc < 0) {
		fprintf(stderr, "word at %zu = 0x%x: rc %d\n", at, v, rc);
		return "(not read)";
	}
	return info.refused;
}

/* The entry of the CPUID policy record for leaf.sub (0xffffffff: none). */
static size_t entry_of(uint32_t leaf, uint32_t sub)
{
	size_t r = rec_of(0x11);

	for (size_t o = r + 8; o < r + 8 + le32(img + r + 4); o += 24)
		if (le32(img + o) == leaf && le32(img + o + 4) == sub)
			return o;
	return 0;
}

/* What Xen 4.17 refuses to load before its audit (x86_cpuid_copy_from_buffer,
 * x86_msr_copy_from_buffer, xg_sr_restore.c): each table's last subleaf
 * passes, one past it is refused; leaves Xen has no table for, subleaves
 * on leaves without any, unknown MSRs, MSR flags, mandatory records it
 * does not handle, more entries than it serialises. */
static void test_xen_load(void)
{
	static const struct {
		uint32_t leaf, sub;	/* an entry of the real image */
		bool subleaf;		/* edit its subleaf (else its leaf) */
		uint32_t v;
		const char *refused;	/* NULL: loaded */
	} cases[] = {
		{ 0x4, 0, true, 5, NULL },
		{ 0x4, 0, true, 6, "leaf 0x4 subleaf 0x6" },
		{ 0x7, 0, true, 2, NULL },
		{ 0x7, 0, true, 3, "leaf 0x7 subleaf 0x3" },
		{ 0x7, 0, true, 0xffffffff, "leaf 0x7 subleaf 0xffffffff" },
		{ 0xb, 0, true, 1, NULL },
		{ 0xb, 0, true, 2, "leaf 0xb subleaf 0x2" },
		{ 0xd, 2, true, 62, NULL },
		{ 0xd, 2, true, 63, "leaf 0xd subleaf 0x3f" },
		{ 0x1, 0xffffffff, true, 5, "leaf 0x1 subleaf 0x5" },
		{ 0x1, 0xffffffff, true, 0, "leaf 0x1 subleaf 0x0" },
		{ 0x3, 0xffffffff, false, 0xe, "leaf 0xe subleaf 0xffffffff" },
		{ 0x40000000, 0xffffffff, true, 0, "leaf 0x40000000 subleaf 0x0" },
		{ 0x40000100, 0xffffffff, false, 0x40000001, "leaf 0x40000001" },
		{ 0x80000021, 0xffffffff, false, 0x80000022, "leaf 0x80000022" },
		{ 0x80000021, 0xffffffff, false, 0xc0000000, "leaf 0xc0000000" },
	};
	struct cpuid_data c = CPUID_DATA_INIT;
	size_t msr = rec_of(0x12), pvinfo = rec_of(0x02);
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t at = entry_of(cases[i].leaf, cases[i].sub);

		CHECK(at != 0);
		if (!at)
			continue;
		why = edited(at + (cases[i].subleaf ? 4 : 0), cases[i].v, &c);
		if (cases[i].refused ? !strstr(why, cases[i].refused) || !strstr(why, "(-ERANGE)") : why[0])
			fprintf(stderr, "case %zu: '%s'\n", i, why);
		CHECK(cases[i].refused ? strstr(why, cases[i].refused) && strstr(why, "(-ERANGE)")
				       : !why[0]);
	}
	/* Leaf 1 under subleaf 5 is not filed as another leaf. */
	(void)edited(entry_of(1, 0xffffffff) + 4, 5, &c);
	CHECK(!cpuid_data_get(&c, 1, 5) && !cpuid_data_get(&c, 1, 0) && cpuid_data_get(&c, 0, 0));
	/* MSRs: flags must be 0; only PLATFORM_INFO and ARCH_CAPABILITIES. */
	CHECK(msr && le32(img + msr + 4) == 32);
	CHECK(strstr(edited(msr + 8 + 4, 7, &c), "flags 0x7, which must be 0 (-EINVAL)"));
	CHECK(strstr(edited(msr + 8, 0xc0000080, &c), "MSR 0xc0000080, which Xen's does not hold (-ERANGE)"));
	CHECK_STR(edited(msr + 8, 0x10a, &c), "");	/* given twice: last wins */
	/* Records: a mandatory one Xen does not handle fails the restore, an
	 * optional one is skipped; CHECKPOINT outside a checkpointed stream;
	 * X86_PV_INFO in an HVM stream. */
	CHECK(pvinfo != 0);
	CHECK(strstr(edited(pvinfo, 0x7777, &c), "mandatory record 0x7777 at offset "));
	CHECK_STR(edited(pvinfo, 0x80007777, &c), "");
	CHECK(strstr(edited(pvinfo, 0x0e, &c), "a CHECKPOINT record at offset "));
	CHECK(strstr(edited(libxc_at + 24, CPUID_STREAM_HVM, &c), "mandatory record 0x2 at offset "));
	cpuid_data_release(&c);
}

/* Xen loads at most CPUID_MAX_SERIALISED_LEAVES (120 in 4.17) entries,
 * repeats counted; the last of two policy records is the one used; a
 * policy without leaf 0 is read (Xen keeps the domain's own). */
static void test_xen_count(void)
{
	size_t cp = rec_of(0x11), sde = rec_of(0x10);
	struct cpuid_data c = CPUID_DATA_INIT, full = CPUID_DATA_INIT;
	struct cpuid_stream_info info;
	struct hv_diags d = HV_DIAGS_INIT;
	size_t cap = cp + 2 * (8 + 121 * 24) + img_len;
	uint8_t *buf = xmalloc(cap);

	CHECK(cp && sde);
	CHECK_INT(parse(img, img_len, &full, NULL, &d), 0);
	for (uint32_t n = 119; n <= 121; n++) {
		size_t o = cp;

		memcpy(buf, img, cp);
		put32(buf + o, 0x11);
		put32(buf + o + 4, n * 24);
		for (uint32_t k = 0; k < n; k++)	/* leaf 0, n times */
			memcpy(buf + o + 8 + k * 24, img + entry_of(0, 0xffffffff), 24);
		o += 8 + n * 24;
		memcpy(buf + o, img + cp, img_len - cp);	/* then the real policies */
		CHECK_INT(parse(buf, o + img_len - cp, &c, &info, &d), 0);
		CHECK(cpuid_data_equal(&c, &full));	/* the second record replaces */
		CHECK(strstr(last_msg(&d), "a second X86_CPUID_POLICY record: it replaces the first"));
		CHECK_STR(info.refused, "");	/* only the last one is loaded */
		/* The big one last. */
		memcpy(buf, img, sde);
		o = sde;
		put32(buf + o, 0x11);
		put32(buf + o + 4, n * 24);
		for (uint32_t k = 0; k < n; k++)
			memcpy(buf + o + 8 + k * 24, img + entry_of(0, 0xffffffff), 24);
		o += 8 + n * 24;
		memcpy(buf + o, img + sde, img_len - sde);
		CHECK_INT(parse(buf, o + img_len - sde, &c, &info, &d), 0);
		CHECK_INT(c.nleaves, 1);
		if (n <= 120)
			CHECK_STR(info.refused, "");
		else
			CHECK(strstr(info.refused, "121 leaves, more than Xen's 120 (-E2BIG)"));
	}
	/* No leaf 0: read, with a warning. */
	memcpy(buf, img, img_len);
	put32(buf + entry_of(0, 0xffffffff), 0x2);	/* a second leaf 2 instead */
	CHECK_INT(parse(buf, img_len, &c, &info, &d), 0);
	CHECK(!cpuid_data_get(&c, 0, 0) && cpuid_data_get(&c, 7, 0));
	CHECK_STR(info.refused, "");
	free(buf);
	cpuid_data_release(&c);
	cpuid_data_release(&full);
	hv_diags_release(&d);
}

int main(void)
{
	img = check_slurp(IMAGE, &img_len);
	if (!img || img_len < 200) {
		fprintf(stderr, "cannot read %s\n", IMAGE);
		return 1;
	}
	walk();
	test_real();
	test_cuts();
	test_lengths();
	test_headers();
	test_sparse();
	test_pipe();
	test_restore();
	test_xen_load();
	test_xen_count();
	free(img);
	return CHECK_DONE();
}
