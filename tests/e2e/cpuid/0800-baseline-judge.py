#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit cpuid baseline` judged by libvirt, and `compare`.

For the two public pairs of libvirt's test suite (tests/cputest.c
DO_TEST_CPUID_BASELINE: Cascadelake+Skylake-IBRS = Xeon-Platinum-8268 +
Xeon-Gold-6130, Haswell-noTSX-IBRS+Skylake-IBRS = Xeon-E5-2609-v3 +
Xeon-Gold-6130):
  - ours: model + plus - minus == the features every host can run (the
    intersection of `hvkit cpuid model` features), and `compare` says both
    hosts run it;
  - libvirt's expected result (x86_64-cpuid-baseline-PAIR.xml, computed
    from QEMU's view of each host, the -json.xml files) and `virsh -c
    test:///default cpu-baseline --features` (the test driver refuses
    --migratable: invtsc and the like are left out here) on libvirt 9.0's
    decodes of the hosts (libvirt-9.0/*-host.xml), both expanded by virsh
    with libvirt 9.0's cpu_map: the same model as ours, and every feature
    where we differ is explained: libvirt's has it but a host's own CPUID
    lacks it (KVM emulates it: hypervisor, umip, ...) or it cannot migrate;
    ours has it but libvirt's input lacked it (KVM hid it) or libvirt has
    no name for it.
virsh is skipped (with the reason) when it cannot run here."""
import json
import os
import re
import subprocess
import tempfile

from cpuidlib import CPUID_DATA, cpuid_json, models, table
from lib import check, done, hvkit

LV = os.path.join(CPUID_DATA, "libvirt")
LV9 = os.path.join(CPUID_DATA, "libvirt-9.0")
PAIRS = {
    "Cascadelake+Skylake-IBRS": ("Xeon-Platinum-8268", "Xeon-Gold-6130"),
    "Haswell-noTSX-IBRS+Skylake-IBRS": ("Xeon-E5-2609-v3", "Xeon-Gold-6130"),
}
# Cannot be in a migratable guest model: decided by the guest's OS or
# hypervisor, or migration cannot keep it, or QEMU has no name for it (a
# QEMU guest never has it: Intel RDT monitoring cmt, mbm_*).
NOT_MIGRATABLE = {"hypervisor", "osxsave", "ospke", "invtsc"} | {
    r["libvirt"] for r in table() if r["libvirt"] and not r["qemu"]}


def virsh_ok():
    try:
        p = subprocess.run(["virsh", "-c", "test:///default", "version"], capture_output=True,
                           text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"virsh cannot run: {e}"
    return None if p.returncode == 0 else "virsh -c test:///default fails: " + p.stderr.strip()


def virsh_baseline(xml, *opts):
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        p = subprocess.run(["virsh", "-c", "test:///default", "cpu-baseline", *opts, f.name],
                           capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"virsh cpu-baseline {' '.join(opts)}: {p.stderr.strip()}")
    return p.stdout


def parse_cpu(xml):
    """(model, {feature names}) of a <cpu> element, features not disabled."""
    m = re.search(r"<model[^>]*>([^<]+)</model>", xml)
    feats = {f for pol, f in re.findall(r"<feature (?:policy='(\w+)' )?name='([^']+)'/>", xml)
             if pol not in ("disable", "forbid")}
    return (m.group(1) if m else None), feats


def expand(xml):
    """The full feature set of one <cpu> in libvirt 9.0's cpu_map (virsh)."""
    cpu = re.search(r"<cpu.*?</cpu>", xml, re.S).group(0)
    cpu = re.sub(r"<cpu[^>]*>", "<cpu>", cpu, 1)
    if "<arch>" not in cpu:
        cpu = cpu.replace("<cpu>", "<cpu>\n  <arch>x86_64</arch>", 1)
    cpu = re.sub(r"<model[^>]*>", "<model>", cpu)
    cpu = re.sub(r"policy='\w+' ", "", cpu)
    return parse_cpu(virsh_baseline(cpu, "--features"))[1]


why_virsh = virsh_ok()
if why_virsh:
    print(f"# skipping the virsh part: {why_virsh}")
ms = models()
for pair, hosts in PAIRS.items():
    files = [os.path.join(LV, f"x86_64-cpuid-{h}.xml") for h in hosts]
    j = cpuid_json("baseline", *files)
    jl = cpuid_json("baseline", "--names", "libvirt", *files)
    c = j["closest"]
    ours = set(j["features"])
    common = set.intersection(*(set(cpuid_json("model", "--from", f)["features"]) for f in files))
    check(ours == common, f"{pair}: baseline == intersection of the hosts' features "
          f"(extra {sorted(ours - common)}, missing {sorted(common - ours)})")
    m = ms[c["name"]]["features"]
    check((m | set(c["plus"])) - set(c["minus"]) == ours, f"{pair}: {c['name']} + plus - minus == baseline")
    check(j["spec"].startswith(c["name"]) and set(j["policies"]) == {"xl", "xl-xend", "qemu", "libvirt"},
          f"{pair}: spec and the four policies")
    p = hvkit("cpuid", "compare", j["spec"], *files, ok=False)
    check(p.returncode == 0 and "2 of 2 hosts can run it" in p.stdout,
          f"{pair}: compare says both hosts run the baseline ({p.returncode}: {p.stdout}{p.stderr})")
    ledits = len(jl["closest"]["plus"]) + len(jl["closest"]["minus"])
    mine = set(jl["features"])
    print(f"# {pair}: ours {jl['spec'].split(',')[0]} ({c['name']}) "
          f"+{len(jl['closest']['plus'])} -{len(jl['closest']['minus'])}, {len(mine)} features")
    # What each host's own CPUID has, in libvirt's names (also non-migratable).
    host_has = [set(hvkit("cpuid", "features", "--names", "libvirt", "-v", "--from", f).stdout.split())
                for f in files]
    if why_virsh:
        continue
    # libvirt's own expected result, from QEMU's view of the hosts.
    exp_xml = open(os.path.join(LV, f"x86_64-cpuid-baseline-{pair}.xml")).read()
    emodel, elisted = parse_cpu(exp_xml)
    theirs = expand(exp_xml)
    inputs = [expand(open(os.path.join(LV, f"x86_64-cpuid-{h}-json.xml")).read()) for h in hosts]
    check(emodel == jl["closest"]["name"], f"{pair}: libvirt's expected model {emodel} == ours "
          f"{jl['closest']['name']}")
    only_lv = theirs - mine
    only_us = mine - theirs
    bad_lv = {f for f in only_lv if f not in NOT_MIGRATABLE and all(f in h for h in host_has)}
    bad_us = {f for f in only_us if all(f in i for i in inputs)}
    print(f"# {pair} vs libvirt's x86_64-cpuid-baseline: {emodel} + {len(elisted)} listed, "
          f"{len(theirs)} features; libvirt only: {sorted(only_lv)}; ours only: {sorted(only_us)}")
    check(not bad_lv, f"{pair}: libvirt's extra features are ones a host lacks or cannot migrate "
          f"(unexplained {sorted(bad_lv)})")
    check(not bad_us, f"{pair}: our extra features are ones QEMU's view of a host lacked "
          f"(unexplained {sorted(bad_us)})")
    # virsh cpu-baseline in this run, on libvirt 9.0's decodes of the hosts.
    hx = "".join(open(os.path.join(LV9, f"x86_64-cpuid-{h}-host.xml")).read() for h in hosts)
    vmodel, vlisted = parse_cpu(virsh_baseline(hx))
    vs = parse_cpu(virsh_baseline(hx, "--features"))[1]
    hexp = [expand(open(os.path.join(LV9, f"x86_64-cpuid-{h}-host.xml")).read()) for h in hosts]
    only_v = vs - mine
    only_us = mine - vs
    bad_v = {f for f in only_v if f not in NOT_MIGRATABLE and all(f in h for h in host_has)}
    bad_us = {f for f in only_us if all(f in i for i in hexp)}
    print(f"# {pair} vs virsh cpu-baseline: {vmodel} + {len(vlisted)} listed, "
          f"{len(vs)} features (ours: {ledits} edits); virsh only: {sorted(only_v)}; "
          f"ours only: {sorted(only_us)}")
    check(vmodel == jl["closest"]["name"], f"{pair}: virsh's model {vmodel} == ours {jl['closest']['name']}")
    check(not bad_v, f"{pair}: virsh's extra features are ones a host lacks or cannot migrate "
          f"(unexplained {sorted(bad_v)})")
    check(not bad_us, f"{pair}: our extra features are ones libvirt 9.0 did not decode on a host "
          f"(unexplained {sorted(bad_us)})")

# compare names the blockers and the usual culprits, and exits 1.
gold = os.path.join(LV, "x86_64-cpuid-Xeon-Gold-6130.xml")
plat = os.path.join(LV, "x86_64-cpuid-Xeon-Platinum-8268.xml")
p = hvkit("cpuid", "compare", "Cascadelake-Server-v2", plat, gold, ok=False)
check(p.returncode == 1, f"compare exits 1 when a host cannot run it ({p.returncode})")
check(f"host {plat}: can run it" in p.stdout, "compare: the Cascade Lake host runs Cascadelake-Server")
check(re.search(rf"host {re.escape(gold)}: missing .*avx512vnni", p.stdout) and "rdctl-no:" in p.stdout
      and "microcode" in p.stdout, f"compare names avx512vnni and rdctl-no with its reason:\n{p.stdout}")
p = hvkit("cpuid", "compare", "--json", "Cascadelake-Server-v2,-hle,-rtm", plat, gold, ok=False)
jc = json.loads(p.stdout)
check(jc["all_run"] is False and [h["runs"] for h in jc["hosts"]] == [True, False], "compare --json runs")
check(any(c["feature"] == "mds-no" for c in jc["hosts"][1]["culprits"]), "compare --json culprits")
p = hvkit("cpuid", "compare", "host", gold, ok=False)
check(p.returncode == 2, "compare refuses a host policy (usage)")
p = hvkit("cpuid", "baseline", gold, os.path.join(LV, "x86_64-cpuid-EPYC-7601-32-Core.xml"), ok=False)
check(p.returncode == 1 and "vendor" in p.stderr, f"baseline of Intel and AMD hosts fails: {p.stderr}")
done()
