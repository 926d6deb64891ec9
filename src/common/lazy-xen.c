/* SPDX-License-Identifier: MIT */
/* libxenlight, libxlutil and libxentoollog, loaded on first use; see
 * lazy.h.  Only dom0 (topo, sched) and xl.cfg reading (move) need them.
 * Lines below: scripts/gen-lazy.py lazy_xenlight /usr/include/libxl.h \
 *   /usr/include/libxl_utils.h /usr/include/_libxl_types.h -- ...;
 * scripts/gen-lazy.py xlutil /usr/include/libxlutil.h -- ...;
 * scripts/gen-lazy.py xtl /usr/include/xentoollog.h -- ... (as below) */
#include <libxl.h>
#include <libxl_utils.h>
#include <libxlutil.h>
#include <xentoollog.h>

#include "lazy-xen.h"

LAZY_IN(lazy_xenlight, int, libxl_ctx_alloc, (libxl_ctx ** a0, int a1, unsigned a2, xentoollog_logger * a3), (a0, a1, a2, a3))
LAZY_IN(lazy_xenlight, int, libxl_ctx_free, (libxl_ctx * a0), (a0))
LAZY_IN(lazy_xenlight, void, libxl_device_disk_dispose, (libxl_device_disk * a0), (a0))
LAZY_IN(lazy_xenlight, void, libxl_device_disk_init, (libxl_device_disk * a0), (a0))
LAZY_IN(lazy_xenlight, void, libxl_domain_sched_params_dispose, (libxl_domain_sched_params * a0), (a0))
LAZY_IN(lazy_xenlight, int, libxl_domain_sched_params_get, (libxl_ctx * a0, uint32_t a1, libxl_domain_sched_params * a2), (a0, a1, a2))
LAZY_IN(lazy_xenlight, void, libxl_domain_sched_params_init, (libxl_domain_sched_params * a0), (a0))
LAZY_IN(lazy_xenlight, int, libxl_domain_sched_params_set, (libxl_ctx * a0, uint32_t a1, const libxl_domain_sched_params * a2), (a0, a1, a2))
LAZY_IN(lazy_xenlight, void, libxl_dominfo_list_free, (libxl_dominfo * a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_dominfo *, libxl_list_domain, (libxl_ctx* a0, int * a1), (a0, a1))
LAZY_IN(lazy_xenlight, int, libxl_name_to_domid, (libxl_ctx * a0, const char * a1, uint32_t * a2), (a0, a1, a2))
LAZY_IN(lazy_xenlight, void, libxl_bitmap_dispose, (libxl_bitmap * a0), (a0))
LAZY_IN(lazy_xenlight, void, libxl_bitmap_init, (libxl_bitmap * a0), (a0))
LAZY_IN(lazy_xenlight, void, libxl_cputopology_list_free, (libxl_cputopology * a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_device_pci *, libxl_device_pci_list, (libxl_ctx * a0, uint32_t a1, int * a2), (a0, a1, a2))
LAZY_IN(lazy_xenlight, void, libxl_device_pci_list_free, (libxl_device_pci* a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, int, libxl_domain_get_nodeaffinity, (libxl_ctx * a0, uint32_t a1, libxl_bitmap * a2), (a0, a1, a2))
LAZY_IN(lazy_xenlight, char *, libxl_domid_to_name, (libxl_ctx * a0, uint32_t a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_cputopology *, libxl_get_cpu_topology, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_numainfo *, libxl_get_numainfo, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_pcitopology *, libxl_get_pci_topology, (libxl_ctx * a0, int * a1), (a0, a1))
LAZY_IN(lazy_xenlight, libxl_vcpuinfo *, libxl_list_vcpu, (libxl_ctx * a0, uint32_t a1, int * a2, int * a3), (a0, a1, a2, a3))
LAZY_IN(lazy_xenlight, void, libxl_numainfo_list_free, (libxl_numainfo * a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, void, libxl_pcitopology_list_free, (libxl_pcitopology * a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, void, libxl_vcpuinfo_list_free, (libxl_vcpuinfo * a0, int a1), (a0, a1))
LAZY_IN(lazy_xenlight, int, libxl_node_bitmap_alloc, (libxl_ctx * a0, libxl_bitmap * a1, int a2), (a0, a1, a2))
LAZY_SYMS(lazy_xenlight) = {
	LAZY_SYM(lazy_xenlight, libxl_ctx_alloc),
	LAZY_SYM(lazy_xenlight, libxl_ctx_free),
	LAZY_SYM(lazy_xenlight, libxl_device_disk_dispose),
	LAZY_SYM(lazy_xenlight, libxl_device_disk_init),
	LAZY_SYM(lazy_xenlight, libxl_domain_sched_params_dispose),
	LAZY_SYM(lazy_xenlight, libxl_domain_sched_params_get),
	LAZY_SYM(lazy_xenlight, libxl_domain_sched_params_init),
	LAZY_SYM(lazy_xenlight, libxl_domain_sched_params_set),
	LAZY_SYM(lazy_xenlight, libxl_dominfo_list_free),
	LAZY_SYM(lazy_xenlight, libxl_list_domain),
	LAZY_SYM(lazy_xenlight, libxl_name_to_domid),
	LAZY_SYM(lazy_xenlight, libxl_bitmap_dispose),
	LAZY_SYM(lazy_xenlight, libxl_bitmap_init),
	LAZY_SYM(lazy_xenlight, libxl_cputopology_list_free),
	LAZY_SYM(lazy_xenlight, libxl_device_pci_list),
	LAZY_SYM(lazy_xenlight, libxl_device_pci_list_free),
	LAZY_SYM(lazy_xenlight, libxl_domain_get_nodeaffinity),
	LAZY_SYM(lazy_xenlight, libxl_domid_to_name),
	LAZY_SYM(lazy_xenlight, libxl_get_cpu_topology),
	LAZY_SYM(lazy_xenlight, libxl_get_numainfo),
	LAZY_SYM(lazy_xenlight, libxl_get_pci_topology),
	LAZY_SYM(lazy_xenlight, libxl_list_vcpu),
	LAZY_SYM(lazy_xenlight, libxl_numainfo_list_free),
	LAZY_SYM(lazy_xenlight, libxl_pcitopology_list_free),
	LAZY_SYM(lazy_xenlight, libxl_vcpuinfo_list_free),
	LAZY_SYM(lazy_xenlight, libxl_node_bitmap_alloc),
};

LAZY_LIB(lazy_xenlight, "libxenlight.so.4.17", "libxenmisc4.17");
LAZY_LOAD(lazy_xenlight, xenlight)

LAZY_IN(xlutil, void, xlu_cfg_destroy, (XLU_Config* a0), (a0))
LAZY_IN(xlutil, int, xlu_cfg_get_list, (const XLU_Config* a0, const char * a1, XLU_ConfigList ** a2, int * a3, int a4), (a0, a1, a2, a3, a4))
LAZY_IN(xlutil, const char *, xlu_cfg_get_listitem, (const XLU_ConfigList* a0, int a1), (a0, a1))
LAZY_IN(xlutil, XLU_ConfigValue *, xlu_cfg_get_listitem2, (const XLU_ConfigList * a0, int a1), (a0, a1))
LAZY_IN(xlutil, enum XLU_ConfigValueType, xlu_cfg_value_type, (const XLU_ConfigValue * a0), (a0))
LAZY_IN(xlutil, int, xlu_cfg_value_get_string, (const XLU_Config * a0, XLU_ConfigValue * a1, char ** a2, int a3), (a0, a1, a2, a3))
LAZY_IN(xlutil, int, xlu_cfg_value_get_list, (const XLU_Config * a0, XLU_ConfigValue * a1, XLU_ConfigList ** a2, int a3), (a0, a1, a2, a3))
LAZY_IN(xlutil, int, xlu_cfg_get_long, (const XLU_Config* a0, const char * a1, long * a2, int a3), (a0, a1, a2, a3))
LAZY_IN(xlutil, int, xlu_cfg_get_string, (const XLU_Config* a0, const char * a1, const char ** a2, int a3), (a0, a1, a2, a3))
LAZY_IN(xlutil, XLU_Config *, xlu_cfg_init, (FILE * a0, const char * a1), (a0, a1))
LAZY_IN(xlutil, int, xlu_cfg_readfile, (XLU_Config* a0, const char * a1), (a0, a1))
LAZY_IN(xlutil, int, xlu_cfg_readdata, (XLU_Config* a0, const char * a1, int a2), (a0, a1, a2))
LAZY_IN(xlutil, int, xlu_disk_parse, (XLU_Config * a0, int a1, const char *const * a2, libxl_device_disk * a3), (a0, a1, a2, a3))
LAZY_SYMS(xlutil) = {
	LAZY_SYM(xlutil, xlu_cfg_destroy),
	LAZY_SYM(xlutil, xlu_cfg_get_list),
	LAZY_SYM(xlutil, xlu_cfg_get_listitem),
	LAZY_SYM(xlutil, xlu_cfg_get_listitem2),
	LAZY_SYM(xlutil, xlu_cfg_value_type),
	LAZY_SYM(xlutil, xlu_cfg_value_get_string),
	LAZY_SYM(xlutil, xlu_cfg_value_get_list),
	LAZY_SYM(xlutil, xlu_cfg_get_long),
	LAZY_SYM(xlutil, xlu_cfg_get_string),
	LAZY_SYM(xlutil, xlu_cfg_init),
	LAZY_SYM(xlutil, xlu_cfg_readfile),
	LAZY_SYM(xlutil, xlu_cfg_readdata),
	LAZY_SYM(xlutil, xlu_disk_parse),
};

static LAZY_LIB(xlutil, "libxlutil.so.4.17", "libxenmisc4.17");
LAZY_LOAD(xlutil, xlutil)

LAZY_IN(xtl, xentoollog_logger_stdiostream *, xtl_createlogger_stdiostream, (FILE * a0, xentoollog_level a1, unsigned a2), (a0, a1, a2))
LAZY_IN(xtl, void, xtl_logger_destroy, (struct xentoollog_logger * a0), (a0))
LAZY_SYMS(xtl) = {
	LAZY_SYM(xtl, xtl_createlogger_stdiostream),
	LAZY_SYM(xtl, xtl_logger_destroy),
};

static LAZY_LIB(xtl, "libxentoollog.so.1", "libxentoollog1");
LAZY_LOAD(xtl, xtl)
