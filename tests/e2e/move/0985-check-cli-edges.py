#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Small edges of check, export and import:
- `move check -` reads the cfg from standard input (a pipe or a file),
  with the same report as the file; binary data there is one line;
- `move export ... -v` (and --verbose) shows the pre-flight's warnings,
  each as "warning:", none without it;
- a kernel= that does not exist, or is a device, is not called a file;
- an OVA whose first member is its manifest is named so;
- the man page's ".mf" line renders with its spaces (groff, when there)."""
import os
import io
import re
import shutil
import subprocess
import tarfile

from movelib import HVKIT, MiB, check, done, have_xl, skip, tmpdir

if not have_xl():
    skip("built without libxlutil: check reads no xl.cfg")
d = tmpdir()
raw = os.path.join(d, "d.raw")
with open(raw, "wb") as f:
    f.truncate(4 * MiB)
cfg = os.path.join(d, "g.cfg")
text = (f'name = "g"\ntype = "pv"\nmemory = 128\nkernel = "{d}/no-such-vmlinuz"\n'
        f'extra = "root=/dev/sda1 console=ttyS0"\ndisk = [ "format=raw,vdev=xvda,target={raw}" ]\n')
with open(cfg, "w") as f:
    f.write(text)


def hv(*args, stdin=None, inp=None):
    return subprocess.run([HVKIT, *args], input=inp, stdin=stdin, capture_output=True,
                          text=inp is None or isinstance(inp, str), timeout=120)


ref = hv("move", "check", cfg, "--for", "xapi", "--json")
pipe = hv("move", "check", "-", "--for", "xapi", "--json", inp=text)
with open(cfg) as f:
    redirected = hv("move", "check", "-", "--for", "xapi", "--json", stdin=f)
check(ref.returncode == 1 and ref.stdout and pipe.returncode == 1 and pipe.stdout == ref.stdout
      and redirected.stdout == ref.stdout,
      f"check - (pipe, file on stdin) reports as the file does: {pipe.returncode} {pipe.stderr} {redirected.stderr}")
p = hv("move", "check", "-", "--for", "xapi", inp=bytes(range(256)) * 16)
err = p.stderr.decode(errors="replace")
check(p.returncode == 1 and len(err.splitlines()) == 1 and "-: offset 0: binary data" in err,
      f"binary data on stdin: one line: {err!r}")
check("names a path in this host's dom0 (not there now)" in ref.stdout and "is a file" not in ref.stdout,
      f"a missing kernel is not called a file: {ref.stdout}")
zero = os.path.join(d, "z.cfg")
with open(zero, "w") as f:
    f.write(text.replace(f"{d}/no-such-vmlinuz", "/dev/zero"))
p = hv("move", "check", zero, "--for", "xapi")
check("'/dev/zero' names something in this host's dom0 that is not a regular file" in p.stdout,
      f"a device as kernel: {p.stdout}")

# export -v: the warnings (PV on 8.2, console) as "warning:" lines.
for flags in ([], ["-v"], ["--verbose"]):
    out = os.path.join(d, "x" + "".join(flags) + ".ova")
    p = hv("move", "export", cfg, "--to", "ova", "-o", out, "--metadata-only", "--force", *flags)
    warned = [ln for ln in p.stderr.splitlines() if "console=ttyS0" in ln]
    if flags:
        check(p.returncode == 0 and warned and all(ln.startswith("hvkit: warning: ") for ln in warned),
              f"export {flags}: the console warning shown as a warning: {p.returncode} {p.stderr}")
    else:
        check(p.returncode == 0 and not warned, f"export without -v: no warning lines: {p.stderr}")

# An OVA with its manifest first.
src = os.path.join(d, "x-v.ova")
with tarfile.open(src) as t:
    members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
with tarfile.open(os.path.join(d, "mf-first.ova"), "w", format=tarfile.USTAR_FORMAT) as t:
    for m, data in sorted(members, key=lambda x: not x[0].name.endswith(".mf")):
        t.addfile(m, io.BytesIO(data))
p = hv("move", "import", os.path.join(d, "mf-first.ova"), "--to", "xl", "-o", os.path.join(d, "imp"))
check(p.returncode == 1 and "first member is the manifest 'g.mf'" in p.stderr
      and "starts with its OVF descriptor" in p.stderr and not os.path.exists(os.path.join(d, "imp")),
      f"manifest first: {p.stderr}")

# The man page's NAME.mf sentence keeps its spaces.
groff = shutil.which("groff")
if groff:
    man = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "man", "hvkit-move.1")
    p = subprocess.run([groff, "-man", "-Tutf8", "-rLL=300n", man], capture_output=True, text=True,
                       env=dict(os.environ, GROFF_NO_SGR="1"))
    plain = " ".join(re.sub(".\b", "", p.stdout).split())   # no overstrike
    check("NAME.mf. The OVF is version" in plain, "man: the NAME.mf line has its spaces")
    check("NAME.mf.TheOVF" not in plain, "man: no 'NAME.mf.TheOVF'")
else:
    print("groff not installed: the man page line is not rendered here")
shutil.rmtree(d)
done()
