#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""This machine (and the dumps of tests/data/cpuid/hosts with the flags of
the same machine): every /proc/cpuinfo flag that Linux takes from a CPUID bit
in our table is in `hvkit cpuid features --names linux`, and the other way
round, except for bits Linux clears on purpose (listed with the reason;
Linux sources named).  Also: the live dump reads back to the same CPU."""
import json
import os
import platform
import tempfile

from cpuidlib import table
from lib import check, done, hvkit, skip

if platform.machine() not in ("x86_64", "i686", "i386"):
    skip("not an x86 machine")
if not os.path.exists("/proc/cpuinfo"):
    skip("no /proc/cpuinfo")

# Bits Linux clears from /proc/cpuinfo although CPUID sets them.
LINUX_CLEARS = {
    "virt_ssbd": "cleared when amd_ssbd is present (init_speculation_control(), arch/x86/kernel/cpu/common.c)",
    "x2apic": "cleared when the kernel runs the APIC in xAPIC mode (nox2apic, firmware opt-out; apic.c)",
    "la57": "cleared without 5-level paging (no5lvl, CONFIG_X86_5LEVEL=n)",
    "pku": "cleared when the kernel does not enable protection keys (nopku; pku.c)",
    "ospke": "mirrors CR4.PKE: clear until the kernel enables protection keys",
    "osxsave": "mirrors CR4.OSXSAVE (not shown by Linux at all)",
    "smap": "nosmap", "smep": "nosmep", "pcid": "nopcid", "umip": "clearcpuid=umip",
    "rdrand": "cleared on AMD families 15h/16h with broken RDRAND after suspend (amd.c clear_rdrand_cpuid_bit)",
    "hle": "cleared when TSX is off (tsx=off, tsx_async_abort; tsx.c)",
    "rtm": "cleared when TSX is off (tsx=off, tsx_async_abort; tsx.c)",
    "tsc_deadline_timer": "cleared on CPUs with the TSC deadline erratum (apic.c apic_check_deadline_errata)",
    "sme": "cleared unless memory encryption is enabled (amd.c early_detect_mem_encrypt)",
    "sev": "cleared unless memory encryption is enabled (amd.c early_detect_mem_encrypt)",
    "sev_es": "cleared unless memory encryption is enabled (amd.c early_detect_mem_encrypt)",
    "vmx": "cleared when IA32_FEAT_CTL locks VMX off (feat_ctl.c)",
    "sgx": "cleared when IA32_FEAT_CTL does not enable SGX (feat_ctl.c)",
    "tme": "cleared when the BIOS has not enabled TME (intel.c detect_tme)",
    "ibt": "cleared without CONFIG_X86_KERNEL_IBT or with ibt=off",
    "user_shstk": "cleared without CONFIG_X86_USER_SHADOW_STACK",
    "split_lock_detect": "set from an MSR probe, not CPUID",
}
# Any XSAVE-managed feature is cleared when its state is not enabled in
# XCR0 (noxsave, or a hypervisor hiding the state: fpu/xstate.c).
XSTATE = ("avx", "avx2", "fma", "f16c", "avx512", "amx", "xsave", "vaes", "vpclmulqdq",
          "gfni", "mpx", "pku", "cet")

linux_names = {r["linux"] for r in table() if r["linux"]}


def compare(tag, flags, ours):
    theirs = flags & linux_names
    for f in sorted(ours - theirs):
        why = LINUX_CLEARS.get(f) or next((f"XSAVE state not enabled ({p}*)" for p in XSTATE if f.startswith(p)), None)
        if check(why is not None, f"{tag}: we report '{f}', /proc/cpuinfo does not, and no reason is known"):
            print(f"{tag}: ours only: {f}: {why}")
    for f in sorted(theirs - ours):
        check(False, f"{tag}: /proc/cpuinfo has '{f}', we do not")
    print(f"{tag}: {len(theirs & ours)} flags agree; not CPUID bits of our table (synthetic or derived): "
          + " ".join(sorted(flags - linux_names)))


# Dumps of other machines with their /proc/cpuinfo flags of the same boot
# (tests/data/cpuid/hosts/README.md says where each comes from).
hosts = os.path.join(os.environ.get("TEST_DATA", "tests/data"), "cpuid", "hosts")
for name in sorted(os.listdir(hosts)) if os.path.isdir(hosts) else []:
    if name.endswith(".dump"):
        line = open(os.path.join(hosts, name[:-5] + ".cpuinfo-flags")).read()
        dump = os.path.join(hosts, name)
        ours = set(json.loads(hvkit("cpuid", "features", "--names", "linux", "--json", "--from", dump).stdout)["features"])
        compare(name, set(line.split(":", 1)[1].split()), ours)

flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
if not flags:
    skip("no flags line in /proc/cpuinfo")
compare("this machine", flags, set(json.loads(hvkit("cpuid", "features", "--names", "linux", "--json").stdout)["features"]))

# The live dump round-trips too.
with tempfile.TemporaryDirectory() as d:
    dump = os.path.join(d, "host.dump")
    hvkit("cpuid", "dump", "-o", dump)
    check(hvkit("cpuid", "dump", "--from", dump).stdout == open(dump).read(), "host dump round-trips")
    live = json.loads(hvkit("cpuid", "--json").stdout)
    back = json.loads(hvkit("cpuid", "--json", "--from", dump).stdout)
    check(live | {"origin": 0} == back | {"origin": 0}, "host dump decodes as the host does")
done()
