/* SPDX-License-Identifier: MIT */
/* etcd v3 over its JSON gateway (etcd.h).  Request bodies are built here
 * (keys and values base64, int64 as decimal strings, as the gateway's
 * protobuf JSON mapping wants them); replies are parsed with the strict
 * JSON reader and checked field by field. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>
#include <curl/curl.h>
#include <nettle/base64.h>

#include "etcd.h"
#include "json-read.h"
#include "lazy.h"
#include "util.h"

#define NS 1000000000LL
#define REQUEST_MAX_MS 10000L

struct etcd {
	char *ep[ETCD_MAX_ENDPOINTS];	/* "host:port" */
	size_t nep, cur;
	char *prefix;
	bool tls;
	struct etcd_opts o;
	CURL *curl;
	int64_t deadline;		/* CLOCK_MONOTONIC ns; 0: none */
	/* Kept from request to request (a pool's are alike each tick). */
	struct strbuf req, resp;
	struct cj_doc doc;
};

/* ---- base64 (nettle), strict on input ---- */

static void add_b64(struct strbuf *out, const void *p, size_t len)
{
	size_t n = BASE64_ENCODE_RAW_LENGTH(len);
	char *dst = xmalloc(n + 1);

	base64_encode_raw(dst, len, p);
	strbuf_add(out, dst, n);
	free(dst);
}

/* Decodes standard, padded base64 (what the gateway writes) and nothing
 * else: no blanks, no URL alphabet, '=' only as the final padding. */
static int b64_decode(const char *s, size_t len, char **ret, size_t *ret_len)
{
	struct base64_decode_ctx ctx;
	size_t pad = 0, n;

	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '/';
		if (c == '=' && i + 2 >= len && (i + 1 == len || s[i + 1] == '='))
			pad++;
		else if (!ok || pad)
			return -EINVAL;
	}
	char *out = xmalloc(BASE64_DECODE_LENGTH(len) + 1);
	n = BASE64_DECODE_LENGTH(len);
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, (uint8_t *)out, len, s) ||
	    !base64_decode_final(&ctx)) {
		free(out);
		return -EINVAL;
	}
	out[n] = 0;
	*ret = out;
	*ret_len = n;
	return 0;
}

/* ---- replies ---- */

void etcd_reply_release(struct etcd_reply *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
	free(r->nested);
	memset(r, 0, sizeof(*r));
}

struct rctx {
	const struct cj_doc *doc;
	char *err;
	size_t errsz;
};

__attribute__((format(printf, 3, 4)))
static int bad(struct rctx *c, cj_ref at, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (at != CJ_NONE)
		n = snprintf(c->err, c->errsz, "offset %zu: ", c->doc->n[at].off);
	if (n < 0 || (size_t)n >= c->errsz)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An int64 member: the gateway writes "123" (protobuf JSON); a plain
 * number is taken too.  Absent: 0 (proto3 leaves zeroes out). */
static int get_i64(struct rctx *c, cj_ref obj, const char *key, bool allow_neg, int64_t *ret)
{
	cj_ref r = cj_get(c->doc, obj, key);
	const struct cj_node *n = cj_node(c->doc, r);
	uint64_t v = 0;
	bool neg = false;

	*ret = 0;
	if (!n)
		return 0;
	if (n->type == CJ_NUM && n->u.num.is_int && !n->u.num.big) {
		v = n->u.num.mag;
		neg = n->u.num.neg;
	} else if (n->type == CJ_STR) {
		const char *s = cj_str(c->doc, r);
		size_t len = n->u.str.len;
		if (len && s[0] == '-') {
			neg = true;
			s++;
			len--;
		}
		if (!len || len > 19)
			return bad(c, r, "'%s' is not an integer", key);
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return bad(c, r, "'%s' is not an integer", key);
			v = v * 10 + (uint64_t)(s[i] - '0');
		}
	} else {
		return bad(c, r, "'%s' is not an integer", key);
	}
	if (v > (uint64_t)INT64_MAX || (neg && !allow_neg && v))
		return bad(c, r, "'%s' out of range", key);
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int get_b64(struct rctx *c, cj_ref obj, const char *key, char **ret, size_t *ret_len)
{
	cj_ref r = cj_get(c->doc, obj, key);
	const struct cj_node *n = cj_node(c->doc, r);

	if (!n) {		/* proto3: an empty value is left out */
		*ret = xstrdup("");
		*ret_len = 0;
		return 0;
	}
	if (n->type != CJ_STR)
		return bad(c, r, "'%s' is not a string", key);
	if (b64_decode(cj_str(c->doc, r), n->u.str.len, ret, ret_len) < 0)
		return bad(c, r, "'%s' is not base64", key);
	return 0;
}

static int parse_kvs(struct rctx *c, cj_ref obj, struct etcd_reply *ret)
{
	cj_ref arr = cj_get(c->doc, obj, "kvs");
	const struct cj_node *a = cj_node(c->doc, arr);

	if (!a)
		return 0;
	if (a->type != CJ_ARR)
		return bad(c, arr, "'kvs' is not an array");
	for (cj_ref k = a->u.kids.first; k != CJ_NONE; k = c->doc->n[k].next) {
		if (c->doc->n[k].type != CJ_OBJ)
			return bad(c, k, "a kv is not an object");
		ret->kvs = xgrow(ret->kvs, sizeof(*ret->kvs), ret->n + 1, &ret->alloc);
		struct etcd_kv *kv = &ret->kvs[ret->n];
		memset(kv, 0, sizeof(*kv));
		int rc = get_b64(c, k, "key", &kv->key, &kv->keylen);
		if (rc == 0)
			ret->n++;
		if (rc == 0)
			rc = get_b64(c, k, "value", &kv->value, &kv->vlen);
		if (rc == 0 && !kv->keylen)
			rc = bad(c, k, "a kv without a key");
		if (rc == 0)
			rc = get_i64(c, k, "create_revision", false, &kv->create_rev);
		if (rc == 0)
			rc = get_i64(c, k, "mod_revision", false, &kv->mod_rev);
		if (rc == 0)
			rc = get_i64(c, k, "lease", false, &kv->lease);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_header(struct rctx *c, cj_ref obj, struct etcd_reply *ret)
{
	cj_ref h = cj_get(c->doc, obj, "header");
	const struct cj_node *n = cj_node(c->doc, h);

	int rc;

	if (!n || n->type != CJ_OBJ)
		return bad(c, obj, "no 'header' object");
	if ((rc = get_i64(c, h, "revision", false, &ret->revision)) < 0)
		return rc;
	return get_i64(c, h, "raft_term", false, &ret->raft_term);
}

static int parse_root(struct rctx *c, enum etcd_reply_kind kind, cj_ref root,
		      struct etcd_reply *ret)
{
	const struct cj_node *n = cj_node(c->doc, root);
	int rc;

	if (n->type != CJ_OBJ)
		return bad(c, root, "the reply is not an object");
	cj_ref e = cj_get(c->doc, root, "error");
	if (e != CJ_NONE) {
		/* The gateway's error object: say what etcd said (printable). */
		char msg[160] = "";
		if (c->doc->n[e].type == CJ_STR)
			for (size_t i = 0, o = 0; cj_str(c->doc, e)[i] && o + 1 < sizeof(msg); i++) {
				unsigned char ch = (unsigned char)cj_str(c->doc, e)[i];
				msg[o++] = ch >= ' ' && ch < 0x7f ? (char)ch : '.';
				msg[o] = 0;
			}
		int erc = bad(c, CJ_NONE, "etcd says: %s", msg[0] ? msg : "(no message)");
		/* Refusals of a request's size (--max-txn-ops,
		 * --max-request-bytes, and gRPC's own limit above it). */
		if (strstr(msg, "too many operations in txn request") ||
		    strstr(msg, "request is too large") || strstr(msg, "received message larger than max"))
			erc = -E2BIG;
		return erc;
	}
	if (kind == ETCD_KEEPALIVE) {
		root = cj_get(c->doc, root, "result");
		if (!cj_node(c->doc, root) || c->doc->n[root].type != CJ_OBJ)
			return bad(c, CJ_NONE, "no 'result' object");
	}
	if ((rc = parse_header(c, root, ret)) < 0)
		return rc;
	switch (kind) {
	case ETCD_RANGE:
		return parse_kvs(c, root, ret);
	case ETCD_TXN: {
		cj_ref s = cj_get(c->doc, root, "succeeded");
		if (s != CJ_NONE && c->doc->n[s].type != CJ_BOOL)
			return bad(c, s, "'succeeded' is not a boolean");
		ret->succeeded = s != CJ_NONE && c->doc->n[s].u.b;
		cj_ref rs = cj_get(c->doc, root, "responses");
		if (rs == CJ_NONE)
			return 0;
		if (c->doc->n[rs].type != CJ_ARR)
			return bad(c, rs, "'responses' is not an array");
		bool ranged = false;
		for (cj_ref k = c->doc->n[rs].u.kids.first; k != CJ_NONE; k = c->doc->n[k].next) {
			if (c->doc->n[k].type != CJ_OBJ)
				return bad(c, k, "a response is not an object");
			cj_ref rr = cj_get(c->doc, k, "response_range");
			if (rr != CJ_NONE && !ranged) {
				if (c->doc->n[rr].type != CJ_OBJ)
					return bad(c, rr, "'response_range' is not an object");
				if ((rc = parse_kvs(c, rr, ret)) < 0)
					return rc;
				ranged = true;
			}
			cj_ref rt = cj_get(c->doc, k, "response_txn");
			if (rt != CJ_NONE) {
				if (c->doc->n[rt].type != CJ_OBJ)
					return bad(c, rt, "'response_txn' is not an object");
				cj_ref ns = cj_get(c->doc, rt, "succeeded");
				if (ns != CJ_NONE && c->doc->n[ns].type != CJ_BOOL)
					return bad(c, ns, "'succeeded' is not a boolean");
				ret->nested = xgrow(ret->nested, sizeof(*ret->nested), ret->nnested + 1,
						    &ret->nested_alloc);
				ret->nested[ret->nnested++] = ns != CJ_NONE && c->doc->n[ns].u.b;
			}
		}
		return 0;
	}
	case ETCD_GRANT:
	case ETCD_KEEPALIVE:
	case ETCD_TIMETOLIVE:
		if ((rc = get_i64(c, root, "ID", true, &ret->id)) < 0)
			return rc;
		if ((rc = get_i64(c, root, "TTL", true, &ret->ttl)) < 0)
			return rc;
		if (ret->ttl < 0)
			ret->ttl = 0;	/* -1: not found */
		if (kind == ETCD_GRANT && (!ret->id || !ret->ttl))
			return bad(c, root, "a lease without ID or TTL");
		return 0;
	case ETCD_EMPTY:
		return 0;
	}
	return 0;
}

/* etcd_reply_parse into doc (emptied first, released by the caller). */
static int reply_parse(struct cj_doc *docp, enum etcd_reply_kind kind, const char *buf,
		       size_t len, struct etcd_reply *ret, char *err, size_t errsz)
{
	struct cj_doc doc = *docp;
	struct cj_error je;
	struct etcd_reply r = { 0 };
	struct rctx c = { &doc, err, errsz };
	size_t pos = 0;
	cj_ref root;
	int rc;

	cj_doc_reset(&doc);
	if (len > ETCD_MAX_REPLY) {
		snprintf(err, errsz, "the reply is larger than %u bytes", ETCD_MAX_REPLY);
		return -EINVAL;
	}
	if (cj_parse(buf, len, &pos, &doc, &root, &je) < 0) {
		snprintf(err, errsz, "offset %zu: %s", je.off, je.msg);
		*docp = doc;
		return -EINVAL;
	}
	if (!cj_at_end(buf, len, &pos)) {
		snprintf(err, errsz, "offset %zu: text after the reply", pos);
		*docp = doc;
		return -EINVAL;
	}
	rc = parse_root(&c, kind, root, &r);
	*docp = doc;
	if (rc < 0) {
		etcd_reply_release(&r);
		return rc;
	}
	*ret = r;
	return 0;
}

int etcd_reply_parse(enum etcd_reply_kind kind, const char *buf, size_t len,
		     struct etcd_reply *ret, char *err, size_t errsz)
{
	struct cj_doc doc = CJ_DOC_INIT;
	int rc = reply_parse(&doc, kind, buf, len, ret, err, errsz);

	cj_doc_release(&doc);
	return rc;
}

/* ---- connection ---- */

/* A TLS file named on the command line: a readable, non-empty regular
 * file, else a message naming it (libcurl would only say the handshake
 * failed, as if the network had). */
static int check_tls_file(const char *what, const char *path, struct hv_diags *d)
{
	struct stat st;
	int fd;

	if (!path)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return hv_errorf(d, "cannot read %s file '%s': %s", what, path, strerror(errno));
	int rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode) || !st.st_size)
		return hv_errorf(d, "%s file '%s' is %s", what, path,
				 rc < 0 ? "unreadable" : !S_ISREG(st.st_mode) ? file_not_regular(st.st_mode)
				 : "empty");
	return 0;
}

int etcd_new(const char *url, const struct etcd_opts *o, struct etcd **ret,
	     struct hv_diags *d)
{
	static const char scheme[] = "etcd://";
	const char *p, *slash;
	struct etcd *e;
	int rc;

	if (o && ((rc = check_tls_file("CA", o->cacert, d)) < 0 ||
		  (rc = check_tls_file("certificate", o->cert, d)) < 0 ||
		  (rc = check_tls_file("key", o->key, d)) < 0))
		return rc;

	if (strncmp(url, scheme, sizeof(scheme) - 1))
		return hv_errorf(d, "not etcd://HOST:PORT[,HOST:PORT...]/PREFIX");
	p = url + sizeof(scheme) - 1;
	slash = strchr(p, '/');
	if (!slash || slash == p)
		return hv_errorf(d, "no HOST:PORT before the /PREFIX");
	if (slash[-1] == ',')
		return hv_errorf(d, "an empty endpoint before the /PREFIX");
	if (strlen(slash) > ETCD_MAX_PREFIX)
		return hv_errorf(d, "prefix longer than %d bytes", ETCD_MAX_PREFIX);
	for (const char *s = slash; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return hv_errorf(d, "blank or control character in the prefix");
	e = xcalloc(1, sizeof(*e));
	e->req = (struct strbuf)STRBUF_INIT;
	e->resp = (struct strbuf)STRBUF_INIT;
	e->doc = (struct cj_doc)CJ_DOC_INIT;
	while (p < slash) {
		const char *end = memchr(p, ',', (size_t)(slash - p));
		if (!end)
			end = slash;
		size_t len = (size_t)(end - p);
		const char *colon = memrchr(p, ':', len);
		uint64_t port;
		char *ps = colon ? xstrndup(colon + 1, (size_t)(end - colon - 1)) : NULL;
		bool ok = len && colon && colon > p && parse_u64(ps, 10, &port) == 0 && port > 0 &&
			  port < 65536;
		for (const char *s = p; ok && s < colon; s++)
			ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			     (*s >= '0' && *s <= '9') || strchr(".-:[]", *s);
		free(ps);
		if (!ok || e->nep == ETCD_MAX_ENDPOINTS) {
			etcd_free(e);
			return hv_errorf(d, "endpoint '%.*s' is not HOST:PORT (at most %d)",
					 (int)len, p, ETCD_MAX_ENDPOINTS);
		}
		e->ep[e->nep++] = xstrndup(p, len);
		p = end + 1;
	}
	size_t plen = strlen(slash);
	e->prefix = xasprintf("%s%s", slash, plen > 1 && slash[plen - 1] == '/' ? "" : "/");
	if (o)
		e->o = *o;
	e->tls = e->o.cacert || e->o.cert || e->o.key;
	*ret = e;
	return 0;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nep; i++)
		free(e->ep[i]);
	free(e->prefix);
	if (e->curl)
		curl_easy_cleanup(e->curl);
	strbuf_release(&e->req);
	strbuf_release(&e->resp);
	cj_doc_release(&e->doc);
	free(e);
}

const char *etcd_prefix(const struct etcd *e)
{
	return e->prefix;
}

const char *etcd_endpoint(const struct etcd *e)
{
	return e->ep[e->cur];
}

void etcd_set_deadline(struct etcd *e, int64_t deadline)
{
	e->deadline = deadline;
}

struct body {
	struct strbuf *sb;
	bool over;
};

static size_t on_body(char *p, size_t sz, size_t n, void *opaque)
{
	struct body *b = opaque;

	if (b->sb->len + n > ETCD_MAX_REPLY) {
		b->over = true;
		return 0;
	}
	strbuf_add(b->sb, p, n);
	(void)sz;
	return n;
}

/* POSTs body to path; parses the reply as kind.  Tries each endpoint once,
 * starting with the one that answered last. */
static int post(struct etcd *e, const char *path, const struct strbuf *body,
		enum etcd_reply_kind kind, struct etcd_reply *ret, struct hv_diags *d)
{
	struct strbuf resp = e->resp;
	struct curl_slist *h = NULL;
	CURLcode r = CURLE_OK;
	int rc = -EIO;
	char err[256];

	if (!e->curl) {
		if ((rc = lazy_curl_load(d)) < 0)
			return rc;
		e->curl = curl_easy_init();
		if (!e->curl)
			return hv_errorf(d, "etcd: cannot start libcurl"), -ENOMEM;
		curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, e->tls ? "https" : "http");
		curl_easy_setopt(e->curl, CURLOPT_FOLLOWLOCATION, 0L);
		/* A reply announced larger than the limit is refused unread. */
		curl_easy_setopt(e->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ETCD_MAX_REPLY);
		if (e->o.cacert)
			curl_easy_setopt(e->curl, CURLOPT_CAINFO, e->o.cacert);
		if (e->o.cert)
			curl_easy_setopt(e->curl, CURLOPT_SSLCERT, e->o.cert);
		if (e->o.key)
			curl_easy_setopt(e->curl, CURLOPT_SSLKEY, e->o.key);
	}
	h = curl_slist_append(NULL, "Content-Type: application/json");
	for (size_t k = 0; k < e->nep; k++) {
		size_t i = (e->cur + k) % e->nep;
		long ms = REQUEST_MAX_MS, status = 0;
		if (e->deadline) {
			int64_t left = (e->deadline - clock_ns(CLOCK_MONOTONIC)) / 1000000;
			if (left <= 0) {
				r = CURLE_OPERATION_TIMEDOUT;
				break;
			}
			ms = left < ms ? (long)left : ms;
		}
		_cleanup_free_ char *url = xasprintf("%s://%s%s", e->tls ? "https" : "http", e->ep[i], path);
		struct body b = { &resp, false };
		strbuf_reset(&resp);
		curl_easy_setopt(e->curl, CURLOPT_URL, url);
		curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body->buf ? body->buf : "");
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE, (long)body->len);
		curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, ms);
		curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
		r = curl_easy_perform(e->curl);
		if (b.over || r == CURLE_FILESIZE_EXCEEDED) {
			rc = hv_errorf(d, "etcd %s%s: the reply is larger than %u bytes",
				       e->ep[i], path, ETCD_MAX_REPLY);
			rc = -EPROTO;
			goto out;
		}
		if (r != CURLE_OK)
			continue;	/* not reached: the next member */
		curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 500 && status != 501)
			continue;	/* no leader, shutting down: the next member */
		e->cur = i;
		if ((rc = reply_parse(&e->doc, kind, resp.buf ? resp.buf : "", resp.len, ret, err,
				      sizeof(err))) < 0) {
			(void)hv_errorf(d, "etcd %s%s (HTTP %ld): %s", e->ep[i], path, status, err);
			rc = rc == -E2BIG ? -E2BIG : -EPROTO;
			goto out;
		}
		if (status != 200) {
			etcd_reply_release(ret);
			(void)hv_errorf(d, "etcd %s%s: HTTP %ld", e->ep[i], path, status);
			rc = -EPROTO;
			goto out;
		}
		rc = 0;
		goto out;
	}
	(void)hv_errorf(d, "etcd: no member answered %s (last: %s)", path,
			r == CURLE_OK ? "server error" : curl_easy_strerror(r));
	rc = r == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : r == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
out:
	curl_slist_free_all(h);
	/* Kept for the next request, unless it was a large one. */
	if (resp.alloc > ETCD_MAX_REPLY / 4) {
		strbuf_release(&resp);
		cj_doc_release(&e->doc);
	}
	e->resp = resp;
	return rc;
}

static void add_key(struct strbuf *b, const char *name, const char *s, size_t len)
{
	strbuf_addf(b, "\"%s\":\"", name);
	add_b64(b, s, len);
	strbuf_addc(b, '"');
}

/* The first key after every key that starts with prefix. */
static char *prefix_end(const char *prefix, size_t *len)
{
	size_t n = strlen(prefix);
	char *end = xstrndup(prefix, n);

	while (n && (unsigned char)end[n - 1] == 0xff)
		n--;
	end[n - 1]++;	/* prefixes here end in '/' */
	*len = n;
	return end;
}

int etcd_range_prefix(struct etcd *e, const char *prefix, struct etcd_reply *ret,
		      struct hv_diags *d)
{
	struct strbuf b = STRBUF_INIT;
	size_t elen;
	_cleanup_free_ char *end = prefix_end(prefix, &elen);

	strbuf_addc(&b, '{');
	add_key(&b, "key", prefix, strlen(prefix));
	strbuf_addc(&b, ',');
	add_key(&b, "range_end", end, elen);
	strbuf_addc(&b, '}');
	int rc = post(e, "/v3/kv/range", &b, ETCD_RANGE, ret, d);
	strbuf_release(&b);
	return rc;
}

/* POSTs {"KEY":"V"} to a lease endpoint. */
static int lease_post(struct etcd *e, const char *path, const char *key, int64_t v,
		      enum etcd_reply_kind kind, struct etcd_reply *r, struct hv_diags *d)
{
	struct strbuf b = STRBUF_INIT;
	int rc;

	strbuf_addf(&b, "{\"%s\":\"%" PRId64 "\"}", key, v);
	rc = post(e, path, &b, kind, r, d);
	strbuf_release(&b);
	return rc;
}

int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *ret_id, struct hv_diags *d)
{
	struct etcd_reply r;
	int rc = lease_post(e, "/v3/lease/grant", "TTL", ttl_s, ETCD_GRANT, &r, d);

	if (rc == 0) {
		*ret_id = r.id;
		etcd_reply_release(&r);
	}
	return rc;
}

/* Lease id's TTL as the lease endpoint path answers it (0: not found,
 * or a reply about another lease). */
static int lease_ttl(struct etcd *e, const char *path, enum etcd_reply_kind kind, int64_t id,
		     int64_t *ret_ttl, struct hv_diags *d)
{
	struct etcd_reply r;
	int rc = lease_post(e, path, "ID", id, kind, &r, d);

	if (rc == 0) {
		*ret_ttl = r.id == id ? r.ttl : 0;
		etcd_reply_release(&r);
	}
	return rc;
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ret_ttl, struct hv_diags *d)
{
	return lease_ttl(e, "/v3/lease/keepalive", ETCD_KEEPALIVE, id, ret_ttl, d);
}

int etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ret_ttl, struct hv_diags *d)
{
	return lease_ttl(e, "/v3/lease/timetolive", ETCD_TIMETOLIVE, id, ret_ttl, d);
}

int etcd_lease_revoke(struct etcd *e, int64_t id, struct hv_diags *d)
{
	struct etcd_reply r;
	int rc = lease_post(e, "/v3/lease/revoke", "ID", id, ETCD_EMPTY, &r, d);

	if (rc == 0)
		etcd_reply_release(&r);
	return rc;
}

void etcd_txn_release(struct etcd_txn *t)
{
	strbuf_release(&t->cmp);
	strbuf_release(&t->ok);
}

void etcd_txn_reset(struct etcd_txn *t)
{
	strbuf_reset(&t->cmp);
	strbuf_reset(&t->ok);
	t->ncmp = t->nok = t->nested_ops = 0;
}

static void cmp(struct etcd_txn *t, const char *key, const char *target,
		const char *field, int64_t v)
{
	strbuf_adds(&t->cmp, t->cmp.len ? ",{" : "{");
	add_key(&t->cmp, "key", key, strlen(key));
	strbuf_addf(&t->cmp, ",\"result\":\"EQUAL\",\"target\":\"%s\",\"%s\":\"%" PRId64 "\"}",
		    target, field, v);	t->ncmp++;
}

void etcd_txn_cmp_mod(struct etcd_txn *t, const char *key, int64_t rev)
{
	cmp(t, key, "MOD", "mod_revision", rev);
}

void etcd_txn_cmp_lease(struct etcd_txn *t, const char *key, int64_t lease)
{
	cmp(t, key, "LEASE", "lease", lease);
}

void etcd_txn_cmp_absent(struct etcd_txn *t, const char *key)
{
	cmp(t, key, "CREATE", "create_revision", 0);
}

void etcd_txn_put(struct etcd_txn *t, const char *key, const char *value, size_t len,
		  int64_t lease)
{
	strbuf_adds(&t->ok, t->ok.len ? ",{\"request_put\":{" : "{\"request_put\":{");
	add_key(&t->ok, "key", key, strlen(key));
	strbuf_addc(&t->ok, ',');
	add_key(&t->ok, "value", value, len);
	if (lease)
		strbuf_addf(&t->ok, ",\"lease\":\"%" PRId64 "\"", lease);
	strbuf_adds(&t->ok, "}}");
	t->nok++;
}

void etcd_txn_del(struct etcd_txn *t, const char *key)
{
	strbuf_adds(&t->ok, t->ok.len ? ",{\"request_delete_range\":{" : "{\"request_delete_range\":{");
	add_key(&t->ok, "key", key, strlen(key));
	strbuf_adds(&t->ok, "}}");
	t->nok++;
}

/* The body of a transaction: {"compare":[...],"success":[...]}. */
static void add_txn(struct strbuf *b, const struct etcd_txn *t)
{
	strbuf_adds(b, "{\"compare\":[");
	if (t->cmp.len)
		strbuf_add(b, t->cmp.buf, t->cmp.len);
	strbuf_adds(b, "],\"success\":[");
	if (t->ok.len)
		strbuf_add(b, t->ok.buf, t->ok.len);
	strbuf_adds(b, "]}");
}

size_t etcd_txn_ops(const struct etcd_txn *t)
{
	return (t->ncmp > t->nok ? t->ncmp : t->nok) + t->nested_ops;
}

size_t etcd_txn_bytes(const struct etcd_txn *t)
{
	return t->cmp.len + t->ok.len;
}

void etcd_txn_nest(struct etcd_txn *t, const struct etcd_txn *inner)
{
	size_t ops = etcd_txn_ops(inner);

	strbuf_adds(&t->ok, t->ok.len ? ",{\"request_txn\":" : "{\"request_txn\":");
	add_txn(&t->ok, inner);
	strbuf_addc(&t->ok, '}');
	t->nok++;
	if (ops > t->nested_ops)
		t->nested_ops = ops;
}

/* POSTs t to /v3/kv/txn; its reply in *r. */
static int post_txn(struct etcd *e, const struct etcd_txn *t, struct etcd_reply *r,
		    struct hv_diags *d)
{
	struct strbuf *b = &e->req;
	int rc;

	strbuf_reset(b);
	add_txn(b, t);
	rc = post(e, "/v3/kv/txn", b, ETCD_TXN, r, d);
	if (b->alloc > ETCD_MAX_REPLY / 4)
		strbuf_release(b);
	return rc;
}

int etcd_txn_commit(struct etcd *e, const struct etcd_txn *t, bool *ret_ok,
		    int64_t *ret_rev, struct hv_diags *d)
{
	struct etcd_reply r;
	int rc = post_txn(e, t, &r, d);

	if (rc == 0) {
		*ret_ok = r.succeeded;
		*ret_rev = r.revision;
		etcd_reply_release(&r);
	}
	return rc;
}

int etcd_txn_commit_nested(struct etcd *e, const struct etcd_txn *t, size_t n,
			   bool *ret_each, int64_t *ret_rev, struct hv_diags *d)
{
	struct etcd_reply r;
	int rc = post_txn(e, t, &r, d);

	if (rc < 0)
		return rc;
	if (!r.succeeded || r.nnested != n) {
		/* With no compares of its own it always succeeds, and
		 * answers each operation. */
		rc = hv_errorf(d, "etcd %s/v3/kv/txn: the reply answers %zu of %zu nested "
			       "transactions%s", etcd_endpoint(e), r.nnested, n,
			       r.succeeded ? "" : " and says the outer one failed");
		rc = -EPROTO;
	} else {
		memcpy(ret_each, r.nested, n * sizeof(*ret_each));
		*ret_rev = r.revision;
	}
	etcd_reply_release(&r);
	return rc;
}
