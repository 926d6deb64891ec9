#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""For every fixture CPU, our features (--names libvirt) include what
libvirt says the host has: the features of the model in
x86_64-cpuid-NAME-host.xml (libvirt 9.0, expanded with the cpu_map that
libvirt 9.0 installs) plus the <feature> elements listed there, wherever
our table has the bit.  Differences are printed: missing ones fail; extra
ones are set bits that libvirt 9.0 leaves out of the host model (it lists
fdp-excptn-only and zero-fcs-fds in newer versions, and drops flush-l1d,
overflow-recov and succor from host-model CPUs)."""
import os
import xml.etree.ElementTree as ET

from cpuidlib import CPUID_DATA, cpudata_fixtures, cpuid_json, table
from lib import check, done, skip

CPU_MAP = "/usr/share/libvirt/cpu_map"
if not os.path.exists(os.path.join(CPU_MAP, "x86_features.xml")):
    skip(f"{CPU_MAP} missing (Debian package libvirt0)")

ours_libvirt = {r["libvirt"] for r in table() if r["libvirt"]}


def model_features(name, seen=()):
    root = ET.parse(os.path.join(CPU_MAP, f"x86_{name}.xml")).getroot()
    out = set()
    for m in root.iter("model"):
        for parent in m.findall("model"):
            out |= model_features(parent.get("name"), seen + (name,))
        for f in m.findall("feature"):
            out.add(f.get("name"))
    return out


def host_features(path, expand=True):
    cpu = ET.parse(path).getroot()
    want, drop = set(), set()
    model = cpu.findtext("model")
    if expand and model:
        want |= model_features(model)
    for f in cpu.findall("feature"):
        (drop if f.get("policy") in ("disable", "forbid") else want).add(f.get("name"))
    return want - drop


extra_seen = {}
compared = 0
for name, xml in cpudata_fixtures():
    ours = set(cpuid_json("features", "--names", "libvirt", "--from", xml)["features"])
    for label, host, expand in (("libvirt 9.0", os.path.join(CPUID_DATA, "libvirt-9.0", f"x86_64-cpuid-{name}-host.xml"), True),
                                ("libvirt (newer, listed features only)", os.path.join(CPUID_DATA, "libvirt", f"x86_64-cpuid-{name}-host.xml"), False)):
        if not os.path.exists(host):
            continue
        theirs = host_features(host, expand)
        unknown = theirs - ours_libvirt
        missing = (theirs & ours_libvirt) - ours
        extra = ours - theirs
        check(not missing, f"{name} ({label}): libvirt lists {sorted(missing)}, we do not")
        if unknown:
            print(f"{name} ({label}): not in our table: {sorted(unknown)}")
        if expand:
            for f in extra:
                extra_seen.setdefault(f, []).append(name)
        compared += 1
check(compared >= 58, f"only {compared} comparisons")
print(f"{compared} comparisons; features we report that libvirt 9.0's host model leaves out:")
for f, names in sorted(extra_seen.items()):
    print(f"  {f}: {len(names)} CPUs")
done()
