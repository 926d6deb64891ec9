/* SPDX-License-Identifier: MIT */
/* PCIe link arithmetic shared by `topo check` and the renderers. */
#include "pcie.h"

double pcie_link_gbps(double gts, unsigned width, bool flit)
{
	double eff;

	(void)flit;	/* see pcie.h: the rate decides the encoding */
	if (gts <= 0 || !width)
		return 0;
	if (gts < 8)
		eff = 8.0 / 10.0;
	else if (gts < 64)
		eff = 128.0 / 130.0;
	else
		eff = 1.0;
	return gts * width * eff / 8.0;
}
