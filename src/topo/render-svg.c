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

struct svg {
	struct strbuf *out;
	size_t depth;			/* boxes open */
};

/* Appends s as XML character data: escaped, control characters and
 * invalid UTF-8 replaced, so the document always parses. */
static void add_escaped(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		/* A run of plain ASCII in one go. */
		const unsigned char *q = p;

		while (*q >= 0x20 && *q < 0x7f && *q != '&' && *q != '<' &&
		       *q != '>' && *q != '"' && *q != '\'')
			q++;
		if (q > p) {
			strbuf_add(out, p, (size_t)(q - p));
			p = q;
			continue;
		}
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

/*
 * ' attr="v"' with v rounded to one decimal and no ".0": "12", "12.5".
 * Not printf: "%.1f" was two fifths of drawing a big machine.
 */
static void add_num(struct strbuf *out, const char *attr, double v)
{
	char buf[32], *p = buf + sizeof(buf);
	double r = v * 10 + (v < 0 ? -0.5 : 0.5);
	long long t;

	if (!(r > -1e17 && r < 1e17))	/* NaN, or far beyond any canvas */
		r = 0;
	t = (long long)r;
	unsigned long long u = t < 0 ? (unsigned long long)-t : (unsigned long long)t;

	*--p = '"';
	if (u % 10) {
		*--p = (char)('0' + u % 10);
		*--p = '.';
	}
	u /= 10;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (t < 0)
		*--p = '-';
	*--p = '"';
	*--p = '=';
	strbuf_addc(out, ' ');
	strbuf_adds(out, attr);
	strbuf_add(out, p, (size_t)(buf + sizeof(buf) - p));
}

static void indent(struct svg *s)
{
	static const char spaces[] = "                                ";
	size_t n = s->depth + 1;

	for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
		strbuf_add(s->out, spaces, sizeof(spaces) - 1);
	strbuf_add(s->out, spaces, n);
}

static void svg_box(void *ctx, const struct layout_box *b)
{
	struct svg *s = ctx;
	const char *cls = layout_fill_name(b->fill);

	indent(s);
	strbuf_adds(s->out, "<g id=\"");
	add_escaped(s->out, b->id ? b->id : "");
	strbuf_adds(s->out, "\" class=\"");
	strbuf_adds(s->out, cls);
	strbuf_adds(s->out, "\"><title>");
	add_escaped(s->out, b->title ? b->title : "");
	strbuf_adds(s->out, "</title>\n");
	indent(s);
	strbuf_adds(s->out, " <rect class=\"");
	strbuf_adds(s->out, cls);
	strbuf_addc(s->out, '"');
	add_num(s->out, "x", b->x);
	add_num(s->out, "y", b->y);
	add_num(s->out, "width", b->w);
	add_num(s->out, "height", b->h);
	strbuf_adds(s->out, "/>\n");
	s->depth++;
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

	indent(s);
	strbuf_adds(s->out, t->bold ? " <text class=\"b" : " <text class=\"n");
	if (t->ink != LAYOUT_INK_TEXT && t->ink < LAYOUT_NINKS) {
		strbuf_addc(s->out, ' ');
		strbuf_adds(s->out, layout_inks[t->ink].name);
	}
	strbuf_addc(s->out, '"');
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
	strbuf_adds(s->out, l->ink == LAYOUT_INK_DEGRADED
			    ? " <line class=\"degraded\"" : " <line class=\"link\"");
	add_num(s->out, "x1", l->x1);
	add_num(s->out, "y1", l->y1);
	add_num(s->out, "x2", l->x2);
	add_num(s->out, "y2", l->y2);
	add_num(s->out, "stroke-width", l->width);
	/* Which link a stub draws: tests match red ones to `topo check`. */
	if (l->obj && l->obj->address) {
		strbuf_adds(s->out, " data-link=\"");
		add_escaped(s->out, l->obj->address);
		strbuf_addc(s->out, '"');
	}
	strbuf_adds(s->out, "/>\n");
}

static void add_style(struct strbuf *out)
{
	strbuf_adds(out,
		    "<style type=\"text/css\"><![CDATA[\n"
		    "text { font-family: 'DejaVu Sans Mono', Menlo, Consolas, "
		    "monospace; fill: #101010; white-space: pre; }\n"
		    "text.b { font-weight: bold; }\n"
		    "rect { stroke-width: 1; }\n");
	for (int i = LAYOUT_INK_DIM; i < LAYOUT_NINKS; i++)
		strbuf_addf(out, "text.%s { fill: #%06x; }\n", layout_inks[i].name,
			    (unsigned)layout_inks[i].colour);
	for (int i = LAYOUT_INK_LINK; i < LAYOUT_NINKS; i++)
		strbuf_addf(out, "line.%s { stroke: #%06x; stroke-linecap: square; }\n",
			    layout_inks[i].name, (unsigned)layout_inks[i].colour);
	for (int f = 0; f < LAYOUT_NFILLS; f++) {
		const struct layout_style *st = &layout_styles[f];

		strbuf_addf(out, "rect.%s { fill: #%06x; stroke: #%06x;", st->name,
			    (unsigned)st->fill, (unsigned)st->stroke);
		if (st->dash[0] > 0)
			strbuf_addf(out, " stroke-dasharray: %g %g;", st->dash[0],
				    st->dash[1]);
		strbuf_adds(out, " }\n");
	}
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

	layout_opts_for(&lo, o);
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
	layout_free(l);
}
