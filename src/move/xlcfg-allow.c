/* SPDX-License-Identifier: MIT */
/* The xl.cfg settings hvkit writes from a package or a pool: an
 * allow-list of the ones that only describe the guest (see xlcfg.h). */
#include <ctype.h>
#include <string.h>

#include "util.h"
#include "xlcfg.h"

/*
 * Each entry can neither run a program in dom0 nor name a host file,
 * device, address or port: sizes, counts, the guest's own firmware and
 * platform, its CPU and NUMA shape, its console.  `values`, when set,
 * lists the only values accepted (a path or a program is never one).
 */
struct allowed {
	const char *key;
	const char *const *values;
};

static const char *const bios_values[] = { "rombios", "seabios", "ovmf", NULL };
static const char *const vga_values[] = { "none", "stdvga", "cirrus", "qxl", NULL };
static const char *const usbdevice_values[] = { "tablet", "mouse", "keyboard", NULL };
static const char *const type_values[] = { "pv", "pvh", "hvm", NULL };
static const char *const none_values[] = { "none", NULL };
static const char *const zero_values[] = { "0", NULL };
static const char *const loopback_values[] = { "127.0.0.1", "localhost", "::1", NULL };
static const char *const builder_values[] = { "generic", "hvm", NULL };
/* pygrub by name (libxl finds it) or where Xen and distributions install it. */
static const char *const bootloader_values[] = { "pygrub", "/usr/bin/pygrub",
	"/usr/lib/xen/bin/pygrub", "/usr/libexec/xen/bin/pygrub",
	"/usr/local/lib/xen/bin/pygrub", "/usr/lib/xen-4.17/bin/pygrub", NULL };
static const char *const action_values[] = { "destroy", "restart", "rename-restart",
	"preserve", "coredump-destroy", "coredump-restart", "soft-reset", NULL };
static const char *const timer_values[] = { "delay_for_missed_ticks",
	"no_delay_for_missed_ticks", "no_missed_ticks_pending", "one_missed_tick_pending",
	"0", "1", "2", "3", NULL };
static const char *const tsc_values[] = { "default", "always_emulate", "native",
	"native_paravirt", "0", "1", "2", "3", NULL };

static const struct allowed allowed[] = {
	{ "name", NULL }, { "uuid", NULL }, { "type", type_values },
	{ "builder", builder_values }, { "memory", NULL }, { "maxmem", NULL },
	{ "vcpus", NULL }, { "maxvcpus", NULL }, { "cpu_weight", NULL },
	{ "weight", NULL }, { "cap", NULL }, { "cmdline", NULL }, { "extra", NULL },
	{ "root", NULL }, { "bootloader", bootloader_values },
	{ "on_poweroff", action_values }, { "on_reboot", action_values },
	{ "on_watchdog", action_values }, { "on_crash", action_values },
	{ "on_soft_reset", action_values }, { "boot", NULL }, { "bios", bios_values },
	{ "acpi", NULL }, { "acpi_s3", NULL }, { "acpi_s4", NULL },
	{ "acpi_laptop_slate", NULL }, { "apic", NULL }, { "pae", NULL },
	{ "hap", NULL }, { "hpet", NULL }, { "viridian", NULL }, { "nestedhvm", NULL },
	{ "timer_mode", timer_values }, { "tsc_mode", tsc_values }, { "localtime", NULL },
	{ "rtc_timeoffset", NULL }, { "vpt_align", NULL }, { "videoram", NULL },
	{ "stdvga", NULL }, { "vga", vga_values }, { "xen_platform_pci", NULL },
	{ "cpuid", NULL }, { "vnuma", NULL }, { "shadow_memory", NULL },
	{ "max_grant_frames", NULL }, { "max_maptrack_frames", NULL },
	{ "max_grant_version", NULL }, { "max_event_channels", NULL },
	{ "nomigrate", NULL }, { "msr_relaxed", NULL }, { "mca_caps", NULL },
	{ "usb", NULL }, { "usbdevice", usbdevice_values },
	{ "vnc", NULL }, { "vncunused", NULL }, { "vncpasswd", NULL },
	/* Settings that reach the host, in their values that do not. */
	{ "serial", none_values }, { "parallel", none_values }, { "sdl", zero_values },
	{ "vnclisten", loopback_values },
};

/* Why a key outside the list is dangerous, by its shape, for the message;
 * the list decides, these only explain. */
struct why {
	const char *pattern;	/* a key, "PREFIX*" or "*PART*" */
	const char *reason;
};

static const struct why whys[] = {
	{ "bootloader", "runs a program in dom0" },
	{ "device_model*", "runs a program in dom0" },
	{ "*script*", "runs a program in dom0" },
	{ "stubdomain*", "runs a program in dom0" },
	{ "driver_domain", "makes the guest a backend for host devices" },
	{ "kernel", "names a host file" },
	{ "ramdisk", "names a host file" },
	{ "*firmware*", "names a host file" },
	{ "device_tree", "names a host file" },
	{ "bootloader_args", "names host files (pygrub --output=FILE)" },
	{ "pci*", "gives the guest a host device" },
	{ "dtdev", "gives the guest a host device" },
	{ "iomem", "gives the guest a host device" },
	{ "ioports", "gives the guest a host device" },
	{ "irqs", "gives the guest a host device" },
	{ "usbdev", "gives the guest a host device" },
	{ "usbctrl", "gives the guest a host device" },
	{ "e820_host", "gives the guest a host device" },
	{ "gfx_passthru", "gives the guest a host device" },
	{ "rdm*", "gives the guest a host device" },
	{ "passthrough", "gives the guest a host device" },
	{ "disk", "a disk hvkit builds itself from the package's disks" },
	{ "vif", "a NIC hvkit builds itself from the package's NICs" },
	{ "serial", "names a host file or device" },
	{ "parallel", "names a host file or device" },
	{ "channel", "names a host file or socket" },
	{ "p9", "shares a host directory" },
	{ "vtpm", "names a backend domain" },
	{ "vnclisten", "opens a port on a host address" },
	{ "vncdisplay", "opens a chosen host port" },
	{ "spice*", "opens a port on a host address" },
	{ "sdl", "opens a window on the host's display" },
	{ "soundhw", "gives the guest the host's sound device" },
	{ "cpus*", "places the guest on host CPUs" },
	{ "cpupool", "places the guest in a host CPU pool" },
	{ "*seclabel", "sets the guest's XSM security label" },
	{ "keymap", "names a file QEMU reads in dom0" },
	{ "vpmu", "gives the guest the host's performance counters (not security supported)" },
	{ "altp2m*", "lets another domain alter the guest's memory views" },
};

static bool matches(const char *pattern, const char *key)
{
	size_t pl = strlen(pattern);

	if (pattern[0] == '*' && pattern[pl - 1] == '*') {
		_cleanup_free_ char *mid = xstrndup(pattern + 1, pl - 2);
		return strstr(key, mid) != NULL;
	}
	if (pattern[0] == '*')
		return str_endswith(key, pattern + 1);
	if (pattern[pl - 1] == '*')
		return strncmp(key, pattern, pl - 1) == 0;
	return strcmp(key, pattern) == 0;
}

static const char generic[] = "not on the list of settings that only describe the guest";

static const char *why(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(whys); i++)
		if (matches(whys[i].pattern, key))
			return whys[i].reason;
	return generic;
}

const char *xlcfg_refusal(const char *key, const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		if (strcmp(allowed[i].key, key) != 0)
			continue;
		if (!allowed[i].values || !value)
			return NULL;
		for (const char *const *v = allowed[i].values; *v; v++)
			if (strcmp(*v, value) == 0)
				return NULL;
		const char *r = why(key);
		return r != generic ? r : "a value outside the known ones";
	}
	return why(key);
}

bool xlcfg_never(const char *key)
{
	return strcmp(key, "disk") == 0 || strcmp(key, "vif") == 0 ||
	       str_startswith(key, "disk.");
}

bool xlcfg_admin_allows(const struct xlcfg_allow *a, const char *key)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (strcmp(a->keys[i], key) == 0)
			return !xlcfg_never(key);
	return false;
}

/* NIC models QEMU and libxl know by name; a device name alone cannot
 * reach the host (options need a ',', which never passes). */
static const char *const nic_models[] = { "e1000", "e1000e", "rtl8139", "virtio-net",
	"virtio-net-pci", "ne2k_pci", "ne2k_isa", "pcnet", "i82551", "i82557b",
	"i82559er", "vmxnet3", NULL };

const char *xlcfg_vif_refusal(const char *key, const char *value)
{
	if (strcmp(key, "model") == 0) {
		for (const char *const *m = nic_models; *m; m++)
			if (value && strcmp(*m, value) == 0)
				return NULL;
		return "a NIC model outside the known ones";
	}
	if (strcmp(key, "type") == 0)
		return value && (strcmp(value, "ioemu") == 0 || strcmp(value, "vif") == 0) ? NULL :
		       "a value outside the known ones";
	/* The two scripts that only attach the vif to its bridge, by name
	 * (libxl runs them from its scripts directory; vif-bridge is its
	 * default); any other, or a path, is a program of the package's choice. */
	if (strcmp(key, "script") == 0)
		return value && (strcmp(value, "vif-bridge") == 0 ||
				 strcmp(value, "vif-openvswitch") == 0) ? NULL :
		       "runs a program in dom0";
	if (strcmp(key, "backend") == 0)
		return "names a backend domain";
	if (strcmp(key, "vifname") == 0 || strcmp(key, "gatewaydev") == 0)
		return "names a host network interface";
	if (strcmp(key, "ip") == 0)
		return "sets host routes and filters";
	return "not on the list of settings that only describe the guest";
}
