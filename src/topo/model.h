/* SPDX-License-Identifier: MIT */
/* The topology model: one tree of typed objects plus machine-wide tables. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "util.h"

/*
 * Object types, in the order they nest on a machine.  The JSON "type" key
 * of each is topo_type_name(); these spellings are a stable interface.
 */
enum topo_type {
	TOPO_MACHINE,
	TOPO_PACKAGE,
	TOPO_DIE,
	TOPO_CLUSTER,
	TOPO_GROUP,		/* made for a NUMA node's locality ("reason") */
	TOPO_NUMA,
	TOPO_MEMCACHE,
	TOPO_CACHE,
	TOPO_CORE,
	TOPO_PU,
	TOPO_MEMORY_MODULE,
	TOPO_PCI_BRIDGE,
	TOPO_PCI_DEVICE,
	TOPO_OS_DEVICE,
	TOPO_NTYPES
};

enum cache_type { CACHE_UNIFIED, CACHE_DATA, CACHE_INSTRUCTION };

struct topo_link {
	double speed_gts;	/* 0 when unknown */
	unsigned width;		/* lanes; 0 when unknown */
};

#define TOPO_IOMMU_BAD (-2)

struct topo_obj {
	enum topo_type type;
	int64_t os_index;		/* -1 when the object has none */
	struct cpuset cpus;		/* PUs below; empty for I/O and memory */
	struct topo_obj *parent;
	struct topo_obj **kids;
	size_t nkids, akids;

	/* machine */
	char *vendor, *product, *version, *board_vendor, *board, *bios_vendor,
		*bios_version, *bios_date, *chassis_type, *hostname;
	/* package: model name; pu: online; core: kind (hybrid cores) */
	char *cpu_model;
	/* package: /proc/cpuinfo "vendor_id", "cpu family", "model" and
	 * "stepping" (x86); cpu_family 0 = unknown */
	char cpu_vendor[16];
	unsigned cpu_family, cpu_model_num, cpu_stepping;
	bool online;
	char *core_kind;
	/* group: why it exists ("numa") */
	const char *reason;
	/* numa_node: memory kind where sysfs says it ("NVM", "CXL", "SPM"),
	 * else NULL */
	const char *mem_kind;
	/* numa_node; memory_unknown: its meminfo did not parse */
	uint64_t memory_bytes;
	bool memory_unknown;
	uint64_t hugepages_bytes;
	/* cache and memcache */
	unsigned level;
	enum cache_type cache_type;
	uint64_t size_bytes;		/* also memory_module: 0 = empty slot */
	unsigned line_size, ways;	/* ways 0 = unknown; UINT_MAX = full */
	/* memory_module */
	char *locator, *bank, *mem_type, *form_factor, *manufacturer,
		*part_number, *serial, *placement;
	unsigned speed_mts, configured_speed_mts, rank, total_width,
		data_width;
	bool ecc;
	/* pci_bridge, pci_device */
	char *address;			/* dddd:bb:dd.f, or dddd:bb for a host;
					 * numa_node: the GPU whose memory it is */
	bool host_bridge;
	uint16_t vendor_id, device_id, subvendor_id, subdevice_id;
	uint32_t class_id;
	uint8_t revision;
	char *vendor_name, *device_name, *class_name, *driver, *port_type;
	uint8_t secondary_bus, subordinate_bus;
	bool has_link;
	struct topo_link link_cap, link_sta;
	bool link_flit;
	/* LnkSta DLActive of a port that reports it: 0 unknown, 1 a device
	 * is up behind it, 2 nothing is */
	unsigned char link_dll;
	unsigned max_payload, max_read_req;
	bool has_aer, has_acs, has_sriov;
	unsigned sriov_total_vfs, sriov_num_vfs;
	bool is_vf;
	int numa_node;			/* -1 when unknown */
	/* pci_bridge, pci_device: the kernel's IOMMU group (the number its
	 * sysfs iommu_group link names, that group's devices/ lists); -1
	 * when it has none or the input did not record it, TOPO_IOMMU_BAD
	 * when it has one that cannot be told (iommu_bad says why) */
	int iommu_group;
	/* TOPO_IOMMU_BAD: a group it has is unknown, for this reason */
	const char *iommu_bad;
	/* os_device */
	char *name, *kind;		/* kind: net, block, nvme, gpu, ... */
	/* shown by lstopo only with --whole-io: DMA channels, USB storage */
	bool osdev_minor;
};

/* A SRAT proximity domain as the firmware describes it. */
struct topo_acpi_domain {
	uint32_t domain;
	uint32_t *apic_ids;
	size_t napic, aapic;
	uint64_t *mem_base, *mem_len;	/* parallel arrays */
	size_t nmem, amem;
};

struct topo_acpi_mcfg {
	uint64_t base;
	unsigned segment, bus_start, bus_end;
};

struct topo_vuln {
	char *name, *status;
	bool mitigated;			/* "Not affected" or "Mitigation: " */
};

/* What Xen says of one domain: where its vCPUs run, where its memory is,
 * which PCI devices it holds. */
struct topo_xen_vcpu {
	unsigned vcpu;
	int cpu;			/* physical CPU, -1 when not running anywhere */
	bool online, running;
	char *hard, *soft;		/* affinity as CPU lists ("0-3") */
};

struct topo_xen_domain {
	unsigned domid;
	char *name;
	uint64_t memory_bytes, max_memory_bytes;
	char *node_affinity;		/* node list, NULL when unknown */
	char **pci;			/* assigned devices, dddd:bb:dd.f */
	size_t npci, apci;
	struct topo_xen_vcpu *vcpus;
	size_t nvcpus, avcpus;
};

struct topo_xen_pci_node {
	char address[16];
	int node;
};

struct topo {
	struct topo_obj *root;		/* the machine */
	/* NUMA distance matrix (SLIT or sysfs), rows in node order */
	size_t ndist;
	unsigned *dist_nodes;		/* os_index of row i */
	unsigned *dist;			/* ndist x ndist */
	char *dist_source;		/* "sysfs" or "acpi-slit" */
	/* ACPI facts */
	struct topo_acpi_domain *acpi_domains;
	size_t nacpi_domains, aacpi_domains;
	struct topo_acpi_mcfg *mcfg;
	size_t nmcfg;
	unsigned madt_cpus, madt_enabled;
	bool have_madt;
	/* HMAT: latency (ns) and bandwidth (MB/s) between proximity domains */
	struct topo_hmat {
		uint32_t initiator, target;
		const char *attr;	/* "access_latency_ns", "read_bandwidth_mbs", ... */
		uint64_t value;
	} *hmat;
	size_t nhmat;
	/* Xen: present when the topology came from the hypervisor (dom0) */
	bool xen;
	unsigned xen_dom0_vcpus;	/* what sysfs would have shown instead */
	struct topo_xen_domain *xen_domains;
	size_t nxen_domains, axen_domains;
	struct topo_xen_pci_node *xen_pci;
	size_t nxen_pci, axen_pci;
	/* The lie that made the NUMA nodes one ("buggy NUMA"), or NULL */
	char *numa_bug;
	/* NUMA nodes left out because sysfs says nothing of them ("NUMA
	 * node 3 has no CPUs and no memory; ..."), or NULL */
	char *numa_dropped;
	/* CPU security state */
	struct topo_vuln *vulns;
	size_t nvulns;
	char *microcode;
	/* What was read, for the user: "sysfs", "smbios", "acpi", "pci" */
	char **sources;
	size_t nsources, asources;
};

const char *topo_type_name(enum topo_type t);
const char *topo_cache_type_name(enum cache_type t);

struct topo *topo_new(void);
struct topo *topo_free(struct topo *t);
struct topo_obj *topo_obj_new(enum topo_type type, int64_t os_index);
/* Appends child under parent (which takes ownership). */
void topo_obj_add(struct topo_obj *parent, struct topo_obj *child);
/* Detaches obj from its parent (obj keeps its children). */
void topo_obj_detach(struct topo_obj *obj);
void topo_obj_free(struct topo_obj *obj);
void topo_add_source(struct topo *t, const char *source);
bool topo_has_source(const struct topo *t, const char *source);

/*
 * Depth-first walk; fn returns non-zero to stop.  Objects may not be
 * added or removed during the walk.
 */
int topo_walk(struct topo_obj *obj, int (*fn)(struct topo_obj *o, void *ctx),
	      void *ctx);
/* Number of objects of a type in the subtree (cache: any level). */
size_t topo_count(struct topo_obj *obj, enum topo_type type);
size_t topo_count_cache(struct topo_obj *obj, unsigned level,
			enum cache_type ct);
/* Sum of the NUMA nodes' memory in the subtree. */
uint64_t topo_total_memory(const struct topo_obj *obj);
/* First object of type with os_index in the subtree, or NULL. */
struct topo_obj *topo_find(struct topo_obj *obj, enum topo_type type,
			   int64_t os_index);

/*
 * Places CPU-side objects (package, die, cluster, cache, core, PU, each
 * with a cpuset) into a tree under root by cpuset inclusion; equal sets
 * nest in enum order, with caches by decreasing level and instruction
 * caches below data caches.  An object whose cpuset crosses a larger
 * one's (neither holds the other) cannot nest: it is freed, a warning
 * naming both objects and their CPUs goes to d (when not NULL), and the
 * count of those is returned.  Takes ownership of objs[].
 */
size_t topo_build_cpu_tree(struct topo_obj *root, struct topo_obj **objs,
			   size_t n, struct hv_diags *d);
/* The smallest CPU-side object whose cpuset contains set (root if none). */
struct topo_obj *topo_cpu_container(struct topo_obj *root,
				    const struct cpuset *set);
/*
 * Where a NUMA node whose locality is set hangs: the highest CPU-side
 * object whose cpuset is exactly set; when none is, a new group (reason
 * "numa") with that cpuset, holding the objects it covers.  The machine
 * for an empty set or one no object contains.  A cluster that set cuts
 * is taken out (its children stay), as hwloc does, with a warning to d
 * (when not NULL).  Returns NULL (and makes nothing) when set cuts
 * through another object, so that no group can hold what it covers; the
 * caller then picks the smallest container.  PUs in ign (offline ones,
 * which the kernel leaves out of node cpumaps; may be NULL) are ignored
 * in every comparison.
 */
struct topo_obj *topo_node_parent(struct topo_obj *root,
				  const struct cpuset *set,
				  const struct cpuset *ign,
				  struct hv_diags *d);
/*
 * Where something local to the CPUs of set hangs, offline PUs aside (the
 * kernel leaves them out of node cpumaps and local_cpus): as
 * topo_node_parent(), a group made for it named reason ("numa", "io"),
 * else the smallest container.
 */
struct topo_obj *topo_locality_parent(struct topo_obj *root,
				      const struct cpuset *set,
				      const char *reason);
/* The PUs below root that are offline, into ret. */
void topo_offline_cpus(struct topo_obj *root, struct cpuset *ret);
/* The CPUs o is local to: those of its nearest ancestor with any (the
 * machine's when none has). */
const struct cpuset *topo_locality(const struct topo_obj *o);
/* Sorts every child list: CPU side by first PU, then memory, then I/O. */
void topo_sort(struct topo_obj *obj);
