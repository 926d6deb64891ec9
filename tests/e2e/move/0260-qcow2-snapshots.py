#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A qcow2 with internal snapshots (qemu-img snapshot -c) is read: its
active L1 only, judged by qemu-img compare; the snapshot table is walked
entry by entry within the file (qemu leaves the last entry unpadded at
the very end).  A table that claims too many snapshots, lies past the
end, or an entry with oversized extra data is refused in one line."""
import os
import struct

from movelib import MiB, check, done, hvkit, need, run, sparse_image, tmpdir

need("qemu-img", "qemu-utils")
d = tmpdir()
src = os.path.join(d, "src.raw")
sparse_image(src, 8 * MiB, [(0, 5000), (3 * MiB, 70000), (8 * MiB - 4096, 4096)], seed=5)
img = os.path.join(d, "s.qcow2")
run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", src, img)
for n in ("a", "b", "c"):
    p = run("qemu-img", "snapshot", "-c", n, img)
    check(p.returncode == 0, f"qemu-img snapshot -c {n}: {p.stderr}")
check(run("qemu-img", "check", img).returncode == 0, "qemu-img check finds no error")
out = os.path.join(d, "out.raw")
p = hvkit("move", "disk", img, out, "--no-progress", ok=False)
check(p.returncode == 0, f"a qcow2 with 3 snapshots is read: {p.stderr}")
if p.returncode == 0:
    r = run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", img, out)
    check(r.returncode == 0, f"qemu-img compare: {r.stdout}{r.stderr}")
p = hvkit("move", "info", img, ok=False)
check(p.returncode == 0, f"info: {p.stderr}")

blob = open(img, "rb").read()
nsnap, snap_off = struct.unpack_from(">IQ", blob, 60)


def refused(tag, data, words):
    path = os.path.join(d, f"{tag}.qcow2")
    with open(path, "wb") as f:
        f.write(data)
    p = hvkit("move", "info", path, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and words in p.stderr,
          f"{tag}: one line with '{words}': {p.returncode} {p.stderr!r}")


def patched(off, fmt, *v):
    b = bytearray(blob)
    struct.pack_into(fmt, b, off, *v)
    return bytes(b)


refused("too-many", patched(60, ">I", 70000), "snapshots, more than")
refused("past-end", patched(60, ">I", nsnap + 1000), "past the end")
refused("table-off-end", patched(64, ">Q", len(blob) // 65536 * 65536 + 65536 * 4), "snapshot table")
refused("extra-big", patched(snap_off + 36, ">I", 5000), "extra data")
done()
