#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host-side checks of hvkit cpuid on Xen, from what dom0-cpuid.sh left in
the run's out/: dom0's CPUID dump reads back here as a Xen PV domain, and
the features the xl policy removed, in Linux's names from the feature
table (not folded spellings, as dom0's shell check), are exactly those the
PV domUs lost against a default domU.  Prints unnumbered TAP lines.
    host-cpuid.py OUT_DIR HVKIT
"""
import csv
import json
import os
import re
import subprocess
import sys

out, hvkit = sys.argv[1], sys.argv[2]
TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "cpuid", "features.csv")


def tap(ok, desc):
    print(("ok" if ok else "not ok") + " - " + desc)


def flags(name):
    try:
        m = re.search(r"^HVDOMU: flags (.*)$", open(os.path.join(out, f"domu-{name}.log"), errors="replace").read(), re.M)
    except OSError:
        return None
    return set(m.group(1).split()) if m else None


dump = os.path.join(out, "cpuid-dom0.dump")
if not os.path.exists(dump):
    print("# host-cpuid: no cpuid-dom0.dump from dom0 (dom0-cpuid.sh did not run): skipped")
    sys.exit(0)
r = subprocess.run([hvkit, "cpuid", "--json", "--from", dump], capture_output=True, text=True)
try:
    j = json.loads(r.stdout)
    tap(j["hypervisor"]["signature"] == "XenVMMXenVMM" and j["hypervisor"]["xen_version"]
        and "Xen PV" in j["origin"],
        "dom0's hvkit cpuid dump reads back on the host as a Xen %s PV domain" % j["hypervisor"]["xen_version"])
except (ValueError, KeyError, TypeError):
    tap(False, "dom0's hvkit cpuid dump reads back on the host")
    print("# " + r.stderr.strip()[-500:])

with open(TABLE, newline="") as f:
    rows = list(csv.DictReader(l for l in f if not l.startswith("#")))
xen2linux = {row["xen"]: row["linux"] for row in rows if row["xen"]}
line = open(os.path.join(out, "cpuid-policy-xl.txt")).read().strip()
removed = {xen2linux.get(e[:-2]) for e in line.split('"')[1].split(",")[1:] if e.endswith("=0")}
ref = flags("domu1") or flags("cpuid-ref")
for form in ("xl", "xend"):
    got = flags(f"cpuid-{form}")
    desc = f"the {'xl-xend' if form == 'xend' else 'xl'} policy's removals (Linux names: " \
           f"{' '.join(sorted(n or '?' for n in removed & (ref or set())))}) are exactly what the PV domU lost"
    if ref is None or got is None:
        tap(False, desc + " (no flags from a domU)")
        continue
    ok = ref - got == removed & ref and not got - ref
    tap(ok, desc)
    if not ok:
        print(f"# lost {sorted(ref - got)}, gained {sorted(got - ref)}")
