/* SPDX-License-Identifier: MIT */
/* libarchive, loaded when an archive is first read or written. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef HV_LIBARCHIVE_SONAME
#define HV_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

/*
 * libarchive pulls in libxml2, ICU and libstdc++: linking it directly
 * costs every hvkit run about 4 ms of start-up, more than probing a small
 * machine takes.  Only captures and --from archives need it, so the
 * functions rootfs.c calls are defined here, each resolving the real one
 * from the shared library on first use.  The prototypes come from
 * libarchive's own headers, so a mismatch does not compile.  A missing
 * library is an installation error (libarchive13 is a dependency of the
 * package): it is reported and the program stops.
 */
static void *lazy_sym(const char *name)
{
	static void *lib;
	void *p;

	if (!lib) {
		lib = dlopen(HV_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!lib) {
			fprintf(stderr, "hvkit: error: cannot load %s: %s\n",
				HV_LIBARCHIVE_SONAME, dlerror());
			exit(1);
		}
	}
	p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "hvkit: error: %s has no %s\n",
			HV_LIBARCHIVE_SONAME, name);
		exit(1);
	}
	return p;
}

#define LAZY(ret, name, params, args)                                      \
	ret name params                                                     \
	{                                                                   \
		static ret (*fn) params;                                    \
		if (!fn)                                                    \
			fn = (ret (*) params)lazy_sym(#name);               \
		return fn args;                                             \
	}

LAZY(struct archive_entry *, archive_entry_clear, (struct archive_entry * a0), (a0))
LAZY(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * a0), (a0))
LAZY(void, archive_entry_free, (struct archive_entry * a0), (a0))
LAZY(const char *, archive_entry_hardlink, (struct archive_entry * a0), (a0))
LAZY(struct archive_entry *, archive_entry_new, (void), ())
LAZY(const char *, archive_entry_pathname, (struct archive_entry * a0), (a0))
LAZY(void, archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))
LAZY(void, archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))
LAZY(void, archive_entry_set_pathname, (struct archive_entry * a0, const char * a1), (a0, a1))
LAZY(void, archive_entry_set_perm, (struct archive_entry * a0, __LA_MODE_T a1), (a0, a1))
LAZY(void, archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY(void, archive_entry_set_symlink, (struct archive_entry * a0, const char * a1), (a0, a1))
LAZY(la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))
LAZY(const char *, archive_entry_symlink, (struct archive_entry * a0), (a0))
LAZY(const char *, archive_error_string, (struct archive * a0), (a0))
LAZY(la_ssize_t, archive_read_data, (struct archive * a0, void * a1, size_t a2), (a0, a1, a2))
LAZY(int, archive_read_free, (struct archive * a0), (a0))
LAZY(struct archive *, archive_read_new, (void), ())
LAZY(int, archive_read_next_header, (struct archive * a0, struct archive_entry ** a1), (a0, a1))
LAZY(int, archive_read_open_filename, (struct archive * a0, const char * a1, size_t a2), (a0, a1, a2))
LAZY(int, archive_read_support_filter_all, (struct archive * a0), (a0))
LAZY(int, archive_read_support_format_all, (struct archive * a0), (a0))
LAZY(int, archive_write_add_filter_gzip, (struct archive * a0), (a0))
LAZY(int, archive_write_close, (struct archive * a0), (a0))
LAZY(la_ssize_t, archive_write_data, (struct archive * a0, const void * a1, size_t a2), (a0, a1, a2))
LAZY(int, archive_write_free, (struct archive * a0), (a0))
LAZY(int, archive_write_header, (struct archive * a0, struct archive_entry * a1), (a0, a1))
LAZY(struct archive *, archive_write_new, (void), ())
LAZY(int, archive_write_open_fd, (struct archive * a0, int a1), (a0, a1))
LAZY(int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))
