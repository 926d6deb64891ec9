#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""qcow2 (v2 and v3, made by qemu-img) -> raw and VHD, against qemu-img
convert of the same file; compressed clusters are refused by name."""
import os
import shutil

from movelib import CASES, check, done, hvkit, need, run, same, sparse_image, tmpdir

need("qemu-img", "qemu-utils")
d = tmpdir()
for name, size, extents in CASES:
    raw = os.path.join(d, name + ".raw")
    sparse_image(raw, size, extents, seed=7)
    for compat, cs in (("0.10", "65536"), ("1.1", "65536"), ("1.1", "4096"), ("1.1", "2M")):
        q = os.path.join(d, f"{name}-{compat}-{cs}.qcow2")
        p = run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-o",
                f"compat={compat},cluster_size={cs}", raw, q)
        check(p.returncode == 0, f"qemu-img made {q}: {p.stderr}")
        ours = q + ".raw"
        theirs = q + ".qemu.raw"
        hvkit("move", "disk", q, ours, "--to", "raw")
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", q, theirs)
        check(same(ours, theirs), f"{name} qcow2 compat={compat} cluster={cs}: ours == qemu-img convert")
        check(same(ours, raw), f"{name} qcow2 compat={compat} cluster={cs}: == the source")
    vhd = os.path.join(d, name + ".from-qcow2.vhd")
    hvkit("move", "disk", q, vhd, "--to", "vhd")
    p = run("qemu-img", "compare", "-f", "raw", "-F", "vpc", raw, vhd)
    check(p.returncode == 0, f"{name}: qcow2 -> VHD compares equal: {p.stdout}")

# Zero clusters written by qemu-img (v3 zero flag) read as zeros.
raw = os.path.join(d, "chs-inexact.raw")
q = os.path.join(d, "zero.qcow2")
run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, q)
run("qemu-io", "-f", "qcow2", "-c", "write -z 10M 1M", q)
run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", q, q + ".qemu.raw")
hvkit("move", "disk", q, q + ".raw")
check(same(q + ".raw", q + ".qemu.raw"), "qcow2 zero clusters read as zeros")

# Compressed: one clear line naming the guest offset, exit 1, no output.
c = os.path.join(d, "c.qcow2")
run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw, c)
out = os.path.join(d, "c.raw")
p = hvkit("move", "disk", c, out, ok=False)
check(p.returncode == 1 and "compressed" in p.stderr and "guest offset" in p.stderr
      and len(p.stderr.strip().splitlines()) == 1, f"compressed qcow2 refused: {p.stderr}")
check(not [f for f in os.listdir(d) if f.startswith("c.raw")], "no output left for compressed")
shutil.rmtree(d)
done()
