# SPDX-License-Identifier: MIT
"""The structure of a topology, from lstopo's XML or hvkit's JSON, and
their comparison: for every PU the chain of its ancestors (type and
cpuset, the machine left out), for every NUMA node the cpuset of its
parent, for every cache its (level, type, cpuset) with multiplicity.

Where hvkit differs from lstopo on purpose, the difference is one rule in
RULES: a name, the reason, and a function that rewrites hvkit's structure
into what lstopo shows.  The comparison applies the rules a case needs
(it never skips a case), and says which it applied."""
import collections
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import gensysfs

CACHE_KIND = {"0": "u", "1": "d", "2": "i",
              "unified": "u", "data": "d", "instruction": "i"}


def parse_list(s):
    out = set()
    if not s:
        return frozenset()
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return frozenset(out)


def parse_hwloc_mask(s):
    v = 0
    for w in s.split(","):
        v = (v << 32) | (int(w, 16) if w else 0)
    return frozenset(i for i in range(v.bit_length()) if v >> i & 1)


class Struct:
    """objs: list of (key, cpuset, parent index, is_memory) in tree
    order; the rest is derived."""

    def __init__(self):
        self.objs = []          # dicts: key, cpuset, parent, mem, os_index, extra
        self.pus_offline = set()

    def add(self, key, cpuset, parent, mem=False, os_index=None, **extra):
        self.objs.append(dict(key=key, cpuset=cpuset, parent=parent, mem=mem,
                              os_index=os_index, **extra))
        return len(self.objs) - 1

    def chain(self, i):
        out = []
        p = self.objs[i]["parent"]
        while p is not None and self.objs[p]["key"] != "machine":
            o = self.objs[p]
            out.append((o["key"], o["cpuset"]))
            p = o["parent"]
        return tuple(reversed(out))

    def view(self):
        """The three things compared."""
        pus, numa, caches = {}, {}, collections.Counter()
        for i, o in enumerate(self.objs):
            if o["key"] == "pu":
                pus[o["os_index"]] = self.chain(i)
            elif o["key"] == "numa":
                p = self.objs[o["parent"]]
                numa[o["os_index"]] = (o.get("pcs", p["cpuset"]), o.get("kind"))
            elif o["key"].startswith("L"):
                caches[(o["key"], o["cpuset"])] += 1
        return pus, numa, caches


def from_hwloc_xml(text):
    s = Struct()
    root = ET.fromstring(text)

    def visit(el, parent):
        for ch in el:
            if ch.tag != "object":
                continue
            t = ch.get("type")
            cs = parse_hwloc_mask(ch.get("cpuset", "0x0"))
            key = None
            if t == "Machine":
                key = "machine"
            elif t in ("Package", "Die", "Core", "PU"):
                key = t.lower()
            elif t == "NUMANode":
                key = "numa"
            elif t == "Group":
                key = "cluster" if ch.get("subtype") == "Cluster" else "group"
                if ch.get("subtype") and key != "cluster":
                    key = "group:" + ch.get("subtype").lower()
                elif ch.get("kind") == "900":
                    key = "group:distance"      # HWLOC_GROUP_KIND_DISTANCE
            elif t.endswith("Cache") and t != "MemCache":
                key = f"L{ch.get('depth')}{CACHE_KIND[ch.get('cache_type', '0')]}"
            if t == "MemCache":
                visit(ch, parent)   # transparent: nodes hang from its parent
                continue
            if key is None:
                continue        # I/O, Misc
            os_index = int(ch.get("os_index")) if ch.get("os_index") else None
            # a NUMA node's subtype, in hvkit's words
            kind = {"GPUMemory": "GPU"}.get(ch.get("subtype"), ch.get("subtype")) \
                if key == "numa" else None
            me = s.add(key, cs, parent, mem=(key == "numa"), os_index=os_index, kind=kind)
            visit(ch, me)

    visit(root, None)
    return s


def from_hvkit_json(j):
    s = Struct()

    def visit(o, parent):
        t = o["type"]
        key = {"machine": "machine", "package": "package", "die": "die",
               "cluster": "cluster", "group": "group", "core": "core",
               "pu": "pu", "numa_node": "numa"}.get(t)
        if t == "cache":
            key = f"L{o['level']}{CACHE_KIND[o['cache_type']]}"
        if key is None:
            return
        if t == "pu":
            cs = frozenset([o["os_index"]])
            if not o.get("online", True):
                s.pus_offline.add(o["os_index"])
        else:
            cs = parse_list(o.get("cpuset", ""))
        me = s.add(key, cs, parent, mem=(key == "numa"), os_index=o.get("os_index"),
                   reason=o.get("reason"), kind=o.get("kind") if key == "numa" else None)
        for c in o["children"]:
            visit(c, me)

    visit(j["topology"], None)
    return s


def _rebuild(s, keep, cpuset_of):
    """A new Struct with only objects keep(i), cpusets from cpuset_of(i),
    parents re-pointed to the nearest kept ancestor."""
    n = Struct()
    n.pus_offline = set(s.pus_offline)
    newidx = {}
    for i, o in enumerate(s.objs):
        if not keep(i):
            continue
        p = o["parent"]
        while p is not None and p not in newidx:
            p = s.objs[p]["parent"]
        extra = {k: v for k, v in o.items() if k not in ("key", "cpuset", "parent", "mem", "os_index")}
        newidx[i] = n.add(o["key"], cpuset_of(i), newidx.get(p) if p is not None else None,
                          mem=o["mem"], os_index=o["os_index"], **extra)
    return n


def rule_offline_pus(s, hw, ctx):
    """Drop offline PUs and take them out of every cpuset; objects left
    with no PU go (except NUMA nodes, which keep their memory)."""
    off = s.pus_offline
    if not off:
        return s, hw, False

    def cs(i):
        return s.objs[i]["cpuset"] - off

    def keep(i):
        o = s.objs[i]
        return o["key"] in ("machine", "numa") or bool(cs(i))
    return _rebuild(s, keep, cs), hw, True


def _drop_nodes(hw, gone):
    """lstopo's structure without the NUMA nodes of os_index in gone, and
    without the Groups lstopo makes for CPU-less nodes: an empty one, and
    one with the machine's cpuset (see unknown-locality)."""
    mach = next((o["cpuset"] for o in hw.objs if o["key"] == "machine"), None)
    return _rebuild(hw, lambda i: not (hw.objs[i]["key"] == "numa"
                                       and hw.objs[i]["os_index"] in gone)
                    and not (hw.objs[i]["key"] in ("group", "group:distance") and
                             hw.objs[i]["cpuset"] in (frozenset(), mach)),
                    lambda i: hw.objs[i]["cpuset"])


def rule_empty_node(s, hw, ctx):
    """Nodes hvkit left out because they have neither CPUs nor memory
    go from lstopo's side too."""
    gone = {int(m) for m in re.findall(r"/node(\d+): no CPUs and no memory, leaving it out",
                                       ctx.get("stderr", ""))}
    if not gone:
        return s, hw, False
    return s, _drop_nodes(hw, gone), True


def rule_crossing_package(s, hw, ctx):
    """When sysfs lists a core, die or cluster crossing its package,
    hvkit leaves the die or cluster out (the core keeps its package's
    part) and says so; lstopo 2.9 makes packages only at the first PU of
    a die, so it loses packages: packages, dies, clusters and cores go
    from both sides (and the Groups made for NUMA nodes that then lack a
    package), PUs, caches and NUMA nodes are still compared."""
    if not re.search(r"(thread siblings|die_cpus|cluster_cpus) \S+ cross its package",
                     ctx.get("stderr", "")):
        return s, hw, False
    gone = {"package", "die", "cluster", "core", "group"}

    def strip(x):
        # Groups of the machine's or no cpuset are unknown-locality's
        mach = next((o["cpuset"] for o in x.objs if o["key"] == "machine"), None)

        def goes(o):
            return o["key"] in gone and not (
                o["key"] == "group" and o["cpuset"] in (frozenset(), mach))
        for o in x.objs:        # a node keeps its parent's cpuset
            if o["key"] == "numa" and o["parent"] is not None \
                    and goes(x.objs[o["parent"]]):
                o.setdefault("pcs", x.objs[o["parent"]]["cpuset"])
        return _rebuild(x, lambda i: not goes(x.objs[i]),
                        lambda i: x.objs[i]["cpuset"])
    return strip(s), strip(hw), True


def _drop_keys_both(s, hw, keys):
    """Both structures without objects of these keys (applied)."""
    def strip(x):
        return _rebuild(x, lambda i: x.objs[i]["key"] not in keys,
                        lambda i: x.objs[i]["cpuset"])
    return strip(s), strip(hw), True


def rule_buggy_numa(s, hw, ctx):
    """When hvkit says the NUMA information is buggy it shows one node;
    compare the CPU side only: NUMA nodes and memory groups go on both
    sides."""
    if "buggy NUMA" not in ctx.get("stderr", ""):
        return s, hw, False
    return _drop_keys_both(s, hw, ("numa", "group"))


def rule_unknown_locality(s, hw, ctx):
    """CPU-less nodes that sysfs gives no initiators and whose distances
    are equal to all nodes with CPUs: hvkit hangs them from the machine;
    lstopo wraps them in a group with an empty cpuset, and then also a
    node local to the whole machine.  Those groups go from lstopo's side and the nodes hang
    from the group's parent."""
    nodes = {o["os_index"] for o in s.objs
             if o["key"] == "numa" and o.get("cpuset") == frozenset()
             and o["parent"] is not None and s.objs[o["parent"]]["key"] == "machine"}
    if not nodes:
        return s, hw, False
    mach = next((o["cpuset"] for o in hw.objs if o["key"] == "machine"), None)
    drop = set()
    for i, o in enumerate(hw.objs):
        if o["key"] == "numa" and o["os_index"] in nodes:
            p = o["parent"]
            po = hw.objs[p]
            others = [x for x in hw.objs if x["parent"] == p and x["key"] == "numa"
                      and x["os_index"] not in nodes]
            if po["key"] == "group" and (not others or po["cpuset"] == mach):
                drop.add(p)
    # beside such a node, lstopo also wraps a node local to the whole
    # machine in a Group with the machine's cpuset
    for i, o in enumerate(hw.objs):
        if o["key"] == "numa" and o["parent"] is not None:
            po = hw.objs[o["parent"]]
            if po["key"] == "group" and po["cpuset"] == mach:
                drop.add(o["parent"])
    if not drop:
        return s, hw, False
    return s, _rebuild(hw, lambda i: i not in drop, lambda i: hw.objs[i]["cpuset"]), True


def rule_distance_groups(s, hw, ctx):
    """lstopo's Groups made from the NUMA distance matrix go, except one
    that a node hangs from (hwloc merged the node's own group into it)."""
    holds = {o["parent"] for o in hw.objs if o["key"] == "numa"}
    if not any(o["key"] == "group:distance" for o in hw.objs):
        return s, hw, False
    for i, o in enumerate(hw.objs):
        if o["key"] == "group:distance" and i in holds:
            o["key"] = "group"
    return s, _rebuild(hw, lambda i: hw.objs[i]["key"] != "group:distance",
                       lambda i: hw.objs[i]["cpuset"]), True


def rule_amd_compute_units(s, hw, ctx):
    """On AMD family 15h, lstopo's cores of two PUs become one core per
    PU, each the PU's own parent (below the per-PU caches)."""
    if not ctx.get("amd15h"):
        return s, hw, False
    split = {i for i, o in enumerate(hw.objs) if o["key"] == "core" and len(o["cpuset"]) > 1}
    if not split:
        return s, hw, False
    n = Struct()
    newidx = {}
    for i, o in enumerate(hw.objs):
        if i in split:
            continue
        p = o["parent"]
        in_split = False
        while p is not None and p not in newidx:
            in_split |= p in split
            p = hw.objs[p]["parent"]
        q = o["parent"]
        while q is not None:
            in_split |= q in split
            q = hw.objs[q]["parent"]
        par = newidx.get(p) if p is not None else None
        if o["key"] == "pu" and in_split:
            par = n.add("core", o["cpuset"], par)
        newidx[i] = n.add(o["key"], o["cpuset"], par, mem=o["mem"], os_index=o["os_index"],
                          kind=o.get("kind"))
    return s, n, True


def rule_nested_numa(s, hw, ctx):
    """Unless lstopo runs with HWLOC_DEBUG_ALLOW_OVERLAPPING_NODE_CPUSETS,
    a node whose CPUs meet an earlier node's goes from hvkit's side, and
    a group left without a node with it."""
    if ctx.get("allow_overlap"):
        return s, hw, False
    seen, drop = set(), set()
    for i, o in sorted(((i, o) for i, o in enumerate(s.objs) if o["key"] == "numa"),
                       key=lambda x: x[1]["os_index"]):
        if o["cpuset"] & seen:
            drop.add(i)
        seen |= o["cpuset"]
    if not drop:
        return s, hw, False
    # A CPU-less node whose initiators include the dropped node has
    # another locality in lstopo: CPU-less nodes go from both sides.
    cpuless = {o["os_index"] for o in s.objs if o["key"] == "numa" and not o["cpuset"]}
    drop |= {i for i, o in enumerate(s.objs) if o["key"] == "numa" and o["os_index"] in cpuless}
    hw = _drop_nodes(hw, cpuless)
    left = {s.objs[i]["parent"] for i, o in enumerate(s.objs) if o["key"] == "numa" and i not in drop}
    for i in list(drop):
        p = s.objs[i]["parent"]
        if s.objs[p]["key"] == "group" and p not in left:
            drop.add(p)
    return _rebuild(s, lambda i: i not in drop, lambda i: s.objs[i]["cpuset"]), hw, True


def rule_crossing_die(s, hw, ctx):
    """A cluster (or die) whose CPUs cross a die's inside one package:
    hvkit keeps the dies, leaves the crossing object out and names both;
    lstopo 2.9 reports an intersection and loses a die and the cluster:
    dies and clusters are compared on neither side."""
    if not re.search(r"the (cluster|die) of CPUs \S+ crosses the (die|cluster) of CPUs",
                     ctx.get("stderr", "")):
        return s, hw, False
    return _drop_keys_both(s, hw, ("die", "cluster"))


def rule_gpu_cpu_node(s, hw, ctx):
    """A GPU's numa_status naming a node that has CPUs: hvkit keeps the
    node as the memory of its CPUs and warns; lstopo moves it under the
    GPU's local CPUs as GPUMemory, and what hangs on that node (CPU-less
    nodes it initiates, the memory tiers, clusters its CPUs cut) follows
    it.  Only the CPU side is compared: NUMA nodes, their groups and
    clusters go on both sides."""
    if not re.search(r"numa_status names node \d+, which has CPUs", ctx.get("stderr", "")):
        return s, hw, False
    return _drop_keys_both(s, hw, ("numa", "group", "cluster"))


def rule_absent_cpus(s, hw, ctx):
    """A node cpumap listing CPUs the machine lacks: hvkit leaves them out
    and warns; lstopo keeps them, so that no object has the node's cpuset
    and it hangs from the machine or a Group equal to an object below it,
    and CPU-less nodes it initiates follow it.  Those nodes (and hvkit's
    groups made only for them) go from both sides, and lstopo's Groups
    equal to their only CPU-side child go."""
    nodes = {int(n) for n in re.findall(r"/node(\d+): the node lists CPUs \S+, which this machine does not have",
                                        ctx.get("stderr", ""))}
    if not nodes:
        return s, hw, False
    gone = nodes | {o["os_index"] for o in s.objs if o["key"] == "numa" and not o["cpuset"]}
    kept_in = {o["parent"] for o in s.objs if o["key"] == "numa" and o["os_index"] not in gone}
    s = _rebuild(s, lambda i: not (s.objs[i]["key"] == "numa" and s.objs[i]["os_index"] in gone)
                 and not (s.objs[i]["key"] == "group" and i not in kept_in and
                          any(o["parent"] == i and o["key"] == "numa" for o in s.objs)),
                 lambda i: s.objs[i]["cpuset"])
    hw = _drop_nodes(hw, gone)
    # lstopo's Groups equal to their only CPU-side child, or left with no
    # node (made for a node that went)
    drop = {i for i, o in enumerate(hw.objs) if o["key"] == "group" and (any(
        c["parent"] == i and not c["mem"] and c["cpuset"] == o["cpuset"] for c in hw.objs)
        or not any(c["parent"] == i and c["key"] == "numa" for c in hw.objs))}
    for o in hw.objs:
        if o["key"] == "numa" and o["parent"] in drop:
            o.setdefault("pcs", hw.objs[o["parent"]]["cpuset"])
    return s, _rebuild(hw, lambda i: i not in drop, lambda i: hw.objs[i]["cpuset"]), True


def rule_dram_named(s, hw, ctx):
    """A node with CPUs that no DAX device, GPU or HBM finding describes
    is DRAM in hvkit; lstopo 2.9 names DRAM only beside HBM it found, so
    such a node's kind goes from hvkit's side where lstopo gives none."""
    plain = {o["os_index"] for o in hw.objs if o["key"] == "numa" and not o.get("kind")}
    did = False
    for o in s.objs:
        if o["key"] == "numa" and o.get("kind") == "DRAM" and o["os_index"] in plain:
            o["kind"] = None
            did = True
    return s, hw, did


def rule_cxl_kind(s, hw, ctx):
    """A DAX device of a CXL region is CXL memory in hvkit; lstopo 2.9
    calls every DAX device off an NVDIMM bus specific-purpose memory
    (SPM, or HBM when fast): lstopo's SPM or HBM is compared as CXL."""
    cxl = {o["os_index"] for o in s.objs if o["key"] == "numa" and o.get("kind") == "CXL"}
    did = False
    for o in hw.objs:
        if o["key"] == "numa" and o["os_index"] in cxl and o.get("kind") in ("SPM", "HBM"):
            o["kind"] = "CXL"
            did = True
    return s, hw, did


def tree_ctx(root, env=None):
    """What the rules need to know of a tree: AMD family 15h CPUs, and
    whether lstopo was told to accept overlapping node cpusets."""
    ctx = {"allow_overlap": bool((env or {}).get("HWLOC_DEBUG_ALLOW_OVERLAPPING_NODE_CPUSETS"))}
    try:
        with open(os.path.join(root, "proc", "cpuinfo"), errors="replace") as f:
            text = f.read(65536)
        ctx["amd15h"] = "AuthenticAMD" in text and re.search(r"cpu family\s*:\s*21\b", text) is not None
    except OSError:
        ctx["amd15h"] = False
    return ctx


# name -> (reason, function).  Applied in order; each may rewrite hvkit's
# structure (s) or lstopo's (hw) and says whether it applied.
#
# Initiators need no rule where both tools read them alike: a CPU-less
# node's locality is the CPUs of the nodes in its access1/initiators
# where that directory exists, else access0/initiators (hwloc's
# read_node_initiators); entries naming the node itself or no node are
# skipped by both (hvkit warns), and the local bandwidth for memory tiers
# comes from the same directory.  Where hvkit reads more (a CPU-less node
# found only in another node's access0/access1 targets; lstopo leaves it
# in an empty Group) or less (lstopo reads an entry "node1x" as node 1,
# hvkit skips it with a warning), gensysfs makes no such tree and no rule
# is written: hvkit-topo(1) says so under numa_node.
RULES = collections.OrderedDict([
    ("offline-pus",
     ("hvkit shows offline PUs that still have a topology directory "
      "(online: false) and their objects; lstopo drops offline PUs, so "
      "they are taken out of hvkit's cpusets and empty objects dropped",
      rule_offline_pus)),
    ("buggy-numa",
     ("nodes listing the same CPUs, node cpusets that overlap without one "
      "holding the other, or node memory half again above MemTotal: hvkit "
      "falls back to one node, warns and `topo check` says numa_buggy "
      "(the issue's buggy-NUMA fallback); lstopo 2.9 drops each node "
      "meeting an earlier one (identical sets: one node, as hvkit) and "
      "keeps nodes whose memory exceeds the total, so only the CPU side "
      "is compared",
      rule_buggy_numa)),
    ("empty-node",
     ("a node with neither CPUs nor memory says nothing: hvkit leaves it "
      "out, warns and `topo check` says numa_node_dropped; lstopo 2.9 keeps "
      "it (in an empty Group), so it goes from lstopo's side",
      rule_empty_node)),
    ("crossing-package",
     ("sysfs lists a core, die or cluster crossing its package: hvkit "
      "leaves the die or cluster out (a core keeps its package's part) and "
      "warns; lstopo 2.9 creates packages only at a die's first PU and "
      "loses some: packages, dies, clusters and cores are compared on "
      "neither side, PUs, caches and NUMA nodes still are",
      rule_crossing_package)),
    ("amd-compute-units",
     ("on AMD family 15h (Bulldozer) sysfs lists the two cores of a compute "
      "unit as thread siblings; hvkit splits them into their cores (distinct "
      "core_id) as hwloc's x86 backend does, while lstopo without that "
      "backend (these trees are not this machine's CPUs) keeps one core: "
      "lstopo's core becomes one per PU",
      rule_amd_compute_units)),
    ("nested-numa",
     ("hvkit accepts nodes whose cpusets nest (a node local to a package "
      "beside one local to a die, as hwloc's fakeheterocpunuma test has); "
      "lstopo 2.9 drops a node meeting an earlier one unless "
      "HWLOC_DEBUG_ALLOW_OVERLAPPING_NODE_CPUSETS is set, so hvkit's later "
      "node (and a group made only for it) goes, and CPU-less nodes "
      "(whose initiators may be the dropped node) go from both sides",
      rule_nested_numa)),
    ("distance-groups",
     ("lstopo groups nodes that are closer to each other than to the rest "
      "(Group kind 900, from the distance matrix); hvkit prints the matrix "
      "and makes no such group, so those Groups are dropped from lstopo's "
      "side",
      rule_distance_groups)),
    ("unknown-locality",
     ("a CPU-less node without initiators and as far from every node with "
      "CPUs hangs from the machine in hvkit (its locality is unknown); "
      "lstopo 2.9 wraps it in a Group with an empty cpuset (and a node "
      "local to the whole machine in another): those Groups are dropped "
      "from lstopo's side before comparing",
      rule_unknown_locality)),
    ("crossing-die",
     ("a cluster or die crossing a die inside its package: hvkit keeps "
      "the dies, leaves the crossing object out and warns naming both and "
      "their CPUs; lstopo 2.9 loses a die and the cluster, so dies and "
      "clusters are compared on neither side",
      rule_crossing_die)),
    ("gpu-cpu-node",
     ("a GPU's numa_status names a node that has CPUs: hvkit keeps it as "
      "their memory and warns; lstopo moves it to the GPU's local CPUs as "
      "GPUMemory, and nodes that it initiates and the memory tiers follow "
      "it: only the CPU side is compared (NUMA nodes, groups and clusters "
      "go)",
      rule_gpu_cpu_node)),
    ("absent-cpus",
     ("a node cpumap listing CPUs the machine lacks: hvkit leaves them out "
      "and warns; lstopo keeps them, so the node hangs from the machine or "
      "a Group equal to the object below it, and CPU-less nodes follow: "
      "those nodes (and groups made for them) go from both sides, and "
      "lstopo's Groups equal to their only child",
      rule_absent_cpus)),
    ("dram-named",
     ("hvkit calls the memory of a node with CPUs DRAM when nothing says "
      "otherwise (no DAX device, GPU or HBM bandwidth); lstopo 2.9 gives "
      "such a node no subtype unless it found HBM beside it, so hvkit's "
      "DRAM is dropped where lstopo has no subtype",
      rule_dram_named)),
    ("cxl-kind",
     ("hvkit names the memory of a CXL region's DAX device CXL; lstopo 2.9 "
      "has no CXL tier and calls it SPM (HBM when its bandwidth is twice "
      "DRAM's): lstopo's SPM or HBM is read as CXL for those nodes",
      rule_cxl_kind)),
])


def apply_rules(s, hw, ctx=None):
    applied = []
    for name, (reason, fn) in RULES.items():
        s, hw, did = fn(s, hw, ctx or {})
        if did:
            applied.append(name)
    return s, hw, applied


def fmt(cs):
    return gensysfs.cpulist(cs) or "-"


def fmt_chain(ch):
    return " > ".join(f"{k}[{fmt(c)}]" for k, c in ch)


def compare(hw, ours, limit=6):
    """Differences between two Structs, as lines (empty: same)."""
    hp, hn, hc = hw.view()
    op, on, oc = ours.view()
    d = []
    for pu in sorted(set(hp) | set(op)):
        if hp.get(pu) != op.get(pu):
            d.append(f"PU {pu}: lstopo {fmt_chain(hp[pu]) if pu in hp else 'absent'}; "
                     f"hvkit {fmt_chain(op[pu]) if pu in op else 'absent'}")
    for n in sorted(set(hn) | set(on)):
        if hn.get(n) != on.get(n):
            d.append(f"NUMA {n}: parent cpuset and kind lstopo "
                     f"{fmt(hn[n][0]) + ' ' + str(hn[n][1]) if n in hn else 'absent'}, "
                     f"hvkit {fmt(on[n][0]) + ' ' + str(on[n][1]) if n in on else 'absent'}")
    for k in sorted(set(hc) | set(oc), key=lambda x: (x[0], sorted(x[1]))):
        if hc[k] != oc[k]:
            d.append(f"cache {k[0]}[{fmt(k[1])}]: lstopo {hc[k]}, hvkit {oc[k]}")
    if len(d) > limit:
        d = d[:limit] + [f"... and {len(d) - limit} more"]
    return d


def lstopo_xml(root, env_extra=None):
    # Coherent GPU memory nodes: lstopo 2.9 drops them unless told to
    # keep them (then under the GPU's local CPUs, as hvkit shows them).
    env = dict(os.environ, HWLOC_FSROOT=root, HWLOC_COMPONENTS="-x86",
               HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES="1")
    env.update(env_extra or {})
    return subprocess.run(["lstopo-no-graphics", "--whole-system", "--of", "xml"],
                          env=env, capture_output=True, text=True, check=True).stdout
