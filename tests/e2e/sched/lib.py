# SPDX-License-Identifier: MIT
"""Helpers of the hvkit sched end-to-end tests."""
import os
import subprocess
import sys

HVKIT = os.environ.get("HVKIT", "build/hvkit")
DATA = os.environ.get("TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
SKIP = 77

failures = 0


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {msg}")
    else:
        print(f"ok: {msg}")
    return cond


def done():
    print("ok" if not failures else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


def hvkit(*args, ok=True, timeout=60):
    p = subprocess.run([HVKIT, *args], capture_output=True, text=True, timeout=timeout)
    if ok and p.returncode != 0:
        raise SystemExit(f"hvkit {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


CGROUP_ROOT = "/sys/fs/cgroup"


def make_cgroups(name, children, parents=()):
    """Creates cgroup NAME with CHILDREN under cgroup v1 (the cpu and
    cpuacct hierarchies) or v2 (the cpu controller enabled in NAME, and in
    the children named in PARENTS); skips (77) when that cannot be done.
    Returns (tops, v2): NAME's directory in each hierarchy."""
    root = CGROUP_ROOT
    if os.geteuid() != 0:
        skip("needs root to create cgroups")
    if os.path.exists(f"{root}/cpu/cpu.cfs_quota_us") and os.path.exists(f"{root}/cpuacct/cpuacct.usage"):
        tops, v2 = [f"{root}/cpu/{name}", f"{root}/cpuacct/{name}"], False
    elif os.path.exists(f"{root}/cgroup.controllers") and \
            "cpu" in open(f"{root}/cgroup.controllers").read().split():
        tops, v2 = [f"{root}/{name}"], True
    else:
        skip(f"no cgroup v1 cpu+cpuacct nor v2 cpu controller under {root}")
    try:
        for t in tops:
            os.mkdir(t)
            if v2:
                open(f"{t}/cgroup.subtree_control", "w").write("+cpu")
            for c in children:
                os.mkdir(f"{t}/{c}")
                if v2 and c in parents:
                    open(f"{t}/{c}/cgroup.subtree_control", "w").write("+cpu")
    except OSError as e:
        remove_cgroups(tops, children)
        skip(f"cannot create test cgroups (no delegation?): {e}")
    return tops, v2


def remove_cgroups(tops, children, grandchildren=()):
    for t in tops:
        for c in children:
            for d in [f"{t}/{c}/{g}" for g in grandchildren] + [f"{t}/{c}"]:
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        try:
            os.rmdir(t)
        except OSError:
            pass
