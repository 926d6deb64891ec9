/* SPDX-License-Identifier: MIT */
/* The pictures beyond SVG: PNG and PDF (cairo), DOT, and the synthetic
 * machines that make large inputs for them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layout.h"
#include "render.h"
#include "strbuf.h"
#include "synthetic.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static struct topo *synth(const char *spec)
{
	struct topo *t = NULL;
	struct hv_diags d = HV_DIAGS_INIT;
	int rc = synthetic_build(spec, &t, &d);

	if (rc < 0 && d.n)
		fprintf(stderr, "synthetic '%s': %s\n", spec, d.v[0].msg);
	CHECK_INT(rc, 0);
	hv_diags_release(&d);
	return t;
}

static size_t count_str(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(hay + i, needle, nl) == 0)
			n++;
	return n;
}

/* PNG: the signature, an IHDR chunk first with the layout's size (scaled
 * down only past cairo's limits), an IEND chunk last. */
static void check_png(const char *name, const struct topo *t, bool verbose)
{
	struct render_opts ro = { .verbose = verbose };
	struct layout_opts lo;
	struct strbuf out = STRBUF_INIT;
	const unsigned char *p;

	layout_opts_for(&lo, &ro);
	struct layout *l = layout_compute(t, &lo);
	double s = render_png_scale(l->width, l->height);
	int rc = render_png(t, &ro, &out, NULL);

	CHECK_INT(rc, 0);
	p = (const unsigned char *)out.buf;
	CHECK(out.len > 8 + 25 + 12);
	if (out.len <= 8 + 25 + 12)
		goto done;
	CHECK(memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0);
	CHECK_INT(be32(p + 8), 13);
	CHECK(memcmp(p + 12, "IHDR", 4) == 0);
	uint32_t w = be32(p + 16), h = be32(p + 20);
	printf("%s: layout %.0f x %.0f, PNG %u x %u (scale %.3f), %zu bytes\n",
	       name, l->width, l->height, w, h, s, out.len);
	CHECK(w >= 1 && w <= 32767 && h >= 1 && h <= 32767);
	CHECK((double)w * h <= 64.0 * 1024 * 1024 + 65536);
	CHECK_INT(w, (uint32_t)(l->width * s + 0.999));
	CHECK_INT(h, (uint32_t)(l->height * s + 0.999));
	CHECK(memcmp(p + out.len - 8, "IEND", 4) == 0);
done:
	layout_free(l);
	strbuf_release(&out);
}

/* PDF: the header, one page, the trailer. */
static void check_pdf(const char *name, const struct topo *t)
{
	struct render_opts ro = { 0 };
	struct strbuf out = STRBUF_INIT;
	int rc = render_pdf(t, &ro, &out, NULL);

	CHECK_INT(rc, 0);
	CHECK(out.len > 100 && memcmp(out.buf, "%PDF-", 5) == 0);
	CHECK(count_str(out.buf, out.len, "/Type /Pages") == 1);
	CHECK(count_str(out.buf, out.len, "/Count 1") >= 1);
	CHECK(count_str(out.buf, out.len, "/Type /Page\n") +
	      count_str(out.buf, out.len, "/Type /Page ") >= 1);
	CHECK(out.len > 6 && strstr(out.buf + out.len - 7, "%%EOF"));
	printf("%s: PDF %zu bytes\n", name, out.len);
	strbuf_release(&out);
}

static void check_dot(const struct topo *t)
{
	struct strbuf out = STRBUF_INIT;
	long braces = 0;
	bool never_negative = true;

	render_dot(t, NULL, &out);
	CHECK(strncmp(out.buf, "digraph topology {\n", 19) == 0);
	for (size_t i = 0; i < out.len; i++) {
		/* braces inside quoted labels do not occur in this input */
		braces += out.buf[i] == '{' ? 1 : out.buf[i] == '}' ? -1 : 0;
		never_negative &= braces >= 0;
	}
	CHECK_INT(braces, 0);
	CHECK(never_negative);
	CHECK(strstr(out.buf, "subgraph \"cluster_package-0\"") != NULL);
	CHECK(strstr(out.buf, "subgraph \"cluster_numa-0\"") != NULL);
	CHECK(strstr(out.buf, "Gen4 x16\\n31.5 GB/s") != NULL);
	CHECK(strstr(out.buf, "Gen4 x4\\n7.9 GB/s") != NULL);
	CHECK(strstr(out.buf, "legend") == NULL);
	strbuf_release(&out);
}

static void test_synthetic_errors(void)
{
	static const struct {
		const char *spec, *needle;
	} bad[] = {
		{ "pack:0", "'pack:0'" },
		{ "bogus:1", "'bogus:1'" },
		{ "pack", "'pack'" },
		{ "pack:2 pack:3", "'pack' given twice" },
		{ "pu:99", "'pu:99'" },
		{ "dimm:9/8", "populated <= slots" },
		{ "dimm:/8", "'dimm:/8'" },
		{ "mem:12Q", "'mem:12Q'" },
		{ "pack:-1", "'pack:-1'" },
		{ "pack:1024 core:4096", "more than 65536 PUs" },
		{ "pack:1 pci:1000 switch:32", "bus numbers" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct topo *t = (struct topo *)1;
		struct hv_diags d = HV_DIAGS_INIT;

		CHECK_INT(synthetic_build(bad[i].spec, &t, &d), -EINVAL);
		CHECK(t == (struct topo *)1);
		const char *err = d.n == 1 && d.v[0].level == HV_DIAG_ERROR ? d.v[0].msg : NULL;
		CHECK(err && strstr(err, bad[i].needle));
		if (err && !strstr(err, bad[i].needle))
			fprintf(stderr, "  '%s' said: %s\n", bad[i].spec, err);
		hv_diags_release(&d);
	}
}

static void test_synthetic_counts(void)
{
	struct topo *t = synth("pack:2 numa:2 l3:2 core:4 pu:2 mem:32G dimm:3/4 pci:10 switch:4");

	if (!t)
		return;
	CHECK_INT(topo_count(t->root, TOPO_PACKAGE), 2);
	CHECK_INT(topo_count(t->root, TOPO_DIE), 4);
	CHECK_INT(topo_count(t->root, TOPO_NUMA), 4);
	CHECK_INT(topo_count_cache(t->root, 3, CACHE_UNIFIED), 8);
	CHECK_INT(topo_count(t->root, TOPO_CORE), 32);
	CHECK_INT(topo_count(t->root, TOPO_PU), 64);
	CHECK_INT(topo_count(t->root, TOPO_MEMORY_MODULE), 16);
	CHECK_INT(topo_count(t->root, TOPO_PCI_DEVICE), 10);
	CHECK_INT(topo_count(t->root, TOPO_OS_DEVICE), 10);
	CHECK_INT(topo_total_memory(t->root), 4 * (32ull << 30));
	CHECK_INT(cpuset_count(&t->root->cpus), 64);
	CHECK_INT(t->ndist, 4);
	CHECK_INT(t->dist[0 * 4 + 1], 12);
	CHECK_INT(t->dist[0 * 4 + 2], 32);
	struct topo_obj *n1 = topo_find(t->root, TOPO_NUMA, 1);
	CHECK(n1 && n1->parent->type == TOPO_DIE);
	CHECK(n1 && cpuset_count(&n1->cpus) == 16);
	topo_free(t);
}

static struct topo_obj *cpu_obj(enum topo_type type, int64_t os, const char *cpus)
{
	struct topo_obj *o = topo_obj_new(type, os);

	CHECK_INT(cpuset_parse_list(&o->cpus, cpus), 0);
	return o;
}

/* The model: nesting by cpuset, crossing objects dropped, NUMA nodes
 * under the object with their locality or a group made for it; and the
 * group drawn by every renderer. */
static void test_model_groups(void)
{
	struct topo *t = topo_new();
	struct topo_obj *objs[] = {
		cpu_obj(TOPO_PACKAGE, 0, "0-1"), cpu_obj(TOPO_PACKAGE, 1, "2-3"),
		cpu_obj(TOPO_PACKAGE, 2, "4-5"), cpu_obj(TOPO_PACKAGE, 3, "6-7"),
		cpu_obj(TOPO_CACHE, -1, "0-1"), cpu_obj(TOPO_CACHE, -1, "1-2"),
		cpu_obj(TOPO_PU, 0, "0"), cpu_obj(TOPO_PU, 1, "1"),
		cpu_obj(TOPO_PU, 2, "2"), cpu_obj(TOPO_PU, 3, "3"),
		cpu_obj(TOPO_PU, 4, "4"), cpu_obj(TOPO_PU, 5, "5"),
		cpu_obj(TOPO_PU, 6, "6"), cpu_obj(TOPO_PU, 7, "7"),
	};
	struct cpuset set = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct render_opts ro = { 0 };

	objs[4]->level = objs[5]->level = 3;
	CHECK_INT(cpuset_parse_list(&t->root->cpus, "0-7"), 0);
	/* the L3 on 1-2 crosses both packages: dropped, not misplaced */
	CHECK_INT(topo_build_cpu_tree(t->root, objs, ARRAY_SIZE(objs), NULL), 1);
	CHECK_INT(topo_count(t->root, TOPO_CACHE), 1);
	CHECK_INT(t->root->nkids, 4);

	/* a node local to package 0 and its equal L3: the package */
	CHECK_INT(cpuset_parse_list(&set, "0-1"), 0);
	CHECK(topo_node_parent(t->root, &set, NULL, NULL) == t->root->kids[0]);
	/* a node over two packages: a group holding both */
	cpuset_release(&set);
	CHECK_INT(cpuset_parse_list(&set, "0-3"), 0);
	struct topo_obj *g = topo_node_parent(t->root, &set, NULL, NULL);
	CHECK(g && g->type == TOPO_GROUP && g->parent == t->root);
	CHECK(g && g->reason && strcmp(g->reason, "numa") == 0);
	CHECK(g && g->nkids == 2 && g->kids[0]->type == TOPO_PACKAGE);
	CHECK_INT(t->root->nkids, 3);
	/* the same locality again: the same group */
	CHECK(topo_node_parent(t->root, &set, NULL, NULL) == g);
	if (g)
		topo_obj_add(g, topo_obj_new(TOPO_NUMA, 0));
	/* a locality cutting a package in two: nothing made */
	cpuset_release(&set);
	CHECK_INT(cpuset_parse_list(&set, "3-4"), 0);
	CHECK(topo_node_parent(t->root, &set, NULL, NULL) == NULL);
	/* offline PU 5 aside, 4 is package 2 */
	cpuset_release(&set);
	CHECK_INT(cpuset_parse_list(&set, "4"), 0);
	struct cpuset off = { 0 };
	CHECK_INT(cpuset_parse_list(&off, "5"), 0);
	CHECK(topo_node_parent(t->root, &set, &off, NULL) ==
	      topo_find(t->root, TOPO_PACKAGE, 2));
	/* the whole machine: the machine */
	cpuset_release(&set);
	CHECK_INT(cpuset_parse_list(&set, "0-7"), 0);
	CHECK(topo_node_parent(t->root, &set, NULL, NULL) == t->root);

	cpuset_release(&set);

	/* clusters 0-3 and 4-7 of a package 0-7 cut by a locality 2-5 go
	 * (their PUs stay, warned), as hwloc drops a conflicting Group; a
	 * core cut by it leaves nothing made */
	{
		struct topo *u = topo_new();
		struct topo_obj *v[] = {
			cpu_obj(TOPO_PACKAGE, 0, "0-7"), cpu_obj(TOPO_CLUSTER, 0, "0-3"),
			cpu_obj(TOPO_CLUSTER, 1, "4-7"), cpu_obj(TOPO_CORE, 0, "0-1"),
			cpu_obj(TOPO_CORE, 1, "2-3"), cpu_obj(TOPO_CORE, 2, "4-5"),
			cpu_obj(TOPO_CORE, 3, "6-7"),
		};
		struct hv_diags d = { 0 };
		struct topo_obj *h;

		CHECK_INT(cpuset_parse_list(&u->root->cpus, "0-7"), 0);
		CHECK_INT(topo_build_cpu_tree(u->root, v, ARRAY_SIZE(v), NULL), 0);
		CHECK_INT(cpuset_parse_list(&set, "3-4"), 0);
		CHECK(topo_node_parent(u->root, &set, NULL, &d) == NULL);
		CHECK_INT(topo_count(u->root, TOPO_CLUSTER), 2);
		cpuset_release(&set);
		CHECK_INT(cpuset_parse_list(&set, "2-5"), 0);
		h = topo_node_parent(u->root, &set, NULL, &d);
		CHECK(h && h->type == TOPO_GROUP && h->nkids == 2 &&
		      h->parent == u->root->kids[0]);
		CHECK_INT(topo_count(u->root, TOPO_CLUSTER), 0);
		CHECK_INT(topo_count(u->root, TOPO_CORE), 4);
		CHECK(d.n == 2 && strstr(d.v[0].msg, "the cluster of CPUs 0-3 is cut") != NULL);
		cpuset_release(&set);
		hv_diags_release(&d);
		topo_free(u);
	}

	topo_sort(t->root);
	render_text(t, &ro, &out);
	CHECK(strstr(out.buf, "Group (NUMA locality)") != NULL);
	strbuf_reset(&out);
	render_json(t, &ro, &out);
	CHECK(strstr(out.buf, "\"type\":\"group\"") != NULL);
	CHECK(strstr(out.buf, "\"reason\":\"numa\"") != NULL);
	strbuf_reset(&out);
	render_svg(t, &ro, &out);
	CHECK(strstr(out.buf, "Group (NUMA locality)") != NULL);
	strbuf_release(&out);
	cpuset_release(&set);
	cpuset_release(&off);
	topo_free(t);
}

/* Text details: no empty "Microcode:" line. */
static void test_text_microcode(struct topo *t)
{
	static const struct { const char *mc; bool shown; } cases[] = {
		{ "", false }, { " \n", false }, { "0x1b", true },
	};
	struct render_opts ro = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;

		t->microcode = xstrdup(cases[i].mc);
		render_text(t, &ro, &sb);
		CHECK_INT(strstr(sb.buf, "Microcode:") != NULL, cases[i].shown);
		free(t->microcode);
		t->microcode = NULL;
		strbuf_release(&sb);
	}
}

static size_t count_boxes(const struct layout *l, enum layout_fill fill,
			  const char *text)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if ((l->prims[i].kind == LAYOUT_BOX && l->prims[i].box.fill == fill &&
		     l->prims[i].box.obj &&
		     !text) ||
		    (text && l->prims[i].kind == LAYOUT_TEXT &&
		     strstr(l->prims[i].text.s, text)))
			n++;
	return n;
}

/* 16 identical packages past two screens: one drawn, "... 15 more
 * identical" beside it naming the rest; -v draws all 16. */
static void test_factorised(const struct topo *big)
{
	struct render_opts ro = { 0 };
	struct layout_opts lo;

	layout_opts_for(&lo, &ro);
	struct layout *l = layout_compute(big, &lo);
	CHECK_INT(count_boxes(l, LAYOUT_FILL_PACKAGE, NULL), 1);
	CHECK_INT(count_boxes(l, LAYOUT_FILL_MORE, "... 15 more identical"), 1);
	CHECK_INT(count_boxes(l, LAYOUT_FILL_MORE, "Package P#1-15, PUs 256-4095"), 1);
	CHECK(l->height < 3000);
	layout_free(l);
	ro.verbose = true;
	layout_opts_for(&lo, &ro);
	l = layout_compute(big, &lo);
	CHECK_INT(count_boxes(l, LAYOUT_FILL_PACKAGE, NULL), 16);
	CHECK_INT(count_boxes(l, LAYOUT_FILL_MORE, "identical"), 0);
	layout_free(l);
}

int main(void)
{
	struct topo *small = synth("pack:1 core:2 pu:2 dimm:2/4 pci:4");
	struct topo *big = synth("pack:16 core:128 pu:2 pci:300");

	test_synthetic_errors();
	test_synthetic_counts();
	test_model_groups();
	if (small && big) {
		CHECK_INT(topo_count(big->root, TOPO_PU), 4096);
		CHECK_INT(topo_count(big->root, TOPO_PCI_DEVICE), 300);
		test_text_microcode(small);
		test_factorised(big);
		check_png("small", small, false);
		check_png("big", big, false);
		check_png("big -v", big, true);
		check_pdf("small", small);
		check_pdf("big", big);
		check_dot(small);
		/* the scale factor itself, at and past each limit */
		CHECK(render_png_scale(1000, 1000) == 1);
		CHECK(render_png_scale(65534, 100) == 0.5);
		CHECK(render_png_scale(100, 327670) == 0.1);
		double s = render_png_scale(16384, 16384);
		CHECK(16384 * s * 16384 * s <= 64.0 * 1024 * 1024 * 1.0001);
		CHECK(s > 0.49);
	}
	topo_free(small);
	topo_free(big);
	return CHECK_DONE();
}
