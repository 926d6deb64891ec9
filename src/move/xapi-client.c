/* SPDX-License-Identifier: MIT */
/* XenAPI over XML-RPC, HTTP PUT and GET, with libcurl. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "cmd-vm.h"
#include "lazy.h"
#include "strbuf.h"
#include "util.h"
#include "xapi-client.h"

struct xapi_conn {
	CURL *curl;
	char *url;		/* "https://host:port" */
	char *session;
	struct hv_diags *d;
	struct xapi_limits lim;	/* defaults filled in */
	/* The stall watch of the transfer under way (on_xferinfo). */
	uint64_t moved_ms;
	curl_off_t dl, ul;
	bool stalled;
	unsigned api;		/* XAPI_API(major, minor) of the pool's master */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Called by curl at least once a second: ends a transfer that has moved
 * no byte either way for the timeout. */
static int on_xferinfo(void *opaque, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xapi_conn *c = opaque;
	uint64_t t = now_ms();

	if (dlnow != c->dl || ulnow != c->ul) {
		c->dl = dlnow;
		c->ul = ulnow;
		c->moved_ms = t;
		return 0;
	}
	if (t - c->moved_ms >= (uint64_t)c->lim.timeout * 1000) {
		c->stalled = true;
		return 1;	/* CURLE_ABORTED_BY_CALLBACK */
	}
	return 0;
}


/* A response body kept in memory, at most max bytes. */
struct body {
	struct strbuf *sb;
	uint64_t max;
	bool over;		/* the server sent more than max */
};

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
	struct body *b = opaque;

	if (n && size > SIZE_MAX / n)
		return 0;
	if ((uint64_t)size * n > b->max - b->sb->len) {
		b->over = true;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	strbuf_add(b->sb, p, size * n);
	return size * n;
}

/* The one line for a transfer curl ended with r, naming the limit that
 * ended it when one did. */
static int transfer_error(struct xapi_conn *c, const char *what, CURLcode r,
			  const struct body *b)
{
	if (b && b->over)
		return hv_errorf(c->d, "%s: the response is larger than %llu bytes (the limit; raise it with --max-response)",
				 what, (unsigned long long)b->max);
	if (r == CURLE_OPERATION_TIMEDOUT)
		return hv_errorf(c->d, "%s: no byte for %ld s (the limit; raise it with --timeout)",
				 what, c->lim.timeout);
	if (r == CURLE_PARTIAL_FILE)
		return hv_errorf(c->d, "%s: the server closed the connection before the end of the body its Content-Length announced",
				 what);
	return hv_errorf(c->d, "%s: %s", what, curl_easy_strerror(r));
}

char *xapi_str_value(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "<value>");
	xml_escape(&sb, s);
	strbuf_adds(&sb, "</value>");
	return strbuf_detach(&sb, NULL);
}

/* curl_easy_perform under the stall watch: a stall is
 * CURLE_OPERATION_TIMEDOUT. */
static CURLcode perform(struct xapi_conn *c)
{
	CURLcode r;

	c->moved_ms = now_ms();
	c->dl = c->ul = 0;
	c->stalled = false;
	r = curl_easy_perform(c->curl);
	if (r == CURLE_ABORTED_BY_CALLBACK && c->stalled)
		r = CURLE_OPERATION_TIMEDOUT;
	return r;
}

/* Sends one XML-RPC request; the response body goes to *resp. */
static int post(struct xapi_conn *c, const char *method, const char *body,
		struct strbuf *resp)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml");
	struct body b = { resp, c->lim.max_response, false };
	long status = 0;
	CURLcode r;

	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	/* A Content-Length over the limit fails before the body. */
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.max);
	r = perform(c);
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (r == CURLE_FILESIZE_EXCEEDED)
		b.over = true;
	if (r != CURLE_OK) {
		char *what = xasprintf("%s: %s", c->url, method);
		int rc = transfer_error(c, what, r, &b);

		free(what);
		return rc;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return hv_errorf(c->d, "%s: %s: HTTP status %ld", c->url, method, status);
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
	rc = post(c, method, req.buf, &resp);
	if (rc == 0) {
		char *where = xasprintf("%s: %s", c->url, method);
		rc = xapi_parse_response(resp.buf, resp.len, where, c->d, ret_str, ret_rec);
		free(where);
	}
	strbuf_release(&req);
	strbuf_release(&resp);
	return rc;
}

/* The API version of the pool's master (pool.get_all, pool.get_master,
 * host.get_API_version_major/minor: all of XenAPI 1.1), which names the
 * release and so the fields and HTTP formats it knows. */
static int learn_api(struct xapi_conn *c)
{
	struct xrec all = XREC_INIT;
	char *master = NULL, *num[2] = { NULL, NULL };
	static const char *const getter[2] = { "host.get_API_version_major",
					       "host.get_API_version_minor" };
	uint64_t v[2] = { 0, 0 };
	int rc = xapi_call(c, "pool.get_all", NULL, 0, NULL, &all);
	const struct xfield *pools = xrec_find(&all, "items");

	if (rc == 0 && (!pools || pools->nlist == 0))
		rc = hv_errorf(c->d, "%s: pool.get_all: no pool", c->url);
	if (rc == 0) {
		char *a = xapi_str_value(pools->list[0]);
		const char *args[] = { a };
		rc = xapi_call(c, "pool.get_master", args, 1, &master, NULL);
		free(a);
	}
	for (int i = 0; rc == 0 && i < 2; i++) {
		char *a = xapi_str_value(master);
		const char *args[] = { a };
		rc = xapi_call(c, getter[i], args, 1, &num[i], NULL);
		free(a);
		if (rc == 0 && (parse_u64(num[i], 10, &v[i]) < 0 || v[i] > 0xffff))
			rc = hv_errorf(c->d, "%s: %s: '%.32s' is not a version number",
				       c->url, getter[i], num[i]);
	}
	if (rc == 0)
		c->api = XAPI_API(v[0], v[1]);
	xrec_release(&all);
	free(master);
	free(num[0]);
	free(num[1]);
	return rc;
}

int xapi_connect(const char *url, const char *user, const char *password,
		 const char *ca, const struct xapi_limits *lim, struct hv_diags *d,
		 struct xapi_conn **ret)
{
	struct xapi_conn *c;
	char *session = NULL;
	int rc;

	if ((rc = lazy_curl_load(d)) < 0)
		return rc;
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->url = xstrdup(url);
	if (lim)
		c->lim = *lim;
	if (!c->lim.max_response)
		c->lim.max_response = XAPI_MAX_RESPONSE_DEFAULT;
	if (c->lim.timeout <= 0)
		c->lim.timeout = XAPI_TIMEOUT_DEFAULT;
	c->curl = curl_easy_init();
	if (!c->curl) {
		xapi_disconnect(c);
		return hv_errorf(d, "cannot initialise libcurl");
	}
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, c->lim.timeout);
	/* Every transfer: no byte either way for timeout seconds (nothing
	 * at all, or a body that stops short of its length) ends it. */
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	/* Disks move in big pieces: fewer callbacks, fewer system calls. */
	curl_easy_setopt(c->curl, CURLOPT_BUFFERSIZE, 1L << 20);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
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
	rc = learn_api(c);
	if (rc < 0) {
		xapi_disconnect(c);
		return rc;
	}
	*ret = c;
	return 0;
}

unsigned xapi_api(const struct xapi_conn *c)
{
	return c->api;
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
 * Polls task until it leaves "pending": 0 when it succeeded, -EINVAL
 * with XAPI's error_info when it failed or was cancelled.  With
 * max_ms, a task still pending after max_ms is 0 too; without, a task
 * whose progress has not moved for the --timeout, or that is still
 * pending after XAPI_TASK_TIMEOUTS of them (a server can move a progress
 * for ever), is -ETIMEDOUT.  Polls 0.1 s apart at first, then at most
 * 1 s apart.
 */
#define XAPI_TASK_TIMEOUTS 10
static int wait_task(struct xapi_conn *c, const char *task, const char *what,
		     uint64_t max_ms)
{
	char *tv = xapi_str_value(task);
	const char *targs[] = { tv };
	char *progress = NULL;
	uint64_t start = now_ms(), moved = start;
	useconds_t pause = 100000;
	int rc = 0;

	for (;;) {
		char *st = NULL, *pr = NULL;

		rc = xapi_call(c, "task.get_status", targs, 1, &st, NULL);
		if (rc < 0)
			break;
		if (strcmp(st, "pending") != 0 && strcmp(st, "success") != 0) {
			struct xrec info = XREC_INIT;
			struct strbuf msg = STRBUF_INIT;
			const struct xfield *items;

			(void)xapi_call(c, "task.get_error_info", targs, 1, NULL, &info);
			items = xrec_find(&info, "items");
			for (size_t k = 0; items && k < items->nlist && msg.len < 1024; k++)
				strbuf_addf(&msg, "%s%.256s", k ? " " : "", items->list[k]);
			rc = hv_errorf(c->d, "%s: %s task %.64s: %s", c->url, what, st,
				       msg.len ? msg.buf : "no error information");
			strbuf_release(&msg);
			xrec_release(&info);
		}
		bool more = rc == 0 && strcmp(st, "pending") == 0;
		free(st);
		if (!more)
			break;
		uint64_t t = now_ms();
		if (max_ms && t - start >= max_ms)
			break;
		if (!max_ms) {
			/* The task's progress is what shows it is alive. */
			struct hv_diags quiet = HV_DIAGS_INIT, *d = c->d;

			c->d = &quiet;
			if (xapi_call(c, "task.get_progress", targs, 1, &pr, NULL) < 0)
				pr = NULL;
			c->d = d;
			hv_diags_release(&quiet);
			if (pr && (!progress || strcmp(pr, progress) != 0)) {
				free(progress);
				progress = pr;
				pr = NULL;
				moved = t;
			}
			free(pr);
			if (t - moved >= (uint64_t)c->lim.timeout * 1000) {
				(void)hv_errorf(c->d, "%s: %s task %.64s still pending, its progress unchanged for %ld s (the limit; raise it with --timeout)",
						c->url, what, task, c->lim.timeout);
				rc = -ETIMEDOUT;
				break;
			}
			if (t - start >= (uint64_t)c->lim.timeout * 1000 * XAPI_TASK_TIMEOUTS) {
				(void)hv_errorf(c->d, "%s: %s task %.64s still pending after %ld s (%d times the limit; raise it with --timeout)",
						c->url, what, task, c->lim.timeout * XAPI_TASK_TIMEOUTS,
						XAPI_TASK_TIMEOUTS);
				rc = -ETIMEDOUT;
				break;
			}
		}
		usleep(pause);
		if (pause < 1000000)
			pause *= 2;
	}
	free(progress);
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
	void (*progress)(void *, uint64_t, uint64_t);
	void *opaque;
	int fd;			/* format=vhd: the stream's reading end */
	uint64_t len;		/* bytes of the body */
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
		u->progress(u->opaque, u->off, u->len);
	return want;
}

/*
 * The body as a dynamic VHD (format=vhd): a thread writes it with
 * img_out_vhd_stream() into one end of a socket pair, on_read reads the
 * other, so that only data blocks travel and nothing is staged.
 */
struct vhd_feed {
	struct img_in *in;
	int fd;			/* the writer's end; closed by the thread */
	int rc;
	struct hv_diags d;
};

static int feed_sink(void *opaque, const void *buf, size_t len)
{
	struct vhd_feed *f = opaque;
	const char *p = buf;

	while (len) {
		ssize_t n = send(f->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *feed_thread(void *opaque)
{
	struct vhd_feed *f = opaque;
	struct img_out out = { .fd = -1, .size = f->in->size, .diags = &f->d };
	uint64_t len;
	int rc = img_out_vhd_stream(&out, f->in, feed_sink, f, &len);

	if (rc == 0)
		rc = img_copy(f->in, &out, NULL, NULL);
	if (rc == 0)
		rc = out.ops->finish(&out);
	img_out_release(&out);
	f->rc = rc;
	close(f->fd);
	return NULL;
}

static size_t on_read_fd(char *buf, size_t size, size_t n, void *opaque)
{
	struct upload *u = opaque;
	ssize_t got;

	do
		got = read(u->fd, buf, size * n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		u->err = -errno;
		return CURL_READFUNC_ABORT;
	}
	if (got == 0 && u->off < u->len) {
		u->err = -EIO;	/* the writer stopped: its diagnostic says why */
		return CURL_READFUNC_ABORT;
	}
	u->off += (uint64_t)got;
	if (u->progress)
		u->progress(u->opaque, u->off, u->len);
	return (size_t)got;
}

bool xapi_vhd(const struct xapi_conn *c, uint64_t size)
{
	return c->api >= XAPI_API(2, 3) && size % 512 == 0 && size <= IMG_VHD_MAX_SIZE;
}

int xapi_import_raw_vdi(struct xapi_conn *c, const char *vdi, struct img_in *in,
			void (*progress)(void *, uint64_t, uint64_t), void *opaque)
{
	struct upload u = { in, 0, 0, progress, opaque, -1, in->size };
	struct vhd_feed feed = { .in = in, .fd = -1, .d = HV_DIAGS_INIT };
	struct strbuf resp = STRBUF_INIT;
	struct body b = { &resp, 64 << 10, false };
	char *task = NULL, *url = NULL;
	bool vhd = xapi_vhd(c, in->size);
	pthread_t thread;
	bool started = false;
	long status = 0;
	int rc, sv[2];

	if (vhd) {
		rc = img_vhd_stream_size(in, in->size, &u.len);
		if (rc < 0)
			return hv_errorf(c->d, "reading the disk's extents: %s", strerror(-rc));
	}
	rc = create_task(c, "hvkit move push: upload of a disk", &task);
	if (rc < 0)
		return rc;
	if (vhd) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = hv_errorf(c->d, "socketpair: %s", strerror(errno));
			goto out;
		}
		u.fd = sv[0];
		feed.fd = sv[1];
		rc = -pthread_create(&thread, NULL, feed_thread, &feed);
		if (rc < 0) {
			close(sv[1]);
			rc = hv_errorf(c->d, "cannot start a thread: %s", strerror(-rc));
			goto out;
		}
		started = true;
	}
	url = transfer_url(c, "import_raw_vdi", vdi, task, vhd ? "vhd" : "raw");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 0L);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, vhd ? on_read_fd : on_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	CURLcode r = perform(c);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (started) {
		/* Unblocks a writer still sending, then waits for its verdict. */
		shutdown(u.fd, SHUT_RDWR);
		pthread_join(thread, NULL);
	}
	if (feed.rc < 0 && feed.d.n) {
		(void)hv_errorf(c->d, "%s", feed.d.v[feed.d.n - 1].msg);
		rc = feed.rc;
	} else if (feed.rc < 0 && feed.rc != -EPIPE)
		rc = hv_errorf(c->d, "reading the disk: %s", strerror(-feed.rc));
	else if (u.err)
		rc = hv_errorf(c->d, "reading the disk at offset %llu: %s",
			       (unsigned long long)u.off, strerror(-u.err));
	else if (r != CURLE_OK) {
		char *what = xasprintf("%s/import_raw_vdi", c->url);

		rc = transfer_error(c, what, r, &b);
		free(what);
	}
	else if (status != 200)
		rc = hv_errorf(c->d, "%s/import_raw_vdi: HTTP status %ld", c->url, status);
	/* The task has the verdict: poll it until it leaves "pending". */
	if (rc == 0)
		rc = wait_task(c, task, "upload", 0);
out:
	if (u.fd >= 0)
		close(u.fd);
	hv_diags_release(&feed.d);
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

	size_t nd = c->d ? c->d->n : 0;

	rc = create_task(c, "hvkit move pull: download of a disk", &task);
	if (rc < 0)
		return rc;
	url = transfer_url(c, h, vdi, task, format);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_download);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &dl);
	CURLcode r = perform(c);
	if (!dl.status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &dl.status);
	bool whole = r == CURLE_OK && dl.status == 200 && (size == UINT64_MAX || dl.got == size);

	/* The body's own verdict (a VHD stream that stops before its footer)
	 * comes before the task's: asking the task can fail for a reason
	 * of its own (a connection left with the body's extra bytes). */
	if (whole && !dl.err) {
		int src = sink(opaque, NULL, 0);
		if (src < 0)
			dl.err = src;
	}

	if (dl.err && dl.err != -EFBIG) {
		/* A sink that reads what it gets (a VHD stream) has said why. */
		rc = c->d && c->d->n > nd ? dl.err
			: hv_errorf(c->d, "cannot write the disk at byte %llu: %s",
				    (unsigned long long)dl.got, strerror(-dl.err));
		goto out;
	}
	/* A failed task explains a failed transfer best: XAPI answers 200
	 * and ends the body early when the export fails on its side.  After
	 * a whole transfer wait for the verdict; else look for 2 s. */
	rc = wait_task(c, task, "download", whole ? 0 : 2000);
	if (rc < 0 || whole)
		goto out;
	if (dl.err == -EFBIG)
		rc = hv_errorf(c->d, "%s/%s: the body holds more than the VDI's %llu bytes",
			       c->url, h, (unsigned long long)size);
	else if (r != CURLE_OK) {
		char *what = size == UINT64_MAX
			? xasprintf("%s/%s: after %llu bytes", c->url, h, (unsigned long long)dl.got)
			: xasprintf("%s/%s: after %llu of %llu bytes", c->url, h,
				    (unsigned long long)dl.got, (unsigned long long)size);

		rc = transfer_error(c, what, r, NULL);
		free(what);
	}
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

int xapi_limit_parse(bool timeout, const char *arg, struct xapi_limits *lim)
{
	unsigned long long v;
	uint64_t t;

	if (timeout) {
		if (parse_u64(arg, 10, &t) < 0 || t < 1 || t > 86400)
			return -EINVAL;
		lim->timeout = (long)t;
		return 0;
	}
	if (move_parse_size(arg, &v) < 0 || v < 4096)
		return -EINVAL;
	lim->max_response = v;
	return 0;
}

int xapi_check_ca(const char *ca, struct hv_diags *d)
{
	const char *why;
	int fd;

	if (!ca)
		return 0;
	/* libcurl reads it when it connects: "-" would be a file of that name */
	if (strcmp(ca, "-") == 0)
		return hv_errorf(d, "CA certificates come from a file, not standard input");
	fd = open_input(ca, 0, &why);
	if (fd < 0) {
		hv_errorf(d, "%s%s", fd == -EINVAL ? "" : "cannot open: ", why);
		return fd;
	}
	close(fd);
	return 0;
}

int xapi_read_password(const char *file, char **ret, struct hv_diags *d)
{
	const char *env = getenv("HVKIT_XAPI_PASSWORD");
	char buf[XAPI_PASSWORD_MAX + 3];	/* the longest, its CR LF, a NUL */
	size_t n = 0, len;
	struct stat st;
	int fd, e;

	if (!file) {
		*ret = xstrdup(env ? env : "");
		return 0;
	}
	/* "-": the first line of standard input; a FIFO node would block
	 * (refused), bash's <(...) is a pipe with a writer */
	const char *why;
	fd = open_input(file, INPUT_PIPE, &why);
	if (fd < 0) {
		hv_errorf(d, "%s%s", fd == -EINVAL ? "" : "cannot open: ", why);
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		hv_errorf(d, "cannot open: %s", strerror(e));
		return -e;
	}
	/* /dev/zero or /dev/urandom would be read as a password; a terminal
	 * on standard input is someone typing it */
	if (S_ISCHR(st.st_mode) && !(strcmp(file, "-") == 0 && isatty(fd))) {
		close(fd);
		return hv_errorf(d, "a character device, not a file holding a password");
	}
	while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			close(fd);
			hv_errorf(d, "cannot read: %s", strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	len = memchr(buf, '\n', n) ? (size_t)((char *)memchr(buf, '\n', n) - buf) : n;
	/* its end, LF or CRLF, is no part of it, whatever its length */
	if (len && buf[len - 1] == '\r')
		len--;
	if (len > XAPI_PASSWORD_MAX)
		return hv_errorf(d, "the first line is longer than %d bytes: no password", XAPI_PASSWORD_MAX);
	if (memchr(buf, 0, len))
		return hv_errorf(d, "the first line holds a NUL byte: no password");
	if (!len)
		return hv_errorf(d, "the first line is empty: no password");
	*ret = xstrndup(buf, len);
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
