#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit topo check` and `hvkit topo diff` on real data: PCIe bandwidth of
every link in every pciutils dump against the arithmetic done here from
`lspci -F FILE -vv` (LnkCap/LnkSta), the findings those dumps call for, the
Dell snapshot's DIMMs (8 of 24, balanced), the H200 VM capture, CPU errata
from real /proc/cpuinfo, exit statuses for --fail-on, and diff."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from lib import DATA, check, done, hvkit, need, objects, topo_json

need("lspci", "pciutils")
PCI = os.path.join(DATA, "pciutils")
HWLOC = os.path.join(DATA, "hwloc")


def gbps(gts, width):
    """GB/s per direction: 8b/10b below 8 GT/s, 128b/130b to 32, 1b/1b at 64."""
    eff = 0.8 if gts < 8 else (128 / 130 if gts < 64 else 1.0)
    return gts * width * eff / 8


def lspci_links(path):
    """{address: (cap_gts, cap_w, sta_gts, sta_w)} from lspci -D -F -vv."""
    out = subprocess.run(["lspci", "-D", "-F", path, "-vv"], capture_output=True,
                         text=True).stdout
    links, addr = {}, None
    cap = None
    for line in out.splitlines():
        if line and not line[0].isspace():
            addr = line.split()[0]
            cap = None
            continue
        m = re.search(r"(LnkCap|LnkSta):\s+(?:Port #\d+, )?Speed ([\d.]+)GT/s[^,]*, Width x(\d+)", line)
        if not m:
            continue
        if m.group(1) == "LnkCap":
            cap = (float(m.group(2)), int(m.group(3)))
        elif cap:
            links[addr] = cap + (float(m.group(2)), int(m.group(3)))
    return links


def check_json(*args):
    p = hvkit("topo", "check", "--json", "--fail-on", "none", *args, ok=False)
    check(p.returncode == 0, f"check {args}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def kinds(j, kind):
    return [f for f in j["findings"] if f["kind"] == kind]


# -- PCIe bandwidth: every link, every dump --------------------------------
nlinks = 0
for name in sorted(os.listdir(PCI)):
    path = os.path.join(PCI, name)
    if name.endswith(".md"):
        continue
    want = lspci_links(path)
    j = check_json("--from", path)
    got = {l["object"]: l for l in j["links"]}
    check(set(want) == set(got), f"{name}: links {sorted(got)} != lspci {sorted(want)}")
    for addr, (cg, cw, sg, sw) in want.items():
        l = got.get(addr)
        if not l:
            continue
        nlinks += 1
        check((l["cap"]["speed_gts"], l["cap"]["width"], l["sta"]["speed_gts"], l["sta"]["width"])
              == (cg, cw, sg, sw), f"{name} {addr}: link {l} != lspci {(cg, cw, sg, sw)}")
        check(abs(l["cap"]["gbps"] - gbps(cg, cw)) < 1e-9, f"{name} {addr}: cap {l['cap']['gbps']} GB/s, expected {gbps(cg, cw)}")
        check(abs(l["sta"]["gbps"] - gbps(sg, sw)) < 1e-9, f"{name} {addr}: sta {l['sta']['gbps']} GB/s, expected {gbps(sg, sw)}")
    # every degraded finding carries the same arithmetic
    for f in kinds(j, "pcie_link_degraded"):
        cg, cw, sg, sw = want[f["object"]]
        check(abs(f["sta_gbps"] - gbps(sg, sw)) < 1e-9, f"{name}: finding {f}")
        check(f"{gbps(sg, sw):.1f} of" in f["message"], f"{name}: message {f['message']!r}")
check(nlinks >= 20, f"only {nlinks} links compared")

j = check_json("--from", os.path.join(PCI, "cap-phy32"))
f = kinds(j, "pcie_link_degraded")
check(len(f) == 1 and f[0]["object"] == "0000:2e:00.0" and f[0]["severity"] == "warning"
      and "Gen5 x2 running at Gen4 x2: 3.9 of 7.9 GB/s" in f[0]["message"],
      f"cap-phy32: the downgraded 32 GT/s link: {f}")
j = check_json("--from", os.path.join(PCI, "cap-pcie-1"))
check([x["object"] for x in kinds(j, "pcie_link_degraded")] == ["0000:00:01.0"],
      "cap-pcie-1: root port at 2.5 of 5 GT/s")
j = check_json("--from", os.path.join(PCI, "cap-flitmode"))
l = j["links"][0]
check(l["flit"] and abs(l["sta"]["gbps"] - gbps(8, 4)) < 1e-9 and not j["findings"],
      f"cap-flitmode: FLIT at 8 GT/s keeps 128b/130b: {l}")
j = check_json("--from", os.path.join(PCI, "tree-asus-p6t6"))
# the GT218 (Gen1 x16) below a Gen2 root port running Gen1 is no finding
check("0000:06:00.0" not in [x["object"] for x in j["findings"]], "tree-asus: GT218 link is as good as both ends allow")
check(not kinds(j, "pcie_switch_oversubscribed"), "tree-asus: NF200 switch not oversubscribed")

# text: same numbers, severity first
p = hvkit("topo", "check", "--from", os.path.join(PCI, "cap-phy32"))
check(p.stdout.startswith("warning  0000:2e:00.0: Gen5 x2 running at Gen4 x2: 3.9 of 7.9 GB/s"),
      f"text output: {p.stdout!r}")

# -- exit statuses ---------------------------------------------------------
phy32 = os.path.join(PCI, "cap-phy32")
for args, rc in ((["--from", phy32], 0), (["--from", phy32, "--fail-on", "error"], 0),
                 (["--from", phy32, "--fail-on", "warning"], 1),
                 (["--from", phy32, "--fail-on", "info"], 1),
                 (["--from", phy32, "--fail-on", "none"], 0),
                 (["--from", os.path.join(PCI, "cap-aer-root"), "--fail-on", "info"], 0),
                 (["--from", phy32, "--fail-on", "fatal"], 2),
                 (["--from", phy32, "extra"], 2)):
    p = hvkit("topo", "check", *args, ok=False)
    check(p.returncode == rc, f"check {args}: exit {p.returncode}, expected {rc}")
p = hvkit("topo", "--fail-on", "info", "--from", phy32, ok=False)
check(p.returncode == 2, "--fail-on without check: usage error")
with tempfile.TemporaryDirectory() as d:
    p = hvkit("topo", "check", "--from", os.path.join(d, "missing"), ok=False)
    check(p.returncode == 1 and "missing" in p.stderr, "check of a missing input: exit 1 naming it")

# -- memory: the Dell DCS8000Z, 8 of 24 slots ------------------------------
dell = os.path.join(HWLOC, "32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
mods = objects(topo_json("--from", dell), "memory_module")
check(len(mods) == 24 and sum(1 for m in mods if m.get("size_bytes")) == 8,
      f"Dell: 24 slots, 8 populated ({len(mods)})")
j = check_json("--from", dell)
check(not [f for f in j["findings"] if f["kind"].startswith("memory_")],
      f"Dell: 4 + 4 identical ECC DIMMs is balanced: {j['findings']}")
check(hvkit("topo", "check", "--from", dell, "--fail-on", "info", ok=False).returncode == 0,
      "Dell: no findings at all")

# -- the H200 VM -----------------------------------------------------------
j = check_json("--from", os.path.join(DATA, "captures", "h200-vm.tar.gz"))
gpu = [l for l in j["links"] if l["object"] == "0000:00:06.0"]
check(gpu and gpu[0]["cap"]["speed_gts"] == 32 and gpu[0]["cap"]["width"] == 16 and
      abs(gpu[0]["cap"]["gbps"] - gbps(32, 16)) < 1e-9, f"H200: Gen5 x16 = 63.0 GB/s: {gpu}")
v = kinds(j, "cpu_vulnerable_partly")
check([x["object"] for x in v] == ["spectre_v2"] and "BHI: Vulnerable" in v[0]["message"],
      f"H200: spectre_v2 mitigated but BHI vulnerable: {v}")
check(not kinds(j, "cpu_vulnerable"), "H200: nothing fully vulnerable")

# -- CPUs: vulnerabilities, errata from real /proc/cpuinfo -----------------
j = check_json("--from", os.path.join(HWLOC, "fakeheteromemtiers.tar.bz2"))
check(sorted(x["object"] for x in kinds(j, "cpu_vulnerable")) == ["mds", "spec_store_bypass"],
      "fakeheteromemtiers: the two 'Vulnerable' states")
for snap, erratum in (("16amd64-4n4c-cgroup-distance-merge", "AMD erratum 383"),
                      ("48amd64-4pa2n6c-sparse", "AMD erratum 383"),
                      ("32intel64-2p8co2t+8ve", "Intel erratum SKX102")):
    e = kinds(check_json("--from", os.path.join(HWLOC, snap + ".tar.bz2")), "cpu_erratum")
    check(len(e) == 1 and erratum in e[0]["message"] and e[0].get("citation"),
          f"{snap}: {erratum} with a citation: {e}")
e = kinds(check_json("--from", os.path.join(HWLOC, "memorysidecaches.tar.bz2")), "cpu_erratum")
check(not e, "Cascade Lake (stepping 7) is not SKX102's Skylake-SP")

# -- placement: asymmetric distances in a real sysfs -----------------------
j = check_json("--from", os.path.join(HWLOC, "fakeheterocpunuma.tar.bz2"))
a = kinds(j, "numa_distance_asymmetric")
check(sorted(x["object"] for x in a) == ["nodes 0-5", "nodes 1-5", "nodes 2-3", "nodes 2-4"],
      f"fakeheterocpunuma: asymmetric pairs {[x['object'] for x in a]}")

# -- buggy NUMA: the same memory listed in every node -----------------------
import sys  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gensysfs  # noqa: E402
with tempfile.TemporaryDirectory() as d:
    shape = gensysfs.gen(11, d)     # seed 11: nodes of identical CPUs and memory
    check(shape["lie"] == "identical", f"gensysfs seed 11 is no longer the identical-nodes lie: {shape}")
    j = check_json("--sysroot", d)
    b = kinds(j, "numa_buggy")
    check(len(b) == 1 and "list the same CPUs" in b[0]["message"],
          f"buggy NUMA: expected one numa_buggy finding naming the lie, got {b}")
    t = topo_json("--sysroot", d)
    check(len(objects(t, "numa_node")) == 1, "buggy NUMA: shown as one node")
# a node with neither CPUs nor memory: left out, and check names it
with tempfile.TemporaryDirectory() as d:
    shape = gensysfs.gen(3, d)      # seed 3: CPU-less nodes, the last one empty
    check(shape["cpuless"][-1] == ("empty",), f"gensysfs seed 3 no longer has an empty node: {shape}")
    empty = len(shape["cpuless"])   # nodes: 1 with CPUs, then the CPU-less ones
    b = kinds(check_json("--sysroot", d), "numa_node_dropped")
    check(len(b) == 1 and f"NUMA node {empty} has no CPUs and no memory" in b[0]["message"]
          and b[0]["object"] == f"node {empty}",
          f"empty node: expected one numa_node_dropped finding naming node {empty}, got {b}")
    nodes = sorted(n["os_index"] for n in objects(topo_json("--sysroot", d), "numa_node"))
    check(nodes == list(range(empty)), f"empty node: nodes shown {nodes}")

# -- damaged node files (hvkit-topo(1), NUMA): a list that does not parse
# falls back to the mask, a directory node/online does not list is not a
# node, and memory that cannot be read is unknown, not "no memory".
def numa_nodes(d):
    return {n["os_index"]: (n["cpuset"], n.get("memory_bytes"))
            for n in objects(topo_json("--sysroot", d), "numa_node")}


with tempfile.TemporaryDirectory() as d:
    shape = gensysfs.gen(2, d)      # seed 2: one package split into nodes
    nd = os.path.join(d, "sys/devices/system/node")
    good = numa_nodes(d)
    check(shape["lie"] is None and len([c for c, m in good.values() if c]) >= 2,
          f"gensysfs seed 2 no longer has two nodes with CPUs: {shape} {good}")
    with open(os.path.join(nd, "node1/cpulist"), "w") as f:
        f.write("garbage\n")
    check(numa_nodes(d) == good, f"node1 cpulist 'garbage', cpumap good: {numa_nodes(d)} != {good}")
    check(not kinds(check_json("--sysroot", d), "numa_node_dropped"), "bad cpulist: no node dropped")
    os.remove(os.path.join(nd, "node1/cpulist"))
    shutil.copytree(os.path.join(nd, "node1"), os.path.join(nd, "node01"))
    shutil.copytree(os.path.join(nd, "node1"), os.path.join(nd, "node9"))   # not in node/online
    p = hvkit("topo", "--sysroot", d, "--json", ok=False)
    got = {n["os_index"]: (n["cpuset"], n.get("memory_bytes"))
           for n in objects(json.loads(p.stdout), "numa_node")} if p.returncode == 0 else None
    check(got == good, f"stray node01 and node9: nodes {got} != {good}")
    w = [x for x in p.stderr.splitlines() if "node01" in x]
    check(len(w) == 1 and "buggy" not in p.stderr, f"stray node dirs: one warning naming node01: {p.stderr!r}")
    check(not kinds(check_json("--sysroot", d), "numa_buggy"), "stray node dirs: not buggy NUMA")
    for bad in ("", "Node 1 MemTotal: -5 kB\n", "Node 1 MemTotal: 99999999999999999999 kB\n"):
        with open(os.path.join(nd, "node1/meminfo"), "w") as f:
            f.write(bad)
        p = hvkit("topo", "--sysroot", d, ok=False)
        check(p.returncode == 0 and "node1/meminfo" in p.stderr,
              f"meminfo {bad!r}: a warning naming the file: {p.stderr!r}")
        check(not kinds(check_json("--sysroot", d), "numa_no_memory"),
              f"meminfo {bad!r}: no numa_no_memory on a value that could not be read")

# -- diff ------------------------------------------------------------------
h200 = os.path.join(DATA, "captures", "h200-vm.tar.gz")
p = hvkit("topo", "diff", h200, h200, ok=False)
check(p.returncode == 0 and p.stdout == "no differences\n", f"diff A A: exit {p.returncode}")
tree, pcie1 = os.path.join(PCI, "tree-asus-p6t6"), os.path.join(PCI, "cap-pcie-1")
p = hvkit("topo", "diff", "--json", tree, pcie1, ok=False)
check(p.returncode == 1, f"diff of two machines: exit {p.returncode}")
d = json.loads(p.stdout)["differences"]
removed = {x["object"] for x in d if x["kind"] == "pci_device_removed"}
check({"0000:00:03.0", "0000:03:02.0", "0000:00:1f.3"} <= removed and "0000:00:01.0" not in removed,
      "diff: the P6T6 devices cap-pcie-1 lacks are gone, 00:01.0 stays")
ch = [x for x in d if x["kind"] == "pcie_link_changed"]
check(len(ch) == 1 and ch[0]["object"] == "0000:00:01.0" and ch[0]["after_gbps"] == gbps(2.5, 4),
      f"diff: 00:01.0 link x0 -> x4: {ch}")
p = hvkit("topo", "diff", "--from", tree, "--from", pcie1, ok=False)
check(p.returncode == 1 and "[pci_device_removed]" in p.stdout, "diff --from A --from B")
with tempfile.TemporaryDirectory() as tmp:
    p = hvkit("topo", "diff", h200, os.path.join(tmp, "gone.tar.gz"), ok=False)
    check(p.returncode == 2 and "gone.tar.gz" in p.stderr, f"diff with a missing input: exit {p.returncode}")
p = hvkit("topo", "diff", h200, ok=False)
check(p.returncode == 2, "diff with one input: usage")
done()
