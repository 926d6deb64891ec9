#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SMBIOS: hvkit's memory modules and machine identity equal what
'dmidecode --from-dump' (run here, on the same bytes) decodes, for the
Lenovo T430 as a dump-bin file and as a sysfs DMI directory, and for the
DCS8000Z type-17 entries put behind an SMBIOS 2.7 entry point here."""
import glob
import os
import re
import struct
import subprocess
import tempfile

from lib import DATA, check, done, need, objects, topo_json

need("dmidecode", "dmidecode")

SMBIOS = os.path.join(DATA, "smbios")


def dmidecode(dump, types):
    """Structures of the given types: a list of (type, {field: value})."""
    out = subprocess.run(["dmidecode", "--from-dump", dump, "-t", types],
                         capture_output=True, text=True, check=True).stdout
    structs = []
    for block in out.split("\n\n"):
        m = re.search(r"^Handle 0x[0-9A-F]+, DMI type (\d+),", block, re.M)
        if not m:
            continue
        fields = {}
        for line in block.splitlines():
            f = re.match(r"^\t([^\t:][^:]*): (.*)$", line)
            if f:
                fields[f.group(1)] = f.group(2)
        structs.append((int(m.group(1)), fields))
    return structs


def string(v):
    """dmidecode's text for a string field, as hvkit keeps it (None if absent)."""
    if v is None or v == "Not Specified":
        return None
    return v.strip()


def size(v):
    if v is None or v in ("No Module Installed", "Unknown"):
        return 0
    n, unit = v.split()
    return int(n) << {"bytes": 0, "kB": 10, "MB": 20, "GB": 30, "TB": 40}[unit]


def number(v, unit=""):
    """'1600 MT/s', '64 bits', '2'; 'Unknown' or absent is 0."""
    if v is None or v == "Unknown":
        return 0
    m = re.fullmatch(r"(\d+)" + (r"\s*" + re.escape(unit) if unit else ""), v.strip())
    check(m, f"dmidecode value {v!r} not understood")
    return int(m.group(1)) if m else -1


def compare_modules(label, dump, j):
    devs = [f for t, f in dmidecode(dump, "17") if t == 17]
    mods = objects(j, "memory_module")
    check(len(mods) == len(devs), f"{label}: {len(mods)} memory modules, dmidecode {len(devs)}")
    for m, d in zip(mods, devs):
        loc = string(d.get("Locator"))
        exp = {
            "locator": loc,
            "bank": string(d.get("Bank Locator")),
            "size_bytes": size(d.get("Size")),
            "mem_type": string(d.get("Type")),
            "speed_mts": number(d.get("Speed"), "MT/s"),
            "configured_speed_mts": number(d.get("Configured Memory Speed") or d.get("Configured Clock Speed"), "MT/s"),
            "manufacturer": string(d.get("Manufacturer")),
            "part_number": string(d.get("Part Number")),
            "rank": number(d.get("Rank")),
            "total_width": number(d.get("Total Width"), "bits"),
            "data_width": number(d.get("Data Width"), "bits"),
        }
        tw, dw = exp["total_width"], exp["data_width"]
        exp["ecc"] = bool(dw and tw > dw)
        for k, v in exp.items():
            check(m.get(k) == v, f"{label}: {loc}: {k} hvkit {m.get(k)!r}, dmidecode {v!r}")
    return mods, devs


def no_serials(label, j):
    text = str(j)
    check("'serial'" not in text and "'uuid'" not in text,
          f"{label}: a serial number or UUID appears without --keep-serials")


def compare_serials(label, j, devs):
    for m, d in zip(objects(j, "memory_module"), devs):
        exp = string(d.get("Serial Number"))
        check(m.get("serial") == exp,
              f"{label}: {m.get('locator')}: serial hvkit {m.get('serial')!r}, dmidecode {exp!r}")


# The Lenovo T430, from both inputs; dmidecode reads the dump-bin file and
# a dump-bin made here from the sysfs pair (same entry point, table at 0x20).
dump = os.path.join(SMBIOS, "lenovo-2347A49.dump")
sysfs = os.path.join(SMBIOS, "lenovo-2347A49.sysfs")
with open(os.path.join(sysfs, "smbios_entry_point"), "rb") as f:
    ep = bytearray(f.read())
with open(os.path.join(sysfs, "DMI"), "rb") as f:
    table = f.read()

with tempfile.TemporaryDirectory() as tmp:
    # dmidecode --from-dump wants the table at the entry point's address.
    if ep[:4] == b"_SM_":
        struct.pack_into("<I", ep, 0x18, 0x20)
        ep[0x15] = 0
        ep[0x15] = -sum(ep[0x10:ep[5]]) & 0xff
        ep[4] = 0
        ep[4] = -sum(ep[:ep[5]]) & 0xff
    sysfs_dump = os.path.join(tmp, "sysfs.dump")
    with open(sysfs_dump, "wb") as f:
        f.write(bytes(ep).ljust(0x20, b"\0") + table)

    answers = {}
    for label, src, ref in (("lenovo dump", dump, dump), ("lenovo sysfs", sysfs, sysfs_dump)):
        j = topo_json("--from", src)
        mods, devs = compare_modules(label, ref, j)
        check(len(mods) == 2, f"{label}: {len(mods)} memory modules, the T430 has 2")
        no_serials(label, j)
        js = topo_json("--from", src, "--keep-serials")
        compare_serials(label + " --keep-serials", js, devs)

        info = {t: f for t, f in dmidecode(ref, "0,1,2")}
        mach = j["topology"]
        check(mach["type"] == "machine", f"{label}: the root is a {mach['type']}")
        exp = {
            "vendor": string(info[1].get("Manufacturer")),
            "product": string(info[1].get("Product Name")),
            "version": string(info[1].get("Version")),
            "board_vendor": string(info[2].get("Manufacturer")),
            "board": string(info[2].get("Product Name")),
        }
        for k, v in exp.items():
            check(mach.get(k) == v, f"{label}: machine {k} hvkit {mach.get(k)!r}, dmidecode {v!r}")
        bios = mach.get("bios") or {}
        for k, dk in (("vendor", "Vendor"), ("version", "Version"), ("date", "Release Date")):
            v = string(info[0].get(dk))
            check(bios.get(k) == v, f"{label}: bios.{k} hvkit {bios.get(k)!r}, dmidecode {v!r}")
        answers[label] = (j, js)
        print(f"{label}: {len(mods)} modules, {exp['vendor']} {exp['product']}, BIOS {bios.get('version')}")

    (a, a_s), (b, b_s) = answers.values()
    check(a["topology"] == b["topology"], "lenovo: topology differs between the dump and the sysfs directory")
    check(a_s["topology"] == b_s["topology"],
          "lenovo: --keep-serials topology differs between the dump and the sysfs directory")

    # The DCS8000Z type-17 entries behind a hand-made SMBIOS 2.7 entry point.
    raws = sorted(glob.glob(os.path.join(SMBIOS, "dcs8000z-entries", "17-*.raw")),
                  key=lambda p: int(re.search(r"17-(\d+)\.raw$", p).group(1)))
    blobs = []
    for p in raws:
        with open(p, "rb") as f:
            blobs.append(f.read())
    table = b"".join(blobs)
    ep = bytearray(0x1f)
    ep[0:4] = b"_SM_"
    ep[5], ep[6], ep[7] = 0x1f, 2, 7
    struct.pack_into("<H", ep, 8, max(map(len, blobs)))
    ep[0x10:0x15] = b"_DMI_"
    struct.pack_into("<HIH", ep, 0x16, len(table), 0x20, len(blobs))
    ep[0x1e] = 0x27
    ep[0x15] = -sum(ep[0x10:0x1f]) & 0xff
    ep[4] = -sum(ep) & 0xff
    dcs = os.path.join(tmp, "dcs8000z.dump")
    with open(dcs, "wb") as f:
        f.write(bytes(ep).ljust(0x20, b"\0") + table)
    j = topo_json("--from", dcs)
    mods, devs = compare_modules("dcs8000z", dcs, j)
    check(len(devs) == 24, f"dcs8000z: dmidecode sees {len(devs)} memory devices, expected 24")
    no_serials("dcs8000z", j)
    compare_serials("dcs8000z --keep-serials", topo_json("--from", dcs, "--keep-serials"), devs)
    print(f"dcs8000z: {len(mods)} modules, {sum(1 for m in mods if m['size_bytes'])} populated")
done()
