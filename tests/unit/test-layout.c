/* SPDX-License-Identifier: MIT */
/* The topology picture: layout geometry and the SVG it renders to. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "layout.h"
#include "render.h"
#include "strbuf.h"

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
			bad += a[0] < b[2] && b[0] < a[2] && a[1] < b[3] &&
			       b[1] < a[3];
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

int main(void)
{
	test_empty();
	test_small();
	test_big();
	test_huge();
	return CHECK_DONE();
}
