/* SPDX-License-Identifier: MIT */
/* SMBIOS (DMI) decoder: entry points and the structure table, types 0-20. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* asprintf, vasprintf */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "smbios.h"
#include "util.h"

/* Field offsets and encodings below follow DMTF DSP0134 (SMBIOS 3.x). */

#define SMBIOS_EP2_SIZE 0x1f	/* _SM_ with the _DMI_ part */
#define SMBIOS_EP2_MIN 0x1e	/* ... as 2.1-era firmware counts it */
#define SMBIOS_EP3_SIZE 0x18	/* _SM3_ */
#define SMBIOS_EPL_SIZE 0x0f	/* legacy _DMI_ */
#define SMBIOS_TYPE_END 127

/* ---------------------------------------------------------------------- */
/* Entry points */

static uint8_t smbios__sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void smbios__check_sum(const uint8_t *p, size_t n, const char *what,
			      struct hv_diags *d)
{
	uint8_t s = smbios__sum(p, n);

	if (s)
		(void)hv_warnf(d, "%s checksum does not add up (sum 0x%02x over %zu bytes), ignoring",
			       what, s, n);
}

static int smbios__ep2(struct hv_bytes b, struct smbios_ep *ep,
		       struct hv_diags *d)
{
	uint8_t eplen, major, minor;
	uint16_t tlen, nstructs;
	uint32_t addr;
	size_t need;

	if (!hv_get_u8(b, 0x05, &eplen))
		return hv_errorf(d, "_SM_ entry point truncated at %zu bytes, needs %d",
				 b.len, SMBIOS_EP2_SIZE);
	if (eplen < SMBIOS_EP2_MIN)
		return hv_errorf(d, "_SM_ entry point length 0x%02x at offset 0x5 is below 0x%02x",
				 eplen, SMBIOS_EP2_MIN);
	need = eplen;
	if (b.len < need)
		return hv_errorf(d, "_SM_ entry point truncated at %zu bytes, needs %zu",
				 b.len, need);
	if (eplen != SMBIOS_EP2_SIZE && eplen != SMBIOS_EP2_MIN)
		(void)hv_warnf(d, "_SM_ entry point length 0x%02x at offset 0x5 is unusual, ignoring",
			       eplen);
	smbios__check_sum(b.p, eplen, "_SM_ entry point", d);
	if (memcmp(b.p + 0x10, "_DMI_", 5) != 0)
		return hv_errorf(d, "_SM_ entry point lacks the _DMI_ anchor at offset 0x10");
	/* 15 bytes, the last (BCD revision) missing from 0x1e-long ones */
	smbios__check_sum(b.p + 0x10, b.len >= SMBIOS_EP2_SIZE ? 15 : 14,
			  "_DMI_ intermediate entry point", d);

	major = b.p[0x06];
	minor = b.p[0x07];
	/* Firmware known to write the version wrong (dmidecode fixes these too). */
	if (major == 2 && (minor == 0x1f || minor == 0x21 || minor == 0x33)) {
		uint8_t fixed = minor == 0x33 ? 6 : 3;

		(void)hv_warnf(d, "_SM_ entry point says version 2.%u, assuming 2.%u",
			       minor, fixed);
		minor = fixed;
	}
	(void)hv_get_u16(b, 0x16, &tlen);
	(void)hv_get_u32(b, 0x18, &addr);
	(void)hv_get_u16(b, 0x1c, &nstructs);
	*ep = (struct smbios_ep){
		.major = major,
		.minor = minor,
		.table_addr = addr,
		.table_len = tlen,
		.max_structs = nstructs,
	};
	return 0;
}

static int smbios__ep3(struct hv_bytes b, struct smbios_ep *ep,
		       struct hv_diags *d)
{
	uint8_t eplen;
	uint32_t tlen;
	uint64_t addr;

	if (!hv_get_u8(b, 0x06, &eplen) || b.len < SMBIOS_EP3_SIZE)
		return hv_errorf(d, "_SM3_ entry point truncated at %zu bytes, needs %d",
				 b.len, SMBIOS_EP3_SIZE);
	if (eplen < SMBIOS_EP3_SIZE)
		return hv_errorf(d, "_SM3_ entry point length 0x%02x at offset 0x6 is below 0x%02x",
				 eplen, SMBIOS_EP3_SIZE);
	if (b.len < eplen)
		return hv_errorf(d, "_SM3_ entry point truncated at %zu bytes, needs %u",
				 b.len, eplen);
	smbios__check_sum(b.p, eplen, "_SM3_ entry point", d);
	(void)hv_get_u32(b, 0x0c, &tlen);
	(void)hv_get_u64(b, 0x10, &addr);
	*ep = (struct smbios_ep){
		.major = b.p[0x07],
		.minor = b.p[0x08],
		.docrev = b.p[0x09],
		.table_addr = addr,
		.table_len = tlen,
		.is_64bit = true,
	};
	return 0;
}

static int smbios__ep_legacy(struct hv_bytes b, struct smbios_ep *ep,
			     struct hv_diags *d)
{
	uint16_t tlen, nstructs;
	uint32_t addr;
	uint8_t bcd;

	if (b.len < SMBIOS_EPL_SIZE)
		return hv_errorf(d, "_DMI_ entry point truncated at %zu bytes, needs %d",
				 b.len, SMBIOS_EPL_SIZE);
	smbios__check_sum(b.p, SMBIOS_EPL_SIZE, "_DMI_ entry point", d);
	(void)hv_get_u16(b, 0x06, &tlen);
	(void)hv_get_u32(b, 0x08, &addr);
	(void)hv_get_u16(b, 0x0c, &nstructs);
	bcd = b.p[0x0e];
	*ep = (struct smbios_ep){
		.major = bcd >> 4,
		.minor = bcd & 0x0f,
		.table_addr = addr,
		.table_len = tlen,
		.max_structs = nstructs,
	};
	return 0;
}

int smbios_parse_entry_point(const uint8_t *p, size_t len,
			     struct smbios_ep *ret, struct hv_diags *d)
{
	struct hv_bytes b = hv_bytes_make(p, len);
	struct smbios_ep ep = { 0 };
	int rc;

	*ret = (struct smbios_ep){ 0 };
	if (!p)
		len = 0, b.len = 0;
	if (len >= 5 && memcmp(p, "_SM3_", 5) == 0)
		rc = smbios__ep3(b, &ep, d);
	else if (len >= 4 && memcmp(p, "_SM_", 4) == 0)
		rc = smbios__ep2(b, &ep, d);
	else if (len >= 5 && memcmp(p, "_DMI_", 5) == 0)
		rc = smbios__ep_legacy(b, &ep, d);
	else
		rc = hv_errorf(d, "no smbios entry point anchor at offset 0 (%zu bytes)",
			       len);
	if (rc < 0)
		return rc;
	*ret = ep;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Enumerations (static strings; index = raw value) */

static const char *const smbios__array_locations[] = {
	[0x01] = "Other", [0x02] = "Unknown",
	[0x03] = "System Board Or Motherboard", [0x04] = "ISA Add-on Card",
	[0x05] = "EISA Add-on Card", [0x06] = "PCI Add-on Card",
	[0x07] = "MCA Add-on Card", [0x08] = "PCMCIA Add-on Card",
	[0x09] = "Proprietary Add-on Card", [0x0a] = "NuBus",
};

static const char *const smbios__array_locations_a0[] = {
	[0x00] = "PC-98/C20 Add-on Card", [0x01] = "PC-98/C24 Add-on Card",
	[0x02] = "PC-98/E Add-on Card", [0x03] = "PC-98/Local Bus Add-on Card",
	[0x04] = "CXL Add-on Card",
};

static const char *const smbios__array_uses[] = {
	[0x01] = "Other", [0x02] = "Unknown", [0x03] = "System Memory",
	[0x04] = "Video Memory", [0x05] = "Flash Memory",
	[0x06] = "Non-volatile RAM", [0x07] = "Cache Memory",
};

static const char *const smbios__array_eccs[] = {
	[0x01] = "Other", [0x02] = "Unknown", [0x03] = "None",
	[0x04] = "Parity", [0x05] = "Single-bit ECC",
	[0x06] = "Multi-bit ECC", [0x07] = "CRC",
};

static const char *const smbios__form_factors[] = {
	[0x01] = "Other", [0x02] = "Unknown", [0x03] = "SIMM", [0x04] = "SIP",
	[0x05] = "Chip", [0x06] = "DIP", [0x07] = "ZIP",
	[0x08] = "Proprietary Card", [0x09] = "DIMM", [0x0a] = "TSOP",
	[0x0b] = "Row Of Chips", [0x0c] = "RIMM", [0x0d] = "SODIMM",
	[0x0e] = "SRIMM", [0x0f] = "FB-DIMM", [0x10] = "Die",
};

static const char *const smbios__mem_types[] = {
	[0x01] = "Other", [0x02] = "Unknown", [0x03] = "DRAM", [0x04] = "EDRAM",
	[0x05] = "VRAM", [0x06] = "SRAM", [0x07] = "RAM", [0x08] = "ROM",
	[0x09] = "Flash", [0x0a] = "EEPROM", [0x0b] = "FEPROM",
	[0x0c] = "EPROM", [0x0d] = "CDRAM", [0x0e] = "3DRAM", [0x0f] = "SDRAM",
	[0x10] = "SGRAM", [0x11] = "RDRAM", [0x12] = "DDR", [0x13] = "DDR2",
	[0x14] = "DDR2 FB-DIMM", [0x18] = "DDR3", [0x19] = "FBD2",
	[0x1a] = "DDR4", [0x1b] = "LPDDR", [0x1c] = "LPDDR2",
	[0x1d] = "LPDDR3", [0x1e] = "LPDDR4",
	[0x1f] = "Logical non-volatile device", [0x20] = "HBM",
	[0x21] = "HBM2", [0x22] = "DDR5", [0x23] = "LPDDR5", [0x24] = "HBM3",
};

#define smbios__enum(names, v) \
	((size_t)(v) < sizeof(names) / sizeof((names)[0]) ? (names)[v] : NULL)

/* ---------------------------------------------------------------------- */
/* The structure walk */

struct smbios__walk {
	struct hv_diags *d;
	struct smbios_info *info;
	unsigned version;	/* 0 = unknown */
	unsigned seen;		/* bit per singleton type (0, 1, 2) decoded */
	bool capped;		/* SMBIOS_MAX_ENTRIES warning given */
	size_t base;		/* offset of the table in its file, for messages */
};

/* One structure: its formatted area and its string set. */
struct smbios__struct {
	size_t off;		/* in the table */
	uint8_t type, len;
	uint16_t handle;
	struct hv_bytes fmt;	/* the formatted area, len bytes */
	struct hv_bytes strs;	/* the strings, each NUL-terminated */
	unsigned nstrings;
};

/*
 * A copy of string n of s, trimmed and made printable, into *ret; NULL when
 * the field lies beyond the formatted area, n is 0 or names no string, or
 * the string is blank.  Returns 0 or -ENOMEM.
 */
static int smbios__string(struct smbios__walk *w, const struct smbios__struct *s,
			  size_t field, char **ret)
{
	const uint8_t *str, *end;
	size_t at = 0, n;
	uint8_t idx;
	char *c;

	*ret = NULL;
	if (!hv_get_u8(s->fmt, field, &idx) || idx == 0)
		return 0;
	if (idx > s->nstrings)
		return hv_warnf(w->d, "structure at offset 0x%zx (handle 0x%04x) refers to string %u of %u at 0x%02zx, ignoring",
				w->base + s->off, s->handle, idx, s->nstrings, field);
	for (unsigned i = 1; i < idx; i++)
		at += strlen((const char *)s->strs.p + at) + 1;
	str = s->strs.p + at;
	end = str + strlen((const char *)str);
	while (str < end && *str <= ' ')
		str++;
	while (end > str && end[-1] <= ' ')
		end--;
	if (str == end)
		return 0;
	n = (size_t)(end - str);
	c = malloc(n + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, str, n);
	c[n] = 0;
	*ret = str_printable(c, true);
	return 0;
}

/* A string field of one structure type: offset and where it goes. */
struct smbios__strfield {
	uint8_t type, off;
	size_t field;		/* offsetof() in the destination struct */
};

static int smbios__strings(struct smbios__walk *w, const struct smbios__struct *s,
			   const struct smbios__strfield *f, size_t n, void *dst)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (f[i].type != s->type)
			continue;
		rc = smbios__string(w, s, f[i].off,
				    (char **)((char *)dst + f[i].field));
		if (rc < 0)
			return rc;
	}
	return 0;
}

#define SMBIOS__NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Appends a zeroed element to the array *arrp (count *n), returning it in
 * *retp, or NULL past SMBIOS_MAX_ENTRIES (with one warning).  Capacity doubles at
 * each power of two, so no separate capacity field is needed.
 */
static int smbios__push(struct smbios__walk *w, void *arrp, size_t *n,
			size_t size, void *retp)
{
	void *v, *elem = NULL;

	memcpy(&v, arrp, sizeof(v));
	memcpy(retp, &elem, sizeof(elem));
	if (*n >= SMBIOS_MAX_ENTRIES) {
		if (!w->capped)
			(void)hv_warnf(w->d, "more than %d structures of one type, ignoring the rest",
				       SMBIOS_MAX_ENTRIES);
		w->capped = true;
		return 0;
	}
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;
		void *nv = realloc(v, cap * size);

		if (!nv)
			return -ENOMEM;
		v = nv;
		memcpy(arrp, &v, sizeof(v));
	}
	elem = (char *)v + *n * size;
	memset(elem, 0, size);
	memcpy(retp, &elem, sizeof(elem));
	(*n)++;
	return 0;
}

/* arr: the array pointer; n: its count; ret: a pointer to the new element. */
#define smbios__push_to(w, arr, n, ret) \
	smbios__push(w, &(arr), &(n), sizeof(*(arr)), (ret))

static uint8_t smbios__u8(const struct smbios__struct *s, size_t off)
{
	uint8_t v = 0;

	(void)hv_get_u8(s->fmt, off, &v);
	return v;
}

static uint16_t smbios__u16(const struct smbios__struct *s, size_t off)
{
	uint16_t v = 0;

	(void)hv_get_u16(s->fmt, off, &v);
	return v;
}

static uint32_t smbios__u32(const struct smbios__struct *s, size_t off)
{
	uint32_t v = 0;

	(void)hv_get_u32(s->fmt, off, &v);
	return v;
}

static uint64_t smbios__u64(const struct smbios__struct *s, size_t off)
{
	uint64_t v = 0;

	(void)hv_get_u64(s->fmt, off, &v);
	return v;
}

static bool smbios__has(const struct smbios__struct *s, size_t off, size_t n)
{
	return hv_bytes_has(s->fmt, off, n);
}

/* Types 0, 1 and 2: one string table for the singleton fields. */
static const struct smbios__strfield smbios__info_strings[] = {
	{ 0, 0x04, offsetof(struct smbios_info, bios_vendor) },
	{ 0, 0x05, offsetof(struct smbios_info, bios_version) },
	{ 0, 0x08, offsetof(struct smbios_info, bios_date) },
	{ 1, 0x04, offsetof(struct smbios_info, sys_vendor) },
	{ 1, 0x05, offsetof(struct smbios_info, sys_product) },
	{ 1, 0x06, offsetof(struct smbios_info, sys_version) },
	{ 1, 0x07, offsetof(struct smbios_info, sys_serial) },
	{ 1, 0x19, offsetof(struct smbios_info, sys_sku) },
	{ 1, 0x1a, offsetof(struct smbios_info, sys_family) },
	{ 2, 0x04, offsetof(struct smbios_info, board_vendor) },
	{ 2, 0x05, offsetof(struct smbios_info, board_product) },
	{ 2, 0x06, offsetof(struct smbios_info, board_version) },
	{ 2, 0x07, offsetof(struct smbios_info, board_serial) },
	{ 2, 0x08, offsetof(struct smbios_info, board_asset_tag) },
};

/* The type-1 UUID as dmidecode prints it; NULL when all 0x00 or all 0xff. */
static int smbios__uuid(struct smbios__walk *w, const struct smbios__struct *s,
			char **ret)
{
	const uint8_t *u;
	bool zero = true, ones = true;
	bool le = w->version == 0 || w->version >= 0x0206;

	*ret = NULL;
	if (!smbios__has(s, 0x08, 16))
		return 0;
	u = s->fmt.p + 0x08;
	for (size_t i = 0; i < 16; i++) {
		zero = zero && u[i] == 0x00;
		ones = ones && u[i] == 0xff;
	}
	if (zero || ones)
		return 0;
	/* Since 2.6 the first three fields are little-endian. */
	if (asprintf(ret, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		     le ? u[3] : u[0], le ? u[2] : u[1],
		     le ? u[1] : u[2], le ? u[0] : u[3],
		     le ? u[5] : u[4], le ? u[4] : u[5],
		     le ? u[7] : u[6], le ? u[6] : u[7],
		     u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int smbios__decode_singleton(struct smbios__walk *w,
				    const struct smbios__struct *s)
{
	int rc;

	/* Keep the first of each; more than one baseboard is legal. */
	if (w->seen & 1u << s->type)
		return 0;
	w->seen |= 1u << s->type;
	rc = smbios__strings(w, s, smbios__info_strings,
			     SMBIOS__NELEM(smbios__info_strings), w->info);
	if (rc < 0 || s->type != 1)
		return rc;
	return smbios__uuid(w, s, &w->info->sys_uuid);
}

static const struct smbios__strfield smbios__proc_strings[] = {
	{ 4, 0x04, offsetof(struct smbios_processor, socket) },
	{ 4, 0x07, offsetof(struct smbios_processor, manufacturer) },
	{ 4, 0x10, offsetof(struct smbios_processor, version) },
	{ 4, 0x20, offsetof(struct smbios_processor, serial) },
	{ 4, 0x21, offsetof(struct smbios_processor, asset_tag) },
	{ 4, 0x22, offsetof(struct smbios_processor, part_number) },
};

/* An 8-bit count whose 0xff means "see the 16-bit one at off2" (3.0). */
static unsigned smbios__count(const struct smbios__struct *s, size_t off,
			      size_t off2)
{
	unsigned v = smbios__u8(s, off);

	if (v == 0xff && smbios__has(s, off2, 2)) {
		v = smbios__u16(s, off2);
		if (v == 0xffff)
			v = 0;
	}
	return v;
}

static int smbios__decode_processor(struct smbios__walk *w,
				    const struct smbios__struct *s)
{
	struct smbios_info *info = w->info;
	struct smbios_processor *c;
	int rc;

	rc = smbios__push_to(w, info->procs, info->nprocs, &c);
	if (rc < 0 || !c)
		return rc;
	c->handle = s->handle;
	c->max_speed_mhz = smbios__u16(s, 0x14);
	c->current_speed_mhz = smbios__u16(s, 0x16);
	c->populated = smbios__u8(s, 0x18) & 0x40;
	c->core_count = smbios__count(s, 0x23, 0x2a);
	c->core_enabled = smbios__count(s, 0x24, 0x2c);
	c->thread_count = smbios__count(s, 0x25, 0x2e);
	return smbios__strings(w, s, smbios__proc_strings,
			       SMBIOS__NELEM(smbios__proc_strings), c);
}

static int smbios__decode_memarray(struct smbios__walk *w,
				   const struct smbios__struct *s)
{
	struct smbios_info *info = w->info;
	struct smbios_memarray *a;
	uint32_t kib;
	uint8_t loc;
	int rc;

	rc = smbios__push_to(w, info->arrays, info->narrays, &a);
	if (rc < 0 || !a)
		return rc;
	a->handle = s->handle;
	loc = smbios__u8(s, 0x04);
	a->location = loc >= 0xa0 ? smbios__enum(smbios__array_locations_a0, loc - 0xa0)
				  : smbios__enum(smbios__array_locations, loc);
	a->use = smbios__enum(smbios__array_uses, smbios__u8(s, 0x05));
	a->ecc = smbios__enum(smbios__array_eccs, smbios__u8(s, 0x06));
	kib = smbios__u32(s, 0x07);
	if (kib == 0x80000000u)
		a->max_capacity_bytes = smbios__u64(s, 0x0f);	/* 0 when absent */
	else
		a->max_capacity_bytes = (uint64_t)kib * 1024;
	a->num_devices = smbios__u16(s, 0x0d);
	return 0;
}

static const struct smbios__strfield smbios__memdev_strings[] = {
	{ 17, 0x10, offsetof(struct smbios_memdev, locator) },
	{ 17, 0x11, offsetof(struct smbios_memdev, bank) },
	{ 17, 0x17, offsetof(struct smbios_memdev, manufacturer) },
	{ 17, 0x18, offsetof(struct smbios_memdev, serial) },
	{ 17, 0x19, offsetof(struct smbios_memdev, asset_tag) },
	{ 17, 0x1a, offsetof(struct smbios_memdev, part_number) },
};

/* A 16-bit speed whose 0xffff means "see the 32-bit one at ext" (3.3). */
static unsigned smbios__speed(const struct smbios__struct *s, size_t off,
			      size_t ext)
{
	unsigned v = smbios__u16(s, off);

	if (v == 0xffff)
		v = smbios__u32(s, ext) & 0x7fffffffu;	/* 0 when absent */
	return v;
}

static uint64_t smbios__memdev_size(const struct smbios__struct *s)
{
	uint16_t size = smbios__u16(s, 0x0c);

	if (size == 0xffff)
		return UINT64_MAX;
	if (size == 0x7fff) {
		if (!smbios__has(s, 0x1c, 4))
			return UINT64_MAX;
		return (uint64_t)(smbios__u32(s, 0x1c) & 0x7fffffffu) << 20;
	}
	if (size & 0x8000)
		return (uint64_t)(size & 0x7fff) << 10;
	return (uint64_t)size << 20;
}

static int smbios__decode_memdev(struct smbios__walk *w,
				 const struct smbios__struct *s)
{
	struct smbios_info *info = w->info;
	struct smbios_memdev *m;
	int rc;

	rc = smbios__push_to(w, info->devs, info->ndevs, &m);
	if (rc < 0 || !m)
		return rc;
	m->handle = s->handle;
	m->array_handle = smbios__u16(s, 0x04);
	m->total_width = smbios__u16(s, 0x08);
	m->data_width = smbios__u16(s, 0x0a);
	if (m->total_width == 0xffff)
		m->total_width = 0;
	if (m->data_width == 0xffff)
		m->data_width = 0;
	m->ecc = m->data_width && m->total_width > m->data_width;
	m->size_bytes = smbios__memdev_size(s);
	m->form_factor = smbios__enum(smbios__form_factors, smbios__u8(s, 0x0e));
	m->type = smbios__enum(smbios__mem_types, smbios__u8(s, 0x12));
	m->type_detail = smbios__u16(s, 0x13);
	m->speed_mts = smbios__speed(s, 0x15, 0x54);
	m->rank = smbios__u8(s, 0x1b) & 0x0f;
	m->configured_speed_mts = smbios__speed(s, 0x20, 0x58);
	m->configured_voltage_mv = smbios__u16(s, 0x26);
	return smbios__strings(w, s, smbios__memdev_strings,
			       SMBIOS__NELEM(smbios__memdev_strings), m);
}

/*
 * A type 19/20 range: 32-bit KiB start and end at 0x04/0x08, or, when both
 * are 0xffffffff, 64-bit byte addresses at ext and ext + 8.
 */
static void smbios__range(const struct smbios__struct *s, size_t ext,
			  uint64_t *start, uint64_t *end)
{
	uint32_t s32 = smbios__u32(s, 0x04), e32 = smbios__u32(s, 0x08);

	if (s32 == 0xffffffffu && e32 == 0xffffffffu && smbios__has(s, ext, 16)) {
		*start = smbios__u64(s, ext);
		*end = smbios__u64(s, ext + 8);
		return;
	}
	*start = (uint64_t)s32 << 10;
	*end = ((uint64_t)e32 << 10) + 1023;
}

static int smbios__decode_array_map(struct smbios__walk *w,
				    const struct smbios__struct *s)
{
	struct smbios_info *info = w->info;
	struct smbios_array_map *m;
	int rc;

	rc = smbios__push_to(w, info->amaps, info->namaps, &m);
	if (rc < 0 || !m)
		return rc;
	m->handle = s->handle;
	smbios__range(s, 0x0f, &m->start, &m->end);
	m->array_handle = smbios__u16(s, 0x0c);
	m->partition_width = smbios__u8(s, 0x0e);
	return 0;
}

static int smbios__decode_dev_map(struct smbios__walk *w,
				  const struct smbios__struct *s)
{
	struct smbios_info *info = w->info;
	struct smbios_dev_map *m;
	int rc;

	rc = smbios__push_to(w, info->dmaps, info->ndmaps, &m);
	if (rc < 0 || !m)
		return rc;
	m->handle = s->handle;
	smbios__range(s, 0x13, &m->start, &m->end);
	m->device_handle = smbios__u16(s, 0x0c);
	m->array_map_handle = smbios__u16(s, 0x0e);
	m->row_pos = smbios__u8(s, 0x10);
	m->interleave_pos = smbios__u8(s, 0x11);
	m->interleave_depth = smbios__u8(s, 0x12);
	return 0;
}

/* What we decode: type, the shortest length (SMBIOS 2.0/2.1), decoder. */
static const struct smbios__decoder {
	uint8_t type, min_len;
	int (*decode)(struct smbios__walk *w, const struct smbios__struct *s);
} smbios__decoders[] = {
	{ 0, 0x12, smbios__decode_singleton },
	{ 1, 0x08, smbios__decode_singleton },
	{ 2, 0x08, smbios__decode_singleton },
	{ 4, 0x1a, smbios__decode_processor },
	{ 16, 0x0f, smbios__decode_memarray },
	{ 17, 0x15, smbios__decode_memdev },
	{ 19, 0x0f, smbios__decode_array_map },
	{ 20, 0x13, smbios__decode_dev_map },
};

static int smbios__decode(struct smbios__walk *w, const struct smbios__struct *s)
{
	for (size_t i = 0; i < SMBIOS__NELEM(smbios__decoders); i++) {
		const struct smbios__decoder *dec = &smbios__decoders[i];

		if (dec->type != s->type)
			continue;
		if (s->len < dec->min_len)
			return hv_warnf(w->d, "structure at offset 0x%zx (handle 0x%04x, type %u) is %u bytes, below %u, ignoring",
					w->base + s->off, s->handle, s->type, s->len, dec->min_len);
		return dec->decode(w, s);
	}
	return 0;
}

/*
 * Ends the walk at a broken structure: a warning when something was
 * decoded before it (the walk keeps that), else an error.
 */
__attribute__((format(printf, 3, 4)))
static int smbios__stop(struct smbios__walk *w, unsigned done,
			const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	if (done)
		rc = hv_warnf(w->d, "%s, ignoring the rest of the table", msg);
	else
		rc = hv_errorf(w->d, "%s", msg);
	free(msg);
	return rc;
}

/*
 * Splits the structure at off into *s and sets *next to the offset after
 * its string set.  Returns 1 on success, or smbios__stop()'s result.
 */
static int smbios__split(struct smbios__walk *w, struct hv_bytes tab,
			 size_t off, unsigned done, struct smbios__struct *s,
			 size_t *next)
{
	size_t i;

	*s = (struct smbios__struct){ .off = off };
	if (!hv_bytes_has(tab, off, 4))
		return smbios__stop(w, done, "structure header at offset 0x%zx runs past the end of the table (%zu bytes)",
				    w->base + off, tab.len);
	s->type = tab.p[off];
	s->len = tab.p[off + 1];
	(void)hv_get_u16(tab, off + 2, &s->handle);
	if (s->len < 4)
		return smbios__stop(w, done, "structure at offset 0x%zx (handle 0x%04x) has length %u, below 4",
				    w->base + off, s->handle, s->len);
	if (!hv_bytes_sub(tab, off, s->len, &s->fmt))
		return smbios__stop(w, done, "structure at offset 0x%zx (handle 0x%04x, type %u) runs past the end of the table: length %u, %zu bytes left",
				    w->base + off, s->handle, s->type, s->len, tab.len - off);
	/* The string set ends with a double NUL ("\0\0" when empty). */
	for (i = off + s->len; i + 1 < tab.len; i++)
		if (tab.p[i] == 0 && tab.p[i + 1] == 0)
			break;
	if (i + 1 >= tab.len)
		return smbios__stop(w, done, "string set of structure at offset 0x%zx (handle 0x%04x) is not terminated",
				    w->base + off, s->handle);
	s->strs = hv_bytes_make(tab.p + off + s->len, i + 1 - (off + s->len));
	if (i > off + s->len)
		for (size_t j = 0; j < s->strs.len; j++)
			s->nstrings += s->strs.p[j] == 0;
	*next = i + 2;
	return 1;
}

void smbios_info_release(struct smbios_info *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < SMBIOS__NELEM(smbios__info_strings); i++)
		free(*(char **)((char *)info + smbios__info_strings[i].field));
	free(info->sys_uuid);
	for (size_t i = 0; i < info->nprocs; i++)
		for (size_t j = 0; j < SMBIOS__NELEM(smbios__proc_strings); j++)
			free(*(char **)((char *)&info->procs[i] +
					smbios__proc_strings[j].field));
	for (size_t i = 0; i < info->ndevs; i++)
		for (size_t j = 0; j < SMBIOS__NELEM(smbios__memdev_strings); j++)
			free(*(char **)((char *)&info->devs[i] +
					smbios__memdev_strings[j].field));
	free(info->procs);
	free(info->arrays);
	free(info->devs);
	free(info->amaps);
	free(info->dmaps);
	*info = (struct smbios_info){ 0 };
}

static void smbios__drop(char **s)
{
	free(*s);
	*s = NULL;
}

void smbios_info_drop_serials(struct smbios_info *info)
{
	if (!info)
		return;
	smbios__drop(&info->sys_serial);
	smbios__drop(&info->sys_uuid);
	smbios__drop(&info->board_serial);
	smbios__drop(&info->board_asset_tag);
	for (size_t i = 0; i < info->nprocs; i++) {
		smbios__drop(&info->procs[i].serial);
		smbios__drop(&info->procs[i].asset_tag);
	}
	for (size_t i = 0; i < info->ndevs; i++) {
		smbios__drop(&info->devs[i].serial);
		smbios__drop(&info->devs[i].asset_tag);
	}
}

/* base: where the table lies in its file, added to offsets in messages */
static int smbios__parse_table(const uint8_t *p, size_t len,
			       unsigned version_hint, size_t base,
			       struct smbios_info *ret, struct hv_diags *d)
{
	struct smbios_info info = { 0 };
	struct smbios__walk w = {
		.d = d, .info = &info, .version = version_hint, .base = base,
	};
	struct hv_bytes tab = hv_bytes_make(p, p ? len : 0);
	size_t off = 0;
	int rc = 0;

	*ret = (struct smbios_info){ 0 };
	if (tab.len == 0)
		return hv_errorf(d, "smbios structure table is empty");
	/* Each pass consumes at least 6 bytes, so this ends. */
	while (off < tab.len) {
		struct smbios__struct s;
		size_t next = 0;

		rc = smbios__split(&w, tab, off, info.nstructs, &s, &next);
		if (rc <= 0)
			break;
		info.nstructs++;
		if (s.type == SMBIOS_TYPE_END) {
			rc = 0;
			break;
		}
		rc = smbios__decode(&w, &s);
		if (rc < 0)
			break;
		off = next;
	}
	if (rc < 0) {
		smbios_info_release(&info);
		return rc;
	}
	*ret = info;
	return 0;
}

int smbios_parse_table(const uint8_t *p, size_t len, unsigned version_hint,
		       struct smbios_info *ret, struct hv_diags *d)
{
	return smbios__parse_table(p, len, version_hint, 0, ret, d);
}

int smbios_parse_dump(const uint8_t *p, size_t len, struct smbios_info *ret,
		      struct hv_diags *d)
{
	struct smbios_ep ep;
	size_t n;
	int rc;

	*ret = (struct smbios_info){ 0 };
	rc = smbios_parse_entry_point(p, len, &ep, d);
	if (rc < 0)
		return rc;
	if (ep.table_addr >= len)
		return hv_errorf(d, "table address 0x%" PRIx64 " lies past the end of the dump (%zu bytes)",
				 ep.table_addr, len);
	n = len - (size_t)ep.table_addr;
	if (ep.table_len < n)
		n = ep.table_len;
	else if (ep.table_len > n && !ep.is_64bit)
		(void)hv_warnf(d, "table of %" PRIu32 " bytes at 0x%" PRIx64 " is cut short by the end of the dump at %zu bytes",
			       ep.table_len, ep.table_addr, len);
	rc = smbios__parse_table(p + ep.table_addr, n, ep.major << 8 | ep.minor,
				 (size_t)ep.table_addr, ret, d);
	if (rc < 0)
		return rc;
	if (ep.max_structs && ret->nstructs != ep.max_structs)
		(void)hv_warnf(d, "entry point announces %" PRIu32 " structures, the table holds %u",
			       ep.max_structs, ret->nstructs);
	ret->ep = ep;
	ret->have_ep = true;
	return 0;
}

/* Finds string number idx (1-based) of the structure at [start, end) whose
 * string set begins at strs; returns its bytes, or NULL. */
static uint8_t *scrub_string(uint8_t *strs, uint8_t *end, unsigned idx,
			     size_t *len)
{
	uint8_t *s = strs;

	if (!idx)
		return NULL;
	for (unsigned i = 1; s < end && *s; i++) {
		uint8_t *z = memchr(s, 0, (size_t)(end - s));

		if (!z)
			return NULL;
		if (i == idx) {
			*len = (size_t)(z - s);
			return s;
		}
		s = z + 1;
	}
	return NULL;
}

unsigned smbios_scrub_serials(uint8_t *p, size_t len)
{
	static const struct { uint8_t type, off; } fields[] = {
		{ 1, 0x07 }, { 2, 0x07 }, { 2, 0x08 }, { 3, 0x07 }, { 3, 0x08 },
		{ 4, 0x20 }, { 4, 0x21 }, { 17, 0x18 }, { 17, 0x19 },
	};
	size_t off = 0;
	unsigned n = 0;

	while (off + 4 <= len) {
		uint8_t type = p[off], slen = p[off + 1];
		uint8_t *strs, *end = p + len, *z;

		if (slen < 4 || off + slen > len)
			break;
		strs = p + off + slen;
		/* The string set ends at the first double NUL. */
		z = strs;
		while (z + 1 < end && !(z[0] == 0 && z[1] == 0))
			z++;
		if (z + 1 >= end)
			break;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			uint8_t *s;
			size_t sl = 0;

			if (fields[i].type != type || fields[i].off >= slen)
				continue;
			s = scrub_string(strs, z + 1, p[off + fields[i].off], &sl);
			if (s && sl) {
				memset(s, ' ', sl);
				n++;
			}
		}
		if (type == 1 && slen >= 0x18) {
			memset(p + off + 0x08, 0, 16);
			n++;
		}
		if (type == 127)
			break;
		off = (size_t)(z + 2 - p);
	}
	return n;
}
