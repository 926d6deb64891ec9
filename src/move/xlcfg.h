/* SPDX-License-Identifier: MIT */
/* xl.cfg(5) read with Xen's own parser (libxlutil). */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "model.h"

/*
 * Reads the xl.cfg at path into vm (initialised by the caller, released
 * by it even on failure).  Syntax errors come back as `path:line: reason`
 * lines from libxlutil in d; settings the model has no field for go to
 * vm->other as "xl:KEY" (a string), "xl:KEY[]" (a list of strings, an
 * item a line) or "xl:KEY[[]]" (a list holding lists, such as vnuma: the
 * value is the list written in xl.cfg syntax).  -ENOTSUP when built
 * without libxlutil.
 */
int xlcfg_read(const char *path, struct mv_vm *vm, struct hv_diags *d);

/* Whether libxlutil reads text back (the xl.cfg about to be written):
 * it parses, each disk parses and has a target (a CD drive may be
 * empty), no two disks share a vdev.  0, or an error in d.  Without
 * libxlutil: 0. */
int xlcfg_check(const char *text, size_t len, struct hv_diags *d);
/* Loads what xlcfg_read() and xlcfg_check() need (libxlutil, libxenlight):
 * 0, or their error in d.  Import and pull ask before writing anything,
 * so that a missing library does not end them after the disks.  Without
 * libxlutil at build time: 0 (xlcfg_check() has nothing to check with). */
int xlcfg_load(struct hv_diags *d);

/*
 * The settings an admin accepts on purpose (--allow-setting KEY): top-level
 * xl.cfg keys ("kernel", "device_model_override") or NIC keys ("vif.script").
 */
struct xlcfg_allow {
	char **keys;
	size_t n;
};

/*
 * Why the xl.cfg setting key (value: the string written, or NULL for the
 * key alone) is not written from a package or a pool ("runs a program in
 * dom0", "names a host file", ...), or NULL when it is on the allow-list
 * of settings that only describe the guest (xlcfg-allow.c).
 */
const char *xlcfg_refusal(const char *key, const char *value);
/* The same for a key of a NIC's spec ("script", "model", "ip", ...). */
const char *xlcfg_vif_refusal(const char *key, const char *value);
/* disk and vif: built by hvkit from the model, never taken raw. */
bool xlcfg_never(const char *key);
/* Whether the admin accepted key (never disk or vif). */
bool xlcfg_admin_allows(const struct xlcfg_allow *a, const char *key);

/*
 * Appends vm, read from a package or a pool and so not trusted, as an
 * xl.cfg to o (origin, when set, goes into a comment).  Only settings on
 * the allow-list (xlcfg_refusal) or accepted by allow are written; each
 * refused one is named, with its value and the reason, in a comment near
 * the top and as a warning in d.  A disk's target is written only when
 * hvkit wrote the file (mv_disk.local); a NIC keeps its MAC, bridge, rate
 * and MTU (checked) and allowed keys.  Settings recorded as other_config
 * "xl:KEY" (or "xl:KEY[]", a list with one item a line) are written back
 * when allowed and win over the model's field of the same name.  -EINVAL
 * with a diagnostic for a value xl.cfg cannot quote or that is not what
 * its key holds (a vdev, a MAC, a bridge name).  Needs no libxlutil.
 */
struct strbuf;
int xlcfg_write(const struct mv_vm *vm, const char *origin,
		const struct xlcfg_allow *allow, struct strbuf *o,
		struct hv_diags *d);

/*
 * Appends s to o as an xl.cfg string literal ("...", with \\ and \"
 * escaped: libxlutil undoes both).  -EINVAL with a diagnostic naming key
 * when s holds a line break, which xl.cfg cannot quote.
 */
int xlcfg_quote(struct strbuf *o, const char *s, const char *key,
		struct hv_diags *d);
