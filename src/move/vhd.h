/* SPDX-License-Identifier: MIT */
/* VHD (Virtual Hard Disk Image Format Specification, Microsoft, 2006):
 * the on-disk structures, shared by the reader, writer and tests. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VHD_SECTOR 512u
#define VHD_FOOTER_SIZE 512u
#define VHD_HEADER_SIZE 1024u
#define VHD_BLOCK_SIZE (2u << 20)	/* what every writer uses */
#define VHD_BAT_UNUSED 0xffffffffu
#define VHD_TYPE_FIXED 2u
#define VHD_TYPE_DYNAMIC 3u
#define VHD_TYPE_DIFF 4u
/* The spec's CHS limit: 65535 cylinders, 16 heads, 255 sectors. */
#define VHD_MAX_CHS_SECTORS (65535ull * 16 * 255)
/* Seconds from the Unix epoch to 2000-01-01 00:00:00 UTC. */
#define VHD_EPOCH 946684800ull

struct vhd_geometry {
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors;
};

/* The spec's Appendix "CHS Calculation" for a disk of total_sectors. */
struct vhd_geometry vhd_chs(uint64_t total_sectors);

/* One's complement of the byte sum, the checksum field counted as 0. */
uint32_t vhd_checksum(const uint8_t *p, size_t len, size_t csum_off);

struct vhd_footer {
	uint64_t data_offset;
	uint32_t timestamp;
	char creator_app[5];
	uint64_t original_size, current_size;
	struct vhd_geometry geom;
	uint32_t disk_type;
	uint32_t checksum;
	uint8_t uuid[16];
};

/* Fills the 512-byte footer from f (checksum computed). */
void vhd_footer_build(uint8_t out[VHD_FOOTER_SIZE], const struct vhd_footer *f);
/* Decodes and checks cookie and checksum; -EINVAL with a diagnostic
 * naming file offset `where`. */
struct hv_diags;
int vhd_footer_parse(const uint8_t in[VHD_FOOTER_SIZE], uint64_t where,
		     struct hv_diags *d, struct vhd_footer *ret);

/* Decodes and checks the dynamic disk header read at file offset where
 * for a disk of size bytes: cookie, checksum, block size (a power of two,
 * 512 bytes to 256 MiB), BAT entries (enough, not absurdly many);
 * -EINVAL with a diagnostic naming the offset. */
int vhd_header_parse(const uint8_t h[VHD_HEADER_SIZE], uint64_t where, uint64_t size,
		     struct hv_diags *d, uint64_t *ret_bat, uint32_t *ret_entries,
		     uint32_t *ret_block);
/* Fills the 1024-byte dynamic disk header. */
void vhd_header_build(uint8_t out[VHD_HEADER_SIZE], uint64_t bat_offset,
		      uint32_t max_entries, uint32_t block_size);
