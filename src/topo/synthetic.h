/* SPDX-License-Identifier: MIT */
/*
 * Synthetic machines: a topology built in memory from a one-line
 * description, for large test inputs and benchmarks (after hwloc's
 * synthetic backend).
 *
 * Grammar: blank-separated NAME:VALUE tokens, each at most once, in any
 * order.  CPU levels nest in the fixed order below, and each count is per
 * object of the level above it:
 *
 *   pack:N     packages (1)
 *   numa:N     NUMA nodes per package (1); above 1, each node is a die
 *   l3:N       L3 caches per NUMA node (1)
 *   core:N     cores per L3 cache (1); each has its L2, L1d and L1i
 *   pu:N       PUs (hardware threads) per core (1)
 *   mem:SIZE   memory per NUMA node, K/M/G/T suffix (64G)
 *   dimm:N     memory slots per NUMA node, all populated (8);
 *   dimm:M/N   M of N slots populated, first slot of each channel first
 *   pci:N      PCI endpoints in the machine, spread over one host
 *              bridge per NUMA node (0)
 *   switch:N   endpoints behind each PCIe switch (8); 0: every endpoint
 *              on its own root port
 *
 * "pack:16 core:128 pu:2 pci:300" is 4096 PUs and 300 devices.  At most
 * 65536 PUs and 4096 PCI endpoints.
 */
#pragma once

#include "model.h"

/*
 * Builds the machine spec describes.  Returns 0 and a new topology in
 * *ret_t (the caller frees it with topo_free()), or -EINVAL with a
 * message naming the offending token added to *d; *ret_t is only
 * written on success.
 */
int synthetic_build(const char *spec, struct topo **ret_t, struct hv_diags *d);
