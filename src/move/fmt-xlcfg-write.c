/* SPDX-License-Identifier: MIT */
/* xl.cfg(5) written from the VM model, in the syntax libxlutil reads
 * back to the same model (tests/e2e/move/0600-roundtrip.py checks). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xlcfg.h"

int xlcfg_quote(struct strbuf *o, const char *s, const char *key,
		struct hv_diags *d)
{
	if (strchr(s, '\n') || strchr(s, '\r'))
		return hv_errorf(d, "setting '%s': value '%s' holds a line break, which xl.cfg cannot quote", key, s);
	strbuf_addc(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addc(o, '\\');
		strbuf_addc(o, *s);
	}
	strbuf_addc(o, '"');
	return 0;
}

/*
 * Whether s is one xl.cfg list value and nothing else: '[' items ']'
 * where an item is a string literal or such a list, items separated by
 * ',' (a trailing one allowed), spaces between tokens, no line break,
 * and in a string no escape but \\ and \" (xl refuses some others, as
 * "\=": an allow-list of the two the writer itself makes).
 * Values read back from a package are not trusted: only this shape is
 * written verbatim into an xl.cfg.
 */
static const char *list_literal_end(const char *s, int depth)
{
	if (depth > 8 || *s != '[')
		return NULL;
	for (s++;;) {
		while (*s == ' ')
			s++;
		if (*s == ']')
			return s + 1;
		if (*s == '[') {
			s = list_literal_end(s, depth + 1);
			if (!s)
				return NULL;
		} else if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s || *s == '\n' || *s == '\r')
					return NULL;
				if (*s == '\\' && *++s != '\\' && *s != '"')
					return NULL;
			}
			s++;
		} else {
			return NULL;
		}
		while (*s == ' ')
			s++;
		if (*s == ',')
			s++;
		else if (*s != ']')
			return NULL;
	}
}

static bool is_list_literal(const char *s)
{
	const char *e = list_literal_end(s, 0);

	return e && !*e;
}

static bool is_key(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Appends s for a comment or a message: at most max bytes, control
 * characters as '?', so that it can never end the comment's line. */
static void add_shown(struct strbuf *o, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s && n < max; s++, n++)
		strbuf_addc(o, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (*s)
		strbuf_adds(o, "...");
}

struct writer {
	struct strbuf *o;
	struct strbuf refused;	/* comment lines naming what was not written */
	const struct mv_vm *vm;
	const struct xlcfg_allow *allow;
	struct hv_diags *d;
	int rc;
};

static void refuse(struct writer *w, const char *key, const char *value, const char *why)
{
	struct strbuf v = STRBUF_INIT;

	if (value) {
		strbuf_adds(&v, " = '");
		add_shown(&v, value, 120);
		strbuf_addc(&v, '\'');
	}
	strbuf_addf(&w->refused, "#   %s%s: %s\n", key, v.buf ? v.buf : "", why);
	if (xlcfg_never(key))
		hv_warnf(w->d, "setting '%s'%s not written: %s", key, v.buf ? v.buf : "", why);
	else
		hv_warnf(w->d, "setting '%s'%s not written: %s (--allow-setting %s writes it)",
			 key, v.buf ? v.buf : "", why, key);
	strbuf_release(&v);
}

/* Whether key = value (NULL: the key alone) may be written, without a
 * word. */
static bool permitted(const struct writer *w, const char *key, const char *value)
{
	return !xlcfg_never(key) &&
	       (!xlcfg_refusal(key, value) || xlcfg_admin_allows(w->allow, key));
}

/* The same, naming a refusal. */
static bool may(struct writer *w, const char *key, const char *value)
{
	if (permitted(w, key, value))
		return true;
	refuse(w, key, value, xlcfg_refusal(key, value));
	return false;
}

/* The other_config entry "xl:KEY", "xl:KEY[]" or "xl:KEY[[]]" naming key,
 * or NULL. */
static const struct mv_kv *recorded_any(const struct mv_vm *vm, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < vm->nother; i++) {
		const char *k = vm->other[i].key;
		if (str_startswith(k, "xl:") && strncmp(k + 3, key, kl) == 0 &&
		    (k[3 + kl] == 0 || strcmp(k + 3 + kl, "[]") == 0 ||
		     strcmp(k + 3 + kl, "[[]]") == 0))
			return &vm->other[i];
	}
	return NULL;
}

/* Such an entry that will be written (and so replaces the model's field). */
static bool recorded(const struct writer *w, const char *key)
{
	const struct mv_kv *kv = recorded_any(w->vm, key);

	return kv && permitted(w, key, strchr(kv->key, '[') ? NULL : kv->value);
}

static void put_str(struct writer *w, const char *key, const char *v)
{
	if (!v || recorded(w, key) || w->rc || !may(w, key, v))
		return;
	strbuf_addf(w->o, "%s = ", key);
	w->rc = xlcfg_quote(w->o, v, key, w->d);
	strbuf_addc(w->o, '\n');
}

static void put_num(struct writer *w, const char *key, uint64_t v)
{
	if (v && !recorded(w, key))
		strbuf_addf(w->o, "%s = %" PRIu64 "\n", key, v);
}

static void put_flag(struct writer *w, const char *key, enum mv_tristate t)
{
	if (t != MV_UNSET && !recorded(w, key))
		strbuf_addf(w->o, "%s = %d\n", key, t == MV_ON);
}

static bool all_of(const char *s, const char *set, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, set) == n;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"
#define HEX DIGITS "abcdefABCDEF"

/* xvda, hdc, sdb1, xvdaa or Xen's number: nothing that could end the
 * spec's key=value. */
static bool is_vdev(const char *s)
{
	return (islower((unsigned char)*s) && all_of(s, LOWER DIGITS, 2, 16)) ||
	       all_of(s, DIGITS, 1, 8);
}

static bool is_mac(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !strchr(HEX, s[i]) || !s[i])
			return false;
	return true;
}

/* A bridge: a Linux interface name of letters, digits, '.', '-', '_',
 * with Open vSwitch's ".VLAN:TRUNK" forms (':'); nothing a spec or a
 * hotplug script's shell could take for more. */
static bool is_bridge(const char *s)
{
	return all_of(s, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS "._:-", 1, 64);
}

/* xl's rate: 10Mb/s, 1GB/s@20ms. */
static bool is_rate(const char *s)
{
	size_t n = strspn(s, DIGITS);

	if (!n || n > 19)
		return false;
	s += n;
	if (*s && strchr("KMGT", *s))
		s++;
	if ((*s != 'b' && *s != 'B') || strncmp(s + 1, "/s", 2) != 0)
		return false;
	s += 3;
	if (!*s)
		return true;
	if (*s++ != '@' || !(n = strspn(s, DIGITS)) || n > 19)
		return false;
	s += n;
	return strcmp(s, "s") == 0 || strcmp(s, "ms") == 0 || strcmp(s, "us") == 0;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (strcmp(*set, s) == 0)
			return true;
	return false;
}

static void disk_spec(struct writer *w, size_t i, const struct mv_disk *dk, struct strbuf *s)
{
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd", "qed", "vhdx", NULL };
	static const char *const backends[] = { "phy", "qdisk", "tap", NULL };

	if (dk->vdev && !is_vdev(dk->vdev)) {
		w->rc = hv_errorf(w->d, "disk %zu: device '%s' is not a disk name (xvda, hda, sda or a number)",
				  i, dk->vdev);
		return;
	}
	if (dk->format && one_of(dk->format, formats))
		strbuf_addf(s, "format=%s,", dk->format);
	if (dk->vdev)
		strbuf_addf(s, "vdev=%s,", dk->vdev);
	strbuf_addf(s, "access=%s,", dk->readonly ? "ro" : "rw");
	if (dk->local && dk->backend && one_of(dk->backend, backends))
		strbuf_addf(s, "backendtype=%s,", dk->backend);
	if (dk->kind == MV_DISK_CDROM)
		strbuf_adds(s, "devtype=cdrom,");
	/* target last: it may hold commas; none for an empty drive.  Only
	 * a file hvkit wrote: a path from the package names the source
	 * host's file, and here could be any file or device of this one. */
	if (dk->target && *dk->target && !dk->local) {
		_cleanup_free_ char *what = xasprintf("disk.%zu.target", i);
		refuse(w, what, dk->target, dk->kind == MV_DISK_CDROM ?
		       "a path on the source host (the drive is left empty)" :
		       "a path on the source host (only files hvkit writes are disk targets)");
	} else if (dk->target && *dk->target) {
		strbuf_addf(s, "target=%s", dk->target);
		return;
	}
	if (s->len)
		s->buf[--s->len] = 0;
}

/* The package's other keys of NIC i ("script=...,ip=..."), allowed ones
 * only. */
static void nic_extra(struct writer *w, size_t i, const char *extra, struct strbuf *s,
		      const char **sep)
{
	_cleanup_free_ char *dup = xstrdup(extra);
	char *save = NULL;

	for (char *t = strtok_r(dup, ",", &save); t && !w->rc; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (eq)
			*eq = 0;
		if (!eq || !is_key(t)) {
			if (eq)
				*eq = '=';
			w->rc = hv_errorf(w->d, "vif %zu: '%s' is not a KEY=VALUE setting", i, t);
			return;
		}
		_cleanup_free_ char *key = xasprintf("vif.%s", t);
		const char *why = xlcfg_vif_refusal(t, eq + 1);
		if (why && !xlcfg_admin_allows(w->allow, key)) {
			refuse(w, key, eq + 1, why);
			continue;
		}
		strbuf_addf(s, "%s%s=%s", *sep, t, eq + 1);
		*sep = ",";
	}
}

static void nic_spec(struct writer *w, size_t i, const struct mv_nic *n, struct strbuf *s)
{
	const char *sep = "";

	if (n->mac && !is_mac(n->mac))
		w->rc = hv_errorf(w->d, "vif %zu: MAC '%s' is not six hex bytes", i, n->mac);
	else if (n->bridge && !is_bridge(n->bridge))
		w->rc = hv_errorf(w->d, "vif %zu: bridge '%s' is not an interface name", i, n->bridge);
	else if (n->rate && !is_rate(n->rate))
		w->rc = hv_errorf(w->d, "vif %zu: rate '%s' is not an xl rate (10Mb/s)", i, n->rate);
	else if (n->model && !all_of(n->model, LOWER DIGITS "_-", 1, 32))
		w->rc = hv_errorf(w->d, "vif %zu: model '%s' is not a device name", i, n->model);
	if (w->rc)
		return;
#define ADD(fmt, ...) do { strbuf_addf(s, "%s" fmt, sep, __VA_ARGS__); sep = ","; } while (0)
	if (n->mac)
		ADD("mac=%s", n->mac);
	if (n->bridge)
		ADD("bridge=%s", n->bridge);
	if (n->extra)
		nic_extra(w, i, n->extra, s, &sep);
	if (n->model) {
		const char *why = xlcfg_vif_refusal("model", n->model);
		if (!why || xlcfg_admin_allows(w->allow, "vif.model"))
			ADD("model=%s", n->model);
		else
			refuse(w, "vif.model", n->model, why);
	}
	if (n->rate)
		ADD("rate=%s", n->rate);
	if (n->mtu)
		ADD("mtu=%u", n->mtu);
#undef ADD
}

static void put_list(struct writer *w, const char *key, char **items, size_t n)
{
	if (w->rc)
		return;
	strbuf_addf(w->o, "%s = [ ", key);
	for (size_t i = 0; i < n && !w->rc; i++) {
		if (i)
			strbuf_adds(w->o, ", ");
		w->rc = xlcfg_quote(w->o, items[i], key, w->d);
	}
	strbuf_adds(w->o, " ]\n");
}

/* Settings XAPI kept for us in other_config ("xl:KEY", lists as
 * "xl:KEY[]" with one item a line, lists of lists as "xl:KEY[[]]"), the
 * allowed ones; the rest of other_config as comments. */
static void put_recorded(struct writer *w, const struct mv_kv *kv)
{
	const char *k = kv->key, *v = kv->value;

	if (!str_startswith(k, "xl:")) {
		strbuf_adds(w->o, "# other_config: ");
		add_shown(w->o, k, 200);
		strbuf_adds(w->o, " = ");
		add_shown(w->o, v, 200);
		strbuf_addc(w->o, '\n');
		return;
	}
	_cleanup_free_ char *key = xstrdup(k + 3);
	bool lists = str_endswith(key, "[[]]");
	bool list = !lists && str_endswith(key, "[]");
	if (list || lists)
		key[strlen(key) - (lists ? 4 : 2)] = 0;
	if (!is_key(key)) {
		w->rc = hv_errorf(w->d, "other_config key '%s' is not an xl.cfg setting name", k);
		return;
	}
	if (lists) {
		if (!is_list_literal(v)) {
			w->rc = hv_errorf(w->d, "other_config '%s': '%s' is not an xl.cfg list", k, v);
			return;
		}
		if (may(w, key, NULL))
			strbuf_addf(w->o, "%s = %s\n", key, v);
	} else if (list) {
		char **items = NULL;
		size_t n = 0;
		bool ok = true;
		_cleanup_free_ char *dup = xstrdup(v);
		char *save = NULL;
		for (char *t = strtok_r(dup, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
			items = xrealloc(items, (n + 1) * sizeof(*items));
			items[n++] = t;
			ok = ok && permitted(w, key, t);
		}
		if (ok && may(w, key, NULL))
			put_list(w, key, items, n);
		else if (!ok)
			refuse(w, key, v, xlcfg_refusal(key, v) ? xlcfg_refusal(key, v) :
			       "a value outside the known ones");
		free(items);
	} else if (!may(w, key, v)) {
		return;
	} else if (is_number(v)) {
		strbuf_addf(w->o, "%s = %s\n", key, v);
	} else {
		strbuf_addf(w->o, "%s = ", key);
		w->rc = xlcfg_quote(w->o, v, key, w->d);
		strbuf_addc(w->o, '\n');
	}
}

int xlcfg_write(const struct mv_vm *vm, const char *origin,
		const struct xlcfg_allow *allow, struct strbuf *out,
		struct hv_diags *d)
{
	struct strbuf body = STRBUF_INIT;
	struct writer w = { &body, STRBUF_INIT, vm, allow, d, 0 };
	const char *type = vm->type == MV_GUEST_HVM ? "hvm" :
			   vm->type == MV_GUEST_PVH ? "pvh" : "pv";

	put_str(&w, "name", vm->name ? vm->name : "guest");
	put_str(&w, "uuid", vm->uuid);
	put_str(&w, "type", type);
	put_num(&w, "memory", vm->memory_mib);
	if (vm->maxmem_mib > vm->memory_mib)
		put_num(&w, "maxmem", vm->maxmem_mib);
	put_num(&w, "vcpus", vm->vcpus);
	if (vm->maxvcpus > vm->vcpus)
		put_num(&w, "maxvcpus", vm->maxvcpus);
	put_num(&w, "weight", vm->weight);
	put_num(&w, "cap", vm->cap);
	put_str(&w, "kernel", vm->kernel);
	put_str(&w, "ramdisk", vm->ramdisk);
	put_str(&w, "cmdline", vm->cmdline);
	put_str(&w, "bootloader", vm->bootloader);
	if (vm->type == MV_GUEST_HVM) {
		put_str(&w, "boot", vm->boot_order);
		put_str(&w, "bios", vm->firmware);
	}
	put_flag(&w, "acpi", vm->acpi);
	put_flag(&w, "apic", vm->apic);
	put_flag(&w, "pae", vm->pae);
	put_flag(&w, "hap", vm->hap);
	put_flag(&w, "hpet", vm->hpet);
	put_flag(&w, "viridian", vm->viridian);
	put_flag(&w, "nestedhvm", vm->nestedhvm);
	put_str(&w, "timer_mode", vm->timer_mode);
	put_str(&w, "on_poweroff", vm->on_poweroff);
	put_str(&w, "on_reboot", vm->on_reboot);
	put_str(&w, "on_crash", vm->on_crash);
	if (vm->ndisks && !w.rc) {
		char **items = xcalloc(vm->ndisks, sizeof(char *));
		for (size_t i = 0; i < vm->ndisks; i++) {
			struct strbuf s = STRBUF_INIT;
			if (!w.rc)
				disk_spec(&w, i, &vm->disks[i], &s);
			items[i] = strbuf_detach(&s, NULL);
		}
		put_list(&w, "disk", items, vm->ndisks);
		for (size_t i = 0; i < vm->ndisks; i++)
			free(items[i]);
		free(items);
	}
	if (vm->nnics && !w.rc) {
		char **items = xcalloc(vm->nnics, sizeof(char *));
		for (size_t i = 0; i < vm->nnics; i++) {
			struct strbuf s = STRBUF_INIT;
			if (!w.rc)
				nic_spec(&w, i, &vm->nics[i], &s);
			items[i] = strbuf_detach(&s, NULL);
		}
		put_list(&w, "vif", items, vm->nnics);
		for (size_t i = 0; i < vm->nnics; i++)
			free(items[i]);
		free(items);
	}
	for (size_t i = 0; i < vm->nother && !w.rc; i++)
		put_recorded(&w, &vm->other[i]);
	if (w.rc == 0) {
		if (origin) {
			strbuf_adds(out, "# xl.cfg(5) written by hvkit move from ");
			add_shown(out, origin, 400);
			strbuf_addc(out, '\n');
		}
		if (w.refused.len)
			strbuf_addf(out, "# Not written: settings of the package or pool that reach the host\n"
				    "# (hvkit move --allow-setting KEY writes one on purpose):\n%s",
				    w.refused.buf);
		strbuf_add(out, body.buf, body.len);
	}
	strbuf_release(&body);
	strbuf_release(&w.refused);
	return w.rc;
}
