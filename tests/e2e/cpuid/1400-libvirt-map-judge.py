#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The libvirt <cpu> judged by libvirt itself (`virsh -c test:///default
cpu-baseline --features`, with the installed cpu_map):

  - every model policy of every QEMU model, and the closest-model policy of
    every fixture CPU (model + plus - minus == the CPU), expand in libvirt
    to exactly the intended features (less what KVM never gives a guest:
    "not_guest_visible") less those the map cannot name; the
    XML names only features of the map; what it cannot name is in an XML
    comment and in "skipped", never silently dropped;
  - baselines: for every pair of fixture CPUs of one vendor and for
    CPUID_RANDOM_PAIRS (200) random pairs made by removing random features
    from real CPUs (seeded: CPUID_RANDOM_SEED, the seed of each failing
    pair is printed), the libvirt form expands to exactly the baseline's
    features less what KVM never gives and what the map cannot name, and so to a subset of each
    host's features.

cpu-baseline reads a host <cpu> (no mode, no policies): each emitted XML
is given as its model plus its required features; its disabled ones are
then removed, as libvirt's documented semantics of policy='disable' do
(formatdomain: "the feature will not be supported by virtual CPU"), and
each must be one the model has."""
import itertools
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from cpuidlib import (cpudata_fixtures, cpuid_json, models, random_pairs, random_pairs_config,
                      table)
from lib import check, done, hvkit, skip

CPU_MAP = "/usr/share/libvirt/cpu_map"
if not os.path.exists(os.path.join(CPU_MAP, "x86_features.xml")):
    skip(f"{CPU_MAP} missing (Debian package libvirt0)")
try:
    p = subprocess.run(["virsh", "-c", "test:///default", "version"], capture_output=True,
                       text=True, timeout=300)
    if p.returncode:
        skip("virsh -c test:///default fails: " + p.stderr.strip())
except (OSError, subprocess.TimeoutExpired) as e:
    skip(f"virsh cannot run: {e}")

MAP_NAMES = {f.get("name") for f in ET.parse(os.path.join(CPU_MAP, "x86_features.xml")).getroot()
             .iter("feature")}
ROWS = table()
CANON = {}
for r in ROWS:
    for col in ("name", "qemu", "libvirt"):
        if r[col]:
            CANON.setdefault(r[col], r["name"])
LV_OF = {r["name"]: r["libvirt"] for r in ROWS if r["libvirt"] in MAP_NAMES}


def canon(names):
    return {CANON.get(n, n) for n in names}


def libvirt_view(canonical):
    """(the features in the map's names, the canonical names it cannot name)."""
    return {LV_OF[f] for f in canonical if f in LV_OF}, {f for f in canonical if f not in LV_OF}


def parse_emitted(xml):
    root = ET.fromstring(xml)
    model = root.findtext("model")
    req = {f.get("name") for f in root.findall("feature") if f.get("policy") == "require"}
    dis = {f.get("name") for f in root.findall("feature") if f.get("policy") == "disable"}
    return root, model, req, dis


def virsh_expand(jobs):
    """{key: set of features} for {key: (model, required)}, one virsh run."""
    out, cmds = {}, []
    with tempfile.TemporaryDirectory() as td:
        for i, (key, (model, req)) in enumerate(jobs.items()):
            path = os.path.join(td, f"{i}.xml")
            with open(path, "w") as f:
                f.write("<cpu>\n  <arch>x86_64</arch>\n  <model>%s</model>\n%s</cpu>\n" % (
                    model, "".join(f"  <feature name='{n}'/>\n" for n in sorted(req))))
            cmds.append(f"echo =={i}==; cpu-baseline --features {path}")
        keys = list(jobs)
        for k in range(0, len(cmds), 200):
            p = subprocess.run(["virsh", "-c", "test:///default", "; ".join(cmds[k:k + 200])],
                               capture_output=True, text=True, timeout=300)
            check(not p.stderr.strip(), f"virsh: {p.stderr.strip()[:500]}")
            for m in re.finditer(r"==(\d+)==\n(.*?)(?===\d+==|\Z)", p.stdout, re.S):
                out[keys[int(m.group(1))]] = {
                    f for pol, f in re.findall(r"<feature (?:policy='(\w+)' )?name='([^']+)'/>", m.group(2))
                    if pol not in ("disable", "forbid")}
    return out


def judge(label, xml, intent_canon, skipped, jobs, pending):
    """Static checks now; the expansion is checked after the batched virsh."""
    want, lost = libvirt_view(intent_canon)
    try:
        root, model, req, dis = parse_emitted(xml)
    except ET.ParseError as e:
        return check(False, f"{label}: not XML ({e}):\n{xml}")
    named = req | dis
    ok = check(not named - MAP_NAMES, f"{label}: names not in the map: {sorted(named - MAP_NAMES)}")
    ok &= check(canon(skipped) == lost, f"{label}: skipped {sorted(skipped)} == not nameable "
                f"{sorted(lost)}")
    comment = "has no name for" in xml
    ok &= check(comment == bool(lost) and all(f in xml for f in lost),
                f"{label}: an XML comment names what the map cannot ({sorted(lost)}):\n{xml}")
    if model is None:
        return check(False, f"{label}: no <model>:\n{xml}")
    jobs[label] = (model, req)
    pending[label] = (want, dis)
    return ok


def settle(jobs, pending, extra=None):
    """Runs virsh; returns the labels whose expansion is exactly intended."""
    got = virsh_expand(jobs)
    good = set()
    for label, (want, dis) in pending.items():
        e = got.get(label)
        if not check(e is not None, f"{label}: virsh gave no expansion"):
            continue
        ok = check(dis <= e, f"{label}: disables features its model lacks: {sorted(dis - e)}")
        res = e - dis
        ok &= check(res == want, f"{label}: libvirt expands it to {len(res)} features, intended "
                    f"{len(want)} (extra {sorted(res - want)}, missing {sorted(want - res)})")
        if extra:
            ok &= extra(label, res)
        if ok:
            good.add(label)
    return good


# 0. --libvirt-map: another map, the built-in one, a missing one.
with tempfile.TemporaryDirectory() as td:
    for f in os.listdir(CPU_MAP):
        if f == "index.xml" or f.startswith("x86_"):
            with open(os.path.join(CPU_MAP, f)) as src, open(os.path.join(td, f), "w") as dst:
                text = src.read()
                if f == "x86_features.xml":  # a newer libvirt's name for 0x7 edx 28
                    text = text.replace("</cpus>", "  <feature name='flush-l1d'>\n    <cpuid eax_in='0x07' "
                                        "ecx_in='0x00' edx='0x10000000'/>\n  </feature>\n</cpus>")
                dst.write(text)
    p = hvkit("cpuid", "policy", "Skylake-Server-v4,+flush-l1d", "--for", "libvirt", "--libvirt-map", td)
    check("<feature policy='require' name='flush-l1d'/>" in p.stdout and "<!--" not in p.stdout
          and not p.stderr, f"--libvirt-map DIR names what that map knows:\n{p.stdout}{p.stderr}")
    j = cpuid_json("policy", "Skylake-Server-v4", "--for", "libvirt", "--libvirt-map", td)
    check(j["libvirt_map"] == td, f"libvirt_map in JSON: {j['libvirt_map']}")
p = hvkit("cpuid", "policy", "Skylake-Server-v4,+flush-l1d", "--for", "libvirt")
check("<!-- libvirt's cpu_map (/usr/share/libvirt/cpu_map) has no name for: flush-l1d;" in p.stdout
      and "name='flush-l1d'" not in p.stdout and "has no name for: flush-l1d; left out" in p.stderr,
      f"the installed map cannot name flush-l1d: comment and warning:\n{p.stdout}{p.stderr}")
b = hvkit("cpuid", "policy", "Skylake-Server-v4,+flush-l1d", "--for", "libvirt", "--libvirt-map", "builtin")
check(b.stdout == p.stdout.replace("/usr/share/libvirt/cpu_map", "built-in libvirt 9.0 (Debian 12)"),
      f"the built-in map is the installed 9.0 one:\n{b.stdout}")
p = hvkit("cpuid", "policy", "Skylake-Server-v4", "--for", "libvirt", "--libvirt-map", "/nonexistent", ok=False)
check(p.returncode == 1 and "cannot open '/nonexistent/index.xml'" in p.stderr, f"missing map: {p.stderr}")
p = hvkit("cpuid", "models", "--libvirt-map", "builtin", ok=False)
check(p.returncode == 2, "--libvirt-map goes with policy and baseline only")

# The parsed map is cached (libxml2 costs more than a baseline): an entry
# per map and hvkit table, read back instead of the XML; a bad one is
# ignored; a changed map file is another entry.
with tempfile.TemporaryDirectory() as td:
    env = dict(os.environ, XDG_CACHE_HOME=td)
    run = lambda *a: subprocess.run([os.environ.get("HVKIT", "build/hvkit"), "cpuid", *a],
                                    capture_output=True, text=True, env=env)
    first = run("policy", "Skylake-Server-v4", "--for", "libvirt")
    entries = [f for f in os.listdir(os.path.join(td, "hvkit")) if f.startswith("libvirt-map-")]
    check(first.returncode == 0 and len(entries) == 1, f"one cache entry: {entries} {first.stderr}")
    path = os.path.join(td, "hvkit", entries[0])
    text = open(path).read()
    check(text.startswith("hvkit-lvmap 1\n") and "\nM Skylake-Server-noTSX-IBRS " in text,
          "the entry holds the map's models")
    with open(path, "w") as f:
        f.write(text.replace("\nM Skylake-Server-noTSX-IBRS ", "\nM Skylake-From-Cache "))
    p = run("policy", "Skylake-Server-v4", "--for", "libvirt")
    check(">Skylake-From-Cache<" in p.stdout, f"the entry is what is read:\n{p.stdout}")
    with open(path, "w") as f:
        f.write(text.replace("\nM ", "\nM bad name ", 1))
    p = run("policy", "Skylake-Server-v4", "--for", "libvirt")
    check(p.stdout == first.stdout and p.returncode == 0, f"a bad entry is ignored:\n{p.stdout}{p.stderr}")
    with tempfile.TemporaryDirectory() as md:
        for f in os.listdir(CPU_MAP):
            if f == "index.xml" or f.startswith("x86_"):
                with open(os.path.join(CPU_MAP, f)) as src, open(os.path.join(md, f), "w") as dst:
                    dst.write(src.read())
        a = run("policy", "Skylake-Server-v4", "--for", "libvirt", "--libvirt-map", md)
        with open(os.path.join(md, "x86_Skylake-Server-noTSX-IBRS.xml"), "r+") as f:
            t = f.read().replace("name='Skylake-Server-noTSX-IBRS'", "name='Skylake-Edited'")
            f.seek(0)
            f.truncate()
            f.write(t)
        b = run("policy", "Skylake-Server-v4", "--for", "libvirt", "--libvirt-map", md)
        check(">Skylake-Server-noTSX-IBRS<" in a.stdout and ">Skylake-Edited<" in b.stdout,
              f"an edited map file is read again:\n{a.stdout}{b.stdout}{b.stderr}")

# 1. Every QEMU model as a policy, no CPU needed.
ms = models()
jobs, pending = {}, {}
for name, m in ms.items():
    if m["features"] is None:
        continue
    j = cpuid_json("policy", name, "--for", "libvirt")
    judge(f"model {name}", j["output"], canon(j["features"]), j["skipped"], jobs, pending)
good = settle(jobs, pending)
nmodels = len(pending)
print(f"# QEMU models as libvirt <cpu>: {len(good)} of {nmodels} expand to exactly the intent")

# 2. Every fixture CPU: its closest model + edits.
cpus = {}
jobs, pending = {}, {}
lost_seen = {}
for name, path in cpudata_fixtures():
    j = cpuid_json("model", "--from", path)
    c = j["closest"]
    spec = ",".join([c["name"]] + ["+" + f for f in c["plus"]] + ["-" + f for f in c["minus"]])
    pj = cpuid_json("policy", spec, "--for", "libvirt", "--from", path)
    feats = canon(j["features"])
    # the libvirt form is for KVM guests: the CPU less what KVM never gives
    guest = feats - canon(pj["not_guest_visible"])
    check(canon(pj["features"]) == guest, f"{name}: the policy is the CPU less "
          f"{sorted(pj['not_guest_visible'])}")
    cpus[name] = (path, j["vendor"], feats)
    judge(f"cpu {name}", pj["output"], guest, pj["skipped"], jobs, pending)
    for f in libvirt_view(guest)[1]:
        lost_seen.setdefault(f, []).append(name)
good = settle(jobs, pending)
print(f"# fixture CPUs: {len(good)} of {len(pending)} libvirt <cpu> expand to exactly the intent")
print("# what libvirt's map cannot name (in a comment and on stderr): " +
      "; ".join(f"{f} ({len(n)} CPUs)" for f, n in sorted(lost_seen.items())))
check(len(good) == len(pending) == 30, "30 fixture CPUs judged")


# 3. Baselines: every same-vendor fixture pair, then random pairs.
def baseline_case(label, files, host_feats, jobs, pending, hosts_of):
    p = hvkit("cpuid", "baseline", "--json", *files, ok=False)
    if not check(p.returncode == 0, f"{label}: baseline fails: {p.stderr}"):
        return
    import json
    j = json.loads(p.stdout)
    common = canon(j["features"])
    inter = set.intersection(*host_feats)
    check(common == inter, f"{label}: baseline == intersection (extra {sorted(common - inter)}, "
          f"missing {sorted(inter - common)})")
    judge(label, j["policies"]["libvirt"], common - canon(j["not_guest_visible"]["libvirt"]),
          j["skipped"]["libvirt"], jobs, pending)
    hosts_of[label] = [libvirt_view(h)[0] for h in host_feats]


def subset_of_hosts(hosts_of):
    def f(label, res):
        return check(all(res <= h for h in hosts_of[label]),
                     f"{label}: the libvirt form asks for what a host lacks: "
                     f"{[sorted(res - h) for h in hosts_of[label]]}")
    return f


jobs, pending, hosts_of = {}, {}, {}
for (a, (pa, va, fa)), (b, (pb, vb, fb)) in itertools.combinations(sorted(cpus.items()), 2):
    if va == vb:
        baseline_case(f"pair {a} + {b}", [pa, pb], [fa, fb], jobs, pending, hosts_of)
good = settle(jobs, pending, subset_of_hosts(hosts_of))
print(f"# fixture pairs of one vendor: {len(good)} of {len(pending)} baselines safe and exact "
      "in libvirt form")

seed0, npairs = random_pairs_config()
jobs, pending, hosts_of, seeds = {}, {}, {}, {}
with tempfile.TemporaryDirectory() as td:
    for seed, names, files, feats in random_pairs(cpus, seed0, npairs, td):
        label = f"random pair seed {seed} ({names[0]} - {len(feats[0])} + {names[1]} - {len(feats[1])})"
        seeds[label] = seed
        baseline_case(label, files, feats, jobs, pending, hosts_of)
    good = settle(jobs, pending, subset_of_hosts(hosts_of))
bad = sorted(seeds[l] for l in pending if l not in good)
print(f"# random pairs (seed {seed0}..{seed0 + npairs - 1}): {len(good)} of {len(pending)} "
      f"baselines safe and exact in libvirt form" + (f"; failing seeds: {bad}" if bad else ""))
done()
