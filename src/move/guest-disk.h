/* SPDX-License-Identifier: MIT */
/* What a guest's disk holds, read without mounting it: the partition table
 * and the file system of each partition (libblkid), and for ext2/3/4 the
 * boot loader files, kernels and /etc/fstab (e2fsprogs' debugfs). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gd_fs {
	unsigned partno;	/* 0: the whole disk, no partition table */
	uint64_t offset, size;	/* bytes */
	char *type;		/* blkid's TYPE ("ext4", "xfs", "swap"); NULL: none found */
	bool read;		/* an ext2/3/4 read with debugfs */
	char *grub;		/* the first boot loader config found ("/boot/grub/grub.cfg"), or NULL */
	char **kernels;		/* kernel files found ("/boot/vmlinuz-6.1.0-13-amd64") */
	size_t nkernels;
	char *grub_text;	/* the boot loader config grub names, or NULL */
	char *grub_error;	/* why it was not read whole, or NULL */
	char *fstab;		/* /etc/fstab, or NULL */
	char *fstab_error;	/* why /etc/fstab was not read whole, or NULL */
	char *error;		/* why debugfs could not read it, or NULL */
	unsigned same_as;	/* not read again: the partition that starts at
				 * the same byte (its partno), 0 none */
	bool over_budget;	/* not read: the budget was spent (gd_budget) */
};

struct gd_info {
	char *pttype;		/* "dos" (MBR), "gpt", ...; NULL: no partition table */
	struct gd_fs *fs;
	size_t nfs;
	size_t nparts;		/* entries in the partition table */
	size_t nparts_skipped;	/* beyond GD_MAX_PARTS, not looked at */
	size_t ncapped;		/* ext file systems beyond GD_MAX_READ, not read */
	/* The first two partitions that overlap (partno), 0 when none do;
	 * noverlaps pairs in all. */
	unsigned overlap_a, overlap_b;
	size_t noverlaps;
	/* Partitions that start at or past the disk's end (not looked
	 * into; the first one's partno and start) and ones cut short by it
	 * (read as far as the disk goes). */
	size_t npast_end, ncut;
	unsigned past_end, cut;
	uint64_t past_end_at, disk_bytes;
};

#define GD_MAX_PARTS 128	/* partition table entries looked at a disk */
#define GD_MAX_READ 16		/* ext file systems read with debugfs a disk */

/* The work of looking into all the disks of a guest, bounded as a whole:
 * debugfs runs and wall-clock time.  A file system not read because the
 * budget is spent has gd_fs.over_budget set and counts in skipped. */
struct gd_budget {
	unsigned reads_left;
	long long deadline_ms;	/* CLOCK_MONOTONIC; no debugfs starts after it */
	unsigned reads_max, ms_max;
	size_t skipped;
};
void gd_budget_init(struct gd_budget *b, unsigned reads, unsigned ms);

/*
 * Inspects the raw disk image or block device at path (read only).
 * Each debugfs run is charged to b (shared by the disks of one guest).
 * 0 with ret filled (released by gd_info_release(), also on failure), or
 * a negative errno with an error in d.  A file system debugfs cannot read
 * is not an error: its gd_fs.error says why.
 */
int guest_disk_inspect(const char *path, struct gd_budget *b, struct gd_info *ret,
		       struct hv_diags *d);
void gd_info_release(struct gd_info *g);

/* A kernel image's word size from its first bytes (ELF class, or the x86
 * boot protocol's XLF_KERNEL_64 flag in a bzImage): 32, 64, or 0 unknown. */
int guest_kernel_bits(const uint8_t *p, size_t len);
