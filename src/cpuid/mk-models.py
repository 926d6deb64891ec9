#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the machine-derived part of models.csv (run by hand, not by the
build): mk-models.py QEMU-MODELS.json features.csv > models-gen.csv

Facts it gathers, per QEMU model version:
  - name, versions and aliases, vendor, family, model: QEMU 10.2.2's model
    list (../shared/reference/cpuid/qemu-10.2.2-models.json);
  - stepping and features: `query-cpu-model-expansion type=full` of the
    installed qemu-system-x86_64 (Debian 12: QEMU 7.2) for every version it
    knows; versions QEMU 7.2 lacks are written as '?' rows for a person to
    fill in from QEMU 10.2.2's target/i386/cpu.c;
  - libvirt 9.0's unversioned model of the same name (cpu_map/x86_*.xml)
    and how its feature list differs from the QEMU version's.
Only features the feature table names (its qemu column) are kept."""
import csv
import glob
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

CPU_MAP = "/usr/share/libvirt/cpu_map"
# Models libvirt 9.0 lacks whose QEMU definition lists CPUID_VME.
VME_EXTRA = {"KnightsMill", "Denverton"}
# libvirt 9.0 names QEMU 10.2 keeps only as a version (its alias is gone).
LIBVIRT_EXTRA = {"Icelake-Server-v2": "Icelake-Server-noTSX"}


def fold(s):
    return re.sub(r"[-_.]", "", s.lower())


def table(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(l for l in f if l.strip() and not l.startswith("#")))
    by = {}
    for r in rows:
        for c in ("qemu",):
            if r[c]:
                by[fold(r[c])] = r["name"]
    lv = {fold(r["libvirt"]): r["name"] for r in rows if r["libvirt"]}
    return rows, by, lv


def qmp(cmds):
    inp = [{"execute": "qmp_capabilities"}] + cmds + [{"execute": "quit"}]
    p = subprocess.run(["qemu-system-x86_64", "-machine", "none", "-accel", "tcg",
                        "-nodefaults", "-nographic", "-qmp", "stdio"],
                       input="\n".join(json.dumps(c) for c in inp) + "\n",
                       capture_output=True, text=True, timeout=120)
    out = []
    for l in p.stdout.splitlines():
        try:
            d = json.loads(l)
        except ValueError:
            continue
        if "return" in d or "error" in d:
            out.append(d)
    return out[1:-1]


def libvirt_models(lvnames):
    """name -> (vendor, set of canonical names)"""
    raw = {}
    for p in glob.glob(os.path.join(CPU_MAP, "x86_*.xml")):
        for m in ET.parse(p).getroot().iter("model"):
            if m.find("feature") is None and m.find("model") is None:
                continue
            raw[m.get("name")] = m
    out = {}

    def feats(n):
        m = raw[n]
        s = set()
        base = m.find("model")
        if base is not None:
            s |= feats(base.get("name"))
        for f in m.findall("feature"):
            k = fold(f.get("name"))
            if k in lvnames:
                s.add(lvnames[k])
        return s
    for n in raw:
        out[n] = feats(n)
    return out


def main(models_json, features_csv):
    rows, qnames, lvnames = table(features_csv)
    models = json.load(open(models_json))
    versions = []
    for m in models:
        for v, alias in m["versions"]:
            versions.append((m, v, alias))
    defs = qmp([{"execute": "query-cpu-definitions"}])[0]["return"]
    known = {d["name"] for d in defs}
    cmds = [{"execute": "query-cpu-model-expansion",
             "arguments": {"type": "full", "model": {"name": "%s-v%d" % (m["name"], v)}}}
            for m, v, _ in versions if "%s-v%d" % (m["name"], v) in known]
    res = iter(qmp(cmds))
    lv = libvirt_models(lvnames)
    w = csv.writer(sys.stdout, lineterminator="\n")
    prev = {}
    for m, v, alias in versions:
        vn = "%s-v%d" % (m["name"], v)
        vendor = m["vendor"].replace("CPUID_VENDOR_", "").rstrip("0123456789").lower()
        if vn not in known:
            w.writerow([m["name"], v, alias or "", "", vendor, m["family"], m["model"], "?", "?", ""])
            continue
        props = next(res)["return"]["model"]["props"]
        fs = {qnames[fold(k)] for k, val in props.items() if val is True and fold(k) in qnames}
        # The accelerator sets 'hypervisor' in every guest: not the model's.
        fs.discard("hypervisor")
        # Under TCG QEMU turns vme off in every model (tcg_default_props);
        # the definition's vme is the one libvirt's copy of it has.
        base_lv = lv.get(m["name"])
        if base_lv is not None and "vme" in base_lv or m["name"] in VME_EXTRA:
            fs.add("vme")
        step = props.get("stepping", "?")
        if v == 1:
            feats = " ".join(sorted(fs))
        else:
            p = prev[m["name"]]
            feats = " ".join(["+" + f for f in sorted(fs - p)] + ["-" + f for f in sorted(p - fs)])
        prev[m["name"]] = fs
        lvname = alias if alias in lv else (m["name"] if v == 1 and m["name"] in lv else "")
        lvname = LIBVIRT_EXTRA.get(vn, lvname)
        lvdelta = ""
        if lvname:
            ls = lv[lvname]
            lvdelta = " ".join(["+" + f for f in sorted(ls - fs)] + ["-" + f for f in sorted(fs - ls)])
        w.writerow([m["name"], v, alias or "", lvname, vendor, m["family"], m["model"], step,
                    feats, lvdelta])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mk-models.py qemu-models.json features.csv")
    main(sys.argv[1], sys.argv[2])
