#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit move push and pull against the loopback XenAPI server of the
tests (tests/e2e/move/xapi_server.py, plain HTTP, release nile) in the
same run: a 64 GiB disk holding 1 GiB of data (512 pieces of 2 MiB spread
over the disk) against a 1 GiB disk full of the same data.  Sparse
transfers (format=vhd) should cost what the data costs: goal under 2x
the time of the 1 GiB disk, and at least 1 GB/s of data on loopback (the
Python server is on the same CPUs and is part of the figure).
  bench/move-xapi.py BUILD_DIR DIR      (best of $BENCH_RUNS runs, default 3)"""
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e", "move"))
os.environ.setdefault("TMPDIR", sys.argv[2])   # the server's disks live there too
from xapi_server import XapiState, serve  # noqa: E402

hv, d = os.path.join(sys.argv[1], "hvkit"), sys.argv[2]
G, M = 1 << 30, 1 << 20
SR = "9b0a9c1e-0000-4000-8000-00000000beef"
data = os.urandom(G)
disks = {"1g": (G, [(0, G)]),
         "64g-1g-data": (64 * G, [(i * 128 * M, 2 * M) for i in range(512)])}
for name, (size, pieces) in disks.items():
    with open(os.path.join(d, name + ".raw"), "wb") as f:
        f.truncate(size)
        pos = 0
        for off, n in pieces:
            f.seek(off)
            f.write(data[pos:pos + n])
            pos += n
    with open(os.path.join(d, name + ".cfg"), "w") as f:
        f.write(f'name = "{name}"\nmemory = 256\n'
                f'disk = [ "format=raw,vdev=xvda,target={os.path.join(d, name + ".raw")}" ]\n')
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(*args):
    """Wall-clock and CPU seconds of hvkit (the CPU figure does not
    depend on what else the machine runs, the wall-clock one does)."""
    t, c = time.monotonic(), cpu()
    p = subprocess.run([hv, "move", *args, "--http", "--no-progress"], capture_output=True,
                       text=True, env=env)
    if p.returncode:
        sys.exit(f"bench: hvkit move {args[0]}: {p.stderr.strip()}")
    return time.monotonic() - t, cpu() - c


print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
print(f"{'case':<14} {'push s':>7} {'pull s':>7} {'push GB/s':>9} {'pull GB/s':>9} "
      f"{'push CPU s':>10} {'pull CPU s':>10}")
res = {}
for name in disks:
    best = [None, None, None, None]
    for _ in range(int(os.environ.get("BENCH_RUNS", "3"))):
        st = XapiState("root", "secret", SR, release="nile")
        srv, port = serve(st)
        target = f"xapi://root@127.0.0.1:{port}"
        t_push, c_push = timed("push", os.path.join(d, name + ".cfg"), target, "--sr", SR)
        out = os.path.join(d, "pulled")
        t_pull, c_pull = timed("pull", target, name, "-o", out, "--no-sync")
        back = os.path.join(out, f"{name}-disk0.raw")
        size, pieces = disks[name]
        with open(os.path.join(d, name + ".raw"), "rb") as a, open(back, "rb") as b:
            if os.fstat(b.fileno()).st_size != size or any(
                    os.pread(a.fileno(), n, off) != os.pread(b.fileno(), n, off) for off, n in pieces):
                sys.exit(f"bench: {name}: the pulled disk differs")
            if os.fstat(b.fileno()).st_blocks * 512 > sum(n for _, n in pieces) + 4 * M:
                sys.exit(f"bench: {name}: the pulled disk's holes are filled")
        subprocess.run(["rm", "-rf", out])
        srv.shutdown()
        del st
        best = [min(x, y) if x else y for x, y in zip(best, (t_push, t_pull, c_push, c_pull))]
    res[name] = best
    print(f"{name:<14} {best[0]:7.3f} {best[1]:7.3f} {G / best[0] / 1e9:9.2f} {G / best[1] / 1e9:9.2f} "
          f"{best[2]:10.3f} {best[3]:10.3f}")
r = [res["64g-1g-data"][i] / res["1g"][i] for i in (0, 1)]
print(f"64 GiB disk / 1 GiB disk: push {r[0]:.2f}x, pull {r[1]:.2f}x (goal < 2x); "
      f"data rate goal >= 1 GB/s; hvkit alone: push {G / res['1g'][2] / 1e9:.2f} GB/s, "
      f"pull {G / res['1g'][3] / 1e9:.2f} GB/s of CPU time")
