#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""This machine, live: assertions that hold on any Linux host.  The PU
count equals nproc, the PCI addresses equal lspci -D's, and a capture read
back with --from gives the same JSON as the live run."""
import json
import os
import subprocess
import tempfile

from lib import check, done, hvkit, need, objects, topo_json

if not os.path.isdir("/sys/devices/system/cpu"):
    from lib import skip
    skip("no /sys/devices/system/cpu: not a Linux host with sysfs")

live = topo_json()
nproc = int(subprocess.run(["nproc", "--all"], capture_output=True, text=True, check=True).stdout)
pus = objects(live, "pu")
check(len(pus) == nproc, f"{len(pus)} PUs, nproc --all says {nproc}")
check(len(objects(live, "numa_node")) >= 1, "at least one NUMA node")
check(sum(n["memory_bytes"] for n in objects(live, "numa_node")) > 0, "NUMA nodes hold memory")

if os.path.isdir("/sys/bus/pci/devices") and os.listdir("/sys/bus/pci/devices"):
    need("lspci", "pciutils")
    lspci = sorted(l.split()[0] for l in subprocess.run(
        ["lspci", "-D"], capture_output=True, text=True, check=True).stdout.splitlines())
    ours = sorted(o["address"] for o in objects(live, "pci_device") + objects(live, "pci_bridge")
                  if not o.get("host_bridge"))
    check(ours == lspci, f"PCI addresses differ from lspci -D: {set(ours) ^ set(lspci)}")

with tempfile.TemporaryDirectory() as d:
    arc = os.path.join(d, "host.tar.gz")
    p = hvkit("topo", "capture", "-o", arc)
    check(os.path.getsize(arc) > 0, "capture wrote an archive")
    check(not [f for f in os.listdir(d) if ".tmp." in f], "no temporary file left behind")
    back = topo_json("--from", arc)
    for key in ("topology", "distances", "distance_nodes", "distance_source", "acpi",
                "vulnerabilities", "microcode"):
        check(back[key] == live[key], f"capture read back differs from live in '{key}'")
    # Nothing from /proc of other processes, no serial numbers.
    names = subprocess.run(["tar", "tzf", arc], capture_output=True, text=True, check=True).stdout.split()
    check(not [n for n in names if n.startswith("proc/") and n.split("/")[1].isdigit()],
          "capture holds /proc/<pid> files")
    check(not [n for n in names if "serial" in n or "uuid" in n], "capture holds serial numbers")
    check("hvkit/capture-info" in names, "capture records what wrote it")
done()
