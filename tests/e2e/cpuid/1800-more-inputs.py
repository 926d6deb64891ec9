#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The inputs people have besides CPUID dumps, read as hvkit reads any
other (--from, baseline, compare), on real data:

- hwloc-gather-cpuid's per-PU dumps (tarball and directory) of the 16
  machines of hwloc's tests: vendor, family and model as hwloc's expected
  XML states them (CPUVendor, CPUFamilyNumber, CPUModelNumber); every
  feature of leaves 1, 7 and 0x80000001 exactly as PU 0's own bits say;
  the hybrid Raptor Lake named as such (PUs differ);
- libvirt's <cpu>: the 30 host CPUs libvirt 9.0 reports (the <cpu> of
  `virsh capabilities`, bare and inside <capabilities><host>), expanded
  the way libvirt itself expands them (`virsh cpu-baseline --features`
  is the judge); the 30 host-model guest CPUs and QEMU 7.2's
  domcapabilities host-model mode (libvirt's test data); virsh's own
  test driver's capabilities (a CPU with no model: refused in one line);
- /proc/cpuinfo: this machine's (its flags, family, model, stepping and
  model name), and the flags-only line of tests/data/cpuid/hosts;
- hostile variants of each: one line naming the file and line, exit 1,
  nothing on stdout."""
import glob
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import xml.etree.ElementTree as ET

from cpuidlib import CPUID_DATA, cpuid_json, table
from lib import DATA, check, done, hvkit, need

need("virsh", "libvirt-clients")

HWLOC = os.path.join(DATA, "hwloc-x86")
REGS = {"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}
TABLE = table()
# The leaves every CPU here has, whose bits the test reads itself.
LEAVES = {(0x1, 0), (0x7, 0), (0x80000001, 0)}


def pu_leaves(text):
    """hwloc's puN lines as {(leaf, subleaf): [eax, ebx, ecx, edx]}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+ ([0-9a-f]+) [0-9a-f]+ => (\w+) (\w+) (\w+) (\w+)\s*$", line)
        if m:
            mask, leaf, sub = (int(x, 16) for x in m.groups()[:3])
            out[(leaf, sub if mask & 4 else 0)] = [int(x, 16) for x in m.groups()[3:]]
    return out


def hwloc_info(xml):
    info = {}
    for e in ET.parse(xml).getroot().iter("info"):
        info.setdefault(e.get("name"), e.get("value"))
    return info


def one_line_error(args, want, what):
    p = hvkit("cpuid", *args, ok=False)
    check(p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1 and want in p.stderr,
          f"{what}: exit {p.returncode}, stdout {p.stdout[:80]!r}, stderr {p.stderr!r} (wanted {want!r})")


# ---- hwloc-gather-cpuid ----
machines = sorted(glob.glob(os.path.join(HWLOC, "*.tar.bz2")))
check(len(machines) == 16, f"{len(machines)} hwloc machines, expected 16")
nhybrid = 0
with tempfile.TemporaryDirectory() as td:
    for tb in machines:
        name = os.path.basename(tb)[:-len(".tar.bz2")]
        info = hwloc_info(tb[:-len(".tar.bz2")] + ".xml")
        with tarfile.open(tb) as t:
            t.extractall(td, filter="data")
        pudir = os.path.join(td, name)
        pu0 = pu_leaves(open(os.path.join(pudir, "pu0")).read())
        p = hvkit("cpuid", "--json", "--from", tb)
        ours = __import__("json").loads(p.stdout)
        check(ours["vendor_id"] == info.get("CPUVendor"), f"{name}: vendor {ours['vendor_id']!r}, hwloc {info.get('CPUVendor')!r}")
        check(str(ours["family"]) == info.get("CPUFamilyNumber"), f"{name}: family {ours['family']}, hwloc {info.get('CPUFamilyNumber')}")
        check(str(ours["model"]) == info.get("CPUModelNumber"), f"{name}: model {ours['model']}, hwloc {info.get('CPUModelNumber')}")
        check("PU 0 of" in ours["origin"], f"{name}: origin {ours['origin']!r}")
        # the directory reads the same as the tarball
        d = cpuid_json("--from", pudir)
        check({**d, "origin": None} == {**ours, "origin": None}, f"{name}: directory and tarball differ")
        # every feature of the checked leaves exactly as PU 0's bits say
        fj = cpuid_json("features", "--names", "linux", "--from", tb)
        listed = set(fj["features"]) | set(fj["other"])
        maxima = {0: pu0.get((0, 0), [0])[0], 0x80000000: pu0.get((0x80000000, 0), [0])[0]}
        for r in TABLE:
            if r["leaf"].startswith("msr") or r["reg"] not in REGS:
                continue
            leaf, sub = int(r["leaf"], 16), int(r["subleaf"])
            if (leaf, sub) not in LEAVES:
                continue
            base = leaf & 0x80000000
            have = leaf <= maxima[base] and (leaf, sub) in pu0 and bool(pu0[(leaf, sub)][REGS[r["reg"]]] >> int(r["bit"]) & 1)
            nm = r["linux"] or r["name"]
            check((nm in listed) == have, f"{name}: {nm} (leaf {r['leaf']} {r['reg']} bit {r['bit']}): "
                  f"PU 0 says {have}, hvkit {'lists' if nm in listed else 'does not list'} it")
        # hybrid: PUs of more than one core type (leaf 0x1A EAX[31:24]) in the dump itself
        types = set()
        for f in os.listdir(pudir):
            if re.fullmatch(r"pu\d+", f):
                leaves = pu_leaves(open(os.path.join(pudir, f)).read())
                types.add(leaves.get((0x1A, 0), [0])[0] >> 24 if leaves.get((0, 0), [0])[0] >= 0x1A else None)
        hybrid = len(types) > 1
        check(("of another core type" in p.stderr) == hybrid, f"{name}: hybrid {hybrid}, stderr {p.stderr!r}")
        nhybrid += hybrid
    check(nhybrid >= 2, f"only {nhybrid} hybrid machines (Raptor Lake and CPUID.1A are)")
    # hostile: a tarball whose PU files are garbage, one with none, an empty directory
    bad = os.path.join(td, "bad")
    os.mkdir(bad)
    one_line_error(["--from", bad], "no per-PU CPUID file", "empty directory")
    open(os.path.join(bad, "pu0"), "w").write("1 0 0 0 0 => zz 1 2 3\n")
    p = hvkit("cpuid", "--from", bad, ok=False)
    check(p.returncode == 1 and p.stdout == "" and "bad:pu0: no CPUID result" in p.stderr and "no per-PU CPUID file" in p.stderr,
          f"garbage pu0: {p.returncode} {p.stderr!r}")
    with tarfile.open(os.path.join(td, "none.tar.gz"), "w:gz") as t:
        t.add(os.path.join(HWLOC, "README.md"), arcname="x/README.md")
    one_line_error(["--from", os.path.join(td, "none.tar.gz")], "none.tar.gz: no per-PU CPUID file", "tarball without PUs")
    whole = open(machines[0], "rb").read()
    open(os.path.join(td, "cut.tar.bz2"), "wb").write(whole[:len(whole) // 2])
    p = hvkit("cpuid", "--from", os.path.join(td, "cut.tar.bz2"), ok=False)
    check(p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1 and "cut.tar.bz2: not a readable archive" in p.stderr,
          f"cut tarball: {p.returncode} {p.stderr!r}")

# ---- libvirt's <cpu> ----
lv_names = {r["libvirt"] for r in TABLE if r["libvirt"]}


def virsh_expansion(path):
    """The features libvirt expands a <cpu> to (the test driver uses the
    installed cpu_map).  cpu-baseline takes a host CPU: a guest CPU's
    policies are turned into that form, and its disabled features taken
    out of libvirt's answer."""
    root = ET.parse(path).getroot()
    off = set()
    for k in ("mode", "match", "check"):
        root.attrib.pop(k, None)
    for f in list(root.findall("feature")):
        pol = f.attrib.pop("policy", None)
        if pol in ("disable", "forbid"):
            off.add(f.get("name"))
            root.remove(f)
    for m in root.findall("model"):
        m.attrib.clear()
    if root.find("arch") is None:
        a = ET.Element("arch")
        a.text = "x86_64"
        root.insert(0, a)
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as t:
        t.write(ET.tostring(root, encoding="unicode"))
        t.flush()
        out = subprocess.run(["virsh", "-c", "test:///default", "cpu-baseline", "--features", t.name],
                             capture_output=True, text=True)
    if out.returncode != 0:
        return None
    got = ET.fromstring(out.stdout)
    return {f.get("name") for f in got.findall("feature") if f.get("policy") in (None, "require")} - off


hosts = sorted(glob.glob(os.path.join(CPUID_DATA, "libvirt-9.0", "x86_64-cpuid-*-host.xml")))
check(len(hosts) == 30, f"{len(hosts)} libvirt 9.0 host CPUs")
equal = 0
with tempfile.TemporaryDirectory() as td:
    for h in hosts:
        name = os.path.basename(h)
        theirs = virsh_expansion(h)
        if theirs is None:
            check(False, f"{name}: virsh cpu-baseline refused it")
            continue
        ours = set(cpuid_json("features", "--names", "libvirt", "--from", h)["features"])
        # what hvkit's table has a bit for; the rest is warned about
        missing, extra = (theirs & lv_names) - ours, ours - theirs
        check(not missing and not extra, f"{name}: libvirt expands to {sorted(missing)} more, {sorted(extra)} fewer")
        equal += not missing and not extra
        # the same <cpu> inside `virsh capabilities`' document
        caps = os.path.join(td, "caps.xml")
        open(caps, "w").write("<capabilities>\n  <host>\n    <uuid>0</uuid>\n" + open(h).read() + "  </host>\n</capabilities>\n")
        j = cpuid_json("--from", caps)
        check("host CPU of virsh capabilities" in j["origin"], f"{name}: origin {j['origin']!r}")
        check(set(cpuid_json("features", "--names", "libvirt", "--from", caps)["features"]) == ours, f"{name}: capabilities form differs")
        sig = ET.parse(h).getroot().find("signature")
        check((j["family"], j["model"], j["stepping"]) == tuple(int(sig.get(k)) for k in ("family", "model", "stepping")),
              f"{name}: signature {j['family']}/{j['model']}/{j['stepping']}")
    print(f"libvirt 9.0 host CPUs: {equal} of {len(hosts)} expand as libvirt expands them")
    # the host-model guest CPUs (policies; newer libvirt's names): as libvirt expands them, where it can
    n = 0
    for g in sorted(glob.glob(os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-*-guest.xml"))):
        theirs = virsh_expansion(g)
        p = hvkit("cpuid", "features", "--json", "--names", "libvirt", "--from", g, ok=False)
        if theirs is None:
            # a name libvirt 9.0's map lacks: libvirt refuses it, we say which (one line, exit 1) or warn
            check(p.returncode in (0, 1) and p.stderr.count("\n") <= 2, f"{g}: {p.returncode} {p.stderr!r}")
            continue
        ours = set(__import__("json").loads(p.stdout)["features"])
        check(ours == theirs & lv_names, f"{os.path.basename(g)}: {sorted((theirs & lv_names) - ours)} missing, {sorted(ours - theirs)} extra")
        n += 1
    check(n >= 13, f"only {n} guest CPUs compared (13 use only names libvirt 9.0 knows)")
    print(f"host-model guest CPUs compared with libvirt's expansion: {n}")
    # QEMU 7.2's domcapabilities: the host-model mode, an EPYC-Rome
    dc = os.path.join(CPUID_DATA, "libvirt", "domcaps-qemu_7.2.0.x86_64.xml")
    j = cpuid_json("--from", dc)
    check(j["vendor"] == "AMD" and "host-model CPU of virsh domcapabilities" in j["origin"] and "EPYC-Rome" in j["origin"],
          f"domcapabilities: {j['vendor']} {j['origin']!r}")
    mode = ET.parse(dc).getroot().find("cpu/mode[@name='host-model']")
    cpu = os.path.join(td, "hm.xml")
    ET.ElementTree(ET.fromstring(ET.tostring(mode).decode().replace("<mode name=\"host-model\" supported=\"yes\">", "<cpu>").replace("</mode>", "</cpu>"))).write(cpu)
    theirs = virsh_expansion(cpu)
    ours = set(cpuid_json("features", "--names", "libvirt", "--from", dc)["features"])
    check(theirs is not None and ours == theirs & lv_names, f"domcapabilities: {theirs and sorted((theirs & lv_names) ^ ours)}")
    # virsh's test driver: an i686 CPU with no model and no features
    caps = os.path.join(td, "test-driver.xml")
    open(caps, "w").write(subprocess.run(["virsh", "-c", "test:///default", "capabilities"],
                                         capture_output=True, text=True, check=True).stdout)
    one_line_error(["--from", caps], "names no model and no feature", "test driver capabilities")
    # hostile libvirt <cpu>s
    base = open(hosts[0]).read()
    for what, text, want in (
            ("unknown model", re.sub(r"<model>[^<]*</model>", "<model>NoSuchModel</model>", base), "model 'NoSuchModel' is not in libvirt's cpu_map"),
            ("unknown vendor", re.sub(r"<vendor>[^<]*</vendor>", "<vendor>Acme</vendor>", base), "vendor 'Acme' is not in libvirt's cpu_map"),
            ("bad policy", base.replace("<feature name=", "<feature policy='sometimes' name=", 1), "policy='sometimes' is none of"),
            ("bad signature", re.sub(r"family='\d+'", "family='6x'", base), "<signature family='6x'> is not a number"),
            ("arm", base.replace("x86_64", "aarch64"), "<arch> 'aarch64' is not x86"),
            ("cut", base[:len(base) // 2], "not well-formed XML"),
            ("entity", "<!DOCTYPE cpu [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>\n<cpu><model>&b;</model></cpu>", "a DOCTYPE is not supported"),
            ("no host-model", "<domainCapabilities><cpu><mode name='host-model' supported='no'/></cpu></domainCapabilities>", "is not supported (supported='no')")):
        path = os.path.join(td, "bad.xml")
        open(path, "w").write(text)
        one_line_error(["--from", path], want, what)
        check(re.match(r"hvkit: error: " + re.escape(path) + r"(:\d+)?: ", hvkit("cpuid", "--from", path, ok=False).stderr) is not None,
              f"{what}: the error does not name the file and line")
    # a feature the map lacks: a warning, the rest read
    path = os.path.join(td, "unknown-feature.xml")
    open(path, "w").write(base.replace("</cpu>", "  <feature name='no-such-feature'/>\n</cpu>"))
    p = hvkit("cpuid", "features", "--from", path)
    check("not in libvirt's cpu_map" in p.stderr and "no-such-feature" in p.stderr and p.stdout, f"unknown feature: {p.stderr!r}")
    # the map another libvirt installed: --libvirt-map reads it
    p = hvkit("cpuid", "--from", hosts[0], "--libvirt-map", "builtin")
    check("built-in libvirt 9.0" in p.stdout, f"--libvirt-map builtin: {p.stdout!r}")

# ---- /proc/cpuinfo ----
linux_names = {r["linux"] for r in TABLE if r["linux"]}
with tempfile.TemporaryDirectory() as td:
    for path in ("/proc/cpuinfo", os.path.join(CPUID_DATA, "hosts", "xeon-emr-kvm.cpuinfo-flags")):
        if not os.path.exists(path):
            continue
        text = open(path).read()
        block = text.strip("\n").split("\n\n")[0]
        fields = {}
        for line in block.splitlines():
            k, _, v = line.partition(":")
            fields.setdefault(k.strip(), v.strip())
        flags = set(fields.get("flags", "").split())
        copy = os.path.join(td, "cpuinfo")
        shutil.copyfile(path, copy)
        j = cpuid_json("-v", "--names", "linux", "--from", copy)
        check("features only, from /proc/cpuinfo flags" in j["origin"], f"{path}: origin {j['origin']!r}")
        ours = set(j["features"])
        table_cpuid = {r["linux"] for r in TABLE if r["linux"] and not r["leaf"].startswith("msr")}
        check(ours == flags & table_cpuid, f"{path}: {sorted((flags & table_cpuid) - ours)} missing, {sorted(ours - flags)} extra")
        for k, jk in (("cpu family", "family"), ("model", "model"), ("stepping", "stepping")):
            if k in fields and fields[k].isdigit():
                check(j[jk] == int(fields[k]), f"{path}: {k} {fields[k]}, hvkit {j[jk]}")
        if fields.get("vendor_id"):
            check(j["vendor_id"] == fields["vendor_id"], f"{path}: vendor_id {fields['vendor_id']!r}, hvkit {j['vendor_id']!r}")
        if fields.get("model name"):
            check(j["brand"] == fields["model name"][:48].rstrip(), f"{path}: model name {fields['model name']!r}, brand {j['brand']!r}")
    for what, text, want in (
            ("bad family", "processor\t: 0\nflags\t\t: fpu\ncpu family\t: 6a\n", ":3: 'cpu family' is not a number"),
            ("huge model", "processor\t: 0\nmodel\t\t: 99999999999999999999\nflags\t\t: fpu\n", ":2: 'model' is not a number"),
            ("vendor", "processor\t: 0\nvendor_id\t: GenuineIntelX\nflags\t\t: fpu\n", ":2: 'vendor_id' is not 12 characters"),
            ("no flags", "processor\t: 0\nmodel\t\t: 1\n", ": no 'flags' line"),
            ("nul", "processor\t: 0\nflags\t\t: fpu\0sse\n", ":2: a NUL byte")):
        path = os.path.join(td, "cpuinfo-bad")
        open(path, "w").write(text)
        one_line_error(["--from", path], path + want, what)
    # a flags line of a million words: read in bounded time (no timed assertion: it finishes)
    path = os.path.join(td, "cpuinfo-long")
    open(path, "w").write("processor\t: 0\nflags\t\t: " + " ".join(["fpu", "sse2", "nosuchflag"] * 300000) + "\n")
    j = cpuid_json("-v", "--names", "linux", "--from", path)
    check(set(j["features"]) == {"fpu", "sse2"}, f"long flags: {j['features']}")
done()
