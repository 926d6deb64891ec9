#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit cpuid model` on the 30 fixture CPUs: the closest model is one the
CPU can run, of its vendor; model + plus - minus is exactly the CPU's
migratable features (model features from models.csv, deltas applied here);
and where our model differs from libvirt's (x86_64-cpuid-NAME-host.xml, a
recent libvirt, and libvirt 9.0) the count of edits shows which is closer.

Then every model version is choosable: a synthetic CPU (libvirt <cpudata>
written here) with exactly the version's features and signature gets a
model of exactly those features with no edits (itself, or a version with
the same feature set, e.g. one that differs only in VMX or cache data).
A version whose own features break a dependency (deps.csv) cannot be a
CPU's feature set; those are listed, not failed."""
import os
import re
import tempfile

from cpuidlib import (CPUID_DATA, cpudata_fixtures, cpuid_json, model_by_any_name, models,
                      table)
from lib import check, done

ms = models()
fixtures = cpudata_fixtures()
check(len(fixtures) == 30, f"{len(fixtures)} fixture CPUs, expected 30")
differ = []
for name, path in fixtures:
    j = cpuid_json("model", "--from", path)
    c = j["closest"]
    for k in ("vendor", "family", "model", "stepping"):
        check(k in j, f"{name}: key {k}")
    check(set(c) >= {"name", "plus", "minus", "why"}, f"{name}: closest keys {sorted(c)}")
    m = ms.get(c["name"])
    if not check(m is not None and m["features"] is not None, f"{name}: {c['name']} is in models.csv"):
        continue
    cpu = set(j["features"])
    got = (m["features"] | set(c["plus"])) - set(c["minus"])
    check(got == cpu, f"{name}: {c['name']} + plus - minus == CPU features "
          f"(extra {sorted(got - cpu)}, missing {sorted(cpu - got)})")
    check(not c["minus"] or "no model" in c["why"], f"{name}: runnable model (minus {c['minus']})")
    check(m["row"]["vendor"] == j["vendor"].lower(), f"{name}: vendor {j['vendor']}")
    ours = len(c["plus"]) + len(c["minus"])
    for lvdir in ("libvirt", "libvirt-9.0"):
        host = os.path.join(CPUID_DATA, lvdir, f"x86_64-cpuid-{name}-host.xml")
        if not os.path.exists(host):
            continue
        lvm = re.search(r"<model[^>]*>([^<]+)</model>", open(host).read()).group(1)
        k = model_by_any_name(ms, lvm)
        if k is None or ms[k]["features"] is None:
            differ.append(f"{name} ({lvdir}): libvirt {lvm} not in our table")
            continue
        if k == c["name"]:
            continue
        lf = ms[k]["features"]
        theirs = len(cpu ^ lf)
        runnable = lf <= cpu
        differ.append(f"{name} ({lvdir}): ours {c['name']} +{len(c['plus'])} -{len(c['minus'])}"
                      f" = {ours} edits; libvirt {lvm} ({k}) = {theirs} edits"
                      f"{'' if runnable else ', which this CPU cannot run (lacks ' + ' '.join(sorted(lf - cpu)) + ')'}")
        check(ours <= theirs or not runnable,
              f"{name}: ours ({ours} edits) no worse than libvirt's runnable {lvm} ({theirs})")
for line in differ:
    print("# " + line)
print(f"# {len(differ)} fixture/libvirt pairs where the closest model differs")

VENDOR = {"intel": "GenuineIntel", "amd": "AuthenticAMD", "hygon": "HygonGenuine",
          "zhaoxin": "  Shanghai  "}
BITS = {r["name"]: r for r in table()}


def synth_cpudata(row, feats, path):
    """A <cpudata> of a CPU with exactly feats and row's signature."""
    regs, msrs = {}, {}

    def reg(leaf, sub=0):
        return regs.setdefault((leaf, sub), {"eax": 0, "ebx": 0, "ecx": 0, "edx": 0})
    for f in feats:
        r = BITS[f]
        if r["leaf"].startswith("msr:"):
            i = int(r["leaf"][4:], 16)
            msrs[i] = msrs.get(i, 0) | 1 << int(r["bit"])
        else:
            reg(int(r["leaf"], 16), int(r["subleaf"]))[r["reg"]] |= 1 << int(r["bit"])
    v = VENDOR[row["vendor"]].encode()
    reg(0).update(eax=0x24, ebx=int.from_bytes(v[0:4], "little"),
                  edx=int.from_bytes(v[4:8], "little"), ecx=int.from_bytes(v[8:12], "little"))
    fam, mod, step = int(row["family"]), int(row["model"]), max(int(row["stepping"]), 0)
    reg(1)["eax"] = ((min(fam, 15) << 8) | (max(fam - 15, 0) << 20) | ((mod & 15) << 4) |
                     ((mod >> 4) << 16) | step)
    reg(7)["eax"] = 2
    reg(0x80000000)["eax"] = 0x80000022
    reg(0xC0000000)["eax"] = 0xC0000001
    with open(path, "w") as f:
        f.write("<cpudata arch='x86'>\n")
        for (leaf, sub), d in sorted(regs.items()):
            f.write(f"  <cpuid eax_in='0x{leaf:08x}' ecx_in='0x{sub:02x}' eax='0x{d['eax']:08x}'"
                    f" ebx='0x{d['ebx']:08x}' ecx='0x{d['ecx']:08x}' edx='0x{d['edx']:08x}'/>\n")
        for i, val in sorted(msrs.items()):
            f.write(f"  <msr index='0x{i:x}' edx='0x{val >> 32:08x}' eax='0x{val & 0xffffffff:08x}'/>\n")
        f.write("</cpudata>\n")


chosen, inconsistent = 0, []
with tempfile.TemporaryDirectory() as td:
    for name, m in ms.items():
        if m["features"] is None:
            continue
        path = os.path.join(td, name + ".xml")
        synth_cpudata(m["row"], m["features"], path)
        j = cpuid_json("model", "--from", path)
        if set(j["features"]) != m["features"]:
            inconsistent.append(f"{name} (a CPU keeps no "
                                f"{' '.join(sorted(m['features'] - set(j['features'])))})")
            continue
        c = j["closest"]
        got = ms[c["name"]]["features"] if c["name"] in ms else None
        chosen += check(got == m["features"] and not c["plus"] and not c["minus"],
                        f"synthetic {name}: got {c['name']} +{c['plus']} -{c['minus']}")
print(f"# {chosen} model versions chosen for a CPU of exactly their features")
print(f"# not a possible CPU feature set, dependencies (deps.csv): {', '.join(inconsistent)}")
done()
