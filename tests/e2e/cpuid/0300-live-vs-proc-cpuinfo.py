#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""This machine (and the dumps of tests/data/cpuid/hosts with the flags of
the same machine): every /proc/cpuinfo flag that Linux takes from a CPUID bit
in our table is in `hvkit cpuid features --names linux`, and the other way
round, except for bits Linux clears on purpose (listed with the reason;
Linux sources named).  Also: the live dump reads back to the same CPU.

This machine may run under a nested paravirtual hypervisor that answers the
CPUID instruction in user space with other values than the kernel gets.
Nothing here assumes it does not: the test reads both views itself (the
kernel's through /dev/cpu/0/cpuid, user space's through the `cpuid` tool),
checks that hvkit reports the disagreement it finds (or none), and compares
/proc/cpuinfo with the kernel's view.  The detection is also proven on
made-up views under --sysroot, on any machine."""
import json
import os
import platform
import re
import struct
import subprocess
import tempfile

from cpuidlib import table
from lib import check, done, hvkit, need, skip

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
    "mtrr": "cleared when the MTRRs are disabled, or their state is set by the hypervisor (mtrr_bp_init, mtrr_overwrite_state; mtrr.c)",
    "fsgsbase": "cleared with nofsgsbase, and by paravirtual guest kernels that cannot use it (PVM: the guest kernel runs in ring 3)",
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


# ---- this machine: the two views, read here without hvkit ----
def user_leaves():
    """user space's CPUID of this CPU, by the `cpuid` tool: {(leaf, sub): regs}."""
    out = subprocess.run(["cpuid", "-1", "-r"], capture_output=True, text=True, check=True).stdout
    leaves = {}
    for m in re.finditer(r"0x([0-9a-f]{8}) 0x([0-9a-f]{2}): eax=0x(\w+) ebx=0x(\w+) ecx=0x(\w+) edx=0x(\w+)", out):
        leaves[(int(m[1], 16), int(m[2], 16))] = tuple(int(m[i], 16) for i in range(3, 7))
    return leaves


def kernel_leaf(fd, leaf, sub=0):
    return struct.unpack("<4I", os.pread(fd, 16, sub << 32 | leaf))


def text12(regs):
    return b"".join(struct.pack("<I", r) for r in regs).decode("latin-1")


# The registers that carry feature bits (APIC IDs and core counts vary by CPU).
FEATURE_REGS = {(1, 0): (2, 3), (7, 0): (1, 2, 3), (0x80000001, 0): (2, 3)}
BRAND = (0x80000002, 0x80000003, 0x80000004)
REG = {"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}

need("cpuid", "cpuid")
user = user_leaves()
views = json.loads(hvkit("cpuid", "--json").stdout)["views"]
kfd = None
try:
    kfd = os.open("/dev/cpu/0/cpuid", os.O_RDONLY)
except OSError as e:
    print(f"NOTE: the kernel's view cannot be read here ({e}); compared through /proc/cpuinfo only")

if kfd is not None:
    found = []
    brand_u = "".join(text12(user.get((l, 0), (0, 0, 0, 0))) for l in BRAND).strip("\0 ")
    brand_k = "".join(text12(kernel_leaf(kfd, l)) for l in BRAND).strip("\0 ")
    if brand_u != brand_k:
        found.append("brand")
    hv_u, hv_k = user.get((0x40000000, 0)), kernel_leaf(kfd, 0x40000000)
    if user[(1, 0)][2] >> 31 and hv_u and hv_u[1:] != hv_k[1:]:
        found.append("hypervisor")
    bits = sum(bin((user.get(k, (0,) * 4)[r] ^ kernel_leaf(kfd, *k)[r])).count("1")
               for k, regs in FEATURE_REGS.items() for r in regs)
    print(f"this machine: read here: {'views differ: ' + ' '.join(found) if found or bits else 'views agree'}"
          f" ({bits} differing feature bits in leaves 1, 7, 0x80000001)")
    check(views["kernel_source"] == "/dev/cpu/0/cpuid", f"hvkit read the kernel's view from {views['kernel_source']}")
    if found or bits:
        check(views["agree"] is False, f"this machine: the views differ ({found}, {bits} bits) and hvkit says {views}")
    check(sorted(d["what"] for d in views["differences"] if d["what"] in ("brand", "hypervisor")) == sorted(found),
          f"this machine: hvkit names {views['differences']}, the test found {found}")
    for d in views["differences"]:
        if d["what"] == "brand":
            check((d["user"], d["kernel"]) == (brand_u, brand_k), f"brands: {d} vs {brand_u!r} {brand_k!r}")
    os.close(kfd)
    # /proc/cpuinfo is the kernel's: compare it with the kernel's view.
    ours = hvkit("cpuid", "features", "--names", "linux", "--json", "--view", "kernel")
    which = "this machine (the kernel's view)"
else:
    # Without the device: /proc/cpuinfo against user space, as read here.
    info = open("/proc/cpuinfo").read().split("\n\n")[0]
    field = dict((k.strip(), v.strip()) for k, _, v in (l.partition(":") for l in info.splitlines()))
    eax = user[(1, 0)][0]
    fam = (eax >> 8) & 0xf
    model = ((eax >> 4) & 0xf) | (((eax >> 16) & 0xf) << 4 if fam in (6, 0xf) else 0)
    fam += (eax >> 20) & 0xff if fam == 0xf else 0
    differ = (field.get("cpu family"), field.get("model")) != (str(fam), str(model))
    print(f"this machine: read here from /proc/cpuinfo: family/model {'differ' if differ else 'agree'}")
    check(views["kernel_source"] in ("/proc/cpuinfo", None), f"kernel source {views['kernel_source']}")
    if differ:
        check(views["agree"] is False and any(d["what"] == "signature" for d in views["differences"]),
              f"this machine: family/model differ from /proc/cpuinfo and hvkit does not say so: {views}")
    ours = hvkit("cpuid", "features", "--names", "linux", "--json")
    which = "this machine"
    if views["agree"] is False:
        # user space is not what Linux saw: only the kernel-only list can be held to /proc.
        print(f"NOTE: views differ and the kernel's cannot be read: /proc/cpuinfo checked against the "
              f"kernel-only list only ({views['differences']})")
        ours = None

flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
if not flags:
    skip("no flags line in /proc/cpuinfo")
if ours is not None:
    compare(which, flags, set(json.loads(ours.stdout)["features"]))
else:
    mine = set(json.loads(hvkit("cpuid", "features", "--names", "linux", "--json").stdout)["features"])
    kernel_only = set(json.loads(hvkit("cpuid", "--json", "--names", "linux").stdout)["views"]["kernel_only"])
    for f in sorted((flags & linux_names) - mine):
        check(f in kernel_only, f"this machine: /proc/cpuinfo has '{f}', user space does not, and hvkit's kernel-only list lacks it")

# ---- the detection itself, on made-up views (any machine) ----
def fake_root(d, leaves, cpuinfo):
    """A --sysroot whose dev/cpu/0/cpuid is a dump of `leaves` (hvkit reads
    a regular file there as a dump standing in for the driver)."""
    if leaves is not None:
        os.makedirs(os.path.join(d, "dev", "cpu", "0"))
        with open(os.path.join(d, "dev", "cpu", "0", "cpuid"), "w") as f:
            for (leaf, sub), regs in sorted(leaves.items()):
                f.write("   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n" % (leaf, sub, *regs))
    os.makedirs(os.path.join(d, "proc"))
    with open(os.path.join(d, "proc", "cpuinfo"), "w") as f:
        f.write(cpuinfo)


def views_of(d):
    return json.loads(hvkit("--sysroot", d, "cpuid", "--json", "--names", "linux").stdout)["views"]


mine = {}
for line in hvkit("cpuid", "dump").stdout.splitlines():
    m = re.match(r"\s*0x(\w+) 0x(\w+): eax=0x(\w+) ebx=0x(\w+) ecx=0x(\w+) edx=0x(\w+)", line)
    if m:
        mine[(int(m[1], 16), int(m[2], 16))] = tuple(int(m[i], 16) for i in range(3, 7))
summary = json.loads(hvkit("cpuid", "--json").stdout)
rows = [r for r in table() if r["linux"] and not r["leaf"].startswith("msr") and int(r["leaf"], 16) in (1, 7, 0x80000001)]
have = [r for r in rows if mine.get((int(r["leaf"], 16), int(r["subleaf"])), (0,) * 4)[REG[r["reg"]]] >> int(r["bit"]) & 1]
# Flags Linux may set itself (hvkit does not count them as another view).
LINUX_SETS = {"3dnowprefetch", "arat", "lahf_lm", "topoext"}
lack = [r for r in rows if r not in have and r["linux"] not in LINUX_SETS]
with tempfile.TemporaryDirectory() as d:
    # 1. The kernel's view equal to user space's: they agree.
    fake_root(os.path.join(d, "same"), mine, "")
    v = views_of(os.path.join(d, "same"))
    check(v["kernel_source"] == "/dev/cpu/0/cpuid" and v["agree"] is True and not v["differences"],
          f"identical views reported as {v}")
    # 2. Another brand, one feature removed and one added: exactly those.
    other = dict(mine)
    name = b"Made-up Kernel Brand".ljust(48, b"\0")
    for i, leaf in enumerate(BRAND):
        if (leaf, 0) in other:
            other[(leaf, 0)] = struct.unpack("<4I", name[16 * i:16 * i + 16])
    gone, extra = (have[0] if have else None), (lack[0] if lack else None)
    for r, on in ((gone, False), (extra, True)):
        if r:
            k = (int(r["leaf"], 16), int(r["subleaf"]))
            regs = list(other.get(k, (0,) * 4))
            regs[REG[r["reg"]]] ^= 1 << int(r["bit"])
            other[k] = tuple(regs)
    fake_root(os.path.join(d, "other"), other, "")
    v = views_of(os.path.join(d, "other"))
    check(v["agree"] is False, f"made-up kernel view not detected: {v}")
    if (0x80000004, 0) in mine:
        check({"what": "brand", "user": summary["brand"] or "", "kernel": "Made-up Kernel Brand"} in v["differences"],
              f"brand difference: {v['differences']}")
    if gone:
        check(gone["linux"] in v["user_only"], f"{gone['linux']} removed from the kernel's view, user_only {v['user_only']}")
    if extra:
        check(extra["linux"] in v["kernel_only"], f"{extra['linux']} added to the kernel's view, kernel_only {v['kernel_only']}")
    # 3. No device: /proc/cpuinfo with another family and a flag user space lacks.
    flag = extra["linux"] if extra else ""
    fake_root(os.path.join(d, "proc-only"), None,
              f"processor\t: 0\nvendor_id\t: {summary['vendor_id']}\ncpu family\t: {summary['family'] + 1}\n"
              f"model\t\t: {summary['model']}\nstepping\t: {summary['stepping']}\nflags\t\t: fpu {flag}\n\nprocessor\t: 1\n")
    v = views_of(os.path.join(d, "proc-only"))
    check(v["kernel_source"] == "/proc/cpuinfo" and v["agree"] is False and v["device_error"],
          f"/proc/cpuinfo-only view: {v}")
    check(any(x["what"] == "signature" for x in v["differences"]), f"family from /proc/cpuinfo: {v['differences']}")
    if extra:
        check(v["kernel_only"] == [flag], f"flag only /proc/cpuinfo has: {v['kernel_only']}")
    # The text summary says it too, and --view kernel reads the made-up device.
    out = hvkit("--sysroot", os.path.join(d, "other"), "cpuid").stdout
    check("DIFFER" in out and "Made-up Kernel Brand" in out, f"text summary: {out}")
    k = json.loads(hvkit("--sysroot", os.path.join(d, "other"), "cpuid", "--view", "kernel", "--json").stdout)
    check(k["brand"] == "Made-up Kernel Brand" and k["views"]["shown"] == "kernel", f"--view kernel: {k['brand']}")
    p = hvkit("--sysroot", os.path.join(d, "proc-only"), "cpuid", "--view", "kernel", ok=False)
    check(p.returncode == 1 and "dev/cpu/0/cpuid" in p.stderr and len(p.stderr.splitlines()) == 1 and not p.stdout,
          f"--view kernel without the device: {p.returncode} {p.stderr!r}")
    p = hvkit("--sysroot", os.path.join(d, "other"), "cpuid", "model")
    check("differently" in p.stderr, f"other verbs warn when the views differ: {p.stderr!r}")

# The live dump round-trips too.
with tempfile.TemporaryDirectory() as d:
    dump = os.path.join(d, "host.dump")
    hvkit("cpuid", "dump", "-o", dump)
    check(hvkit("cpuid", "dump", "--from", dump).stdout == open(dump).read(), "host dump round-trips")
    live = json.loads(hvkit("cpuid", "--json").stdout)
    back = json.loads(hvkit("cpuid", "--json", "--from", dump).stdout)
    check(live | {"origin": 0, "views": 0} == back | {"origin": 0, "views": 0}, "host dump decodes as the host does")
done()
