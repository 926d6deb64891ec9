#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What an output may replace, and what the stale-temporary sweep may
remove.  An existing OUT that is not a regular file (a character device,
a FIFO, a directory, a link to one of them) is refused with one line and
left as it was, by every verb that writes a file and by `topo -o`; a
regular file is still replaced (through a link to one, the link kept),
its mode kept but never its set-user-ID or set-group-ID bit.  The sweep removes
only OUT.tmp.hvkit-PID-XXXXXX for this very OUT, a directory only when it
carries hvkit's marker, never another name's or a user's look-alike.
Device nodes are made in a private directory, never /dev/null."""
import os
import stat

from movelib import MiB, check, done, guest_cfg, have_xl, hvkit, put, sparse_image, tmpdir

d = tmpdir()
raw = os.path.join(d, "in.raw")
sparse_image(raw, MiB, [(0, 4096)])
xl = have_xl()
cfg = guest_cfg(d, raw)


def targets():
    """(kind, path, what stat says it is)"""
    t = []
    if os.geteuid() == 0:
        p = os.path.join(d, "null")
        if not os.path.exists(p):
            os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        t.append(("char device", p, stat.S_ISCHR))
    p = os.path.join(d, "fifo")
    if not os.path.exists(p):
        os.mkfifo(p)
    t.append(("FIFO", p, stat.S_ISFIFO))
    p = os.path.join(d, "adir")
    os.makedirs(p, exist_ok=True)
    t.append(("directory", p, stat.S_ISDIR))
    p = os.path.join(d, "fifolink")
    if not os.path.lexists(p):
        os.symlink("fifo", p)
    t.append(("link to a FIFO", p, lambda m: stat.S_ISFIFO(m)))
    return t


def refused(args, what, path, isit):
    p = hvkit(*args, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1, f"{' '.join(args)} over a {what}: exit {p.returncode}: {p.stderr}")
    check(len(lines) == 1 and ("not a regular file" in p.stderr or "not overwriting" in p.stderr) and path in p.stderr,
          f"{' '.join(args)} over a {what}: one line naming it: {p.stderr!r}")
    check(isit(os.stat(path).st_mode), f"{' '.join(args)}: the {what} is still one")


for what, path, isit in targets():
    for to in ("raw", "vhd", "qcow2", "xva"):
        refused(["move", "disk", raw, path, "--to", to, "--no-progress"], what, path, isit)
    if xl and what != "directory":
        for to in ("xva", "ova"):
            refused(["move", "export", cfg, "--to", to, "-o", path, "--no-progress"], what, path, isit)
    p = hvkit("topo", "--json", "-o", path, ok=False)
    if "not a regular file" in p.stderr or p.returncode == 0:
        refused(["topo", "--json", "-o", path], what, path, isit)
    check(not [x for x in os.listdir(d) if ".tmp" in x], f"nothing left: {os.listdir(d)}")

# A regular file is still replaced.
reg = put(os.path.join(d, "reg.raw"), "old")
hvkit("move", "disk", raw, reg, "--no-progress")
check(os.path.getsize(reg) == MiB, "a regular file is replaced")
os.chmod(reg, 0o6755)
hvkit("move", "disk", raw, reg, "--no-progress")
check(stat.S_IMODE(os.stat(reg).st_mode) == 0o755, f"set-id bits not kept: {os.stat(reg).st_mode:o}")
# A link is written through, as topo -o's is: the link stays, the file
# it names is replaced (its mode kept).
put(reg, "old")
os.chmod(reg, 0o640)
os.symlink("reg.raw", os.path.join(d, "reglink"))
hvkit("move", "disk", raw, os.path.join(d, "reglink"), "--no-progress")
check(os.path.islink(os.path.join(d, "reglink")) and os.path.getsize(reg) == MiB and
      stat.S_IMODE(os.stat(reg).st_mode) == 0o640, "a link to a regular file is written through")

# The sweep: look-alikes of other names, and an unmarked directory of
# this name, stay; a real leftover of this name (a dead pid) goes.
s = os.path.join(d, "sweep")
os.mkdir(s)
keep_dir = os.path.join(s, "keep.tmp.hvkit-99999-abcdef")
os.mkdir(keep_dir)
put(os.path.join(keep_dir, "data"), "precious")
other = put(os.path.join(s, "important.tmp.hvkit-99998-zzzzzz"), "precious2")
prefix = put(os.path.join(s, "xout.raw.tmp.hvkit-99997-yyyyyy"), "x")  # OUT is "out.raw"
unmarked = os.path.join(s, "out.raw.tmp.hvkit-99996-AAAAAA")
os.mkdir(unmarked)
put(os.path.join(unmarked, "data"), "precious3")
stale = put(os.path.join(s, "out.raw.tmp.hvkit-99995-BBBBBB"), "left by a killed run")
marked = os.path.join(s, "out.raw.tmp.hvkit-99994-CCCCCC")
os.mkdir(marked)
put(os.path.join(marked, ".hvkit-temporary"))
put(os.path.join(marked, "disk.raw"))
hvkit("move", "disk", raw, os.path.join(s, "out.raw"), "--no-progress")
left = sorted(os.listdir(s))
for p in (keep_dir, other, prefix, unmarked):
    check(os.path.basename(p) in left, f"{os.path.basename(p)} kept: {left}")
check(open(os.path.join(keep_dir, "data")).read() == "precious", "a user's directory keeps its data")
check(open(os.path.join(unmarked, "data")).read() == "precious3", "an unmarked directory keeps its data")
check(os.path.basename(stale) not in left, f"this output's stale temporary removed: {left}")
check(os.path.basename(marked) not in left, f"this output's marked stale directory removed: {left}")
done()
