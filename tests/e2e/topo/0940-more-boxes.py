#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A "... N more" or "... N more identical" box never hides a difference.

Seeded sysfs machines (2, 8 or 16 packages of 18-40 cores, so that both
the per-kind limit of 16 and the factorisation of identical packages
apply) get a few odd objects at random places: an offline PU, an L2 or
an L3 of another size, a NUMA node with less memory.  The text view
(--json) says where they are; the SVG must draw each of them in a box of
its own (its id present, its size in its label), never count it into a
box that stands for siblings unlike it.  A failure prints the seed;
HVKIT_SEED=N replays one."""
import os
import random
import re
import tempfile

from lib import check, done, hvkit, objects, topo_json


def w(root, path, text):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text + "\n")


def gen(seed, root):
    """Writes a machine; returns its description for messages."""
    r = random.Random(seed)
    P, C, T = r.choice([2, 8, 16]), r.randint(18, 40), r.choice([1, 2])
    N = P * C * T
    odd = {"offline": set(), "l2": set(), "l3": set(), "mem": set()}
    for _ in range(r.randint(1, 4)):
        what = r.choice(list(odd))
        if what == "offline":
            odd[what].add(r.randrange(1, N))	# cpu0 stays online
        elif what == "l2":
            odd[what].add(r.randrange(P * C))	# a core
        else:
            odd[what].add(r.randrange(P))	# a package
    cpu, cpuinfo = 0, []
    for p in range(P):
        first, last = cpu, cpu + C * T - 1
        for c in range(C):
            core = list(range(cpu, cpu + T))
            cpu += T
            for x in core:
                d = f"/sys/devices/system/cpu/cpu{x}"
                w(root, d + "/topology/physical_package_id", str(p))
                w(root, d + "/topology/core_id", str(c))
                w(root, d + "/topology/thread_siblings_list", ",".join(map(str, core)))
                w(root, d + "/topology/core_siblings_list", f"{first}-{last}")
                w(root, d + "/topology/package_cpus_list", f"{first}-{last}")
                w(root, d + "/online", "0" if x in odd["offline"] else "1")
                l2 = "512K" if p * C + c in odd["l2"] else "2048K"
                l3 = "16384K" if p in odd["l3"] else "32768K"
                for i, (lvl, typ, size, sh) in enumerate(
                        [(1, "Data", "48K", core), (1, "Instruction", "32K", core),
                         (2, "Unified", l2, core), (3, "Unified", l3, [first, last])]):
                    ix = f"{d}/cache/index{i}/"
                    w(root, ix + "level", str(lvl))
                    w(root, ix + "type", typ)
                    w(root, ix + "size", size)
                    w(root, ix + "shared_cpu_list",
                      f"{sh[0]}-{sh[-1]}" if len(sh) > 1 else str(sh[0]))
                    w(root, ix + "coherency_line_size", "64")
                    w(root, ix + "ways_of_associativity", "8")
                cpuinfo.append(f"processor\t: {x}\nvendor_id\t: GenuineIntel\n"
                               f"model name\t: Fake 9999\nphysical id\t: {p}\n"
                               f"core id\t\t: {c}\n")
        nd = f"/sys/devices/system/node/node{p}"
        w(root, nd + "/cpulist", f"{first}-{last}")
        kb = 33554432 if p in odd["mem"] else 67108864
        w(root, nd + "/meminfo", f"Node {p} MemTotal:       {kb} kB")
    online = [x for x in range(N) if x not in odd["offline"]]
    w(root, "/sys/devices/system/cpu/possible", f"0-{N - 1}")
    w(root, "/sys/devices/system/cpu/present", f"0-{N - 1}")
    w(root, "/sys/devices/system/cpu/online",
      ",".join(str(x) for x in online))
    w(root, "/sys/devices/system/node/online", f"0-{P - 1}")
    w(root, "/proc/cpuinfo", "\n".join(cpuinfo))
    return f"{P} packages x {C} cores x {T}, odd: " + \
        ", ".join(f"{k} {sorted(v)}" for k, v in odd.items() if v)


def boxes(svg):
    """id -> label texts of each box of an SVG."""
    out, cur = {}, None
    for m in re.finditer(r'<g id="([^"]+)"|<text[^>]*>([^<]*)</text>', svg):
        if m.group(1):
            cur = m.group(1)
            out[cur] = []
        elif cur:
            out[cur].append(m.group(2))
    return out


def size_label(n):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % div == 0:
            return f"{n // div} {unit}"
    return f"{n} B"


def majority(vals):
    return max(set(vals), key=vals.count) if vals else None


# 8 seeds by default (each writes a sysfs tree of up to 1,280 PUs: about
# 20 s apiece on a loaded 2-core VM); HVKIT_SEEDS=N runs N.
seeds = [int(os.environ["HVKIT_SEED"])] if "HVKIT_SEED" in os.environ else \
    range(1, 1 + int(os.environ.get("HVKIT_SEEDS", "8")))
for seed in seeds:
    with tempfile.TemporaryDirectory() as d:
        what = gen(seed, d)
        tag = f"seed {seed} ({what})"
        j = topo_json("--sysroot", d)
        svg_path = os.path.join(d, "m.svg")
        hvkit("topo", "--sysroot", d, "-o", svg_path)
        svg = open(svg_path).read()
        b = boxes(svg)
        shown = 0
        for pu in objects(j, "pu"):
            if not pu["online"]:
                i = pu["os_index"]
                check(svg.count(f'<g id="pu-{i}" class="pu-offline">') == 1,
                      f"{tag}: offline PU {i} (text view) drawn as such")
                shown += 1
        caches = objects(j, "cache")
        for lvl in (2, 3):
            sizes = [c["size_bytes"] for c in caches if c["level"] == lvl]
            usual = majority(sizes)
            for c in caches:
                if c["level"] != lvl or c["size_bytes"] == usual:
                    continue
                first = int(re.match(r"\d+", c["cpuset"]).group())
                lab = f"L{lvl} {size_label(c['size_bytes'])}"
                check(any(lab in t for t in b.get(f"l{lvl}-{first}", [])),
                      f"{tag}: {lab} over PU {first} (text view) drawn with its size")
                shown += 1
        nodes = objects(j, "numa_node")
        usual = majority([n["memory_bytes"] for n in nodes])
        for n in nodes:
            if n["memory_bytes"] != usual:
                lab = size_label(n["memory_bytes"])
                check(any(lab in t for t in b.get(f"numa-{n['os_index']}", [])),
                      f"{tag}: NUMA node {n['os_index']} with {lab} (text view) drawn with its size")
                shown += 1
        # The boxes are there to hide something: the test means nothing
        # if the picture drew everything.
        check("more" in svg and shown, f"{tag}: has 'more' boxes and odd objects")
done()
