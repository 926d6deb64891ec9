/* SPDX-License-Identifier: MIT */
/* SMBIOS (DMI) decoder: entry points and the structure table, types 0-20. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * Everything here decodes untrusted firmware bytes: every read is bounds
 * checked and every allocation is capped.  Strings copied out of the table
 * are owned by the struct smbios_info they hang off, have leading and
 * trailing blanks removed, have control and non-ASCII bytes replaced by
 * '.', and are NULL when the structure does not carry them (string index
 * 0, an index past the string set, a field beyond the structure length,
 * or a string that is empty once trimmed).  Enumerations are decoded to
 * static strings (never freed), NULL when absent or outside the spec.
 */

/* Most entries of one kind (memory devices, ...) kept from one table. */
#define SMBIOS_MAX_ENTRIES 4096

struct smbios_ep {
	unsigned major, minor, docrev;	/* docrev: 3.x only, else 0 */
	uint64_t table_addr;		/* physical address (file offset in dumps) */
	uint32_t table_len;		/* 2.x: exact length; 3.x: maximum */
	uint32_t max_structs;		/* 2.x: number of structures; 3.x: 0 */
	bool is_64bit;			/* _SM3_ */
};

/*
 * Parses a _SM_ (2.x; length byte 0x1f, or 0x1e as some firmware writes),
 * _SM3_ (3.x, 24 bytes) or legacy _DMI_ (15 bytes) entry point at p.
 * A bad checksum is a warning.  Returns 0 and fills ret, or -EINVAL with
 * a message in d when the anchor is unknown or the bytes are too short
 * (ret is then zeroed).
 */
int smbios_parse_entry_point(const uint8_t *p, size_t len,
			     struct smbios_ep *ret, struct hv_diags *d);

struct smbios_processor {	/* type 4 */
	uint16_t handle;
	char *socket, *manufacturer, *version;
	char *serial, *asset_tag, *part_number;
	unsigned core_count, core_enabled, thread_count;	/* 0 = unknown */
	unsigned max_speed_mhz, current_speed_mhz;		/* 0 = unknown */
	bool populated;		/* status bit 6: CPU socket populated */
};

struct smbios_memarray {	/* type 16 */
	uint16_t handle;
	const char *location, *use, *ecc;	/* static */
	uint64_t max_capacity_bytes;		/* 0 = unknown */
	unsigned num_devices;
};

struct smbios_memdev {		/* type 17 */
	uint16_t handle, array_handle;
	uint64_t size_bytes;		/* 0 = empty slot; UINT64_MAX = unknown */
	const char *form_factor;	/* "DIMM", "SODIMM", ... static */
	char *locator, *bank, *manufacturer, *serial, *asset_tag;
	char *part_number;		/* owned, trimmed, NULL when absent */
	const char *type;		/* "DDR4", "DDR3", ... static */
	unsigned type_detail;		/* raw bits */
	unsigned speed_mts, configured_speed_mts;	/* 0 = unknown */
	unsigned rank;			/* 0 = unknown */
	unsigned total_width, data_width;	/* bits; 0 = unknown */
	bool ecc;			/* total_width > data_width */
	unsigned configured_voltage_mv;	/* 0 = unknown */
};

struct smbios_array_map {	/* type 19; byte addresses, end inclusive */
	uint64_t start, end;
	uint16_t handle, array_handle;
	unsigned partition_width;
};

struct smbios_dev_map {		/* type 20; byte addresses, end inclusive */
	uint64_t start, end;
	uint16_t handle, device_handle, array_map_handle;
	/* raw: 0xff = unknown; interleave 0 = not interleaved */
	unsigned row_pos, interleave_pos, interleave_depth;
};

struct smbios_info {
	struct smbios_ep ep;
	bool have_ep;
	char *bios_vendor, *bios_version, *bios_date;		/* type 0 */
	char *sys_vendor, *sys_product, *sys_version, *sys_serial;	/* type 1 */
	char *sys_uuid;		/* "xxxxxxxx-xxxx-...", lowercase like dmidecode */
	char *sys_family, *sys_sku;
	char *board_vendor, *board_product, *board_version;	/* type 2 */
	char *board_serial, *board_asset_tag;
	struct smbios_processor *procs;
	size_t nprocs;
	struct smbios_memarray *arrays;
	size_t narrays;
	struct smbios_memdev *devs;
	size_t ndevs;
	struct smbios_array_map *amaps;
	size_t namaps;
	struct smbios_dev_map *dmaps;
	size_t ndmaps;
	unsigned nstructs;	/* structures walked, the end-of-table one included */
};

/*
 * Walks a structure table: /sys/firmware/dmi/tables/DMI, or several
 * /sys/firmware/dmi/entries/<N>/raw files concatenated.  version_hint is
 * major * 0x100 + minor from the entry point, or 0 when unknown; fields
 * are decoded by structure length, the version only picks the UUID byte
 * order (before 2.6 it is stored big-endian; 0 means 2.6 or later).
 * Stops at type 127 or the end of the buffer.  A structure whose header,
 * formatted area or string set runs past the end (or whose length is
 * below 4) is reported with its offset and handle and ends the walk:
 * what was decoded before it is kept and 0 is returned with a warning,
 * or -EINVAL when nothing was decoded.  -ENOMEM when out of memory.
 * On success ret owns its contents (smbios_info_release()); on failure
 * ret is zeroed.  ret->have_ep is false.
 */
int smbios_parse_table(const uint8_t *p, size_t len, unsigned version_hint,
		       struct smbios_info *ret, struct hv_diags *d);

/*
 * Parses a `dmidecode --dump-bin` file: the entry point at offset 0 and
 * the table at the file offset the entry point's table address gives
 * (dmidecode rewrites it to 0x20).  A table cut short by the end of the
 * file is decoded as far as it goes, with a warning.  Offsets in messages
 * are file offsets.  Same contract as
 * smbios_parse_table(); ret->ep and ret->have_ep are set on success.
 */
int smbios_parse_dump(const uint8_t *p, size_t len, struct smbios_info *ret,
		      struct hv_diags *d);

/* Frees everything info owns and zeroes it.  Accepts NULL. */
void smbios_info_release(struct smbios_info *info);

/*
 * Frees and clears serial numbers, asset tags and the system UUID, for
 * privacy-preserving capture and output.  Accepts NULL.
 */
void smbios_info_drop_serials(struct smbios_info *info);

/*
 * Blanks, in place, the strings that identify one machine (system, board,
 * chassis, processor and memory device serial numbers and asset tags)
 * and zeroes the system UUID, keeping every length and offset, so that
 * a captured table can be shared.  Bounded like smbios_parse_table().
 * Returns the number of fields blanked.
 */
unsigned smbios_scrub_serials(uint8_t *p, size_t len);
