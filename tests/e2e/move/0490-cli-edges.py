#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line edges: OUT '-' (standard output is not supported) and an
empty OUT are refused with one clear line and nothing written (never a
file named '-', never "Device or resource busy"); `info --help` and
`show --help` print their own usage; `import` without --to says what is
missing; a VM name of 300 characters is cut to 200 in the file names, so
the import works."""
import os

import subprocess

from movelib import HVKIT, MiB, check, done, have_xl, hvkit, ova_xml, sparse_image, tmpdir, xva_with_ova

d = tmpdir()
os.chdir(d)
raw = os.path.join(d, "in.raw")
sparse_image(raw, MiB, [(0, 4096)])


def one_line(p, words, label):
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) >= 1 and words in lines[0],
          f"{label}: '{words}' first: {p.returncode} {p.stderr!r}")


# '-' is standard output (issue 15), never a file named '-'
p = subprocess.run([HVKIT, "move", "disk", raw, "-", "--no-progress"], capture_output=True, cwd=d)
check(p.returncode == 0 and p.stdout == open(raw, "rb").read(), f"disk to '-': the image on stdout {p.stderr!r}")
check(not os.path.exists(os.path.join(d, "-")), "no file named '-'")
p = hvkit("move", "disk", raw, "", "--no-progress", ok=False)
one_line(p, "output name is empty", "disk to ''")
for verb, words in (("info", "usage: hvkit move info"), ("show", "usage: hvkit move show")):
    p = hvkit("move", verb, "--help")
    check(p.stdout.startswith(words), f"{verb} --help: its own usage: {p.stdout[:60]!r}")
xva = os.path.join(d, "g.xva")
hvkit("move", "disk", raw, xva, "--to", "xva", "--no-progress")
p = hvkit("move", "import", xva, "-o", os.path.join(d, "x"), ok=False)
one_line(p, "missing --to", "import without --to")
if have_xl():
    import re
    xml = re.sub(r"(<name>name_label</name><value>)[^<]*(</value>)", lambda m: m.group(1) + "A" * 300 + m.group(2),
                 ova_xml(xva), count=1)
    long = xva_with_ova(xva, xml, os.path.join(d, "long.xva"))
    out = os.path.join(d, "long")
    p = hvkit("move", "import", long, "--to", "xl", "-o", out, "--no-progress", ok=False)
    check(p.returncode == 0 and os.path.exists(os.path.join(out, "A" * 200 + ".cfg")),
          f"a 300-character name imports, cut to 200: {p.stderr}")
done()
