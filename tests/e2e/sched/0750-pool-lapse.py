#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A daemon's own lease lapse (issue 14; found in the Xen box, where a
starved dom0 held daemon B past its lease and the usage meanwhile was
lost).  The daemon ticks at 200 ms under the shortest lease --lease-ttl
takes (2 s) and is SIGSTOPped until etcd has dropped its owner key:
  - alone: its guest's counter advances by X during the stop; after
    SIGCONT the daemon retakes the guest, its record unchanged since its
    last write, and charges X (less the floor's allowance over the stop,
    to a tick's rounding): nothing lost;
  - another daemon (one counter for both, as one Xen domain seen from two
    dom0 daemons) takes the guest over during the stop and charges what
    the guest uses after that; the stopped daemon, resumed, charges
    nothing for its gap, not even when it takes the guest back after the
    other leaves: the record holds that usage once, not twice.
The guests are cgroup v1 trees of plain files (--cgroup-root).  Skips (77)
without etcd (Debian: etcd-server)."""
import base64
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import (HVKIT, b64, charged, check, done, file_cgroups, gateway, kill,  # noqa: E402
                 logged, remove_tmp, start_etcd, ticks, wait_for)

# Budget: (100% - 20%) x 10 s = 8 CPU-s of excess per 60 s.
CONF = "guest g (cgroup:/g) { burst 100% for 10s per 60s, then cap 20% }\n"
FLOOR = 0.2
TICK = 0.2


def daemon(tmp, root, port, prefix, host):
    log = os.path.join(tmp, f"{prefix}-{host}.log")
    metrics = os.path.join(tmp, f"{prefix}-{host}.prom")
    p = subprocess.Popen([HVKIT, "sched", "run", os.path.join(tmp, "pool.conf"),
                          "--cgroup-root", root, "--metrics-file", metrics,
                          "--state", f"etcd://127.0.0.1:{port}/{prefix}", "--host-id", host,
                          "--tick", f"{int(TICK * 1000)}ms", "--lease-ttl", "2s", "-v"],
                         stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    return p, log, metrics


def owner(port, prefix):
    kvs = gateway(port, "kv/range", {"key": b64(f"/{prefix}/owner/g")}).get("kvs", [])
    return kvs[0] if kvs else None


def at(port, key, rev=0):
    """KEY's kv (as etcd's gateway gives it) at revision REV (0: now)."""
    body = {"key": b64(key), **({"revision": rev} if rev else {})}
    kvs = gateway(port, "kv/range", body).get("kvs", [])
    return kvs[0] if kvs else None


def sample(kv):
    """(excess CPU-s held, time of the last sample in s) of a record kv."""
    text = base64.b64decode(kv["value"]).decode()
    m = re.search(r" last (\d+)", text)
    return (sum(int(x.split()[2]) for x in text.splitlines() if x.startswith("b ")) / 1e9,
            int(m.group(1)) / 1e9)


def advance(path, ns):
    """Adds ns to a plain-file cpuacct.usage, in place (never empty)."""
    now = int(open(path).read())
    fd = os.open(path, os.O_WRONLY)
    os.pwrite(fd, f"{now + ns}\n".encode(), 0)
    os.close(fd)


def stop_until_lapsed(p, port, prefix):
    """SIGSTOPs p until etcd dropped its owner key (its lease lapsed);
    returns when it was stopped (monotonic s) and whether it lapsed."""
    t0 = time.monotonic()
    p.send_signal(signal.SIGSTOP)
    return t0, wait_for(lambda: owner(port, prefix) is None)


def main():
    tmp = tempfile.mkdtemp(prefix="hvkit-lapse-")
    procs = []
    try:
        etcd, port = start_etcd(os.path.join(tmp, "etcd"))
        procs.append(etcd)
        open(os.path.join(tmp, "pool.conf"), "w").write(CONF)

        # 1. Alone: the usage during its own lapse is charged at the retake.
        root = f"{tmp}/cg1"
        file_cgroups(root, ("g",))
        usage = f"{root}/cpuacct/g/cpuacct.usage"
        a, log, metrics = daemon(tmp, root, port, "one", "hostA")
        procs.append(a)
        check(wait_for(logged(log, "g: charged here now")) and ticks(metrics, 3),
              "hostA takes g and ticks")
        x = 1.5
        t0, lapsed = stop_until_lapsed(a, port, "one")
        before = at(port, "/one/acct/g")
        base, l0 = sample(before)
        advance(usage, int(x * 1e9))
        check(lapsed, "hostA stopped: its lease lapsed, its owner key is gone")
        a.send_signal(signal.SIGCONT)
        stopped = time.monotonic() - t0
        check(wait_for(logged(log, "our lease lapsed with record revision")) and ticks(metrics, 3),
              f"hostA resumed retakes g, its record still its own:\n{open(log).read()[-1200:]}")
        # The first write after the stop (the retake): what it charged,
        # and the floor's allowance over the time since the last sample
        # the record held at the stop (at least the time since the last
        # read before it, which a write in flight may have left out).
        rev0, now = int(before["mod_revision"]), int(at(port, "/one/acct/g")["mod_revision"])
        take = next((kv for kv in (at(port, "/one/acct/g", r) for r in range(rev0 + 1, now + 1))
                     if int(kv["mod_revision"]) > rev0), None)
        check(take is not None, f"the retake wrote g's record (revisions {rev0}..{now})")
        gain, l1 = sample(take) if take else (base, l0)
        gain -= base
        lo, hi = x - FLOOR * (l1 - l0) - 0.005, x - FLOOR * stopped + 0.005
        check(lo <= gain <= hi,
              f"the retake charged the {x} CPU-s used during the lapse less the floor's "
              f"allowance over the {stopped:.2f} s stop or the {l1 - l0:.2f} s between samples: "
              f"{gain:.3f} CPU-s of excess in [{lo:.3f}, {hi:.3f}]")
        gain = charged(port, "/one/acct/g") - base
        check(take and abs(gain - (sample(take)[0] - base)) < 0.001,
              f"and nothing more later (the counter stood still): {gain:.3f} CPU-s")
        a.send_signal(signal.SIGTERM)
        check(a.wait(timeout=120) == 0, "hostA exits 0 on SIGTERM")

        # 2. Taken over during the stop: the gap is charged once.
        root = f"{tmp}/cg2"
        file_cgroups(root, ("g",))
        usage = f"{root}/cpuacct/g/cpuacct.usage"
        quota = f"{root}/cpu/g/cpu.cfs_quota_us"
        a, alog, ametrics = daemon(tmp, root, port, "two", "hostA")
        procs.append(a)
        check(wait_for(logged(alog, "g: charged here now")) and ticks(ametrics, 2),
              "hostA takes g")
        b, blog, bmetrics = daemon(tmp, root, port, "two", "hostB")
        procs.append(b)
        check(ticks(bmetrics, 3), "hostB runs beside it, g held at its floor there")
        base = charged(port, "/two/acct/g")
        t0, lapsed = stop_until_lapsed(a, port, "two")
        check(wait_for(logged(blog, "g: charged here now")),
              "hostA stopped: hostB takes g over once hostA's lease lapsed")
        check(wait_for(lambda: open(quota).read() == "100000\n"), "hostB lets g burst")
        # W CPU-s at 1 CPU, in 50 ms steps, while hostB owns g.
        w, step, t1 = 2.0, 0.05, time.monotonic()
        for _ in range(int(w / step)):
            time.sleep(step)
            advance(usage, int(step * 1e9))
        burned = time.monotonic() - t1
        check(ticks(bmetrics, 3), "hostB ticks after the burn")
        a.send_signal(signal.SIGCONT)
        check(wait_for(logged(alog, "no longer charged here")) and ticks(ametrics, 3),
              "hostA resumed: g no longer charged there")
        text = open(alog).read()
        check("our lease lapsed with record revision" not in text,
              "hostA does not take the gap as its own (hostB wrote the record)")
        # hostB leaves: hostA takes g back and writes its copy, which must
        # hold nothing of the gap either.
        b.send_signal(signal.SIGTERM)
        check(b.wait(timeout=120) == 0, "hostB exits 0 on SIGTERM, releasing g")
        check(wait_for(lambda: open(alog).read().count("g: charged here now") == 2) and
              ticks(ametrics, 3), "hostA takes g back")
        gain = charged(port, "/two/acct/g") - base
        # hostB's floor allowance runs over its ticks around the burn
        # (longer ones on a loaded machine); twice would be about 2w.
        lo = w - FLOOR * (burned + 4 * TICK + 1.0)
        check(lo <= gain <= w - FLOOR * w + 0.01,
              f"the record holds the {w} CPU-s hostB saw once: {gain:.3f} CPU-s of excess in "
              f"[{lo:.3f}, {w - FLOOR * w:.3f}] (twice would be about {2 * gain:.3f})")
        a.send_signal(signal.SIGTERM)
        check(a.wait(timeout=120) == 0, "hostA exits 0 on SIGTERM")
    finally:
        kill(*procs)
        remove_tmp(tmp)
    done()


main()
