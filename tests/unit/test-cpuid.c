/* SPDX-License-Identifier: MIT */
/* Unit tests of hvkit cpuid: the feature table and names, the data model,
 * the text and libvirt readers (error paths exactly), the decoder, the
 * models, dependencies and the policy language. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-features.h"
#include "cpuid-models.h"
#include "cpuid-source.h"
#include "rootfs.h"
#include "util.h"

static const char *last_msg(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static void test_names(void)
{
	static const struct {
		const char *in;
		enum cpuid_names prefer;
		const char *canonical;	/* NULL: unknown */
	} cases[] = {
		{ "sse4_1", CPUID_NAMES_ANY, "sse4.1" },
		{ "SSE4.1", CPUID_NAMES_ANY, "sse4.1" },
		{ "sse4-1", CPUID_NAMES_ANY, "sse4.1" },
		{ "pni", CPUID_NAMES_ANY, "pni" },
		{ "sse3", CPUID_NAMES_ANY, "pni" },		/* Xen's spelling */
		{ "xmm3", CPUID_NAMES_ANY, "pni" },		/* Linux macro */
		{ "pclmuldq", CPUID_NAMES_ANY, "pclmulqdq" },	/* libvirt's */
		{ "avx512f", CPUID_NAMES_ANY, "avx512f" },
		{ "ssb-no", CPUID_NAMES_ANY, "ssb-no" },	/* QEMU: the MSR bit */
		{ "ssb-no", CPUID_NAMES_XEN, "amd-no-ssb" },	/* Xen 4.17: AMD's */
		{ "kvmclock", CPUID_NAMES_ANY, "kvmclock" },
		{ "avx513f", CPUID_NAMES_ANY, NULL },
		{ "", CPUID_NAMES_ANY, NULL },
		{ "---", CPUID_NAMES_ANY, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int f = cpuid_feature_lookup(cases[i].in, cases[i].prefer);

		if (!cases[i].canonical)
			CHECK_INT(f, -1);
		else if (f < 0)
			CHECK_STR(cases[i].in, cases[i].canonical);
		else
			CHECK_STR(cpuid_features[f].name, cases[i].canonical);
	}
	const char *sug[4];
	size_t n = cpuid_feature_suggest("avx513f", sug, 4);
	CHECK(n >= 1);
	if (n)
		CHECK_STR(sug[0], "avx512f");
	CHECK_INT(cpuid_feature_suggest("zzzzzzzzzzzzzzzz", sug, 4), 0);
	CHECK_INT(cpuid_names_parse("libvirt"), CPUID_NAMES_LIBVIRT);
	CHECK_INT(cpuid_names_parse("LIBVIRT"), -1);

	/* The table: sorted, every canonical name folds uniquely. */
	CHECK_INT(cpuid_nfeatures, CPUID_NFEATURES);
	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		CHECK_INT(cpuid_feature_lookup(cpuid_features[i].name, CPUID_NAMES_ANY), i);
		for (int k = 0; k < CPUID_NAMES_NR; k++) {
			const char *s = cpuid_features[i].names[k];
			int f = s ? cpuid_feature_lookup(s, (enum cpuid_names)k) : (int)i;

			/* a project's own spelling finds a bit it spells so
			 * (QEMU calls two KVM bits "kvmclock") */
			if (f != (int)i)
				CHECK_STR(cpuid_features[f].names[k], s);
		}
	}
}

static void test_data(void)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	uint32_t r0[4] = { 7, 0x756e6547, 0x6c65746e, 0x49656e69 };
	uint32_t r7[4] = { 0, 1u << 16, 0, 0 };	/* avx512f */
	int f = cpuid_feature_lookup("avx512f", CPUID_NAMES_ANY);

	CHECK_INT(cpuid_data_set(&c, 7, 0, r7), 0);
	CHECK(!cpuid_data_has(&c, &cpuid_features[f]));	/* no leaf 0: invalid */
	CHECK_INT(cpuid_data_set(&c, 0, 0, r0), 0);
	CHECK(cpuid_data_has(&c, &cpuid_features[f]));
	r0[0] = 6;					/* max leaf below 7 */
	CHECK_INT(cpuid_data_set(&c, 0, 0, r0), 0);
	CHECK_INT(c.nleaves, 2);
	CHECK(!cpuid_data_has(&c, &cpuid_features[f]));
	CHECK(cpuid_data_get(&c, 7, 1) == NULL);
	CHECK_INT(cpuid_data_reg(&c, 7, 0, CPUID_EBX), 1u << 16);
	for (uint32_t i = 0; i < CPUID_MAX_ENTRIES; i++)
		if (cpuid_data_set(&c, 0x100, i, r7) < 0)
			break;
	CHECK_INT(c.nleaves, CPUID_MAX_ENTRIES);
	CHECK_INT(cpuid_data_set(&c, 0x200, 0, r7), -E2BIG);
	cpuid_data_release(&c);
	cpuid_data_release(&c);				/* idempotent */

	unsigned fam, mod, step;
	cpuid_fms(0x00050654, CPUID_VENDOR_INTEL, &fam, &mod, &step);
	CHECK_INT(fam, 6); CHECK_INT(mod, 85); CHECK_INT(step, 4);
	cpuid_fms(0x00a00f11, CPUID_VENDOR_AMD, &fam, &mod, &step);
	CHECK_INT(fam, 25); CHECK_INT(mod, 1); CHECK_INT(step, 1);
	cpuid_fms(0x00100f42, CPUID_VENDOR_AMD, &fam, &mod, &step);	/* Phenom II */
	CHECK_INT(fam, 16); CHECK_INT(mod, 4);
	cpuid_fms(0x000106a5, CPUID_VENDOR_AMD, &fam, &mod, &step);	/* AMD: no ext model below 0xF */
	CHECK_INT(fam, 6); CHECK_INT(mod, 10);
	CHECK_STR(cpuid_uarch(CPUID_VENDOR_INTEL, 6, 85, 7), "Cascade Lake");
	CHECK(cpuid_uarch(CPUID_VENDOR_INTEL, 6, 0xFE, 0) == NULL);
}

static void test_text_errors(void)
{
	static const struct {
		const char *in;
		const char *msg;	/* NULL: parses */
	} cases[] = {
		{ "", "t: no CPUID leaves found (expected `cpuid -r` output or an hvkit cpuid dump)" },
		{ "CPU:\n", "t: no CPUID leaves found (expected `cpuid -r` output or an hvkit cpuid dump)" },
		{ "0x00000000 0x00: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\n", NULL },
		{ "0x00000000: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\n", NULL },
		{ "0x00000001 0x00: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\n", "t: leaf 0x00000000 is missing" },
		{ "\n\nhello\n", "t:3: expected a leaf such as '0x00000000', got 'hello'" },
		{ "0x00000000 00: eax=0x1", "t:1: expected a subleaf such as '0x00:' after the leaf, got '00:'" },
		{ "0x00000000 0x00: eax=0x1 ebx=0x0 ecx=0x0", "t:1: expected 'edx=0x...' (8 hex digits at most), got ''" },
		{ "0x00000000 0x00: eax=0x123456789 ebx=0 ecx=0 edx=0", "t:1: expected 'eax=0x...' (8 hex digits at most), got 'eax=0x123456789'" },
		{ "0x00000000 0x00: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0 more", "t:1: unexpected 'more' after edx" },
		{ "0x100000000 0x00: eax=0x1", "t:1: expected a leaf such as '0x00000000', got '0x100000000'" },
		{ "msr 0x10a: 0x1\n", "t:1: expected a leaf such as '0x00000000', got 'msr'" },
		{ "# hvkit cpuid dump 1\nmsr 0x10a 0x1\n", "t:2: expected an MSR index such as '0x0000010a:', got '0x10a'" },
		{ "a\0b", "t: not a text file (it holds NUL bytes)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct cpuid_data c = CPUID_DATA_INIT;
		size_t len = strlen(cases[i].in);
		int rc;

		if (i == ARRAY_SIZE(cases) - 1)
			len = 3;
		rc = cpuid_parse_text(cases[i].in, len, "t", &c, &d);
		if (cases[i].msg) {
			CHECK_INT(rc, -EINVAL);
			CHECK_STR(last_msg(&d), cases[i].msg);
			CHECK_INT(c.nleaves, 0);	/* untouched on failure */
		} else {
			CHECK_INT(rc, 0);
		}
		cpuid_data_release(&c);
		hv_diags_release(&d);
	}
}

/* /proc/cpuinfo without a stepping line, or Linux's "stepping : unknown"
 * (no CPUID level 1 reported): family and model are kept, stepping 0. */
static void test_cpuinfo_stepping(void)
{
	static const char *const in[] = {
		"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nflags\t\t: fpu sse\n",
		"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
		"stepping\t: unknown\nflags\t\t: fpu sse\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct cpuid_data c = CPUID_DATA_INIT;
		struct cpuid_summary s;

		CHECK_INT(cpuid_parse_any(in[i], strlen(in[i]), "x", &c, &d), 0);
		cpuid_summarize(&c, &s);
		CHECK_INT(s.family, 6);
		CHECK_INT(s.model, 85);
		CHECK_INT(s.stepping, 0);
		cpuid_data_release(&c);
		hv_diags_release(&d);
	}
}

/* A per-PU hwloc file cut short (no newline after its last line): its
 * last value may be cut, so the file and the set are refused, naming the
 * file and line; a whole file in the same set reads. */
static void test_pu_truncated(void)
{
	static const char whole[] = "0 0 0 0 0 => d 756e6547 6c65746e 49656e69\n"
				    "1 1 0 0 0 => 50654 400800 7ffefbff bfebfbff\n";
	struct hv_root *r = hv_root_new_mem();
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT;
	struct cpuid_pus p = { 0 };

	CHECK_INT(cpuid_parse_hwloc(whole, sizeof(whole) - 3, "pu0", &c, &d), -EPIPE);
	CHECK_STR(last_msg(&d), "pu0:2: the last line has no newline: the file is truncated");
	CHECK_INT(c.nleaves, 0);
	hv_diags_release(&d);
	CHECK_INT(cpuid_parse_hwloc(whole, sizeof(whole) - 1, "pu0", &c, &d), 0);
	CHECK_INT(cpuid_data_reg(&c, 1, 0, CPUID_EDX), 0xbfebfbff);
	cpuid_data_release(&c);
	hv_diags_release(&d);

	CHECK_INT(hv_root_add_file(r, "/pu0", whole, sizeof(whole) - 1), 0);
	CHECK_INT(hv_root_add_file(r, "/pu1", whole, sizeof(whole) - 5), 0);
	CHECK_INT(cpuid_read_pus(r, "/", "t", &p, &d), -EPIPE);
	CHECK_STR(last_msg(&d), "t:pu1:2: the last line has no newline: the file is truncated");
	CHECK_INT(d.v[d.n - 1].level, HV_DIAG_ERROR);
	hv_diags_release(&d);
	CHECK_INT(cpuid_read_pus_root(r, "t", &c, &d), -EINVAL);
	CHECK_INT(d.n, 1);
	hv_diags_release(&d);
	hv_root_free(r);
}

static void test_libvirt_errors(void)
{
	static const struct {
		const char *in;
		const char *msg;
	} cases[] = {
		{ "<cpudata arch='x86'><cpuid eax_in='0' ecx_in='0' eax='1'/>"
		  "<msr index='0x10a' edx='0x1' eax='0x48'/></cpudata>", NULL },
		{ "<cpus/>", "x:1: expected a libvirt <cpudata> document, found <cpus>" },
		/* libvirt's <cpu> (source-caps.c) */
		{ "<cpu/>", "x:1: the libvirt <cpu> names no model and no feature: nothing to read" },
		{ "<capabilities><host/></capabilities>", "x:1: <capabilities> has no <host><cpu>" },
		{ "<domainCapabilities><cpu>\n<mode name='host-model' supported='no'/></cpu></domainCapabilities>",
		  "x:2: <mode name='host-model'> is not supported (supported='no'): it describes no CPU" },
		{ "<domainCapabilities/>", "x:1: <domainCapabilities> has no <cpu><mode name='host-model'>" },
		{ "<cpu><arch>aarch64</arch></cpu>", "x:1: <arch> 'aarch64' is not x86 (x86_64 or i686)" },
		{ "<cpu>\n<feature name='sse2' policy='maybe'/></cpu>",
		  "x:2: feature 'sse2': policy='maybe' is none of require, force, optional, disable, forbid" },
		{ "<cpu><feature policy='require'/></cpu>", "x:1: <feature> lacks a name" },
		{ "<cpu><signature family='6' model='300'/></cpu>", "x:1: <signature model='300'> is not a number in [0, 255]" },
		{ "<cpu><signature family='-1'/></cpu>", "x:1: <signature family='-1'> is not a number in [0, 270]" },
		{ "<capabilities><host><cpu><model>x", "x:1: not well-formed XML: Premature end of data in tag model line 1" },
		/* /proc/cpuinfo (source-cpuinfo.c) */
		{ "processor\t: 0\nflags\t\t: fpu\ncpu family\t: x\n", "x:3: 'cpu family' is not a number in [0, 270]" },
		{ "processor\t: 0\nstepping\t: 16\nflags\t: fpu\n", "x:2: 'stepping' is not a number in [0, 15]" },
		{ "processor\t: 0\nvendor_id\t: Intel\nflags\t: fpu\n", "x:2: 'vendor_id' is not 12 characters" },
		{ "processor\t: 0\nmodel\t\t: 1\n\nflags\t: fpu\n", "x: no 'flags' line in the first processor's block" },
		{ "<cpudata arch='x86'/>", "x: no <cpuid> elements" },
		{ "<cpudata arch='ppc64'/>", "x:1: <cpudata arch='ppc64'>: only x86 is supported" },
		{ "<cpudata>\n<cpuid ecx_in='0'/></cpudata>", "x:2: <cpuid> lacks the eax_in attribute" },
		{ "<cpudata>\n\n<cpuid eax_in='0' eax='0xg'/></cpudata>", "x:3: <cpuid eax='0xg'>: not a hex number of at most 8 digits" },
		{ "<cpudata><msr index='0x10a' eax='0x123456789'/></cpudata>", "x:1: <msr eax='0x123456789'>: not a hex number of at most 8 digits" },
		{ "<cpudata", "x:1: not well-formed XML: the input ends inside a start tag begun on line 1" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct cpuid_data c = CPUID_DATA_INIT;
		int rc = cpuid_parse_any(cases[i].in, strlen(cases[i].in), "x", &c, &d);

		if (cases[i].msg) {
			CHECK_INT(rc, -EINVAL);
			CHECK_STR(last_msg(&d), cases[i].msg);
		} else {
			const struct cpuid_msr *m = cpuid_data_get_msr(&c, 0x10a);

			CHECK_INT(rc, 0);
			CHECK(m && m->value == 0x100000048ull);
		}
		cpuid_data_release(&c);
		hv_diags_release(&d);
	}
}

/* A fixture through every path: XML -> decode -> dump -> text -> equal. */
static void test_fixture(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, back = CPUID_DATA_INIT;
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct cpuid_summary s;
	struct cpuid_report r;
	int rc = cpuid_read_file(TEST_DATA_DIR "/cpuid/libvirt/x86_64-cpuid-Xeon-Gold-6130.xml",
				 &c, &d);

	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	cpuid_summarize(&c, &s);
	CHECK_STR(s.vendor_id, "GenuineIntel");
	CHECK_INT(s.family, 6);
	CHECK_INT(s.model, 85);
	CHECK_INT(s.stepping, 4);
	CHECK_STR(s.brand, "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
	CHECK_STR(s.uarch, "Skylake-SP");
	CHECK_STR(s.hypervisor, "");

	cpuid_decode(&c, CPUID_NAMES_QEMU, &r);
	bool l2 = false;
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].leaf == 4 && r.v[i].subleaf == 2)
			for (size_t k = 0; k < r.v[i].nfields; k++)
				if (strcmp(r.v[i].fields[k].key, "size") == 0)
					l2 = r.v[i].fields[k].u == 1024 * 1024;
	CHECK(l2);
	cpuid_report_release(&r);

	cpuid_dump(&c, &sb);
	CHECK_INT(cpuid_parse_text(sb.buf, sb.len, "dump", &back, &d), 0);
	CHECK(cpuid_data_equal(&c, &back));
	CHECK_STR(back.origin, c.origin);
	cpuid_dump(&back, &sb2);
	CHECK_STR(sb2.buf, sb.buf);

	strbuf_release(&sb);
	strbuf_release(&sb2);
	cpuid_data_release(&back);
	cpuid_data_release(&c);
	hv_diags_release(&d);
}

/* CHECK, printing what was got (a string) when it fails. */
#define CHECK_MSG(cond, got)                                                \
	do {                                                                \
		check_count++;                                              \
		if (!(cond)) {                                              \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: check failed: %s (got '%s')\n", \
				__FILE__, __LINE__, #cond, (got));          \
		}                                                           \
	} while (0)

static size_t fidx(const char *name)
{
	int i = cpuid_feature_lookup(name, CPUID_NAMES_ANY);

	CHECK(i >= 0);
	return i < 0 ? 0 : (size_t)i;
}

static void test_models(void)
{
	const struct cpuid_model *m;
	struct cpuid_featureset d;

	CHECK(cpuid_nmodels == 99);
	m = cpuid_model_lookup("Skylake-Server-IBRS");
	CHECK(m && strcmp(m->name, "Skylake-Server-v2") == 0);
	m = cpuid_model_lookup("skylake-server");
	CHECK(m && strcmp(m->name, "Skylake-Server-v1") == 0);
	m = cpuid_model_lookup("Icelake-Server-noTSX");	/* libvirt 9.0 only */
	CHECK(m && strcmp(m->name, "Icelake-Server-v2") == 0);
	CHECK(cpuid_model_lookup("Skylake-Sever") == NULL);
	m = cpuid_model_lookup("Skylake-Server-v4");
	CHECK(m && m->libvirt == NULL && !m->pending && m->family == 6 && m->model == 85);
	CHECK(m && cpuid_fset_has(&m->features, fidx("avx512f")) &&
	      !cpuid_fset_has(&m->features, fidx("hle")) &&
	      !cpuid_fset_has(&m->features, fidx("hypervisor")));
	/* Xen's table: avx2 takes vaes and vpclmulqdq and every avx512 with it. */
	cpuid_deps_dependents(fidx("avx2"), &d);
	CHECK(cpuid_fset_has(&d, fidx("vaes")) && cpuid_fset_has(&d, fidx("vpclmulqdq")) &&
	      cpuid_fset_has(&d, fidx("avx512vbmi")) && !cpuid_fset_has(&d, fidx("avx")) &&
	      !cpuid_fset_has(&d, fidx("aes")));
}

/* The reason the last failing call gave. */
static const char *last_error(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static void test_policy(void)
{
	static const struct {
		const char *spec;
		const char *error;	/* NULL: parses */
	} cases[] = {
		{ "Skylake-Server-v4,-avx2,+pcid,sse4_1=off", NULL },
		{ "skylake-server-ibrs,avx512f=0", NULL },
		{ "host,avx2=off", NULL },
		{ "Skylake-Server,+avx513f", "unknown feature 'avx513f'; did you mean 'avx512f'?" },
		{ "Skylake-Sever", "unknown model 'Skylake-Sever'; did you mean 'Skylake-Server'?" },
		{ "Westmere,+vaes", "cannot add 'vaes': it needs 'avx2', which Westmere-v1 lacks (add it too)" },
		{ "Haswell,-avx2,+vaes", "cannot add 'vaes': it needs 'avx2', which this policy removes" },
		{ "Haswell,+avx2,-avx2", "feature 'avx2' is both added and removed" },
		{ "Haswell,avx2=maybe", "bad value 'maybe' for 'avx2' (on or off)" },
		{ "Haswell,,+pcid", "empty edit in 'Haswell,,+pcid'" },
		{ "", "empty policy (MODEL or host, then ,+feat ,-feat ,feat=on|off)" },
		{ "GraniteRapids-v1", NULL },
		{ "SapphireRapids-v3,-amx-tile", NULL },
	};
	struct cpuid_featureset host;
	struct cpuid_policy *p = xmalloc(sizeof(*p));
	struct hv_diags err = HV_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT, skipped = STRBUF_INIT;
	struct cpuid_lvmap lv;
	struct cpuid_targets tg = { NULL, NULL };
	struct hv_diags d = HV_DIAGS_INIT;

	host = cpuid_model_lookup("Icelake-Server-v4")->features;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = cpuid_policy_parse(cases[i].spec, &host, p, &err);

		if (!cases[i].error) {
			CHECK_MSG(rc == 0, cases[i].spec);
			continue;
		}
		CHECK_MSG(rc == -EINVAL, cases[i].spec);
		CHECK_MSG(rc == -EINVAL && strcmp(last_error(&err), cases[i].error) == 0, last_error(&err));
	}
	/* Removing avx2 removes its dependents the host has, and says which. */
	CHECK(cpuid_policy_parse("host,-avx2", &host, p, &err) == 0);
	CHECK(cpuid_fset_has(&p->also_off, fidx("vaes")) && p->dep_of[fidx("vaes")] == fidx("avx2"));
	CHECK(cpuid_fset_has(&p->also_off, fidx("avx512bitalg")) &&
	      !cpuid_fset_has(&p->result, fidx("avx512f")));
	CHECK(cpuid_policy_emit(p, CPUID_FOR_XL, NULL, &sb, &skipped, &err) == 0);
	CHECK_MSG(strncmp(sb.buf, "cpuid = \"host,avx2=0,", 21) == 0 && strstr(sb.buf, "vaes=0"), sb.buf);
	strbuf_reset(&sb);
	CHECK(cpuid_policy_emit(p, CPUID_FOR_XEND, NULL, &sb, &skipped, &err) == 0);
	CHECK_MSG(strncmp(sb.buf, "cpuid = [ \"0x7,0:ebx=", 21) == 0, sb.buf);
	/* A model for Xen: the host must have every feature. */
	CHECK(cpuid_policy_parse("Cooperlake", &host, p, &err) == 0);
	strbuf_reset(&sb);
	CHECK(cpuid_policy_emit(p, CPUID_FOR_XL, NULL, &sb, &skipped, &err) == -EINVAL);
	CHECK_MSG(strstr(last_error(&err), "this host lacks") != NULL, last_error(&err));
	/* QEMU and libvirt spellings and model names. */
	CHECK(cpuid_policy_parse("Skylake-Server-v2,-sse4_1,+pcid", &host, p, &err) == 0);
	strbuf_reset(&sb);
	CHECK(cpuid_policy_emit(p, CPUID_FOR_QEMU, NULL, &sb, &skipped, &err) == 0);
	CHECK_MSG(strcmp(sb.buf, "-cpu Skylake-Server-v2,-sse4.1,-sse4.2") == 0, sb.buf);
	/* libvirt: with the built-in map (libvirt 9.0), never another name. */
	strbuf_reset(&sb);
	CHECK(cpuid_lvmap_load("builtin", &lv, &d) == 0);
	tg.lvmap = &lv;
	CHECK(cpuid_policy_emit(p, CPUID_FOR_LIBVIRT, NULL, &sb, &skipped, &err) == -EINVAL);
	CHECK(cpuid_policy_emit(p, CPUID_FOR_LIBVIRT, &tg, &sb, &skipped, &err) == 0);
	CHECK_MSG(strstr(sb.buf, "<model fallback='forbid'>Skylake-Server-IBRS</model>") &&
		  strstr(sb.buf, "<feature policy='disable' name='sse4.1'/>"), sb.buf);
	/* A feature libvirt 9.0 does not know is named in a comment only. */
	CHECK(cpuid_policy_parse("Skylake-Server-v2,+flush-l1d", &host, p, &err) == 0);
	strbuf_reset(&sb);
	strbuf_reset(&skipped);
	CHECK(cpuid_policy_emit(p, CPUID_FOR_LIBVIRT, &tg, &sb, &skipped, &err) == 0);
	CHECK_MSG(strcmp(skipped.buf, "flush-l1d") == 0, skipped.buf);
	CHECK_MSG(strstr(sb.buf, "<!-- libvirt's cpu_map (built-in libvirt 9.0 (Debian 12)) has no name "
			 "for: flush-l1d;") && !strstr(sb.buf, "name='flush-l1d'"), sb.buf);
	/* KVM's guest set: none of what KVM masks out; the cut names it,
	 * and the QEMU form neither adds nor keeps it. */
	CHECK(!cpuid_fset_has(&cpuid_guest_kvm, fidx("monitor")) &&
	      !cpuid_fset_has(&cpuid_guest_kvm, fidx("ds")) &&
	      !cpuid_fset_has(&cpuid_guest_kvm, fidx("acpi")) &&
	      cpuid_fset_has(&cpuid_guest_kvm, fidx("avx2")) &&
	      cpuid_fset_has(&cpuid_guest_kvm, fidx("arch-capabilities")));
	{
		struct cpuid_featureset cut;

		CHECK(cpuid_policy_parse("core2duo,+ds,+pcid", &host, p, &err) == 0);
		cpuid_policy_cut(p, &cpuid_guest_kvm, &cut);
		CHECK(cpuid_fset_has(&cut, fidx("monitor")) && cpuid_fset_has(&cut, fidx("ds")) &&
		      !cpuid_fset_has(&cut, fidx("pcid")) && !cpuid_fset_has(&p->result, fidx("ds")));
		strbuf_reset(&sb);
		CHECK(cpuid_policy_emit(p, CPUID_FOR_QEMU, NULL, &sb, &skipped, &err) == 0);
		CHECK_MSG(strcmp(sb.buf, "-cpu core2duo-v1,+pcid,-monitor,-acpi") == 0, sb.buf);
		CHECK(cpuid_policy_parse("host,+monitor,-acpi,-avx2", &host, p, &err) == 0);
		cpuid_policy_cut(p, &cpuid_guest_kvm, &cut);
		strbuf_reset(&sb);
		CHECK(cpuid_policy_emit(p, CPUID_FOR_QEMU, NULL, &sb, &skipped, &err) == 0);
		CHECK_MSG(strncmp(sb.buf, "-cpu host,-avx2,", 16) == 0 && !strstr(sb.buf, "monitor") &&
			  !strstr(sb.buf, "acpi"), sb.buf);
	}
	cpuid_lvmap_release(&lv);
	hv_diags_release(&d);
	hv_diags_release(&err);
	strbuf_release(&sb);
	strbuf_release(&skipped);
	free(p);
}

static void test_baseline(void)
{
	static const char *const files[] = {
		TEST_DATA_DIR "/cpuid/libvirt/x86_64-cpuid-Xeon-Platinum-8268.xml",
		TEST_DATA_DIR "/cpuid/libvirt/x86_64-cpuid-Xeon-Gold-6130.xml",
		TEST_DATA_DIR "/cpuid/libvirt/x86_64-cpuid-EPYC-7601-32-Core.xml",
	};
	struct cpuid_featureset fs[3], gold_mig;
	struct cpuid_summary sums[3];
	struct cpuid_baseline *b = malloc(sizeof(*b));
	struct hv_diags err = HV_DIAGS_INIT;

	for (size_t i = 0; i < 3; i++) {
		struct cpuid_data c = CPUID_DATA_INIT;
		struct hv_diags d = HV_DIAGS_INIT;

		CHECK(cpuid_read_file(files[i], &c, &d) == 0);
		cpuid_data_features(&c, &fs[i]);
		cpuid_summarize(&c, &sums[i]);
		cpuid_data_release(&c);
		hv_diags_release(&d);
	}
	/* Cascade Lake + Skylake: Skylake's features, libvirt's model. */
	CHECK(cpuid_baseline(fs, sums, 2, b, &err) == 0);
	CHECK_MSG(strcmp(b->match.model->name, "Skylake-Server-v2") == 0, b->match.model->name);
	CHECK(b->match.nminus == 0 && b->limiter == 1);
	gold_mig = fs[1];
	cpuid_fset_migratable(&gold_mig);
	CHECK(memcmp(&b->common, &gold_mig, sizeof(gold_mig)) == 0);
	CHECK(cpuid_fset_has(&b->all, fidx("avx512vnni")) &&
	      !cpuid_fset_has(&b->common, fidx("avx512vnni")));
	/* One host is its own baseline; no hosts and mixed vendors fail. */
	CHECK(cpuid_baseline(fs + 1, sums + 1, 1, b, &err) == 0);
	CHECK(cpuid_baseline(fs, sums, 0, b, &err) == -EINVAL);
	CHECK(cpuid_baseline(fs + 1, sums + 1, 2, b, &err) == -EINVAL);
	CHECK_MSG(strstr(last_error(&err), "vendor") != NULL, last_error(&err));
	/* The usual culprits. */
	CHECK(strstr(cpuid_feature_culprit(fidx("rtm")), "TSX") != NULL);
	CHECK(strstr(cpuid_feature_culprit(fidx("md-clear")), "microcode") != NULL);
	CHECK(strstr(cpuid_feature_culprit(fidx("psdp-no")), "ARCH_CAPABILITIES") != NULL);
	CHECK(cpuid_feature_culprit(fidx("avx2")) == NULL);
	free(b);
	hv_diags_release(&err);
}

/* libvirt's cpu_map: what a map document defines, and each refusal. */
static void test_lvmap(void)
{
	static const char *const good =
		"<cpus><vendor name='Intel' string='GenuineIntel'/>\n"
		"<feature name='fpu'><cpuid eax_in='0x01' edx='0x00000001'/></feature>\n"
		"<feature name='avx2'><alias name='x' source='qemu'/>"
		"<cpuid eax_in='0x07' ecx_in='0x00' ebx='0x00000020'/></feature>\n"
		"<feature name='rdctl-no'><msr index='0x10a' edx='0x0' eax='0x1'/></feature>\n"
		"<feature name='two'><cpuid eax_in='0x01' ecx='0x3'/></feature>\n"
		"<model name='A'><signature family='6' model='85'/><vendor name='Intel'/>"
		"<feature name='fpu'/><feature name='two'/></model>\n"
		"<model name='B'><model name='A'/><feature name='avx2'/><feature name='rdctl-no'/>"
		"<feature name='fpu' removed='yes'/></model></cpus>";
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "<cpu/>", "m:1: expected libvirt's <cpus>, found <cpu>" },
		{ "<cpus>\n<model name='A'><feature name='nope'/></model></cpus>",
		  "m:2: model 'A': unknown feature 'nope'" },
		{ "<cpus><model name='A'/>\n<model name='A'/></cpus>", "m:2: model 'A' defined twice" },
		{ "<cpus><model name='B'><model name='A'/></model></cpus>",
		  "m:1: model 'B' starts from 'A', which is not defined before it" },
		{ "<cpus><model name='B'><vendor name='X'/></model></cpus>", "m:1: model 'B': unknown vendor 'X'" },
		{ "<cpus><feature name='f'><cpuid eax_in='0x1' ecx='0xg'/></feature></cpus>",
		  "m:1: <cpuid ecx='0xg'>: not a hex number" },
		{ "<cpus><feature name='f'><cpuid ecx='0x1'/></feature></cpus>",
		  "m:1: <cpuid> of feature 'f' needs a 32-bit eax_in" },
		{ "<cpus><feature name='f'><cpuid eax_in='1'/></feature></cpus>",
		  "m:1: feature 'f' has no CPUID or MSR bit" },
		{ "<cpus><feature name='a b'/></cpus>",
		  "m:1: <feature name='a b'>: a name of 1 to 64 printable characters is needed" },
		{ "<cpus><vendor name='V' string='short'/></cpus>",
		  "m:1: vendor 'V': string='short' is not 12 characters" },
	};
	struct cpuid_lvmap m;
	struct hv_diags d = HV_DIAGS_INIT;
	const struct cpuid_lvmodel *a, *b;

	memset(&m, 0, sizeof(m));
	CHECK_INT(cpuid_lvmap_add(&m, good, strlen(good), "m", &d), 0);
	a = cpuid_lvmap_model(&m, "A");
	b = cpuid_lvmap_model(&m, "B");
	CHECK(a && b && a->vendor == CPUID_VENDOR_INTEL && a->family == 6 && a->model == 85);
	CHECK(a && cpuid_fset_count(&a->features) == 1 && cpuid_fset_has(&a->features, fidx("fpu")));
	CHECK_STR(a ? a->unknown : "", "two");
	/* B starts from A, adds avx2 and an MSR bit; removed='yes' adds
	 * nothing (and, as in libvirt, takes nothing from the parent) */
	CHECK(b && cpuid_fset_count(&b->features) == 3 && cpuid_fset_has(&b->features, fidx("avx2")) &&
	      cpuid_fset_has(&b->features, fidx("rdctl-no")) && b->vendor == CPUID_VENDOR_INTEL);
	CHECK_STR(b ? b->unknown : "", "two");
	CHECK_STR(m.names[fidx("avx2")], "avx2");
	CHECK(!m.names[fidx("sse2")] && !cpuid_fset_has(&m.known, fidx("sse2")));
	cpuid_lvmap_release(&m);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&m, 0, sizeof(m));
		hv_diags_release(&d);
		CHECK_INT(cpuid_lvmap_add(&m, bad[i].in, strlen(bad[i].in), "m", &d), -EINVAL);
		CHECK_STR(last_msg(&d), bad[i].msg);
		cpuid_lvmap_release(&m);
	}
	hv_diags_release(&d);
	/* The built-in copy is libvirt 9.0's: 58 x86 models, 212 features. */
	CHECK_INT(cpuid_lvmap_load("builtin", &m, &d), 0);
	CHECK_INT((int)m.nmodels, 58);
	CHECK_INT((int)cpuid_fset_count(&m.known), 212);
	CHECK_STR(m.source, "built-in libvirt 9.0 (Debian 12)");
	cpuid_lvmap_release(&m);
	CHECK_INT(cpuid_lvmap_load("/nonexistent", &m, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "cannot open '/nonexistent/index.xml': No such file or directory");
	hv_diags_release(&d);
}

/* QEMU's -cpu help: its models and the properties it has. */
static void test_qemu_help(void)
{
	static const char help[] =
		"Available CPUs:\n"
		"x86 486                   (alias configured by machine type)\n"
		"x86 Skylake-Server-v4     Intel Xeon Processor (Skylake, IBRS, no TSX)\n"
		"x86 Icelake-Server-v6     Intel Xeon Processor (Icelake) [taa-no]\n"
		"\n"
		"Recognized CPUID flags:\n"
		"  avx2 sse4.1 tsc-adjust not-a-flag\n"
		"  fpu\n"
		"\n";
	struct cpuid_qemu q;
	struct hv_diags d = HV_DIAGS_INIT;
	const struct cpuid_model *icx = cpuid_model_lookup("Icelake-Server-v6");

	memset(&q, 0, sizeof(q));
	CHECK_INT(cpuid_qemu_parse_help(help, sizeof(help) - 1, "h", &q, &d), 0);
	CHECK_INT((int)q.nmodels, 3);
	CHECK(cpuid_qemu_has_model(&q, "skylake-server-v4") && !cpuid_qemu_has_model(&q, "GraniteRapids-v1"));
	CHECK(cpuid_fset_has(&q.flags, fidx("avx2")) && cpuid_fset_has(&q.flags, fidx("sse4.1")) &&
	      cpuid_fset_has(&q.flags, fidx("tsc-adjust")) && cpuid_fset_has(&q.flags, fidx("fpu")) &&
	      !cpuid_fset_has(&q.flags, fidx("avx512f")));
	/* GraniteRapids-v1 fits best as Icelake-Server-v6 of these */
	CHECK(cpuid_qemu_best_model(&q, &cpuid_model_lookup("GraniteRapids-v1")->features,
				    CPUID_VENDOR_INTEL, true) == icx);
	CHECK(cpuid_qemu_best_model(&q, &cpuid_model_lookup("Westmere-v1")->features,
				    CPUID_VENDOR_INTEL, true) == NULL);
	CHECK(cpuid_qemu_best_model(&q, &cpuid_model_lookup("Westmere-v1")->features,
				    CPUID_VENDOR_INTEL, false) != NULL);
	cpuid_qemu_release(&q);
	CHECK_INT(cpuid_qemu_parse_help("nothing\n", 8, "h", &q, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "h: no x86 CPU model listed (not `qemu-system-x86_64 -cpu help` output)");
	cpuid_qemu_release(&q);
	hv_diags_release(&d);
}

int main(void)
{
	test_names();
	test_data();
	test_text_errors();
	test_pu_truncated();
	test_cpuinfo_stepping();
	test_libvirt_errors();
	test_lvmap();
	test_qemu_help();
	test_fixture();
	test_models();
	test_policy();
	test_baseline();
	return CHECK_DONE();
}
