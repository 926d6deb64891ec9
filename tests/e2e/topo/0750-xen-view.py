#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Xen's physical view read back from a capture.  In dom0, hvkit asks libxl
and stores its answers under hvkit/xen/ in the capture; this test builds
such a capture by hand (a dom0 with 2 vCPUs on a 2-socket, 2-node, 4-CPU
machine; the files as xen-libxl.c writes them) and checks that the machine,
not dom0's vCPUs, is shown, with the domains placed on it.  The same path
on a real hypervisor is exercised by tests/xen/ (make check-xen)."""
import io
import os
import tarfile
import tempfile

from lib import check, done, hvkit, objects, topo_json

FILES = {
    # dom0's own view: 2 vCPUs, which must NOT become the topology
    "sys/devices/system/cpu/cpu0/topology/physical_package_id": "0\n",
    "sys/devices/system/cpu/cpu0/topology/core_id": "0\n",
    "sys/devices/system/cpu/cpu1/topology/physical_package_id": "0\n",
    "sys/devices/system/cpu/cpu1/topology/core_id": "1\n",
    "proc/xen/capabilities": "control_d\n",
    "proc/cpuinfo": "processor\t: 0\nmodel name\t: QEMU TCG CPU version 2.5+\n",
    # libxl's answers
    "hvkit/xen/cputopo": "0\t0\t0\t0\n1\t0\t1\t0\n2\t1\t0\t1\n3\t1\t1\t1\n",
    "hvkit/xen/numainfo": "0\t1073741824\t536870912\t10,20\n1\t1073741824\t805306368\t20,10\n",
    "hvkit/xen/pcitopo": "0000:00:03.0\t1\n",
    "hvkit/xen/domains": "0\tDomain-0\t1073741824\t1073741824\t0-1\n"
                         "3\tweb1\t268435456\t268435456\t1\n",
    "hvkit/xen/vcpus": "0\t0\t0\t1\t1\t0-3\t0-3\n0\t1\t1\t1\t0\t0-3\t0-3\n"
                       "3\t0\t3\t1\t1\t2-3\t0-3\n3\t1\t-\t0\t0\t2-3\t0-3\n",
    "hvkit/xen/pci": "3\t0000:00:04.0\n",
}

with tempfile.TemporaryDirectory() as d:
    arc = os.path.join(d, "dom0.tar.gz")
    with tarfile.open(arc, "w:gz") as t:
        for name, text in FILES.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    j = topo_json("--from", arc)
    text = hvkit("topo", "--from", arc, "-v").stdout

check(len(objects(j, "pu")) == 4, f"{len(objects(j, 'pu'))} PUs: the machine has 4, dom0 sees 2")
check(len(objects(j, "package")) == 2, "2 sockets")
nodes = {n["os_index"]: n for n in objects(j, "numa_node")}
check(sorted(nodes) == [0, 1], f"NUMA nodes {sorted(nodes)}")
check(nodes.get(1, {}).get("cpuset") == "2-3", "node 1 holds CPUs 2-3")
check(nodes.get(0, {}).get("memory_bytes") == 1 << 30, "node 0 has 1 GiB")
check(j["distances"] == [[10, 20], [20, 10]] and j["distance_source"] == "xen", "distances from Xen")
check("xen" in j["sources"], "sources name xen")
doms = {d["name"]: d for d in j["xen"]["domains"]}
check(sorted(doms) == ["Domain-0", "web1"], f"domains {sorted(doms)}")
web = doms.get("web1", {})
check([v["cpu"] for v in web.get("vcpus", [])] == [3, -1], "web1's vCPU 0 on PU 3, vCPU 1 offline")
check(web.get("pci") == ["0000:00:04.0"], "web1 owns 0000:00:04.0")
check(web.get("node_affinity") == "1", "web1's memory on node 1")
check("web1 (domid 3): 1 of 2 vCPUs online, on PU 3" in text, "text view names web1's placement")
check("vCPU 1: offline" in text, "-v lists each vCPU")
done()
