/* SPDX-License-Identifier: MIT */
/* `topo check`: PCIe links: trained below capability, narrower links on
 * the way to the root complex, oversubscribed switches. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pcie.h"
#include "util.h"

static double link_gbps(const struct topo_link *l, bool flit)
{
	return pcie_link_gbps(l->speed_gts, l->width, flit);
}

static void check_degraded(const struct topo_obj *o, struct check_report *r)
{
	const struct topo_link *sta = &o->link_sta;
	struct strbuf w = STRBUF_INIT, s = STRBUF_INIT;
	struct pcie_degraded d;
	enum check_severity sev;
	struct finding *f;

	if (!pcie_link_degraded(o, &d))
		return;
	/* Both ends known and lanes missing: a seating, riser or BIOS
	 * bifurcation problem.  A lower speed alone can be power saving. */
	sev = d.peer && d.narrow ? CHECK_ERROR : CHECK_WARNING;
	check__link_str(&d.want, &w);
	check__link_str(sta, &s);
	double sta_gbps = link_gbps(sta, o->link_flit);
	double want_gbps = link_gbps(&d.want, o->link_flit);

	/* An unknown (reserved) speed code: the lanes alone say it. */
	if (sta_gbps > 0 && want_gbps > 0)
		f = check__add(r, sev, "pcie_link_degraded", o->address,
			       "%s: %s running at %s: %.1f of %.1f GB/s%s",
			       check__pci_label(o), w.buf, s.buf, sta_gbps,
			       want_gbps, d.peer ? "" :
			       " (the other end of the link is not known)");
	else
		f = check__add(r, sev, "pcie_link_degraded", o->address,
			       "%s: %s running at %s: %u of %u lanes, speed unknown%s",
			       check__pci_label(o), w.buf, s.buf, sta->width,
			       d.want.width, d.peer ? "" :
			       " (the other end of the link is not known)");
	if (d.want.speed_gts > 0)
		check__num(f, "cap_gts", d.want.speed_gts);
	check__num(f, "cap_width", d.want.width);
	if (want_gbps > 0)
		check__num(f, "cap_gbps", want_gbps);
	if (sta->speed_gts > 0)
		check__num(f, "sta_gts", sta->speed_gts);
	check__num(f, "sta_width", sta->width);
	if (sta_gbps > 0)
		check__num(f, "sta_gbps", sta_gbps);
	strbuf_release(&w);
	strbuf_release(&s);
}

/* Link states that contradict themselves: up (DLActive) with no lanes,
 * or trained wider or faster than the port says it can.  Either is a
 * decode error or an input that lies; the degraded rule cannot judge it. */
static void check_link_lies(const struct topo_obj *o, struct check_report *r)
{
	const struct topo_link *sta = &o->link_sta, *cap = &o->link_cap;
	const struct topo_obj *peer = pcie_partner(o);
	struct strbuf s = STRBUF_INIT, c = STRBUF_INIT;

	check__link_str(sta, &s);
	check__link_str(cap, &c);
	if (!sta->width && (o->link_dll == 1 || (peer && peer->link_dll == 1)) &&
	    !(pcie_upstream_end(o) && o->nkids)) {
		check__add(r, CHECK_WARNING, "pcie_link_no_lanes", o->address,
			   "%s: link is up (DLActive) but reports %s: no lanes "
			   "trained, capable %s", check__pci_label(o), s.buf, c.buf);
	} else if ((cap->width && sta->width > cap->width) ||
		   (cap->speed_gts > 0 && sta->speed_gts > cap->speed_gts)) {
		check__add(r, CHECK_WARNING, "pcie_link_impossible", o->address,
			   "%s: trained at %s, above its capability %s "
			   "(a lying input or a decode error)",
			   check__pci_label(o), s.buf, c.buf);
	}
	strbuf_release(&s);
	strbuf_release(&c);
}

/* The narrowest link above o on its way to the root complex. */
static void check_path(const struct topo_obj *o, struct check_report *r)
{
	struct topo_link own = pcie_link_expected(o, pcie_partner(o));
	double own_bw = link_gbps(&own, o->link_flit), min_bw = 0;
	const struct topo_obj *worst = NULL;
	struct topo_link worst_link = { 0 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct finding *f;

	if (own_bw <= 0)
		return;
	for (const struct topo_obj *p = o->parent; pcie_is_pci(p); p = p->parent) {
		struct topo_link l;
		double bw;

		if (!p->has_link || pcie_upstream_end(p))
			continue;
		l = pcie_link_expected(p, pcie_partner(p));
		bw = link_gbps(&l, p->link_flit);
		if (bw > 0 && (!worst || bw < min_bw)) {
			worst = p;
			min_bw = bw;
			worst_link = l;
		}
	}
	if (!worst || min_bw >= own_bw * 0.999)
		return;
	check__link_str(&own, &a);
	check__link_str(&worst_link, &b);
	f = check__add(r, CHECK_WARNING, "pcie_path_bottleneck", o->address,
		       "%s: %s (%.1f GB/s) sits behind %s at %s (%.1f GB/s)",
		       check__pci_label(o), a.buf, own_bw, worst->address, b.buf,
		       min_bw);
	check__num(f, "device_gbps", own_bw);
	check__num(f, "path_gbps", min_bw);
	strbuf_release(&a);
	strbuf_release(&b);
}

/* A switch: an upstream port over downstream ports. */
static void check_switch(const struct topo_obj *usp, struct check_report *r)
{
	struct topo_link up = pcie_link_expected(usp, pcie_partner(usp));
	double up_bw = link_gbps(&up, usp->link_flit), sum = 0;
	unsigned nlinks = 0;
	struct finding *f;

	if (up_bw <= 0)
		return;
	for (size_t i = 0; i < usp->nkids; i++) {
		const struct topo_obj *dsp = usp->kids[i];

		if (!pcie_is_pci(dsp) || !dsp->has_link || !pcie_upstream_end(dsp))
			continue;
		for (size_t k = 0; k < dsp->nkids; k++) {
			const struct topo_obj *d = dsp->kids[k];

			if (!pcie_is_pci(d) || !d->has_link || pcie_shares_link(d))
				continue;
			struct topo_link l = pcie_link_expected(d, dsp);

			sum += link_gbps(&l, d->link_flit);
			nlinks++;
			break;
		}
	}
	if (sum <= up_bw * 1.001)
		return;
	f = check__add(r, CHECK_INFO, "pcie_switch_oversubscribed", usp->address,
		       "switch: %u downstream link(s) add up to %.1f GB/s over a %.1f GB/s uplink (%.1f:1)",
		       nlinks, sum, up_bw, sum / up_bw);
	check__num(f, "downstream_gbps", sum);
	check__num(f, "uplink_gbps", up_bw);
	check__num(f, "ratio", sum / up_bw);
}

void check_pcie(const struct topo *t, struct check_report *r)
{
	static const enum topo_type types[] = { TOPO_PCI_BRIDGE, TOPO_PCI_DEVICE };

	for (size_t k = 0; k < ARRAY_SIZE(types); k++) {
		const struct topo_obj **v;
		size_t n = check__collect(t->root, types[k], &v);

		for (size_t i = 0; i < n; i++) {
			const struct topo_obj *o = v[i];

			if (!pcie_is_pci(o) || !o->has_link || pcie_shares_link(o))
				continue;
			check_degraded(o, r);
			check_link_lies(o, r);
			if (o->type == TOPO_PCI_DEVICE && !pcie_upstream_end(o))
				check_path(o, r);
			if (o->port_type && strcmp(o->port_type, "Upstream Port") == 0)
				check_switch(o, r);
		}
		free(v);
	}
}
