/* SPDX-License-Identifier: MIT */
/* libvirt, loaded on first use (hvkit sched --backend libvirt); see
 * lazy.h.  The LAZY_IN lines are scripts/gen-lazy.py's output:
 *   scripts/gen-lazy.py lazy_libvirt /usr/include/libvirt/libvirt-host.h \
 *     /usr/include/libvirt/libvirt-domain.h /usr/include/libvirt/virterror.h \
 *     /usr/include/libvirt/libvirt-common.h -- virConnectOpen \
 *     virConnectClose virConnectGetAllDomainStats \
 *     virDomainStatsRecordListFree virDomainLookupByName virDomainFree \
 *     virDomainGetInfo virDomainGetSchedulerType \
 *     virDomainGetSchedulerParameters \
 *     virDomainSetSchedulerParameters virGetLastError \
 *     virSetErrorFunc virDomainGetName virTypedParamsGetULLong \
 *     virConnectGetType virDomainGetUUIDString virConnectIsAlive \
 *     virEventRegisterDefaultImpl virEventRunDefaultImpl \
 *     virConnectSetKeepAlive
 * (and /usr/include/libvirt/libvirt-event.h for the two virEvent*) */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lazy-libvirt.h"

LAZY_LIB(lazy_libvirt, "libvirt.so.0", "libvirt0");

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
