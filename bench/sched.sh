#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit sched benchmarks:
#  1. the daemon's own CPU time policing 1,000 cgroups at a 1 s tick, in
#     steady state: CPU time used between tick 5 and tick TICKS-5, from
#     /proc/PID/schedstat (ns) and /proc/PID/stat (utime+stime, 10 ms
#     clock ticks).  Goal: under 0.1% of one CPU.  Beside it, in the same
#     run: the floor (bench/sched-floor.c: one pread and parse of each
#     cpuacct.usage, nothing else; goal: the daemon within 1.5x of it),
#     and the same policy with its state in etcd (--state etcd://, one
#     local etcd member; pool/local ratio and etcd's own CPU); each
#     daemon's resident memory (VmRSS) at tick TICKS-5.  Needs
#     root and cgroup v1 cpu+cpuacct, or skips.  The cgroups are empty:
#     a tick's cost does not depend on the counters' values.
#  1x. 1,000 Xen domains on the tests' stand-in libxenlight
#     (tests/unit/fake-libxl.c, built as build/tests/libxenlight.so.4.17):
#     the daemon's CPU per tick and its libxl_list_domain calls (one a
#     tick).  Needs root and unshare(1).
#  2. the lag from budget exhaustion to the floor cap applied (goal: under
#     one tick), on a simulated cgroup tree (regular files on tmpfs given
#     with --cgroup-root): the "kernel" is this script, which advances the
#     guest's cpuacct.usage every millisecond at the rate its quota allows,
#     so exhaustion happens at a known instant, not at the mercy of a
#     starved busy loop on a loaded machine.  Runs anywhere.
#   bench/sched.sh [BUILD_DIR] [TICKS]
#   BENCH_ONLY=1 or 2 runs that part alone (default: both); BENCH_ONLY=p
#   runs only what the pool's ratio needs: the local state file (default
#   knob check) and the pool, 1,000 cgroups each.
set -eu
BUILD=${1:-build}
TICKS=${2:-30}
case $TICKS in
''|*[!0-9]*|0*) echo "bench/sched.sh: TICKS '$TICKS' is not a whole number of ticks (15 or more)" >&2; exit 2 ;;
esac
case ${BENCH_ONLY:-12} in
1|2|12|p) ;;
*) echo "bench/sched.sh: BENCH_ONLY '$BENCH_ONLY' is not 1, 2, 12 or p" >&2; exit 2 ;;
esac
if [ ! -x "$BUILD/hvkit" ]; then
	echo "bench/sched.sh: no '$BUILD/hvkit': build first (make), or give the build directory" >&2
	exit 2
fi
HVKIT=$(realpath "$BUILD/hvkit")
exec python3 - "$HVKIT" "$TICKS" "$(realpath "$(dirname "$0")")" <<'PY'
import os, re, shutil, signal, subprocess, sys, tempfile, time
hvkit, ticks, benchdir = sys.argv[1], max(int(sys.argv[2]), 15), sys.argv[3]
# SIGTERM, SIGHUP (and SIGINT, as Python does) unwind through the finally
# blocks below: the 1,000 cgroups made in the real hierarchy and the
# temporary directory go, and the daemons started are stopped.
def _stop(sig, frame):
    raise SystemExit(128 + sig)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _stop)
tmp = tempfile.mkdtemp()
HZ = os.sysconf("SC_CLK_TCK")

def cpu_of(pid):
    """(schedstat ns, utime+stime s) of a process."""
    ns = int(open(f"/proc/{pid}/schedstat").read().split()[0])
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return ns, (int(f[11]) + int(f[12])) / HZ

def rss_of(pid):
    """VmRSS of a process, MiB (None when it has gone)."""
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", open(f"/proc/{pid}/status").read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) / 1024 if m else None

# --- 1. CPU use, 1,000 guests ---------------------------------------------------
def steady(cmd, env=None, label=""):
    """Runs a daemon for `ticks` 1 s ticks; returns its CPU per tick (ms)
    between tick 5 and tick ticks-5, from /proc/PID/schedstat."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env)
    marks = {}
    try:
        for k in (5, ticks - 5):
            # Half-way between two ticks (tick n runs at t0 + n s).
            time.sleep(max(0, t0 + k + 0.5 - time.monotonic()))
            marks[k] = cpu_of(p.pid)
        rss = rss_of(p.pid)     # at tick ticks-5: steady state
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        p.kill()
        p.wait()
        raise
    wall = time.monotonic() - t0
    a, b = marks[5], marks[ticks - 5]
    span = ticks - 10
    ss = (b[0] - a[0]) / 1e9
    st = b[1] - a[1]
    print(f"   {label}: {ss * 1000 / span:.3f} ms CPU per tick = {ss / span * 100:.4f}% of one CPU "
          f"(goal < 0.1%); utime+stime {st * 1000:.0f} ms over {span} s; whole run "
          f"{(ru.ru_utime + ru.ru_stime) * 1000:.0f} ms over {wall:.1f} s; exit {status >> 8}; "
          f"RSS {rss if rss is not None else float('nan'):.1f} MiB at tick {ticks - 5}")
    return ss * 1000 / span

def start_floor(files):
    """One pread + parse of each file, in C, one pass a second alongside
    the daemon (same load, caches as cold as the daemon's at its tick);
    returns the process: its stdout is the CPU ns of one pass."""
    exe = f"{tmp}/sched-floor"
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(benchdir, "sched-floor.c")], check=True)
    lst = f"{tmp}/floor.list"
    open(lst, "w").write("\n".join(files) + "\n")
    return subprocess.Popen([exe, str(ticks - 2), "1000"], stdin=open(lst), stdout=subprocess.PIPE,
                            text=True)

def start_etcd():
    exe = shutil.which("etcd")
    if not exe:
        return None, None
    import socket
    ports = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    log = open(f"{tmp}/etcd.log", "w")
    e = subprocess.Popen([exe, "--name", "b", "--data-dir", f"{tmp}/etcd",
                          "--listen-client-urls", f"http://127.0.0.1:{ports[0]}",
                          "--advertise-client-urls", f"http://127.0.0.1:{ports[0]}",
                          "--listen-peer-urls", f"http://127.0.0.1:{ports[1]}",
                          "--initial-advertise-peer-urls", f"http://127.0.0.1:{ports[1]}",
                          "--initial-cluster", f"b=http://127.0.0.1:{ports[1]}"],
                         stdout=log, stderr=log)
    import urllib.request
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/health", timeout=1)
            return e, ports[0]
        except Exception:
            time.sleep(0.1)
    e.kill()
    return None, None

def bench_cpu():
    R = "/sys/fs/cgroup"
    N = 1000
    if os.geteuid() != 0 or not os.path.exists(f"{R}/cpu/cpu.cfs_quota_us"):
        print("1. cgroups: skipped: needs root and cgroup v1 cpu+cpuacct")
    else:
        par = f"hvkit-bench-{os.getpid()}"
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
            print(f"1. {N} cgroup v1 guests, 1 s tick, steady state (ticks 5 to {ticks - 5}):")
            files = [f"{dirs[1]}/g{i}/cpuacct.usage" for i in range(N)]
            runs = (("local state file, policing only (--knob-every 0)", ["--knob-every", "0"]),
                    ("local state file, default (knob check every 5 s)", []))
            for label, extra in runs[1:] if only == "p" else runs:
                fp = start_floor(files)
                ms = steady([hvkit, "sched", "run", conf, "--tick", "1s", "--ticks", str(ticks),
                             "--state", f"{tmp}/state"] + extra, label=label)
                fl = float(fp.communicate()[0].split()[0]) / 1e6
                print(f"     floor alongside (C: one pread+parse of cpuacct.usage per guest and a "
                      f"sleep, a pass a second): {fl:.3f} ms per pass: daemon/floor = {ms / fl:.2f}x"
                      f"{' (goal <= 1.5x)' if extra else ''}")
                if not extra:
                    local = ms
            bad = [i for i in range(N) if open(f"{dirs[0]}/g{i}/cpu.shares").read().strip() != "1024"]
            print(f"   weight 256 -> cpu.shares 1024 on {N - len(bad)}/{N} cgroups")
            e, port = start_etcd()
            if not e:
                print("   pool mode: skipped: etcd (etcd-server) missing or did not start")
            else:
                try:
                    e0 = cpu_of(e.pid)
                    pool = steady([hvkit, "sched", "run", conf, "--tick", "1s", "--ticks", str(ticks),
                                   "--state", f"etcd://127.0.0.1:{port}/bench", "--host-id", "bench"],
                                  label="pool (--state etcd://, one local etcd member)")
                    e1 = cpu_of(e.pid)
                    print(f"   pool/local = {pool / local:.2f}x; etcd itself (all its threads) used "
                          f"{(e1[1] - e0[1]) * 1000 / ticks:.1f} ms CPU per tick over the run")
                finally:
                    e.terminate()
                    e.wait()
        finally:
            for d in dirs:
                for i in range(N):
                    try: os.rmdir(f"{d}/g{i}")
                    except OSError: pass
                try: os.rmdir(d)
                except OSError: pass
    # Xen: the backend on the stand-in libxenlight of the tests (every
    # call counted), 1,000 domains, in a private mount namespace whose
    # /dev has a xen/privcmd.
    if only == "p":
        return
    lib = os.path.join(os.path.dirname(hvkit), "tests", "libxenlight.so.4.17")
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists(lib):
        print("1x. Xen: skipped: needs root, unshare and build/tests/libxenlight.so.4.17")
        return
    os.makedirs(f"{tmp}/xl/lib")
    os.makedirs(f"{tmp}/xl/dev/xen")
    open(f"{tmp}/xl/dev/xen/privcmd", "w").close()
    subprocess.run(["cp", "-a", "/dev/null", "/dev/urandom", f"{tmp}/xl/dev"], check=True)
    shutil.copy(lib, f"{tmp}/xl/lib/libxenlight.so.4.17")
    open(f"{tmp}/xl/doms", "w").write(f"{N}\n")
    conf = f"{tmp}/xen.conf"
    with open(conf, "w") as f:
        for i in range(N):
            f.write(f"guest d{i} (xen:d{i}) {{ weight 256\n  burst 100% for 1m per 1h, then cap 20% }}\n")
    env = dict(os.environ, LD_LIBRARY_PATH=f"{tmp}/xl/lib", FAKE_XL_DIR=f"{tmp}/xl")
    print(f"1x. {N} Xen domains (stand-in libxenlight), 1 s tick:")
    steady(["unshare", "-m", "sh", "-c", 'mount --make-rprivate / && mount --bind "$0" /dev && exec "$@"',
            f"{tmp}/xl/dev", hvkit, "sched", "run", conf, "--tick", "1s", "--ticks", str(ticks),
            "--state", f"{tmp}/xen.state"], env=env, label="Xen backend")
    c = open(f"{tmp}/xl/calls").readline().split()
    calls = dict(zip(c[0::2], map(int, c[1::2])))
    print(f"   libxl_list_domain: {calls['list']} calls in {ticks} ticks "
          f"({(calls['list'] - 1) / ticks:.2f} a tick + 1 at start); "
          f"libxl_name_to_domid {calls['name']} (once per guest)")

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

only = os.environ.get("BENCH_ONLY", "12")
try:
    if only != "2":
        bench_cpu()
    if only in ("2", "12"):
        bench_lag()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
