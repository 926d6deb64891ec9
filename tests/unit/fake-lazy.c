/* SPDX-License-Identifier: MIT */
/*
 * A library that is none of the ones hvkit loads lazily, yet carries a
 * few of the names of each: tests/e2e/topo/0612-lazy-libraries.py
 * installs it under each soname (libcairo.so.2, libxml2.so.2, ...) in a
 * directory on LD_LIBRARY_PATH, as a stale or foreign copy would be, and
 * judges that the load is refused in one line naming the first symbol
 * of the library's table (src/common/lazy-*.c) that it lacks.  Nothing
 * here is ever called: a load that resolved every symbol would be a bug.
 * No real header: these are names, not the libraries' prototypes.
 */
#define NAME(n) void n(void) { __builtin_trap(); }

NAME(archive_entry_clear)
NAME(archive_entry_filetype)
NAME(blkid_new_probe)
NAME(cairo_create)
NAME(cairo_destroy)
NAME(curl_easy_init)
NAME(virConnectOpen)
NAME(virConnectClose)
NAME(xmlCtxtGetLastError)
NAME(xmlCtxtReadMemory)
NAME(xlu_cfg_destroy)
NAME(libxl_ctx_alloc)
NAME(libxl_ctx_free)
void *xmlFree;
