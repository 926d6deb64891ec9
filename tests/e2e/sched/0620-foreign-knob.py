#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Another hand on the knob (hvkit-sched(1) FOREIGN CHANGES), on a real
cgroup: the daemon sets "cap 50%" and weight 512; the test then writes
another quota and another weight behind its back.
  - --foreign ours: one warning naming the file, both values and a guess
    of the owner (the cgroup sits in a '.slice': systemd), and the
    daemon's cap and weight are back in the files at the next check;
  - --foreign theirs: one warning saying the guest is unmanaged; the
    foreign value stays through later checks; SIGHUP manages it again.
Skips (77) without root or a cgroup cpu controller."""
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, check, done, make_cgroups, remove_cgroups, ticks, wait_for  # noqa: E402

def setup():
    name = f"hvkit-knob-{os.getpid()}.slice"
    dirs, v2 = make_cgroups(name, ("g",))
    return name, dirs, v2


def cleanup(dirs):
    remove_cgroups(dirs, ("g",))


def main():
    name, dirs, v2 = setup()
    g = f"{dirs[0]}/g"
    qfile, wfile = (f"{g}/cpu.max", f"{g}/cpu.weight") if v2 else (f"{g}/cpu.cfs_quota_us", f"{g}/cpu.shares")
    ours_q = "50000 100000" if v2 else "50000"
    ours_w = "200" if v2 else "2048"
    theirs_q = "80000 100000" if v2 else "80000"
    theirs_w = "50" if v2 else "512"

    def read(f):
        return open(f).read().strip()

    tmp = tempfile.mkdtemp()
    daemon = None
    try:
        conf = os.path.join(tmp, "k.conf")
        with open(conf, "w") as f:
            f.write(f"guest g (cgroup:/{name}/g) {{\n    weight 512\n    cap 50%\n}}\n")
        for mode in ("ours", "theirs"):
            # Start from values that are not the daemon's.
            open(qfile, "w").write("max" if v2 else "-1")
            open(wfile, "w").write("100" if v2 else "1024")
            log = os.path.join(tmp, f"{mode}.log")
            metrics = os.path.join(tmp, f"{mode}.prom")
            daemon = subprocess.Popen([HVKIT, "sched", "run", conf, "--state", os.path.join(tmp, f"{mode}.state"),
                                       "--tick", "200ms", "--knob-every", "200ms", "--foreign", mode,
                                       "--metrics-file", metrics],
                                      stderr=open(log, "w"))
            check(wait_for(lambda: read(qfile) == ours_q and read(wfile) == ours_w),
                  f"{mode}: the daemon set the cap ({read(qfile)}) and weight ({read(wfile)})")
            open(qfile, "w").write(theirs_q.split()[0] + ("" if not v2 else " 100000"))
            said = wait_for(lambda: "changed behind our back" in open(log).read())
            text = open(log).read()
            check(said and ("cpu.max" if v2 else "cpu.cfs_quota_us") in text and "systemd" in text
                  and theirs_q.split()[0] in text,
                  f"{mode}: the change is logged with the file, the value and a guess of the owner: "
                  f"{[x for x in text.splitlines() if 'behind' in x][:1]}")
            if mode == "ours":
                check(wait_for(lambda: read(qfile) == ours_q), f"ours: the cap is written again ({read(qfile)})")
                open(wfile, "w").write(theirs_w)
                check(wait_for(lambda: read(wfile) == ours_w and open(log).read().count("behind our back") == 2),
                      f"ours: a changed weight is logged and written again ({read(wfile)})")
            else:
                check(ticks(metrics, 5), "theirs: the daemon ticks on")   # 5 knob checks
                check(read(qfile) == theirs_q and "unmanaged" in open(log).read()
                      and open(log).read().count("behind our back") == 1,
                      f"theirs: the foreign cap stays ({read(qfile)}), one warning, guest unmanaged")
                daemon.send_signal(signal.SIGHUP)
                check(wait_for(lambda: read(qfile) == ours_q), f"theirs: SIGHUP manages it again ({read(qfile)})")
            daemon.send_signal(signal.SIGTERM)
            check(daemon.wait(timeout=120) == 0, f"{mode}: the daemon exits 0")
            daemon = None
    finally:
        if daemon:
            daemon.kill()
            daemon.wait()
        cleanup(dirs)
    done()


main()
