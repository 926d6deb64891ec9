#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every reader of an xl.cfg (show, check, export, push) refuses what
cannot be one before libxlutil sees it: zeros (a disk image named by
mistake: libxlutil took time growing with the square of its size and
echoed a line per bad line), seeded random bytes, a file over 1 MiB.
Each gives one error line of printable text and writes nothing.  A text
cfg with many bad lines gives libxlutil's first diagnostic, its bytes
made printable, and how many more there were, in one line."""
import os
import random
import subprocess

from movelib import HVKIT, check, done, have_xl, skip, tmpdir

if not have_xl():
    skip("built without libxlutil: no xl.cfg is read")
d = tmpdir()
seed = int(os.environ.get("SEED", random.randrange(1 << 30)))
rnd = random.Random(seed)


def run(*args):
    # timeout: a hang guard only (the bug was a hang), never a speed check
    p = subprocess.run([HVKIT, "move", *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_printable_line(err):
    return err.count(b"\n") == 1 and all(0x20 <= b < 0x7f for b in err[:-1])


def put(name, data):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


zeros = put("zeros.cfg", bytes(8192))
noise = put("noise.cfg", b"name = \"g\"\n" + rnd.randbytes(65536))
big = put("big.cfg", b'name = "g"\n' + b"#" * (1 << 20) + b"\n")
cases = ((zeros, b"offset 0: binary data (byte 0x00)"),
         (noise, b"binary data"),
         (big, b"larger than 1048576 bytes"))
for path, want in cases:
    name = os.path.basename(path)
    for verb in (["show"], ["check", "--for", "xapi"],
                 ["export", "--to", "ova", "-o", os.path.join(d, "x.ova")]):
        rc, out, err = run(*verb[:1], path, *verb[1:])
        check(rc == 1, f"{verb[0]} {name}: exit {rc} (seed {seed})")
        check(one_printable_line(err) and want in err,
              f"{verb[0]} {name}: not one printable line naming {want!r}: {err[:300]!r} (seed {seed})")
        check(out == b"", f"{verb[0]} {name}: output {out[:100]!r}")
    check(not os.path.exists(os.path.join(d, "x.ova")), f"export {name} wrote an OVA")

# Text libxlutil refuses line by line: DEL and a C1 CSI in every line.
bad = put("bad.cfg", 'name = "g"\n'.encode() + b"a = = \x7f\xc2\x9b31m\n" * 400)
rc, out, err = run("check", bad, "--for", "xapi")
check(rc == 1, f"check bad.cfg: exit {rc}")
check(one_printable_line(err) and b"bad.cfg: line 2: config parsing error" in err
      and err.count(b"bad.cfg") == 1 and b"more)" in err,
      f"check bad.cfg: not one line with a count: {err[:400]!r}")

# A syntax error at a line's end (libxlutil counts its <newline> on the
# line before): the file named once, the line the error is on.
for text, line in (('name = "g"\nmemory =\n', 2), ('memory =\n', 1),
                   ('name = "g"\n\n\nmemory =\nvcpus = 1\n', 4), ('name = "g"\nmemory = 1 2\n', 2)):
    syn = put("syn.cfg", text.encode())
    rc, out, err = run("check", syn, "--for", "xapi")
    check(rc == 1 and one_printable_line(err) and err.count(b"syn.cfg") == 1
          and f"syn.cfg: line {line}: config parsing error".encode() in err,
          f"syntax error on line {line} of {text!r}: {err!r}")
done()
