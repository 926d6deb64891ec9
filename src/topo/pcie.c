/* SPDX-License-Identifier: MIT */
/* PCIe links shared by `topo check` and the renderers. */
#include <string.h>

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

bool pcie_is_pci(const struct topo_obj *o)
{
	return o && (o->type == TOPO_PCI_DEVICE ||
		     (o->type == TOPO_PCI_BRIDGE && !o->host_bridge));
}

bool pcie_upstream_end(const struct topo_obj *o)
{
	return o->port_type && (strcmp(o->port_type, "Root Port") == 0 ||
				strcmp(o->port_type, "Downstream Port") == 0 ||
				strcmp(o->port_type, "PCI/PCI-X to PCI-Express Bridge") == 0);
}

const struct topo_obj *pcie_partner(const struct topo_obj *o)
{
	const struct topo_obj *p = o->parent;

	if (pcie_upstream_end(o) || !pcie_is_pci(p) || !p->has_link ||
	    !pcie_upstream_end(p))
		return NULL;
	return p;
}

bool pcie_shares_link(const struct topo_obj *o)
{
	const struct topo_obj *p = o->parent;
	size_t len;

	if (o->is_vf)
		return true;
	if (!o->address || !p || (len = strlen(o->address)) < 2 ||
	    strcmp(o->address + len - 2, ".0") == 0)
		return false;
	for (size_t i = 0; i < p->nkids; i++) {
		const struct topo_obj *s = p->kids[i];

		if (s != o && pcie_is_pci(s) && s->has_link && s->address &&
		    strlen(s->address) == len &&
		    strncmp(s->address, o->address, len - 1) == 0 &&
		    s->address[len - 1] == '0')
			return true;
	}
	return false;
}

static unsigned min_nz(unsigned a, unsigned b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static double min_nz_d(double a, double b)
{
	return a <= 0 ? b : b <= 0 ? a : a < b ? a : b;
}

struct topo_link pcie_link_expected(const struct topo_obj *o,
				    const struct topo_obj *peer)
{
	struct topo_link l = o->link_cap;

	if (peer) {
		l.speed_gts = min_nz_d(l.speed_gts, peer->link_cap.speed_gts);
		l.width = min_nz(l.width, peer->link_cap.width);
	}
	return l;
}

bool pcie_link_degraded(const struct topo_obj *o, struct pcie_degraded *ret)
{
	struct pcie_degraded d = { 0 };
	const struct topo_link *sta = &o->link_sta;
	bool behind = false;

	if (!pcie_is_pci(o) || !o->has_link || pcie_shares_link(o))
		return false;
	if (pcie_upstream_end(o)) {
		for (size_t i = 0; i < o->nkids; i++) {
			const struct topo_obj *k = o->kids[i];

			if (pcie_is_pci(k) && k->has_link)
				return false;	/* the device below judges it */
			behind |= pcie_is_pci(k);
		}
		/* Nothing behind the port in the input: judged only when
		 * the port says a device is up behind it (DLActive). */
		if (!behind && o->link_dll != 1)
			return false;
	}
	d.peer = pcie_partner(o);
	d.want = pcie_link_expected(o, d.peer);
	if (!sta->width)
		return false;	/* link down (empty slot) or unknown */
	/* Lost lanes are judged whatever the rate says (a reserved speed
	 * code reads as unknown); a lower rate only where both are known. */
	d.slow = sta->speed_gts > 0 && d.want.speed_gts > 0 &&
		 sta->speed_gts < d.want.speed_gts;
	d.narrow = d.want.width && sta->width < d.want.width;
	if (!d.slow && !d.narrow)
		return false;
	if (ret)
		*ret = d;
	return true;
}
