/* SPDX-License-Identifier: MIT */
/* The Xen libraries, loaded on first use (src/common/lazy-xen.c). */
#pragma once

#include "lazy.h"

/* Ask lazy_lib_available(&lazy_xenlight) before a first libxl call where
 * running without Xen's libraries must not be fatal. */
extern struct lazy_lib lazy_xenlight;
