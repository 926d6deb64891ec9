#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Taking a guest over in a pool never charges what the guest used before.

One etcd member on loopback (Debian's etcd-server, in a temporary
directory) and one busy guest (a single-threaded loop, so at most 1 CPU-s
per second) under "burst 100% for 10s per 60s, then cap 2%", whose cgroup
has run for a while before any daemon sees it (as any running guest has):

  - host B takes the guest over, then host C (another --host-id: the guest found on another host, or a
    daemon restarted under another name) then takes it over from B's
    record: the counter it first reads is a baseline, so no one-second
    bucket of the record ever holds more than the loop could use in one
    second (before, C charged the cgroup's whole lifetime counter in one
    bucket);
  - a leftover owner key with no lease, naming a host with no daemon
    (a snapshot restore, a hand-made put), is taken as lapsed within the
    lease's TTL: host B says so and takes the guest over;
  - `status` lists a record under the guest its key names, not the name
    inside it (a copy of g's record under acct/other is reported).
Skips (77) without root, cgroups, or etcd (apt install etcd-server)."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, b64, check, done, gateway, make_cgroups, remove_cgroups, start_etcd  # noqa: E402


def run_daemon(conf, url, host, secs, want):
    """Runs a daemon for secs seconds and then until its log says want
    (up to 120 s more: a loaded machine is slow, never assumed idle)."""
    log = os.path.join(os.path.dirname(conf), f"{host}.log")
    with open(log, "w") as f:
        p = subprocess.Popen([HVKIT, "sched", "run", conf, "--tick", "1s",
                              "--state", url, "--host-id", host, "--lease-ttl", "2s", "-v"],
                             stdout=subprocess.DEVNULL, stderr=f)
    start = time.monotonic()
    while p.poll() is None:
        elapsed = time.monotonic() - start
        if elapsed >= secs and (want in open(log).read() or elapsed > secs + 120):
            break
        time.sleep(0.2)
    if p.poll() is None:
        p.terminate()
        p.wait(timeout=60)
    return open(log).read()


def main():
    name = f"hvkit-take-{os.getpid()}"
    tops, v2 = make_cgroups(name, ("g",))
    if v2:
        open(f"{tops[0]}/cpu.weight", "w").write("10000")
    else:
        open(f"{tops[0]}/cpu.shares", "w").write("262144")
    tmp = tempfile.mkdtemp(prefix="hvkit-take-")
    loop = etcd = None
    try:
        loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for t in tops:
            open(f"{t}/g/cgroup.procs", "w").write(str(loop.pid))
        etcd, port = start_etcd(tmp)
        url = f"etcd://127.0.0.1:{port}/take"
        conf = os.path.join(tmp, "pool.conf")
        open(conf, "w").write(f"guest g (cgroup:/{name}/g) {{\n"
                              "    burst 100% for 10s per 60s, then cap 2%\n}\n")
        time.sleep(2)   # the guest's counter grows before any daemon sees it

        log = run_daemon(conf, url, "hostB", 6, "g: charged here now")
        check("g: charged here now" in log, "B takes the guest over")
        log = run_daemon(conf, url, "hostC", 5, "g: charged here now")
        check("g: charged here now" in log, "C takes the guest over from B's record")
        kvs = gateway(port, "kv/range", {"key": b64("/take/acct/g")}).get("kvs", [])
        rec = base64.b64decode(kvs[0]["value"]).decode() if kvs else ""
        buckets = [int(line.split()[2]) for line in rec.splitlines() if line.startswith("b ")]
        check(buckets, "the record holds charged buckets")
        # One loop: at most 1 CPU-s a second (+ one CFS period of slack).
        if not check(max(buckets, default=0) <= 1.1e9,
                     f"no bucket above what one CPU can use (largest {max(buckets, default=0) / 1e9:.3f} s)"):
            print(rec)

        # A good record of g under another guest's key: status names it
        # by the key (as the daemon does), so it is reported, not shown.
        gateway(port, "kv/put", {"key": b64("/take/acct/other"), "value": b64(rec)})
        p = subprocess.run([HVKIT, "sched", "status", "--state", url, "--json"],
                           capture_output=True, text=True, timeout=120)
        names = [x["name"] for x in json.loads(p.stdout)["guests"]] if p.returncode == 0 else None
        check(names == ["g"] and "'/take/acct/other': holds guest 'g''s record, not guest 'other''s" in p.stderr,
              f"a record under another guest's key: warned, not shown ({names}, {p.stderr.strip()})")

        # C is gone (its keys with it); a lease-less key naming a host
        # with no daemon is left behind.
        gateway(port, "kv/put", {"key": b64("/take/owner/g"), "value": b64("hostZ")})
        log = run_daemon(conf, url, "hostB", 6, "g: charged here now")
        check("owner key '/take/owner/g' (host 'hostZ') has no lease; taken as lapsed" in log,
              "B says the lease-less owner key is taken as lapsed")
        check("g: charged here now" in log, "B takes the guest over from it")
    finally:
        if loop:
            loop.kill()
            loop.wait()
        if etcd:
            etcd.kill()
            etcd.wait()
        time.sleep(0.2)
        remove_cgroups(tops, ("g",))
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
