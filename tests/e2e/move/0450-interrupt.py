#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An interrupted run leaves nothing under the final name and no temporary
file or directory: SIGINT and SIGTERM while `move disk` writes a gzipped
XVA, while `export` writes one, and while `import` fills its directory.
The input is 64 MiB of random data (gzip makes each run take seconds);
the signal goes once the temporary output exists."""
import glob
import os
import signal
import subprocess
import time

from movelib import MiB, check, done, hvkit, skip, tmpdir
from lib import HVKIT

d = tmpdir()
raw = os.path.join(d, "big.raw")
with open(raw, "wb") as f:
    f.write(os.urandom(64 * MiB))


def interrupted(tag, final, args, sig):
    """Runs hvkit ARGS, sends sig once FINAL.tmp.* exists, checks the result."""
    p = subprocess.Popen([HVKIT, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.monotonic() + 60
    while not glob.glob(final + ".tmp.*") and p.poll() is None and time.monotonic() < end:
        time.sleep(0.005)
    if p.poll() is not None:
        # Finished before it could be interrupted: nothing was tested.
        check(False, f"{tag}: ended (exit {p.returncode}: {p.stderr.read().decode().strip()}) before the signal; make the input larger")
        return
    time.sleep(0.2)  # well into the copy
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    check(p.returncode == -sig, f"{tag}: died of {sig.name} (exit {p.returncode}; {err.decode().strip()})")
    check(not os.path.exists(final), f"{tag}: nothing under the final name {final}")
    left = glob.glob(final + ".tmp.*")
    check(not left, f"{tag}: temporary output left behind: {left}")


for sig in (signal.SIGINT, signal.SIGTERM):
    out = os.path.join(d, "disk.xva")
    interrupted(f"move disk, {sig.name}", out,
                ["move", "disk", raw, out, "--to", "xva", "--gzip", "--no-progress"], sig)

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    done()  # export/import need libxlutil; move disk was tested above
cfg = os.path.join(d, "g.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 64\nkernel = "/boot/vmlinuz"\n'
            f'disk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')
pkg = os.path.join(d, "g.xva")
interrupted("export --to xva --gzip, SIGINT", pkg,
            ["move", "export", cfg, "--to", "xva", "--gzip", "-o", pkg, "--no-progress"], signal.SIGINT)
hvkit("move", "export", cfg, "--to", "xva", "--gzip", "-o", pkg, "--no-progress")
outdir = os.path.join(d, "imported")
interrupted("import of a gzipped XVA, SIGTERM", outdir,
            ["move", "import", pkg, "--to", "xl", "-o", outdir, "--no-progress"], signal.SIGTERM)
done()
