#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Formats other than raw, VHD and qcow2 are never taken for raw.  VMDK
(monolithicSparse, streamOptimized, monolithicFlat and twoGbMaxExtent
descriptors) and VHDX (dynamic, fixed) made by qemu-img are read: qemu-img
compare judges the disk written, and move info agrees with qemu-img info.
VDI, QED, qcow (v1), LUKS and ISO 9660 are refused by name (--from raw
still copies their bytes).  Hostile VMDK descriptors (extents outside the
directory, through a symbolic link, raw device mappings, snapshots) and
damaged headers fail with one line.  move show names a disk image or
binary data in one line, and says a disk's size from its target.  An OVF
or OVA whose disk is a streamOptimized VMDK imports it as raw."""
import json
import os
import shutil
import struct

from movelib import MiB, check, done, hvkit, need, run, sparse_image, tmpdir

need("qemu-img", "qemu-utils")
d = tmpdir()
src = os.path.join(d, "src.raw")
sparse_image(src, 70 * MiB + 1536, [(0, 5000), (MiB, 70000), (33 * MiB, MiB),
                                     (70 * MiB - 4096, 4096 + 1536)], seed=11)


def one_line(p, expect, label):
    lines = p.stderr.strip().splitlines()
    if os.environ.get("V"):
        print(f"{label} -> {p.stderr.strip()}")
    check(p.returncode == 1 and len(lines) == 1 and expect in p.stderr,
          f"{label}: one line naming {expect!r}: {p.returncode} {p.stderr!r}")


def judged(img, fmt, label):
    for to in ("raw", "qcow2"):
        out = os.path.join(d, f"out.{to}")
        p = hvkit("move", "disk", img, out, "--no-progress", ok=False)
        check(p.returncode == 0, f"{label} -> {to}: {p.stderr}")
        r = run("qemu-img", "compare", "-f", fmt, "-F", to, img, out)
        check(r.returncode == 0, f"{label} -> {to}: qemu-img compare: {r.stdout}{r.stderr}")
        os.unlink(out)
    info = json.loads(hvkit("move", "info", "--json", img).stdout)
    q = json.loads(run("qemu-img", "info", "--output=json", "-f", fmt, img).stdout)
    check(info["format"] == fmt and info["virtual_size"] == q["virtual-size"],
          f"{label}: info {info} vs qemu-img {q['virtual-size']}")


for sub in ("monolithicSparse", "streamOptimized", "monolithicFlat", "twoGbMaxExtentSparse",
            "twoGbMaxExtentFlat"):
    img = os.path.join(d, f"{sub}.vmdk")
    p = run("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", f"subformat={sub}", src, img)
    check(p.returncode == 0, f"qemu-img made {sub}: {p.stderr}")
    judged(img, "vmdk", f"VMDK {sub}")
for opts in ("subformat=dynamic", "subformat=fixed", "subformat=dynamic,block_size=1M",
             "subformat=dynamic,block_size=256M"):
    img = os.path.join(d, "d.vhdx")
    p = run("qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o", opts, src, img)
    check(p.returncode == 0, f"qemu-img made VHDX {opts}: {p.stderr}")
    judged(img, "vhdx", f"VHDX {opts}")
    os.unlink(img)

# Refused by name, never copied as raw unless asked.
iso = os.path.join(d, "cd.iso")
with open(iso, "wb") as f:
    f.truncate(64 * 1024)
    f.seek(0x8000)
    f.write(b"\x01CD001\x01")
refuse = [(iso, "an ISO 9660 CD/DVD image")]
for fmt, what, extra in (("vdi", "a VirtualBox VDI image", []), ("qed", "a QED image", []),
                         ("qcow", "a qcow (version 1) image", []),
                         ("luks", "a LUKS encrypted volume",
                          ["--object", "secret,id=s0,data=x", "-o", "key-secret=s0"])):
    img = os.path.join(d, f"a.{fmt}")
    if run("qemu-img", "create", "-q", "-f", fmt, *extra, img, "4M").returncode == 0:
        refuse.append((img, what))
for img, what in refuse:
    out = os.path.join(d, "x.raw")
    one_line(hvkit("move", "disk", img, out, ok=False), what, f"{img} refused")
    check(not os.path.exists(out), f"{img}: nothing written")
    p = hvkit("move", "info", img, ok=False)
    check(p.returncode == 1 and p.stdout == "" and what in p.stderr, f"{img}: info refuses")
    hvkit("move", "disk", img, out, "--from", "raw")
    check(os.path.getsize(out) == os.path.getsize(img), f"{img}: --from raw copies the bytes")
    os.unlink(out)

# Hostile VMDK descriptors and headers.
flat = os.path.join(d, "monolithicFlat-flat.vmdk")
with open(os.path.join(d, "secret"), "w") as f:
    f.write("not yours\n" * 100)
os.symlink("secret", os.path.join(d, "link-flat.vmdk"))


def desc(name, body, parent="ffffffff"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(f'# Disk DescriptorFile\nversion=1\nCID=1\nparentCID={parent}\n'
                f'createType="monolithicFlat"\n{body}\n')
    return path


BAD = [
    (desc("up.vmdk", 'RW 2 FLAT "../secret" 0'), "not a plain name"),
    (desc("abs.vmdk", 'RW 2 FLAT "/etc/passwd" 0'), "not a plain name"),
    (desc("link.vmdk", 'RW 2 FLAT "link-flat.vmdk" 0'), "cannot open extent file 'link-flat.vmdk'"),
    (desc("rdm.vmdk", 'RW 2 VMFSRDM "monolithicFlat-flat.vmdk"'), "extent type VMFSRDM is not read"),
    (desc("snap.vmdk", 'RW 2 FLAT "monolithicFlat-flat.vmdk" 0', parent="12345678"),
     "a snapshot"),
    (desc("long.vmdk", f'RW {(os.path.getsize(flat) >> 9) + 1} FLAT "monolithicFlat-flat.vmdk" 0'),
     "fewer than"),
    (desc("none.vmdk", ""), "names no extent"),
]
sparse = os.path.join(d, "monolithicSparse.vmdk")
with open(sparse, "rb") as f:
    img = bytearray(f.read())
gd = struct.unpack_from("<Q", img, 56)[0]
for label, off, value, expect in (
        ("grain directory past the end", 56, struct.pack("<Q", 1 << 40), "offset 56: the grain directory"),
        ("grain size not a power of two", 20, struct.pack("<Q", 3), "offset 20: grain size"),
        ("grain table past the end", gd * 512, struct.pack("<I", 0x7fffffff),
         f"offset {gd * 512}: grain directory entry 0 points past the end"),
        ("huge capacity", 12, struct.pack("<Q", 1 << 60), "offset 12: a capacity"),
        ("two directory entries share a grain table", gd * 512 + 4, img[gd * 512:gd * 512 + 4],
         "overlap")):
    bad = bytearray(img)
    bad[off:off + len(value)] = value
    path = os.path.join(d, f"bad-{len(BAD)}.vmdk")
    with open(path, "wb") as f:
        f.write(bad)
    BAD.append((path, expect))


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff


vhdx = os.path.join(d, "h.vhdx")
run("qemu-img", "convert", "-f", "raw", "-O", "vhdx", src, vhdx)
with open(vhdx, "rb") as f:
    img = bytearray(f.read())


def vhdx_headers(edit):
    bad = bytearray(img)
    for off in (64 << 10, 128 << 10):
        h = bytearray(bad[off:off + 4096])
        edit(h)
        h[4:8] = bytes(4)
        h[4:8] = struct.pack("<I", crc32c(bytes(h)))
        bad[off:off + 4096] = h
    path = os.path.join(d, f"bad-{len(BAD)}.vhdx")
    with open(path, "wb") as f:
        f.write(bad)
    return path


BAD.append((vhdx_headers(lambda h: h.__setitem__(slice(48, 64), b"\x01" * 16)),
            "offset 131120: the VHDX has a log to replay"))
BAD.append((vhdx_headers(lambda h: h.__setitem__(slice(66, 68), b"\x02\x00")),
            "offset 131138: VHDX version 2"))
broken = bytearray(img)
broken[(64 << 10) + 100] ^= 1
broken[(128 << 10) + 100] ^= 1
with open(os.path.join(d, "crc.vhdx"), "wb") as f:
    f.write(broken)
BAD.append((os.path.join(d, "crc.vhdx"), "offset 65536: no valid VHDX header"))
for path, expect in BAD:
    out = os.path.join(d, "bad.raw")
    one_line(hvkit("move", "disk", path, out, ok=False), expect, os.path.basename(path))
    check(not os.path.exists(out), f"{path}: nothing written")

# move show: a disk image or binary data is named in one line.
for path, expect in ((sparse, "a VMware VMDK image, not an xl.cfg"),
                     (src, "binary data")):
    p = hvkit("move", "show", path, ok=False)
    one_line(p, expect, f"show {os.path.basename(path)}")
    check(p.stdout == "", "show: nothing on stdout")
p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" not in p.stderr:
    big = os.path.join(d, "big.raw")
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    q = os.path.join(d, "q.qcow2")
    run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", src, q)
    cfg = os.path.join(d, "web1.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "web1"\nmemory = 128\ndisk = [ "{big},raw,xvda,rw", '
                f'"format=qcow2,vdev=xvdb,target={q}", "{d}/gone.img,raw,xvdc,rw" ]\n')
    p = hvkit("move", "show", cfg)
    check("xvda " + big + " raw 1073741824 bytes" in p.stdout, f"show states the disk: {p.stdout}")
    check(f"xvdb {q} qcow2 {70 * MiB + 1536} bytes" in p.stdout, f"a qcow2's size: {p.stdout}")
    check("gone.img raw size unknown" in p.stdout, f"a missing disk is unknown: {p.stdout}")

    # A VMware OVA carries streamOptimized VMDKs: imported, never kept
    # under a .vhd name.
    small = os.path.join(d, "small.raw")
    sparse_image(small, 4 * MiB, [(0, 3000), (3 * MiB, 5000)], seed=12)
    g = os.path.join(d, "g.cfg")
    with open(g, "w") as f:
        f.write(f'name = "g"\nmemory = 128\ndisk = [ "{small},raw,xvda,rw" ]\n')
    ovf = os.path.join(d, "ovf")
    hvkit("move", "export", g, "--to", "ovf", "-o", ovf)
    os.unlink(os.path.join(ovf, "g-disk0.vhd"))
    os.unlink(os.path.join(ovf, "g.mf"))   # its digests are of the files replaced here
    run("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
        small, os.path.join(ovf, "g-disk0.vmdk"))
    with open(os.path.join(ovf, "g.ovf")) as f:
        orig = f.read()
    vhd_fmt = "http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx"
    vmdk_fmt = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
    check(vhd_fmt in orig, "export names its disks' format as VHD")
    ova = os.path.join(d, "g.ova")

    def package(text):
        with open(os.path.join(ovf, "g.ovf"), "w") as f:
            f.write(text)
        run("tar", "-C", ovf, "-cf", ova, "g.ovf", "g-disk0.vmdk")

    package(orig.replace("g-disk0.vhd", "g-disk0.vmdk").replace(vhd_fmt, vmdk_fmt))
    for pkg in (os.path.join(ovf, "g.ovf"), ova):
        out = os.path.join(d, "imp")
        p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, ok=False)
        check(p.returncode == 0 and sorted(os.listdir(out)) == ["g-disk0.raw", "g.cfg"],
              f"{pkg}: a VMDK member imported as raw: {p.stderr} {os.listdir(out) if os.path.isdir(out) else ''}")
        r = run("qemu-img", "compare", "-f", "raw", "-F", "raw", small, os.path.join(out, "g-disk0.raw"))
        check(r.returncode == 0, f"{pkg}: the VMDK's data: {r.stdout}")
        shutil.rmtree(out)
    # A descriptor that lies about its disk file (format, size): refused
    # naming the file, nothing written.
    cap = 'ovf:capacity="%d"' % (4 * MiB)
    check(cap in orig, f"export writes the capacity in bytes: {cap}")
    lies = (("VMDK said to be a VHD", orig.replace("g-disk0.vhd", "g-disk0.vmdk"),
             "'g-disk0.vmdk': the OVF says a VHD, the file is a VMDK"),
            ("VMDK of another size", orig.replace("g-disk0.vhd", "g-disk0.vmdk").replace(vhd_fmt, vmdk_fmt)
             .replace(cap, 'ovf:capacity="%d"' % (8 * MiB)),
             "'g-disk0.vmdk': its VMDK header says a disk of 4194304 bytes, the OVF 8388608"))
    for label, text, expect in lies:
        package(text)
        for pkg in (os.path.join(ovf, "g.ovf"), ova):
            out = os.path.join(d, "imp")
            p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, ok=False)
            check(p.returncode == 1 and expect in p.stderr and len(p.stderr.splitlines()) == 1
                  and not os.path.exists(out), f"{pkg}: {label}: {p.returncode} {p.stderr}")
    # A fixed VHD (its only footer at the end, written by qemu-img): judged
    # from its footer once read; the right size imports.
    os.unlink(os.path.join(ovf, "g-disk0.vmdk"))
    fixed = os.path.join(ovf, "g-disk0.vhd")
    run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size=on", small, fixed)

    def package_vhd(text, body=None):
        with open(os.path.join(ovf, "g.ovf"), "w") as f:
            f.write(text)
        if body is not None:
            with open(fixed, "wb") as f:
                f.write(body)
        run("tar", "-C", ovf, "-cf", ova, "g.ovf", "g-disk0.vhd")

    with open(fixed, "rb") as f:
        fixed_bytes = f.read()
    for label, text, body, expect in (
            ("fixed VHD", orig, None, None),
            ("fixed VHD of another size", orig.replace(cap, 'ovf:capacity="%d"' % (8 * MiB)), None,
             "'g-disk0.vhd': its VHD footer says a disk of 4194304 bytes, the OVF 8388608"),
            ("VHD without its footer", orig, fixed_bytes[:1000], "'g-disk0.vhd': the OVF says a VHD, the file has no VHD footer")):
        package_vhd(text, body)
        for pkg in (os.path.join(ovf, "g.ovf"), ova):
            out = os.path.join(d, "imp")
            p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, ok=False)
            if expect is None:
                check(p.returncode == 0, f"{pkg}: {label}: {p.stderr}")
                shutil.rmtree(out, ignore_errors=True)
            else:
                check(p.returncode == 1 and expect in p.stderr and not os.path.exists(out),
                      f"{pkg}: {label}: {p.returncode} {p.stderr}")
    # A dynamic VHD member kept as it is passes the reader's own checks
    # first (as move info does): a differencing disk whose parent locator
    # names a host path, a truncated one, one without its closing footer,
    # a BAT entry past the end and two BAT entries on one block are each
    # refused in one line naming the member, nothing written; the good one
    # imports and qemu-img reads it back equal.
    run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size=on",
        small, fixed)
    with open(fixed, "rb") as f:
        dyn = bytes(f.read())

    def vhd_sum(b, off, n, at):
        b[off + at:off + at + 4] = bytes(4)
        b[off + at:off + at + 4] = struct.pack(">I", ~sum(b[off:off + n]) & 0xFFFFFFFF)

    def mutate(mode):
        b = bytearray(dyn)
        hoff = struct.unpack(">Q", b[16:24])[0]
        bat = struct.unpack(">Q", b[hoff + 16:hoff + 24])[0]
        if mode == "diff":
            for off in (0, len(b) - 512):
                b[off + 60:off + 64] = struct.pack(">I", 4)
                vhd_sum(b, off, 512, 64)
            name = "/etc/shadow".encode("utf-16-be")
            b[hoff + 64:hoff + 64 + len(name)] = name
            vhd_sum(b, hoff, 1024, 36)
        elif mode == "bat":
            b[bat:bat + 4] = struct.pack(">I", 0x7FFFFFF0)
        elif mode == "batdup":
            check(b[bat:bat + 4] != b"\xff" * 4 and b[bat + 4:bat + 8] != b"\xff" * 4,
                  "both 2 MiB blocks of the test disk hold data")
            b[bat + 4:bat + 8] = b[bat:bat + 4]
        elif mode == "trunc":
            b = b[:len(b) // 2]
        elif mode == "nofoot":
            b = b[:-512]
        return bytes(b)

    for label, body, expect in (
            ("dynamic VHD", dyn, None),
            ("differencing VHD", mutate("diff"), "differencing VHDs are not supported"),
            ("BAT entry past the end", mutate("bat"), "BAT entry 0 points past the end of the file"),
            ("two BAT entries on one block", mutate("batdup"), "overlap"),
            ("truncated VHD", mutate("trunc"), "ends without its VHD footer"),
            ("VHD without its closing footer", mutate("nofoot"), "ends without its VHD footer")):
        package_vhd(orig, body)
        out = os.path.join(d, "imp")
        p = hvkit("move", "import", ova, "--to", "xl", "-o", out, ok=False)
        if expect is None:
            check(p.returncode == 0 and sorted(os.listdir(out)) == ["g-disk0.vhd", "g.cfg"],
                  f"{label}: kept as VHD: {p.returncode} {p.stderr}")
            r = run("qemu-img", "compare", "-f", "raw", "-F", "vpc", small,
                    os.path.join(out, "g-disk0.vhd"))
            check(r.returncode == 0, f"{label}: qemu-img compare: {r.stdout}{r.stderr}")
            shutil.rmtree(out)
        else:
            one_line(p, "'g-disk0.vhd': ", label)
            check(expect in p.stderr and not os.path.exists(out),
                  f"{label}: {expect!r}, nothing written: {p.stderr} {os.path.exists(out)}")
shutil.rmtree(d)
done()
