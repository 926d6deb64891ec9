/* SPDX-License-Identifier: MIT */
/* Shared libraries loaded on first use, for the heavy optional ones. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy.h"

int lazy_lib_available(struct lazy_lib *l)
{
	if (!l->handle && !l->error) {
		l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
		if (!l->handle)
			l->error = dlerror();
	}
	return l->handle != NULL;
}

void *lazy_lib_sym(struct lazy_lib *l, const char *name)
{
	void *p;

	if (!lazy_lib_available(l)) {
		fprintf(stderr, "hvkit: error: cannot load %s (Debian package %s): %s\n",
			l->soname, l->package, l->error ? l->error : "?");
		exit(1);
	}
	p = dlsym(l->handle, name);
	if (!p) {
		fprintf(stderr, "hvkit: error: %s has no %s (Debian package %s too old?)\n",
			l->soname, name, l->package);
		exit(1);
	}
	return p;
}
