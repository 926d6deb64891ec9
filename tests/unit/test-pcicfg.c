/* SPDX-License-Identifier: MIT */
/* Tests of pcicfg (config space decoder), pcidump (lspci -x reader) and pcinames. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "pcicfg.h"
#include "pcidump.h"
#include "pcinames.h"

/*
 * Expected values are what `lspci -F FILE -vv` and `lspci -F FILE -tv`
 * (pciutils 3.9.0) print for the fixtures in tests/data/pciutils.
 */

struct dump {
	struct pcidump p;
	struct hv_diags d;
	int rc;
};

static void dump_load(struct dump *t, const char *name)
{
	char path[512];
	unsigned char *text;
	size_t len = 0;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "%s/pciutils/%s", TEST_DATA_DIR, name);
	text = check_slurp(path, &len);
	CHECK(text != NULL);
	if (!text) {
		t->rc = -ENOENT;
		return;
	}
	CHECK(pcidump_sniff((const char *)text, len));
	t->rc = pcidump_parse((const char *)text, len, &t->p, &t->d);
	CHECK_INT(t->rc, 0);
	CHECK_INT(t->d.n, 0);
	free(text);
}

static void dump_release(struct dump *t)
{
	pcidump_release(&t->p);
	hv_diags_release(&t->d);
}

/* Decodes the device at dom:bus:dev.fn; false (and a failed check) when absent. */
static bool dump_decode(struct dump *t, unsigned dom, unsigned bus,
			unsigned dev, unsigned fn, struct pcicfg *c)
{
	struct hv_diags d = HV_DIAGS_INIT;
	int rc;

	for (size_t i = 0; i < t->p.n; i++) {
		struct pcidump_dev *v = &t->p.v[i];

		if (v->domain != dom || v->bus != bus || v->dev != dev ||
		    v->func != fn)
			continue;
		rc = pcicfg_decode(v->cfg, v->len, c, &d);
		CHECK_INT(rc, 0);
		CHECK_INT(d.n, 0);
		hv_diags_release(&d);
		return rc == 0;
	}
	fprintf(stderr, "device %04x:%02x:%02x.%u not in dump\n", dom, bus, dev, fn);
	CHECK(0);
	return false;
}

/* A device and the values lspci -vv prints for it. */
struct exp_dev {
	const char *file;
	unsigned bus, dev, fn;
	const char *port;		/* "Express (vN) <port>", NULL: no PCIe */
	unsigned version;
	double cap_gts, sta_gts;	/* LnkCap / LnkSta speed */
	unsigned cap_w, sta_w;		/* width */
	unsigned mps_cap, mps, mrrs;	/* DevCap MaxPayload; DevCtl MaxPayload, MaxReadReq */
	bool aer, acs, ari, sriov, l1ss, flit;
	unsigned sec, sub;		/* bridges: secondary, subordinate; 0: none */
};

static const struct exp_dev exp_devs[] = {
	/* tree-asus-p6t6: every bridge, root port, switch port and endpoint link */
	{ "tree-asus-p6t6", 0x00, 0x00, 0, "Root Port", 2, 2.5, 2.5, 4, 4, 128, 128, 128, .aer = true, .acs = true },
	{ "tree-asus-p6t6", 0x00, 0x01, 0, "Root Port", 2, 5, 2.5, 4, 0, 256, 128, 128, .aer = true, .acs = true, .sec = 0x01, .sub = 0x01 },
	{ "tree-asus-p6t6", 0x00, 0x03, 0, "Root Port", 2, 5, 5, 16, 16, 256, 128, 128, .aer = true, .acs = true, .sec = 0x02, .sub = 0x05 },
	{ "tree-asus-p6t6", 0x00, 0x07, 0, "Root Port", 2, 5, 2.5, 16, 16, 256, 128, 128, .aer = true, .acs = true, .sec = 0x06, .sub = 0x06 },
	{ "tree-asus-p6t6", 0x00, 0x14, 0, "Root Complex Integrated Endpoint", 2, 0, 0, 0, 0, 128, 128, 128, .aer = false },
	{ "tree-asus-p6t6", 0x00, 0x1c, 0, "Root Port", 1, 2.5, 2.5, 1, 0, 128, 128, 128, .sec = 0x09, .sub = 0x09 },
	{ "tree-asus-p6t6", 0x00, 0x1c, 1, "Root Port", 1, 2.5, 2.5, 1, 1, 128, 128, 128, .sec = 0x08, .sub = 0x08 },
	{ "tree-asus-p6t6", 0x00, 0x1c, 2, "Root Port", 1, 2.5, 2.5, 1, 1, 128, 128, 128, .sec = 0x07, .sub = 0x07 },
	{ "tree-asus-p6t6", 0x00, 0x1e, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, .sec = 0x0a, .sub = 0x0a },
	{ "tree-asus-p6t6", 0x02, 0x00, 0, "Upstream Port", 2, 5, 5, 16, 16, 128, 128, 128, .sec = 0x03, .sub = 0x05 },
	{ "tree-asus-p6t6", 0x03, 0x00, 0, "Downstream Port", 2, 5, 5, 16, 8, 128, 128, 128, .sec = 0x04, .sub = 0x04 },
	{ "tree-asus-p6t6", 0x03, 0x02, 0, "Downstream Port", 2, 5, 2.5, 16, 16, 128, 128, 128, .sec = 0x05, .sub = 0x05 },
	{ "tree-asus-p6t6", 0x04, 0x00, 0, "Endpoint", 2, 5, 5, 8, 8, 4096, 128, 512, .aer = true },
	{ "tree-asus-p6t6", 0x06, 0x00, 1, "Endpoint", 2, 2.5, 2.5, 16, 16, 128, 128, 512, .aer = false },
	{ "tree-asus-p6t6", 0x07, 0x00, 0, "Endpoint", 1, 2.5, 2.5, 1, 1, 256, 128, 4096, .aer = true },
	/* cap-* fixtures */
	{ "cap-pcie-1", 0x00, 0x01, 0, "Root Port", 2, 5, 2.5, 4, 4, 256, 256, 128, .aer = true, .acs = true, .sec = 0x01, .sub = 0x01 },
	{ "cap-pcie-2", 0x01, 0x00, 0, "Endpoint", 2, 2.5, 2.5, 4, 4, 512, 256, 512, .aer = true, .ari = true, .sriov = true },
	{ "cap-aer-root", 0x00, 0x02, 0, "Root Port", 2, 8, 8, 8, 8, 256, 256, 128, .aer = true, .acs = true, .sec = 0x03, .sub = 0x03 },
	{ "cap-aer-root", 0x03, 0x00, 0, "Endpoint", 2, 8, 8, 8, 8, 256, 256, 512, .aer = true, .ari = true },
	{ "cap-exp-lnkcap2", 0x00, 0x1c, 0, "Root Port", 2, 8, 8, 4, 4, 256, 256, 128, .aer = true, .acs = true, .l1ss = true, .sec = 0x02, .sub = 0x02 },
	{ "cap-exp-lnkcap2", 0x02, 0x00, 0, "Endpoint", 2, 8, 8, 4, 4, 256, 256, 512, .aer = true, .l1ss = true },
	/* LnkCap says 2.5GT/s though LnkCap2 lists 2.5-8GT/s: lspci prints LnkCap */
	{ "cap-exp-lnkcap2", 0x08, 0x00, 0, "Downstream Port", 2, 2.5, 2.5, 4, 4, 128, 128, 512, .aer = true, .sec = 0x09, .sub = 0x09 },
	{ "cap-flitmode", 0x01, 0x00, 0, "Endpoint", 2, 8, 8, 4, 4, 128, 128, 512, .aer = true, .l1ss = true, .flit = true },
	{ "cap-phy32", 0x2e, 0x00, 0, "Endpoint", 2, 32, 16, 2, 2, 512, 256, 256, .aer = true, .ari = true, .sriov = true },
};

static void test_devices(void)
{
	for (size_t i = 0; i < sizeof(exp_devs) / sizeof(exp_devs[0]); i++) {
		const struct exp_dev *e = &exp_devs[i];
		struct dump t;
		struct pcicfg c;

		dump_load(&t, e->file);
		if (!t.rc && dump_decode(&t, 0, e->bus, e->dev, e->fn, &c)) {
			fprintf(stderr, "# %s %02x:%02x.%u\n", e->file, e->bus, e->dev, e->fn);
			CHECK_INT(c.has_pcie, e->port != NULL);
			if (e->port) {
				CHECK_STR(c.port_type_name, e->port);
				CHECK_INT(c.pcie_version, e->version);
			}
			CHECK(c.link_cap.speed_gts == e->cap_gts);
			CHECK(c.link_sta.speed_gts == e->sta_gts);
			CHECK_INT(c.link_cap.width, e->cap_w);
			CHECK_INT(c.link_sta.width, e->sta_w);
			CHECK_INT(c.max_payload_cap, e->mps_cap);
			CHECK_INT(c.max_payload, e->mps);
			CHECK_INT(c.max_read_req, e->mrrs);
			CHECK_INT(c.has_aer, e->aer);
			CHECK_INT(c.has_acs, e->acs);
			CHECK_INT(c.has_ari, e->ari);
			CHECK_INT(c.has_sriov, e->sriov);
			CHECK_INT(c.has_l1ss, e->l1ss);
			CHECK_INT(c.link_flit, e->flit);
			CHECK_INT(c.is_bridge, e->sec != 0);
			if (e->sec) {
				CHECK_INT(c.primary_bus, e->bus);
				CHECK_INT(c.secondary_bus, e->sec);
				CHECK_INT(c.subordinate_bus, e->sub);
			}
		}
		dump_release(&t);
	}
}

static void test_tree(void)
{
	struct dump t;
	struct pcicfg c;
	unsigned bridges = 0, pcie = 0, full = 0;

	dump_load(&t, "tree-asus-p6t6");
	CHECK_INT(t.p.n, 53);
	for (size_t i = 0; i < t.p.n; i++) {
		struct hv_diags d = HV_DIAGS_INIT;

		CHECK(t.p.v[i].len == 256 || t.p.v[i].len == 4096);
		full += t.p.v[i].len == 4096;
		CHECK_INT(pcicfg_decode(t.p.v[i].cfg, t.p.v[i].len, &c, &d), 0);
		CHECK_INT(d.n, 0);
		bridges += c.is_bridge;
		pcie += c.has_pcie;
		hv_diags_release(&d);
	}
	CHECK_INT(bridges, 10);
	CHECK_INT(pcie, 19);
	CHECK_INT(full, 19);
	CHECK_STR(t.p.v[0].text, "Host bridge: Intel Corporation 5520/5500/X58 I/O Hub to ESI Port (rev 12)");
	CHECK_INT(t.p.v[52].bus, 0xff);
	CHECK_INT(t.p.v[52].dev, 0x06);
	CHECK_INT(t.p.v[52].func, 3);

	/* 06:00.0: the GT218 (multi-function: 06:00.1 is its audio) */
	if (dump_decode(&t, 0, 0x06, 0, 0, &c)) {
		CHECK_INT(c.vendor, 0x10de);
		CHECK_INT(c.device, 0x0a65);
		CHECK_INT(c.class_code, 0x030000);
		CHECK_INT(c.revision, 0xa2);
		CHECK(c.multifunction);
		CHECK_INT(c.header_type, 0);
		CHECK(c.has_msi && c.has_pm && !c.has_msix);
	}
	dump_release(&t);
}

static void test_sriov(void)
{
	struct dump t;
	struct pcicfg c;

	/* "Initial VFs: 8, Total VFs: 8, Number of VFs: 1 ... Device ID: 10ca" */
	dump_load(&t, "cap-pcie-2");
	if (dump_decode(&t, 0, 1, 0, 0, &c)) {
		CHECK_INT(c.sriov_initial_vfs, 8);
		CHECK_INT(c.sriov_total_vfs, 8);
		CHECK_INT(c.sriov_num_vfs, 1);
		CHECK_INT(c.sriov_vf_offset, 0x180);
		CHECK_INT(c.sriov_vf_stride, 2);
		CHECK_INT(c.sriov_vf_device, 0x10ca);
		CHECK_INT(c.ncaps, 4);
		CHECK_INT(c.necaps, 4);
	}
	dump_release(&t);

	dump_load(&t, "cap-phy32");
	if (dump_decode(&t, 0, 0x2e, 0, 0, &c)) {
		CHECK_INT(c.sriov_total_vfs, 64);
		CHECK_INT(c.sriov_num_vfs, 0);
		CHECK_INT(c.sriov_vf_device, 0xa826);
		CHECK_INT(c.necaps, 9);
	}
	dump_release(&t);

	/* Flit Mode Supported in the PCIe flags, FlitMode+ in LnkSta2 */
	dump_load(&t, "cap-flitmode");
	if (dump_decode(&t, 0, 1, 0, 0, &c)) {
		CHECK(c.flit_cap);
		CHECK(c.link_flit);
		CHECK_INT(c.link_speeds, 0x07);
	}
	dump_release(&t);
}

static void test_domains(void)
{
	struct dump t;
	struct pcicfg c;

	/* lspci -D style addresses */
	dump_load(&t, "PCI-X-bridges-and-domains");
	CHECK_INT(t.p.n, 31);
	CHECK_INT(t.p.v[0].domain, 0);
	CHECK_INT(t.p.v[2].domain, 1);
	CHECK_INT(t.p.v[2].dev, 2);
	CHECK_INT(t.p.v[30].domain, 4);
	CHECK_INT(t.p.v[30].bus, 1);
	CHECK_INT(t.p.v[30].dev, 1);
	if (dump_decode(&t, 1, 0, 2, 2, &c)) {
		CHECK(c.is_bridge);
		CHECK(c.has_pcix);
		CHECK_INT(c.secondary_bus, 0x21);
		CHECK_INT(c.subordinate_bus, 0x30);
	}
	dump_release(&t);
}

static void test_names(void)
{
	struct pcinames *n = pcinames_new();
	char buf[256], tiny[5];

	CHECK(n != NULL);
	/* lspci -F tree-asus-p6t6: "04:00.0 Serial Attached SCSI controller: Broadcom / LSI SAS2008 ..." */
	CHECK_STR(pcinames_vendor(n, buf, sizeof(buf), 0x1000), "Broadcom / LSI");
	CHECK_STR(pcinames_device(n, buf, sizeof(buf), 0x1000, 0x0072),
		  "SAS2008 PCI-Express Fusion-MPT SAS-2 [Falcon]");
	/* "00:00.0 Host bridge: Intel Corporation 5520/5500/X58 I/O Hub to ESI Port" */
	CHECK_STR(pcinames_vendor(n, buf, sizeof(buf), 0x8086), "Intel Corporation");
	CHECK_STR(pcinames_device(n, buf, sizeof(buf), 0x8086, 0x3405),
		  "5520/5500/X58 I/O Hub to ESI Port");
	CHECK_STR(pcinames_class(n, buf, sizeof(buf), 0x060000), "Host bridge");
	CHECK_STR(pcinames_class(n, buf, sizeof(buf), 0x060400), "PCI bridge");
	CHECK_STR(pcinames_class(n, buf, sizeof(buf), 0x020000), "Ethernet controller");
	/* lspci -F cap-pcie-2 */
	CHECK_STR(pcinames_device(n, buf, sizeof(buf), 0x8086, 0x10c9),
		  "82576 Gigabit Network Connection");
	/* unknown IDs fall back to hex; libpci shortens long names with "..." */
	CHECK_STR(pcinames_device(n, buf, sizeof(buf), 0x8086, 0xfff0), "fff0");
	CHECK_STR(pcinames_vendor(n, buf, sizeof(buf), 0xabce), "abce");
	CHECK_STR(pcinames_vendor(n, tiny, sizeof(tiny), 0x8086), "I...");
	CHECK_STR(pcinames_class(NULL, buf, sizeof(buf), 0x020000), "0200");
	CHECK(pcinames_free(n) == NULL);
	CHECK(pcinames_free(NULL) == NULL);
}

/* A type 0 endpoint with a capability list at 0x40. */
static void cfg_init(uint8_t *cfg, size_t len)
{
	memset(cfg, 0, len);
	cfg[0x00] = 0x86;
	cfg[0x01] = 0x80;
	cfg[0x06] = 0x10;	/* status: capability list */
	cfg[0x34] = 0x40;
}

static bool diag_has(const struct hv_diags *d, enum hv_diag_level level,
		     const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].level == level && !strcmp(d->v[i].msg, msg))
			return true;
	fprintf(stderr, "missing diagnostic \"%s\"; have:\n", msg);
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  %s\n", d->v[i].msg);
	return false;
}

static void test_cfg_errors(void)
{
	uint8_t cfg[4096];
	struct hv_diags d = HV_DIAGS_INIT;
	struct pcicfg c, untouched;

	/* truncated: fewer than 64 bytes, *ret left alone */
	cfg_init(cfg, sizeof(cfg));
	memset(&c, 0xa5, sizeof(c));
	untouched = c;
	CHECK_INT(pcicfg_decode(cfg, 40, &c, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "config space too short: 40 bytes, need at least 64"));
	CHECK(!memcmp(&c, &untouched, sizeof(c)));
	CHECK_INT(pcicfg_decode(NULL, 0, &c, NULL), -EINVAL);
	hv_diags_release(&d);

	/* 64 bytes (lspci -x): the capability at 0x40 is not there */
	CHECK_INT(pcicfg_decode(cfg, 64, &c, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(c.vendor, 0x8086);
	CHECK_INT(c.ncaps, 0);
	CHECK(c.caps_truncated);

	/* a capability pointing at itself */
	cfg[0x40] = 0x01;	/* PM */
	cfg[0x41] = 0x40;
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.ncaps, 1);
	CHECK(c.has_pm);
	CHECK(diag_has(&d, HV_DIAG_WARN, "capability list loops back to 0x40 at 0x41, ignoring the rest of the list"));
	hv_diags_release(&d);

	/* a longer loop: 0x40 -> 0x50 -> 0x40 */
	cfg[0x41] = 0x50;
	cfg[0x50] = 0x05;	/* MSI */
	cfg[0x51] = 0x42;	/* low bits are masked: 0x40 */
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.ncaps, 2);
	CHECK(c.has_msi);
	CHECK(diag_has(&d, HV_DIAG_WARN, "capability list loops back to 0x40 at 0x51, ignoring the rest of the list"));
	hv_diags_release(&d);

	/* a pointer into the header */
	cfg[0x51] = 0x20;
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.ncaps, 2);
	CHECK(diag_has(&d, HV_DIAG_WARN, "capability pointer 0x20 at 0x51 is below 0x40, ignoring the rest of the list"));
	hv_diags_release(&d);
	cfg[0x34] = 0x3c;
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.ncaps, 0);
	CHECK(diag_has(&d, HV_DIAG_WARN, "capability pointer 0x3c at 0x34 is below 0x40, ignoring the rest of the list"));
	hv_diags_release(&d);

	/* PCIe endpoint with an extended list that loops, then one that points low */
	cfg_init(cfg, sizeof(cfg));
	cfg[0x40] = 0x10;	/* PCI Express, v2 endpoint */
	cfg[0x42] = 0x02;
	cfg[0x4c] = 0x43;	/* LnkCap: 8GT/s x4 */
	cfg[0x52] = 0x42;	/* LnkSta: 5GT/s x4 */
	cfg[0x100] = 0x01;	/* AER v1, next 0x140 */
	cfg[0x102] = 0x01;
	cfg[0x103] = 0x14;
	cfg[0x140] = 0x0d;	/* ACS, next 0x100 */
	cfg[0x142] = 0x01;
	cfg[0x143] = 0x10;
	CHECK_INT(pcicfg_decode(cfg, 4096, &c, &d), 0);
	CHECK(c.has_pcie && c.has_aer && c.has_acs);
	CHECK_STR(c.port_type_name, "Endpoint");
	CHECK(c.link_cap.speed_gts == 8 && c.link_cap.width == 4);
	CHECK(c.link_sta.speed_gts == 5 && c.link_sta.width == 4);
	CHECK_INT(c.necaps, 2);
	CHECK(diag_has(&d, HV_DIAG_WARN, "extended capability list loops back to 0x100 at 0x142, ignoring the rest of the list"));
	hv_diags_release(&d);
	cfg[0x143] = 0x08;	/* next 0x080 */
	CHECK_INT(pcicfg_decode(cfg, 4096, &c, &d), 0);
	CHECK_INT(c.necaps, 2);
	CHECK(diag_has(&d, HV_DIAG_WARN, "extended capability pointer 0x080 at 0x142 is below 0x100, ignoring the rest of the list"));
	hv_diags_release(&d);
	/* 256 bytes: no extended list at all */
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.necaps, 0);
	CHECK_INT(d.n, 0);

	/* unknown header type */
	cfg[0x0e] = 0x85;
	CHECK_INT(pcicfg_decode(cfg, 256, &c, &d), 0);
	CHECK_INT(c.header_type, 5);
	CHECK(c.multifunction);
	CHECK_INT(c.ncaps, 0);
	CHECK(diag_has(&d, HV_DIAG_WARN, "unknown header type 0x05 at 0x0e, ignoring capabilities"));
	hv_diags_release(&d);

	CHECK(pci_speed_gts(1) == 2.5);
	CHECK(pci_speed_gts(6) == 64);
	CHECK(pci_speed_gts(0) == 0);
	CHECK(pci_speed_gts(7) == 128);	/* PCIe 7.0 */
	CHECK(pci_speed_gts(8) == 0);	/* reserved */
	CHECK(pci_speed_gts(15) == 0);
}

static int parse_str(const char *s, struct pcidump *p, struct hv_diags *d)
{
	return pcidump_parse(s, strlen(s), p, d);
}

static void test_dump_errors(void)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct pcidump p = { 0 };

	CHECK_INT(pcidump_parse("", 0, &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "no devices with config bytes in 0 lines"));
	CHECK_INT(p.n, 0);
	hv_diags_release(&d);
	CHECK_INT(pcidump_parse(NULL, 5, &p, NULL), -EINVAL);

	CHECK_INT(parse_str("00:00.0 Host bridge\n00: 86 80 05 34\n10: 00 0g\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 3: bad hex byte '0g' at offset 0x11"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:00.0 x\n00: 86 80\n10: 00\n10: 01\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 4: offset 0x10 does not follow 0x10"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:00.0 x\n10: 86 80\n00: 00\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 3: offset 0x0 does not follow 0x10"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:00.0 x\n08: 86 80\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 2: offset 0x8 is not a multiple of 16"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:00.0 x\nff0: 00\nfff: 00\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 3: offset 0xfff is not a multiple of 16"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:00.0 x\n00: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 2: more than 16 bytes after offset 0x0"));
	hv_diags_release(&d);

	CHECK_INT(parse_str("00:20.0 x\n00: 00\n", &p, &d), -EINVAL);
	CHECK(diag_has(&d, HV_DIAG_ERROR, "line 1: bad device address '00:20.0'"));
	hv_diags_release(&d);

	/* warnings: a device without bytes, bytes after a blank line */
	CHECK_INT(parse_str("junk before\n00:01.0 a\n\n00:02.0 b\r\n00: 86 80\r\n\n10: 00\n", &p, &d), 0);
	CHECK_INT(p.n, 1);
	CHECK_INT(p.v[0].dev, 2);
	CHECK_INT(p.v[0].len, 2);
	CHECK_STR(p.v[0].text, "b");
	CHECK(diag_has(&d, HV_DIAG_WARN, "line 2: device 0000:00:01.0 has no config bytes, ignoring"));
	CHECK(diag_has(&d, HV_DIAG_WARN, "line 7: hex bytes outside a device, ignoring"));
	pcidump_release(&p);
	pcidump_release(&p);
	pcidump_release(NULL);
	hv_diags_release(&d);

	/* -vv text between the address and the bytes; a gap in the offsets; no text */
	CHECK_INT(parse_str("0001:02:03.4\n\tControl: I/O+\n00: 86 80\n100: aa\n", &p, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(p.n, 1);
	CHECK(p.v[0].domain == 1 && p.v[0].bus == 2 && p.v[0].dev == 3 && p.v[0].func == 4);
	CHECK(p.v[0].text == NULL);
	CHECK_INT(p.v[0].len, 0x101);
	CHECK(p.v[0].cfg[0x10] == 0 && p.v[0].cfg[0x100] == 0xaa);
	pcidump_release(&p);

	CHECK(pcidump_sniff("00:00.0 x\n00: 86 80 05 34 00 00 10 00 12 00 00 06 00 00 00 00\n", 62));
	CHECK(!pcidump_sniff("00:00.0 x\n00: 86 80\n", 20));
	CHECK(!pcidump_sniff("[cpu]\nmodel = 1\n", 16));
	CHECK(!pcidump_sniff(NULL, 0));
}

int main(void)
{
	test_devices();
	test_tree();
	test_sriov();
	test_domains();
	test_names();
	test_cfg_errors();
	test_dump_errors();
	return CHECK_DONE();
}
