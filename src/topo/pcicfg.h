/* SPDX-License-Identifier: MIT */
/* PCI configuration space decoder: header, capability and extended capability lists. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * PCI Express Device/Port Type values (PCIe capability, flags bits 7:4),
 * the same as libpci's PCI_EXP_TYPE_* (renamed so both headers can be
 * included together).
 */
enum {
	PCICFG_EXP_TYPE_ENDPOINT = 0x0,
	PCICFG_EXP_TYPE_LEG_END = 0x1,
	PCICFG_EXP_TYPE_ROOT_PORT = 0x4,
	PCICFG_EXP_TYPE_UPSTREAM = 0x5,
	PCICFG_EXP_TYPE_DOWNSTREAM = 0x6,
	PCICFG_EXP_TYPE_PCI_BRIDGE = 0x7,
	PCICFG_EXP_TYPE_PCIE_BRIDGE = 0x8,
	PCICFG_EXP_TYPE_ROOT_INT_EP = 0x9,
	PCICFG_EXP_TYPE_ROOT_EC = 0xa,
};

/* A link speed and width; 0 means unknown or absent. */
struct pci_link {
	double speed_gts;		/* 2.5, 5, 8, 16, 32 or 64 */
	unsigned width;			/* lanes */
};

/*
 * What pcicfg_decode() found.  Fields whose registers lie beyond the
 * bytes given stay zero (false); caps_truncated then says so.
 */
struct pcicfg {
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_code;		/* base << 16 | sub << 8 | prog-if */
	uint8_t revision, header_type;	/* header_type & 0x7f */
	bool multifunction;
	bool is_bridge;			/* header type 1 (PCI-PCI) or 2 (CardBus) */
	uint8_t primary_bus, secondary_bus, subordinate_bus;

	bool has_pcie;
	unsigned pcie_version;		/* capability version, flags bits 3:0 */
	unsigned pcie_port_type;	/* PCICFG_EXP_TYPE_* */
	const char *port_type_name;	/* static, as lspci words it; NULL without PCIe */
	struct pci_link link_cap;	/* LnkCap max speed and width */
	struct pci_link link_sta;	/* LnkSta current speed, negotiated width */
	uint8_t link_speeds;		/* LnkCap2 supported link speeds vector, 0 when absent */
	bool flit_cap;			/* PCIe flags: Flit Mode Supported */
	/* LnkSta DLActive where LnkCap says the port reports it: 0 not
	 * reported, 1 a device is up behind the port, 2 none is */
	unsigned char link_dll;
	bool link_flit;			/* LnkSta2: Flit Mode Status (as lspci's FlitMode+) */
	unsigned max_payload_cap, max_payload, max_read_req;	/* bytes */

	bool has_aer, has_acs, has_sriov, has_ari, has_ats, has_pasid,
	     has_pri, has_dpc, has_ptm, has_l1ss;
	uint16_t sriov_initial_vfs, sriov_total_vfs, sriov_num_vfs;
	uint16_t sriov_vf_offset, sriov_vf_stride, sriov_vf_device;

	bool has_msi, has_msix, has_pm, has_pcix;
	unsigned ncaps, necaps;		/* capabilities walked */
	bool caps_truncated;		/* a capability lay beyond the bytes given */
};

/*
 * Decodes the configuration space bytes cfg[0, len) into *ret.  len may be
 * anything from 64 (lspci -x) to 4096 (lspci -xxxx); registers beyond len
 * are left zero.  The capability list is walked with pointers masked to a
 * dword, at least 0x40 and at most 48 entries; the extended list (only
 * for PCI Express and PCI-X devices, when len > 0x100) with pointers at
 * least 0x100 and at most 512 entries.  A loop or a bad pointer ends that
 * walk with a warning naming the offset.  Messages name config offsets;
 * the caller prefixes the device address.
 *
 * Returns 0, or -EINVAL (with an error in d) when len < 64.  *ret is only
 * written on success.
 */
int pcicfg_decode(const uint8_t *cfg, size_t len, struct pcicfg *ret,
		  struct hv_diags *d);

/* Link speed code (LnkCap/LnkSta field, 1..6) to GT/s; 0 when unknown. */
double pci_speed_gts(unsigned code);
