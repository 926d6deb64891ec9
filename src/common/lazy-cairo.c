/* SPDX-License-Identifier: MIT */
/* cairo, loaded on first use (PNG and PDF output only); see lazy.h.
 * Lines below: scripts/gen-lazy.py cairo /usr/include/cairo/cairo.h \
 *   /usr/include/cairo/cairo-pdf.h -- cairo_create ... (as below) */
#include <cairo.h>
#include <cairo-pdf.h>

#include "lazy.h"

LAZY_IN(cairo, cairo_t *, cairo_create, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, void, cairo_destroy, (cairo_t * a0), (a0))
LAZY_IN(cairo, void, cairo_device_to_user, (cairo_t * a0, double * a1, double * a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_fill_preserve, (cairo_t * a0), (a0))
LAZY_IN(cairo, void, cairo_font_face_destroy, (cairo_font_face_t * a0), (a0))
LAZY_IN(cairo, cairo_font_options_t *, cairo_font_options_create, (void), ())
LAZY_IN(cairo, void, cairo_font_options_destroy, (cairo_font_options_t * a0), (a0))
LAZY_IN(cairo, void, cairo_font_options_set_hint_metrics, (cairo_font_options_t * a0, cairo_hint_metrics_t a1), (a0, a1))
LAZY_IN(cairo, cairo_surface_t *, cairo_image_surface_create, (cairo_format_t a0, int a1, int a2), (a0, a1, a2))
LAZY_IN(cairo, unsigned char *, cairo_image_surface_get_data, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, int, cairo_image_surface_get_height, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, int, cairo_image_surface_get_stride, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, int, cairo_image_surface_get_width, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, void, cairo_line_to, (cairo_t * a0, double a1, double a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_move_to, (cairo_t * a0, double a1, double a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_paint, (cairo_t * a0), (a0))
LAZY_IN(cairo, cairo_surface_t *, cairo_pdf_surface_create_for_stream, (cairo_write_func_t a0, void * a1, double a2, double a3), (a0, a1, a2, a3))
LAZY_IN(cairo, void, cairo_pdf_surface_set_metadata, (cairo_surface_t * a0, cairo_pdf_metadata_t a1, const char * a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_rectangle, (cairo_t * a0, double a1, double a2, double a3, double a4), (a0, a1, a2, a3, a4))
LAZY_IN(cairo, void, cairo_scale, (cairo_t * a0, double a1, double a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_set_dash, (cairo_t * a0, const double * a1, int a2, double a3), (a0, a1, a2, a3))
LAZY_IN(cairo, void, cairo_set_font_face, (cairo_t * a0, cairo_font_face_t * a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_font_options, (cairo_t * a0, const cairo_font_options_t * a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_font_size, (cairo_t * a0, double a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_line_cap, (cairo_t * a0, cairo_line_cap_t a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_line_join, (cairo_t * a0, cairo_line_join_t a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_line_width, (cairo_t * a0, double a1), (a0, a1))
LAZY_IN(cairo, void, cairo_set_source_rgb, (cairo_t * a0, double a1, double a2, double a3), (a0, a1, a2, a3))
LAZY_IN(cairo, void, cairo_show_text, (cairo_t * a0, const char * a1), (a0, a1))
LAZY_IN(cairo, cairo_status_t, cairo_status, (cairo_t * a0), (a0))
LAZY_IN(cairo, const char *, cairo_status_to_string, (cairo_status_t a0), (a0))
LAZY_IN(cairo, void, cairo_stroke, (cairo_t * a0), (a0))
LAZY_IN(cairo, void, cairo_surface_destroy, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, void, cairo_surface_finish, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, void, cairo_surface_flush, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, cairo_status_t, cairo_surface_status, (cairo_surface_t * a0), (a0))
LAZY_IN(cairo, cairo_font_face_t *, cairo_toy_font_face_create, (const char * a0, cairo_font_slant_t a1, cairo_font_weight_t a2), (a0, a1, a2))
LAZY_IN(cairo, void, cairo_user_to_device, (cairo_t * a0, double * a1, double * a2), (a0, a1, a2))
LAZY_SYMS(cairo) = {
	LAZY_SYM(cairo, cairo_create),
	LAZY_SYM(cairo, cairo_destroy),
	LAZY_SYM(cairo, cairo_device_to_user),
	LAZY_SYM(cairo, cairo_fill_preserve),
	LAZY_SYM(cairo, cairo_font_face_destroy),
	LAZY_SYM(cairo, cairo_font_options_create),
	LAZY_SYM(cairo, cairo_font_options_destroy),
	LAZY_SYM(cairo, cairo_font_options_set_hint_metrics),
	LAZY_SYM(cairo, cairo_image_surface_create),
	LAZY_SYM(cairo, cairo_image_surface_get_data),
	LAZY_SYM(cairo, cairo_image_surface_get_height),
	LAZY_SYM(cairo, cairo_image_surface_get_stride),
	LAZY_SYM(cairo, cairo_image_surface_get_width),
	LAZY_SYM(cairo, cairo_line_to),
	LAZY_SYM(cairo, cairo_move_to),
	LAZY_SYM(cairo, cairo_paint),
	LAZY_SYM(cairo, cairo_pdf_surface_create_for_stream),
	LAZY_SYM(cairo, cairo_pdf_surface_set_metadata),
	LAZY_SYM(cairo, cairo_rectangle),
	LAZY_SYM(cairo, cairo_scale),
	LAZY_SYM(cairo, cairo_set_dash),
	LAZY_SYM(cairo, cairo_set_font_face),
	LAZY_SYM(cairo, cairo_set_font_options),
	LAZY_SYM(cairo, cairo_set_font_size),
	LAZY_SYM(cairo, cairo_set_line_cap),
	LAZY_SYM(cairo, cairo_set_line_join),
	LAZY_SYM(cairo, cairo_set_line_width),
	LAZY_SYM(cairo, cairo_set_source_rgb),
	LAZY_SYM(cairo, cairo_show_text),
	LAZY_SYM(cairo, cairo_status),
	LAZY_SYM(cairo, cairo_status_to_string),
	LAZY_SYM(cairo, cairo_stroke),
	LAZY_SYM(cairo, cairo_surface_destroy),
	LAZY_SYM(cairo, cairo_surface_finish),
	LAZY_SYM(cairo, cairo_surface_flush),
	LAZY_SYM(cairo, cairo_surface_status),
	LAZY_SYM(cairo, cairo_toy_font_face_create),
	LAZY_SYM(cairo, cairo_user_to_device),
};

static LAZY_LIB(cairo, "libcairo.so.2", "libcairo2");
LAZY_LOAD(cairo, cairo)
