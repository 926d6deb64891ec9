/* SPDX-License-Identifier: MIT */
/* Renderers of the topology model: text tree, JSON, DOT and pictures. */
#pragma once

#include <stdbool.h>

#include "model.h"
#include "strbuf.h"

struct render_opts {
	bool verbose;		/* no collapsing, more attributes */
	bool color;
	bool pretty;		/* JSON: indented */
	bool io_all;		/* text and pictures: every PCI function, not
				 * only what iofilter.h keeps (-v implies it) */
	/* out, when not NULL: the factor a PNG or PDF was scaled down by to
	 * fit (1: drawn at full size) */
	double *shrunk;
};

/* Appends the rendering to out.  Neither fails: output errors are the
 * caller's to detect when it writes out. */
void render_text(const struct topo *t, const struct render_opts *o,
		 struct strbuf *out);
void render_json(const struct topo *t, const struct render_opts *o,
		 struct strbuf *out);
/* The picture as an SVG 1.1 document (layout.c, render-svg.c). */
void render_svg(const struct topo *t, const struct render_opts *o,
		struct strbuf *out);
/*
 * The picture as PNG or PDF through cairo (layout.c, render-cairo.c),
 * appended to out.  A PNG is scaled down to stay within cairo's 32767
 * pixels a side and 64 Mpixel; a PDF page within 14400 pt.  Return 0, or
 * a negative errno with cairo's reason added to *d.
 */
int render_png(const struct topo *t, const struct render_opts *o,
	       struct strbuf *out, struct hv_diags *d);
int render_pdf(const struct topo *t, const struct render_opts *o,
	       struct strbuf *out, struct hv_diags *d);
/* The factor render_png() scales a width x height layout by (<= 1). */
double render_png_scale(double width, double height);
/* The tree as a Graphviz digraph (render-dot.c): clusters for packages,
 * dies, NUMA nodes, caches and cores; PCIe links as labelled edges. */
void render_dot(const struct topo *t, const struct render_opts *o,
		struct strbuf *out);
/* What is known of the machine below root, only that: "2 package(s),
 * 16 core(s), 16 PU(s), 2 NUMA node(s), 32.0 GiB memory, 24 memory
 * slot(s), 128 PCI device(s)"; a PCI-only input says "7 PCI device(s)". */
void render_summary(const struct topo_obj *root, struct strbuf *out);
/* One-line label of an object, as the text tree prints it (no colour). */
void render_label(const struct topo_obj *obj, bool verbose, struct strbuf *out);
/* "Gen3", "Gen4": the PCIe generation of a link speed, or NULL. */
const char *render_pcie_gen(double gts);
/* "Gen3 x8", "2.7 GT/s x4", "? x8" (a speed code not known). */
void render_pcie_link(const struct topo_link *l, struct strbuf *out);
