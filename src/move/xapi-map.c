/* SPDX-License-Identifier: MIT */
/* xl's VM model <-> XAPI's VM, VBD, VDI, VIF and network records. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xapi.h"

#define MiB (1ull << 20)

size_t xapi_pkg_add_disk(struct xapi_pkg *p)
{
	p->vbd = xrealloc(p->vbd, (p->ndisks + 1) * sizeof(*p->vbd));
	p->vdi = xrealloc(p->vdi, (p->ndisks + 1) * sizeof(*p->vdi));
	p->vbd[p->ndisks] = (struct xrec)XREC_INIT;
	p->vdi[p->ndisks] = (struct xrec)XREC_INIT;
	return p->ndisks++;
}

size_t xapi_pkg_add_nic(struct xapi_pkg *p)
{
	p->vif = xrealloc(p->vif, (p->nnics + 1) * sizeof(*p->vif));
	p->net = xrealloc(p->net, (p->nnics + 1) * sizeof(*p->net));
	p->vif[p->nnics] = (struct xrec)XREC_INIT;
	p->net[p->nnics] = (struct xrec)XREC_INIT;
	return p->nnics++;
}

void xapi_pkg_release(struct xapi_pkg *p)
{
	xrec_release(&p->vm);
	for (size_t i = 0; i < p->ndisks; i++) {
		xrec_release(&p->vbd[i]);
		xrec_release(&p->vdi[i]);
	}
	for (size_t i = 0; i < p->nnics; i++) {
		xrec_release(&p->vif[i]);
		xrec_release(&p->net[i]);
	}
	free(p->vbd);
	free(p->vdi);
	free(p->vif);
	free(p->net);
	memset(p, 0, sizeof(*p));
}

unsigned xapi_field_since(const char *cls, const char *field)
{
	/* Releases: miami 1.2, orlando 1.3, midnight-ride 1.7, kolkata 2.10. */
	static const struct { const char *cls, *field; unsigned api; } since[] = {
		{ "VM", "domain_type", XAPI_API(2, 10) },
		{ "VM", "tags", XAPI_API(1, 3) },
		{ "VM", "xenstore_data", XAPI_API(1, 2) },
		{ "VDI", "sm_config", XAPI_API(1, 2) },
		{ "VDI", "xenstore_data", XAPI_API(1, 2) },
		{ "VDI", "tags", XAPI_API(1, 3) },
		{ "VBD", "unpluggable", XAPI_API(1, 2) },
		{ "network", "MTU", XAPI_API(1, 7) },
		{ "network", "tags", XAPI_API(1, 3) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(since); i++)
		if (strcmp(since[i].cls, cls) == 0 && strcmp(since[i].field, field) == 0)
			return since[i].api;
	return 0;
}

bool xapi_null_ref(const char *ref)
{
	return !ref || !*ref || strcmp(ref, "OpaqueRef:NULL") == 0;
}

int xapi_check_refs(const struct xrec *r, const char *field, size_t max,
		    const char *where, struct hv_diags *d)
{
	const struct xfield *f = xrec_find(r, field);

	if (!f)
		return 0;
	if (f->type != XV_LIST)
		return hv_errorf(d, "%s: %s is not a list of references", where, field);
	if (f->nlist > max)
		return hv_errorf(d, "%s: %s lists %zu references; at most %zu are accepted",
				 where, field, f->nlist, max);
	for (size_t i = 0; i < f->nlist; i++) {
		if (xapi_null_ref(f->list[i]))
			return hv_errorf(d, "%s: %s item %zu is a null reference", where, field, i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(f->list[k], f->list[i]) == 0)
				return hv_errorf(d, "%s: %s lists '%s' twice", where, field, f->list[i]);
	}
	return 0;
}

int xapi_userdevice(const char *vdev)
{
	const char *p;
	int n = 0;

	if (!vdev)
		return -1;
	if (str_startswith(vdev, "xvd"))
		p = vdev + 3;
	else if (str_startswith(vdev, "hd") || str_startswith(vdev, "sd"))
		p = vdev + 2;
	else {
		uint64_t v;
		/* Xen's numeric form: 202 << 8 | disk << 4 (xvd); IDE major 3
		 * (hda, hdb) and 22 (hdc, hdd), unit in bit 6. */
		if (parse_u64(vdev, 10, &v) < 0 || v >= (1u << 16))
			return -1;
		if ((v >> 8) == 202)
			return (int)((v >> 4) & 15);
		if ((v >> 8) == 3 || (v >> 8) == 22)
			return ((v >> 8) == 22 ? 2 : 0) + (int)((v >> 6) & 1);
		return -1;
	}
	if (!islower((unsigned char)*p))
		return -1;
	for (; islower((unsigned char)*p); p++)
		n = n * 26 + (*p - 'a' + 1);
	return *p == 0 || isdigit((unsigned char)*p) ? n - 1 : -1;
}

uint64_t xapi_rate_bytes(const char *rate)
{
	char *end;
	unsigned long long n;
	uint64_t mult = 1;

	if (!rate)
		return 0;
	n = strtoull(rate, &end, 10);
	if (end == rate)
		return 0;
	if (*end == 'G')
		mult = 1000000000, end++;
	else if (*end == 'M')
		mult = 1000000, end++;
	else if (*end == 'K')
		mult = 1000, end++;
	if (*end == 'B')
		return n * mult;
	if (*end == 'b')
		return n * mult / 8;
	return 0;
}

/* xl's on_* actions and XAPI's actions_after_* (underscores, and
 * coredump_and_*); `allowed` lists what the XAPI field accepts. */
struct action_map {
	const char *xl, *xapi;
};
static const struct action_map actions[] = {
	{ "destroy", "destroy" },
	{ "restart", "restart" },
	{ "preserve", "preserve" },
	{ "rename-restart", "rename_restart" },
	{ "coredump-destroy", "coredump_and_destroy" },
	{ "coredump-restart", "coredump_and_restart" },
	{ "soft-reset", "soft_reboot" },
};

static const char *action_to_xapi(const char *xl)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(actions[i].xl, xl) == 0)
			return actions[i].xapi;
	return NULL;
}

static const char *action_to_xl(const char *xapi)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(actions[i].xapi, xapi) == 0)
			return actions[i].xl;
	return NULL;
}

static const char *const timer_modes[] = {
	"delay_for_missed_ticks", "no_delay_for_missed_ticks",
	"no_missed_ticks_pending", "one_missed_tick_pending",
};

/* Records an xl setting XAPI cannot express, with a warning. */
static void no_equivalent(struct xrec *oc_rec, struct hv_diags *d,
			  const char *key, const char *value)
{
	char *k = xasprintf("xl:%s", key);

	hv_warnf(d, "setting '%s' has no XAPI equivalent: kept in other_config as '%s'", key, k);
	xrec_map_set(oc_rec, "other_config", k, value);
	free(k);
}

static void set_action(struct xrec *r, struct hv_diags *d, const char *field,
		       const char *xlkey, const char *xl, const char *dflt,
		       const char *const *allowed)
{
	const char *x = xl ? action_to_xapi(xl) : NULL;
	bool ok = false;

	for (size_t i = 0; x && allowed[i]; i++)
		ok |= strcmp(allowed[i], x) == 0;
	if (xl && !ok) {
		no_equivalent(r, d, xlkey, xl);
		x = NULL;
	}
	xrec_str(r, field, ok ? x : dflt);
}

static void platform_flag(struct xrec *r, const char *key, enum mv_tristate t,
			  const char *on, const char *off)
{
	if (t != MV_UNSET)
		xrec_map_set(r, "platform", key, t == MV_ON ? on : off);
}

void xapi_from_vm(const struct mv_vm *vm, struct xapi_pkg *p,
		  struct hv_diags *d)
{
	static const char *const after_shutdown[] = { "destroy", "restart", NULL };
	static const char *const after_crash[] = { "destroy", "coredump_and_destroy",
		"restart", "coredump_and_restart", "preserve", "rename_restart", NULL };
	struct xrec *r = &p->vm;
	uint64_t mem = (vm->memory_mib ? vm->memory_mib : 512) * MiB;
	uint64_t maxmem = vm->maxmem_mib * MiB > mem ? vm->maxmem_mib * MiB : mem;
	unsigned vcpus = vm->vcpus ? vm->vcpus : 1;
	char num[24];

	xrec_str(r, "uuid", vm->uuid);
	xrec_str(r, "name_label", vm->name ? vm->name : "hvkit");
	xrec_str(r, "name_description", "moved from xl by hvkit");
	xrec_int(r, "user_version", 1);
	xrec_bool(r, "is_a_template", false);
	xrec_bool(r, "is_a_snapshot", false);
	xrec_bool(r, "is_control_domain", false);
	xrec_str(r, "power_state", "Halted");
	xrec_str(r, "affinity", "OpaqueRef:NULL");
	xrec_int(r, "memory_target", (int64_t)mem);
	xrec_int(r, "memory_static_max", (int64_t)maxmem);
	xrec_int(r, "memory_dynamic_max", (int64_t)mem);
	xrec_int(r, "memory_dynamic_min", (int64_t)mem);
	xrec_int(r, "memory_static_min", (int64_t)mem);
	xrec_int(r, "VCPUs_max", vm->maxvcpus > vcpus ? vm->maxvcpus : vcpus);
	xrec_int(r, "VCPUs_at_startup", vcpus);
	xrec_map(r, "VCPUs_params");
	if (vm->weight) {
		snprintf(num, sizeof(num), "%u", vm->weight);
		xrec_map_set(r, "VCPUs_params", "weight", num);
	}
	if (vm->cap) {
		snprintf(num, sizeof(num), "%u", vm->cap);
		xrec_map_set(r, "VCPUs_params", "cap", num);
	}
	xrec_map(r, "other_config");
	for (size_t i = 0; i < vm->nother; i++) {
		const char *k = vm->other[i].key;
		if (str_startswith(k, "xl-lost:"))
			hv_warnf(d, "setting '%s' is %s: named in other_config, not carried",
				 k + 8, vm->other[i].value);
		else if (str_startswith(k, "xl:"))
			hv_warnf(d, "setting '%.*s' has no XAPI equivalent: kept in other_config as '%s'",
				 (int)strcspn(k + 3, "["), k + 3, k);
		xrec_map_set(r, "other_config", k, vm->other[i].value);
	}
	set_action(r, d, "actions_after_shutdown", "on_poweroff", vm->on_poweroff,
		   "destroy", after_shutdown);
	set_action(r, d, "actions_after_reboot", "on_reboot", vm->on_reboot,
		   "restart", after_shutdown);
	set_action(r, d, "actions_after_crash", "on_crash", vm->on_crash,
		   "restart", after_crash);
	xrec_str(r, "PV_bootloader", vm->bootloader);
	xrec_str(r, "PV_kernel", vm->kernel);
	xrec_str(r, "PV_ramdisk", vm->ramdisk);
	xrec_str(r, "PV_args", vm->cmdline);
	xrec_str(r, "PV_bootloader_args", "");
	xrec_str(r, "PV_legacy_args", "");
	xrec_str(r, "domain_type", vm->type == MV_GUEST_HVM ? "hvm" :
		 vm->type == MV_GUEST_PVH ? "pvh" : "pv");
	xrec_str(r, "HVM_boot_policy", vm->type == MV_GUEST_HVM ? "BIOS order" : "");
	xrec_map(r, "HVM_boot_params");
	if (vm->type == MV_GUEST_HVM)
		xrec_map_set(r, "HVM_boot_params", "order",
			     vm->boot_order ? vm->boot_order : "cd");
	if (vm->firmware) {
		bool uefi = strcmp(vm->firmware, "ovmf") == 0 || strcmp(vm->firmware, "uefi") == 0;
		xrec_map_set(r, "HVM_boot_params", "firmware", uefi ? "uefi" : "bios");
		if (strcmp(vm->firmware, uefi ? "ovmf" : "seabios") != 0)
			no_equivalent(r, d, "bios", vm->firmware);
	}
	xrec_map(r, "platform");
	platform_flag(r, "acpi", vm->acpi, "1", "0");
	platform_flag(r, "apic", vm->apic, "true", "false");
	platform_flag(r, "pae", vm->pae, "true", "false");
	platform_flag(r, "hpet", vm->hpet, "true", "false");
	platform_flag(r, "viridian", vm->viridian, "true", "false");
	platform_flag(r, "nested-virt", vm->nestedhvm, "true", "false");
	if (vm->hap != MV_UNSET)
		no_equivalent(r, d, "hap", vm->hap == MV_ON ? "1" : "0");
	if (vm->timer_mode) {
		uint64_t n;
		size_t i;
		for (i = 0; i < ARRAY_SIZE(timer_modes); i++)
			if (strcmp(vm->timer_mode, timer_modes[i]) == 0)
				break;
		if (i == ARRAY_SIZE(timer_modes) && parse_u64(vm->timer_mode, 10, &n) == 0 && n < 4)
			i = (size_t)n;
		if (i < ARRAY_SIZE(timer_modes)) {
			snprintf(num, sizeof(num), "%zu", i);
			xrec_map_set(r, "platform", "timer_mode", num);
		} else {
			no_equivalent(r, d, "timer_mode", vm->timer_mode);
		}
	}
	xrec_str(r, "PCI_bus", "");
	xrec_str(r, "recommendations", "");
	xrec_list(r, "tags");
	xrec_list(r, "VBDs");
	xrec_list(r, "VIFs");

	bool boot_cd = vm->type == MV_GUEST_HVM && vm->boot_order && vm->boot_order[0] == 'd';
	bool have_boot = false;
	for (size_t i = 0; i < vm->ndisks; i++) {
		const struct mv_disk *dk = &vm->disks[i];
		size_t k = xapi_pkg_add_disk(p);
		struct xrec *b = &p->vbd[k], *v = &p->vdi[k];
		int ud = xapi_userdevice(dk->vdev);
		bool cd = dk->kind == MV_DISK_CDROM;
		bool boot = !have_boot && (cd ? boot_cd : !boot_cd);
		_cleanup_free_ char *base = dk->target ? xstrdup(dk->target) : NULL;

		have_boot |= boot;
		snprintf(num, sizeof(num), "%d", ud >= 0 ? ud : (int)i);
		xrec_str(b, "device", dk->vdev);
		xrec_str(b, "userdevice", num);
		xrec_bool(b, "bootable", boot || dk->bootable);
		xrec_str(b, "mode", dk->readonly ? "RO" : "RW");
		xrec_str(b, "type", cd ? "CD" : "Disk");
		xrec_bool(b, "empty", cd && (!dk->target || !*dk->target));
		xrec_bool(b, "unpluggable", false);
		xrec_map(b, "other_config");
		xrec_str(b, "qos_algorithm_type", "");
		xrec_map(b, "qos_algorithm_params");

		xrec_str(v, "uuid", dk->uuid);
		xrec_str(v, "name_label", dk->name ? dk->name : base ? basename(base) : dk->vdev);
		xrec_str(v, "name_description", dk->target);
		xrec_int(v, "virtual_size", (int64_t)dk->size);
		xrec_str(v, "type", "user");
		xrec_bool(v, "sharable", false);
		xrec_bool(v, "read_only", dk->readonly);
		xrec_map(v, "other_config");
		if (dk->target)
			xrec_map_set(v, "other_config", XAPI_OC_TARGET, dk->target);
		if (dk->format)
			xrec_map_set(v, "other_config", XAPI_OC_FORMAT, dk->format);
		if (dk->backend)
			xrec_map_set(v, "other_config", XAPI_OC_BACKEND, dk->backend);
		xrec_map(v, "sm_config");
		xrec_map(v, "xenstore_data");
		xrec_list(v, "tags");
	}
	for (size_t i = 0; i < vm->nnics; i++) {
		const struct mv_nic *n = &vm->nics[i];
		size_t k = xapi_pkg_add_nic(p);
		struct xrec *f = &p->vif[k], *w = &p->net[k];

		snprintf(num, sizeof(num), "%zu", i);
		xrec_str(f, "device", num);
		xrec_str(f, "MAC", n->mac);
		xrec_bool(f, "MAC_autogenerated", !n->mac);
		xrec_int(f, "MTU", n->mtu ? n->mtu : 1500);
		xrec_map(f, "other_config");
		xrec_str(f, "qos_algorithm_type", n->rate ? "ratelimit" : "");
		xrec_map(f, "qos_algorithm_params");
		if (n->rate) {
			snprintf(num, sizeof(num), "%" PRIu64, xapi_rate_bytes(n->rate) / 1000);
			xrec_map_set(f, "qos_algorithm_params", "kbps", num);
			xrec_map_set(f, "other_config", XAPI_OC_RATE, n->rate);
		}
		if (n->model) {
			hv_warnf(d, "vif %zu: model '%s' has no XAPI equivalent: kept in other_config as '%s'",
				 i, n->model, XAPI_OC_MODEL);
			xrec_map_set(f, "other_config", XAPI_OC_MODEL, n->model);
		}
		if (n->extra) {
			hv_warnf(d, "vif %zu: '%s' has no XAPI equivalent: kept in other_config as '%s'",
				 i, n->extra, XAPI_OC_VIFEXTRA);
			xrec_map_set(f, "other_config", XAPI_OC_VIFEXTRA, n->extra);
		}
		xrec_str(w, "name_label", n->bridge ? n->bridge : "xenbr0");
		xrec_str(w, "name_description", "bridge of the xl guest");
		xrec_str(w, "bridge", n->bridge ? n->bridge : "xenbr0");
		xrec_int(w, "MTU", n->mtu ? n->mtu : 1500);
		xrec_map(w, "other_config");
		if (!n->bridge)
			xrec_map_set(w, "other_config", "hvkit-default-bridge", "true");
	}
}

/* ---- XAPI -> xl ---- */

static char *dup_nonempty(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static enum mv_tristate tri(const char *v)
{
	if (!v)
		return MV_UNSET;
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ? MV_ON : MV_OFF;
}

static int get_num(const struct xrec *r, const char *name, uint64_t *ret,
		   const char *where, const char *what, struct hv_diags *d)
{
	const struct xfield *f = xrec_find(r, name);
	const char *v = xrec_get(r, name);

	*ret = 0;
	if (f && !v)	/* a struct or an array where a number belongs */
		return hv_errorf(d, "%s: %s %s is not a number", where, what, name);
	if (!v || !*v)
		return 0;
	if (parse_u64(v, 10, ret) < 0)
		return hv_errorf(d, "%s: %s %s is not a number: '%s'", where, what, name, v);
	return 0;
}

static const char *const platform_known[] = { "acpi", "apic", "pae", "hpet",
	"viridian", "nested-virt", "timer_mode" };

int xapi_to_vm(const struct xapi_pkg *p, struct mv_vm *vm, const char *where,
	       struct hv_diags *d)
{
	const struct xrec *r = &p->vm;
	uint64_t v;
	int rc;
	const char *s;

	vm->name = dup_nonempty(xrec_get(r, "name_label"));
	vm->uuid = dup_nonempty(xrec_get(r, "uuid"));
	s = xrec_get(r, "domain_type");
	if (s && *s)
		vm->type = strcmp(s, "hvm") == 0 ? MV_GUEST_HVM :
			   strcmp(s, "pvh") == 0 ? MV_GUEST_PVH : MV_GUEST_PV;
	else
		vm->type = (s = xrec_get(r, "HVM_boot_policy")) && *s ? MV_GUEST_HVM : MV_GUEST_PV;
	if ((rc = get_num(r, "memory_dynamic_max", &v, where, "VM", d)) < 0)
		return rc;
	vm->memory_mib = v / MiB;
	if ((rc = get_num(r, "memory_static_max", &v, where, "VM", d)) < 0)
		return rc;
	vm->maxmem_mib = v / MiB > vm->memory_mib ? v / MiB : 0;
	if (!vm->memory_mib)
		vm->memory_mib = v / MiB;
	if ((rc = get_num(r, "VCPUs_at_startup", &v, where, "VM", d)) < 0)
		return rc;
	vm->vcpus = (unsigned)v;
	if ((rc = get_num(r, "VCPUs_max", &v, where, "VM", d)) < 0)
		return rc;
	vm->maxvcpus = v > vm->vcpus ? (unsigned)v : 0;
	if ((s = xrec_map_get(r, "VCPUs_params", "weight")) && parse_u64(s, 10, &v) == 0)
		vm->weight = (unsigned)v;
	if ((s = xrec_map_get(r, "VCPUs_params", "cap")) && parse_u64(s, 10, &v) == 0)
		vm->cap = (unsigned)v;
	vm->kernel = dup_nonempty(xrec_get(r, "PV_kernel"));
	vm->ramdisk = dup_nonempty(xrec_get(r, "PV_ramdisk"));
	vm->cmdline = dup_nonempty(xrec_get(r, "PV_args"));
	vm->bootloader = dup_nonempty(xrec_get(r, "PV_bootloader"));
	if (vm->type == MV_GUEST_HVM)
		vm->boot_order = dup_nonempty(xrec_map_get(r, "HVM_boot_params", "order"));
	if ((s = xrec_map_get(r, "HVM_boot_params", "firmware")))
		vm->firmware = xstrdup(strcmp(s, "uefi") == 0 ? "ovmf" : "seabios");
	vm->acpi = tri(xrec_map_get(r, "platform", "acpi"));
	vm->apic = tri(xrec_map_get(r, "platform", "apic"));
	vm->pae = tri(xrec_map_get(r, "platform", "pae"));
	vm->hpet = tri(xrec_map_get(r, "platform", "hpet"));
	vm->viridian = tri(xrec_map_get(r, "platform", "viridian"));
	vm->nestedhvm = tri(xrec_map_get(r, "platform", "nested-virt"));
	if ((s = xrec_map_get(r, "platform", "timer_mode")) && parse_u64(s, 10, &v) == 0 && v < 4)
		vm->timer_mode = xstrdup(timer_modes[v]);
	const char *act[3][2] = { { "actions_after_shutdown", NULL },
		{ "actions_after_reboot", NULL }, { "actions_after_crash", NULL } };
	char **dst[3] = { &vm->on_poweroff, &vm->on_reboot, &vm->on_crash };
	for (int i = 0; i < 3; i++)
		if ((s = xrec_get(r, act[i][0])) && (act[i][1] = action_to_xl(s)))
			*dst[i] = xstrdup(act[i][1]);
	const struct xfield *oc = xrec_find(r, "other_config");
	for (size_t i = 0; oc && oc->type == XV_MAP && i < oc->nmap; i++)
		mv_vm_add_other(vm, oc->map[i].key, oc->map[i].value);
	const struct xfield *pf = xrec_find(r, "platform");
	for (size_t i = 0; pf && pf->type == XV_MAP && i < pf->nmap; i++) {
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(platform_known); k++)
			known |= strcmp(platform_known[k], pf->map[i].key) == 0;
		if (!known) {
			char *k = xasprintf("xapi-platform:%s", pf->map[i].key);
			mv_vm_add_other(vm, k, pf->map[i].value);
			free(k);
		}
	}

	if (p->ndisks > XAPI_MAX_VBDS || p->nnics > XAPI_MAX_VIFS)
		return hv_errorf(d, "%s: %zu disks and %zu NICs; at most %u and %u are accepted",
				 where, p->ndisks, p->nnics, XAPI_MAX_VBDS, XAPI_MAX_VIFS);
	for (size_t i = 0; i < p->ndisks; i++) {
		const struct xrec *b = &p->vbd[i], *di = &p->vdi[i];
		struct mv_disk *dk = mv_vm_add_disk(vm);
		const char *dev = xrec_get(b, "device");
		uint64_t ud = i;

		if ((rc = get_num(di, "virtual_size", &dk->size, where, "VDI", d)) < 0)
			return rc;
		if (dk->size > (1ull << 56))
			return hv_errorf(d, "%s: VDI virtual_size %" PRIu64 " is too large", where, dk->size);
		if ((rc = get_num(b, "userdevice", &ud, where, "VBD", d)) < 0)
			return rc;
		if (ud >= XAPI_MAX_VBDS)
			return hv_errorf(d, "%s: VBD userdevice %" PRIu64 " is past XAPI's %u", where, ud,
					 XAPI_MAX_VBDS - 1);
		dk->kind = (s = xrec_get(b, "type")) && strcasecmp(s, "CD") == 0 ? MV_DISK_CDROM : MV_DISK_DISK;
		if (dev && *dev)
			dk->vdev = xstrdup(dev);
		else if (ud < 26)
			dk->vdev = xasprintf("%s%c", vm->type == MV_GUEST_HVM ? "hd" : "xvd", (char)('a' + ud));
		else
			dk->vdev = xasprintf("xvd%c%c", (char)('a' + ud / 26 - 1), (char)('a' + ud % 26));
		for (size_t k = 0; k + 1 < vm->ndisks; k++)
			if (vm->disks[k].vdev && strcmp(vm->disks[k].vdev, dk->vdev) == 0)
				return hv_errorf(d, "%s: disks %zu and %zu both use device '%s'",
						 where, k, i, dk->vdev);
		dk->readonly = ((s = xrec_get(b, "mode")) && strcmp(s, "RO") == 0) ||
			       xrec_get_bool(di, "read_only");
		dk->bootable = xrec_get_bool(b, "bootable");
		dk->uuid = dup_nonempty(xrec_get(di, "uuid"));
		dk->name = dup_nonempty(xrec_get(di, "name_label"));
		dk->target = dup_nonempty(xrec_map_get(di, "other_config", XAPI_OC_TARGET));
		dk->format = dup_nonempty(xrec_map_get(di, "other_config", XAPI_OC_FORMAT));
		dk->backend = dup_nonempty(xrec_map_get(di, "other_config", XAPI_OC_BACKEND));
	}
	for (size_t i = 0; i < p->nnics; i++) {
		const struct xrec *f = &p->vif[i], *w = &p->net[i];
		struct mv_nic *n = mv_vm_add_nic(vm);

		if (!xrec_get_bool(f, "MAC_autogenerated"))
			n->mac = dup_nonempty(xrec_get(f, "MAC"));
		if (!xrec_map_get(w, "other_config", "hvkit-default-bridge"))
			n->bridge = dup_nonempty(xrec_get(w, "bridge"));
		if (!n->bridge && !xrec_map_get(w, "other_config", "hvkit-default-bridge"))
			n->bridge = dup_nonempty(xrec_get(w, "name_label"));
		if ((rc = get_num(f, "MTU", &v, where, "VIF", d)) < 0)
			return rc;
		n->mtu = v && v != 1500 ? (unsigned)v : 0;
		n->rate = dup_nonempty(xrec_map_get(f, "other_config", XAPI_OC_RATE));
		if (!n->rate && (s = xrec_map_get(f, "qos_algorithm_params", "kbps")) &&
		    parse_u64(s, 10, &v) == 0 && v)
			n->rate = xasprintf("%" PRIu64 "KB/s", v);
		n->model = dup_nonempty(xrec_map_get(f, "other_config", XAPI_OC_MODEL));
		n->extra = dup_nonempty(xrec_map_get(f, "other_config", XAPI_OC_VIFEXTRA));
	}
	return 0;
}
