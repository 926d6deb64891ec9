/* SPDX-License-Identifier: MIT */
/* Root-aware access to sysfs, procfs and firmware files: the root object,
 * path resolution through links, reads and listings, for both kinds of
 * root (the directory root is rootfs-dir.c, the memory tree rootfs-mem.c;
 * archives rootfs-archive.c, recording a capture rootfs-record.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs-int.h"
#include "strbuf.h"
#include "util.h"

#define MAX_LINKS 40

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

bool rootfs_pathmap_get(const struct pathmap *m, const char *key, size_t *ret)
{
	if (!m->cap)
		return false;
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return false;
		if (strcmp(m->keys[i], key) == 0) {
			*ret = m->vals[i];
			return true;
		}
	}
}

static void pathmap_grow(struct pathmap *m)
{
	struct pathmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 256;
	m->keys = xcalloc(m->cap, sizeof(char *));
	m->vals = xcalloc(m->cap, sizeof(size_t));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			rootfs_pathmap_put(m, old.keys[i], old.vals[i]);
			free(old.keys[i]);
		}
	free(old.keys);
	free(old.vals);
}

void rootfs_pathmap_put(struct pathmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap)
		pathmap_grow(m);
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = xstrdup(key);
			m->vals[i] = val;
			m->n++;
			return;
		}
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return;
		}
	}
}

void rootfs_pathmap_release(struct pathmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

struct hv_root *hv_root_free(struct hv_root *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->nnodes; i++) {
		free(r->nodes[i].path);
		free(r->nodes[i].data);
		free(r->nodes[i].kids);
	}
	free(r->nodes);
	rootfs_pathmap_release(&r->index);
	rootfs_pathmap_release(&r->cache);
	for (size_t i = 0; i < r->ncached; i++)
		free(r->cached[i]);
	free(r->cached);
	free(r->dir);
	free(r);
	return NULL;
}

bool hv_root_is_live(const struct hv_root *r)
{
	return r->live;
}

const char *hv_root_dir(const struct hv_root *r)
{
	return r->dir ? (r->live ? "/" : r->dir) : NULL;
}

enum ntype rootfs_node_type(struct hv_root *r, const char *path)
{
	if (r->dir) {
		struct stat st;
		_cleanup_free_ char *hp = rootfs_host_path(r, path);

		if (lstat(hp, &st) < 0)
			return NT_NONE;
		if (S_ISLNK(st.st_mode))
			return NT_LINK;
		return S_ISDIR(st.st_mode) ? NT_DIR : NT_FILE;
	}
	size_t idx;
	return rootfs_pathmap_get(&r->index, path, &idx) ? r->nodes[idx].type : NT_NONE;
}

int rootfs_raw_readlink(struct hv_root *r, const char *path, char **ret)
{
	if (r->dir) {
		char buf[PATH_MAX];
		_cleanup_free_ char *hp = rootfs_host_path(r, path);
		ssize_t n = readlink(hp, buf, sizeof(buf) - 1);

		if (n < 0)
			return -errno;
		*ret = xstrndup(buf, (size_t)n);
		return 0;
	}
	size_t idx;
	if (!rootfs_pathmap_get(&r->index, path, &idx))
		return -ENOENT;
	if (r->nodes[idx].type != NT_LINK)
		return -EINVAL;
	*ret = xstrdup(r->nodes[idx].data);
	return 0;
}

int rootfs_resolve_dir_cached(struct hv_root *r, const char *dir, int depth,
			      char **ret)
{
	size_t idx;

	if (rootfs_pathmap_get(&r->cache, dir, &idx)) {
		*ret = xstrdup(r->cached[idx]);
		return 0;
	}
	enum ntype t = NT_NONE;
	int rc = rootfs_resolve(r, dir, true, depth, ret, &t);
	if (rc < 0)
		return rc;
	if (t != NT_DIR) {
		free(*ret);
		*ret = NULL;
		return -ENOTDIR;
	}
	r->cached = xgrow(r->cached, sizeof(char *), r->ncached + 1, &r->acached);
	r->cached[r->ncached] = xstrdup(*ret);
	rootfs_pathmap_put(&r->cache, dir, r->ncached++);
	return 0;
}

int rootfs_resolve(struct hv_root *r, const char *path, bool follow_last,
		   int depth, char **ret, enum ntype *type)
{
	enum ntype last_t = NT_DIR;
	struct strbuf cur = STRBUF_INIT, rest = STRBUF_INIT;
	int rc = 0;

	if (depth > MAX_LINKS)
		return -ELOOP;
	if (path[0] != '/')
		return -EINVAL;
	{
		/* Fast path: resolve the parent directory once, cached. */
		_cleanup_free_ char *np = rootfs_normalise(path);
		const char *slash = strrchr(np, '/');

		if (strcmp(np, "/") == 0) {
			if (type)
				*type = NT_DIR;
			*ret = xstrdup("/");
			return 0;
		}
		if (slash != np && !strstr(np, "/..")) {
			_cleanup_free_ char *dir = xstrndup(np, (size_t)(slash - np));
			char *rdir = NULL;

			rc = rootfs_resolve_dir_cached(r, dir, depth, &rdir);
			if (rc < 0)
				return rc;

			strbuf_adds(&cur, strcmp(rdir, "/") ? rdir : "");
			free(rdir);
			strbuf_adds(&rest, slash + 1);
		} else {
			strbuf_adds(&rest, np + 1);
		}
	}

	int links = 0;
	while (rest.len) {
		char *s = rest.buf, *e = strchrnul(s, '/');
		_cleanup_free_ char *comp = xstrndup(s, (size_t)(e - s));
		bool last;

		/* Drop the component from rest. */
		{
			size_t skip = (size_t)(e - s) + (*e == '/');
			memmove(rest.buf, rest.buf + skip, rest.len - skip + 1);
			rest.len -= skip;
		}
		last = rest.len == 0;
		if (!comp[0] || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *sl = strrchr(cur.buf, '/');

			last_t = NT_DIR;
			if (sl) {
				cur.len = (size_t)(sl - cur.buf);
				cur.buf[cur.len] = 0;
			}
			continue;
		}
		size_t mark = cur.len;
		strbuf_addc(&cur, '/');
		strbuf_adds(&cur, comp);
		enum ntype t = rootfs_node_type(r, cur.buf);
		if (t == NT_NONE) {
			rc = -ENOENT;
			goto out;
		}
		if (t == NT_LINK && (!last || follow_last)) {
			char *target = NULL;

			if (++links > MAX_LINKS) {
				rc = -ELOOP;
				goto out;
			}
			rc = rootfs_raw_readlink(r, cur.buf, &target);
			if (rc < 0)
				goto out;
			rootfs_record_link(r, cur.buf, target);
			/*
			 * Start again from the link's target, so that its
			 * directories go through the cache.  cur holds no
			 * links, so the target's leading ".." climb it
			 * lexically; sysfs links are all "../../devices/...".
			 */
			struct strbuf np = STRBUF_INIT;
			const char *tp = target;

			if (tp[0] != '/') {
				size_t base = mark;

				while (tp[0] == '.' && tp[1] == '.' &&
				       (tp[2] == '/' || !tp[2])) {
					while (base && cur.buf[base - 1] != '/')
						base--;
					if (base)
						base--;	/* the slash */
					tp += tp[2] ? 3 : 2;
				}
				strbuf_add(&np, cur.buf, base);
				strbuf_addc(&np, '/');
			}
			strbuf_adds(&np, tp);
			if (rest.len) {
				strbuf_addc(&np, '/');
				strbuf_add(&np, rest.buf, rest.len);
			}
			free(target);
			rc = rootfs_resolve(r, np.buf, follow_last, depth + links, ret, type);
			strbuf_release(&np);
			strbuf_release(&cur);
			strbuf_release(&rest);
			return rc;
		}
		if (!last && t != NT_DIR) {
			rc = -ENOTDIR;
			goto out;
		}
		last_t = t;
	}
	if (!cur.len) {
		strbuf_addc(&cur, '/');
		last_t = NT_DIR;
	}
	if (type)
		*type = last_t;
	*ret = strbuf_detach(&cur, NULL);
out:
	strbuf_release(&cur);
	strbuf_release(&rest);
	return rc;
}

int hv_root_realpath(struct hv_root *r, const char *path, char **ret)
{
	int rc = rootfs_resolve(r, path, true, 0, ret, NULL);

	if (rc == 0)
		rootfs_record_existing(r, *ret);
	return rc;
}

int hv_root_readlink(struct hv_root *r, const char *path, char **ret)
{
	_cleanup_free_ char *real = NULL;
	int rc = rootfs_resolve(r, path, false, 0, &real, NULL);

	if (rc < 0)
		return rc;
	rc = rootfs_raw_readlink(r, real, ret);
	if (rc == 0)
		rootfs_record_link(r, real, *ret);
	return rc;
}

bool hv_root_exists(struct hv_root *r, const char *path)
{
	_cleanup_free_ char *real = NULL;

	if (rootfs_resolve(r, path, true, 0, &real, NULL) < 0)
		return false;
	rootfs_record_existing(r, real);
	return true;
}

bool hv_root_is_dir(struct hv_root *r, const char *path)
{
	_cleanup_free_ char *real = NULL;

	if (rootfs_resolve(r, path, true, 0, &real, NULL) < 0)
		return false;
	rootfs_record_existing(r, real);
	return rootfs_node_type(r, real) == NT_DIR;
}

void hv_root_set_diags(struct hv_root *r, struct hv_diags *d)
{
	r->warn = d;
}

static int read_max(struct hv_root *r, const char *path, size_t max,
		    char **ret, size_t *len);

int hv_root_read_max(struct hv_root *r, const char *path, size_t max,
		     char **ret, size_t *len)
{
	int rc = read_max(r, path, max < MAX_FILE_BYTES ? max : MAX_FILE_BYTES,
			  ret, len);

	if (rc == -EFBIG)
		hv_warnf(r->warn, "%s: larger than %zu bytes, treated as unreadable",
			 path, max < MAX_FILE_BYTES ? max : (size_t)MAX_FILE_BYTES);
	return rc;
}

int hv_root_read(struct hv_root *r, const char *path, char **ret, size_t *len)
{
	return hv_root_read_max(r, path, MAX_FILE_BYTES, ret, len);
}

static int read_max(struct hv_root *r, const char *path, size_t max,
		    char **ret, size_t *len)
{
	_cleanup_free_ char *real = NULL;
	char *data = NULL;
	size_t n = 0;
	int rc;

	if (r->dir && !r->rec && path[0] == '/') {
		rc = rootfs_read_dir_fast(r, path, max, &data, &n);
		if (rc <= 0) {
			if (rc == 0) {
				*ret = data;
				if (len)
					*len = n;
			}
			return rc;
		}
	}
	rc = rootfs_resolve(r, path, true, 0, &real, NULL);

	if (rc < 0)
		return rc;
	if (r->dir) {
		_cleanup_free_ char *hp = rootfs_host_path(r, real);

		if (rootfs_node_type(r, real) == NT_DIR)
			return -EISDIR;
		rc = rootfs_read_host(hp, max, &data, &n);
		if (rc < 0)
			return rc;
	} else {
		size_t idx;

		if (!rootfs_pathmap_get(&r->index, real, &idx))
			return -ENOENT;
		if (r->nodes[idx].type == NT_DIR)
			return -EISDIR;
		n = r->nodes[idx].len;
		if (n > max)
			return -EFBIG;
		data = xmalloc(n + 1);
		memcpy(data, r->nodes[idx].data, n + 1);
	}
	if (r->rec)
		(void)hv_root_add_file(r->rec, real, data, n);
	*ret = data;
	if (len)
		*len = n;
	return 0;
}

int hv_root_read_str(struct hv_root *r, const char *path, char **ret)
{
	char *data;
	int rc = hv_root_read_max(r, path, HV_ROOT_ATTR_MAX, &data, NULL);

	if (rc < 0)
		return rc;
	char *s = strstrip(data);
	memmove(data, s, strlen(s) + 1);
	*ret = data;
	return 0;
}

int hv_root_read_u64(struct hv_root *r, const char *path, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int rc = hv_root_read_str(r, path, &s);

	if (rc < 0)
		return rc;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	return parse_u64(s, hex ? 16 : 10, ret);
}

/* Natural order: digit runs compare as numbers. */
static int natcmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	while (*x && *y) {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			char *ex, *ey;
			unsigned long long vx = strtoull(x, &ex, 10);
			unsigned long long vy = strtoull(y, &ey, 10);

			if (vx != vy)
				return vx < vy ? -1 : 1;
			x = ex;
			y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

void hv_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int hv_root_list(struct hv_root *r, const char *path, char ***ret, size_t *n)
{
	_cleanup_free_ char *real = NULL;
	char **v = NULL;
	size_t nv = 0, av = 0;
	int rc = rootfs_resolve(r, path, true, 0, &real, NULL);

	if (rc < 0)
		return rc;
	if (r->dir) {
		_cleanup_free_ char *hp = rootfs_host_path(r, real);
		DIR *d = opendir(hp[0] ? hp : "/");
		struct dirent *de;

		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			v = xgrow(v, sizeof(char *), nv + 1, &av);
			v[nv++] = xstrdup(de->d_name);
		}
		closedir(d);
	} else {
		size_t idx;

		if (!rootfs_pathmap_get(&r->index, real, &idx))
			return -ENOENT;
		if (r->nodes[idx].type != NT_DIR)
			return -ENOTDIR;
		const struct node *dn = &r->nodes[idx];
		v = xcalloc(dn->nkids + 1, sizeof(char *));
		for (size_t i = 0; i < dn->nkids; i++)
			v[nv++] = xstrdup(rootfs_base_name(r->nodes[dn->kids[i]].path));
	}
	if (nv > 1)
		qsort(v, nv, sizeof(char *), natcmp);
	rootfs_record_list(r, real, v, nv);
	*ret = v;
	*n = nv;
	return 0;
}
