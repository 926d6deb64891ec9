/* SPDX-License-Identifier: MIT */
/* Unit tests of `topo check` and `topo diff` on constructed machines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "check.h" next to this file is the test harness; the module's own
 * header shares the name. */
#include "../../src/topo/check.h"
#include "check.h"
#include "pcie.h"
#include "util.h"

/* ---- building blocks ---- */

static struct topo_obj *add(struct topo_obj *parent, enum topo_type type,
			    int64_t os_index)
{
	struct topo_obj *o = topo_obj_new(type, os_index);

	topo_obj_add(parent, o);
	return o;
}

static struct topo_obj *pci(struct topo_obj *parent, bool bridge, const char *addr,
			    const char *port, double cap_gts, unsigned cap_w,
			    double sta_gts, unsigned sta_w)
{
	struct topo_obj *o = add(parent, bridge ? TOPO_PCI_BRIDGE : TOPO_PCI_DEVICE, -1);

	o->address = xstrdup(addr);
	o->numa_node = -1;
	if (port)
		o->port_type = xstrdup(port);
	if (cap_w) {
		o->has_link = true;
		o->link_cap = (struct topo_link){ cap_gts, cap_w };
		o->link_sta = (struct topo_link){ sta_gts, sta_w };
	}
	return o;
}

static struct topo_obj *host_bridge(struct topo_obj *parent, const char *addr)
{
	struct topo_obj *o = pci(parent, true, addr, NULL, 0, 0, 0, 0);

	o->host_bridge = true;
	return o;
}

static void osdev(struct topo_obj *parent, const char *name)
{
	struct topo_obj *o = add(parent, TOPO_OS_DEVICE, -1);

	o->name = xstrdup(name);
}

static struct topo_obj *node(struct topo_obj *parent, int id, unsigned first_cpu,
			     unsigned ncpus, uint64_t mem)
{
	struct topo_obj *o = add(parent, TOPO_NUMA, id);

	for (unsigned c = 0; c < ncpus; c++)
		cpuset_set(&o->cpus, first_cpu + c);
	o->memory_bytes = mem;
	return o;
}

static struct topo_obj *dimm(struct topo_obj *parent, const char *loc,
			     unsigned gib, unsigned rated, unsigned conf, bool ecc)
{
	struct topo_obj *o = add(parent, TOPO_MEMORY_MODULE, -1);

	o->locator = xstrdup(loc);
	o->size_bytes = (uint64_t)gib << 30;
	o->speed_mts = gib ? rated : 0;
	o->configured_speed_mts = gib ? conf : 0;
	o->ecc = ecc;
	o->mem_type = xstrdup("DDR4");
	return o;
}

static size_t count_kind(const struct check_report *r, const char *kind)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += strcmp(r->v[i].kind, kind) == 0;
	return n;
}

static const struct finding *find_kind(const struct check_report *r, const char *kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].kind, kind) == 0)
			return &r->v[i];
	return NULL;
}

static double num(const struct finding *f, const char *key)
{
	for (size_t i = 0; f && i < f->nnums; i++)
		if (strcmp(f->nums[i].key, key) == 0)
			return f->nums[i].v;
	return NAN;
}

#define CHECK_NEAR(a, b) CHECK(fabs((double)(a) - (double)(b)) < 0.001)

/* ---- tests ---- */

static void test_bandwidth(void)
{
	static const struct {
		double gts;
		unsigned width;
		bool flit;
		double gbps;
	} cases[] = {
		{ 2.5, 1, false, 0.25 },		/* 8b/10b */
		{ 5, 4, false, 2.0 },
		{ 8, 8, false, 8.0 * 8 * 128 / 130 / 8 },	/* 128b/130b */
		{ 16, 16, false, 31.50769 },
		{ 32, 16, false, 63.01538 },
		{ 8, 4, true, 3.93846 },	/* Flit Mode at 8 GT/s: same encoding */
		{ 64, 16, true, 128.0 },	/* 1b/1b */
		{ 64, 4, false, 32.0 },
		{ 0, 4, false, 0 },
		{ 8, 0, false, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_NEAR(pcie_link_gbps(cases[i].gts, cases[i].width, cases[i].flit),
			   cases[i].gbps);
}

static void test_degraded(void)
{
	struct topo *t = topo_new();
	struct topo_obj *hb = host_bridge(t->root, "0000:00");
	struct topo_obj *rp = pci(hb, true, "0000:00:01.0", "Root Port", 8, 8, 8, 4);
	struct topo_obj *ep = pci(rp, false, "0000:02:00.0", "Endpoint", 8, 8, 8, 4);
	struct topo_obj *rp2 = pci(hb, true, "0000:00:02.0", "Root Port", 8, 16, 8, 16);
	struct check_report r = CHECK_REPORT_INIT;
	const struct finding *f;

	osdev(ep, "eth0");
	/* a function 1 on the same link says nothing more */
	pci(rp, false, "0000:02:00.1", "Endpoint", 8, 8, 8, 4);
	/* a Gen4 card in a Gen3 slot running Gen3: as good as it gets */
	pci(rp2, false, "0000:03:00.0", "Endpoint", 16, 16, 8, 16);
	/* an empty slot: link down */
	pci(hb, true, "0000:00:03.0", "Root Port", 8, 4, 2.5, 0);
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "pcie_link_degraded"), 1);
	f = find_kind(&r, "pcie_link_degraded");
	CHECK(f && f->severity == CHECK_ERROR);
	CHECK_STR(f ? f->message : NULL, "eth0: Gen3 x8 running at Gen3 x4: 3.9 of 7.9 GB/s");
	CHECK_STR(f ? f->object : NULL, "0000:02:00.0");
	CHECK_NEAR(num(f, "sta_gbps"), 3.93846);
	CHECK_NEAR(num(f, "cap_gbps"), 7.87692);
	CHECK_INT(count_kind(&r, "pcie_path_bottleneck"), 0);
	check_report_release(&r);

	/* speed alone lower: a warning (power saving can do that) */
	ep->link_sta = (struct topo_link){ 2.5, 8 };
	rp->link_sta = ep->link_sta;
	topo_check(t, &r);
	f = find_kind(&r, "pcie_link_degraded");
	CHECK(f && f->severity == CHECK_WARNING);
	check_report_release(&r);
	topo_free(t);
}

static void test_switch(void)
{
	struct topo *t = topo_new();
	struct topo_obj *hb = host_bridge(t->root, "0000:00");
	struct topo_obj *rp = pci(hb, true, "0000:00:01.0", "Root Port", 8, 4, 8, 4);
	struct topo_obj *usp = pci(rp, true, "0000:01:00.0", "Upstream Port", 8, 16, 8, 4);
	struct topo_obj *d1 = pci(usp, true, "0000:02:00.0", "Downstream Port", 8, 16, 8, 16);
	struct topo_obj *d2 = pci(usp, true, "0000:02:01.0", "Downstream Port", 8, 16, 8, 4);
	struct topo_obj *gpu = pci(d1, false, "0000:03:00.0", "Endpoint", 8, 16, 8, 16);
	struct check_report r = CHECK_REPORT_INIT;
	const struct finding *f;

	pci(usp, true, "0000:02:02.0", "Downstream Port", 8, 16, 2.5, 0); /* empty */
	osdev(gpu, "card0");
	osdev(pci(d2, false, "0000:04:00.0", "Endpoint", 8, 4, 8, 4), "nvme0");
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "pcie_link_degraded"), 0);
	CHECK_INT(count_kind(&r, "pcie_path_bottleneck"), 1);
	f = find_kind(&r, "pcie_path_bottleneck");
	CHECK_STR(f ? f->object : NULL, "0000:03:00.0");
	CHECK_STR(f ? f->message : NULL,
		  "card0: Gen3 x16 (15.8 GB/s) sits behind 0000:01:00.0 at Gen3 x4 (3.9 GB/s)");
	CHECK_INT(count_kind(&r, "pcie_switch_oversubscribed"), 1);
	f = find_kind(&r, "pcie_switch_oversubscribed");
	CHECK_STR(f ? f->object : NULL, "0000:01:00.0");
	CHECK_NEAR(num(f, "ratio"), 5.0);
	CHECK_NEAR(num(f, "uplink_gbps"), 3.93846);
	check_report_release(&r);
	topo_free(t);
}

static void test_placement(void)
{
	struct topo *t = topo_new();
	struct topo_obj *n2, *hb;
	struct check_report r = CHECK_REPORT_INIT;
	const struct finding *f;

	node(t->root, 0, 0, 4, 8ULL << 30);
	node(t->root, 1, 4, 4, 0);			/* CPUs, no memory */
	n2 = node(t->root, 2, 0, 0, 16ULL << 30);	/* memory only */
	hb = host_bridge(n2, "0000:80");
	hb->numa_node = 2;
	osdev(pci(hb, false, "0000:80:01.0", NULL, 0, 0, 0, 0), "ib0");
	t->ndist = 3;
	t->dist_nodes = xcalloc(3, sizeof(unsigned));
	t->dist = xcalloc(9, sizeof(unsigned));
	for (unsigned i = 0; i < 3; i++) {
		t->dist_nodes[i] = i;
		for (unsigned j = 0; j < 3; j++)
			t->dist[i * 3 + j] = i == j ? 10 : 20;
	}
	t->dist[0 * 3 + 2] = 21;			/* 0 -> 2 */
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "numa_no_memory"), 1);
	f = find_kind(&r, "numa_no_memory");
	CHECK_STR(f ? f->object : NULL, "node 1");
	CHECK_INT(count_kind(&r, "pci_numa_no_cpus"), 1);
	f = find_kind(&r, "pci_numa_no_cpus");
	CHECK(f && strstr(f->message, "ib0") && strstr(f->message, "node 2"));
	CHECK_INT(count_kind(&r, "numa_distance_asymmetric"), 1);
	f = find_kind(&r, "numa_distance_asymmetric");
	CHECK_STR(f ? f->object : NULL, "nodes 0-2");
	CHECK_NEAR(num(f, "forward"), 21);
	CHECK_NEAR(num(f, "backward"), 20);
	check_report_release(&r);
	topo_free(t);
}

/* Two sockets with n0 and n1 of 12 slots populated, Dell-style names. */
static struct topo *sockets(unsigned n0, unsigned n1)
{
	struct topo *t = topo_new();
	struct topo_obj *nodes[2] = { node(t->root, 0, 0, 8, 32ULL << 30),
				      node(t->root, 1, 8, 8, 32ULL << 30) };

	for (int s = 0; s < 2; s++)
		for (unsigned i = 1; i <= 12; i++) {
			char loc[16];

			snprintf(loc, sizeof(loc), "DIMM_%c%u", 'A' + s, i);
			dimm(nodes[s], loc, i <= (s ? n1 : n0) ? 8 : 0, 2400, 2400, true);
		}
	return t;
}

static void test_memory(void)
{
	struct check_report r = CHECK_REPORT_INIT;
	struct topo *t = sockets(4, 4);
	struct topo_obj *n0, *n1;
	const struct finding *f;

	topo_check(t, &r);
	CHECK_INT(r.n, 0);			/* 4 + 4 of 12: balanced */
	check_report_release(&r);
	topo_free(t);

	t = sockets(3, 5);
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "memory_nodes_unbalanced"), 1);
	f = find_kind(&r, "memory_nodes_unbalanced");
	CHECK(f && strstr(f->message, "node 0: 3 of 12 slots (24 GiB)") &&
	      strstr(f->message, "node 1: 5 of 12 slots (40 GiB)"));
	CHECK_INT(count_kind(&r, "memory_channels_unbalanced"), 0); /* A = socket */
	check_report_release(&r);
	topo_free(t);

	/* Channels from "CPU1_DIMM_A1": A has 2, B has 1; sizes, speeds and
	 * ECC mixed; a rack server. */
	t = topo_new();
	t->root->chassis_type = xstrdup("23");
	n0 = node(t->root, 0, 0, 8, 64ULL << 30);
	n1 = node(t->root, 1, 8, 8, 64ULL << 30);
	dimm(n0, "CPU1_DIMM_A1", 16, 3200, 2933, true);
	dimm(n0, "CPU1_DIMM_A2", 16, 3200, 2933, true);
	dimm(n0, "CPU1_DIMM_B1", 32, 2933, 2933, false);
	dimm(n0, "CPU1_DIMM_B2", 0, 0, 0, false);
	dimm(n1, "CPU2_DIMM_A1", 16, 3200, 2933, true);
	dimm(n1, "CPU2_DIMM_A2", 16, 3200, 2933, true);
	dimm(n1, "CPU2_DIMM_B1", 16, 3200, 2933, true);
	dimm(n1, "CPU2_DIMM_B2", 16, 3200, 2933, true);
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "memory_channels_unbalanced"), 1);
	f = find_kind(&r, "memory_channels_unbalanced");
	CHECK_STR(f ? f->object : NULL, "node 0");
	CHECK(f && strstr(f->message, "A:2 B:1"));
	CHECK_INT(count_kind(&r, "memory_nodes_unbalanced"), 1);
	CHECK_INT(count_kind(&r, "memory_mixed_sizes"), 1);
	CHECK_INT(count_kind(&r, "memory_mixed_speeds"), 1);	/* rated only */
	CHECK_INT(count_kind(&r, "memory_speed_below_rated"), 1);
	f = find_kind(&r, "memory_speed_below_rated");
	CHECK_NEAR(num(f, "modules"), 6);
	CHECK_INT(count_kind(&r, "memory_no_ecc"), 1);
	f = find_kind(&r, "memory_no_ecc");
	CHECK_STR(f ? f->object : NULL, "CPU1_DIMM_B1");
	check_report_release(&r);
	/* not a server: non-ECC is no finding */
	free(t->root->chassis_type);
	t->root->chassis_type = xstrdup("3");
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "memory_no_ecc"), 0);
	check_report_release(&r);
	topo_free(t);
}

static void test_cpu(void)
{
	struct topo *t = topo_new();
	struct topo_obj *p0 = add(t->root, TOPO_PACKAGE, 0), *p1 = add(t->root, TOPO_PACKAGE, 1);
	struct check_report r = CHECK_REPORT_INIT;
	const struct finding *f;

	for (int i = 0; i < 2; i++) {
		struct topo_obj *p = i ? p1 : p0;

		strcpy(p->cpu_vendor, "AuthenticAMD");
		p->cpu_family = 0x17;
		p->cpu_model_num = 0x31;
		p->cpu_stepping = 0;
	}
	t->microcode = xstrdup("0x08301055");	/* has 1386's fix, not Zenbleed's */
	t->nvulns = 3;
	t->vulns = xcalloc(3, sizeof(*t->vulns));
	t->vulns[0] = (struct topo_vuln){ xstrdup("mds"),
		xstrdup("Vulnerable: Clear CPU buffers attempted, no microcode"), false };
	t->vulns[1] = (struct topo_vuln){ xstrdup("meltdown"), xstrdup("Not affected"), true };
	t->vulns[2] = (struct topo_vuln){ xstrdup("spectre_v2"),
		xstrdup("Mitigation: Retpolines; BHI: Vulnerable"), true };
	topo_check(t, &r);
	CHECK_INT(count_kind(&r, "cpu_vulnerable"), 1);
	CHECK_STR(find_kind(&r, "cpu_vulnerable") ? find_kind(&r, "cpu_vulnerable")->object : NULL,
		  "mds");
	CHECK_INT(count_kind(&r, "cpu_vulnerable_partly"), 1);
	/* 1235 and 1474 once for two identical packages */
	CHECK_INT(count_kind(&r, "cpu_erratum"), 2);
	CHECK_INT(count_kind(&r, "cpu_microcode_old"), 1);
	f = find_kind(&r, "cpu_microcode_old");
	CHECK(f && strstr(f->message, "Zenbleed") && f->citation);
	CHECK_NEAR(num(f, "fixed_in"), 0x0830107b);
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(r.v[i].kind, "cpu_erratum") == 0)
			CHECK(r.v[i].citation && strstr(r.v[i].citation, "56323"));
	/* most severe first */
	for (size_t i = 1; i < r.n; i++)
		CHECK(r.v[i - 1].severity >= r.v[i].severity);
	check_report_release(&r);
	topo_free(t);
}

static void test_severity(void)
{
	int s = -1;
	struct check_report r = CHECK_REPORT_INIT;

	CHECK_INT(check_severity_parse("warning", &s), 0);
	CHECK_INT(s, CHECK_WARNING);
	CHECK_INT(check_severity_parse("none", &s), 0);
	CHECK(s > CHECK_ERROR);
	CHECK_INT(check_severity_parse("fatal", &s), -22);
	CHECK_INT(check_worst(&r), -1);
	check__add(&r, CHECK_INFO, "x", NULL, "a");
	check__add(&r, CHECK_WARNING, "y", "o", "b %d", 2);
	CHECK_INT(check_worst(&r), CHECK_WARNING);
	CHECK_STR(r.v[0].object, "machine");
	CHECK_STR(r.v[1].message, "b 2");
	check_report_release(&r);
}

static struct topo *diff_machine(bool after)
{
	struct topo *t = topo_new();
	struct topo_obj *n0 = node(t->root, 0, 0, after ? 8 : 4, 32ULL << 30);
	struct topo_obj *hb = host_bridge(n0, "0000:00");
	struct topo_obj *rp = pci(hb, true, "0000:00:01.0", "Root Port", 16, 16, 16, 16);
	struct topo_obj *m;

	for (unsigned c = 0; c < (after ? 8u : 4u); c++)
		add(n0, TOPO_PU, c)->online = true;
	osdev(pci(rp, false, "0000:01:00.0", "Endpoint", 16, 16, 16, after ? 8 : 16), "eth0");
	pci(hb, false, after ? "0000:00:1f.0" : "0000:00:1e.0", NULL, 0, 0, 0, 0);
	m = dimm(n0, "DIMM_A1", after ? 0 : 16, 3200, 3200, true);
	m->part_number = xstrdup("M393A2K43BB1");
	m = dimm(n0, "DIMM_B1", after ? 16 : 0, 3200, 3200, true);
	m->part_number = xstrdup("M393A2K43BB1");
	t->microcode = xstrdup(after ? "0xd0003e7" : "0xd0003a5");
	return t;
}

static void test_diff(void)
{
	struct topo *a = diff_machine(false), *b = diff_machine(true);
	struct check_report r = CHECK_REPORT_INIT;
	struct strbuf out = STRBUF_INIT;
	const struct finding *f;

	topo_diff(a, a, &r);
	CHECK_INT(r.n, 0);
	topo_diff(a, b, &r);
	CHECK_INT(count_kind(&r, "pci_device_removed"), 1);
	CHECK_INT(count_kind(&r, "pci_device_added"), 1);
	CHECK_INT(count_kind(&r, "pcie_link_changed"), 1);
	f = find_kind(&r, "pcie_link_changed");
	CHECK(f && strstr(f->message, "eth0: link Gen4 x16 (31.5 GB/s) -> Gen4 x8 (15.8 GB/s)"));
	CHECK_INT(count_kind(&r, "memory_module_moved"), 1);
	f = find_kind(&r, "memory_module_moved");
	CHECK(f && strstr(f->message, "from DIMM_A1 to DIMM_B1"));
	CHECK_INT(count_kind(&r, "memory_module_added"), 0);
	CHECK_INT(count_kind(&r, "microcode_changed"), 1);
	CHECK_INT(count_kind(&r, "cpu_count_changed"), 2);	/* PUs, online PUs */
	diff_render_json(&r, false, &out);
	CHECK(strstr(out.buf, "{\"differences\":[{\"kind\":") != NULL);
	CHECK(strstr(out.buf, "\"severity\"") == NULL);
	strbuf_release(&out);
	check_report_release(&r);
	topo_free(a);
	topo_free(b);
}

int main(void)
{
	test_bandwidth();
	test_degraded();
	test_switch();
	test_placement();
	test_memory();
	test_cpu();
	test_severity();
	test_diff();
	return CHECK_DONE();
}
