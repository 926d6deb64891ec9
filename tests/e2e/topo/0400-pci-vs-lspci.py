#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every pciutils dump under tests/data/pciutils/: hvkit's PCI tree equals
what 'lspci -F DUMP' (run here, on the same dump) shows: addresses, IDs,
bridges' bus numbers, PCIe link capability and status, each device's
parent and the vendor and device names."""
import glob
import os
import re
import shlex
import subprocess

from lib import DATA, check, done, need, topo_json, walk

need("lspci", "pciutils")

ADDR = re.compile(r"^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])\b")
NO_NAME = re.compile(r"^(?:Unknown vendor|Vendor|Device|Unknown device) [0-9a-f]{4}$")


def lspci(dump, *args):
    return subprocess.run(["lspci", "-F", dump, *args], capture_output=True,
                          text=True, check=True).stdout


def link(line):
    """'Port #3, Speed 8GT/s, Width x8, ...' or 'Speed 2.5GT/s (downgraded), Width x1 (ok)'."""
    s = re.search(r"Speed ([0-9.]+)GT/s", line)
    w = re.search(r"Width x(\d+)", line)
    return (float(s.group(1)) if s else 0.0, int(w.group(1)) if w else 0)


def lspci_vv(dump):
    devs = {}
    for block in lspci(dump, "-vv", "-D").split("\n\n"):
        m = ADDR.match(block)
        if not m:
            continue
        d = {"bus": (m.group(1), int(m.group(2), 16))}
        b = re.search(r"^\tBus: primary=([0-9a-f]+), secondary=([0-9a-f]+), subordinate=([0-9a-f]+)", block, re.M)
        if b:
            d["secondary"], d["subordinate"] = int(b.group(2), 16), int(b.group(3), 16)
        c = re.search(r"^\t+LnkCap:\t(.*)$", block, re.M)
        s = re.search(r"^\t+LnkSta:\t(.*)$", block, re.M)
        if c:
            d["cap"] = link(c.group(1))
        if s:
            d["sta"] = link(s.group(1))
        devs[m.group(0)] = d
    return devs


def lspci_ids(dump):
    ids = {}
    for line in lspci(dump, "-n", "-D").splitlines():
        m = re.match(r"^(\S+) [0-9a-f]{4}: ([0-9a-f]{4}):([0-9a-f]{4})", line)
        if m:
            ids[m.group(1)] = (m.group(2), m.group(3))
    return ids


def lspci_names(dump):
    names = {}
    for line in lspci(dump, "-D", "-mm").splitlines():
        f = shlex.split(line)
        if len(f) >= 4:
            names[f[0]] = (f[2], f[3])
    return names


def host_bridge(dom, bus):
    return f"{dom}:{bus:02x}"


dumps = sorted(p for p in glob.glob(os.path.join(DATA, "pciutils", "*")) if not p.endswith(".md"))
check(len(dumps) >= 8, f"expected the pciutils dumps in {DATA}/pciutils")
for dump in dumps:
    name = os.path.basename(dump)
    vv, ids, names = lspci_vv(dump), lspci_ids(dump), lspci_names(dump)
    check(set(vv) == set(ids) == set(names), f"{name}: lspci outputs disagree on the device list")

    j = topo_json("--from", dump)
    parent, objs = {}, {}
    for o in walk(j["topology"]):
        for c in o["children"]:
            if c["type"] in ("pci_bridge", "pci_device"):
                parent[c["address"]] = (o.get("address") if o["type"].startswith("pci_")
                                        or o["type"] == "host_bridge" else None)
        if o["type"] in ("pci_bridge", "pci_device") and not o.get("host_bridge"):
            objs[o["address"]] = o
    check(set(objs) == set(vv), f"{name}: addresses only in hvkit {sorted(set(objs) - set(vv))}, "
                                f"only in lspci {sorted(set(vv) - set(objs))}")

    # The bridge whose secondary bus is N, per domain.
    bridge_of_bus = {}
    for a, d in vv.items():
        if "secondary" in d:
            bridge_of_bus.setdefault((d["bus"][0], d["secondary"]), a)

    for a in sorted(set(objs) & set(vv)):
        o, d = objs[a], vv[a]
        vid, did = ids[a]
        check((o["vendor_id"], o["device_id"]) == (vid, did),
              f"{name}: {a}: IDs hvkit {o['vendor_id']}:{o['device_id']}, lspci {vid}:{did}")
        is_bridge = "secondary" in d
        check(o["type"] == ("pci_bridge" if is_bridge else "pci_device"),
              f"{name}: {a}: hvkit type {o['type']}, lspci {'shows' if is_bridge else 'shows no'} bridge bus numbers")
        if is_bridge:
            got = (o.get("secondary_bus"), o.get("subordinate_bus"))
            check(got == (d["secondary"], d["subordinate"]),
                  f"{name}: {a}: secondary/subordinate hvkit {got}, lspci {(d['secondary'], d['subordinate'])}")
        if "cap" in d or "sta" in d:
            ln = o.get("link")
            if check(ln is not None, f"{name}: {a}: no link in hvkit, lspci has LnkCap/LnkSta"):
                for k in ("cap", "sta"):
                    if k in d:
                        got = (ln[k]["speed_gts"], ln[k]["width"])
                        check(got == d[k], f"{name}: {a}: link {k} hvkit {got}, lspci {d[k]}")
        else:
            check("link" not in o, f"{name}: {a}: hvkit has a link, lspci shows no LnkCap")
        dom, bus = d["bus"]
        want = bridge_of_bus.get((dom, bus), host_bridge(dom, bus))
        check(parent.get(a) == want, f"{name}: {a}: parent hvkit {parent.get(a)}, lspci bus numbers say {want}")
        vname, dname = names[a]
        if not NO_NAME.match(vname):
            check(o.get("vendor") == vname, f"{name}: {a}: vendor hvkit {o.get('vendor')!r}, lspci {vname!r}")
        if not NO_NAME.match(dname):
            check(o.get("device") == dname, f"{name}: {a}: device hvkit {o.get('device')!r}, lspci {dname!r}")

    # Host bridge objects: one per root bus, each holding only that bus's devices.
    for o in walk(j["topology"]):
        if o.get("host_bridge"):
            check(o["type"] == "host_bridge", f"{name}: host bridge {o['address']} has type {o['type']}")
            for c in o["children"]:
                if c.get("address") in vv:
                    dom, bus = vv[c["address"]]["bus"]
                    check(o["address"] == host_bridge(dom, bus),
                          f"{name}: {c['address']} sits under host bridge {o['address']}")
    print(f"{name}: {len(vv)} devices, {sum('secondary' in d for d in vv.values())} bridges, "
          f"{sum('cap' in d for d in vv.values())} PCIe links")
done()
