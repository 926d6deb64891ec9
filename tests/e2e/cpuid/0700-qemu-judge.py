#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU judges `hvkit cpuid policy --for qemu`: Debian's QEMU 7.2 expands
our -cpu MODEL,+f,-g with query-cpu-model-expansion (type full) and must
give exactly the features hvkit meant (its --json "features"), for every
feature of the table QEMU 7.2 knows.  Reported, not failed: features QEMU
7.2 does not know, models it does not have, and vme, which QEMU turns off
in every model under TCG (tcg_default_props) unless asked for."""
import json
import shutil
import subprocess

from cpuidlib import cpudata_fixtures, cpuid_json, fold, models, table
from lib import check, done, skip

QEMU = shutil.which("qemu-system-x86_64")
if not QEMU:
    skip("qemu-system-x86_64 not installed (Debian package qemu-system-x86)")

rows = table()
qemu_names = {fold(r["qemu"]): r["name"] for r in rows if r["qemu"]}
NOT_MIGRATABLE = {"hypervisor", "osxsave", "ospke", "invtsc"}


def qmp(cmds):
    inp = [{"execute": "qmp_capabilities"}] + cmds + [{"execute": "quit"}]
    p = subprocess.run([QEMU, "-machine", "none", "-accel", "tcg", "-nodefaults",
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


defs, base = qmp([{"execute": "query-cpu-definitions"},
                   {"execute": "query-cpu-model-expansion",
                    "arguments": {"type": "full", "model": {"name": "qemu64"}}}])
known_models = {d["name"] for d in defs["return"]}
# A full expansion lists every property QEMU 7.2 has, features included.
known_props = {fold(k) for k in base["return"]["model"]["props"]}

# What to judge: every model version as is and with edits, and each
# fixture CPU's spec (closest model + plus - minus).
specs = []
for name, m in models().items():
    if m["features"] is None:
        continue
    specs.append(name)
    if "avx2" in m["features"]:
        specs.append(name + ",-avx2,+pcid")
    elif "sse4.1" in m["features"]:
        specs.append(name + ",-sse4.1")
for name, path in cpudata_fixtures():
    c = cpuid_json("model", "--from", path)["closest"]
    specs.append(",".join([c["name"]] + ["+" + f for f in c["plus"]] + ["-" + f for f in c["minus"]]))

cmds, meant, skipped_models, unknown = [], [], set(), set()
for spec in specs:
    p = cpuid_json("policy", spec, "--for", "qemu")
    words = p["output"].split(" ", 1)[1].split(",")
    if words[0] not in known_models:
        skipped_models.add(words[0])
        continue
    props = {w[1:]: w[0] == "+" for w in words[1:] if fold(w[1:]) in known_props}
    unknown |= {w[1:] for w in words[1:] if fold(w[1:]) not in known_props}
    cmds.append({"execute": "query-cpu-model-expansion",
                 "arguments": {"type": "full", "model": {"name": words[0], "props": props}}})
    meant.append((spec, set(p["features"]), props))

vme_tcg, compared = 0, 0
for (spec, want, props), res in zip(meant, qmp(cmds)):
    if not check("return" in res, f"{spec}: QEMU refuses: {res.get('error')}"):
        continue
    got = res["return"]["model"]["props"]
    seen = {qemu_names[fold(k)]: v for k, v in got.items() if fold(k) in qemu_names}
    for r in rows:
        f, q = r["name"], r["qemu"]
        if not q or f in NOT_MIGRATABLE:
            continue
        if f not in seen:
            unknown.add(q)
            continue
        if f == "vme" and "vme" in want and not seen[f] and "vme" not in props:
            vme_tcg += 1
            continue
        compared += 1
        check(seen[f] == (q in want), f"{spec}: QEMU says {q}={'on' if seen[f] else 'off'}, "
              f"hvkit meant {'on' if q in want else 'off'}")
print(f"# {len(meant)} -cpu strings judged by QEMU 7.2, {compared} feature values compared")
print(f"# not in QEMU 7.2, skipped: models {' '.join(sorted(skipped_models))}")
print(f"# features QEMU 7.2 does not know ({len(unknown)}): {' '.join(sorted(unknown))}")
print(f"# vme off under TCG although the model has it: {vme_tcg} times")
done()
