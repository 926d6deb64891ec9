/* SPDX-License-Identifier: MIT */
/* Shared libraries loaded on first use, for the heavy optional ones. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "lazy.h"
#include "log.h"

int lazy_lib_available(struct lazy_lib *l)
{
	if (!l->handle && !l->error) {
		l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
		if (!l->handle)
			l->error = dlerror();
	}
	return l->handle != NULL;
}

/* The one wording of a missing or unusable library, whoever says it. */
#define LAZY_MISSING "cannot load %s (Debian package %s): %s%s%s"

int lazy_lib_load(struct lazy_lib *l, struct hv_diags *d)
{
	if (lazy_lib_available(l))
		return 0;
	(void)hv_errorf(d, LAZY_MISSING, l->soname, l->package, l->error ? l->error : "?", "", "");
	return -ELIBACC;
}

void *lazy_lib_sym(struct lazy_lib *l, const char *name)
{
	void *p;

	if (!lazy_lib_available(l)) {
		log_error(LAZY_MISSING, l->soname, l->package, l->error ? l->error : "?", "", "");
		exit(EXIT_FAIL);
	}
	p = dlsym(l->handle, name);
	if (!p) {
		log_error(LAZY_MISSING, l->soname, l->package, "it has no ", name, " (too old?)");
		exit(EXIT_FAIL);
	}
	return p;
}
