/* SPDX-License-Identifier: MIT */
/*
 * Graphviz DOT rendering of the topology: the boxes of the layout that
 * layout.c computes (so the same siblings collapse), with packages, dies,
 * NUMA nodes, caches and cores as clusters, everything else as nodes, and
 * each PCIe link as an edge labelled with generation, width and
 * bandwidth (red when trained below what the device can do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "pcie.h"
#include "render.h"

/* Appends s as the inside of a DOT double-quoted string: valid UTF-8,
 * quotes and backslashes escaped, control characters as spaces. */
static void add_quoted(struct strbuf *out, const char *s)
{
	strbuf_add_utf8(out, s, "\"\\");
}

/* The texts of box i, one line each ("\n" between). */
static void add_label(struct strbuf *out, const struct layout *l, size_t i)
{
	for (size_t k = i + 1; k < l->n && l->prims[k].kind == LAYOUT_TEXT &&
			       l->prims[k].parent == (long)i; k++) {
		if (k > i + 1)
			strbuf_adds(out, "\\n");
		add_quoted(out, l->prims[k].text.s);
	}
}

static bool has_child_box(const struct layout *l, size_t i)
{
	for (size_t k = i + 1; k < l->n && l->prims[k].kind != LAYOUT_END; k++)
		if (l->prims[k].kind == LAYOUT_BOX)
			return l->prims[k].parent == (long)i;
	return false;
}

static bool is_container(enum layout_fill f)
{
	switch (f) {
	case LAYOUT_FILL_PACKAGE: case LAYOUT_FILL_DIE: case LAYOUT_FILL_CLUSTER:
	case LAYOUT_FILL_NUMA: case LAYOUT_FILL_MEMCACHE: case LAYOUT_FILL_CACHE:
	case LAYOUT_FILL_CORE:
		return true;
	default:
		return false;
	}
}

static bool is_pci(const struct topo_obj *o)
{
	return o && (o->type == TOPO_PCI_BRIDGE || o->type == TOPO_PCI_DEVICE);
}

/* The edge from a bridge to o: "Gen4 x16\n31.5 GB/s", thicker for more
 * lanes, red when degraded. */
static void add_link_edge(struct strbuf *out, const char *from,
			  const struct topo_obj *o, const char *to)
{
	strbuf_addf(out, "  \"%s\" -> \"%s\"", from, to);
	if (!o->has_link || !o->link_sta.width) {
		strbuf_adds(out, ";\n");
		return;
	}
	struct pcie_degraded d = { 0 };
	bool degraded = pcie_link_degraded(o, &d);
	const struct topo_link *c = &d.want;
	double gbps = pcie_link_gbps(o->link_sta.speed_gts, o->link_sta.width,
				     o->link_flit);
	struct strbuf label = STRBUF_INIT;

	/* "Gen4 x16 31.5 GB/s" as in the pictures, the bandwidth on a line
	 * of its own. */
	layout_link_label(o, &label);
	char *cut = strstr(label.buf, " x");
	if (cut && gbps > 0 && (cut = strchr(cut + 1, ' ')))
		*cut = '\n';
	strbuf_adds(out, " [label=\"");
	for (const char *p = label.buf; *p; p++)
		if (*p == '\n')
			strbuf_adds(out, "\\n");
		else
			strbuf_addc(out, *p);
	strbuf_release(&label);
	if (degraded) {
		strbuf_adds(out, "\\n(capable ");
		render_pcie_link(c, out);
		strbuf_addc(out, ')');
	}
	uint32_t ink = layout_inks[degraded ? LAYOUT_INK_DEGRADED : LAYOUT_INK_LINK].colour;
	strbuf_addf(out, "\", penwidth=%.1f", layout_link_stroke(o));
	if (degraded)
		strbuf_addf(out, ", color=\"#%06x\", fontcolor=\"#%06x\"",
			    (unsigned)ink, (unsigned)ink);
	strbuf_adds(out, "];\n");
}

static void indent(struct strbuf *out, size_t depth)
{
	for (size_t i = 0; i < depth; i++)
		strbuf_adds(out, "  ");
}

void render_dot(const struct topo *t, const struct render_opts *o,
		struct strbuf *out)
{
	struct layout_opts lo;

	layout_opts_for(&lo, o);
	struct layout *l = layout_compute(t, &lo);
	bool *cluster = xcalloc(l->n ? l->n : 1, sizeof(*cluster));
	size_t *open = xcalloc(l->n ? l->n : 1, sizeof(*open));
	size_t nopen = 0, depth = 1, ntop = 0;
	bool skipping = false;	/* inside the legend, left out */

	strbuf_adds(out, "digraph topology {\n"
		    "  graph [fontname=\"DejaVu Sans Mono\", fontsize=12, "
		    "labelloc=t, labeljust=l, compound=true, newrank=true, "
		    "rankdir=TB, label=\"");
	for (size_t i = 0; i < l->n && ntop < 2; i++)
		if (l->prims[i].kind == LAYOUT_TEXT && l->prims[i].parent < 0) {
			if (ntop++)
				strbuf_adds(out, "\\n");
			add_quoted(out, l->prims[i].text.s);
		}
	strbuf_addf(out, "\"];\n"
		    "  node [shape=box, style=filled, fontname=\"DejaVu Sans Mono\", "
		    "fontsize=10];\n"
		    "  edge [fontname=\"DejaVu Sans Mono\", fontsize=9, "
		    "color=\"#%06x\", arrowhead=none];\n",
		    (unsigned)layout_inks[LAYOUT_INK_LINK].colour);
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];
		const struct layout_box *b = &p->box;

		if (p->kind == LAYOUT_END && nopen) {
			size_t j = open[--nopen];

			if (l->prims[j].box.fill == LAYOUT_FILL_LEGEND)
				skipping = false;
			if (cluster[j]) {
				depth--;
				indent(out, depth);
				strbuf_adds(out, "}\n");
			}
			continue;
		}
		if (p->kind != LAYOUT_BOX)
			continue;
		open[nopen++] = i;
		if (b->fill == LAYOUT_FILL_LEGEND)
			skipping = true;
		if (skipping || b->fill == LAYOUT_FILL_MACHINE)
			continue;	/* the machine is the graph itself */
		char fill[8], stroke[8];
		snprintf(fill, sizeof(fill), "#%06x", (unsigned)layout_styles[b->fill].fill);
		snprintf(stroke, sizeof(stroke), "#%06x", (unsigned)layout_styles[b->fill].stroke);
		bool dashed = b->fill == LAYOUT_FILL_MORE ||
			      b->fill == LAYOUT_FILL_DIMM_EMPTY ||
			      b->fill == LAYOUT_FILL_PU_OFFLINE;
		if (is_container(b->fill) && has_child_box(l, i)) {
			cluster[i] = true;
			indent(out, depth);
			strbuf_addf(out, "subgraph \"cluster_%s\" {\n", b->id);
			indent(out, depth + 1);
			strbuf_adds(out, "label=\"");
			add_label(out, l, i);
			strbuf_addf(out, "\"; style=filled; fillcolor=\"%s\"; "
				    "color=\"%s\"; tooltip=\"", fill, stroke);
			add_quoted(out, b->title);
			strbuf_adds(out, "\";\n");
			depth++;
			continue;
		}
		indent(out, depth);
		strbuf_addf(out, "\"%s\" [label=\"", b->id);
		add_label(out, l, i);
		strbuf_addf(out, "\", fillcolor=\"%s\", color=\"%s\"%s, tooltip=\"",
			    fill, stroke, dashed ? ", style=\"filled,dashed\"" : "");
		add_quoted(out, b->title);
		strbuf_adds(out, "\"];\n");
		/* I/O hangs from its parent by an edge. */
		if (p->parent >= 0) {
			const struct layout_box *up = &l->prims[p->parent].box;

			if (is_pci(up->obj) && is_pci(b->obj)) {
				indent(out, depth - 1);
				add_link_edge(out, up->id, b->obj, b->id);
			} else if (is_pci(up->obj)) {
				indent(out, depth);
				strbuf_addf(out, "\"%s\" -> \"%s\" [style=dashed];\n",
					    up->id, b->id);
			}
		}
	}
	free(open);
	free(cluster);
	layout_free(l);
	strbuf_adds(out, "}\n");
}
