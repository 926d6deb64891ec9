#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every machine under tests/data/acpi/: what hvkit makes of the SRAT, SLIT,
MADT and MCFG equals what 'iasl -d' (run here, on copies of the same binary
tables) decodes, both from the directory of tables and from acpidump.txt."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from lib import DATA, check, done, need, objects, topo_json

need("iasl", "acpica-tools")

FIELD = re.compile(r"^(?:\[[0-9A-Fa-f]+h \d+ +\d+\])?\s*([^:\[\]]+?)\s*:\s*(.*?)\s*$")


def iasl(path, tmp):
    """Disassemble a copy of PATH in TMP; return the subtables of the .dsl,
    each a dict of field -> value (the first one is the table header)."""
    base = os.path.basename(path)
    shutil.copy(path, os.path.join(tmp, base))
    subprocess.run(["iasl", "-d", base], cwd=tmp, capture_output=True, check=True)
    dsl = os.path.join(tmp, base[:-len(".dat")] + ".dsl")
    subs = [{}]
    with open(dsl) as f:
        for line in f:
            if line.startswith("Raw Table Data"):
                break
            m = FIELD.match(line)
            if not m:
                continue
            k, v = m.group(1), m.group(2)
            if k == "Subtable Type":
                subs.append({})
            subs[-1].setdefault(k, v)
            if k.startswith("Locality "):
                subs[-1].setdefault("rows", []).append([int(x, 16) for x in v.split()])
    return subs


def h(s):
    """iasl prints numbers as hex; the subtable type as '00 [name]'."""
    return int(s.split()[0], 16)


def parse_srat(subs):
    cpus, mem = [], []   # [(domain, apic, enabled)], [(domain, base, len, enabled)]
    for s in subs[1:]:
        t = h(s["Subtable Type"])
        if t == 0:   # Processor Local APIC/SAPIC Affinity
            dom = h(s["Proximity Domain Low(8)"]) | (h(s["Proximity Domain High(24)"]) << 8)
            cpus.append((dom, h(s["Apic ID"]), h(s["Enabled"]) == 1))
        elif t == 2:  # Processor Local x2APIC Affinity
            cpus.append((h(s["Proximity Domain"]), h(s["Apic ID"]), h(s["Enabled"]) == 1))
        elif t == 1:  # Memory Affinity
            mem.append((h(s["Proximity Domain"]), h(s["Base Address"]),
                        h(s["Address Length"]), h(s["Enabled"]) == 1))
    return cpus, mem


def parse_madt(subs):
    cpus = []  # [(apic id, enabled)] in table order
    for s in subs[1:]:
        t = h(s["Subtable Type"])
        if t == 0:   # Processor Local APIC
            cpus.append((h(s["Local Apic ID"]), h(s["Processor Enabled"]) == 1))
        elif t == 9:  # Processor Local x2APIC
            cpus.append((h(s["Processor x2Apic ID"]), h(s["Processor Enabled"]) == 1))
    return cpus


def parse_mcfg(subs):
    return [(h(s["Segment Group Number"]), h(s["Base Address"]),
             h(s["Start Bus Number"]), h(s["End Bus Number"]))
            for s in subs if "Segment Group Number" in s]


def parse_slit(subs):
    return subs[0].get("rows", [])


machines = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(DATA, "acpi", "*", "acpidump.txt")))
check(len(machines) >= 4, f"expected the ACPI machines in {DATA}/acpi")
for mdir in machines:
    name = os.path.basename(mdir)
    with tempfile.TemporaryDirectory() as tmp:
        srat_cpus, srat_mem = parse_srat(iasl(os.path.join(mdir, "srat.dat"), tmp))
        madt = parse_madt(iasl(os.path.join(mdir, "apic.dat"), tmp))
        mcfg = parse_mcfg(iasl(os.path.join(mdir, "mcfg.dat"), tmp))
        slit_path = os.path.join(mdir, "slit.dat")
        slit = parse_slit(iasl(slit_path, tmp)) if os.path.exists(slit_path) else None
    check(srat_cpus and srat_mem and madt and mcfg, f"{name}: iasl output not understood")

    # What the tables say, as hvkit should show it.
    domains = sorted({d for d, _, en in srat_cpus if en} | {d for d, _, _, en in srat_mem if en})
    mem_of = {d: sum(l for dd, _, l, en in srat_mem if en and dd == d) for d in domains}
    ranges_of = {d: [(b, l) for dd, b, l, en in srat_mem if en and dd == d] for d in domains}
    apics_of = {d: [a for dd, a, en in srat_cpus if en and dd == d] for d in domains}
    dom_of_apic = {a: d for d, a, en in srat_cpus if en}
    enabled_apics = [a for a, en in madt if en]
    pus_of = {d: set() for d in domains}
    for i, a in enumerate(enabled_apics):
        if check(a in dom_of_apic, f"{name}: MADT APIC ID {a} has no enabled SRAT entry"):
            pus_of[dom_of_apic[a]].add(i)

    results = {}
    for src in (mdir, os.path.join(mdir, "acpidump.txt")):
        label = f"{name} ({os.path.basename(src)})"
        j = topo_json("--from", src)
        results[src] = j
        nodes = {n["os_index"]: n for n in objects(j, "numa_node")}
        check(sorted(nodes) == domains, f"{label}: NUMA nodes {sorted(nodes)}, SRAT domains {domains}")
        for d in domains:
            n = nodes.get(d)
            if not n:
                continue
            check(n["memory_bytes"] == mem_of[d],
                  f"{label}: node {d} memory_bytes {n['memory_bytes']}, SRAT {mem_of[d]}")
            pus = {c["os_index"] for c in n["children"] if c["type"] == "pu"}
            check(len(pus) == len(pus_of[d]), f"{label}: node {d} has {len(pus)} PUs, SRAT+MADT {len(pus_of[d])}")
            check(pus == pus_of[d], f"{label}: node {d} PUs {sorted(pus)}, SRAT+MADT {sorted(pus_of[d])}")
        npu = len(objects(j, "pu"))
        check(npu == len(enabled_apics), f"{label}: {npu} PUs, MADT has {len(enabled_apics)} enabled")

        acpi = j["acpi"]
        sd = {x["domain"]: x for x in acpi["srat_domains"]}
        check(sorted(sd) == domains, f"{label}: acpi.srat_domains {sorted(sd)}, iasl {domains}")
        for d in domains:
            if d not in sd:
                continue
            check(sd[d]["apic_ids"] == apics_of[d],
                  f"{label}: domain {d} apic_ids {sd[d]['apic_ids']}, iasl {apics_of[d]}")
            got = [(m["base"], m["length"]) for m in sd[d]["memory"]]
            check(got == ranges_of[d], f"{label}: domain {d} memory {got}, iasl {ranges_of[d]}")
        madt_j = acpi.get("madt") or {}
        check(madt_j.get("cpus") == len(madt), f"{label}: madt.cpus {madt_j.get('cpus')}, iasl {len(madt)}")
        check(madt_j.get("enabled") == len(enabled_apics),
              f"{label}: madt.enabled {madt_j.get('enabled')}, iasl {len(enabled_apics)}")
        got = [(m["segment"], m["base"], m["bus_start"], m["bus_end"]) for m in acpi["mcfg"]]
        check(got == mcfg, f"{label}: mcfg {got}, iasl {mcfg}")

        dist = j["distances"]
        if slit is None:
            check(dist == [] and j["distance_source"] is None, f"{label}: distances {dist} without a SLIT")
        elif check(dist != [], f"{label}: no distances, SLIT has {len(slit)} localities"):
            check(j["distance_nodes"] == list(range(len(slit))),
                  f"{label}: distance_nodes {j['distance_nodes']}, SLIT localities 0..{len(slit) - 1}")
            check(dist == slit, f"{label}: distances {dist}, SLIT {slit}")
            check(j["distance_source"] == "acpi-slit", f"{label}: distance_source {j['distance_source']}")
            for n in objects(j, "numa_node"):
                row = j["distance_nodes"].index(n["os_index"]) if n["os_index"] in j["distance_nodes"] else None
                check(row is not None and n.get("distances") == slit[row],
                      f"{label}: node {n['os_index']} distances {n.get('distances')}")

    a, b = results.values()
    check(a["topology"] == b["topology"], f"{name}: topology differs between the tables and acpidump.txt")
    check(a["distances"] == b["distances"], f"{name}: distances differ between the tables and acpidump.txt")
    check(a["acpi"] == b["acpi"], f"{name}: acpi differs between the tables and acpidump.txt")
    print(f"{name}: nodes {domains}, {len(enabled_apics)}/{len(madt)} CPUs enabled, "
          f"SLIT {len(slit) if slit else 'none'}, MCFG {len(mcfg)} segment(s)")
done()
