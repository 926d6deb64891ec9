#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the daemon trusts in a state file and how it writes it (breaker 2):
  - a file whose checksum holds but whose contents contradict themselves
    (head bucket after the last sample, a bucket size that is not the
    window's, the same guest twice, tick 0, saved after now) is damaged:
    `status` refuses it (exit 1, the line named) and `run` charges the
    full window (one warning), never less than the 5 CPU-s it held;
  - a clock that went back a little (saved 30 s from now) keeps the
    charge as it is;
  - saves keep an existing state's and metrics file's mode, and give new
    ones 0666 less the umask, like the lock;
  - a symlinked --state or --metrics-file (or one that is no regular
    file) is refused in one line, the link left alone;
  - a pool record from a host whose clock is 120 s ahead is damaged and
    charged a full window; 30 s ahead it is merged as it is (etcd);
  - a large file that is not a state is refused at line 1, unread.
The states are sealed with xxh64sum (Debian: xxhash), as the daemon seals
them; the guest is a cgroup v1 tree of plain files (--cgroup-root).
Skips (77) without xxh64sum or etcd (Debian: xxhash, etcd-server)."""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, b64, check, done, file_cgroups, gateway, hvkit, skip, start_etcd  # noqa: E402

CONF = "guest a (cgroup:/a) { burst 100% for 5m per 1h, then cap 20% }\n"
NS = 1000000000


def seal(body):
    h = subprocess.run(["xxh64sum"], input=body.encode(), capture_output=True, check=True)
    return body + "end xxh64 " + h.stdout.decode().split()[0] + "\n"


def state(now_s, head_delta=0, edit=None, saved_delta=0):
    """A state for CONF holding one 5 CPU-s bucket at the head."""
    n = (now_s + saved_delta) * NS
    head = now_s + saved_delta + head_delta
    g = (f"guest a cgroup:/a present 1 weight 0 started 1 last {n} counter 0 cap 10000 rate 0 "
         f"budget 240000000000 floor 2000 burst 10000 window 3600 bucket 1 head {head} ramp 0 "
         f"throttled 0 throttled-ns 0\n")
    body = (f"hvkit-sched-state 2\nsaved {n} tick 100000000 save-every 10000000000 pid 1 "
            f"config x\n{g}b {head} 5000000000\n")
    if edit:
        body = edit(body, g)
    return seal(body)


def excess(path):
    p = hvkit("sched", "status", "--state", path, "--json", ok=False)
    if p.returncode != 0:
        return None, p.stderr
    return json.loads(p.stdout)["guests"][0]["window_excess_cpu_s"], p.stderr


def run(tmp, path, *extra, tick="100ms"):
    # one --tick: a single-value option given twice is a usage error
    return subprocess.run([HVKIT, "sched", "run", f"{tmp}/conf", "--state", path,
                           "--cgroup-root", f"{tmp}/cg", "--ticks", "1", "--tick", tick, *extra],
                          capture_output=True, text=True, timeout=120)


def main():
    if not shutil.which("xxh64sum"):
        skip("xxh64sum not installed (Debian: xxhash): cannot seal a state file")
    tmp = tempfile.mkdtemp(prefix="hvkit-sched-trust-")
    try:
        file_cgroups(f"{tmp}/cg", ("a",))
        with open(f"{tmp}/conf", "w") as f:
            f.write(CONF)
        # Size (breaker 2, finding 5): 200 MB that is not a state is refused
        # at its first line, unread (first child: ru_maxrss is its own);
        # over 256 MiB is refused by its size alone.
        with open(f"{tmp}/huge", "wb") as f:
            f.write(b"a" * (1 << 20))
            f.truncate(200 * 1000 * 1000)
        p = hvkit("sched", "status", "--state", f"{tmp}/huge", ok=False)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        check(p.returncode == 1 and "line 1: not an hvkit sched state file" in p.stderr and rss < 50000,
              f"200 MB of 'a': refused at line 1, read no further (max RSS {rss} KB)")
        with open(f"{tmp}/huge", "r+b") as f:
            f.truncate(300 << 20)
            f.seek(0)
            f.write(b"hvkit-sched-state 2\n")
        p = hvkit("sched", "status", "--state", f"{tmp}/huge", ok=False)
        check(p.returncode == 1 and "larger than a state file can be (256 MiB): not read" in p.stderr,
              f"300 MiB: refused by its size ({p.stderr.strip()})")
        os.unlink(f"{tmp}/huge")
        now = int(time.time())
        # Baseline: the same state, consistent, is read and kept.
        with open(f"{tmp}/ok", "w") as f:
            f.write(state(now))
        x, err = excess(f"{tmp}/ok")
        check(x == 5.0, f"a consistent state shows its 5 CPU-s ({x}, {err.strip()})")
        r = run(tmp, f"{tmp}/ok")
        x, _ = excess(f"{tmp}/ok")
        check(r.returncode == 0 and x is not None and 5.0 <= x < 6, f"run keeps it ({x})")

        bad = {
            "head in the future": (dict(head_delta=3000), "head bucket"),
            "bucket size not the window's": (dict(edit=lambda b, g: b.replace(" bucket 1 ", " bucket 100000 ")),
                                             "but a window of 3600 s has buckets of 1 s"),
            "the same guest twice": (dict(edit=lambda b, g: b.replace(g, g + g)), "given twice"),
            "tick 0": (dict(edit=lambda b, g: b.replace(" tick 100000000 ", " tick 0 ")), "tick 0"),
            "saved 3 years ahead": (dict(saved_delta=100000000), "saved in the future"),
        }
        for i, (what, (kw, msg)) in enumerate(bad.items()):
            path = f"{tmp}/bad{i}"
            with open(path, "w") as f:
                f.write(state(now, **kw))
            x, err = excess(path)
            check(x is None and msg in err and len(err.strip().splitlines()) == 1,
                  f"{what}: status refuses it in one line ({err.strip()})")
            r = run(tmp, path)
            warn = [ln for ln in r.stderr.splitlines() if "charging every guest a full window" in ln]
            x, _ = excess(path)
            check(r.returncode == 0 and len(warn) == 1 and msg in warn[0],
                  f"{what}: run says it is damaged ({r.stderr.strip()})")
            check(x is not None and x >= 240.0, f"{what}: run charges the full window, not less than 5 ({x})")

        # A clock stepped back by 30 s: kept, nothing refunded.
        with open(f"{tmp}/back", "w") as f:
            f.write(state(now, saved_delta=30))
        r = run(tmp, f"{tmp}/back")
        x, err = excess(f"{tmp}/back")
        check(r.returncode == 0 and "full window" not in r.stderr and x is not None and x >= 5.0,
              f"a clock 30 s back keeps the charge ({x}, {r.stderr.strip()})")

        # Modes: kept when the file exists, 0666 & ~umask when new.
        os.chmod(f"{tmp}/ok", 0o600)
        with open(f"{tmp}/m.prom", "w"):
            pass
        os.chmod(f"{tmp}/m.prom", 0o640)
        r = run(tmp, f"{tmp}/ok", "--metrics-file", f"{tmp}/m.prom")
        check(r.returncode == 0 and os.stat(f"{tmp}/ok").st_mode & 0o7777 == 0o600,
              f"a 0600 state stays 0600 ({oct(os.stat(f'{tmp}/ok').st_mode)})")
        check(os.stat(f"{tmp}/m.prom").st_mode & 0o7777 == 0o640, "a 0640 metrics file stays 0640")
        old = os.umask(0o077)
        try:
            r = run(tmp, f"{tmp}/new", "--metrics-file", f"{tmp}/n.prom")
        finally:
            os.umask(old)
        modes = {n: os.stat(f"{tmp}/{n}").st_mode & 0o7777 for n in ("new", "new.lock", "n.prom")}
        check(r.returncode == 0 and set(modes.values()) == {0o600},
              f"under umask 077 the new state, lock and metrics are 0600 ({modes})")

        # A symlinked state: refused, the link stays a link.
        os.symlink("ok", f"{tmp}/ln")
        r = run(tmp, f"{tmp}/ln")
        check(r.returncode == 1 and "symbolic link" in r.stderr and len(r.stderr.strip().splitlines()) == 1
              and os.path.islink(f"{tmp}/ln"), f"a symlinked state is refused ({r.stderr.strip()})")
        # A symlinked --metrics-file, or one that is no regular file:
        # refused the same way, the link and its target left alone.
        with open(f"{tmp}/target.prom", "w") as f:
            f.write("# theirs\n")
        os.symlink("target.prom", f"{tmp}/lm.prom")
        os.mkdir(f"{tmp}/dir.prom")
        for m, what in ((f"{tmp}/lm.prom", "a symbolic link"), (f"{tmp}/dir.prom", "not a regular file")):
            r = run(tmp, f"{tmp}/ok", "--metrics-file", m)
            check(r.returncode == 1 and what in r.stderr and len(r.stderr.strip().splitlines()) == 1
                  and open(f"{tmp}/target.prom").read() == "# theirs\n" and os.path.islink(f"{tmp}/lm.prom"),
                  f"--metrics-file that is {what}: refused, left alone ({r.stderr.strip()})")

        # A pool's host whose clock is ahead (hvkit-sched(1) POOL): its
        # record, saved 120 s after this host's now, is damaged here and
        # charged a full window (never a refund); 30 s ahead, within the
        # 60 s allowed, it is merged as it is.
        etcd, port = start_etcd(f"{tmp}/etcd")
        try:
            for ahead, full in ((120, True), (30, False)):
                pfx = f"/skew{ahead}"
                rec = state(now, saved_delta=ahead).replace(" config x\n", " config hostZ\n")
                gateway(port, "kv/put", {"key": b64(f"{pfx}/acct/a"), "value": b64(seal(rec[:rec.index("end xxh64")]))})
                url = f"etcd://127.0.0.1:{port}{pfx}"
                # A 2 s tick: etcd gets half of it (ASan, a loaded machine).
                r = run(tmp, url, "--host-id", "hostA", "--lease-ttl", "4s", tick="2s")
                p = hvkit("sched", "status", "--state", url, "--json", ok=False)
                rows = json.loads(p.stdout)["guests"] if p.returncode == 0 else []
                x = rows[0]["window_excess_cpu_s"] if rows else None
                warn = [ln for ln in r.stderr.splitlines() if "charging a full window" in ln]
                if full:
                    check(r.returncode == 0 and len(warn) == 1 and "in the future" in warn[0] and x is not None
                          and x >= 240.0, f"a record saved {ahead} s ahead: damaged, a full window charged "
                          f"({x} CPU-s; {r.stderr.strip()})")
                else:
                    check(r.returncode == 0 and not warn and x is not None and 5.0 <= x < 6,
                          f"a record saved {ahead} s ahead: merged as it is ({x} CPU-s; {r.stderr.strip()})")
        finally:
            etcd.kill()
            etcd.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
