#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A package is someone else's: an XVA whose VM record asks for a dom0
program (bootloader, device model, scripts), host files (kernel, ramdisk,
firmware, serial), host devices (pci, iomem, usbdev, ...), host ports,
raw disk and vif strings, or hides a setting in a comment, imports into
an xl.cfg that libxlutil reads back without any of them: each refused
setting is named on stderr (one line each) and in a comment of the file,
--allow-setting KEY writes one on purpose, disk targets are only the
files import wrote (with --metadata-only too), and a value that could end
a disk or vif spec (vdev, MAC, bridge) fails with one line and no output.
Every key of every file written is on the guest-only list below."""
import glob
import html
import io
import json
import os
import re
import shutil
import tarfile

from movelib import MiB, check, done, hvkit, skip, sparse_image, tmpdir

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

# Keys that only describe the guest: what an imported xl.cfg may hold.
GUEST_ONLY = {
    "name", "uuid", "type", "builder", "memory", "maxmem", "vcpus", "maxvcpus", "weight",
    "cap", "cmdline", "extra", "root", "bootloader", "boot", "bios", "acpi", "apic", "pae",
    "hap", "hpet", "viridian", "nestedhvm", "timer_mode", "tsc_mode", "on_poweroff",
    "on_reboot", "on_crash", "on_watchdog", "on_soft_reset", "localtime", "rtc_timeoffset",
    "cpuid", "vnuma", "videoram", "vga", "stdvga", "vnc", "vncunused", "usb",
    "disk", "vif", "serial", "parallel", "sdl", "vnclisten",
}

d = tmpdir()
disk = os.path.join(d, "root.img")
sparse_image(disk, 2 * MiB, [(0, 4096)])
cfg = os.path.join(d, "base.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "victim"\ntype = "pv"\nmemory = 64\nbootloader = "pygrub"\nlocaltime = 0\n'
            f'disk = [ "format=raw,vdev=xvda,access=rw,target={disk}",'
            f' "format=raw,vdev=xvdb,access=ro,devtype=cdrom,target=/srv/iso/install.iso" ]\n'
            f'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,model=e1000" ]\n')
base = os.path.join(d, "base.xva")
hvkit("move", "export", cfg, "--to", "xva", "-o", base, "--no-progress", "--metadata-only",
      "--disk-size", "1M")
with tarfile.open(base) as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
ova = members[0][1].decode()
assert members[0][0].name == "ova.xml"


def member(k, v):
    return (f"<member><name>{html.escape(k)}</name>"
            f"<value>{html.escape(v).replace(chr(10), '&#10;')}</value></member>")


def hostile(tag, vm_oc=(), vm=(), vdi_target=None, vif_extra=None, vdev=None, mac=None, bridge=None):
    """base.xva with its VM record edited as an attacker would."""
    x = ova
    anchor = member("xl:localtime", "0")
    assert anchor in x
    x = x.replace(anchor, anchor + "".join(member(k, v) for k, v in vm_oc))
    for field, value in vm:
        x, n = re.subn(rf"<member><name>{field}</name><value>[^<]*</value></member>",
                       member(field, value), x)
        assert n == 1, field
    if vdi_target is not None:
        x, n = re.subn(r"<member><name>hvkit-xl-target</name><value>[^<]*" + re.escape(disk) + "</value></member>",
                       member("hvkit-xl-target", vdi_target), x)
        assert n == 1
    if vif_extra is not None:
        a = member("hvkit-xl-model", "e1000")
        assert a in x
        x = x.replace(a, a + member("hvkit-xl-vif", vif_extra))
    if vdev is not None:
        x = x.replace(member("device", "xvda"), member("device", vdev), 1)
    if mac is not None:
        x = x.replace("00:16:3e:00:00:01", mac)
    if bridge is not None:
        x = x.replace("<value>xenbr0</value>", f"<value>{html.escape(bridge)}</value>")
    path = os.path.join(d, tag + ".xva")
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for m, data in members:
            if m.name == "ova.xml":
                data = x.encode()
                m.size = len(data)
            t.addfile(m, io.BytesIO(data) if data is not None else None)
    return path


def keys_of(path):
    """The setting names of an xl.cfg, read as libxlutil's lexer does:
    statements start a line or follow ';'."""
    out = []
    for line in open(path):
        code = re.sub(r'"(\\.|[^"\\])*"', '""', line).split("#")[0]
        for stmt in code.split(";"):
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\+?=", stmt)
            if m:
                out.append(m.group(1))
    return out


def imported(tag, pkg, *args, metadata_only=False):
    out = os.path.join(d, tag)
    p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, "--no-progress",
              *(["--metadata-only"] if metadata_only else []), *args, ok=False)
    if not check(p.returncode == 0, f"{tag}: import: {p.stderr}"):
        return None, None, p.stderr
    path = glob.glob(os.path.join(out, "*.cfg"))[0]
    bad = [k for k in keys_of(path) if k not in GUEST_ONLY and k not in args]
    check(not bad, f"{tag}: keys outside the guest-only list written: {bad}")
    j = json.loads(hvkit("move", "show", "--json", path).stdout)   # libxlutil reads it back
    for i, dk in enumerate(j["disks"]):
        t = dk.get("target")
        check(t is None or os.path.dirname(t) == os.path.realpath(out),
              f"{tag}: disk {i} target {t!r} is a file import wrote")
    if metadata_only:
        check(not j["disks"][1].get("target"), f"{tag}: the CD is left empty")
    return j, open(path).read(), p.stderr


def refused(tag, stderr, text, key, words):
    lines = [ln for ln in stderr.splitlines() if f"setting '{key}'" in ln]
    check(len(lines) == 1 and words in lines[0] and f"--allow-setting {key}" in lines[0],
          f"{tag}: one line refusing '{key}' ({words}): {stderr}")
    check(f"#   {key}" in text, f"{tag}: '{key}' named in a comment of the file")


# Class by class: each setting refused, named, and absent from what
# libxlutil reads back.
CLASSES = {
    "program": ([("xl:bootloader", "/tmp/evil.sh"), ("xl:device_model_override", "/tmp/evil.sh"),
                 ("xl:device_model_args[]", "-monitor\nunix:/tmp/m"), ("xl:stubdomain_kernel", "/tmp/k")],
                "runs a program in dom0"),
    "host file": ([("xl:smbios_firmware", "/etc/shadow"), ("xl:acpi_firmware", "/etc/shadow"),
                   ("xl:device_tree", "/etc/shadow"), ("xl:bootloader_args[]", "--output=/etc/passwd")],
                  "host file"),
    "host device": ([("xl:pci[]", "0000:00:02.0"), ("xl:dtdev[]", "/soc/x"), ("xl:iomem[]", "fee00,1"),
                     ("xl:ioports[]", "3f8-3ff"), ("xl:irqs[]", "4"), ("xl:usbdev[]", "hostbus=1,hostaddr=2"),
                     ("xl:e820_host", "1"), ("xl:gfx_passthru", "1"), ("xl:rdm", "strategy=host")],
                    "gives the guest a host device"),
    "host serial": ([("xl:serial", "file:/etc/passwd")], "names a host file or device"),
    "host port": ([("xl:vnclisten", "0.0.0.0"), ("xl:spicehost", "0.0.0.0")], "port on a host address"),
    "placement": ([("xl:cpus", "0"), ("xl:cpupool", "Pool-0")], "host CPU"),
    "unknown": ([("xl:driver_domain", "1"), ("xl:made_up_key", "1")], ""),
}
for cls, (entries, words) in CLASSES.items():
    pkg = hostile(cls.replace(" ", "-"), vm_oc=entries)
    j, text, err = imported(cls.replace(" ", "-"), pkg)
    if j is None:
        continue
    for k, _ in entries:
        key = k[3:].split("[")[0]
        refused(cls, err, text, key, words)
        check(not any(o.split("[")[0] == k.split("[")[0] for o in j.get("other_config", {})),
              f"{cls}: '{key}' not in what libxlutil reads back: {j.get('other_config')}")
    check(j.get("bootloader") == "pygrub", f"{cls}: the package's pygrub kept: {j.get('bootloader')}")

# The model's own fields: PV_bootloader, PV_kernel, PV_ramdisk.
pkg = hostile("fields", vm=[("PV_bootloader", "/tmp/evil.sh"), ("PV_kernel", "/etc/shadow"),
                            ("PV_ramdisk", "/etc/shadow")])
j, text, err = imported("fields", pkg)
if j is not None:
    check("bootloader" not in j and "kernel" not in j and "ramdisk" not in j, f"fields: {j}")
    refused("PV_bootloader", err, text, "bootloader", "runs a program in dom0")
    refused("PV_kernel", err, text, "kernel", "names a host file")
    refused("PV_ramdisk", err, text, "ramdisk", "names a host file")
    # On purpose: --allow-setting writes it.
    j2, _, err2 = imported("fields-allowed", pkg, "--allow-setting", "kernel")
    check(j2 is not None and j2.get("kernel") == "/etc/shadow" and "setting 'kernel'" not in err2,
          f"--allow-setting kernel writes it: {j2 and j2.get('kernel')} {err2}")

# Raw disk and vif strings (the issue's `xl:disk[]=/dev/vda,...`, which a
# second `disk =` would make win) are never written, not even on purpose.
pkg = hostile("raw", vm_oc=[("xl:disk[]", "/dev/vda,raw,xvdb,rw"), ("xl:vif[]", "script=/tmp/evil.sh"),
                            ("xl:disk", "/dev/vda,raw,xvdc,rw")])
j, text, err = imported("raw", pkg)
if j is not None:
    check(keys_of(glob.glob(os.path.join(d, "raw", "*.cfg"))[0]).count("disk") == 1, "raw: one disk = line")
    check(len(j["disks"]) == 2 and "/dev/vda" not in json.dumps(j), f"raw: the host disk is nowhere: {j['disks']}")
    check(err.count("setting 'disk'") == 2 and err.count("setting 'vif'") == 1 and "--allow-setting disk" not in err,
          f"raw: named, with no --allow-setting offered: {err}")
p = hvkit("move", "import", pkg, "--to", "xl", "-o", os.path.join(d, "raw2"), "--allow-setting", "disk", ok=False)
check(p.returncode == 2 and len(p.stderr.strip().splitlines()) >= 1 and "disk" in p.stderr
      and not os.path.exists(os.path.join(d, "raw2")), f"--allow-setting disk is a usage error: {p.stderr}")

# A vif's other keys: the package's script, ip, vifname, backend refused;
# vif-bridge (libxl's default) kept.
pkg = hostile("vif", vif_extra="script=/tmp/evil.sh,ip=10.0.0.1,vifname=eth0,backend=1,type=vif")
j, text, err = imported("vif", pkg)
if j is not None:
    check(j["nics"][0].get("extra") == "type=vif", f"vif: only type=vif kept: {j['nics']}")
    for k, words in (("script", "runs a program"), ("ip", "host routes"), ("vifname", "host network"),
                     ("backend", "backend domain")):
        refused("vif", err, text, "vif." + k, words)
j, _, err = imported("vif-allowed", hostile("vif2", vif_extra="script=vif-bridge"))
check(j is not None and j["nics"][0].get("extra") == "script=vif-bridge", f"vif-bridge kept: {j and j['nics']}")

# Disk targets from the package: never, with --metadata-only too.
pkg = hostile("target", vdi_target="/dev/sda")
for meta in (False, True):
    tag = f"target{'-meta' if meta else ''}"
    j, text, err = imported(tag, pkg, metadata_only=meta)
    if j is not None:
        check("/dev/sda" not in json.dumps(j) and "/srv/iso" not in json.dumps(j), f"{tag}: {j['disks']}")
        if meta:
            check("'disk.1.target'" in err and "left empty" in err, f"{tag}: the CD's path named: {err}")

# A comment cannot carry a setting: a line break in any other_config
# value or key stays inside the comment.
pkg = hostile("comment", vm_oc=[("note", 'x\nbootloader = "/tmp/evil.sh"\n'),
                                ("k\nkernel = \"/etc/shadow\"", "v")])
j, text, err = imported("comment", pkg)
if j is not None:
    check(j.get("bootloader") == "pygrub" and "kernel" not in j, f"comment: {j}")

# Values that would end a spec's key=value: one line, nothing written.
for tag, kw, words in (("vdev", {"vdev": "xvda,script=/tmp/evil.sh"}, "is not a disk name"),
                       ("mac", {"mac": "00:16:3e:00:00:01,script=/tmp/evil.sh"}, "MAC"),
                       ("bridge", {"bridge": "br0,script=/tmp/evil.sh"}, "bridge")):
    pkg = hostile("bad-" + tag, **kw)
    out = os.path.join(d, "bad-" + tag)
    p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, "--no-progress", ok=False)
    check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and words in p.stderr
          and pkg in p.stderr, f"bad {tag}: one line naming the file and {words!r}: {p.stderr}")
    check(not os.path.exists(out) and not glob.glob(out + ".tmp*"), f"bad {tag}: no output")

# What describes the guest passes: cpuid, vnuma, viridian groups, vnc.
pkg = hostile("guest", vm_oc=[("xl:cpuid", "host,avx512f=0"), ("xl:viridian[]", "base\nfreq"),
                              ("xl:vnc", "1"), ("xl:vnuma[[]]", '[ [ "pnode=0", "size=64", "vcpus=0", "vdistances=10" ] ]')])
j, text, err = imported("guest", pkg)
if j is not None:
    oc = j.get("other_config", {})
    check(oc.get("xl:cpuid") == "host,avx512f=0" and oc.get("xl:vnc") == "1" and "xl:vnuma[[]]" in oc
          and "not written" not in err, f"guest settings kept: {oc} {err}")
shutil.rmtree(d)
done()
