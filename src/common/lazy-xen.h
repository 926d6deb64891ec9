/* SPDX-License-Identifier: MIT */
/* The Xen libraries, loaded on first use (src/common/lazy-xen.c). */
#pragma once

#include "lazy.h"

/* Ask lazy_lib_available(&lazy_xenlight) before a first libxl call where
 * running without Xen's libraries must not be fatal. */
extern struct lazy_lib lazy_xenlight;
/* lazy_lib_load() of libxenlight, libxlutil (xl.cfg; needs libxenlight
 * too) and libxentoollog (libxl's logger). */
int lazy_xenlight_load(struct hv_diags *d);
int lazy_xlutil_load(struct hv_diags *d);
int lazy_xtl_load(struct hv_diags *d);
