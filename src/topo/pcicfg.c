/* SPDX-License-Identifier: MIT */
/* PCI configuration space decoder: header, capability and extended capability lists. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bytes.h"
#include "pcicfg.h"

/* Header registers (PCI Local Bus 3.0, 6.1). */
#define CFG_VENDOR		0x00
#define CFG_DEVICE		0x02
#define CFG_STATUS		0x06
#define  CFG_STATUS_CAP_LIST	0x10
#define CFG_REVISION		0x08
#define CFG_CLASS		0x09	/* 3 bytes: prog-if, sub, base */
#define CFG_HEADER_TYPE		0x0e
#define CFG_SUBVENDOR		0x2c	/* header type 0 */
#define CFG_SUBDEVICE		0x2e
#define CFG_CAP_PTR		0x34	/* header types 0 and 1 */
#define CFG_CB_CAP_PTR		0x14	/* header type 2 */
#define CFG_PRIMARY_BUS		0x18	/* header types 1 and 2 */
#define CFG_SECONDARY_BUS	0x19
#define CFG_SUBORDINATE_BUS	0x1a
#define CFG_CB_SUBVENDOR	0x40	/* header type 2 */
#define CFG_CB_SUBDEVICE	0x42

/* Capability IDs. */
#define CAP_PM			0x01
#define CAP_MSI			0x05
#define CAP_PCIX		0x07
#define CAP_SSVID		0x0d
#define CAP_EXP			0x10
#define CAP_MSIX		0x11

/* PCI Express capability registers, relative to the capability. */
#define EXP_FLAGS		0x02
#define  EXP_FLAGS_FLIT		0x8000
#define EXP_DEVCAP		0x04
#define EXP_DEVCTL		0x08
#define EXP_LNKCAP		0x0c
#define EXP_LNKSTA		0x12
#define EXP_LNKCAP2		0x2c
#define EXP_LNKSTA2		0x32
#define  EXP_LNKSTA2_FLIT	0x0400

/* SR-IOV extended capability registers, relative to the capability. */
#define SRIOV_INITIAL_VF	0x0c
#define SRIOV_TOTAL_VF		0x0e
#define SRIOV_NUM_VF		0x10
#define SRIOV_VF_OFFSET		0x14
#define SRIOV_VF_STRIDE		0x16
#define SRIOV_VF_DID		0x1a

#define EXT_CAP_SRIOV		0x10

#define STD_CAPS_MAX		48	/* (0x100 - 0x40) / 4 */
#define EXT_CAPS_MAX		512
#define CFG_SPACE_MAX		4096

/* Extended capabilities we only record the presence of. */
static const struct {
	uint16_t id;
	size_t flag;		/* offsetof a bool in struct pcicfg */
} pcicfg__ext_flags[] = {
	{ 0x01, offsetof(struct pcicfg, has_aer) },
	{ 0x0d, offsetof(struct pcicfg, has_acs) },
	{ 0x0e, offsetof(struct pcicfg, has_ari) },
	{ 0x0f, offsetof(struct pcicfg, has_ats) },
	{ EXT_CAP_SRIOV, offsetof(struct pcicfg, has_sriov) },
	{ 0x13, offsetof(struct pcicfg, has_pri) },
	{ 0x1b, offsetof(struct pcicfg, has_pasid) },
	{ 0x1d, offsetof(struct pcicfg, has_dpc) },
	{ 0x1e, offsetof(struct pcicfg, has_l1ss) },
	{ 0x1f, offsetof(struct pcicfg, has_ptm) },
};

/* Port type names as lspci prints them after "Express (vN)". */
static const char *const pcicfg__port_names[16] = {
	[PCICFG_EXP_TYPE_ENDPOINT] = "Endpoint",
	[PCICFG_EXP_TYPE_LEG_END] = "Legacy Endpoint",
	[PCICFG_EXP_TYPE_ROOT_PORT] = "Root Port",
	[PCICFG_EXP_TYPE_UPSTREAM] = "Upstream Port",
	[PCICFG_EXP_TYPE_DOWNSTREAM] = "Downstream Port",
	[PCICFG_EXP_TYPE_PCI_BRIDGE] = "PCI-Express to PCI/PCI-X Bridge",
	[PCICFG_EXP_TYPE_PCIE_BRIDGE] = "PCI/PCI-X to PCI-Express Bridge",
	[PCICFG_EXP_TYPE_ROOT_INT_EP] = "Root Complex Integrated Endpoint",
	[PCICFG_EXP_TYPE_ROOT_EC] = "Root Complex Event Collector",
};

double pci_speed_gts(unsigned code)
{
	static const double gts[] = { 0, 2.5, 5, 8, 16, 32, 64, 128 };

	return code < sizeof(gts) / sizeof(gts[0]) ? gts[code] : 0;
}

static unsigned pcicfg__payload(unsigned code)
{
	return 128u << (code & 7);
}

/* The PCI Express capability at p (its ID already read). */
static void pcicfg__express(struct hv_bytes b, size_t p, struct pcicfg *c)
{
	uint16_t flags, w;
	uint32_t l;
	bool link, dll_cap = false;

	c->has_pcie = true;
	if (!hv_get_u16(b, p + EXP_FLAGS, &flags)) {
		c->caps_truncated = true;
		return;
	}
	c->pcie_version = flags & 0xf;
	c->pcie_port_type = (flags >> 4) & 0xf;
	c->port_type_name = pcicfg__port_names[c->pcie_port_type];
	if (!c->port_type_name)
		c->port_type_name = "Unknown";
	c->flit_cap = flags & EXP_FLAGS_FLIT;
	/* Integrated endpoints and event collectors have no link. */
	link = c->pcie_port_type != PCICFG_EXP_TYPE_ROOT_INT_EP &&
	       c->pcie_port_type != PCICFG_EXP_TYPE_ROOT_EC;

	if (hv_get_u32(b, p + EXP_DEVCAP, &l))
		c->max_payload_cap = pcicfg__payload(l);
	if (hv_get_u16(b, p + EXP_DEVCTL, &w)) {
		c->max_payload = pcicfg__payload(w >> 5);
		c->max_read_req = pcicfg__payload(w >> 12);
	}
	if (link && hv_get_u32(b, p + EXP_LNKCAP, &l)) {
		c->link_cap.speed_gts = pci_speed_gts(l & 0xf);
		c->link_cap.width = (l >> 4) & 0x3f;
		dll_cap = l & (1u << 20);	/* DLActive reporting */
	}
	if (link && hv_get_u16(b, p + EXP_LNKSTA, &w)) {
		c->link_sta.speed_gts = pci_speed_gts(w & 0xf);
		c->link_sta.width = (w >> 4) & 0x3f;
		if (dll_cap)
			c->link_dll = w & (1u << 13) ? 1 : 2;
	}
	if (c->pcie_version < 2 || !link)
		return;
	/*
	 * The LnkCap speed code is an index into this vector (PCIe 7.5.3.6);
	 * lspci prints the code, so the vector is only recorded.
	 */
	if (hv_get_u32(b, p + EXP_LNKCAP2, &l))
		c->link_speeds = (l >> 1) & 0x7f;
	if (hv_get_u16(b, p + EXP_LNKSTA2, &w))
		c->link_flit = w & EXP_LNKSTA2_FLIT;
	if (!hv_bytes_has(b, p, 0x3c))
		c->caps_truncated = true;
}

/* Walks the capability list that starts at the pointer in register ptr_reg. */
static void pcicfg__caps(struct hv_bytes b, size_t ptr_reg, struct pcicfg *c,
			 struct hv_diags *d)
{
	uint64_t seen = 0;	/* one bit per dword from 0x40 */
	size_t from = ptr_reg;
	uint8_t ptr, id, next;

	if (!hv_get_u8(b, ptr_reg, &ptr))
		return;
	for (ptr &= ~3u; ptr; ptr = next & ~3u) {
		if (ptr < 0x40) {
			hv_warnf(d, "capability pointer 0x%02x at 0x%02zx is below 0x40, ignoring the rest of the list",
				 ptr, from);
			return;
		}
		if (!hv_bytes_has(b, ptr, 2)) {
			c->caps_truncated = true;
			return;
		}
		if (seen & 1ull << ((ptr - 0x40) / 4)) {
			hv_warnf(d, "capability list loops back to 0x%02x at 0x%02zx, ignoring the rest of the list",
				 ptr, from);
			return;
		}
		/* Bounded by the bitmap already: 48 dwords. */
		seen |= 1ull << ((ptr - 0x40) / 4);
		c->ncaps++;
		id = b.p[ptr];
		next = b.p[ptr + 1];
		from = ptr + 1;
		switch (id) {
		case CAP_PM:
			c->has_pm = true;
			break;
		case CAP_MSI:
			c->has_msi = true;
			break;
		case CAP_MSIX:
			c->has_msix = true;
			break;
		case CAP_PCIX:
			c->has_pcix = true;
			break;
		case CAP_SSVID:
			/* Bridges carry their subsystem IDs here. */
			if (c->header_type == 1) {
				(void)hv_get_u16(b, ptr + 4, &c->subvendor);
				(void)hv_get_u16(b, ptr + 6, &c->subdevice);
			}
			break;
		case CAP_EXP:
			if (!c->has_pcie)
				pcicfg__express(b, ptr, c);
			break;
		}
	}
}

static void pcicfg__sriov(struct hv_bytes b, size_t p, struct pcicfg *c)
{
	(void)hv_get_u16(b, p + SRIOV_INITIAL_VF, &c->sriov_initial_vfs);
	(void)hv_get_u16(b, p + SRIOV_TOTAL_VF, &c->sriov_total_vfs);
	(void)hv_get_u16(b, p + SRIOV_NUM_VF, &c->sriov_num_vfs);
	(void)hv_get_u16(b, p + SRIOV_VF_OFFSET, &c->sriov_vf_offset);
	(void)hv_get_u16(b, p + SRIOV_VF_STRIDE, &c->sriov_vf_stride);
	(void)hv_get_u16(b, p + SRIOV_VF_DID, &c->sriov_vf_device);
}

/* Walks the extended capability list from 0x100. */
static void pcicfg__ext_caps(struct hv_bytes b, struct pcicfg *c,
			     struct hv_diags *d)
{
	uint64_t seen[CFG_SPACE_MAX / 4 / 64] = { 0 };
	size_t where = 0x100, from = 0x100;
	uint32_t header;
	uint16_t id;

	for (;;) {
		if (!hv_get_u32(b, where, &header)) {
			c->caps_truncated = true;
			return;
		}
		/* An empty or absent list, or a chain ended with a null header. */
		if (header == 0 || header == 0xffffffff)
			return;
		if (seen[where / 4 / 64] & 1ull << (where / 4 % 64)) {
			hv_warnf(d, "extended capability list loops back to 0x%03zx at 0x%03zx, ignoring the rest of the list",
				 where, from);
			return;
		}
		if (c->necaps >= EXT_CAPS_MAX) {
			hv_warnf(d, "more than %d extended capabilities, ignoring the list from 0x%03zx",
				 EXT_CAPS_MAX, where);
			return;
		}
		seen[where / 4 / 64] |= 1ull << (where / 4 % 64);
		c->necaps++;
		id = header & 0xffff;
		for (size_t i = 0; i < sizeof(pcicfg__ext_flags) / sizeof(pcicfg__ext_flags[0]); i++)
			if (pcicfg__ext_flags[i].id == id)
				*(bool *)((char *)c + pcicfg__ext_flags[i].flag) = true;
		if (id == EXT_CAP_SRIOV)
			pcicfg__sriov(b, where, c);
		from = where + 2;
		where = (header >> 20) & ~3u;
		if (!where)
			return;
		if (where < 0x100) {
			hv_warnf(d, "extended capability pointer 0x%03zx at 0x%03zx is below 0x100, ignoring the rest of the list",
				 where, from);
			return;
		}
	}
}

int pcicfg_decode(const uint8_t *cfg, size_t len, struct pcicfg *ret,
		  struct hv_diags *d)
{
	struct pcicfg c = { 0 };
	struct hv_bytes b;
	uint16_t status;
	uint8_t ht;

	if (!cfg || len < 64)
		return hv_errorf(d, "config space too short: %zu bytes, need at least 64",
				 cfg ? len : 0);
	if (len > CFG_SPACE_MAX)
		len = CFG_SPACE_MAX;
	b = hv_bytes_make(cfg, len);

	(void)hv_get_u16(b, CFG_VENDOR, &c.vendor);
	(void)hv_get_u16(b, CFG_DEVICE, &c.device);
	(void)hv_get_u16(b, CFG_STATUS, &status);
	c.revision = cfg[CFG_REVISION];
	c.class_code = (uint32_t)cfg[CFG_CLASS + 2] << 16 |
		       (uint32_t)cfg[CFG_CLASS + 1] << 8 | cfg[CFG_CLASS];
	ht = cfg[CFG_HEADER_TYPE];
	c.header_type = ht & 0x7f;
	c.multifunction = ht & 0x80;

	switch (c.header_type) {
	case 0:
		(void)hv_get_u16(b, CFG_SUBVENDOR, &c.subvendor);
		(void)hv_get_u16(b, CFG_SUBDEVICE, &c.subdevice);
		break;
	case 1:
	case 2:
		c.is_bridge = true;
		c.primary_bus = cfg[CFG_PRIMARY_BUS];
		c.secondary_bus = cfg[CFG_SECONDARY_BUS];
		c.subordinate_bus = cfg[CFG_SUBORDINATE_BUS];
		if (c.header_type == 2) {
			if (!hv_get_u16(b, CFG_CB_SUBVENDOR, &c.subvendor) ||
			    !hv_get_u16(b, CFG_CB_SUBDEVICE, &c.subdevice))
				c.subvendor = c.subdevice = 0;
		}
		break;
	default:
		hv_warnf(d, "unknown header type 0x%02x at 0x%02x, ignoring capabilities",
			 c.header_type, CFG_HEADER_TYPE);
		goto out;
	}

	if (status & CFG_STATUS_CAP_LIST)
		pcicfg__caps(b, c.header_type == 2 ? CFG_CB_CAP_PTR : CFG_CAP_PTR,
			     &c, d);
	/* As lspci: only PCI Express and PCI-X 2.0 devices have these. */
	if ((c.has_pcie || c.has_pcix) && len > 0x100)
		pcicfg__ext_caps(b, &c, d);
out:
	*ret = c;
	return 0;
}
