/* SPDX-License-Identifier: MIT */
/* OVA manifests (NAME.mf): one "ALGO(member)= hexdigest" line per member,
 * SHA256 as OVF 2.0 and ovftool write them, SHA1 (OVF 1.x, older
 * ovftool) and SHA512 read too.  Digests come from nettle. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "diag.h"
#include "strbuf.h"

enum mf_algo { MF_SHA1, MF_SHA256, MF_SHA512 };

/* A running digest of one member. */
struct mf_hash {
	enum mf_algo algo;
	union {
		struct sha1_ctx sha1;
		struct sha256_ctx sha256;
		struct sha512_ctx sha512;
	} u;
};
#define MF_HEX_MAX (2 * SHA512_DIGEST_SIZE + 1)

void mf_hash_init(struct mf_hash *h, enum mf_algo algo);
void mf_hash_update(struct mf_hash *h, const void *p, size_t len);
/* The digest in lowercase hex; h must be initialised again for reuse. */
void mf_hash_hex(struct mf_hash *h, char out[MF_HEX_MAX]);

struct mf_entry {
	enum mf_algo algo;
	char *member;		/* owned */
	char hex[MF_HEX_MAX];	/* lowercase */
	bool checked;
};

struct ova_mf {
	struct mf_entry *v;
	size_t n;
	bool present;		/* a manifest was parsed (perhaps empty) */
};

/*
 * Parses the manifest text (len bytes, read from the member mfname) into
 * mf (zeroed by the caller, released with ova_mf_release() even on
 * failure).  -EINVAL with "MFNAME:LINE: reason" in d on a line that is
 * not ALGO(member)= hex, an unknown algorithm, a digest of the wrong
 * length, or a member named twice.
 */
int ova_mf_parse(const char *text, size_t len, const char *mfname,
		 struct ova_mf *mf, struct hv_diags *d);
/* The entry for member, or NULL when the manifest does not name it. */
struct mf_entry *ova_mf_find(struct ova_mf *mf, const char *member);
/* Marks e checked: 0 when hex (any case) is its digest, else -EINVAL with
 * an error naming the member and both digests. */
int ova_mf_verify(struct mf_entry *e, const char *hex, struct hv_diags *d);
/* -EINVAL naming the first entry not checked (a member not in the
 * archive), else 0. */
int ova_mf_all_checked(const struct ova_mf *mf, const char *mfname,
		       struct hv_diags *d);
/* OVF (DSP0243): a package with a manifest has a digest in it for every
 * file (the descriptor and each file it references).  -EINVAL naming
 * member when mf is present and does not name it, else 0. */
int ova_mf_require(const struct ova_mf *mf, const char *member, struct hv_diags *d);
void ova_mf_release(struct ova_mf *mf);

/* The digest of the whole file open on fd (read from offset 0 with
 * pread): 0, or a negative errno. */
int mf_hash_fd(int fd, enum mf_algo algo, char out[MF_HEX_MAX]);

/* Appends "SHA256(member)= hex\n" to o. */
void ova_mf_line(struct strbuf *o, const char *member, const char *hex);
