/* SPDX-License-Identifier: MIT */
/*
 * SVG 1.1 rendering of the topology picture: only the draw methods (box,
 * text, line) over the layout that layout.c computes.  Each box is a <g>
 * with a stable id and a <title> tooltip holding its full label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "render.h"

static const struct {
	const char *fill, *stroke, *extra;
} styles[LAYOUT_NFILLS] = {
	[LAYOUT_FILL_MACHINE] = { "#ffffff", "#404040", "" },
	[LAYOUT_FILL_PACKAGE] = { "#e4e4e4", "#404040", "" },
	[LAYOUT_FILL_DIE] = { "#d6d6d6", "#505050", "" },
	[LAYOUT_FILL_CLUSTER] = { "#ececec", "#606060", "" },
	[LAYOUT_FILL_NUMA] = { "#f3e1df", "#8a5a55", "" },
	[LAYOUT_FILL_MEMCACHE] = { "#f1e8d6", "#806a40", "" },
	[LAYOUT_FILL_CACHE] = { "#ffffff", "#606060", "" },
	[LAYOUT_FILL_CORE] = { "#c6c6c6", "#505050", "" },
	[LAYOUT_FILL_PU] = { "#ffffff", "#505050", "" },
	[LAYOUT_FILL_PU_OFFLINE] = { "#f6d2d2", "#a04040",
				     " stroke-dasharray: 3 2;" },
	[LAYOUT_FILL_DIMM] = { "#d5ebcc", "#4f7a45", "" },
	[LAYOUT_FILL_DIMM_EMPTY] = { "#f4f4f4", "#a8a8a8",
				     " stroke-dasharray: 3 2;" },
	[LAYOUT_FILL_BRIDGE] = { "#eef3fa", "#506a8a", "" },
	[LAYOUT_FILL_PCI] = { "#d9e6f5", "#3d5f8a", "" },
	[LAYOUT_FILL_OSDEV] = { "#fff1bf", "#8a7430", "" },
	[LAYOUT_FILL_MORE] = { "#ffffff", "#808080",
			       " stroke-dasharray: 4 3;" },
	[LAYOUT_FILL_LEGEND] = { "#fafafa", "#909090", "" },
};

struct svg {
	struct strbuf *out;
	enum layout_fill *stack;	/* fills of the open boxes */
	size_t depth, alloc;
};

/* Appends s as XML character data: escaped, control characters and
 * invalid UTF-8 replaced, so the document always parses. */
static void add_escaped(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		unsigned char ch = *p;
		size_t n = ch < 0x80 ? 1 : (ch & 0xe0) == 0xc0 ? 2
			   : (ch & 0xf0) == 0xe0 ? 3 : (ch & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n > 0 && (n == 1 || ch >= 0xc2);

		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			strbuf_addc(out, '?');
			p++;
			continue;
		}
		switch (ch) {
		case '&': strbuf_adds(out, "&amp;"); break;
		case '<': strbuf_adds(out, "&lt;"); break;
		case '>': strbuf_adds(out, "&gt;"); break;
		case '"': strbuf_adds(out, "&quot;"); break;
		case '\'': strbuf_adds(out, "&apos;"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				strbuf_addc(out, ' ');
			else
				strbuf_add(out, p, n);
		}
		p += n;
	}
}

/* A coordinate with at most one decimal: "12", "12.5". */
static void add_num(struct strbuf *out, const char *attr, double v)
{
	char buf[48];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%.1f", v);

	if (n >= 2 && n < sizeof(buf) && strcmp(buf + n - 2, ".0") == 0)
		buf[n - 2] = 0;
	strbuf_addf(out, " %s=\"%s\"", attr, strcmp(buf, "-0") ? buf : "0");
}

static void indent(struct svg *s)
{
	for (size_t i = 0; i <= s->depth; i++)
		strbuf_addc(s->out, ' ');
}

static void svg_box(void *ctx, const struct layout_box *b)
{
	struct svg *s = ctx;
	const char *cls = layout_fill_name(b->fill);

	indent(s);
	strbuf_adds(s->out, "<g id=\"");
	add_escaped(s->out, b->id ? b->id : "");
	strbuf_addf(s->out, "\" class=\"%s\"><title>", cls);
	add_escaped(s->out, b->title ? b->title : "");
	strbuf_adds(s->out, "</title>\n");
	indent(s);
	strbuf_addf(s->out, " <rect class=\"%s\"", cls);
	add_num(s->out, "x", b->x);
	add_num(s->out, "y", b->y);
	add_num(s->out, "width", b->w);
	add_num(s->out, "height", b->h);
	strbuf_adds(s->out, "/>\n");
	s->stack = xgrow(s->stack, sizeof(*s->stack), s->depth + 1, &s->alloc);
	s->stack[s->depth++] = b->fill;
}

static void svg_box_end(void *ctx, const struct layout_box *b)
{
	struct svg *s = ctx;

	(void)b;
	if (s->depth)
		s->depth--;
	indent(s);
	strbuf_adds(s->out, "</g>\n");
}

static void svg_text(void *ctx, const struct layout_text *t)
{
	struct svg *s = ctx;
	enum layout_fill f = s->depth ? s->stack[s->depth - 1] : LAYOUT_NFILLS;
	bool dim = f == LAYOUT_FILL_DIMM_EMPTY || f == LAYOUT_FILL_MORE ||
		   f == LAYOUT_FILL_PU_OFFLINE;

	indent(s);
	strbuf_addf(s->out, " <text class=\"%s%s\"", t->bold ? "b" : "n",
		    dim ? " dim" : "");
	add_num(s->out, "x", t->x);
	add_num(s->out, "y", t->y);
	add_num(s->out, "font-size", t->size);
	strbuf_addc(s->out, '>');
	add_escaped(s->out, t->s);
	strbuf_adds(s->out, "</text>\n");
}

static void svg_line(void *ctx, const struct layout_line *l)
{
	struct svg *s = ctx;

	indent(s);
	strbuf_adds(s->out, " <line class=\"link\"");
	add_num(s->out, "x1", l->x1);
	add_num(s->out, "y1", l->y1);
	add_num(s->out, "x2", l->x2);
	add_num(s->out, "y2", l->y2);
	add_num(s->out, "stroke-width", l->width);
	strbuf_adds(s->out, "/>\n");
}

static void add_style(struct strbuf *out)
{
	strbuf_adds(out,
		    "<style type=\"text/css\"><![CDATA[\n"
		    "text { font-family: 'DejaVu Sans Mono', Menlo, Consolas, "
		    "monospace; fill: #101010; white-space: pre; }\n"
		    "text.b { font-weight: bold; }\n"
		    "text.dim { fill: #707070; }\n"
		    "line.link { stroke: #3d5f8a; stroke-linecap: square; }\n"
		    "rect { stroke-width: 1; }\n");
	for (int f = 0; f < LAYOUT_NFILLS; f++)
		strbuf_addf(out, "rect.%s { fill: %s; stroke: %s;%s }\n",
			    layout_fill_name((enum layout_fill)f), styles[f].fill,
			    styles[f].stroke, styles[f].extra);
	strbuf_adds(out, "]]></style>\n");
}

void render_svg(const struct topo *t, const struct render_opts *o,
		struct strbuf *out)
{
	struct layout_opts lo;
	struct svg s = { .out = out };
	static const struct layout_draw_ops ops = {
		.box = svg_box, .box_end = svg_box_end,
		.text = svg_text, .line = svg_line,
	};

	layout_opts_init(&lo);
	if (o && o->verbose) {
		lo.max_kids = 0;
		lo.verbose = true;
	}
	struct layout *l = layout_compute(t, &lo);

	strbuf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");
	add_num(out, "width", l->width);
	add_num(out, "height", l->height);
	strbuf_addf(out, " viewBox=\"0 0 %.0f %.0f\">\n", l->width, l->height);
	strbuf_adds(out, "<title>");
	for (size_t i = 0; i < l->n; i++)
		if (l->prims[i].kind == LAYOUT_TEXT) {
			add_escaped(out, l->prims[i].text.s);
			break;
		}
	strbuf_adds(out, " (hvkit topo)</title>\n");
	add_style(out);
	strbuf_adds(out, "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
		    "fill=\"#ffffff\"/>\n");
	layout_draw(l, &ops, &s);
	strbuf_adds(out, "</svg>\n");
	free(s.stack);
	layout_free(l);
}
