#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The pictures beyond SVG: -o x.png is a valid PNG (chunks, CRCs, the
image data inflates to its IHDR size), -o x.pdf a PDF with one page,
--of/extension choose the format, x.dot passes Graphviz 'dot -Tsvg', and
the SVG of the synthetic 4096-PU machine is well-formed (xmllint)."""
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
import zlib

import lib
from lib import DATA, HVKIT, check, done, hvkit

SYNTH = "pack:16 core:128 pu:2 pci:300"


def png_info(data, name):
    """(width, height) of a PNG after checking its structure, or None."""
    if not check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: PNG signature"):
        return None
    i, chunks, idat = 8, [], b""
    while i + 12 <= len(data):
        n, = struct.unpack(">I", data[i:i + 4])
        typ, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        crc, = struct.unpack(">I", data[i + 8 + n:i + 12 + n])
        check(zlib.crc32(typ + body) == crc, f"{name}: CRC of {typ!r}")
        chunks.append(typ)
        if typ == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif typ == b"IDAT":
            idat += body
        i += 12 + n
    if not check(chunks and chunks[0] == b"IHDR" and chunks[-1] == b"IEND",
                 f"{name}: IHDR first, IEND last ({chunks[:3]}...)"):
        return None
    bpp = {2: 3, 6: 4}.get(ctype)
    check(depth == 8 and bpp, f"{name}: 8-bit RGB or RGBA, got depth {depth} type {ctype}")
    check(len(zlib.decompress(idat)) == h * (1 + w * (bpp or 3)), f"{name}: image data size")
    check(0 < w <= 32767 and 0 < h <= 32767, f"{name}: {w} x {h} within cairo's limits")
    return w, h


with tempfile.TemporaryDirectory() as d:
    tarfile.open(os.path.join(DATA, "hwloc", "32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")).extractall(d)
    root = os.path.join(d, os.listdir(d)[0])
    out = lambda name: os.path.join(d, name)

    # PNG from a fixture: the Dell server, PCI and DIMMs included.
    hvkit("topo", "--sysroot", root, "-o", out("dell.png"))
    wh = png_info(open(out("dell.png"), "rb").read(), "dell.png")
    hvkit("topo", "--sysroot", root, "-o", out("dell.svg"))
    head = open(out("dell.svg")).read(4000)
    if wh:
        check(f'width="{wh[0]}" height="{wh[1]}"' in head, f"PNG {wh} has the SVG's size")

    # PDF: header, one page, trailer.
    hvkit("topo", "--sysroot", root, "-o", out("dell.pdf"))
    pdf = open(out("dell.pdf"), "rb").read()
    check(pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-8:], "dell.pdf: PDF header and trailer")
    check(pdf.count(b"/Type /Pages") == 1 and b"/Count 1" in pdf, "dell.pdf: one page")

    # The extension picks when --of is absent; --of naming another format
    # than the extension is refused (0610-hostile-input.py), any other name
    # takes what --of says.
    hvkit("topo", "--sysroot", root, "--of", "png", "-o", out("named.image"))
    check(open(out("named.image"), "rb").read(8) == b"\x89PNG\r\n\x1a\n", "--of png -o named.image")
    p = hvkit("topo", "--sysroot", root, "--of", "dot")
    check(p.stdout.startswith("digraph topology {"), "--of dot on stdout")
    # stdout is a pipe here, not a terminal, so the image is written
    p = subprocess.run([HVKIT, "topo", "--sysroot", root,
                        "--of", "png", "-o", "-"], capture_output=True)
    check(p.returncode == 0 and p.stdout[:4] == b"\x89PNG", "--of png -o - to a pipe")

    # Degraded links in red in the synthetic machine's DOT.
    hvkit("topo", "-v", "--synthetic", "pack:2 core:4 pci:40", "-o", out("syn.gv"))
    gv = open(out("syn.gv")).read()
    check("GB/s" in gv and "capable" in gv and "#c03030" in gv, "syn.gv: link labels, a degraded link in red")

    # --synthetic: errors are usage errors naming the token.
    for bad, needle in (("pack:0", "pack:0"), ("frob:2", "frob:2"), ("pu:2 pu:2", "twice")):
        p = hvkit("topo", "--synthetic", bad, ok=False)
        check(p.returncode == 2 and needle in p.stderr, f"--synthetic {bad!r}: exit {p.returncode}, {p.stderr!r}")
    p = hvkit("topo", "--synthetic", "pack:1", "--sysroot", root, ok=False)
    check(p.returncode == 2, "--synthetic with --sysroot: usage error")

    # The synthetic giant: PNG within limits, SVG well-formed.
    hvkit("topo", "--synthetic", SYNTH, "-o", out("giant.png"))
    png_info(open(out("giant.png"), "rb").read(), "giant.png")
    hvkit("topo", "--synthetic", SYNTH, "-v", "-o", out("giant-v.png"))
    png_info(open(out("giant-v.png"), "rb").read(), "giant-v.png")
    hvkit("topo", "--synthetic", SYNTH, "-o", out("giant.svg"))
    j = hvkit("topo", "--synthetic", SYNTH, "--json").stdout
    check('"type":"pu"' in j.replace(" ", "") or '"pu"' in j, "--synthetic --json")

    tools = []
    if shutil.which("xmllint"):
        r = subprocess.run(["xmllint", "--noout", out("giant.svg")], capture_output=True, text=True)
        check(r.returncode == 0, f"xmllint giant.svg: {r.stderr[:300]}")
        tools.append("xmllint")
    else:
        print("note: xmllint not installed (Debian package libxml2-utils); SVG not validated")
    if shutil.which("dot"):
        for src in ("dell", "syn"):
            name = out(src + (".dot" if src == "dell" else ".gv"))
            if src == "dell":
                hvkit("topo", "--sysroot", root, "-o", name)
            r = subprocess.run(["dot", "-Tsvg", "-o", os.devnull, name], capture_output=True, text=True)
            check(r.returncode == 0 and "Error" not in r.stderr, f"dot -Tsvg {src}: {r.stderr[:300]}")
        tools.append("dot")
    if "dot" not in tools:
        if lib.failures:
            done()
        lib.skip("dot not installed (Debian package graphviz): the DOT output was not "
                 "validated; PNG, PDF and SVG were checked")
done()
