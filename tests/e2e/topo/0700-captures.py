#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Real captures made by `hvkit topo capture` on other machines: each reads
back, its PCI config space agrees with lspci reading the same bytes (turned
into an lspci -xxxx dump here), and the GPU server's GPU agrees with the
nvidia-smi output recorded beside it."""
import glob
import os
import re
import subprocess
import tarfile
import tempfile

from lib import DATA, check, done, need, objects, topo_json

need("lspci", "pciutils")


def dump_from_capture(path):
    """An lspci -xxxx dump built from the config files of a capture."""
    out = []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            mm = re.search(r"/([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/config$", m.name)
            if not mm or not m.isfile():
                continue
            data = t.extractfile(m).read()
            out.append(mm.group(1) + " device")
            for off in range(0, len(data), 16):
                chunk = data[off:off + 16]
                if off >= 256 and not any(chunk):
                    continue
                out.append(f"{off:03x}: " + " ".join(f"{b:02x}" for b in chunk))
            out.append("")
    return "\n".join(out) + "\n"


def lspci_links(dump_path):
    text = subprocess.run(["lspci", "-F", dump_path, "-vv", "-D"], capture_output=True,
                          text=True, check=True).stdout
    links = {}
    for block in text.split("\n\n"):
        m = re.match(r"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])", block)
        if not m:
            continue
        sta = re.search(r"LnkSta:\s+Speed ([\d.]+)GT/s[^,]*, Width x(\d+)", block)
        links[m.group(1)] = (float(sta.group(1)), int(sta.group(2))) if sta else None
    return links


captures = sorted(glob.glob(os.path.join(DATA, "captures", "*.tar.gz")))
check(captures, "no captures in tests/data/captures")
for cap in captures:
    j = topo_json("--from", cap)
    devs = {o["address"]: o for o in objects(j, "pci_device") + objects(j, "pci_bridge")
            if not o.get("host_bridge")}
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "dump.txt")
        open(dump, "w").write(dump_from_capture(cap))
        links = lspci_links(dump)
    check(set(links) == set(devs), f"{cap}: addresses differ from lspci: {set(links) ^ set(devs)}")
    for addr, link in links.items():
        o = devs.get(addr, {})
        ours = (o["link"]["sta"]["speed_gts"], o["link"]["sta"]["width"]) if "link" in o else None
        check(ours == link, f"{cap}: {addr}: link {ours}, lspci {link}")
    check(len(objects(j, "pu")) > 0, f"{cap}: no PUs")

# The GPU servers: bus id and PCIe generation as nvidia-smi reported them.
for server in ("h200-vm", "h100-vm"):
    smi = open(os.path.join(DATA, "captures", server + ".nvidia-smi.txt")).read()
    bus = re.search(r"Bus Id\s+:\s+0000([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)", smi).group(1).lower()
    gen = int(re.search(r"PCIe Generation\s+Max\s+:\s+(\d+)\s+Current\s+:\s+(\d+)", smi).group(2))
    j = topo_json("--from", os.path.join(DATA, "captures", server + ".tar.gz"))
    gpu = [o for o in objects(j, "pci_device") if o["address"] == bus]
    check(len(gpu) == 1 and gpu[0]["vendor_id"] == "10de", f"{server}: GPU {bus} (nvidia-smi) is an NVIDIA device in hvkit's tree")
    if gpu:
        speeds = {1: 2.5, 2: 5.0, 3: 8.0, 4: 16.0, 5: 32.0, 6: 64.0}
        check(gpu[0]["link"]["sta"]["speed_gts"] == speeds[gen],
              f"{server}: GPU link {gpu[0]['link']['sta']['speed_gts']} GT/s, nvidia-smi says Gen{gen}")
        check(gpu[0]["driver"] == "nvidia", f"{server}: GPU driver is nvidia")
    check(len(objects(j, "pu")) == 16, f"{server}: the GPU server has 16 PUs")
done()
