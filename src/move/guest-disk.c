/* SPDX-License-Identifier: MIT */
/* A guest's disk, read without mounting it (see guest-disk.h). */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest-disk.h"
#include "lazy.h"
#include "run.h"
#include "strbuf.h"
#include "util.h"

#define GD_DEBUGFS_MS 20000
#define GD_MAX_OUTPUT (1u << 20)

/* Boot loader configurations pygrub reads, from the root of the file
 * system (a separate /boot holds them one level up). */
static const char *const grub_files[] = {
	"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/grub/menu.lst",
	"/boot/grub/grub.conf", "/grub/grub.cfg", "/grub2/grub.cfg",
	"/grub/menu.lst", "/grub/grub.conf", "/boot/extlinux/extlinux.conf",
	"/extlinux/extlinux.conf",
};

static bool is_kernel_name(const char *n)
{
	return str_startswith(n, "vmlinuz") || str_startswith(n, "vmlinux") ||
	       str_startswith(n, "bzImage") || strcmp(n, "kernel") == 0;
}

/* The names in `ls -p DIR` output ("/ino/mode/uid/gid/name/size/"),
 * regular files only, each passed to fn. */
static void ls_files(const char *text, void (*fn)(void *, const char *), void *opaque)
{
	char *copy = xstrdup(text), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[8] = { 0 }, *p = l;
		size_t n = 0;

		while (n < 8 && p) {
			f[n++] = p;
			p = strchr(p, '/');
			if (p)
				*p++ = 0;
		}
		/* f[0] is empty, f[2] the octal mode: 100xxx is a regular file. */
		if (n >= 7 && f[2] && str_startswith(f[2], "100") && f[5] && *f[5])
			fn(opaque, f[5]);
	}
	free(copy);
}

struct kern_ctx {
	struct gd_fs *fs;
	const char *dir;
};

static void add_kernel(void *opaque, const char *name)
{
	struct kern_ctx *k = opaque;

	if (!is_kernel_name(name) || k->fs->nkernels >= 64)
		return;
	k->fs->kernels = xrealloc(k->fs->kernels, (k->fs->nkernels + 1) * sizeof(char *));
	k->fs->kernels[k->fs->nkernels++] = xasprintf("%s%s", k->dir, name);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gd_budget_init(struct gd_budget *b, unsigned reads, unsigned ms)
{
	*b = (struct gd_budget){ .reads_left = reads, .deadline_ms = now_ms() + ms,
				 .reads_max = reads, .ms_max = ms };
}

/* What debugfs is told to do, in this order; OUT_CAT_GRUB + i cats
 * grub_files[i]. */
enum {
	OUT_LS_ROOT,
	OUT_LS_BOOT,
	OUT_STAT_GRUB,
	OUT_CAT_GRUB = OUT_STAT_GRUB + ARRAY_SIZE(grub_files),
	OUT_CAT_FSTAB = OUT_CAT_GRUB + ARRAY_SIZE(grub_files),
	OUT_N
};

static char *out_cmd(size_t i)
{
	if (i == OUT_LS_ROOT)
		return xstrdup("ls -p /");
	if (i == OUT_LS_BOOT)
		return xstrdup("ls -p /boot/");
	if (i < OUT_CAT_GRUB)
		return xasprintf("stat %s", grub_files[i - OUT_STAT_GRUB]);
	if (i < OUT_CAT_FSTAB)
		return xasprintf("cat %s", grub_files[i - OUT_CAT_GRUB]);
	return xstrdup("cat /etc/fstab");
}

/*
 * Splits what `debugfs -f` printed at sep, the echo ("debugfs: stat
 * /NONCE") of the command run after each of ours: the guest's files
 * cannot forge it, as they could forge the echo of our own commands.
 * piece[i] is what command i printed, its own echo line dropped.
 * Returns how many commands completed.
 */
static size_t split_out(char *out, const char *sep, char *piece[OUT_N])
{
	size_t n = 0, seplen = strlen(sep);
	char *p = out;

	while (n < OUT_N) {
		char *q = strstr(p, sep);
		if (!q)
			break;
		*q = 0;
		char *nl = strchr(p, '\n');
		piece[n++] = nl ? nl + 1 : q;
		p = q + seplen;
	}
	return n;
}

/* The text of the file command i printed, or NULL with *why saying why
 * not: its output or an earlier one's went past limit (cut), or debugfs
 * stopped before it. */
static char *file_piece(char *const piece[OUT_N], size_t done, size_t i, bool cut,
			const char *limit, char **why)
{
	if (done > i)
		return xstrdup(piece[i]);
	if (cut && done == i) {
		*why = xasprintf("larger than %s", limit);
	} else if (cut) {
		_cleanup_free_ char *c = out_cmd(done);
		*why = xasprintf("not reached: %s before it spent %s", c + 4, limit);
	} else {
		*why = xstrdup("not reached: debugfs stopped before it");
	}
	return NULL;
}

/* Reads an ext2/3/4 file system with one run of debugfs (read only, no
 * mount): boot loader files, kernels in / and /boot, /etc/fstab. */
static void read_ext(const char *dbg, int fd, int timeout_ms, struct gd_fs *fs)
{
	struct hv_diags d = HV_DIAGS_INIT;
	/* The image by the descriptor the child inherits (a dup has no
	 * O_CLOEXEC): its own name, with a '?' or a leading '-' in it, is
	 * never parsed by debugfs. */
	int ifd = dup(fd);
	_cleanup_free_ char *spec = xasprintf("/proc/self/fd/%d?offset=%llu", ifd,
					      (unsigned long long)fs->offset);
	_cleanup_free_ char *cmdpath = NULL, *sep = NULL, *limit = NULL;
	struct strbuf cmds = STRBUF_INIT, out = STRBUF_INIT;
	char *piece[OUT_N] = { 0 };
	uint8_t nonce[16];
	char hex[33];
	int mfd = memfd_create("hvkit-debugfs", 0);

	if (ifd < 0 || mfd < 0) {
		fs->error = xasprintf("%s: %s", ifd < 0 ? "dup" : "memfd_create", strerror(errno));
		goto out;
	}
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		fs->error = xasprintf("getrandom: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof(nonce); i++)
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	sep = xasprintf("debugfs: stat /.hvkit-%s\n", hex);
	for (size_t i = 0; i < OUT_N; i++) {
		_cleanup_free_ char *c = out_cmd(i);
		strbuf_addf(&cmds, "%s\n%s", c, sep + strlen("debugfs: "));
	}
	if (write_all(mfd, cmds.buf, cmds.len) < 0) {
		fs->error = xasprintf("cannot write debugfs's commands: %s", strerror(errno));
		goto out;
	}
	/* The child inherits mfd (no O_CLOEXEC) and reads it by name. */
	cmdpath = xasprintf("/proc/self/fd/%d", mfd);
	char *argv[] = { (char *)dbg, "-c", "-f", cmdpath, spec, NULL };
	int rc = run_capture(argv, &out, timeout_ms, GD_MAX_OUTPUT, &d);
	/* A guest's file with a NUL byte in it must not end the text early. */
	for (size_t i = 0; i < out.len; i++)
		if (!out.buf[i])
			out.buf[i] = '.';
	size_t done = split_out(out.buf ? out.buf : (char *)"", sep, piece);
	/* Output beyond the limit cut one of the file reads (they come last):
	 * what came before it is whole, that file and the ones after are
	 * named as not read. */
	bool cut = rc == -EFBIG && done >= OUT_CAT_GRUB;
	if (rc < 0 && !cut) {
		fs->error = xstrdup(d.n ? d.v[d.n - 1].msg : "debugfs failed");
		goto out;
	}
	/* The root directory lists itself as inode 2: else debugfs could not
	 * open the file system (it says why on its standard error). */
	if (done < OUT_CAT_GRUB || !strstr(piece[OUT_LS_ROOT], "/2/040")) {
		fs->error = xstrdup("debugfs cannot open it as ext2/3/4");
		goto out;
	}
	fs->read = true;
	struct kern_ctx kr = { fs, "/" }, kb = { fs, "/boot/" };
	ls_files(piece[OUT_LS_BOOT], add_kernel, &kb);
	ls_files(piece[OUT_LS_ROOT], add_kernel, &kr);
	size_t g = 0;
	for (; g < ARRAY_SIZE(grub_files) && !fs->grub; g++)
		/* "Inode: N   Type: regular" for a file debugfs finds. */
		if (strstr(piece[OUT_STAT_GRUB + g], "Type: regular")) {
			fs->grub = xstrdup(grub_files[g]);
		} else if (strstr(piece[OUT_STAT_GRUB + g], "Type: symlink")) {
			/* pygrub follows it; debugfs's cat would not: unread, said so. */
			fs->grub = xstrdup(grub_files[g]);
			fs->grub_error = xstrdup("a symbolic link inside the guest, not followed by the pre-flight");
		}
	limit = xasprintf("debugfs's output limit (%u bytes)", GD_MAX_OUTPUT);
	if (fs->grub && !fs->grub_error)
		fs->grub_text = file_piece(piece, done, OUT_CAT_GRUB + g - 1, cut, limit, &fs->grub_error);
	fs->fstab = file_piece(piece, done, OUT_CAT_FSTAB, cut, limit, &fs->fstab_error);
	if (fs->fstab && !*fs->fstab) {
		free(fs->fstab);
		fs->fstab = NULL;
	}
out:
	if (mfd >= 0)
		close(mfd);
	if (ifd >= 0)
		close(ifd);
	strbuf_release(&cmds);
	strbuf_release(&out);
	hv_diags_release(&d);
}

/* The file system type at [off, off+size) of fd (blkid), or NULL. */
static char *probe_fs(int fd, uint64_t off, uint64_t size)
{
	blkid_probe pr = blkid_new_probe();
	const char *v = NULL;
	char *type = NULL;

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) == 0 &&
	    blkid_probe_enable_superblocks(pr, 1) == 0 &&
	    blkid_probe_enable_partitions(pr, 0) == 0 &&
	    blkid_do_safeprobe(pr) == 0 &&
	    blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && v)
		type = xstrdup(v);
	blkid_free_probe(pr);
	return type;
}

static struct gd_fs *add_fs(struct gd_info *g, unsigned partno, uint64_t off, uint64_t size)
{
	g->fs = xrealloc(g->fs, (g->nfs + 1) * sizeof(*g->fs));
	g->fs[g->nfs] = (struct gd_fs){ .partno = partno, .offset = off, .size = size };
	return &g->fs[g->nfs++];
}

/* Partitions that share sectors (an extended partition holds its
 * logical ones: not counted) make a hostile or broken table. */
static void find_overlaps(blkid_partlist pl, int n, struct gd_info *g)
{
	for (int i = 0; i < n && i < GD_MAX_PARTS; i++) {
		blkid_partition a = blkid_partlist_get_partition(pl, i);
		if (!a || blkid_partition_is_extended(a) || blkid_partition_get_size(a) <= 0)
			continue;
		for (int k = i + 1; k < n && k < GD_MAX_PARTS; k++) {
			blkid_partition b = blkid_partlist_get_partition(pl, k);
			if (!b || blkid_partition_is_extended(b) || blkid_partition_get_size(b) <= 0)
				continue;
			blkid_loff_t as = blkid_partition_get_start(a), bs = blkid_partition_get_start(b);
			if (as < bs + blkid_partition_get_size(b) && bs < as + blkid_partition_get_size(a)) {
				if (!g->noverlaps++) {
					g->overlap_a = (unsigned)blkid_partition_get_partno(a);
					g->overlap_b = (unsigned)blkid_partition_get_partno(b);
				}
			}
		}
	}
}

static bool is_ext(const char *type)
{
	return type && (strcmp(type, "ext2") == 0 || strcmp(type, "ext3") == 0 ||
			strcmp(type, "ext4") == 0);
}

int guest_disk_inspect(const char *path, struct gd_budget *b, struct gd_info *ret,
		       struct hv_diags *d)
{
	struct gd_info g = { 0 };
	blkid_probe pr = NULL;
	_cleanup_free_ char *dbg = run_find("debugfs");
	off_t end;
	int fd, rc = 0;

	if ((rc = lazy_blkid_load(d)) < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hv_errorf(d, "cannot open '%s': %s", path, strerror(errno));
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		rc = hv_errorf(d, "'%s': cannot find its size: %s", path, strerror(errno));
		goto out;
	}
	pr = blkid_new_probe();
	if (!pr) {
		rc = hv_errorf(d, "'%s': libblkid cannot make a probe", path);
		goto out;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0 ||
	    blkid_probe_enable_partitions(pr, 1) < 0) {
		rc = hv_errorf(d, "'%s': libblkid cannot read it", path);
		goto out;
	}
	g.disk_bytes = (uint64_t)end;
	blkid_partlist pl = blkid_probe_get_partitions(pr);
	int n = pl ? blkid_partlist_numof_partitions(pl) : 0;
	if (pl && n > 0) {
		blkid_parttable t = blkid_partlist_get_table(pl);
		const char *ty = t ? blkid_parttable_get_type(t) : NULL;
		g.pttype = xstrdup(ty ? ty : "unknown");
		g.nparts = (size_t)n;
		g.nparts_skipped = n > GD_MAX_PARTS ? (size_t)(n - GD_MAX_PARTS) : 0;
		find_overlaps(pl, n, &g);
		for (int i = 0; i < n && i < GD_MAX_PARTS; i++) {
			blkid_partition p = blkid_partlist_get_partition(pl, i);
			if (!p || blkid_partition_is_extended(p))
				continue;
			uint64_t off = (uint64_t)blkid_partition_get_start(p) * 512;
			uint64_t size = (uint64_t)blkid_partition_get_size(p) * 512;
			unsigned pno = (unsigned)blkid_partition_get_partno(p);
			if (size == 0)
				continue;
			if (off >= (uint64_t)end) {
				if (!g.npast_end++) {
					g.past_end = pno;
					g.past_end_at = off;
				}
				continue;
			}
			if (size > (uint64_t)end - off) {
				size = (uint64_t)end - off;
				if (!g.ncut++)
					g.cut = pno;
			}
			struct gd_fs *fs = add_fs(&g, pno, off, size);
			fs->type = probe_fs(fd, off, size);
		}
	} else {
		struct gd_fs *fs = add_fs(&g, 0, 0, (uint64_t)end);
		fs->type = probe_fs(fd, 0, (uint64_t)end);
	}
	for (size_t i = 0, nread = 0; i < g.nfs; i++) {
		struct gd_fs *fs = &g.fs[i];
		if (!is_ext(fs->type))
			continue;
		for (size_t k = 0; k < i && !fs->same_as; k++)
			if (g.fs[k].offset == fs->offset && is_ext(g.fs[k].type))
				fs->same_as = g.fs[k].partno ? g.fs[k].partno : 1;
		if (fs->same_as)
			continue;	/* the same file system, already looked at */
		long long left = b->deadline_ms - now_ms();
		if (nread++ >= GD_MAX_READ) {
			g.ncapped++;
			fs->error = xasprintf("beyond the %d ext2/3/4 file systems read a disk", GD_MAX_READ);
		} else if (!b->reads_left || left <= 0) {
			fs->over_budget = true;
			b->skipped++;
		} else if (!dbg) {
			fs->error = xstrdup("debugfs not found (Debian package e2fsprogs)");
		} else {
			b->reads_left--;
			read_ext(dbg, fd, left < GD_DEBUGFS_MS ? (int)left : GD_DEBUGFS_MS, fs);
		}
	}
out:
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	*ret = g;
	return rc;
}

void gd_info_release(struct gd_info *g)
{
	for (size_t i = 0; i < g->nfs; i++) {
		struct gd_fs *fs = &g->fs[i];
		free(fs->type);
		free(fs->grub);
		free(fs->grub_text);
		free(fs->grub_error);
		for (size_t k = 0; k < fs->nkernels; k++)
			free(fs->kernels[k]);
		free(fs->kernels);
		free(fs->fstab);
		free(fs->fstab_error);
		free(fs->error);
	}
	free(g->fs);
	free(g->pttype);
	*g = (struct gd_info){ 0 };
}

int guest_kernel_bits(const uint8_t *p, size_t len)
{
	if (len >= 5 && memcmp(p, "\177ELF", 4) == 0)
		return p[4] == 1 ? 32 : p[4] == 2 ? 64 : 0;
	/* bzImage: "HdrS" at 0x202, protocol 2.12+ has xloadflags at 0x236. */
	if (len >= 0x238 && memcmp(p + 0x202, "HdrS", 4) == 0) {
		unsigned ver = p[0x206] | (unsigned)p[0x207] << 8;
		if (ver >= 0x20c)
			return (p[0x236] & 1) ? 64 : 32;
	}
	return 0;
}
