/* SPDX-License-Identifier: MIT */
/* libblkid, loaded on first use (hvkit move check: partition tables and
 * file systems inside a guest's disk); see lazy.h.  Lines below:
 *   scripts/gen-lazy.py blkid /usr/include/blkid/blkid.h -- \
 *     blkid_new_probe blkid_free_probe ... (as below) */
#include <blkid/blkid.h>

#include "lazy.h"

LAZY_IN(blkid, blkid_probe, blkid_new_probe, (void), ())
LAZY_IN(blkid, void, blkid_free_probe, (blkid_probe a0), (a0))
LAZY_IN(blkid, int, blkid_probe_set_device, (blkid_probe a0, int a1, blkid_loff_t a2, blkid_loff_t a3), (a0, a1, a2, a3))
LAZY_IN(blkid, int, blkid_probe_enable_partitions, (blkid_probe a0, int a1), (a0, a1))
LAZY_IN(blkid, int, blkid_probe_enable_superblocks, (blkid_probe a0, int a1), (a0, a1))
LAZY_IN(blkid, blkid_partlist, blkid_probe_get_partitions, (blkid_probe a0), (a0))
LAZY_IN(blkid, int, blkid_partlist_numof_partitions, (blkid_partlist a0), (a0))
LAZY_IN(blkid, blkid_parttable, blkid_partlist_get_table, (blkid_partlist a0), (a0))
LAZY_IN(blkid, blkid_partition, blkid_partlist_get_partition, (blkid_partlist a0, int a1), (a0, a1))
LAZY_IN(blkid, int, blkid_partition_get_partno, (blkid_partition a0), (a0))
LAZY_IN(blkid, blkid_loff_t, blkid_partition_get_start, (blkid_partition a0), (a0))
LAZY_IN(blkid, blkid_loff_t, blkid_partition_get_size, (blkid_partition a0), (a0))
LAZY_IN(blkid, int, blkid_partition_is_extended, (blkid_partition a0), (a0))
LAZY_IN(blkid, const char *, blkid_parttable_get_type, (blkid_parttable a0), (a0))
LAZY_IN(blkid, int, blkid_do_safeprobe, (blkid_probe a0), (a0))
LAZY_IN(blkid, int, blkid_probe_lookup_value, (blkid_probe a0, const char * a1, const char ** a2, size_t * a3), (a0, a1, a2, a3))
LAZY_IN(blkid, int, blkid_probe_set_superblocks_flags, (blkid_probe a0, int a1), (a0, a1))
LAZY_SYMS(blkid) = {
	LAZY_SYM(blkid, blkid_new_probe),
	LAZY_SYM(blkid, blkid_free_probe),
	LAZY_SYM(blkid, blkid_probe_set_device),
	LAZY_SYM(blkid, blkid_probe_enable_partitions),
	LAZY_SYM(blkid, blkid_probe_enable_superblocks),
	LAZY_SYM(blkid, blkid_probe_get_partitions),
	LAZY_SYM(blkid, blkid_partlist_numof_partitions),
	LAZY_SYM(blkid, blkid_partlist_get_table),
	LAZY_SYM(blkid, blkid_partlist_get_partition),
	LAZY_SYM(blkid, blkid_partition_get_partno),
	LAZY_SYM(blkid, blkid_partition_get_start),
	LAZY_SYM(blkid, blkid_partition_get_size),
	LAZY_SYM(blkid, blkid_partition_is_extended),
	LAZY_SYM(blkid, blkid_parttable_get_type),
	LAZY_SYM(blkid, blkid_do_safeprobe),
	LAZY_SYM(blkid, blkid_probe_lookup_value),
	LAZY_SYM(blkid, blkid_probe_set_superblocks_flags),
};

static LAZY_LIB(blkid, "libblkid.so.1", "libblkid1");
LAZY_LOAD(blkid, blkid)
