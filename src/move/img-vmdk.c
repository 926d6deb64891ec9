/* SPDX-License-Identifier: MIT */
/* VMware VMDK, read only (VMware "Virtual Disk Format 5.0"; qemu's
 * block/vmdk.c is the judge): hosted sparse extents ("KDMV":
 * monolithicSparse, and streamOptimized with deflated grains and the
 * header in a footer), and descriptor files whose FLAT, VMFS, ZERO and
 * SPARSE extents are files in the descriptor's directory.  Snapshot
 * chains (parentCID), raw device mappings and ESX sparse formats are
 * refused by name.  Memory: the grain directories (inside their files),
 * one grain table and one grain. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "img.h"
#include "strbuf.h"
#include "util.h"

#define SECTOR 512ull
#define VMDK_FLAG_COMPRESSED (1u << 16)
#define VMDK_GD_AT_END 0xffffffffffffffffull
#define VMDK_MARKER_FOOTER 3u
#define VMDK_MAX_GRAIN_SECTORS 2048u	/* 1 MiB grains at most */
#define VMDK_MAX_GTES 512u		/* qemu's limit too */
#define VMDK_MAX_DESC (1u << 20)
#define VMDK_MAX_EXTENTS 1024u
#define VMDK_MAX_SECTORS (1ull << 53)	/* 4 EiB */
/* Grain directory entries of all extents together: 64 MiB of them, 512
 * TiB of disk at the usual 64 KiB grains. */
#define VMDK_MAX_GD_TOTAL (1ull << 24)

#define OFF(x) ((unsigned long long)(x))

struct vmdk_sparse {
	uint64_t grain;		/* bytes */
	uint32_t gtes;		/* entries per grain table */
	uint64_t gd_off;	/* bytes */
	uint64_t ngd;
	uint32_t *gd;		/* sectors of the grain tables */
	uint32_t *gt;		/* the grain table cached */
	uint64_t gt_at;		/* its sector; 0: none */
	bool compressed;
	uint8_t *zbuf;		/* compressed grain, with its marker */
	uint8_t *gbuf;		/* the grain inflated */
	uint64_t g_cached;	/* its index; UINT64_MAX: none */
};

enum ext_type { EXT_FLAT, EXT_ZERO, EXT_SPARSE };

struct vmdk_ext {
	enum ext_type type;
	uint64_t start, len;	/* guest bytes */
	int fd;			/* -1: the image's own fd */
	uint64_t file_size;
	uint64_t offset;	/* FLAT: bytes into the file */
	const char *name;	/* for messages (points into names) */
	size_t name_at;		/* its offset in names while they grow; 0: none */
	struct vmdk_sparse *sp;
};

struct vmdk_in {
	struct vmdk_ext *ext;
	size_t n;
	char *names;		/* the extent file names, NUL-separated */
	uint64_t gd_total;	/* grain directory entries of the extents */
};

static int ext_fd(struct img_in *in, const struct vmdk_ext *e)
{
	return e->fd >= 0 ? e->fd : in->fd;
}

/* ---- hosted sparse extents ---- */

static int sparse_header(struct img_in *in, int fd, uint64_t file_size,
			 const char *name, uint8_t h[512])
{
	if (img_pread(fd, h, 512, 0) < 0 || memcmp(h, "KDMV", 4) != 0) {
		if (memcmp(h, "COWD", 4) == 0)
			return hv_errorf(in->diags, "%s: offset 0: an ESX COWD sparse extent (vmfsSparse); not read here",
					 name);
		return hv_errorf(in->diags, "%s: offset 0: not a VMDK sparse extent (magic KDMV missing)", name);
	}
	/* streamOptimized: the real header follows the grains, in a footer
	 * (a footer marker, the header, an end-of-stream marker). */
	if (img_le64(h + 56) == VMDK_GD_AT_END) {
		uint8_t m[512];

		if (file_size < 1536 || img_pread(fd, m, 512, file_size - 1536) < 0 ||
		    img_le32(m + 8) != 0 || img_le32(m + 12) != VMDK_MARKER_FOOTER ||
		    img_pread(fd, h, 512, file_size - 1024) < 0 || memcmp(h, "KDMV", 4) != 0)
			return hv_errorf(in->diags, "%s: offset %llu: the grain directory is at the end, but there is no footer there",
					 name, OFF(file_size >= 1536 ? file_size - 1536 : 0));
		if (img_le64(h + 56) == VMDK_GD_AT_END)
			return hv_errorf(in->diags, "%s: offset %llu: the footer does not locate the grain directory",
					 name, OFF(file_size - 1024 + 56));
	}
	return 0;
}

/* No two grain directory entries may share a grain table: work over the
 * grain tables then follows the file, not the virtual size. */
static int gd_distinct(struct img_in *in, struct vmdk_sparse *sp, const char *name)
{
	uint64_t *s = xmalloc(sp->ngd ? (size_t)sp->ngd * 8 : 8);
	size_t n = 0, i;
	int rc = 0;

	for (uint64_t k = 0; k < sp->ngd; k++)
		if (sp->gd[k])
			s[n++] = sp->gd[k] * SECTOR;
	if ((i = img_first_overlap(s, n, sp->gtes * 4)))
		rc = hv_errorf(in->diags, "%s: offset %llu: grain tables at %llu and %llu overlap",
			       name, OFF(sp->gd_off), OFF(s[i - 1]), OFF(s[i]));
	free(s);
	return rc;
}

/* Opens the sparse extent on fd, `sectors` long (0: its own capacity). */
static int sparse_open(struct img_in *in, int fd, uint64_t file_size,
		       const char *name, uint64_t *sectors, struct vmdk_sparse **ret)
{
	uint8_t h[512];
	struct vmdk_sparse *sp;
	int rc;

	rc = sparse_header(in, fd, file_size, name, h);
	if (rc < 0)
		return rc;
	uint32_t version = img_le32(h + 4), flags = img_le32(h + 8);
	uint64_t capacity = img_le64(h + 12), gsec = img_le64(h + 20);
	uint32_t gtes = img_le32(h + 44);
	uint64_t gd = img_le64(h + 56);

	if (version < 1 || version > 3)
		return hv_errorf(in->diags, "%s: offset 4: VMDK version %u is not supported (1 to 3 are)", name, version);
	if (capacity > VMDK_MAX_SECTORS)
		return hv_errorf(in->diags, "%s: offset 12: a capacity of %llu sectors is too large", name, OFF(capacity));
	if (!gsec || gsec > VMDK_MAX_GRAIN_SECTORS || (gsec & (gsec - 1)))
		return hv_errorf(in->diags, "%s: offset 20: grain size %llu sectors is not a power of two up to %u",
				 name, OFF(gsec), VMDK_MAX_GRAIN_SECTORS);
	if (!gtes || gtes > VMDK_MAX_GTES)
		return hv_errorf(in->diags, "%s: offset 44: %u grain table entries; 1 to %u are read",
				 name, gtes, VMDK_MAX_GTES);
	if ((flags & VMDK_FLAG_COMPRESSED) && (h[77] | h[78] << 8) != 1)
		return hv_errorf(in->diags, "%s: offset 77: compression algorithm %u is not deflate", name,
				 h[77] | h[78] << 8);
	if (*sectors && capacity < *sectors)
		return hv_errorf(in->diags, "%s: offset 12: a capacity of %llu sectors, the descriptor says %llu",
				 name, OFF(capacity), OFF(*sectors));
	if (!*sectors)
		*sectors = capacity;
	uint64_t reach = gsec * gtes;	/* sectors per grain table */
	uint64_t ngd = (*sectors + reach - 1) / reach;
	if (gd > file_size / SECTOR || (file_size - gd * SECTOR) / 4 < ngd)
		return hv_errorf(in->diags, "%s: offset 56: the grain directory at sector %llu (%llu entries) runs past the end",
				 name, OFF(gd), OFF(ngd));
	struct vmdk_in *v = in->priv;
	if (ngd > VMDK_MAX_GD_TOTAL - v->gd_total)
		return hv_errorf(in->diags, "%s: offset 12: more than %llu grain directory entries in all",
				 name, OFF(VMDK_MAX_GD_TOTAL));
	v->gd_total += ngd;
	sp = xcalloc(1, sizeof(*sp));
	*ret = sp;
	sp->grain = gsec * SECTOR;
	sp->gtes = gtes;
	sp->gd_off = gd * SECTOR;
	sp->ngd = ngd;
	sp->compressed = flags & VMDK_FLAG_COMPRESSED;
	sp->g_cached = UINT64_MAX;
	sp->gd = xmalloc(ngd ? (size_t)ngd * 4 : 4);
	sp->gt = xmalloc((size_t)gtes * 4);
	if (sp->compressed) {
		sp->zbuf = xmalloc((size_t)sp->grain * 2 + 4096);
		sp->gbuf = xmalloc((size_t)sp->grain);
	}
	if (ngd && img_pread(fd, sp->gd, (size_t)ngd * 4, sp->gd_off) < 0)
		return hv_errorf(in->diags, "%s: offset %llu: cannot read the grain directory", name, OFF(sp->gd_off));
	for (uint64_t i = 0; i < ngd; i++) {
		uint32_t t = img_le32((uint8_t *)&sp->gd[i]);

		sp->gd[i] = t;
		if (t && (t > file_size / SECTOR || (file_size - t * SECTOR) / 4 < gtes))
			return hv_errorf(in->diags, "%s: offset %llu: grain directory entry %llu points past the end (sector %u)",
					 name, OFF(sp->gd_off + 4 * i), OFF(i), t);
		if (t && t * SECTOR < sp->gd_off + ngd * 4 && t * SECTOR + gtes * 4 > sp->gd_off)
			return hv_errorf(in->diags, "%s: offset %llu: grain directory entry %llu points into the grain directory",
					 name, OFF(sp->gd_off + 4 * i), OFF(i));
	}
	return gd_distinct(in, sp, name);
}

static void sparse_free(struct vmdk_sparse *sp)
{
	if (!sp)
		return;
	free(sp->gd);
	free(sp->gt);
	free(sp->zbuf);
	free(sp->gbuf);
	free(sp);
}

/* The grain table entry for grain g of the extent (0: hole, 1: zeros,
 * else a sector), *ret_at the offset it was read from. */
static int sparse_gte(struct img_in *in, struct vmdk_ext *e, uint64_t g,
		      uint32_t *ret, uint64_t *ret_at)
{
	struct vmdk_sparse *sp = e->sp;
	uint64_t gdi = g / sp->gtes;
	uint32_t t = sp->gd[gdi];

	if (!t) {
		*ret = 0;
		*ret_at = sp->gd_off + 4 * gdi;
		return 0;
	}
	if (t != sp->gt_at) {
		if (img_pread(ext_fd(in, e), sp->gt, (size_t)sp->gtes * 4, t * SECTOR) < 0) {
			sp->gt_at = 0;
			return hv_errorf(in->diags, "%s: offset %llu: cannot read a grain table", e->name,
					 OFF(t * SECTOR));
		}
		for (uint32_t i = 0; i < sp->gtes; i++)
			sp->gt[i] = img_le32((uint8_t *)&sp->gt[i]);
		sp->gt_at = t;
	}
	*ret = sp->gt[g % sp->gtes];
	*ret_at = t * SECTOR + 4 * (g % sp->gtes);
	return 0;
}

/* Inflates compressed grain g, its marker at sector s, into sp->gbuf. */
static int sparse_inflate(struct img_in *in, struct vmdk_ext *e, uint64_t g,
			  uint32_t s, uint64_t at)
{
	struct vmdk_sparse *sp = e->sp;
	uint64_t off = s * SECTOR, cap = sp->grain * 2 + 4096;
	uint8_t m[12];
	z_stream z = { 0 };
	int zr;

	if (sp->g_cached == g)
		return 0;
	if (img_pread(ext_fd(in, e), m, 12, off) < 0)
		return hv_errorf(in->diags, "%s: offset %llu: grain table entry at %llu points past the end",
				 e->name, OFF(off), OFF(at));
	uint64_t lba = img_le64(m);
	uint32_t size = img_le32(m + 8);
	if (lba != g * (sp->grain / SECTOR) || !size || size > cap - 12 ||
	    size > e->file_size - off - 12)
		return hv_errorf(in->diags, "%s: offset %llu: grain marker for sector %llu (%u bytes), expected sector %llu in the file",
				 e->name, OFF(off), OFF(lba), size, OFF(g * (sp->grain / SECTOR)));
	if (img_pread(ext_fd(in, e), sp->zbuf, size, off + 12) < 0)
		return hv_errorf(in->diags, "%s: offset %llu: cannot read a compressed grain", e->name, OFF(off + 12));
	if (inflateInit(&z) != Z_OK)
		return -ENOMEM;
	z.next_in = sp->zbuf;
	z.avail_in = size;
	z.next_out = sp->gbuf;
	z.avail_out = (uInt)sp->grain;
	zr = inflate(&z, Z_FINISH);
	uint64_t got = sp->grain - z.avail_out;
	/* The last grain may stop at the end of the disk. */
	uint64_t need = e->len - g * sp->grain < sp->grain ? e->len - g * sp->grain : sp->grain;
	inflateEnd(&z);
	if (zr != Z_STREAM_END || got < need) {
		sp->g_cached = UINT64_MAX;
		return hv_errorf(in->diags, "%s: offset %llu: a compressed grain does not inflate to %llu bytes (%s)",
				 e->name, OFF(off + 12), OFF(need),
				 zr == Z_STREAM_END ? "short" : zr == Z_BUF_ERROR ? "truncated or too long" : "corrupt");
	}
	memset(sp->gbuf + got, 0, (size_t)(sp->grain - got));
	sp->g_cached = g;
	return 0;
}

/* ---- descriptor files ---- */

/* The value of `key=` in the descriptor, quotes removed, or NULL. */
static char *desc_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, kl) != 0)
			continue;
		const char *v = l + kl;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t' || *v == '"')
			v++;
		size_t n = strcspn(v, "\"\r\n");
		return xstrndup(v, n);
	}
	return NULL;
}

static int check_parent(struct img_in *in, const char *text, uint64_t at)
{
	_cleanup_free_ char *p = desc_value(text, "parentCID");

	if (p && strcmp(p, "ffffffff") != 0)
		return hv_errorf(in->diags, "offset %llu: the VMDK is a snapshot (parentCID=%.16s); convert the chain first (qemu-img convert)",
				 OFF(at), p);
	return 0;
}

static int open_extent_file(struct img_in *in, const char *file, uint64_t line_at,
			    int *ret_fd, uint64_t *ret_size)
{
	struct stat st;
	int fd;

	if (in->dir_fd < 0)
		return hv_errorf(in->diags, "offset %llu: a VMDK descriptor names extent files; give its path",
				 OFF(line_at));
	if (!*file || strchr(file, '/') || strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		return hv_errorf(in->diags, "offset %llu: extent file '%.64s' is not a plain name in the descriptor's directory",
				 OFF(line_at), file);
	fd = openat(in->dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return hv_errorf(in->diags, "offset %llu: cannot open extent file '%.64s': %s",
				 OFF(line_at), file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hv_errorf(in->diags, "offset %llu: extent file '%.64s' is not a regular file",
				 OFF(line_at), file);
	}
	*ret_fd = fd;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

static struct vmdk_ext *add_ext(struct vmdk_in *v)
{
	v->ext = xrealloc(v->ext, (v->n + 1) * sizeof(*v->ext));
	v->ext[v->n] = (struct vmdk_ext){ .fd = -1, .name = "" };
	return &v->ext[v->n++];
}

/* One extent line: ACCESS SECTORS TYPE ["FILE" [OFFSET]]. */
static int desc_extent(struct img_in *in, struct vmdk_in *v, char *line,
		       uint64_t at, uint64_t *total, struct strbuf *names)
{
	char access[16], type[16];
	unsigned long long sectors, offset = 0;
	int used = 0;

	if (sscanf(line, "%15s %llu %15s %n", access, &sectors, type, &used) < 3)
		return hv_errorf(in->diags, "offset %llu: a malformed extent line", OFF(at));
	if (v->n >= VMDK_MAX_EXTENTS)
		return hv_errorf(in->diags, "offset %llu: more than %u extents", OFF(at), VMDK_MAX_EXTENTS);
	if (!sectors || sectors > VMDK_MAX_SECTORS - *total)
		return hv_errorf(in->diags, "offset %llu: an extent of %llu sectors", OFF(at), sectors);
	struct vmdk_ext *e = add_ext(v);
	e->start = *total * SECTOR;
	e->len = sectors * SECTOR;
	*total += sectors;
	if (strcmp(type, "ZERO") == 0) {
		e->type = EXT_ZERO;
		return 0;
	}
	bool flat = strcmp(type, "FLAT") == 0 || strcmp(type, "VMFS") == 0;
	if (!flat && strcmp(type, "SPARSE") != 0)
		return hv_errorf(in->diags, "offset %llu: extent type %s is not read here (FLAT, VMFS, SPARSE and ZERO are)",
				 OFF(at), type);
	char *q = line + used, *end;
	if (*q != '"' || !(end = strchr(q + 1, '"')))
		return hv_errorf(in->diags, "offset %llu: the extent's file name is not quoted", OFF(at));
	*end = 0;
	if (flat && sscanf(end + 1, "%llu", &offset) == 1 && offset > VMDK_MAX_SECTORS)
		return hv_errorf(in->diags, "offset %llu: extent offset %llu", OFF(at), offset);
	e->type = flat ? EXT_FLAT : EXT_SPARSE;
	e->offset = offset * SECTOR;
	/* The name is kept for messages; pointers are fixed up at the end. */
	strbuf_addc(names, 0);
	e->name_at = names->len;
	strbuf_adds(names, q + 1);
	int rc = open_extent_file(in, q + 1, at, &e->fd, &e->file_size);
	if (rc < 0)
		return rc;
	if (flat) {
		if (e->file_size < e->offset || e->file_size - e->offset < e->len)
			return hv_errorf(in->diags, "offset %llu: flat extent '%.64s' holds %llu bytes, fewer than the %llu it should",
					 OFF(at), q + 1, OFF(e->file_size), OFF(e->offset + e->len));
		return 0;
	}
	uint64_t s = sectors;
	return sparse_open(in, e->fd, e->file_size, q + 1, &s, &e->sp);
}

static int desc_parse(struct img_in *in, struct vmdk_in *v, char *text)
{
	struct strbuf names = STRBUF_INIT;
	uint64_t total = 0;
	int rc;

	rc = check_parent(in, text, 0);
	if (rc < 0)
		return rc;
	for (char *l = text, *next; l && *l && rc == 0; l = next) {
		uint64_t at = (uint64_t)(l - text);

		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		l[strcspn(l, "\r")] = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, "RW ", 3) == 0 || strncmp(l, "RDONLY ", 7) == 0 ||
		    strncmp(l, "NOACCESS ", 9) == 0)
			rc = desc_extent(in, v, l, at, &total, &names);
	}
	if (rc == 0 && !v->n)
		rc = hv_errorf(in->diags, "offset 0: the VMDK descriptor names no extent");
	v->names = strbuf_detach(&names, NULL);
	for (size_t i = 0; i < v->n; i++)
		if (v->ext[i].name_at)
			v->ext[i].name = v->names + v->ext[i].name_at;
	in->size = total * SECTOR;
	return rc;
}

/* ---- the reader ---- */

static struct vmdk_ext *find_ext(struct vmdk_in *v, uint64_t off)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (off < v->ext[mid].start)
			hi = mid;
		else if (off - v->ext[mid].start >= v->ext[mid].len)
			lo = mid + 1;
		else
			return &v->ext[mid];
	}
	return NULL;
}

/* Host offset of guest offset off in sparse extent e (0: zeros), or the
 * marker's sector for a compressed grain in *ret_marker. */
static int sparse_lookup(struct img_in *in, struct vmdk_ext *e, uint64_t rel,
			 uint32_t *ret_sector, uint64_t *ret_at)
{
	uint32_t t = 0;
	int rc = sparse_gte(in, e, rel / e->sp->grain, &t, ret_at);

	if (rc < 0)
		return rc;
	if (t == 1)
		t = 0;	/* a zeroed grain */
	if (t && !e->sp->compressed && (t > e->file_size / SECTOR ||
					e->file_size - t * SECTOR < e->sp->grain))
		return hv_errorf(in->diags, "%s: offset %llu: grain table entry points past the end (sector %u)",
				 e->name, OFF(*ret_at), t);
	*ret_sector = t;
	return 0;
}

static int vmdk_extent(struct img_in *in, uint64_t off, uint64_t max,
		       uint64_t *ret_len, bool *ret_data)
{
	struct vmdk_in *v = in->priv;
	struct vmdk_ext *e = find_ext(v, off);
	uint64_t rel, end;
	bool data = false;
	int rc;

	if (!e)
		return hv_errorf(in->diags, "guest offset %llu: outside every extent", OFF(off));
	rel = off - e->start;
	if (e->type != EXT_SPARSE) {
		data = e->type == EXT_FLAT;
		end = e->len;
	} else {
		struct vmdk_sparse *sp = e->sp;
		uint64_t reach = sp->grain * sp->gtes, at;
		uint32_t s;
		bool first = true;

		/* A grain directory entry of zero is a hole of a whole grain
		 * table's reach: work follows the metadata. */
		for (end = rel; end < e->len && end - rel < max;) {
			uint64_t gdi = end / reach, next;
			bool piece;

			if (!sp->gd[gdi]) {
				next = (gdi + 1) * reach;
				piece = false;
			} else {
				rc = sparse_lookup(in, e, end, &s, &at);
				if (rc < 0)
					return rc;
				next = (end / sp->grain + 1) * sp->grain;
				piece = s != 0;
			}
			if (first)
				data = piece;
			else if (piece != data)
				break;
			first = false;
			end = next;
		}
		if (end > e->len)
			end = e->len;
	}
	*ret_len = end - rel < max ? end - rel : max;
	*ret_data = data;
	return 0;
}

static int vmdk_read(struct img_in *in, void *buf, size_t len, uint64_t off)
{
	struct vmdk_in *v = in->priv;
	uint8_t *p = buf;
	int rc;

	while (len) {
		struct vmdk_ext *e = find_ext(v, off);

		if (!e)
			return hv_errorf(in->diags, "guest offset %llu: outside every extent", OFF(off));
		uint64_t rel = off - e->start;
		size_t n = e->len - rel < len ? (size_t)(e->len - rel) : len;

		if (e->type == EXT_ZERO) {
			memset(p, 0, n);
		} else if (e->type == EXT_FLAT) {
			rc = img_pread(ext_fd(in, e), p, n, e->offset + rel);
			if (rc < 0)
				return hv_errorf(in->diags, "%s: offset %llu: cannot read %zu bytes", e->name,
						 OFF(e->offset + rel), n), rc;
		} else {
			struct vmdk_sparse *sp = e->sp;
			uint64_t in_g = rel % sp->grain, at;
			uint32_t s;

			if (n > sp->grain - in_g)
				n = (size_t)(sp->grain - in_g);
			rc = sparse_lookup(in, e, rel, &s, &at);
			if (rc < 0)
				return rc;
			if (!s) {
				memset(p, 0, n);
			} else if (sp->compressed) {
				rc = sparse_inflate(in, e, rel / sp->grain, s, at);
				if (rc < 0)
					return rc;
				memcpy(p, sp->gbuf + in_g, n);
			} else {
				rc = img_pread(ext_fd(in, e), p, n, s * SECTOR + in_g);
				if (rc < 0)
					return hv_errorf(in->diags, "%s: offset %llu: cannot read grain data", e->name,
							 OFF(s * SECTOR + in_g)), rc;
			}
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void vmdk_close(struct img_in *in)
{
	struct vmdk_in *v = in->priv;

	if (v) {
		for (size_t i = 0; i < v->n; i++) {
			if (v->ext[i].fd >= 0)
				close(v->ext[i].fd);
			sparse_free(v->ext[i].sp);
		}
		free(v->ext);
		free(v->names);
		free(v);
	}
	in->priv = NULL;
}

static const struct img_in_ops vmdk_ops = {
	.extent = vmdk_extent,
	.read = vmdk_read,
	.close = vmdk_close,
};

/* Reads len bytes at off as a NUL-terminated string. */
static char *read_text(struct img_in *in, uint64_t off, uint64_t len)
{
	char *t = xmalloc((size_t)len + 1);

	if (img_pread(in->fd, t, (size_t)len, off) < 0) {
		free(t);
		return NULL;
	}
	t[len] = 0;
	return t;
}

int img_vmdk_open(struct img_in *in)
{
	struct vmdk_in *v = xcalloc(1, sizeof(*v));
	uint8_t h[512] = { 0 };
	char *text = NULL;
	int rc;

	in->priv = v;
	in->ops = &vmdk_ops;
	(void)img_pread(in->fd, h, in->file_size < 512 ? (size_t)in->file_size : 512, 0);
	if (memcmp(h, "KDMV", 4) == 0 || memcmp(h, "COWD", 4) == 0) {
		/* One hosted sparse extent: this file. */
		struct vmdk_ext *e = add_ext(v);
		uint64_t sectors = 0;

		e->type = EXT_SPARSE;
		e->file_size = in->file_size;
		e->name = "sparse extent";
		rc = sparse_open(in, in->fd, in->file_size, "sparse extent", &sectors, &e->sp);
		if (rc < 0)
			return rc;
		e->len = in->size = sectors * SECTOR;
		/* The embedded descriptor says whether it has a parent. */
		uint64_t doff = img_le64(h + 28) * SECTOR, dlen = img_le64(h + 36) * SECTOR;
		if (dlen && dlen <= VMDK_MAX_DESC && doff <= in->file_size &&
		    in->file_size - doff >= dlen && (text = read_text(in, doff, dlen))) {
			rc = check_parent(in, text, doff);
			free(text);
		}
		return rc;
	}
	if (in->file_size > VMDK_MAX_DESC)
		return hv_errorf(in->diags, "offset 0: a VMDK descriptor of more than %u bytes", VMDK_MAX_DESC);
	text = read_text(in, 0, in->file_size);
	if (!text)
		return hv_errorf(in->diags, "offset 0: cannot read the VMDK descriptor");
	/* qemu pads a descriptor file with NULs to a whole sector. */
	size_t tl = strlen(text);
	while (tl < in->file_size && !text[tl])
		tl++;
	if (tl != in->file_size)
		rc = hv_errorf(in->diags, "offset %zu: a NUL byte in the VMDK descriptor", strlen(text));
	else
		rc = desc_parse(in, v, text);
	free(text);
	return rc;
}
