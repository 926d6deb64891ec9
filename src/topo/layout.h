/* SPDX-License-Identifier: MIT */
/*
 * The topology picture, computed once: an ordered list of drawing
 * primitives (boxes, text, lines) that every picture renderer (SVG, and
 * PNG and PDF through cairo) draws as it is, after lstopo's split of
 * lstopo-draw.c from its per-format draw methods.
 *
 * Coordinates are in pixels (SVG user units), origin top left, y down.
 * Boxes nest: a LAYOUT_BOX opens a box, the primitives up to its
 * matching LAYOUT_END are drawn inside it (texts and lines of the box,
 * then its child boxes), so the list is also a paint order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "strbuf.h"

/* What a box is filled as: one class per object type, plus states. */
enum layout_fill {
	LAYOUT_FILL_MACHINE,
	LAYOUT_FILL_PACKAGE,
	LAYOUT_FILL_DIE,
	LAYOUT_FILL_CLUSTER,
	LAYOUT_FILL_GROUP,		/* a NUMA node's locality */
	LAYOUT_FILL_NUMA,
	LAYOUT_FILL_MEMCACHE,
	LAYOUT_FILL_CACHE,
	LAYOUT_FILL_CORE,
	LAYOUT_FILL_PU,
	LAYOUT_FILL_PU_OFFLINE,
	LAYOUT_FILL_DIMM,
	LAYOUT_FILL_DIMM_EMPTY,
	LAYOUT_FILL_BRIDGE,		/* host and PCI bridges */
	LAYOUT_FILL_PCI,
	LAYOUT_FILL_OSDEV,
	LAYOUT_FILL_MORE,		/* "... N more" of hidden siblings */
	LAYOUT_FILL_LEGEND,		/* the legend's frame */
	LAYOUT_NFILLS
};

/*
 * How every renderer paints a fill: the one table of classes and colours
 * (SVG's CSS, cairo's PNG and PDF, DOT's attributes).
 */
struct layout_style {
	const char *name;	/* CSS class and id prefix: "pu", "dimm-empty" */
	const char *legend;	/* "PU (thread)" */
	uint32_t fill, stroke;	/* 0xRRGGBB */
	double dash[2];		/* stroke dash on, off; {0, 0}: solid */
};
extern const struct layout_style layout_styles[LAYOUT_NFILLS];

/* What a text or a line is drawn in. */
enum layout_ink {
	LAYOUT_INK_TEXT,	/* labels */
	LAYOUT_INK_DIM,		/* labels of empty slots, offline PUs, "more" */
	LAYOUT_INK_LINK,	/* PCIe links and their labels */
	LAYOUT_INK_DEGRADED,	/* a link trained below its capability */
	LAYOUT_NINKS
};
struct layout_ink_style {
	const char *name;	/* CSS class: "dim", "link", "degraded" */
	uint32_t colour;	/* 0xRRGGBB */
};
extern const struct layout_ink_style layout_inks[LAYOUT_NINKS];

enum layout_kind { LAYOUT_BOX, LAYOUT_END, LAYOUT_TEXT, LAYOUT_LINE };

struct layout_box {
	double x, y, w, h;
	enum layout_fill fill;
	const struct topo_obj *obj;	/* NULL: "more", legend */
	size_t more;			/* siblings this box stands for */
	char *id;			/* unique, [a-z0-9-]: "pu-3" */
	char *title;			/* full (verbose) label, for tooltips */
};

struct layout_text {
	double x, y;			/* left end of the baseline */
	double size;			/* font size (em height) */
	bool bold;
	enum layout_ink ink;
	char *s;			/* UTF-8, unescaped */
};

struct layout_line {
	double x1, y1, x2, y2;
	double width;			/* stroke width */
	enum layout_ink ink;		/* LINK, or DEGRADED */
	const struct topo_obj *obj;	/* whose link a stub draws; NULL: trunk */
};

struct layout_prim {
	enum layout_kind kind;
	long parent;			/* index of the enclosing BOX; -1: none */
	union {
		struct layout_box box;	/* BOX; END: a copy, no id/title */
		struct layout_text text;
		struct layout_line line;
	};
};

struct layout_opts {
	/* Siblings of one kind drawn per parent before a "... N more"
	 * box; 0: no limit. */
	size_t max_kids;
	double font_size;		/* object labels */
	double max_row_width;		/* siblings wrap into rows past this */
	size_t wrap_chars;		/* labels wrap at spaces past this */
	bool verbose;			/* longer labels in the boxes */
	bool io_all;			/* every PCI function, not only
					 * what iofilter.h keeps */
	/* A machine taller than two screens: identical packages, groups
	 * and dies (same CPU-side structure) drawn once, the others
	 * counted in a "... N more identical" box beside it. */
	bool factorise;
};

struct layout {
	struct layout_opts opts;
	double width, height;		/* the canvas */
	struct layout_prim *prims;
	size_t n, alloc;
};

/* The defaults: 16 kids of a kind, 10 px text, 1600 px rows,
 * factorised. */
void layout_opts_init(struct layout_opts *o);
/* The defaults changed by the renderer options (o may be NULL): -v
 * draws every object, every PCI function included; --io all the
 * latter. */
struct render_opts;
void layout_opts_for(struct layout_opts *lo, const struct render_opts *o);
/* Lays out the tree (t->root must be set); never fails. */
struct layout *layout_compute(const struct topo *t, const struct layout_opts *o);
void layout_free(struct layout *l);

/*
 * The drawing methods a renderer implements; layout_draw() calls them in
 * paint order.  box_end may be NULL.
 */
struct layout_draw_ops {
	void (*box)(void *ctx, const struct layout_box *b);
	void (*box_end)(void *ctx, const struct layout_box *b);
	void (*text)(void *ctx, const struct layout_text *t);
	void (*line)(void *ctx, const struct layout_line *l);
};
void layout_draw(const struct layout *l, const struct layout_draw_ops *ops,
		 void *ctx);

/* Estimated advance of s at size: 0.6 em per character (monospace). */
double layout_text_width(const char *s, double size);
/* Estimated ink box of a text: [x0, x1] x [y0, y1]. */
void layout_text_extent(const struct layout_text *t, double *x0, double *y0,
			double *x1, double *y1);
/* The class name of a fill ("pu", "dimm-empty") and its legend text. */
const char *layout_fill_name(enum layout_fill f);
const char *layout_fill_legend(enum layout_fill f);

/*
 * The PCIe link of o (its status: what it trained at) as the picture
 * labels its edge: "Gen4 x16 31.5 GB/s", the bandwidth from
 * pcie_link_gbps().  Appends nothing and returns false when o has no
 * known link.
 */
bool layout_link_label(const struct topo_obj *o, struct strbuf *out);
/* The stroke width of o's edge: 1 for 0.25 GB/s (Gen1 x1) and below,
 * 0.4 more per doubling (Gen4 x16: 3.8).  Whether it is red is
 * pcie_link_degraded(), the rule `topo check` reports by. */
double layout_link_stroke(const struct topo_obj *o);

/*
 * The structure of a layout as stable text, one primitive a line,
 * indented by nesting, geometry rounded to whole pixels: what the
 * picture regression test (tests/unit/test-layout.c) compares with the
 * reviewed files in tests/data/pictures/.
 *   canvas W H
 *   box ID CLASS X,Y WxH [more N]
 *     text X,Y SIZE [bold] [INK] "LABEL"
 *     line X1,Y1 X2,Y2 STROKE INK
 */
void layout_dump(const struct layout *l, struct strbuf *out);
