#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The 16 per-PU CPUID dumps of hwloc's x86 tests against hwloc's XML.

`hvkit topo --from NAME.tar.bz2` (and the extracted directory) must build
the same structure from CPUID alone as hwloc's x86 backend did: for every
PU its chain of ancestors (type and cpuset, caches with their size), and
every cache (level, type, size, cpuset).  Differences on purpose are the
RULES of cpuid_structure.py, each applied to hwloc's side, never a skipped
case.
"""
import os
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import DATA, check, done, hvkit, topo_json  # noqa: E402
from cpuid_structure import compare, report_rules  # noqa: E402

FIXTURES = os.path.join(DATA, "hwloc-x86")


def main():
    names = sorted(f[:-8] for f in os.listdir(FIXTURES) if f.endswith(".tar.bz2"))
    check(len(names) == 16, f"expected 16 CPUID-dump machines, found {len(names)}")
    matched = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            tarball = os.path.join(FIXTURES, name + ".tar.bz2")
            xml = os.path.join(FIXTURES, name + ".xml")
            j = topo_json("--from", tarball)
            ok = compare(name, j, xml)
            # The extracted directory reads the same.
            with tarfile.open(tarball) as t:
                t.extractall(tmp)
            jd = topo_json("--from", os.path.join(tmp, name))
            ok &= check(jd["topology"] == j["topology"],
                        f"{name}: the directory and the tarball read differently")
            if ok:
                matched.append(name)
            print(f"{'same' if ok else 'DIFFERS'}: {name}")
        # A capture of a CPUID-only input reads back the same.
        cap = os.path.join(tmp, "cap.tar.gz")
        hvkit("topo", "--from", os.path.join(FIXTURES, names[0] + ".tar.bz2"), "capture", "-o", cap)
        check(topo_json("--from", cap)["topology"] ==
              topo_json("--from", os.path.join(FIXTURES, names[0] + ".tar.bz2"))["topology"],
              "a capture of CPUID dumps reads back differently")
    print(f"{len(matched)}/{len(names)} machines match hwloc's x86 backend")
    report_rules()
    done()


main()
