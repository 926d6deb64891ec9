/* SPDX-License-Identifier: MIT */
/* Disk images: format names, probing, the copy loop, I/O helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img.h"
#include "util.h"

static const char *const format_names[] = {
	[IMG_RAW] = "raw",
	[IMG_VHD_FIXED] = "vhd-fixed",
	[IMG_VHD_DYNAMIC] = "vhd",
	[IMG_QCOW2] = "qcow2",
	[IMG_XVA] = "xva",
	[IMG_VMDK] = "vmdk",
	[IMG_VHDX] = "vhdx",
	[IMG_VDI] = "vdi",
	[IMG_QED] = "qed",
	[IMG_QCOW1] = "qcow",
	[IMG_LUKS] = "luks",
	[IMG_ISO] = "iso",
	[IMG_PARALLELS] = "parallels",
	[IMG_BOCHS] = "bochs",
	[IMG_CLOOP] = "cloop",
	[IMG_DMG] = "dmg",
	[IMG_UNKNOWN] = "unknown",
};

static const char *const format_whats[] = {
	[IMG_RAW] = "a raw disk image",
	[IMG_VHD_FIXED] = "a fixed VHD image",
	[IMG_VHD_DYNAMIC] = "a dynamic VHD image",
	[IMG_QCOW2] = "a qcow2 image",
	[IMG_XVA] = "an XVA package",
	[IMG_VMDK] = "a VMware VMDK image",
	[IMG_VHDX] = "a Hyper-V VHDX image",
	[IMG_VDI] = "a VirtualBox VDI image",
	[IMG_QED] = "a QED image",
	[IMG_QCOW1] = "a qcow (version 1) image",
	[IMG_LUKS] = "a LUKS encrypted volume",
	[IMG_ISO] = "an ISO 9660 CD/DVD image",
	[IMG_PARALLELS] = "a Parallels image",
	[IMG_BOCHS] = "a Bochs image",
	[IMG_CLOOP] = "a cloop compressed image",
	[IMG_DMG] = "an Apple DMG image",
	[IMG_UNKNOWN] = "an unknown format",
};

const char *img_format_what(enum img_format f)
{
	return f <= IMG_UNKNOWN ? format_whats[f] : format_whats[IMG_UNKNOWN];
}

const char *img_format_name(enum img_format f)
{
	return f <= IMG_UNKNOWN ? format_names[f] : "unknown";
}

int img_format_parse_input(const char *s, enum img_format *ret)
{
	if (strcmp(s, "vmdk") == 0 || strcmp(s, "vhdx") == 0) {
		*ret = s[1] == 'm' ? IMG_VMDK : IMG_VHDX;
		return 0;
	}
	return img_format_parse(s, ret);
}

int img_format_parse(const char *s, enum img_format *ret)
{
	for (unsigned f = 0; f <= IMG_XVA; f++) {
		if (strcmp(s, format_names[f]) == 0) {
			*ret = f;
			return 0;
		}
	}
	if (strcmp(s, "vpc") == 0 || strcmp(s, "vhd-dynamic") == 0) {
		*ret = IMG_VHD_DYNAMIC;
		return 0;
	}
	return -EINVAL;
}

int img_pread(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int img_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int img_pwrite_sparse(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t run = 0, start = 0;
	int rc;

	for (size_t i = 0; i < len; i += IMG_SPARSE_GRAIN) {
		size_t n = len - i < IMG_SPARSE_GRAIN ? len - i : IMG_SPARSE_GRAIN;

		if (!img_is_zero(p + i, n)) {
			if (!run)
				start = i;
			run += n;
			continue;
		}
		if (run) {
			rc = img_pwrite(fd, p + start, run, off + start);
			if (rc < 0)
				return rc;
			run = 0;
		}
	}
	return run ? img_pwrite(fd, p + start, run, off + start) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t img_first_overlap(uint64_t *starts, size_t n, uint64_t len)
{
	qsort(starts, n, sizeof(*starts), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (starts[i] - starts[i - 1] < len)
			return i;
	return 0;
}

bool img_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Check 16 bytes by hand, then compare the buffer with itself
	 * shifted: memcmp is vectorised in libc. */
	size_t head = len < 16 ? len : 16;
	for (size_t i = 0; i < head; i++)
		if (p[i])
			return false;
	return len <= 16 || memcmp(p, p + 16, len - 16) == 0;
}

/* A VMDK descriptor file: text that says so in its first lines. */
static bool vmdk_descriptor(const uint8_t *b, size_t n)
{
	const char *tag = "# Disk DescriptorFile";

	for (size_t i = 0; i + strlen(tag) <= n && i < 64; i++)
		if (memcmp(b + i, tag, strlen(tag)) == 0)
			return true;
	return false;
}

enum img_format img_probe(int fd)
{
	uint8_t b[512] = { 0 };	/* short files: what was not read is zero */
	struct stat st;

	if (img_pread(fd, b, 8, 0) == 0) {
		if (memcmp(b, "QFI\xfb", 4) == 0)
			return img_be32(b + 4) == 1 ? IMG_QCOW1 : IMG_QCOW2;
		if (memcmp(b, "conectix", 8) == 0)
			return IMG_VHD_DYNAMIC;	/* footer copy of a dynamic VHD */
		if (memcmp(b, "KDMV", 4) == 0 || memcmp(b, "COWD", 4) == 0)
			return IMG_VMDK;
		if (memcmp(b, "vhdxfile", 8) == 0)
			return IMG_VHDX;
		if (memcmp(b, "QED\0", 4) == 0)
			return IMG_QED;
		if (memcmp(b, "LUKS\xba\xbe", 6) == 0)
			return IMG_LUKS;
	}
	if (img_pread(fd, b, 5, 0x8001) == 0 && memcmp(b, "CD001", 5) == 0)
		return IMG_ISO;
	/* The formats qemu-img probes besides (its block/ *.c probe
	 * functions, same tests): never raw here either. */
	memset(b, 0, sizeof(b));
	if (img_pread(fd, b, 68, 0) == 0) {
		uint32_t v = img_le32(b + 64);
		if ((memcmp(b, "WithoutFreeSpace", 16) == 0 || memcmp(b, "WithouFreSpacExt", 16) == 0) &&
		    img_le32(b + 16) == 2)
			return IMG_PARALLELS;
		if (strcmp((char *)b, "Bochs Virtual HD Image") == 0 &&
		    strcmp((char *)b + 32, "Redolog") == 0 && strcmp((char *)b + 48, "Growing") == 0 &&
		    (v == 0x00020000 || v == 0x00010000))
			return IMG_BOCHS;
	}
	static const char cloop[] = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";
	memset(b, 0, sizeof(b));
	if (img_pread(fd, b, sizeof(cloop), 0) == 0 && memcmp(b, cloop, sizeof(cloop) - 1) == 0)
		return IMG_CLOOP;
	memset(b, 0, sizeof(b));
	if (img_pread(fd, b, 0x44, 0) == 0 &&
	    img_be32(b + 0x40) == 0x7f10dabe)
		return IMG_VDI;	/* signature 0xbeda107f, little-endian */
	memset(b, 0, sizeof(b));
	(void)img_pread(fd, b, 512, 0);
	if (vmdk_descriptor(b, sizeof(b)))
		return IMG_VMDK;
	if (img_pread(fd, b, 512, 0) == 0 && memcmp(b + 257, "ustar", 5) == 0)
		return IMG_XVA;
	if (b[0] == 0x1f && b[1] == 0x8b)
		return IMG_XVA;		/* gzip: only XVA is read compressed */
	if (fstat(fd, &st) == 0 && st.st_size >= 512 &&
	    img_pread(fd, b, 512, (uint64_t)st.st_size - 512) == 0 &&
	    memcmp(b, "conectix", 8) == 0)
		return IMG_VHD_FIXED;
	/* A UDIF (DMG) trailer: its "koly" block is the last 512 bytes. */
	if (fstat(fd, &st) == 0 && st.st_size >= 512 &&
	    img_pread(fd, b, 8, (uint64_t)st.st_size - 512) == 0 &&
	    memcmp(b, "koly", 4) == 0 && img_be32(b + 4) == 4)
		return IMG_DMG;
	return IMG_RAW;
}

int img_open(int fd, enum img_format format, struct hv_diags *diags,
	     struct img_in **ret)
{
	return img_open_dir(fd, -1, format, diags, ret);
}

int img_open_dir(int fd, int dir_fd, enum img_format format,
		 struct hv_diags *diags, struct img_in **ret)
{
	struct img_in *in;
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (format == IMG_UNKNOWN)
		format = img_probe(fd);
	in = xcalloc(1, sizeof(*in));
	in->fd = fd;
	in->dir_fd = dir_fd;
	in->format = format;
	in->diags = diags;
	in->file_size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		in->file_size = end > 0 ? (uint64_t)end : 0;
	}
	switch (format) {
	case IMG_RAW:
		rc = img_raw_open(in);
		break;
	case IMG_VHD_FIXED:
	case IMG_VHD_DYNAMIC:
		rc = img_vhd_open(in);
		break;
	case IMG_QCOW2:
		rc = img_qcow2_open(in);
		break;
	case IMG_VMDK:
		rc = img_vmdk_open(in);
		break;
	case IMG_VHDX:
		rc = img_vhdx_open(in);
		break;
	case IMG_VDI:
	case IMG_QED:
	case IMG_QCOW1:
	case IMG_LUKS:
	case IMG_ISO:
	case IMG_PARALLELS:
	case IMG_BOCHS:
	case IMG_CLOOP:
	case IMG_DMG:
		rc = hv_errorf(diags, "offset %u: %s, not read here (qemu-img convert -O raw first; --from raw copies its bytes as they are)",
			       format == IMG_ISO ? 0x8001u : format == IMG_VDI ? 0x40u : 0u,
			       img_format_what(format));
		break;
	default:
		rc = hv_errorf(diags, "%s is not a disk image format here",
			       img_format_name(format));
		break;
	}
	if (rc < 0) {
		img_in_free(in);
		return rc;
	}
	*ret = in;
	return 0;
}

struct img_in *img_in_free(struct img_in *in)
{
	if (!in)
		return NULL;
	if (in->ops && in->ops->close)
		in->ops->close(in);
	free(in);
	return NULL;
}

void img_out_release(struct img_out *out)
{
	if (out && out->ops && out->ops->release)
		out->ops->release(out);
	if (out)
		out->priv = NULL;
}

/* Moves the known extent [.., *ext_end) on to the one holding off when
 * off is past it. */
static int extent_at(struct img_in *in, uint64_t off, uint64_t *ext_end,
		     bool *ext_data)
{
	uint64_t elen;
	int rc;

	if (off < *ext_end)
		return 0;
	rc = in->ops->extent(in, off, in->size - off, &elen, ext_data);
	if (rc < 0)
		return rc;
	if (elen == 0)
		return -EIO;
	*ext_end = off + elen;
	return 0;
}

int img_copy(struct img_in *in, struct img_out *out,
	     img_progress_fn progress, void *opaque)
{
	size_t unit = out->unit;
	uint8_t *buf = NULL;
	uint64_t ext_end = 0;	/* the known extent is [.., ext_end) */
	bool ext_data = false;
	int rc = 0;

	if (posix_memalign((void **)&buf, 4096, unit) != 0)
		return -ENOMEM;
	/* Units in [unit, last) may be passed over by hole(). */
	uint64_t last = in->size ? (in->size - 1) / unit * unit : 0;
	for (uint64_t off = 0; off < in->size; off += unit) {
		size_t len = in->size - off < unit ? (size_t)(in->size - off) : unit;
		bool any_data = false;

		if (out->ops->hole && off > 0 && off < last) {
			rc = extent_at(in, off, &ext_end, &ext_data);
			if (rc < 0)
				goto out;
			uint64_t hend = ext_end < last ? ext_end / unit * unit : last;
			if (!ext_data && hend > off) {
				rc = out->ops->hole(out, off, hend - off);
				if (rc < 0)
					goto out;
				if (progress)
					progress(opaque, hend);
				off = hend - unit;	/* the loop adds unit */
				continue;
			}
		}

		/* Walk the extents that cover this unit, reading the data ones
		 * (holes inside a unit are zeroed, not read). */
		for (uint64_t o = off; o < off + len;) {
			rc = extent_at(in, o, &ext_end, &ext_data);
			if (rc < 0)
				goto out;
			uint64_t end = ext_end < off + len ? ext_end : off + len;
			if (ext_data) {
				if (!any_data && o > off)
					memset(buf, 0, (size_t)(o - off));
				any_data = true;
				rc = in->ops->read(in, buf + (o - off), (size_t)(end - o), o);
				if (rc < 0)
					goto out;
			} else if (any_data) {
				memset(buf + (o - off), 0, (size_t)(end - o));
			}
			o = end;
		}
		rc = out->ops->write(out, off, any_data ? buf : NULL, len);
		if (rc < 0)
			goto out;
		if (progress)
			progress(opaque, off + len);
	}
out:
	free(buf);
	return rc;
}
