/* SPDX-License-Identifier: MIT */
/*
 * PNG and PDF rendering of the topology picture through cairo: only the
 * draw methods (box, text, line) over the layout that layout.c computes,
 * in the colours of its layout_styles[] and layout_inks[].  The image is built in memory and
 * handed back in a strbuf, so the caller writes it atomically.
 */
#include <cairo.h>
#include <cairo-pdf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "layout.h"
#include "lazy.h"
#include "render.h"

/* Cairo's image surfaces stop at 32767 pixels a side; we also keep an
 * image below 64 Mpixel (256 MiB of ARGB) and a PDF page within the
 * 14400 pt (200 inch) that PDF readers accept. */
#define PNG_MAX_SIDE 32767.0
#define PNG_MAX_PIXELS (64.0 * 1024 * 1024)
#define PDF_MAX_SIDE 14400.0
#define PDF_PT_PER_PX 0.75	/* CSS pixels: 96 per inch */

struct cr {
	cairo_t *cr;
	cairo_font_face_t *face[2];	/* regular, bold */
	int cur_face;
	double cur_size;
	struct strbuf text;		/* scratch: sanitised UTF-8 */
	bool snap;			/* raster: align strokes to pixels */
};

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
	cairo_set_source_rgb(cr, (rgb >> 16 & 0xff) / 255.0,
			     (rgb >> 8 & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static double dround(double v)
{
	return (double)(long long)(v < 0 ? v - 0.5 : v + 0.5);
}

/* Moves a user-space point onto a device pixel centre, so that 1-pixel
 * strokes stay sharp at any scale. */
static void snap(cairo_t *cr, double *x, double *y)
{
	cairo_user_to_device(cr, x, y);
	*x = dround(*x - 0.5) + 0.5;
	*y = dround(*y - 0.5) + 0.5;
	cairo_device_to_user(cr, x, y);
}

static void cr_box(void *ctx, const struct layout_box *b)
{
	struct cr *c = ctx;
	const struct layout_style *st =
		&layout_styles[b->fill < LAYOUT_NFILLS ? b->fill : LAYOUT_FILL_MORE];
	double x0 = b->x, y0 = b->y, x1 = b->x + b->w, y1 = b->y + b->h;

	if (c->snap) {
		snap(c->cr, &x0, &y0);
		snap(c->cr, &x1, &y1);
	}
	cairo_rectangle(c->cr, x0, y0, x1 - x0, y1 - y0);
	set_rgb(c->cr, st->fill);
	cairo_fill_preserve(c->cr);
	set_rgb(c->cr, st->stroke);
	cairo_set_line_width(c->cr, 1);
	cairo_set_dash(c->cr, st->dash, st->dash[0] ? 2 : 0, 0);
	cairo_stroke(c->cr);
}

static uint32_t ink_rgb(enum layout_ink ink)
{
	return layout_inks[ink < LAYOUT_NINKS ? ink : LAYOUT_INK_TEXT].colour;
}

/* Copies s with invalid UTF-8 and control characters replaced: cairo
 * puts itself in an error state on invalid UTF-8. */
static const char *sanitise(struct strbuf *sb, const char *s)
{
	strbuf_reset(sb);
	strbuf_add_utf8(sb, s, NULL);
	return sb->buf;
}

static void cr_text(void *ctx, const struct layout_text *t)
{
	struct cr *c = ctx;

	if (c->cur_face != t->bold) {
		cairo_set_font_face(c->cr, c->face[t->bold]);
		c->cur_face = t->bold;
		c->cur_size = 0;	/* set_font_face resets the size */
	}
	if (c->cur_size != t->size) {
		cairo_set_font_size(c->cr, t->size);
		c->cur_size = t->size;
	}
	set_rgb(c->cr, ink_rgb(t->ink));
	cairo_move_to(c->cr, t->x, t->y);
	cairo_show_text(c->cr, sanitise(&c->text, t->s));
}

static void cr_line(void *ctx, const struct layout_line *l)
{
	struct cr *c = ctx;
	double x1 = l->x1, y1 = l->y1, x2 = l->x2, y2 = l->y2;

	if (c->snap && l->width <= 1) {
		snap(c->cr, &x1, &y1);
		snap(c->cr, &x2, &y2);
	}
	set_rgb(c->cr, ink_rgb(l->ink));
	cairo_set_line_width(c->cr, l->width);
	cairo_set_line_cap(c->cr, CAIRO_LINE_CAP_SQUARE);
	cairo_set_dash(c->cr, NULL, 0, 0);
	cairo_move_to(c->cr, x1, y1);
	cairo_line_to(c->cr, x2, y2);
	cairo_stroke(c->cr);
	cairo_set_line_cap(c->cr, CAIRO_LINE_CAP_BUTT);
}

/* Draws the layout on cr (already scaled); returns cairo's status. */
static cairo_status_t draw(cairo_t *cr, const struct layout *l, bool raster)
{
	static const struct layout_draw_ops ops = {
		.box = cr_box,
		.text = cr_text, .line = cr_line,
	};
	struct cr c = { .cr = cr, .cur_face = -1, .text = STRBUF_INIT,
		      .snap = raster };
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_status_t st;

	/* Unhinted metrics: advances scale exactly, as the layout's
	 * 0.6 em per character estimate assumes. */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
	c.face[0] = cairo_toy_font_face_create("DejaVu Sans Mono",
					       CAIRO_FONT_SLANT_NORMAL,
					       CAIRO_FONT_WEIGHT_NORMAL);
	c.face[1] = cairo_toy_font_face_create("DejaVu Sans Mono",
					       CAIRO_FONT_SLANT_NORMAL,
					       CAIRO_FONT_WEIGHT_BOLD);
	set_rgb(cr, 0xffffff);
	cairo_paint(cr);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
	layout_draw(l, &ops, &c);
	st = cairo_status(cr);
	cairo_font_face_destroy(c.face[0]);
	cairo_font_face_destroy(c.face[1]);
	strbuf_release(&c.text);
	return st;
}

static cairo_status_t write_sb(void *closure, const unsigned char *data,
			       unsigned int length)
{
	strbuf_add(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

/* ---- PNG encoding ----
 *
 * Not cairo_surface_write_to_png_stream(): libpng's defaults (every row
 * tried with all five filters, zlib level 6) took two thirds of the run
 * time.  A picture of flat colours compresses nearly as well with the
 * "Up" filter at zlib level 1, at a fraction of the cost. */

static void put_be32(struct strbuf *out, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff };

	strbuf_add(out, b, 4);
}

static void put_chunk(struct strbuf *out, const char *type,
		      const unsigned char *data, size_t len)
{
	uLong crc = crc32(0, (const Bytef *)type, 4);

	put_be32(out, (uint32_t)len);
	strbuf_add(out, type, 4);
	if (len) {
		strbuf_add(out, data, len);
		crc = crc32(crc, data, (uInt)len);
	}
	put_be32(out, (uint32_t)crc);
}

/* Appends an RGB24 image surface as an 8-bit RGB PNG. */
static int write_png(cairo_surface_t *sf, struct strbuf *out)
{
	int w = cairo_image_surface_get_width(sf);
	int h = cairo_image_surface_get_height(sf);
	int stride = cairo_image_surface_get_stride(sf);
	const unsigned char *px;
	size_t row = 1 + 3 * (size_t)w;
	/* raw: the previous row's RGB (zeros above the first); filt: the
	 * row handed to zlib, filter byte first */
	unsigned char *raw = xcalloc(row, 1), *filt = xmalloc(row);
	unsigned char *zbuf = xmalloc(1 << 16);
	z_stream z = { 0 };
	struct strbuf idat = STRBUF_INIT;
	int rc = 0, zr = Z_OK;

	cairo_surface_flush(sf);
	px = cairo_image_surface_get_data(sf);
	if (!px || deflateInit(&z, 1) != Z_OK) {
		free(raw);
		free(filt);
		free(zbuf);
		return -ENOMEM;
	}
	for (int y = 0; y <= h && (zr == Z_OK || zr == Z_BUF_ERROR); y++) {
		int flush = y < h ? Z_NO_FLUSH : Z_FINISH;

		if (y < h) {
			const uint32_t *src = (const uint32_t *)(px + (size_t)y * stride);

			filt[0] = 2;	/* filter "Up": minus the pixel above */
			for (size_t x = 0; x < (size_t)w; x++) {
				uint32_t v = src[x];
				unsigned char *up = raw + 1 + 3 * x, *d = filt + 1 + 3 * x;
				unsigned char r = v >> 16 & 0xff, g = v >> 8 & 0xff, b = v & 0xff;

				d[0] = (unsigned char)(r - up[0]);
				d[1] = (unsigned char)(g - up[1]);
				d[2] = (unsigned char)(b - up[2]);
				up[0] = r;
				up[1] = g;
				up[2] = b;
			}
			z.next_in = filt;
			z.avail_in = (uInt)row;
		}
		do {
			z.next_out = zbuf;
			z.avail_out = 1 << 16;
			zr = deflate(&z, flush);
			strbuf_add(&idat, zbuf, (1 << 16) - z.avail_out);
		} while (zr == Z_OK && (z.avail_out == 0 || z.avail_in));
	}
	(void)deflateEnd(&z);
	if (zr == Z_STREAM_END) {
		unsigned char ihdr[13] = {
			w >> 24, w >> 16 & 0xff, w >> 8 & 0xff, w & 0xff,
			h >> 24, h >> 16 & 0xff, h >> 8 & 0xff, h & 0xff,
			8, 2, 0, 0, 0 };	/* 8-bit RGB, not interlaced */

		strbuf_add(out, "\x89PNG\r\n\x1a\n", 8);
		put_chunk(out, "IHDR", ihdr, sizeof(ihdr));
		put_chunk(out, "IDAT", (const unsigned char *)idat.buf, idat.len);
		put_chunk(out, "IEND", NULL, 0);
	} else {
		rc = -EIO;
	}
	free(raw);
	free(filt);
	free(zbuf);
	strbuf_release(&idat);
	return rc;
}

static struct layout *compute(const struct topo *t, const struct render_opts *o)
{
	struct layout_opts lo;

	layout_opts_for(&lo, o);
	return layout_compute(t, &lo);
}

/* No libm: the square root the pixel budget needs, by bisection. */
static double dsqrt(double v)
{
	double lo = 0, hi = v > 1 ? v : 1;

	for (int i = 0; i < 64; i++) {
		double mid = (lo + hi) / 2;

		if (mid * mid > v)
			hi = mid;
		else
			lo = mid;
	}
	return lo;
}

double render_png_scale(double width, double height)
{
	double s = 1;

	if (width * s > PNG_MAX_SIDE)
		s = PNG_MAX_SIDE / width;
	if (height * s > PNG_MAX_SIDE)
		s = PNG_MAX_SIDE / height;
	if (width * height * s * s > PNG_MAX_PIXELS)
		s = dsqrt(PNG_MAX_PIXELS / (width * height));
	return s;
}

static int status_errno(cairo_status_t st)
{
	return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
}

int render_png(const struct topo *t, const struct render_opts *o,
	       struct strbuf *out, struct hv_diags *d)
{
	int rc = lazy_cairo_load(d);

	if (rc < 0)
		return rc;
	struct layout *l = compute(t, o);
	double s = render_png_scale(l->width, l->height);
	int w = (int)(l->width * s + 0.999), h = (int)(l->height * s + 0.999);

	if (o && o->shrunk)
		*o->shrunk = s;
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							 w < 1 ? 1 : w,
							 h < 1 ? 1 : h);
	cairo_t *cr = cairo_create(sf);
	cairo_status_t st;

	cairo_scale(cr, s, s);
	st = draw(cr, l, true);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && (rc = write_png(sf, out)) < 0)
		(void)hv_errorf(d, "cannot compress the image");
	cairo_surface_destroy(sf);
	layout_free(l);
	if (st != CAIRO_STATUS_SUCCESS) {
		(void)hv_errorf(d, "%s", cairo_status_to_string(st));
		return status_errno(st);
	}
	return rc;
}

int render_pdf(const struct topo *t, const struct render_opts *o,
	       struct strbuf *out, struct hv_diags *d)
{
	int rc = lazy_cairo_load(d);

	if (rc < 0)
		return rc;
	struct layout *l = compute(t, o);
	double s = PDF_PT_PER_PX;

	if (l->width * s > PDF_MAX_SIDE)
		s = PDF_MAX_SIDE / l->width;
	if (l->height * s > PDF_MAX_SIDE)
		s = PDF_MAX_SIDE / l->height;
	if (o && o->shrunk)
		*o->shrunk = s / PDF_PT_PER_PX;
	cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(
		write_sb, out, l->width * s, l->height * s);
	cairo_t *cr = cairo_create(sf);
	cairo_status_t st;

	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "hvkit topo");
	cairo_scale(cr, s, s);
	st = draw(cr, l, false);
	cairo_destroy(cr);
	cairo_surface_finish(sf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	layout_free(l);
	if (st != CAIRO_STATUS_SUCCESS) {
		(void)hv_errorf(d, "%s", cairo_status_to_string(st));
		return status_errno(st);
	}
	return 0;
}
