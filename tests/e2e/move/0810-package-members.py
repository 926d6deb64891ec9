#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An OVF's file references are someone else's: a member that is a
symbolic link (href="x.vhd", x.vhd -> a secret file of the host), a FIFO
or a directory is refused with one line naming it, nothing is written, and
the secret's bytes appear nowhere under the output's parent."""
import glob
import os

from movelib import MiB, check, done, hvkit, skip, sparse_image, tmpdir

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

d = tmpdir()
disk = os.path.join(d, "root.img")
sparse_image(disk, MiB, [(0, 4096)])
cfg = os.path.join(d, "guest.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,access=rw,target={disk}" ]\n')
secret = os.path.join(d, "secret")
with open(secret, "wb") as f:
    f.write(b"root:SECRET-HASH-0123456789:19000:0:99999:7:::\n" * 11 + b"\0" * (512 - 48 * 11 % 512))
os.chmod(secret, 0o600)

pkg = os.path.join(d, "pkg.ovf")
hvkit("move", "export", cfg, "--to", "ovf", "-o", pkg, "--no-progress")
ovf = glob.glob(os.path.join(pkg, "*.ovf"))[0]
member = glob.glob(os.path.join(pkg, "*.vhd"))[0]
name = os.path.basename(member)
os.unlink(member)


def refused(tag, words):
    out = os.path.join(d, "out")
    p = hvkit("move", "import", ovf, "--to", "xl", "-o", out, "--no-progress", ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and name in p.stderr and words in p.stderr,
          f"{tag}: one line naming '{name}' and '{words}': {p.returncode} {p.stderr!r}")
    check(not os.path.exists(out) and not glob.glob(out + ".tmp.*"), f"{tag}: nothing written")
    for root, _, files in os.walk(d):
        for f in files:
            path = os.path.join(root, f)
            if path != secret and not os.path.islink(path) and os.path.isfile(path):
                check(b"SECRET-HASH" not in open(path, "rb").read(), f"{tag}: secret copied into {path}")


os.symlink(secret, member)
refused("symlink to a host file", "symbolic link")
os.unlink(member)
os.symlink("/etc/shadow", member)
refused("symlink to /etc/shadow", "symbolic link")
os.unlink(member)
os.mkfifo(member)
refused("FIFO (must not block)", "not a regular file")
os.unlink(member)
os.mkdir(member)
refused("directory", "not a regular file")
os.rmdir(member)
done()
