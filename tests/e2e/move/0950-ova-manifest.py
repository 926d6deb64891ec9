#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""OVA and OVF manifests: export writes NAME.mf last (OVF 2.0 / ovftool form,
"SHA256(member)= hex"), whose digests Python's hashlib and sha256sum agree
with; import checks a manifest wherever it sits (second, as OVF 1.x puts
it, or last), in SHA256, SHA1 (older ovftool) or SHA512, and refuses a
wrong digest naming the member, a member the manifest names that is not
there, a file the package holds that the manifest leaves out (or an
empty manifest), and a malformed line by file and line; no manifest is
fine.
An OVF directory gets NAME.mf beside
its files, checked the same way.  Seeded disks; a failure names its seed."""
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import tarfile

from movelib import MiB, check, done, have_xl, hvkit, guest_cfg, need, skip, sparse_image, tmpdir

if not have_xl():
    skip("built without libxlutil: export reads no xl.cfg")
need("sha256sum", "coreutils")
d = tmpdir()


def members(path):
    with tarfile.open(path) as t:
        return [(m.name, t.extractfile(m).read()) for m in t.getmembers()]


def repack(path, items):
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in items:
            m = tarfile.TarInfo(name)
            m.size = len(data)
            t.addfile(m, io.BytesIO(data))
    return path


def imp(pkg, tag):
    out = os.path.join(d, tag + ".out")
    return hvkit("move", "import", pkg, "--to", "xl", "-o", out, "--no-progress", ok=False), out


for seed in (31, 32, 33):
    rnd = random.Random(seed)
    size = rnd.randrange(1, 12) * MiB + rnd.randrange(0, 64) * 512
    raw = os.path.join(d, f"m{seed}.raw")
    sparse_image(raw, size, [(rnd.randrange(0, size // 512) * 512, 512) for _ in range(4)], seed=seed)
    cfg = guest_cfg(d, raw, name=f"m{seed}")
    ova = os.path.join(d, f"m{seed}.ova")
    hvkit("move", "export", cfg, "--to", "ova", "-o", ova, "--no-progress")
    items = members(ova)
    names = [n for n, _ in items]
    ovf, vhd, mf = f"m{seed}.ovf", f"m{seed}-disk0.vhd", f"m{seed}.mf"
    check(names == [ovf, vhd, mf], f"seed {seed}: members {names}, want descriptor, disk, manifest last")
    text = dict(items)[mf].decode()
    want = "".join(f"SHA256({n})= {hashlib.sha256(b).hexdigest()}\n" for n, b in items if n != mf)
    check(text == want, f"seed {seed}: manifest\n{text}\nwant\n{want}")
    # sha256sum on the extracted members agrees (an independent digest).
    x = os.path.join(d, f"m{seed}.x")
    os.mkdir(x)
    with tarfile.open(ova) as t:
        t.extractall(x)
    p = subprocess.run(["sha256sum", ovf, vhd], cwd=x, capture_output=True, text=True)
    sums = {l.split()[1]: l.split()[0] for l in p.stdout.splitlines()}
    check(all(f"SHA256({n})= {h}" in text for n, h in sums.items()) and len(sums) == 2,
          f"seed {seed}: sha256sum {sums} vs manifest {text}")
    r, out = imp(ova, f"m{seed}-ok")
    check(r.returncode == 0, f"seed {seed}: hvkit imports its own OVA with manifest: {r.stderr}")

    data = dict(items)
    # A flipped byte in the disk: refused, naming the member; no output.
    bad = bytearray(data[vhd])
    bad[rnd.randrange(0, len(bad))] ^= 0x40
    pkg = repack(os.path.join(d, f"m{seed}-baddisk.ova"), [(ovf, data[ovf]), (vhd, bytes(bad)), (mf, data[mf])])
    r, out = imp(pkg, f"m{seed}-baddisk")
    check(r.returncode == 1 and f"'{vhd}': SHA256 digest" in r.stderr and not os.path.exists(out),
          f"seed {seed}: a disk that does not match the manifest is refused naming it: {r.returncode} {r.stderr}")
    # The descriptor changed (one more space): refused, naming the .ovf.
    pkg = repack(os.path.join(d, f"m{seed}-badovf.ova"),
                 [(ovf, data[ovf] + b" "), (mf, data[mf]), (vhd, data[vhd])])
    r, out = imp(pkg, f"m{seed}-badovf")
    check(r.returncode == 1 and f"'{ovf}': SHA256 digest" in r.stderr and not os.path.exists(out),
          f"seed {seed}: a descriptor that does not match is refused naming it: {r.stderr}")
    # No manifest: fine.
    pkg = repack(os.path.join(d, f"m{seed}-nomf.ova"), [(ovf, data[ovf]), (vhd, data[vhd])])
    r, out = imp(pkg, f"m{seed}-nomf")
    check(r.returncode == 0, f"seed {seed}: an OVA without a manifest imports: {r.stderr}")
    # SHA1 and SHA512 manifests (older ovftool, ovftool --shaAlgorithm),
    # second in the archive as OVF 1.x orders it, CRLF line ends.
    for algo in ("sha1", "sha512"):
        lines = "".join(f"{algo.upper()}({n})= {hashlib.new(algo, data[n]).hexdigest()}\r\n" for n in (ovf, vhd))
        pkg = repack(os.path.join(d, f"m{seed}-{algo}.ova"), [(ovf, data[ovf]), (mf, lines.encode()), (vhd, data[vhd])])
        r, out = imp(pkg, f"m{seed}-{algo}")
        check(r.returncode == 0, f"seed {seed}: a right {algo} manifest imports: {r.stderr}")
        pkg = repack(os.path.join(d, f"m{seed}-{algo}-bad.ova"),
                     [(ovf, data[ovf]), (mf, lines.encode()), (vhd, bytes(bad))])
        r, out = imp(pkg, f"m{seed}-{algo}-bad")
        check(r.returncode == 1 and f"'{vhd}': {algo.upper()} digest" in r.stderr,
              f"seed {seed}: a wrong {algo} digest is refused naming the member: {r.stderr}")

    # An OVF directory: NAME.mf beside the descriptor and the disks, checked
    # on import the same way.
    od = os.path.join(d, f"m{seed}.ovfdir")
    hvkit("move", "export", cfg, "--to", "ovf", "-o", od, "--no-progress")
    check(sorted(os.listdir(od)) == sorted([ovf, vhd, mf]), f"seed {seed}: OVF dir {os.listdir(od)}")
    p = subprocess.run(["sha256sum", ovf, vhd], cwd=od, capture_output=True, text=True)
    want = "".join(f"SHA256({l.split()[1]})= {l.split()[0]}\n" for l in p.stdout.splitlines())
    check(open(os.path.join(od, mf)).read() == want, f"seed {seed}: OVF dir manifest = sha256sum's")
    r, out = imp(os.path.join(od, ovf), f"m{seed}-dir")
    check(r.returncode == 0, f"seed {seed}: OVF dir with manifest imports: {r.stderr}")
    with open(os.path.join(od, vhd), "r+b") as f:
        f.seek(rnd.randrange(0, os.path.getsize(os.path.join(od, vhd))))
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 1]))
    r, out = imp(os.path.join(od, ovf), f"m{seed}-dir-bad")
    check(r.returncode == 1 and f"'{vhd}': SHA256 digest" in r.stderr and not os.path.exists(out),
          f"seed {seed}: OVF dir disk that does not match is refused naming it: {r.stderr}")
    os.unlink(os.path.join(od, mf))
    r, out = imp(os.path.join(od, ovf), f"m{seed}-dir-nomf")
    check(r.returncode == 0, f"seed {seed}: OVF dir without manifest imports: {r.stderr}")

# Hostile manifests: one line error each, nothing written.
data = dict(items)
h = hashlib.sha256
cases = [
    ("garbage", b"hello world\n", f"{mf}:1: not ALGO(file)= digest"),
    ("algo", f"MD5({ovf})= {'0' * 32}\n".encode(), f"{mf}:1: unknown digest 'MD5'"),
    ("short", f"SHA256({ovf})= abcd\n".encode(), f"{mf}:1: SHA256 digest is not 64 hex digits"),
    ("twice", (f"SHA256({ovf})= {h(data[ovf]).hexdigest()}\n" * 2).encode(), f"{mf}:2: '{ovf}' named twice"),
    ("missing", f"SHA256({ovf})= {h(data[ovf]).hexdigest()}\nSHA256({vhd})= {h(data[vhd]).hexdigest()}\n"
     f"SHA256(other.vmdk)= {'0' * 64}\n".encode(), "names 'other.vmdk', which is not in the archive"),
    # OVF (DSP0243): with a manifest, every file has a digest in it.
    ("omits-disk", f"SHA256({ovf})= {h(data[ovf]).hexdigest()}\n".encode(),
     f"the manifest has no digest for '{vhd}'"),
    ("empty", b"", f"the manifest has no digest for '{ovf}'"),
    ("nul", b"SHA256(\0)= 00\n", "holds a NUL byte"),
]
for tag, text, want in cases:
    pkg = repack(os.path.join(d, f"hostile-{tag}.ova"), [(ovf, data[ovf]), (vhd, data[vhd]), (mf, text)])
    r, out = imp(pkg, f"hostile-{tag}")
    check(r.returncode == 1 and want in r.stderr and len(r.stderr.strip().splitlines()) == 1
          and not os.path.exists(out), f"manifest '{tag}': one error '{want}': {r.returncode} {r.stderr}")
shutil.rmtree(d)
done()
