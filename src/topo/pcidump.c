/* SPDX-License-Identifier: MIT */
/* Reader of lspci -x/-xxx/-xxxx text dumps (as lspci -F reads them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcidump.h"

#define PCIDUMP_CFG_MAX		4096
#define PCIDUMP_BYTES_PER_LINE	16
#define PCIDUMP_SNIFF_LINES	256

/* One line of the input, without its end of line. */
struct pcidump__line {
	const char *s;
	size_t n;
	size_t no;		/* 1-based */
};

static int pcidump__hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses exactly n hex digits at s; -1 when one is not a hex digit. */
static long pcidump__hexn(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		int h = pcidump__hex(s[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static size_t pcidump__hexrun(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && pcidump__hex(s[i]) >= 0)
		i++;
	return i;
}

/*
 * Recognises "bb:dd.f" or "dddd:bb:dd.f" (4 to 6 domain digits, as lspci
 * reads them) followed by a space, a tab or the end of the line.  Returns
 * the length of the address, 0 when the line does not start with one.
 */
static size_t pcidump__addr(const struct pcidump__line *l, unsigned *dom,
			    unsigned *bus, unsigned *dev, unsigned *func)
{
	const char *s = l->s;
	size_t n = l->n, k = pcidump__hexrun(s, n), p = 0;

	*dom = 0;
	if (k >= 4 && k <= 6 && k < n && s[k] == ':') {
		*dom = (unsigned)pcidump__hexn(s, k);
		p = k + 1;
	} else if (k != 2) {
		return 0;
	}
	/* "bb:dd.f" from p */
	if (n - p < 7 || pcidump__hexrun(s + p, 2) != 2 || s[p + 2] != ':' ||
	    pcidump__hexrun(s + p + 3, 2) != 2 || s[p + 5] != '.' ||
	    pcidump__hex(s[p + 6]) < 0)
		return 0;
	if (n - p > 7 && s[p + 7] != ' ' && s[p + 7] != '\t')
		return 0;
	*bus = (unsigned)pcidump__hexn(s + p, 2);
	*dev = (unsigned)pcidump__hexn(s + p + 3, 2);
	*func = (unsigned)pcidump__hex(s[p + 6]);
	return p + 7;
}

/* True when the line starts like a hex line: 2 or 3 hex digits and ':'. */
static bool pcidump__is_hex_line(const struct pcidump__line *l)
{
	size_t k = pcidump__hexrun(l->s, l->n);

	return (k == 2 || k == 3) && k < l->n && l->s[k] == ':';
}

/*
 * Parses the hex line l into its offset and up to 16 bytes.  Returns the
 * number of bytes, or -EINVAL with an error naming the line.
 */
static int pcidump__hex_line(const struct pcidump__line *l, unsigned *off,
			     uint8_t bytes[PCIDUMP_BYTES_PER_LINE],
			     struct hv_diags *d)
{
	size_t k = pcidump__hexrun(l->s, l->n), i = k + 1;
	int nb = 0;

	*off = (unsigned)pcidump__hexn(l->s, k);
	if (*off % PCIDUMP_BYTES_PER_LINE)
		return hv_errorf(d, "line %zu: offset 0x%x is not a multiple of 16",
				 l->no, *off);
	for (;;) {
		size_t start;

		while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
			i++;
		if (i == l->n)
			break;
		start = i;
		while (i < l->n && l->s[i] != ' ' && l->s[i] != '\t')
			i++;
		if (i - start != 2 || pcidump__hexn(l->s + start, 2) < 0)
			return hv_errorf(d, "line %zu: bad hex byte '%.*s' at offset 0x%x",
					 l->no, (int)(i - start > 8 ? 8 : i - start),
					 l->s + start, *off + nb);
		if (nb == PCIDUMP_BYTES_PER_LINE)
			return hv_errorf(d, "line %zu: more than 16 bytes after offset 0x%x",
					 l->no, *off);
		bytes[nb++] = (uint8_t)pcidump__hexn(l->s + start, 2);
	}
	if (!nb)
		return hv_errorf(d, "line %zu: no bytes after offset 0x%x",
				 l->no, *off);
	return nb;
}

/* Next line from *pos; false at the end.  Strips "\n", "\r\n" and trailing blanks. */
static bool pcidump__next(const char *text, size_t len, size_t *pos,
			  struct pcidump__line *l)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
	l->s = text + *pos;
	l->no++;
	*pos += n + (nl ? 1 : 0);
	while (n && (l->s[n - 1] == '\r' || l->s[n - 1] == ' ' ||
		     l->s[n - 1] == '\t'))
		n--;
	l->n = n;
	return true;
}

static void pcidump__dev_release(struct pcidump_dev *dev)
{
	free(dev->cfg);
	free(dev->text);
	*dev = (struct pcidump_dev){ 0 };
}

void pcidump_release(struct pcidump *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		pcidump__dev_release(&p->v[i]);
	free(p->v);
	*p = (struct pcidump){ 0 };
}

/* Ends the device being read: keeps it when it has bytes. */
static int pcidump__finish(struct pcidump *p, struct pcidump_dev *cur,
			   size_t *alloc, size_t line_no, struct hv_diags *d)
{
	if (!cur->len) {
		hv_warnf(d, "line %zu: device %04x:%02x:%02x.%u has no config bytes, ignoring",
			 line_no, cur->domain, cur->bus, cur->dev, cur->func);
		pcidump__dev_release(cur);
		return 0;
	}
	if (p->n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 16;
		struct pcidump_dev *nv = realloc(p->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		p->v = nv;
		*alloc = na;
	}
	p->v[p->n++] = *cur;
	*cur = (struct pcidump_dev){ 0 };
	return 0;
}

int pcidump_parse(const char *text, size_t len, struct pcidump *ret,
		  struct hv_diags *d)
{
	struct pcidump p = { 0 };
	struct pcidump_dev cur = { 0 };
	struct pcidump__line l = { 0 };
	bool in_dev = false;
	size_t pos = 0, alloc = 0, dev_line = 0;
	unsigned next_off = 0;
	int rc = 0;

	if (!text)
		len = 0;
	while (pcidump__next(text, len, &pos, &l)) {
		unsigned dom, bus, dev, func, off;
		uint8_t bytes[PCIDUMP_BYTES_PER_LINE];
		size_t k;
		int nb;

		if (!l.n) {
			if (in_dev && (rc = pcidump__finish(&p, &cur, &alloc, dev_line, d)) < 0)
				goto out;
			in_dev = false;
			continue;
		}
		if (l.s[0] == ' ' || l.s[0] == '\t')
			continue;	/* -v text */
		k = pcidump__addr(&l, &dom, &bus, &dev, &func);
		if (k) {
			if (dev > 0x1f || func > 7) {
				rc = hv_errorf(d, "line %zu: bad device address '%.*s'",
					       l.no, (int)k, l.s);
				goto out;
			}
			if (in_dev && (rc = pcidump__finish(&p, &cur, &alloc, dev_line, d)) < 0)
				goto out;
			cur = (struct pcidump_dev){ .domain = dom, .bus = bus,
						    .dev = dev, .func = func };
			while (k < l.n && (l.s[k] == ' ' || l.s[k] == '\t'))
				k++;
			if (k < l.n && !(cur.text = strndup(l.s + k, l.n - k))) {
				rc = -ENOMEM;
				goto out;
			}
			in_dev = true;
			dev_line = l.no;
			next_off = 0;
			continue;
		}
		if (!pcidump__is_hex_line(&l))
			continue;	/* neither an address nor bytes */
		if (!in_dev) {
			hv_warnf(d, "line %zu: hex bytes outside a device, ignoring",
				 l.no);
			continue;
		}
		nb = pcidump__hex_line(&l, &off, bytes, d);
		if (nb < 0) {
			rc = nb;
			goto out;
		}
		if (off < next_off) {
			rc = hv_errorf(d, "line %zu: offset 0x%x does not follow 0x%x",
				       l.no, off, next_off - PCIDUMP_BYTES_PER_LINE);
			goto out;
		}
		if (off >= PCIDUMP_CFG_MAX) {
			rc = hv_errorf(d, "line %zu: offset 0x%x is beyond 4096 bytes of config space",
				       l.no, off);
			goto out;
		}
		if (off + nb > cur.len) {
			uint8_t *ncfg = realloc(cur.cfg, off + nb);

			if (!ncfg) {
				rc = -ENOMEM;
				goto out;
			}
			memset(ncfg + cur.len, 0, off + nb - cur.len);
			cur.cfg = ncfg;
			cur.len = off + nb;
		}
		memcpy(cur.cfg + off, bytes, nb);
		next_off = off + PCIDUMP_BYTES_PER_LINE;
	}
	if (in_dev && (rc = pcidump__finish(&p, &cur, &alloc, dev_line, d)) < 0)
		goto out;
	if (!p.n) {
		rc = hv_errorf(d, "no devices with config bytes in %zu lines", l.no);
		goto out;
	}
	*ret = p;
	p = (struct pcidump){ 0 };
out:
	pcidump__dev_release(&cur);
	pcidump_release(&p);
	return rc;
}

bool pcidump_sniff(const char *text, size_t len)
{
	struct pcidump__line l = { 0 };
	size_t pos = 0;
	bool addr = false;

	if (!text)
		return false;
	while (l.no < PCIDUMP_SNIFF_LINES && pcidump__next(text, len, &pos, &l)) {
		unsigned dom, bus, dev, func, off;
		uint8_t bytes[PCIDUMP_BYTES_PER_LINE];

		if (pcidump__addr(&l, &dom, &bus, &dev, &func))
			addr = true;
		else if (addr && pcidump__is_hex_line(&l) &&
			 pcidump__hex_line(&l, &off, bytes, NULL) == PCIDUMP_BYTES_PER_LINE &&
			 off == 0)
			return true;
	}
	return false;
}
