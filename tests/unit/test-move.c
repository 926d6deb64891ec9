/* SPDX-License-Identifier: MIT */
/* hvkit move: VHD geometry and checksums, footer checks, zero detection,
 * XVA digests, the progress bar's formatting, the VM model's JSON, OVA
 * manifests, kernel word sizes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "img.h"
#include "json.h"
#include "model.h"
#include "progress.h"
#include "util.h"
#include "vhd.h"
#include "ovf.h"
#include "xapi.h"
#include "xlcfg.h"
#include "xva.h"
#include "ova-mf.h"
#include "guest-disk.h"

/* The spec's CHS algorithm, at each branch and at the clamp. */
static const struct {
	const char *name;
	uint64_t sectors;
	struct vhd_geometry want;
} chs_cases[] = {
	{ "tiny: 17 spt, 4 heads", 2048, { 30, 4, 17 } },
	/* qemu-img info agrees: 1003 * 12 * 17 * 512 = 104761344 bytes */
	{ "100 MiB: 17 spt, 12 heads", 204800, { 1003, 12, 17 } },
	{ "1 GiB: 63 spt", 2097152, { 2080, 16, 63 } },
	{ "31 spt branch", 17 * 16 * 1024, { 561, 16, 31 } },
	{ "127 GiB boundary: 255 spt", 65535ull * 16 * 63, { 16191, 16, 255 } },
	{ "2 TiB: clamped", 4294967296ull, { 65535, 16, 255 } },
};

static void test_chs(void)
{
	for (size_t i = 0; i < sizeof(chs_cases) / sizeof(chs_cases[0]); i++) {
		struct vhd_geometry g = vhd_chs(chs_cases[i].sectors);
		if (g.cylinders != chs_cases[i].want.cylinders ||
		    g.heads != chs_cases[i].want.heads ||
		    g.sectors != chs_cases[i].want.sectors)
			fprintf(stderr, "chs '%s': got %u/%u/%u\n", chs_cases[i].name,
				g.cylinders, g.heads, g.sectors);
		CHECK_INT(g.cylinders, chs_cases[i].want.cylinders);
		CHECK_INT(g.heads, chs_cases[i].want.heads);
		CHECK_INT(g.sectors, chs_cases[i].want.sectors);
	}
}

static void test_footer(void)
{
	struct vhd_footer f = { .data_offset = 512, .current_size = 104857600,
				.original_size = 104857600, .disk_type = VHD_TYPE_DYNAMIC };
	struct vhd_footer back;
	struct hv_diags d = HV_DIAGS_INIT;
	uint8_t b[VHD_FOOTER_SIZE];

	memcpy(f.creator_app, "tap", 4);
	f.geom = vhd_chs(f.current_size / 512);
	vhd_footer_build(b, &f);
	CHECK(memcmp(b, "conectix", 8) == 0);
	CHECK_INT(vhd_checksum(b, sizeof(b), 64), img_be32(b + 64));
	CHECK_INT(vhd_footer_parse(b, 0, &d, &back), 0);
	CHECK_INT(back.current_size, 104857600);
	CHECK_INT(back.disk_type, VHD_TYPE_DYNAMIC);
	CHECK_INT(back.geom.cylinders, f.geom.cylinders);

	b[100] ^= 1;	/* reserved byte: checksum must notice */
	CHECK_INT(vhd_footer_parse(b, 4096, &d, &back), -EINVAL);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "offset 4096") && strstr(d.v[0].msg, "checksum"));
	hv_diags_release(&d);
	b[0] = 'x';
	CHECK_INT(vhd_footer_parse(b, 0, &d, &back), -EINVAL);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "cookie"));
	hv_diags_release(&d);
}

static void test_zero(void)
{
	static uint8_t buf[1 << 20];

	CHECK(img_is_zero(buf, sizeof(buf)));
	CHECK(img_is_zero(buf, 0));
	CHECK(img_is_zero(buf, 7));
	buf[sizeof(buf) - 1] = 1;
	CHECK(!img_is_zero(buf, sizeof(buf)));
	buf[sizeof(buf) - 1] = 0;
	buf[3] = 1;
	CHECK(!img_is_zero(buf, sizeof(buf)));
	CHECK(!img_is_zero(buf, 4));
	buf[3] = 0;
}

static void test_formats(void)
{
	enum img_format f;

	CHECK_INT(img_format_parse("vpc", &f), 0);
	CHECK_INT(f, IMG_VHD_DYNAMIC);
	CHECK_INT(img_format_parse("vhd-fixed", &f), 0);
	CHECK_INT(f, IMG_VHD_FIXED);
	CHECK_INT(img_format_parse("vmdk", &f), -EINVAL);
	CHECK_STR(img_format_name(IMG_QCOW2), "qcow2");
}

static void test_digests(void)
{
	char x[17], s[41];

	/* Reference values: xxhsum -H1 and sha1sum of "abc". */
	xva_xxh64_hex("abc", 3, x);
	CHECK_STR(x, "44bc2cf5ad770999");
	xva_sha1_hex("abc", 3, s);
	CHECK_STR(s, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_progress(void)
{
	char b[32];

	hv_progress_fmt_eta(b, sizeof(b), 65);
	CHECK_STR(b, "01:05");
	hv_progress_fmt_eta(b, sizeof(b), 3725);
	CHECK_STR(b, "1:02:05");
	hv_progress_fmt_eta(b, sizeof(b), -1);
	CHECK_STR(b, "--:--");
	hv_progress_fmt_rate(b, sizeof(b), 3.0 * 1024 * 1024);
	CHECK_STR(b, "3 MiB/s");

	/* A sparse disk's data: bytes done/total, rate, ETA, which disk; the
	 * bar shrinks to leave the last column free, then goes. */
	struct hv_progress p = { .label = "downloading", .part = 2, .parts = 3,
				 .total = 4u << 20, .done = 1u << 20 };
	char line[256];
	hv_progress_fmt_line(line, sizeof(line), &p, 1.0, 200);
	CHECK_STR(line, "downloading disk 2/3 [#######.......................]  25% 1 MiB/4 MiB 1 MiB/s ETA 00:03");
	hv_progress_fmt_line(line, sizeof(line), &p, 1.0, 70);
	CHECK_INT((int)strlen(line), 69);
	CHECK(strstr(line, "[") && strstr(line, " 25% 1 MiB/4 MiB 1 MiB/s ETA 00:03"));
	/* Narrower: fields dropped (rate, ETA, disk count, sizes), never
	 * longer than the terminal's width less one. */
	static const struct { unsigned cols; const char *want; } narrow[] = {
		{ 50, "downloading disk 2/3  25% 1 MiB/4 MiB ETA 00:03" },
		{ 40, "downloading disk 2/3  25% 1 MiB/4 MiB" },
		{ 30, "downloading  25% 1 MiB/4 MiB" },
		{ 20, "downloading  25%" },
		{ 8, " 25%" },
		{ 3, " 2" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(narrow); i++) {
		hv_progress_fmt_line(line, sizeof(line), &p, 1.0, narrow[i].cols);
		CHECK_STR(line, narrow[i].want);
	}
	for (unsigned c = 2; c < 120; c++) {
		hv_progress_fmt_line(line, sizeof(line), &p, 1.0, c);
		CHECK(strlen(line) <= c - 1);
	}
	p.parts = 0;
	p.done = 0;
	hv_progress_fmt_line(line, sizeof(line), &p, 0.0, 200);
	CHECK_STR(line, "downloading [..............................]   0% 0 B/4 MiB 0 B/s ETA --:--");
}

static void test_model_json(void)
{
	struct mv_vm vm;
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	mv_vm_init(&vm);
	vm.name = strdup("g");
	vm.vcpus = 2;
	vm.hpet = MV_ON;
	struct mv_disk *dk = mv_vm_add_disk(&vm);
	dk->vdev = strdup("xvda");
	mv_vm_add_other(&vm, "xl:cpuid", "host");
	json_init(&j, &sb, false);
	mv_vm_json(&vm, &j);
	CHECK_STR(sb.buf, "{\"name\":\"g\",\"type\":\"unknown\",\"vcpus\":2,\"hpet\":true,"
			  "\"disks\":[{\"vdev\":\"xvda\",\"kind\":\"disk\",\"readonly\":false,\"bootable\":false}],"
			  "\"nics\":[],\"other_config\":{\"xl:cpuid\":\"host\"}}");
	strbuf_release(&sb);
	mv_vm_release(&vm);
	CHECK(vm.name == NULL && vm.ndisks == 0);
}

static void test_ova_roundtrip(void)
{
	struct mv_vm vm, back;
	struct strbuf sb = STRBUF_INIT;
	struct hv_diags d = HV_DIAGS_INIT;

	mv_vm_init(&vm);
	mv_vm_init(&back);
	vm.name = strdup("a <b> & \"c\"");
	vm.memory_mib = 1024;
	vm.vcpus = 3;
	mv_vm_add_disk(&vm)->size = 5 << 20;
	xva_ova_xml(&vm, &sb, &d);
	CHECK_INT(xva_ova_parse(sb.buf, sb.len, &back, &d), 0);
	CHECK_STR(back.name, vm.name);
	CHECK_STR(back.uuid, vm.uuid);
	CHECK_INT(back.memory_mib, 1024);
	CHECK_INT(back.vcpus, 3);
	CHECK_INT(back.ndisks, 1);
	CHECK_INT(back.disks[0].size, 5 << 20);
	CHECK_STR(back.disks[0].ref, vm.disks[0].ref);
	mv_vm_release(&back);
	CHECK_INT(xva_ova_parse("<value><struct>", 15, &back, &d), -EINVAL);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "ova.xml:"));
	hv_diags_release(&d);
	mv_vm_release(&back);
	mv_vm_release(&vm);
	strbuf_release(&sb);
}

static void test_xapi_helpers(void)
{
	static const struct { const char *vdev; int ud; } ud[] = {
		{ "xvda", 0 }, { "hdc", 2 }, { "sdb", 1 }, { "xvdaa", 26 },
		{ "51712", 0 }, { "768", 0 }, { "5632", 2 }, { "eth0", -1 }, { "xvd", -1 },
	};
	for (size_t i = 0; i < sizeof(ud) / sizeof(ud[0]); i++)
		CHECK_INT(xapi_userdevice(ud[i].vdev), ud[i].ud);
	CHECK_INT(xapi_rate_bytes("10240KB/s"), 10240000);
	CHECK_INT(xapi_rate_bytes("10Mb/s@20ms"), 1250000);
	CHECK_INT(xapi_rate_bytes("fast"), 0);
}

/* An OVF and an xl.cfg written from one model read back to it. */
static void test_ovf_xlcfg(void)
{
	struct mv_vm vm, back;
	struct strbuf sb = STRBUF_INIT, cfg = STRBUF_INIT;
	struct hv_diags d = HV_DIAGS_INIT;
	char *hrefs[] = { "a.vhd" }, **got = NULL;
	uint64_t sizes[] = { 2560 };

	mv_vm_init(&vm);
	mv_vm_init(&back);
	vm.name = strdup("o;v=f%");
	vm.type = MV_GUEST_HVM;
	vm.memory_mib = 300;
	vm.vcpus = 2;
	vm.viridian = MV_ON;
	vm.on_crash = strdup("coredump-restart");
	vm.on_poweroff = strdup("preserve");	/* no XAPI value: other_config */
	struct mv_disk *dk = mv_vm_add_disk(&vm);
	dk->size = 1 << 20;
	dk->vdev = strdup("hda");
	dk->target = strdup("/x/\"y\\");
	struct mv_nic *n = mv_vm_add_nic(&vm);
	n->mac = strdup("00:16:3e:00:00:01");
	n->bridge = strdup("br;0");
	ovf_write(&vm, hrefs, sizes, &sb, &d);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "on_poweroff"));
	hv_diags_release(&d);
	CHECK_INT(ovf_parse(sb.buf, sb.len, "t.ovf", &back, &got, NULL, &d), 0);
	CHECK_STR(back.name, vm.name);
	CHECK_STR(back.uuid, vm.uuid);
	CHECK_INT(back.type, MV_GUEST_HVM);
	CHECK_INT(back.viridian, MV_ON);
	CHECK_STR(back.on_crash, "coredump-restart");
	CHECK_STR(got[0], "a.vhd");
	CHECK_INT(back.disks[0].size, 1 << 20);
	CHECK_STR(back.disks[0].target, "/x/\"y\\");
	CHECK_STR(back.nics[0].bridge, "br;0");
	/* A bridge must be an interface name; a target from the package is
	 * never written, only a file hvkit wrote (local). */
	CHECK_INT(xlcfg_write(&back, NULL, NULL, &cfg, &d), -EINVAL);
	CHECK(d.n && strstr(d.v[d.n - 1].msg, "bridge 'br;0'"));
	hv_diags_release(&d);
	free(back.nics[0].bridge);
	back.nics[0].bridge = strdup("br0");
	strbuf_reset(&cfg);
	CHECK_INT(xlcfg_write(&back, NULL, NULL, &cfg, &d), 0);
	CHECK(!strstr(cfg.buf, "target=") && d.n == 1 && strstr(d.v[0].msg, "'disk.0.target'"));
	hv_diags_release(&d);
	back.disks[0].local = true;
	strbuf_reset(&cfg);
	CHECK_INT(xlcfg_write(&back, NULL, NULL, &cfg, &d), 0);
	CHECK(strstr(cfg.buf, "on_poweroff = \"preserve\"\n") != NULL);
	CHECK(strstr(cfg.buf, "target=/x/\\\"y\\\\\" ]") != NULL);
	free(got[0]);
	free(got);
	mv_vm_release(&back);
	/* Bad input: file:line. */
	CHECK_INT(ovf_parse("<Envelope/>", 11, "t.ovf", &back, &got, NULL, &d), -EINVAL);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "t.ovf:1:"));
	hv_diags_release(&d);
	mv_vm_release(&back);
	/* A value with a line break cannot be written. */
	mv_vm_add_other(&vm, "xl:bad", "a\nb");
	strbuf_reset(&cfg);
	CHECK_INT(xlcfg_write(&vm, NULL, NULL, &cfg, &d), -EINVAL);
	hv_diags_release(&d);
	mv_vm_release(&vm);
	strbuf_release(&sb);
	strbuf_release(&cfg);
}

/* Manifest lines as ovftool and OVF 1.x/2.0 write them, and bad ones
 * with the line and reason the error gives. */
static const struct {
	const char *name, *text, *err;
	size_t n;
} mf_cases[] = {
	{ "sha256", "SHA256(a.ovf)= ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n", NULL, 1 },
	{ "sha1 crlf, spaces", "SHA1(b.vmdk) = A9993E364706816ABA3E25717850C26C9CD0D89D\r\n\n", NULL, 1 },
	{ "no final newline", "SHA1(b)= a9993e364706816aba3e25717850c26c9cd0d89d", NULL, 1 },
	{ "md5", "MD5(a)= 900150983cd24fb0d6963f7d28e17f72\n", "x.mf:1: unknown digest 'MD5'", 0 },
	{ "no parens", "\nSHA256 a.ovf = 00\n", "x.mf:2: not ALGO(file)= digest", 0 },
	{ "empty name", "SHA1()= a9993e364706816aba3e25717850c26c9cd0d89d\n", "x.mf:1: not ALGO(file)", 0 },
	{ "short", "SHA256(a)= abc\n", "x.mf:1: SHA256 digest is not 64 hex digits", 0 },
	{ "not hex", "SHA1(a)= g9993e364706816aba3e25717850c26c9cd0d89d\n", "x.mf:1: SHA1 digest is not 40 hex", 0 },
	{ "no =", "SHA1(a) a9993e364706816aba3e25717850c26c9cd0d89d\n", "x.mf:1: no '=' after", 0 },
};

static void test_manifest(void)
{
	for (size_t i = 0; i < sizeof(mf_cases) / sizeof(mf_cases[0]); i++) {
		struct hv_diags d = HV_DIAGS_INIT;
		struct ova_mf mf = { 0 };
		int rc = ova_mf_parse(mf_cases[i].text, strlen(mf_cases[i].text), "x.mf", &mf, &d);
		bool ok = rc == (mf_cases[i].err ? -EINVAL : 0) &&
			  (!mf_cases[i].err || (d.n == 1 && strstr(d.v[0].msg, mf_cases[i].err))) &&
			  (mf_cases[i].err || mf.n == mf_cases[i].n);

		if (!ok)
			fprintf(stderr, "manifest case '%s': rc %d, %s\n", mf_cases[i].name, rc,
				d.n ? d.v[0].msg : "no diagnostic");
		CHECK(ok);
		ova_mf_release(&mf);
		hv_diags_release(&d);
	}
	/* Digests of "abc" (sha256sum, sha1sum), checked case-blind; a wrong
	 * one names the member. */
	struct hv_diags d = HV_DIAGS_INIT;
	struct ova_mf mf = { 0 };
	struct mf_hash h;
	char hex[MF_HEX_MAX];
	CHECK_INT(ova_mf_parse(mf_cases[0].text, strlen(mf_cases[0].text), "x.mf", &mf, &d), 0);
	mf_hash_init(&h, MF_SHA256);
	mf_hash_update(&h, "abc", 3);
	mf_hash_hex(&h, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_INT(ova_mf_verify(ova_mf_find(&mf, "a.ovf"), hex, &d), 0);
	CHECK_INT(ova_mf_all_checked(&mf, "x.mf", &d), 0);
	CHECK_INT(ova_mf_verify(ova_mf_find(&mf, "a.ovf"), "00", &d), -EINVAL);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "'a.ovf': SHA256 digest 00"));
	CHECK(ova_mf_find(&mf, "b.ovf") == NULL);
	ova_mf_release(&mf);
	hv_diags_release(&d);
	mf_hash_init(&h, MF_SHA1);
	mf_hash_update(&h, "abc", 3);
	mf_hash_hex(&h, hex);
	CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_kernel_bits(void)
{
	uint8_t b[0x240] = { 0 };

	memcpy(b, "\177ELF\001", 5);
	CHECK_INT(guest_kernel_bits(b, sizeof(b)), 32);
	b[4] = 2;
	CHECK_INT(guest_kernel_bits(b, sizeof(b)), 64);
	CHECK_INT(guest_kernel_bits(b, 4), 0);
	memset(b, 0, sizeof(b));
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f;	/* boot protocol 2.15 */
	b[0x207] = 0x02;
	CHECK_INT(guest_kernel_bits(b, sizeof(b)), 32);
	b[0x236] = 1;		/* XLF_KERNEL_64 */
	CHECK_INT(guest_kernel_bits(b, sizeof(b)), 64);
	b[0x206] = 0x0b;	/* 2.11: no xloadflags, unknown */
	CHECK_INT(guest_kernel_bits(b, sizeof(b)), 0);
}

int main(void)
{
	test_xapi_helpers();
	test_ovf_xlcfg();
	test_chs();
	test_footer();
	test_zero();
	test_formats();
	test_digests();
	test_progress();
	test_model_json();
	test_ova_roundtrip();
	test_manifest();
	test_kernel_bits();
	return CHECK_DONE();
}
