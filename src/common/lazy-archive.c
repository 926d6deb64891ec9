/* SPDX-License-Identifier: MIT */
/* libarchive, loaded on first use (captures and --from archives); see
 * lazy.h.  Lines below: scripts/gen-lazy.py archive /usr/include/archive.h \
 *   /usr/include/archive_entry.h -- archive_entry_clear ... (as below) */
#include <archive.h>
#include <archive_entry.h>

#include "lazy.h"

LAZY_IN(archive, struct archive_entry *, archive_entry_clear, (struct archive_entry * a0), (a0))
LAZY_IN(archive, __LA_MODE_T, archive_entry_filetype, (struct archive_entry * a0), (a0))
LAZY_IN(archive, void, archive_entry_free, (struct archive_entry * a0), (a0))
LAZY_IN(archive, const char *, archive_entry_hardlink, (struct archive_entry * a0), (a0))
LAZY_IN(archive, struct archive_entry *, archive_entry_new, (void), ())
LAZY_IN(archive, const char *, archive_entry_pathname, (struct archive_entry * a0), (a0))
LAZY_IN(archive, void, archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))
LAZY_IN(archive, void, archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))
LAZY_IN(archive, void, archive_entry_set_pathname, (struct archive_entry * a0, const char * a1), (a0, a1))
LAZY_IN(archive, void, archive_entry_set_perm, (struct archive_entry * a0, __LA_MODE_T a1), (a0, a1))
LAZY_IN(archive, void, archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY_IN(archive, void, archive_entry_set_symlink, (struct archive_entry * a0, const char * a1), (a0, a1))
LAZY_IN(archive, la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))
LAZY_IN(archive, const char *, archive_entry_symlink, (struct archive_entry * a0), (a0))
LAZY_IN(archive, const char *, archive_error_string, (struct archive * a0), (a0))
LAZY_IN(archive, la_ssize_t, archive_read_data, (struct archive * a0, void * a1, size_t a2), (a0, a1, a2))
LAZY_IN(archive, int, archive_read_free, (struct archive * a0), (a0))
LAZY_IN(archive, struct archive *, archive_read_new, (void), ())
LAZY_IN(archive, int, archive_read_next_header, (struct archive * a0, struct archive_entry ** a1), (a0, a1))
LAZY_IN(archive, int, archive_read_open_filename, (struct archive * a0, const char * a1, size_t a2), (a0, a1, a2))
LAZY_IN(archive, int, archive_read_open_memory, (struct archive * a0, const void * a1, size_t a2), (a0, a1, a2))
LAZY_IN(archive, int, archive_read_support_filter_all, (struct archive * a0), (a0))
LAZY_IN(archive, int, archive_read_support_format_all, (struct archive * a0), (a0))
LAZY_IN(archive, int, archive_write_add_filter_gzip, (struct archive * a0), (a0))
LAZY_IN(archive, int, archive_write_close, (struct archive * a0), (a0))
LAZY_IN(archive, la_ssize_t, archive_write_data, (struct archive * a0, const void * a1, size_t a2), (a0, a1, a2))
LAZY_IN(archive, int, archive_write_free, (struct archive * a0), (a0))
LAZY_IN(archive, int, archive_write_header, (struct archive * a0, struct archive_entry * a1), (a0, a1))
LAZY_IN(archive, struct archive *, archive_write_new, (void), ())
LAZY_IN(archive, int, archive_write_open_fd, (struct archive * a0, int a1), (a0, a1))
LAZY_IN(archive, int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))
LAZY_SYMS(archive) = {
	LAZY_SYM(archive, archive_entry_clear),
	LAZY_SYM(archive, archive_entry_filetype),
	LAZY_SYM(archive, archive_entry_free),
	LAZY_SYM(archive, archive_entry_hardlink),
	LAZY_SYM(archive, archive_entry_new),
	LAZY_SYM(archive, archive_entry_pathname),
	LAZY_SYM(archive, archive_entry_set_filetype),
	LAZY_SYM(archive, archive_entry_set_mtime),
	LAZY_SYM(archive, archive_entry_set_pathname),
	LAZY_SYM(archive, archive_entry_set_perm),
	LAZY_SYM(archive, archive_entry_set_size),
	LAZY_SYM(archive, archive_entry_set_symlink),
	LAZY_SYM(archive, archive_entry_size),
	LAZY_SYM(archive, archive_entry_symlink),
	LAZY_SYM(archive, archive_error_string),
	LAZY_SYM(archive, archive_read_data),
	LAZY_SYM(archive, archive_read_free),
	LAZY_SYM(archive, archive_read_new),
	LAZY_SYM(archive, archive_read_next_header),
	LAZY_SYM(archive, archive_read_open_filename),
	LAZY_SYM(archive, archive_read_open_memory),
	LAZY_SYM(archive, archive_read_support_filter_all),
	LAZY_SYM(archive, archive_read_support_format_all),
	LAZY_SYM(archive, archive_write_add_filter_gzip),
	LAZY_SYM(archive, archive_write_close),
	LAZY_SYM(archive, archive_write_data),
	LAZY_SYM(archive, archive_write_free),
	LAZY_SYM(archive, archive_write_header),
	LAZY_SYM(archive, archive_write_new),
	LAZY_SYM(archive, archive_write_open_fd),
	LAZY_SYM(archive, archive_write_set_format_pax_restricted),
};

static LAZY_LIB(archive, "libarchive.so.13", "libarchive13");
LAZY_LOAD(archive, archive)
