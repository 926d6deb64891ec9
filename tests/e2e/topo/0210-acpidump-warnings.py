#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""acpidump text as real servers print it: firmware warnings and kernel
lines between (and inside) the tables, and a table cut short.

`acpixtract -a` is the judge: it writes every table it finds and skips
the other lines.  hvkit must skip the same lines (one warning), keep every
table whose bytes are whole (equal to acpixtract's file), and drop, with a
warning naming it, a table whose length field says more than was dumped
(acpixtract writes that one short).
"""
import glob
import os
import struct
import subprocess
import tarfile
import tempfile

from lib import DATA, check, done, hvkit, need

need("acpixtract", "acpica-tools")

WARNING = ("Firmware Warning (ACPI): Incorrect checksum in table [OEMB] - 0x6E, "
           "should be 0x5F (20160108/tbprint-228)")
KERNEL = "[    0.000000] ACPI: Early table checksum verification disabled"
# Tables hvkit reads (and so records in a capture).
READ = ("SRAT", "SLIT", "APIC", "MCFG", "HMAT")


def inject(text, cut):
    """The dump with a firmware warning before every third table, a kernel
    line inside the first table, and table `cut` missing its last hex line."""
    out, ntab, name, last_hex = [], 0, None, None
    for line in text.split("\n"):
        if " @ 0x" in line and not line.startswith(" "):
            if name == cut and last_hex is not None:
                del out[last_hex]
            ntab += 1
            name = line.split(" @ ")[0].strip()
            if ntab % 3 == 0:
                out.append(WARNING)
            last_hex = None
        elif line.startswith("    ") and ":" in line:
            last_hex = len(out)
            if ntab == 1 and line.strip().startswith("0010:"):
                out.append(KERNEL)
        out.append(line)
    return "\n".join(out) + "\n"


def xtract(path, tmp):
    """acpixtract -a: {signature: [bytes of each instance]}."""
    d = os.path.join(tmp, "xt")
    os.mkdir(d)
    subprocess.run(["acpixtract", "-a", os.path.abspath(path)], cwd=d, capture_output=True, check=True)
    tables = {}
    for f in sorted(glob.glob(os.path.join(d, "*.dat"))):
        data = open(f, "rb").read()
        tables.setdefault(data[:4].decode("latin-1"), []).append(data)
    return tables


def whole(data):
    return len(data) >= 8 and struct.unpack_from("<I", data, 4)[0] == len(data)


def captured(cap):
    with tarfile.open(cap) as t:
        return {os.path.basename(m.name): t.extractfile(m).read() for m in t.getmembers()
                if m.isfile() and m.name.startswith("sys/firmware/acpi/tables/")}


machines = sorted(glob.glob(os.path.join(DATA, "acpi", "*", "acpidump.txt")))
check(machines, "no acpidump.txt under tests/data/acpi")
for dump in machines:
    name = os.path.basename(os.path.dirname(dump))
    text = open(dump, encoding="latin-1").read()
    cut = next((s for s in ("SLIT", "MCFG", "SRAT") if f"\n{s} @ 0x" in "\n" + text), None)
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "acpidump.txt")
        with open(bad, "w", encoding="latin-1") as f:
            f.write(inject(text, cut))
        judge = xtract(bad, tmp)
        check(any(not whole(b) for b in judge.get(cut, [])),
              f"{name}: acpixtract should write the cut {cut} short")
        cap = os.path.join(tmp, "cap.tar.gz")
        p = hvkit("topo", "--from", bad, "capture", "-o", cap, ok=False)
        check(p.returncode == 0, f"{name}: refused: {p.stderr.strip()}")
        if p.returncode:
            continue
        warns = [line for line in p.stderr.splitlines() if "warning" in line]
        check(sum("not part of any table" in w for w in warns) == 1,
              f"{name}: expected one warning about the stray lines, got {warns}")
        check(any(f"ignoring table '{cut}'" in w for w in warns),
              f"{name}: no warning that {cut} was dropped: {warns}")
        got = captured(cap)
        check(cut not in got, f"{name}: the cut {cut} was kept")
        for sig in READ:
            want = [b for b in judge.get(sig, []) if whole(b)]
            if sig == cut or not want:
                continue
            check(got.get(sig) == want[0],
                  f"{name}: {sig} differs from acpixtract's ({len(got.get(sig, b''))} vs {len(want[0])} bytes)")
        print(f"{name}: kept {sorted(got)}, dropped {cut}; acpixtract agrees")
done()
