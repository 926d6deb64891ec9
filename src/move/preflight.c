/* SPDX-License-Identifier: MIT */
/* The pre-flight of a move to XAPI (see preflight.h).  One rule a
 * function; each adds findings with the reason and a remedy. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-disk.h"
#include "guest-text.h"
#include "img.h"
#include "preflight.h"
#include "strbuf.h"
#include "util.h"
#include "xapi.h"

static const struct {
	const char *name, *label;
} releases[] = {
	[PF_REL_71] = { "7.1", "XenServer 7.1" },
	[PF_REL_82] = { "8.2", "Citrix Hypervisor 8.2 / XCP-ng 8.2" },
	[PF_REL_83] = { "8.3", "XenServer 8 / XCP-ng 8.3" },
};

int pf_release_parse(const char *s, enum pf_release *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(releases); i++)
		if (strcmp(s, releases[i].name) == 0) {
			*ret = (enum pf_release)i;
			return 0;
		}
	return -EINVAL;
}

const char *pf_release_name(enum pf_release r)
{
	return releases[r].name;
}

/* Takes problem and remedy (malloc'd; remedy may be NULL).  They quote
 * the cfg and the guest's disk (file names, fstab fields): made
 * printable here, so that no report or log line carries a terminal
 * control sequence or a forged line. */
static void add(struct pf_report *r, enum pf_level level, const char *setting,
		char *problem, char *remedy)
{
	/* A rule meeting the same thing twice (the same root= in each grub
	 * menu entry) reports it once. */
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].level == level && strcmp(r->v[i].setting, setting) == 0 &&
		    strcmp(r->v[i].problem, problem) == 0) {
			free(problem);
			free(remedy);
			return;
		}
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n++] = (struct pf_finding){ level, str_printable(xstrdup(setting), false),
					    str_printable(problem, false),
					    remedy ? str_printable(remedy, false) : NULL };
}

/* ---- what the disks hold ---- */

/* Bounds on looking into all of a guest's disks together: debugfs runs
 * and seconds (one run reads one file system, 16 at most a disk). */
#define PF_MAX_READS 32
#define PF_MAX_MS 60000

struct disk_look {
	const struct mv_disk *dk;
	bool looked;		/* inspected (a raw file or block device) */
	char *why_not;		/* else why not */
	const struct disk_look *same;	/* the same image as this earlier disk */
	struct gd_info info;	/* (same: that disk's) */
};

static void look_into(const struct mv_disk *dk, struct disk_look *l,
		      const struct disk_look *before, size_t nbefore, struct gd_budget *b)
{
	struct hv_diags d = HV_DIAGS_INIT;
	enum img_format f = IMG_UNKNOWN;
	struct stat st, sb;
	int fd;

	*l = (struct disk_look){ .dk = dk };
	if (!dk->target || !*dk->target) {
		l->why_not = xstrdup("no target");
		return;
	}
	fd = open(dk->target, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		_cleanup_free_ char *cwd = dk->target[0] != '/' ? getcwd(NULL, 0) : NULL;
		_cleanup_free_ char *rel = dk->target[0] != '/' ?
			xasprintf(" (a relative path: read from the current directory '%s', as xl does)",
				  cwd ? cwd : "?") : xstrdup("");
		l->why_not = xasprintf("cannot open '%s'%s: %s", dk->target, rel, strerror(e));
		return;
	}
	f = img_probe(fd);
	bool have_st = fstat(fd, &st) == 0;
	close(fd);
	/* Two disks on one image (or device) are looked into once. */
	for (size_t i = 0; have_st && i < nbefore; i++)
		if (before[i].looked && !before[i].same && before[i].dk->target &&
		    stat(before[i].dk->target, &sb) == 0 && sb.st_dev == st.st_dev &&
		    sb.st_ino == st.st_ino && S_ISBLK(sb.st_mode) == S_ISBLK(st.st_mode) &&
		    (!S_ISBLK(st.st_mode) || sb.st_rdev == st.st_rdev)) {
			l->same = &before[i];
			l->looked = true;
			return;
		}
	if (f != IMG_RAW) {
		l->why_not = xasprintf("a %s image (only raw images and block devices are looked into)",
				       img_format_name(f));
		return;
	}
	if (guest_disk_inspect(dk->target, b, &l->info, &d) < 0) {
		l->why_not = xstrdup(d.n ? d.v[d.n - 1].msg : "cannot read it");
		gd_info_release(&l->info);
	} else {
		l->looked = true;
	}
	hv_diags_release(&d);
}

/* What was read of the disk l (or of the earlier disk on the same image). */
static const struct gd_info *info_of(const struct disk_look *l)
{
	return l->same ? &l->same->info : &l->info;
}

/* "disk xvda: MBR; partition 1: ext4 (/boot/grub/grub.cfg, kernel
 * /boot/vmlinuz-6.1); partition 2: swap" */
static char *describe(const struct disk_look *l)
{
	struct strbuf s = STRBUF_INIT;
	const struct gd_info *g = info_of(l);

	strbuf_addf(&s, "disk %s: ", l->dk->vdev ? l->dk->vdev : "?");
	if (!l->looked) {
		strbuf_addf(&s, "not looked into: %s", l->why_not);
		return strbuf_detach(&s, NULL);
	}
	strbuf_adds(&s, !g->pttype ? "no partition table" :
		    strcmp(g->pttype, "dos") == 0 ? "MBR partition table" :
		    strcmp(g->pttype, "gpt") == 0 ? "GPT partition table" : g->pttype);
	for (size_t i = 0; i < g->nfs; i++) {
		const struct gd_fs *fs = &g->fs[i];
		if (fs->partno)
			strbuf_addf(&s, "; partition %u: ", fs->partno);
		else
			strbuf_adds(&s, "; whole disk: ");
		strbuf_adds(&s, fs->type ? fs->type : "no file system found");
		if (fs->same_as) {
			strbuf_addf(&s, " (the file system of partition %u)", fs->same_as);
			continue;
		}
		if (fs->over_budget) {
			strbuf_adds(&s, " (not read: the pre-flight's limit was reached)");
			continue;
		}
		if (fs->error) {
			strbuf_addf(&s, " (not read: %s)", fs->error);
			continue;
		}
		if (!fs->read)
			continue;
		strbuf_addf(&s, " (%s", fs->grub ? fs->grub : "no grub.cfg or menu.lst");
		if (fs->nkernels)
			strbuf_addf(&s, ", kernel%s", fs->nkernels > 1 ? "s" : "");
		else
			strbuf_adds(&s, ", no kernel");
		for (size_t k = 0; k < fs->nkernels && k < 4; k++)
			strbuf_addf(&s, " %s", fs->kernels[k]);
		if (fs->nkernels > 4)
			strbuf_addf(&s, " and %zu more", fs->nkernels - 4);
		strbuf_adds(&s, ")");
	}
	return strbuf_detach(&s, NULL);
}

static bool has_grub(const struct disk_look *l)
{
	for (size_t i = 0; l && l->looked && i < info_of(l)->nfs; i++)
		if (info_of(l)->fs[i].grub)
			return true;
	return false;
}

static size_t n_kernels(const struct disk_look *l)
{
	size_t n = 0;

	for (size_t i = 0; l && l->looked && i < info_of(l)->nfs; i++)
		n += info_of(l)->fs[i].nkernels;
	return n;
}

/* The disk a guest boots from: userdevice 0 (xvda, hda, sda), else the
 * first disk. */
static const struct disk_look *boot_disk(const struct disk_look *looks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (looks[i].dk->kind == MV_DISK_DISK && xapi_userdevice(looks[i].dk->vdev) == 0)
			return &looks[i];
	for (size_t i = 0; i < n; i++)
		if (looks[i].dk->kind == MV_DISK_DISK)
			return &looks[i];
	return NULL;
}

/* ---- the rules ---- */

/* 32 or 64 from the first bytes of a kernel file in dom0, 0 unknown. */
static int dom0_kernel_bits(const char *path)
{
	uint8_t buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return 0;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	return n > 0 ? guest_kernel_bits(buf, (size_t)n) : 0;
}

static void rule_boot(const struct mv_vm *vm, const struct disk_look *boot,
		      struct pf_report *r)
{
	bool pygrub = vm->bootloader && strstr(vm->bootloader, "pygrub");
	_cleanup_free_ char *what = boot ? describe(boot) : xstrdup("the guest has no disk");

	if (vm->type == MV_GUEST_HVM)
		return;
	if (vm->kernel && !vm->bootloader) {
		char *remedy;
		if (has_grub(boot) && n_kernels(boot))
			remedy = xasprintf("boot it with pygrub from its own disk (bootloader = \"pygrub\", no kernel or ramdisk): %s", what);
		else if (n_kernels(boot))
			remedy = xasprintf("the disk has a kernel but no boot loader configuration: write one in the guest (grub-mkconfig -o /boot/grub/grub.cfg) and boot with pygrub, or make it an HVM guest; %s", what);
		else
			remedy = xasprintf("install a kernel and grub inside the guest and boot with pygrub (bootloader = \"pygrub\"), or make it an HVM guest with a boot loader in its disk; %s", what);
		struct stat st;
		const char *is = stat(vm->kernel, &st) < 0 ? "names a path in this host's dom0 (not there now)" :
				 S_ISREG(st.st_mode) ? "is a file in this host's dom0" :
				 "names something in this host's dom0 that is not a regular file";
		add(r, PF_BLOCK, "kernel",
		    xasprintf("'%s'%s%s%s %s (direct kernel boot): a XAPI pool has no such file and the package would carry only its path",
			      vm->kernel, vm->ramdisk ? " (and ramdisk '" : "",
			      vm->ramdisk ? vm->ramdisk : "", vm->ramdisk ? "')" : "", is),
		    remedy);
	} else if (pygrub && (!boot || !boot->looked)) {
		/* Unread is not clean: its root= and console= are unchecked. */
		add(r, PF_BLOCK, "bootloader",
		    boot ? xasprintf("pygrub boots from a disk the pre-flight did not look into, so its boot loader configuration, root= and console= are unchecked: %s",
				     what)
			 : xstrdup("pygrub boots from the guest's first disk: the guest has no disk"),
		    xstrdup(boot ? "make the boot disk a raw image or block device readable here (qemu-img convert), or check its boot loader configuration by hand, then --force"
			    : "give the guest its boot disk"));
	} else if (pygrub && boot && boot->looked && !has_grub(boot)) {
		add(r, PF_WARN, "bootloader",
		    xasprintf("pygrub will find no grub.cfg, menu.lst or extlinux.conf: %s", what),
		    xstrdup("write the boot loader configuration inside the guest (grub-mkconfig -o /boot/grub/grub.cfg)"));
	} else if (!vm->kernel && !vm->bootloader && vm->type == MV_GUEST_PV) {
		add(r, PF_WARN, "bootloader",
		    xstrdup("a PV guest with neither kernel nor bootloader: XAPI will not know how to boot it"),
		    xstrdup("set bootloader = \"pygrub\" (a kernel and grub.cfg inside the disk), or make it an HVM guest"));
	}
}

/* Whether a kernel file name inside the guest names a 32-bit x86 kernel
 * (Debian -686/-686-pae, Red Hat .i686, -i386). */
static bool kernel_name_32(const char *n)
{
	return strstr(n, "-686") || strstr(n, ".i686") || strstr(n, "i386") || strstr(n, ".i586");
}

static void rule_pv(const struct mv_vm *vm, enum pf_release rel,
		    const struct disk_look *boot, struct pf_report *r)
{
	int bits = vm->kernel && !vm->bootloader ? dom0_kernel_bits(vm->kernel) : 0;
	const char *k32 = NULL;

	if (vm->type == MV_GUEST_PVH) {
		add(r, rel == PF_REL_71 ? PF_BLOCK : PF_WARN, "type",
		    xasprintf("PVH guests are %s on %s", rel == PF_REL_71 ? "not supported" : "experimental",
			      releases[rel].label),
		    xstrdup("make it an HVM guest (type = \"hvm\") with PV drivers"));
		return;
	}
	if (vm->type != MV_GUEST_PV)
		return;
	const struct gd_info *bi = boot ? info_of(boot) : NULL;
	for (size_t i = 0; !bits && boot && boot->looked && i < bi->nfs; i++)
		for (size_t k = 0; !k32 && k < bi->fs[i].nkernels; k++)
			if (kernel_name_32(bi->fs[i].kernels[k]))
				k32 = bi->fs[i].kernels[k];
	if (bits == 32 || k32) {
		add(r, rel == PF_REL_71 ? PF_WARN : PF_BLOCK, "type",
		    bits == 32 ? xasprintf("32-bit PV guest (kernel '%s' is 32-bit): %s", vm->kernel,
					   rel == PF_REL_71 ? "XenServer 7.1 is the last release to run them" :
					   "releases from Citrix Hypervisor 8 on no longer run 32-bit PV guests")
			       : xasprintf("32-bit PV guest (its disk holds %s): %s", k32,
					   rel == PF_REL_71 ? "XenServer 7.1 is the last release to run them" :
					   "releases from Citrix Hypervisor 8 on no longer run 32-bit PV guests"),
		    xstrdup("install a 64-bit kernel in the guest, or make it an HVM guest (32-bit HVM guests run)"));
		return;
	}
	if (rel == PF_REL_83)
		add(r, PF_BLOCK, "type",
		    xasprintf("PV guest: %s does not run PV guests (XenServer 8 removed PV mode; XCP-ng 8.3 still boots 64-bit PV guests, deprecated)",
			      releases[rel].label),
		    xstrdup("make it an HVM guest (type = \"hvm\", a boot loader in the disk's MBR or ESP, PV drivers in the guest); --force moves it as PV"));
	else if (rel == PF_REL_82)
		add(r, PF_WARN, "type",
		    xasprintf("PV guest: deprecated on %s, and 8.3-based releases (XenServer 8) do not run PV guests",
			      releases[rel].label),
		    xstrdup("plan to make it an HVM guest with PV drivers"));
}

/* The disk name in a device path: "sda" of "/dev/sda1", or NULL. */
static char *dev_disk(const char *dev)
{
	const char *p = str_startswith(dev, "/dev/") ? dev + 5 : NULL;
	size_t n;

	/* NVMe (nvme0n1p1) and virtio's by-id names (QEMU, clouds): on XAPI
	 * the same disk is an xvd* one. */
	if (p && str_startswith(p, "nvme") && (n = strspn(p + 4, "0123456789")) &&
	    p[4 + n] == 'n' && strspn(p + 5 + n, "0123456789"))
		return xstrndup(p, 5 + n + strspn(p + 5 + n, "0123456789"));
	if (p && str_startswith(p, "disk/by-id/virtio-")) {
		const char *e = strstr(p, "-part");
		return xstrndup(p, e && e > p + 18 ? (size_t)(e - p) : strlen(p));
	}
	if (!p || !(str_startswith(p, "hd") || str_startswith(p, "sd") ||
		    str_startswith(p, "vd") || str_startswith(p, "xvd")))
		return NULL;
	n = strspn(p + (p[0] == 'x' ? 3 : 2), "abcdefghijklmnopqrstuvwxyz");
	if (!n)
		return NULL;
	return xstrndup(p, (p[0] == 'x' ? 3 : 2) + n);
}

/* A device name the guest uses that XAPI names differently: XAPI gives
 * a PV guest, and an HVM guest with PV drivers, xvd* disks. */
static void check_dev(const char *dev, const char *where, const char *mnt,
		      struct pf_report *r)
{
	_cleanup_free_ char *disk = dev_disk(dev);

	if (!disk || str_startswith(disk, "xvd"))
		return;
	/* mnt NULL: a kernel's root= (the cmdline, a boot loader's line). */
	bool root = !mnt || strcmp(mnt, "/") == 0;
	_cleanup_free_ char *what = !mnt ? xasprintf("root=%s", dev) :
				   xasprintf("'%s' mounted on %s", dev, mnt);
	_cleanup_free_ char *xvd = str_startswith(disk, "nvme") || str_startswith(disk, "disk/") ?
				   xstrdup("a /dev/xvd* disk") :
				   xasprintf("/dev/xvd%s", disk + 2);
	add(r, root ? PF_BLOCK : PF_WARN, where,
	    xasprintf("%s names a disk %s: on XAPI the guest sees it as %s", what, disk, xvd),
	    xstrdup(mnt ? "name file systems by UUID= or LABEL= (blkid in the guest gives them), or by /dev/xvd*, before the move"
		    : "boot with root=UUID=... (blkid in the guest gives it) or root=/dev/xvd*, before the move"));
}

struct dev_ctx {
	const char *where;
	struct pf_report *r;
};

static void fstab_entry(void *opaque, const char *dev, const char *mnt)
{
	struct dev_ctx *c = opaque;

	check_dev(dev, c->where, mnt, c->r);
}

static void rule_devices(const struct mv_vm *vm, const struct disk_look *looks,
			 size_t n, struct pf_report *r)
{
	if (vm->cmdline) {
		_cleanup_free_ char *c = xstrdup(vm->cmdline);
		char *save = NULL;
		for (char *t = strtok_r(c, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			if (str_startswith(t, "root="))
				check_dev(t + 5, "cmdline root=", NULL, r);
	}
	for (size_t i = 0; i < n; i++) {
		if (looks[i].same)
			continue;	/* its image's fstab is the earlier disk's */
		for (size_t f = 0; looks[i].looked && f < looks[i].info.nfs; f++) {
			const char *tab = looks[i].info.fs[f].fstab;
			const char *why = looks[i].info.fs[f].fstab_error;
			if (!tab && !why)
				continue;
			unsigned pno = looks[i].info.fs[f].partno;
			_cleanup_free_ char *part = pno ? xasprintf("partition %u", pno) : xstrdup("whole disk");
			_cleanup_free_ char *where = xasprintf("/etc/fstab (disk %s, %s)",
							       looks[i].dk->vdev ? looks[i].dk->vdev : "?", part);
			if (why) {
				/* Unread is not clean: a padded fstab would hide the names it mounts by. */
				add(r, PF_BLOCK, where,
				    xasprintf("not looked into: %s, so the device names it mounts by are unchecked", why),
				    xstrdup("check the guest's /etc/fstab by hand (UUID= or LABEL= names survive the move), then --force"));
				continue;
			}
			struct dev_ctx ctx = { where, r };
			gt_fstab(tab, fstab_entry, &ctx);
		}
	}
}

/* A console= other than hvc0 among a PV guest's kernel arguments args
 * (the cmdline, or a boot loader's kernel line). */
static void check_console(const char *args, const char *where, const char *remedy,
			  struct pf_report *r)
{
	bool hvc0 = false;
	const char *last = NULL;
	_cleanup_free_ char *c = xstrdup(args);
	char *save = NULL;

	/* Linux makes the last console= /dev/console (login, messages). */
	for (char *t = strtok_r(c, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (!str_startswith(t, "console="))
			continue;
		hvc0 |= str_startswith(t + 8, "hvc0");
		last = t;
	}
	if (last && !str_startswith(last + 8, "hvc0"))
		add(r, PF_WARN, where,
		    xasprintf("'%s'%s: the console of a PV guest on XAPI is hvc0; the guest's messages and login will not show in the pool's console",
			      last, hvc0 ? " comes after console=hvc0 (the last console= becomes /dev/console)" : ""),
		    xstrdup(remedy));
}

static void rule_console(const struct mv_vm *vm, struct pf_report *r)
{
	if (vm->type == MV_GUEST_PV && vm->cmdline)
		check_console(vm->cmdline, "cmdline",
			      "add console=hvc0 last to the kernel command line (extra = ..., or GRUB_CMDLINE_LINUX inside the guest)", r);
}

struct grub_ctx {
	const struct mv_vm *vm;
	const char *where;
	const char *console_remedy;
	struct pf_report *r;
};

static void grub_kernel_line(void *opaque, const char *args)
{
	struct grub_ctx *g = opaque;
	_cleanup_free_ char *a = xstrdup(args);
	char *save = NULL;

	for (char *t = strtok_r(a, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (str_startswith(t, "root=") && !strchr(t, '$'))
			check_dev(t + 5, g->where, NULL, g->r);
	if (g->vm->type == MV_GUEST_PV)
		check_console(args, g->where, g->console_remedy, g->r);
}

/* What the guest's own boot loader configuration tells the kernel it
 * boots with pygrub: root= (the disk name XAPI gives it) and, for a PV
 * guest, console= (hvc0). */
static void rule_grub(const struct mv_vm *vm, const struct disk_look *boot, struct pf_report *r)
{
	if (!vm->bootloader || !strstr(vm->bootloader, "pygrub") || vm->type == MV_GUEST_HVM ||
	    !boot || !boot->looked)
		return;
	const struct gd_info *g = info_of(boot);
	for (size_t f = 0; f < g->nfs; f++) {
		const struct gd_fs *fs = &g->fs[f];
		if (!fs->grub || (!fs->grub_text && !fs->grub_error))
			continue;
		_cleanup_free_ char *part = fs->partno ? xasprintf("partition %u", fs->partno) : xstrdup("whole disk");
		_cleanup_free_ char *where = xasprintf("%s (disk %s, %s)", fs->grub,
						       boot->dk->vdev ? boot->dk->vdev : "?", part);
		if (fs->grub_error) {
			add(r, PF_BLOCK, where,
			    xasprintf("not looked into: %s, so the root= and console= pygrub boots with are unchecked",
				      fs->grub_error),
			    xstrdup("check the guest's boot loader configuration by hand (root=UUID=... survives the move), then --force"));
			continue;
		}
		/* GRUB 2 writes grub.cfg from /etc/default/grub; GRUB legacy's
		 * menu.lst and extlinux.conf are edited by hand. */
		const char *rem = strstr(fs->grub, "grub.cfg") ?
			"add console=hvc0 last to GRUB_CMDLINE_LINUX in the guest's /etc/default/grub and run update-grub" :
			strstr(fs->grub, "extlinux") ?
			"add console=hvc0 last to the APPEND lines of the guest's extlinux.conf" :
			"add console=hvc0 last to the kernel lines of the guest's menu.lst (grub.conf)";
		struct grub_ctx ctx = { vm, where, rem, r };
		gt_kernel_lines(fs->grub_text, grub_kernel_line, &ctx);
	}
}

/* Where the look into the disks stopped short: a finding each, never a
 * clean pass over what was not seen. */
static void rule_limits(const struct disk_look *looks, size_t n, const struct gd_budget *b,
			struct pf_report *r)
{
	static const char remedy[] = "check those file systems by hand (debugfs -R 'cat /etc/fstab' 'IMAGE?offset=BYTES'), then --force";

	for (size_t i = 0; i < n; i++) {
		const struct gd_info *g = &looks[i].info;
		if (!looks[i].looked || looks[i].same)
			continue;
		_cleanup_free_ char *where = xasprintf("disk %s", looks[i].dk->vdev ? looks[i].dk->vdev : "?");
		if (g->noverlaps) {
			_cleanup_free_ char *all = g->noverlaps > 1 ? xasprintf(" (%zu overlapping pairs in all)", g->noverlaps) : xstrdup("");
			add(r, PF_BLOCK, where,
			    xasprintf("partitions %u and %u overlap%s: a hostile or damaged partition table; the guest's file systems on them can overwrite each other",
				      g->overlap_a, g->overlap_b, all),
			    xstrdup("repair the partition table (fdisk -l or gdisk -l on the image shows it) before the move; --force moves the disk as it is"));
		}
		if (g->npast_end) {
			_cleanup_free_ char *all = g->npast_end > 1 ? xasprintf(" (%zu such partitions in all)", g->npast_end) : xstrdup("");
			add(r, PF_BLOCK, where,
			    xasprintf("partition %u starts at byte %llu, past the disk's end (%llu bytes): not looked into%s; a truncated image or a damaged table",
				      g->past_end, (unsigned long long)g->past_end_at,
				      (unsigned long long)g->disk_bytes, all),
			    xstrdup("compare the image with its source (fdisk -l shows the table), then --force"));
		}
		if (g->ncut)
			add(r, PF_WARN, where,
			    xasprintf("partition %u runs past the disk's end (%llu bytes)%s: read as far as the disk goes; a truncated image?",
				      g->cut, (unsigned long long)g->disk_bytes,
				      g->ncut > 1 ? " with others" : ""),
			    xstrdup("compare the image with its source (fdisk -l shows the table)"));
		if (g->nparts_skipped)
			add(r, PF_BLOCK, where,
			    xasprintf("its partition table has %zu entries: the %zu after the first %d were not looked into",
				      g->nparts, g->nparts_skipped, GD_MAX_PARTS),
			    xstrdup(remedy));
		if (g->ncapped)
			add(r, PF_BLOCK, where,
			    xasprintf("%zu more ext2/3/4 file system%s not looked into (the pre-flight reads %d a disk): their /etc/fstab and boot files are unchecked",
				      g->ncapped, g->ncapped > 1 ? "s" : "", GD_MAX_READ),
			    xstrdup(remedy));
	}
	if (b->skipped) {
		_cleanup_free_ char *limit = b->reads_left ? xasprintf("%u s", b->ms_max / 1000) :
					     xasprintf("reading %u file systems", b->reads_max);
		add(r, PF_BLOCK, "disks",
		    xasprintf("%zu ext2/3/4 file system%s not looked into: the pre-flight stopped after %s, its limit for all disks together",
			      b->skipped, b->skipped > 1 ? "s" : "", limit),
		    xstrdup(remedy));
	}
}

static const char *const passthrough_keys[] = { "pci", "usbdev", "usbctrl", "dtdev",
	"iomem", "ioports", "irqs", "vscsi", "rdm", "gfx_passthru", "usb" };

static void rule_passthrough(const struct mv_vm *vm, struct pf_report *r)
{
	for (size_t i = 0; i < vm->nother; i++) {
		const char *k = vm->other[i].key;
		if (!str_startswith(k, "xl:"))
			continue;
		size_t n = strcspn(k + 3, "[");
		for (size_t p = 0; p < ARRAY_SIZE(passthrough_keys); p++)
			if (strlen(passthrough_keys[p]) == n && strncmp(k + 3, passthrough_keys[p], n) == 0) {
				_cleanup_free_ char *v = xstrdup(vm->other[i].value);
				for (char *q = v; *q; q++)
					if (*q == '\n')
						*q = ' ';
				add(r, PF_BLOCK, passthrough_keys[p],
				    xasprintf("host device passthrough (%s = %s) is not carried: a device of this host is not a device of the pool",
					      passthrough_keys[p], v),
				    xstrdup("move without it (--force) and assign the device on the pool's host (PCI: xe vm-param-set other-config:pci=...; USB: xe pusb/vusb), or keep the guest on this host"));
			}
	}
}

static void rule_disks(const struct mv_vm *vm, struct pf_report *r)
{
	for (size_t i = 0; i < vm->ndisks; i++) {
		const struct mv_disk *dk = &vm->disks[i];
		struct stat st;
		bool blk = dk->target && stat(dk->target, &st) == 0 && S_ISBLK(st.st_mode);
		if (!(dk->backend && strcmp(dk->backend, "phy") == 0) && !blk)
			continue;
		_cleanup_free_ char *where = xasprintf("disk %s", dk->vdev ? dk->vdev : "?");
		add(r, PF_WARN, where,
		    xasprintf("'%s' is a physical device of this host (phy:): it becomes a VDI, its data copied into the SR; the device itself stays here",
			      dk->target ? dk->target : ""),
		    xstrdup("nothing to do unless other hosts or guests share the device"));
	}
}

/* What xapi-map.c (the mapping push and export use) cannot carry. */
static void rule_mapping(const struct mv_vm *vm, struct pf_report *r)
{
	struct xapi_pkg p = { 0 };
	struct hv_diags d = HV_DIAGS_INIT;

	xapi_from_vm(vm, &p, &d);
	for (size_t i = 0; i < d.n; i++) {
		const char *m = d.v[i].msg;
		bool passthrough = false;
		for (size_t k = 0; k < ARRAY_SIZE(passthrough_keys); k++) {
			_cleanup_free_ char *s = xasprintf("setting '%s'", passthrough_keys[k]);
			passthrough |= str_startswith(m, s);
		}
		if (passthrough)
			continue;	/* rule_passthrough's */
		add(r, PF_WARN, "xl.cfg", xstrdup(m),
		    xstrdup("XAPI has no field for it: it is kept in other_config so that a move back to xl restores it"));
	}
	hv_diags_release(&d);
	xapi_pkg_release(&p);
}

void preflight_xapi(const struct mv_vm *vm, enum pf_release rel, struct pf_report *r)
{
	struct disk_look *looks = xcalloc(vm->ndisks + 1, sizeof(*looks));
	size_t n = 0;

	struct gd_budget b;

	gd_budget_init(&b, PF_MAX_READS, PF_MAX_MS);
	for (size_t i = 0; i < vm->ndisks; i++)
		if (vm->disks[i].kind == MV_DISK_DISK) {
			look_into(&vm->disks[i], &looks[n], looks, n, &b);
			n++;
		}
	const struct disk_look *boot = boot_disk(looks, n);

	rule_limits(looks, n, &b, r);
	rule_boot(vm, boot, r);
	rule_pv(vm, rel, boot, r);
	rule_devices(vm, looks, n, r);
	rule_console(vm, r);
	rule_grub(vm, boot, r);
	rule_passthrough(vm, r);
	rule_disks(vm, r);
	rule_mapping(vm, r);
	for (size_t i = 0; i < n; i++) {
		gd_info_release(&looks[i].info);
		free(looks[i].why_not);
	}
	free(looks);
}

size_t pf_blockers(const struct pf_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].level == PF_BLOCK;
	return n;
}

void pf_report_release(struct pf_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].setting);
		free(r->v[i].problem);
		free(r->v[i].remedy);
	}
	free(r->v);
	*r = (struct pf_report){ 0 };
}

void pf_report_json(const struct pf_report *r, enum pf_release rel, struct json *j)
{
	json_obj_open(j);
	json_kv_str(j, "target", "xapi");
	json_kv_str(j, "release", releases[rel].name);
	json_kv_u64(j, "blockers", pf_blockers(r));
	json_key(j, "findings");
	json_arr_open(j);
	for (size_t i = 0; i < r->n; i++) {
		json_obj_open(j);
		json_kv_str(j, "level", r->v[i].level == PF_BLOCK ? "block" : "warn");
		json_kv_str(j, "setting", r->v[i].setting);
		json_kv_str(j, "problem", r->v[i].problem);
		json_kv_str(j, "remedy", r->v[i].remedy);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}
