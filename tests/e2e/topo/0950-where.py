#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit topo where: differential against hwloc-calc, IOMMU groups, errors.

1. Every hwloc sysfs snapshot in tests/data/hwloc with I/O devices (PCI,
   or OS devices of the classes hwloc reads: block, net, DAX, DMA, DRM,
   VE, InfiniBand, BXI), and generated trees (gensysfs.gen + gen_pci,
   seeded): every OS device and PCI function `lstopo --whole-io` names is
   one hvkit knows (a failure names the snapshot and the device), and
   for each `hvkit topo where X --json` gives the
   same local CPU set, the same CPU mask text and the same local NUMA
   nodes as `hwloc-calc os=X` / `pci=X` (--local-memory) on lstopo's XML of
   the same tree; for PCI bridges, which hwloc-calc does not address, the
   answer comes from the XML (the cpuset of the first non-I/O ancestor,
   and hwloc-calc's rule for local nodes: those whose cpuset lies within
   it or holds it).  The PCI bridges between a device and its host bridge
   are the ones lstopo nests it under.  Rule domain32: lstopo 2.9 drops
   PCI domains above ffff; their devices are held to the local_cpus of
   their host bridge's first function, as hwloc 3 reads it.
   Half the generated host bridges get a numa_node that disagrees with
   local_cpus (gensysfs.pci_numa_lies): hvkit follows local_cpus as
   hwloc does, and warns where numa_node names a node.
2. On the generated trees, the IOMMU group members, what is assigned
   together (bridges excepted) and the degraded flags and narrowest link
   of the path match what the generator made.
3. A hand-built tree: a group of a root port and three functions, a
   device with no group; the same answer from a capture of the tree.
4. Errors: one line, exit 1 for an unknown name, 2 for usage.

  0950-where.py                  the snapshots and WHERE_SEEDS (6) seeds
  0950-where.py --seeds 200      more
  0950-where.py --seed 1234      replay one seed and keep its tree
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import DATA, HVKIT, check, done, need  # noqa: E402
import gensysfs  # noqa: E402
from structure import parse_hwloc_mask  # noqa: E402

need("hwloc-calc", "hwloc")
need("lstopo-no-graphics", "hwloc")

ap = argparse.ArgumentParser()
ap.add_argument("--seeds", type=int, default=int(os.environ.get("WHERE_SEEDS", "6")))
ap.add_argument("--start", type=int, default=1)
ap.add_argument("--seed", type=int, help="replay one seed (keeps the tree)")
args = ap.parse_args()

HWLOC_ENV = dict(os.environ, HWLOC_COMPONENTS="-x86", HWLOC_SHOW_ERRORS="none")
tmp = tempfile.mkdtemp(prefix="hvkit-where-")
stats = {"devices": 0, "agree": 0, "hwloc_only": set(), "hvkit_only": set(), "rule": 0}


def run(*argv, env=None):
    return subprocess.run(list(argv), capture_output=True, text=True, env=env)


def lstopo_xml(root, path):
    p = run("lstopo-no-graphics", "--whole-system", "--whole-io", "--of", "xml",
            env=dict(HWLOC_ENV, HWLOC_FSROOT=root))
    if p.returncode:
        raise SystemExit(f"lstopo failed on {root}: {p.stderr}")
    with open(path, "w") as f:
        f.write(p.stdout)
    return p.stdout


def hwloc_view(xml_text):
    """{("os", name) | ("pci", busid) | ("bridge", busid): (cpuset,
    [bridge busids up to the host bridge])} and the NUMA nodes'
    cpusets, from lstopo's XML."""
    devs, nodes = {}, {}
    root = ET.fromstring(xml_text)

    def visit(el, cpuset, chain):
        for ch in el:
            if ch.tag != "object":
                continue
            t = ch.get("type")
            cs, ch_chain = cpuset, chain
            if t in ("Bridge", "PCIDev", "OSDev", "Misc"):
                busid = ch.get("pci_busid")
                if t == "OSDev":
                    devs[("os", ch.get("name"))] = (cs, chain)
                elif t == "PCIDev":
                    devs[("pci", busid)] = (cs, chain)
                elif busid:
                    devs[("bridge", busid)] = (cs, chain)
                    ch_chain = [busid] + chain
            else:
                cs = parse_hwloc_mask(ch.get("cpuset", "0x0"))
                if t == "NUMANode":
                    nodes[int(ch.get("os_index"))] = cs
            visit(ch, cs, ch_chain)

    visit(root, frozenset(), [])
    return devs, nodes


def hvkit_devices(tree_args):
    p = run(HVKIT, "topo", "--json", *tree_args)
    if p.returncode:
        raise SystemExit(f"hvkit topo {tree_args} exited {p.returncode}: {p.stderr}")
    out = set()

    def walk(o):
        if o["type"] == "os_device" and o.get("name"):
            out.add(("os", o["name"]))
        elif o["type"] == "pci_device":
            out.add(("pci", o["address"]))
        elif o["type"] == "pci_bridge" and o.get("address", "").count(":") == 2:
            out.add(("bridge", o["address"]))
        for c in o["children"]:
            walk(c)
    walk(json.loads(p.stdout)["topology"])
    return out


def where(tree_args, what):
    p = run(HVKIT, "topo", "where", what, "--json", *tree_args)
    if p.returncode:
        return None, p
    return json.loads(p.stdout), p


def compare_tree(label, tree, tree_args, truth=None):
    xml_path = os.path.join(tmp, "topo.xml")
    hw, hw_nodes = hwloc_view(lstopo_xml(tree, xml_path))
    ours = hvkit_devices(tree_args)
    for key in sorted(set(hw) - ours):
        # gensysfs's gpu-cpu-node class names a GPU by a bare
        # /sys/bus/pci/devices/X/local_cpus, no config space: a phantom
        # hwloc lists and hvkit, reading functions from config, does not.
        if key[0] == "pci" and not os.path.exists(
                os.path.join(tree, "sys/bus/pci/devices", key[1], "config")) \
                and label.startswith("seed "):
            continue
        stats["hwloc_only"].add(f"{label}:{key[1]}")
    for key in sorted(ours - set(hw)):
        stats["hvkit_only"].add(f"{label}:{key[1]}")
    def one(key):
        kind, name = key
        cs, chain = hw[key]
        if kind == "bridge":
            mask = None
            nodes = {n for n, ncs in hw_nodes.items() if ncs and cs and (ncs <= cs or cs <= ncs)}
        else:
            loc = f"os={name}" if kind == "os" else f"pci={name}"
            m = run("hwloc-calc", "-i", xml_path, loc, env=HWLOC_ENV)
            nm = run("hwloc-calc", "-i", xml_path, "-p", "--local-memory", loc, env=HWLOC_ENV)
            if m.returncode or nm.returncode:
                return [f"hwloc-calc {loc} failed: {m.stderr} {nm.stderr}"], False
            mask = m.stdout.strip()
            cs = parse_hwloc_mask(mask.replace("0x", ""))
            nodes = {int(x) for x in nm.stdout.strip().split(",") if x}
        w, p = where(tree_args, name)
        if w is None:
            return [f"exited {p.returncode}: {p.stderr.strip()}"], False
        diffs, ruled = [], False
        kernel = domain32_locality(tree, w)
        if kernel is not None:
            # Rule domain32: lstopo 2.9 as Debian builds it drops PCI
            # domains above ffff (2pa-pcidomain32bits: VMD's 10000) and
            # hangs their OS devices off the machine; hvkit places them
            # by the local_cpus of the host bridge's first function, as
            # hwloc 3 does.
            ruled = True
            cs, mask = kernel, hwloc_mask(kernel)
            nodes = {n for n, ncs in hw_nodes.items() if ncs and (ncs <= kernel or kernel <= ncs)}
            chain = []
        if set(w["cpus"]) != set(cs):
            diffs.append(f"cpus {sorted(w['cpus'])} vs hwloc {sorted(cs)}")
        if mask is not None and w["cpu_mask"] != mask:
            diffs.append(f"mask {w['cpu_mask']} vs hwloc {mask}")
        # Rule empty-node (structure.RULES): hvkit leaves out a node with
        # neither CPUs nor memory; lstopo keeps it.
        nodes -= empty_nodes(tree)
        # Rule unplaced-node: a CPU-less node hwloc finds no locality for
        # gets an empty cpuset there, local to nothing; hvkit hangs it
        # from the machine, local to every device.
        unplaced = {n for n, ncs in hw_nodes.items() if not ncs}
        if set(w["local_numa_nodes"]) - unplaced != nodes - unplaced:
            diffs.append(f"local nodes {w['local_numa_nodes']} vs hwloc {sorted(nodes)}")
        ours_chain = [h["address"] for h in w["path"][1:] if h["type"] != "host_bridge"]
        if ours_chain != chain:
            diffs.append(f"bridges {ours_chain} vs hwloc {chain}")
        if truth is not None:
            diffs += check_truth(w, truth)
        return diffs, ruled

    keys = sorted(ours & set(hw))
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for key, (diffs, ruled) in zip(keys, pool.map(one, keys)):
            stats["devices"] += 1
            stats["rule"] += ruled
            if check(not diffs, f"{label}: where {key[1]}: " + "; ".join(diffs)):
                stats["agree"] += 1


def empty_nodes(tree):
    """The NUMA nodes of a sysfs tree with neither CPUs nor memory."""
    base = os.path.join(tree, "sys/devices/system/node")
    empty = set()
    for name in os.listdir(base) if os.path.isdir(base) else []:
        if not (name.startswith("node") and name[4:].isdigit()):
            continue
        def read(f):
            try:
                with open(os.path.join(base, name, f)) as fh:
                    return fh.read()
            except OSError:
                return ""
        cpus = read("cpulist").strip()
        mem = re.search(r"MemTotal:\s*(\d+)", read("meminfo"))
        if not cpus and not (mem and int(mem.group(1))):
            empty.add(int(name[4:]))
    return empty


def hwloc_mask(cpus):
    v = sum(1 << c for c in cpus)
    words = [(v >> (32 * i)) & 0xffffffff for i in range(max(1, (v.bit_length() + 31) // 32))]
    return ",".join(f"0x{x:08x}" for x in reversed(words)) if v else "0x0"


def domain32_locality(tree, w):
    """For a device in a PCI domain above ffff: the CPUs of the
    local_cpus mask of the first function of its host bridge (within the
    machine's), else None."""
    hb = w["path"][-1]["address"] if w["path"] else None
    if not hb or len(hb.split(":")[0]) <= 4:
        return None
    base = f"{tree}/sys/bus/pci/devices"
    first = min(a for a in os.listdir(base) if a.startswith(hb + ":"))
    with open(f"{base}/{first}/local_cpus") as f:
        m = set(parse_hwloc_mask(f.read().strip()))
    online = set(gensysfs._parse_list(open(f"{tree}/sys/devices/system/cpu/online").read().strip()))
    return m & online


def gbps(gen, width):
    gts = gensysfs.SPEEDS[gen]
    return gts * width * (0.8 if gts < 8 else 128 / 130) / 8


def check_truth(w, truth):
    devs, osdevs = truth
    diffs = []
    addr = w["pci"]["address"] if w["pci"] else None
    if addr not in devs:
        return [f"{addr} is not a device the generator made"]
    d = devs[addr]
    members = sorted(a for a, v in devs.items() if d["group"] is not None and v["group"] == d["group"])
    if (w["iommu_group"] if w["iommu_group"] is not None else None) != d["group"]:
        diffs.append(f"iommu_group {w['iommu_group']} vs {d['group']}")
    got = [m["address"] for m in w["iommu_members"]]
    if got != members:
        diffs.append(f"group members {got} vs {members}")
    want_assign = [a for a in members if not devs[a]["bridge"]] if members else \
        ([] if d["bridge"] else [addr])
    if w["passthrough"]["assign"] != want_assign:
        diffs.append(f"assign {w['passthrough']['assign']} vs {want_assign}")
    # links the path reports: every non-upstream-end PCIe function
    links, a = [], addr
    while a:
        v = devs[a]
        lk = v["link"]
        upstream_end = v["ptype"] in (gensysfs.ROOT_PORT, gensysfs.DOWNSTREAM)
        if lk and not upstream_end:
            (cg, cw), (sg, sw) = lk
            if sw:
                links.append((a, gbps(sg, sw), sg < cg or sw < cw))
        a = v["parent"]
    degraded = any(x[2] for x in links)
    if w["degraded"] != degraded:
        diffs.append(f"degraded {w['degraded']} vs {degraded} ({links})")
    if links:
        best = min(x[1] for x in links)
        n = w["narrowest"]
        if not n or abs(n["gbps"] - best) > 1e-6:
            diffs.append(f"narrowest {n} vs {best:.3f} GB/s ({links})")
    elif w["narrowest"] is not None:
        diffs.append(f"narrowest {w['narrowest']} where no link is up")
    return diffs


# 1. the snapshots
hwloc_dir = os.path.join(DATA, "hwloc")
for name in sorted(os.listdir(hwloc_dir)):
    if not name.endswith(".tar.bz2"):
        continue
    path = os.path.join(hwloc_dir, name)
    with tarfile.open(path) as tf:
        if not any(re.search(r"/bus/pci/devices/|/bus/dax/devices/|/class/(block|net|dma|drm|ve|infiniband|bxi)/", m.name)
                   for m in tf.getmembers()):
            continue
        d = os.path.join(tmp, name[:-8])
        tf.extractall(d, filter="tar") if sys.version_info >= (3, 12) else tf.extractall(d)
    top = [os.path.join(d, x) for x in os.listdir(d)]
    tree = top[0] if len(top) == 1 and os.path.isdir(os.path.join(top[0], "sys")) else d
    before = (stats["devices"], stats["agree"])
    compare_tree(name[:-8], tree, ["--sysroot", tree])
    print(f"{name[:-8]}: {stats['devices'] - before[0]} devices, "
          f"{stats['agree'] - before[1]} agree with hwloc-calc")
snap = (stats["devices"], stats["agree"])

# 2. generated trees
seeds = [args.seed] if args.seed is not None else range(args.start, args.start + args.seeds)
for seed in seeds:
    d = tempfile.mkdtemp(prefix=f"gen-{seed}-", dir=tmp)
    shape = gensysfs.gen(seed, d)
    truth = gensysfs.gen_pci(seed, d)
    # numa_node lies below some host bridges: hwloc follows local_cpus
    lies = gensysfs.pci_numa_lies(seed, d, truth[0])
    failures_before = stats["devices"] - stats["agree"]
    compare_tree(f"seed {seed}", d, ["--sysroot", d], truth)
    warned = run(HVKIT, "topo", "--sysroot", d).stderr
    check(("numa_node 9999 is no NUMA node here; following local_cpus" in warned) ==
          (9999 in lies.values()), f"seed {seed}: numa_node lies {lies}, warnings: {warned}")
    stats["lies"] = stats.get("lies", 0) + len(lies)
    if stats["devices"] - stats["agree"] != failures_before:
        print(f"FAIL: seed {seed} (replay: {sys.argv[0]} --seed {seed}): {shape}")
    if args.seed is not None:
        kept = tempfile.mkdtemp(prefix=f"hvkit-where-{seed}-")
        shutil.copytree(d, kept, symlinks=True, dirs_exist_ok=True)
        print(f"seed {seed}: {shape}; tree kept in {kept}")
print(f"generated: {len(seeds)} seeds, {stats['devices'] - snap[0]} devices, "
      f"{stats['agree'] - snap[1]} agree; {stats.get('lies', 0)} host bridges whose numa_node lies")

# 3. hand-built IOMMU groups
d = os.path.join(tmp, "iommu")
gensysfs.gen(1, d, extras=False)
cfg = gensysfs.pci_config
gensysfs.write(d, "/sys/devices/system/node/node0/cpulist", "0")
gensysfs.write(d, "/sys/devices/system/node/node0/cpumap", gensysfs.mask([0], 9))
rp = "/sys/devices/pci0000:00/0000:00:01.0"
devs = {"0000:00:01.0": (rp, cfg(0x8086, 0x3000, 0x060400, (0, 1, 1),
                                 (gensysfs.ROOT_PORT, (4, 16), (4, 8))))}
for fn in range(3):
    devs[f"0000:01:00.{fn}"] = (f"{rp}/0000:01:00.{fn}",
                                cfg(0x15b3, 0x1017, 0x020000, pcie=(0, (4, 16), (4, 8))))
devs["0000:00:02.0"] = ("/sys/devices/pci0000:00/0000:00:02.0", cfg(0x8086, 0x2000, 0x010802))
for a, (p, c) in devs.items():
    gensysfs.write_bytes(d, p + "/config", c)
    gensysfs.write(d, p + "/numa_node", "-1")
    gensysfs.link(d, f"/sys/bus/pci/devices/{a}", p)
    if a != "0000:00:02.0":
        gensysfs.link(d, f"/sys/kernel/iommu_groups/7/devices/{a}", p)
        gensysfs.link(d, p + "/iommu_group", "/sys/kernel/iommu_groups/7")
gensysfs.link(d, "/sys/bus/pci/devices/0000:01:00.1/driver", "/sys/bus/pci/drivers/vfio-pci")
w, p = where(["--sysroot", d], "01:00.1")
check(w is not None and w["iommu_group"] == 7, f"hand-built: group 7 expected: {p.stderr}")
if w:
    check([m["address"] for m in w["iommu_members"]] ==
          ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1", "0000:01:00.2"],
          f"hand-built: members {w['iommu_members']}")
    check(w["passthrough"]["assign"] == ["0000:01:00.0", "0000:01:00.1", "0000:01:00.2"] and
          w["passthrough"]["stay_with_host"] == ["0000:00:01.0"],
          f"hand-built: pass-through {w['passthrough']}")
    check(w["degraded"] and w["narrowest"]["address"] == "0000:01:00.1" and
          abs(w["narrowest"]["gbps"] - 16 * 8 * 128 / 130 / 8) < 1e-9,
          f"hand-built: Gen4 x8 of x16, degraded: {w['narrowest']}")
    check([m["driver"] for m in w["iommu_members"]] == [None, None, "vfio-pci", None],
          f"hand-built: drivers {w['iommu_members']}")
    check(w["passthrough"]["libvirt"][1] ==
          "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
          "bus='0x01' slot='0x00' function='0x1'/></source></hostdev>",
          f"hand-built: libvirt hostdev {w['passthrough']['libvirt']}")
w2, p = where(["--sysroot", d], "0000:00:02.0")
check(w2 is not None and w2["iommu_group"] is None and w2["iommu_members"] == [] and
      w2["passthrough"]["assign"] == ["0000:00:02.0"], f"hand-built: no group: {w2}")
t = run(HVKIT, "topo", "where", "0000:00:02.0", "--sysroot", d)
check("IOMMU group: none" in t.stdout, f"hand-built text: {t.stdout}")
t = run(HVKIT, "topo", "where", "01:00.2", "--sysroot", d)
check("IOMMU group: 7, 4 devices" in t.stdout and "bridge: stays with the host" in t.stdout
      and "DEGRADED" in t.stdout, f"hand-built text: {t.stdout}")
# a capture of the tree records what where reads
cap = os.path.join(tmp, "cap.tar.gz")
c = run(HVKIT, "topo", "capture", "--sysroot", d, "-o", cap)
check(c.returncode == 0, f"capture: {c.stderr}")
for what in ("01:00.1", "0000:00:02.0", "node0"):
    a, _ = where(["--sysroot", d], what)
    b, pb = where(["--from", cap], what)
    check(a is not None and a == b, f"capture: where {what} differs: {a} vs {b} {pb.stderr}")

# 4. errors and names
def err(args_, code, start):
    p = run(HVKIT, "topo", "where", *args_)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code and not p.stdout and len(lines) == 1 and
          lines[0].startswith(start),
          f"where {args_}: exit {p.returncode}, stdout {p.stdout!r}, stderr {p.stderr!r}")
    return p.stderr


s = err(["eth9", "--sysroot", d], 1, "hvkit: error: no device 'eth9'; known: ")
check("node0" in s, f"the known names: {s}")
err(["node9", "--sysroot", d], 1, "hvkit: error: no NUMA node 9; known: node0")
err(["0000:09:00.0", "--sysroot", d], 1, "hvkit: error: no PCI device '0000:09:00.0'; known: 0000:00")
err(["--sysroot", d], 2, "hvkit: error: where needs one")
err(["eth0", "eth1", "--sysroot", d], 2, "hvkit: error: where needs one")
err(["node0", "--sysroot", d, "-o", os.path.join(tmp, "x.svg")], 2, "hvkit: error: where writes text or JSON")
for what in ("pci=0000:01:00.1", "1:0.1", "0000:01:00.1", "NUMA:0", "node:0", "numa0"):
    p = run(HVKIT, "topo", "where", what, "--sysroot", d, "--json")
    check(p.returncode == 0, f"where {what}: {p.stderr}")
# the same bus:dev.fn in two domains needs the domain
for dom in ("0000", "0001"):
    p_ = f"/sys/devices/pci{dom}:05/{dom}:05:00.0"
    gensysfs.write_bytes(d, p_ + "/config", cfg(0x8086, 0x2000, 0x020000))
    gensysfs.link(d, f"/sys/bus/pci/devices/{dom}:05:00.0", p_)
err(["05:00.0", "--sysroot", d], 2, "hvkit: error: '05:00.0' is in more than one PCI domain")

print(f"where vs hwloc-calc: snapshots {snap[1]}/{snap[0]} devices agree; "
      f"all {stats['agree']}/{stats['devices']}; rule domain32 applied "
      f"to {stats['rule']}")
# every OS device and PCI function lstopo --whole-io names, hvkit names
check(not stats["hwloc_only"], f"known to hwloc only ({len(stats['hwloc_only'])}): "
      + ", ".join(sorted(stats["hwloc_only"])[:12]) + (" ..." if len(stats["hwloc_only"]) > 12 else ""))
if stats["hvkit_only"]:
    print(f"  known to hvkit only ({len(stats['hvkit_only'])}, not compared): "
          + ", ".join(sorted(stats["hvkit_only"])[:12]))
check(snap[0] >= 50, f"the snapshots gave only {snap[0]} devices to compare")
if args.seed is None:
    shutil.rmtree(tmp, ignore_errors=True)
done()
