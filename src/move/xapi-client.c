/* SPDX-License-Identifier: MIT */
/* XenAPI over XML-RPC, HTTP PUT and GET, with libcurl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "strbuf.h"
#include "util.h"
#include "xapi-client.h"

struct xapi_conn {
	CURL *curl;
	char *url;		/* "https://host:port" */
	char *session;
	struct hv_diags *d;
};

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
	strbuf_add(opaque, p, size * n);
	return size * n;
}

char *xapi_str_value(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "<value>");
	xml_escape(&sb, s);
	strbuf_adds(&sb, "</value>");
	return strbuf_detach(&sb, NULL);
}

/* Sends one XML-RPC request; the response body goes to *resp. */
static int post(struct xapi_conn *c, const char *body, struct strbuf *resp)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml");
	long status = 0;
	CURLcode r;

	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp);
	r = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (r != CURLE_OK)
		return hv_errorf(c->d, "%s: %s", c->url, curl_easy_strerror(r));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return hv_errorf(c->d, "%s: HTTP status %ld", c->url, status);
	return 0;
}

int xapi_call(struct xapi_conn *c, const char *method, const char *const *args,
	      size_t nargs, char **ret_str, struct xrec *ret_rec)
{
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT;
	int rc;

	strbuf_addf(&req, "<?xml version=\"1.0\"?>\n<methodCall><methodName>%s</methodName><params>", method);
	if (c->session)
		strbuf_addf(&req, "<param><value>%s</value></param>", c->session);
	for (size_t i = 0; i < nargs; i++)
		strbuf_addf(&req, "<param>%s</param>", args[i]);
	strbuf_adds(&req, "</params></methodCall>\n");
	rc = post(c, req.buf, &resp);
	if (rc == 0) {
		char *where = xasprintf("%s: %s", c->url, method);
		rc = xapi_parse_response(resp.buf, resp.len, where, c->d, ret_str, ret_rec);
		free(where);
	}
	strbuf_release(&req);
	strbuf_release(&resp);
	return rc;
}

int xapi_connect(const char *url, const char *user, const char *password,
		 const char *ca, struct hv_diags *d, struct xapi_conn **ret)
{
	struct xapi_conn *c = xcalloc(1, sizeof(*c));
	char *session = NULL;
	int rc;

	c->d = d;
	c->url = xstrdup(url);
	c->curl = curl_easy_init();
	if (!c->curl) {
		xapi_disconnect(c);
		return hv_errorf(d, "cannot initialise libcurl");
	}
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 30L);
	if (ca)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca);
	char *u = xapi_str_value(user), *p = xapi_str_value(password);
	const char *args[] = { u, p, "<value>1.0</value>", "<value>hvkit</value>" };
	rc = xapi_call(c, "session.login_with_password", args, 4, &session, NULL);
	free(u);
	free(p);
	if (rc < 0) {
		xapi_disconnect(c);
		return rc;
	}
	c->session = session;
	*ret = c;
	return 0;
}

struct xapi_conn *xapi_disconnect(struct xapi_conn *c)
{
	if (!c)
		return NULL;
	if (c->session) {
		struct hv_diags quiet = HV_DIAGS_INIT;
		struct hv_diags *d = c->d;
		c->d = &quiet;
		(void)xapi_call(c, "session.logout", NULL, 0, NULL, NULL);
		c->d = d;
		hv_diags_release(&quiet);
	}
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->session);
	free(c->url);
	free(c);
	return NULL;
}

/*
 * Polls task (at most `polls` times, 0.1 s apart) until it leaves
 * "pending": 0 when it succeeded or is still pending, -EINVAL with
 * XAPI's error_info when it failed or was cancelled.
 */
static int wait_task(struct xapi_conn *c, const char *task, const char *what,
		     int polls)
{
	char *tv = xapi_str_value(task);
	const char *targs[] = { tv };
	int rc = 0;

	for (int i = 0; i < polls; i++) {
		char *st = NULL;

		rc = xapi_call(c, "task.get_status", targs, 1, &st, NULL);
		if (rc < 0)
			break;
		if (strcmp(st, "pending") != 0 && strcmp(st, "success") != 0) {
			struct xrec info = XREC_INIT;
			struct strbuf msg = STRBUF_INIT;
			const struct xfield *items;

			(void)xapi_call(c, "task.get_error_info", targs, 1, NULL, &info);
			items = xrec_find(&info, "items");
			for (size_t k = 0; items && k < items->nlist; k++)
				strbuf_addf(&msg, "%s%s", k ? " " : "", items->list[k]);
			rc = hv_errorf(c->d, "%s: %s task %s: %s", c->url, what, st,
				       msg.len ? msg.buf : "no error information");
			strbuf_release(&msg);
			xrec_release(&info);
		}
		bool more = rc == 0 && strcmp(st, "pending") == 0;
		free(st);
		if (!more)
			break;
		usleep(100000);
	}
	free(tv);
	return rc;
}

/* task.destroy, quietly (best effort). */
static void destroy_task(struct xapi_conn *c, const char *task)
{
	struct hv_diags quiet = HV_DIAGS_INIT, *d = c->d;
	char *tv = xapi_str_value(task);
	const char *targs[] = { tv };

	c->d = &quiet;
	(void)xapi_call(c, "task.destroy", targs, 1, NULL, NULL);
	c->d = d;
	hv_diags_release(&quiet);
	free(tv);
}

/* A task for one transfer, labelled for the server's task list. */
static int create_task(struct xapi_conn *c, const char *label, char **ret)
{
	char *l = xapi_str_value(label);
	const char *args[] = { l, "<value>hvkit move</value>" };
	int rc = xapi_call(c, "task.create", args, 2, ret, NULL);

	free(l);
	return rc;
}

/* The URL of a transfer handler with session, VDI and task escaped. */
static char *transfer_url(struct xapi_conn *c, const char *handler,
			  const char *vdi, const char *task, const char *format)
{
	char *es = curl_easy_escape(c->curl, c->session, 0);
	char *ev = curl_easy_escape(c->curl, vdi, 0);
	char *et = curl_easy_escape(c->curl, task, 0);
	char *url = xasprintf("%s/%s?session_id=%s&vdi=%s&task_id=%s&format=%s",
			      c->url, handler, es, ev, et, format);

	curl_free(es);
	curl_free(ev);
	curl_free(et);
	return url;
}

/* The request body of PUT: the disk's bytes in order, holes as zeros. */
struct upload {
	struct img_in *in;
	uint64_t off;
	int err;
	void (*progress)(void *, uint64_t);
	void *opaque;
};

static size_t on_read(char *buf, size_t size, size_t n, void *opaque)
{
	struct upload *u = opaque;
	size_t want = size * n;
	uint64_t len;
	bool data;

	if (u->off >= u->in->size)
		return 0;
	if (want > u->in->size - u->off)
		want = (size_t)(u->in->size - u->off);
	if (u->in->ops->extent(u->in, u->off, want, &len, &data) < 0 || len == 0) {
		u->err = -EIO;
		return CURL_READFUNC_ABORT;
	}
	if (len < want)
		want = (size_t)len;
	if (!data)
		memset(buf, 0, want);
	else if (u->in->ops->read(u->in, buf, want, u->off) < 0) {
		u->err = -EIO;
		return CURL_READFUNC_ABORT;
	}
	u->off += want;
	if (u->progress)
		u->progress(u->opaque, u->off);
	return want;
}

int xapi_import_raw_vdi(struct xapi_conn *c, const char *vdi, struct img_in *in,
			void (*progress)(void *, uint64_t), void *opaque)
{
	struct upload u = { in, 0, 0, progress, opaque };
	struct strbuf resp = STRBUF_INIT;
	char *task = NULL, *url = NULL;
	long status = 0;
	int rc;

	rc = create_task(c, "hvkit move push: upload of a disk", &task);
	if (rc < 0)
		return rc;
	url = transfer_url(c, "import_raw_vdi", vdi, task, "raw");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 0L);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)in->size);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
	CURLcode r = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (u.err)
		rc = hv_errorf(c->d, "reading the disk at offset %llu: %s",
			       (unsigned long long)u.off, strerror(-u.err));
	else if (r != CURLE_OK)
		rc = hv_errorf(c->d, "%s/import_raw_vdi: %s", c->url, curl_easy_strerror(r));
	else if (status != 200)
		rc = hv_errorf(c->d, "%s/import_raw_vdi: HTTP status %ld", c->url, status);
	/* The task has the verdict: poll it until it leaves "pending". */
	if (rc == 0)
		rc = wait_task(c, task, "upload", 36000);
	destroy_task(c, task);
	free(task);
	free(url);
	strbuf_release(&resp);
	return rc;
}

/* The response body of GET: the disk's bytes to the sink, in order. */
struct download {
	struct xapi_conn *c;
	img_sink_fn sink;
	void *opaque;
	uint64_t got, want;
	int err;		/* the sink's, or -EFBIG: more than want */
	long status;
	struct strbuf errbody;	/* the start of a body that is not 200's */
};

static size_t on_download(char *p, size_t size, size_t n, void *opaque)
{
	struct download *dl = opaque;
	size_t len = size * n;
	int rc;

	if (!dl->status)
		curl_easy_getinfo(dl->c->curl, CURLINFO_RESPONSE_CODE, &dl->status);
	if (dl->status != 200) {
		if (dl->errbody.len < 512)
			strbuf_add(&dl->errbody, p, len < 512 ? len : 512);
		return len;
	}
	if (dl->want != UINT64_MAX && len > dl->want - dl->got) {
		dl->err = -EFBIG;
		return 0;
	}
	rc = dl->sink(dl->opaque, p, len);
	if (rc < 0) {
		dl->err = rc;
		return 0;
	}
	dl->got += len;
	return len;
}

int xapi_export_raw_vdi(struct xapi_conn *c, const char *vdi, const char *format,
			uint64_t size, img_sink_fn sink, void *opaque,
			uint64_t *ret_got)
{
	struct download dl = { .c = c, .sink = sink, .opaque = opaque, .want = size,
			       .errbody = STRBUF_INIT };
	char *task = NULL, *url = NULL;
	const char *h = "export_raw_vdi";
	int rc;

	rc = create_task(c, "hvkit move pull: download of a disk", &task);
	if (rc < 0)
		return rc;
	url = transfer_url(c, h, vdi, task, format);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_download);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &dl);
	CURLcode r = curl_easy_perform(c->curl);
	if (!dl.status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &dl.status);
	bool whole = r == CURLE_OK && dl.status == 200 && (size == UINT64_MAX || dl.got == size);

	if (dl.err && dl.err != -EFBIG) {
		rc = hv_errorf(c->d, "cannot write the disk at byte %llu: %s",
			       (unsigned long long)dl.got, strerror(-dl.err));
		goto out;
	}
	/* A failed task explains a failed transfer best: XAPI answers 200
	 * and ends the body early when the export fails on its side.  After
	 * a whole transfer wait for the verdict; else look for 2 s. */
	rc = wait_task(c, task, "download", whole ? 36000 : 20);
	if (rc < 0 || whole)
		goto out;
	if (dl.err == -EFBIG)
		rc = hv_errorf(c->d, "%s/%s: the body holds more than the VDI's %llu bytes",
			       c->url, h, (unsigned long long)size);
	else if (r != CURLE_OK)
		rc = hv_errorf(c->d, "%s/%s: %s (after %llu of %llu bytes)", c->url, h,
			       curl_easy_strerror(r), (unsigned long long)dl.got,
			       (unsigned long long)size);
	else if (dl.status != 200)
		rc = hv_errorf(c->d, "%s/%s: HTTP status %ld%s%.*s", c->url, h, dl.status,
			       dl.errbody.len ? ": " : "",
			       (int)strcspn(dl.errbody.buf, "\r\n"), dl.errbody.buf);
	else
		rc = hv_errorf(c->d, "%s/%s: the body ended after %llu of %llu bytes (truncated)",
			       c->url, h, (unsigned long long)dl.got, (unsigned long long)size);
out:
	destroy_task(c, task);
	if (rc == 0 && ret_got)
		*ret_got = dl.got;
	free(task);
	free(url);
	strbuf_release(&dl.errbody);
	return rc;
}

int xapi_read_password(const char *file, char **ret)
{
	const char *env = getenv("HVKIT_XAPI_PASSWORD");
	char buf[1024];
	FILE *f;

	if (!file) {
		*ret = xstrdup(env ? env : "");
		return 0;
	}
	f = fopen(file, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	*ret = xstrdup(buf);
	return 0;
}

int xapi_parse_target(const char *arg, bool http, char **ret_user, char **ret_url)
{
	const char *target, *at;
	char *host;

	if (!str_startswith(arg, "xapi://") || !arg[7])
		return -EINVAL;
	target = arg + 7;
	at = strchr(target, '@');
	host = xstrdup(at ? at + 1 : target);
	host[strcspn(host, "/")] = 0;
	if (!*host) {
		free(host);
		return -EINVAL;
	}
	*ret_user = at ? xstrndup(target, (size_t)(at - target)) : xstrdup("root");
	*ret_url = xasprintf("%s://%s", http ? "http" : "https", host);
	free(host);
	return 0;
}
