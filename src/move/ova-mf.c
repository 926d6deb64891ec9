/* SPDX-License-Identifier: MIT */
/* OVA manifests: parse, check, write (see ova-mf.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ova-mf.h"
#include "util.h"

static const struct {
	const char *name;
	size_t digest;
} algos[] = {
	[MF_SHA1] = { "SHA1", SHA1_DIGEST_SIZE },
	[MF_SHA256] = { "SHA256", SHA256_DIGEST_SIZE },
	[MF_SHA512] = { "SHA512", SHA512_DIGEST_SIZE },
};

void mf_hash_init(struct mf_hash *h, enum mf_algo algo)
{
	h->algo = algo;
	switch (algo) {
	case MF_SHA1: sha1_init(&h->u.sha1); break;
	case MF_SHA256: sha256_init(&h->u.sha256); break;
	case MF_SHA512: sha512_init(&h->u.sha512); break;
	}
}

void mf_hash_update(struct mf_hash *h, const void *p, size_t len)
{
	switch (h->algo) {
	case MF_SHA1: sha1_update(&h->u.sha1, len, p); break;
	case MF_SHA256: sha256_update(&h->u.sha256, len, p); break;
	case MF_SHA512: sha512_update(&h->u.sha512, len, p); break;
	}
}

void mf_hash_hex(struct mf_hash *h, char out[MF_HEX_MAX])
{
	uint8_t dig[SHA512_DIGEST_SIZE];
	size_t n = algos[h->algo].digest;

	switch (h->algo) {
	case MF_SHA1: sha1_digest(&h->u.sha1, n, dig); break;
	case MF_SHA256: sha256_digest(&h->u.sha256, n, dig); break;
	case MF_SHA512: sha512_digest(&h->u.sha512, n, dig); break;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[dig[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[dig[i] & 15];
	}
	out[2 * n] = 0;
}

/* One line "ALGO(member)= hex" (spaces around '=' allowed, as some
 * writers put them). */
static int parse_line(char *l, const char *mfname, unsigned lineno,
		      struct ova_mf *mf, struct hv_diags *d)
{
	char *open = strchr(l, '('), *close = strrchr(l, ')'), *p;
	struct mf_entry e = { 0 };
	size_t i, n;

	if (!open || !close || close < open || close == open + 1)
		return hv_errorf(d, "%s:%u: not ALGO(file)= digest: '%.60s'", mfname, lineno, l);
	*open = 0;
	for (i = 0; i < ARRAY_SIZE(algos); i++)
		if (strcasecmp(strstrip(l), algos[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(algos))
		return hv_errorf(d, "%s:%u: unknown digest '%.20s' (SHA1, SHA256, SHA512)",
				 mfname, lineno, l);
	e.algo = (enum mf_algo)i;
	p = close + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '=')
		return hv_errorf(d, "%s:%u: no '=' after the file name", mfname, lineno);
	p = strstrip(p);
	n = strlen(p);
	if (n != 2 * algos[i].digest || strspn(p, "0123456789abcdefABCDEF") != n)
		return hv_errorf(d, "%s:%u: %s digest is not %zu hex digits", mfname, lineno,
				 algos[i].name, 2 * algos[i].digest);
	for (size_t k = 0; k <= n; k++)
		e.hex[k] = (char)tolower((unsigned char)p[k]);
	*close = 0;
	if (ova_mf_find(mf, open + 1))
		return hv_errorf(d, "%s:%u: '%s' named twice", mfname, lineno, open + 1);
	e.member = xstrdup(open + 1);
	mf->v = xrealloc(mf->v, (mf->n + 1) * sizeof(*mf->v));
	mf->v[mf->n++] = e;
	return 0;
}

int ova_mf_parse(const char *text, size_t len, const char *mfname,
		 struct ova_mf *mf, struct hv_diags *d)
{
	char *copy = xmalloc(len + 1);
	unsigned lineno = 0;
	int rc = 0;

	mf->present = true;
	memcpy(copy, text, len);
	copy[len] = 0;
	if (memchr(text, 0, len))
		rc = hv_errorf(d, "%s: holds a NUL byte: not a manifest", mfname);
	for (char *l = copy; rc == 0 && l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		if (*strstrip(l))
			rc = parse_line(l, mfname, lineno, mf, d);
		l = nl ? nl + 1 : NULL;
	}
	free(copy);
	return rc;
}

struct mf_entry *ova_mf_find(struct ova_mf *mf, const char *member)
{
	for (size_t i = 0; i < mf->n; i++)
		if (strcmp(mf->v[i].member, member) == 0)
			return &mf->v[i];
	return NULL;
}

int ova_mf_verify(struct mf_entry *e, const char *hex, struct hv_diags *d)
{
	e->checked = true;
	if (strcasecmp(e->hex, hex) != 0)
		return hv_errorf(d, "'%s': %s digest %s, the manifest says %s", e->member,
				 algos[e->algo].name, hex, e->hex);
	return 0;
}

int ova_mf_all_checked(const struct ova_mf *mf, const char *mfname,
		       struct hv_diags *d)
{
	for (size_t i = 0; i < mf->n; i++)
		if (!mf->v[i].checked)
			return hv_errorf(d, "%s names '%s', which is not in the archive",
					 mfname, mf->v[i].member);
	return 0;
}

int ova_mf_require(const struct ova_mf *mf, const char *member, struct hv_diags *d)
{
	for (size_t i = 0; mf->present && i < mf->n; i++)
		if (strcmp(mf->v[i].member, member) == 0)
			return 0;
	if (!mf->present)
		return 0;
	_cleanup_free_ char *shown = str_printable(xstrdup(member), false);
	return hv_errorf(d, "the manifest has no digest for '%s' (OVF requires one for every file of the package)",
			 shown);
}

void ova_mf_release(struct ova_mf *mf)
{
	for (size_t i = 0; i < mf->n; i++)
		free(mf->v[i].member);
	free(mf->v);
	mf->v = NULL;
	mf->n = 0;
}

int mf_hash_fd(int fd, enum mf_algo algo, char out[MF_HEX_MAX])
{
	struct mf_hash h;
	uint8_t *buf = xmalloc(1 << 20);
	off_t at = 0;
	ssize_t n;

	mf_hash_init(&h, algo);
	while ((n = pread(fd, buf, 1 << 20, at)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		mf_hash_update(&h, buf, (size_t)n);
		at += n;
	}
	free(buf);
	mf_hash_hex(&h, out);
	return 0;
}

void ova_mf_line(struct strbuf *o, const char *member, const char *hex)
{
	strbuf_addf(o, "SHA256(%s)= %s\n", member, hex);
}
