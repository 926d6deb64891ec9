/* SPDX-License-Identifier: MIT */
/* Linux cgroup backend: v1 (cpu.cfs_quota_us + cpuacct.usage) or v2
 * (cpu.max + cpu.stat usage_usec, when the cpu controller is enabled).
 * Files stay open between ticks: a tick is one pread() per guest, and a
 * write only when the cap changes.  A cgroup removed under us reads
 * ENODEV: the daemon closes it and opens it again by path (ENOENT until
 * it is back).  Writes end in a newline, as echo does: the kernel takes
 * it, and a simulated tree of regular files (bench/sched.sh) reads the
 * value back whole. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backend.h"
#include "strbuf.h"
#include "util.h"

struct cg_backend {
	struct sched_backend b;
	bool v2;
	char *cpu_root;		/* v1: cpu hierarchy; v2: the unified root */
	char *acct_root;	/* v1: cpuacct hierarchy; v2: same as cpu_root */
};

struct cg_guest {
	int usage_fd, quota_fd;
	int weight_fd;		/* opened at the first knob check, kept */
	uint64_t period_us;
	char *weight_path;	/* cpu.shares (v1) or cpu.weight (v2) */
	char *path;		/* relative to the hierarchy, for messages */
	char *usage_dir;	/* the directory of usage_fd's file */
};

static struct cg_backend *cb(struct sched_backend *b)
{
	return (struct cg_backend *)b;
}

static bool exists(const char *dir, const char *file)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

static int read_small(int fd, char *buf, size_t sz)
{
	ssize_t n = pread(fd, buf, sz - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static int write_str(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = pwrite(fd, s, len, 0);

	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	/* A regular file (a --cgroup-root tree of them) keeps what was longer
	 * beyond: cut there.  cgroupfs has no such tail and is left alone. */
	struct statfs fs;
	struct stat st;
	if (fstatfs(fd, &fs) == 0 && fs.f_type != CGROUP_SUPER_MAGIC &&
	    fs.f_type != CGROUP2_SUPER_MAGIC && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(fd, (off_t)len) < 0)
		return -errno;
	return 0;
}

/* systemd's escaping of '-' in unit names, as libvirt's scopes use. */
static void escape_unit(struct strbuf *sb, const char *name)
{
	for (; *name; name++) {
		if (*name == '-' || *name == '\\')
			strbuf_addf(sb, "\\x%02x", (unsigned char)*name);
		else
			strbuf_addc(sb, *name);
	}
}

/* The cgroup path (relative to a hierarchy) of a libvirt QEMU domain. */
static char *libvirt_path(struct cg_backend *c, const char *name)
{
	struct strbuf suffix = STRBUF_INIT;
	char *found = NULL;
	_cleanup_free_ char *slice = xasprintf("%s/machine.slice", c->cpu_root);
	DIR *dir = opendir(slice);

	strbuf_adds(&suffix, "\\x2d");
	escape_unit(&suffix, name);
	strbuf_adds(&suffix, ".scope");
	/* systemd-machined: machine-qemu\x2dID\x2dNAME.scope */
	for (struct dirent *e; dir && !found && (e = readdir(dir));) {
		if (str_startswith(e->d_name, "machine-qemu\\x2d") &&
		    str_endswith(e->d_name, suffix.buf))
			found = xasprintf("/machine.slice/%s", e->d_name);
	}
	if (dir)
		closedir(dir);
	strbuf_release(&suffix);
	if (!found) {
		/* libvirt without machined: /machine/NAME.libvirt-qemu */
		_cleanup_free_ char *p = xasprintf("%s/machine/%s.libvirt-qemu", c->cpu_root, name);
		if (access(p, F_OK) == 0)
			found = xasprintf("/machine/%s.libvirt-qemu", name);
	}
	return found;
}

/* The cgroup of a process, from /proc/PID/cgroup. */
static char *pid_path(struct cg_backend *c, const char *pid)
{
	_cleanup_free_ char *p = xasprintf("/proc/%s/cgroup", pid);
	FILE *f = fopen(p, "re");
	char line[4096];
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *path;
		if (!ctrl || !(path = strchr(ctrl + 1, ':')))
			continue;
		*path++ = 0;
		ctrl++;
		path[strcspn(path, "\n")] = 0;
		bool match = false;
		if (c->v2) {
			match = *ctrl == 0;
		} else {
			char *save = NULL;
			for (char *t = strtok_r(ctrl, ",", &save); t; t = strtok_r(NULL, ",", &save))
				match |= strcmp(t, "cpu") == 0;
		}
		if (match)
			found = xstrdup(path);
	}
	fclose(f);
	return found;
}

static void cg_close(struct sched_backend *b, void *hv)
{
	struct cg_guest *h = hv;

	(void)b;
	if (!h)
		return;
	if (h->usage_fd >= 0)
		close(h->usage_fd);
	if (h->quota_fd >= 0)
		close(h->quota_fd);
	if (h->weight_fd >= 0)
		close(h->weight_fd);
	free(h->weight_path);
	free(h->path);
	free(h->usage_dir);
	free(h);
}

/* O_NONBLOCK: a FIFO in a file's place (a --cgroup-root tree) would block
 * the open until a writer came; it reads ESPIPE instead, a counter not
 * readable.  Regular and cgroupfs files do not heed it. */
static int open_at(const char *root, const char *path, const char *file, int flags)
{
	_cleanup_free_ char *p = xasprintf("%s%s/%s", root, path, file);
	int fd = open(p, flags | O_CLOEXEC | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int cg_open(struct sched_backend *b, const struct sched_guest *g,
		   void **ret_h, struct hv_diags *d)
{
	struct cg_backend *c = cb(b);
	_cleanup_free_ char *path = NULL;
	struct cg_guest *h;
	char buf[128];
	int rc;

	switch (g->kind) {
	case SCHED_SEL_CGROUP:
		path = xstrdup(strcmp(g->sel, "/") == 0 ? "" : g->sel);
		break;
	case SCHED_SEL_PID:
		if (!(path = pid_path(c, g->sel)))
			return -ENOENT;
		if (strcmp(path, "/") == 0)
			return hv_errorf(d, "pid %s is in the root cgroup: hvkit sched caps "
					 "cgroups, not single processes", g->sel);
		break;
	case SCHED_SEL_LIBVIRT:
		if (!(path = libvirt_path(c, g->sel)))
			return -ENOENT;
		break;
	default:
		return hv_errorf(d, "the cgroup backend cannot select %s: guests",
				 sched_sel_kind_name(g->kind));
	}
	{
		_cleanup_free_ char *dir = xasprintf("%s%s", c->cpu_root, path);
		if (access(dir, F_OK) != 0)
			return -ENOENT;
	}
	h = xcalloc(1, sizeof(*h));
	h->usage_fd = h->quota_fd = h->weight_fd = -1;
	h->weight_path = xasprintf("%s%s/%s", c->cpu_root, path,
				   c->v2 ? "cpu.weight" : "cpu.shares");
	h->period_us = 100000;
	h->path = xstrdup(*path ? path : "/");
	h->usage_dir = xasprintf("%s%s", c->acct_root, path);
	if (c->v2) {
		rc = h->quota_fd = open_at(c->cpu_root, path, "cpu.max", O_RDWR);
		if (rc == -ENOENT) {
			cg_close(b, h);
			return hv_errorf(d, "cgroup '%s' has no cpu.max: enable the cpu controller "
					 "(echo +cpu > its parent's cgroup.subtree_control)", path);
		}
		if (rc >= 0)
			rc = h->usage_fd = open_at(c->acct_root, path, "cpu.stat", O_RDONLY);
		if (rc >= 0 && read_small(h->quota_fd, buf, sizeof(buf)) > 0) {
			char *sp = strchr(buf, ' ');
			uint64_t per;
			if (sp && parse_u64(sp + 1, 10, &per) == 0 && per >= 1000)
				h->period_us = per;
		}
	} else {
		rc = h->quota_fd = open_at(c->cpu_root, path, "cpu.cfs_quota_us", O_RDWR);
		if (rc >= 0)
			rc = h->usage_fd = open_at(c->acct_root, path, "cpuacct.usage", O_RDONLY);
		if (rc >= 0) {
			int fd = open_at(c->cpu_root, path, "cpu.cfs_period_us", O_RDONLY);
			uint64_t per;
			if (fd >= 0 && read_small(fd, buf, sizeof(buf)) > 0 &&
			    parse_u64(buf, 10, &per) == 0 && per >= 1000)
				h->period_us = per;
			if (fd >= 0)
				close(fd);
		}
	}
	if (rc < 0) {
		cg_close(b, h);
		if (rc == -ENOENT)
			return -ENOENT;	/* raced with rmdir */
		return hv_errorf(d, "cannot open the cgroup files of '%s': %s", path, strerror(-rc));
	}
	*ret_h = h;
	return 0;
}

/* The counter in buf (cpuacct.usage, or cpu.stat's usage_usec), ns:
 * -EIO when it holds none (empty, garbled). */
static int parse_usage(bool v2, char *buf, uint64_t *ret_ns)
{
	uint64_t v;

	if (!v2) {
		if (parse_u64(buf, 10, &v) < 0)
			return -EIO;
		*ret_ns = v;
		return 0;
	}
	char *p = strstr(buf, "usage_usec ");
	if (!p || (p != buf && p[-1] != '\n'))
		return -EIO;
	p += strlen("usage_usec ");
	char *nl = strchr(p, '\n');
	if (nl)
		*nl = 0;
	if (parse_u64(p, 10, &v) < 0 || v > UINT64_MAX / 1000)
		return -EIO;
	*ret_ns = v * 1000;
	return 0;
}

/* -ENOENT only when the cgroup is gone (cgroupfs says ENODEV once it is
 * removed, or its directory is no longer there); any other failure, an
 * error or a counter that does not parse, is this read's alone: the
 * guest is still there (backend.h). */
static int cg_usage(struct sched_backend *b, void *hv, uint64_t *ret_ns, int64_t *ret_at)
{
	struct cg_guest *h = hv;
	char buf[512];
	int n = read_small(h->usage_fd, buf, sizeof(buf));

	*ret_at = clock_ns(CLOCK_REALTIME);
	if (n >= 0)
		n = parse_usage(cb(b)->v2, buf, ret_ns);
	if (n == -ENODEV || (n < 0 && access(h->usage_dir, F_OK) < 0 && errno == ENOENT))
		return -ENOENT;
	return n < 0 ? n : 0;
}

/* What set_cap() writes for cap_cp, into buf. */
static void cap_text(struct sched_backend *b, struct cg_guest *h, uint32_t cap_cp,
		     char *buf, size_t sz)
{
	if (cap_cp == SCHED_CAP_NONE) {
		snprintf(buf, sz, cb(b)->v2 ? "max %" PRIu64 "\n" : "-1\n", h->period_us);
	} else {
		uint64_t q = (uint64_t)cap_cp * h->period_us / SCHED_CP_PER_CPU;
		if (q < 1000)
			q = 1000;	/* the kernel's minimum quota, 1 ms */
		if (cb(b)->v2)
			snprintf(buf, sz, "%" PRIu64 " %" PRIu64 "\n", q, h->period_us);
		else
			snprintf(buf, sz, "%" PRIu64 "\n", q);
	}
}

static int cg_set_cap(struct sched_backend *b, void *hv, uint32_t cap_cp)
{
	struct cg_guest *h = hv;
	char buf[64];

	cap_text(b, h, cap_cp, buf, sizeof(buf));
	return write_str(h->quota_fd, buf);
}

/* Who else writes a cgroup's CPU knobs, from where it sits. */
static const char *knob_owner(const char *path)
{
	if (strstr(path, "machine.slice/") || strstr(path, "machine-qemu") || strstr(path, "/libvirt/"))
		return "libvirt (<cputune>, virsh schedinfo)?";
	if (strstr(path, ".service") || strstr(path, ".scope") || strstr(path, ".slice"))
		return "systemd (CPUQuota=, CPUWeight=, systemctl set-property)?";
	return "an admin or another tool writing the cgroup?";
}

static int cg_check(struct sched_backend *b, void *hv, uint32_t cap_cp, unsigned weight,
		    char *found, size_t sz)
{
	struct cg_guest *h = hv;
	char want[64], buf[64];
	int n = read_small(h->quota_fd, buf, sizeof(buf));

	if (n < 0)
		return n == -ENODEV ? -ENOENT : n;
	cap_text(b, h, cap_cp, want, sizeof(want));
	if (strcmp(buf, want)) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(found, sz, "%s reads '%s' (we wrote '%.*s'); by %s",
			 cb(b)->v2 ? "cpu.max" : "cpu.cfs_quota_us", buf,
			 (int)strcspn(want, "\n"), want, knob_owner(h->path));
		return 1;
	}
	if (weight) {
		unsigned long v = sched_cgroup_weight_value(cb(b)->v2, weight);
		uint64_t got = 0;
		if (h->weight_fd < 0 && (h->weight_fd = open(h->weight_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
			return -errno;
		n = read_small(h->weight_fd, buf, sizeof(buf));
		if (n < 0)
			return n;
		buf[strcspn(buf, "\n")] = 0;
		if (parse_u64(buf, 10, &got) < 0 || got != v) {
			snprintf(found, sz, "%s reads '%s' (we wrote '%lu'); by %s",
				 cb(b)->v2 ? "cpu.weight" : "cpu.shares", buf, v, knob_owner(h->path));
			return 1;
		}
	}
	return 0;
}

/* Weight 256 (Xen's default) lands on each hierarchy's default: v1
 * cpu.shares 1024 (x 4, the kernel's range 2..262144), v2 cpu.weight 100
 * (x 100 / 256, range 1..10000). */
unsigned long sched_cgroup_weight_value(bool v2, unsigned weight)
{
	unsigned long v = v2 ? (weight * 100ul + 128) / 256 : weight * 4ul;

	if (v2)
		return v < 1 ? 1 : v > 10000 ? 10000 : v;
	return v < 2 ? 2 : v > 262144 ? 262144 : v;
}

static int cg_set_weight(struct sched_backend *b, void *hv, unsigned weight,
			 struct hv_diags *d)
{
	struct cg_guest *h = hv;
	const char *file = cb(b)->v2 ? "cpu.weight" : "cpu.shares";
	unsigned long v = sched_cgroup_weight_value(cb(b)->v2, weight);
	char buf[32];
	uint64_t got = 0;
	int fd, rc;

	snprintf(buf, sizeof(buf), "%lu\n", v);
	fd = open(h->weight_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hv_errorf(d, "cannot open %s of '%s': %s", file, h->path, strerror(errno));
	rc = write_str(fd, buf);
	if (rc < 0) {
		close(fd);
		return hv_errorf(d, "cannot write %lu to %s of '%s': %s", v, file, h->path,
				 strerror(-rc));
	}
	/* Read back: a write the kernel took can still be clamped, and a
	 * cgroup v2 cpu.weight is ignored unless the cpu controller is on. */
	rc = read_small(fd, buf, sizeof(buf));
	close(fd);
	buf[strcspn(buf, "\n")] = 0;
	if (rc < 0 || parse_u64(buf, 10, &got) < 0 || got != v) {
		hv_errorf(d, "weight %u did not take: wrote %lu to %s of '%s', it reads back '%s'",
			  weight, v, file, h->path, rc < 0 ? strerror(-rc) : buf);
		return -EIO;
	}
	return 0;
}

static void cg_free(struct sched_backend *b)
{
	struct cg_backend *c = cb(b);

	if (!c)
		return;
	free(c->cpu_root);
	free(c->acct_root);
	free(c);
}

static const struct sched_backend_ops cg_ops = {
	.name = "cgroup",
	.open = cg_open,
	.usage = cg_usage,
	.set_cap = cg_set_cap,
	.set_weight = cg_set_weight,
	.check = cg_check,
	.close = cg_close,
	.free = cg_free,
};

int sched_backend_cgroup_new(const char *root, struct sched_backend **ret,
			     struct hv_diags *d)
{
	struct cg_backend *c;
	_cleanup_free_ char *cpu = xasprintf("%s/cpu", root);
	_cleanup_free_ char *acct = xasprintf("%s/cpuacct", root);

	c = xcalloc(1, sizeof(*c));
	c->b.ops = &cg_ops;
	if (exists(cpu, "cpu.cfs_quota_us") && exists(acct, "cpuacct.usage")) {
		c->cpu_root = xstrdup(cpu);
		c->acct_root = xstrdup(acct);
	} else if (exists(root, "cgroup.controllers")) {
		c->v2 = true;
		c->cpu_root = xstrdup(root);
		c->acct_root = xstrdup(root);
	} else {
		free(c);
		return hv_errorf(d, "no usable cgroup hierarchy under '%s': need cgroup v1 "
				 "with the cpu and cpuacct controllers, or cgroup v2", root);
	}
	*ret = &c->b;
	return 0;
}
