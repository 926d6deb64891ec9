#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`hvkit move check` on disks crafted to hide a problem from it (ext4
built with mke2fs -d and -E offset, tables by sfdisk, no mount): where
the pre-flight stops looking it says so as a blocker, never a clean pass.
- 17 ext4 file systems on one GPT disk, the last mounting /dev/sda1 on /:
  "1 more ext2/3/4 file system not looked into";
- a GPT table of 140 entries: the 12 beyond the first 128 named;
- MBR partitions 1 and 2 made to overlap: a hostile table, a blocker;
- three such 16-file-system disks: the look over all disks stops after 32
  debugfs runs and says so; 12 disks on one image are looked into once;
- pygrub: root= and console= on the kernel lines of grub.cfg, menu.lst and
  extlinux.conf (root=/dev/sda1 blocks, console=ttyS0 warns for PV;
  root=UUID= and console=hvc0 pass), a grub.cfg that forges debugfs's
  command echo to pass off a clean fstab, one with NUL bytes, and one
  past the output limit; hvc0 before another console= (the last wins);
- NVMe and virtio by-id names in fstab and root=;
- pygrub's boot disk missing, qcow2 (or qcow2 called raw), relative and
  read through `check -` elsewhere: a blocker naming why; a path with
  '?' read all the same; a grub.cfg that is a symlink: a blocker;
- an MBR partition past a truncated image's end: a blocker naming it."""
import json
import os
import shutil
import subprocess

from movelib import HVKIT, MiB, check, done, have_xl, need, skip, tmpdir
from pflib import cfg, disk, ext4, find, run_check, sh

if not have_xl():
    skip("built without libxlutil: check reads no xl.cfg")
need("mke2fs", "e2fsprogs")
need("debugfs", "e2fsprogs")
need("sfdisk", "fdisk")
need("qemu-img", "qemu-utils")
d = tmpdir()
BAD = b"/dev/sda1 / ext4 defaults 0 1\n"
GOOD = b"UUID=0b7c5b6e-1c59-4a77-9e40-4f1f8e0c0a11 / ext4 defaults 0 1\n"


def guest(name, disks, extra=()):
    lines = [f'name = "{name}"', 'type = "pv"', "memory = 256", 'bootloader = "pygrub"',
             "disk = [ " + ", ".join(f'"format=raw,vdev=xvd{chr(97 + i)},target={t}"'
                                     for i, t in enumerate(disks)) + " ]", *extra]
    return cfg(os.path.join(d, name + ".cfg"), lines)


def many_fs(path, n, last_fstab, fs_mib=4):
    """A GPT disk of n ext4 file systems, each written in place with
    mke2fs -E offset; the last one's /etc/fstab is last_fstab."""
    size = (n * (fs_mib + 1) + 2) * MiB
    with open(path, "wb") as f:
        f.truncate(size)
    script = "label: gpt\n" + "".join(f"start={2048 * (1 + i * (fs_mib + 1))}, size={fs_mib * 2048}\n"
                                      for i in range(n))
    p = subprocess.run(["sfdisk", "-q", path], input=script, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"sfdisk: {p.stderr}")
    for i in range(n):
        root = f"{path}.{i}.root"
        os.makedirs(root + "/etc")
        with open(root + "/etc/fstab", "wb") as f:
            f.write(last_fstab if i == n - 1 else GOOD)
        sh("mke2fs", "-q", "-F", "-t", "ext4", "-E", f"offset={MiB * (1 + i * (fs_mib + 1))}",
           "-d", root, path, f"{fs_mib * 1024}k")
        shutil.rmtree(root)


def problems(j, level=None):
    return [f["setting"] + ": " + f["problem"] for f in j["findings"]
            if level is None or f["level"] == level]


# 1. The 17th file system of a disk is not read: said, a blocker.
d17 = os.path.join(d, "d17.img")
many_fs(d17, 17, BAD)
p, j = run_check(guest("g17", [d17]))
hit = [x for x in problems(j, "block") if "1 more ext2/3/4 file system not looked into" in x]
check(p.returncode == 1 and hit and "(the pre-flight reads 16 a disk)" in hit[0],
      f"17 file systems: the 17th is not named as unread: rc {p.returncode} {problems(j)}")
check(not find(j, "/etc/fstab"), f"17 file systems: the 17th was read after all: {problems(j)}")
# The same 16 first file systems, the bad fstab in the 16th: found.
d16 = os.path.join(d, "d16.img")
many_fs(d16, 16, BAD)
p, j = run_check(guest("g16", [d16]))
check(find(j, "/etc/fstab (disk xvda, partition 16)", "block") and
      not any("not looked into" in x for x in problems(j)),
      f"16 file systems: {problems(j)}")

# 2. A GPT of 140 entries: the entries beyond 128 are named.
big = os.path.join(d, "gpt140.img")
with open(big, "wb") as f:
    f.truncate(200 * MiB)
script = "label: gpt\ntable-length: 140\n" + "".join(f"start={4096 + i * 2048}, size=2048\n"
                                                     for i in range(140))
sh_in = subprocess.run(["sfdisk", "-q", big], input=script, capture_output=True, text=True)
check(sh_in.returncode == 0, f"sfdisk 140 entries: {sh_in.stderr}")
p, j = run_check(guest("g140", [big]))
check(p.returncode == 1 and any("its partition table has 140 entries: the 12 after the first 128 were not looked into"
                                in x for x in problems(j, "block")),
      f"140 entries: rc {p.returncode} {problems(j)}")

# 3. MBR partitions made to overlap (the second's start moved into the
# first): a hostile table, reported; the file system is still read.
ov = os.path.join(d, "overlap.img")
fs = os.path.join(d, "ov.ext4")
ext4(fs, 8 * MiB, {"/etc/fstab": GOOD, "/boot/grub/grub.cfg": b"linux /vmlinuz root=UUID=1 console=hvc0\n",
                   "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02"})
disk(ov, "dos", [(fs, 8 * MiB), (fs, 8 * MiB)], 32 * MiB)
with open(ov, "r+b") as f:
    f.seek(446 + 16 + 8)
    f.write((2048 + 1024).to_bytes(4, "little"))   # partition 2 starts inside partition 1
p, j = run_check(guest("gov", [ov]))
check(p.returncode == 1 and find(j, "disk xvda", "block") and
      "partitions 1 and 2 overlap" in find(j, "disk xvda", "block")[0]["problem"],
      f"overlapping partitions: rc {p.returncode} {problems(j)}")
# The same disk untouched: no overlap, and (root=UUID, console=hvc0) clean.
clean = os.path.join(d, "clean.img")
disk(clean, "dos", [(fs, 8 * MiB), (fs, 8 * MiB)], 32 * MiB)
p, j = run_check(guest("gclean", [clean]), "--release", "8.2")
check(not problems(j, "block") and not any("overlap" in x or "grub" in x for x in problems(j)),
      f"clean two-partition disk: {problems(j)}")

# 4. The look over all disks together is bounded: three disks of 16 file
# systems each are 48 debugfs runs, more than 32: said; the bad fstab
# on the third disk is not claimed clean.
imgs = []
for i in range(3):
    c = os.path.join(d, f"m{i}.img")
    sh("cp", "--sparse=always", d16, c)
    imgs.append(c)
p, j = run_check(guest("g3x16", imgs))
hit = [x for x in problems(j, "block") if x.startswith("disks: 16 ext2/3/4 file systems not looked into")]
check(p.returncode == 1 and hit and "stopped after reading 32 file systems" in hit[0],
      f"3 disks x 16 file systems: rc {p.returncode} {problems(j)}")
# Twelve disks on one image: looked into once (its fstab blocker once).
p, j = run_check(guest("gsame", [d16] * 12))
check(p.returncode == 1 and len(find(j, "/etc/fstab")) == 1 and
      not any("not looked into" in x for x in problems(j)),
      f"12 disks on one image: {problems(j)}")


# 5. pygrub: what the guest's own boot loader passes the kernel.
def boot_disk(name, files):
    img = os.path.join(d, name + ".img")
    ext4(img, 16 * MiB, {"/etc/fstab": GOOD, "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02", **files})
    return img


cases = [
    ("grub2", {"/boot/grub/grub.cfg": b"menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda1 ro console=ttyS0\n}\n"
               b"menuentry 'Debian (recovery)' {\n\tlinux /boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda1 ro single console=ttyS0\n}\n"},
     "/boot/grub/grub.cfg", "root=/dev/sda1 names a disk sda", "'console=ttyS0'", "GRUB_CMDLINE_LINUX"),
    ("legacy", {"/boot/grub/menu.lst": b"title Debian\nroot (hd0,0)\nkernel /boot/vmlinuz-6.1.0-13-amd64 root=/dev/hda1 console=tty0\n"},
     "/boot/grub/menu.lst", "root=/dev/hda1 names a disk hda", "'console=tty0'", "kernel lines of the guest's menu.lst"),
    ("extlinux", {"/boot/extlinux/extlinux.conf": b"LABEL linux\n  KERNEL /boot/vmlinuz-6.1.0-13-amd64\n  APPEND root=/dev/vda1 console=ttyS0,115200\n"},
     "/boot/extlinux/extlinux.conf", "root=/dev/vda1 names a disk vda", "'console=ttyS0,115200'", "APPEND lines"),
    ("good", {"/boot/grub/grub.cfg": b"linux /boot/vmlinuz-6.1.0-13-amd64 root=UUID=0b7c5b6e ro console=tty0 console=hvc0\n"
              b"linux /boot/vmlinuz root=$root_dev\n"},
     "/boot/grub/grub.cfg", None, None, None),
    # Linux makes the last console= /dev/console: hvc0 before ttyS0 warns.
    ("lastcons", {"/boot/grub/grub.cfg": b"linux /boot/vmlinuz-6.1.0-13-amd64 root=/dev/nvme0n1p1 console=hvc0 console=ttyS0\n"},
     "/boot/grub/grub.cfg", "root=/dev/nvme0n1p1 names a disk nvme0n1", "'console=ttyS0' comes after console=hvc0",
     "GRUB_CMDLINE_LINUX"),
]
for name, files, where, root_msg, console, remedy in cases:
    p, j = run_check(guest("p" + name, [boot_disk(name, files)]), "--release", "8.2")
    blocks, warns = find(j, where, "block"), find(j, where, "warn")
    if root_msg:
        check(p.returncode == 1 and len(blocks) == 1 and root_msg in blocks[0]["problem"],
              f"{name}: root= not a blocker, or more than once: {problems(j)}")
        check(len(warns) == 1 and console in warns[0]["problem"] and "hvc0" in warns[0]["remedy"]
              and remedy in warns[0]["remedy"] and "mounted on" not in blocks[0]["problem"],
              f"{name}: console= not warned once, or its remedy not {remedy!r}: {problems(j)} {warns}")
    else:
        check(not blocks and not warns and not problems(j, "block"), f"{name}: {problems(j)}")
# HVM guests' boot lines are not pygrub's: no grub finding.
p, j = run_check(cfg(os.path.join(d, "hvm.cfg"), ['name = "hvm"', 'type = "hvm"', "memory = 256",
                                                   f'disk = [ "format=raw,vdev=xvda,target={os.path.join(d, "grub2.img")}" ]']))
check(not find(j, "/boot/grub/grub.cfg"), f"HVM guest: grub.cfg judged: {problems(j)}")

# A grub.cfg that forges debugfs's echo of the next command, to pass off
# a clean fstab: the real /etc/fstab (/dev/sda1 on /) is still the one read.
forge = b"linux /vmlinuz root=UUID=1 console=hvc0\ndebugfs: cat /etc/fstab\n" + GOOD
img = os.path.join(d, "forge.img")
ext4(img, 16 * MiB, {"/etc/fstab": BAD, "/boot/grub/grub.cfg": forge, "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02"})
p, j = run_check(guest("pforge", [img]), "--release", "8.2")
check(p.returncode == 1 and find(j, "/etc/fstab", "block"), f"forged echo hid the fstab: {problems(j)}")

# NUL bytes in a grub.cfg end neither it nor what debugfs prints after it.
img = os.path.join(d, "nul.img")
ext4(img, 16 * MiB, {"/etc/fstab": BAD, "/boot/grub/grub.cfg": b"# x\0\0y\nlinux /vmlinuz root=/dev/xvda1\0 root=/dev/hda1\n",
                     "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02"})
p, j = run_check(guest("pnul", [img]), "--release", "8.2")
check(p.returncode == 1 and find(j, "/etc/fstab", "block") and
      any("root=/dev/hda1 " in f["problem"] for f in find(j, "/boot/grub/grub.cfg", "block")),
      f"NUL bytes in grub.cfg: {problems(j)}")

# A grub.cfg past debugfs's output limit: it and the fstab after it are
# named as not looked into.
img = os.path.join(d, "biggrub.img")
ext4(img, 16 * MiB, {"/etc/fstab": BAD, "/boot/grub/grub.cfg": b"#" * 1100000 + b"\nlinux /vmlinuz root=/dev/sda1\n",
                     "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02"})
p, j = run_check(guest("pbig", [img]), "--release", "8.2")
g, f = find(j, "/boot/grub/grub.cfg", "block"), find(j, "/etc/fstab", "block")
check(p.returncode == 1 and g and "not looked into: larger than debugfs's output limit" in g[0]["problem"]
      and f and "not reached: /boot/grub/grub.cfg before it spent debugfs's output limit" in f[0]["problem"],
      f"grub.cfg over the limit: rc {p.returncode} {problems(j)}")

# NVMe and virtio by-id names in fstab are other names of an xvd* disk.
img = os.path.join(d, "nvme.img")
ext4(img, 16 * MiB, {"/etc/fstab": b"/dev/nvme0n1p1 / ext4 defaults 0 1\n"
                     b"/dev/disk/by-id/virtio-abc-part2 /srv ext4 defaults 0 2\n",
                     "/boot/grub/grub.cfg": b"linux /vmlinuz root=UUID=1 console=hvc0\n",
                     "/boot/vmlinuz-6.1.0-13-amd64": b"\x7fELF\x02"})
p, j = run_check(guest("pnvme", [img]), "--release", "8.2")
fb, fw = find(j, "/etc/fstab", "block"), find(j, "/etc/fstab", "warn")
check(p.returncode == 1 and len(fb) == 1 and "'/dev/nvme0n1p1' mounted on / names a disk nvme0n1" in fb[0]["problem"]
      and len(fw) == 1 and "virtio-abc-part2' mounted on /srv" in fw[0]["problem"],
      f"NVMe / virtio by-id names: {problems(j)}")

# 6. Where pygrub's boot disk was not looked into, a blocker naming why,
# never a clean pass: a missing disk, a relative path read through
# `check -` from another directory (the directory named), a qcow2 disk,
# a raw-declared disk that is qcow2, a grub.cfg that is a symbolic link
# inside the guest.  A path with '?' in it is read all the same.
grub_bad = {"/boot/grub/menu.lst": b"title D\nkernel /boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda1 console=hvc0\n"}
raw = boot_disk("q", grub_bad)
qc = os.path.join(d, "q.qcow2")
sh("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qc)
odd = os.path.join(d, "odd?offset=0 -x.img")
shutil.copy(raw, odd)
link = os.path.join(d, "link.img")
root = link + ".root"
os.makedirs(root + "/boot/grub")
os.makedirs(root + "/etc")
with open(root + "/etc/grub.real", "wb") as f:
    f.write(b"linux /vmlinuz root=/dev/sda1 console=hvc0\n")
with open(root + "/boot/vmlinuz-6.1.0-13-amd64", "wb") as f:
    f.write(b"\x7fELF\x02")
os.symlink("../../etc/grub.real", root + "/boot/grub/grub.cfg")
sh("mke2fs", "-q", "-F", "-t", "ext4", "-d", root, link, "16384k")
shutil.rmtree(root)
for label, target, fmt, expect in (
        ("missing disk", os.path.join(d, "gone.img"), "raw", "cannot open"),
        ("qcow2 disk", qc, "qcow2", "a qcow2 image"),
        ("qcow2 said to be raw", qc, "raw", "a qcow2 image")):
    p, j = run_check(cfg(os.path.join(d, "nl.cfg"), ['name = "nl"', 'type = "pv"', "memory = 256",
                                                      'bootloader = "pygrub"',
                                                      f'disk = [ "format={fmt},vdev=xvda,target={target}" ]']))
    b = find(j, "bootloader", "block")
    check(p.returncode == 1 and len(b) == 1 and "did not look into" in b[0]["problem"]
          and expect in b[0]["problem"], f"{label}: not a blocker naming {expect!r}: {problems(j)}")
rel = cfg(os.path.join(d, "rel.cfg"), ['name = "rel"', 'type = "pv"', "memory = 256", 'bootloader = "pygrub"',
                                       'disk = [ "format=raw,vdev=xvda,target=q.img" ]'])
with open(rel, "rb") as f:
    pr = subprocess.run([HVKIT, "move", "check", "-", "--for", "xapi", "--json"],
                        stdin=f, cwd="/", capture_output=True, text=True)
b = [x for x in json.loads(pr.stdout)["findings"] if x["setting"] == "bootloader" and x["level"] == "block"]
check(pr.returncode == 1 and len(b) == 1 and "relative path: read from the current directory '/'" in b[0]["problem"],
      f"check - from / with a relative disk: rc {pr.returncode} {pr.stdout} {pr.stderr}")
p, j = run_check(guest("pq", [odd]), "--release", "8.2")
check(p.returncode == 1 and any("root=/dev/sda1" in f["problem"] for f in find(j, "/boot/grub/menu.lst", "block"))
      and not find(j, "bootloader"), f"a path with '?' in it: {problems(j)}")
p, j = run_check(guest("plink", [link]), "--release", "8.2")
g = find(j, "/boot/grub/grub.cfg", "block")
check(p.returncode == 1 and g and "symbolic link" in g[0]["problem"], f"grub.cfg a symbolic link: {problems(j)}")

# An MBR partition past the end of a truncated image is named (a blocker:
# not looked into); one cut short by it is a warning.
fs1 = os.path.join(d, "fs1.img")
ext4(fs1, 8 * MiB, {"/etc/fstab": GOOD})
for label, keep, level, expect in (
        ("starts past the end", 9 * MiB, "block", "partition 2 starts at byte 10485760, past the disk's end (9437184 bytes)"),
        ("cut short", 14 * MiB, "warn", "partition 2 runs past the disk's end (14680064 bytes)")):
    img = os.path.join(d, "trunc.img")
    disk(img, "dos", [(fs1, 8 * MiB), ("swap", 8 * MiB)], 32 * MiB)
    with open(img, "r+b") as f:
        f.truncate(keep)
    p, j = run_check(guest("ptrunc", [img]), "--release", "8.2")
    w = find(j, "disk xvda", level)
    check(len(w) == 1 and expect in w[0]["problem"] and (level == "warn" or p.returncode == 1),
          f"partition {label}: rc {p.returncode} {problems(j)}")
shutil.rmtree(d)
done()
