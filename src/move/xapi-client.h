/* SPDX-License-Identifier: MIT */
/* A XenAPI client: XML-RPC calls and /import_raw_vdi over HTTP(S)
 * (libcurl, loaded on first use). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "img.h"
#include "xrec.h"

struct xapi_conn;

/*
 * Connects to url ("https://host:443", or http:// when asked) and logs
 * in.  ca: a CA bundle for the server's certificate (NULL: the system's).
 * Errors: -EIO/-EACCES with a diagnostic naming the URL or XAPI's error.
 */
int xapi_connect(const char *url, const char *user, const char *password,
		 const char *ca, struct hv_diags *d, struct xapi_conn **ret);
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

/* XML-RPC <value> for a string (escaped); the caller frees. */
char *xapi_str_value(const char *s);

/*
 * Uploads in (in->size bytes) into vdi through PUT /import_raw_vdi with
 * a task, then polls the task until it succeeds or fails (XAPI reports
 * failures there, not in the HTTP status).
 */
int xapi_import_raw_vdi(struct xapi_conn *c, const char *vdi, struct img_in *in,
			void (*progress)(void *, uint64_t), void *opaque);
