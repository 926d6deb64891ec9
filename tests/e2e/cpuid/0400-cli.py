#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The command line: help, usage errors (exit 2), bad inputs (exit 1 and
one line naming file:line), a multi-CPU `cpuid -r` dump (CPU 0, a warning),
--names spellings and JSON keys."""
import json
import os
import tempfile

from cpuidlib import CPUID_DATA
from lib import check, done, hvkit

GOLD = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-Xeon-Gold-6130.xml")

for args in (["cpuid", "--help"], ["help", "cpuid"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 0 and "usage: hvkit cpuid" in p.stdout, f"{args}: help, exit 0")
for args in (["cpuid", "frob"], ["cpuid", "--bogus"], ["cpuid", "decode", "extra"],
             ["cpuid", "features", "--names", "gcc"], ["cpuid", "-r"], ["cpuid", "--json=ugly"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2 and p.stderr.strip(), f"{args}: exit {p.returncode}, expected 2 with a reason")


def one_error(args, expected):
    p = hvkit(*args, ok=False)
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    check(p.returncode == 1, f"{args}: exit {p.returncode}, expected 1")
    check(len(errs) == 1 and expected in errs[0], f"{args}: expected one error with {expected!r}, got {p.stderr!r}")


with tempfile.TemporaryDirectory() as d:
    def write(name, text):
        path = os.path.join(d, name)
        open(path, "w").write(text)
        return path

    one_error(["cpuid", "--from", os.path.join(d, "nope")], "nope': No such file")
    one_error(["cpuid", "--from", write("empty", "")], "empty: no CPUID leaves found")
    one_error(["cpuid", "--from", write("bad.txt", "CPU:\n   0x00000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n   0x00000001 0x00: eax=0x1 ebx=zz\n")],
              "bad.txt:3: expected 'ebx=0x...'")
    one_error(["cpuid", "--from", write("bad.xml", "<cpudata arch='x86'>\n<cpuid eax_in='0x0' ecx_in='0' eax='0x1'/>\n<cpuid ecx_in='0'/>\n</cpudata>\n")],
              "bad.xml:3: <cpuid> lacks the eax_in attribute")
    one_error(["cpuid", "--from", write("broken.xml", "<cpudata>\n<cpuid\n")], "broken.xml:3: not well-formed XML")
    one_error(["cpuid", "--from", write("arm.xml", "<cpudata arch='arm'/>")], "only x86 is supported")
    # `cpuid -r` of two CPUs: CPU 0 is used, with a warning.
    two = write("two.txt", "CPU 0:\n   0x00000000 0x00: eax=0x00000001 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n"
                "   0x00000001 0x00: eax=0x00050654 ebx=0 ecx=0 edx=0\n"
                "CPU 1:\n   0x00000000 0x00: eax=0x00000001 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n")
    one_error(["cpuid", "--from", two], "two.txt:3: expected 'ebx=0x...' (8 hex digits at most), got 'ebx=0'")
    p = hvkit("cpuid", "--json", "--from", write("two-ok.txt", open(two).read().replace("ebx=0 ecx=0 edx=0", "ebx=0x0 ecx=0x0 edx=0x0")))
    j = json.loads(p.stdout)
    check(j["vendor"] == "Intel" and j["model"] == 85 and "using CPU 0" in p.stderr, f"two CPUs: {j} {p.stderr!r}")

j = json.loads(hvkit("cpuid", "--json", "--from", GOLD).stdout)
check(set(j) >= {"origin", "vendor", "vendor_id", "family", "model", "stepping", "uarch", "brand",
                 "feature_count", "hypervisor"}, f"summary keys: {sorted(j)}")
check(j["uarch"] == "Skylake-SP", f"uarch {j['uarch']}")
names = {}
for n in ("linux", "xen", "qemu", "libvirt"):
    names[n] = json.loads(hvkit("cpuid", "features", "--json", "--names", n, "--from", GOLD).stdout)["features"]
check("sse4_1" in names["linux"] and "sse4_1" in names["xen"] and "est" in names["xen"] and "sse4.1" in names["qemu"] and "sse4.1" in names["libvirt"],
      "sse4.1 in four spellings (xl: libxl 4.17's sse4_1, est)")
check(hvkit("cpuid", "features", "--from", GOLD).stdout.split() == names["qemu"], "default names are QEMU's")
dec = json.loads(hvkit("cpuid", "decode", "-r", "--json", "--from", GOLD).stdout)
leaf1 = next(l for l in dec["leaves"] if l["leaf"] == 1)
check(leaf1["raw"]["eax"] == 0x50654 and leaf1["fields"]["family"] == 6, f"decode leaf 1: {leaf1}")
check(any(l["leaf"] == 0xD and l["subleaf"] == 2 and l["fields"].get("component") == "avx" for l in dec["leaves"]),
      "decode: XSAVE component 2 is avx")
# models, model, policy: usage errors exit 2, bad specs exit 1 with one
# file-less line, what a removal took with it on stderr.
for args in (["cpuid", "policy"], ["cpuid", "policy", "host"], ["cpuid", "policy", "host", "--for", "vmware"],
             ["cpuid", "features", "--for", "xl"], ["cpuid", "compare", "Haswell", GOLD, "--for", "xl"],
             ["cpuid", "decode", "--guest-max", GOLD], ["cpuid", "model", "--qemu", "none"], ["cpuid", "models", "--from", GOLD]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2 and p.stderr.strip(), f"{args}: exit {p.returncode}, expected 2 with a reason")
one_error(["cpuid", "policy", "Skylake-Server,+avx513f", "--for", "qemu"],
          "unknown feature 'avx513f'; did you mean 'avx512f'?")
one_error(["cpuid", "policy", "Westmere,+vaes", "--for", "libvirt"], "cannot add 'vaes': it needs 'avx2'")
p = hvkit("cpuid", "policy", "host,avx2=0", "--for", "xl", "--from", GOLD)
check(p.stdout.startswith('cpuid = "host,avx2=0,') and
      "-avx2 also removes avx512f, avx512dq, avx512cd, avx512bw, avx512vl (they need avx2)" in p.stderr,
      f"policy host,avx2=0: {p.stdout!r} {p.stderr!r}")
ms = json.loads(hvkit("cpuid", "models", "--json").stdout)["models"]
check(len(ms) == 99 and {"name", "alias", "libvirt", "vendor", "family", "model", "stepping", "features"} <= set(ms[0]),
      f"models --json: {len(ms)} models, keys {sorted(ms[0])}")
j = json.loads(hvkit("cpuid", "model", "--json", "--names", "libvirt", "--from", GOLD).stdout)
check(j["closest"]["name"] == "Skylake-Server-IBRS", f"model --names libvirt: {j['closest']['name']}")
done()
