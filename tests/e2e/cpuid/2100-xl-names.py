#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The xl form speaks Xen 4.17's libxl: every name `policy --for xl`
writes is libxl 4.17's own name for its bit (src/cpuid/libxl-4.17.csv,
the cpuid_flags[] table of Xen 4.17's libxl_cpuid.c) where that table has
one (est, sse4_1, aes, tm, tsc_adjust, lahfsahf, cmplegacy, altmovcr8,
perfctr_core, svm_npt, ... not 4.18's eist, sse4-1, aesni, ...); any
other name written is one only a libxl with cpufeatureset.h's names knows,
and hvkit says so on stderr, in an xl comment and in JSON
(xl_newer_names).  Against the real library: each static name is a
string of Debian's libxenlight 4.17 (skipped loudly when it is not
installed), and libxl's own parser (cpuid-libxl-judge) maps every name
hvkit writes to exactly the bit hvkit means."""
import csv
import glob
import os
import re

from cpuidlib import bit_key, cpudata_fixtures, cpuid_json, libxl_forced, table
from lib import check, done, hvkit

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "cpuid")
JUDGE = os.environ.get("CPUID_LIBXL_JUDGE", "")
JUDGE = JUDGE if JUDGE and os.access(JUDGE, os.X_OK) else None

REGS = {"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}
static = {}
with open(os.path.join(SRC, "libxl-4.17.csv"), newline="") as f:
    for r in csv.DictReader(l for l in f if not l.startswith("#")):
        static.setdefault(("cpuid", int(r["leaf"], 16), int(r["subleaf"]), REGS[r["reg"]],
                           int(r["bit"])), []).append(r["name"])

rows = [r for r in table() if r["xen"]]
by_xen = {r["xen"]: r for r in rows}

# 1. One policy that removes every feature xl can name, on a real host.
name, path = cpudata_fixtures()[0]
spec = "host," + ",".join("-" + r["name"] for r in rows)
p = cpuid_json("policy", spec, "--for", "xl", "--from", path)
written = re.findall(r"[,\"]([^,=\"]+)=", p["output"])
check(len(written) == len(rows), f"{len(written)} names written for {len(rows)} features")
newer = set(p["xl_newer_names"])
for n in written:
    r = by_xen.get(n)
    if not check(r is not None, f"xl name {n!r} is no row's xen name"):
        continue
    k = bit_key(r)
    if k in static:
        check(n == static[k][0], f"{r['name']}: writes {n!r}, libxl 4.17 calls it {static[k][0]!r}")
        check(n not in newer, f"{n!r} is libxl 4.17's own name but reported as newer")
    else:
        check(n in newer, f"{n!r} ({r['name']}): libxl 4.17 has no name for it, not reported")
check(newer <= set(written), f"reported but not written: {newer - set(written)}")
for want in ("est", "sse4_1", "aes", "tm", "tsc_adjust", "lahfsahf", "cmplegacy", "altmovcr8",
             "perfctr_core", "svm_npt", "svm_nrips", "cmt"):
    check(want in written, f"4.17's name {want!r} is not written")
for old in ("eist", "sse4-1", "aesni", "tm1", "tsc-adjust", "lahf-lm", "cmp-legacy", "cr8-legacy"):
    check(old not in written, f"4.18's name {old!r} written")

# 2. Text form: the newer names on stderr and in an xl comment; none when
#    every name is 4.17's.
t = hvkit("cpuid", "policy", spec, "--for", "xl", "--from", path)
comment = [l for l in t.stdout.splitlines() if l.startswith("#") and "cpufeatureset.h" in l]
check(len(comment) == 1 and set(comment[0][2:].split(":")[0].split()) == newer,
      f"xl comment does not list exactly the newer names: {comment}")
check("cpufeatureset.h names" in t.stderr and all(n in t.stderr for n in newer),
      f"stderr does not name the newer names: {t.stderr}")
t = hvkit("cpuid", "policy", "host,-sse4.1,-aes,-est,-tsc_adjust,-lahf_lm,-tm", "--for", "xl",
          "--from", path)
check("cpufeatureset" not in t.stdout + t.stderr, f"4.17 names reported as newer: {t.stderr}")
check(re.search(r'"host,est=0,sse4_1=0,(sse4_2=0,)?aes=0,tm=0,tsc_adjust=0,lahfsahf=0"', t.stdout),
      f"not 4.17's names: {t.stdout}")

# 3. The real library: the static names are its strings; its parser maps
#    every written name to the bit hvkit means.
libs = sorted(glob.glob("/usr/lib/*/libxenlight.so.4.17*"))
if libs:
    blob = open(libs[0], "rb").read()
    for names in static.values():
        for n in names:
            if len(n) >= 3:
                # the linker merges a string into the tail of a longer one
                check(n.encode() + b"\0" in blob, f"{n!r} is not a string of {libs[0]}")
else:
    print("SKIP (part): libxenlight 4.17 not installed (Debian package libxenmisc4.17): "
          "the table is not compared with the library's strings")
if JUDGE:
    for n in written:
        forced, why = libxl_forced(JUDGE, "xl", f'cpuid = "host,{n}=0"')
        if check(why is None, f"libxl refuses {n!r}: {why}"):
            check(forced == {bit_key(by_xen[n]): "0"},
                  f"libxl maps {n!r} to {forced}, hvkit means {bit_key(by_xen[n])}")
else:
    print("SKIP (part): cpuid-libxl-judge not built (libxen-dev): libxl does not judge the names")
if not libs and not JUDGE:
    print("SKIP: neither libxenlight 4.17 nor cpuid-libxl-judge: only the table was checked")
    raise SystemExit(77)
done()
