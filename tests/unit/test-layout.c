/* SPDX-License-Identifier: MIT */
/* The topology picture: layout geometry and the SVG it renders to. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "layout.h"
#include "pcie.h"
#include "probe.h"
#include "render.h"
#include "source.h"
#include "strbuf.h"
#include "synthetic.h"

/* ---- building trees ---- */

static struct topo_obj *add(struct topo_obj *parent, enum topo_type type,
			    int64_t idx)
{
	struct topo_obj *o = topo_obj_new(type, idx);

	topo_obj_add(parent, o);
	return o;
}

/* CPU-side objects get the union of their PUs' sets. */
static void fill_cpus(struct topo_obj *o)
{
	if (o->type == TOPO_PU) {
		cpuset_set(&o->cpus, (unsigned)o->os_index);
		return;
	}
	for (size_t i = 0; i < o->nkids; i++) {
		fill_cpus(o->kids[i]);
		if (o->kids[i]->type <= TOPO_PU)
			cpuset_or(&o->cpus, &o->kids[i]->cpus);
	}
}

static struct topo_obj *add_pci(struct topo_obj *parent, enum topo_type type,
				const char *addr, uint16_t dev, unsigned lanes)
{
	struct topo_obj *o = add(parent, type, -1);

	o->address = strdup(addr);
	o->vendor_id = 0x8086;
	o->device_id = dev;
	o->vendor_name = strdup("Intel Corporation");
	o->device_name = strdup("Ethernet Controller X710 for 10GbE SFP+");
	if (lanes) {
		o->has_link = true;
		o->link_sta.speed_gts = o->link_cap.speed_gts = 8;
		o->link_sta.width = o->link_cap.width = lanes;
	}
	return o;
}

static void add_dimms(struct topo_obj *numa, unsigned pkg, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct topo_obj *m = add(numa, TOPO_MEMORY_MODULE, -1);
		char loc[32];

		snprintf(loc, sizeof(loc), "DIMM_%c%u", 'A' + pkg, i + 1);
		m->locator = strdup(loc);
		if (i % 2 == 0) {
			m->size_bytes = 32ull << 30;
			m->mem_type = strdup("DDR4");
			m->speed_mts = 3200;
			m->ecc = true;
		}
	}
}

/* packages x cores x threads, a NUMA node per package with DIMMs, and
 * ndev PCI devices under a host bridge (half behind a root port). */
static struct topo *make(unsigned pkgs, unsigned cores, unsigned threads,
			 unsigned ndev)
{
	struct topo *t = topo_new();
	struct topo_obj *m = t->root;
	unsigned pu = 0;

	m->vendor = strdup("Acme & Sons <test>");
	m->product = strdup("\"Big\" 'Box'");
	for (unsigned p = 0; p < pkgs; p++) {
		struct topo_obj *pk = add(m, TOPO_PACKAGE, p);
		struct topo_obj *numa = add(pk, TOPO_NUMA, p);
		struct topo_obj *l3 = add(pk, TOPO_CACHE, -1);

		pk->cpu_model = strdup("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz");
		numa->memory_bytes = 256ull << 30;
		l3->level = 3;
		l3->size_bytes = 60ull << 20;
		add_dimms(numa, p, 8);
		for (unsigned c = 0; c < cores; c++) {
			struct topo_obj *l2 = add(l3, TOPO_CACHE, -1);
			struct topo_obj *core = add(l2, TOPO_CORE, c);

			l2->level = 2;
			l2->size_bytes = 1280ull << 10;
			for (unsigned h = 0; h < threads; h++)
				add(core, TOPO_PU, pu++);
		}
	}
	if (ndev) {
		struct topo_obj *numa = m->kids[0]->kids[0];
		struct topo_obj *hb = add_pci(numa, TOPO_PCI_BRIDGE, "0000:00", 0, 0);
		struct topo_obj *rp = add_pci(hb, TOPO_PCI_BRIDGE, "0000:00:01.0",
					      0x2030, 16);

		hb->host_bridge = true;
		for (unsigned i = 0; i < ndev; i++) {
			char addr[32];
			struct topo_obj *parent = i < ndev / 2 ? rp : hb;

			snprintf(addr, sizeof(addr), "0000:%02x:%02x.%u",
				 parent == rp ? 1 : 0, 2 + i / 8, i % 8);
			struct topo_obj *d = add_pci(parent, TOPO_PCI_DEVICE,
						     addr, 0x1572 + (uint16_t)(i % 4),
						     i % 3 ? 8 : 4);
			if (i % 5 == 0) {
				struct topo_obj *os = add(d, TOPO_OS_DEVICE, -1);
				char name[32];

				snprintf(name, sizeof(name), "eth%u<&>", i);
				os->name = strdup(name);
				os->kind = strdup("net");
			}
		}
	}
	fill_cpus(m);
	return t;
}

/* ---- geometry checks ---- */

#define EPS 0.01

static bool inside(double x0, double y0, double x1, double y1,
		   const struct layout_box *b)
{
	return x0 >= b->x - EPS && y0 >= b->y - EPS &&
	       x1 <= b->x + b->w + EPS && y1 <= b->y + b->h + EPS;
}

static bool overlap(const struct layout_box *a, const struct layout_box *b)
{
	return a->x < b->x + b->w - EPS && b->x < a->x + a->w - EPS &&
	       a->y < b->y + b->h - EPS && b->y < a->y + a->h - EPS;
}

struct stats {
	size_t boxes, pus, more, texts, lines, bad;
};

/* Checks every rule of the layout; returns counts for further checks. */
static struct stats check_layout(const struct layout *l)
{
	struct layout_box canvas = { .w = l->width, .h = l->height };
	struct stats st = { 0 };
	long depth = 0;

	CHECK(l->width > 0 && l->height > 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];
		const struct layout_box *par =
			p->parent >= 0 ? &l->prims[p->parent].box : &canvas;
		double x0, y0, x1, y1;
		bool ok = true;

		CHECK(p->parent < (long)i);
		CHECK(p->parent < 0 || l->prims[p->parent].kind == LAYOUT_BOX);
		switch (p->kind) {
		case LAYOUT_BOX:
			st.boxes++;
			depth++;
			st.pus += p->box.obj && p->box.obj->type == TOPO_PU;
			st.more += p->box.fill == LAYOUT_FILL_MORE;
			ok = p->box.w > 0 && p->box.h > 0 && p->box.id &&
			     inside(p->box.x, p->box.y, p->box.x + p->box.w,
				    p->box.y + p->box.h, &canvas) &&
			     inside(p->box.x, p->box.y, p->box.x + p->box.w,
				    p->box.y + p->box.h, par);
			/* Siblings: earlier boxes with the same parent. */
			for (size_t j = 0; j < i && ok; j++)
				if (l->prims[j].kind == LAYOUT_BOX &&
				    l->prims[j].parent == p->parent &&
				    overlap(&l->prims[j].box, &p->box)) {
					fprintf(stderr, "overlap: %s %s\n",
						l->prims[j].box.id, p->box.id);
					ok = false;
				}
			/* Ids are unique. */
			for (size_t j = 0; j < i && ok; j++)
				if (l->prims[j].kind == LAYOUT_BOX &&
				    strcmp(l->prims[j].box.id, p->box.id) == 0)
					ok = false;
			break;
		case LAYOUT_END:
			depth--;
			ok = depth >= 0;
			break;
		case LAYOUT_TEXT:
			st.texts++;
			layout_text_extent(&p->text, &x0, &y0, &x1, &y1);
			ok = inside(x0, y0, x1, y1, par) && *p->text.s;
			break;
		case LAYOUT_LINE:
			st.lines++;
			ok = inside(p->line.x1, p->line.y1, p->line.x1,
				    p->line.y1, par) &&
			     inside(p->line.x2, p->line.y2, p->line.x2,
				    p->line.y2, par);
			break;
		}
		if (!ok) {
			st.bad++;
			if (st.bad < 5)
				fprintf(stderr, "bad primitive %zu (kind %d, %s)\n",
					i, p->kind, p->kind == LAYOUT_TEXT ? p->text.s
					: p->kind == LAYOUT_BOX ? p->box.id : "");
		}
	}
	CHECK_INT(depth, 0);
	CHECK_INT(st.bad, 0);
	return st;
}

/* Texts inside the boxes never overlap each other. */
static void check_texts_apart(const struct layout *l)
{
	size_t bad = 0;

	for (size_t i = 0; i < l->n; i++) {
		double a[4], b[4];

		if (l->prims[i].kind != LAYOUT_TEXT)
			continue;
		layout_text_extent(&l->prims[i].text, &a[0], &a[1], &a[2], &a[3]);
		for (size_t j = i + 1; j < l->n; j++) {
			if (l->prims[j].kind != LAYOUT_TEXT)
				continue;
			layout_text_extent(&l->prims[j].text, &b[0], &b[1], &b[2],
					   &b[3]);
			if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] &&
			    b[1] < a[3]) {
				fprintf(stderr, "texts overlap: '%s' and '%s'\n",
					l->prims[i].text.s, l->prims[j].text.s);
				bad++;
			}
		}
	}
	CHECK_INT(bad, 0);
}

static double dmin2(double a, double b) { return a < b ? a : b; }
static double dmax2(double a, double b) { return a > b ? a : b; }

/*
 * A link label is clear of every line (its stub and the trunk) and of
 * every box edge: it lies inside a box or wholly outside it, never across
 * the border of the box above or of its own kid.
 */
static void check_labels_clear(const struct layout *l)
{
	size_t bad = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];
		double t[4];

		if (p->kind != LAYOUT_TEXT || (p->text.ink != LAYOUT_INK_LINK &&
					       p->text.ink != LAYOUT_INK_DEGRADED))
			continue;
		layout_text_extent(&p->text, &t[0], &t[1], &t[2], &t[3]);
		for (size_t j = 0; j < l->n; j++) {
			const struct layout_prim *q = &l->prims[j];

			if (q->kind == LAYOUT_LINE) {
				double hw = q->line.width / 2;
				double lx0 = dmin2(q->line.x1, q->line.x2) - hw;
				double lx1 = dmax2(q->line.x1, q->line.x2) + hw;
				double ly0 = dmin2(q->line.y1, q->line.y2) - hw;
				double ly1 = dmax2(q->line.y1, q->line.y2) + hw;

				if (t[0] < lx1 && lx0 < t[2] && t[1] < ly1 && ly0 < t[3]) {
					fprintf(stderr, "label '%s' on a line\n", p->text.s);
					bad++;
				}
			} else if (q->kind == LAYOUT_BOX) {
				const struct layout_box *b = &q->box;
				bool in = t[0] >= b->x && t[2] <= b->x + b->w &&
					  t[1] >= b->y && t[3] <= b->y + b->h;
				bool out = t[2] <= b->x || t[0] >= b->x + b->w ||
					   t[3] <= b->y || t[1] >= b->y + b->h;

				if (!in && !out) {
					fprintf(stderr, "label '%s' across box %s\n",
						p->text.s, b->id);
					bad++;
				}
			}
		}
	}
	CHECK_INT(bad, 0);
}

static bool has_text(const struct layout *l, const char *needle)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->prims[i].kind == LAYOUT_TEXT &&
		    strstr(l->prims[i].text.s, needle))
			return true;
	return false;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The SVG parses: xmllint when there is one, balanced groups always. */
static void check_svg(const struct topo *t, bool verbose)
{
	struct render_opts ro = { .verbose = verbose };
	struct strbuf sb = STRBUF_INIT;

	render_svg(t, &ro, &sb);
	CHECK(str_startswith(sb.buf, "<?xml"));
	CHECK(strstr(sb.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	CHECK_INT(count(sb.buf, "<g "), count(sb.buf, "</g>"));
	CHECK(count(sb.buf, "<g ") > 0);
	CHECK(strstr(sb.buf, "id=\"pu-0\"") != NULL);
	CHECK(strstr(sb.buf, "<style") != NULL);
	CHECK(strstr(sb.buf, "Acme &amp; Sons &lt;test&gt;") != NULL);
	CHECK(strstr(sb.buf, "&quot;Big&quot; &apos;Box&apos;") != NULL);
	CHECK(strstr(sb.buf, "<test>") == NULL);
	/* TEST_LAYOUT_SVG=FILE keeps the last picture, to look at. */
	if (getenv("TEST_LAYOUT_SVG")) {
		FILE *f = fopen(getenv("TEST_LAYOUT_SVG"), "w");

		if (f) {
			fwrite(sb.buf, 1, sb.len, f);
			fclose(f);
		}
	}
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/test-layout-XXXXXX";
		int fd = mkstemp(path);

		CHECK(fd >= 0);
		if (fd >= 0) {
			CHECK(write(fd, sb.buf, sb.len) == (ssize_t)sb.len);
			close(fd);
			char *cmd = xasprintf("xmllint --noout %s", path);
			CHECK_INT(system(cmd), 0);
			free(cmd);
			unlink(path);
		}
	}
	strbuf_release(&sb);
}

static void test_small(void)
{
	struct topo *t = make(1, 2, 2, 3);
	struct layout *l = layout_compute(t, NULL);
	struct stats st = check_layout(l);

	check_texts_apart(l);
	CHECK_INT(st.pus, 4);
	CHECK_INT(st.more, 0);
	CHECK(st.lines >= 4);		/* links to the root port and devices */
	CHECK(has_text(l, "Gen3 x8"));
	CHECK(has_text(l, "DIMM_A2"));
	CHECK(has_text(l, "empty"));
	CHECK(has_text(l, "32 GiB DDR4"));
	CHECK(has_text(l, "NUMANode P#0 256 GiB"));
	CHECK(has_text(l, "Legend"));
	layout_free(l);
	check_svg(t, false);
	topo_free(t);
}

static void test_empty(void)
{
	struct topo *t = topo_new();
	struct layout *l = layout_compute(t, NULL);
	struct strbuf sb = STRBUF_INIT;

	check_layout(l);
	layout_free(l);
	render_svg(t, NULL, &sb);
	CHECK_INT(count(sb.buf, "<g "), count(sb.buf, "</g>"));
	strbuf_release(&sb);
	topo_free(t);
}

static void test_big(void)
{
	struct topo *t = make(4, 32, 2, 40);
	struct layout_opts o;
	struct layout *l = layout_compute(t, NULL);
	struct stats st = check_layout(l);

	/* 16 of 32 cores per package, 2 PUs each; "... 16 more" boxes. */
	CHECK_INT(st.pus, 4 * 16 * 2);
	CHECK(st.more >= 4);
	CHECK(has_text(l, "... 16 more"));
	CHECK(has_text(l, "L2, PUs 32-63"));
	CHECK(l->n < 4000);
	CHECK(l->width < 6000 && l->height < 8000);
	check_texts_apart(l);
	layout_free(l);

	/* No limit: every PU drawn, still inside the rules. */
	layout_opts_init(&o);
	o.max_kids = 0;
	o.factorise = false;
	l = layout_compute(t, &o);
	st = check_layout(l);
	CHECK_INT(st.pus, 256);
	CHECK_INT(st.more, 0);
	layout_free(l);

	/* A tight limit collapses more; a narrow row width wraps. */
	layout_opts_init(&o);
	o.max_kids = 2;
	o.max_row_width = 300;
	l = layout_compute(t, &o);
	st = check_layout(l);
	CHECK_INT(st.pus, 2 * 2 * 2);
	layout_free(l);
	check_svg(t, true);
	check_svg(t, false);
	topo_free(t);
}

/* A 4096-PU machine stays bounded by default. */
static void test_huge(void)
{
	struct topo *t = make(16, 128, 2, 0);
	struct layout *l = layout_compute(t, NULL);
	struct stats st = check_layout(l);

	CHECK(st.pus <= 16 * 16 * 2);
	CHECK(l->n < 8000);
	layout_free(l);
	topo_free(t);
}

/* ---- link labels ---- */

static void test_links(void)
{
	struct topo *t = make(1, 2, 1, 6);
	struct topo_obj *hb = t->root->kids[0]->kids[0]->kids[8];
	struct topo_obj *dev = hb->kids[1];	/* a device of the host bridge */
	struct strbuf sb = STRBUF_INIT;

	CHECK(hb->host_bridge);
	CHECK(!layout_link_label(hb, &sb));
	CHECK_STR(sb.buf, "");
	/* Gen4 x16: 16 GT/s x 16 x 128/130 / 8 = 31.5 GB/s. */
	dev->link_sta.speed_gts = dev->link_cap.speed_gts = 16;
	dev->link_sta.width = dev->link_cap.width = 16;
	CHECK(layout_link_label(dev, &sb));
	CHECK_STR(sb.buf, "Gen4 x16 31.5 GB/s");
	CHECK(!pcie_link_degraded(dev, NULL));
	double x16 = layout_link_stroke(dev);
	/* Trained at Gen4 x4: degraded, thinner. */
	dev->link_sta.width = 4;
	strbuf_reset(&sb);
	CHECK(layout_link_label(dev, &sb));
	CHECK_STR(sb.buf, "Gen4 x4 7.9 GB/s");
	CHECK(pcie_link_degraded(dev, NULL));
	CHECK(layout_link_stroke(dev) < x16);
	dev->link_sta.speed_gts = 2.5;
	dev->link_sta.width = 1;
	CHECK(layout_link_stroke(dev) == 1);
	/* The layout labels the edge and marks it degraded. */
	dev->link_sta.speed_gts = 8;
	dev->link_sta.width = 2;
	struct layout *l = layout_compute(t, NULL);
	size_t degraded_lines = 0, degraded_texts = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];

		degraded_lines += p->kind == LAYOUT_LINE && p->line.ink == LAYOUT_INK_DEGRADED;
		degraded_texts += p->kind == LAYOUT_TEXT && p->text.ink == LAYOUT_INK_DEGRADED &&
				  (strcmp(p->text.s, "Gen3 x2") == 0 ||
				   strcmp(p->text.s, "2.0 GB/s") == 0);
	}
	CHECK_INT(degraded_lines, 1);
	CHECK_INT(degraded_texts, 2);	/* over and under the stub */
	check_layout(l);
	check_texts_apart(l);
	layout_free(l);
	strbuf_reset(&sb);
	render_svg(t, NULL, &sb);
	CHECK(strstr(sb.buf, "<text class=\"n degraded\"") != NULL);
	CHECK(strstr(sb.buf, ">Gen3 x2</text>") != NULL);
	CHECK(strstr(sb.buf, ">2.0 GB/s</text>") != NULL);
	CHECK(strstr(sb.buf, "<line class=\"degraded\"") != NULL);
	CHECK(strstr(sb.buf, "text.degraded { fill: #c03030; }") != NULL);
	strbuf_reset(&sb);
	render_dot(t, NULL, &sb);
	CHECK(strstr(sb.buf, "Gen3 x2\\n2.0 GB/s\\n(capable Gen4 x16)") != NULL);
	strbuf_release(&sb);
	topo_free(t);
}

/* ---- the pictures of real inputs, by structure ----
 *
 * Each case is laid out as `hvkit topo -o x.svg` would, checked against
 * the rules (boxes inside their parents and the canvas, no overlapping
 * siblings, no text outside its box or over another text), and dumped
 * with layout_dump() to compare with tests/data/pictures/NAME.layout,
 * the reviewed expectation.  HVKIT_UPDATE_LAYOUT=1 rewrites the
 * expectations instead (review the diff, and look at the PNG that
 * TEST_LAYOUT_PNG_DIR=DIR writes for each case).  PCI names come from
 * the host's pci.ids, so they are left out here: devices show their
 * [vendor:device] ids.
 */
static const struct picture_case {
	const char *name;
	const char *from;	/* under TEST_DATA_DIR */
	const char *synthetic;
} pictures[] = {
	{ "h200-vm", "captures/h200-vm.tar.gz", NULL },
	{ "dell-2n8c", "hwloc/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2", NULL },
	{ "power7-256pu", "hwloc/256ppc-8n8s4t.tar.bz2", NULL },
	{ "memorysidecaches", "hwloc/memorysidecaches.tar.bz2", NULL },
	{ "synthetic-4096pu", NULL, "pack:16 core:128 pu:2 pci:300" },
};

static void drop_pci_names(struct topo_obj *o)
{
	if (o->type == TOPO_PCI_BRIDGE || o->type == TOPO_PCI_DEVICE) {
		free(o->vendor_name);
		free(o->device_name);
		o->vendor_name = o->device_name = NULL;
	}
	for (size_t i = 0; i < o->nkids; i++)
		drop_pci_names(o->kids[i]);
}

static struct topo *load_case(const struct picture_case *pc)
{
	struct topo *t = NULL;

	if (pc->synthetic) {
		CHECK_INT(synthetic_build(pc->synthetic, &t, NULL), 0);
		return t;
	}
	struct hv_root *mem = hv_root_new_mem();
	struct hv_diags d = HV_DIAGS_INIT;
	enum source_kind kind;
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, pc->from);

	t = topo_new();
	CHECK_INT(source_add(mem, path, &kind, &d), 0);
	struct probe_ctx ctx = { .root = mem, .t = t, .d = &d };
	CHECK_INT(probe_all(&ctx), 0);
	drop_pci_names(t->root);
	hv_diags_release(&d);
	hv_root_free(mem);
	free(path);
	return t;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(buf, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

static void test_pictures(void)
{
	const char *update = getenv("HVKIT_UPDATE_LAYOUT");
	const char *png_dir = getenv("TEST_LAYOUT_PNG_DIR");

	for (size_t i = 0; i < ARRAY_SIZE(pictures); i++) {
		const struct picture_case *pc = &pictures[i];
		struct topo *t = load_case(pc);
		struct strbuf dump = STRBUF_INIT;

		if (!t)
			continue;
		fprintf(stderr, "picture %s\n", pc->name);
		struct layout *l = layout_compute(t, NULL);
		check_layout(l);
		check_texts_apart(l);
		check_labels_clear(l);
		/* The factorised pictures fit two screens (2 x 1080 px). */
		CHECK(l->height <= 2160);
		layout_dump(l, &dump);
		layout_free(l);

		char *want = xasprintf("%s/pictures/%s.layout", TEST_DATA_DIR, pc->name);
		size_t len = 0;
		unsigned char *old = check_slurp(want, &len);

		if (update && strcmp(update, "1") == 0) {
			if (!old || len != dump.len || memcmp(old, dump.buf, len))
				fprintf(stderr, "  updated %s\n", want);
			write_file(want, dump.buf, dump.len);
		} else if (!old || len != dump.len || memcmp(old, dump.buf, len)) {
			char got[] = "/tmp/test-layout-XXXXXX";
			int fd = mkstemp(got);

			CHECK(fd >= 0 && write(fd, dump.buf, dump.len) == (ssize_t)dump.len);
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "%s: the layout differs from %s (HVKIT_UPDATE_LAYOUT=1 "
				"rewrites it):\n", pc->name, want);
			char *cmd = xasprintf("diff -u '%s' '%s' | head -60 >&2", want, got);
			CHECK(system(cmd) >= 0);
			free(cmd);
			unlink(got);
			CHECK(!"layout as reviewed");
		}
		if (png_dir) {
			struct strbuf png = STRBUF_INIT;
			char *out = xasprintf("%s/%s.png", png_dir, pc->name);

			CHECK_INT(render_png(t, NULL, &png, NULL), 0);
			write_file(out, png.buf, png.len);
			free(out);
			strbuf_release(&png);
		}
		free(old);
		free(want);
		strbuf_release(&dump);
		topo_free(t);
	}
}

/* synthetic_build() adds objects in topo_sort()'s order and skips it. */
static void test_synthetic_sorted(void)
{
	static const char *const specs[] = {
		"pack:16 core:128 pu:2 pci:300",
		"pack:2 numa:2 l3:2 core:4 pu:2 pci:40 dimm:6/8",
		"pack:1 pci:9 switch:0",
		"pack:3 numa:3 core:5 pu:3 pci:17 switch:3",
	};

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct topo *t = NULL;
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		struct render_opts ro = { 0 };

		CHECK_INT(synthetic_build(specs[i], &t, NULL), 0);
		if (!t)
			continue;
		render_json(t, &ro, &a);
		topo_sort(t->root);
		render_json(t, &ro, &b);
		CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
		strbuf_release(&a);
		strbuf_release(&b);
		topo_free(t);
	}
}

int main(void)
{
	test_empty();
	test_small();
	test_big();
	test_huge();
	test_links();
	test_synthetic_sorted();
	test_pictures();
	return CHECK_DONE();
}
