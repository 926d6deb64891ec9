/* SPDX-License-Identifier: MIT */
/* The VM model every `hvkit move` reader fills and every writer reads:
 * xl.cfg, XVA ova.xml and (next) OVF meet here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum mv_guest_type { MV_GUEST_UNKNOWN, MV_GUEST_PV, MV_GUEST_PVH, MV_GUEST_HVM };
enum mv_disk_kind { MV_DISK_DISK, MV_DISK_CDROM };
enum mv_tristate { MV_UNSET = 0, MV_OFF, MV_ON };	/* for platform flags */

/* One key=value the target has no field for (XAPI other_config). */
struct mv_kv {
	char *key, *value;	/* owned */
};

struct mv_disk {
	char *target;		/* file or device path; owned, may be NULL */
	char *vdev;		/* guest name: xvda, hda, ... */
	char *format;		/* raw, qcow2, vhd; NULL: unknown */
	enum mv_disk_kind kind;
	bool readonly;
	uint64_t size;		/* virtual bytes; 0: unknown */
	char *uuid;		/* the VDI's, when known */
	char *name;		/* the VDI's name_label */
	char *ref;		/* XVA object id ("Ref:12"), when read from one */
	char *backend;		/* xl backendtype: phy, qdisk, tap; NULL: default */
	bool bootable;		/* XAPI VBD.bootable */
	bool local;		/* target is a file hvkit wrote (import, pull) */
};

struct mv_nic {
	char *mac;		/* "00:16:3e:..", NULL: let the toolstack pick */
	char *bridge;		/* xl bridge or XAPI network name */
	char *model;		/* e1000, rtl8139, NULL: default */
	char *rate;		/* xl rate ("10Mb/s"), NULL: unlimited */
	unsigned mtu;		/* 0: default */
	char *extra;		/* the other xl vif keys ("script=vif-bridge") */
};

struct mv_vm {
	char *name;
	char *uuid;		/* canonical 36-character form, or NULL */
	enum mv_guest_type type;
	uint64_t memory_mib;	/* at boot (xl memory, XAPI dynamic_max) */
	uint64_t maxmem_mib;	/* xl maxmem, XAPI static_max; 0: = memory */
	unsigned vcpus;		/* at startup */
	unsigned maxvcpus;	/* 0: = vcpus */
	unsigned weight, cap;	/* scheduler; 0: default */
	/* Boot: PV kernel or bootloader, HVM firmware and order. */
	char *kernel, *ramdisk, *cmdline, *bootloader;
	char *boot_order;	/* HVM: "cd", "dc", ... */
	char *firmware;		/* bios, uefi, seabios, ovmf */
	/* Platform flags. */
	enum mv_tristate acpi, apic, pae, hpet, viridian, nestedhvm, hap;
	char *timer_mode;
	char *on_poweroff, *on_reboot, *on_crash;
	struct mv_disk *disks;
	size_t ndisks;
	struct mv_nic *nics;
	size_t nnics;
	struct mv_kv *other;	/* what the target cannot express */
	size_t nother;
};

void mv_vm_init(struct mv_vm *vm);
/* Frees everything the model owns; vm is left initialised. */
void mv_vm_release(struct mv_vm *vm);
/* Appends a zeroed disk / nic and returns it (owned by vm). */
struct mv_disk *mv_vm_add_disk(struct mv_vm *vm);
struct mv_nic *mv_vm_add_nic(struct mv_vm *vm);
void mv_vm_add_other(struct mv_vm *vm, const char *key, const char *value);

const char *mv_guest_type_name(enum mv_guest_type t);

/* The model as JSON: keys are the field names (documented in
 * hvkit-move(1)), unset strings and flags are left out. */
void mv_vm_json(const struct mv_vm *vm, struct json *j);

/* A random version 4 UUID into buf (37 bytes). */
void mv_uuid_new(char buf[37]);
/* The same as 16 bytes. */
void mv_uuid_bytes(uint8_t u[16]);
