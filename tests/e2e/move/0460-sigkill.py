#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGKILL, which no handler sees: a file output has no name until it is
complete (O_TMPFILE), so a killed `move disk` or `export` leaves nothing,
and a file it would have replaced is untouched; a directory output
(import) is left as OUT.tmp.hvkit-PID-XXXXXX, and the next run into that
directory removes it, but never one whose process lives, one whose lock
is held, or what a link of that name points to.  hvkit is killed while
blocked inside a write to its output (holdlib), never after a sleep."""
import fcntl
import os
import signal

from holdlib import held, kill, setup
from movelib import MiB, check, done, hvkit

d, raw = setup(4 * MiB)


def tmps(where=d):
    return sorted(x for x in os.listdir(where) if ".tmp" in x)


# A new file: nothing at all is left, not even a nameless one's name.
out = os.path.join(d, "new.xva")
p, ok = held(["move", "disk", raw, out, "--to", "xva", "--no-progress"])
if check(ok, "move disk reached its output's second write"):
    fds = [os.readlink(f"/proc/{p.pid}/fd/{n}") for n in os.listdir(f"/proc/{p.pid}/fd")]
    unnamed = [x for x in fds if x.startswith(d + "/#") or (x.startswith(d) and x.endswith("(deleted)"))]
    check(unnamed, f"the output has no name while written (O_TMPFILE): {fds}")
    kill(p, signal.SIGKILL)
    check(p.returncode == -signal.SIGKILL, f"killed: {p.returncode}")
    check(not os.path.exists(out) and not tmps(), f"nothing left after SIGKILL: {os.listdir(d)}")

# Replacing a file: the old one is untouched, content and mode.
old = os.path.join(d, "old.raw")
with open(old, "wb") as f:
    f.write(b"old contents\n" * 100)
os.chmod(old, 0o600)
p, ok = held(["move", "disk", raw, old, "--to", "raw", "--no-progress"])
if check(ok, "move disk over a file reached its second write"):
    kill(p, signal.SIGKILL)
    check(open(old, "rb").read() == b"old contents\n" * 100 and os.stat(old).st_mode & 0o777 == 0o600,
          "the file it would have replaced is untouched")
    check(not tmps(), f"nothing left: {tmps()}")

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    done()
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')
pkg = os.path.join(d, "g.xva")
p, ok = held(["move", "export", cfg, "--to", "xva", "-o", pkg, "--no-progress"])
if check(ok, "export reached its second write"):
    kill(p, signal.SIGKILL)
    check(not os.path.exists(pkg) and not tmps(), f"export: nothing left after SIGKILL: {tmps()}")
hvkit("move", "export", cfg, "--to", "xva", "-o", pkg, "--no-progress")

# A directory: left by the killed run, removed by the next one.
first = os.path.join(d, "first")
p, ok = held(["move", "import", pkg, "--to", "xl", "-o", first, "--no-progress"])
if check(ok, "import reached its second write"):
    pid = p.pid
    kill(p, signal.SIGKILL)
    left = tmps()
    check(len(left) == 1 and left[0].startswith(f"first.tmp.hvkit-{pid}-"), f"import leaves its directory: {left}")
    # Look-alikes that must stay: a live process's (ours), a locked one,
    # and a link to a directory of someone else's files.
    live = os.path.join(d, f"first.tmp.hvkit-{os.getpid()}-AAAAAA")
    os.mkdir(live)
    open(os.path.join(live, ".hvkit-temporary"), "w").close()
    locked = os.path.join(d, f"first.tmp.hvkit-{pid}-BBBBBB")
    os.mkdir(locked)
    open(os.path.join(locked, ".hvkit-temporary"), "w").close()
    lock = os.open(locked, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    victim = os.path.join(d, "victim")
    os.mkdir(victim)
    with open(os.path.join(victim, "precious"), "w") as f:
        f.write("keep me\n")
    os.symlink(victim, os.path.join(d, f"first.tmp.hvkit-{pid}-CCCCCC"))
    p = hvkit("-v", "move", "import", pkg, "--to", "xl", "-o", first, "--no-progress", ok=False)
    check(p.returncode == 0, f"the next import: {p.stderr}")
    check(f"hvkit process {pid}, which is gone" in p.stderr, f"says what it removed: {p.stderr}")
    check(sorted(tmps()) == sorted([os.path.basename(live), os.path.basename(locked), f"first.tmp.hvkit-{pid}-CCCCCC"]),
          f"the killed run's directory removed, the look-alikes kept: {tmps()}")
    check(open(os.path.join(victim, "precious")).read() == "keep me\n", "a link is not followed")
    os.close(lock)
done()
