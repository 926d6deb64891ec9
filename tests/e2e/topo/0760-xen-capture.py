#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A capture made in the dom0 of a real Xen 4.17 (tests/xen/, 2 sockets, 2
NUMA nodes, dom0 on 2 vCPUs) read back here: the machine shown is the one
`xl info -n` reported in the same run, not dom0's vCPUs, and dom0's vCPUs
are where `xl vcpu-list` put them."""
import os
import re

from lib import DATA, check, done, objects, topo_json

base = os.path.join(DATA, "captures", "xen-dom0-2s2n")
j = topo_json("--from", base + ".tar.gz")
info = open(base + ".xl-info-n.txt").read()

# cpu_topology: "cpu:    core    socket     node" rows
rows = [tuple(int(x) for x in m.groups())
        for m in re.finditer(r"^\s*(\d+):\s+(\d+)\s+(\d+)\s+(\d+)\s*$", info.split("numa_info")[0], re.M)]
check(len(rows) == int(re.search(r"^nr_cpus\s*:\s*(\d+)", info, re.M).group(1)), "xl info -n rows = nr_cpus")
check(len(objects(j, "pu")) == len(rows), f"{len(objects(j, 'pu'))} PUs, xl info -n has {len(rows)} CPUs")
check(len(objects(j, "package")) == len({r[2] for r in rows}), "one package per socket")
check(len(objects(j, "core")) == len({(r[2], r[1]) for r in rows}), "one core per (socket, core)")
nodes = {n["os_index"]: n for n in objects(j, "numa_node")}
def expand(cpuset):
    out = set()
    for rng in filter(None, cpuset.split(",")):
        a, _, b = rng.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


for cpu, core, sock, node in rows:
    check(cpu in expand(nodes.get(node, {}).get("cpuset", "")), f"CPU {cpu} in node {node}")
numa = [tuple(m.groups()) for m in re.finditer(r"^\s*(\d+):\s+(\d+)\s+(\d+)\s+([\d,]+)\s*$", info.split("numa_info")[1], re.M)]
check(len(nodes) == len(numa), f"{len(nodes)} NUMA nodes, xl info -n has {len(numa)}")
for node, memsize, memfree, dists in numa:
    n = nodes.get(int(node), {})
    # xl prints MiB, rounded down
    check(n.get("memory_bytes", 0) >> 20 == int(memsize), f"node {node}: {n.get('memory_bytes', 0) >> 20} MiB, xl says {memsize}")
    check(n.get("distances") == [int(x) for x in dists.split(",")], f"node {node} distances")
check(j["distance_source"] == "xen", "distances from Xen")

# dom0's vCPUs against xl vcpu-list (same run)
vl = [l.split() for l in open(base + ".xl-vcpu-list.txt").read().splitlines()[1:] if l.strip()]
dom0 = [d for d in j["xen"]["domains"] if d["domid"] == 0]
check(len(dom0) == 1 and dom0[0]["name"] == "Domain-0", "Domain-0 is listed")
if dom0:
    ours = {v["vcpu"]: v for v in dom0[0]["vcpus"]}
    xl0 = [r for r in vl if r[0] == "Domain-0"]
    check(len(ours) == len(xl0), f"dom0 has {len(ours)} vCPUs, xl vcpu-list {len(xl0)}")
    ncpu = len(rows)
    for r in xl0:
        v = ours.get(int(r[2]), {})
        hard = r[6]
        check(hard != "all" or v.get("hard_affinity") == f"0-{ncpu - 1}", f"vCPU {r[2]}: hard affinity {v.get('hard_affinity')}, xl says {hard}")
# dom0 itself would have shown 2 vCPUs: the capture holds its sysfs too
check(len(objects(j, "pu")) != 2, "not dom0's 2 vCPUs")
done()
