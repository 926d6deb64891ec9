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
