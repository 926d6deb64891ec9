#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A pool daemon started while etcd does not answer holds every guest at
its floor and joins the pool when etcd comes.

Exiting instead (as it did) left each guest at whatever cap it had when
the last daemon stopped: a guest stopped mid-burst then ran at its burst
cap, uncharged, until someone noticed (seen as a 14 CPU-s overspend in
0600 when a restarted daemon could not reach a loaded etcd).  The guest
is a cgroup v1 tree of plain files (--cgroup-root), left at 100% by "the
last daemon"; etcd (Debian's etcd-server) is started on the daemon's port
only after the daemon runs.  Skips (77) without etcd."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, b64, check, done, file_cgroups, gateway, logged, start_etcd, wait_for  # noqa: E402


def main():
    tmp = tempfile.mkdtemp(prefix="hvkit-startdown-")
    daemon = etcd = None
    try:
        if not shutil.which("etcd"):
            start_etcd(tmp)     # skips, saying why
        file_cgroups(f"{tmp}/cg", ("g",))
        quota = f"{tmp}/cg/cpu/g/cpu.cfs_quota_us"
        open(quota, "w").write("100000\n")      # the last daemon left it bursting
        conf = os.path.join(tmp, "pool.conf")
        open(conf, "w").write("guest g (cgroup:/g) { burst 100% for 10s per 60s, then cap 20% }\n")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()                               # nothing listens there now
        log = os.path.join(tmp, "daemon.log")
        daemon = subprocess.Popen([HVKIT, "sched", "run", conf, "--cgroup-root", f"{tmp}/cg",
                                   "--state", f"etcd://127.0.0.1:{port}/sd", "--host-id", "hostA",
                                   "--tick", "200ms", "--lease-ttl", "2s", "-v"],
                                  stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        check(wait_for(logged(log, "every guest held at its floor until etcd answers")),
              "started with etcd away: says it holds every guest at its floor")
        check(wait_for(lambda: open(quota).read().strip() == "20000"),
              f"the guest's cap is its floor (cfs_quota_us {open(quota).read().strip()}, want 20000)")
        check(daemon.poll() is None, f"the daemon runs on (exit {daemon.poll()})")

        etcd, _ = start_etcd(os.path.join(tmp, "etcd"), port=port)
        check(wait_for(logged(log, "g: charged here now")), "etcd up: the daemon takes the guest over")
        check(wait_for(logged(log, "etcd back after")), "and says etcd is back")
        kvs = gateway(port, "kv/range", {"key": b64("/sd/"), "range_end": b64("/sd0")}).get("kvs", [])
        keys = sorted(__import__("base64").b64decode(k["key"]).decode() for k in kvs)
        check("/sd/host/hostA" in keys and "/sd/owner/g" in keys and "/sd/acct/g" in keys,
              f"its host key, the guest's owner key and record are in etcd ({keys})")
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(timeout=120)
        check(rc == 0, f"SIGTERM: exit 0 (got {rc})")
        text = open(log).read()
        check("error" not in text, f"no error line in its log:\n{text}")
    finally:
        for p in (daemon, etcd):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
