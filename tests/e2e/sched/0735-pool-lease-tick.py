#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A pool daemon's lease outlives its tick (found running the pool in the
Xen box, where etcd under QEMU TCG needs a 5 s tick).

The lease is kept alive once a tick and a keepalive may wait half a tick
for etcd, so two keepalives can be 1.5 ticks apart.  With --tick 3s
--lease-ttl 2s (accepted before), or a tick above the 10 s default TTL,
the lease lapsed between every two ticks: each tick the daemon said "our
lease lapsed", dropped its guests ("no longer charged here") and took them
over again, leaving a window each tick where another host could take
them.  Now:
  - --lease-ttl shorter than two ticks is a usage error (exit 2) naming
    the minimum, before etcd is contacted; exactly two ticks runs;
  - without --lease-ttl the lease is 10 s or three ticks, whichever is
    longer (etcd's grantedTTL of the host key's lease);
  - at an 11 s tick with the default, the lease and the owner key stay
    the same over two more ticks, with no "lapsed" line (the old 10 s
    lease lapsed at each).
The guest is a cgroup v1 tree of plain files (--cgroup-root).  Skips (77)
without etcd (Debian: etcd-server)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import (HVKIT, b64, check, done, file_cgroups, gateway, hvkit, kill, logged,  # noqa: E402
                 start_etcd, ticks, wait_for)

CONF = "guest g (cgroup:/g) { burst 100% for 10s per 60s, then cap 20% }\n"


def lease_of(port, key):
    kvs = gateway(port, "kv/range", {"key": b64(key)}).get("kvs", [])
    return kvs[0].get("lease") if kvs else None


def main():
    tmp = tempfile.mkdtemp(prefix="hvkit-leasetick-")
    procs = []
    try:
        conf = os.path.join(tmp, "pool.conf")
        open(conf, "w").write(CONF)
        # 1. Too short: refused before any etcd is asked (nothing listens).
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()
        for tick, ttl in (("3s", "5s"), ("3s", "2s"), ("1500ms", "2900ms")):
            p = hvkit("sched", "run", conf, "--cgroup-root", f"{tmp}/cg", "--state",
                      f"etcd://127.0.0.1:{dead}/lt", "--tick", tick, "--lease-ttl", ttl, ok=False)
            check(p.returncode == 2 and "shorter than two ticks" in p.stderr and p.stdout == "",
                  f"--tick {tick} --lease-ttl {ttl}: usage error naming the minimum "
                  f"(exit {p.returncode}: {p.stderr.strip()!r})")
        p = hvkit("sched", "run", "--help")
        check("two ticks" in p.stdout, "--help says the lease is at least two ticks")

        if not shutil.which("etcd"):
            start_etcd(tmp)     # skips, saying why
        file_cgroups(f"{tmp}/cg", ("g",))
        etcd, port = start_etcd(os.path.join(tmp, "etcd"))
        procs.append(etcd)

        def daemon(host, *extra):
            log = os.path.join(tmp, f"{host}.log")
            d = subprocess.Popen([HVKIT, "sched", "run", conf, "--cgroup-root", f"{tmp}/cg",
                                  "--state", f"etcd://127.0.0.1:{port}/{host}", "--host-id", host,
                                  "--metrics-file", os.path.join(tmp, f"{host}.prom"), "-v", *extra],
                                 stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            procs.append(d)
            return d, log

        def granted(host):
            lease = lease_of(port, f"/{host}/host/{host}")
            if lease is None:
                return None
            return int(gateway(port, "lease/timetolive", {"ID": lease}).get("grantedTTL", -1))

        def stop(d, log, what):
            d.send_signal(signal.SIGTERM)
            rc = d.wait(timeout=120)
            check(rc == 0, f"{what}: SIGTERM, exit 0 (got {rc}; log: {open(log).read()!r})")

        # 2. Exactly two ticks runs; the defaults follow the tick.
        for host, extra, want in (("two", ("--tick", "3s", "--lease-ttl", "6s"), 6),
                                  ("dflt", ("--tick", "1s"), 10),
                                  ("long", ("--tick", "11s"), 33)):
            d, log = daemon(host, *extra)
            check(wait_for(logged(log, "g: charged here now")), f"{' '.join(extra)}: takes the guest")
            got = granted(host)
            check(got == want, f"{' '.join(extra)}: etcd granted the lease {want} s (got {got})")
            if host == "long":
                # 3. No lapse between ticks longer than the old 10 s lease.
                lease = lease_of(port, "/long/owner/g")
                check(ticks(os.path.join(tmp, "long.prom"), 2), "two more 11 s ticks")
                text = open(log).read()
                check("lapsed" not in text and "no longer charged" not in text,
                      f"no lapse, no guest dropped between ticks:\n{text}")
                check(lease is not None and lease_of(port, "/long/owner/g") == lease,
                      f"the owner key is under the same lease after two ticks ({lease})")
            stop(d, log, " ".join(extra))
    finally:
        kill(*procs)
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
