/* SPDX-License-Identifier: MIT */
/* ACPI tables: acpidump text reader and SRAT/SLIT/MCFG/MADT/HMAT decoders. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "bytes.h"
#include "util.h"

/* Most initiator or target domains one HMAT structure may list. */
#define ACPI__HMAT_MAX_DOMAINS 65536

/* ---- small helpers ---- */

/*
 * Makes room for element n of the array whose pointer is at pptr (any
 * object pointer type) with *alloc elements allocated.  Returns 0 or
 * -ENOMEM, leaving the array untouched on failure.
 */
static int acpi__reserve(void *pptr, size_t *alloc, size_t n, size_t size)
{
	void *old, *nv;
	size_t na;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 8;
	if (na < n + 1)
		na = n + 1;
	if (na > SIZE_MAX / size)
		return -ENOMEM;
	memcpy(&old, pptr, sizeof(old));
	nv = realloc(old, na * size);
	if (!nv)
		return -ENOMEM;
	memcpy(pptr, &nv, sizeof(nv));
	*alloc = na;
	return 0;
}

/* Readers for fields a subtable's checked minimum length guarantees. */
static uint8_t acpi__u8(struct hv_bytes b, size_t off)
{
	uint8_t v = 0;

	(void)hv_get_u8(b, off, &v);
	return v;
}

static uint16_t acpi__u16(struct hv_bytes b, size_t off)
{
	uint16_t v = 0;

	(void)hv_get_u16(b, off, &v);
	return v;
}

static uint32_t acpi__u32(struct hv_bytes b, size_t off)
{
	uint32_t v = 0;

	(void)hv_get_u32(b, off, &v);
	return v;
}

static uint64_t acpi__u64(struct hv_bytes b, size_t off)
{
	uint64_t v = 0;

	(void)hv_get_u64(b, off, &v);
	return v;
}

/* A printable copy of a 4-byte signature for messages. */
static const char *acpi__sig_str(const uint8_t *p, char buf[5])
{
	for (size_t i = 0; i < 4; i++)
		buf[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	buf[4] = '\0';
	return buf;
}

/* ---- header ---- */

int acpi_check_header(const uint8_t *p, size_t len, const char *expected_sig,
		      struct hv_diags *d)
{
	const char *name = expected_sig ? expected_sig : "table";
	struct hv_bytes b;
	uint32_t tlen;
	uint8_t sum = 0;
	char sig[5];

	if (!p)
		len = 0;
	b = hv_bytes_make(p, len);
	if (len < ACPI_HEADER_SIZE)
		return hv_errorf(d, "%s: table is %zu bytes, shorter than the %d-byte header",
				 name, len, ACPI_HEADER_SIZE);
	if (expected_sig && memcmp(p, expected_sig, 4) != 0)
		return hv_errorf(d, "%s: wrong signature '%s' at offset 0",
				 name, acpi__sig_str(p, sig));
	tlen = acpi__u32(b, 4);
	if (tlen < ACPI_HEADER_SIZE)
		return hv_errorf(d, "%s: length field %u at offset 4 is shorter than the %d-byte header",
				 name, tlen, ACPI_HEADER_SIZE);
	if (tlen > len)
		return hv_errorf(d, "%s: length field %u at offset 4 exceeds the %zu bytes available",
				 name, tlen, len);
	for (size_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + p[i]);
	if (sum != 0)
		hv_warnf(d, "%s: checksum at offset 9 is off by 0x%02x, ignoring",
			 name, sum);
	return 0;
}

/*
 * Checks the header of a `sig` table whose fixed part is fixed_len bytes
 * and sets *ret to the table as bounded by its length field.
 */
static int acpi__table_open(const uint8_t *p, size_t len, const char *sig,
			    size_t fixed_len, struct hv_bytes *ret,
			    struct hv_diags *d)
{
	uint32_t tlen;
	int rc;

	rc = acpi_check_header(p, len, sig, d);
	if (rc < 0)
		return rc;
	tlen = acpi__u32(hv_bytes_make(p, len), 4);
	if (tlen < fixed_len)
		return hv_errorf(d, "%s: length field %u at offset 4 is shorter than the %zu-byte fixed part",
				 sig, tlen, fixed_len);
	*ret = hv_bytes_make(p, tlen);
	return 0;
}

/* ---- subtable walk ---- */

/* The minimum length of each subtable type a decoder reads. */
struct acpi__sub_desc {
	unsigned type;
	unsigned min_len;
	const char *name;
};

struct acpi__walk {
	const char *sig;		/* table name for messages */
	struct hv_bytes b;		/* the table, bounded by its length field */
	size_t off;			/* the next subtable */
	bool wide;			/* u16 type, u32 length at +4 (HMAT) */
	const struct acpi__sub_desc *descs;
	size_t ndescs;
};

/*
 * Steps to the next subtable: returns 1 and sets *type, *off and *sub (the
 * subtable's own bytes), 0 at the end of the table, or -EINVAL when a
 * length is zero, too short for its type or runs past the table.
 */
static int acpi__walk_next(struct acpi__walk *w, unsigned *type, size_t *off,
			   struct hv_bytes *sub, struct hv_diags *d)
{
	size_t hdr = w->wide ? 8 : 2;
	size_t o = w->off;
	uint32_t slen;

	if (o == w->b.len)
		return 0;
	if (!hv_bytes_has(w->b, o, hdr))
		return hv_errorf(d, "%s: truncated subtable header at offset 0x%zx (%zu bytes left)",
				 w->sig, o, w->b.len - o);
	if (w->wide) {
		*type = acpi__u16(w->b, o);
		slen = acpi__u32(w->b, o + 4);
	} else {
		*type = acpi__u8(w->b, o);
		slen = acpi__u8(w->b, o + 1);
	}
	if (slen < hdr)
		return hv_errorf(d, "%s: subtable at offset 0x%zx (type %u) has length %u, too short",
				 w->sig, o, *type, slen);
	if (!hv_bytes_sub(w->b, o, slen, sub))
		return hv_errorf(d, "%s: subtable at offset 0x%zx (type %u, length %u) runs past the end of the table at 0x%zx",
				 w->sig, o, *type, slen, w->b.len);
	for (size_t i = 0; i < w->ndescs; i++)
		if (w->descs[i].type == *type && slen < w->descs[i].min_len)
			return hv_errorf(d, "%s: %s subtable at offset 0x%zx has length %u, expected at least %u",
					 w->sig, w->descs[i].name, o, slen,
					 w->descs[i].min_len);
	*off = o;
	w->off = o + slen;
	return 1;
}

/* ---- acpidump text ---- */

struct acpi__dump {
	struct acpi_tables t;
	size_t alloc;		/* tables allocated */
	size_t data_alloc;	/* bytes allocated for the open table */
	size_t name_line;	/* line of the open table's name */
	bool open;		/* hex lines go to the last table */
	bool skipping;		/* hex lines of a dropped table: ignored */
	size_t stray, first_stray;	/* lines not part of any table */
	size_t dropped;
};

void acpi_tables_release(struct acpi_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].data);
	free(t->v);
	*t = (struct acpi_tables){ 0 };
}

const struct acpi_table *acpi_tables_find(const struct acpi_tables *t,
					  const char *sig)
{
	if (!t || !sig)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].sig, sig) == 0)
			return &t->v[i];
	return NULL;
}

/*
 * Drops the open table, whose bytes are not whole, with a warning
 * "line N: reason, ignoring table 'SIG'"; its remaining hex lines are
 * skipped up to the next name line.
 */
__attribute__((format(printf, 3, 4)))
static void acpi__dump_drop(struct acpi__dump *st, struct hv_diags *d,
			    const char *fmt, ...)
{
	struct acpi_table *t = &st->t.v[st->t.n - 1];
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hv_warnf(d, "%s, ignoring table '%s'", why, t->sig);
	free(t->data);
	st->t.n--;
	st->open = false;
	st->skipping = true;
	st->dropped++;
}

/* Ends the open table: it is kept when its data matches its length field. */
static void acpi__dump_close(struct acpi__dump *st, struct hv_diags *d)
{
	struct acpi_table *t;
	uint32_t tlen;

	st->skipping = false;
	if (!st->open)
		return;
	t = &st->t.v[st->t.n - 1];
	tlen = t->len >= 8 ? acpi__u32(hv_bytes_make(t->data, t->len), 4) : 0;
	if (t->len == 0)
		acpi__dump_drop(st, d, "line %zu: table '%s' has no hex data",
				st->name_line, t->sig);
	else if (strcmp(t->sig, "RSD ") == 0)
		st->open = false;	/* the RSDP has no common header */
	else if (t->len < 8)
		acpi__dump_drop(st, d, "line %zu: table '%s' has only %zu bytes of hex data",
				st->name_line, t->sig, t->len);
	else if (tlen != t->len)
		acpi__dump_drop(st, d, "line %zu: table '%s' has %zu bytes of hex data but its length field says %u",
				st->name_line, t->sig, t->len, tlen);
	else
		st->open = false;
	st->skipping = false;
}

/* A line that is neither a table's name nor its data: firmware warnings,
 * kernel messages, a tool's banner.  Counted, and warned about once. */
static void acpi__dump_stray(struct acpi__dump *st, size_t lineno)
{
	if (!st->stray++)
		st->first_stray = lineno;
}

/*
 * A name line, "SRAT @ 0x00000000bf79e0c0", opens a table.  Returns 1
 * when the line is not one (a stray line), 0 when a table was opened, or
 * -ENOMEM.
 */
static int acpi__dump_name(struct acpi__dump *st, const char *line, size_t n,
			   size_t lineno, struct hv_diags *d)
{
	struct acpi_table *t;
	size_t at = 0, i, ndig = 0;
	bool bad_addr;
	int rc;

	for (i = 1; i + 5 <= n && i <= 8; i++)
		if (memcmp(line + i, " @ 0x", 5) == 0) {
			at = i;
			break;
		}
	if (at == 0)
		return 1;
	for (i = 0; i < at; i++)
		if (line[i] < 0x20 || line[i] >= 0x7f)
			return 1;
	for (i = at + 5; i < n && hexdigit(line[i]) >= 0; i++)
		ndig++;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	bad_addr = ndig == 0 || ndig > 16 || i != n;

	acpi__dump_close(st, d);
	rc = acpi__reserve(&st->t.v, &st->alloc, st->t.n, sizeof(*st->t.v));
	if (rc < 0)
		return rc;
	t = &st->t.v[st->t.n++];
	*t = (struct acpi_table){ 0 };
	memset(t->sig, ' ', 4);
	memcpy(t->sig, line, at < 4 ? at : 4);
	t->sig[4] = '\0';
	st->data_alloc = 0;
	st->name_line = lineno;
	st->open = true;
	if (bad_addr)
		acpi__dump_drop(st, d, "line %zu: bad table address after '@'", lineno);
	return 0;
}

/*
 * A hex line, "    0010: 4F 45 4D 53  OEMS", adds up to 16 bytes to the
 * open table.  Its offset must equal the bytes read so far; the ASCII
 * column after two spaces is ignored.  An indented line without an
 * "OFFSET:" is a stray line; a malformed one drops the open table.
 */
static int acpi__dump_hex(struct acpi__dump *st, const char *line, size_t n,
			  size_t lineno, struct hv_diags *d)
{
	struct acpi_table *t;
	uint8_t bytes[16];
	uint64_t off = 0;
	size_t i = 0, ndig = 0, nb = 0, rest;
	int v;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < n && ndig <= 8 && (v = hexdigit(line[i])) >= 0) {
		off = off << 4 | (unsigned)v;
		ndig++;
		i++;
	}
	if (ndig == 0 || ndig > 8 || i >= n || line[i] != ':' || !st->open) {
		if (!st->skipping)
			acpi__dump_stray(st, lineno);
		return 0;
	}
	i++;
	t = &st->t.v[st->t.n - 1];
	if (off != t->len) {
		acpi__dump_drop(st, d, "line %zu: hex line starts at offset 0x%llx, expected 0x%zx",
				lineno, (unsigned long long)off, t->len);
		return 0;
	}
	while (nb < 16 && i + 3 <= n && line[i] == ' ' &&
	       hexdigit(line[i + 1]) >= 0 && hexdigit(line[i + 2]) >= 0 &&
	       (i + 3 == n || line[i + 3] == ' ')) {
		bytes[nb++] = (uint8_t)(hexdigit(line[i + 1]) << 4 |
					hexdigit(line[i + 2]));
		i += 3;
	}
	if (nb == 0) {
		acpi__dump_drop(st, d, "line %zu: hex line has no data bytes", lineno);
		return 0;
	}
	/* What follows must be blank or the ASCII column after two spaces. */
	rest = i;
	while (rest < n && line[rest] == ' ')
		rest++;
	if (rest < n && !(n - i >= 2 && line[i] == ' ' && line[i + 1] == ' ')) {
		acpi__dump_drop(st, d, "line %zu: malformed hex data at column %zu",
				lineno, i + 1);
		return 0;
	}

	if (t->len + nb > st->data_alloc) {
		size_t na = st->data_alloc ? st->data_alloc * 2 : 256;
		uint8_t *nd = realloc(t->data, na);

		if (!nd)
			return -ENOMEM;
		t->data = nd;
		st->data_alloc = na;
	}
	memcpy(t->data + t->len, bytes, nb);
	t->len += nb;
	return 0;
}

int acpi_parse_acpidump_text(const char *text, size_t len,
			     struct acpi_tables *ret, struct hv_diags *d)
{
	struct acpi__dump st = { 0 };
	size_t pos = 0, lineno = 0;
	int rc;

	*ret = (struct acpi_tables){ 0 };
	if (!text)
		len = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t i = 0;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n)
			continue;	/* blank */
		if (i > 0) {
			rc = acpi__dump_hex(&st, line, n, lineno, d);
		} else {
			rc = acpi__dump_name(&st, line, n, lineno, d);
			if (rc == 1) {
				acpi__dump_stray(&st, lineno);
				rc = 0;
			}
		}
		if (rc < 0)
			goto fail;
	}
	acpi__dump_close(&st, d);
	if (st.stray)
		hv_warnf(d, "line %zu: %zu line%s not part of any table (firmware or kernel messages?), ignoring",
			 st.first_stray, st.stray, st.stray == 1 ? "" : "s");
	if (st.t.n == 0) {
		rc = st.dropped ? hv_errorf(d, "no whole ACPI table in acpidump text")
				: hv_errorf(d, "no ACPI tables found in acpidump text");
		goto fail;
	}
	*ret = st.t;
	return 0;
fail:
	acpi_tables_release(&st.t);
	return rc;
}

/* ---- SRAT ---- */

#define ACPI__SRAT_FIXED 48

static const struct acpi__sub_desc acpi__srat_subs[] = {
	{ 0, 16, "processor local APIC affinity" },
	{ 1, 40, "memory affinity" },
	{ 2, 24, "x2APIC affinity" },
	{ 3, 18, "GICC affinity" },
	{ 4, 12, "GIC ITS affinity" },
	{ 5, 32, "generic initiator affinity" },
	{ 6, 32, "generic port affinity" },
};

void acpi_srat_release(struct acpi_srat *s)
{
	if (!s)
		return;
	free(s->cpus);
	free(s->mems);
	*s = (struct acpi_srat){ 0 };
}

static int acpi__srat_cpu(struct acpi_srat *s, size_t *alloc, unsigned type,
			  struct hv_bytes sub, size_t off, struct hv_diags *d)
{
	struct acpi_srat_cpu c = { 0 };
	uint32_t flags;
	int rc;

	switch (type) {
	case 0:
		c.domain = acpi__u8(sub, 2);
		if (s->revision >= 2)
			c.domain |= (uint32_t)acpi__u8(sub, 9) << 8 |
				    (uint32_t)acpi__u8(sub, 10) << 16 |
				    (uint32_t)acpi__u8(sub, 11) << 24;
		c.apic_id = acpi__u8(sub, 3);
		flags = acpi__u32(sub, 4);
		c.clock_domain = acpi__u32(sub, 12);
		break;
	case 2:
		c.domain = acpi__u32(sub, 4);
		c.apic_id = acpi__u32(sub, 8);
		c.x2apic = true;
		flags = acpi__u32(sub, 12);
		c.clock_domain = acpi__u32(sub, 16);
		break;
	default:	/* 3: GICC */
		c.domain = acpi__u32(sub, 2);
		c.apic_id = acpi__u32(sub, 6);
		c.gicc = true;
		flags = acpi__u32(sub, 10);
		c.clock_domain = acpi__u32(sub, 14);
		break;
	}
	c.enabled = flags & 1;
	if (s->ncpus >= ACPI_MAX_ENTRIES)
		return hv_errorf(d, "SRAT: more than %u CPU entries at offset 0x%zx",
				 ACPI_MAX_ENTRIES, off);
	rc = acpi__reserve(&s->cpus, alloc, s->ncpus, sizeof(*s->cpus));
	if (rc < 0)
		return rc;
	s->cpus[s->ncpus++] = c;
	return 0;
}

static int acpi__srat_mem(struct acpi_srat *s, size_t *alloc,
			  struct hv_bytes sub, size_t off, struct hv_diags *d)
{
	uint32_t flags = acpi__u32(sub, 28);
	int rc;

	if (s->nmems >= ACPI_MAX_ENTRIES)
		return hv_errorf(d, "SRAT: more than %u memory entries at offset 0x%zx",
				 ACPI_MAX_ENTRIES, off);
	rc = acpi__reserve(&s->mems, alloc, s->nmems, sizeof(*s->mems));
	if (rc < 0)
		return rc;
	s->mems[s->nmems++] = (struct acpi_srat_mem){
		.domain = acpi__u32(sub, 2),
		.base = acpi__u64(sub, 8),
		.length = acpi__u64(sub, 16),
		.enabled = flags & 1,
		.hotplug = flags & 2,
		.nonvolatile = flags & 4,
	};
	return 0;
}

int acpi_parse_srat(const uint8_t *p, size_t len, struct acpi_srat *ret,
		    struct hv_diags *d)
{
	struct acpi_srat s = { 0 };
	struct acpi__walk w = {
		.sig = "SRAT",
		.off = ACPI__SRAT_FIXED,
		.descs = acpi__srat_subs,
		.ndescs = sizeof(acpi__srat_subs) / sizeof(acpi__srat_subs[0]),
	};
	struct hv_bytes sub;
	size_t cpu_alloc = 0, mem_alloc = 0, off;
	unsigned type;
	int rc;

	*ret = (struct acpi_srat){ 0 };
	rc = acpi__table_open(p, len, "SRAT", ACPI__SRAT_FIXED, &w.b, d);
	if (rc < 0)
		return rc;
	s.revision = acpi__u8(w.b, 8);
	while ((rc = acpi__walk_next(&w, &type, &off, &sub, d)) > 0) {
		switch (type) {
		case 0:
		case 2:
		case 3:
			rc = acpi__srat_cpu(&s, &cpu_alloc, type, sub, off, d);
			break;
		case 1:
			rc = acpi__srat_mem(&s, &mem_alloc, sub, off, d);
			break;
		case 5:
			s.ngeneric_initiators++;
			break;
		default:
			s.nother++;
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		acpi_srat_release(&s);
		return rc;
	}
	*ret = s;
	return 0;
}

/* ---- SLIT ---- */

#define ACPI__SLIT_FIXED 44

void acpi_slit_release(struct acpi_slit *s)
{
	if (!s)
		return;
	free(s->m);
	*s = (struct acpi_slit){ 0 };
}

int acpi_parse_slit(const uint8_t *p, size_t len, struct acpi_slit *ret,
		    struct hv_diags *d)
{
	struct hv_bytes b;
	uint64_t n;
	size_t nn;
	uint8_t *m = NULL;
	int rc;

	*ret = (struct acpi_slit){ 0 };
	rc = acpi__table_open(p, len, "SLIT", ACPI__SLIT_FIXED, &b, d);
	if (rc < 0)
		return rc;
	n = acpi__u64(b, 36);
	if (n > ACPI_SLIT_MAX)
		return hv_errorf(d, "SLIT: locality count %llu at offset 36 exceeds %u",
				 (unsigned long long)n, ACPI_SLIT_MAX);
	nn = (size_t)(n * n);
	if (!hv_bytes_has(b, ACPI__SLIT_FIXED, nn))
		return hv_errorf(d, "SLIT: %llu x %llu matrix at offset 44 needs %zu bytes, the table has %zu",
				 (unsigned long long)n, (unsigned long long)n,
				 nn, b.len - ACPI__SLIT_FIXED);
	if (nn) {
		m = malloc(nn);
		if (!m)
			return -ENOMEM;
		memcpy(m, b.p + ACPI__SLIT_FIXED, nn);
		for (size_t i = 0; i < n; i++)
			if (m[i * n + i] != 10) {
				hv_warnf(d, "SLIT: distance of locality %zu to itself at offset 0x%zx is %u, not 10",
					 i, ACPI__SLIT_FIXED + i * (size_t)n + i,
					 m[i * n + i]);
				break;
			}
	}
	*ret = (struct acpi_slit){ .n = n, .m = m };
	return 0;
}

/* ---- MCFG ---- */

#define ACPI__MCFG_FIXED 44
#define ACPI__MCFG_ENTRY 16

void acpi_mcfg_release(struct acpi_mcfg *m)
{
	if (!m)
		return;
	free(m->v);
	*m = (struct acpi_mcfg){ 0 };
}

int acpi_parse_mcfg(const uint8_t *p, size_t len, struct acpi_mcfg *ret,
		    struct hv_diags *d)
{
	struct acpi_mcfg m = { 0 };
	struct hv_bytes b;
	size_t n, trail;
	int rc;

	*ret = (struct acpi_mcfg){ 0 };
	rc = acpi__table_open(p, len, "MCFG", ACPI__MCFG_FIXED, &b, d);
	if (rc < 0)
		return rc;
	n = (b.len - ACPI__MCFG_FIXED) / ACPI__MCFG_ENTRY;
	trail = (b.len - ACPI__MCFG_FIXED) % ACPI__MCFG_ENTRY;
	if (trail)
		hv_warnf(d, "MCFG: %zu trailing bytes at offset 0x%zx, ignoring",
			 trail, b.len - trail);
	if (n) {
		m.v = calloc(n, sizeof(*m.v));
		if (!m.v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t off = ACPI__MCFG_FIXED + i * ACPI__MCFG_ENTRY;
		struct acpi_mcfg_seg *s = &m.v[i];

		s->base = acpi__u64(b, off);
		s->segment = acpi__u16(b, off + 8);
		s->bus_start = acpi__u8(b, off + 10);
		s->bus_end = acpi__u8(b, off + 11);
		if (s->bus_end < s->bus_start)
			hv_warnf(d, "MCFG: entry at offset 0x%zx ends at bus %u before its start bus %u",
				 off, s->bus_end, s->bus_start);
	}
	m.n = n;
	*ret = m;
	return 0;
}

/* ---- MADT ---- */

#define ACPI__MADT_FIXED 44

static const struct acpi__sub_desc acpi__madt_subs[] = {
	{ 0, 8, "processor local APIC" },
	{ 1, 12, "I/O APIC" },
	{ 2, 10, "interrupt source override" },
	{ 4, 6, "local APIC NMI" },
	{ 5, 12, "local APIC address override" },
	{ 9, 16, "processor local x2APIC" },
	{ 10, 12, "local x2APIC NMI" },
};

void acpi_madt_release(struct acpi_madt *m)
{
	if (!m)
		return;
	free(m->cpus);
	*m = (struct acpi_madt){ 0 };
}

int acpi_parse_madt(const uint8_t *p, size_t len, struct acpi_madt *ret,
		    struct hv_diags *d)
{
	struct acpi_madt m = { 0 };
	struct acpi__walk w = {
		.sig = "APIC",
		.off = ACPI__MADT_FIXED,
		.descs = acpi__madt_subs,
		.ndescs = sizeof(acpi__madt_subs) / sizeof(acpi__madt_subs[0]),
	};
	struct acpi_madt_cpu c;
	struct hv_bytes sub;
	size_t alloc = 0, off;
	uint32_t flags;
	unsigned type;
	int rc;

	*ret = (struct acpi_madt){ 0 };
	rc = acpi__table_open(p, len, "APIC", ACPI__MADT_FIXED, &w.b, d);
	if (rc < 0)
		return rc;
	m.lapic_addr = acpi__u32(w.b, 36);
	m.flags = acpi__u32(w.b, 40);
	while ((rc = acpi__walk_next(&w, &type, &off, &sub, d)) > 0) {
		if (type == 1) {
			m.nioapics++;
			continue;
		}
		if (type != 0 && type != 9) {
			m.nother++;
			continue;
		}
		if (type == 0) {
			c = (struct acpi_madt_cpu){
				.uid = acpi__u8(sub, 2),
				.apic_id = acpi__u8(sub, 3),
			};
			flags = acpi__u32(sub, 4);
		} else {
			c = (struct acpi_madt_cpu){
				.apic_id = acpi__u32(sub, 4),
				.uid = acpi__u32(sub, 12),
				.x2apic = true,
			};
			flags = acpi__u32(sub, 8);
		}
		c.enabled = flags & 1;
		c.online_capable = flags & 2;
		if (m.ncpus >= ACPI_MAX_ENTRIES) {
			rc = hv_errorf(d, "APIC: more than %u CPU entries at offset 0x%zx",
				       ACPI_MAX_ENTRIES, off);
			break;
		}
		rc = acpi__reserve(&m.cpus, &alloc, m.ncpus, sizeof(*m.cpus));
		if (rc < 0)
			break;
		m.cpus[m.ncpus++] = c;
	}
	if (rc < 0) {
		acpi_madt_release(&m);
		return rc;
	}
	*ret = m;
	return 0;
}

/* ---- HMAT ---- */

#define ACPI__HMAT_FIXED 40

static const struct acpi__sub_desc acpi__hmat_subs[] = {
	{ 0, 40, "memory proximity domain attributes" },
	{ 1, 32, "latency and bandwidth" },
	{ 2, 32, "memory side cache" },
};

struct acpi__hmat_alloc {
	size_t lb, caches, mpdas;
};

void acpi_hmat_release(struct acpi_hmat *h)
{
	if (!h)
		return;
	free(h->lb);
	free(h->caches);
	free(h->mpdas);
	*h = (struct acpi_hmat){ 0 };
}

/* A System Locality Latency and Bandwidth Information structure. */
static int acpi__hmat_lb(struct acpi_hmat *h, struct acpi__hmat_alloc *a,
			 struct hv_bytes sub, size_t off, struct hv_diags *d)
{
	unsigned hierarchy = acpi__u8(sub, 8) & 0x0f;
	unsigned type = acpi__u8(sub, 9);
	uint32_t ni = acpi__u32(sub, 12), nt = acpi__u32(sub, 16);
	uint64_t unit = acpi__u64(sub, 24), need;
	size_t tlist, entries;
	int rc;

	if (ni > ACPI__HMAT_MAX_DOMAINS || nt > ACPI__HMAT_MAX_DOMAINS)
		return hv_errorf(d, "HMAT: latency and bandwidth structure at offset 0x%zx lists %u initiator and %u target domains, more than %u",
				 off, ni, nt, ACPI__HMAT_MAX_DOMAINS);
	need = 32 + 4 * (uint64_t)ni + 4 * (uint64_t)nt + 2 * (uint64_t)ni * nt;
	if (need > sub.len)
		return hv_errorf(d, "HMAT: latency and bandwidth structure at offset 0x%zx needs %llu bytes for %u x %u entries, its length is %zu",
				 off, (unsigned long long)need, ni, nt, sub.len);
	if (type > ACPI_HMAT_WRITE_BANDWIDTH)
		return hv_warnf(d, "HMAT: unknown data type %u at offset 0x%zx, ignoring",
				type, off + 9);
	tlist = 32 + 4 * (size_t)ni;
	entries = tlist + 4 * (size_t)nt;
	for (size_t i = 0; i < ni; i++) {
		for (size_t j = 0; j < nt; j++) {
			size_t eoff = entries + 2 * (i * nt + j);
			uint16_t e = acpi__u16(sub, eoff);
			uint64_t v;

			if (e == 0)
				continue;	/* not provided */
			if (unit && e > UINT64_MAX / unit) {
				hv_warnf(d, "HMAT: entry at offset 0x%zx times base unit %llu overflows, ignoring",
					 off + eoff, (unsigned long long)unit);
				continue;
			}
			v = e * unit;
			if (type <= ACPI_HMAT_WRITE_LATENCY)
				v = v / 1000 + (v % 1000 != 0);
			if (h->nlb >= ACPI_MAX_ENTRIES)
				return hv_errorf(d, "HMAT: more than %u latency and bandwidth values at offset 0x%zx",
						 ACPI_MAX_ENTRIES, off);
			rc = acpi__reserve(&h->lb, &a->lb, h->nlb, sizeof(*h->lb));
			if (rc < 0)
				return rc;
			h->lb[h->nlb++] = (struct acpi_hmat_lb){
				.data_type = type,
				.hierarchy = hierarchy,
				.initiator = acpi__u32(sub, 32 + 4 * i),
				.target = acpi__u32(sub, tlist + 4 * j),
				.value = v,
			};
		}
	}
	return 0;
}

static int acpi__hmat_cache(struct acpi_hmat *h, struct acpi__hmat_alloc *a,
			    struct hv_bytes sub, size_t off, struct hv_diags *d)
{
	uint32_t attr = acpi__u32(sub, 24);
	unsigned nh = acpi__u16(sub, 30);
	int rc;

	if (32 + 2 * (size_t)nh > sub.len)
		return hv_errorf(d, "HMAT: memory side cache structure at offset 0x%zx lists %u SMBIOS handles, its length is %zu",
				 off, nh, sub.len);
	if (h->ncaches >= ACPI_MAX_ENTRIES)
		return hv_errorf(d, "HMAT: more than %u memory side caches at offset 0x%zx",
				 ACPI_MAX_ENTRIES, off);
	rc = acpi__reserve(&h->caches, &a->caches, h->ncaches, sizeof(*h->caches));
	if (rc < 0)
		return rc;
	h->caches[h->ncaches++] = (struct acpi_hmat_cache){
		.domain = acpi__u32(sub, 8),
		.size = acpi__u64(sub, 16),
		.level = attr >> 4 & 0x0f,
		.associativity = attr >> 8 & 0x0f,
		.write_policy = attr >> 12 & 0x0f,
		.line_size = attr >> 16,
	};
	return 0;
}

static int acpi__hmat_mpda(struct acpi_hmat *h, struct acpi__hmat_alloc *a,
			   struct hv_bytes sub, size_t off, struct hv_diags *d)
{
	int rc;

	if (h->nmpdas >= ACPI_MAX_ENTRIES)
		return hv_errorf(d, "HMAT: more than %u proximity domain attribute structures at offset 0x%zx",
				 ACPI_MAX_ENTRIES, off);
	rc = acpi__reserve(&h->mpdas, &a->mpdas, h->nmpdas, sizeof(*h->mpdas));
	if (rc < 0)
		return rc;
	h->mpdas[h->nmpdas++] = (struct acpi_hmat_mpda){
		.initiator_valid = acpi__u16(sub, 8) & 1,
		.initiator = acpi__u32(sub, 12),
		.memory = acpi__u32(sub, 16),
	};
	return 0;
}

int acpi_parse_hmat(const uint8_t *p, size_t len, struct acpi_hmat *ret,
		    struct hv_diags *d)
{
	struct acpi_hmat h = { 0 };
	struct acpi__hmat_alloc a = { 0 };
	struct acpi__walk w = {
		.sig = "HMAT",
		.off = ACPI__HMAT_FIXED,
		.wide = true,
		.descs = acpi__hmat_subs,
		.ndescs = sizeof(acpi__hmat_subs) / sizeof(acpi__hmat_subs[0]),
	};
	struct hv_bytes sub;
	size_t off;
	unsigned type;
	int rc;

	*ret = (struct acpi_hmat){ 0 };
	rc = acpi__table_open(p, len, "HMAT", ACPI__HMAT_FIXED, &w.b, d);
	if (rc < 0)
		return rc;
	h.revision = acpi__u8(w.b, 8);
	while ((rc = acpi__walk_next(&w, &type, &off, &sub, d)) > 0) {
		switch (type) {
		case 0:
			rc = acpi__hmat_mpda(&h, &a, sub, off, d);
			break;
		case 1:
			rc = acpi__hmat_lb(&h, &a, sub, off, d);
			break;
		case 2:
			rc = acpi__hmat_cache(&h, &a, sub, off, d);
			break;
		default:
			h.nother++;
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		acpi_hmat_release(&h);
		return rc;
	}
	*ret = h;
	return 0;
}
