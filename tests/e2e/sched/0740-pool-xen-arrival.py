#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Xen domain that arrives on a pool's host having run long before is
charged what it used since, not its whole CPU time (found in the Xen box,
tests/xen/dom0-sched-pool.sh: host B took the domain over with its budget
spent, 0 of the 13 CPU-s host A had left).

A host's first read of a pooled guest is charged from zero only when the
guest could have used that much since the record's last sample (a
migrated domain's counter restarts); else it is a baseline
(hvkit-sched(1) POOL).  "Could have used" is the cap in force times the
time elapsed; before the daemon knows the cap it is what the guest can
use at all, for a cgroup every CPU of the host, for a Xen domain its
vCPUs.  The Xen backend gave no bound at all, so every domain arriving
on a host whose daemon had not set its cap yet was charged its whole CPU
time.  Here, under the stand-in libxenlight (tests/unit/fake-libxl.c),
host A polices d0 (1 vCPU, counter from 0) for a few ticks and is
stopped; host B then finds the "same" d0 with 1,000 CPU-s used before
(its counter): B must take it over with what A left, and charge its
half CPU a second from then on.  Skips (77) without etcd, the stand-in,
root or unshare(1)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import (check, done, hvkit, kill, logged, start_etcd, ticks, wait_for,  # noqa: E402
                 xen_fake, xen_fake_cmd)

# Budget: (100% - 20%) x 10 s = 8 CPU-s; d0 uses half a CPU: 0.3 CPU-s a
# second above the floor.
CONF = "guest d0 (xen:d0) { burst 100% for 10s per 600s, then cap 20% }\n"


def main():
    tmp = tempfile.mkdtemp(prefix="hvkit-xenarrive-")
    procs = []
    try:
        xen_fake(tmp)
        if not shutil.which("etcd"):
            start_etcd(tmp)     # skips, saying why
        etcd, port = start_etcd(os.path.join(tmp, "etcd"))
        procs.append(etcd)
        conf = os.path.join(tmp, "x.conf")
        open(conf, "w").write(CONF)

        def left(url):
            p = hvkit("sched", "status", "--state", url, "--json")
            return json.loads(p.stdout)["guests"][0]["budget_left_cpu_s"]

        def daemon(host, url, before_s, n_ticks):
            """Host HOST's daemon on d0 with BEFORE_S CPU-s used before;
            SIGTERM after N_TICKS ticks once it took d0; its log."""
            xl = os.path.join(tmp, f"xl-{host}-{before_s}")
            os.makedirs(xl)
            open(os.path.join(xl, "doms"), "w").write(f"1 {before_s}\n")
            log, prom = os.path.join(xl, "log"), os.path.join(xl, "prom")
            cmd, env = xen_fake_cmd(tmp, xl, "sched", "run", conf, "--state", url, "--host-id", host,
                                    "--tick", "500ms", "--metrics-file", prom, "-v")
            d = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            procs.append(d)
            took = wait_for(logged(log, "d0: charged here now"))
            check(took and ticks(prom, n_ticks), f"{host}: takes d0 over and runs {n_ticks} ticks")
            d.send_signal(signal.SIGTERM)
            rc = d.wait(timeout=120)
            text = open(log).read()
            check(rc == 0, f"{host}: SIGTERM, exit 0 (got {rc}: {text[-400:]!r})")
            return text

        url = f"etcd://127.0.0.1:{port}/arrive"
        daemon("hostA", url, 0, 4)
        a_left = left(url)
        check(a_left < 8.0, f"A charged d0 ({8 - a_left:.3f} CPU-s)")
        text = daemon("hostB", url, 1000, 4)
        got = [float(ln.split("budget left ")[1].split()[0]) for ln in text.splitlines()
               if "d0: charged here now" in ln]
        b_left = left(url)
        check(got and abs(got[0] - a_left) < 0.01,
              f"d0 with 1000 CPU-s used before: B takes it over with what A left "
              f"({got[:1]} vs A's {a_left:.3f}), not charged its past")
        # 4+ ticks of half a CPU: 0.3 CPU-s a second above the floor.
        check(0.2 < a_left - b_left < 3.0,
              f"then B charges what it uses ({a_left - b_left:.3f} CPU-s over its ticks)")
    finally:
        kill(*procs)
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
