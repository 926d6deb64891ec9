#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Damaged input: one line naming the file and the offset, exit 1, and
no file left under the output name or a temporary one."""
import os
import shutil
import struct

from movelib import MiB, check, done, hvkit, sparse_image, tmpdir

d = tmpdir()
raw = os.path.join(d, "src.raw")
sparse_image(raw, 9 * MiB, [(0, 4096), (3 * MiB, 2 * MiB), (9 * MiB - 512, 512)])
vhd = os.path.join(d, "good.vhd")
fixed = os.path.join(d, "good-fixed.vhd")
xva = os.path.join(d, "good.xva")
hvkit("move", "disk", raw, vhd)
hvkit("move", "disk", raw, fixed, "--to", "vhd-fixed")
hvkit("move", "disk", raw, xva, "--checksum", "xxhash")
blob = open(vhd, "rb").read()
fblob = open(fixed, "rb").read()
xblob = open(xva, "rb").read()


def damaged(name, data):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def patch(data, off, b):
    return data[:off] + b + data[off + len(b):]


foot = len(blob) - 512
cases = [
    ("truncated.vhd", blob[:4 * MiB], ["truncated", "offset 4194304"]),
    ("bad-footer-sum.vhd", patch(blob, foot + 64, b"\0\0\0\1"),
     ["footer checksum", f"offset {foot}"]),
    ("bad-header-sum.vhd", patch(blob, 512 + 36, b"\0\0\0\1"),
     ["header checksum", "offset 548"]),
    ("bat-past-end.vhd", patch(blob, 1536 + 4 * 1, struct.pack(">I", 0x7fffff)),
     ["BAT entry 1 points past the end", "offset 1540"]),
    ("lying-fixed.vhd", fblob[:-512 - 4096] + fblob[-512:],
     ["fixed VHD footer says", "offset"]),
    ("truncated.xva", xblob[:len(xblob) // 2], ["truncated tar member", "offset"]),
    ("not-tar.xva", patch(xblob, 0, b"garbage!"), ["offset 0", "tar"]),
]
# A wrong chunk checksum: flip one hex digit of the first .xxhash member.
i = xblob.index(b".xxhash\0")
hdr = i - i % 512
data_off = hdr + 512
c = xblob[data_off:data_off + 1]
cases.append(("bad-sum.xva", patch(xblob, data_off, b"0" if c != b"0" else b"1"),
              ["checksum mismatch", f"offset {hdr}"]))

for name, data, words in cases:
    src = damaged(name, data)
    out = os.path.join(d, name + ".out.raw")
    p = hvkit("move", "disk", src, out, "--to", "raw", ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1, f"{name}: exit 1 (got {p.returncode})")
    check(len(lines) == 1, f"{name}: one line on stderr: {lines}")
    check(f"'{src}'" in p.stderr, f"{name}: the message names the file: {p.stderr}")
    for w in words:
        check(w in p.stderr, f"{name}: message has '{w}': {p.stderr}")
    left = [f for f in os.listdir(d) if f.startswith(name + ".out")]
    check(not left, f"{name}: nothing left behind: {left}")

# Usage errors exit 2.
for args in (["move"], ["move", "disk", raw], ["move", "disk", raw, "x", "--to", "vmdk"],
             ["move", "frob"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2, f"{args}: exit 2 (got {p.returncode})")
p = hvkit("move", "--help", ok=False)
check(p.returncode == 0 and "usage:" in p.stdout, "move --help")
shutil.rmtree(d)
done()
