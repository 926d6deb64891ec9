#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`xen-cpuid -p` output as a CPUID source (tests/data/cpuid/xen-cpuid/,
captured in the Xen 4.17 box's PV dom0):

- every policy reads as exactly the leaves and MSRs the file prints
  (parsed here independently; subleaf ffffffff is "no subleaf");
- the first policy by default, another with FILE#NAME;
- the PV Default policy has the features the same box's PV dom0 saw
  through CPUID (xen-4.17-pv-dom0.dump, hvkit's own capture there);
- `xen-cpuid -p DOMID`'s "Domain N" form (made here from the capture);
- errors: an unknown policy lists the ones there are, a cut-short policy
  and a bad line name the line."""
import os
import re
import tempfile

from cpuidlib import CPUID_DATA, cpuid_json
from lib import check, done, hvkit

SAMPLE = os.path.join(CPUID_DATA, "xen-cpuid", "xen-4.17-tcg-epyc-p.txt")
DOM0 = os.path.join(CPUID_DATA, "xen-4.17-pv-dom0.dump")
LEAF = re.compile(r"^  ([0-9a-f]{8}):([0-9a-f]{8}) -> ([0-9a-f]{8}):([0-9a-f]{8}):([0-9a-f]{8}):([0-9a-f]{8})$")
MSR = re.compile(r"^  ([0-9a-f]{8}) -> ([0-9a-f]{16})$")
TITLE = re.compile(r"^(.+) policy: (\d+) leaves, (\d+) MSRs$")


def policies(text):
    """{name: (leaves {(leaf, sub): regs}, msrs {index: value})} in file order."""
    out, cur = {}, None
    for line in text.splitlines():
        if m := TITLE.match(line):
            cur = out.setdefault(m[1].lower().replace(" ", "-"), ({}, {}))
        elif m := LEAF.match(line):
            sub = int(m[2], 16)
            cur[0][(int(m[1], 16), 0 if sub == 0xFFFFFFFF else sub)] = tuple(int(x, 16) for x in m.groups()[2:])
        elif m := MSR.match(line):
            cur[1][int(m[1], 16)] = int(m[2], 16)
    return out


def read_dump(text):
    leaves, msrs = {}, {}
    for line in text.splitlines():
        if m := re.match(r"^   0x(\w+) 0x(\w+): eax=0x(\w+) ebx=0x(\w+) ecx=0x(\w+) edx=0x(\w+)$", line):
            leaves[(int(m[1], 16), int(m[2], 16))] = tuple(int(x, 16) for x in m.groups()[2:])
        elif m := re.match(r"^msr 0x(\w+): 0x(\w+)$", line):
            msrs[int(m[1], 16)] = int(m[2], 16)
    return leaves, msrs


def features(path):
    return set(cpuid_json("features", "--from", path)["features"])


text = open(SAMPLE).read()
pols = policies(text)
check(list(pols) == ["raw", "host", "pv-max", "hvm-max", "pv-default", "hvm-default"], f"policies {list(pols)}")
for name, want in pols.items():
    got = read_dump(hvkit("cpuid", "dump", "--from", f"{SAMPLE}#{name}").stdout)
    check(got == want, f"{name}: hvkit reads {len(got[0])} leaves and {len(got[1])} MSRs, "
          f"the file has {len(want[0])} and {len(want[1])}; first difference: "
          f"{sorted(set(got[0].items()) ^ set(want[0].items()))[:2]}")
    j = cpuid_json("--from", f"{SAMPLE}#{name}")
    check(j["origin"] == f"{SAMPLE} (xen-cpuid {name} policy)", f"{name}: origin {j['origin']!r}")
    check(j["vendor_id"] == "AuthenticAMD", f"{name}: vendor {j['vendor_id']}")
# the first policy by default; the name in any case, with '_' or no '-'
check(hvkit("cpuid", "dump", "--from", SAMPLE).stdout ==
      hvkit("cpuid", "dump", "--from", f"{SAMPLE}#raw").stdout, "default is not the Raw policy")
for spelling in ("PV_Default", "pvdefault", "PV-DEFAULT"):
    check(read_dump(hvkit("cpuid", "dump", "--from", f"{SAMPLE}#{spelling}").stdout) == pols["pv-default"],
          f"#{spelling} is not the PV Default policy")
# What the PV dom0 of the same box saw through CPUID is the PV Default policy.
dom0, pvdef = features(DOM0), features(f"{SAMPLE}#pv-default")
check(dom0 == pvdef, f"PV dom0 vs PV Default: {sorted(dom0 - pvdef)} only in dom0, {sorted(pvdef - dom0)} only in the policy")
# baseline over policies of the same file
b = cpuid_json("baseline", f"{SAMPLE}#pv-default", f"{SAMPLE}#hvm-default")
check(set(b["features"]) <= pvdef, "baseline of PV and HVM Default has more than PV Default")

with tempfile.TemporaryDirectory() as d:
    # `xen-cpuid -p 3`: one "Domain 3" policy, no "Xen reports" line
    sections = re.split(r"(?m)^(?=\S.* policy: )", text)
    pv = next(s for s in sections if s.startswith("PV Default policy"))
    dom = os.path.join(d, "domain.txt")
    open(dom, "w").write(pv.replace("PV Default policy", "Domain 3 policy", 1))
    check(read_dump(hvkit("cpuid", "dump", "--from", dom).stdout) == pols["pv-default"], "Domain 3: default")
    check(read_dump(hvkit("cpuid", "dump", "--from", dom + "#domain-3").stdout) == pols["pv-default"],
          "Domain 3: #domain-3")
    # CRLF line ends read the same
    crlf = os.path.join(d, "crlf.txt")
    open(crlf, "w", newline="").write(text.replace("\n", "\r\n"))
    check(read_dump(hvkit("cpuid", "dump", "--from", crlf + "#hvm-max").stdout) == pols["hvm-max"], "CRLF")
    # a file whose name has '#' is that file
    hashed = os.path.join(d, "a#host")
    open(hashed, "w").write(text)
    check(read_dump(hvkit("cpuid", "dump", "--from", hashed).stdout) == pols["raw"], "a#host as a file")

    def fails(path, *want):
        p = hvkit("cpuid", "--from", path, ok=False)
        ok = p.returncode == 1 and len(p.stderr.splitlines()) == 1 and all(w in p.stderr for w in want)
        check(ok, f"{path}: exit {p.returncode}, {p.stderr!r}, expected {want}")

    fails(f"{SAMPLE}#nope", "no policy 'nope'", "raw, host, pv-max, hvm-max, pv-default, hvm-default")
    fails(os.path.join(CPUID_DATA, "xen-4.17-pv-dom0.dump") + "#host", "not such output")
    lines = text.splitlines()
    # the last MSR of the last policy lost: cut short
    cut = os.path.join(d, "cut.txt")
    open(cut, "w").write("\n".join(lines[:-1]) + "\n")
    title_line = max(i for i, l in enumerate(lines) if TITLE.match(l)) + 1
    fails(cut, f"cut.txt:{title_line}: the hvm-default policy announces 2 MSRs but lists 1")
    # a damaged leaf line
    k = next(i for i, l in enumerate(lines) if LEAF.match(l) and i > 40)
    bad = os.path.join(d, "bad.txt")
    open(bad, "w").write("\n".join(lines[:k] + [lines[k].replace(" -> ", " => ")] + lines[k + 1:]) + "\n")
    fails(bad, f"bad.txt:{k + 1}: expected 'LEAF:SUBLEAF -> EAX:EBX:ECX:EDX'")
done()
