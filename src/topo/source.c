/* SPDX-License-Identifier: MIT */
/* Turning --sysroot and --from inputs into one root for the probes. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "pcidump.h"
#include "smbios.h"
#include "source.h"
#include "strbuf.h"
#include "util.h"

#define MAX_INPUT_BYTES (256u << 20)
#define MAX_DIR_ENTRIES 2000000u

const char *source_kind_name(enum source_kind k)
{
	switch (k) {
	case SRC_ARCHIVE: return "archive";
	case SRC_SYSROOT_DIR: return "sysroot";
	case SRC_ACPI_DIR: return "acpi-tables";
	case SRC_ACPI_TABLE: return "acpi-table";
	case SRC_ACPIDUMP: return "acpidump";
	case SRC_SMBIOS_DUMP: return "dmidecode-dump";
	case SRC_SMBIOS_DIR: return "smbios-tables";
	case SRC_PCI_DUMP: return "lspci-dump";
	case SRC_CPUID_DIR: return "cpuid-dumps";
	}
	return "?";
}

static int read_file(const char *path, char **ret, size_t *len,
		     struct hv_diags *d)
{
	const char *why;
	_cleanup_close_ int fd = open_input(path, 0, &why);
	struct strbuf sb = STRBUF_INIT;

	if (fd < 0) {
		hv_errorf(d, "cannot open: %s", why);
		return fd;
	}
	for (;;) {
		strbuf_grow(&sb, 65536);
		ssize_t n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			strbuf_release(&sb);
			hv_errorf(d, "cannot read: %s", strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		sb.buf[sb.len] = 0;
		if (sb.len > MAX_INPUT_BYTES) {
			strbuf_release(&sb);
			return hv_errorf(d, "larger than %u MiB", MAX_INPUT_BYTES >> 20);
		}
	}
	*ret = strbuf_detach(&sb, len);
	return 0;
}

/* A binary ACPI table: four printable signature bytes and a length that
 * matches the file. */
static bool is_acpi_table(const unsigned char *p, size_t n)
{
	if (n < 36)
		return false;
	for (int i = 0; i < 4; i++)
		if (!isupper(p[i]) && !isdigit(p[i]) && p[i] != '_')
			return false;
	uint32_t len = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		       (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
	return len == n;
}

/* Adds an ACPI table under the name Linux gives it (SSDT, SSDT2, ...). */
/* Copies the messages of a check that failed (the probe will not run). */
static void forward_diags(struct hv_diags *d, const struct hv_diags *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (from->v[i].level == HV_DIAG_ERROR)
			hv_errorf(d, "%s", from->v[i].msg);
		else
			hv_warnf(d, "%s", from->v[i].msg);
}

/*
 * Parses a table hvkit reads (SRAT, SLIT, MCFG, APIC, HMAT) now, so that
 * one nothing can be read from fails naming its file; its warnings come
 * when the probe reads it.  Returns 0 or the parser's error, in d.
 */
static int check_acpi_table(const char *sig, const uint8_t *p, size_t n,
			    struct hv_diags *d)
{
	struct hv_diags local = HV_DIAGS_INIT;
	int rc = 0;

#define CHECK_TABLE(name, type, parse, release)			\
	if (strcmp(sig, name) == 0) {					\
		struct type t = { 0 };					\
		rc = parse(p, n, &t, &local);				\
		release(&t);						\
	}
	CHECK_TABLE("SRAT", acpi_srat, acpi_parse_srat, acpi_srat_release)
	CHECK_TABLE("SLIT", acpi_slit, acpi_parse_slit, acpi_slit_release)
	CHECK_TABLE("MCFG", acpi_mcfg, acpi_parse_mcfg, acpi_mcfg_release)
	CHECK_TABLE("APIC", acpi_madt, acpi_parse_madt, acpi_madt_release)
	CHECK_TABLE("HMAT", acpi_hmat, acpi_parse_hmat, acpi_hmat_release)
#undef CHECK_TABLE
	if (rc < 0)
		forward_diags(d, &local);
	hv_diags_release(&local);
	return rc;
}

static int add_acpi_table(struct hv_root *mem, const uint8_t *p, size_t n,
			  struct hv_diags *d)
{
	char sig[5], path[96];
	int rc;

	memcpy(sig, p, 4);
	sig[4] = 0;
	snprintf(path, sizeof(path), "/sys/firmware/acpi/tables/%s", sig);
	for (int i = 2; hv_root_exists(mem, path) && i < 1000; i++)
		snprintf(path, sizeof(path), "/sys/firmware/acpi/tables/%s%d",
			 sig, i);
	rc = check_acpi_table(sig, p, n, d);
	return rc < 0 ? rc : hv_root_add_file(mem, path, p, n);
}

static int add_smbios_dump(struct hv_root *mem, const uint8_t *p, size_t n,
			   struct hv_diags *d)
{
	struct smbios_ep ep;
	size_t eplen;
	struct smbios_info info;
	struct hv_diags local = HV_DIAGS_INIT;
	int rc = smbios_parse_dump(p, n, &info, &local);

	/*
	 * A table nothing can be read from fails here, naming the file and
	 * the file offset; warnings come when the probe reads it.
	 */
	smbios_info_release(&info);
	if (rc < 0)
		forward_diags(d, &local);
	hv_diags_release(&local);
	if (rc < 0)
		return rc;
	rc = smbios_parse_entry_point(p, n, &ep, NULL);
	if (rc < 0)
		return rc;
	eplen = ep.is_64bit ? 24 : (n > 5 && p[5] >= 0x1e ? p[5] : 0x1f);
	if (ep.table_addr >= n)
		return hv_errorf(d, "table address 0x%llx is past the end of the file (%zu bytes)",
				 (unsigned long long)ep.table_addr, n);
	size_t tlen = n - (size_t)ep.table_addr;
	if (ep.table_len && ep.table_len < tlen)
		tlen = ep.table_len;
	rc = hv_root_add_file(mem, "/sys/firmware/dmi/tables/smbios_entry_point",
			      p, eplen < n ? eplen : n);
	if (rc == 0)
		rc = hv_root_add_file(mem, "/sys/firmware/dmi/tables/DMI",
				      p + ep.table_addr, tlen);
	return rc;
}

static int add_pci_dump(struct hv_root *mem, const char *text, size_t n,
			struct hv_diags *d)
{
	struct pcidump dump = { 0 };
	int rc = pcidump_parse(text, n, &dump, d);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < dump.n && rc == 0; i++) {
		const struct pcidump_dev *dev = &dump.v[i];
		char path[128];

		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%04x:%02x:%02x.%x/config",
			 dev->domain, dev->bus, dev->dev, dev->func);
		rc = hv_root_add_file(mem, path, dev->cfg, dev->len);
	}
	pcidump_release(&dump);
	return rc;
}

/* Copies a directory tree into mem below prefix (bounded). */
static int import_dir(struct hv_root *mem, const char *host, const char *prefix,
		      unsigned *count, struct hv_diags *d)
{
	DIR *dir = opendir(host);
	struct dirent *de;
	int rc = 0;

	if (!dir)
		return hv_errorf(d, "cannot open directory '%s': %s", host,
				 strerror(errno));
	(void)hv_root_add_dir(mem, prefix[0] ? prefix : "/");
	while (rc == 0 && (de = readdir(dir))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*count > MAX_DIR_ENTRIES) {
			rc = hv_errorf(d, "more than %u entries", MAX_DIR_ENTRIES);
			break;
		}
		_cleanup_free_ char *hp = xasprintf("%s/%s", host, de->d_name);
		_cleanup_free_ char *mp = xasprintf("%s/%s", prefix, de->d_name);
		if (lstat(hp, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t l = readlink(hp, buf, sizeof(buf) - 1);

			if (l >= 0) {
				buf[l] = 0;
				rc = hv_root_add_link(mem, mp, buf);
			}
		} else if (S_ISDIR(st.st_mode)) {
			rc = import_dir(mem, hp, mp, count, d);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;

			if (read_file(hp, &data, &len, NULL) == 0) {
				rc = hv_root_add_file(mem, mp, data, len);
				free(data);
			}
		}
	}
	closedir(dir);
	return rc;
}

static int add_dir(struct hv_root *mem, const char *path,
		   enum source_kind *kind, struct hv_diags *d)
{
	_cleanup_free_ char *sys = xasprintf("%s/sys", path);
	_cleanup_free_ char *proc = xasprintf("%s/proc", path);
	_cleanup_free_ char *ep = xasprintf("%s/smbios_entry_point", path);
	_cleanup_free_ char *dmi = xasprintf("%s/DMI", path);
	_cleanup_free_ char *hwcpuid = xasprintf("%s/hwloc-cpuid-info", path);
	_cleanup_free_ char *pu0 = xasprintf("%s/pu0", path);
	struct stat st;
	unsigned count = 0;
	int rc = 0;

	if (stat(sys, &st) == 0 || stat(proc, &st) == 0) {
		*kind = SRC_SYSROOT_DIR;
		return import_dir(mem, path, "", &count, d);
	}
	if (stat(ep, &st) == 0 && stat(dmi, &st) == 0) {
		char *a = NULL, *b = NULL;
		size_t al = 0, bl = 0;

		*kind = SRC_SMBIOS_DIR;
		rc = read_file(ep, &a, &al, d);
		if (rc == 0)
			rc = read_file(dmi, &b, &bl, d);
		if (rc == 0)
			rc = hv_root_add_file(mem, "/sys/firmware/dmi/tables/smbios_entry_point", a, al);
		if (rc == 0)
			rc = hv_root_add_file(mem, "/sys/firmware/dmi/tables/DMI", b, bl);
		free(a);
		free(b);
		return rc;
	}
	if (stat(hwcpuid, &st) == 0 || stat(pu0, &st) == 0) {
		/* hwloc-gather-cpuid: one puN file per CPU, read by probe_cpuid() */
		*kind = SRC_CPUID_DIR;
		return import_dir(mem, path, "/hvkit/cpuid", &count, d);
	}
	/* Otherwise: binary ACPI tables (FACP, SRAT, srat.dat, ...). */
	DIR *dir = opendir(path);
	struct dirent *de;
	unsigned tables = 0;

	if (!dir)
		return hv_errorf(d, "cannot open directory: %s", strerror(errno));
	*kind = SRC_ACPI_DIR;
	while (rc == 0 && (de = readdir(dir))) {
		_cleanup_free_ char *fp = xasprintf("%s/%s", path, de->d_name);
		char *data = NULL;
		size_t len = 0;

		if (de->d_name[0] == '.' || stat(fp, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (read_file(fp, &data, &len, NULL) < 0)
			continue;
		if (is_acpi_table((unsigned char *)data, len)) {
			struct hv_diags ld = HV_DIAGS_INIT;

			rc = add_acpi_table(mem, (uint8_t *)data, len, &ld);
			for (size_t i = 0; rc < 0 && i < ld.n; i++)
				(ld.v[i].level == HV_DIAG_ERROR ? hv_errorf : hv_warnf)(
					d, "%s: %s", de->d_name, ld.v[i].msg);
			hv_diags_release(&ld);
			tables++;
		}
		free(data);
	}
	closedir(dir);
	if (rc == 0 && !tables)
		return hv_errorf(d, "directory holds no sysfs tree, SMBIOS tables or ACPI tables");
	return rc;
}

int source_add(struct hv_root *mem, const char *path, enum source_kind *kind,
	       struct hv_diags *d)
{
	struct stat st;
	char *data = NULL;
	size_t n = 0;
	int rc;

	if (strcmp(path, "-") != 0 && stat(path, &st) < 0) {
		int e = errno;

		hv_errorf(d, "cannot open: %s", strerror(e));
		return -e;
	}
	if (strcmp(path, "-") != 0 && S_ISDIR(st.st_mode))
		return add_dir(mem, path, kind, d);
	rc = read_file(path, &data, &n, d);
	if (rc < 0)
		return rc;
	const unsigned char *u = (const unsigned char *)data;
	if (n == 0) {
		rc = hv_errorf(d, "empty file");
	} else if (hv_is_archive(u, n)) {
		*kind = SRC_ARCHIVE;
		/* standard input can be read only once: from the bytes read */
		rc = strcmp(path, "-") == 0
			     ? hv_root_load_archive_mem(mem, data, n, d)
			     : hv_root_load_archive(mem, path, d);
	} else if (n >= 4 && (memcmp(u, "_SM_", 4) == 0 ||
			      (n >= 5 && memcmp(u, "_SM3_", 5) == 0))) {
		*kind = SRC_SMBIOS_DUMP;
		rc = add_smbios_dump(mem, (const uint8_t *)data, n, d);
	} else if (is_acpi_table(u, n)) {
		*kind = SRC_ACPI_TABLE;
		rc = add_acpi_table(mem, (const uint8_t *)data, n, d);
	} else if (pcidump_sniff(data, n)) {
		*kind = SRC_PCI_DUMP;
		rc = add_pci_dump(mem, data, n, d);
	} else if (strstr(data, " @ 0x")) {
		struct acpi_tables tables = { 0 };

		*kind = SRC_ACPIDUMP;
		rc = acpi_parse_acpidump_text(data, n, &tables, d);
		for (size_t i = 0; rc == 0 && i < tables.n; i++)
			rc = add_acpi_table(mem, tables.v[i].data, tables.v[i].len, d);
		acpi_tables_release(&tables);
	} else {
		rc = hv_errorf(d, "not a format hvkit reads (expected an archive, acpidump text, ACPI table, dmidecode --dump-bin or lspci -x dump)");
	}
	free(data);
	return rc;
}
