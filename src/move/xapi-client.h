/* SPDX-License-Identifier: MIT */
/* A XenAPI client: XML-RPC calls, /import_raw_vdi and /export_raw_vdi
 * over HTTP(S) (libcurl, loaded on first use). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "img.h"
#include "xapi.h"
#include "xrec.h"

struct xapi_conn;

/*
 * What a server that is not trusted may cost.  max_response: bytes of one
 * XML-RPC response (more ends the call); timeout: seconds a transfer may
 * go without a byte in either direction (connecting included), and
 * seconds a task may stay pending with its progress unchanged.  Zero
 * fields take the defaults.  Each limit that ends a call names itself
 * ("--max-response", "--timeout") in the diagnostic.
 */
#define XAPI_MAX_RESPONSE_DEFAULT (4ull << 20)
#define XAPI_TIMEOUT_DEFAULT 60
struct xapi_limits {
	uint64_t max_response;
	long timeout;
};

/* The lines of `move push --help` and `move pull --help` that describe
 * the options both take (one text for both). */
#define XAPI_OPTIONS_HELP \
	"  --password-file FILE  the password is FILE's first line ('-': standard\n" \
	"                     input); else $HVKIT_XAPI_PASSWORD\n" \
	"  --ca FILE          CA certificates for the host's TLS certificate\n" \
	"  --http             plain HTTP instead of HTTPS (not with --ca)\n" \
	"  --timeout SECONDS  end a transfer that moves no byte for SECONDS\n" \
	"                     (default 60)\n" \
	"  --max-response SIZE  the largest XML-RPC answer read (default 4M)\n"

/* Reads the argument of --timeout SECONDS (1 to 86400) or --max-response
 * SIZE (K, M, G suffixes; at least 4K) into lim; -EINVAL else. */
int xapi_limit_parse(bool timeout, const char *arg, struct xapi_limits *lim);

/*
 * Connects to url ("https://host:443", or http:// when asked) and logs
 * in.  ca: a CA bundle for the server's certificate (NULL: the system's).
 * lim may be NULL (the defaults).
 * Errors: -EIO/-EACCES with a diagnostic naming the URL or XAPI's error.
 */
int xapi_connect(const char *url, const char *user, const char *password,
		 const char *ca, const struct xapi_limits *lim, struct hv_diags *d,
		 struct xapi_conn **ret);
/*
 * The XenAPI version of the pool's master, learnt at login, which names
 * its release (XAPI's datamodel): 2.6 XenServer 7.1, 2.15 Citrix
 * Hypervisor 8.2 and XCP-ng 8.2, 2.21 XenServer 8 and XCP-ng 8.3.
 */
unsigned xapi_api(const struct xapi_conn *c);

/* Logs out (best effort) and frees; NULL is fine.  Returns NULL. */
struct xapi_conn *xapi_disconnect(struct xapi_conn *c);

/*
 * Calls method(session, args...) where each arg is an XML-RPC <value>
 * (already formatted) and returns the Value as a string (a reference) in
 * *ret_str or as a record in *ret_rec (an array: its list field "items");
 * either may be NULL.
 */
int xapi_call(struct xapi_conn *c, const char *method, const char *const *args,
	      size_t nargs, char **ret_str, struct xrec *ret_rec);

/*
 * Reads an XML-RPC methodResponse (len bytes, from the server: not
 * trusted) as xapi_call() returns it: XAPI's struct {Status, Value |
 * ErrorDescription}.  A failure status or a malformed body is an error in
 * d starting with where.  Needs no connection (the fuzz target calls it).
 */
int xapi_parse_response(const char *buf, size_t len, const char *where,
			struct hv_diags *d, char **ret_str, struct xrec *ret_rec);

/* XML-RPC <value> for a string (escaped); the caller frees. */
char *xapi_str_value(const char *s);

/*
 * Uploads in (in->size bytes) into vdi through PUT /import_raw_vdi with
 * a task, then polls the task until it succeeds or fails (XAPI reports
 * failures there, not in the HTTP status).  The body is a dynamic VHD of
 * in's data blocks, written on the fly, when xapi_vhd(), raw bytes
 * else.  progress(opaque, done,
 * total) counts the body's bytes: total is its length, known before the
 * first byte (for a VHD: the data blocks, not the virtual size).
 */
/* Whether the pool takes and gives a disk of size bytes as a dynamic VHD
 * (format=vhd of import_raw_vdi and export_raw_vdi: XenAPI 2.3,
 * XenServer 6.5, on; xen-api #1832), which carries only data blocks. */
bool xapi_vhd(const struct xapi_conn *c, uint64_t size);
int xapi_import_raw_vdi(struct xapi_conn *c, const char *vdi, struct img_in *in,
			void (*progress)(void *, uint64_t, uint64_t), void *opaque);
/*
 * Downloads vdi through GET /export_raw_vdi?format=FORMAT ("raw" or
 * "vhd") with a task, handing the body to sink in order, then
 * sink(opaque, NULL, 0) once it ended whole (before the task's verdict:
 * the sink's error is the one reported).  size: the bytes
 * expected (the VDI's virtual_size for raw), UINT64_MAX when unknown
 * (vhd).  A body that ends early or runs long, an HTTP error, or a task
 * that fails (XAPI reports failures there, not always in the HTTP
 * status) is an error with a diagnostic; *ret_got (may be NULL) is the
 * bytes received on success.
 */
int xapi_export_raw_vdi(struct xapi_conn *c, const char *vdi, const char *format,
			uint64_t size, img_sink_fn sink, void *opaque,
			uint64_t *ret_got);

/* --ca FILE, asked before anything connects: a regular file that can be
 * opened (not "-", not a FIFO or device); -errno with the reason in d,
 * which the caller prefixes with the file's name. */
int xapi_check_ca(const char *ca, struct hv_diags *d);

/* The password for push and pull: the first line of file ("-": of
 * standard input), or the environment's HVKIT_XAPI_PASSWORD (empty when
 * unset) without one.  A character device (but a terminal on standard
 * input), a FIFO node (a pipe with no name, bash's <(...), is read), an
 * empty first line, one longer than XAPI_PASSWORD_MAX bytes (its CR LF
 * or LF not counted)
 * or one holding a NUL byte is refused: -errno (-EINVAL) with the reason
 * in d, which the caller prefixes with the file's name.  The caller
 * frees *ret. */
#define XAPI_PASSWORD_MAX 1023
int xapi_read_password(const char *file, char **ret, struct hv_diags *d);

/* "xapi://[USER@]HOST[:PORT]" as a user (default root) and the URL
 * "https://HOST[:PORT]" (http:// when asked).  -EINVAL when arg is not
 * one.  The caller frees both. */
int xapi_parse_target(const char *arg, bool http, char **ret_user, char **ret_url);
