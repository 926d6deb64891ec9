# SPDX-License-Identifier: MIT
"""Shared helpers of the end-to-end tests: run hvkit, walk its JSON."""
import collections
import json
import os
import resource
import shutil
import subprocess
import sys

HVKIT = os.environ.get("HVKIT", "build/hvkit")
DATA = os.environ.get("TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
SKIP = 77  # meson's exit code for a skipped test
# One input of each tool, for the front-door tests (0605, 0606): a topo
# capture, a cpuid dump, a sched conf and trace, an xl guest config.
FRONT_INPUTS = (os.path.join(DATA, "captures", "h100-vm.tar.gz"),
                os.path.join(DATA, "cpuid", "hosts", "xeon-emr-kvm.dump"),
                os.path.join(DATA, "sched", "live-example.conf"),
                os.path.join(DATA, "sched", "trace-web1.csv"),
                os.path.join(DATA, "move", "xlcfg", "test-fullvirt-nestedhvm.cfg"))

failures = 0


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def need(tool, package):
    if not shutil.which(tool):
        skip(f"{tool} not installed (Debian package {package}); run 'make check' as root to install it")


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {msg}")
    return cond


def done():
    print("ok" if not failures else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


def hvkit(*args, ok=True):
    p = subprocess.run([HVKIT, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise SystemExit(f"hvkit {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def cpu_run(cmd, input=None, text=False, env=None, timeout=600):
    """subprocess.run(cmd, capture_output=True) that also returns the CPU
    seconds (user + system) the command and the children it waited for
    used.  A loaded machine stretches a command's wall time, not its CPU
    time: work is judged in CPU seconds (see bounded_work).  The timeout
    is a hang guard only, far above any run's length."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(list(cmd), capture_output=True, input=input, text=text, env=env,
                       timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return p, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bounded_work(label, cpu, ref, what):
    """That a command on a large input did no work in proportion to its
    size: its CPU seconds within 5 times (plus 50 ms of accounting grain)
    those of the same kind of command on a small input (`what`), measured
    in the same run on the same machine, so that neither the machine's
    speed, a sanitizer nor the load moves the bound.  The inputs differ in
    size by far more than 5 times."""
    limit = 5 * ref + 0.05
    print(f"{label}: {cpu:.3f} CPU-s (limit {limit:.3f})")
    return check(cpu <= limit, f"{label}: {cpu:.3f} CPU-s, more than {limit:.3f} "
                 f"(5 x {ref:.3f} CPU-s for {what}, + 0.05): work in proportion to the size?")


def topo_json(*args):
    return json.loads(hvkit("topo", "--json", *args).stdout)


def walk(obj):
    yield obj
    for c in obj["children"]:
        yield from walk(c)


def objects(j, type_):
    return [o for o in walk(j["topology"]) if o["type"] == type_]


def counts(j):
    """Object counts keyed like hwloc's types (caches per level)."""
    c = collections.Counter()
    for o in walk(j["topology"]):
        t = o["type"]
        if t == "cache":
            if o["cache_type"] == "instruction":
                t = f"L{o['level']}iCache"
            elif o["level"] == 1:
                t = "L1dCache"
            else:
                t = f"L{o['level']}Cache"
        c[t] += 1
    return c
