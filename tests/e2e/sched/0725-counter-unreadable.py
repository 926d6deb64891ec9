#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A guest whose CPU counter cannot be read for a while is not gone.

Two guests, g and h, in a cgroup v1 tree of plain files (--cgroup-root):
their cpuacct.usage move alike (this test is the kernel: 25 CPU-ms every
50 ms or more, half a CPU, written in place at a fixed width), under
"burst 100% for 50s per 120s, then cap 1%" (the budget outlasts the
test: the cap stays 100%).  g's file holds, for a few ticks each,
nothing (an empty read) and then garbage, while its counter goes on
growing; h's is always readable.  Judged:
  - g stays present with its cap (its cap file untouched), never "gone",
    and the daemon says it once, not per tick;
  - after SCHED_UNREADABLE_SAY (3) ticks in a row, `sched status` shows
    it (PRESENT "unread", a line on stderr, "unreadable_ticks" in JSON)
    and the metrics count the ticks
    (hvkit_sched_guest_unreadable_ticks);
  - readable again, nothing of the bad ticks is lost: with the counters
    stopped, g's window holds the charge h's does (same counters), to
    within the floor of the bad ticks, and both what the counters moved
    less at most the floor of the time measured;
  - a directory, or a FIFO, in place of a guest's counter when it is
    found: the same (kept, unreadable, said once), not gone, no hang.
Then all of it again with the state in a pool on etcd (one member on
loopback): the pool's record carries the count, and `status` of the
pool says "unread" too (d and f, never read, are taken over by no host:
no record).  Runs anywhere (no root, no cgroups); the pool
half skips, saying so, without etcd."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import (HVKIT, check, done, file_cgroups, hvkit, kill, remove_tmp, start_etcd,  # noqa: E402
                 ticks, wait_for)

STEP = 25000000     # ns a counter moves every 0.05 s (half a CPU)
FLOOR = 0.01
CONF = "".join(f"guest {n} (cgroup:/{n}) {{ burst 100% for 50s per 120s, then cap 1% }}\n"
               for n in ("g", "h", "d", "f"))


class Kernel(threading.Thread):
    """Moves g's and h's counters alike while `go` is set; g's file shows
    `spoil` instead of its counter while that is not None."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.used = 0
        self.spoil = None
        self.go = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.paths = {n: f"{root}/cpuacct/{n}/cpuacct.usage" for n in ("g", "h")}

    def write(self, name, text):
        fd = os.open(self.paths[name], os.O_WRONLY)
        if not text:
            os.ftruncate(fd, 0)
        else:
            os.pwrite(fd, text, 0)
            os.ftruncate(fd, len(text))
        os.close(fd)

    def run(self):
        while not self.stop.is_set():
            time.sleep(0.05)
            with self.lock:
                if self.go.is_set():
                    self.used += STEP
                text = f"{self.used:20d}\n".encode()
                self.write("h", text)
                self.write("g", text if self.spoil is None else self.spoil)

    def set_spoil(self, spoil):
        with self.lock:
            self.spoil = spoil

    def pause(self):
        with self.lock:
            self.go.clear()
            return self.used


def status(state):
    p = hvkit("sched", "status", "--state", state, "--json", ok=False)
    return {x["name"]: x for x in json.loads(p.stdout)["guests"]} if p.returncode == 0 else {}


def metric(path, guest):
    try:
        m = re.search(r'^hvkit_sched_guest_unreadable_ticks\{guest="%s",[^}]*\} (\d+)$' % guest,
                      open(path).read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def main():
    run(False)
    # The same with the state in a pool on etcd: the record carries the
    # count, so `status` of the pool, from any host, says it too.
    if shutil.which("etcd"):
        run(True)
    else:
        print("SKIP: the pool half: etcd is not installed (Debian: apt install etcd-server; "
              "scripts/install-deps.sh test)")
    done()


def run(pool):
    tmp = tempfile.mkdtemp(prefix="hvkit-unread-")
    root = f"{tmp}/cg"
    file_cgroups(root, ("g", "h", "d", "f"))
    # d: a directory where its counter should be (opened: reads EISDIR);
    # f: a FIFO (an open that waited for a writer would hang the daemon).
    os.unlink(f"{root}/cpuacct/d/cpuacct.usage")
    os.mkdir(f"{root}/cpuacct/d/cpuacct.usage")
    os.unlink(f"{root}/cpuacct/f/cpuacct.usage")
    os.mkfifo(f"{root}/cpuacct/f/cpuacct.usage")
    conf, state, metrics, log = (f"{tmp}/{x}" for x in ("p.conf", "state", "metrics", "hv.log"))
    open(conf, "w").write(CONF)
    kern = Kernel(root)
    kern.start()
    dm = member = None
    try:
        if pool:
            member, port = start_etcd(f"{tmp}/etcd")
            state = f"etcd://127.0.0.1:{port}/unread"
        print(f"--- state in {'a pool on etcd' if pool else 'a file'}")
        dm = subprocess.Popen([HVKIT, "sched", "run", conf, "--cgroup-root", root, "--state", state,
                               "--tick", "500ms", "--save-every", "500ms", "--metrics-file", metrics,
                               *(["--host-id", "h1"] if pool else []), "-v"],
                              stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        check(wait_for(lambda: open(f"{root}/cpu/g/cpu.cfs_quota_us").read().strip() == "100000"),
              "g capped at its burst, 100%")
        t0 = time.monotonic()
        kern.go.set()
        check(ticks(metrics, 3), "3 ticks, both readable")

        for what, spoil in (("empty", b""), ("garbage", b"12x4 garbage\n")):
            kern.set_spoil(spoil)
            check(ticks(metrics, 4), f"4 ticks with g's counter {what}")
            st, n = status(state), metric(metrics, "g")
            p = hvkit("sched", "status", "--state", state, ok=False)
            row = [x.split() for x in p.stdout.splitlines() if x.startswith("g ")]
            check(st.get("g", {}).get("present") and st["g"].get("unreadable_ticks", 0) >= 3 and
                  st["g"].get("cap_cpus") == 1 and n is not None and n >= 3 and
                  metric(metrics, "h") == 0,
                  f"{what}: g present, cap 1 CPU, unreadable for {st.get('g', {}).get('unreadable_ticks')} "
                  f"ticks in status, {n} in the metrics (h: {metric(metrics, 'h')})")
            check(row and "unread" in row[0][2:4] and
                  "g: its CPU time could not be read for the last" in p.stderr,
                  f"{what}: status says 'unread' and why ({row}, {p.stderr.strip()!r})")
            kern.set_spoil(None)
            check(ticks(metrics, 2), "2 good ticks")
            check(metric(metrics, "g") == 0, f"{what}: read again, the metric is 0")
        check(open(f"{root}/cpu/g/cpu.cfs_quota_us").read().strip() == "100000",
              "g's cap file kept its 100% all along")
        check(ticks(metrics, 2), "2 more ticks")
        moved = kern.pause()
        span = time.monotonic() - t0
        check(ticks(metrics, 3), "3 ticks with the counters still")
        st = status(state)
        g, h = (st.get(n, {}).get("window_excess_cpu_s", 0) for n in ("g", "h"))
        low = moved / 1e9 - FLOOR * (span + 1)
        check(abs(g - h) <= FLOOR * span and low - 0.002 <= g <= moved / 1e9 + 0.002,
              f"no charge lost: g's window holds {g:.3f} CPU-s, h's {h:.3f}; the counters moved "
              f"{moved / 1e9:.3f} CPU-s in {span:.1f} s (floor at most {FLOOR * span:.3f})")
        for n, what in (("d", "a directory"), ("f", "a FIFO")):
            if pool:
                # never read here: not taken over, no record (the
                # metrics count its ticks)
                check(n not in st and (metric(metrics, n) or 0) >= 3,
                      f"{n} ({what} for a counter): no pool record, unreadable "
                      f"{metric(metrics, n)} ticks in the metrics")
                continue
            check(st.get(n, {}).get("present") and st[n].get("unreadable_ticks", 0) >= 3,
                  f"{n} ({what} for a counter): present, unreadable "
                  f"{st.get(n, {}).get('unreadable_ticks')} ticks")
        dm.terminate()
        rc = dm.wait(timeout=30)
        dm = None
        err = open(log).read()
        check(rc == 0, f"daemon exits 0 on SIGTERM (got {rc})")
        check(err.count("g: cannot read its CPU time") == 1 and
              "no counter in what was read (empty or garbled)" in err,
              "g's unreadable counter said once, over two spells")
        check(err.count("d: cannot read its CPU time: Is a directory") == 1 and
              err.count("f: cannot read its CPU time: Illegal seek") == 1,
              "d's and f's said once: 'Is a directory', 'Illegal seek'")
        check(not re.search(r"^.*\b[gdf]: gone", err, re.M), "none of g, d, f taken as gone")
        check(re.search(r"g: CPU time read again after [3-9] ticks", err) is not None,
              "-v: g read again, after the ticks it could not be")
    finally:
        kern.stop.set()
        kern.join()
        kill(dm, member)
        remove_tmp(tmp)


if __name__ == "__main__":
    main()
