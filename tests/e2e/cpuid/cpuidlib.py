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


MODELS = os.path.join(os.path.dirname(TABLE), "models.csv")
DEPS = os.path.join(os.path.dirname(TABLE), "deps.csv")


def fold(s):
    return re.sub(r"[-_.]", "", s.lower())


def models():
    """{versioned name: {"row": dict, "features": set, "libvirt_features": set}}
    from models.csv, deltas applied here (independently of gen-models.py)."""
    out, cur = {}, {}
    with open(MODELS, newline="") as f:
        for r in csv.DictReader(l for l in f if not l.startswith("#")):
            if r["features"] == "?":
                out[f"{r['name']}-v{r['version']}"] = {"row": r, "features": None}
                cur[r["name"]] = None
                continue
            if r["version"] == "1":
                fs = set(r["features"].split())
            else:
                fs = set(cur[r["name"]])
                for d in r["features"].split():
                    (fs.add if d[0] == "+" else fs.discard)(d[1:])
            cur[r["name"]] = fs
            lv = set(fs)
            for d in r["libvirt_delta"].split():
                (lv.add if d[0] == "+" else lv.discard)(d[1:])
            out[f"{r['name']}-v{r['version']}"] = {"row": r, "features": fs, "libvirt_features": lv}
    return out


def model_by_any_name(ms, name):
    for k, m in ms.items():
        r = m["row"]
        if name.lower() in (k.lower(), r["alias"].lower(), r["libvirt"].lower()):
            return k
    k = f"{name}-v1"
    return k if k in ms else None


def deps():
    """{prerequisite: set of direct dependents} from deps.csv."""
    out = {}
    with open(DEPS, newline="") as f:
        for r in csv.DictReader(l for l in f if not l.startswith("#")):
            out.setdefault(r["needs"], set()).update(r["dependents"].split())
    return out


def dependents(d, f):
    """Everything that needs f, transitively."""
    seen, todo = set(), list(d.get(f, ()))
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo += d.get(x, ())
    return seen


def names_map(column):
    """fold(spelling in column) -> canonical name."""
    return {fold(r[column]): r["name"] for r in table() if r[column]}
