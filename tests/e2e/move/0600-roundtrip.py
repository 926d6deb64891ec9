#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every xl.cfg fixture goes xl -> XVA -> xl and xl -> OVA -> xl
(--metadata-only: the fixtures' disks do not exist) and libxlutil reads
our xl.cfg back (hvkit move show --json, which reads with libxlutil).
A package is not trusted: the settings that reach the host (a bootloader
or device model path, kernel, scripts, host devices, serial files, ...)
are not written, each is named on stderr and in a comment of the file,
and disk targets are always the files import writes (never the package's
paths).  Imported again with --allow-setting for each refused key, the
VM model comes back whole: name, uuid, memory, vCPUs, boot settings,
disks (vdevs, access, kind), NICs (MAC, bridge, rate, model, other keys),
platform flags and every other setting (carried in XAPI's other_config).
What cannot survive is listed in LOSSES, with the reason, and checked to
be exactly what differs."""
import glob
import json
import os
import re
import shutil

from movelib import DATA, check, done, hvkit, skip, tmpdir

X = os.path.join(DATA, "move", "xlcfg")
p = hvkit("move", "show", "--json", os.path.join(X, "test-vif-rate.cfg"), ok=False)
if p.returncode != 0 and "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

# What cannot survive a trip through XAPI, and why.
LOSSES = {
    # XAPI's memory_static_max equal to dynamic_max means "no balloon
    # room", which is also what xl does without maxmem: an explicit
    # maxmem equal to memory comes back absent (same meaning).
    "maxmem == memory": lambda j: j.pop("maxmem_mib") if j.get("maxmem_mib") == j.get("memory_mib") else None,
    # A list of lists (vnuma) travels as one xl.cfg literal in other_config
    # ("xl:vnuma[[]]"); only one holding a line break could not, and is
    # named ("xl-lost:"): none of the fixtures has one, so nothing may be.
    "list with a line break": lambda j: [j["other_config"].pop(k) for k in list(j["other_config"]) if k.startswith("xl-lost:")],
}


def model(path):
    return json.loads(hvkit("move", "show", "--json", path).stdout)


def normalise(j):
    lost = []
    for name, fn in LOSSES.items():
        if fn(j):
            lost.append(name)
    return lost


d = tmpdir()
fixtures = sorted(glob.glob(os.path.join(X, "*.cfg")))
check(len(fixtures) >= 20, f"{len(fixtures)} fixtures")
report = []
for cfg in fixtures:
    want = model(cfg)
    lost = normalise(want)
    for to in ("xva", "ova"):
        tag = f"{os.path.basename(cfg)} via {to}"
        pkg = os.path.join(d, f"p.{to}")
        out = os.path.join(d, "out")
        # --force: several fixtures boot a dom0 kernel or pass devices
        # through, which the pre-flight blocks (0960-preflight.py).
        p = hvkit("move", "export", cfg, "--to", to, "-o", pkg, "--metadata-only",
                  "--disk-size", "1M", "--force", ok=False)
        if not check(p.returncode == 0, f"{tag}: export: {p.stderr}"):
            continue
        # Each setting without a XAPI field is said on stderr.
        for k in want["other_config"]:
            if k.startswith("xl:"):
                key = k[3:].split('[')[0]
                check(f"setting '{key}' has no XAPI equivalent" in p.stderr, f"{tag}: '{key}' named on stderr")
        p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, "--metadata-only", ok=False)
        if not check(p.returncode == 0, f"{tag}: import: {p.stderr}"):
            continue
        refused = re.findall(r"setting '([^']+)'(?: = '[^\n]*')? not written", p.stderr)
        cfgs = glob.glob(os.path.join(out, "*.cfg"))
        text = open(cfgs[0]).read()
        for k in refused:
            check(f"#   {k}" in text, f"{tag}: refused '{k}' named in a comment of the file")
        got = model(cfgs[0])
        name = os.path.basename(cfgs[0])[:-4]
        for i, dk in enumerate(got["disks"]):
            if dk.get("kind") == "cdrom":
                check(not dk.get("target"), f"{tag}: CD {i} left empty, not at the package's path")
            else:
                mine = os.path.join(os.path.realpath(out), f"{name}-disk{i}.raw")
                check(dk.get("target") == mine, f"{tag}: disk {i} target {dk.get('target')!r} is import's {mine!r}")
        shutil.rmtree(out, ignore_errors=True)
        allow = [a for k in sorted(set(refused)) if not k.startswith("disk.")
                 for a in ("--allow-setting", k)]
        p = hvkit("move", "import", pkg, "--to", "xl", "-o", out, "--metadata-only", *allow, ok=False)
        if check(p.returncode == 0, f"{tag}: import {' '.join(allow)}: {p.stderr}"):
            check("not written" not in p.stderr.replace("disk.", "") or
                  all(k.startswith("disk.") for k in re.findall(r"setting '([^']+)'", p.stderr)),
                  f"{tag}: --allow-setting writes every refused setting: {p.stderr}")
            cfgs = glob.glob(os.path.join(out, "*.cfg"))
            got = model(cfgs[0])
            normalise(got)
            for key in ("name", "uuid", "memory_mib", "vcpus", "maxvcpus", "type", "kernel",
                        "ramdisk", "cmdline", "bootloader", "boot_order", "firmware", "acpi",
                        "apic", "pae", "hap", "hpet", "viridian", "nestedhvm", "timer_mode",
                        "on_poweroff", "on_reboot", "on_crash", "weight", "cap"):
                check(got.get(key) == want.get(key), f"{tag}: {key} {got.get(key)!r} != {want.get(key)!r}")
            for i, (a, b) in enumerate(zip(got["disks"], want["disks"])):
                for key in ("vdev", "readonly", "kind"):
                    check(a.get(key) == b.get(key), f"{tag}: disk {i} {key} {a.get(key)!r} != {b.get(key)!r}")
            check(len(got["disks"]) == len(want["disks"]), f"{tag}: disk count")
            check(got["nics"] == want["nics"], f"{tag}: nics {got['nics']} != {want['nics']}")
            check(got["other_config"] == want["other_config"],
                  f"{tag}: other settings {got['other_config']} != {want['other_config']}")
            # Disks are import's own files (checked above): compare the rest.
            for j in (got, want):
                j["disks"] = [{k: v for k, v in dk.items() if k not in ("target", "format", "backend")}
                              for dk in j["disks"]]
            check(got == want, f"{tag}: whole model")
        shutil.rmtree(out, ignore_errors=True)
        os.unlink(pkg)
    report.append(f"{os.path.basename(cfg)}: kept; lost: {', '.join(lost) or 'nothing'}")
print("\n".join(report))
shutil.rmtree(d)
done()
