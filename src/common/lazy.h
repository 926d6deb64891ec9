/* SPDX-License-Identifier: MIT */
/* Shared libraries loaded on first use, for the heavy optional ones. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/*
 * Linking libarchive, cairo, libxml2 or libxenlight into hvkit costs every
 * run their start-up (with their own dependencies: ICU, X11, libxenctrl,
 * ...), 15 ms and more, when most runs need none of them.  Instead, the
 * functions hvkit calls are defined in src/common/lazy-*.c by LAZY_IN(),
 * each calling through a pointer to the real function.  The prototypes
 * come from the libraries' own headers (scripts/gen-lazy.py writes the
 * LAZY_IN lines and each library's LAZY_SYMS table), so a mismatch does
 * not compile.
 *
 * An entry point that needs a library loads it first, by lazy_lib_load()
 * (or its library's lazy_<name>_load()).  The load resolves EVERY symbol
 * of the library's table at once: a library that is missing, or that
 * lacks one of them (too old, or not the library its name says), is a
 * negative errno (-ELIBACC) and one line in hv_diags naming the soname,
 * the Debian package and why ("FILE has no SYMBOL (too old?)" for the
 * first symbol it lacks), as every library error is.  Code that can do
 * without the library asks lazy_lib_available().  After a successful load
 * no call can fail to find its function; a wrapper called before its
 * library was loaded is a bug in hvkit (an entry point that skipped the
 * load), reported and abort()ed as a failed assertion.
 *
 * The tests point the loader at stand-ins through LD_LIBRARY_PATH (it
 * dlopen()s the soname): tests/unit/fake-libxl.c, tests/unit/fake-lazy.c.
 * Loading is thread-safe; a load that failed is not tried again.
 */
struct lazy_sym {
	const char *name;	/* "cairo_create" */
	void **addr;		/* where the load puts its address */
};

struct lazy_lib {
	const char *soname;	/* "libcairo.so.2" */
	const char *package;	/* Debian package: "libcairo2" */
	const struct lazy_sym *syms;	/* every symbol hvkit uses in it */
	size_t nsyms;
	void *handle;		/* set once every symbol is resolved */
	bool tried;
	char error[4096 + 256];	/* why a load failed: dlerror(), or FILE has no SYMBOL */
};

/* The pointer LAZY_IN(lib, ..., name, ...) calls through; hand-written
 * wrappers (variadic functions, variables) declare theirs by it too. */
#define LAZY_FN(lib, name) lazy_##lib##_##name
/* One entry of a library's table: a LAZY_FN(lib, name) declared above. */
#define LAZY_SYM(lib, name) { #name, (void **)&LAZY_FN(lib, name) }
/* Begins the table of library var: `LAZY_SYMS(var) = { LAZY_SYM(...), };` */
#define LAZY_SYMS(var) static const struct lazy_sym var##_syms[]
/* Defines library var, after its table. */
#define LAZY_LIB(var, so, pkg)                                             \
	struct lazy_lib var = { .soname = so, .package = pkg,               \
				.syms = var##_syms,                         \
				.nsyms = sizeof(var##_syms) / sizeof(var##_syms[0]) }
/* Defines int lazy_<name>_load(struct hv_diags *d) for the library var. */
#define LAZY_LOAD(var, name)                                               \
	int lazy_##name##_load(struct hv_diags *d)                          \
	{                                                                   \
		return lazy_lib_load(&var, d);                              \
	}

/* True when the library loads with every symbol of its table (it stays
 * loaded); else false, l->error saying why. */
bool lazy_lib_available(struct lazy_lib *l);
/* 0 when the library loads, else -ELIBACC with "cannot load libX.so.N
 * (Debian package P): reason" added to d. */
int lazy_lib_load(struct lazy_lib *l, struct hv_diags *d);
/* lazy_lib_load() of the library each lazy-*.c wraps (blkid: move only;
 * the Xen ones: lazy-xen.h; libvirt: lazy-libvirt.h). */
int lazy_archive_load(struct hv_diags *d);
int lazy_blkid_load(struct hv_diags *d);
int lazy_cairo_load(struct hv_diags *d);
int lazy_curl_load(struct hv_diags *d);
int lazy_xml2_load(struct hv_diags *d);
/* A wrapper of name called before its library was loaded: says so, aborts. */
__attribute__((noreturn, cold)) void lazy_unloaded(const char *name);

#define LAZY_IN(lib, ret, name, params, args)                              \
	static ret (*LAZY_FN(lib, name)) params;                            \
	ret name params                                                     \
	{                                                                   \
		if (__builtin_expect(!LAZY_FN(lib, name), 0))               \
			lazy_unloaded(#name);                               \
		return LAZY_FN(lib, name) args;                             \
	}
