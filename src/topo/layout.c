/* SPDX-License-Identifier: MIT */
/*
 * The topology picture's layout, computed once for every renderer.
 *
 * Rules (after lstopo): each object is a box with its label on top and
 * its children inside, in bands from top to bottom: NUMA nodes, the CPU
 * side (packages, dies, caches, cores, PUs), memory slots, PCI, OS
 * devices.  A band's boxes flow left to right and wrap into balanced rows
 * past max_row_width, except the children of a host or PCI bridge, which
 * stack as indented rows joined to the bridge by link lines (thicker for
 * wider links).  Past max_kids siblings of one kind, the rest of that
 * kind become one "... N more" box.  Sizes are computed bottom up from
 * the estimated text widths, then positions top down, so children lie
 * inside their parents, siblings never overlap and every label fits.
 */
#include <stdlib.h>
#include <string.h>

#include "iofilter.h"
#include "layout.h"
#include "pcie.h"
#include "render.h"
#include "strbuf.h"

#define MARGIN 10.0
#define PAD 4.0
#define GAP 4.0
#define INDENT 16.0
#define TITLE_SIZE 16.0
#define ASCENT 0.8	/* of the font size, above the baseline */
#define DESCENT 0.25
#define LINE_H 1.3	/* line spacing, of the font size */
#define LINK_SIZE 0.8	/* link labels, of the font size */
#define FIT_HEIGHT 2000	/* two screens: past it, identical packages once */

/* No libm: the few helpers the layout needs. */
static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double dceil(double v)
{
	double i = (double)(long long)v;

	return i < v ? i + 1 : i;
}

enum band { BAND_NUMA, BAND_CPU, BAND_DIMM, BAND_IO, BAND_OS, NBANDS };

/* The working tree: measured bottom up, then placed top down. */
struct lnode {
	const struct topo_obj *obj;
	enum layout_fill fill;
	enum band band;
	char **lines;
	size_t nlines;
	bool bold;
	char *id, *title;
	size_t more;
	struct lnode **kids;
	size_t nkids, akids;
	double w, h, hdr;	/* size; height of the label */
	double rx, ry;		/* position in the parent */
	bool stacked;		/* joined to the parent by a link line */
	double indent;		/* stacked: the column's indent */
	char *link;		/* "Gen4 x16 31.5 GB/s" or NULL */
	bool degraded;
	size_t red_from;	/* lines from this one on are drawn red (0: none) */
};

struct ids {
	char **slot;		/* open addressing; not owned */
	size_t cap, n;
};

struct ctx {
	struct layout_opts o;
	struct layout *l;
	struct ids ids;
	bool used[LAYOUT_NFILLS];
	int factorise;		/* this pass draws identical packages once
				 * down to this depth (machine's kids: 1) */
	int depth;		/* of the object build() is at */
};

const struct layout_style layout_styles[LAYOUT_NFILLS] = {
	[LAYOUT_FILL_MACHINE] = { "machine", "Machine", 0xffffff, 0x404040, { 0, 0 } },
	[LAYOUT_FILL_PACKAGE] = { "package", "Package", 0xe4e4e4, 0x404040, { 0, 0 } },
	[LAYOUT_FILL_DIE] = { "die", "Die", 0xd6d6d6, 0x505050, { 0, 0 } },
	[LAYOUT_FILL_CLUSTER] = { "cluster", "Cluster", 0xececec, 0x606060, { 0, 0 } },
	[LAYOUT_FILL_GROUP] = { "group", "Group (NUMA locality)", 0xfbf6f5,
				0x8a5a55, { 6, 3 } },
	[LAYOUT_FILL_NUMA] = { "numa", "NUMA node", 0xf3e1df, 0x8a5a55, { 0, 0 } },
	[LAYOUT_FILL_MEMCACHE] = { "memcache", "Memory-side cache", 0xf1e8d6,
				   0x806a40, { 0, 0 } },
	[LAYOUT_FILL_CACHE] = { "cache", "Cache", 0xffffff, 0x606060, { 0, 0 } },
	[LAYOUT_FILL_CORE] = { "core", "Core", 0xc6c6c6, 0x505050, { 0, 0 } },
	[LAYOUT_FILL_PU] = { "pu", "PU (thread)", 0xffffff, 0x505050, { 0, 0 } },
	[LAYOUT_FILL_PU_OFFLINE] = { "pu-offline", "PU offline", 0xf6d2d2,
				     0xa04040, { 3, 2 } },
	[LAYOUT_FILL_DIMM] = { "dimm", "Memory module", 0xd5ebcc, 0x4f7a45, { 0, 0 } },
	[LAYOUT_FILL_DIMM_EMPTY] = { "dimm-empty", "Empty slot", 0xf4f4f4,
				     0xa8a8a8, { 3, 2 } },
	[LAYOUT_FILL_BRIDGE] = { "bridge", "Bridge", 0xeef3fa, 0x506a8a, { 0, 0 } },
	[LAYOUT_FILL_PCI] = { "pci", "PCI device", 0xd9e6f5, 0x3d5f8a, { 0, 0 } },
	[LAYOUT_FILL_OSDEV] = { "osdev", "OS device", 0xfff1bf, 0x8a7430, { 0, 0 } },
	[LAYOUT_FILL_MORE] = { "more", "Hidden siblings", 0xffffff, 0x808080, { 4, 3 } },
	[LAYOUT_FILL_LEGEND] = { "legend", "Legend", 0xfafafa, 0x909090, { 0, 0 } },
};

const struct layout_ink_style layout_inks[LAYOUT_NINKS] = {
	[LAYOUT_INK_TEXT] = { "text", 0x101010 },
	[LAYOUT_INK_DIM] = { "dim", 0x707070 },
	[LAYOUT_INK_LINK] = { "link", 0x3d5f8a },
	[LAYOUT_INK_DEGRADED] = { "degraded", 0xc03030 },
};

const char *layout_fill_name(enum layout_fill f)
{
	return f < LAYOUT_NFILLS ? layout_styles[f].name : "unknown";
}

const char *layout_fill_legend(enum layout_fill f)
{
	return f < LAYOUT_NFILLS ? layout_styles[f].legend : "?";
}

/* ---- PCIe links ---- */

bool layout_link_label(const struct topo_obj *o, struct strbuf *out)
{
	if (!o || !o->has_link || !o->link_sta.width)
		return false;
	const struct topo_link *l = &o->link_sta;
	double gbps = pcie_link_gbps(l->speed_gts, l->width, o->link_flit);

	render_pcie_link(l, out);
	if (gbps > 0)
		strbuf_addf(out, " %.1f GB/s", gbps);
	return true;
}

double layout_link_stroke(const struct topo_obj *o)
{
	double w = 1;

	if (!o || !o->has_link || !o->link_sta.width)
		return w;
	double gbps = pcie_link_gbps(o->link_sta.speed_gts, o->link_sta.width,
				     o->link_flit);
	/* A link of unknown rate: by its lanes, as if Gen1. */
	if (gbps <= 0)
		gbps = 0.25 * o->link_sta.width;
	for (double g = 0.25; 2 * g <= gbps * 1.01 && w < 6; g *= 2)
		w += 0.4;
	return w;
}

void layout_opts_init(struct layout_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_kids = 16;
	o->font_size = 10;
	o->max_row_width = 1600;
	o->wrap_chars = 64;
	o->factorise = true;
}

void layout_opts_for(struct layout_opts *lo, const struct render_opts *o)
{
	layout_opts_init(lo);
	if (o && o->verbose) {
		lo->max_kids = 0;
		lo->verbose = true;
		lo->factorise = false;
	}
	lo->io_all = o && (o->verbose || o->io_all);
}

double layout_text_width(const char *s, double size)
{
	size_t chars = 0;

	for (; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	return 0.6 * size * (double)chars;
}

void layout_text_extent(const struct layout_text *t, double *x0, double *y0,
			double *x1, double *y1)
{
	*x0 = t->x;
	*x1 = t->x + layout_text_width(t->s, t->size);
	*y0 = t->y - ASCENT * t->size;
	*y1 = t->y + DESCENT * t->size;
}

/* ---- unique ids ---- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool ids_insert(struct ids *ids, char *id)
{
	if (2 * (ids->n + 1) > ids->cap) {
		struct ids big = { .cap = ids->cap ? 2 * ids->cap : 256 };

		big.slot = xcalloc(big.cap, sizeof(*big.slot));
		for (size_t i = 0; i < ids->cap; i++)
			if (ids->slot[i])
				ids_insert(&big, ids->slot[i]);
		free(ids->slot);
		*ids = big;
	}
	size_t i = str_hash(id) & (ids->cap - 1);
	for (; ids->slot[i]; i = (i + 1) & (ids->cap - 1))
		if (strcmp(ids->slot[i], id) == 0)
			return false;
	ids->slot[i] = id;
	ids->n++;
	return true;
}

/* Makes base (malloc'd, consumed) unique: "core-0", "core-0-2". */
static char *unique_id(struct ctx *c, char *base)
{
	char *id = base;

	for (unsigned n = 2; !ids_insert(&c->ids, id); n++) {
		if (id != base)
			free(id);
		id = xasprintf("%s-%u", base, n);
	}
	if (id != base)
		free(base);
	return id;
}

/* "pu-3", "l2-0", "pci-0000-3b-00-0": lower case letters, digits, '-'. */
static char *base_id(const struct topo_obj *o)
{
	const char *type = o->type == TOPO_NUMA ? "numa" : topo_type_name(o->type);
	int first = cpuset_next(&o->cpus, 0);
	char *s;

	if (o->type == TOPO_CACHE)
		s = xasprintf("l%u%s-%d", o->level,
			      o->cache_type == CACHE_DATA ? "d"
			      : o->cache_type == CACHE_INSTRUCTION ? "i" : "", first);
	else if (o->type == TOPO_MEMORY_MODULE)
		s = xasprintf("dimm-%s", o->locator ? o->locator : "x");
	else if (o->type == TOPO_PCI_BRIDGE || o->type == TOPO_PCI_DEVICE)
		s = xasprintf("%s-%s", o->host_bridge ? "hostbridge" : "pci",
			      o->address ? o->address : "x");
	else if (o->type == TOPO_OS_DEVICE)
		s = xasprintf("osdev-%s", o->name ? o->name : "x");
	else if (o->os_index >= 0)
		s = xasprintf("%s-%lld", type, (long long)o->os_index);
	else if (first >= 0 && o->type != TOPO_MACHINE)
		s = xasprintf("%s-cpu%d", type, first);
	else
		s = xstrdup(type);
	for (char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9'))
			*p = '-';
	}
	return s;
}

/* ---- the working tree ---- */

static void lnode_add_line(struct lnode *n, char *s)
{
	n->lines = xrealloc(n->lines, (n->nlines + 1) * sizeof(*n->lines));
	n->lines[n->nlines++] = s;
}

/* Splits s into lines of at most wrap characters at spaces. */
static void lnode_add_wrapped(struct lnode *n, const char *s, size_t wrap)
{
	while (*s) {
		size_t len = strlen(s), cut = len;

		if (len > wrap) {
			cut = wrap;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)	/* one long word: break it at wrap */
				cut = wrap;
		}
		lnode_add_line(n, xstrndup(s, cut));
		s += cut;
		while (*s == ' ')
			s++;
	}
}

static enum layout_fill obj_fill(const struct topo_obj *o)
{
	static const enum layout_fill by_type[TOPO_NTYPES] = {
		[TOPO_MACHINE] = LAYOUT_FILL_MACHINE,
		[TOPO_PACKAGE] = LAYOUT_FILL_PACKAGE,
		[TOPO_DIE] = LAYOUT_FILL_DIE,
		[TOPO_CLUSTER] = LAYOUT_FILL_CLUSTER,
		/* a NUMA node's locality: what the node's memory is near */
		[TOPO_GROUP] = LAYOUT_FILL_GROUP,
		[TOPO_NUMA] = LAYOUT_FILL_NUMA,
		[TOPO_MEMCACHE] = LAYOUT_FILL_MEMCACHE,
		[TOPO_CACHE] = LAYOUT_FILL_CACHE,
		[TOPO_CORE] = LAYOUT_FILL_CORE,
		[TOPO_PU] = LAYOUT_FILL_PU,
		[TOPO_MEMORY_MODULE] = LAYOUT_FILL_DIMM,
		[TOPO_PCI_BRIDGE] = LAYOUT_FILL_BRIDGE,
		[TOPO_PCI_DEVICE] = LAYOUT_FILL_PCI,
		[TOPO_OS_DEVICE] = LAYOUT_FILL_OSDEV,
	};

	if (o->type == TOPO_PU && !o->online)
		return LAYOUT_FILL_PU_OFFLINE;
	if (o->type == TOPO_MEMORY_MODULE && !o->size_bytes)
		return LAYOUT_FILL_DIMM_EMPTY;
	if (o->host_bridge)
		return LAYOUT_FILL_BRIDGE;
	return o->type < TOPO_NTYPES ? by_type[o->type] : LAYOUT_FILL_OSDEV;
}

static enum band obj_band(const struct topo_obj *o)
{
	switch (o->type) {
	case TOPO_NUMA: return BAND_NUMA;
	case TOPO_MEMORY_MODULE: return BAND_DIMM;
	case TOPO_PCI_BRIDGE: case TOPO_PCI_DEVICE: return BAND_IO;
	case TOPO_OS_DEVICE: return BAND_OS;
	default: return BAND_CPU;
	}
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether b may hide behind a's "... N more" box. */
static bool same_kind(const struct topo_obj *a, const struct topo_obj *b)
{
	if (a->type != b->type || a->type == TOPO_MACHINE ||
	    a->type == TOPO_NUMA || a->type == TOPO_PCI_BRIDGE ||
	    a->host_bridge || b->host_bridge)
		return false;
	switch (a->type) {
	case TOPO_CACHE:
	case TOPO_MEMCACHE:
		return a->level == b->level && a->cache_type == b->cache_type;
	case TOPO_PACKAGE:
		return str_same(a->cpu_model, b->cpu_model);
	case TOPO_CORE:
		return str_same(a->core_kind, b->core_kind);
	case TOPO_PU:
		return a->online == b->online;
	case TOPO_MEMORY_MODULE:
		return !a->size_bytes == !b->size_bytes;
	case TOPO_PCI_DEVICE:
		return a->vendor_id == b->vendor_id &&
		       a->device_id == b->device_id && a->is_vf == b->is_vf;
	case TOPO_OS_DEVICE:
		return str_same(a->kind, b->kind);
	default:
		return true;
	}
}

static void module_lines(struct lnode *n, const struct topo_obj *o)
{
	char size[32];
	unsigned mts = o->configured_speed_mts ? o->configured_speed_mts
					       : o->speed_mts;

	lnode_add_line(n, xstrdup(o->locator ? o->locator : "?"));
	if (!o->size_bytes) {
		lnode_add_line(n, xstrdup("empty"));
		return;
	}
	format_size(size, sizeof(size), o->size_bytes);
	lnode_add_line(n, o->mem_type ? xasprintf("%s %s", size, o->mem_type)
				      : xstrdup(size));
	if (mts)
		lnode_add_line(n, xasprintf("%u MT/s%s", mts, o->ecc ? " ECC" : ""));
}

static struct lnode *lnode_new(struct ctx *c, enum layout_fill fill,
			       enum band band)
{
	struct lnode *n = xcalloc(1, sizeof(*n));

	n->fill = fill;
	n->band = band;
	c->used[fill] = true;
	return n;
}

static void lnode_add_kid(struct lnode *n, struct lnode *k)
{
	n->kids = xgrow(n->kids, sizeof(*n->kids), n->nkids + 1, &n->akids);
	n->kids[n->nkids++] = k;
}

/*
 * Siblings hidden behind one "... N more" box: past the limit of their
 * kind (struct kind), or identical to one drawn (struct twin).
 */
struct hidden {
	const struct topo_obj *rep, *first;	/* first: the first hidden */
	struct lnode *more;
	struct cpuset idx, pus;	/* the hidden ones' indices and PUs */
	bool idx_ok;
};

static void hide(struct ctx *c, struct lnode *n, struct hidden *h,
		 const struct topo_obj *k, enum band band)
{
	if (!h->more) {
		h->more = lnode_new(c, LAYOUT_FILL_MORE, band);
		h->first = k;
		lnode_add_kid(n, h->more);
	}
	h->more->more++;
	if (k->os_index >= 0 && k->os_index < CPUSET_MAX)
		cpuset_set(&h->idx, (unsigned)k->os_index);
	else
		h->idx_ok = false;
	cpuset_or(&h->pus, &k->cpus);
}

/* "Core P#16-31" (or "L2, PUs 32-63" where the indices do not say it),
 * with the PUs too when always_pus. */
static void hidden_what(const struct hidden *h, bool always_pus,
			struct strbuf *sb)
{
	struct strbuf what = STRBUF_INIT;
	bool by_idx = h->idx_ok && cpuset_count(&h->idx) == h->more->more;
	char *s, *list;

	render_label(h->rep, false, &what);
	s = strchr(what.buf, ' ');
	if (s)
		*s = 0;		/* the kind: "Core", "L2", "PCI" */
	strbuf_adds(sb, what.buf);
	strbuf_release(&what);
	if (by_idx) {
		list = cpuset_format(&h->idx);
		strbuf_addf(sb, " P#%s", list);
		free(list);
	}
	if ((always_pus || !by_idx) && cpuset_count(&h->pus)) {
		list = cpuset_format(&h->pus);
		strbuf_addf(sb, ", PUs %s", list);
		free(list);
	}
}

/* The box's id, after its first hidden sibling: "more-core-16". */
static void hidden_finish(struct ctx *c, struct hidden *h)
{
	char *base = base_id(h->first);

	h->more->id = unique_id(c, xasprintf("more-%s", base));
	free(base);
}

/* Siblings of one kind past the limit: counted into one box. */
struct kind {
	struct hidden h;
	uint64_t shape;		/* cpu_shape(h.rep) */
	size_t shown;
};

static void finish_more(struct ctx *c, struct kind *k)
{
	struct lnode *m = k->h.more;
	struct strbuf sb = STRBUF_INIT;

	lnode_add_line(m, xasprintf("... %zu more", m->more));
	hidden_what(&k->h, false, &sb);
	lnode_add_wrapped(m, sb.buf, c->o.wrap_chars);
	m->title = xasprintf("%zu more: %s", m->more, sb.buf);
	strbuf_release(&sb);
}

/* ---- identical packages, drawn once ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	return h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
}

/*
 * What a box may stand for ("... N more", "... N more identical"): only
 * siblings whose CPU, NUMA and memory-module subtrees are the same as the
 * drawn one's, sizes and state included: types, counts, cache levels,
 * types and sizes, NUMA memory sizes and kinds, memory modules' sizes,
 * types and speeds, core kinds, CPU models, offline PUs, a degraded link
 * of the object itself.  Not the indices or cpusets (the box lists
 * them), nor the I/O below (the box counts it, and names its degraded
 * links).
 */
static bool shape_kid(const struct topo_obj *k)
{
	enum band b = obj_band(k);

	return b == BAND_CPU || b == BAND_NUMA || b == BAND_DIMM;
}

static uint64_t shape_sizes(const struct topo_obj *o)
{
	switch (o->type) {
	case TOPO_CACHE: case TOPO_MEMCACHE: case TOPO_MEMORY_MODULE:
		return o->size_bytes;
	case TOPO_NUMA:
		return o->memory_bytes;
	default:
		return 0;
	}
}

static bool shape_node_same(const struct topo_obj *a, const struct topo_obj *b)
{
	return a->type == b->type && a->level == b->level &&
	       a->cache_type == b->cache_type &&
	       shape_sizes(a) == shape_sizes(b) &&
	       (a->type != TOPO_PU || a->online == b->online) &&
	       str_same(a->core_kind, b->core_kind) &&
	       (a->type != TOPO_PACKAGE || str_same(a->cpu_model, b->cpu_model)) &&
	       (a->type != TOPO_NUMA || str_same(a->mem_kind, b->mem_kind)) &&
	       (a->type != TOPO_MEMORY_MODULE ||
		(str_same(a->mem_type, b->mem_type) &&
		 a->speed_mts == b->speed_mts &&
		 a->configured_speed_mts == b->configured_speed_mts &&
		 a->ecc == b->ecc)) &&
	       pcie_link_degraded(a, NULL) == pcie_link_degraded(b, NULL);
}

/* A hash of the shape: equal shapes hash equal (a prefilter for
 * same_shape()). */
static uint64_t cpu_shape(const struct topo_obj *o)
{
	uint64_t h = mix(mix(0, o->type), o->level);
	size_t n = 0;

	h = mix(mix(h, o->cache_type), shape_sizes(o));
	h = mix(mix(h, o->type == TOPO_PU && !o->online), str_hash(o->core_kind ? o->core_kind : ""));
	if (o->type == TOPO_PACKAGE)
		h = mix(h, str_hash(o->cpu_model ? o->cpu_model : ""));
	for (size_t i = 0; i < o->nkids; i++) {
		if (shape_kid(o->kids[i])) {
			h = mix(h, cpu_shape(o->kids[i]));
			n++;
		}
	}
	return mix(h, n);
}

static bool same_shape(const struct topo_obj *a, const struct topo_obj *b)
{
	size_t i = 0, j = 0;

	if (!shape_node_same(a, b))
		return false;
	for (;;) {
		while (i < a->nkids && !shape_kid(a->kids[i]))
			i++;
		while (j < b->nkids && !shape_kid(b->kids[j]))
			j++;
		if (i == a->nkids || j == b->nkids)
			return i == a->nkids && j == b->nkids;
		if (!same_shape(a->kids[i++], b->kids[j++]))
			return false;
	}
}

static bool factorable(const struct topo_obj *o)
{
	return o->type == TOPO_PACKAGE || o->type == TOPO_GROUP ||
	       o->type == TOPO_DIE;
}

/* The siblings identical to a drawn one, counted into one box. */
struct twin {
	struct hidden h;
	uint64_t shape;
	struct cpuset nodes;
	size_t pci, dimms;
	struct strbuf bad;			/* degraded links' addresses */
	size_t nbad;
};

static int twin_count(struct topo_obj *o, void *ctx)
{
	struct twin *t = ctx;

	if (o->type == TOPO_PCI_DEVICE)
		t->pci++;
	else if (o->type == TOPO_MEMORY_MODULE && o->size_bytes)
		t->dimms++;
	else if (o->type == TOPO_NUMA && o->os_index >= 0 &&
		 o->os_index < CPUSET_MAX)
		cpuset_set(&t->nodes, (unsigned)o->os_index);
	if (pcie_link_degraded(o, NULL)) {
		strbuf_addf(&t->bad, "%s%s", t->nbad ? ", " : "",
			    o->address ? o->address : "?");
		t->nbad++;
	}
	return 0;
}

static void finish_twin(struct ctx *c, struct twin *t)
{
	struct lnode *m = t->h.more;
	struct strbuf sb = STRBUF_INIT;
	char *list;

	lnode_add_line(m, xasprintf("... %zu more identical", m->more));
	hidden_what(&t->h, true, &sb);
	if (cpuset_count(&t->nodes)) {
		list = cpuset_format(&t->nodes);
		strbuf_addf(&sb, ", NUMA nodes %s", list);
		free(list);
	}
	if (t->pci || t->dimms)
		strbuf_addf(&sb, ", with %zu memory module(s) and %zu PCI device(s)",
			    t->dimms, t->pci);
	strbuf_adds(&sb, " (-v draws them)");
	lnode_add_wrapped(m, sb.buf, c->o.wrap_chars);
	m->title = xasprintf("%zu more identical: %s%s%s", m->more, sb.buf,
			     t->nbad ? "; degraded links: " : "", t->bad.buf);
	if (t->nbad) {
		char *line = xasprintf("%zu degraded link(s): %s", t->nbad, t->bad.buf);

		m->red_from = m->nlines;
		lnode_add_wrapped(m, line, c->o.wrap_chars);
		free(line);
	}
	strbuf_release(&sb);
}

/* Whether k is hidden as a twin of a sibling drawn before it. */
static bool add_twin(struct ctx *c, struct lnode *n, struct twin **twins,
		     size_t *ntwins, const struct topo_obj *k)
{
	uint64_t sh = cpu_shape(k);
	struct twin *t = NULL;

	for (size_t j = 0; j < *ntwins && !t; j++)
		if ((*twins)[j].shape == sh && same_shape((*twins)[j].h.rep, k))
			t = &(*twins)[j];
	if (!t) {
		*twins = xrealloc(*twins, (*ntwins + 1) * sizeof(**twins));
		t = &(*twins)[(*ntwins)++];
		*t = (struct twin){ .h = { .rep = k, .idx_ok = true }, .shape = sh,
				    .bad = STRBUF_INIT };
		return false;
	}
	hide(c, n, &t->h, k, BAND_CPU);
	topo_walk((struct topo_obj *)k, twin_count, t);
	return true;
}

/* What the default I/O filter hides below o: one box per bus. */
static void add_folds(struct ctx *c, struct lnode *n, const struct topo_obj *o)
{
	struct io_fold *f = NULL;
	size_t nf = io_folds(o, &f);

	for (size_t i = 0; i < nf; i++) {
		struct lnode *m = lnode_new(c, LAYOUT_FILL_MORE, BAND_IO);
		struct strbuf sb = STRBUF_INIT;
		char *base = base_id(f[i].first);

		io_fold_label(o, &f[i], &sb);
		m->more = f[i].n;
		lnode_add_wrapped(m, sb.buf, c->o.wrap_chars);
		m->title = xasprintf("%s, not shown by the default I/O filter (--io all shows them)",
				     sb.buf);
		m->id = unique_id(c, xasprintf("more-io-%s", base));
		free(base);
		strbuf_release(&sb);
		lnode_add_kid(n, m);
	}
	free(f);
}

static struct lnode *build(struct ctx *c, const struct topo_obj *o);

/* k drawn below n, one level deeper. */
static void add_built(struct ctx *c, struct lnode *n, const struct topo_obj *k)
{
	c->depth++;
	lnode_add_kid(n, build(c, k));
	c->depth--;
}

static struct lnode *build(struct ctx *c, const struct topo_obj *o)
{
	struct lnode *n = lnode_new(c, obj_fill(o), obj_band(o));
	struct strbuf sb = STRBUF_INIT;

	n->obj = o;
	n->bold = o->type == TOPO_MACHINE || o->type == TOPO_PACKAGE ||
		  o->type == TOPO_NUMA || o->host_bridge;
	render_label(o, true, &sb);
	n->title = strbuf_detach(&sb, NULL);
	n->id = unique_id(c, base_id(o));
	if (layout_link_label(o, &sb)) {
		n->link = strbuf_detach(&sb, NULL);
		n->degraded = pcie_link_degraded(o, NULL);
	}
	if (o->type == TOPO_MEMORY_MODULE) {
		module_lines(n, o);
	} else {
		render_label(o, c->o.verbose, &sb);
		lnode_add_wrapped(n, sb.buf, c->o.wrap_chars);
		strbuf_release(&sb);
	}

	struct kind *kinds = NULL;
	struct twin *twins = NULL;
	size_t nkinds = 0, ntwins = 0;

	for (size_t i = 0; i < o->nkids; i++) {
		const struct topo_obj *k = o->kids[i];
		struct kind *kd = NULL;

		if (!c->o.io_all && !io_shown(k))
			continue;	/* folded: add_folds() */
		if (c->depth < c->factorise && factorable(k) &&
		    add_twin(c, n, &twins, &ntwins, k))
			continue;
		if (!c->o.max_kids || !same_kind(k, k)) {
			add_built(c, n, k);
			continue;
		}
		/* A sibling of another shape (an offline PU below, a cache
		 * of another size) is a kind of its own: never hidden
		 * behind a box that does not say how it differs. */
		uint64_t sh = cpu_shape(k);

		for (size_t j = 0; j < nkinds && !kd; j++)
			if (kinds[j].shape == sh && same_kind(kinds[j].h.rep, k) &&
			    same_shape(kinds[j].h.rep, k))
				kd = &kinds[j];
		if (!kd) {
			kinds = xrealloc(kinds, (nkinds + 1) * sizeof(*kinds));
			kd = &kinds[nkinds++];
			*kd = (struct kind){ .h = { .rep = k, .idx_ok = true },
					     .shape = sh };
		}
		if (kd->shown < c->o.max_kids) {
			kd->shown++;
			add_built(c, n, k);
			continue;
		}
		hide(c, n, &kd->h, k, obj_band(k));
	}
	if (!c->o.io_all)
		add_folds(c, n, o);
	for (size_t j = 0; j < ntwins; j++) {
		if (twins[j].h.more) {
			finish_twin(c, &twins[j]);
			hidden_finish(c, &twins[j].h);
		}
		cpuset_release(&twins[j].h.idx);
		cpuset_release(&twins[j].h.pus);
		cpuset_release(&twins[j].nodes);
		strbuf_release(&twins[j].bad);
	}
	free(twins);
	for (size_t j = 0; j < nkinds; j++) {
		if (kinds[j].h.more) {
			finish_more(c, &kinds[j]);
			hidden_finish(c, &kinds[j].h);
		}
		cpuset_release(&kinds[j].h.idx);
		cpuset_release(&kinds[j].h.pus);
	}
	free(kinds);
	return n;
}

static void lnode_free(struct lnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		lnode_free(n->kids[i]);
	for (size_t i = 0; i < n->nlines; i++)
		free(n->lines[i]);
	free(n->lines);
	free(n->kids);
	free(n->id);
	free(n->title);
	free(n->link);
	free(n);
}

/* ---- measuring ---- */

static bool is_bridge(const struct lnode *n)
{
	return n->obj && (n->obj->type == TOPO_PCI_BRIDGE || n->obj->host_bridge);
}

/* Flows kids[0..n) into rows from (x0, y0); returns the band's size. */
static void flow(struct ctx *c, struct lnode **kids, size_t n, double x0,
		 double y0, double *bw, double *bh)
{
	double limit = c->o.max_row_width, widest = 0;
	double maxw[LAYOUT_NFILLS][2] = { { 0 } };
	size_t rows = 1, cap = n, in_row = 0;

	/* Equal widths for boxes of one class: rows of cores line up. */
	for (size_t i = 0; i < n; i++) {
		double *w = &maxw[kids[i]->fill][!kids[i]->nkids];

		*w = dmax(*w, kids[i]->w);
	}
	for (size_t i = 0; i < n; i++) {
		double w = maxw[kids[i]->fill][!kids[i]->nkids];

		if (!kids[i]->nkids || kids[i]->w > 0.75 * w)
			kids[i]->w = w;
		widest = dmax(widest, kids[i]->w);
	}
	limit = dmax(limit, widest);
	/* Balanced rows: greedy rows first, then again with each row's
	 * count capped so that the rows come out even. */
	double x = x0, y = y0, row_h = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			cap = (n + rows - 1) / rows;
		x = x0;
		y = y0;
		row_h = 0;
		in_row = 0;
		rows = 1;
		*bw = 0;
		for (size_t i = 0; i < n; i++) {
			struct lnode *k = kids[i];

			if (in_row && (in_row == cap || x + k->w > x0 + limit)) {
				y += row_h + GAP;
				x = x0;
				row_h = 0;
				in_row = 0;
				rows++;
			}
			k->rx = x;
			k->ry = y;
			x += k->w + GAP;
			*bw = dmax(*bw, x - x0 - GAP);
			row_h = dmax(row_h, k->h);
			in_row++;
		}
	}
	*bh = y + row_h - y0;
}

/* Where a link label "Gen4 x16 31.5 GB/s" splits into the rate and
 * width over the stub and the bandwidth under it (the index of the space
 * after the width), or 0 when it is one part ("? x8"). */
static size_t link_cut(const char *s)
{
	const char *w = strstr(s, " x"), *sp = w ? strchr(w + 1, ' ') : NULL;

	return sp && sp[1] ? (size_t)(sp - s) : 0;
}

/*
 * A bridge's kids: indented rows of equal width joined by link lines,
 * in balanced columns when taller than 0.6 max_row_width.
 */
static void stack(struct ctx *c, struct lnode **kids, size_t n, double y0,
		  double *bw, double *bh)
{
	double w = 0, total = 0, limit = c->o.max_row_width, indent = INDENT;
	double lfs = LINK_SIZE * c->o.font_size;

	for (size_t i = 0; i < n; i++) {
		w = dmax(w, kids[i]->w);
		total += kids[i]->h + GAP;
		/* The link label sits right of the trunk, its rate over the
		 * stub and its bandwidth under it (link_cut()). */
		if (kids[i]->link) {
			size_t cut = link_cut(kids[i]->link);
			double lw = layout_text_width(kids[i]->link, lfs);

			if (cut)
				lw = dmax(layout_text_width(kids[i]->link + cut + 1, lfs),
					  lw - layout_text_width(kids[i]->link + cut, lfs));
			indent = dmax(indent, INDENT / 2 + 3 + lw + 3);
		}
	}
	indent = dceil(indent);
	size_t cols = (size_t)dceil(total / (0.6 * limit));
	size_t fit = (size_t)((limit + GAP) / (indent + w + GAP));

	cols = cols > fit ? fit : cols;
	cols = cols > n ? n : cols;
	cols = cols ? cols : 1;
	double x = PAD + indent, y = 0, per = total / (double)cols;
	size_t col = 0;

	*bh = 0;
	for (size_t i = 0; i < n; i++) {
		struct lnode *k = kids[i];

		if (y > 0 && y + k->h / 2 > per && col + 1 < cols) {
			x += indent + w + GAP;
			y = 0;
			col++;
		}
		k->w = w;
		k->rx = x;
		k->ry = y0 + y;
		k->stacked = true;
		k->indent = indent;
		y += k->h + GAP;
		*bh = dmax(*bh, y - GAP);
	}
	*bw = x + w - PAD;
}

static void measure(struct ctx *c, struct lnode *n)
{
	double fs = c->o.font_size, lh = LINE_H * fs, w = 0;
	struct lnode **band = xmalloc((n->nkids + 1) * sizeof(*band));

	for (size_t i = 0; i < n->nlines; i++)
		w = dmax(w, layout_text_width(n->lines[i], fs));
	n->w = w + 2 * PAD;
	n->hdr = PAD + (double)n->nlines * lh;
	double y = n->hdr;
	for (size_t i = 0; i < n->nkids; i++)
		measure(c, n->kids[i]);
	for (int b = 0; b < NBANDS; b++) {
		size_t nb = 0;
		double bw = 0, bh = 0;

		for (size_t i = 0; i < n->nkids; i++)
			if (n->kids[i]->band == (enum band)b)
				band[nb++] = n->kids[i];
		if (!nb)
			continue;
		if (b == BAND_IO && is_bridge(n))
			stack(c, band, nb, y, &bw, &bh);
		else
			flow(c, band, nb, PAD, y, &bw, &bh);
		n->w = dmax(n->w, PAD + bw + PAD);
		y += bh + GAP;
	}
	free(band);
	n->h = n->nkids ? y - GAP + PAD : n->hdr + PAD;
}

/* ---- emitting primitives ---- */

static long emit(struct layout *l, const struct layout_prim *p)
{
	l->prims = xgrow(l->prims, sizeof(*l->prims), l->n + 1, &l->alloc);
	l->prims[l->n] = *p;
	return (long)l->n++;
}

/* Texts take s: the lnode's strings move into the layout. */
static void emit_text(struct layout *l, long parent, double x, double y,
		      double size, bool bold, enum layout_ink ink, char *s)
{
	emit(l, &(struct layout_prim){ .kind = LAYOUT_TEXT, .parent = parent,
		.text = { x, y, size, bold, ink, s } });
}

static void emit_line(struct layout *l, long parent, double x1, double y1,
		      double x2, double y2, double width, enum layout_ink ink,
		      const struct topo_obj *obj)
{
	emit(l, &(struct layout_prim){ .kind = LAYOUT_LINE, .parent = parent,
		.line = { x1, y1, x2, y2, width, ink, obj } });
}

static void place(struct ctx *c, struct lnode *n, double x, double y,
		  long parent)
{
	struct layout *l = c->l;
	double fs = c->o.font_size, lh = LINE_H * fs;
	struct layout_prim box = { .kind = LAYOUT_BOX, .parent = parent,
		.box = { x, y, n->w, n->h, n->fill, n->obj, n->more, n->id,
			 n->title } };
	long me = emit(l, &box);
	enum layout_ink ink = n->fill == LAYOUT_FILL_DIMM_EMPTY ||
			      n->fill == LAYOUT_FILL_MORE ||
			      n->fill == LAYOUT_FILL_PU_OFFLINE
			      ? LAYOUT_INK_DIM : LAYOUT_INK_TEXT;

	n->id = n->title = NULL;
	for (size_t i = 0; i < n->nlines; i++) {
		emit_text(l, me, x + PAD, y + PAD + (double)i * lh + 0.95 * fs,
			  fs, n->bold && i == 0,
			  n->red_from && i >= n->red_from ? LAYOUT_INK_DEGRADED : ink,
			  n->lines[i]);
		n->lines[i] = NULL;
	}
	/* Link lines: a trunk down each column's indent, a stub to each
	 * stacked kid with its link label over it. */
	double tx = -1, last = -1;
	for (size_t i = 0; i <= n->nkids; i++) {
		struct lnode *k = i < n->nkids ? n->kids[i] : NULL;
		double ky = k ? y + k->ry + PAD + lh / 2 : 0;

		/* A stub low enough for its label to fit over it, under the
		 * top of its kid (the box above and the header stay clear). */
		if (k && k->link)
			ky = dmax(ky, y + k->ry + 1 + (ASCENT + DESCENT) * LINK_SIZE * fs +
				  1.5 + layout_link_stroke(k->obj) / 2);

		if (k && !k->stacked)
			continue;
		if (last >= 0 &&
		    (!k || x + k->rx - k->indent + INDENT / 2 != tx)) {
			emit_line(l, me, tx, y + n->hdr, tx, last, 1,
				  LAYOUT_INK_LINK, NULL);
			last = -1;
		}
		if (!k)
			break;
		tx = x + k->rx - k->indent + INDENT / 2;
		double sw = layout_link_stroke(k->obj);
		enum layout_ink li = k->degraded ? LAYOUT_INK_DEGRADED
						 : LAYOUT_INK_LINK;
		emit_line(l, me, tx, ky, x + k->rx, ky, sw, li, k->obj);
		if (k->link) {
			/* Clear of the stub on both sides: the label neither
			 * touches the line nor reaches the box above. */
			double lfs = LINK_SIZE * fs;
			size_t cut = link_cut(k->link);

			char *under = cut ? xstrdup(k->link + cut + 1) : NULL;

			if (cut)
				k->link[cut] = 0;
			emit_text(l, me, tx + 3, ky - sw / 2 - 1.5 - DESCENT * lfs,
				  lfs, false, li, k->link);
			if (under)
				emit_text(l, me, tx + 3,
					  ky + sw / 2 + 1.5 + ASCENT * lfs, lfs,
					  false, li, under);
			k->link = NULL;
		}
		last = ky;
	}
	for (size_t i = 0; i < n->nkids; i++)
		place(c, n->kids[i], x + n->kids[i]->rx, y + n->kids[i]->ry, me);
	box.kind = LAYOUT_END;
	box.box.id = box.box.title = NULL;
	emit(l, &box);
}

/* The legend: one swatch per class drawn. */
static struct lnode *build_legend(struct ctx *c)
{
	struct lnode *n = lnode_new(c, LAYOUT_FILL_LEGEND, BAND_CPU);

	lnode_add_line(n, xstrdup("Legend"));
	n->bold = true;
	n->id = unique_id(c, xstrdup("legend"));
	n->title = xstrdup("Legend: box colours by object type");
	for (int f = 0; f < LAYOUT_FILL_LEGEND; f++) {
		if (!c->used[f])
			continue;
		struct lnode *k = lnode_new(c, (enum layout_fill)f, BAND_CPU);

		lnode_add_line(k, xstrdup(layout_fill_legend((enum layout_fill)f)));
		k->title = xstrdup(layout_fill_legend((enum layout_fill)f));
		k->id = unique_id(c, xasprintf("legend-%s", layout_styles[f].name));
		lnode_add_kid(n, k);
	}
	return n;
}

static char *title_of(const struct topo_obj *m)
{
	if (m->vendor || m->product)
		return xasprintf("%s%s%s", m->vendor ? m->vendor : "",
				 m->vendor && m->product ? " " : "",
				 m->product ? m->product : "");
	return xstrdup(m->hostname ? m->hostname : "Machine");
}

static char *summary_of(const struct topo_obj *m)
{
	struct strbuf sb = STRBUF_INIT;

	if (m->hostname && (m->vendor || m->product))
		strbuf_addf(&sb, "%s: ", m->hostname);
	render_summary(m, &sb);
	return strbuf_detach(&sb, NULL);
}

struct layout *layout_compute(const struct topo *t, const struct layout_opts *o)
{
	struct layout *l = xcalloc(1, sizeof(*l));
	struct ctx c = { .l = l };

	if (o)
		c.o = *o;
	else
		layout_opts_init(&c.o);
	if (c.o.font_size <= 0)
		c.o.font_size = 10;
	if (c.o.wrap_chars < 8)
		c.o.wrap_chars = 8;
	l->opts = c.o;

	double fs = c.o.font_size;
	char *title = title_of(t->root), *sum = summary_of(t->root);
	struct lnode *root = build(&c, t->root), *legend;

	measure(&c, root);
	/* Taller than two screens: identical packages and groups once,
	 * the outermost level first, deeper only while still too tall. */
	for (int d = 1; c.o.factorise && root->h > FIT_HEIGHT && d <= 4; d++) {
		lnode_free(root);
		free(c.ids.slot);
		memset(&c.ids, 0, sizeof(c.ids));
		memset(c.used, 0, sizeof(c.used));
		c.factorise = d;
		root = build(&c, t->root);
		measure(&c, root);
	}
	legend = build_legend(&c);
	measure(&c, legend);
	double y = MARGIN + ASCENT * TITLE_SIZE;
	l->width = dmax(layout_text_width(title, TITLE_SIZE),
			layout_text_width(sum, fs));
	emit_text(l, -1, MARGIN, y, TITLE_SIZE, true, LAYOUT_INK_TEXT, title);
	y += DESCENT * TITLE_SIZE + LINE_H * fs;
	emit_text(l, -1, MARGIN, y - DESCENT * fs, fs, false, LAYOUT_INK_TEXT, sum);
	y += GAP * 2;
	l->width = dmax(l->width, dmax(root->w, legend->w)) + 2 * MARGIN;
	place(&c, root, MARGIN, y, -1);
	y += root->h + GAP * 2;
	place(&c, legend, MARGIN, y, -1);
	l->height = y + legend->h + MARGIN;
	l->width = dceil(l->width);
	l->height = dceil(l->height);
	lnode_free(root);
	lnode_free(legend);
	free(c.ids.slot);
	return l;
}

void layout_free(struct layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct layout_prim *p = &l->prims[i];

		if (p->kind == LAYOUT_BOX) {
			free(p->box.id);
			free(p->box.title);
		} else if (p->kind == LAYOUT_TEXT) {
			free(p->text.s);
		}
	}
	free(l->prims);
	free(l);
}

void layout_draw(const struct layout *l, const struct layout_draw_ops *ops,
		 void *ctx)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];

		if (p->kind == LAYOUT_BOX && ops->box)
			ops->box(ctx, &p->box);
		else if (p->kind == LAYOUT_END && ops->box_end)
			ops->box_end(ctx, &p->box);
		else if (p->kind == LAYOUT_TEXT && ops->text)
			ops->text(ctx, &p->text);
		else if (p->kind == LAYOUT_LINE && ops->line)
			ops->line(ctx, &p->line);
	}
}

/* ---- the structure, as text ---- */

static long long iround(double v)
{
	return (long long)(v < 0 ? v - 0.5 : v + 0.5);
}

static void dump_quoted(struct strbuf *out, const char *s)
{
	strbuf_addc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addc(out, '\\');
		strbuf_addc(out, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
	strbuf_addc(out, '"');
}

void layout_dump(const struct layout *l, struct strbuf *out)
{
	size_t depth = 0;

	strbuf_addf(out, "canvas %lld %lld\n", iround(l->width), iround(l->height));
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_prim *p = &l->prims[i];

		if (p->kind == LAYOUT_END) {
			depth -= depth > 0;
			continue;
		}
		for (size_t d = 0; d < depth; d++)
			strbuf_adds(out, "  ");
		if (p->kind == LAYOUT_BOX) {
			const struct layout_box *b = &p->box;

			strbuf_addf(out, "box %s %s %lld,%lld %lldx%lld",
				    b->id ? b->id : "-", layout_fill_name(b->fill),
				    iround(b->x), iround(b->y), iround(b->w),
				    iround(b->h));
			if (b->more)
				strbuf_addf(out, " more %zu", b->more);
			depth++;
		} else if (p->kind == LAYOUT_TEXT) {
			const struct layout_text *t = &p->text;

			strbuf_addf(out, "text %lld,%lld %g%s", iround(t->x),
				    iround(t->y), t->size, t->bold ? " bold" : "");
			if (t->ink != LAYOUT_INK_TEXT && t->ink < LAYOUT_NINKS)
				strbuf_addf(out, " %s", layout_inks[t->ink].name);
			strbuf_addc(out, ' ');
			dump_quoted(out, t->s);
		} else {
			const struct layout_line *ln = &p->line;

			strbuf_addf(out, "line %lld,%lld %lld,%lld %.1f %s",
				    iround(ln->x1), iround(ln->y1), iround(ln->x2),
				    iround(ln->y2), ln->width,
				    ln->ink < LAYOUT_NINKS ? layout_inks[ln->ink].name
							   : "?");
		}
		strbuf_addc(out, '\n');
	}
}
