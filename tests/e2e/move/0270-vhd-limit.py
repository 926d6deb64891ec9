#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A VHD holds at most 0xff000000 sectors (2040 GiB; qemu's
VHD_MAX_SECTORS, past which qemu-img cannot open it).  A larger disk is
refused at once, in one line, with nothing written and no work in
proportion to its size, by `disk --to vhd`/`vhd-fixed` and by `import
--disk-format vhd`; a disk of exactly 2040 GiB is still written, and
qemu-img reads it."""
import json
import os
import shutil

from movelib import HVKIT, bounded_work, check, cpu_run, done, hvkit, run, tmpdir

GiB = 1 << 30
LIMIT = 0xff000000 * 512
d = tmpdir()
big = os.path.join(d, "big.raw")
with open(big, "wb") as f:
    f.truncate(LIMIT + 512)


# "At once": in CPU time, against the same conversion of a 1 MiB disk in
# this run (bounded_work), not against the clock of a machine under load.
small = os.path.join(d, "small.raw")
with open(small, "wb") as f:
    f.truncate(1 << 20)
p, REF = cpu_run([HVKIT, "move", "disk", small, os.path.join(d, "small.vhd"), "--to", "vhd",
                  "--no-progress", "--no-sync"], text=True)
check(p.returncode == 0, f"the reference, a 1 MiB disk to VHD: {p.stderr}")
os.unlink(os.path.join(d, "small.vhd"))


def refused(args, out, label):
    p, cpu = cpu_run([HVKIT, *args], text=True)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and "2040 GiB" in p.stderr,
          f"{label}: one line naming the limit: {p.returncode} {p.stderr!r}")
    bounded_work(f"{label}: refused at once", cpu, REF, "a 1 MiB disk converted to VHD")
    check(not os.path.exists(out) and not [x for x in os.listdir(d) if ".tmp" in x], f"{label}: nothing written")


for to in ("vhd", "vhd-fixed"):
    out = os.path.join(d, f"out-{to}.vhd")
    refused(["move", "disk", big, out, "--to", to, "--no-progress", "--no-sync"], out, f"disk --to {to}")

# An XVA of 4 TiB (first and last chunk only) imported as VHD.
with open(big, "wb") as f:
    f.truncate(4096 * GiB)
xva = os.path.join(d, "big.xva")
hvkit("move", "disk", big, xva, "--to", "xva", "--no-progress", "--no-sync")
out = os.path.join(d, "imported")
refused(["move", "import", xva, "--to", "xl", "-o", out, "--disk-format", "vhd", "--no-progress"], out,
        "import --disk-format vhd")

# Exactly the limit is a VHD qemu-img reads.
with open(big, "wb") as f:
    f.truncate(LIMIT)
out = os.path.join(d, "max.vhd")
p = hvkit("move", "disk", big, out, "--to", "vhd", "--no-progress", "--no-sync", ok=False)
check(p.returncode == 0, f"a disk of exactly 2040 GiB: {p.stderr}")
if p.returncode == 0 and shutil.which("qemu-img"):
    q = run("qemu-img", "info", "--output=json", out)
    check(q.returncode == 0 and json.loads(q.stdout)["virtual-size"] == LIMIT,
          f"qemu-img reads it: {q.stdout}{q.stderr}")
done()
