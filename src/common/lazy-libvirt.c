/* SPDX-License-Identifier: MIT */
/* libvirt, loaded on first use (hvkit sched --backend libvirt); see
 * lazy.h.  Lines below: scripts/gen-lazy.py lazy_libvirt \
 *   /usr/include/libvirt/libvirt-host.h /usr/include/libvirt/libvirt-domain.h \
 *   /usr/include/libvirt/virterror.h /usr/include/libvirt/libvirt-common.h \
 *   /usr/include/libvirt/libvirt-event.h -- virConnectOpen ... (as below) */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lazy-libvirt.h"

LAZY_IN(lazy_libvirt, virConnectPtr, virConnectOpen, (const char * a0), (a0))
LAZY_IN(lazy_libvirt, int, virConnectClose, (virConnectPtr a0), (a0))
LAZY_IN(lazy_libvirt, int, virConnectGetAllDomainStats, (virConnectPtr a0, unsigned int a1, virDomainStatsRecordPtr ** a2, unsigned int a3), (a0, a1, a2, a3))
LAZY_IN(lazy_libvirt, void, virDomainStatsRecordListFree, (virDomainStatsRecordPtr * a0), (a0))
LAZY_IN(lazy_libvirt, virDomainPtr, virDomainLookupByName, (virConnectPtr a0, const char * a1), (a0, a1))
LAZY_IN(lazy_libvirt, int, virDomainFree, (virDomainPtr a0), (a0))
LAZY_IN(lazy_libvirt, int, virDomainGetInfo, (virDomainPtr a0, virDomainInfoPtr a1), (a0, a1))
LAZY_IN(lazy_libvirt, char *, virDomainGetSchedulerType, (virDomainPtr a0, int * a1), (a0, a1))
LAZY_IN(lazy_libvirt, virErrorPtr, virGetLastError, (void), ())
LAZY_IN(lazy_libvirt, void, virSetErrorFunc, (void * a0, virErrorFunc a1), (a0, a1))
LAZY_IN(lazy_libvirt, const char *, virDomainGetName, (virDomainPtr a0), (a0))
LAZY_IN(lazy_libvirt, int, virTypedParamsGetULLong, (virTypedParameterPtr a0, int a1, const char * a2, unsigned long long * a3), (a0, a1, a2, a3))
LAZY_IN(lazy_libvirt, const char *, virConnectGetType, (virConnectPtr a0), (a0))
LAZY_IN(lazy_libvirt, int, virDomainGetUUIDString, (virDomainPtr a0, char * a1), (a0, a1))
LAZY_IN(lazy_libvirt, int, virDomainGetSchedulerParameters, (virDomainPtr a0, virTypedParameterPtr a1, int * a2), (a0, a1, a2))
LAZY_IN(lazy_libvirt, int, virDomainSetSchedulerParameters, (virDomainPtr a0, virTypedParameterPtr a1, int a2), (a0, a1, a2))
LAZY_IN(lazy_libvirt, int, virConnectIsAlive, (virConnectPtr a0), (a0))
LAZY_IN(lazy_libvirt, int, virEventRegisterDefaultImpl, (void), ())
LAZY_IN(lazy_libvirt, int, virEventRunDefaultImpl, (void), ())
LAZY_IN(lazy_libvirt, int, virConnectSetKeepAlive, (virConnectPtr a0, int a1, unsigned int a2), (a0, a1, a2))
LAZY_SYMS(lazy_libvirt) = {
	LAZY_SYM(lazy_libvirt, virConnectOpen),
	LAZY_SYM(lazy_libvirt, virConnectClose),
	LAZY_SYM(lazy_libvirt, virConnectGetAllDomainStats),
	LAZY_SYM(lazy_libvirt, virDomainStatsRecordListFree),
	LAZY_SYM(lazy_libvirt, virDomainLookupByName),
	LAZY_SYM(lazy_libvirt, virDomainFree),
	LAZY_SYM(lazy_libvirt, virDomainGetInfo),
	LAZY_SYM(lazy_libvirt, virDomainGetSchedulerType),
	LAZY_SYM(lazy_libvirt, virGetLastError),
	LAZY_SYM(lazy_libvirt, virSetErrorFunc),
	LAZY_SYM(lazy_libvirt, virDomainGetName),
	LAZY_SYM(lazy_libvirt, virTypedParamsGetULLong),
	LAZY_SYM(lazy_libvirt, virConnectGetType),
	LAZY_SYM(lazy_libvirt, virDomainGetUUIDString),
	LAZY_SYM(lazy_libvirt, virDomainGetSchedulerParameters),
	LAZY_SYM(lazy_libvirt, virDomainSetSchedulerParameters),
	LAZY_SYM(lazy_libvirt, virConnectIsAlive),
	LAZY_SYM(lazy_libvirt, virEventRegisterDefaultImpl),
	LAZY_SYM(lazy_libvirt, virEventRunDefaultImpl),
	LAZY_SYM(lazy_libvirt, virConnectSetKeepAlive),
};

LAZY_LIB(lazy_libvirt, "libvirt.so.0", "libvirt0");
