#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An interrupted run leaves nothing under the final name and no temporary
file or directory: SIGINT and SIGTERM while `move disk` writes an XVA,
while `export` writes one, and while `import` fills its directory.  The
signal goes while hvkit is blocked inside a write to its output (holdlib:
a preloaded shim stops it there and says so), so the run cannot finish
first however fast the machine is; no sleep, no timing."""
import glob
import os
import signal

from holdlib import held, kill, setup
from movelib import MiB, check, done, hvkit

d, raw = setup(8 * MiB)


def interrupted(tag, final, args, sig):
    """Runs hvkit ARGS, sends sig while it is blocked writing its output."""
    p, ok = held(args)
    if not check(ok, f"{tag}: hvkit reached its output's second write"):
        p.communicate(timeout=60)
        return
    err = kill(p, sig)
    check(p.returncode == -sig, f"{tag}: died of {sig.name} (exit {p.returncode}; {err})")
    check(not os.path.exists(final), f"{tag}: nothing under the final name {final}")
    left = [x for x in os.listdir(os.path.dirname(final)) if ".tmp" in x]
    check(not left, f"{tag}: temporary output left behind: {left}")


for sig in (signal.SIGINT, signal.SIGTERM):
    out = os.path.join(d, "disk.xva")
    interrupted(f"move disk, {sig.name}", out,
                ["move", "disk", raw, out, "--to", "xva", "--gzip", "--no-progress"], sig)

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    done()  # export/import need libxlutil; move disk was tested above
cfg = os.path.join(d, "g.cfg")
# A dom0 kernel: the pre-flight blocks it, hence --force below.
with open(cfg, "w") as f:
    f.write(f'name = "g"\nmemory = 64\nkernel = "/boot/vmlinuz"\n'
            f'disk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')
pkg = os.path.join(d, "g.xva")
interrupted("export --to xva --gzip, SIGINT", pkg,
            ["move", "export", cfg, "--to", "xva", "--gzip", "-o", pkg, "--no-progress", "--force"], signal.SIGINT)
hvkit("move", "export", cfg, "--to", "xva", "--gzip", "-o", pkg, "--no-progress", "--force")
for sig in (signal.SIGINT, signal.SIGTERM):
    outdir = os.path.join(d, "imported")
    interrupted(f"import of a gzipped XVA, {sig.name}", outdir,
                ["move", "import", pkg, "--to", "xl", "-o", outdir, "--no-progress"], sig)
check(not glob.glob(os.path.join(d, "*.tmp*")), "nothing temporary left at all")
done()
