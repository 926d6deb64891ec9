/* SPDX-License-Identifier: MIT */
/* The VM model: lifecycle and one table per struct for JSON. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

/* One row per field: the JSON key, where it is, and how to print it. */
enum field_kind { F_STR, F_U64, F_UINT, F_BOOL, F_TRI, F_GUEST, F_DISKKIND };
struct field {
	const char *key;
	size_t off;
	enum field_kind kind;
};

#define VM(k, f, t) { k, offsetof(struct mv_vm, f), t }
static const struct field vm_fields[] = {
	VM("name", name, F_STR),
	VM("uuid", uuid, F_STR),
	VM("type", type, F_GUEST),
	VM("memory_mib", memory_mib, F_U64),
	VM("maxmem_mib", maxmem_mib, F_U64),
	VM("vcpus", vcpus, F_UINT),
	VM("maxvcpus", maxvcpus, F_UINT),
	VM("weight", weight, F_UINT),
	VM("cap", cap, F_UINT),
	VM("kernel", kernel, F_STR),
	VM("ramdisk", ramdisk, F_STR),
	VM("cmdline", cmdline, F_STR),
	VM("bootloader", bootloader, F_STR),
	VM("boot_order", boot_order, F_STR),
	VM("firmware", firmware, F_STR),
	VM("acpi", acpi, F_TRI),
	VM("apic", apic, F_TRI),
	VM("pae", pae, F_TRI),
	VM("hpet", hpet, F_TRI),
	VM("viridian", viridian, F_TRI),
	VM("nestedhvm", nestedhvm, F_TRI),
	VM("hap", hap, F_TRI),
	VM("timer_mode", timer_mode, F_STR),
	VM("on_poweroff", on_poweroff, F_STR),
	VM("on_reboot", on_reboot, F_STR),
	VM("on_crash", on_crash, F_STR),
};

#define DISK(k, f, t) { k, offsetof(struct mv_disk, f), t }
static const struct field disk_fields[] = {
	DISK("target", target, F_STR),
	DISK("vdev", vdev, F_STR),
	DISK("format", format, F_STR),
	DISK("kind", kind, F_DISKKIND),
	DISK("readonly", readonly, F_BOOL),
	DISK("size", size, F_U64),
	DISK("uuid", uuid, F_STR),
	DISK("name", name, F_STR),
	DISK("ref", ref, F_STR),
	DISK("backend", backend, F_STR),
	DISK("bootable", bootable, F_BOOL),
};

#define NIC(k, f, t) { k, offsetof(struct mv_nic, f), t }
static const struct field nic_fields[] = {
	NIC("mac", mac, F_STR),
	NIC("bridge", bridge, F_STR),
	NIC("model", model, F_STR),
	NIC("rate", rate, F_STR),
	NIC("mtu", mtu, F_UINT),
	NIC("extra", extra, F_STR),
};

static const char *const guest_names[] = {
	[MV_GUEST_UNKNOWN] = "unknown", [MV_GUEST_PV] = "pv",
	[MV_GUEST_PVH] = "pvh", [MV_GUEST_HVM] = "hvm",
};

const char *mv_guest_type_name(enum mv_guest_type t)
{
	return t <= MV_GUEST_HVM ? guest_names[t] : "unknown";
}

static void emit_fields(struct json *j, const void *obj,
			const struct field *f, size_t n)
{
	const char *base = obj;

	for (size_t i = 0; i < n; i++) {
		const void *p = base + f[i].off;

		switch (f[i].kind) {
		case F_STR:
			json_kv_str(j, f[i].key, *(char *const *)p);
			break;
		case F_U64:
			if (*(const uint64_t *)p)
				json_kv_u64(j, f[i].key, *(const uint64_t *)p);
			break;
		case F_UINT:
			if (*(const unsigned *)p)
				json_kv_u64(j, f[i].key, *(const unsigned *)p);
			break;
		case F_BOOL:
			json_kv_bool(j, f[i].key, *(const bool *)p);
			break;
		case F_TRI:
			if (*(const enum mv_tristate *)p != MV_UNSET)
				json_kv_bool(j, f[i].key, *(const enum mv_tristate *)p == MV_ON);
			break;
		case F_GUEST:
			json_kv_str(j, f[i].key, mv_guest_type_name(*(const enum mv_guest_type *)p));
			break;
		case F_DISKKIND:
			json_kv_str(j, f[i].key, *(const enum mv_disk_kind *)p == MV_DISK_CDROM ? "cdrom" : "disk");
			break;
		}
	}
}

void mv_vm_json(const struct mv_vm *vm, struct json *j)
{
	json_obj_open(j);
	emit_fields(j, vm, vm_fields, ARRAY_SIZE(vm_fields));
	json_key(j, "disks");
	json_arr_open(j);
	for (size_t i = 0; i < vm->ndisks; i++) {
		json_obj_open(j);
		emit_fields(j, &vm->disks[i], disk_fields, ARRAY_SIZE(disk_fields));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "nics");
	json_arr_open(j);
	for (size_t i = 0; i < vm->nnics; i++) {
		json_obj_open(j);
		emit_fields(j, &vm->nics[i], nic_fields, ARRAY_SIZE(nic_fields));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "other_config");
	json_obj_open(j);
	for (size_t i = 0; i < vm->nother; i++)
		json_kv_str(j, vm->other[i].key, vm->other[i].value);
	json_obj_close(j);
	json_obj_close(j);
}

void mv_vm_init(struct mv_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
}

/* Frees every F_STR field listed in a table. */
static void free_strings(void *obj, const struct field *f, size_t n)
{
	char *base = obj;

	for (size_t i = 0; i < n; i++)
		if (f[i].kind == F_STR)
			free(*(char **)(base + f[i].off));
}

void mv_vm_release(struct mv_vm *vm)
{
	for (size_t i = 0; i < vm->ndisks; i++)
		free_strings(&vm->disks[i], disk_fields, ARRAY_SIZE(disk_fields));
	for (size_t i = 0; i < vm->nnics; i++)
		free_strings(&vm->nics[i], nic_fields, ARRAY_SIZE(nic_fields));
	for (size_t i = 0; i < vm->nother; i++) {
		free(vm->other[i].key);
		free(vm->other[i].value);
	}
	free(vm->disks);
	free(vm->nics);
	free(vm->other);
	free_strings(vm, vm_fields, ARRAY_SIZE(vm_fields));
	mv_vm_init(vm);
}

struct mv_disk *mv_vm_add_disk(struct mv_vm *vm)
{
	vm->disks = xrealloc(vm->disks, (vm->ndisks + 1) * sizeof(*vm->disks));
	memset(&vm->disks[vm->ndisks], 0, sizeof(*vm->disks));
	return &vm->disks[vm->ndisks++];
}

struct mv_nic *mv_vm_add_nic(struct mv_vm *vm)
{
	vm->nics = xrealloc(vm->nics, (vm->nnics + 1) * sizeof(*vm->nics));
	memset(&vm->nics[vm->nnics], 0, sizeof(*vm->nics));
	return &vm->nics[vm->nnics++];
}

void mv_vm_add_other(struct mv_vm *vm, const char *key, const char *value)
{
	vm->other = xrealloc(vm->other, (vm->nother + 1) * sizeof(*vm->other));
	vm->other[vm->nother].key = xstrdup(key);
	vm->other[vm->nother].value = xstrdup(value ? value : "");
	vm->nother++;
}

void mv_uuid_bytes(uint8_t u[16])
{
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(u, 1, 16, f) != 16) {
		for (size_t i = 0; i < 16; i++)
			u[i] = (uint8_t)(rand() >> 7);
	}
	if (f)
		fclose(f);
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}

void mv_uuid_new(char buf[37])
{
	uint8_t u[16];

	mv_uuid_bytes(u);
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
