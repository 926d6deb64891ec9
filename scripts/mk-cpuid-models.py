#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the rows of models.csv (run by hand, not by the build):
mk-cpuid-models.py QEMU-MODELS.json features.csv [models.csv] > rows.csv

Facts it gathers, per QEMU model version:
  - name, versions and aliases, vendor: QEMU 10.2.2's model list
    (../shared/reference/cpuid/qemu-10.2.2-models.json);
  - family, model, stepping and features: `query-cpu-model-expansion
    type=full` of the installed qemu-system-x86_64 (Debian 12: QEMU 7.2)
    for every version it knows (a version's props may change the model
    number: Icelake-Server-v4 and later report 106);
  - versions QEMU 7.2 lacks: the row of the models.csv given as third
    argument when it is filled in there (written by hand from QEMU's
    target/i386/cpu.c, see models.csv's header), else a '?' row;
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
# The only definitions in QEMU's builtin_x86_defs[] without CPUID_VME
# (target/i386/cpu.c; a KVM expansion, where tcg_default_props does not
# turn vme off, agrees for every model QEMU 7.2 has).
NO_VME = {"qemu64", "qemu32"}
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


def hand_rows(path):
    """(name, version) -> row of an existing models.csv, filled ones only."""
    if path is None:
        return {}
    with open(path, newline="") as f:
        rows = csv.DictReader(l for l in f if l.strip() and not l.startswith("#"))
        return {(r["name"], int(r["version"])): r for r in rows if r["features"] != "?"}


def main(models_json, features_csv, models_csv=None):
    rows, qnames, lvnames = table(features_csv)
    hand = hand_rows(models_csv)
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
            r = hand.get((m["name"], v))
            if r is None:
                w.writerow([m["name"], v, alias or "", "", vendor, m["family"], m["model"],
                            "?", "?", ""])
                continue
            w.writerow([r[c] for c in ("name", "version", "alias", "libvirt", "vendor", "family",
                                       "model", "stepping", "features", "libvirt_delta")])
            fs = set(prev.get(m["name"], set())) if v > 1 else set()
            for d in r["features"].split():
                if v == 1:
                    fs.add(d)
                else:
                    (fs.add if d[0] == "+" else fs.discard)(d[1:])
            prev[m["name"]] = fs
            continue
        props = next(res)["return"]["model"]["props"]
        fs = {qnames[fold(k)] for k, val in props.items() if val is True and fold(k) in qnames}
        # The accelerator sets 'hypervisor' in every guest: not the model's.
        fs.discard("hypervisor")
        # Under TCG QEMU turns vme off in every model (tcg_default_props).
        if m["name"] not in NO_VME:
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
        w.writerow([m["name"], v, alias or "", lvname, vendor, props.get("family", m["family"]),
                    props.get("model", m["model"]), step, feats, lvdelta])


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: mk-cpuid-models.py qemu-models.json features.csv [models.csv]")
    main(*sys.argv[1:])
