/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the xl.cfg writer fed a VM as a hostile package or
 * pool gives it (random other_config maps, bootloader, kernel, disk and
 * NIC fields).  Whatever it writes is read back as libxlutil's lexer
 * reads it (and by libxlutil itself when built with it): every setting
 * must be on the allow-list, every disk target the file hvkit wrote, and
 * every vif key an allowed one; anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"
#include "xlcfg.h"
#ifdef HAVE_LIBXLUTIL
#include <sys/mman.h>
#include <unistd.h>

#include <libxlutil.h>

#include "lazy-xen.h"
#endif

#define OURS "/out/g-disk0.raw"

/* Input: NUL-separated key, value pairs.  "@FIELD" keys set the model's
 * fields; the rest go to other_config as they are. */
static void build(const uint8_t *data, size_t size, struct mv_vm *vm)
{
	struct mv_disk *dk, *cd;
	struct mv_nic *n = mv_vm_add_nic(vm);

	(void)mv_vm_add_disk(vm);
	(void)mv_vm_add_disk(vm);	/* may move the first */
	dk = &vm->disks[0];
	cd = &vm->disks[1];
	const char *p = (const char *)data, *end = p + size;

	dk->target = xstrdup(OURS);
	dk->format = xstrdup("raw");
	dk->vdev = xstrdup("xvda");
	dk->local = true;
	cd->kind = MV_DISK_CDROM;
	cd->vdev = xstrdup("xvdb");
	while (p < end) {
		const char *k = p, *v;
		p = memchr(p, 0, (size_t)(end - p));
		if (!p)
			break;
		v = ++p;
		p = memchr(p, 0, (size_t)(end - p));
		if (!p)
			break;
		p++;
		struct { const char *name; char **field; } fields[] = {
			{ "@name", &vm->name }, { "@uuid", &vm->uuid },
			{ "@kernel", &vm->kernel }, { "@ramdisk", &vm->ramdisk },
			{ "@cmdline", &vm->cmdline }, { "@bootloader", &vm->bootloader },
			{ "@boot", &vm->boot_order }, { "@firmware", &vm->firmware },
			{ "@timer", &vm->timer_mode }, { "@on_crash", &vm->on_crash },
			{ "@vdev", &dk->vdev }, { "@format", &dk->format },
			{ "@backend", &dk->backend }, { "@cdtarget", &cd->target },
			{ "@cdformat", &cd->format }, { "@mac", &n->mac },
			{ "@bridge", &n->bridge }, { "@model", &n->model },
			{ "@rate", &n->rate }, { "@extra", &n->extra },
		};
		size_t i;
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (strcmp(k, fields[i].name) == 0)
				break;
		if (i < ARRAY_SIZE(fields)) {
			free(*fields[i].field);
			*fields[i].field = xstrdup(v);
		} else if (strcmp(k, "@hvm") == 0) {
			vm->type = MV_GUEST_HVM;
		} else {
			mv_vm_add_other(vm, k, v);
		}
	}
}

/* ---- reading back as libxlutil's lexer does ---- */

struct lex {
	const char *p;
};

static void skip_space(struct lex *l)
{
	for (;;) {
		while (*l->p == ' ' || *l->p == '\t' || *l->p == '\r')
			l->p++;
		if (*l->p != '#')
			return;
		while (*l->p && *l->p != '\n')
			l->p++;
	}
}

/* A string literal at l->p, unescaped into a new string. */
static char *string(struct lex *l)
{
	char q = *l->p++;
	struct strbuf s = STRBUF_INIT;

	for (; *l->p != q; l->p++) {
		if (!*l->p || *l->p == '\n')
			abort();	/* an unterminated string */
		if (*l->p == '\\')
			l->p++;
		if (!*l->p)
			abort();
		strbuf_addc(&s, *l->p);
	}
	l->p++;
	return strbuf_detach(&s, NULL);
}

static const char *spec_key(const char *item, const char *key)
{
	size_t n = strlen(key);

	return strncmp(item, key, n) == 0 && item[n] == '=' ? item + n + 1 : NULL;
}

static void check_disk(const char *spec, size_t i)
{
	_cleanup_free_ char *dup = xstrdup(spec);
	const char *target = strstr(spec, "target=");
	char *save = NULL;

	if (target && (target != spec && target[-1] != ','))
		abort();
	if (target && (i != 0 || strcmp(target + 7, OURS) != 0))
		abort();	/* a target hvkit did not write */
	if (target)
		dup[target - spec] = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!spec_key(t, "format") && !spec_key(t, "vdev") && !spec_key(t, "access") &&
		    !spec_key(t, "backendtype") && strcmp(t, "devtype=cdrom") != 0)
			abort();
}

static void check_vif(const char *spec)
{
	_cleanup_free_ char *dup = xstrdup(spec);
	char *save = NULL;

	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			abort();
		*eq = 0;
		if (strcmp(t, "mac") && strcmp(t, "bridge") && strcmp(t, "rate") &&
		    strcmp(t, "mtu") && xlcfg_vif_refusal(t, eq + 1))
			abort();
	}
}

/* One value: a string, a number or a list; each string checked as the
 * key's value. */
static void value(struct lex *l, const char *key, int depth, size_t *idx)
{
	skip_space(l);
	if (*l->p == '"' || *l->p == '\'') {
		_cleanup_free_ char *s = string(l);
		if (strcmp(key, "disk") == 0)
			check_disk(s, (*idx)++);
		else if (strcmp(key, "vif") == 0)
			check_vif(s);
		else if (depth <= 1 && xlcfg_refusal(key, s))
			abort();
	} else if (*l->p == '[') {
		if (depth > 8)
			abort();
		l->p++;
		for (;;) {
			skip_space(l);
			if (*l->p == ']') {
				l->p++;
				break;
			}
			value(l, key, depth + 1, idx);
			skip_space(l);
			if (*l->p == ',')
				l->p++;
			else if (*l->p != ']')
				abort();
		}
	} else if (*l->p >= '0' && *l->p <= '9') {
		const char *start = l->p;
		while ((*l->p >= '0' && *l->p <= '9') || *l->p == 'x' ||
		       (*l->p >= 'a' && *l->p <= 'f'))
			l->p++;
		_cleanup_free_ char *num = xstrndup(start, (size_t)(l->p - start));
		if (depth <= 1 && xlcfg_refusal(key, num) && !xlcfg_never(key))
			abort();
	} else {
		abort();
	}
}

static void check_output(const char *text)
{
	struct lex l = { text };

	for (;;) {
		skip_space(&l);
		if (!*l.p)
			return;
		if (*l.p == '\n' || *l.p == ';') {
			l.p++;
			continue;
		}
		const char *k = l.p;
		while ((*l.p >= 'a' && *l.p <= 'z') || (*l.p >= 'A' && *l.p <= 'Z') ||
		       (*l.p >= '0' && *l.p <= '9') || *l.p == '_' || *l.p == '.')
			l.p++;
		if (l.p == k)
			abort();
		_cleanup_free_ char *key = xstrndup(k, (size_t)(l.p - k));
		skip_space(&l);
		if (*l.p == '+')
			l.p++;
		if (*l.p++ != '=')
			abort();
		if (!xlcfg_never(key) && xlcfg_refusal(key, NULL))
			abort();	/* a key off the allow-list */
		size_t idx = 0;
		value(&l, key, 0, &idx);
		skip_space(&l);
		if (*l.p && *l.p != '\n' && *l.p != ';')
			abort();
	}
}

#ifdef HAVE_LIBXLUTIL
/* libxlutil's own reading: what the refused keys would give xl. */
static void check_libxlutil(const char *text, size_t len)
{
	static const char *const probe[] = { "kernel", "ramdisk", "device_model_override",
		"device_model", "pci", "iomem", "ioports", "irqs", "usbdev", "dtdev",
		"e820_host", "serial", "channel", "stubdomain_kernel", "vnclisten",
		"smbios_firmware", "acpi_firmware", "device_tree", "bootloader_args" };
	static FILE *null;
	static int loaded;
	const char *s;
	char path[64];
	int fd;

	if (!loaded) {
		struct hv_diags d = HV_DIAGS_INIT;
		loaded = lazy_xenlight_load(&d) ?: lazy_xlutil_load(&d) ?: 1;
		if (loaded < 0)
			fprintf(stderr, "fuzz-xlcfg: %s: libxlutil's own reading is not judged\n",
				d.v[d.n - 1].msg);
		hv_diags_release(&d);
	}
	if (loaded < 0)
		return;
	fd = memfd_create("fuzz-xlcfg", MFD_CLOEXEC);
	if (!null)
		null = fopen("/dev/null", "w");
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	XLU_Config *c = xlu_cfg_init(null, path);
	if (!c) {
		close(fd);
		return;
	}
	if (xlu_cfg_readfile(c, path) != 0)
		abort();	/* hvkit wrote what xl cannot read */
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(probe); i++) {
		XLU_ConfigList *list;
		if (xlu_cfg_get_string(c, probe[i], &s, 1) == 0 && xlcfg_refusal(probe[i], s))
			abort();
		if (xlu_cfg_get_list(c, probe[i], &list, NULL, 1) == 0)
			abort();
	}
	if (xlu_cfg_get_string(c, "bootloader", &s, 1) == 0 && xlcfg_refusal("bootloader", s))
		abort();
	xlu_cfg_destroy(c);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct strbuf o = STRBUF_INIT;
	struct mv_vm vm;

	if (size > 1 << 16)
		return 0;
	mv_vm_init(&vm);
	build(data, size, &vm);
	if (xlcfg_write(&vm, "fuzz \"origin\"\n", NULL, &o, &d) == 0) {
		check_output(o.buf);
#ifdef HAVE_LIBXLUTIL
		check_libxlutil(o.buf, o.len);
#endif
	}
	strbuf_release(&o);
	mv_vm_release(&vm);
	hv_diags_release(&d);
	return 0;
}
