#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit move check` quotes the guest's disk (kernel file names in
/boot, /etc/fstab fields): a terminal control sequence there (ESC, BEL,
a C1 CSI) comes out as '.', in the text report and in export's log, as
in show; the findings themselves are still made (the fstab name XAPI
renames, the kernels the disk holds)."""
import os
import shutil
import subprocess

from movelib import HVKIT, check, done, have_xl, need, skip, tmpdir

if not have_xl():
    skip("built without libxlutil: check reads no xl.cfg")
need("mke2fs", "e2fsprogs")
need("debugfs", "e2fsprogs")
d = tmpdir()
root = os.path.join(d, "root")
evil = "\x1b]0;PWNED\x07\x1b[31mRED\u009b2J"
files = {f"boot/vmlinuz-6.1.0{evil}": b"\x7fELF", "etc/fstab":
         f"/dev/sda1{evil} / ext4 defaults 0 1\n".encode()}
for name, data in files.items():
    p = os.path.join(root, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
img = os.path.join(d, "g.img")
p = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", root, img, "16M"],
                   capture_output=True, text=True)
if p.returncode:
    raise SystemExit(f"mke2fs: {p.stderr}")
shutil.rmtree(root)
kernel = os.path.join(d, "vmlinuz")
with open(kernel, "wb") as f:
    f.write(b"\x7fELF\x02")
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\ntype = "pv"\nmemory = 64\nkernel = "{kernel}"\n'
            f'disk = [ "format=raw,vdev=xvda,target={img}" ]\n')


def clean(b):
    return all(c in (0x0a,) or 0x20 <= c < 0x7f or c >= 0x80 for c in b) \
        and b"\x1b" not in b and b"\x07" not in b and "\u009b".encode() not in b


p = subprocess.run([HVKIT, "move", "check", cfg, "--for", "xapi"], capture_output=True, timeout=120)
out = p.stdout
check(p.returncode == 1, f"check: exit {p.returncode}: {p.stderr!r}")
check(clean(out) and clean(p.stderr), f"check: control bytes in the report: {out!r} {p.stderr!r}")
check(b"/dev/sda1.]0;PWNED..[31mRED" in out, f"check: fstab finding not shown sanitised: {out!r}")
check(b"vmlinuz-6.1.0.]0;PWNED" in out, f"check: /boot kernel not shown sanitised: {out!r}")
p = subprocess.run([HVKIT, "-v", "move", "export", cfg, "--to", "ova", "-o", os.path.join(d, "x.ova"),
                    "--metadata-only"], capture_output=True, timeout=120)
check(clean(p.stderr) and b"PWNED" in p.stderr, f"export -v: {p.stderr!r}")
done()
