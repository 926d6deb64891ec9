/* SPDX-License-Identifier: MIT */
/* A small etcd v3 client: the JSON gateway (/v3/kv/range, /v3/kv/txn,
 * /v3/lease/grant|keepalive|revoke) over HTTP(S) with libcurl (loaded on
 * first use).  Every reply is untrusted: bounded in size, strict JSON,
 * integers and base64 checked (etcd_reply_parse). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "strbuf.h"

/* A reply larger than this is refused unread (many guests' records). */
#define ETCD_MAX_REPLY (64u << 20)
#define ETCD_MAX_ENDPOINTS 16
#define ETCD_MAX_PREFIX 512
/* etcd's defaults for --max-txn-ops (what etcd_txn_ops() counts) and
 * --max-request-bytes (of the request as etcd decodes it: smaller than
 * the JSON body, whose keys and values are base64). */
#define ETCD_DEFAULT_MAX_TXN_OPS 128
#define ETCD_DEFAULT_MAX_REQUEST_BYTES (3u << 19)

struct etcd_opts {
	const char *cacert, *cert, *key;	/* any set: https */
};

struct etcd_kv {
	char *key, *value;	/* owned, decoded, NUL-terminated */
	size_t keylen, vlen;
	int64_t create_rev, mod_rev, lease;
};

/* What a reply says; fields a kind does not carry stay 0. */
struct etcd_reply {
	int64_t revision;	/* header.revision */
	int64_t raft_term;	/* header.raft_term: a new one after an
				 * election (a restart, a new leader) */
	bool succeeded;		/* txn */
	int64_t id, ttl;	/* lease grant / keepalive (ttl 0: expired) */
	struct etcd_kv *kvs;	/* range, or a txn's first range response */
	size_t n, alloc;
	bool *nested;		/* txn: each nested transaction's `succeeded`, in order */
	size_t nnested, nested_alloc;
};

enum etcd_reply_kind { ETCD_RANGE, ETCD_TXN, ETCD_GRANT, ETCD_KEEPALIVE, ETCD_EMPTY,
			ETCD_TIMETOLIVE };

/*
 * Parses a reply body of the given kind (untrusted).  Returns 0, or
 * -EINVAL with one "offset N: reason" or "key K: reason" in err; -E2BIG
 * when it is etcd's refusal of a request as too large (too many
 * operations in a transaction, or too many bytes).
 */
int etcd_reply_parse(enum etcd_reply_kind kind, const char *buf, size_t len,
		     struct etcd_reply *ret, char *err, size_t errsz);
void etcd_reply_release(struct etcd_reply *r);

struct etcd;

/*
 * "etcd://HOST:PORT[,HOST:PORT...]/PREFIX" (no I/O yet).  The prefix is
 * kept with one trailing '/'.  Returns 0 or -EINVAL with a message in *d.
 */
int etcd_new(const char *url, const struct etcd_opts *o, struct etcd **ret,
	     struct hv_diags *d);
void etcd_free(struct etcd *e);
const char *etcd_prefix(const struct etcd *e);
/* The endpoint that answered last, "HOST:PORT". */
const char *etcd_endpoint(const struct etcd *e);
/* Every later request gives up at deadline_mono_ns (CLOCK_MONOTONIC; 0:
 * each request waits up to 10 s). */
void etcd_set_deadline(struct etcd *e, int64_t deadline_mono_ns);

/* Requests: each tries the endpoints in turn (the last one that answered
 * first) and returns 0, -ETIMEDOUT / -ECONNREFUSED / -EIO when none
 * answered (a message in *d), -E2BIG when etcd refused it as too large,
 * -EPROTO on a bad reply or another error etcd reported. */
int etcd_range_prefix(struct etcd *e, const char *prefix, struct etcd_reply *ret,
		      struct hv_diags *d);
int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *ret_id, struct hv_diags *d);
/* *ret_ttl 0: the lease has expired (or never was). */
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ret_ttl, struct hv_diags *d);
/* The seconds left to lease id (0: none such, lapsed). */
int etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ret_ttl, struct hv_diags *d);
int etcd_lease_revoke(struct etcd *e, int64_t id, struct hv_diags *d);

/* A transaction: compares (all must hold), then puts/deletes on success;
 * on failure nothing is done. */
struct etcd_txn {
	struct strbuf cmp, ok;
	size_t ncmp, nok;	/* compares, operations */
	size_t nested_ops;	/* the largest nested transaction's etcd_txn_ops() */
};
#define ETCD_TXN_INIT { STRBUF_INIT, STRBUF_INIT, 0, 0, 0 }
void etcd_txn_release(struct etcd_txn *t);
/* Empties t for reuse, keeping its memory. */
void etcd_txn_reset(struct etcd_txn *t);
/* key's mod revision == rev (0: the key does not exist). */
void etcd_txn_cmp_mod(struct etcd_txn *t, const char *key, int64_t rev);
/* key's lease == lease (0: none, or no key). */
void etcd_txn_cmp_lease(struct etcd_txn *t, const char *key, int64_t lease);
/* key does not exist. */
void etcd_txn_cmp_absent(struct etcd_txn *t, const char *key);
void etcd_txn_put(struct etcd_txn *t, const char *key, const char *value, size_t len,
		  int64_t lease);
void etcd_txn_del(struct etcd_txn *t, const char *key);
/* Appends inner as one operation of t (etcd 3.3 and later): inner's
 * compares are judged on their own, so one that fails loses inner's
 * operations only, and the others' are done all the same. */
void etcd_txn_nest(struct etcd_txn *t, const struct etcd_txn *inner);
/* What etcd's --max-txn-ops is judged against: t's compares or
 * operations, whichever are more, plus its largest nested transaction's. */
size_t etcd_txn_ops(const struct etcd_txn *t);
/* Bytes of t's compares and operations as sent. */
size_t etcd_txn_bytes(const struct etcd_txn *t);
/* *ret_ok: whether the compares held; *ret_rev the store's revision after
 * (the puts' mod revision when ok). */
int etcd_txn_commit(struct etcd *e, const struct etcd_txn *t, bool *ret_ok,
		    int64_t *ret_rev, struct hv_diags *d);
/* A transaction of n nested ones (etcd_txn_nest) and nothing else:
 * ret_each[i] whether the i-th one's compares held; *ret_rev as above.
 * A reply that does not answer each of the n is -EPROTO. */
int etcd_txn_commit_nested(struct etcd *e, const struct etcd_txn *t, size_t n,
			   bool *ret_each, int64_t *ret_rev, struct hv_diags *d);
