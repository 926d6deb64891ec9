/* SPDX-License-Identifier: MIT */
/* Unit tests: memory and directory roots, links, archives. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "rootfs.h"
#include "util.h"

static struct hv_root *sample(void)
{
	struct hv_root *r = hv_root_new_mem();

	hv_root_add_file(r, "/sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n", 7);
	hv_root_add_link(r, "/sys/bus/pci/devices/0000:00:01.0",
			 "../../../devices/pci0000:00/0000:00:01.0");
	hv_root_add_link(r, "/sys/class/net/eth0",
			 "/sys/devices/pci0000:00/0000:00:01.0/net/eth0");
	hv_root_add_dir(r, "/sys/devices/pci0000:00/0000:00:01.0/net/eth0");
	hv_root_add_link(r, "/loop/a", "b");
	hv_root_add_link(r, "/loop/b", "a");
	hv_root_add_link(r, "/escape", "../../../../etc");
	hv_root_add_file(r, "/etc/x", "inside", 6);
	for (int i = 0; i < 12; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%d/online", i);
		hv_root_add_file(r, p, "1", 1);
	}
	return r;
}

static void test_mem_links(void)
{
	struct hv_root *r = sample();
	char *s = NULL;
	uint64_t v = 0;

	CHECK_INT(hv_root_read_u64(r, "/sys/bus/pci/devices/0000:00:01.0/vendor", &v), 0);
	CHECK_INT(v, 0x8086);
	CHECK_INT(hv_root_realpath(r, "/sys/class/net/eth0", &s), 0);
	CHECK_STR(s, "/sys/devices/pci0000:00/0000:00:01.0/net/eth0");
	free(s);
	CHECK_INT(hv_root_readlink(r, "/sys/bus/pci/devices/0000:00:01.0", &s), 0);
	CHECK_STR(s, "../../../devices/pci0000:00/0000:00:01.0");
	free(s);
	s = NULL;
	CHECK_INT(hv_root_read_str(r, "/loop/a", &s), -ELOOP);
	CHECK(s == NULL);
	/* ".." above the root stays at the root. */
	CHECK_INT(hv_root_read_str(r, "/escape/x", &s), 0);
	CHECK_STR(s, "inside");
	free(s);
	CHECK_INT(hv_root_read_str(r, "/nope", &s), -ENOENT);
	CHECK_INT(hv_root_read_str(r, "/etc/x/y", &s), -ENOTDIR);
	CHECK_INT(hv_root_read_str(r, "/etc", &s), -EISDIR);
	CHECK(hv_root_is_dir(r, "/sys/class/net/eth0"));
	CHECK(!hv_root_exists(r, "/sys/class/net/eth1"));

	char **names = NULL;
	size_t n = 0;
	CHECK_INT(hv_root_list(r, "/sys/devices/system/cpu", &names, &n), 0);
	CHECK_INT(n, 12);
	if (n == 12) {
		CHECK_STR(names[2], "cpu2");	/* natural order */
		CHECK_STR(names[11], "cpu11");
	}
	hv_strv_free(names, n);
	hv_root_free(r);
}

static void test_record_and_archive(void)
{
	struct hv_root *r = sample(), *rec = hv_root_new_mem(), *back;
	char tmpl[] = "/tmp/hvkit-test-XXXXXX";
	int fd = mkstemp(tmpl);
	char *s = NULL;

	close(fd);
	hv_root_record(r, rec);
	CHECK_INT(hv_root_read_str(r, "/sys/bus/pci/devices/0000:00:01.0/vendor", &s), 0);
	free(s);
	hv_root_record(r, NULL);
	/* The recording holds the link and the file at its real place. */
	CHECK_INT(hv_root_readlink(rec, "/sys/bus/pci/devices/0000:00:01.0", &s), 0);
	free(s);
	CHECK_INT(hv_root_write_archive(rec, tmpl, NULL, NULL, NULL), 0);
	back = hv_root_new_mem();
	CHECK_INT(hv_root_load_archive(back, tmpl, NULL), 0);
	CHECK_INT(hv_root_read_str(back, "/sys/bus/pci/devices/0000:00:01.0/vendor", &s), 0);
	CHECK_STR(s, "0x8086");
	free(s);
	CHECK(!hv_root_exists(back, "/etc/x"));	/* never read, not recorded */
	hv_root_free(back);

	/* Not an archive: a clear error, nothing loaded. */
	struct hv_diags d = HV_DIAGS_INIT;
	FILE *f = fopen(tmpl, "w");
	fputs("hello", f);
	fclose(f);
	back = hv_root_new_mem();
	CHECK_INT(hv_root_load_archive(back, tmpl, &d), -EINVAL);
	CHECK(d.n == 1 && d.v[0].level == HV_DIAG_ERROR);
	hv_diags_release(&d);
	hv_root_free(back);
	unlink(tmpl);
	hv_root_free(rec);
	hv_root_free(r);
}

static void test_dir_root(void)
{
	struct hv_root *r = NULL;
	char *s = NULL;

	CHECK_INT(hv_root_open_dir("/nonexistent-hvkit", &r), -ENOENT);
	CHECK_INT(hv_root_open_dir(TEST_DATA_DIR, &r), 0);
	CHECK(!hv_root_is_live(r));
	CHECK_INT(hv_root_read_str(r, "/smbios/README.md", &s), 0);
	CHECK(s && str_startswith(s, "#"));
	free(s);
	hv_root_free(r);
}

int main(void)
{
	test_mem_links();
	test_record_and_archive();
	test_dir_root();
	return CHECK_DONE();
}
