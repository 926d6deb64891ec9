/* SPDX-License-Identifier: MIT */
/* Root-aware access to sysfs, procfs and firmware files. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "lazy.h"
#include "rootfs.h"
#include "strbuf.h"
#include "util.h"

#define MAX_FILE_BYTES (64u << 20)
#define MAX_ARCHIVE_BYTES (1ull << 30)
#define MAX_ARCHIVE_ENTRIES 1000000u
#define MAX_LINKS 40

enum ntype { NT_NONE, NT_DIR, NT_FILE, NT_LINK };

struct node {
	char *path;		/* absolute, normalised; "/" for the root */
	enum ntype type;
	char *data;		/* file content (NUL-terminated) or link target */
	size_t len;
	size_t *kids;		/* indices of children, insertion order */
	size_t nkids, akids;
};

/* Open-addressing map from a path to a size_t (node index or cache). */
struct pathmap {
	char **keys;
	size_t *vals;
	size_t cap, n;
};

struct hv_root {
	char *dir;		/* directory root; NULL for memory */
	bool live;
	struct node *nodes;	/* memory root */
	size_t nnodes, anodes;
	struct pathmap index;	/* path -> node index */
	struct pathmap cache;	/* directory root: dir -> resolved (strings) */
	char **cached;		/* storage for resolved cache values */
	size_t ncached, acached;
	struct hv_root *rec;
	struct hv_diags *warn;	/* files over their bound are named here */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool pathmap_get(const struct pathmap *m, const char *key, size_t *ret)
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

static void pathmap_put(struct pathmap *m, const char *key, size_t val);

static void pathmap_grow(struct pathmap *m)
{
	struct pathmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 256;
	m->keys = xcalloc(m->cap, sizeof(char *));
	m->vals = xcalloc(m->cap, sizeof(size_t));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			pathmap_put(m, old.keys[i], old.vals[i]);
			free(old.keys[i]);
		}
	free(old.keys);
	free(old.vals);
}

static void pathmap_put(struct pathmap *m, const char *key, size_t val)
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

static void pathmap_release(struct pathmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- memory tree ---- */

static size_t mem_node(struct hv_root *r, const char *path, enum ntype type);

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Returns the index of the node at path, creating it (and parents). */
static size_t mem_node(struct hv_root *r, const char *path, enum ntype type)
{
	size_t idx;

	if (pathmap_get(&r->index, path, &idx)) {
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
	pathmap_put(&r->index, path, idx);
	if (parent != SIZE_MAX) {
		struct node *p = &r->nodes[parent];

		p->kids = xgrow(p->kids, sizeof(size_t), p->nkids + 1, &p->akids);
		p->kids[p->nkids++] = idx;
	}
	return idx;
}

/* Normalises an absolute path: no "//", no "/." and no trailing "/". */
static char *normalise(const char *path)
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

int hv_root_open_dir(const char *dir, struct hv_root **ret)
{
	struct stat st;
	char real[PATH_MAX];

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!realpath(dir, real))
		return -errno;
	struct hv_root *r = xcalloc(1, sizeof(*r));
	r->live = strcmp(real, "/") == 0;
	r->dir = xstrdup(r->live ? "" : real);
	*ret = r;
	return 0;
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
	pathmap_release(&r->index);
	pathmap_release(&r->cache);
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

static int add_entry(struct hv_root *r, const char *path, enum ntype type,
		     const void *data, size_t len)
{
	if (r->dir || path[0] != '/')
		return -EINVAL;
	char *np = normalise(path);
	if (r->cache.n) {
		/* New entries can change how a cached directory resolves. */
		pathmap_release(&r->cache);
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
	return add_entry(r, path, NT_FILE, data, len);
}

int hv_root_add_link(struct hv_root *r, const char *path, const char *target)
{
	return add_entry(r, path, NT_LINK, target, strlen(target));
}

int hv_root_add_dir(struct hv_root *r, const char *path)
{
	return add_entry(r, path, NT_DIR, NULL, 0);
}

int hv_root_merge(struct hv_root *dst, const struct hv_root *src)
{
	if (!src || src->dir)
		return -EINVAL;
	for (size_t i = 0; i < src->nnodes; i++) {
		const struct node *n = &src->nodes[i];
		int rc = add_entry(dst, n->path, n->type, n->data, n->len);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- backends: type of a path, link target ---- */

static char *host_path(const struct hv_root *r, const char *path)
{
	return xasprintf("%s%s", r->dir, path);
}

static enum ntype node_type(struct hv_root *r, const char *path)
{
	if (r->dir) {
		struct stat st;
		_cleanup_free_ char *hp = host_path(r, path);

		if (lstat(hp, &st) < 0)
			return NT_NONE;
		if (S_ISLNK(st.st_mode))
			return NT_LINK;
		return S_ISDIR(st.st_mode) ? NT_DIR : NT_FILE;
	}
	size_t idx;
	return pathmap_get(&r->index, path, &idx) ? r->nodes[idx].type : NT_NONE;
}

static int raw_readlink(struct hv_root *r, const char *path, char **ret)
{
	if (r->dir) {
		char buf[PATH_MAX];
		_cleanup_free_ char *hp = host_path(r, path);
		ssize_t n = readlink(hp, buf, sizeof(buf) - 1);

		if (n < 0)
			return -errno;
		*ret = xstrndup(buf, (size_t)n);
		return 0;
	}
	size_t idx;
	if (!pathmap_get(&r->index, path, &idx))
		return -ENOENT;
	if (r->nodes[idx].type != NT_LINK)
		return -EINVAL;
	*ret = xstrdup(r->nodes[idx].data);
	return 0;
}

static void record_link(struct hv_root *r, const char *path, const char *target)
{
	if (r->rec)
		(void)hv_root_add_link(r->rec, path, target);
}

/*
 * Resolves path to its real location inside the root.  With follow_last,
 * a link in the last component is followed too.  Intermediate directories
 * of a directory root are cached, so a live probe pays for each directory
 * once.
 */
static int resolve(struct hv_root *r, const char *path, bool follow_last,
		   int depth, char **ret, enum ntype *type);

static int resolve_dir_cached(struct hv_root *r, const char *dir, int depth,
			      char **ret)
{
	size_t idx;

	if (pathmap_get(&r->cache, dir, &idx)) {
		*ret = xstrdup(r->cached[idx]);
		return 0;
	}
	enum ntype t = NT_NONE;
	int rc = resolve(r, dir, true, depth, ret, &t);
	if (rc < 0)
		return rc;
	if (t != NT_DIR) {
		free(*ret);
		*ret = NULL;
		return -ENOTDIR;
	}
	r->cached = xgrow(r->cached, sizeof(char *), r->ncached + 1, &r->acached);
	r->cached[r->ncached] = xstrdup(*ret);
	pathmap_put(&r->cache, dir, r->ncached++);
	return 0;
}

static int resolve(struct hv_root *r, const char *path, bool follow_last,
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
		_cleanup_free_ char *np = normalise(path);
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

			rc = resolve_dir_cached(r, dir, depth, &rdir);
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
		enum ntype t = node_type(r, cur.buf);
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
			rc = raw_readlink(r, cur.buf, &target);
			if (rc < 0)
				goto out;
			record_link(r, cur.buf, target);
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
			rc = resolve(r, np.buf, follow_last, depth + links, ret, type);
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

/* Records that a resolved path exists: a directory as such, a file with
 * its content (a probe may test a file's presence, e.g. "partition"). */
static void record_existing(struct hv_root *r, const char *real)
{
	char *data = NULL;
	size_t len = 0;

	if (!r->rec)
		return;
	if (node_type(r, real) == NT_DIR) {
		(void)hv_root_add_dir(r->rec, real);
		return;
	}
	struct hv_root *rec = r->rec;
	r->rec = NULL;		/* hv_root_read would record it again */
	if (hv_root_read(r, real, &data, &len) == 0)
		(void)hv_root_add_file(rec, real, data, len);
	r->rec = rec;
	free(data);
}

int hv_root_realpath(struct hv_root *r, const char *path, char **ret)
{
	int rc = resolve(r, path, true, 0, ret, NULL);

	if (rc == 0)
		record_existing(r, *ret);
	return rc;
}

int hv_root_readlink(struct hv_root *r, const char *path, char **ret)
{
	_cleanup_free_ char *real = NULL;
	int rc = resolve(r, path, false, 0, &real, NULL);

	if (rc < 0)
		return rc;
	rc = raw_readlink(r, real, ret);
	if (rc == 0)
		record_link(r, real, *ret);
	return rc;
}

bool hv_root_exists(struct hv_root *r, const char *path)
{
	_cleanup_free_ char *real = NULL;

	if (resolve(r, path, true, 0, &real, NULL) < 0)
		return false;
	record_existing(r, real);
	return true;
}

bool hv_root_is_dir(struct hv_root *r, const char *path)
{
	_cleanup_free_ char *real = NULL;

	if (resolve(r, path, true, 0, &real, NULL) < 0)
		return false;
	record_existing(r, real);
	return node_type(r, real) == NT_DIR;
}

/*
 * Reads an open file to its end (at most max bytes, else -EFBIG) and
 * closes it.
 * With short_is_eof, a read that returns less than asked ends the file:
 * true of regular files and of sysfs attributes (one page, produced whole),
 * not of procfs, whose seq_files can stop at a record boundary.  It saves
 * the second read(2) per file that would only return 0.
 */
static int read_fd(int fd, size_t max, char **ret, size_t *len,
		   bool short_is_eof);

static int read_host(const char *hp, size_t max, char **ret, size_t *len)
{
	int fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return read_fd(fd, max, ret, len, false);
}

static int read_fd(int fd, size_t max, char **ret, size_t *len,
		   bool short_is_eof)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	for (;;) {
		strbuf_grow(&sb, 4096);
		/* never more than one byte past max: enough to know */
		size_t room = sb.alloc - sb.len - 1;
		if (room > max + 1 - sb.len)
			room = max + 1 - sb.len;
		ssize_t n = read(fd, sb.buf + sb.len, room);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		size_t asked = room;
		sb.len += (size_t)n;
		sb.buf[sb.len] = 0;
		if (sb.len > max) {
			rc = -EFBIG;
			break;
		}
		if (short_is_eof && (size_t)n < asked)
			break;
	}
	close(fd);
	if (rc < 0) {
		strbuf_release(&sb);
		return rc;
	}
	*ret = strbuf_detach(&sb, len);
	return 0;
}

/*
 * The common case of a directory root, not recording: the parent
 * directory resolves through the cache and the file opens with
 * O_NOFOLLOW, so a read costs one open instead of an lstat per
 * component.  Returns 1 when the last component is a link (or the path
 * is unusual) and the caller must take the general path.
 */
static int read_dir_fast(struct hv_root *r, const char *path, size_t max,
			 char **ret, size_t *len)
{
	const char *slash = strrchr(path, '/');
	char *rdir = NULL;
	char hp[PATH_MAX];
	int rc, fd;

	if (slash == path || !slash[1] || strstr(path, "/.") || strstr(path, "//"))
		return 1;
	_cleanup_free_ char *dir = xstrndup(path, (size_t)(slash - path));
	rc = resolve_dir_cached(r, dir, 0, &rdir);
	if (rc < 0)
		return rc;
	rc = snprintf(hp, sizeof(hp), "%s%s%s", r->dir,
		      strcmp(rdir, "/") ? rdir : "", slash);
	free(rdir);
	if (rc < 0 || (size_t)rc >= sizeof(hp))
		return -ENAMETOOLONG;
	fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? 1 : -errno;
	return read_fd(fd, max, ret, len,
		       !r->live || str_startswith(path, "/sys/"));
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
		rc = read_dir_fast(r, path, max, &data, &n);
		if (rc <= 0) {
			if (rc == 0) {
				*ret = data;
				if (len)
					*len = n;
			}
			return rc;
		}
	}
	rc = resolve(r, path, true, 0, &real, NULL);

	if (rc < 0)
		return rc;
	if (r->dir) {
		_cleanup_free_ char *hp = host_path(r, real);

		if (node_type(r, real) == NT_DIR)
			return -EISDIR;
		rc = read_host(hp, max, &data, &n);
		if (rc < 0)
			return rc;
	} else {
		size_t idx;

		if (!pathmap_get(&r->index, real, &idx))
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
	int rc = resolve(r, path, true, 0, &real, NULL);

	if (rc < 0)
		return rc;
	if (r->dir) {
		_cleanup_free_ char *hp = host_path(r, real);
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

		if (!pathmap_get(&r->index, real, &idx))
			return -ENOENT;
		if (r->nodes[idx].type != NT_DIR)
			return -ENOTDIR;
		const struct node *dn = &r->nodes[idx];
		v = xcalloc(dn->nkids + 1, sizeof(char *));
		for (size_t i = 0; i < dn->nkids; i++)
			v[nv++] = xstrdup(base_name(r->nodes[dn->kids[i]].path));
	}
	if (nv > 1)
		qsort(v, nv, sizeof(char *), natcmp);
	if (r->rec) {
		(void)hv_root_add_dir(r->rec, real);
		for (size_t i = 0; i < nv; i++) {
			_cleanup_free_ char *child = xasprintf(
				"%s/%s", strcmp(real, "/") ? real : "", v[i]);
			enum ntype t = node_type(r, child);
			char *target = NULL;

			if (t == NT_DIR)
				(void)hv_root_add_dir(r->rec, child);
			else if (t == NT_LINK && raw_readlink(r, child, &target) == 0) {
				record_link(r, child, target);
				free(target);
			}
		}
	}
	*ret = v;
	*n = nv;
	return 0;
}

void hv_root_record(struct hv_root *r, struct hv_root *rec)
{
	r->rec = rec;
}

int hv_root_record_file(struct hv_root *r, const char *path, const void *data,
			size_t len)
{
	_cleanup_free_ char *real = NULL;
	int rc;

	if (!r->rec)
		return 0;
	rc = resolve(r, path, true, 0, &real, NULL);
	if (rc < 0)
		return rc;
	return hv_root_add_file(r->rec, real, data, len);
}

int hv_root_record_add(struct hv_root *r, const char *path, const void *data,
		       size_t len)
{
	return r->rec ? hv_root_add_file(r->rec, path, data, len) : 0;
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

/* ---- archives ---- */

static bool is_rootfs_top(const char *name)
{
	static const char *const tops[] = { "sys", "proc", "dev", "run",
					    "etc", "hvkit" };

	for (size_t i = 0; i < ARRAY_SIZE(tops); i++)
		if (strcmp(name, tops[i]) == 0)
			return true;
	return false;
}

static int load_archive(struct hv_root *r, const char *path, const void *mem,
			size_t mem_len, struct hv_diags *d);

int hv_root_load_archive(struct hv_root *r, const char *path,
			 struct hv_diags *d)
{
	return lazy_archive_load(d) ?: load_archive(r, path, NULL, 0, d);
}

int hv_root_load_archive_mem(struct hv_root *r, const void *data, size_t len,
			     struct hv_diags *d)
{
	return lazy_archive_load(d) ?: load_archive(r, NULL, data, len, d);
}

static int load_archive(struct hv_root *r, const char *path, const void *mem,
			size_t mem_len, struct hv_diags *d)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct hv_root *tmp = hv_root_new_mem();
	uint64_t total = 0;
	unsigned count = 0;
	int rc = 0, ar;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if ((path ? archive_read_open_filename(a, path, 65536)
		  : archive_read_open_memory(a, mem, mem_len)) != ARCHIVE_OK) {
		rc = hv_errorf(d, "not a readable archive: %s",
			       archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		const char *hard = archive_entry_hardlink(e);
		_cleanup_free_ char *abs = NULL;

		if (!name)
			continue;
		if (++count > MAX_ARCHIVE_ENTRIES) {
			rc = hv_errorf(d, "more than %u entries", MAX_ARCHIVE_ENTRIES);
			goto out;
		}
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		abs = xasprintf("/%s", name);
		if (strstr(abs, "/../") || str_endswith(abs, "/..")) {
			hv_warnf(d, "entry '%s' leaves the archive, ignoring", name);
			continue;
		}
		if (hard) {
			_cleanup_free_ char *habs = NULL;
			char *data = NULL;
			size_t len = 0;

			while (hard[0] == '.' && hard[1] == '/')
				hard += 2;
			habs = xasprintf("/%s", hard);
			if (hv_root_read(tmp, habs, &data, &len) == 0) {
				(void)hv_root_add_file(tmp, abs, data, len);
				free(data);
			} else {
				hv_warnf(d, "entry '%s' links to missing '%s', ignoring",
					 name, hard);
			}
			continue;
		}
		switch (archive_entry_filetype(e)) {
		case AE_IFDIR:
			(void)hv_root_add_dir(tmp, abs);
			break;
		case AE_IFLNK: {
			const char *t = archive_entry_symlink(e);

			if (t)
				(void)hv_root_add_link(tmp, abs, t);
			break;
		}
		case AE_IFREG: {
			la_int64_t size = archive_entry_size(e);
			char *buf;
			la_ssize_t got;

			if (size < 0 || (uint64_t)size > MAX_FILE_BYTES) {
				rc = hv_errorf(d, "entry '%s' is too large (%lld bytes)",
					       name, (long long)size);
				goto out;
			}
			total += (uint64_t)size;
			if (total > MAX_ARCHIVE_BYTES) {
				rc = hv_errorf(d, "archive holds more than 1 GiB");
				goto out;
			}
			buf = xmalloc((size_t)size + 1);
			got = archive_read_data(a, buf, (size_t)size);
			if (got < 0) {
				rc = hv_errorf(d, "entry '%s': %s", name,
					       archive_error_string(a));
				free(buf);
				goto out;
			}
			(void)hv_root_add_file(tmp, abs, buf, (size_t)got);
			free(buf);
			break;
		}
		default:
			break;	/* devices, fifos: nothing a probe reads */
		}
	}
	if (ar != ARCHIVE_EOF) {
		rc = hv_errorf(d, "%s after %u entries",
			       archive_error_string(a) ? archive_error_string(a)
						       : "corrupt archive", count);
		goto out;
	}
	if (count == 0) {
		rc = hv_errorf(d, "archive is empty");
		goto out;
	}

	/* Strip one leading directory that is not part of a root fs. */
	const struct node *top = &tmp->nodes[0];
	const char *strip = NULL;
	if (top->nkids == 1) {
		const struct node *k = &tmp->nodes[top->kids[0]];

		if (k->type == NT_DIR && !is_rootfs_top(base_name(k->path)))
			strip = k->path;
	}
	size_t sl = strip ? strlen(strip) : 0;
	for (size_t i = 1; i < tmp->nnodes; i++) {
		const struct node *n = &tmp->nodes[i];
		const char *p = n->path + sl;

		if (strip && !*p)
			continue;
		rc = add_entry(r, p, n->type, n->data, n->len);
		if (rc < 0)
			goto out;
	}
out:
	archive_read_free(a);
	hv_root_free(tmp);
	return rc;
}

int hv_root_write_archive(const struct hv_root *mem, const char *path,
			  bool (*skip)(const char *path, void *ctx), void *ctx,
			  struct hv_diags *d)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	int fd, rc = 0;

	if (mem->dir)
		return -EINVAL;
	if ((rc = lazy_archive_load(d)) < 0)
		return rc;
	fd = mkstemp(tmp);
	if (fd < 0)
		return hv_errorf(d, "cannot create '%s': %s", tmp, strerror(errno));
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = hv_errorf(d, "cannot write '%s': %s", tmp,
			       archive_error_string(a));
		goto out;
	}
	e = archive_entry_new();
	for (size_t i = 1; i < mem->nnodes; i++) {
		const struct node *n = &mem->nodes[i];

		if (skip && skip(n->path, ctx))
			continue;
		archive_entry_clear(e);
		archive_entry_set_pathname(e, n->path + 1);
		archive_entry_set_mtime(e, 0, 0);
		switch (n->type) {
		case NT_DIR:
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case NT_LINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, n->data);
			break;
		case NT_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0444);
			archive_entry_set_size(e, (la_int64_t)n->len);
			break;
		default:
			continue;
		}
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (n->type == NT_FILE && n->len &&
		     archive_write_data(a, n->data, n->len) != (la_ssize_t)n->len)) {
			rc = hv_errorf(d, "cannot write '%s': %s", tmp,
				       archive_error_string(a));
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = hv_errorf(d, "cannot write '%s': %s", tmp,
			       archive_error_string(a));
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = hv_errorf(d, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	(void)chmod(tmp, output_mode(path));
	if (rename(tmp, path) < 0)
		rc = hv_errorf(d, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
out:
	if (e)
		archive_entry_free(e);
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		(void)unlink(tmp);
	return rc;
}

bool hv_is_archive(const void *data, size_t n)
{
	const unsigned char *p = data;

	return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||		/* gzip */
	       (n >= 3 && memcmp(p, "BZh", 3) == 0) ||			/* bzip2 */
	       (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) ||	/* xz */
	       (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) ||	/* zstd */
	       (n >= 262 && memcmp(p + 257, "ustar", 5) == 0);		/* tar */
}
