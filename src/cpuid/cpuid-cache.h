/* SPDX-License-Identifier: MIT */
/* hvkit cpuid's cache of what it learnt from other programs' files. */
#pragma once

#include <stddef.h>

#include "strbuf.h"

/*
 * $XDG_CACHE_HOME/hvkit/NAME (else ~/.cache/hvkit/NAME), NAME formatted
 * from fmt; malloc'd, or NULL when neither variable is an absolute path.
 * A cache entry is only a shortcut: the caller keys NAME by what it was
 * made from and falls back to the real source when the entry is missing
 * or does not read back.
 */
__attribute__((format(printf, 1, 2)))
char *cpuid_cache_path(const char *fmt, ...);

/* Appends the entry to *sb when it is a regular file (not a symbolic
 * link) of at most max bytes; 0 or a negative errno. */
int cpuid_cache_read(const char *path, size_t max, struct strbuf *sb);

/* Writes the entry atomically (a temporary file, then rename), making
 * the folder; failures are ignored (it is a cache). */
void cpuid_cache_write(const char *path, const struct strbuf *sb);
