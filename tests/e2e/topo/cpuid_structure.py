# SPDX-License-Identifier: MIT
"""hvkit's CPU structure against hwloc's XML: for every PU the chain of its
ancestors (type and cpuset; caches with level, type and size), and every
cache.  Differences on purpose are RULES, each applied to hwloc's side."""
import xml.etree.ElementTree as ET

from lib import check

# What hvkit shows differently from hwloc's x86 backend, on purpose.
RULES = {
    "numa-memory-child": "a NUMANode is a memory child in hwloc, not an ancestor of "
                         "PUs: left out of the chains (its placement is the sysfs tests' job)",
    "die-unsplit": "hvkit shows a die only where a package holds more than one, "
                   "as its sysfs probe does; hwloc keeps a Die equal to its package",
    "group-merged": "hwloc's compute-unit/module/tile Groups are merged away when "
                    "they equal a cache or core; hvkit makes no Group from CPUID",
}
applied = {r: 0 for r in RULES}


def hwloc_set(s):
    """hwloc's '0xffffffff,0x0000000f' (32-bit words, high first) as a set."""
    v = 0
    for w in s.split(","):
        v = (v << 32) | int(w or "0", 16)  # an empty word is 0
    return frozenset(i for i in range(v.bit_length()) if v >> i & 1)


def hvkit_set(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return frozenset(out)


def hwloc_name(o):
    t = o.get("type")
    if t.endswith("Cache"):
        kind = {"0": "", "1": "d", "2": "i"}[o.get("cache_type", "0")]
        return f"L{o.get('depth')}{kind}:{int(o.get('cache_size'))}"
    return t.lower()


def hvkit_name(o):
    if o["type"] == "cache":
        kind = {"unified": "", "data": "d", "instruction": "i"}[o["cache_type"]]
        return f"L{o['level']}{kind}:{o['size_bytes']}"
    return o["type"]


def hwloc_chains(path):
    """PU os_index -> [(name, cpuset), ...] from the top down; caches."""
    chains, caches = {}, set()

    def visit(o, chain, parent_set):
        t = o.get("type")
        s = hwloc_set(o.get("cpuset")) if o.get("cpuset") else None
        here = chain
        if t == "NUMANode":
            applied["numa-memory-child"] += 1
            return
        if t == "Machine":
            pass
        elif t == "Group":
            applied["group-merged"] += 1
        elif t == "Die" and s == parent_set:
            applied["die-unsplit"] += 1
        else:
            here = chain + [(hwloc_name(o), s)]
            if t.endswith("Cache"):
                caches.add((hwloc_name(o), s))
        if t == "PU":
            chains[int(o.get("os_index"))] = here
        for k in o.findall("object"):
            visit(k, here, s if t == "Package" else parent_set)

    visit(ET.parse(path).getroot().find("object"), [], None)
    return chains, caches


def hvkit_chains(j):
    chains, caches = {}, set()

    def visit(o, chain):
        here = chain
        if o["type"] in ("package", "die", "core", "pu", "cache"):
            s = frozenset([o["os_index"]]) if o["type"] == "pu" else hvkit_set(o["cpuset"])
            here = chain + [(hvkit_name(o), s)]
            if o["type"] == "cache":
                caches.add((hvkit_name(o), s))
        if o["type"] == "pu":
            chains[o["os_index"]] = here
        for k in o["children"]:
            visit(k, here)

    visit(j["topology"], [])
    return chains, caches


def short(chain):
    return " > ".join(f"{n}[{min(s)}..{max(s)}#{len(s)}]" for n, s in chain)


def compare(name, j, xml):
    want, want_caches = hwloc_chains(xml)
    got, got_caches = hvkit_chains(j)
    ok = check(sorted(got) == sorted(want),
               f"{name}: PUs {sorted(got)[:8]}... != hwloc's {sorted(want)[:8]}...")
    bad = [pu for pu in want if got.get(pu) != want[pu]]
    ok &= check(not bad, f"{name}: {len(bad)} PU chain(s) differ; PU {bad[0] if bad else ''}:\n"
                f"   hvkit {short(got.get(bad[0], [])) if bad else ''}\n"
                f"   hwloc {short(want[bad[0]]) if bad else ''}")
    ok &= check(got_caches == want_caches,
                f"{name}: caches differ: hvkit only {sorted((n, len(s)) for n, s in got_caches - want_caches)[:4]}, "
                f"hwloc only {sorted((n, len(s)) for n, s in want_caches - got_caches)[:4]}")
    return ok


def report_rules():
    for r, why in RULES.items():
        print(f"rule {r} (applied {applied[r]}x): {why}")
