/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CPUID readers of QEMU QMP JSON, `xen-cpuid -p`
 * output and libvirt <cpudata> XML, the reader of libvirt's cpu_map
 * files (feature, vendor and model definitions) and of its cache entries,
 * and that of QEMU's
 * `-cpu help` (the models and properties of the installed QEMU).  Whatever a reader accepts must dump
 * and read back to the same values; what the dedicated libvirt reader
 * accepts, the libxml2 reader it replaced must accept too, with the same
 * values and the same warnings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-data.h"
#include "cpuid-decode.h"
#include "cpuid-lvmap.h"
#include "cpuid-qemu.h"
#include "cpuid-source.h"
#include "diag.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The result must survive our dump format and decode without trouble. */
static void check_result(const struct cpuid_data *c)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data back = CPUID_DATA_INIT;
	struct cpuid_summary s;
	struct cpuid_report r;
	struct cpuid_featureset fs;
	struct strbuf sb = STRBUF_INIT;

	cpuid_summarize(c, &s);
	cpuid_decode(c, CPUID_NAMES_LINUX, &r);
	cpuid_report_release(&r);
	cpuid_data_features(c, &fs);
	cpuid_dump(c, &sb);
	if (cpuid_parse_text(sb.buf, sb.len, "dump", &back, &d) != 0 ||
	    !cpuid_data_equal(c, &back))
		abort();	/* the dump must round-trip */
	cpuid_data_release(&back);
	strbuf_release(&sb);
	hv_diags_release(&d);
}

static bool same_diags(const struct hv_diags *a, const struct hv_diags *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].level != b->v[i].level || strcmp(a->v[i].msg, b->v[i].msg) != 0)
			return false;
	return true;
}

/* A cpu_map document: whatever is read holds together (every model
 * feature is a bit the map named; each named bit has one name). */
static void check_lvmap(const char *buf, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_lvmap m;

	memset(&m, 0, sizeof(m));
	(void)cpuid_lvmap_add(&m, buf, size, "fuzz", &d);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			/* the cache entry reader: same invariants */
			cpuid_lvmap_release(&m);
			(void)cpuid_lvmap_read_cache(buf, size, &m);
		}
		for (size_t i = 0; i < m.nmodels; i++)
			for (size_t w = 0; w < CPUID_FSET_WORDS; w++)
				if (m.models[i].features.w[w] & ~m.known.w[w])
					abort();
		for (size_t f = 0; f < cpuid_nfeatures; f++)
			if (cpuid_fset_has(&m.known, f) != (m.names[f] != NULL))
				abort();
	}
	cpuid_lvmap_release(&m);
	hv_diags_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct hv_diags d = HV_DIAGS_INIT, d2 = HV_DIAGS_INIT;
	struct cpuid_data c = CPUID_DATA_INIT, c2 = CPUID_DATA_INIT;
	static const char *const sections[] = { NULL, "host", "pv-default", "domain-1" };

	if (cpuid_parse_qmp(buf, size, "fuzz", &c, &d) == 0)
		check_result(&c);
	cpuid_data_release(&c);
	hv_diags_release(&d);

	(void)cpuid_looks_like_xen(buf, size);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (cpuid_parse_xen(buf, size, "fuzz", sections[i], &c, &d) == 0)
			check_result(&c);
		cpuid_data_release(&c);
		hv_diags_release(&d);
	}

	if (cpuid_parse_libvirt(buf, size, "fuzz", &c, &d) == 0) {
		check_result(&c);
		/* the reader it replaced is the judge */
		if (cpuid_parse_libvirt_xml2(buf, size, "fuzz", &c2, &d2) != 0 ||
		    !cpuid_data_equal(&c, &c2) || !same_diags(&d, &d2))
			abort();
	}
	cpuid_data_release(&c2);
	cpuid_data_release(&c);
	hv_diags_release(&d2);
	hv_diags_release(&d);

	check_lvmap(buf, size);

	{
		struct cpuid_qemu q;

		memset(&q, 0, sizeof(q));
		if (cpuid_qemu_parse_help(buf, size, "fuzz", &q, &d) == 0 &&
		    (!q.nmodels || !cpuid_qemu_has_model(&q, q.models[0])))
			abort();
		cpuid_qemu_release(&q);
		hv_diags_release(&d);
	}
	return 0;
}
