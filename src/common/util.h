/* SPDX-License-Identifier: MIT */
/* Small helpers: checked allocation, string and number parsing, sizes. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that aborts on failure (out of memory is not recoverable). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
/* Grows *v (elements of size sz) so that index `need - 1` fits. */
void *xgrow(void *v, size_t sz, size_t need, size_t *alloc);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2)))
char *xasprintf(const char *fmt, ...);

static inline void freep(void *p)
{
	extern void free(void *);
	free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))

/* Closes *fd when it is a descriptor (>= 0), keeping errno. */
static inline void closep(int *fd)
{
	int e = errno;

	if (*fd >= 0)
		close(*fd);
	errno = e;
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* clock_gettime(id) in ns (CLOCK_REALTIME, CLOCK_MONOTONIC, ...). */
static inline int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The value of one hex digit (either case), or -1. */
static inline int hexdigit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Reads s[0..n) as a hex number, "0x1f" or "1f" (libvirt's attribute
 * spelling), of 1 to maxdigits digits and nothing else; true and *ret set,
 * or false. */
bool hex_span(const char *s, size_t n, unsigned maxdigits, uint64_t *ret);

/* Strips leading and trailing whitespace in place; returns s. */
char *strstrip(char *s);
/* Writes all len bytes to fd, retrying short writes and EINTR; 0 or a
 * negative errno. */
int write_all(int fd, const char *data, size_t len);
/* Copies all of in, from offset 0 to its end (pread: in's offset is
 * left alone), to out with write_all(); 0 or a negative errno. */
int copy_all(int in, int out);
/* An unnamed file (O_TMPFILE, mode 0600) in $TMPDIR, else /var/tmp, for
 * an output bound for standard output that is written at offsets or
 * must be whole before any of it is shown; an fd or a negative errno,
 * *ret_dir the directory tried.  The fd is never 0, 1 or 2. */
int tmpfile_unnamed(const char **ret_dir);
/* 0 when standard output is an open file, else a negative errno (-EBADF
 * when closed): checked before any work bound for "-". */
int stdout_usable(void);

bool str_startswith(const char *s, const char *prefix);
/*
 * Makes a string read from input safe to print, in place: every control
 * character (C0, DEL, C1) and every byte that is not part of valid UTF-8
 * becomes '.', so that input can neither move the cursor, ring the bell,
 * switch colours nor break a message over lines.  ascii_only also turns
 * every byte above 0x7e into '.' (SMBIOS strings).  Returns s.
 */
char *str_printable(char *s, bool ascii_only);
/* Length of the valid UTF-8 sequence at s, or 0 (overlong, surrogate,
 * above U+10FFFF, truncated); *cp gets the code point. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);
bool str_endswith(const char *s, const char *suffix);

/* Strict unsigned parse of a whole string (surrounding blanks allowed). */
int parse_u64(const char *s, int base, uint64_t *ret);

/*
 * A set of CPU numbers.  Parses the two sysfs spellings: lists
 * ("0-3,8,10-11") and hex masks ("00000000,0000ff0f").  Indices above
 * CPUSET_MAX are refused so that input cannot make us allocate wildly.
 */
#define CPUSET_MAX 65536
/* Only the words from the first to the last set bit are held (bits[0] is
 * word `first`), so that a set of a few PUs numbered near CPUSET_MAX costs
 * a word, not a 8 KiB bitmap each: with a set per object, a whole bitmap
 * made memory grow with the square of the PU count. */
struct cpuset {
	uint64_t *bits;
	size_t nwords;
	size_t first;
};
/* Word w (CPUs 64w..64w+63) of set. */
static inline uint64_t cpuset_word(const struct cpuset *set, size_t w)
{
	return w >= set->first && w - set->first < set->nwords ?
		set->bits[w - set->first] : 0;
}
int cpuset_parse_list(struct cpuset *set, const char *s);
int cpuset_parse_mask(struct cpuset *set, const char *s);
void cpuset_set(struct cpuset *set, unsigned cpu);
bool cpuset_has(const struct cpuset *set, unsigned cpu);
unsigned cpuset_count(const struct cpuset *set);
/* First CPU >= from, or -1. */
int cpuset_next(const struct cpuset *set, unsigned from);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
void cpuset_copy(struct cpuset *dst, const struct cpuset *src);
void cpuset_or(struct cpuset *dst, const struct cpuset *src);
/* dst &= src. */
void cpuset_and(struct cpuset *dst, const struct cpuset *src);
/* small minus ign (NULL: nothing) is inside big. */
bool cpuset_includes(const struct cpuset *big, const struct cpuset *small,
		     const struct cpuset *ign);
/* a and b share a CPU outside ign (NULL: nothing). */
bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b,
		       const struct cpuset *ign);
/* Formats as a list ("0-3,8") into a malloc'd string. */
char *cpuset_format(const struct cpuset *set);
void cpuset_release(struct cpuset *set);

/* "16 GiB", "512 KiB", "1.5 TiB": binary units, at most one decimal. */
void format_size(char *buf, size_t sz, uint64_t bytes);

/*
 * Opens path to read as an input file without ever blocking: "-" is a
 * dup of stdin (the caller reads it once, to the end, and keeps the
 * bytes); anything else must be a regular file, or a directory, block
 * device or pipe with no name (INPUT_PIPE: /dev/fd/N of bash's <(...),
 * never a FIFO node) where allow says so.  A FIFO, socket or character device is
 * refused before a read could wait forever (opened O_NONBLOCK, which is
 * cleared on success).  Returns the fd, or -errno with *ret_why the
 * reason in words: strerror, or "a FIFO, not a regular file" (-EINVAL).
 */
/*
 * What a file of this mode is, in the words every refusal uses ("a FIFO,
 * not a regular file", "a symbolic link"); NULL for a regular file.
 */
const char *file_not_regular(mode_t mode);

/*
 * Whether paths a and b name one file: the same inode where both exist
 * (through links), else the same path once '.' and '..' and links of
 * the directories are resolved.
 */
bool same_file(const char *a, const char *b);

#define INPUT_DIR 1u
#define INPUT_BLOCK 2u
#define INPUT_PIPE 4u
int open_input(const char *path, unsigned allow, const char **ret_why);
