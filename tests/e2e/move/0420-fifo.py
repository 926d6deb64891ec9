#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Inputs that are not regular files: a FIFO nobody writes to (which
would block open() and read() for ever), a socket and a character device
are refused at once with one line naming what they are, by move (disk,
info, show, import, export's disk targets), topo --from and cpuid
--from.  "-" is standard input, read once: cpuid --from - reads a dump
from a pipe, move disk - and move info - a disk image."""
import os
import shutil
import socket
import subprocess

from movelib import check, done, tmpdir

HVKIT = os.environ.get("HVKIT", "build/hvkit")
d = tmpdir()
fifo = os.path.join(d, "fifo")
os.mkfifo(fifo)
sock = os.path.join(d, "sock")
s = socket.socket(socket.AF_UNIX)
s.bind(sock)
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 128\ndisk = [ "format=raw,vdev=xvda,target={fifo}" ]\n')


def refused(args, what):
    try:
        p = subprocess.run([HVKIT, *args], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        check(False, f"{args}: blocked on {what}")
        return
    errs = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(errs) == 1 and what in errs[0],
          f"{args}: one line naming {what!r}: {p.returncode} {p.stderr!r}")


for path, what in ((fifo, "a FIFO, not a regular file"), (sock, "a socket"),
                   ("/dev/zero", "a character device")):
    refused(["move", "info", path], what)
    refused(["move", "show", path], what)
    refused(["move", "disk", path, os.path.join(d, "out.raw")], what)
    refused(["move", "import", path, "--to", "xl", "-o", os.path.join(d, "imp")], what)
    refused(["topo", "--from", path], what)
    refused(["cpuid", "--from", path], what)
refused(["move", "export", cfg, "--to", "xva", "-o", os.path.join(d, "x.xva")], "a FIFO")
check(sorted(os.listdir(d)) == ["fifo", "g.cfg", "sock"], f"nothing written: {os.listdir(d)}")

# "-": standard input, a pipe, read once.
dump = "CPU 0:\n   0x00000000 0x00: eax=0x0000000d ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n"
p = subprocess.run([HVKIT, "cpuid", "decode", "--from", "-"], input=dump, capture_output=True,
                   text=True, timeout=120)
check(p.returncode == 0 and "GenuineIntel" in p.stdout, f"cpuid --from - reads a pipe: {p.stderr}")
# move reads images at offsets: a pipe on stdin is kept in a temporary
# file first, and converted whole.
data = bytes(range(256)) * 4096 + bytes(1 << 20) + b"tail" * 128
out = os.path.join(d, "piped.raw")
p = subprocess.run([HVKIT, "move", "disk", "-", out, "--no-progress"], input=data,
                   capture_output=True, timeout=120)
check(p.returncode == 0 and open(out, "rb").read() == data, f"move disk - reads a pipe: {p.stderr}")
p = subprocess.run([HVKIT, "move", "info", "--json", "-"], input=data, capture_output=True,
                   timeout=120)
check(p.returncode == 0 and f'"virtual_size":{len(data)}' in p.stdout.decode().replace(" ", ""),
      f"move info - reads a pipe: {p.stdout} {p.stderr}")
s.close()
shutil.rmtree(d)
done()
