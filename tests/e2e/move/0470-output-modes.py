#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Output files get the mode cp and qemu-img give: 0666 less the umask
(directories 0777 less it) for a new one, the replaced file's mode for
one written over an existing file; never a forced 0644.  Under umask 077
a converted disk, a package, an imported guest and a `topo capture
--keep-serials` archive are readable by their owner only."""
import os
import stat
import subprocess

from movelib import MiB, check, done, hvkit, sparse_image, tmpdir

d = tmpdir()
raw = os.path.join(d, "in.raw")
sparse_image(raw, MiB, [(0, 4096)])
xl = "libxlutil" not in hvkit("move", "show", "--json", "/dev/null", ok=False).stderr
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def under(mask, tag):
    old = os.umask(mask)
    try:
        f, dm = 0o666 & ~mask, 0o777 & ~mask
        for to in ("raw", "vhd", "qcow2", "xva"):
            out = os.path.join(d, f"{tag}.{to}")
            hvkit("move", "disk", raw, out, "--to", to, "--no-progress")
            check(mode(out) == f, f"umask {mask:03o}: move disk --to {to}: {mode(out):o} == {f:o}")
        if xl:
            pkg = os.path.join(d, f"{tag}-pkg.xva")
            hvkit("move", "export", cfg, "--to", "xva", "-o", pkg, "--no-progress")
            check(mode(pkg) == f, f"umask {mask:03o}: export: {mode(pkg):o}")
            ovf = os.path.join(d, f"{tag}-pkg.ovf")
            hvkit("move", "export", cfg, "--to", "ovf", "-o", ovf, "--no-progress")
            check(mode(ovf) == dm and all(mode(os.path.join(ovf, x)) == f for x in os.listdir(ovf)),
                  f"umask {mask:03o}: export --to ovf: {mode(ovf):o}, {[oct(mode(os.path.join(ovf, x))) for x in os.listdir(ovf)]}")
            imp = os.path.join(d, f"{tag}-imported")
            hvkit("move", "import", pkg, "--to", "xl", "-o", imp, "--no-progress")
            check(mode(imp) == dm and all(mode(os.path.join(imp, x)) == f for x in os.listdir(imp)),
                  f"umask {mask:03o}: import: {mode(imp):o}, {[oct(mode(os.path.join(imp, x))) for x in os.listdir(imp)]}")
        cap = os.path.join(d, f"{tag}-capture.tar.gz")
        p = hvkit("topo", "capture", "-o", cap, "--keep-serials", ok=False)
        if p.returncode == 0:
            check(mode(cap) == f, f"umask {mask:03o}: topo capture --keep-serials: {mode(cap):o}")
        svg = os.path.join(d, f"{tag}.json")
        p = hvkit("topo", "--json", "-o", svg, ok=False)
        if p.returncode == 0 and os.path.exists(svg):
            check(mode(svg) == f, f"umask {mask:03o}: topo -o: {mode(svg):o}")
    finally:
        os.umask(old)


under(0o077, "private")
under(0o022, "shared")

# Written over an existing file: its mode stays, whatever the umask.
for m in (0o600, 0o640, 0o604):
    out = os.path.join(d, f"existing-{m:o}.raw")
    with open(out, "wb") as f:
        f.write(b"x")
    os.chmod(out, m)
    old = os.umask(0o022)
    hvkit("move", "disk", raw, out, "--to", "raw", "--no-progress")
    os.umask(old)
    check(mode(out) == m and os.path.getsize(out) == MiB, f"replacing a {m:o} file keeps {m:o}: {mode(out):o}")

# As root, over someone else's file: its owner stays too (as with cp).
if os.geteuid() == 0:
    out = os.path.join(d, "theirs.raw")
    with open(out, "wb") as f:
        f.write(b"x")
    os.chown(out, 65534, 65534)
    os.chmod(out, 0o640)
    hvkit("move", "disk", raw, out, "--to", "raw", "--no-progress")
    st = os.stat(out)
    check((st.st_uid, st.st_gid, mode(out)) == (65534, 65534, 0o640),
          f"replacing another user's file keeps owner and mode: {st.st_uid}:{st.st_gid} {mode(out):o}")
done()
