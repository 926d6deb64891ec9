/* SPDX-License-Identifier: MIT */
/* PCIe link arithmetic shared by `topo check` and the renderers. */
#pragma once

#include <stdbool.h>

/*
 * Usable bandwidth of a PCIe link in GB/s (10^9 bytes) per direction:
 * GT/s x lanes x line-encoding efficiency / 8.  The encoding follows the
 * data rate: 8b/10b at 2.5 and 5 GT/s, 128b/130b at 8, 16 and 32 GT/s,
 * 1b/1b (PAM4 flits) at 64 GT/s and above.  flit says the link runs in
 * Flit Mode; below 64 GT/s a Flit Mode link keeps the encoding of its
 * rate, so flit does not change the number there.  Returns 0 when the
 * speed or the width is unknown (0).
 *
 * Gen3 x8: pcie_link_gbps(8, 8, false) = 7.877; Gen4 x16: 31.508;
 * Gen1 x1: 0.25; Gen6 x16: 128.
 */
double pcie_link_gbps(double gts, unsigned width, bool flit);
