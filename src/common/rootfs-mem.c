/* SPDX-License-Identifier: MIT */
/* The memory root: a tree of directories, files and links built from
 * --from inputs, archives and captures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs-int.h"
#include "strbuf.h"
#include "util.h"

const char *rootfs_base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Returns the index of the node at path, creating it (and parents). */
static size_t mem_node(struct hv_root *r, const char *path, enum ntype type)
{
	size_t idx;

	if (rootfs_pathmap_get(&r->index, path, &idx)) {
		struct node *n = &r->nodes[idx];

		if (type != NT_DIR && n->type != type) {
			/* A later entry replaces an earlier one. */
			free(n->data);
			n->data = NULL;
			n->len = 0;
			n->type = type;
		}
		return idx;
	}
	size_t parent = SIZE_MAX;
	if (strcmp(path, "/") != 0) {
		const char *slash = strrchr(path, '/');
		char *pp = slash == path ? xstrdup("/")
					 : xstrndup(path, (size_t)(slash - path));

		parent = mem_node(r, pp, NT_DIR);
		free(pp);
		if (r->nodes[parent].type != NT_DIR) {
			/* A file where a directory is needed: make it one. */
			free(r->nodes[parent].data);
			r->nodes[parent].data = NULL;
			r->nodes[parent].type = NT_DIR;
		}
	}
	r->nodes = xgrow(r->nodes, sizeof(*r->nodes), r->nnodes + 1, &r->anodes);
	idx = r->nnodes++;
	r->nodes[idx] = (struct node){ .path = xstrdup(path), .type = type };
	rootfs_pathmap_put(&r->index, path, idx);
	if (parent != SIZE_MAX) {
		struct node *p = &r->nodes[parent];

		p->kids = xgrow(p->kids, sizeof(size_t), p->nkids + 1, &p->akids);
		p->kids[p->nkids++] = idx;
	}
	return idx;
}

/* Normalises an absolute path: no "//", no "/." and no trailing "/". */
char *rootfs_normalise(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		if (!(n == 1 && p[0] == '.')) {
			strbuf_addc(&sb, '/');
			strbuf_add(&sb, p, n);
		}
		p = e;
	}
	if (!sb.len)
		strbuf_addc(&sb, '/');
	return strbuf_detach(&sb, NULL);
}

struct hv_root *hv_root_new_mem(void)
{
	struct hv_root *r = xcalloc(1, sizeof(*r));

	mem_node(r, "/", NT_DIR);
	return r;
}

int rootfs_add_entry(struct hv_root *r, const char *path, enum ntype type,
		     const void *data, size_t len)
{
	if (r->dir || path[0] != '/')
		return -EINVAL;
	char *np = rootfs_normalise(path);
	if (r->cache.n) {
		/* New entries can change how a cached directory resolves. */
		rootfs_pathmap_release(&r->cache);
		for (size_t i = 0; i < r->ncached; i++)
			free(r->cached[i]);
		r->ncached = 0;
	}
	if (strstr(np, "/../") || str_endswith(np, "/..")) {
		free(np);
		return -EINVAL;
	}
	size_t idx = mem_node(r, np, type);
	free(np);
	struct node *n = &r->nodes[idx];
	if (type != NT_DIR) {
		free(n->data);
		n->data = xmalloc(len + 1);
		if (len)
			memcpy(n->data, data, len);
		n->data[len] = 0;
		n->len = len;
	}
	return 0;
}

int hv_root_add_file(struct hv_root *r, const char *path, const void *data,
		     size_t len)
{
	return rootfs_add_entry(r, path, NT_FILE, data, len);
}

int hv_root_add_link(struct hv_root *r, const char *path, const char *target)
{
	return rootfs_add_entry(r, path, NT_LINK, target, strlen(target));
}

int hv_root_add_dir(struct hv_root *r, const char *path)
{
	return rootfs_add_entry(r, path, NT_DIR, NULL, 0);
}

int hv_root_merge(struct hv_root *dst, const struct hv_root *src)
{
	if (!src || src->dir)
		return -EINVAL;
	for (size_t i = 0; i < src->nnodes; i++) {
		const struct node *n = &src->nodes[i];
		int rc = rootfs_add_entry(dst, n->path, n->type, n->data, n->len);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int hv_root_foreach_file(const struct hv_root *mem,
			 int (*fn)(const char *path, const char *data,
				   size_t len, void *ctx),
			 void *ctx)
{
	for (size_t i = 0; i < mem->nnodes; i++) {
		const struct node *n = &mem->nodes[i];

		if (n->type == NT_FILE) {
			int rc = fn(n->path, n->data, n->len, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}
