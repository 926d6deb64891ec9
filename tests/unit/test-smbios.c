/* SPDX-License-Identifier: MIT */
/* Unit tests for the SMBIOS decoder, against what dmidecode 3.4 prints. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "smbios.h"

#define GIB (UINT64_C(1) << 30)
#define DIR TEST_DATA_DIR "/smbios/"

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *p = check_slurp(path, len);

	if (!p) {
		fprintf(stderr, "cannot read '%s'\n", path);
		exit(1);
	}
	return p;
}

/* The last diagnostic's text, or "" when there is none. */
static const char *last_msg(const struct hv_diags *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static int last_level(const struct hv_diags *d)
{
	return d->n ? (int)d->v[d->n - 1].level : -1;
}

static bool info_is_zero(const struct smbios_info *i)
{
	static const struct smbios_info zero;

	return memcmp(i, &zero, sizeof(zero)) == 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Field-by-field equality of two decoded tables (entry point aside). */
static bool info_eq(const struct smbios_info *a, const struct smbios_info *b)
{
	bool eq = str_eq(a->bios_vendor, b->bios_vendor) &&
		  str_eq(a->bios_version, b->bios_version) &&
		  str_eq(a->bios_date, b->bios_date) &&
		  str_eq(a->sys_vendor, b->sys_vendor) &&
		  str_eq(a->sys_product, b->sys_product) &&
		  str_eq(a->sys_version, b->sys_version) &&
		  str_eq(a->sys_serial, b->sys_serial) &&
		  str_eq(a->sys_uuid, b->sys_uuid) &&
		  str_eq(a->sys_family, b->sys_family) &&
		  str_eq(a->sys_sku, b->sys_sku) &&
		  str_eq(a->board_vendor, b->board_vendor) &&
		  str_eq(a->board_product, b->board_product) &&
		  str_eq(a->board_version, b->board_version) &&
		  str_eq(a->board_serial, b->board_serial) &&
		  str_eq(a->board_asset_tag, b->board_asset_tag) &&
		  a->nprocs == b->nprocs && a->narrays == b->narrays &&
		  a->ndevs == b->ndevs && a->namaps == b->namaps &&
		  a->ndmaps == b->ndmaps && a->nstructs == b->nstructs;

	for (size_t i = 0; eq && i < a->nprocs; i++) {
		const struct smbios_processor *x = &a->procs[i], *y = &b->procs[i];

		eq = x->handle == y->handle && str_eq(x->socket, y->socket) &&
		     str_eq(x->manufacturer, y->manufacturer) &&
		     str_eq(x->version, y->version) &&
		     str_eq(x->serial, y->serial) &&
		     str_eq(x->asset_tag, y->asset_tag) &&
		     str_eq(x->part_number, y->part_number) &&
		     x->core_count == y->core_count &&
		     x->core_enabled == y->core_enabled &&
		     x->thread_count == y->thread_count &&
		     x->max_speed_mhz == y->max_speed_mhz &&
		     x->current_speed_mhz == y->current_speed_mhz &&
		     x->populated == y->populated;
	}
	for (size_t i = 0; eq && i < a->narrays; i++)
		eq = memcmp(&a->arrays[i], &b->arrays[i], sizeof(a->arrays[i])) == 0;
	for (size_t i = 0; eq && i < a->ndevs; i++) {
		const struct smbios_memdev *x = &a->devs[i], *y = &b->devs[i];

		eq = x->handle == y->handle && x->array_handle == y->array_handle &&
		     x->size_bytes == y->size_bytes &&
		     x->form_factor == y->form_factor && x->type == y->type &&
		     str_eq(x->locator, y->locator) && str_eq(x->bank, y->bank) &&
		     str_eq(x->manufacturer, y->manufacturer) &&
		     str_eq(x->serial, y->serial) &&
		     str_eq(x->asset_tag, y->asset_tag) &&
		     str_eq(x->part_number, y->part_number) &&
		     x->type_detail == y->type_detail &&
		     x->speed_mts == y->speed_mts &&
		     x->configured_speed_mts == y->configured_speed_mts &&
		     x->rank == y->rank && x->total_width == y->total_width &&
		     x->data_width == y->data_width && x->ecc == y->ecc &&
		     x->configured_voltage_mv == y->configured_voltage_mv;
	}
	for (size_t i = 0; eq && i < a->namaps; i++)
		eq = memcmp(&a->amaps[i], &b->amaps[i], sizeof(a->amaps[i])) == 0;
	for (size_t i = 0; eq && i < a->ndmaps; i++)
		eq = memcmp(&a->dmaps[i], &b->dmaps[i], sizeof(a->dmaps[i])) == 0;
	return eq;
}

/* dmidecode --from-dump lenovo-2347A49.dump -t 0,1,2,4,16,17,19,20 */
static void check_lenovo(const struct smbios_info *i)
{
	const struct smbios_memdev *m;

	CHECK_INT(i->nstructs, 69);
	CHECK_STR(i->bios_vendor, "LENOVO");
	CHECK_STR(i->bios_version, "G1ET45WW (1.20 )");
	CHECK_STR(i->bios_date, "08/07/2012");
	CHECK_STR(i->sys_vendor, "LENOVO");
	CHECK_STR(i->sys_product, "2347A49");
	CHECK_STR(i->sys_version, "ThinkPad T430");
	CHECK_STR(i->sys_serial, "PBKGNED");
	CHECK_STR(i->sys_uuid, "b4c3d881-5192-11cb-aa19-e6932635bc8b");
	CHECK_STR(i->sys_sku, "LENOVO_MT_2347");
	CHECK_STR(i->sys_family, "ThinkPad T430");
	CHECK_STR(i->board_vendor, "LENOVO");
	CHECK_STR(i->board_product, "2347A49");
	CHECK_STR(i->board_version, "Not Defined");
	CHECK_STR(i->board_serial, "1ZLMB27R0V2");
	CHECK_STR(i->board_asset_tag, "Not Available");

	CHECK_INT(i->nprocs, 1);
	if (i->nprocs == 1) {
		const struct smbios_processor *c = &i->procs[0];

		CHECK_INT(c->handle, 0x0001);
		CHECK_STR(c->socket, "CPU Socket - U3E1");
		CHECK_STR(c->manufacturer, "Intel(R) Corporation");
		CHECK_STR(c->version, "Intel(R) Core(TM) i5-3320M CPU @ 2.60GHz");
		CHECK_STR(c->serial, "None");
		CHECK_INT(c->core_count, 2);
		CHECK_INT(c->core_enabled, 2);
		CHECK_INT(c->thread_count, 4);
		CHECK_INT(c->max_speed_mhz, 2600);
		CHECK_INT(c->current_speed_mhz, 2600);
		CHECK(c->populated);
	}

	CHECK_INT(i->narrays, 1);
	if (i->narrays == 1) {
		CHECK_INT(i->arrays[0].handle, 0x0007);
		CHECK_STR(i->arrays[0].location, "System Board Or Motherboard");
		CHECK_STR(i->arrays[0].use, "System Memory");
		CHECK_STR(i->arrays[0].ecc, "None");
		CHECK_INT(i->arrays[0].max_capacity_bytes, 16 * GIB);
		CHECK_INT(i->arrays[0].num_devices, 2);
	}

	CHECK_INT(i->ndevs, 2);
	for (size_t k = 0; k < i->ndevs && k < 2; k++) {
		m = &i->devs[k];
		CHECK_INT(m->handle, k ? 0x0009 : 0x0008);
		CHECK_INT(m->array_handle, 0x0007);
		CHECK_INT(m->size_bytes, 4 * GIB);
		CHECK_STR(m->form_factor, "SODIMM");
		CHECK_STR(m->locator, k ? "ChannelB-DIMM0" : "ChannelA-DIMM0");
		CHECK_STR(m->bank, k ? "BANK 2" : "BANK 0");
		CHECK_STR(m->type, "DDR3");
		CHECK_INT(m->type_detail, 0x0080);	/* Synchronous */
		CHECK_INT(m->speed_mts, 1600);
		CHECK_INT(m->configured_speed_mts, 1600);
		CHECK_STR(m->manufacturer, "Hynix/Hyundai");
		CHECK_STR(m->serial, k ? "06C17801" : "06C17867");
		CHECK_STR(m->asset_tag, "None");
		/* dmidecode prints "HMT351S6CFR8C-PB  ": we trim */
		CHECK_STR(m->part_number, "HMT351S6CFR8C-PB");
		CHECK_INT(m->rank, 0);			/* Unknown */
		CHECK_INT(m->total_width, 64);
		CHECK_INT(m->data_width, 64);
		CHECK(!m->ecc);
		CHECK_INT(m->configured_voltage_mv, 0);	/* 2.7: no field */
	}

	CHECK_INT(i->namaps, 1);
	if (i->namaps == 1) {
		CHECK_INT(i->amaps[0].handle, 0x000c);
		CHECK_INT(i->amaps[0].start, 0);
		CHECK_INT(i->amaps[0].end, 0x1ffffffffULL);
		CHECK_INT(i->amaps[0].array_handle, 0x0007);
		CHECK_INT(i->amaps[0].partition_width, 2);
	}

	/* Both type-20 entries name device 0x0008: a firmware slip, kept. */
	CHECK_INT(i->ndmaps, 2);
	for (size_t k = 0; k < i->ndmaps && k < 2; k++) {
		const struct smbios_dev_map *dm = &i->dmaps[k];

		CHECK_INT(dm->handle, k ? 0x000b : 0x000a);
		CHECK_INT(dm->start, 0);
		CHECK_INT(dm->end, 0x1ffffffffULL);
		CHECK_INT(dm->device_handle, 0x0008);
		CHECK_INT(dm->array_map_handle, 0x000c);
		CHECK_INT(dm->row_pos, 1);
		CHECK_INT(dm->interleave_pos, k + 1);
		CHECK_INT(dm->interleave_depth, 2);
	}
}

static void test_lenovo(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info dump, sys;
	struct smbios_ep ep;
	unsigned char *p, *e;
	size_t len, elen;
	int rc;

	/* dmidecode --dump-bin file */
	p = slurp(DIR "lenovo-2347A49.dump", &len);
	rc = smbios_parse_dump(p, len, &dump, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK(dump.have_ep);
	CHECK_INT(dump.ep.major, 2);
	CHECK_INT(dump.ep.minor, 7);
	CHECK_INT(dump.ep.docrev, 0);
	CHECK_INT(dump.ep.table_addr, 0x20);
	CHECK_INT(dump.ep.table_len, 2736);
	CHECK_INT(dump.ep.max_structs, 69);
	CHECK(!dump.ep.is_64bit);
	check_lenovo(&dump);

	/* /sys/firmware/dmi/tables/{smbios_entry_point,DMI} */
	e = slurp(DIR "lenovo-2347A49.sysfs/smbios_entry_point", &elen);
	rc = smbios_parse_entry_point(e, elen, &ep, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(ep.major, 2);
	CHECK_INT(ep.minor, 7);
	CHECK_INT(ep.table_addr, 0xdaa9d000);
	CHECK_INT(ep.table_len, 2736);
	CHECK_INT(ep.max_structs, 69);
	free(p);
	p = slurp(DIR "lenovo-2347A49.sysfs/DMI", &len);
	CHECK_INT(len, ep.table_len);
	rc = smbios_parse_table(p, len, ep.major << 8 | ep.minor, &sys, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK(!sys.have_ep);
	check_lenovo(&sys);
	CHECK(info_eq(&dump, &sys));
	smbios_info_release(&sys);

	/* Without a version, fields go by length and give the same result. */
	rc = smbios_parse_table(p, len, 0, &sys, &d);
	CHECK_INT(rc, 0);
	CHECK(info_eq(&dump, &sys));
	smbios_info_release(&sys);

	/* Before 2.6 the UUID is stored big-endian. */
	rc = smbios_parse_table(p, len, 0x0205, &sys, &d);
	CHECK_INT(rc, 0);
	CHECK_STR(sys.sys_uuid, "81d8c3b4-9251-cb11-aa19-e6932635bc8b");
	smbios_info_release(&sys);

	/* Privacy: serials, asset tags and the UUID go, the rest stays. */
	smbios_info_drop_serials(&dump);
	CHECK(!dump.sys_serial && !dump.sys_uuid && !dump.board_serial &&
	      !dump.board_asset_tag);
	CHECK(!dump.procs[0].serial && !dump.procs[0].asset_tag);
	CHECK(!dump.devs[0].serial && !dump.devs[1].serial);
	CHECK(!dump.devs[0].asset_tag && !dump.devs[1].asset_tag);
	CHECK_STR(dump.devs[1].part_number, "HMT351S6CFR8C-PB");
	CHECK_STR(dump.sys_product, "2347A49");
	smbios_info_drop_serials(&dump);	/* idempotent */
	smbios_info_release(&dump);
	CHECK(info_is_zero(&dump));
	smbios_info_release(&dump);		/* and again */
	smbios_info_release(NULL);
	smbios_info_drop_serials(NULL);

	free(p);
	free(e);
	hv_diags_release(&d);
}

/* The 24 /sys/firmware/dmi/entries/17-N/raw of the hwloc DCS8000Z snapshot. */
static unsigned char *dcs_entries(size_t *len)
{
	unsigned char *all = NULL;
	size_t n = 0;

	for (int k = 0; k < 24; k++) {
		char path[256];
		unsigned char *p, *na;
		size_t l;

		snprintf(path, sizeof(path), DIR "dcs8000z-entries/17-%d.raw", k);
		p = slurp(path, &l);
		na = realloc(all, n + l);
		if (!na)
			exit(1);
		all = na;
		memcpy(all + n, p, l);
		n += l;
		free(p);
	}
	*len = n;
	return all;
}

static void test_dcs8000z(void)
{
	/* Populated: DIMM_A1-A4 (0x1100-0x1103), DIMM_B1-B4 (0x110c-0x110f). */
	static const char *const serials[24] = {
		"48AAE639", "486AE620",
	};
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	unsigned char *p;
	uint64_t total = 0;
	unsigned populated = 0;
	size_t len;
	int rc;

	p = dcs_entries(&len);
	CHECK_INT(len, 24 * 94);
	rc = smbios_parse_table(p, len, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(info.nstructs, 24);
	CHECK_INT(info.ndevs, 24);
	for (size_t k = 0; k < info.ndevs && k < 24; k++) {
		const struct smbios_memdev *m = &info.devs[k];
		bool full = (k % 12) < 4;
		char loc[16];

		/* dmidecode: "DIMM_A1 " ... "DIMM_A12", "DIMM_B1 " ... */
		snprintf(loc, sizeof(loc), "DIMM_%c%zu", k < 12 ? 'A' : 'B',
			 k % 12 + 1);
		CHECK_INT(m->handle, 0x1100 + k);
		CHECK_INT(m->array_handle, 0x1000);
		CHECK_STR(m->locator, loc);
		CHECK(m->bank == NULL);		/* "Not Specified" */
		CHECK_STR(m->form_factor, "DIMM");
		CHECK_STR(m->type, "DDR3");
		CHECK_INT(m->total_width, 72);
		CHECK_INT(m->data_width, 64);
		CHECK(m->ecc);
		populated += m->size_bytes != 0;
		total += m->size_bytes;
		if (full) {
			CHECK_INT(m->size_bytes, 4 * GIB);
			CHECK_INT(m->type_detail, 0x2080);	/* Sync Registered */
			CHECK_INT(m->speed_mts, 1600);
			CHECK_INT(m->configured_speed_mts, 1600);
			CHECK_INT(m->rank, 2);
			CHECK_STR(m->manufacturer, "00AD04B300AD");
			CHECK_STR(m->part_number, "HMT351R7CFR8C-PB");
			CHECK_STR(m->asset_tag, "01115021");
			if (serials[k])
				CHECK_STR(m->serial, serials[k]);
		} else {
			/* Empty slots carry strings of blanks only. */
			CHECK_INT(m->size_bytes, 0);
			CHECK_INT(m->type_detail, 0x0080);
			CHECK_INT(m->speed_mts, 0);
			CHECK_INT(m->configured_speed_mts, 0);
			CHECK_INT(m->rank, 0);
			CHECK(!m->manufacturer && !m->serial && !m->asset_tag &&
			      !m->part_number);
		}
	}
	CHECK_INT(populated, 8);
	CHECK_INT(total, 32 * GIB);
	smbios_info_release(&info);

	/* Each file alone is a one-structure table. */
	rc = smbios_parse_table(p + 12 * 94, 94, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(info.ndevs, 1);
	CHECK_STR(info.devs[0].locator, "DIMM_B1");
	smbios_info_release(&info);
	CHECK_INT(d.n, 0);

	free(p);
	hv_diags_release(&d);
}

static void test_entry_point_errors(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_ep ep;
	unsigned char *e, buf[32];
	uint8_t sm3[24] = "_SM3_";
	uint8_t sum = 0;
	size_t elen;
	int rc;

	e = slurp(DIR "lenovo-2347A49.sysfs/smbios_entry_point", &elen);

	rc = smbios_parse_entry_point(e, 20, &ep, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "_SM_ entry point truncated at 20 bytes, needs 31");
	CHECK_INT(last_level(&d), HV_DIAG_ERROR);
	CHECK_INT(ep.major, 0);

	rc = smbios_parse_entry_point(e, 0, &ep, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "no smbios entry point anchor at offset 0 (0 bytes)");

	/* A bad checksum only warns. */
	memcpy(buf, e, elen);
	buf[0x0b] ^= 0x5a;
	hv_diags_release(&d);
	rc = smbios_parse_entry_point(buf, elen, &ep, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 1);
	CHECK_STR(last_msg(&d), "_SM_ entry point checksum does not add up (sum 0x5a over 31 bytes), ignoring");
	CHECK_INT(last_level(&d), HV_DIAG_WARN);
	CHECK_INT(ep.minor, 7);

	/* A length byte below 0x1e */
	memcpy(buf, e, elen);
	buf[5] = 0x10;
	rc = smbios_parse_entry_point(buf, elen, &ep, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "_SM_ entry point length 0x10 at offset 0x5 is below 0x1e");

	/* _SM3_: 3.3, doc rev 0, 0x1234 bytes max at 0x7654321000 */
	sm3[6] = 0x18;
	sm3[7] = 3;
	sm3[8] = 3;
	sm3[10] = 1;
	sm3[0x0c] = 0x34;
	sm3[0x0d] = 0x12;
	sm3[0x11] = 0x10;
	sm3[0x12] = 0x32;
	sm3[0x13] = 0x54;
	sm3[0x14] = 0x76;
	for (size_t k = 0; k < sizeof(sm3); k++)
		sum = (uint8_t)(sum + sm3[k]);
	sm3[5] = (uint8_t)-sum;
	hv_diags_release(&d);
	rc = smbios_parse_entry_point(sm3, sizeof(sm3), &ep, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK(ep.is_64bit);
	CHECK_INT(ep.major, 3);
	CHECK_INT(ep.minor, 3);
	CHECK_INT(ep.table_len, 0x1234);
	CHECK_INT(ep.table_addr, 0x7654321000ULL);
	CHECK_INT(ep.max_structs, 0);
	rc = smbios_parse_entry_point(sm3, 23, &ep, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "_SM3_ entry point truncated at 23 bytes, needs 24");

	free(e);
	hv_diags_release(&d);
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void test_table_errors(void)
{
	static const unsigned char short_len[] = { 17, 3, 0x00, 0x11, 0, 0 };
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	unsigned char *p, *q;
	size_t len;
	int rc;

	p = dcs_entries(&len);
	q = malloc(len);
	if (!q)
		exit(1);

	/* Nothing at all */
	rc = smbios_parse_table(p, 0, 0, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "smbios structure table is empty");
	CHECK(info_is_zero(&info));
	rc = smbios_parse_dump(p, 0, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK(info_is_zero(&info));

	/* A length byte below 4 */
	rc = smbios_parse_table(short_len, sizeof(short_len), 0, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "structure at offset 0x0 (handle 0x1100) has length 3, below 4");
	CHECK(info_is_zero(&info));

	/* The first structure's formatted area runs past the buffer */
	rc = smbios_parse_table(p, 20, 0, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "structure at offset 0x0 (handle 0x1100, type 17) runs past the end of the table: length 34, 20 bytes left");
	CHECK(info_is_zero(&info));

	/* ... the second one's: the first is kept, with a warning */
	hv_diags_release(&d);
	rc = smbios_parse_table(p, 94 + 20, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 1);
	CHECK_INT(last_level(&d), HV_DIAG_WARN);
	CHECK_STR(last_msg(&d), "structure at offset 0x5e (handle 0x1101, type 17) runs past the end of the table: length 34, 20 bytes left, ignoring the rest of the table");
	CHECK_INT(info.nstructs, 1);
	CHECK_INT(info.ndevs, 1);
	CHECK_STR(info.devs[0].locator, "DIMM_A1");
	smbios_info_release(&info);

	/* A header cut short after one good structure */
	rc = smbios_parse_table(p, 94 + 3, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_STR(last_msg(&d), "structure header at offset 0x5e runs past the end of the table (97 bytes), ignoring the rest of the table");
	CHECK_INT(info.ndevs, 1);
	smbios_info_release(&info);

	/* An unterminated string set (the final NUL missing) */
	rc = smbios_parse_table(p, 93, 0, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "string set of structure at offset 0x0 (handle 0x1100) is not terminated");
	CHECK(info_is_zero(&info));

	/* A string index past the string set: the field is NULL, a warning */
	memcpy(q, p, 94);
	q[0x1a] = 9;
	hv_diags_release(&d);
	rc = smbios_parse_table(q, 94, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 1);
	CHECK_INT(last_level(&d), HV_DIAG_WARN);
	CHECK_STR(last_msg(&d), "structure at offset 0x0 (handle 0x1100) refers to string 9 of 5 at 0x1a, ignoring");
	CHECK(info.devs[0].part_number == NULL);
	CHECK_STR(info.devs[0].serial, "48AAE639");
	smbios_info_release(&info);

	/* A type 17 shorter than 2.1's 0x15 bytes is skipped */
	memcpy(q, p, 16);
	q[1] = 0x10;
	q[16] = q[17] = 0;
	rc = smbios_parse_table(q, 18, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_STR(last_msg(&d), "structure at offset 0x0 (handle 0x1100, type 17) is 16 bytes, below 21, ignoring");
	CHECK_INT(info.ndevs, 0);
	smbios_info_release(&info);

	/* Type 127 ends the walk, whatever follows */
	memcpy(q, p, 94);
	memcpy(q + 94, (const unsigned char[]){ 127, 4, 0xff, 0xfe, 0, 0 }, 6);
	memset(q + 100, 0xee, 20);
	hv_diags_release(&d);
	rc = smbios_parse_table(q, 120, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(info.nstructs, 2);
	CHECK_INT(info.ndevs, 1);
	smbios_info_release(&info);

	free(q);
	free(p);
	hv_diags_release(&d);
}

static void test_dump_errors(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	unsigned char *p;
	size_t len;
	int rc;

	p = slurp(DIR "lenovo-2347A49.dump", &len);

	/* Cut short: what fits is decoded, with warnings */
	rc = smbios_parse_dump(p, 1000, &info, &d);
	CHECK_INT(rc, 0);
	CHECK(d.n >= 2);
	CHECK_STR(d.v[0].msg, "table of 2736 bytes at 0x20 is cut short by the end of the dump at 1000 bytes");
	CHECK_STR(last_msg(&d), "entry point announces 69 structures, the table holds 17");
	CHECK_INT(info.nstructs, 17);
	CHECK_INT(info.ndevs, 2);
	smbios_info_release(&info);

	/* A table address past the end of the file (checksum now off too) */
	p[0x19] = 0x10;
	hv_diags_release(&d);
	rc = smbios_parse_dump(p, len, &info, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(last_msg(&d), "table address 0x1020 lies past the end of the dump (2768 bytes)");
	CHECK(info_is_zero(&info));

	free(p);
	hv_diags_release(&d);
}

/* SMBIOS 3.3 fields: extended size, extended speeds, voltage, 64-bit maps. */
static void test_extended(void)
{
	unsigned char t[3 * 0x60 + 64] = { 0 };
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	unsigned char *s = t;
	int rc;

	/* type 17, 0x5c bytes, size 0x7fff -> 0x8000 MiB, speeds 0xffff */
	s[0] = 17;
	s[1] = 0x5c;
	put16(s + 2, 0x0040);
	put16(s + 4, 0x003f);
	put16(s + 8, 0xffff);
	put16(s + 0x0a, 0xffff);
	put16(s + 0x0c, 0x7fff);
	s[0x0e] = 0x09;
	s[0x10] = 1;
	s[0x12] = 0x22;
	put16(s + 0x15, 0xffff);
	s[0x1b] = 0x04;
	put32(s + 0x1c, 0x8000);
	put16(s + 0x20, 0xffff);
	put16(s + 0x26, 1100);
	put32(s + 0x54, 8000);
	put32(s + 0x58, 6400);
	memcpy(s + 0x5c, "  P0\x01" "CHANNEL A \0\0", 17);
	s += 0x5c + 17;

	/* type 17, 2.3 length, 512 KiB, unknown speed */
	s[0] = 17;
	s[1] = 0x1b;
	put16(s + 2, 0x0041);
	put16(s + 0x0c, 0x8200);
	s[0x0e] = 0x55;	/* out of spec */
	s += 0x1b + 2;

	/* type 17, size unknown */
	s[0] = 17;
	s[1] = 0x15;
	put16(s + 2, 0x0042);
	put16(s + 0x0c, 0xffff);
	s += 0x15 + 2;

	/* type 19 with 64-bit addresses */
	s[0] = 19;
	s[1] = 0x1f;
	put16(s + 2, 0x0050);
	put32(s + 4, 0xffffffff);
	put32(s + 8, 0xffffffff);
	put16(s + 0x0c, 0x003f);
	s[0x0e] = 1;
	put64(s + 0x0f, 0x10000000000ULL);
	put64(s + 0x17, 0x1ffffffffffULL);
	s += 0x1f + 2;

	/* type 16 with an extended capacity of 6 TiB */
	s[0] = 16;
	s[1] = 0x17;
	put16(s + 2, 0x003f);
	s[4] = 0xa4;
	s[5] = 3;
	s[6] = 6;
	put32(s + 7, 0x80000000);
	put16(s + 0x0d, 64);
	put64(s + 0x0f, 6ULL << 40);
	s += 0x17 + 2;

	rc = smbios_parse_table(t, (size_t)(s - t), 0x0303, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(info.nstructs, 5);
	CHECK_INT(info.ndevs, 3);
	if (info.ndevs == 3) {
		CHECK_INT(info.devs[0].size_bytes, 32 * GIB);
		CHECK_STR(info.devs[0].type, "DDR5");
		CHECK_STR(info.devs[0].locator, "P0.CHANNEL A");
		CHECK_INT(info.devs[0].speed_mts, 8000);
		CHECK_INT(info.devs[0].configured_speed_mts, 6400);
		CHECK_INT(info.devs[0].rank, 4);
		CHECK_INT(info.devs[0].configured_voltage_mv, 1100);
		CHECK_INT(info.devs[0].total_width, 0);
		CHECK(!info.devs[0].ecc);
		CHECK_INT(info.devs[1].size_bytes, 512 * 1024);
		CHECK(info.devs[1].form_factor == NULL);
		CHECK(info.devs[1].type == NULL);
		CHECK_INT(info.devs[2].size_bytes, UINT64_MAX);
	}
	CHECK_INT(info.namaps, 1);
	if (info.namaps == 1) {
		CHECK_INT(info.amaps[0].start, 0x10000000000ULL);
		CHECK_INT(info.amaps[0].end, 0x1ffffffffffULL);
	}
	CHECK_INT(info.narrays, 1);
	if (info.narrays == 1) {
		CHECK_STR(info.arrays[0].location, "CXL Add-on Card");
		CHECK_STR(info.arrays[0].ecc, "Multi-bit ECC");
		CHECK_INT(info.arrays[0].max_capacity_bytes, 6ULL << 40);
		CHECK_INT(info.arrays[0].num_devices, 64);
	}
	smbios_info_release(&info);
	hv_diags_release(&d);
}

/* More than SMBIOS_MAX_ENTRIES devices: the rest are dropped, once warned. */
static void test_cap(void)
{
	const size_t n = SMBIOS_MAX_ENTRIES + 10, each = 0x15 + 2;
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	unsigned char *t = calloc(n, each);
	int rc;

	if (!t)
		exit(1);
	for (size_t k = 0; k < n; k++) {
		t[k * each] = 17;
		t[k * each + 1] = 0x15;
		put16(t + k * each + 2, (unsigned)k);
	}
	rc = smbios_parse_table(t, n * each, 0, &info, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(info.nstructs, n);
	CHECK_INT(info.ndevs, SMBIOS_MAX_ENTRIES);
	CHECK_INT(d.n, 1);
	CHECK_STR(last_msg(&d), "more than 4096 structures of one type, ignoring the rest");
	smbios_info_release(&info);
	hv_diags_release(&d);
	free(t);
}

int main(void)
{
	test_lenovo();
	test_dcs8000z();
	test_entry_point_errors();
	test_table_errors();
	test_dump_errors();
	test_extended();
	test_cap();
	return CHECK_DONE();
}
