#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit sched benchmarks:
#  1. the daemon's own CPU time policing 1,000 cgroups at a 1 s tick, in
#     steady state: CPU time used between tick 5 and tick TICKS-5, from
#     /proc/PID/schedstat (ns) and /proc/PID/stat (utime+stime, 10 ms
#     clock ticks); startup (parse, 1,000 opens, first caps) is reported
#     apart.  Goal: under 0.1% of one CPU.  Needs root and cgroup v1
#     cpu+cpuacct, or skips.  The cgroups are empty: a tick's cost does
#     not depend on the counters' values.
#  2. the lag from budget exhaustion to the floor cap applied (goal: under
#     one tick), on a simulated cgroup tree (regular files on tmpfs given
#     with --cgroup-root): the "kernel" is this script, which advances the
#     guest's cpuacct.usage every millisecond at the rate its quota allows,
#     so exhaustion happens at a known instant, not at the mercy of a
#     starved busy loop on a loaded machine.  Runs anywhere.
#   bench/sched.sh [BUILD_DIR] [TICKS]
set -eu
BUILD=${1:-build}
TICKS=${2:-30}
HVKIT=$(realpath "$BUILD/hvkit")
exec python3 - "$HVKIT" "$TICKS" <<'PY'
import os, shutil, signal, subprocess, sys, tempfile, time
hvkit, ticks = sys.argv[1], max(int(sys.argv[2]), 15)
tmp = tempfile.mkdtemp()
HZ = os.sysconf("SC_CLK_TCK")

def cpu_of(pid):
    """(schedstat ns, utime+stime s) of a process."""
    ns = int(open(f"/proc/{pid}/schedstat").read().split()[0])
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return ns, (int(f[11]) + int(f[12])) / HZ

# --- 1. CPU use, 1,000 cgroups ----------------------------------------------
def bench_cpu():
    R = "/sys/fs/cgroup"
    if os.geteuid() != 0 or not os.path.exists(f"{R}/cpu/cpu.cfs_quota_us"):
        print("1. skipped: needs root and cgroup v1 cpu+cpuacct")
        return
    par = f"hvkit-bench-{os.getpid()}"
    N = 1000
    dirs = [f"{R}/cpu/{par}", f"{R}/cpuacct/{par}"]
    for d in dirs:
        os.mkdir(d)
    try:
        for d in dirs:
            for i in range(N):
                os.mkdir(f"{d}/g{i}")
        conf = f"{tmp}/bench.conf"
        with open(conf, "w") as f:
            for i in range(N):
                f.write(f"guest g{i} (cgroup:/{par}/g{i}) {{ weight 256\n"
                        f"  burst 100% for 1m per 1h, then cap 20% }}\n")
        state = f"{tmp}/state"
        t0 = time.monotonic()
        p = subprocess.Popen([hvkit, "sched", "run", conf, "--tick", "1s", "--ticks", str(ticks),
                              "--state", state])
        marks = {}
        for k in (5, ticks - 5):
            # Half-way between two ticks (tick n runs at t0 + n s).
            time.sleep(max(0, t0 + k + 0.5 - time.monotonic()))
            marks[k] = cpu_of(p.pid)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        total = ru.ru_utime + ru.ru_stime
        a, b = marks[5], marks[ticks - 5]
        span = ticks - 10
        ss = (b[0] - a[0]) / 1e9
        st = b[1] - a[1]
        print(f"1. {N} cgroups, 1 s tick, steady state "
              f"(ticks 5 to {ticks - 5}): {ss * 1000 / span:.3f} ms CPU per tick = "
              f"{ss / span * 100:.4f}% of one CPU (goal < 0.1%); utime+stime "
              f"{st * 1000:.0f} ms over {span} s = {st / span * 100:.3f}% "
              f"(clock-tick resolution {1000 // HZ} ms)")
        print(f"   whole run with startup: {total * 1000:.1f} ms (user {ru.ru_utime * 1000:.1f}, "
              f"sys {ru.ru_stime * 1000:.1f}) over {wall:.1f} s = {total / wall * 100:.3f}%; "
              f"startup ~{(a[0] / 1e9 - 5 * ss / span) * 1000:.0f} ms; "
              f"state file {os.path.getsize(state)} bytes; exit {status >> 8}")
        # Weights read back.
        bad = [i for i in range(N) if open(f"{dirs[0]}/g{i}/cpu.shares").read().strip() != "1024"]
        print(f"   weight 256 -> cpu.shares 1024 on {N - len(bad)}/{N} cgroups")
    finally:
        for d in dirs:
            for i in range(N):
                try: os.rmdir(f"{d}/g{i}")
                except OSError: pass
            try: os.rmdir(d)
            except OSError: pass

# --- 2. lag, simulated cgroup tree --------------------------------------------
def bench_lag():
    root = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    PERIOD = 100000
    try:
        for h, files in (("cpu", {"cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": str(PERIOD),
                                  "cpu.shares": "1024"}),
                         ("cpuacct", {"cpuacct.usage": "0"})):
            for d in (f"{root}/{h}", f"{root}/{h}/lag"):
                os.makedirs(d, exist_ok=True)
                for k, v in files.items():
                    open(f"{d}/{k}", "w").write(v + "\n")
        quota_p = f"{root}/cpu/lag/cpu.cfs_quota_us"
        fd = os.open(f"{root}/cpuacct/lag/cpuacct.usage", os.O_WRONLY)
        conf = f"{tmp}/lag.conf"
        # B = (100% - 10%) x 2 s = 1.8 CPU-s above the floor.
        open(conf, "w").write("guest lag (cgroup:/lag) { burst 100% for 2s per 60s, then cap 10% }\n")
        B, Q = 1.8, 0.10
        dm = subprocess.Popen([hvkit, "sched", "run", conf, "--tick", "1s", "--cgroup-root", root,
                               "--state", f"{tmp}/lag.state"] + (["-v"] if os.environ.get("BENCH_V") else []))
        usage = excess = 0.0
        t_ex = t_cap = t_near = t0 = None
        rate = 0.0	# the guest starts when the daemon first sets its cap
        last = t_start = time.monotonic()
        while time.monotonic() - t_start < 15 and t_cap is None:
            time.sleep(0.001)
            now = time.monotonic()
            dt, last = now - last, now
            usage += rate * dt
            excess += (rate - Q) * dt if t0 is not None else 0
            # Exhausted: within 1 CPU-ms of B (the cap falls to the floor
            # as the budget runs out, so the last ms comes slowly).
            if t_ex is None and excess >= B - 0.001:
                t_ex = now
            os.pwrite(fd, b"%020d\n" % int(usage * 1e9), 0)
            q = (open(quota_p).read().split() or ["-1"])[0]
            if q != "-1":
                if t0 is None:
                    t0 = now	# the daemon's first sample: charging starts
                rate = min(1.0, int(q) / PERIOD)
                # Near the floor: within 1% of one CPU of Q (the cap is
                # Q + left/tick, and a few CPU-ms are left to spend);
                # at the floor: within 0.1%.
                if int(q) <= (Q + 0.01) * PERIOD and t_near is None:
                    t_near = now
                if int(q) <= (Q + 0.001) * PERIOD and t_cap is None:
                    t_cap, ex_cap = now, excess
        dm.terminate()
        dm.wait()
        if t_cap is None or t_ex is None:
            print(f"2. lag: not measured (budget spent at {t_ex}, floor cap at {t_cap})")
        else:
            print(f"2. simulated guest at 100%, 1 s tick, B = 1.8 CPU-s: budget spent (to 1 CPU-ms) "
                  f"at {t_ex - t0:.3f} s; cap within 1% of the floor at {t_near - t0:.3f} s: lag "
                  f"{(t_near - t_ex) * 1000:+.0f} ms (goal < one tick, 1000 ms); exactly the floor "
                  f"at {t_cap - t0:.3f} s (the last CPU-ms spent at floor + a fraction); "
                  f"excess by then {ex_cap:.4f} CPU-s (overrun {(ex_cap - B) * 1000:+.1f} CPU-ms)")
    finally:
        shutil.rmtree(root, ignore_errors=True)

try:
    if os.environ.get("BENCH_ONLY", "12") != "2":
        bench_cpu()
    if os.environ.get("BENCH_ONLY", "12") != "1":
        bench_lag()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
