/* SPDX-License-Identifier: MIT */
/* This CPU, through the CPUID instruction (x86 only). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "rootfs.h"
#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* Enumeration caps: a hypervisor may answer anything. */
#define MAX_SUBLEAVES 64
#define MAX_LEAVES_PER_RANGE 0x100

/*
 * In a Xen PV guest the CPUID instruction is not intercepted unless the
 * CPU can fault on it: it answers with the real CPU, not with the
 * domain's policy (which also holds Xen's leaves at 0x40000000).  Xen's
 * forced-emulation prefix (ud2; "xen"; cpuid) makes Xen emulate it, as
 * Linux's xen_cpuid() does; outside a PV guest it would be #UD, so it is
 * only used when /sys/hypervisor says PV.
 */
static bool hw__xen_pv;
/* When >= 0, leaves are read from this /dev/cpu/N/cpuid descriptor: the
 * driver runs CPUID in the kernel, on CPU N, and returns the four
 * registers at file offset (subleaf << 32 | leaf). */
static int hw__kernel_fd = -1;

static void hw__cpuid_xen_pv(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile(".byte 0x0f,0x0b,0x78,0x65,0x6e\n\tcpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "0"(leaf), "2"(sub));
}

static bool hw__is_xen_pv(void)
{
	struct hv_root *root = NULL;
	char *type = NULL, *guest = NULL;
	bool pv;

	if (hv_root_open_dir("/", &root) < 0)
		return false;
	pv = hv_root_read_str(root, "/sys/hypervisor/type", &type) == 0 &&
	     strcmp(type, "xen") == 0 &&
	     hv_root_read_str(root, "/sys/hypervisor/guest_type", &guest) == 0 &&
	     strcmp(guest, "PV") == 0;
	free(type);
	free(guest);
	hv_root_free(root);
	return pv;
}

static int hw__query(struct cpuid_data *c, uint32_t leaf, uint32_t sub,
		     uint32_t r[4])
{
	if (hw__kernel_fd >= 0) {
		uint32_t v[4];

		if (pread(hw__kernel_fd, v, sizeof(v), (off_t)((uint64_t)sub << 32 | leaf)) !=
		    (ssize_t)sizeof(v))
			return -EIO;
		memcpy(r, v, sizeof(v));
	} else if (hw__xen_pv)
		hw__cpuid_xen_pv(leaf, sub, r);
	else
		__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	return cpuid_data_set(c, leaf, sub, r);
}

/*
 * The subleaves of one leaf.  Rules from the Intel SDM vol. 2A "CPUID"
 * and AMD APM vol. 3 appendix E:
 *   4, 0x8000001D   caches: until the cache type (eax[4:0]) is 0
 *   0xB, 0x1F, 0x80000026  topology: until the level type (ecx[15:8]) is 0
 *   7, 0x14, 0x17, 0x18, 0x1D, 0x24  eax of subleaf 0 is the last subleaf
 *   0xD             XSAVE: 0, 1 and each component set in XCR0|XSS
 *   0xF, 0x10       RDT: 0, and the resources listed in subleaf 0's edx/ebx
 *   0x12            SGX: 0, 1, then EPC sections until type eax[3:0] is 0
 *   0x80000020      AMD PQoS: 0, and the resources in subleaf 0's ebx
 * The terminating subleaf is kept: decoders and `cpuid -r` show it too.
 */
static int hw__subleaves(struct cpuid_data *c, uint32_t leaf)
{
	uint32_t r[4], r0[4];
	int rc;

	if ((rc = hw__query(c, leaf, 0, r0)) < 0)
		return rc;
	switch (leaf) {
	case 4:
	case 0x8000001D:
		for (uint32_t s = 1; s < MAX_SUBLEAVES && (r0[0] & 0x1f); s++) {
			if ((rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
			if (!(r[0] & 0x1f))
				break;
		}
		break;
	case 0xB:
	case 0x1F:
	case 0x80000026:
		for (uint32_t s = 1; s < MAX_SUBLEAVES && (r0[2] & 0xff00); s++) {
			if ((rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
			if (!(r[2] & 0xff00))
				break;
		}
		break;
	case 7:
	case 0x14:
	case 0x17:
	case 0x18:
	case 0x1D:
	case 0x24:
		for (uint32_t s = 1; s <= r0[0] && s < MAX_SUBLEAVES; s++)
			if ((rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
		break;
	case 0xD: {
		uint64_t mask = (uint64_t)r0[3] << 32 | r0[0];

		if ((rc = hw__query(c, leaf, 1, r)) < 0)
			return rc;
		mask |= (uint64_t)r[3] << 32 | r[2];
		for (uint32_t s = 2; s < 63; s++)
			if ((mask >> s & 1) && (rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
		break;
	}
	case 0xF:
	case 0x10: {
		uint32_t mask = leaf == 0xF ? r0[3] : r0[1];

		for (uint32_t s = 1; s < 32; s++)
			if ((mask >> s & 1) && (rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
		break;
	}
	case 0x12:
		if ((rc = hw__query(c, leaf, 1, r)) < 0)
			return rc;
		for (uint32_t s = 2; s < MAX_SUBLEAVES; s++) {
			if ((rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
			if (!(r[0] & 0xf))
				break;
		}
		break;
	case 0x80000020:
		for (uint32_t s = 1; s < 32; s++)
			if ((r0[1] >> s & 1) && (rc = hw__query(c, leaf, s, r)) < 0)
				return rc;
		break;
	default:
		break;
	}
	return 0;
}

/* Every leaf of the range starting at base, when its maximum is sane. */
static int hw__range(struct cpuid_data *c, uint32_t base)
{
	uint32_t r[4], max;
	int rc;

	if ((rc = hw__query(c, base, 0, r)) < 0)
		return rc;
	max = r[0];
	if (max < base || max - base >= MAX_LEAVES_PER_RANGE)
		return 0;	/* not a maximum: only the first leaf is kept */
	for (uint32_t leaf = base + 1; leaf <= max; leaf++)
		if ((rc = hw__subleaves(c, leaf)) < 0)
			return rc;
	return 0;
}

static bool hw__vendor_is(const struct cpuid_data *c, const char sig[12])
{
	const struct cpuid_leaf *l = cpuid_data_get(c, 0, 0);
	uint32_t w[3];

	if (!l)
		return false;
	w[0] = l->r[1];
	w[1] = l->r[3];
	w[2] = l->r[2];
	return __builtin_memcmp(w, sig, 12) == 0;
}

/*
 * The feature MSRs this CPU enumerates, through Linux's msr driver
 * (/dev/cpu/0/msr: root and `modprobe msr`; a hypervisor may refuse the
 * read).  Without it their bits stay unknown, which the commands say.
 * HVKIT_CPUID_MSR_DEV names another file to read them from (the tests'
 * stand-in: the MSR's 8 bytes at its index as offset).
 */
static void hw__msrs(struct cpuid_data *c)
{
	static const uint32_t msrs[] = { 0x10a, 0xcf };
	const char *dev = getenv("HVKIT_CPUID_MSR_DEV");
	_cleanup_close_ int fd = -1;

	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		uint64_t v;

		if (!cpuid_data_msr_unread(c, msrs[i]))
			continue;
		if (fd < 0)
			fd = open(dev && *dev ? dev : "/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		if (pread(fd, &v, sizeof(v), msrs[i]) == (ssize_t)sizeof(v))
			(void)cpuid_data_set_msr(c, msrs[i], v);
	}
}

/* Every range through hw__query(); the caller has set the mode. */
static int hw__read_all(struct cpuid_data *c, struct hv_diags *d)
{
	int rc;

	if ((rc = hw__range(c, 0)) < 0 || (rc = hw__range(c, 0x80000000)) < 0)
		goto fail;
	/* Hypervisor leaves: only when CPUID.1:ECX.hypervisor says so.  Xen
	 * moves its leaves up by 0x100 when Viridian takes 0x40000000. */
	if (cpuid_data_reg(c, 1, 0, CPUID_ECX) >> 31 & 1) {
		if ((rc = hw__range(c, 0x40000000)) < 0)
			goto fail;
		if (cpuid_data_reg(c, 0x40000000, 0, CPUID_EBX) == 0x7263694d && /* "Micr" */
		    (rc = hw__range(c, 0x40000100)) < 0)
			goto fail;
	}
	if (hw__vendor_is(c, "CentaurHauls") || hw__vendor_is(c, "  Shanghai  "))
		if ((rc = hw__range(c, 0xC0000000)) < 0)
			goto fail;
	return 0;
fail:
	if (rc == -EIO)
		return hv_errorf(d, "reading leaf from the kernel's cpuid device failed");
	return hv_errorf(d, "more than %d CPUID leaves", CPUID_MAX_ENTRIES);
}

int cpuid_read_host(struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	int rc;

	if (!__get_cpuid_max(0, NULL)) {
		rc = hv_errorf(d, "this CPU does not support the CPUID instruction");
		goto out;
	}
	hw__xen_pv = hw__is_xen_pv();
	if ((rc = hw__read_all(&c, d)) < 0)
		goto out;
	hw__msrs(&c);
	c.origin = xstrdup(hw__xen_pv ? "this host (a Xen PV domain: CPUID as Xen emulates it)"
				      : "this host");
	*ret = c;
	return 0;
out:
	cpuid_data_release(&c);
	return rc;
}

int cpuid_read_kernel(const char *sysroot, unsigned cpu, struct cpuid_data *ret,
		      struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	char *path = xasprintf("%s/dev/cpu/%u/cpuid", sysroot && strcmp(sysroot, "/") ? sysroot : "",
			       cpu);
	struct stat st;
	int rc;

	hw__kernel_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (hw__kernel_fd < 0) {
		rc = -errno;
		(void)hv_errorf(d, "%s: %s%s", path, strerror(errno),
				errno == ENOENT ? " (the kernel's view needs the cpuid driver: modprobe cpuid)" :
				errno == EACCES || errno == EPERM ? " (the kernel's view needs root)" : "");
		goto out;
	}
	if (fstat(hw__kernel_fd, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISREG(st.st_mode))) {
		rc = hv_errorf(d, "%s: neither the cpuid device nor a regular file", path);
		goto out;
	}
	/* Under --sysroot a dump (any format --from reads) stands in for
	 * the device: a capture keeps the kernel's view that way. */
	if (S_ISREG(st.st_mode)) {
		if ((rc = cpuid_read_file(path, &c, d)) < 0)
			goto out;
		free(c.origin);
	} else {
		hw__xen_pv = false;
		if ((rc = hw__read_all(&c, d)) < 0)
			goto out;
		hw__msrs(&c);
	}
	c.origin = xasprintf("this host, as the kernel sees it (%s)", path);
	*ret = c;
	c = (struct cpuid_data)CPUID_DATA_INIT;
	rc = 0;
out:
	if (hw__kernel_fd >= 0)
		close(hw__kernel_fd);
	hw__kernel_fd = -1;
	cpuid_data_release(&c);
	free(path);
	return rc;
}

#else

int cpuid_read_host(struct cpuid_data *ret, struct hv_diags *d)
{
	(void)ret;
	(void)hv_errorf(d, "reading this CPU needs an x86 CPU; use --from FILE");
	return -EOPNOTSUPP;
}

int cpuid_read_kernel(const char *sysroot, unsigned cpu, struct cpuid_data *ret,
		      struct hv_diags *d)
{
	(void)sysroot;
	(void)cpu;
	return cpuid_read_host(ret, d);
}

#endif
