#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""NUMA inputs that contradict themselves or say nothing, each class drawn
by gensysfs (shape["extra"]; 0110 compares their structure with lstopo):
for the first seeds of each class, hvkit places the nodes sanely, says
what it did in one warning naming the file, node, object or CPUs, and
its JSON names no device it does not show.  A failure prints the seed
(replay: gensysfs.py SEED DIR; hvkit topo --sysroot DIR --json)."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import HVKIT, check, done, walk  # noqa: E402
import gensysfs  # noqa: E402
import structure  # noqa: E402

PER_CLASS = 2
WANT = {"memtier", "gpu-twin", "gpu-cpu-node", "partial-span", "zero-dist",
        "bad-initiators", "cluster-cross-die", "absent-cpus"}


def parent_map(j):
    par = {}
    for o in walk(j["topology"]):
        for c in o["children"]:
            par[id(c)] = o
    return par


def cs(o):
    return structure.parse_list(o.get("cpuset", ""))


def judge(cls, seed, j, err, root):
    where = f"seed {seed} ({cls})"
    par = parent_map(j)
    nodes = [o for o in walk(j["topology"]) if o["type"] == "numa_node"]
    pcis = {o.get("address") for o in walk(j["topology"]) if o["type"] in ("pci_device", "pci_bridge")}
    # every class: a node's CPUs are inside its parent's, and pci_device
    # names a device of the tree
    for n in nodes:
        check(cs(n) <= cs(par[id(n)]) or par[id(n)]["type"] == "machine",
              f"{where}: node {n['os_index']}'s CPUs are not inside its parent's")
        check(n.get("pci_device") in (None, *pcis),
              f"{where}: node {n['os_index']} names GPU {n.get('pci_device')}, not in the tree")
        if "pci_device" not in n and n.get("kind") == "GPU":
            check("its pci_device is left out" in err,
                  f"{where}: GPU node {n['os_index']} lost its pci_device without a warning")
    if cls == "cluster-cross-die":
        m = re.search(r"the cluster of CPUs (\S+) crosses the die of CPUs (\S+) .*leaving the cluster out", err)
        check(m, f"{where}: no warning naming the crossing cluster and die: {err}")
        dies = [cs(o) for o in walk(j["topology"]) if o["type"] == "die"]
        for c in (o for o in walk(j["topology"]) if o["type"] == "cluster"):
            check(all(cs(c) <= d or not (cs(c) & d) for d in dies),
                  f"{where}: cluster {c['cpuset']} crosses a die")
    elif cls == "partial-span":
        check(re.search(r"NUMA node \d+: its locality, CPUs \S+, takes part of the \w+ of CPUs \S+ "
                        r"and not all of it; it hangs from the \w+ of CPUs \S+", err),
              f"{where}: no warning for a node across part of a package: {err}")
    elif cls == "zero-dist":
        # (buggy NUMA information shows one node and no matrix at all)
        check(("every distance is 0" in err or "buggy NUMA" in err) and not j["distances"],
              f"{where}: an all-zero matrix is shown or not warned about: {j['distances']} {err}")
    elif cls == "bad-initiators":
        check(re.search(r"/access\d/initiators/node(\d+): a node is not its own initiator", err) and
              re.search(r"/access\d/initiators/node\d+: no such NUMA node here", err),
              f"{where}: initiators naming the node itself or no node are not warned about: {err}")
    elif cls == "gpu-twin":
        m = re.search(r"gpus/(\S+)/numa_status names node (\d+), as (\S+)'s does: showing it as \3's memory", err)
        check(m, f"{where}: two GPUs naming one node are not warned about: {err}")
        if m:
            n = next(n for n in nodes if n["os_index"] == int(m.group(2)))
            check(n.get("kind") == "GPU", f"{where}: node {n['os_index']} is {n.get('kind')}, not GPU")
    elif cls == "gpu-cpu-node":
        m = re.search(r"numa_status names node (\d+), which has CPUs (\S+): keeping it as their memory", err)
        check(m, f"{where}: a GPU naming a node with CPUs is not warned about: {err}")
        if m:
            n = next(n for n in nodes if n["os_index"] == int(m.group(1)))
            check(n.get("kind") != "GPU" and cs(n) == structure.parse_list(m.group(2)),
                  f"{where}: node {n['os_index']} was taken from its CPUs: {n}")
    elif cls == "absent-cpus":
        check(re.search(r"/node0: the node lists CPUs \S+, which this machine does not have", err) or
              "buggy NUMA" in err,
              f"{where}: a node listing CPUs the machine lacks is not warned about: {err}")
        n0 = [n for n in nodes if n["os_index"] == 0]
        check(all(cs(n) <= structure.parse_list(j["topology"]["cpuset"]) for n in n0),
              f"{where}: node 0 keeps CPUs the machine lacks")
    elif cls == "memtier":
        # kinds follow lstopo's subtypes (0110); here: HBM only beside DRAM
        kinds = collections.Counter(n.get("kind") for n in nodes)
        check(not kinds["HBM"] or kinds["DRAM"], f"{where}: HBM without DRAM: {kinds}")


found = collections.Counter()
tmpbase = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
for seed in range(1, 3000):
    if all(found[c] >= PER_CLASS for c in WANT):
        break
    d = tempfile.mkdtemp(prefix=f"hvkit-classes-{seed}-", dir=tmpbase)
    try:
        shape = gensysfs.gen(seed, d)
        todo = [c for c in shape["extra"] if c in WANT and found[c] < PER_CLASS]
        if not todo:
            continue
        p = subprocess.run([HVKIT, "topo", "--sysroot", d, "--json"], capture_output=True, text=True)
        if not check(p.returncode == 0, f"seed {seed}: exit {p.returncode}: {p.stderr}"):
            continue
        for line in p.stderr.splitlines():
            check(line.startswith("hvkit: warning: " + d), f"seed {seed}: warning not naming the tree: {line}")
        for c in todo:
            judge(c, seed, json.loads(p.stdout), p.stderr, d)
            found[c] += 1
    finally:
        shutil.rmtree(d, ignore_errors=True)
for c in sorted(WANT):
    check(found[c] >= PER_CLASS, f"gensysfs made {found[c]} trees of class {c} in 3000 seeds")
print("classes judged: " + ", ".join(f"{c} x{found[c]}" for c in sorted(WANT)))
done()
