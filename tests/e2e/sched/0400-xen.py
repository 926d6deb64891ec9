#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""xen: guests off Xen (or without libxl at build time): one clear error,
exit 1.  On a real dom0 the real-Xen test box exercises the backend."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, done, hvkit, skip  # noqa: E402

if os.path.exists("/dev/xen/privcmd") or os.path.exists("/proc/xen/privcmd"):
    skip("this is a Xen host: the off-Xen error cannot be shown here")
with tempfile.TemporaryDirectory() as d:
    conf = os.path.join(d, "x.conf")
    open(conf, "w").write("guest web1 (xen:web1) { burst 100% for 5m per 1h, then cap 20% }\n")
    p = hvkit("sched", "run", conf, "--state", os.path.join(d, "s"), ok=False)
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    check(p.returncode == 1, f"exit {p.returncode}, expected 1")
    check(len(errs) == 1 and ("no Xen hypervisor is running" in errs[0] or
                              "built without Xen support (install libxen-dev" in errs[0]),
          f"one clear error: {p.stderr.strip()}")
    check(not os.path.exists(os.path.join(d, "s")), "no state written")
done()
