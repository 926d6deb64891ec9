#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every format qemu-img's probes recognise is recognised here too, so
that nothing qemu-img would not call raw is copied as raw: Parallels
("WithoutFreeSpace"/"WithouFreSpacExt", version 2), Bochs ("Bochs Virtual
HD Image", Redolog/Growing), cloop (its V2.0 shell header) and DMG (a
"koly" trailer) are refused by name by info and disk (the probe an OVF import uses too),
with one line; where qemu-img is installed, it agrees that none is raw."""
import json
import os
import shutil
import struct

from movelib import MiB, check, done, hvkit, run, tmpdir

d = tmpdir()


def bochs():
    h = bytearray(512)
    h[0:22] = b"Bochs Virtual HD Image"
    h[32:39] = b"Redolog"
    h[48:55] = b"Growing"
    struct.pack_into("<IIIIQ", h, 64, 0x00020000, 512, 1, 512 * 1024, MiB)
    return bytes(h) + b"\xff" * 4 + b"\0" * 508


def parallels(magic):
    h = bytearray(64)
    h[0:16] = magic
    struct.pack_into("<IIIIIQI", h, 16, 2, 16, 32, 2048, 1, 2048, 0)
    return bytes(h) + b"\0" * (4096 - 64)


CLOOP = (b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"
         .ljust(128, b"\0") + struct.pack(">II", 512, 1) + b"\0" * 1024)


def dmg():
    koly = bytearray(512)
    koly[0:4] = b"koly"
    struct.pack_into(">II", koly, 4, 4, 512)
    return b"\0" * 4096 + bytes(koly)


images = {
    "x.parallels": ("parallels", "Parallels", parallels(b"WithoutFreeSpace")),
    "x-ext.parallels": ("parallels", "Parallels", parallels(b"WithouFreSpacExt")),
    "x.bochs": ("bochs", "Bochs", bochs()),
    "x.cloop": ("cloop", "cloop", CLOOP),
    "x.dmg": ("dmg", "DMG", dmg()),
}
qemu = shutil.which("qemu-img")
for name, (fmt, words, data) in images.items():
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    if qemu:
        q = run("qemu-img", "info", "--output=json", path)
        if q.returncode == 0:
            check(json.loads(q.stdout)["format"] != "raw", f"{name}: qemu-img does not call it raw")
    for args in (["move", "info", path], ["move", "disk", path, os.path.join(d, "out.raw"), "--no-progress"]):
        p = hvkit(*args, ok=False)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and len(lines) == 1 and words in p.stderr and name in p.stderr,
              f"{' '.join(args[:2])} {name}: refused by name in one line: {p.returncode} {p.stderr!r}")
        check(not os.path.exists(os.path.join(d, "out.raw")), f"{name}: nothing written")
    out = os.path.join(d, "asis.raw")
    p = hvkit("move", "disk", "--from", "raw", path, out, "--no-progress", ok=False)
    check(p.returncode == 0 and open(out, "rb").read() == data, f"{name}: --from raw copies its bytes: {p.stderr}")
    os.unlink(out)

# A raw disk is still raw.
raw = os.path.join(d, "plain.img")
with open(raw, "wb") as f:
    f.write(b"\x55" * 4096)
p = hvkit("move", "info", "--json", raw)
check(json.loads(p.stdout)["format"] == "raw", f"a raw disk is raw: {p.stdout}")
done()
