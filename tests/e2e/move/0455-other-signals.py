#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signals that end a run other than INT, TERM, HUP and PIPE (QUIT,
USR1, USR2, ALRM) remove the temporary output as SIGTERM does, for a
file (disk, over an existing one) and a directory (import); and a file
size limit (ulimit -f, SIGXFSZ) ends the run with one error line, exit
1 and nothing left, instead of a death by signal with leftovers."""
import os
import resource
import signal
import subprocess

from holdlib import held, kill, setup
from movelib import MiB, check, done, guest_cfg, have_xl, hvkit

d, raw = setup(4 * MiB)


def left():
    return sorted(x for x in os.listdir(d) if ".tmp" in x)


old = os.path.join(d, "old.raw")
with open(old, "wb") as f:
    f.write(b"old\n")
pkg = None
if have_xl():
    pkg = os.path.join(d, "g.xva")
    hvkit("move", "export", guest_cfg(d, raw), "--to", "xva", "-o", pkg, "--no-progress")
for sig in (signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
    runs = [(["move", "disk", raw, old, "--to", "raw", "--no-progress"], old)]
    if pkg:
        runs.append((["move", "import", pkg, "--to", "xl", "-o", os.path.join(d, "imp"), "--no-progress"], None))
    for args, keep in runs:
        p, ok = held(args)
        if check(ok, f"{args[1]} reached its second write ({sig.name})"):
            kill(p, sig)
            check(p.returncode == -sig, f"{args[1]}: ended by {sig.name}: {p.returncode}")
            check(not left() and not os.path.exists(os.path.join(d, "imp")),
                  f"{args[1]} {sig.name}: nothing left: {left()}")
            if keep:
                check(open(keep, "rb").read() == b"old\n", f"{sig.name}: the old file untouched")


def limited():
    resource.setrlimit(resource.RLIMIT_FSIZE, (MiB, MiB))


HVKIT = os.environ.get("HVKIT", "build/hvkit")
runs = [["move", "disk", raw, os.path.join(d, "new.raw"), "--no-progress"]]
if pkg:
    runs.append(["move", "import", pkg, "--to", "xl", "-o", os.path.join(d, "lim"), "--no-progress"])
for args in runs:
    p = subprocess.run([HVKIT, *args], capture_output=True, text=True, preexec_fn=limited)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and "too large" in p.stderr,
          f"{args[1]} under ulimit -f: one line, exit 1: {p.returncode} {p.stderr!r}")
    check(not left() and not os.path.exists(args[-2] if args[1] == "import" else args[3]),
          f"{args[1]} under ulimit -f: nothing left: {left()}")
done()
