#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Xen's own parser judges `hvkit cpuid policy --for xl|xl-xend`: the
helper cpuid-libxl-judge feeds our strings to libxl_cpuid_parse_config /
libxl_cpuid_parse_config_xend (Debian's libxen-dev, no hypervisor) and
prints libxl's JSON of the policy.  Applied to the host's bits, that policy
must give exactly the features hvkit meant (its --json "features"), for
every feature the form can express.  Also: the dependency table predicts
what the Xen box saw (cpuid="host,avx2=0" loses vaes in a PV domU)."""
import os

from cpuidlib import (CPUID_DATA, bit_key, cpudata_fixtures, cpuid_json, dependents, deps, fold,
                      libxl_forced, table)
from lib import check, done, skip

JUDGE = os.environ.get("CPUID_LIBXL_JUDGE", "")
if not JUDGE or not os.access(JUDGE, os.X_OK):
    skip("cpuid-libxl-judge not built (needs libxen-dev: libxenlight and libyajl)")

rows = table()
by_name = {r["name"]: r for r in rows}
NOT_MIGRATABLE = {"hypervisor", "osxsave", "ospke", "invtsc"}
xen_names = {fold(r["xen"]): r["name"] for r in rows if r["xen"]}


def judge(form, out):
    forced, err = libxl_forced(JUDGE, form, out)
    check(err is None, f"libxl rejects {out!r}: {err}")
    return forced or {}


key = bit_key


def expressible(r, form):
    return bool(r["xen"]) if form == "xl" else not r["leaf"].startswith("msr:")


checked = policies = 0
for name, path in cpudata_fixtures():
    host = set(cpuid_json("features", "-v", "--from", path)["features"])
    host |= set(cpuid_json("features", "-v", "--from", path)["other"])
    model = cpuid_json("model", "--from", path)["closest"]["name"]
    specs = ["host,avx2=0", "host,-sse4.1,pcid=on", "host,avx512f=off,-aes", model,
             model + ",-avx2" if "avx2" in host else model + ",-sse4.2"]
    for spec in specs:
        for form in ("xl", "xl-xend"):
            p = cpuid_json("policy", spec, "--for", form, "--from", path)
            meant = set(p["features"])
            meant = {xen_names.get(fold(n), n) for n in meant}
            forced = judge("xl" if form == "xl" else "xend", p["output"])
            policies += 1
            for r in rows:
                f = r["name"]
                if not expressible(r, form) or f in p["skipped"]:
                    continue
                if not spec.startswith("host") and (not r["qemu"] or f in NOT_MIGRATABLE):
                    continue  # a model leaves what no model holds to Xen
                ch = forced.get(key(r))
                guest = ch == "1" if ch else f in host
                checked += 1
                check(guest == (f in meant),
                      f"{name} {spec} --for {form}: {f} is {'on' if guest else 'off'} after libxl, "
                      f"hvkit meant {'on' if f in meant else 'off'}")

# The Xen box (tests/xen/dom0-tests.sh): cpuid="host,avx2=0" in a PV domU
# took vaes away too.  Our table must say so, and name everything else.
d = deps()
ice = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-Ice-Lake-Server.xml")
p = cpuid_json("policy", "host,avx2=0", "--for", "xl", "--from", ice)
gone = {a["name"] for a in p["also_removed"]}
check({"vaes", "vpclmulqdq"} <= gone, f"host,avx2=0 also removes vaes, vpclmulqdq (got {sorted(gone)})")
host = set(cpuid_json("features", "-v", "--from", ice)["features"])
expect = {by_name[f]["xen"] or f for f in dependents(d, "avx2") if by_name[f]["qemu"] in host or f in host}
check(gone == expect, f"host,avx2=0 removes exactly avx2's dependents on this CPU: {sorted(gone ^ expect)}")
print(f"# {policies} policies judged by libxl, {checked} feature bits compared")
done()
