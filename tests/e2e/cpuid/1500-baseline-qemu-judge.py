#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Baselines safe in QEMU's terms: for every pair of fixture CPUs of one
vendor and for CPUID_RANDOM_PAIRS (200) random pairs made by removing
random features from real CPUs (seeded: CPUID_RANDOM_SEED, a failing
pair's seed is printed), the QEMU form of `hvkit cpuid baseline` is
expanded by the installed QEMU (query-cpu-model-expansion, type full,
TCG) and must give exactly the baseline's features, for every feature
that QEMU has a property for, less what KVM never gives a guest (the
baseline's "not_guest_visible"), and so nothing some host lacks.  As in
0700: features a guest's OS or hypervisor decides (hypervisor, osxsave,
ospke) and invtsc are not compared, nor vme, which QEMU turns off under
TCG unless asked for."""
import itertools
import json
import shutil
import tempfile

from cpuidlib import (cpudata_fixtures, cpuid_json, fold, qemu_qmp, random_pairs,
                      random_pairs_config, table)
from lib import check, done, hvkit, skip

QEMU = shutil.which("qemu-system-x86_64")
if not QEMU:
    skip("qemu-system-x86_64 not installed (Debian package qemu-system-x86)")

ROWS = table()
BY_QEMU = {fold(r["qemu"]): r["name"] for r in ROWS if r["qemu"]}
CANON = {}
for r in ROWS:
    for col in ("name", "qemu"):
        if r[col]:
            CANON.setdefault(r[col], r["name"])
SKIP = {"hypervisor", "osxsave", "ospke", "invtsc", "vme"}


def canon(names):
    return {CANON.get(n, n) for n in names}


cases = []      # (label, seed or None, qemu form, baseline features, [host features])


def baseline_case(label, seed, files, host_feats):
    p = hvkit("cpuid", "baseline", "--json", *files, ok=False)
    if not check(p.returncode == 0, f"{label}: baseline fails: {p.stderr}"):
        return
    j = json.loads(p.stdout)
    check(j.get("qemu", {}).get("binary") == QEMU or j.get("qemu", {}).get("binary", "").endswith(
        "qemu-system-x86_64"), f"{label}: checked against the installed QEMU ({j.get('qemu')})")
    # the QEMU form is for KVM guests: cut to what KVM gives (1700 judges the cut)
    cases.append((label, seed, j["policies"]["qemu"],
                  canon(j["features"]) - canon(j["not_guest_visible"]["qemu"]), host_feats))


cpus = {}
for name, path in cpudata_fixtures():
    j = cpuid_json("model", "--from", path)
    cpus[name] = (path, j["vendor"], canon(j["features"]))
for (a, (pa, va, fa)), (b, (pb, vb, fb)) in itertools.combinations(sorted(cpus.items()), 2):
    if va == vb:
        baseline_case(f"pair {a} + {b}", None, [pa, pb], [fa, fb])
npairs_fixed = len(cases)
seed0, npairs = random_pairs_config()
with tempfile.TemporaryDirectory() as td:
    for seed, names, files, feats in random_pairs(cpus, seed0, npairs, td):
        baseline_case(f"random pair seed {seed} ({names[0]} + {names[1]})", seed, files, feats)

cmds = []
for label, seed, form, want, hosts in cases:
    words = form.split(" ", 1)[1].split(",")
    cmds.append({"execute": "query-cpu-model-expansion",
                 "arguments": {"type": "full", "model": {
                     "name": words[0], "props": {w[1:]: w[0] == "+" for w in words[1:]}}}})
good, bad_seeds = [0, 0], []
for (label, seed, form, want, hosts), res in zip(cases, qemu_qmp(QEMU, cmds)):
    if not check("return" in res, f"{label}: QEMU refuses {form}: {res.get('error')}"):
        continue
    got = {BY_QEMU[fold(k)]: v for k, v in res["return"]["model"]["props"].items()
           if fold(k) in BY_QEMU}
    on = {f for f, v in got.items() if v and f not in SKIP}
    known = set(got) - SKIP
    ok = check(on == want & known, f"{label}: QEMU expands {form} to {len(on)} features, "
               f"the baseline has {len(want & known)} (extra {sorted(on - want)}, "
               f"missing {sorted((want & known) - on)})")
    ok &= check(all(on <= h for h in hosts), f"{label}: the QEMU form gives what a host lacks: "
                f"{[sorted(on - h) for h in hosts]}")
    good[seed is not None] += ok
    if not ok and seed is not None:
        bad_seeds.append(seed)
check(len(cases) == npairs_fixed + npairs, f"{len(cases)} baselines")
print(f"# fixture pairs of one vendor: {good[0]} of {npairs_fixed} baselines safe and exact in "
      "QEMU form (QEMU's own expansion)")
print(f"# random pairs (seed {seed0}..{seed0 + npairs - 1}): {good[1]} of {npairs} safe and exact"
      + (f"; failing seeds: {bad_seeds}" if bad_seeds else ""))
done()
