#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An XVA cut short, or holding members an XVA does not hold, is refused
with one line, never read as zeros: the tar end marker (two zero blocks)
is required, a member may not run past the end, a gzip stream must end
with its CRC and length, each disk's last chunk must be there (XAPI
always writes it), and a member that is not REF/NNNNNNNN[.checksum|
.xxhash] (./Ref, 7 digits, 0x, a GNU long name, a pax path record, a
symbolic link) is refused by name rather than skipped."""
import gzip
import os
import tarfile

from movelib import MiB, check, done, hvkit, same, sparse_image, tmpdir

d = tmpdir()
raw = os.path.join(d, "in.raw")
# Data in chunks 0, 2 and 3 (the last); chunk 1 is zeros (left out).
sparse_image(raw, 4 * MiB, [(0, 4096), (2 * MiB + 5, 100), (4 * MiB - 4096, 4096)])
xva = os.path.join(d, "full.xva")
hvkit("move", "disk", raw, xva, "--to", "xva", "--no-progress")
blob = open(xva, "rb").read()
with tarfile.open(xva) as t:
    mem = {m.name: m for m in t.getmembers()}
ref = [n for n in mem if n != "ova.xml"][0].split("/")[0]
last = mem[f"{ref}/00000003"]
end = max(m.offset_data + (m.size + 511) // 512 * 512 for m in mem.values())

out = os.path.join(d, "out.raw")
p = hvkit("move", "disk", xva, out, "--no-progress", ok=False)
check(p.returncode == 0 and same(out, raw), f"the whole archive reads back: {p.stderr}")


def refused(tag, data, words, name=None):
    path = os.path.join(d, f"{tag}.xva")
    with open(path, "wb") as f:
        f.write(data)
    if os.path.exists(out):
        os.unlink(out)
    p = hvkit("move", "disk", path, out, "--no-progress", ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and words in p.stderr and (name is None or name in p.stderr),
          f"{tag}: refused in one line with '{words}': {p.returncode} {p.stderr!r}")
    check(not os.path.exists(out), f"{tag}: nothing written")


def header(name, size, typ=b"0"):
    h = bytearray(tarfile.TarInfo(name).tobuf(format=tarfile.USTAR_FORMAT)) if len(name) < 100 else bytearray(512)
    if len(name) >= 100:
        h[:] = tarfile.TarInfo("x").tobuf(format=tarfile.USTAR_FORMAT)
        h[0:100] = name[:100].encode()
    h[124:136] = b"%011o\0" % size
    h[156:157] = typ
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(b):
    return b + b"\0" * (-len(b) % 512)


# Cut short.
refused("cut-at-boundary", blob[:last.offset], "end-of-archive")
refused("metadata-only", blob[:mem[f"{ref}/00000000"].offset], "end-of-archive")
refused("no-end-marker", blob[:end], "end-of-archive")
refused("one-zero-block", blob[:end + 512], "end-of-archive")
refused("cut-in-member", blob[:last.offset_data + 4096], "truncated")
refused("no-last-chunk", blob[:last.offset] + b"\0" * 1024, "last chunk", f"{ref}/00000003")
junk = header("junk", 1 << 40)
refused("size-past-eof", blob[:last.offset] + junk + b"J" * 512 + blob[last.offset:], "junk")
gz = gzip.compress(blob)
refused("gzip-no-trailer", gz[:-8], "gzip")
refused("gzip-cut", gz[:len(gz) // 2], "truncated")
gzp = os.path.join(d, "ok.xva.gz")
with open(gzp, "wb") as f:
    f.write(gz)
p = hvkit("move", "disk", gzp, out, "--no-progress", ok=False)
check(p.returncode == 0 and same(out, raw), f"a whole gzip stream reads back: {p.stderr}")

# Members under another spelling, or not files: refused by name.
c0 = mem[f"{ref}/00000000"]
chunk = blob[c0.offset_data:c0.offset_data + c0.size]
head = blob[:c0.offset]
for tag, name in (("dotslash", f"./{ref}/00000000"), ("seven", f"{ref}/0000000"),
                  ("hex", f"{ref}/0x000000")):
    refused(tag, head + header(name, len(chunk)) + chunk + b"\0" * 1024, name, name)
refused("gnu-long", head + header("././@LongLink", 120, b"L") + pad(f"{ref}/".encode() + b"0" * 110)
        + header(f"{ref}/" + "0" * 90, len(chunk)) + chunk + b"\0" * 1024, "GNU long-name")
body = f" path={ref}/00000000\n"
n = len(body) + 1
while len(str(n)) + len(body) != n:
    n += 1
rec = f"{n}{body}"
refused("pax-path", head + header("PaxHeaders/x", len(rec), b"x") + pad(rec.encode())
        + header("decoy", len(chunk)) + chunk + b"\0" * 1024, "pax header sets the path")
refused("symlink", head + header(f"{ref}/00000000", 0, b"2") + b"\0" * 1024, "not a regular file",
        f"{ref}/00000000")
done()
