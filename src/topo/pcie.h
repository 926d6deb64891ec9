/* SPDX-License-Identifier: MIT */
/* PCIe links shared by `topo check` and the renderers: the arithmetic of
 * a link and the one rule deciding that a link is degraded. */
#pragma once

#include <stdbool.h>

#include "model.h"

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

/* A PCI function or PCI-PCI bridge (not a host bridge). */
bool pcie_is_pci(const struct topo_obj *o);
/* Whether o sits at the upstream end of its link: a root port, a switch
 * downstream port or a PCI/PCI-X to PCIe bridge. */
bool pcie_upstream_end(const struct topo_obj *o);
/* The port at the other end of o's link when o is the downstream end,
 * else NULL. */
const struct topo_obj *pcie_partner(const struct topo_obj *o);
/* Functions 1-7 and VFs that share the link of their function 0: the
 * link is reported (and drawn red) once, at function 0. */
bool pcie_shares_link(const struct topo_obj *o);
/* What o's link can do: the lesser capability of its two ends (peer may
 * be NULL). */
struct topo_link pcie_link_expected(const struct topo_obj *o,
				    const struct topo_obj *peer);

/* Why a link is degraded. */
struct pcie_degraded {
	const struct topo_obj *peer;	/* the other end, NULL when unknown */
	struct topo_link want;		/* pcie_link_expected() */
	bool slow, narrow;		/* below the rate, below the lanes */
};

/*
 * Whether o's link is degraded: it trained below what both of its ends
 * can do (fewer lanes or a lower rate).  The one rule behind both a
 * `topo check` pcie_link_degraded finding about o and the red edge above
 * o in the pictures and the text: a link is judged once, at its
 * downstream end (a port whose device below has a link leaves it to that
 * device), at function 0 of a multi-function device, and never when it
 * is down or its width unknown (lost lanes are judged whatever the speed
 * code: a reserved one reads as unknown; a lower rate only where both
 * rates are known), or when a port has nothing behind it (no device in
 * the input and no DLActive saying one is up).  Fills *ret
 * (may be NULL) when true.
 */
bool pcie_link_degraded(const struct topo_obj *o, struct pcie_degraded *ret);
