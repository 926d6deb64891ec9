# SPDX-License-Identifier: MIT
"""Shared helpers of the end-to-end tests: run hvkit, walk its JSON."""
import collections
import json
import os
import shutil
import subprocess
import sys

HVKIT = os.environ.get("HVKIT", "build/hvkit")
DATA = os.environ.get("TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
SKIP = 77  # meson's exit code for a skipped test

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
