#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""PCIe link labels agree everywhere: for every link in the JSON of a few
inputs, the bandwidth computed here from speed_gts and width (GT/s x
lanes x encoding / 8: 8b/10b below 8 GT/s, 128b/130b to 32 GT/s, 1b/1b
from 64) is the number the text tree prints, the SVG's edge label shows
("Gen4 x16 31.5 GB/s", highlighted when `topo check` reports the link
degraded) and DOT labels its edge with.  Everything drawn (-v: no I/O
filter, no factorised packages)."""
import json
import os
import re
from collections import Counter

import lib
from lib import DATA, check, done, hvkit

GENS = {2.5: "Gen1", 5: "Gen2", 8: "Gen3", 16: "Gen4", 32: "Gen5", 64: "Gen6", 128: "Gen7"}
INPUTS = [
    ("synthetic", ["--synthetic", "pack:2 core:4 pci:40"]),
    ("h200-vm", ["--from", os.path.join(DATA, "captures", "h200-vm.tar.gz")]),
    ("tree-asus-p6t6", ["--from", os.path.join(DATA, "pciutils", "tree-asus-p6t6")]),
    ("cap-flitmode", ["--from", os.path.join(DATA, "pciutils", "cap-flitmode")]),
]


def gbps(gts, width):
    enc = 8 / 10 if gts < 8 else 128 / 130 if gts < 64 else 1
    return gts * width * enc / 8


def label(link):
    gts, w = link["speed_gts"], link["width"]
    gen = GENS.get(gts, f"{gts:g} GT/s")
    return f"{gen} x{w} {gbps(gts, w):.1f} GB/s"


def unescape(s):
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
            .replace("&apos;", "'").replace("&amp;", "&")


total = 0
for name, args in INPUTS:
    j = lib.topo_json(*args)
    links = [o for o in lib.walk(j["topology"])
             if o.get("link") and o["link"]["sta"]["width"] and o["link"]["sta"]["speed_gts"]]
    check(links, f"{name}: has PCIe links")
    text = hvkit("topo", "-v", *args).stdout
    svg = hvkit("topo", "-v", *args, "--of", "svg").stdout
    dot = hvkit("topo", "-v", *args, "--of", "dot").stdout
    cj = json.loads(hvkit("topo", "check", "--json", "--fail-on", "none", *args).stdout)
    bad = {f["object"] for f in cj["findings"] if f["kind"] == "pcie_link_degraded"}
    # Edge labels in the SVG, by class: link or degraded.
    # A label is drawn in two parts, "Gen4 x16" over its stub and
    # "31.5 GB/s" under it: joined here.
    parts = [(m.group(1), unescape(m.group(2))) for m in
             re.finditer(r'<text class="n (link|degraded)"[^>]*>([^<]*)</text>', svg)]
    edges = Counter()
    while parts:
        ink, t = parts.pop(0)
        if parts and re.fullmatch(r"[0-9.]+ GB/s", parts[0][1]) and "GB/s" not in t:
            check(parts[0][0] == ink, f"{name}: the two parts of {t!r} in two colours")
            t += " " + parts.pop(0)[1]
        edges[(ink, t)] += 1
    dot_edges = Counter(re.findall(r'label="([^"]*GB/s[^"]*)"', dot))
    want = Counter()
    for o in links:
        sta, cap = o["link"]["sta"], o["link"]["cap"]
        lab = label(sta)
        degraded = o["address"] in bad
        check(f"({lab}" in text, f"{name} {o['address']}: text tree shows {lab!r}")
        want[("degraded" if degraded else "link", lab)] += 1
        gen, width, rest = lab.split(" ", 2)
        check(any(k.startswith(f"{gen} {width}\\n{rest}") for k in dot_edges),
              f"{name} {o['address']}: DOT edge {lab!r}")
        total += 1
    # Every link whose parent is a bridge gets an edge label; none other.
    bridged = Counter()
    for o in lib.walk(j["topology"]):
        if o["type"] in ("pci_bridge",) or o.get("host_bridge"):
            for c in o["children"]:
                if c in links:
                    degraded = c["address"] in bad
                    bridged[("degraded" if degraded else "link", label(c["link"]["sta"]))] += 1
    if name == "synthetic":
        check(any(k[0] == "degraded" for k in edges), f"{name}: a degraded link highlighted")
    check(edges == bridged, f"{name}: SVG edge labels {dict(edges)} == JSON's {dict(bridged)}")
print(f"{total} links checked")
done()
