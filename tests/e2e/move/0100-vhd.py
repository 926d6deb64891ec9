#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""raw -> VHD (dynamic and fixed) -> raw: qemu-img and vhdiinfo read our
VHDs with the exact virtual size, and the round trip is byte-identical."""
import os
import re
import shutil

from movelib import CASES, check, done, hvkit, need, run, same, sparse_image, tmpdir

need("qemu-img", "qemu-utils")
need("vhdiinfo", "libvhdi-utils")
d = tmpdir()
for name, size, extents in CASES:
    raw = os.path.join(d, name + ".raw")
    sparse_image(raw, size, extents)
    for kind in ("vhd", "vhd-fixed"):
        vhd = os.path.join(d, f"{name}.{kind}")
        hvkit("move", "disk", raw, vhd, "--to", kind)
        p = run("qemu-img", "info", "--output=json", "-f", "vpc", vhd)
        check(p.returncode == 0 and f'"virtual-size": {size}' in p.stdout,
              f"{name} {kind}: qemu-img info -f vpc gives {size} bytes: {p.stdout} {p.stderr}")
        p = run("qemu-img", "compare", "-f", "raw", "-F", "vpc", raw, vhd)
        check(p.returncode == 0, f"{name} {kind}: qemu-img compare: {p.stdout} {p.stderr}")
        p = run("vhdiinfo", vhd)
        m = re.search(r"Media size\s*:.*\((\d+) bytes\)", p.stdout)
        check(p.returncode == 0 and m and int(m.group(1)) == size,
              f"{name} {kind}: vhdiinfo media size {m and m.group(1)} (want {size})")
        want = "Dynamic" if kind == "vhd" else "Fixed"
        check(re.search(r"Disk type\s*:\s*" + want, p.stdout) is not None,
              f"{name} {kind}: vhdiinfo says {want}")
        back = os.path.join(d, f"{name}.{kind}.raw")
        hvkit("move", "disk", vhd, back, "--to", "raw")
        check(same(raw, back), f"{name}: raw -> {kind} -> raw is byte-identical")
        # qemu-img's own reading of our VHD agrees with ours.
        q = os.path.join(d, f"{name}.{kind}.qemu.raw")
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", vhd, q)
        check(same(raw, q), f"{name}: qemu-img convert of our {kind} matches")
    # Dynamic VHD skips all-zero blocks: the file grows with the data only.
    dyn = os.path.join(d, name + ".vhd")
    data_blocks = {o // (2 << 20) for off, ln in extents for o in range(off, off + ln, 4096)}
    data_blocks |= {(off + ln - 1) // (2 << 20) for off, ln in extents}
    bat = ((size + (2 << 20) - 1) // (2 << 20) * 4 + 511) // 512 * 512
    expect = 512 + 1024 + bat + len(data_blocks) * (512 + (2 << 20)) + 512
    check(os.path.getsize(dyn) == expect,
          f"{name}: dynamic VHD is {os.path.getsize(dyn)} bytes, expected {expect}")

# VHDs written by qemu-img are read by us (their BAT layout, their bitmaps).
raw = os.path.join(d, "chs-inexact.raw")
for subfmt in ("dynamic", "fixed"):
    q = os.path.join(d, f"qemu-{subfmt}.vhd")
    run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
        f"subformat={subfmt},force_size=on", raw, q)
    back = os.path.join(d, f"qemu-{subfmt}.raw")
    hvkit("move", "disk", q, back, "--to", "raw")
    check(same(raw, back), f"qemu-img's {subfmt} VHD reads back identical")

# Sizes that are not whole sectors cannot be a VHD: refused cleanly.
odd = os.path.join(d, "bytes1000.raw")
sparse_image(odd, 1000, [(0, 1000)])
p = hvkit("move", "disk", odd, os.path.join(d, "bytes1000.vhd"), ok=False)
check(p.returncode == 1 and "multiple of 512" in p.stderr, f"odd size refused: {p.stderr}")
check(not [f for f in os.listdir(d) if f.startswith("bytes1000.vhd")], "no output left for odd size")
shutil.rmtree(d)
done()
