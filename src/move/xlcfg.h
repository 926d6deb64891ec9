/* SPDX-License-Identifier: MIT */
/* xl.cfg(5) read with Xen's own parser (libxlutil). */
#pragma once

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

/*
 * Appends vm as an xl.cfg to o (origin, when set, goes into a comment).
 * Settings recorded as other_config "xl:KEY" (or "xl:KEY[]", a list
 * with one item a line) are written back and win over the model's field
 * of the same name.  -EINVAL with a diagnostic for a value xl.cfg cannot
 * quote.  Needs no libxlutil.
 */
struct strbuf;
int xlcfg_write(const struct mv_vm *vm, const char *origin, struct strbuf *o,
		struct hv_diags *d);

/*
 * Appends s to o as an xl.cfg string literal ("...", with \\ and \"
 * escaped: libxlutil undoes both).  -EINVAL with a diagnostic naming key
 * when s holds a line break, which xl.cfg cannot quote.
 */
int xlcfg_quote(struct strbuf *o, const char *s, const char *key,
		struct hv_diags *d);
