#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit cpuid model` on the 30 fixture CPUs: the closest model is one the
CPU can run, of its vendor; model + plus - minus is exactly the CPU's
migratable features (model features from models.csv, deltas applied here);
and where our model differs from libvirt's (x86_64-cpuid-NAME-host.xml, a
recent libvirt, and libvirt 9.0) the count of edits shows which is closer."""
import os
import re

from cpuidlib import CPUID_DATA, cpudata_fixtures, cpuid_json, model_by_any_name, models
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
done()
