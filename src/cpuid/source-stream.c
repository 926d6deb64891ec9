/* SPDX-License-Identifier: MIT */
/*
 * The CPUID policy of a Xen saved domain or migration stream (Xen 4.17:
 * docs/specs/libxc-migration-stream.pandoc, libxl-migration-stream.pandoc,
 * tools/xl/xl.h).  An `xl save` file is three layers:
 *
 *   xl      32-byte magic "Xen saved domain, xl format\n \0 \r", then
 *           byteorder (0x01020304), mandatory flags (1 JSON config,
 *           2 stream v2), optional flags, optional data length (u32 each,
 *           saver's byte order), then that much optional data (the
 *           config: u32 length + JSON)
 *   libxl   ident "LibxlFmt", version 2, options (bit 0 big-endian, bit 1
 *           legacy) (u64, u32, u32 big-endian), then records (type, length
 *           u32; body padded to 8 bytes) up to LIBXC_CONTEXT (1, empty),
 *           which libxc's stream follows
 *   libxc   image header: marker 0xffffffffffffffff, id "XENF", version
 *           (2; 3 from Xen 4.14), options (bit 0 big-endian), reserved
 *           (24 bytes, big-endian); domain header: type (1 PV, 2 HVM,
 *           3 PVH), page shift, xen major, minor (16 bytes); records as
 *           libxl's.  X86_CPUID_POLICY (0x11) is an array of
 *           xen_cpuid_leaf_t {leaf, subleaf, a, b, c, d} (u32 each, subleaf
 *           0xffffffff: none), X86_MSR_POLICY (0x12) of xen_msr_entry_t
 *           {idx, flags u32; val u64}; both come before STATIC_DATA_END
 *           (0x10), ahead of the page data.
 *
 * A migration stream (`xl migrate`'s) is the libxl and libxc layers; any
 * layer may start the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "cpuid-stream.h"
#include "util.h"

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAGIC_LEN 32
#define XL_HEADER_LEN 48
#define XL_BYTEORDER 0x01020304u
#define XL_FLAG_JSON 1u
#define XL_FLAG_STREAMV2 2u

#define LIBXL_IDENT "LibxlFmt"
#define LIBXL_OPT_BE 1u
#define LIBXL_OPT_LEGACY 2u
#define LIBXL_REC_END 0u
#define LIBXL_REC_LIBXC_CONTEXT 1u

#define LIBXC_ID "XENF"
#define LIBXC_REC_END 0x00u
#define LIBXC_REC_STATIC_DATA_END 0x10u
#define LIBXC_REC_CPUID_POLICY 0x11u
#define LIBXC_REC_MSR_POLICY 0x12u
#define XEN_CPUID_NO_SUBLEAF 0xffffffffu
#define CPUID_LEAF_SIZE 24u
#define MSR_ENTRY_SIZE 16u

#define STREAM_BUF 65536u

/*
 * What Xen 4.17 loads from a restored policy (XEN_DOMCTL_set_cpu_policy:
 * xen/lib/x86/cpuid.c x86_cpuid_copy_from_buffer() and msr.c
 * x86_msr_copy_from_buffer(), sizes from xen/include/xen/lib/x86/cpuid.h
 * CPUID_GUEST_NR_* and msr.h): a leaf or subleaf its tables cannot hold,
 * more entries than it serialises, an MSR it does not know or one with
 * flags set make it refuse the whole policy, so the restore fails.
 */
#define XEN_NR_BASIC 0xeu	/* CPUID_GUEST_NR_BASIC (0xdu + 1): 0x0..0xd */
#define XEN_NR_CACHE 6u		/* CPUID_GUEST_NR_CACHE (5u + 1): leaf 4 */
/* CPUID_GUEST_NR_FEAT: (1u + 1) in 4.17.0's cpuid.h; Debian 12's 4.17
 * has leaf 7 subleaf 2 backported (its PV Max policy gives leaf 7 eax 2,
 * tests/data/cpuid/xen-save/xen-cpuid-p.txt), so (2u + 1). */
#define XEN_NR_FEAT 3u
#define XEN_NR_TOPO 2u		/* CPUID_GUEST_NR_TOPO (1u + 1): leaf 0xb */
#define XEN_NR_XSTATE 63u	/* CPUID_GUEST_NR_XSTATE (62u + 1): leaf 0xd */
#define XEN_NR_EXTD 0x22u	/* CPUID_GUEST_NR_EXTD: MAX(0x8u + 1, 0x21u + 1) */
/* CPUID_MAX_SERIALISED_LEAVES: basic + the subleaf tables less their leaf
 * in basic + extended + hv_limit and hv2_limit. */
#define XEN_MAX_LEAVES (XEN_NR_BASIC + XEN_NR_FEAT - 1 + XEN_NR_CACHE - 1 + XEN_NR_TOPO - 1 + \
			XEN_NR_XSTATE - 1 + XEN_NR_EXTD + 2)
#define XEN_MAX_MSRS 2u		/* MSR_MAX_SERIALISED_ENTRIES: the two below */
#define XEN_MSR_PLATFORM_INFO 0xceu
#define XEN_MSR_ARCH_CAPABILITIES 0x10au

/* Why Xen would refuse the stream, by where it finds out: a record it
 * does not handle (while reading), then the CPUID, then the MSR policy
 * (loaded in that order once the static data is in).  "" when it would not. */
struct xen_load {
	char rec[128], cpuid[128], msr[128];
};

/*
 * The input: a window of bytes in memory (buf[pos..len)), refilled from
 * fd when there is one.  off is the stream offset of buf[pos].
 */
struct sin {
	const char *name;
	int fd;			/* -1: the bytes in buf are all there is */
	bool seekable;		/* fd is a regular file: skip by lseek() */
	const uint8_t *buf;
	uint8_t *own;		/* buf when it is ours (fd mode) */
	size_t cap;		/* of own */
	size_t len, pos;
	uint64_t off;
	struct hv_diags *d;
};

const char *cpuid_stream_domain_name(uint32_t type)
{
	switch (type) {
	case CPUID_STREAM_PV:
		return "PV";
	case CPUID_STREAM_HVM:
		return "HVM";
	case CPUID_STREAM_PVH:
		return "PVH";
	}
	return "?";
}

bool cpuid_looks_like_stream(const void *buf, size_t len)
{
	static const uint8_t libxc[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   'X', 'E', 'N', 'F' };

	return (len >= XL_MAGIC_LEN && memcmp(buf, XL_MAGIC, XL_MAGIC_LEN) == 0) ||
	       (len >= 8 && memcmp(buf, LIBXL_IDENT, 8) == 0) ||
	       (len >= sizeof(libxc) && memcmp(buf, libxc, sizeof(libxc)) == 0);
}

/* An error "NAME: offset OFF: ..."; returns -EINVAL. */
static int sin_err(struct sin *s, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sin_err(struct sin *s, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	rc = hv_errorf(s->d, "%s: offset %" PRIu64 ": %s", s->name, off, msg ? msg : fmt);
	free(msg);
	return rc;
}

/* Makes at least n bytes (n <= STREAM_BUF) available at buf + pos, as far
 * as the input has them; returns how many are. */
static int sin_fill(struct sin *s, size_t n, size_t *ret)
{
	if (s->fd >= 0 && s->len - s->pos < n) {
		memmove(s->own, s->own + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
		while (s->len < n) {
			ssize_t r = read(s->fd, s->own + s->len, s->cap - s->len);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return hv_errorf(s->d, "cannot read '%s': %s", s->name, strerror(errno));
			if (r == 0)
				break;
			s->len += (size_t)r;
		}
	}
	*ret = s->len - s->pos;
	return 0;
}

/* Copies the next n bytes (n <= STREAM_BUF) into out; `what` names them
 * for the message when the input ends first. */
static int sin_read(struct sin *s, void *out, size_t n, const char *what)
{
	size_t have;
	int rc;

	if ((rc = sin_fill(s, n, &have)) < 0)
		return rc;
	if (have < n)
		return sin_err(s, s->off, "the input ends inside %s (%zu bytes of %zu)", what, have, n);
	memcpy(out, s->buf + s->pos, n);
	s->pos += n;
	s->off += n;
	return 0;
}

/* Skips n bytes without keeping them: an error when fewer are there. */
static int sin_skip(struct sin *s, uint64_t n, uint64_t rec_off, const char *what)
{
	uint64_t want = n;
	size_t have = s->len - s->pos;

	if (n <= have) {
		s->pos += (size_t)n;
		s->off += n;
		return 0;
	}
	n -= have;
	s->off += have;
	s->pos = s->len;
	if (s->fd >= 0 && s->seekable) {
		off_t cur = lseek(s->fd, 0, SEEK_CUR);
		struct stat st;

		if (cur >= 0 && fstat(s->fd, &st) == 0 && (uint64_t)st.st_size >= (uint64_t)cur &&
		    n <= (uint64_t)st.st_size - (uint64_t)cur && lseek(s->fd, (off_t)n, SEEK_CUR) >= 0) {
			s->off += n;
			return 0;
		}
		if (cur >= 0 && fstat(s->fd, &st) == 0)
			return sin_err(s, rec_off, "%s of %" PRIu64 " bytes runs past the end of the input (%" PRIu64 " bytes there)",
				       what, want, (uint64_t)(st.st_size > cur ? st.st_size - cur : 0) + have);
		return hv_errorf(s->d, "cannot seek in '%s': %s", s->name, strerror(errno));
	}
	while (s->fd >= 0 && n) {
		ssize_t r = read(s->fd, s->own, n < s->cap ? (size_t)n : s->cap);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hv_errorf(s->d, "cannot read '%s': %s", s->name, strerror(errno));
		if (r == 0)
			break;
		n -= (uint64_t)r;
		s->off += (uint64_t)r;
	}
	s->len = s->pos = 0;
	if (n)
		return sin_err(s, rec_off, "%s of %" PRIu64 " bytes runs past the end of the input (%" PRIu64 " bytes there)",
			       what, want, want - n);
	return 0;
}

static uint32_t get32(const uint8_t *p, bool be)
{
	uint32_t v;

	(void)hv_get_u32(hv_bytes_make(p, 4), 0, &v);
	return be ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const uint8_t *p, bool be)
{
	uint64_t v;

	(void)hv_get_u64(hv_bytes_make(p, 8), 0, &v);
	return be ? __builtin_bswap64(v) : v;
}

/* The body length padded to 8 bytes (no overflow: length is 32-bit). */
static uint64_t padded(uint32_t length)
{
	return ((uint64_t)length + 7) & ~(uint64_t)7;
}

/* xl's header and its optional data. */
static int read_xl(struct sin *s, struct cpuid_stream_info *info)
{
	uint8_t h[XL_HEADER_LEN];
	uint32_t order, mand, opt, optlen;
	bool be;
	int rc;

	if ((rc = sin_read(s, h, sizeof(h), "xl's header")) < 0)
		return rc;
	order = get32(h + 32, false);
	if (order != XL_BYTEORDER && order != __builtin_bswap32(XL_BYTEORDER))
		return sin_err(s, 32, "xl's byte order mark is 0x%08" PRIx32 ", not 0x%08x", order,
			       XL_BYTEORDER);
	be = order != XL_BYTEORDER;
	mand = get32(h + 36, be);
	opt = get32(h + 40, be);
	optlen = get32(h + 44, be);
	if (mand & ~(XL_FLAG_JSON | XL_FLAG_STREAMV2))
		return sin_err(s, 36, "xl's header has mandatory flags 0x%" PRIx32 " this reader does not know (a newer xl's image?)",
			       mand);
	if (!(mand & XL_FLAG_STREAMV2))
		return sin_err(s, 36, "a legacy image (xl of Xen before 4.6, no stream v2 flag): it carries no CPUID policy");
	(void)opt;	/* optional: may be ignored */
	info->xl = true;
	return sin_skip(s, optlen, XL_HEADER_LEN, "xl's optional data (the domain's config)");
}

/* libxl's header and records up to LIBXC_CONTEXT. */
static int read_libxl(struct sin *s, struct cpuid_stream_info *info)
{
	uint8_t h[16];
	uint64_t at = s->off;
	uint32_t version, options;
	bool be;
	int rc;

	if ((rc = sin_read(s, h, sizeof(h), "libxl's stream header")) < 0)
		return rc;
	if (memcmp(h, LIBXL_IDENT, 8) != 0)
		return sin_err(s, at, "expected libxl's stream header (\"LibxlFmt\")");
	version = get32(h + 8, true);
	options = get32(h + 12, true);
	if (version != 2)
		return sin_err(s, at + 8, "libxl stream version %" PRIu32 ", this reader knows 2", version);
	if (options & LIBXL_OPT_LEGACY)
		return sin_err(s, at + 12, "a legacy libxc stream (converted from Xen before 4.6): it carries no CPUID policy");
	be = options & LIBXL_OPT_BE;
	info->libxl = true;
	for (;;) {
		uint8_t r[8];
		uint32_t type, length;

		at = s->off;
		if ((rc = sin_read(s, r, sizeof(r), "a libxl record header")) < 0)
			return rc;
		type = get32(r, be);
		length = get32(r + 4, be);
		if (type == LIBXL_REC_END)
			return sin_err(s, at, "libxl's stream ends before its libxc context: no domain in it");
		if (type == LIBXL_REC_LIBXC_CONTEXT) {
			if (length)
				return sin_err(s, at, "libxl's LIBXC_CONTEXT record has a %" PRIu32 "-byte body, expected none",
					       length);
			return 0;
		}
		if ((rc = sin_skip(s, padded(length), at, "a libxl record")) < 0)
			return rc;
	}
}

/* Whether Xen 4.17's cpuid_policy has a place for leaf.subleaf (subleaf
 * XEN_CPUID_NO_SUBLEAF: none), as x86_cpuid_copy_from_buffer() decides. */
static bool xen_leaf_fits(uint32_t leaf, uint32_t sub)
{
	if (leaf < XEN_NR_BASIC) {
		switch (leaf) {
		case 0x4:
			return sub < XEN_NR_CACHE;
		case 0x7:
			return sub < XEN_NR_FEAT;
		case 0xb:
			return sub < XEN_NR_TOPO;
		case 0xd:
			return sub < XEN_NR_XSTATE;
		}
		return sub == XEN_CPUID_NO_SUBLEAF;
	}
	if (leaf == 0x40000000 || leaf == 0x40000100 ||
	    (leaf >= 0x80000000 && leaf < 0x80000000 + XEN_NR_EXTD))
		return sub == XEN_CPUID_NO_SUBLEAF;
	return false;
}

/* Xen uses the last X86_CPUID_POLICY record (update_blob() in
 * xg_sr_common_x86.c): a later one replaces an earlier one. */
static int read_cpuid_policy(struct sin *s, uint64_t at, uint32_t length, bool be,
			     struct cpuid_data *c, struct xen_load *x)
{
	_cleanup_free_ uint8_t *body = NULL;
	uint32_t n = length / CPUID_LEAF_SIZE;
	int rc;

	if (length % CPUID_LEAF_SIZE)
		return sin_err(s, at, "X86_CPUID_POLICY record of %" PRIu32 " bytes, not a multiple of %u",
			       length, CPUID_LEAF_SIZE);
	if (n > CPUID_MAX_ENTRIES)
		return sin_err(s, at, "X86_CPUID_POLICY record of %" PRIu32 " leaves, more than %d",
			       n, CPUID_MAX_ENTRIES);
	if (!length)
		return sin_err(s, at, "an empty X86_CPUID_POLICY record");
	if (c->nleaves)
		hv_warnf(s->d, "%s: offset %" PRIu64 ": a second X86_CPUID_POLICY record: it replaces the first, as in Xen",
			 s->name, at);
	c->nleaves = 0;		/* the leaves are plain values */
	x->cpuid[0] = 0;
	if (n > XEN_MAX_LEAVES)
		snprintf(x->cpuid, sizeof(x->cpuid), "its CPUID policy has %" PRIu32 " leaves, more than Xen's %u (-E2BIG)",
			 n, XEN_MAX_LEAVES);
	body = xmalloc(length);
	for (uint32_t done = 0; done < length;) {
		uint32_t k = length - done > STREAM_BUF ? STREAM_BUF : length - done;

		if ((rc = sin_read(s, body + done, k, "the X86_CPUID_POLICY record")) < 0)
			return rc;
		done += k;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = body + (size_t)i * CPUID_LEAF_SIZE;
		uint64_t eoff = at + 8 + (uint64_t)i * CPUID_LEAF_SIZE;
		uint32_t leaf = get32(e, be), sub = get32(e + 4, be);
		uint32_t r[4] = { get32(e + 8, be), get32(e + 12, be), get32(e + 16, be),
				  get32(e + 20, be) };

		if (!xen_leaf_fits(leaf, sub)) {
			/* Not filed: under another subleaf it would stand for
			 * what Xen never loads. */
			hv_warnf(s->d, "%s: offset %" PRIu64 ": leaf 0x%" PRIx32 " subleaf 0x%" PRIx32 " is out of range of Xen 4.17's CPUID policy: left out",
				 s->name, eoff, leaf, sub);
			if (!x->cpuid[0])
				snprintf(x->cpuid, sizeof(x->cpuid), "its CPUID policy has leaf 0x%" PRIx32 " subleaf 0x%" PRIx32 ", out of range of Xen's (-ERANGE)",
					 leaf, sub);
			continue;
		}
		if (sub == XEN_CPUID_NO_SUBLEAF)
			sub = 0;
		if (cpuid_data_get(c, leaf, sub))
			hv_warnf(s->d, "%s: offset %" PRIu64 ": leaf 0x%" PRIx32 " subleaf 0x%" PRIx32 " given again, the last one is used",
				 s->name, eoff, leaf, sub);
		if ((rc = cpuid_data_set(c, leaf, sub, r)) < 0)
			return sin_err(s, at, "more than %d leaves", CPUID_MAX_ENTRIES);
	}
	return 0;
}

/* The last X86_MSR_POLICY record is used, as the last CPUID one is. */
static int read_msr_policy(struct sin *s, uint64_t at, uint32_t length, bool be,
			   struct cpuid_data *c, bool *seen, struct xen_load *x)
{
	uint32_t n = length / MSR_ENTRY_SIZE;

	if (length % MSR_ENTRY_SIZE)
		return sin_err(s, at, "X86_MSR_POLICY record of %" PRIu32 " bytes, not a multiple of %u",
			       length, MSR_ENTRY_SIZE);
	if (n > CPUID_MAX_ENTRIES)
		return sin_err(s, at, "X86_MSR_POLICY record of %" PRIu32 " MSRs, more than %d",
			       n, CPUID_MAX_ENTRIES);
	if (*seen)
		hv_warnf(s->d, "%s: offset %" PRIu64 ": a second X86_MSR_POLICY record: it replaces the first, as in Xen",
			 s->name, at);
	*seen = true;
	c->nmsrs = 0;		/* plain values */
	x->msr[0] = 0;
	if (n > XEN_MAX_MSRS)
		snprintf(x->msr, sizeof(x->msr), "its MSR policy has %" PRIu32 " MSRs, more than Xen's %u (-E2BIG)",
			 n, XEN_MAX_MSRS);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t e[MSR_ENTRY_SIZE];
		uint32_t idx, flags;
		int rc;

		if ((rc = sin_read(s, e, sizeof(e), "the X86_MSR_POLICY record")) < 0)
			return rc;
		idx = get32(e, be);
		flags = get32(e + 4, be);
		if (!x->msr[0] && flags)
			snprintf(x->msr, sizeof(x->msr), "its MSR 0x%" PRIx32 " has flags 0x%" PRIx32 ", which must be 0 (-EINVAL)",
				 idx, flags);
		else if (!x->msr[0] && idx != XEN_MSR_PLATFORM_INFO && idx != XEN_MSR_ARCH_CAPABILITIES)
			snprintf(x->msr, sizeof(x->msr), "its MSR policy has MSR 0x%" PRIx32 ", which Xen's does not hold (-ERANGE)",
				 idx);
		if (cpuid_data_get_msr(c, idx))
			hv_warnf(s->d, "%s: offset %" PRIu64 ": MSR 0x%" PRIx32 " given again, the last one is used",
				 s->name, s->off - sizeof(e), idx);
		if (cpuid_data_set_msr(c, idx, get64(e + 8, be)) < 0)
			return sin_err(s, at, "more than %d MSRs", CPUID_MAX_ENTRIES);
	}
	return 0;
}

/*
 * Whether Xen 4.17's restore handles a record of this type in a stream
 * of this domain type (tools/libs/guest/xg_sr_restore.c process_record(),
 * then xg_sr_restore_x86_pv.c / _x86_hvm.c): a mandatory one (bit 31
 * clear) it does not handle fails the restore.  CHECKPOINT is handled
 * only in a checkpointed stream, which `xl restore` never reads.
 */
static bool xen_handles(uint32_t type, uint32_t domain)
{
	switch (type) {
	case 0x01:	/* PAGE_DATA */
	case 0x0d:	/* VERIFY */
	case 0x08:	/* X86_TSC_INFO */
	case LIBXC_REC_CPUID_POLICY:
	case LIBXC_REC_MSR_POLICY:
		return true;
	case 0x02:	/* X86_PV_INFO */
	case 0x03:	/* X86_PV_P2M_FRAMES */
	case 0x04:	/* X86_PV_VCPU_BASIC */
	case 0x05:	/* X86_PV_VCPU_EXTENDED */
	case 0x06:	/* X86_PV_VCPU_XSAVE */
	case 0x07:	/* SHARED_INFO */
	case 0x0c:	/* X86_PV_VCPU_MSRS */
		return domain == CPUID_STREAM_PV;
	case 0x09:	/* HVM_CONTEXT */
	case 0x0a:	/* HVM_PARAMS */
		return domain != CPUID_STREAM_PV;
	}
	return false;
}

/* libxc's headers and records up to the policies. */
static int read_libxc(struct sin *s, struct cpuid_data *c, struct cpuid_stream_info *info)
{
	static const uint8_t marker[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t h[24], dh[16];
	uint64_t at = s->off;
	bool be, msrs = false;
	struct xen_load x = { .rec = "" };
	int rc;

	if ((rc = sin_read(s, h, sizeof(h), "libxc's image header")) < 0)
		return rc;
	if (memcmp(h, marker, 8) != 0 || memcmp(h + 8, LIBXC_ID, 4) != 0)
		return sin_err(s, at, "expected libxc's image header (0xffffffffffffffff \"XENF\")");
	info->libxc_version = get32(h + 12, true);
	be = (h[16] << 8 | h[17]) & 1;
	if (info->libxc_version == 2)
		return sin_err(s, at + 12, "libxc stream version 2 (Xen 4.6 to 4.13): CPUID policies are saved from version 3 (Xen 4.14) on");
	if (info->libxc_version != 3)
		return sin_err(s, at + 12, "libxc stream version %" PRIu32 ", this reader knows 2 and 3",
			       info->libxc_version);
	at = s->off;
	if ((rc = sin_read(s, dh, sizeof(dh), "libxc's domain header")) < 0)
		return rc;
	info->domain_type = get32(dh, be);
	info->xen_major = get32(dh + 8, be);
	info->xen_minor = get32(dh + 12, be);
	if (info->domain_type < CPUID_STREAM_PV || info->domain_type > CPUID_STREAM_PVH)
		return sin_err(s, at, "domain type %" PRIu32 " is not an x86 guest (1 PV, 2 HVM, 3 PVH): no CPUID policy",
			       info->domain_type);
	for (;;) {
		uint8_t r[8];
		uint32_t type, length;

		at = s->off;
		if ((rc = sin_read(s, r, sizeof(r), "a libxc record header")) < 0)
			return rc;
		type = get32(r, be);
		length = get32(r + 4, be);
		if (type == LIBXC_REC_END || type == LIBXC_REC_STATIC_DATA_END) {
			if (!c->nleaves)
				return sin_err(s, at, "no X86_CPUID_POLICY record before %s",
					       type ? "STATIC_DATA_END" : "END");
			info->stop = s->off;
			break;
		}
		if (type == LIBXC_REC_CPUID_POLICY)
			rc = read_cpuid_policy(s, at, length, be, c, &x);
		else if (type == LIBXC_REC_MSR_POLICY)
			rc = read_msr_policy(s, at, length, be, c, &msrs, &x);
		else	/* page data and the rest: not read */
			rc = sin_skip(s, length, at, "a libxc record");
		if (rc < 0 || (rc = sin_skip(s, padded(length) - length, at, "a record's padding")) < 0)
			return rc;
		if (x.rec[0] || (type & 0x80000000u) || xen_handles(type, info->domain_type))
			continue;
		if (type == 0x0e)
			snprintf(x.rec, sizeof(x.rec), "a CHECKPOINT record at offset %" PRIu64 " in a stream that is not checkpointed",
				 at);
		else
			snprintf(x.rec, sizeof(x.rec), "mandatory record 0x%" PRIx32 " at offset %" PRIu64 " not handled",
				 type, at);
	}
	snprintf(info->refused, sizeof(info->refused), "%s",
		 x.rec[0] ? x.rec : x.cpuid[0] ? x.cpuid : x.msr);
	if (info->refused[0])
		hv_warnf(s->d, "%s: Xen 4.17 would refuse to restore it: %s", s->name, info->refused);
	return 0;
}

static int parse(struct sin *s, struct cpuid_data *ret, struct cpuid_stream_info *ret_info)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	struct cpuid_stream_info info = { 0 };
	size_t have;
	int rc;

	if ((rc = sin_fill(s, XL_MAGIC_LEN, &have)) < 0)
		goto out;
	if (!cpuid_looks_like_stream(s->buf + s->pos, have)) {
		(void)hv_errorf(s->d, "%s: not a Xen saved image or migration stream (no xl, libxl or libxc header at offset 0)",
				s->name);
		rc = -EMEDIUMTYPE;
		goto out;
	}
	if (have >= XL_MAGIC_LEN && memcmp(s->buf + s->pos, XL_MAGIC, XL_MAGIC_LEN) == 0 &&
	    (rc = read_xl(s, &info)) < 0)
		goto out;
	if ((rc = sin_fill(s, 8, &have)) < 0)
		goto out;
	if (have >= 8 && memcmp(s->buf + s->pos, LIBXL_IDENT, 8) == 0 &&
	    (rc = read_libxl(s, &info)) < 0)
		goto out;
	if ((rc = read_libxc(s, &c, &info)) < 0)
		goto out;
	/* Xen merges the policy into the domain's own, which keeps its leaf 0. */
	if (!cpuid_data_get(&c, 0, 0))
		hv_warnf(s->d, "%s: the X86_CPUID_POLICY record has no leaf 0: Xen keeps the domain's own; its maximum leaves are not known here",
			 s->name);
	c.origin = xasprintf("%s (Xen %" PRIu32 ".%" PRIu32 " %s guest, saved)", s->name, info.xen_major,
			     info.xen_minor, cpuid_stream_domain_name(info.domain_type));
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
	if (ret_info)
		*ret_info = info;
	rc = 0;
out:
	cpuid_data_release(&c);
	return rc;
}

int cpuid_parse_stream(const void *buf, size_t len, const char *name,
		       struct cpuid_data *ret, struct cpuid_stream_info *info,
		       struct hv_diags *d)
{
	struct sin s = { .name = name, .fd = -1, .buf = buf, .len = len, .d = d };

	return parse(&s, ret, info);
}

int cpuid_read_stream_fd(int fd, const void *head, size_t headlen, const char *name,
			 struct cpuid_data *ret, struct cpuid_stream_info *info,
			 struct hv_diags *d)
{
	struct sin s = { .name = name, .fd = fd, .d = d };
	struct stat st;
	int rc;

	s.cap = STREAM_BUF > headlen ? STREAM_BUF : headlen;
	s.own = xmalloc(s.cap);
	s.buf = s.own;
	if (headlen)
		memcpy(s.own, head, headlen);
	s.len = headlen;
	s.seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	rc = parse(&s, ret, info);
	free(s.own);
	return rc;
}

int cpuid_read_saved(const char *path, struct cpuid_data *ret,
		     struct cpuid_stream_info *info, struct hv_diags *d)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *why = NULL;
	int fd, rc;

	fd = is_stdin ? STDIN_FILENO : open_input(path, 0, &why);
	if (fd < 0) {
		hv_errorf(d, "cannot open '%s': %s", path, why);
		return fd;
	}
	rc = cpuid_read_stream_fd(fd, NULL, 0, path, ret, info, d);
	if (!is_stdin)
		close(fd);
	return rc;
}
