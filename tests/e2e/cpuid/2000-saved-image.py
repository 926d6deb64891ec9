#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Xen saved domain as a CPUID source, and `compare SAVED_IMAGE HOST...`
(tests/data/cpuid/xen-save/: the head of an `xl save` of a PV guest with
cpuid="host,avx2=0", dom0's `xen-cpuid -p`, and `xen-cpuid -p DOMID` of
the guest before the save, all from one run of the Xen 4.17 box):

- the policy hvkit reads is exactly the X86_CPUID_POLICY and X86_MSR_POLICY
  records (read here by a reader of this file's own, from the spec), and
  exactly what Xen printed for the running guest (`xen-cpuid -p DOMID`);
- avx there, avx2 gone; standard input reads the same;
- compare against dom0's policies: restorable (PV Max is used); with
  random feature bits the guest has cleared from PV Max (seeded; the seed
  is printed on failure): not restorable, naming exactly those bits; with
  bits the guest lacks cleared: restorable; with a lower maximum leaf:
  Xen's audit refuses;
- a cut or lying image and unreadable hosts: exit 1, one error line with
  the offset, no partial output."""
import json
import os
import random
import re
import struct
import subprocess
import tempfile

from cpuidlib import CPUID_DATA, table
from lib import HVKIT, check, done, hvkit

D = os.path.join(CPUID_DATA, "xen-save")
IMAGE = os.path.join(D, "pv-avx2-off.head")
DOM0 = os.path.join(D, "xen-cpuid-p.txt")
DOMAIN = os.path.join(D, "domain-policy.txt")
REGS = ["eax", "ebx", "ecx", "edx"]
# Xen 4.17's feature words (leaf, subleaf, register index).
WORDS = [(1, 0, 3), (1, 0, 2), (0x80000001, 0, 3), (0x80000001, 0, 2), (0xd, 1, 0), (7, 0, 1),
         (7, 0, 2), (0x80000007, 0, 3), (0x80000008, 0, 1), (7, 0, 3), (7, 1, 0)]
COMMON_1D = 0x0183f3ff  # AMD's copies of leaf 1 edx in 0x80000001 edx


def read_stream(data):
    """(leaves {(leaf, sub): regs}, msrs {index: value}) of an xl save file."""
    o = 48 + struct.unpack_from("<I", data, 44)[0]
    assert data[o:o + 8] == b"LibxlFmt"
    o += 16
    while True:
        t, n = struct.unpack_from("<II", data, o)
        o += 8 + (n + 7) // 8 * 8
        if t == 1:
            break
    assert data[o + 8:o + 12] == b"XENF" and struct.unpack_from(">I", data, o + 12)[0] == 3
    o += 40
    leaves, msrs = {}, {}
    while o + 8 <= len(data):
        t, n = struct.unpack_from("<II", data, o)
        body = data[o + 8:o + 8 + n]
        if t == 0x11:
            for i in range(0, n, 24):
                l, s, *r = struct.unpack_from("<6I", body, i)
                leaves[(l, 0 if s == 0xFFFFFFFF else s)] = tuple(r)
        elif t == 0x12:
            for i in range(0, n, 16):
                idx, _, v = struct.unpack_from("<IIQ", body, i)
                msrs[idx] = v
        elif t in (0, 0x10):
            break
        o += 8 + (n + 7) // 8 * 8
    return leaves, msrs


def read_dump(text):
    leaves, msrs = {}, {}
    for line in text.splitlines():
        if m := re.match(r"^   0x(\w+) 0x(\w+): eax=0x(\w+) ebx=0x(\w+) ecx=0x(\w+) edx=0x(\w+)$", line):
            leaves[(int(m[1], 16), int(m[2], 16))] = tuple(int(x, 16) for x in m.groups()[2:])
        elif m := re.match(r"^msr 0x(\w+): 0x(\w+)$", line):
            msrs[int(m[1], 16)] = int(m[2], 16)
    return leaves, msrs


def xen_policy(text, title):
    """One policy of `xen-cpuid -p` output as (leaves, msrs)."""
    leaves, msrs, cur = {}, {}, None
    for line in text.splitlines():
        if m := re.match(r"^(.+) policy: \d+ leaves, \d+ MSRs$", line):
            cur = m[1] == title
        elif cur and (m := re.match(r"^\s+([0-9a-f]{8}):([0-9a-f]{8}) -> ([0-9a-f:]{35})$", line)):
            s = int(m[2], 16)
            leaves[(int(m[1], 16), 0 if s == 0xFFFFFFFF else s)] = tuple(int(x, 16) for x in m[3].split(":"))
        elif cur and (m := re.match(r"^\s+([0-9a-f]{8}) -> ([0-9a-f]{16})$", line)):
            msrs[int(m[1], 16)] = int(m[2], 16)
    return leaves, msrs


def edit_pv_max(text, edits):
    """`xen-cpuid -p` text with PV Max's registers changed: edits maps
    (leaf, sub, reg) to a function of the old value."""
    out, sec = [], False
    for line in text.splitlines():
        if m := re.match(r"^(.+) policy: ", line):
            sec = m[1] == "PV Max"
        elif sec and (m := re.match(r"^(\s+)([0-9a-f]{8}):([0-9a-f]{8}) -> ([0-9a-f:]{35})$", line)):
            l, s = int(m[2], 16), int(m[3], 16)
            r = [int(x, 16) for x in m[4].split(":")]
            for i in range(4):
                f = edits.get((l, 0 if s == 0xFFFFFFFF else s, i))
                if f:
                    r[i] = f(r[i])
            line = f"{m[1]}{m[2]}:{m[3]} -> " + ":".join("%08x" % x for x in r)
        out.append(line)
    return "\n".join(out) + "\n"


def one_error(p, what, pattern):
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1")
    check(len(errs) == 1 and re.search(pattern, errs[0]), f"{what}: expected one error matching {pattern!r}, got {p.stderr!r}")
    check(p.stdout == "", f"{what}: partial output {p.stdout[:80]!r}")


data = open(IMAGE, "rb").read()
want = read_stream(data)
got = read_dump(hvkit("cpuid", "dump", "--from", IMAGE).stdout)
check(got == want, f"hvkit reads {len(got[0])} leaves, {len(got[1])} MSRs; the records hold {len(want[0])}, {len(want[1])}; "
      f"first difference {sorted(set(got[0].items()) ^ set(want[0].items()))[:2]}")
check(len(want[0]) > 20 and (0, 0) in want[0], f"only {len(want[0])} leaves in the image")
# The anchor: what Xen printed for the running guest before the save.
if os.path.exists(DOMAIN):
    text = open(DOMAIN).read()
    title = re.search(r"^(Domain \d+) policy:", text, re.M)
    check(title, "domain-policy.txt holds no 'Domain N' policy")
    if title:
        xen = xen_policy(text, title[1])
        # xen-cpuid leaves out leaves whose registers are all zero
        nonzero = {k: v for k, v in got[0].items() if any(v)}
        check(xen[0] == nonzero and len(nonzero) >= 10, f"leaves differ from xen-cpuid -p DOMID: "
              f"{sorted(set(xen[0].items()) ^ set(nonzero.items()))[:3]}")
        check(xen[1] == got[1], f"MSRs differ from xen-cpuid -p DOMID: {xen[1]} vs {got[1]}")
feats = set(hvkit("cpuid", "features", "--names", "xen", "--from", IMAGE).stdout.split())
check("avx" in feats and "avx2" not in feats, f"avx there, avx2 gone: avx {'avx' in feats}, avx2 {'avx2' in feats}")
j = json.loads(hvkit("cpuid", "--json", "--from", IMAGE).stdout)
check(j["origin"] == f"{IMAGE} (Xen 4.17 PV guest, saved)", f"origin {j['origin']!r}")
p = subprocess.run([HVKIT, "cpuid", "dump", "--from", "-"], stdin=open(IMAGE, "rb"), capture_output=True)
check(p.returncode == 0 and read_dump(p.stdout.decode()) == got, f"stdin: exit {p.returncode} {p.stderr!r}")

# --- restorable here? ---------------------------------------------------------
p = hvkit("cpuid", "compare", IMAGE, DOM0, ok=False)
check(p.returncode == 0 and f"host {DOM0} (Xen pv-max policy): restorable" in p.stdout,
      f"compare with dom0's policies: exit {p.returncode}\n{p.stdout}{p.stderr}")
# the same host through a pipe, and another policy by name
p = subprocess.run(f"cat {DOM0} | {HVKIT} cpuid compare {IMAGE} - {DOM0}#raw", shell=True, capture_output=True, text=True)
check(p.returncode == 1 and "host - (Xen pv-max policy): restorable" in p.stdout and
      f"host {DOM0}#raw (Xen raw policy): not restorable: Xen refuses it" in p.stdout,
      f"a piped host and #raw: exit {p.returncode}\n{p.stdout}{p.stderr}")
j = json.loads(hvkit("cpuid", "compare", "--json", IMAGE, DOM0).stdout)
check(j["all_restorable"] and j["domain_type"] == "PV" and j["xen"] == "4.17" and j["hosts"][0]["policy"] == "pv-max",
      f"compare --json: {j}")

# An HVM or PVH guest is compared with HVM Max (the domain type edited).
with tempfile.TemporaryDirectory() as td:
    for t, kind in ((2, "HVM"), (3, "PVH")):
        b = bytearray(data)
        struct.pack_into("<I", b, data.find(b"XENF") + 16, t)
        path = os.path.join(td, kind)
        open(path, "wb").write(bytes(b))
        j = json.loads(hvkit("cpuid", "compare", "--json", path, DOM0, ok=False).stdout)
        check(j["domain_type"] == kind and j["hosts"][0]["policy"] == "hvm-max", f"{kind}: {j['domain_type']}, {j['hosts'][0]['policy']}")

# names of table features by (leaf, sub, reg, bit), QEMU's spelling (the default)
names = {}
for r in table():
    if r["reg"] in REGS and r["leaf"].startswith("0x"):
        names[(int(r["leaf"], 16), int(r["subleaf"]), REGS.index(r["reg"]), int(r["bit"]))] = r["qemu"] or r["name"]
pvmax = xen_policy(open(DOM0).read(), "PV Max")[0]
has, lacks = [], []
for (l, s, reg) in WORDS:
    g = want[0].get((l, s), (0, 0, 0, 0))[reg]
    h = pvmax.get((l, s), (0, 0, 0, 0))[reg]
    if l == 0x80000001 and reg == 3:
        g &= ~COMMON_1D
    for b in range(32):
        (has if g >> b & 1 else lacks if h >> b & 1 else []).append((l, s, reg, b))
text = open(DOM0).read()
seed = int(os.environ.get("SEED", random.randrange(1 << 30)))
rnd = random.Random(seed)
with tempfile.TemporaryDirectory() as td:
    for n in range(40):
        bits = rnd.sample(has, rnd.randint(1, 4))
        edits = {}
        for (l, s, reg, b) in bits:
            prev = edits.get((l, s, reg), lambda v: v)
            edits[(l, s, reg)] = (lambda prev, b: lambda v: prev(v) & ~(1 << b))(prev, b)
        host = os.path.join(td, f"h{n}.txt")
        open(host, "w").write(edit_pv_max(text, edits))
        p = hvkit("cpuid", "compare", "--json", IMAGE, host, ok=False)
        h = json.loads(p.stdout)["hosts"][0]
        expect = {names.get(x) or "0x%x.%d %s bit %d" % (x[0], x[1], REGS[x[2]], x[3]) for x in bits}
        got_missing = set(h["missing"]) | set(h["missing_bits"])
        check(p.returncode == 1 and not h["restorable"] and got_missing == expect,
              f"seed {seed}, case {n}: PV Max without {sorted(expect)}: exit {p.returncode}, missing {sorted(got_missing)}")
    # bits the guest lacks, cleared: still restorable
    for n in range(10):
        bits = rnd.sample(lacks, min(len(lacks), 3))
        edits = {}
        for (l, s, reg, b) in bits:
            prev = edits.get((l, s, reg), lambda v: v)
            edits[(l, s, reg)] = (lambda prev, b: lambda v: prev(v) & ~(1 << b))(prev, b)
        host = os.path.join(td, f"l{n}.txt")
        open(host, "w").write(edit_pv_max(text, edits))
        p = hvkit("cpuid", "compare", IMAGE, host, ok=False)
        check(p.returncode == 0, f"seed {seed}: PV Max without {bits} (the guest lacks them): exit {p.returncode}\n{p.stdout}")
    # a lower maximum basic leaf: Xen refuses the policy
    host = os.path.join(td, "low.txt")
    open(host, "w").write(edit_pv_max(text, {(0, 0, 0): lambda v: 7}))
    p = hvkit("cpuid", "compare", IMAGE, host, ok=False)
    check(p.returncode == 1 and "not restorable: Xen refuses it (the guest's maximum basic leaf 0x" in p.stdout,
          f"lower max leaf: exit {p.returncode}\n{p.stdout}")

    # hosts that are feature lists carry no maximum leaves: no audit, said so
    for host in (os.path.join(CPUID_DATA, "hosts", "xeon-emr-kvm.cpuinfo-flags"),
                 os.path.join(CPUID_DATA, "libvirt", "domcaps-qemu_7.2.0.x86_64.xml")):
        p = hvkit("cpuid", "compare", IMAGE, host, ok=False)
        check("Xen refuses" not in p.stdout and "audit of maximum leaves and MSRs not done" in p.stdout,
              f"feature-list host {host}: exit {p.returncode}\n{p.stdout}")
        h = json.loads(hvkit("cpuid", "compare", "--json", IMAGE, host, ok=False).stdout)["hosts"][0]
        check(h["features_only"] is True and h.get("xen_refuses") is None, f"feature-list host {host} --json: {h}")
    check(json.loads(hvkit("cpuid", "compare", "--json", IMAGE, DOM0).stdout)["hosts"][0]["features_only"] is False,
          "xen-cpuid -p host: features_only")

    # what Xen 4.17 cannot load (x86_cpuid_copy_from_buffer): leaf 1 with a
    # subleaf, leaf 0x30; a mandatory record it does not handle
    cp = data.find(b"XENF") + 4 + 12 + 16
    while struct.unpack_from("<I", data, cp)[0] != 0x11:
        cp += 8 + ((struct.unpack_from("<I", data, cp + 4)[0] + 7) & ~7)
    first = cp + 8 + 24          # the entry of leaf 1
    check(struct.unpack_from("<II", data, first) == (1, 0xFFFFFFFF), "leaf 1 is the second entry")
    for (off, val, why) in ((first + 4, 5, "its CPUID policy has leaf 0x1 subleaf 0x5, out of range of Xen's (-ERANGE)"),
                            (first, 0x30, "its CPUID policy has leaf 0x30 subleaf 0xffffffff, out of range of Xen's (-ERANGE)"),
                            (data.find(b"XENF") + 4 + 12 + 16, 0x7777, "mandatory record 0x7777 at offset ")):
        bad = bytearray(data)
        struct.pack_into("<I", bad, off, val)
        path = os.path.join(td, "refused")
        open(path, "wb").write(bytes(bad))
        p = hvkit("cpuid", "compare", path, DOM0, ok=False)
        check(p.returncode == 1 and f"not restorable: Xen refuses it ({why}" in p.stdout
              and "Xen 4.17 would refuse to restore it" in p.stderr,
              f"unloadable policy ({why}): exit {p.returncode}\n{p.stdout}{p.stderr}")
        if val == 5:   # not filed as leaf 1 subleaf 5: no family 0 guest
            f = hvkit("cpuid", "dump", "--from", path, ok=False).stdout
            check(not re.search(r"(?m)^\s*0x0*1[.:]0*5\b", f), f"leaf 1.5 filed:\n{f}")

    # --- hostile input ----------------------------------------------------------
    for k in sorted({0, 20, 47, 48, 100, 1240, len(data) // 2, len(data) - 9} | {rnd.randrange(48, len(data) - 8) for _ in range(12)}):
        cut = os.path.join(td, f"cut{k}")
        open(cut, "wb").write(data[:k])
        # < 32 bytes: no header to know it by; then a dump format's error
        pat = rf"{re.escape(cut)}: offset \d+: " if k >= 32 else re.escape(cut)
        one_error(hvkit("cpuid", "--from", cut, ok=False), f"cut at {k}", pat)
        one_error(hvkit("cpuid", "compare", "--json", cut, DOM0, ok=False), f"compare, cut at {k}",
                  rf"{re.escape(cut)}: (offset \d+: |not a Xen saved image)")
    bad = bytearray(data)
    o = data.find(b"XENF") + 4 + 12 + 16   # libxc's first record
    struct.pack_into("<I", bad, o + 4, 0xFFFFFFF8)
    path = os.path.join(td, "liar")
    open(path, "wb").write(bytes(bad))
    one_error(hvkit("cpuid", "--from", path, ok=False), "a record longer than the file",
              rf"offset {o}: a libxc record of 4294967288 bytes runs past the end of the input")
    # an unreadable host: its error, exit 1, and the other hosts' verdicts
    nope = os.path.join(td, "nope")
    p = hvkit("cpuid", "compare", "--json", IMAGE, nope, DOM0, ok=False)
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    hs = json.loads(p.stdout)["hosts"] if p.stdout else []
    check(p.returncode == 1 and len(errs) == 1 and "cannot open" in errs[0] and len(hs) == 2
          and hs[0]["restorable"] is False and "cannot open" in hs[0]["error"] and hs[1]["restorable"] is True,
          f"a missing host among others: exit {p.returncode}\n{p.stdout}{p.stderr}")
    # the image on stdin; a named pipe is refused at once (it could block
    # for ever: move/0420-fifo.py), a missing image is named as a file
    p = subprocess.run(f"{HVKIT} cpuid compare - {DOM0} < {IMAGE}", shell=True, capture_output=True, text=True)
    check(p.returncode == 0 and "restorable" in p.stdout, f"compare - HOST: exit {p.returncode}\n{p.stdout}{p.stderr}")
    fifo = os.path.join(td, "fifo")
    os.mkfifo(fifo)
    p = subprocess.run([HVKIT, "cpuid", "dump", "--from", fifo], capture_output=True, text=True, timeout=120)
    check(p.returncode == 1 and "a FIFO, not a regular file" in p.stderr and len(p.stderr.splitlines()) == 1,
          f"--from a FIFO is refused in one line: exit {p.returncode}\n{p.stderr}")
    one_error(hvkit("cpuid", "compare", "missing.img", DOM0, ok=False), "a missing image",
              r"cannot open 'missing.img': No such file or directory")
    one_error(hvkit("cpuid", "compare", DOM0, DOM0, ok=False), "a host dump as the image",
              r"not a Xen saved image or migration stream")
    one_error(hvkit("cpuid", "--from", IMAGE + "#pv-max", ok=False), "#POLICY on a saved image",
              r"names a policy of `xen-cpuid -p` output, and this is a saved domain")
done()
