/* SPDX-License-Identifier: MIT */
/* libvirt, loaded on first use (src/common/lazy-libvirt.c). */
#pragma once

#include "lazy.h"

/* Ask lazy_lib_available(&lazy_libvirt) before a first libvirt call:
 * without libvirt0, --backend libvirt is refused in one line. */
extern struct lazy_lib lazy_libvirt;
