#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit move check GUEST.cfg --for xapi` on crafted guests: disks built
here with e2fsprogs (mke2fs -d: ext4 with or without grub.cfg, menu.lst,
kernels, /etc/fstab) inside MBR or GPT partition tables written by
sfdisk, or without one.  Each problem is found, with its level, and the
disk's contents are described as libblkid and debugfs see them: direct
kernel boot (remedy by what the disk holds), pygrub without a config,
32-bit PV (a dom0 ELF32 kernel, a -686 kernel in the disk), PV on 8.3,
fstab and root= names XAPI gives otherwise, console not hvc0,
passthrough, phy:, an image that is not raw.  Export and push refuse a
blocker unless --force.  Seeded layouts; a failure names its seed."""
import json
import os
import random
import shutil
import struct

from movelib import MiB, check, done, have_xl, hvkit, need, skip, tmpdir
from pflib import cfg, disk, ext4, find, run_check, sh

if not have_xl():
    skip("built without libxlutil: check reads no xl.cfg")
need("mke2fs", "e2fsprogs")
need("debugfs", "e2fsprogs")
need("sfdisk", "fdisk")
need("mkswap", "util-linux")
need("qemu-img", "qemu-utils")
d = tmpdir()


ELF32 = b"\x7fELF\x01\x01\x01" + bytes(57)
ELF64 = b"\x7fELF\x02\x01\x01" + bytes(57)
GRUB = {"grub.cfg": "/boot/grub/grub.cfg", "menu.lst": "/boot/grub/menu.lst", None: None}

for seed in range(41, 49):
    rnd = random.Random(seed)
    tag = f"seed {seed}"
    label = rnd.choice(("dos", "gpt", None))
    grub = rnd.choice(("grub.cfg", "menu.lst", None))
    kver = rnd.choice(("6.1.0-13-amd64", "5.10.0-26-amd64", "3.16.0-4-686-pae", None))
    root_dev = rnd.choice(("/dev/xvda1", "/dev/sda1", "UUID=0b7c5b6e-1c59-4a77-9e40-4f1f8e0c0a11", "/dev/hda1"))
    data_dev = rnd.choice((None, "/dev/xvdb1", "/dev/sdb1"))
    swap = label is not None and rnd.random() < 0.5
    direct = rnd.random() < 0.5
    console = rnd.choice(("hvc0", "ttyS0", None))
    fs_size = rnd.randrange(8, 20) * MiB
    files = {"/etc/fstab": f"# seed {seed}\n{root_dev} / ext4 errors=remount-ro 0 1\n".encode()}
    if data_dev:
        files["/etc/fstab"] += f"{data_dev} /srv ext4 defaults 0 2\n".encode()
    if grub:
        files[GRUB[grub]] = b"menuentry 'Debian' { linux /boot/vmlinuz root=/dev/xvda1 }\n"
    if kver:
        files[f"/boot/vmlinuz-{kver}"] = rnd.randbytes(4096)
    fsimg = os.path.join(d, f"s{seed}.ext4")
    ext4(fsimg, fs_size, files)
    raw = os.path.join(d, f"s{seed}.raw")
    parts = [(fsimg, fs_size)] + ([("swap", 4 * MiB)] if swap else [])
    disk(raw, label, parts, fs_size + 16 * MiB)
    lines = [f'name = "s{seed}"', "memory = 512", f'disk = [ "format=raw,vdev=xvda,target={raw}" ]']
    dom0_kernel = os.path.join(d, f"vmlinuz-dom0-{seed}")
    kbits = rnd.choice((32, 64))
    if direct:
        with open(dom0_kernel, "wb") as f:
            f.write(ELF32 if kbits == 32 else ELF64)
        lines.append(f'kernel = "{dom0_kernel}"')
    else:
        lines.append('bootloader = "pygrub"')
    if console:
        lines.append(f'extra = "console={console}"')
    c = cfg(os.path.join(d, f"s{seed}.cfg"), lines)
    p, j = run_check(c)
    text = json.dumps(j, indent=1)
    print(f"{tag}: {label} table, grub {grub}, kernel {kver}, root {root_dev}, data {data_dev}, "
          f"swap {swap}, direct {direct} ({kbits}-bit), console {console}: "
          f"{[(f['level'], f['setting']) for f in j['findings']]}")
    # The disk as libblkid and debugfs saw it.
    desc = " ".join(f["problem"] + " " + (f["remedy"] or "") for f in j["findings"])
    want_table = {"dos": "MBR partition table", "gpt": "GPT partition table", None: "no partition table"}[label]
    if direct:
        k = find(j, "kernel", "block")
        check(len(k) == 1 and dom0_kernel in k[0]["problem"], f"{tag}: direct kernel boot blocks: {text}")
        rem = k[0]["remedy"] if k else ""
        check(want_table in rem, f"{tag}: remedy describes '{want_table}': {rem}")
        check(("partition 1: ext4" if label else "whole disk: ext4") in rem, f"{tag}: ext4 found: {rem}")
        if swap:
            check("partition 2: swap" in rem, f"{tag}: swap partition found: {rem}")
        if grub and kver:
            check("boot it with pygrub" in rem and GRUB[grub] in rem and f"/boot/vmlinuz-{kver}" in rem,
                  f"{tag}: pygrub remedy naming {GRUB[grub]} and the kernel: {rem}")
        elif kver:
            check("has a kernel but no boot loader configuration" in rem, f"{tag}: kernel, no config: {rem}")
        else:
            check("install a kernel and grub" in rem and "no kernel" in rem, f"{tag}: nothing to boot: {rem}")
    else:
        b = find(j, "bootloader")
        check(bool(b) == (grub is None), f"{tag}: pygrub without a config is warned, with one not: {text}")
    # 32-bit PV: from the dom0 kernel's ELF class, or a -686 kernel in the disk.
    is32 = (direct and kbits == 32) or (not direct and kver and "686" in kver)
    t32 = [f for f in find(j, "type", "block") if "32-bit" in f["problem"]]
    check(bool(t32) == bool(is32), f"{tag}: 32-bit PV blocks ({is32}): {text}")
    if not is32:
        check(find(j, "type", "warn") and "deprecated" in find(j, "type", "warn")[0]["problem"],
              f"{tag}: a 64-bit PV guest is a warning on 8.2: {text}")
    # Disk names in /etc/fstab that XAPI names otherwise.
    fst = find(j, "/etc/fstab")
    want_root = root_dev in ("/dev/sda1", "/dev/hda1")
    got_root = [f for f in fst if "mounted on / " in f["problem"]]
    check(bool(got_root) == want_root and all(f["level"] == "block" for f in got_root),
          f"{tag}: fstab root {root_dev} blocks ({want_root}): {text}")
    got_data = [f for f in fst if "/srv" in f["problem"]]
    check(bool(got_data) == (data_dev == "/dev/sdb1") and all(f["level"] == "warn" for f in got_data),
          f"{tag}: fstab /srv {data_dev} warned: {text}")
    if got_data:
        check("/dev/xvdb" in got_data[0]["problem"], f"{tag}: says the XAPI name: {got_data[0]}")
    cons = find(j, "cmdline", "warn")
    check(bool(cons) == (console == "ttyS0"), f"{tag}: console={console}: {text}")
    nblock = sum(f["level"] == "block" for f in j["findings"])
    check(j["blockers"] == nblock and p.returncode == (1 if nblock else 0),
          f"{tag}: exit {p.returncode} with {nblock} blocker(s)")
    # Release rules: PV blocks on 8.3; 32-bit PV only warns on 7.1.
    p83, j83 = run_check(c, "--release", "8.3")
    check(find(j83, "type", "block") and p83.returncode == 1, f"{tag}: PV blocks on 8.3: {j83}")
    p71, j71 = run_check(c, "--release", "7.1")
    check(not [f for f in find(j71, "type", "block")], f"{tag}: no type blocker on 7.1: {j71}")
    # Export and push: refused on a blocker without --force, nothing written.
    out = os.path.join(d, f"s{seed}.xva")
    e = hvkit("move", "export", c, "--to", "xva", "-o", out, "--no-progress", ok=False)
    if nblock:
        check(e.returncode == 1 and "block the move" in e.stderr and not os.path.exists(out),
              f"{tag}: export refuses: {e.returncode} {e.stderr}")
        e = hvkit("move", "export", c, "--to", "xva", "-o", out, "--no-progress", "--force", ok=False)
        check(e.returncode == 0 and os.path.exists(out), f"{tag}: export --force goes on: {e.stderr}")
        pu = hvkit("move", "push", c, "xapi://127.0.0.1:9", "--http", "--sr", "x", ok=False)
        check(pu.returncode == 1 and "block the move" in pu.stderr and "127.0.0.1" not in pu.stderr,
              f"{tag}: push refuses before it connects: {pu.stderr}")
    else:
        check(e.returncode == 0, f"{tag}: export without blockers: {e.stderr}")
    os.unlink(raw)
    os.unlink(fsimg)

# HVM guest on 8.3, passthrough, a phy disk (backendtype=phy; libxl reads
# the legacy "phy:" prefix as format=raw only, and a block device target
# is found by stat), a qcow2 disk, a vif script.
raw = os.path.join(d, "h.raw")
with open(raw, "wb") as f:
    f.truncate(8 * MiB)
q = os.path.join(d, "h.qcow2")
sh("qemu-img", "create", "-q", "-f", "qcow2", q, "8M")
c = cfg(os.path.join(d, "h.cfg"), ['name = "h"', 'type = "hvm"', "memory = 512",
        f'disk = [ "format=raw,vdev=hda,target={raw}", "format=qcow2,vdev=hdb,target={q}", "backendtype=phy,vdev=xvdc,access=r,target={raw}" ]',
        'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,script=/etc/xen/scripts/my-vif" ]',
        'pci = [ "0000:01:00.0" ]', 'usbdev = [ "hostbus=1,hostaddr=2" ]'])
p, j = run_check(c, "--release", "8.3")
text = json.dumps(j, indent=1)
check(not find(j, "type") and not find(j, "kernel"), f"hvm: no boot or type findings on 8.3: {text}")
check(len(find(j, "pci", "block")) == 1 and len(find(j, "usbdev", "block")) == 1, f"hvm: passthrough blocks: {text}")
check(len(find(j, "disk xvdc", "warn")) == 1, f"hvm: phy: disk warned: {text}")
check(any("my-vif" in f["problem"] for f in find(j, "xl.cfg", "warn")), f"hvm: vif script warned: {text}")
check(p.returncode == 1 and j["blockers"] == 2, f"hvm: exit 1, 2 blockers: {p.returncode} {text}")
# A PV guest whose boot disk is qcow2: said not looked into.
c = cfg(os.path.join(d, "q.cfg"), ['name = "q"', "memory = 512", 'kernel = "/nonexistent/vmlinuz"',
        f'disk = [ "format=qcow2,vdev=xvda,target={q}" ]'])
p, j = run_check(c)
k = find(j, "kernel", "block")
check(k and "not looked into: a qcow2 image" in k[0]["remedy"], f"qcow2 boot disk: {j}")
# Hostile disks: garbage with an MBR signature, a damaged ext4: reported, no crash.
rnd = random.Random(99)
bad = os.path.join(d, "bad.raw")
with open(bad, "wb") as f:
    f.write(rnd.randbytes(8 * MiB))
    f.seek(510)
    f.write(b"\x55\xaa")
fsimg = os.path.join(d, "dmg.ext4")
ext4(fsimg, 8 * MiB, {"/boot/vmlinuz-6.1.0-13-amd64": b"x" * 4096})
with open(fsimg, "r+b") as f:
    f.seek(1024 + 4)  # s_blocks_count and friends
    f.write(rnd.randbytes(64))
dmg = os.path.join(d, "dmg.raw")
disk(dmg, "gpt", [(fsimg, 8 * MiB)], 24 * MiB)
for img in (bad, dmg):
    c = cfg(os.path.join(d, "x.cfg"), ['name = "x"', "memory = 512", 'kernel = "/nonexistent/vmlinuz"',
            f'disk = [ "format=raw,vdev=xvda,target={img}" ]'])
    p, j = run_check(c)
    check(p.returncode == 1 and j["blockers"] >= 1 and "Traceback" not in p.stderr and find(j, "kernel"),
          f"{os.path.basename(img)}: a report, no crash: {p.returncode} {p.stderr} {j}")
    print(f"{os.path.basename(img)}: {find(j, 'kernel')[0]['remedy'] if find(j, 'kernel') else j}")
# Usage errors.
for args, want in ((["--for", "kvm"], "unknown --for 'kvm'"), (["--for", "xapi", "--release", "9"], "unknown --release '9'"),
                   ([], "missing --for xapi")):
    p = hvkit("move", "check", c, *args, ok=False)
    check(p.returncode == 2 and want in p.stderr, f"check {args}: exit 2, '{want}': {p.returncode} {p.stderr}")
shutil.rmtree(d)
done()
