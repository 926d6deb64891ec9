#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writing qcow2: judged by qemu-img check (no leaks, no corruptions),
qemu-img info (exact virtual size), qemu-img compare against the raw
source, and byte-identical round trips raw -> qcow2 -> raw and
vhd -> qcow2 -> raw; a sparse 2 GiB disk makes a file the size of its
data; import --disk-format qcow2 writes qcow2 disks and says so."""
import json
import os
import random
import shutil

from movelib import CASES, MiB, check, done, hvkit, need, run, same, sparse_image, tmpdir

need("qemu-img", "qemu-utils")
d = tmpdir()


def judge(name, q, raw, size):
    p = run("qemu-img", "check", "--output=json", "-f", "qcow2", q)
    r = json.loads(p.stdout or "{}")
    check(p.returncode == 0 and r.get("check-errors") == 0 and not r.get("leaks")
          and not r.get("corruptions"), f"{name}: qemu-img check is clean: {p.stdout}{p.stderr}")
    p = run("qemu-img", "info", "--output=json", "-f", "qcow2", q)
    info = json.loads(p.stdout or "{}")
    check(info.get("virtual-size") == size and info.get("format") == "qcow2"
          and info.get("format-specific", {}).get("data", {}).get("compat") == "1.1",
          f"{name}: qemu-img info: v3, virtual size {size}: {p.stdout}")
    p = run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, q)
    check(p.returncode == 0, f"{name}: qemu-img compare: {p.stdout}{p.stderr}")
    back = q + ".back.raw"
    hvkit("move", "disk", q, back, "--to", "raw")
    check(same(back, raw), f"{name}: our reader gives the source back byte for byte")


# Sizes that are whole sectors but not whole clusters, data at cluster
# and L2-region edges, and an empty disk.
cases = CASES + [
    ("regions", 1536 * MiB + 4096, [(512 * MiB - 65536, 131072), (1024 * MiB, 512),
                                    (1536 * MiB, 4096)]),
    ("tiny", 512, [(0, 512)]),
    ("zero-bytes", 0, []),
]
for name, size, extents in cases:
    raw = os.path.join(d, name + ".raw")
    sparse_image(raw, size, extents, seed=11)
    q = os.path.join(d, name + ".qcow2")
    hvkit("move", "disk", raw, q, "--to", "qcow2")
    judge(f"{name} raw", q, raw, size)
    # The extension alone picks qcow2.
    q2 = os.path.join(d, name + ".by-ext.qcow2")
    hvkit("move", "disk", raw, q2)
    with open(q2, "rb") as f:
        check(f.read(4) == b"QFI\xfb", f"{name}: .qcow2 picks the format")
    # VHD (made by qemu-img) -> qcow2 -> raw.
    if size:
        vhd = os.path.join(d, name + ".vhd")
        p = run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
                "subformat=dynamic,force_size=on", raw, vhd)
        check(p.returncode == 0, f"qemu-img made {vhd}: {p.stderr}")
        qv = os.path.join(d, name + ".from-vhd.qcow2")
        hvkit("move", "disk", vhd, qv, "--to", "qcow2")
        judge(f"{name} vhd", qv, raw, size)

# Data written as all-zero clusters is not allocated; clusters holding
# data are; qemu-img map agrees with what we allocated.
raw = os.path.join(d, "zeros.raw")
with open(raw, "wb") as f:
    f.write(b"\0" * (4 * MiB))
    f.write(b"\1" * 65536)
    f.write(b"\0" * (4 * MiB))
q = raw + ".qcow2"
hvkit("move", "disk", raw, q, "--to", "qcow2")
p = run("qemu-img", "map", "--output=json", "-f", "qcow2", q)
m = [e for e in json.loads(p.stdout) if e.get("data")]
check(len(m) == 1 and m[0]["start"] == 4 * MiB and m[0]["length"] == 65536,
      f"written zeros stay unallocated: {m}")

# A sparse 2 GiB disk: the file is about the size of its data.
rnd = random.Random(5)
extents = sorted((rnd.randrange(0, 2048) * MiB + rnd.randrange(0, 1000) * 512,
                  rnd.randrange(1, 64) * 4096) for _ in range(200))
raw = os.path.join(d, "sparse2g.raw")
sparse_image(raw, 2048 * MiB, extents, seed=5)
q = raw + ".qcow2"
hvkit("move", "disk", raw, q, "--to", "qcow2")
judge("sparse 2 GiB", q, raw, 2048 * MiB)
clusters = set()
for off, length in extents:
    clusters.update(range(off >> 16, (off + length - 1 >> 16) + 1))
data = len(clusters) * 65536
st = os.stat(q)
check(st.st_size <= data + 4 * 65536 + 5 * 65536,
      f"sparse 2 GiB: file {st.st_size} bytes for {data} bytes of data clusters")

# Not whole sectors: qemu would drop the tail, so it is refused.
odd = os.path.join(d, "odd.raw")
sparse_image(odd, 1000, [(0, 1000)])
p = hvkit("move", "disk", odd, odd + ".qcow2", ok=False)
check(p.returncode == 1 and "512" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
      f"1000 bytes refused: {p.stderr}")
check(not [f for f in os.listdir(d) if f.startswith("odd.raw.qcow2")], "no output left")

# import --disk-format qcow2: the disks are qcow2 and xl.cfg says so.
p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" not in p.stderr:
    disk = os.path.join(d, "root.img")
    sparse_image(disk, 9 * MiB, [(0, 4096), (3 * MiB, 100000)], seed=3)
    cfg = os.path.join(d, "g.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "g"\nmemory = 128\nvcpus = 1\n'
                f'disk = [ "format=raw,vdev=xvda,access=rw,target={disk}" ]\n')
    for pkg in ("xva", "ova"):
        out = os.path.join(d, "g." + pkg)
        hvkit("move", "export", cfg, "--to", pkg, "-o", out)
        dst = os.path.join(d, "imported-" + pkg)
        hvkit("move", "import", out, "--to", "xl", "-o", dst, "--disk-format", "qcow2")
        q = os.path.join(dst, "g-disk0.qcow2")
        check(sorted(os.listdir(dst)) == ["g-disk0.qcow2", "g.cfg"], f"{pkg}: {os.listdir(dst)}")
        judge(f"import {pkg}", q, disk, 9 * MiB)
        shown = json.loads(hvkit("move", "show", "--json", os.path.join(dst, "g.cfg")).stdout)
        dk = shown["disks"][0]
        check(dk.get("format") == "qcow2" and dk.get("target") == os.path.realpath(q),
              f"{pkg}: xl.cfg (read by libxlutil) says format=qcow2: {dk}")
shutil.rmtree(d)
done()
