/* SPDX-License-Identifier: MIT */
/* `topo check`: PCIe links: trained below capability, narrower links on
 * the way to the root complex, oversubscribed switches. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pcie.h"
#include "util.h"

/* The port types that sit at the upstream end of a link. */
static bool upstream_end(const struct topo_obj *o)
{
	return o->port_type && (strcmp(o->port_type, "Root Port") == 0 ||
				strcmp(o->port_type, "Downstream Port") == 0 ||
				strcmp(o->port_type, "PCI/PCI-X to PCI-Express Bridge") == 0);
}

static bool is_pci(const struct topo_obj *o)
{
	return o && (o->type == TOPO_PCI_DEVICE ||
		     (o->type == TOPO_PCI_BRIDGE && !o->host_bridge));
}

/* The port at the other end of o's link, when o is the downstream end. */
static const struct topo_obj *partner(const struct topo_obj *o)
{
	const struct topo_obj *p = o->parent;

	if (upstream_end(o) || !is_pci(p) || !p->has_link || !upstream_end(p))
		return NULL;
	return p;
}

/* Functions 1-7 and VFs share the link of function 0: report it once. */
static bool shares_link(const struct topo_obj *o)
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

		if (s != o && is_pci(s) && s->has_link && s->address &&
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

/* What the link can do: the lesser capability of its two ends. */
static struct topo_link expected(const struct topo_obj *o,
				 const struct topo_obj *peer)
{
	struct topo_link l = o->link_cap;

	if (peer) {
		l.speed_gts = min_nz_d(l.speed_gts, peer->link_cap.speed_gts);
		l.width = min_nz(l.width, peer->link_cap.width);
	}
	return l;
}

static double link_gbps(const struct topo_link *l, bool flit)
{
	return pcie_link_gbps(l->speed_gts, l->width, flit);
}

static bool has_linked_child(const struct topo_obj *o)
{
	for (size_t i = 0; i < o->nkids; i++)
		if (is_pci(o->kids[i]) && o->kids[i]->has_link)
			return true;
	return false;
}

static void check_degraded(const struct topo_obj *o, struct check_report *r)
{
	const struct topo_obj *peer = partner(o);
	struct topo_link want = expected(o, peer);
	const struct topo_link *sta = &o->link_sta;
	struct strbuf w = STRBUF_INIT, s = STRBUF_INIT;
	bool slow, narrow;
	enum check_severity sev;
	struct finding *f;

	if (upstream_end(o) && has_linked_child(o))
		return;		/* the device below reports this link */
	if (!sta->width || sta->speed_gts <= 0 || !want.width ||
	    want.speed_gts <= 0)
		return;		/* link down (empty slot) or unknown */
	slow = sta->speed_gts < want.speed_gts;
	narrow = sta->width < want.width;
	if (!slow && !narrow)
		return;
	/* Both ends known and lanes missing: a seating, riser or BIOS
	 * bifurcation problem.  A lower speed alone can be power saving. */
	sev = peer && narrow ? CHECK_ERROR : CHECK_WARNING;
	check__link_str(&want, &w);
	check__link_str(sta, &s);
	f = check__add(r, sev, "pcie_link_degraded", o->address,
		       "%s: %s running at %s: %.1f of %.1f GB/s%s",
		       check__pci_label(o), w.buf, s.buf,
		       link_gbps(sta, o->link_flit), link_gbps(&want, o->link_flit),
		       peer ? "" : " (the other end of the link is not known)");
	check__num(f, "cap_gts", want.speed_gts);
	check__num(f, "cap_width", want.width);
	check__num(f, "cap_gbps", link_gbps(&want, o->link_flit));
	check__num(f, "sta_gts", sta->speed_gts);
	check__num(f, "sta_width", sta->width);
	check__num(f, "sta_gbps", link_gbps(sta, o->link_flit));
	strbuf_release(&w);
	strbuf_release(&s);
}

/* The narrowest link above o on its way to the root complex. */
static void check_path(const struct topo_obj *o, struct check_report *r)
{
	struct topo_link own = expected(o, partner(o));
	double own_bw = link_gbps(&own, o->link_flit), min_bw = 0;
	const struct topo_obj *worst = NULL;
	struct topo_link worst_link = { 0 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct finding *f;

	if (own_bw <= 0)
		return;
	for (const struct topo_obj *p = o->parent; is_pci(p); p = p->parent) {
		struct topo_link l;
		double bw;

		if (!p->has_link || upstream_end(p))
			continue;
		l = expected(p, partner(p));
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
	struct topo_link up = expected(usp, partner(usp));
	double up_bw = link_gbps(&up, usp->link_flit), sum = 0;
	unsigned nlinks = 0;
	struct finding *f;

	if (up_bw <= 0)
		return;
	for (size_t i = 0; i < usp->nkids; i++) {
		const struct topo_obj *dsp = usp->kids[i];

		if (!is_pci(dsp) || !dsp->has_link || !upstream_end(dsp))
			continue;
		for (size_t k = 0; k < dsp->nkids; k++) {
			const struct topo_obj *d = dsp->kids[k];

			if (!is_pci(d) || !d->has_link || shares_link(d))
				continue;
			struct topo_link l = expected(d, dsp);

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

			if (!is_pci(o) || !o->has_link || shares_link(o))
				continue;
			check_degraded(o, r);
			if (o->type == TOPO_PCI_DEVICE && !upstream_end(o))
				check_path(o, r);
			if (o->port_type && strcmp(o->port_type, "Upstream Port") == 0)
				check_switch(o, r);
		}
		free(v);
	}
}
