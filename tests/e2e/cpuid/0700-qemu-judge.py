#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU judges `hvkit cpuid policy --for qemu`: Debian's QEMU 7.2 expands
our -cpu MODEL,+f,-g with query-cpu-model-expansion (type full) and must
give exactly the features hvkit meant (its --json "features"), for every
feature of the table QEMU 7.2 knows.  Reported, not failed: features QEMU
7.2 does not know (hvkit leaves them out: it asks this QEMU for its
properties) and vme, which QEMU turns off in every model under TCG
(tcg_default_props) unless asked for.  A model QEMU 7.2 lacks is refused
by hvkit with one line naming the newest model of QEMU 7.2 that fits; the
answer of `-cpu help` is cached per binary under $XDG_CACHE_HOME."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from cpuidlib import cpudata_fixtures, cpuid_json, fold, models, qemu_qmp, table
from lib import HVKIT, check, done, hvkit, skip

QEMU = shutil.which("qemu-system-x86_64")
if not QEMU:
    skip("qemu-system-x86_64 not installed (Debian package qemu-system-x86)")

rows = table()
qemu_names = {fold(r["qemu"]): r["name"] for r in rows if r["qemu"]}
NOT_MIGRATABLE = {"hypervisor", "osxsave", "ospke", "invtsc"}


def qmp(cmds):
    return qemu_qmp(QEMU, cmds)


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
refused = 0
for spec in specs:
    # hvkit asks this QEMU (-cpu help) for its models and properties: a
    # model it lacks is refused, naming the newest of its models that fits.
    r = hvkit("cpuid", "--json", "policy", spec, "--for", "qemu", ok=False)
    model = spec.split(",")[0]
    if r.returncode == 1 and "has no CPU model" in r.stderr:
        m = re.search(r"the newest of its models that fits is '([^']+)'", r.stderr)
        check(model not in known_models and r.stderr.count("\n") == 1 and
              (m is None or m.group(1) in known_models),
              f"{spec}: refused only for a model QEMU 7.2 lacks, naming one it has: {r.stderr}")
        skipped_models.add(model)
        refused += 1
        continue
    if not check(r.returncode == 0, f"{spec}: {r.stderr}"):
        continue
    p = json.loads(r.stdout)
    words = p["output"].split(" ", 1)[1].split(",")
    check(words[0] in known_models, f"{spec}: QEMU 7.2 has {words[0]}")
    props = {w[1:]: w[0] == "+" for w in words[1:] if fold(w[1:]) in known_props}
    bad = {w[1:] for w in words[1:] if fold(w[1:]) not in known_props}
    check(not bad, f"{spec}: properties QEMU 7.2 lacks are left out, not written: {sorted(bad)}")
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
print(f"# not in QEMU 7.2, refused by hvkit ({refused} specs): models {' '.join(sorted(skipped_models))}")
print(f"# features QEMU 7.2 does not know ({len(unknown)}): {' '.join(sorted(unknown))}")
print(f"# vme off under TCG although the model has it: {vme_tcg} times")

p = hvkit("cpuid", "policy", "GraniteRapids-v1", "--for", "qemu", ok=False)
check(p.returncode == 1 and not p.stdout and "QEMU 7.2" in p.stderr and
      "has no CPU model 'GraniteRapids-v1'; the newest of its models that fits is 'Icelake-Server-v6'"
      in p.stderr, f"GraniteRapids-v1 refused for QEMU 7.2: {p.stderr}")
# EPYC models have monitor, which KVM never gives a guest (the -cpu line
# removes it): that rules none of them out for a Zen 4 guest.
p = hvkit("cpuid", "policy", "EPYC-Genoa-v1", "--for", "qemu", ok=False)
check(p.returncode == 1 and "the newest of its models that fits is 'EPYC-Milan-v" in p.stderr,
      f"EPYC-Genoa-v1 for QEMU 7.2: {p.stderr}")
p = hvkit("cpuid", "policy", "GraniteRapids-v1", "--for", "qemu", "--qemu", "none")
check(p.stdout.strip() == "-cpu GraniteRapids-v1", f"--qemu none writes it unchecked: {p.stdout}")
# The cache: one file per binary; what it says is what hvkit believes.
with tempfile.TemporaryDirectory() as td:
    env = dict(os.environ, XDG_CACHE_HOME=td)
    run = lambda *a: subprocess.run([HVKIT, "cpuid", *a], capture_output=True, text=True, env=env)
    p = run("policy", "Skylake-Server-v4", "--for", "qemu")
    files = os.listdir(os.path.join(td, "hvkit"))
    check(p.returncode == 0 and len(files) == 1 and files[0].startswith("qemu-cpu-help-"),
          f"cache written: {files} {p.stderr}")
    path = os.path.join(td, "hvkit", files[0])
    text = open(path).read()
    check(text.startswith("version 7.2") and "x86 Skylake-Server-v4" in text, "cache holds -cpu help")
    with open(path, "w") as f:
        f.write(text.replace("x86 Skylake-Server-v4", "x86 Skylake-Server-vX"))
    p = run("policy", "Skylake-Server-v4", "--for", "qemu")
    check(p.returncode == 1 and "has no CPU model 'Skylake-Server-v4'" in p.stderr
          and "the newest of its models that fits is" in p.stderr, f"the cache is read: {p.stderr}")
done()
