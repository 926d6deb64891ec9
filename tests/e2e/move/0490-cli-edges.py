#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line edges: OUT '-' (standard output is not supported) and an
empty OUT are refused with one clear line and nothing written (never a
file named '-', never "Device or resource busy"); `info --help` and
`show --help` print their own usage; `import` without --to says what is
missing; a VM name of 300 characters is cut to 200 in the file names, so
the import works; options that would do nothing for what is asked are
refused."""
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
# an option that would do nothing for what is asked is refused, not
# ignored (issue 15): XVA chunk checksums on an OVA or OVF, --gzip on an
# OVF directory, a CA for plain HTTP; one line, exit 2, nothing written,
# nothing connected to
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write('name = "g"\nmemory = 512\ndisk = []\n')
for to, extra, words in (("ova", ["--checksum", "sha1"], "--checksum goes with --to xva"),
                         ("ovf", ["--checksum", "xxhash"], "--checksum goes with --to xva"),
                         ("ovf", ["--gzip"], "--gzip goes with --to xva or ova")):
    out = os.path.join(d, f"e.{to}")
    p = hvkit("move", "export", cfg, "--to", to, "-o", out, *extra, ok=False)
    check(p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and words in p.stderr and
          not os.path.exists(out), f"export --to {to} {' '.join(extra)}: refused ({p.returncode} {p.stderr!r})")
for args in (["pull", "xapi://127.0.0.1:9", "vm", "-o", os.path.join(d, "p")],
             ["push", cfg, "xapi://127.0.0.1:9", "--sr", "x"]):
    p = hvkit("move", *args, "--ca", cfg, "--http", ok=False)
    check(p.returncode == 2 and "--ca goes with HTTPS" in p.stderr and
          len(p.stderr.strip().splitlines()) == 1 and not os.path.exists(os.path.join(d, "p")),
          f"{args[0]} --ca with --http: refused ({p.returncode} {p.stderr!r})")
p = hvkit("move", "export", cfg, "--to", "ova", "-o", os.path.join(d, "ok.ova"), "--gzip", ok=False)
check(p.returncode == 0, f"export --to ova --gzip still works: {p.stderr!r}")
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
