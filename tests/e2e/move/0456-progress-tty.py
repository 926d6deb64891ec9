#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The progress bar on a terminal (a pty as standard error): it shows the
bytes done and their total, and a run ended by Ctrl-C (SIGINT) or SIGTERM
while the bar is drawn ends the bar's line, so that the shell's prompt
starts on a line of its own.  hvkit is held inside an output write (the
holdlib shim) once the bar is up: no timing.  Without a terminal, no bar."""
import os
import pty
import select
import signal
import subprocess

from holdlib import setup, shim
from movelib import HVKIT, MiB, check, done

d, raw = setup(16 * MiB)


def read_all(fd, proc):
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:   # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    return out


for sig in (signal.SIGINT, signal.SIGTERM):
    out = os.path.join(d, f"out-{sig.name}.qcow2")
    master, slave = pty.openpty()
    r, w = os.pipe()
    asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if x)
    env = dict(os.environ, LD_PRELOAD=shim(), HOLD_FD=str(w), HOLD_AFTER="6", ASAN_OPTIONS=asan)
    p = subprocess.Popen([HVKIT, "move", "disk", raw, out, "--to", "qcow2"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave, env=env, pass_fds=(w,))
    os.close(slave)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        held = f.read(5) == b"held\n"
    check(held, f"{sig.name}: hvkit was held inside a write")
    p.send_signal(sig)
    text = read_all(master, p).decode(errors="replace")
    os.close(master)
    check(p.returncode == -sig, f"{sig.name}: died of it (exit {p.returncode})")
    last = text.rstrip("\r\n").split("\r")[-1]
    check("converting" in text and "/16 MiB" in text and "ETA" in text,
          f"{sig.name}: the bar shows bytes done/total: {text!r}")
    check(text.endswith("\n") and "converting" in last,
          f"{sig.name}: the bar's line is ended, not left half: {text[-120:]!r}")
    check(not os.path.exists(out), f"{sig.name}: nothing under the final name")

# Not a terminal: no bar at all.
p = subprocess.run([HVKIT, "move", "disk", raw, os.path.join(d, "quiet.qcow2"), "--to", "qcow2"],
                   capture_output=True, text=True)
check(p.returncode == 0 and p.stderr == "", f"no bar without a terminal: {p.stderr!r}")
done()
