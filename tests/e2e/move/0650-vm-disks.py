#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Whole VMs with real disks: xl.cfg + raw image -> XVA (gzip or not,
both checksum kinds), OVA and OVF -> xl.cfg + disk, byte-identical; bad
input gives one line naming the file and no output."""
import glob
import os
import shutil
import subprocess

from movelib import MiB, check, done, hvkit, same, skip, sparse_image, tmpdir

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

d = tmpdir()
disk = os.path.join(d, "root.img")
sparse_image(disk, 9 * MiB, [(0, 4096), (3 * MiB + 512, 70000), (9 * MiB - 512, 512)])
cfg = os.path.join(d, "guest.cfg")
with open(cfg, "w") as f:
    # A dom0 kernel (direct boot): the pre-flight blocks it, so the
    # exports below say --force (0960-preflight.py tests the refusal).
    f.write(f'name = "small"\nmemory = 64\nvcpus = 2\nkernel = "/boot/vmlinuz"\n'
            f'extra = "console=hvc0"\ndisk = [ "format=raw,vdev=xvda,access=rw,target={disk}" ]\n'
            f'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,rate=10Mb/s" ]\n')

for to, extra, ext in (("xva", [], "raw"), ("xva", ["--gzip", "--checksum", "sha1"], "raw"),
                       ("ova", [], "vhd"), ("ovf", [], "raw")):
    tag = f"{to} {' '.join(extra)}"
    pkg = os.path.join(d, "pkg." + to)
    out = os.path.join(d, "out")
    hvkit("move", "export", cfg, "--to", to, "-o", pkg, "--force", *extra)
    if to == "ova":
        names = subprocess.run(["tar", "tf", pkg], capture_output=True, text=True).stdout.split()
        check(names[0].endswith(".ovf") and names[1].endswith(".vhd"), f"{tag}: .ovf first: {names}")
    src = glob.glob(os.path.join(pkg, "*.ovf"))[0] if to == "ovf" else pkg
    hvkit("move", "import", src, "--to", "xl", "-o", out)
    imported = glob.glob(os.path.join(out, f"*-disk0.{ext}"))
    check(len(imported) == 1, f"{tag}: disk written {os.listdir(out)}")
    if imported and ext == "raw":
        check(same(imported[0], disk), f"{tag}: disk bytes identical")
    elif imported:
        raw = os.path.join(d, "back.raw")
        hvkit("move", "disk", imported[0], raw, "--to", "raw")
        check(same(raw, disk), f"{tag}: VHD in the OVA holds the same bytes")
        os.unlink(raw)
    j = __import__("json").loads(hvkit("move", "show", "--json", glob.glob(os.path.join(out, "*.cfg"))[0]).stdout)
    check(j["disks"][0]["target"] == os.path.realpath(imported[0]) if imported else False, f"{tag}: target {j['disks']}")
    check(j["cmdline"] == "console=hvc0" and j["vcpus"] == 2 and j["memory_mib"] == 64, f"{tag}: model {j}")
    shutil.rmtree(out)
    if os.path.isdir(pkg):
        shutil.rmtree(pkg)
    else:
        os.unlink(pkg)

# Two disks through one XVA (read in one pass, also from a pipe-like
# gzipped archive): each comes back byte-identical under its own name.
data = os.path.join(d, "data.img")
sparse_image(data, 5 * MiB + 512, [(MiB, 3000), (5 * MiB - 100, 612)])
cfg2 = os.path.join(d, "two.cfg")
with open(cfg2, "w") as f:
    f.write(f'name = "two"\nmemory = 64\nkernel = "/boot/vmlinuz"\n'
            f'disk = [ "format=raw,vdev=xvda,access=rw,target={disk}",\n'
            f'         "format=raw,vdev=xvdb,access=ro,target={data}" ]\n')
for extra in ([], ["--gzip"]):
    tag = f"two disks xva {' '.join(extra)}"
    pkg = os.path.join(d, "two.xva")
    out = os.path.join(d, "out2")
    hvkit("move", "export", cfg2, "--to", "xva", "-o", pkg, "--force", *extra)
    hvkit("move", "import", pkg, "--to", "xl", "-o", out)
    got = sorted(glob.glob(os.path.join(out, "*-disk*.raw")))
    check(len(got) == 2, f"{tag}: two disks written {os.listdir(out)}")
    if len(got) == 2:
        check(same(got[0], disk) and same(got[1], data), f"{tag}: both disks byte-identical")
    j = __import__("json").loads(hvkit("move", "show", "--json", glob.glob(os.path.join(out, "*.cfg"))[0]).stdout)
    check([k["vdev"] for k in j["disks"]] == ["xvda", "xvdb"] and j["disks"][1]["readonly"] is True,
          f"{tag}: vdevs and access {j['disks']}")
    shutil.rmtree(out)
    os.unlink(pkg)

# A missing disk: named, exit 1, nothing written.
bad = os.path.join(d, "missing.cfg")
with open(bad, "w") as f:
    f.write('name = "m"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,target=/nonexistent/disk.img" ]\n')
out = os.path.join(d, "m.xva")
p = hvkit("move", "export", bad, "--to", "xva", "-o", out, "--force", ok=False)
check(p.returncode == 1 and "/nonexistent/disk.img" in p.stderr and len(p.stderr.splitlines()) == 1,
      f"missing disk: {p.stderr}")
check(not os.path.exists(out) and not glob.glob(out + ".tmp*"), "no output for a missing disk")

# A truncated XVA: one line with the offset, no output directory.
pkg = os.path.join(d, "t.xva")
hvkit("move", "export", cfg, "--to", "xva", "-o", pkg, "--force")
with open(pkg, "r+b") as f:
    f.truncate(os.path.getsize(pkg) // 2)
out = os.path.join(d, "tout")
p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, ok=False)
check(p.returncode == 1 and "offset" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
      f"truncated XVA: {p.stderr}")
check(not os.path.exists(out) and not glob.glob(out + ".tmp*"), "no output for a truncated XVA")

# xl.cfg with a syntax error: the file once, and its line.
with open(bad, "w") as f:
    f.write('name = "x"\nmemory = = 1\n')
p = hvkit("move", "export", bad, "--to", "ova", "-o", out, "--force", ok=False)
check(p.returncode == 1 and f"{bad}': line 2: config parsing error" in p.stderr, f"syntax error: {p.stderr}")
shutil.rmtree(d)
done()
