#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit move check`: an /etc/fstab larger than debugfs's output limit
(1 MiB of comments, then '/dev/sda1 /') is a blocker naming the limit,
never a clean pass; the rest of the file system is still looked into
(its grub.cfg is found: no false "pygrub will find no grub.cfg").  The
same guest with the one-line fstab gives the '/dev/sda1' blocker."""
import os
import shutil
import subprocess

from movelib import HVKIT, check, done, have_xl, need, skip, tmpdir

if not have_xl():
    skip("built without libxlutil: check reads no xl.cfg")
need("mke2fs", "e2fsprogs")
need("debugfs", "e2fsprogs")
d = tmpdir()
line = b"/dev/sda1 / ext4 defaults 0 1\n"


def guest(name, fstab):
    root = os.path.join(d, name + ".root")
    files = {"boot/grub/grub.cfg": b"menuentry x {\n linux /boot/vmlinuz-6.1.0-amd64 root=UUID=1\n}\n",
             "boot/vmlinuz-6.1.0-amd64": b"\x7fELF\x02", "etc/fstab": fstab}
    for f, data in files.items():
        p = os.path.join(root, f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)
    img = os.path.join(d, name + ".img")
    p = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", root, img, "16M"],
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"mke2fs: {p.stderr}")
    shutil.rmtree(root)
    cfg = os.path.join(d, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "{name}"\ntype = "pvh"\nmemory = 64\nbootloader = "pygrub"\n'
                f'disk = [ "format=raw,vdev=xvda,target={img}" ]\n')
    p = subprocess.run([HVKIT, "move", "check", cfg, "--for", "xapi"], capture_output=True,
                       text=True, timeout=120)
    return p


small = guest("small", line)
check(small.returncode == 1 and "'/dev/sda1' mounted on /" in small.stdout,
      f"one-line fstab: {small.returncode} {small.stdout}")
big = guest("big", b"#" * 1100000 + b"\n" + line)
check(big.returncode == 1, f"padded fstab: exit {big.returncode}: {big.stdout}")
check("block  /etc/fstab (disk xvda, whole disk): not looked into: larger than debugfs's output limit (1048576 bytes)"
      in big.stdout, f"padded fstab: no blocker naming the limit: {big.stdout}")
check("will find no grub.cfg" not in big.stdout and "not read" not in big.stdout,
      f"padded fstab: the rest of the disk was not looked into: {big.stdout}")
done()
