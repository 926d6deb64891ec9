#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""XVAs written by Xen Orchestra's own writer (@xen-orchestra/xva 1.0.3:
_writeOvaXml.mjs and _writeDisk.mjs into a tar-stream pack, what XO sends
to XAPI's /import when it brings a VMware guest over) imported by
`hvkit move import`: every disk byte-equal (XO rounds a VDI up to whole
1 MiB chunks: the rest reads as zeros), and the VM as written: name,
vCPUs, memory, firmware, NIC MACs and network.  Seeded disks and settings;
a failure names its seed."""
import json
import os
import random
import re

from movelib import MiB, check, done, have_xl, hvkit, skip, sparse_image, tmpdir
from xolib import install, judge

if not have_xl():
    skip("built without libxlutil: import writes no xl.cfg")
mods = install("@xen-orchestra/xva@1.0.3")
d = tmpdir()
for seed in (21, 22, 23, 24):
    rnd = random.Random(seed)
    disks = []
    for i in range(rnd.randrange(1, 4)):
        size = rnd.randrange(1, 9) * MiB + rnd.choice((0, rnd.randrange(1, 2048) * 512))
        extents = []
        for _ in range(rnd.randrange(0, 6)):
            off = rnd.randrange(0, size // 512) * 512
            extents.append((off, min(size - off, rnd.randrange(1, 600) * 512)))
        raw = os.path.join(d, f"x{seed}-{i}.raw")
        sparse_image(raw, size, extents, seed=seed * 10 + i)
        disks.append({"raw": raw})
    spec = {
        "name": f"xo-guest-{seed}",
        "memory": rnd.randrange(1, 64) * 64 * MiB,
        "vcpus": rnd.randrange(1, 9),
        "firmware": rnd.choice(("bios", "uefi")),
        "macs": ["02:%02x:%02x:%02x:%02x:%02x" % tuple(rnd.randrange(256) for _ in range(5))
                 for _ in range(rnd.randrange(0, 3))],
        "network": f"xenbr{rnd.randrange(10)}",
        "disks": disks,
    }
    specf = os.path.join(d, f"x{seed}.json")
    with open(specf, "w") as f:
        json.dump(spec, f)
    xva = os.path.join(d, f"x{seed}.xva")
    p = judge(mods, "xva-write", specf, xva)
    if not check(p.returncode == 0, f"seed {seed}: @xen-orchestra/xva writes: {p.stderr.strip()}"):
        continue
    out = os.path.join(d, f"x{seed}.out")
    r = hvkit("move", "import", xva, "--to", "xl", "-o", out, "--no-progress", ok=False)
    if not check(r.returncode == 0, f"seed {seed}: hvkit imports XO's XVA: {r.stderr.strip()}"):
        continue
    cfg = open(os.path.join(out, f"xo-guest-{seed}.cfg")).read()
    for i, dk in enumerate(disks):
        got = os.path.join(out, f"xo-guest-{seed}-disk{i}.raw")
        size = os.path.getsize(dk["raw"])
        aligned = (size + MiB - 1) // MiB * MiB
        ok = os.path.exists(got) and os.path.getsize(got) == aligned
        if ok:
            with open(dk["raw"], "rb") as a, open(got, "rb") as b:
                ok = a.read() == b.read(size) and b.read() == bytes(aligned - size)
        check(ok, f"seed {seed}: disk {i} ({size} bytes, VDI {aligned}) byte-equal after import")
    check(re.search(rf'^name = "xo-guest-{seed}"$', cfg, re.M), f"seed {seed}: name: {cfg}")
    check(re.search(rf'^memory = {spec["memory"] // MiB}$', cfg, re.M),
          f"seed {seed}: memory {spec['memory'] // MiB} MiB: {cfg}")
    check(re.search(rf'^vcpus = {spec["vcpus"]}$', cfg, re.M), f"seed {seed}: vcpus {spec['vcpus']}: {cfg}")
    check(re.search(r'^type = "hvm"$', cfg, re.M), f"seed {seed}: XO's XVA is an HVM guest: {cfg}")
    if spec["firmware"] == "uefi":
        check(re.search(r'^bios = "ovmf"$', cfg, re.M), f"seed {seed}: UEFI firmware kept: {cfg}")
    else:
        check(not re.search(r'^bios = "ovmf"', cfg, re.M), f"seed {seed}: BIOS firmware kept: {cfg}")
    vifs = re.findall(r"mac=([0-9a-f:]+)[^\"']*bridge=([\w.-]+)", cfg)
    check(sorted(vifs) == sorted((m, spec["network"]) for m in spec["macs"]),
          f"seed {seed}: NICs {spec['macs']} on {spec['network']}, got {vifs}: {cfg}")
done()
