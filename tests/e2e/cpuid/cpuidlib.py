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
    from models.csv, deltas applied here (independently of gen-cpuid-models.py)."""
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


# ---- random hosts: real CPUs less random features (baseline judges) ----
MSR_RE = re.compile(r"<msr\s+index='(\w+)'\s+edx='(\w+)'\s+eax='(\w+)'\s*/>")


def without(path, drop, out, bits):
    """A copy of the <cpudata> at path with the features in drop (canonical
    names; bits: name -> table row) cleared, written to out."""
    text = open(path).read()
    cl = {}
    for f in drop:
        r = bits[f]
        if r["leaf"].startswith("msr:"):
            k = ("msr", int(r["leaf"][4:], 16))
        else:
            k = (int(r["leaf"], 16), int(r["subleaf"]), r["reg"])
        cl[k] = cl.get(k, 0) | 1 << int(r["bit"])

    def cpuid(m):
        leaf, sub = int(m.group(1), 16), int(m.group(2), 16)
        v = dict(zip(("eax", "ebx", "ecx", "edx"), (int(x, 16) for x in m.groups()[2:])))
        for reg in v:
            v[reg] &= ~cl.get((leaf, sub, reg), 0)
        return (f"<cpuid eax_in='{m.group(1)}' ecx_in='{m.group(2)}' eax='0x{v['eax']:08x}' "
                f"ebx='0x{v['ebx']:08x}' ecx='0x{v['ecx']:08x}' edx='0x{v['edx']:08x}'/>")

    def msr(m):
        val = (int(m.group(2), 16) << 32 | int(m.group(3), 16)) & ~cl.get(("msr", int(m.group(1), 16)), 0)
        return f"<msr index='{m.group(1)}' edx='0x{val >> 32:08x}' eax='0x{val & 0xffffffff:08x}'/>"

    with open(out, "w") as f:
        f.write(MSR_RE.sub(msr, CPUID_RE.sub(cpuid, text)))


def random_pairs_config():
    """(first seed, number of pairs): CPUID_RANDOM_SEED (12026) and
    CPUID_RANDOM_PAIRS (200) from the environment."""
    return (int(os.environ.get("CPUID_RANDOM_SEED", "12026")),
            int(os.environ.get("CPUID_RANDOM_PAIRS", "200")))


def random_pairs(cpus, seed0, n, td):
    """Yields (seed, [name, name], [file, file], [features, features]) for
    n pairs: seed seed0 + i picks a vendor, two fixture CPUs of it
    (cpus: name -> (path, vendor, canonical features)) and removes 1-12
    random features from each; the files are written into td and the
    features are what `hvkit cpuid model` reads back (canonical names)."""
    import random
    bits = {r["name"]: r for r in table()}
    by_vendor = {}
    for name, (path, v, feats) in cpus.items():
        by_vendor.setdefault(v, []).append(name)
    canon = {}
    for r in table():
        for col in ("name", "qemu"):
            if r[col]:
                canon.setdefault(r[col], r["name"])
    for i in range(n):
        seed = seed0 + i
        rng = random.Random(seed)
        v = rng.choice(sorted(by_vendor))
        names = [rng.choice(sorted(by_vendor[v])) for _ in range(2)]
        files, feats = [], []
        for k, name in enumerate(names):
            path, _, have = cpus[name]
            drop = rng.sample(sorted(f for f in have if f in bits), rng.randint(1, 12))
            out = os.path.join(td, f"{seed}-{k}.xml")
            without(path, drop, out, bits)
            files.append(out)
            feats.append({canon.get(f, f) for f in cpuid_json("model", "--from", out)["features"]})
        yield seed, names, files, feats


def qemu_qmp(qemu, cmds):
    """The answers ("return" or "error" objects) of QMP commands cmds to one
    `qemu -machine none -accel tcg` process, in order."""
    import subprocess
    inp = [{"execute": "qmp_capabilities"}] + cmds + [{"execute": "quit"}]
    p = subprocess.run([qemu, "-machine", "none", "-accel", "tcg", "-nodefaults",
                        "-nographic", "-qmp", "stdio"],
                       input="\n".join(json.dumps(c) for c in inp) + "\n",
                       capture_output=True, text=True, timeout=240)
    out = []
    for line in p.stdout.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if "return" in d or "error" in d:
            out.append(d)
    return out[1:-1]


# ---- libxl as the judge of the Xen forms (tests/unit/cpuid-libxl-judge.c) ----
REGS = {"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}


def bit_key(r):
    """A table row's bit as libxl_forced() keys it."""
    if r["leaf"].startswith("msr:"):
        return ("msr", int(r["leaf"][4:], 16), 0, 0, int(r["bit"]))
    return ("cpuid", int(r["leaf"], 16), int(r["subleaf"]), REGS[r["reg"]], int(r["bit"]))


def libxl_forced(judge, form, out):
    """({bit key: "0" or "1"} that libxl's parser makes of an xl.cfg cpuid=
    line `out` (form "xl" or "xend"), None) or (None, libxl's complaint)."""
    import subprocess
    if form == "xl":
        m = re.fullmatch(r'cpuid = "([^"]*)"', out)
        args = ["xl", m.group(1)]
    else:
        args = ["xend"] + re.findall(r'"([^"]*)"', out)
    if len(args) == 1:
        return {}, None
    p = subprocess.run([judge, *args], capture_output=True, text=True)
    if p.returncode:
        return None, p.stderr.strip()
    pol = json.loads(p.stdout)
    forced = {}
    for e in pol["cpuid"]:
        for reg, mask in e.items():
            if reg in REGS:
                for i, ch in enumerate(mask):
                    if ch in "01":
                        forced[("cpuid", e["leaf"], e.get("subleaf", 0), REGS[reg], 31 - i)] = ch
    for e in pol["msr"]:
        for i, ch in enumerate(e["policy"]):
            if ch in "01":
                forced[("msr", e["index"], 0, 0, 63 - i)] = ch
    return forced, None
