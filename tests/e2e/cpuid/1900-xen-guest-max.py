#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What Xen gives its guests (--guest-max: the PV Max or HVM Max policy
of `xen-cpuid -p`, tests/data/cpuid/xen-cpuid) cuts the Xen forms of
policy, baseline and model --for: the features cut are exactly the
result without --guest-max less the Max policy's, named on stderr, in an
xl comment and in JSON; what is left is the result within the Max
policy; libxl's parser (cpuid-libxl-judge, when built) accepts every
form, and no Xen form removes what no guest gets.  model --for TARGET
writes the same as policy with the closest-model spec model --json
gives, for every target.  Misuse is a usage error; a policy that is no
Max policy is warned about."""
import json
import os

from cpuidlib import CPUID_DATA, cpudata_fixtures, cpuid_json, libxl_forced
from lib import check, done, hvkit

X = os.path.join(CPUID_DATA, "xen-cpuid", "xen-4.17-tcg-epyc-p.txt")
DOM0 = os.path.join(CPUID_DATA, "xen-4.17-pv-dom0.dump")
JUDGE = os.environ.get("CPUID_LIBXL_JUDGE", "")
JUDGE = JUDGE if JUDGE and os.access(JUDGE, os.X_OK) else None
if not JUDGE:
    print("NOTE: cpuid-libxl-judge not built: libxl does not judge the forms here")


def feats(src):
    j = cpuid_json("features", "--names", "xen", "--from", src)
    return set(j["features"]) | set(j["other"])


def judged(form, line):
    if JUDGE:
        forced, why = libxl_forced(JUDGE, "xl" if form == "xl" else "xend", line)
        check(why is None, f"libxl refuses {line!r}: {why}")


n = ncut = 0
for maxp in ("pv-max", "hvm-max"):
    gmax = f"{X}#{maxp}"
    allowed = feats(gmax)
    for src in (f"{X}#host", f"{X}#pv-default", DOM0):
        for spec in ("host", "host,-avx2", "host,-sse4_2"):
            for form in ("xl", "xl-xend"):
                base = ["policy", spec, "--for", form, "--from", src]
                before = set(cpuid_json(*base)["features"])
                after = cpuid_json(*base, "--guest-max", gmax)
                check(set(after["not_guest_visible"]) == before - allowed,
                      f"{spec} {form} {src} {maxp}: cut {sorted(after['not_guest_visible'])}, expected {sorted(before - allowed)}")
                check(set(after["features"]) == before & allowed, f"{spec} {form} {src} {maxp}: result not within the Max policy")
                p = hvkit("cpuid", *base, "--guest-max", gmax)
                lines = p.stdout.splitlines()
                cut = before - allowed
                ncut += bool(cut)
                if cut:
                    check(lines[0].startswith("# not given to Xen guests (--guest-max ") and
                          set(lines[0].split(": ", 1)[1].split()) == cut, f"{spec} {form}: comment {lines[0]!r}")
                    check("not given to Xen guests" in p.stderr and set(p.stderr.split("guests (--guest-max ")[1].split("): ", 1)[1].split("\n")[0].split()) == cut,
                          f"{spec} {form}: stderr {p.stderr!r}")
                else:
                    check(len(lines) == 1, f"{spec} {form}: {lines}")
                # no Xen form removes what no guest gets
                removed = set()
                for tok in lines[-1].split('"')[1].split(",")[1:] if form == "xl" else []:
                    if tok.endswith("=0"):
                        removed.add(tok[:-2])
                check(not (removed - allowed), f"{spec} {form}: removes {sorted(removed - allowed)}, which no guest gets")
                judged(form, lines[-1])
                n += 1
    # baseline: the Xen forms of each pair, cut the same way
    for pair in ((f"{X}#host", DOM0), (f"{X}#host", f"{X}#pv-default")):
        before = cpuid_json("baseline", *pair, "--qemu", "none")
        after = cpuid_json("baseline", *pair, "--qemu", "none", "--guest-max", gmax)
        common = set(cpuid_json("baseline", *pair, "--qemu", "none", "--names", "xen")["features"])
        for form in ("xl", "xl-xend"):
            got = set(cpuid_json("baseline", *pair, "--qemu", "none", "--names", "xen", "--guest-max", gmax)["not_guest_visible"][form])
            check(got == common - allowed, f"baseline {pair} {form} {maxp}: cut {sorted(got)}, expected {sorted(common - allowed)}")
            judged(form, after["policies"][form])
            p = hvkit("cpuid", "baseline", *pair, "--for", form, "--guest-max", gmax)
            if common - allowed:
                check(p.stdout.startswith("# not given to Xen guests"), f"baseline {form}: {p.stdout!r}")
        # the KVM forms are not touched by --guest-max
        for form in ("qemu", "libvirt"):
            check(before["policies"][form] == after["policies"][form], f"baseline {form} changed by --guest-max")
        n += 1
# One Max policy shows one host's Xen: the baseline of hosts that differ
# still removes, with --guest-max, all it removes without (a host whose Xen
# gives more than this Max policy would show it to the guest otherwise).
EPYC = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-EPYC-7601-32-Core.xml")


def zeros(line):
    return {t[:-2] for t in line.split('"')[1].split(",")[1:] if t.endswith("=0")}


for maxp in ("pv-max", "hvm-max"):
    plain = zeros(cpuid_json("baseline", f"{X}#host", EPYC, "--qemu", "none")["policies"]["xl"])
    cut = zeros(cpuid_json("baseline", f"{X}#host", EPYC, "--qemu", "none", "--guest-max",
                           f"{X}#{maxp}")["policies"]["xl"])
    check(len(plain) > 10, f"baseline removes only {sorted(plain)}: the check proves little")
    check(plain <= cut, f"baseline --guest-max {maxp} no longer removes {sorted(plain - cut)}")
# A Max policy without avx512f (Xen without AVX-512 for guests) and a
# Skylake-Server model: the guest is no such model (a warning naming it),
# and what needs avx512f goes too (avx512dq, avx512bw, ...: Xen drops them).
import tempfile  # noqa: E402
from cpuidlib import dependents, deps  # noqa: E402
from cpuidlib import table, without  # noqa: E402

GOLD = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-Xeon-Gold-6130.xml")
with tempfile.TemporaryDirectory() as td:
    nomax = os.path.join(td, "no-avx512f.xml")
    without(GOLD, ["avx512f"], nomax, {r["name"]: r for r in table()})
    r = hvkit("cpuid", "policy", "Skylake-Server-v1", "--for", "xl", "--from", GOLD,
              "--guest-max", nomax)
    check("the guest is no Skylake-Server-v1" in r.stderr and "avx512f" in r.stderr,
          f"model cut by --guest-max not warned: {r.stderr}")
    j = cpuid_json("policy", "Skylake-Server-v1", "--for", "xl", "--from", GOLD, "--guest-max", nomax)
    need = dependents(deps(), "avx512f") & set(cpuid_json("features", "--from", GOLD)["features"])
    check(need and not (need & set(j["features"])),
          f"what needs avx512f is kept: {sorted(need & set(j['features']))}")
    check(need <= set(j["not_guest_visible"]), f"not named as cut: {sorted(need - set(j['not_guest_visible']))}")

# A Max policy of another vendor is an error (it would cut svm, npt, ...
# from an AMD host as "not given").
INTEL = [p for nm, p in cpudata_fixtures() if "Xeon" in nm or "Core-i" in nm][0]
for args in (("policy", "host", "--for", "xl", "--from", INTEL),
             ("model", "--for", "xl", "--from", INTEL),
             ("baseline", "--for", "xl", INTEL, INTEL)):
    r = hvkit("cpuid", *args, "--guest-max", f"{X}#hvm-max", ok=False)
    check(r.returncode == 1 and not r.stdout and "vendor AMD, the host of vendor Intel" in r.stderr,
          f"{args[0]} of an Intel host with an AMD Max policy: rc {r.returncode} {r.stderr!r}")
print(f"{n} policies and baselines cut to a Max policy, {ncut} with features cut")
check(ncut >= 10, f"only {ncut} policies had anything cut: the test proves little")

# model --for TARGET == policy SPEC --for TARGET with the closest-model spec
same = 0
for name, xml in cpudata_fixtures()[:8]:
    m = cpuid_json("model", "--from", xml)["closest"]
    spec = ",".join([m["qemu_name"]] + ["+" + f for f in m["plus"]] + ["-" + f for f in m["minus"]]) \
        if m["name"] == m["qemu_name"] else None
    if spec is None:
        continue
    for form in ("xl", "xl-xend", "qemu", "libvirt"):
        a = hvkit("cpuid", "model", "--for", form, "--from", xml, "--qemu", "none", ok=False) if form == "qemu" else \
            hvkit("cpuid", "model", "--for", form, "--from", xml, ok=False)
        extra = ["--qemu", "none"] if form == "qemu" else []
        b = hvkit("cpuid", "policy", spec, "--for", form, "--from", xml, *extra, ok=False)
        check((a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr),
              f"{name} {form}: model --for gives {a.stdout[:200]!r} ({a.returncode}), policy {spec}: {b.stdout[:200]!r} ({b.returncode})")
        same += a.returncode == 0
check(same >= 24, f"only {same} model --for outputs compared")

# misuse
for args, code, want in (
        (["policy", "host", "--for", "qemu", "--guest-max", X + "#pv-max"], 2, "--guest-max goes with"),
        (["features", "--guest-max", X + "#pv-max"], 2, "--guest-max goes with"),
        (["model", "--guest-max", X + "#pv-max"], 2, "--guest-max goes with"),
        (["policy", "host", "--for", "xl", "--from", X + "#host", "--guest-max", "/nonexistent"], 1, "cannot open '/nonexistent'"),
        (["policy", "host", "--for", "xl", "--from", X + "#host", "--guest-max", X + "#no-such"], 1, "no-such")):
    p = hvkit("cpuid", *args, ok=False)
    check(p.returncode == code and want in p.stderr and p.stdout == "", f"{args}: {p.returncode} {p.stderr!r}")
p = hvkit("cpuid", "policy", "host", "--for", "xl", "--from", X + "#host", "--guest-max", X + "#pv-default")
check("not a Max policy" in p.stderr, f"pv-default as --guest-max: {p.stderr!r}")
done()
