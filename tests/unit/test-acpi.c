/* SPDX-License-Identifier: MIT */
/* Unit tests for the ACPI table decoders; expected values from iasl -d. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "check.h"

#define ACPI_DIR TEST_DATA_DIR "/acpi/"

/* The last diagnostic recorded, or "" when none. */
static const char *last_msg(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static uint8_t *load(const char *machine, const char *file, size_t *len)
{
	char path[512];
	uint8_t *p;

	snprintf(path, sizeof(path), ACPI_DIR "%s/%s", machine, file);
	p = check_slurp(path, len);
	if (!p) {
		fprintf(stderr, "cannot read '%s'\n", path);
		check_failures++;
	}
	return p;
}

/* ---- expectations per machine ---- */

struct mem_exp {
	uint32_t domain;
	uint64_t base, length;
	bool enabled;
};

struct cpu_exp {
	uint32_t domain, apic_id;
	bool enabled;
};

struct madt_exp {
	uint32_t uid, apic_id;
	bool enabled;
};

struct machine {
	const char *name;
	unsigned srat_rev;
	size_t ncpus;
	size_t cpus_per_domain[5];	/* SRAT CPU entries in domains 0..4 */
	size_t enabled_per_domain[5];
	struct cpu_exp first_cpus[4];
	size_t nmems;
	struct mem_exp mems[10];
	uint64_t slit_n;
	uint8_t slit[25];
	uint8_t mcfg_bus_end;
	size_t madt_ncpus, madt_enabled;
	unsigned nioapics;
	struct madt_exp first_madt[4];
	size_t nssdt;
};

static const struct machine machines[] = {
	{
		.name = "Dell-PowerEdge-R820",
		.srat_rev = 1,
		.ncpus = 96,
		.cpus_per_domain = { 16, 20, 20, 20, 20 },
		.enabled_per_domain = { 0, 20, 20, 20, 20 },
		.first_cpus = { { 1, 0x00, 1 }, { 2, 0x20, 1 }, { 3, 0x40, 1 }, { 4, 0x60, 1 } },
		.nmems = 10,
		.mems = {
			{ 1, 0x0000000000000000ull, 0x0000000440000000ull, 1 },
			{ 2, 0x0000000440000000ull, 0x0000000400000000ull, 1 },
			{ 3, 0x0000000840000000ull, 0x0000000400000000ull, 1 },
			{ 4, 0x0000000C40000000ull, 0x0000000400000000ull, 1 },
			{ 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
			{ 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
		},
		.slit_n = 5,
		.slit = {
			0x0A, 0x14, 0x14, 0x14, 0x14,
			0x14, 0x0A, 0x14, 0x1E, 0x14,
			0x14, 0x14, 0x0A, 0x14, 0x1E,
			0x14, 0x1E, 0x14, 0x0A, 0x14,
			0x14, 0x14, 0x1E, 0x14, 0x0A,
		},
		.mcfg_bus_end = 0xFF,
		.madt_ncpus = 96,
		.madt_enabled = 80,
		.nioapics = 5,
		.first_madt = { { 0x01, 0x00, 1 }, { 0x02, 0x20, 1 }, { 0x03, 0x40, 1 }, { 0x04, 0x60, 1 } },
		.nssdt = 1,
	},
	{
		.name = "Hewlett-Packard-ProLiant-DL360-G7",
		.srat_rev = 1,
		.ncpus = 64,
		.cpus_per_domain = { 56, 8 },
		.enabled_per_domain = { 8, 8 },
		.first_cpus = { { 0, 0x00, 1 }, { 0, 0x01, 1 }, { 0, 0x02, 1 }, { 0, 0x03, 1 } },
		.nmems = 8,
		.mems = {
			{ 0, 0x0000000000000000ull, 0x00000000E0000000ull, 1 },
			{ 0, 0x00000000E0000000ull, 0x0000000020000000ull, 0 },
			{ 0, 0x0000000100000000ull, 0x0000001720000000ull, 1 },
			{ 1, 0x0000001820000000ull, 0x0000001800000000ull, 1 },
			{ 0, 0x0000003020000000ull, 0, 0 },
			{ 0, 0x0000003020000000ull, 0, 0 },
			{ 0, 0x0000003020000000ull, 0, 0 },
			{ 0, 0x0000003020000000ull, 0, 0 },
		},
		.slit_n = 0,	/* no SLIT */
		.mcfg_bus_end = 0x3F,
		.madt_ncpus = 32,
		.madt_enabled = 16,
		.nioapics = 2,
		.first_madt = { { 0x00, 0x00, 1 }, { 0x10, 0x20, 1 }, { 0x08, 0x10, 0 }, { 0x18, 0x30, 0 } },
		.nssdt = 5,
	},
	{
		.name = "Supermicro-H8DGU",
		.srat_rev = 2,
		.ncpus = 24,
		.cpus_per_domain = { 6, 6, 6, 6 },
		.enabled_per_domain = { 6, 6, 6, 6 },
		.first_cpus = { { 0, 0x10, 1 }, { 0, 0x11, 1 }, { 0, 0x12, 1 }, { 0, 0x13, 1 } },
		.nmems = 4,
		.mems = {
			{ 0, 0x0000000000000000ull, 0x00000000000A0000ull, 1 },
			{ 0, 0x0000000000100000ull, 0x00000000DFF00000ull, 1 },
			{ 0, 0x0000000100000000ull, 0x0000000820000000ull, 1 },
			{ 3, 0x0000000920000000ull, 0x0000000900000000ull, 1 },
		},
		.slit_n = 4,
		.slit = {
			0x0A, 0x10, 0x10, 0x10,
			0x10, 0x0A, 0x10, 0x10,
			0x10, 0x10, 0x0A, 0x10,
			0x10, 0x10, 0x10, 0x0A,
		},
		.mcfg_bus_end = 0xFF,
		.madt_ncpus = 32,
		.madt_enabled = 24,
		.nioapics = 2,
		.first_madt = { { 0x01, 0x10, 1 }, { 0x02, 0x11, 1 }, { 0x03, 0x12, 1 }, { 0x04, 0x13, 1 } },
		.nssdt = 1,
	},
	{
		.name = "Supermicro-X8DTT",
		.srat_rev = 1,
		.ncpus = 16,
		.cpus_per_domain = { 8, 8 },
		.enabled_per_domain = { 8, 8 },
		.first_cpus = { { 0, 0x00, 1 }, { 0, 0x02, 1 }, { 0, 0x12, 1 }, { 0, 0x14, 1 } },
		.nmems = 4,
		.mems = {
			{ 0, 0x0000000000000000ull, 0x00000000000A0000ull, 1 },
			{ 0, 0x0000000000100000ull, 0x00000000BFF00000ull, 1 },
			{ 0, 0x0000000100000000ull, 0x0000000540000000ull, 1 },
			{ 1, 0x0000000640000000ull, 0x0000000600000000ull, 1 },
		},
		.slit_n = 2,
		.slit = { 0x0A, 0x15, 0x15, 0x0A },
		.mcfg_bus_end = 0xFF,
		.madt_ncpus = 24,
		.madt_enabled = 16,
		.nioapics = 2,
		.first_madt = { { 0x01, 0x00, 1 }, { 0x02, 0x02, 1 }, { 0x03, 0x12, 1 }, { 0x04, 0x14, 1 } },
		.nssdt = 3,
	},
};

static void test_srat(const struct machine *m)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_srat s;
	size_t len, per[5] = { 0 }, en[5] = { 0 };
	uint8_t *p = load(m->name, "srat.dat", &len);

	if (!p)
		return;
	CHECK_INT(acpi_parse_srat(p, len, &s, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(s.revision, m->srat_rev);
	CHECK_INT(s.ncpus, m->ncpus);
	CHECK_INT(s.nother, 0);
	CHECK_INT(s.ngeneric_initiators, 0);
	for (size_t i = 0; i < s.ncpus; i++) {
		CHECK(!s.cpus[i].x2apic && !s.cpus[i].gicc);
		CHECK_INT(s.cpus[i].clock_domain, 0);
		CHECK(s.cpus[i].domain < 5);
		if (s.cpus[i].domain < 5) {
			per[s.cpus[i].domain]++;
			en[s.cpus[i].domain] += s.cpus[i].enabled;
		}
	}
	for (size_t i = 0; i < 5; i++) {
		CHECK_INT(per[i], m->cpus_per_domain[i]);
		CHECK_INT(en[i], m->enabled_per_domain[i]);
	}
	for (size_t i = 0; i < 4 && i < s.ncpus; i++) {
		CHECK_INT(s.cpus[i].domain, m->first_cpus[i].domain);
		CHECK_INT(s.cpus[i].apic_id, m->first_cpus[i].apic_id);
		CHECK_INT(s.cpus[i].enabled, m->first_cpus[i].enabled);
	}
	CHECK_INT(s.nmems, m->nmems);
	for (size_t i = 0; i < m->nmems && i < s.nmems; i++) {
		CHECK_INT(s.mems[i].domain, m->mems[i].domain);
		CHECK(s.mems[i].base == m->mems[i].base);
		CHECK(s.mems[i].length == m->mems[i].length);
		CHECK_INT(s.mems[i].enabled, m->mems[i].enabled);
		CHECK(!s.mems[i].hotplug && !s.mems[i].nonvolatile);
	}
	acpi_srat_release(&s);
	CHECK(s.cpus == NULL && s.ncpus == 0 && s.mems == NULL);
	hv_diags_release(&d);
	free(p);
}

static void test_slit(const struct machine *m)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_slit s;
	size_t len;
	uint8_t *p;

	if (m->slit_n == 0)
		return;
	p = load(m->name, "slit.dat", &len);
	if (!p)
		return;
	CHECK_INT(acpi_parse_slit(p, len, &s, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(s.n, m->slit_n);
	if (s.n == m->slit_n)
		CHECK(memcmp(s.m, m->slit, s.n * s.n) == 0);
	acpi_slit_release(&s);
	hv_diags_release(&d);
	free(p);
}

static void test_mcfg(const struct machine *m)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_mcfg c;
	size_t len;
	uint8_t *p = load(m->name, "mcfg.dat", &len);

	if (!p)
		return;
	CHECK_INT(acpi_parse_mcfg(p, len, &c, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK(c.v[0].base == 0xE0000000ull);
		CHECK_INT(c.v[0].segment, 0);
		CHECK_INT(c.v[0].bus_start, 0);
		CHECK_INT(c.v[0].bus_end, m->mcfg_bus_end);
	}
	acpi_mcfg_release(&c);
	hv_diags_release(&d);
	free(p);
}

static void test_madt(const struct machine *m)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_madt a;
	size_t len, en = 0;
	uint8_t *p = load(m->name, "apic.dat", &len);

	if (!p)
		return;
	CHECK_INT(acpi_parse_madt(p, len, &a, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(a.lapic_addr, 0xFEE00000u);
	CHECK_INT(a.flags, 1);
	CHECK_INT(a.ncpus, m->madt_ncpus);
	CHECK_INT(a.nioapics, m->nioapics);
	for (size_t i = 0; i < a.ncpus; i++) {
		en += a.cpus[i].enabled;
		CHECK(!a.cpus[i].x2apic && !a.cpus[i].online_capable);
	}
	CHECK_INT(en, m->madt_enabled);
	for (size_t i = 0; i < 4 && i < a.ncpus; i++) {
		CHECK_INT(a.cpus[i].uid, m->first_madt[i].uid);
		CHECK_INT(a.cpus[i].apic_id, m->first_madt[i].apic_id);
		CHECK_INT(a.cpus[i].enabled, m->first_madt[i].enabled);
	}
	acpi_madt_release(&a);
	hv_diags_release(&d);
	free(p);
}

/* The tables in acpidump.txt equal the files acpixtract wrote. */
static void test_acpidump(const struct machine *m)
{
	static const struct {
		const char *sig, *file;
	} files[] = {
		{ "SRAT", "srat.dat" }, { "SLIT", "slit.dat" },
		{ "MCFG", "mcfg.dat" }, { "APIC", "apic.dat" },
	};
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_tables t;
	size_t len, nssdt = 0;
	char *text = (char *)load(m->name, "acpidump.txt", &len);

	if (!text)
		return;
	CHECK_INT(acpi_parse_acpidump_text(text, len, &t, &d), 0);
	CHECK_INT(d.n, 0);
	for (size_t i = 0; i < t.n; i++)
		nssdt += strcmp(t.v[i].sig, "SSDT") == 0;
	CHECK_INT(nssdt, m->nssdt);
	CHECK(acpi_tables_find(&t, "DSDT") != NULL);
	CHECK(acpi_tables_find(&t, "HMAT") == NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const struct acpi_table *tab = acpi_tables_find(&t, files[i].sig);
		size_t flen;
		uint8_t *f;

		if (m->slit_n == 0 && strcmp(files[i].sig, "SLIT") == 0) {
			CHECK(tab == NULL);
			continue;
		}
		f = load(m->name, files[i].file, &flen);
		CHECK(tab != NULL);
		if (tab && f) {
			CHECK_INT(tab->len, flen);
			CHECK(tab->len == flen && memcmp(tab->data, f, flen) == 0);
			CHECK_INT(acpi_check_header(tab->data, tab->len, files[i].sig, &d), 0);
		}
		free(f);
	}
	CHECK_INT(d.n, 0);
	acpi_tables_release(&t);
	CHECK(t.v == NULL && t.n == 0);
	hv_diags_release(&d);
	free(text);
}

/* ---- HMAT (synthetic table compiled by iasl) ---- */

static void test_hmat(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_hmat h;
	size_t len;
	uint8_t *p = load("synthetic", "hmat.dat", &len);

	if (!p)
		return;
	CHECK_INT(acpi_parse_hmat(p, len, &h, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(h.revision, 2);
	CHECK_INT(h.nmpdas, 1);
	if (h.nmpdas == 1) {
		CHECK(h.mpdas[0].initiator_valid);
		CHECK_INT(h.mpdas[0].initiator, 0);
		CHECK_INT(h.mpdas[0].memory, 2);
	}
	/* 2 x 2 access latencies in units of 1000 ps, one 0 (not given);
	 * one access bandwidth of 400 x 100 MB/s. */
	CHECK_INT(h.nlb, 4);
	if (h.nlb == 4) {
		static const struct acpi_hmat_lb exp[4] = {
			{ ACPI_HMAT_ACCESS_LATENCY, 0, 0, 0, 10 },
			{ ACPI_HMAT_ACCESS_LATENCY, 0, 0, 2, 20 },
			{ ACPI_HMAT_ACCESS_LATENCY, 0, 1, 0, 21 },
			{ ACPI_HMAT_ACCESS_BANDWIDTH, 0, 1, 2, 40000 },
		};

		for (size_t i = 0; i < 4; i++) {
			CHECK_INT(h.lb[i].data_type, exp[i].data_type);
			CHECK_INT(h.lb[i].hierarchy, exp[i].hierarchy);
			CHECK_INT(h.lb[i].initiator, exp[i].initiator);
			CHECK_INT(h.lb[i].target, exp[i].target);
			CHECK_INT(h.lb[i].value, exp[i].value);
		}
	}
	CHECK_INT(h.ncaches, 1);
	if (h.ncaches == 1) {
		CHECK_INT(h.caches[0].domain, 2);
		CHECK(h.caches[0].size == 0x40000000ull);
		CHECK_INT(h.caches[0].level, 1);
		CHECK_INT(h.caches[0].associativity, 2);
		CHECK_INT(h.caches[0].write_policy, 1);
		CHECK_INT(h.caches[0].line_size, 64);
	}
	acpi_hmat_release(&h);

	/* A latency structure claiming more entries than its length holds. */
	p[0x5C] = 3;	/* initiator count of the first one: 2 -> 3 */
	memset(&h, 0xff, sizeof(h));
	CHECK_INT(acpi_parse_hmat(p, len, &h, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "HMAT: latency and bandwidth structure at offset 0x50 needs 64 bytes for 3 x 2 entries, its length is 56");
	CHECK(h.lb == NULL && h.nlb == 0 && h.caches == NULL && h.mpdas == NULL);
	p[0x5C] = 2;

	/* A structure length of 0 ends the walk. */
	p[0x54] = 0;
	CHECK_INT(acpi_parse_hmat(p, len, &h, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "HMAT: subtable at offset 0x50 (type 1) has length 0, too short");
	CHECK(h.lb == NULL && h.nlb == 0);
	hv_diags_release(&d);
	free(p);
}

/* ---- error paths ---- */

static void test_errors(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_srat s;
	struct acpi_slit sl;
	struct acpi_madt a;
	struct acpi_mcfg c;
	size_t len, slen, alen;
	uint8_t *p = load("Supermicro-X8DTT", "srat.dat", &len);
	uint8_t *sp = load("Supermicro-X8DTT", "slit.dat", &slen);
	uint8_t *ap = load("Supermicro-X8DTT", "apic.dat", &alen);

	if (!p || !sp || !ap)
		goto out;

	/* The length field exceeds the buffer. */
	memset(&s, 0xff, sizeof(s));
	CHECK_INT(acpi_parse_srat(p, len - 1, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: length field 464 at offset 4 exceeds the 463 bytes available");
	CHECK(s.cpus == NULL && s.ncpus == 0 && s.mems == NULL && s.nmems == 0);

	/* Shorter than a header; no buffer at all. */
	CHECK_INT(acpi_parse_srat(p, 35, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: table is 35 bytes, shorter than the 36-byte header");
	CHECK_INT(acpi_parse_srat(NULL, 0, &s, &d), -EINVAL);

	/* Wrong signature. */
	CHECK_INT(acpi_parse_srat(sp, slen, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: wrong signature 'SLIT' at offset 0");
	CHECK_INT(acpi_parse_madt(p, len, &a, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "APIC: wrong signature 'SRAT' at offset 0");
	CHECK_INT(acpi_check_header(p, len, NULL, &d), 0);

	/* A checksum mismatch is only a warning. */
	hv_diags_release(&d);
	p[9] ^= 1;
	CHECK_INT(acpi_parse_srat(p, len, &s, &d), 0);
	CHECK_INT(d.n, 1);
	CHECK_INT(d.v[0].level, HV_DIAG_WARN);
	CHECK_STR(last_msg(&d), "SRAT: checksum at offset 9 is off by 0x01, ignoring");
	CHECK_INT(s.ncpus, 16);
	acpi_srat_release(&s);
	p[9] ^= 1;

	/* A subtable of length 0 must end the walk, not loop. */
	p[0x31] = 0;
	CHECK_INT(acpi_parse_srat(p, len, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: subtable at offset 0x30 (type 0) has length 0, too short");
	CHECK(s.cpus == NULL && s.ncpus == 0);
	/* Too short for its type. */
	p[0x31] = 8;
	CHECK_INT(acpi_parse_srat(p, len, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: processor local APIC affinity subtable at offset 0x30 has length 8, expected at least 16");
	p[0x31] = 16;
	/* The last subtable (memory, at 0x1a8) runs past the table. */
	p[0x1a9] = 41;
	CHECK_INT(acpi_parse_srat(p, len, &s, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SRAT: subtable at offset 0x1a8 (type 1, length 41) runs past the end of the table at 0x1d0");
	CHECK(s.cpus == NULL && s.mems == NULL);
	p[0x1a9] = 40;

	/* MADT: a zero-length subtable after the first CPU. */
	ap[0x35] = 0;
	memset(&a, 0xff, sizeof(a));
	CHECK_INT(acpi_parse_madt(ap, alen, &a, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "APIC: subtable at offset 0x34 (type 0) has length 0, too short");
	CHECK(a.cpus == NULL && a.ncpus == 0);

	/* SLIT: n * n must fit in the table; n is capped. */
	sp[36] = 3;
	memset(&sl, 0xff, sizeof(sl));
	CHECK_INT(acpi_parse_slit(sp, slen, &sl, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SLIT: 3 x 3 matrix at offset 44 needs 9 bytes, the table has 4");
	CHECK(sl.m == NULL && sl.n == 0);
	sp[36] = 0;
	sp[43] = 0x80;	/* n = 2^63: n * n would wrap */
	CHECK_INT(acpi_parse_slit(sp, slen, &sl, &d), -EINVAL);
	CHECK_STR(last_msg(&d), "SLIT: locality count 9223372036854775808 at offset 36 exceeds 4096");
	sp[43] = 0;
	sp[36] = 2;

	/* MCFG: trailing bytes warn. */
	hv_diags_release(&d);
	{
		uint8_t *mp = load("Supermicro-X8DTT", "mcfg.dat", &len);

		if (mp) {
			mp[4] = 0x3c - 4;
			CHECK_INT(acpi_parse_mcfg(mp, len, &c, &d), 0);
			CHECK_INT(c.n, 0);
			CHECK_STR(last_msg(&d), "MCFG: 12 trailing bytes at offset 0x2c, ignoring");
			acpi_mcfg_release(&c);
			free(mp);
		}
	}
out:
	hv_diags_release(&d);
	free(p);
	free(sp);
	free(ap);
}

/*
 * Parses text that holds no whole table: it must fail, with first the
 * warning msg (why a table was dropped, or the stray lines) and last
 * the error last.
 */
static void dump_err2(const char *text, size_t len, const char *msg,
		      const char *last)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_tables t;

	memset(&t, 0xff, sizeof(t));
	CHECK_INT(acpi_parse_acpidump_text(text, len, &t, &d), -EINVAL);
	CHECK_STR(d.n ? d.v[0].msg : "", msg);
	CHECK_STR(last_msg(&d), last);
	CHECK(t.v == NULL && t.n == 0);
	hv_diags_release(&d);
}

static void dump_err(const char *text, size_t len, const char *msg)
{
	dump_err2(text, len, msg, "no whole ACPI table in acpidump text");
}

/* Parses a string literal that must fail with msg. */
#define DUMP_ERR(lit, msg) dump_err(lit, sizeof(lit) - 1, msg)

#define SLIT_L1 "    0000: 53 4C 49 54 30 00 00 00 01 AF 31 30 32 38 31 31  SLIT0.....102811\n"
#define SLIT_L2 "    0010: 4F 45 4D 53 4C 49 54 20 28 10 11 20 4D 53 46 54  OEMSLIT (.. MSFT\n"
#define SLIT_L3 "    0020: 97 00 00 00 02 00 00 00 00 00 00 00 0A 15 15 0A  ................\n"

static void test_acpidump_errors(void)
{
	static const char good[] = "\nSLIT @ 0x0000000000000000\n" SLIT_L1 SLIT_L2 SLIT_L3 "\n";
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_tables t;
	size_t len;
	char *text;

	/* The small well-formed dump parses. */
	CHECK_INT(acpi_parse_acpidump_text(good, strlen(good), &t, &d), 0);
	CHECK_INT(t.n, 1);
	if (t.n == 1) {
		CHECK_STR(t.v[0].sig, "SLIT");
		CHECK_INT(t.v[0].len, 48);
	}
	acpi_tables_release(&t);
	hv_diags_release(&d);

	dump_err2("", 0, "no ACPI tables found in acpidump text",
		  "no ACPI tables found in acpidump text");
	dump_err2("\n  \n\r\n", 5, "no ACPI tables found in acpidump text",
		  "no ACPI tables found in acpidump text");
	dump_err2(NULL, 0, "no ACPI tables found in acpidump text",
		  "no ACPI tables found in acpidump text");
	/* Truncated in the middle of a byte. */
	DUMP_ERR("SLIT @ 0x0\n" SLIT_L1 SLIT_L2 "    0020: 97 0",
		 "line 4: malformed hex data at column 13, ignoring table 'SLIT'");
	/* Truncated at a byte boundary: the length field disagrees. */
	DUMP_ERR("SLIT @ 0x0\n" SLIT_L1 SLIT_L2 "    0020: 97 00 00 00\n",
		 "line 1: table 'SLIT' has 36 bytes of hex data but its length field says 48, ignoring table 'SLIT'");
	/* A line missing in the middle. */
	DUMP_ERR("SLIT @ 0x0\n" SLIT_L1 SLIT_L3,
		 "line 3: hex line starts at offset 0x20, expected 0x10, ignoring table 'SLIT'");
	/* Lines that belong to no table are skipped, with one warning. */
	dump_err2(SLIT_L1, sizeof(SLIT_L1) - 1,
		  "line 1: 1 line not part of any table (firmware or kernel messages?), ignoring",
		  "no ACPI tables found in acpidump text");
	DUMP_ERR("SLIT @ 0x0\n    zz: 53\n",
		 "line 1: table 'SLIT' has no hex data, ignoring table 'SLIT'");
	DUMP_ERR("SLIT @ 0x0\n    0000:\n", "line 2: hex line has no data bytes, ignoring table 'SLIT'");
	DUMP_ERR("SLIT @ 0x0\n" SLIT_L1 "garbage\n",
		 "line 1: table 'SLIT' has 16 bytes of hex data but its length field says 48, ignoring table 'SLIT'");
	DUMP_ERR("SLIT @ 0xZZ\n", "line 1: bad table address after '@', ignoring table 'SLIT'");
	DUMP_ERR("SLIT @ 0x0\n\nDSDT @ 0x0\n", "line 1: table 'SLIT' has no hex data, ignoring table 'SLIT'");

	/* A firmware warning between two tables, and one inside a table:
	 * every whole table is kept, the lines are warned about once. */
	{
		static const char warned[] =
			"Firmware Warning (ACPI): Incorrect checksum in table [OEMB] - 0x6E, should be 0x5F (20160108/tbprint-228)\n"
			"SLIT @ 0x0\n" SLIT_L1
			"[    0.000000] ACPI: a kernel line\n"
			SLIT_L2 SLIT_L3 "\n"
			"Firmware Warning (ACPI): Incorrect checksum in table [OEMB] - 0x6E, should be 0x5F (20160108/tbprint-228)\n"
			"SLIT @ 0x0\n" SLIT_L1 SLIT_L2 "    0020: 97 00 00 00\n"
			"SLIT @ 0x0\n" SLIT_L1 SLIT_L2 SLIT_L3;

		CHECK_INT(acpi_parse_acpidump_text(warned, sizeof(warned) - 1, &t, &d), 0);
		CHECK_INT(t.n, 2);
		CHECK_INT(d.n, 2);
		if (d.n == 2) {
			CHECK_STR(d.v[0].msg, "line 9: table 'SLIT' has 36 bytes of hex data but its length field says 48, ignoring table 'SLIT'");
			CHECK_STR(d.v[1].msg, "line 1: 3 lines not part of any table (firmware or kernel messages?), ignoring");
		}
		for (size_t i = 0; i < t.n; i++)
			CHECK_INT(t.v[i].len, 48);
		acpi_tables_release(&t);
		hv_diags_release(&d);
	}

	/* A real dump cut inside a hex line: the tables before it are kept,
	 * the cut one is dropped with a warning that names the line. */
	text = (char *)load("Supermicro-X8DTT", "acpidump.txt", &len);
	if (text) {
		const char *cut = strstr(text, "    0020: 97 00 00 00 02 00 00 00 00 00 00 00 0A 15 15 0A");
		size_t line = 1;

		CHECK(cut != NULL);
		if (cut) {
			char msg[128];

			for (const char *c = text; c < cut; c++)
				line += *c == '\n';
			CHECK_INT(line, 355);
			snprintf(msg, sizeof(msg), "line %zu: malformed hex data at column 40, ignoring table 'SLIT'", line);
			CHECK_INT(acpi_parse_acpidump_text(text, (size_t)(cut - text) + 41, &t, &d), 0);
			CHECK_INT(t.n, 4);	/* SSDT, MCFG, EINJ, APIC */
			CHECK_STR(d.n ? d.v[0].msg : "", msg);
			acpi_tables_release(&t);
			hv_diags_release(&d);
		}
		free(text);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		test_srat(&machines[i]);
		test_slit(&machines[i]);
		test_mcfg(&machines[i]);
		test_madt(&machines[i]);
		test_acpidump(&machines[i]);
	}
	test_hmat();
	test_errors();
	test_acpidump_errors();
	return CHECK_DONE();
}
