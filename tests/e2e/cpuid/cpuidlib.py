# SPDX-License-Identifier: MIT
"""Helpers of the cpuid end-to-end tests: fixtures, conversions, the table."""
import csv
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "topo"))
from lib import DATA, hvkit  # noqa: E402

CPUID_DATA = os.path.join(DATA, "cpuid")
TABLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "cpuid", "features.csv")
CPUID_RE = re.compile(r"<cpuid\s+eax_in='(\w+)'\s+ecx_in='(\w+)'\s+eax='(\w+)'\s+ebx='(\w+)'\s+ecx='(\w+)'\s+edx='(\w+)'\s*/>")


def cpudata_fixtures():
    """(name, path) of every libvirt <cpudata> fixture."""
    out = []
    for p in sorted(glob.glob(os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-*.xml"))):
        name = os.path.basename(p)[len("x86_64-cpuid-"):-4]
        if not name.endswith("-host") and "<cpudata" in open(p).read(4096):
            out.append((name, p))
    return out


def xml_to_cpuid_r(path):
    """libvirt <cpudata> as `cpuid -1 -r` text (what `cpuid -f` reads)."""
    lines = ["CPU:"]
    for m in CPUID_RE.finditer(open(path).read()):
        v = [int(x, 16) for x in m.groups()]
        lines.append("   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x" % tuple(v))
    return "\n".join(lines) + "\n"


def table():
    """The feature table rows (dicts), comments skipped."""
    with open(TABLE, newline="") as f:
        return list(csv.DictReader(l for l in f if not l.startswith("#")))


def cpuid_json(*args):
    return json.loads(hvkit("cpuid", "--json", *args).stdout)
