/* SPDX-License-Identifier: MIT */
/*
 * Per-PU dumps: hwloc-gather-cpuid's puN files (a directory, or a tarball
 * of one), and a set of them read as one CPU (PU 0, with a word on what
 * the other PUs say differently).  hvkit topo reads the same files for
 * the topology they describe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid-source.h"
#include "rootfs.h"
#include "util.h"

bool cpuid_looks_like_hwloc(const char *buf, size_t len)
{
	const char *end = buf + len;

	for (const char *l = buf; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *e = nl ? nl : end;

		if (l < e && *l != '#')
			return e - l > 4 && memmem(l, (size_t)(e - l), " => ", 4);
		l = e + 1;
	}
	return false;
}

int cpuid_parse_hwloc(const char *buf, size_t len, const char *name,
			   struct cpuid_data *ret, struct hv_diags *d)
{
	struct cpuid_data c = CPUID_DATA_INIT;
	const char *end = buf + len;
	unsigned no = 0, bad = 0, good = 0, first_bad = 0;
	int rc = 0;

	for (const char *l = buf; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *e = nl ? nl : end;
		char line[160];
		unsigned mask, in[4], out[4];
		int used = 0;

		no++;
		size_t ll = (size_t)(e - l);
		const char *cur = l;
		l = e + 1;
		while (ll && (*cur == ' ' || *cur == '\t')) {
			cur++;
			ll--;
		}
		if (!ll || *cur == '#' || (ll == 1 && *cur == '\r'))
			continue;
		/* hwloc-gather-cpuid ends every line: a last line without its
		 * newline is a cut file, and its last value may be cut short */
		if (!nl) {
			hv_errorf(d, "%s:%u: the last line has no newline: the file is truncated",
				  name, no);
			rc = -EPIPE;
			goto out;
		}
		if (ll >= sizeof(line) || memchr(cur, 0, ll))
			goto bad;
		memcpy(line, cur, ll);
		line[ll] = 0;
		/* every field is hex digits only: no signs, no 0x prefixes
		 * beyond what %x takes, and nothing after the last */
		if (sscanf(line, "%x %x %x %x %x => %x %x %x %x %n", &mask,
			   &in[0], &in[1], &in[2], &in[3], &out[0], &out[1],
			   &out[2], &out[3], &used) != 9 || line[used] ||
		    strchr(line, '-') || strchr(line, '+'))
			goto bad;
		uint32_t r[4] = { out[0], out[1], out[2], out[3] };
		if ((rc = cpuid_data_set(&c, in[0], mask & 4 ? in[2] : 0, r)) < 0) {
			rc = hv_errorf(d, "%s:%u: more than %d CPUID results", name,
				       no, CPUID_MAX_ENTRIES);
			goto out;
		}
		good++;
		continue;
bad:
		if (!bad++)
			first_bad = no;
	}
	if (!good) {
		rc = hv_errorf(d, "%s: no CPUID result (lines 'MASK EAX EBX ECX EDX => EAX EBX ECX EDX')",
			       name);
		goto out;
	}
	if (bad)
		hv_warnf(d, "%s:%u: %u line%s not of the form 'MASK EAX EBX ECX EDX => EAX EBX ECX EDX', ignoring",
			 name, first_bad, bad, bad == 1 ? "" : "s");
	cpuid_data_set_origin(&c, name);
	*ret = c;
	return 0;
out:
	cpuid_data_release(&c);
	return rc;
}

void cpuid_pus_release(struct cpuid_pus *p)
{
	for (size_t i = 0; i < p->n; i++)
		cpuid_data_release(&p->data[i]);
	free(p->data);
	free(p->cpu);
	memset(p, 0, sizeof(*p));
}

/* The number of a "cpuN" or "puN" file name, or -1 for another name. */
static long pu_number(const char *name)
{
	const char *num = str_startswith(name, "cpu") ? name + 3 :
			  str_startswith(name, "pu") ? name + 2 : NULL;
	uint64_t cpu;

	if (!num || !*num || parse_u64(num, 10, &cpu) < 0 || cpu >= CPUSET_MAX)
		return -1;
	return (long)cpu;
}

int cpuid_read_pus(struct hv_root *root, const char *dir, const char *name,
		   struct cpuid_pus *ret, struct hv_diags *d)
{
	struct cpuid_pus p = { 0 };
	char **names = NULL;
	size_t nnames = 0;
	int rc;

	if ((rc = hv_root_list(root, dir, &names, &nnames)) < 0)
		return rc;
	for (size_t i = 0; i < nnames; i++) {
		long cpu = pu_number(names[i]);
		_cleanup_free_ char *path = NULL, *shown = NULL, *buf = NULL;
		size_t len = 0, a = p.alloc;
		struct cpuid_data one = CPUID_DATA_INIT;
		struct hv_diags local = HV_DIAGS_INIT;

		if (cpu < 0)
			continue;
		path = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", names[i]);
		shown = name ? xasprintf("%s:%s", name, names[i]) : xstrdup(path);
		if (hv_root_read_max(root, path, CPUID_MAX_FILE, &buf, &len) < 0)
			continue;
		rc = cpuid_looks_like_hwloc(buf, len) ?
			cpuid_parse_hwloc(buf, len, shown, &one, &local) :
			cpuid_parse_text(buf, len, shown, &one, &local);
		if (rc == -EPIPE) {	/* a cut file: the dump set is not whole */
			for (size_t k = 0; k < local.n; k++)
				if (local.v[k].level == HV_DIAG_ERROR)
					hv_errorf(d, "%s", local.v[k].msg);
			hv_diags_release(&local);
			hv_strv_free(names, nnames);
			cpuid_pus_release(&p);
			return rc;
		}
		for (size_t k = 0; k < local.n; k++)
			hv_warnf(d, "%s%s", local.v[k].msg,
				 local.v[k].level == HV_DIAG_ERROR ? ", ignoring" : "");
		hv_diags_release(&local);
		if (rc < 0)
			continue;
		p.data = xgrow(p.data, sizeof(*p.data), p.n + 1, &a);
		p.cpu = xgrow(p.cpu, sizeof(*p.cpu), p.n + 1, &p.alloc);
		p.cpu[p.n] = (unsigned)cpu;
		p.data[p.n++] = one;
	}
	hv_strv_free(names, nnames);
	if (!p.n)
		return -ENOENT;
	/* by CPU number (insertion: a few hundred at most) */
	for (size_t i = 1; i < p.n; i++)
		for (size_t j = i; j > 0 && p.cpu[j - 1] > p.cpu[j]; j--) {
			unsigned t = p.cpu[j];
			struct cpuid_data td = p.data[j];

			p.cpu[j] = p.cpu[j - 1];
			p.data[j] = p.data[j - 1];
			p.cpu[j - 1] = t;
			p.data[j - 1] = td;
		}
	*ret = p;
	return 0;
}

/* Intel's hybrid core type (leaf 0x1A EAX[31:24]) in words, or NULL. */
static const char *core_type(const struct cpuid_data *c)
{
	uint32_t t;

	if (cpuid_data_max(c, 0) < 0x1A)
		return NULL;
	t = cpuid_data_reg(c, 0x1A, 0, CPUID_EAX) >> 24;
	return t == 0x20 ? "Atom" : t == 0x40 ? "Core" : t ? "other" : NULL;
}

/* "WHAT a b c;" for the features of fs, nothing when there are none. */
static void add_names(struct strbuf *sb, const char *what, const struct cpuid_featureset *fs)
{
	if (!cpuid_fset_count(fs))
		return;
	strbuf_adds(sb, what);
	for (size_t i = 0; i < cpuid_nfeatures; i++)
		if (cpuid_fset_has(fs, i))
			strbuf_addf(sb, " %s", cpuid_features[i].name);
	strbuf_addc(sb, ';');
}

int cpuid_pus_first(struct cpuid_pus *p, const char *name, struct cpuid_data *ret,
		    struct hv_diags *d)
{
	struct cpuid_featureset f0, fi, lack, more;
	const char *t0 = core_type(&p->data[0]);
	uint32_t sig0 = cpuid_data_reg(&p->data[0], 1, 0, CPUID_EAX);
	size_t ndiff = 0, ntype = 0, nsig = 0;
	struct strbuf sb = STRBUF_INIT;

	cpuid_data_features(&p->data[0], &f0);
	memset(&lack, 0, sizeof(lack));
	memset(&more, 0, sizeof(more));
	for (size_t i = 1; i < p->n; i++) {
		const char *ti = core_type(&p->data[i]);
		bool differ = false;

		cpuid_data_features(&p->data[i], &fi);
		for (size_t w = 0; w < CPUID_FSET_WORDS; w++) {
			lack.w[w] |= f0.w[w] & ~fi.w[w];
			more.w[w] |= fi.w[w] & ~f0.w[w];
			differ |= f0.w[w] != fi.w[w];
		}
		if ((ti || t0) && (!ti || !t0 || strcmp(ti, t0) != 0))
			ntype++, differ = true;
		if (cpuid_data_reg(&p->data[i], 1, 0, CPUID_EAX) != sig0)
			nsig++, differ = true;
		ndiff += differ;
	}
	if (ndiff) {
		strbuf_addf(&sb, "%s: %zu of the other %zu PUs differ from PU %u, the one used:",
			    name, ndiff, p->n - 1, p->cpu[0]);
		if (ntype)
			strbuf_addf(&sb, " %zu of another core type (PU %u: %s);", ntype, p->cpu[0],
				    t0 ? t0 : "none");
		if (nsig)
			strbuf_addf(&sb, " %zu of another family/model/stepping;", nsig);
		add_names(&sb, " some lack", &lack);
		add_names(&sb, " some have", &more);
		sb.buf[sb.len - 1] = 0;
		hv_warnf(d, "%s", sb.buf);
		strbuf_release(&sb);
	}
	*ret = p->data[0];
	p->data[0] = (struct cpuid_data)CPUID_DATA_INIT;
	free(ret->origin);
	ret->origin = xasprintf("%s (per-PU CPUID dumps: PU %u of %zu)", name, p->cpu[0], p->n);
	return 0;
}

int cpuid_read_pus_root(struct hv_root *root, const char *name, struct cpuid_data *ret,
			struct hv_diags *d)
{
	struct cpuid_pus p = { 0 };
	int rc = cpuid_read_pus(root, "/", name, &p, d);

	if (rc == -ENOENT)
		return hv_errorf(d, "%s: no per-PU CPUID file (puN, cpuN) that reads", name);
	if (rc == -EPIPE)	/* a truncated file, already said */
		return -EINVAL;
	if (rc < 0)
		return hv_errorf(d, "%s: %s", name, strerror(-rc));
	rc = cpuid_pus_first(&p, name, ret, d);
	cpuid_pus_release(&p);
	return rc;
}
