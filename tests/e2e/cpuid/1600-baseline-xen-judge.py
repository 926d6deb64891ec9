#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Baselines safe in Xen's terms: for every pair of fixture CPUs of one
vendor and CPUID_RANDOM_PAIRS (200) random pairs made by removing random
features from real CPUs (seeded: CPUID_RANDOM_SEED), libxl's own parser
(cpuid-libxl-judge) reads the xl and xl-xend forms of `hvkit cpuid
baseline`; applied to each host's bits, the guest must get exactly the
baseline's features among those a model can hold (QEMU names them; not
hypervisor, osxsave, ospke, invtsc), after Xen's deep dependencies take
what lost a prerequisite (deps.csv), and so nothing another host lacks.
A feature the form cannot express (the xend form has no MSR bits) is in
the baseline's "skipped" list: it is not judged, and counted."""
import itertools
import json
import os
import tempfile

from cpuidlib import (bit_key, cpudata_fixtures, cpuid_json, deps, libxl_forced, random_pairs,
                      random_pairs_config, table)
from lib import check, done, hvkit, skip

JUDGE = os.environ.get("CPUID_LIBXL_JUDGE", "")
if not JUDGE or not os.access(JUDGE, os.X_OK):
    skip("cpuid-libxl-judge not built (needs libxen-dev: libxenlight and libyajl)")

ROWS = table()
CANON = {}
for r in ROWS:
    for col in ("name", "qemu", "linux", "xen", "libvirt"):
        if r[col]:
            CANON.setdefault(r[col], r["name"])
MODELABLE = {r["name"] for r in ROWS if r["qemu"]} - {"hypervisor", "osxsave", "ospke", "invtsc"}


NEEDS = {}
for need, ds in deps().items():
    for dep in ds:
        NEEDS.setdefault(dep, set()).add(need)


def closed(fs):
    """Less every feature whose prerequisite is gone, as Xen's deep
    dependencies (and QEMU's) take it from a guest."""
    fs = set(fs)
    while True:
        gone = {f for f in fs if NEEDS.get(f, set()) - fs}
        if not gone:
            return fs
        fs -= gone


def canon(names):
    return {CANON.get(n, n) for n in names}


def raw(path):
    j = cpuid_json("features", "-v", "--from", path)
    return canon(j["features"]) | canon(j["other"])


good, total, unexpressed = {}, {}, {}
bad_seeds = []


def baseline_case(label, seed, files, raws):
    p = hvkit("cpuid", "baseline", "--json", *files, ok=False)
    if not check(p.returncode == 0, f"{label}: baseline fails: {p.stderr}"):
        return
    j = json.loads(p.stdout)
    common = canon(j["features"])
    kind = "random" if seed is not None else "fixture"
    for form, jf in (("xl", "xl"), ("xend", "xl-xend")):
        skipped = canon(j["skipped"][jf])
        forced, err = libxl_forced(JUDGE, form, j["policies"][jf])
        if not check(err is None, f"{label}: libxl rejects the {jf} form: {err}"):
            continue
        ok = True
        for h, host in zip(files, raws):
            guest = set()
            for r in ROWS:
                ch = forced.get(bit_key(r))
                if (ch == "1") if ch else r["name"] in host:
                    guest.add(r["name"])
            guest = {f for f in closed(guest) if f in MODELABLE and f not in skipped}
            want = common - skipped
            ok &= check(guest == want, f"{label} {jf} on {os.path.basename(h)}: the guest gets "
                        f"{len(guest)} features, the baseline {len(want)} (extra "
                        f"{sorted(guest - want)}, missing {sorted(want - guest)})")
            ok &= check(all(guest <= closed(other) for other in raws),
                        f"{label} {jf} on {os.path.basename(h)}: a host lacks what the guest gets: "
                        f"{[sorted(guest - other) for other in raws]}")
        for f in skipped:
            unexpressed.setdefault((jf, f), 0)
            unexpressed[(jf, f)] += 1
        good[(kind, jf)] = good.get((kind, jf), 0) + ok
        total[(kind, jf)] = total.get((kind, jf), 0) + 1
        if not ok and seed is not None:
            bad_seeds.append(seed)


cpus, raws = {}, {}
for name, path in cpudata_fixtures():
    j = cpuid_json("model", "--from", path)
    cpus[name] = (path, j["vendor"], set(j["features"]))
    raws[name] = raw(path)
for (a, (pa, va, _)), (b, (pb, vb, _)) in itertools.combinations(sorted(cpus.items()), 2):
    if va == vb:
        baseline_case(f"pair {a} + {b}", None, [pa, pb], [raws[a], raws[b]])
seed0, npairs = random_pairs_config()
with tempfile.TemporaryDirectory() as td:
    for seed, names, files, feats in random_pairs(cpus, seed0, npairs, td):
        baseline_case(f"random pair seed {seed} ({names[0]} + {names[1]})", seed, files,
                      [raw(f) for f in files])
for kind in ("fixture", "random"):
    for jf in ("xl", "xl-xend"):
        print(f"# {kind} pairs: {good.get((kind, jf), 0)} of {total.get((kind, jf), 0)} baselines "
              f"safe and exact in {jf} form (libxl's parser, applied to each host)")
if bad_seeds:
    print(f"# failing seeds: {sorted(set(bad_seeds))}")
print("# not expressible, so not judged (named on stderr by hvkit): " +
      ", ".join(f"{jf} {f} ({n})" for (jf, f), n in sorted(unexpressed.items())))
done()
