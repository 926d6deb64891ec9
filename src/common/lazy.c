/* SPDX-License-Identifier: MIT */
/* Shared libraries loaded on first use, for the heavy optional ones. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy.h"
#include "log.h"

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

/* Opens l and resolves its whole table, or says why not in l->error and
 * leaves every pointer of the table NULL. */
static void lazy_open(struct lazy_lib *l)
{
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	struct link_map *map = NULL;
	size_t i;

	if (!h) {
		const char *e = dlerror();
		snprintf(l->error, sizeof(l->error), "%s", e ? e : "dlopen failed");
		return;
	}
	for (i = 0; i < l->nsyms; i++) {
		(void)dlerror();
		*l->syms[i].addr = dlsym(h, l->syms[i].name);
		if (!*l->syms[i].addr)	/* absent, or NULL: unusable either way */
			break;
	}
	if (i == l->nsyms) {
		l->handle = h;
		return;
	}
	/* The file the dynamic linker found, which may not be the one the
	 * package installs (LD_LIBRARY_PATH, a copy in /usr/local). */
	if (dlinfo(h, RTLD_DI_LINKMAP, &map) != 0 || !map || !map->l_name || !*map->l_name)
		map = NULL;
	snprintf(l->error, sizeof(l->error), "%s has no %s (too old?)",
		 map ? map->l_name : l->soname, l->syms[i].name);
	for (size_t k = 0; k <= i; k++)
		*l->syms[k].addr = NULL;
	(void)dlclose(h);
}

bool lazy_lib_available(struct lazy_lib *l)
{
	bool ok;

	pthread_mutex_lock(&lazy_lock);
	if (!l->tried) {
		lazy_open(l);
		l->tried = true;
	}
	ok = l->handle != NULL;
	pthread_mutex_unlock(&lazy_lock);
	return ok;
}

int lazy_lib_load(struct lazy_lib *l, struct hv_diags *d)
{
	if (lazy_lib_available(l))
		return 0;
	(void)hv_errorf(d, "cannot load %s (Debian package %s): %s", l->soname, l->package,
			l->error[0] ? l->error : "?");
	return -ELIBACC;
}

void lazy_unloaded(const char *name)
{
	log_error("internal error: %s() called before its library was loaded (src/common/lazy.h)",
		  name);
	abort();
}
