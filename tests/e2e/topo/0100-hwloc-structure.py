#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every hwloc snapshot: our object counts equal lstopo's, run in the same
test on the same extracted tree (HWLOC_FSROOT), CPU side and memory."""
import glob
import os
import re
import subprocess
import tempfile
import collections

from lib import DATA, check, counts, done, need, topo_json, objects

need("lstopo-no-graphics", "hwloc")

# Where we differ on purpose, and why.  Keyed by snapshot, then type.
EXPECTED_DIFF = {
    # hwloc's test corrupts the 4th socket's cpuset and the 3rd L3 to check
    # that its core drops conflicting objects; sysfs lists all four
    # packages and every L3 consistently with their PUs, so we show them.
    "40intel64-4n10c+pci-conflicts": {"package": "sysfs lists 4 packages; hwloc drops the deliberately conflicting 4th",
                                      "L3Cache": "likewise for the 4th package's L3"},
}

# hwloc type -> our type
TYPES = {"Package": "package", "NUMANode": "numa_node", "Core": "core",
         "PU": "pu", "MemCache": "memcache", "L1dCache": "L1dCache",
         "L1iCache": "L1iCache", "L2Cache": "L2Cache", "L3Cache": "L3Cache",
         "L4Cache": "L4Cache"}


def hwloc_counts(root, env_extra):
    env = dict(os.environ, HWLOC_FSROOT=root, HWLOC_COMPONENTS="-x86")
    env.update(env_extra)
    xml = subprocess.run(["lstopo-no-graphics", "--whole-system", "--of", "xml"],
                         env=env, capture_output=True, text=True, check=True).stdout
    c = collections.Counter()
    for t, lvl in re.findall(r'<object type="(\w+)"(?:[^>]*?depth="(\d)")?', xml):
        if t == "L1Cache":
            t = "L1dCache"
        c[t] += 1
    return c


def test_env(name):
    env = {}
    try:
        with open(os.path.join(DATA, "hwloc", name + ".test")) as f:
            for line in f:
                m = re.match(r"env:\s+(\w+)=(\S*)", line)
                if m:
                    env[m.group(1)] = m.group(2)
    except FileNotFoundError:
        pass
    return env


tarballs = sorted(glob.glob(os.path.join(DATA, "hwloc", "*.tar.bz2")))
check(len(tarballs) >= 20, f"expected the hwloc snapshots in {DATA}/hwloc")
for tb in tarballs:
    name = os.path.basename(tb)[:-len(".tar.bz2")]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tar", "xjf", tb, "-C", d], check=True)
        (top,) = os.listdir(d)
        hw = hwloc_counts(os.path.join(d, top), test_env(name))
    ours = counts(topo_json("--from", tb))
    diffs = EXPECTED_DIFF.get(name, {})
    for hwt, our in TYPES.items():
        a, b = hw.get(hwt, 0), ours.get(our, 0)
        if our in diffs or hwt in diffs:
            print(f"{name}: {hwt}: hwloc {a}, hvkit {b} (expected: {diffs.get(our) or diffs.get(hwt)})")
            check(a != b, f"{name}: {hwt} no longer differs; drop the exception")
            continue
        check(a == b, f"{name}: {hwt}: hwloc {a}, hvkit {b}")
    print(f"{name}: " + ", ".join(f"{k}={ours.get(v, 0)}" for k, v in TYPES.items() if ours.get(v, 0)))

# The Dell DCS8000Z: 24 memory slots, 8 populated, 128 PCI devices.
j = topo_json("--from", os.path.join(DATA, "hwloc", "32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2"))
mods = objects(j, "memory_module")
check(len(mods) == 24, f"DCS8000Z: {len(mods)} memory slots, expected 24")
pop = [m for m in mods if m["size_bytes"]]
check(len(pop) == 8, f"DCS8000Z: {len(pop)} populated slots, expected 8")
check(all(m["size_bytes"] == 4 << 30 for m in pop), "DCS8000Z: every DIMM is 4 GiB")
check(len(objects(j, "pci_device")) == 128, f"DCS8000Z: {len(objects(j, 'pci_device'))} PCI devices, expected 128")
# The memory-side-cache snapshot: one memcache per node that has one.
j = topo_json("--from", os.path.join(DATA, "hwloc", "memorysidecaches.tar.bz2"))
check(len(objects(j, "memcache")) == 4, "memorysidecaches: expected 4 memcaches")
done()
