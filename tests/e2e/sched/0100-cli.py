#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sched check/status/run on the command line: help, usage errors (2),
file:line:col errors (1), SIGHUP with a bad config keeps the policy."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import DATA, HVKIT, check, done, hvkit  # noqa: E402

p = hvkit("sched", "--help")
check("usage:" in p.stdout, "sched --help prints usage")
for args in (["sched"], ["sched", "frob"], ["sched", "check"], ["sched", "run"],
             ["sched", "run", "x", "--tick", "0s"], ["sched", "status", "extra"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2, f"{args}: exit {p.returncode}, expected 2")

p = hvkit("sched", "check", os.path.join(DATA, "sched", "live-example.conf"))
check("ok, 4 guests" in p.stdout, "example config checks")

with tempfile.TemporaryDirectory() as d:
    bad = os.path.join(d, "bad.conf")
    open(bad, "w").write("guest x (cgroup:/a) {\n  cap 20\n}\n")
    p = hvkit("sched", "check", bad, ok=False)
    check(p.returncode == 1 and f"{bad}:2:7: expected a percentage" in p.stderr and "'20'" in p.stderr,
          f"bad config: one file:line:col error with the text: {p.stderr.strip()}")
    p = hvkit("sched", "status", "--state", os.path.join(d, "none"), ok=False)
    check(p.returncode == 1 and "is 'hvkit sched run' running" in p.stderr, "status without state")
    junk = os.path.join(d, "junk")
    open(junk, "w").write("garbage\n")
    p = hvkit("sched", "status", "--state", junk, ok=False)
    check(p.returncode == 1 and "not an hvkit sched state file" in p.stderr, "status of junk state")

    # A daemon over a cgroup that does not exist: runs, SIGHUP with a bad
    # file keeps the policy, SIGTERM exits 0.
    conf = os.path.join(d, "a.conf")
    state = os.path.join(d, "state")
    open(conf, "w").write("guest ghost (cgroup:/hvkit-no-such-cgroup) { cap 20% }\n")
    dm = subprocess.Popen([HVKIT, "sched", "run", conf, "--tick", "100ms", "--state", state, "-v"],
                          stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    open(conf, "w").write("guest ghost (cgroup:/x) { cap 20 }\n")
    dm.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    check(dm.poll() is None, "daemon survives a bad reload")
    dm.send_signal(signal.SIGTERM)
    err = dm.communicate(timeout=10)[1]
    check(dm.returncode == 0, f"SIGTERM: exit {dm.returncode}")
    check("keeping the running policy" in err and ":1:" in err, f"bad reload logged with its location: {err!r}")
    p = hvkit("sched", "status", "--state", state, "--json")
    check('"name":"ghost"' in p.stdout and '"present":false' in p.stdout, "status shows the absent guest")
done()
