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
 * ',' (a trailing one allowed), spaces between tokens, no line break.
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
				if (*s == '\\' && !*++s)
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

/* The other_config entry "xl:KEY", "xl:KEY[]" or "xl:KEY[[]]" naming key,
 * or NULL. */
static const struct mv_kv *recorded(const struct mv_vm *vm, const char *key)
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

struct writer {
	struct strbuf *o;
	const struct mv_vm *vm;
	struct hv_diags *d;
	int rc;
};

static void put_str(struct writer *w, const char *key, const char *v)
{
	if (!v || recorded(w->vm, key) || w->rc)
		return;
	strbuf_addf(w->o, "%s = ", key);
	w->rc = xlcfg_quote(w->o, v, key, w->d);
	strbuf_addc(w->o, '\n');
}

static void put_num(struct writer *w, const char *key, uint64_t v)
{
	if (v && !recorded(w->vm, key))
		strbuf_addf(w->o, "%s = %" PRIu64 "\n", key, v);
}

static void put_flag(struct writer *w, const char *key, enum mv_tristate t)
{
	if (t != MV_UNSET && !recorded(w->vm, key))
		strbuf_addf(w->o, "%s = %d\n", key, t == MV_ON);
}

static void disk_spec(struct writer *w, const struct mv_disk *dk, struct strbuf *s)
{
	if (dk->format)
		strbuf_addf(s, "format=%s,", dk->format);
	if (dk->vdev)
		strbuf_addf(s, "vdev=%s,", dk->vdev);
	strbuf_addf(s, "access=%s,", dk->readonly ? "ro" : "rw");
	if (dk->backend)
		strbuf_addf(s, "backendtype=%s,", dk->backend);
	if (dk->kind == MV_DISK_CDROM)
		strbuf_adds(s, "devtype=cdrom,");
	/* target last: it may hold commas; none for an empty drive. */
	if (dk->target && *dk->target)
		strbuf_addf(s, "target=%s", dk->target);
	else if (s->len)
		s->buf[--s->len] = 0;
	(void)w;
}

static void nic_spec(const struct mv_nic *n, struct strbuf *s)
{
	const char *sep = "";

#define ADD(fmt, ...) do { strbuf_addf(s, "%s" fmt, sep, __VA_ARGS__); sep = ","; } while (0)
	if (n->mac)
		ADD("mac=%s", n->mac);
	if (n->bridge)
		ADD("bridge=%s", n->bridge);
	if (n->extra)
		ADD("%s", n->extra);
	if (n->model)
		ADD("model=%s", n->model);
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

int xlcfg_write(const struct mv_vm *vm, const char *origin, struct strbuf *o,
		struct hv_diags *d)
{
	struct writer w = { o, vm, d, 0 };
	const char *type = vm->type == MV_GUEST_HVM ? "hvm" :
			   vm->type == MV_GUEST_PVH ? "pvh" : "pv";

	if (origin)
		strbuf_addf(o, "# xl.cfg(5) written by hvkit move from %s\n", origin);
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
	if (vm->ndisks) {
		char **items = xcalloc(vm->ndisks, sizeof(char *));
		for (size_t i = 0; i < vm->ndisks; i++) {
			struct strbuf s = STRBUF_INIT;
			disk_spec(&w, &vm->disks[i], &s);
			items[i] = strbuf_detach(&s, NULL);
		}
		put_list(&w, "disk", items, vm->ndisks);
		for (size_t i = 0; i < vm->ndisks; i++)
			free(items[i]);
		free(items);
	}
	if (vm->nnics) {
		char **items = xcalloc(vm->nnics, sizeof(char *));
		for (size_t i = 0; i < vm->nnics; i++) {
			struct strbuf s = STRBUF_INIT;
			nic_spec(&vm->nics[i], &s);
			items[i] = strbuf_detach(&s, NULL);
		}
		put_list(&w, "vif", items, vm->nnics);
		for (size_t i = 0; i < vm->nnics; i++)
			free(items[i]);
		free(items);
	}
	/* Settings XAPI kept for us in other_config ("xl:KEY", lists as
	 * "xl:KEY[]" with one item a line); the rest of other_config as
	 * comments. */
	for (size_t i = 0; i < vm->nother && !w.rc; i++) {
		const char *k = vm->other[i].key, *v = vm->other[i].value;

		if (!str_startswith(k, "xl:")) {
			if (!strchr(k, '\n') && !strchr(v, '\n'))
				strbuf_addf(o, "# other_config: %s = %s\n", k, v);
			continue;
		}
		_cleanup_free_ char *key = xstrdup(k + 3);
		bool lists = str_endswith(key, "[[]]");
		bool list = !lists && str_endswith(key, "[]");
		if (list || lists)
			key[strlen(key) - (lists ? 4 : 2)] = 0;
		if (!is_key(key)) {
			w.rc = hv_errorf(d, "other_config key '%s' is not an xl.cfg setting name", k);
			break;
		}
		if (lists) {
			if (!is_list_literal(v)) {
				w.rc = hv_errorf(d, "other_config '%s': '%s' is not an xl.cfg list", k, v);
				break;
			}
			strbuf_addf(o, "%s = %s\n", key, v);
		} else if (list) {
			char **items = NULL;
			size_t n = 0;
			_cleanup_free_ char *dup = xstrdup(v);
			char *save = NULL;
			for (char *t = strtok_r(dup, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
				items = xrealloc(items, (n + 1) * sizeof(*items));
				items[n++] = t;
			}
			put_list(&w, key, items, n);
			free(items);
		} else if (is_number(v)) {
			strbuf_addf(o, "%s = %s\n", key, v);
		} else {
			strbuf_addf(o, "%s = ", key);
			w.rc = xlcfg_quote(o, v, key, d);
			strbuf_addc(o, '\n');
		}
	}
	return w.rc;
}
