#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every libvirt fixture CPU decodes as Debian's `cpuid -f` decodes it
(vendor, family/model/stepping, brand, leaf 4 cache sizes, physical
address bits); the XML and its `cpuid -r` form read the same; our dump
round-trips exactly."""
import os
import re
import subprocess
import tempfile

from cpuidlib import cpudata_fixtures, cpuid_json, xml_to_cpuid_r
from lib import check, done, hvkit, need

need("cpuid", "cpuid")


def anchor(path):
    out = subprocess.run(["cpuid", "-f", path], capture_output=True, text=True, check=True).stdout
    first = lambda pat: (re.search(pat, out, re.M) or [None, None])[1]
    return {
        "vendor_id": first(r'vendor_id = "(.*)"'),
        "family": int(first(r"\(family synth\)\s+= 0x\w+ \((\d+)\)")),
        "model": int(first(r"\(model synth\)\s+= 0x\w+ \((\d+)\)")),
        "stepping": int(first(r"stepping id\s+= 0x\w+ \((\d+)\)")),
        "brand": first(r'^\s+brand = "(.*)"'),
        "cache_sizes": [int(x) for x in re.findall(r"\(size synth\)\s+= (\d+) ", out.split("extended feature flags")[0])],
        "phys_bits": first(r"maximum physical address bits\s+= 0x\w+ \((\d+)\)"),
    }


n = 0
with tempfile.TemporaryDirectory() as d:
    for name, xml in cpudata_fixtures():
        raw = os.path.join(d, name + ".txt")
        open(raw, "w").write(xml_to_cpuid_r(xml))
        a = anchor(raw)
        ours = cpuid_json("--from", xml)
        for k in ("vendor_id", "family", "model", "stepping"):
            check(ours[k] == a[k], f"{name}: {k} {ours[k]!r}, cpuid -f says {a[k]!r}")
        if a["brand"] is not None:
            check((ours["brand"] or "") == a["brand"].strip(), f"{name}: brand {ours['brand']!r} vs {a['brand']!r}")
        dec = cpuid_json("decode", "--from", xml)
        sizes = [l["fields"]["size"] for l in dec["leaves"] if l["leaf"] == 4 and "size" in l["fields"]]
        if ours["vendor"] == "Intel":
            check(sizes == a["cache_sizes"][:len(sizes)] and len(sizes) > 0,
                  f"{name}: leaf 4 cache sizes {sizes}, cpuid -f says {a['cache_sizes']}")
        pb = [l["fields"]["physical_address_bits"] for l in dec["leaves"] if l["leaf"] == 0x80000008]
        if a["phys_bits"] is not None and pb:
            check(pb[0] == int(a["phys_bits"]), f"{name}: physical address bits {pb[0]} vs {a['phys_bits']}")
        # The same CPU as `cpuid -r` text reads the same (it cannot carry
        # the XML's <msr> elements: their features are left out, and an
        # MSR CPUID enumerates is then unread).
        same = ({"origin": None, "feature_count": None, "msrs_unread": None} if "<msr" in open(xml).read()
                else {"origin": None})
        check(cpuid_json("--from", raw) | same == ours | same,
              f"{name}: the XML and its cpuid -r form decode differently")
        # hvkit's dump round-trips exactly, and reads back to the same CPU.
        d1 = os.path.join(d, name + ".dump")
        hvkit("cpuid", "dump", "--from", xml, "-o", d1)
        d2 = hvkit("cpuid", "dump", "--from", d1).stdout
        check(open(d1).read() == d2, f"{name}: dump does not round-trip")
        check(cpuid_json("--from", d1) == ours, f"{name}: dump reads back differently")
        n += 1
check(n >= 30, f"only {n} fixtures")
print(f"{n} fixture CPUs compared with cpuid -f")
done()
