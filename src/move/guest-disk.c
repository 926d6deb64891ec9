/* SPDX-License-Identifier: MIT */
/* A guest's disk, read without mounting it (see guest-disk.h). */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-disk.h"
#include "run.h"
#include "strbuf.h"
#include "util.h"

#define GD_MAX_PARTS 128
#define GD_MAX_READ 16		/* ext file systems read with debugfs */
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

/*
 * The output of command cmd in what `debugfs -f` printed: debugfs echoes
 * each command as "debugfs: CMD" before its output.  The last command's
 * output runs to the end.  NULL when cmd is not there.
 */
static char *section(const char *out, const char *cmd, bool last)
{
	_cleanup_free_ char *mark = xasprintf("debugfs: %s\n", cmd);
	const char *p = out, *end;

	for (;; p++) {
		p = strstr(p, mark);
		if (!p)
			return NULL;
		if (p == out || p[-1] == '\n')
			break;
	}
	p += strlen(mark);
	if (!last && str_startswith(p, "debugfs: "))
		return xstrdup("");	/* the command printed nothing */
	end = last ? NULL : strstr(p, "\ndebugfs: ");
	return end ? xstrndup(p, (size_t)(end - p + 1)) : xstrdup(p);
}

/* Reads an ext2/3/4 file system with one run of debugfs (read only, no
 * mount): boot loader files, kernels in / and /boot, /etc/fstab. */
static void read_ext(const char *dbg, const char *path, struct gd_fs *fs)
{
	struct hv_diags d = HV_DIAGS_INIT;
	/* "./" before a relative path: never read by debugfs as an option. */
	_cleanup_free_ char *spec = xasprintf("%s%s?offset=%llu", path[0] == '/' ? "" : "./", path,
					      (unsigned long long)fs->offset);
	_cleanup_free_ char *cmdpath = NULL, *root = NULL, *boot = NULL;
	struct strbuf cmds = STRBUF_INIT, out = STRBUF_INIT;
	int mfd = memfd_create("hvkit-debugfs", 0);

	if (mfd < 0) {
		fs->error = xasprintf("memfd_create: %s", strerror(errno));
		goto out;
	}
	strbuf_adds(&cmds, "ls -p /\nls -p /boot/\n");
	for (size_t i = 0; i < ARRAY_SIZE(grub_files); i++)
		strbuf_addf(&cmds, "stat %s\n", grub_files[i]);
	strbuf_adds(&cmds, "cat /etc/fstab\n");
	if (write_all(mfd, cmds.buf, cmds.len) < 0) {
		fs->error = xasprintf("cannot write debugfs's commands: %s", strerror(errno));
		goto out;
	}
	/* The child inherits mfd (no O_CLOEXEC) and reads it by name. */
	cmdpath = xasprintf("/proc/self/fd/%d", mfd);
	char *argv[] = { (char *)dbg, "-c", "-f", cmdpath, spec, NULL };
	int rc = run_capture(argv, &out, GD_DEBUGFS_MS, GD_MAX_OUTPUT, &d);
	/* /etc/fstab comes last: when it alone is too large, what came
	 * before it is whole, and the fstab is named as not read. */
	bool fstab_big = rc == -EFBIG && strstr(out.buf ? out.buf : "", "debugfs: cat /etc/fstab\n");
	if (rc < 0 && !fstab_big) {
		fs->error = xstrdup(d.n ? d.v[d.n - 1].msg : "debugfs failed");
		goto out;
	}
	root = section(out.buf, "ls -p /", false);
	/* The root directory lists itself as inode 2: else debugfs could not
	 * open the file system (it says why on its standard error). */
	if (!root || !strstr(root, "/2/040")) {
		fs->error = xstrdup("debugfs cannot open it as ext2/3/4");
		goto out;
	}
	fs->read = true;
	struct kern_ctx kr = { fs, "/" }, kb = { fs, "/boot/" };
	boot = section(out.buf, "ls -p /boot/", false);
	if (boot)
		ls_files(boot, add_kernel, &kb);
	ls_files(root, add_kernel, &kr);
	for (size_t i = 0; i < ARRAY_SIZE(grub_files) && !fs->grub; i++) {
		_cleanup_free_ char *cmd = xasprintf("stat %s", grub_files[i]);
		_cleanup_free_ char *st = section(out.buf, cmd, false);
		/* "Inode: N   Type: regular" for a file debugfs finds. */
		if (st && strstr(st, "Type: regular"))
			fs->grub = xstrdup(grub_files[i]);
	}
	if (fstab_big) {
		fs->fstab_error = xasprintf("larger than debugfs's output limit (%u bytes)", GD_MAX_OUTPUT);
		goto out;
	}
	char *tab = section(out.buf, "cat /etc/fstab", true);
	if (tab && *tab)
		fs->fstab = tab;
	else
		free(tab);
out:
	if (mfd >= 0)
		close(mfd);
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

int guest_disk_inspect(const char *path, struct gd_info *ret, struct hv_diags *d)
{
	struct gd_info g = { 0 };
	blkid_probe pr = NULL;
	_cleanup_free_ char *dbg = run_find("debugfs");
	off_t end;
	int fd, rc = 0;

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
	blkid_partlist pl = blkid_probe_get_partitions(pr);
	int n = pl ? blkid_partlist_numof_partitions(pl) : 0;
	if (pl && n > 0) {
		blkid_parttable t = blkid_partlist_get_table(pl);
		const char *ty = t ? blkid_parttable_get_type(t) : NULL;
		g.pttype = xstrdup(ty ? ty : "unknown");
		for (int i = 0; i < n && i < GD_MAX_PARTS; i++) {
			blkid_partition p = blkid_partlist_get_partition(pl, i);
			if (!p)
				continue;
			uint64_t off = (uint64_t)blkid_partition_get_start(p) * 512;
			uint64_t size = (uint64_t)blkid_partition_get_size(p) * 512;
			if (off >= (uint64_t)end || size == 0)
				continue;
			if (size > (uint64_t)end - off)
				size = (uint64_t)end - off;
			struct gd_fs *fs = add_fs(&g, (unsigned)blkid_partition_get_partno(p), off, size);
			fs->type = probe_fs(fd, off, size);
		}
	} else {
		struct gd_fs *fs = add_fs(&g, 0, 0, (uint64_t)end);
		fs->type = probe_fs(fd, 0, (uint64_t)end);
	}
	for (size_t i = 0, nread = 0; i < g.nfs; i++) {
		struct gd_fs *fs = &g.fs[i];
		if (!fs->type || !(strcmp(fs->type, "ext2") == 0 || strcmp(fs->type, "ext3") == 0 ||
				   strcmp(fs->type, "ext4") == 0))
			continue;
		if (nread++ >= GD_MAX_READ)
			fs->error = xasprintf("only the first %d ext2/3/4 file systems are read", GD_MAX_READ);
		else if (!dbg)
			fs->error = xstrdup("debugfs not found (Debian package e2fsprogs)");
		else if (strchr(path, '?'))
			fs->error = xstrdup("a path with '?' cannot be handed to debugfs");
		else
			read_ext(dbg, path, fs);
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
