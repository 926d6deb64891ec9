/* SPDX-License-Identifier: MIT */
/* The guest's own configuration text, as read from its disk (untrusted):
 * the kernel lines of a boot loader configuration pygrub reads, and the
 * entries of /etc/fstab. */
#pragma once

#include <stddef.h>

/* Calls fn(opaque, args) with the arguments of each kernel line of text
 * (grub 2 linux/linux16/linuxefi, grub legacy kernel, extlinux
 * append/kernel; any case), in order. */
void gt_kernel_lines(const char *text, void (*fn)(void *opaque, const char *args), void *opaque);

/* Calls fn(opaque, dev, mnt) for each entry of an fstab text (comments
 * and lines without two fields skipped; fields of at most 255 bytes),
 * among its first GT_FSTAB_LINES lines. */
#define GT_FSTAB_LINES 1000
void gt_fstab(const char *text, void (*fn)(void *opaque, const char *dev, const char *mnt),
	      void *opaque);
