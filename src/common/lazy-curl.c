/* SPDX-License-Identifier: MIT */
/* libcurl, loaded on first use (hvkit move push/pull: XenAPI over HTTPS;
 * hvkit sched's etcd client); see lazy.h.
 * curl_easy_setopt and curl_easy_getinfo take variable arguments: their
 * wrappers below decode the argument's type from the option number, as
 * libcurl itself does, and pass it on with that type. */
#include <stdarg.h>
#include <curl/curl.h>

#include "lazy.h"

#undef curl_easy_setopt
#undef curl_easy_getinfo

static CURLcode (*LAZY_FN(curl, curl_easy_setopt))(CURL *, CURLoption, ...);
static CURLcode (*LAZY_FN(curl, curl_easy_getinfo))(CURL *, CURLINFO, ...);

CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	CURLcode (*fn)(CURL *, CURLoption, ...) = LAZY_FN(curl, curl_easy_setopt);
	CURLcode r;
	va_list ap;

	if (!fn)
		lazy_unloaded("curl_easy_setopt");
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = fn(c, opt, va_arg(ap, long));
	else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
		r = fn(c, opt, va_arg(ap, curl_off_t));
	else
		r = fn(c, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	CURLcode (*fn)(CURL *, CURLINFO, ...) = LAZY_FN(curl, curl_easy_getinfo);
	CURLcode r;
	va_list ap;

	if (!fn)
		lazy_unloaded("curl_easy_getinfo");
	va_start(ap, info);
	r = fn(c, info, va_arg(ap, void *));	/* every CURLINFO takes a pointer */
	va_end(ap);
	return r;
}

/* Lines below: scripts/gen-lazy.py curl /usr/include/x86_64-linux-gnu/curl/curl.h \
 *   /usr/include/x86_64-linux-gnu/curl/easy.h -- curl_easy_init ... (as below) \
 *   -- curl_easy_setopt curl_easy_getinfo */
LAZY_IN(curl, CURL *, curl_easy_init, (void), ())
LAZY_IN(curl, void, curl_easy_cleanup, (CURL * a0), (a0))
LAZY_IN(curl, CURLcode, curl_easy_perform, (CURL * a0), (a0))
LAZY_IN(curl, const char *, curl_easy_strerror, (CURLcode a0), (a0))
LAZY_IN(curl, struct curl_slist *, curl_slist_append, (struct curl_slist * a0, const char * a1), (a0, a1))
LAZY_IN(curl, void, curl_slist_free_all, (struct curl_slist * a0), (a0))
LAZY_IN(curl, char *, curl_easy_escape, (CURL * a0, const char * a1, int a2), (a0, a1, a2))
LAZY_IN(curl, void, curl_free, (void * a0), (a0))
LAZY_SYMS(curl) = {
	LAZY_SYM(curl, curl_easy_init),
	LAZY_SYM(curl, curl_easy_cleanup),
	LAZY_SYM(curl, curl_easy_perform),
	LAZY_SYM(curl, curl_easy_strerror),
	LAZY_SYM(curl, curl_slist_append),
	LAZY_SYM(curl, curl_slist_free_all),
	LAZY_SYM(curl, curl_easy_escape),
	LAZY_SYM(curl, curl_free),
	LAZY_SYM(curl, curl_easy_setopt),
	LAZY_SYM(curl, curl_easy_getinfo),
};

static LAZY_LIB(curl, "libcurl.so.4", "libcurl4");
LAZY_LOAD(curl, curl)
