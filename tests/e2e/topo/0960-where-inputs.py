#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit topo where on edited copies of a real snapshot (hwloc's
32em64t-2n8c+dax+nvme+mic+dimms, tests/data/hwloc), against hwloc-calc
on lstopo's XML of the same edited tree where hwloc has an answer:

1. Locality: local_cpus that disagrees with numa_node (another node's
   CPUs; a numa_node of 9999; garbage in both) gives hwloc-calc's CPUs,
   with a warning naming what disagrees or does not parse.
2. IOMMU groups: the members are what /sys/kernel/iommu_groups/N/devices
   lists (a function listed without a link of its own is a member; one
   whose link names a group that does not list it is "unknown"); a link
   that names no group is "unknown" with a warning naming the link, never
   "IOMMU off"; a group that cannot be listed falls back to the links
   with a warning; a capture keeps all of it.  A group of one says
   "assign it alone", without "together".
3. An OS device with a 255-character name is found and shown.
4. Output and usage: -o through a symbolic link writes the file it
   names and keeps its mode, a dangling link is refused (exit 1, nothing
   made); getopt's errors start "hvkit: error:"; diff with 3 inputs says
   so; a PNG shrunk to fit warns.
"""
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile

from lib import DATA, HVKIT, check, done, need
from structure import parse_hwloc_mask

need("hwloc-calc", "hwloc")
need("lstopo-no-graphics", "hwloc")

HWLOC_ENV = dict(os.environ, HWLOC_COMPONENTS="-x86", HWLOC_SHOW_ERRORS="none")
tmp = tempfile.mkdtemp(prefix="hvkit-where-inputs-")
with tarfile.open(os.path.join(DATA, "hwloc", "32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")) as tf:
    tf.extractall(os.path.join(tmp, "x"))
(top,) = os.listdir(os.path.join(tmp, "x"))
BASE = os.path.join(tmp, "x", top)
NODE0, NODE1 = "00000000,00000000,00000000,000000ff", "00000000,00000000,00000000,0000ff00"


def run(*argv, env=None):
    return subprocess.run(list(argv), capture_output=True, text=True, env=env)


def fresh(name):
    d = os.path.join(tmp, name)
    shutil.copytree(BASE, d, symlinks=True)
    return d


def put(tree, path, text):
    with open(tree + path, "w") as f:
        f.write(text + "\n")


def devices_below(tree, hb):
    """The PCI functions of sysfs below host bridge hb ("pci0000:00")."""
    base = tree + "/sys/bus/pci/devices"
    return [a for a in sorted(os.listdir(base))
            if f"/{hb}/" in os.path.realpath(os.path.join(base, a))]


def where(tree, what, *extra):
    p = run(HVKIT, "topo", "where", what, "--sysroot", tree, "--json", *extra)
    return (json.loads(p.stdout) if p.returncode == 0 else None), p


def hwloc_cpus(tree, loc):
    xml = os.path.join(tree, "lstopo.xml")
    x = run("lstopo-no-graphics", "--whole-system", "--whole-io", "--of", "xml",
            env=dict(HWLOC_ENV, HWLOC_FSROOT=tree))
    with open(xml, "w") as f:
        f.write(x.stdout)
    m = run("hwloc-calc", "-i", xml, loc, env=HWLOC_ENV)
    return set(parse_hwloc_mask(m.stdout.strip().replace("0x", ""))) if m.returncode == 0 else None


# 1. locality
cases = {
    # every function on 0000:00 says node 1's CPUs, numa_node stays 0
    "node1-mask": ({"local_cpus": NODE1}, "local_cpus says CPUs 8-15, numa_node says node 0 (CPUs 0-7)"),
    "numa-9999": ({"local_cpus": NODE0, "numa_node": "9999"}, "numa_node 9999 is no NUMA node here"),
    "garbage": ({"local_cpus": "garbage", "numa_node": "1x"}, "cannot parse CPU mask 'garbage'"),
}
for name, (files, warning) in cases.items():
    t = fresh(name)
    for a in devices_below(t, "pci0000:00"):
        for f, v in files.items():
            put(t, f"/sys/bus/pci/devices/{a}/{f}", v)
    want = hwloc_cpus(t, "os=eth0")
    w, p = where(t, "eth0")
    check(w is not None and want and set(w["cpus"]) == want,
          f"{name}: where eth0 gives {w and w['cpus']}, hwloc-calc {sorted(want or [])}: {p.stderr}")
    check(warning in p.stderr, f"{name}: no warning '{warning}' in {p.stderr!r}")
    print(f"{name}: eth0 local to {w and w['cpu_list']} (hwloc-calc {sorted(want or [])})")

# 2. IOMMU groups
t = fresh("iommu")
DEV = {a: os.path.realpath(f"{t}/sys/bus/pci/devices/{a}")[len(t):]
       for a in os.listdir(t + "/sys/bus/pci/devices")}


def member(group, addr):
    os.makedirs(f"{t}/sys/kernel/iommu_groups/{group}/devices", exist_ok=True)
    os.symlink(os.path.relpath(t + DEV[addr], f"{t}/sys/kernel/iommu_groups/{group}/devices"),
               f"{t}/sys/kernel/iommu_groups/{group}/devices/{addr}")


def group_link(addr, target):
    os.symlink(os.path.relpath(f"{t}/sys/kernel/iommu_groups", t + DEV[addr]) + "/" + target,
               t + DEV[addr] + "/iommu_group")


for a in ("0000:02:00.0", "0000:02:00.3", "0000:00:01.0"):
    member(7, a)
group_link("0000:02:00.0", "7")
group_link("0000:02:00.3", "7x")          # listed by group 7: a member all the same
group_link("0000:00:02.0", "-1")          # names no group
member(9, "0000:00:1f.3")
group_link("0000:00:1f.2", "9")           # group 9 does not list it
group_link("0000:00:01.1", "8")           # group 8 cannot be listed
member(10, "0000:00:1a.0")
group_link("0000:00:1a.0", "10")

w, p = where(t, "eth0")
check(w and w["iommu_group"] == 7 and
      [m["address"] for m in w["iommu_members"]] == ["0000:00:01.0", "0000:02:00.0", "0000:02:00.3"],
      f"group 7 from its devices/: {w and w['iommu_members']}")
check("0000:02:00.3/iommu_group: links to '" in p.stderr and
      "/kernel/iommu_groups/7x', which names no IOMMU group" in p.stderr, f"the bad link is named: {p.stderr!r}")
w, p = where(t, "nvme0n1")
check(w and w["iommu_group"] is None and w["iommu_group_unknown"] and w["passthrough"] is None,
      f"a link naming no group: {w and (w['iommu_group'], w.get('iommu_group_unknown'), w['passthrough'])}")
txt = run(HVKIT, "topo", "where", "nvme0n1", "--sysroot", t)
check("IOMMU group: unknown" in txt.stdout and "IOMMU is off" not in txt.stdout and
      "0000:00:02.0/iommu_group: links to '" in txt.stderr and
      "/kernel/iommu_groups/-1', which names no IOMMU group" in txt.stderr,
      f"unknown, not off: {txt.stdout!r} {txt.stderr!r}")
w, p = where(t, "sda")
check(w and w["iommu_group"] is None and w.get("iommu_group_unknown") and
      "names group 9, whose devices/ does not list it" in p.stderr,
      f"a group that does not list its device: {w and w['iommu_group']} {p.stderr!r}")
w, p = where(t, "0000:00:1f.3")
check(w and w["iommu_group"] == 9, f"listed without a link: {w and w['iommu_group']}")
w, p = where(t, "0000:00:01.1")
check(w and w["iommu_group"] == 8 and "/sys/kernel/iommu_groups/8/devices: cannot be listed" in p.stderr,
      f"an unlistable group: {w and w['iommu_group']} {p.stderr!r}")
txt = run(HVKIT, "topo", "where", "0000:00:1a.0", "--sysroot", t).stdout
check("assign it alone, bound to" in txt and "together" not in txt, f"a group of one: {txt}")
cap = os.path.join(tmp, "iommu.tar.gz")
c = run(HVKIT, "topo", "capture", "--sysroot", t, "-o", cap)
check(c.returncode == 0, f"capture: {c.stderr}")
for what in ("eth0", "nvme0n1", "sda", "0000:00:1f.3", "0000:00:01.1"):
    a, _ = where(t, what)
    b, pb = run(HVKIT, "topo", "where", what, "--from", cap, "--json"), None
    check(a is not None and b.returncode == 0 and json.loads(b.stdout) == a,
          f"capture: where {what} differs: {b.stderr}")

# 3. a 255-character OS device name
t = fresh("longname")
name = "n" * 255
ndir = DEV["0000:02:00.0"] + "/net/" + name
os.makedirs(t + ndir)
put(t, ndir + "/address", "00:11:22:33:44:55")
os.symlink(os.path.relpath(t + ndir, t + "/sys/class/net"), f"{t}/sys/class/net/{name}")
w, p = where(t, name)
check(w and w["pci"]["address"] == "0000:02:00.0", f"long name: {p.returncode} {p.stderr[:200]}")
txt = run(HVKIT, "topo", "--sysroot", t).stdout
check(f"net {name}" in txt, "long name: not in the text tree")

# 4. output and usage
target, lnk, dangling = (os.path.join(tmp, n) for n in ("target.txt", "link.txt", "dangling.txt"))
with open(target, "w") as f:
    f.write("old\n")
os.chmod(target, 0o640)
os.symlink("target.txt", lnk)
p = run(HVKIT, "topo", "where", "node0", "--sysroot", BASE, "-o", lnk)
check(p.returncode == 0 and os.path.islink(lnk) and open(target).read().startswith("NUMANode P#0") and
      stat.S_IMODE(os.stat(target).st_mode) == 0o640,
      f"-o through a link: {p.stderr} link kept {os.path.islink(lnk)} mode {oct(os.stat(target).st_mode)}")
os.symlink("nowhere", dangling)
p = run(HVKIT, "topo", "where", "node0", "--sysroot", BASE, "-o", dangling)
check(p.returncode == 1 and os.path.islink(dangling) and not os.path.exists(os.path.join(tmp, "nowhere")) and
      p.stderr.startswith("hvkit: error: ") and "leads nowhere" in p.stderr,
      f"-o to a dangling link: {p.returncode} {p.stderr!r}")
for argv in (["-o"], ["--from"], ["where", "eth0", "--io"]):
    p = run(HVKIT, "topo", *argv)
    check(p.returncode == 2 and p.stderr.startswith("hvkit: error: option"),
          f"topo {argv}: {p.returncode} {p.stderr!r}")
p = run(HVKIT, "topo", "diff", "a", "b", "c")
check(p.returncode == 2 and "two inputs" in p.stderr and "not 3" in p.stderr, f"diff a b c: {p.stderr!r}")
png = os.path.join(tmp, "big.png")
p = run(HVKIT, "topo", "--synthetic", "pack:16 core:128 pu:2 pci:300", "-v", "-o", png)
if p.returncode and "cairo" in p.stderr:
    print(f"SKIP part: no cairo for PNG: {p.stderr.strip()}")
else:
    check(p.returncode == 0 and "shrunk to fit PNG's limits" in p.stderr, f"shrunk PNG: {p.stderr!r}")
    p = run(HVKIT, "topo", "--synthetic", "pack:1 core:2 pu:1", "-o", png)
    check(p.returncode == 0 and "shrunk" not in p.stderr, f"small PNG warns: {p.stderr!r}")

shutil.rmtree(tmp, ignore_errors=True)
done()
