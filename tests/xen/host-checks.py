#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks made on the host from what dom0-tests.sh left in the run's out/.

Prints unnumbered TAP lines ("ok - ...", "not ok - ...", "# ...") that
run.sh numbers after dom0's own.
    host-checks.py OUT_DIR HVKIT
"""
import collections
import json
import re
import subprocess
import sys

out, hvkit = sys.argv[1], sys.argv[2]


def tap(ok, desc, directive=""):
    print(("ok" if ok else "not ok") + " - " + desc + (" # " + directive if directive else ""))


def diag(text):
    for line in str(text).splitlines() or [""]:
        print("# " + line)


def counts(doc):
    c = collections.Counter()

    def walk(n):
        c[n.get("type")] += 1
        for k in n.get("children", []):
            walk(k)

    walk(doc["topology"])
    return c


def xl_info_n(path):
    """nr_cpus, sockets, nr_nodes from `xl info -n`."""
    text = open(path, errors="replace").read()
    field = lambda k: int(re.search(r"^%s\s*:\s*(\d+)" % k, text, re.M).group(1))
    topo = text.split("cpu_topology", 1)[1].split("device topology", 1)[0]
    sockets = {m.group(2) for m in re.finditer(r"^\s*\d+:\s+(\d+)\s+(\d+)\s+(\d+)", topo, re.M)}
    return field("nr_cpus"), len(sockets), field("nr_nodes")


def load(path):
    with open(path) as f:
        return json.load(f)


# hvkit topo --json from dom0 parses, and what it shows against xl info -n
try:
    dom0 = load(out + "/topo-dom0.json")
    c = counts(dom0)
    tap(dom0.get("format") == "hvkit-topo", "hvkit topo --json output from dom0 parses")
except (OSError, ValueError, KeyError) as e:
    dom0 = None
    tap(False, "hvkit topo --json output from dom0 parses")
    diag(e)

try:
    xcpus, xsockets, xnodes = xl_info_n(out + "/xl-info-n.txt")
except (OSError, AttributeError, IndexError, ValueError) as e:
    xcpus = None
    diag("cannot read xl info -n: %s" % e)
if dom0 is not None and xcpus is not None:
    mine = (c["pu"], c["package"], c["numa_node"])
    diag("hvkit topo in dom0: %d PUs, %d packages, %d NUMA nodes; xl info -n: %d CPUs, %d sockets, %d NUMA nodes"
         % (mine + (xcpus, xsockets, xnodes)))
    desc = "hvkit topo in dom0 shows Xen's physical topology (xl info -n), not dom0's vCPUs"
    if mine == (xcpus, xsockets, xnodes):
        tap(True, desc)
    else:
        tap(False, desc, "TODO libxl topology")
else:
    tap(False, "hvkit topo in dom0 shows Xen's physical topology (xl info -n), not dom0's vCPUs")

# the capture made in dom0 reads back on the host, as dom0 saw itself
cap = out + "/capture.tar.gz"
r = subprocess.run([hvkit, "topo", "--from", cap, "--json"], capture_output=True, text=True)
desc = "the dom0 capture is read on the host by hvkit topo --from"
if r.returncode != 0:
    tap(False, desc)
    diag(r.stderr.strip()[-2000:])
else:
    try:
        back = json.loads(r.stdout)
        # PCI names come from the pci.ids of the machine that reads:
        # dom0's initramfs has none, so they are left out of the comparison.
        def unnamed(o):
            o = {k: v for k, v in o.items() if k not in ("vendor", "device", "class_name")}
            o["children"] = [unnamed(c) for c in o.get("children", [])]
            return o
        same = dom0 is not None and unnamed(back["topology"]) == unnamed(dom0["topology"])
        tap(same, desc + " and shows what dom0 showed live")
        if not same and dom0 is not None:
            diag("live: %s" % dict(counts(dom0)))
            diag("from capture: %s" % dict(counts(back)))
    except (ValueError, KeyError) as e:
        tap(False, desc)
        diag(e)

sys.stdout.flush(); subprocess.run([sys.executable, __file__.replace("host-checks.py", "host-cpuid.py"), out, hvkit])
