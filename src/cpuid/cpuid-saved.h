/* SPDX-License-Identifier: MIT */
/* `hvkit cpuid compare SAVED_IMAGE HOST...` (render-saved.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cpuid-features.h"
#include "strbuf.h"

struct cpuid_saved_opts {
	bool json, pretty;
	enum cpuid_names names;
};

/*
 * Reads the saved image and each host (`xen-cpuid -p` output: its PV Max
 * or HVM Max policy, by the guest's type), renders per host whether the
 * guest can be restored there into sb, and returns EXIT_OK when every
 * host can, EXIT_FAIL when one cannot or an input cannot be read (the
 * reason logged; sb then holds no partial JSON).
 */
int cpuid_compare_saved(const char *image, char *const *hosts, size_t n,
			const struct cpuid_saved_opts *o, struct strbuf *sb);
