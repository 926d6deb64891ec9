#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon's own hardening, on a cgroup v1 tree of plain files
(--cgroup-root), so that a budget can be spent by writing a counter:
  - two daemons on one state file: the second exits 1 naming the first's pid;
  - a spent budget shows LEFT 0.0s and the time to refill (not -0.0s);
  - a truncated state file: the previous generation is used, the budget
    stays spent (the cap stays 20%, no refund) and `status` reads it the
    same way;
  - a wrong checksum with no good previous generation: every guest is
    charged a full window (cap 20% from the first tick), said in one
    warning line; `status` refuses it the same way;
  - a version 1 file (no checksum) is still read and rewritten as 2;
  - --metrics-file and status --prometheus: parsed strictly here, and by
    promtool (Debian: prometheus) when installed;
  - status does not call a daemon that saves every --save-every dead, and
    says so when no daemon holds the state's lock."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, check, done, file_cgroups, hvkit, wait_for  # noqa: E402

LONG = "a-guest-with-a-name-of-forty-characters"
CONF = ("guest a (cgroup:/a) { burst 100% for 5s per 1m, then cap 20% }\n"
        "guest b (cgroup:/b) { cap 50% }\n")


def make_tree(root):
    file_cgroups(root, ("a", "b"))


def quota(root, g):
    return int(open(f"{root}/cpu/{g}/cpu.cfs_quota_us").read().split()[0])


def status_row(text, guest):
    for line in text.splitlines():
        w = line.split()
        if w and w[0] == guest:
            return w
    return None


# Prometheus text format 0.0.4, strictly: every sample after its family's
# HELP and TYPE, names and labels by the grammar, values floats, counters
# ending in _total, no series twice.
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)$")


def parse_metrics(text):
    fams, series, errors = {}, {}, []
    helped = set()
    if not text.endswith("\n"):
        errors.append("no final newline")
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if not re.fullmatch(NAME, name) or name in helped:
                errors.append(f"line {n}: bad or repeated HELP")
            helped.add(name)
        elif line.startswith("# TYPE "):
            w = line.split(" ")
            if len(w) != 4 or w[3] not in ("counter", "gauge") or w[2] in fams or w[2] not in helped:
                errors.append(f"line {n}: bad TYPE line or TYPE without HELP: {line!r}")
            else:
                fams[w[2]] = w[3]
                if (w[3] == "counter") != w[2].endswith("_total"):
                    errors.append(f"line {n}: {w[2]}: counters, and only they, end in _total")
                if not w[2].startswith("hvkit_sched_"):
                    errors.append(f"line {n}: {w[2]} not under hvkit_sched_")
        elif line.startswith("#") or not line:
            errors.append(f"line {n}: unexpected {line!r}")
        else:
            m = SAMPLE.match(line)
            if not m:
                errors.append(f"line {n}: not a sample: {line!r}")
                continue
            name, labels, value = m.groups()
            if name not in fams:
                errors.append(f"line {n}: {name} before its TYPE")
            try:
                v = float(value)
            except ValueError:
                errors.append(f"line {n}: value {value!r}")
                continue
            key = (name, labels or "")
            if key in series:
                errors.append(f"line {n}: series {key} twice")
            series[key] = v
    return fams, series, errors


def promtool(text):
    if not shutil.which("promtool"):
        print("note: promtool not installed (Debian: prometheus); strict parse only")
        return None
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    return p


def main():
    d = tempfile.mkdtemp(prefix="hvkit-e2e-sched-")
    procs = []
    try:
        run_tests(d, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)
    done()


def run_tests(d, procs):
    root = os.path.join(d, "cg")
    make_tree(root)
    conf = os.path.join(d, "a.conf")
    open(conf, "w").write(CONF)
    state = os.path.join(d, "state")
    prev = state + ".prev"
    metrics = os.path.join(d, "hvkit.prom")

    def daemon(*extra, st=state):
        p = subprocess.Popen([HVKIT, "sched", "run", conf, "--tick", "100ms", "--state", st,
                              "--cgroup-root", root, "-v", *extra],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        return p

    def stop(p):
        p.send_signal(signal.SIGTERM)
        err = p.communicate(timeout=120)[1]
        check(p.returncode == 0, f"SIGTERM: exit {p.returncode}")
        return err

    # Two daemons on one state file.
    first = daemon("--metrics-file", metrics, "--save-every", "1h")
    check(wait_for(lambda: os.path.exists(state)), "first daemon saved its state")
    p = subprocess.run([HVKIT, "sched", "run", conf, "--tick", "100ms", "--state", state,
                        "--cgroup-root", root, "--ticks", "20"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 1 and f"(pid {first.pid})" in p.stderr and "in use" in p.stderr,
          f"second daemon on the same state exits 1 naming pid {first.pid}: {p.returncode} {p.stderr.strip()!r}")
    check(first.poll() is None, "the first daemon runs on")

    # Spend a's budget (5 s x 80% = 4 CPU-s) as a busy guest would: its
    # counter rises at most one CPU-s a second (the daemon charges no tick
    # more than the cap in force allows), then on to 8 CPU-s in all.
    check(quota(root, "a") == 100000, "a starts at its burst cap 100%")
    t0, wall0 = time.monotonic(), time.time()
    while quota(root, "a") != 20000 and time.monotonic() - t0 < 15:
        used = min(8e9, (time.monotonic() - t0) * 0.95e9)
        open(f"{root}/cpuacct/a/cpuacct.usage", "w").write(f"{int(used)}\n")
        time.sleep(0.05)
    open(f"{root}/cpuacct/a/cpuacct.usage", "w").write("8000000000\n")
    check(wait_for(lambda: quota(root, "a") == 20000), "a spent its budget: cap 20%")

    # Status of a spent budget 2 s after a save: no "-0.0s", a refill
    # time, and no "is the daemon running?" (it saves every 1 h here).
    # REFILL is when the oldest charge (made after wall0) leaves the 60 s
    # window: no later than 61 s from now, no sooner than 60 s from wall0
    # (a bucket's second early at most), however long this run took.
    first.send_signal(signal.SIGUSR1)
    time.sleep(2.0)
    p = hvkit("sched", "status", "--state", state)
    lo = int(60 - (time.time() - wall0)) - 1
    row = status_row(p.stdout, "a")
    check(row is not None and row[6] == "0.0s", f"spent budget: LEFT 0.0s: {row}")
    check(row is not None and re.fullmatch(r"\d+s", row[8]) and lo <= int(row[8][:-1]) <= 61,
          f"spent budget: REFILL is the time until it refills ({lo}-61 s: charged since {time.time() - wall0:.1f} s): {row}")
    check("-0.0" not in p.stdout, "no -0.0 anywhere in status")
    check(not p.stderr, f"no false 'daemon dead/stuck' warning 2 s after a save: {p.stderr!r}")

    # Metrics: rewritten each tick, parsed strictly and by promtool.
    stamp = lambda t: float(re.search(r"^hvkit_sched_last_update_timestamp_seconds (\S+)$", t, re.M).group(1))
    text1 = open(metrics).read()
    check(wait_for(lambda: stamp(open(metrics).read()) > stamp(text1)), "metrics file rewritten each tick")
    text = open(metrics).read()
    fams, series, errors = parse_metrics(text)
    check(not errors, f"metrics file parses strictly: {errors[:5]}")
    la = '{guest="a",selector="cgroup:/a"}'
    lb = '{guest="b",selector="cgroup:/b"}'
    want = {("hvkit_sched_guest_cap_ratio", la): 0.2, ("hvkit_sched_guest_cap_ratio", lb): 0.5,
            ("hvkit_sched_guest_budget_seconds", la): 4.0,
            ("hvkit_sched_guest_budget_left_seconds", la): 0.0,
            ("hvkit_sched_guest_throttled", la): 1.0, ("hvkit_sched_guest_present", lb): 1.0,
            ("hvkit_sched_guest_cpu_seconds_total", la): 8.0, ("hvkit_sched_guests", ""): 2.0}
    for k, v in want.items():
        check(series.get(k) == v, f"metric {k[0]}{k[1]} = {v} (got {series.get(k)})")
    check(series.get(("hvkit_sched_guest_throttled_seconds_total", la), 0) > 0,
          "a's throttled time counts up")
    check(("hvkit_sched_guest_budget_seconds", lb) not in series, "no budget series for a guest without a burst")
    check(fams.get("hvkit_sched_guest_cpu_seconds_total") == "counter", "cpu_seconds_total is a counter")
    pt = promtool(text)
    if pt is not None:
        check(pt.returncode == 0 and not pt.stdout.strip() and not pt.stderr.strip(),
              f"promtool check metrics: clean ({pt.returncode}: {pt.stdout.strip()} {pt.stderr.strip()})")
    saved = lambda: int(open(state).read().split("\n")[1].split()[1]) / 1e9
    before = saved()
    p = hvkit("sched", "status", "--state", state, "--prometheus")
    after = saved()
    f2, s2, e2 = parse_metrics(p.stdout)
    check(not e2 and set(f2) == set(fams), f"status --prometheus: the same families, parsed: {e2[:3]}")
    check(s2.get(("hvkit_sched_guest_cap_ratio", la)) == 0.2, "status --prometheus: a's cap 0.2")
    upd = s2.get(("hvkit_sched_last_update_timestamp_seconds", ""), 0)
    check(min(abs(upd - before), abs(upd - after)) < 1e-6, "status --prometheus: last update is the save's time")
    pt = promtool(p.stdout)
    if pt is not None:
        check(pt.returncode == 0 and not pt.stdout.strip(), f"promtool on status --prometheus: {pt.stdout.strip()}")
    p = hvkit("sched", "status", "--state", state, "--prometheus", "--json", ok=False)
    check(p.returncode == 2, "--prometheus with --json: usage error")

    err = stop(first)
    check(not [f for f in os.listdir(d) if ".tmp." in f], f"no temporary files left: {os.listdir(d)}")
    check(os.path.exists(prev), "the previous generation is kept beside the state")
    check(open(state).read().splitlines()[-1].startswith("end xxh64 "), "the state ends with its checksum")

    # A truncated state: the previous generation, no refund.
    good = open(state).read()
    open(state, "w").write(good[:len(good) // 2])
    p = hvkit("sched", "status", "--state", state)
    row = status_row(p.stdout, "a")
    check("truncated" in p.stderr and "previous generation" in p.stderr and row is not None and row[6] == "0.0s",
          f"status of a truncated state: the previous generation, budget still spent: {p.stderr.strip()!r} {row}")
    open(f"{root}/cpu/a/cpu.cfs_quota_us", "w").write("-1\n")   # so that the daemon writes it again
    # The first daemon's last write, not the one read above: it kept
    # writing until it was stopped.
    last = open(metrics).read()
    dm = daemon("--metrics-file", metrics, "--metrics-every", "1h")
    check(wait_for(lambda: quota(root, "a") != -1), "restarted daemon set a's cap")
    check(quota(root, "a") == 20000, f"truncated state: a's cap stays 20% (no refund), got {quota(root, 'a')}")
    check(wait_for(lambda: stamp(open(metrics).read()) > stamp(last)), "--metrics-every 1h: written at the first tick")
    m1 = open(metrics).read()
    time.sleep(0.5)
    check(open(metrics).read() == m1, "--metrics-every 1h: then not")
    err = stop(dm)
    warn = [l for l in err.splitlines() if "previous generation" in l]
    check(len(warn) == 1 and "truncated" in warn[0] and "nothing refunded" in warn[0],
          f"one warning line names the damage and the fallback: {warn}")

    # A wrong checksum, and no good previous generation: a full window.
    good = open(state).read()
    bad = good.replace(" counter 8000000000 ", " counter 1000000000 ")
    check(bad != good, "the counter to damage is in the file")
    open(state, "w").write(bad)
    open(prev, "w").write("hvkit-sched-state 2\n")
    p = hvkit("sched", "status", "--state", state, ok=False)
    check(p.returncode == 1 and "checksum" in p.stderr and "full window" in p.stderr,
          f"status refuses a damaged state the daemon would charge: {p.stderr.strip()!r}")
    open(f"{root}/cpu/a/cpu.cfs_quota_us", "w").write("-1\n")
    dm = daemon()
    check(wait_for(lambda: quota(root, "a") != -1), "restarted daemon set a's cap")
    check(quota(root, "a") == 20000, f"lost state: a is charged a full window, cap 20% (got {quota(root, 'a')})")
    err = stop(dm)
    warn = [l for l in err.splitlines() if "full window" in l]
    check(len(warn) == 1 and "checksum" in warn[0] and "not refunding" in warn[0],
          f"one warning line says the state is lost and what is charged: {warn}")
    p = hvkit("sched", "status", "--state", state)
    row = status_row(p.stdout, "a")
    check(row is not None and row[6] == "0.0s", f"after a full-window charge status shows it spent: {row}")

    # A version 1 file (written before checksums) is still read.
    now = time.time_ns()
    head = now // 10**9
    v1 = ("hvkit-sched-state 1\n"
          f"saved {now} tick 100000000 pid 1 config {conf}\n"
          f"guest a cgroup:/a present 1 weight 0 started 1 last {now} counter 8000000000 cap 2000 "
          f"rate 0 budget 4000000000 floor 2000 burst 10000 window 60 bucket 1 head {head}\n"
          f"b {head} 5000000000\n"
          f"guest b cgroup:/b present 1 weight 0 started 1 last {now} counter 0 cap 5000 rate 0 "
          "budget 0 floor 0 burst 0 window 0 bucket 0 head 0\n"
          f"guest {LONG} cgroup:/machine.slice/machine-qemu\\x2d7\\x2dlong.scope present 1 weight 0 "
          f"started 1 last {now} counter 0 cap 5000 rate 0 budget 0 floor 0 burst 0 window 0 bucket 0 head 0\n")
    st1 = os.path.join(d, "v1.state")
    open(st1, "w").write(v1)
    p = hvkit("sched", "status", "--state", st1)
    row = status_row(p.stdout, "a")
    check(row is not None and row[6] == "0.0s", f"status reads a version 1 state: {row}")
    # Buckets as the daemon writes them or damage (breaker finding 3): one
    # given twice summed to a 2 s WINDOW of 1 s buckets, INT64_MAX showed
    # REFILL 0s.  (Version 1 has no checksum to get past.)
    for bad_b, why in ((f"b {head} 5000000000\nb {head} 5000000000\n", "given twice"),
                       (f"b {head} 9223372036854775807\n", "more than 1000 CPUs x 1 s")):
        open(st1 + ".bad", "w").write(v1.replace(f"b {head} 5000000000\n", bad_b))
        pb = hvkit("sched", "status", "--state", st1 + ".bad", ok=False)
        check(pb.returncode == 1 and why in pb.stderr and "full window" in pb.stderr and not pb.stdout,
              f"status refuses a state whose bucket is {why}, no rows: {pb.stderr.strip()!r}")
    lines = p.stdout.splitlines()
    col = lines[0].index("PRESENT")
    check(all(l[col:col + 3] in ("yes", "no ") for l in lines[1:]) and len(lines) == 4,
          f"status columns line up under a long name and selector: {lines}")
    check(p.stderr.startswith("hvkit: warning: no daemon runs on state") and p.stderr.count("\n") == 1,
          f"status says no daemon holds the lock, nothing else: {p.stderr!r}")
    open(f"{root}/cpu/a/cpu.cfs_quota_us", "w").write("-1\n")
    dm = daemon(st=st1)
    check(wait_for(lambda: quota(root, "a") != -1), "daemon on a version 1 state set a's cap")
    check(quota(root, "a") == 20000, "version 1 state: the spent budget carries over")
    err = stop(dm)
    check("version 1" in err, f"the daemon says it migrates: {err!r}")
    check(open(st1).read().startswith("hvkit-sched-state 2\n"), "rewritten as version 2")
    check(open(st1 + ".prev").read().startswith("hvkit-sched-state "), "a previous generation is kept")


main()
