#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""raw -> XVA -> raw, plain and gzip, both checksum kinds: chunks checked
with xxhsum and sha1sum, the archive with tar, and the disk rebuilt by
xva-img (Debian 12 ships 1.4.2, which knows .checksum only)."""
import os
import shutil
import subprocess
import tarfile

from movelib import MiB, check, done, hvkit, need, run, same, sparse_image, tmpdir

need("xxhsum", "xxhash")
need("sha1sum", "coreutils")
d = tmpdir()
size = 20 * MiB + 3 * 512
raw = os.path.join(d, "disk.raw")
sparse_image(raw, size, [(0, 4096), (5 * MiB + 17, 3 * MiB), (20 * MiB, 1024)])
nonzero = {0, 5, 6, 7, 8, 20}

for gz in (False, True):
    for sums in ("xxhash", "sha1", "both"):
        tag = f"{'gz' if gz else 'plain'}-{sums}"
        xva = os.path.join(d, tag + ".xva")
        hvkit("move", "disk", raw, xva, "--checksum", sums, *(["--gzip"] if gz else []))
        with open(xva, "rb") as f:
            check((f.read(2) == b"\x1f\x8b") == gz, f"{tag}: gzip magic iff --gzip")
        ex = os.path.join(d, tag)
        os.mkdir(ex)
        p = run("tar", "-xf", xva, "-C", ex)
        check(p.returncode == 0, f"{tag}: tar reads the archive: {p.stderr}")
        names = tarfile.open(xva).getnames()
        check(names[0] == "ova.xml", f"{tag}: ova.xml comes first")
        refs = {n.split("/")[0] for n in names if "/" in n}
        check(len(refs) == 1, f"{tag}: one disk directory {refs}")
        ref = refs.pop()
        chunks = sorted(int(n.split("/")[1]) for n in names
                        if "/" in n and "." not in n.split("/")[1])
        # All-zero chunks skipped, the first and the last always kept.
        check(set(chunks) == nonzero | {0, 20}, f"{tag}: chunks {chunks}")
        for c in chunks:
            path = os.path.join(ex, ref, f"{c:08d}")
            if sums in ("xxhash", "both"):
                want = open(path + ".xxhash").read().strip()
                got = run("xxhsum", "-H1", path).stdout.split()[0]
                check(want == got, f"{tag} chunk {c}: .xxhash {want} == xxhsum {got}")
            if sums in ("sha1", "both"):
                want = open(path + ".checksum").read().strip()
                got = run("sha1sum", path).stdout.split()[0]
                check(want == got, f"{tag} chunk {c}: .checksum {want} == sha1sum {got}")
        back = os.path.join(d, tag + ".raw")
        hvkit("move", "disk", xva, back)
        check(same(raw, back), f"{tag}: raw -> XVA -> raw is byte-identical")
        vhd = os.path.join(d, tag + ".vhd")
        hvkit("move", "disk", xva, vhd)
        back2 = os.path.join(d, tag + ".vhd.raw")
        hvkit("move", "disk", vhd, back2)
        check(same(raw, back2), f"{tag}: XVA -> VHD -> raw is byte-identical")

# xva-img, an independent reader and writer of XVA chunk directories.
if shutil.which("xva-img"):
    ex = os.path.join(d, "plain-sha1")
    ref = [x for x in os.listdir(ex) if x.startswith("Ref:")][0]
    out = os.path.join(d, "xva-img.raw")
    p = run("xva-img", "disk-export", os.path.join(ex, ref) + "/", out)
    check(p.returncode == 0, f"xva-img disk-export of our chunks: {p.stderr}")
    # xva-img pads the last chunk to 1 MiB: compare our size's worth.
    with open(out, "rb") as f:
        data = f.read(size)
    check(data == open(raw, "rb").read(), "xva-img rebuilds the disk from our chunks")
    # Chunks xva-img wrote (SHA-1) read by us.  xva-img drops a partial
    # last chunk (it stops at EOF), so give it whole MiBs of the same size
    # class: a 21 MiB image with the same data.
    raw21 = os.path.join(d, "disk21.raw")
    sparse_image(raw21, 21 * MiB, [(0, 4096), (5 * MiB + 17, 3 * MiB), (20 * MiB, 1024)])
    mine = os.path.join(d, "xi")
    os.makedirs(os.path.join(mine, ref))
    p = run("xva-img", "disk-import", os.path.join(mine, ref) + "/", raw21)
    check(p.returncode == 0, f"xva-img disk-import: {p.stderr}")
    with open(os.path.join(ex, "ova.xml")) as f:
        xml = f.read().replace(f"<value>{size}</value>", f"<value>{21 * MiB}</value>")
    with open(os.path.join(mine, "ova.xml"), "w") as f:
        f.write(xml)
    members = ["ova.xml"] + sorted(os.path.join(ref, n) for n in os.listdir(os.path.join(mine, ref)))
    xi = os.path.join(d, "xi.xva")
    subprocess.run(["tar", "-cf", xi, "--format=ustar", "-C", mine] + members, check=True)
    back = os.path.join(d, "xi.raw")
    hvkit("move", "disk", xi, back)
    check(same(raw21, back), "an XVA of xva-img's chunks reads back identical")
    # The default checksum is the one every XAPI and xva-img read: SHA-1
    # .checksum members only, for `move disk` and for `move export`.
    dflt = os.path.join(d, "default.xva")
    hvkit("move", "disk", raw, dflt)
    names = tarfile.open(dflt).getnames()
    check(any(n.endswith(".checksum") for n in names) and not any(n.endswith(".xxhash") for n in names),
          f"default XVA: .checksum members only {names[:4]}")
    exd = os.path.join(d, "default")
    os.mkdir(exd)
    subprocess.run(["tar", "-xf", dflt, "-C", exd], check=True)
    refd = [x for x in os.listdir(exd) if x.startswith("Ref:")][0]
    outd = os.path.join(d, "default-xva-img.raw")
    p = run("xva-img", "disk-export", os.path.join(exd, refd) + "/", outd)
    check(p.returncode == 0, f"xva-img reads a default XVA: {p.stderr}")
    with open(outd, "rb") as f:
        check(f.read(size) == open(raw, "rb").read(), "xva-img rebuilds the disk of a default XVA")
    p = hvkit("move", "show", "--json", "/dev/null", ok=False)
    if "libxlutil" not in p.stderr:
        cfg = os.path.join(d, "vm.cfg")
        with open(cfg, "w") as f:
            f.write(f'name = "vm"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')
        vmx = os.path.join(d, "vm.xva")
        hvkit("move", "export", cfg, "--to", "xva", "-o", vmx, "--no-progress")
        names = tarfile.open(vmx).getnames()
        check(any(n.endswith(".checksum") for n in names) and not any(n.endswith(".xxhash") for n in names),
              "default export --to xva: .checksum members only")
else:
    print("NOTE: xva-img not installed (Debian 12 package xva-img); relying on xxhsum, sha1sum and tar")

# The ova.xml VM record, read back.
import json  # noqa: E402
j = json.loads(hvkit("move", "show", "--json", os.path.join(d, "plain-xxhash.xva")).stdout)
check(j["disks"][0]["size"] == size, f"ova.xml VDI virtual_size {j['disks'][0].get('size')}")
check(j["name"] == "disk.raw" and j["vcpus"] >= 1, f"ova.xml VM record {j}")
shutil.rmtree(d)
done()
